/* SPDX-License-Identifier: MIT */
/* Finds, opens and checks plugin files. */
#ifndef MQC_LOADER_H
#define MQC_LOADER_H

#include <mqchat/plugin.h>

#include "strbuf.h"

struct plugin {
	char *path;
	/* The plugin's descriptor, copied as far as its `size` reaches and
	 * zero beyond: members a plugin built for an older minor lacks are
	 * NULL here. */
	struct mqc_plugin desc;
	struct plugin *next;
};

/* The directory plugins are looked up in when core.plugin_dir is empty:
 * <dir of the executable>/plugins when that exists (an uninstalled build),
 * else the install directory.  Malloc'd. */
char *loader_default_dir(void);

/* `name` is a path when it contains '/', else <dir>/<name>.so.  Malloc'd. */
char *loader_resolve(const char *dir, const char *name);

/* Opens and checks a plugin; NULL with a message saying what to do in `err`. */
struct plugin *loader_open(const char *path, struct strbuf *err);
void loader_close(struct plugin *plugin);

const char *loader_kind_name(enum mqc_plugin_kind kind);

#endif
