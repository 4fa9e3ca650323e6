/* SPDX-License-Identifier: MIT */
/*
 * From configuration to instances: one per INI section in use, each a
 * plugin with the resolved values of its keys.
 */
#ifndef MQC_INSTANCE_H
#define MQC_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "config.h"
#include "loader.h"
#include "strbuf.h"

struct chat;
struct network;
struct frontend_room;

struct instance {
	struct chat *chat; /* whom host.c hands the plugin's calls to */
	char *name;        /* its INI section */
	const struct plugin *plugin;
	const char **values;  /* resolved value of each of the plugin's keys */
	const char **origins; /* where each came from ("built-in default" too) */
	int64_t *parsed;      /* each typed key's value (keytype_parse) */
	void *self;           /* what the plugin's open returned */
	bool config_failed;   /* config_error() was called */
	struct strbuf scratch; /* host->encode's buffer */
	struct network *network; /* a backend's, set by the chat */
	struct frontend_room *room; /* a frontend's current room, set by the chat */
};

struct instances {
	struct plugin *plugins; /* each file opened once */
	struct instance **frontends;
	size_t n_frontends;
	struct instance **backends; /* the networks, in [core]'s order */
	size_t n_backends;
};

/* The list of networks [core] gives: `backends`, else `backend`; and
 * where it was written (`origin` may be NULL). */
const char *instances_network_list(const struct config *cfg, const char **origin);

/* Builds every instance [core] lists (loads plugins, validates sections
 * and keys; a section no instance uses is checked by its plugin through
 * `host`).  Returns 0 or an exit code (78), having printed why. */
int instances_create(struct instances *all, const struct config *cfg, struct chat *chat,
                     const struct mqc_host *host);
void instances_destroy(struct instances *all);
/* --check-config: print the effective configuration. */
void instances_print(const struct instances *all, const struct config *cfg);
/* --list-plugins: every plugin found in the plugin directory. */
int instances_list_plugins(const struct config *cfg);

/* The plugin's own checks (its check()): 0 or 78. */
int instance_check(struct instance *inst, const struct mqc_host *host);
/* The value of `key` and where it came from; NULL for a key the plugin
 * does not declare. */
const char *instance_value(const struct instance *inst, const char *key);
const char *instance_origin(const struct instance *inst, const char *key);
/* The parsed value of `key` if the plugin declared it with `type`: true
 * with it in *out (see keytype_parse), else false. */
bool instance_typed(const struct instance *inst, const char *key, enum mqc_key_type type,
                    int64_t *out);

#endif
