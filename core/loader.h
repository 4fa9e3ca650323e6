/* SPDX-License-Identifier: MIT */
/* Finds, opens and checks plugin files. */
#ifndef MQC_LOADER_H
#define MQC_LOADER_H

#include <stdbool.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

struct plugin {
	char *path;
	/* The plugin's descriptor, copied as far as its `size` reaches and
	 * zero beyond: members a plugin built for an older minor lacks are
	 * NULL here.  `desc.keys` points at `keys`. */
	struct mqc_plugin desc;
	/* The plugin's keys in this core's layout, read with the stride of
	 * the plugin's minor (an older plugin's keys are untyped strings);
	 * ends with a NULL name.  Owned; the strings stay the plugin's. */
	struct mqc_key *keys;
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

/* Whether the plugin is the user's terminal (MQC_PLUGIN_OWNS_TERMINAL);
 * false for a plugin older than ABI 1.2, which cannot say. */
bool loader_owns_terminal(const struct plugin *p);

/* `keys`, an array laid out as ABI 1.`abi_minor` lays out struct mqc_key,
 * copied into this core's layout (malloc'd, NULL-name ended; NULL `keys`
 * gives an empty list).  Exposed for tests. */
struct mqc_key *loader_copy_keys(const void *keys, unsigned abi_minor);

#endif
