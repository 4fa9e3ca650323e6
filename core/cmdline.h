/* SPDX-License-Identifier: MIT */
/*
 * The command line: options, and the settings it gives (-o, -n, the
 * mosquitto-style -h -p -t -u -q and an mqtt:// URL), kept in the order
 * they apply so that the last one given wins.
 */
#ifndef MQC_CMDLINE_H
#define MQC_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct cmdline_setting {
	char *section; /* NULL: the default network (see cmdline_apply) */
	char *key, *value;
	char *origin; /* "-o mqtt.port=1884", "-p 1884", "mqtt://host:1884" */
};

struct options {
	const char *config_path;
	bool check_config;
	bool list_plugins;
	const char *history;
	const char *search;
	const char *room; /* --room: of --history, --search */
	bool json;
	bool who;            /* --who: print who is present and exit */
	const char *who_room; /* its [NET:]ROOM; NULL: the default room */
	struct cmdline_setting *settings;
	size_t n_settings;
};

/* Returns -1 to go on, or an exit code (0 after --help or -V, 64 after
 * saying what is wrong). */
int cmdline_parse(int argc, char **argv, struct options *opt);

/* Sets every setting in `cfg`, the file's configuration; the default
 * network is the first of core.backends, else core.backend, as the file
 * and -o leave them. */
void cmdline_apply(const struct options *opt, struct config *cfg);

/* Frees the settings; `opt` can be parsed into again. */
void cmdline_free(struct options *opt);

#endif
