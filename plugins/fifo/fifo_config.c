/* SPDX-License-Identifier: MIT */
/*
 * The fifo instance's keys: reading them and refusing bad values with a
 * message that names the key (the core adds file and line).
 */
#include "fifo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Without XDG_RUNTIME_DIR the core expands this to /tmp/mqchat-<uid>/in.fifo
 * (config_expand_path): the one fallback, shown by --check-config too. */
#define FIFO_PATH_DEFAULT "$XDG_RUNTIME_DIR/mqchat/in.fifo"

const struct mqc_key fifo_keys[] = {
	{.name = "path", .def = FIFO_PATH_DEFAULT, .flags = MQC_KEY_PATH,
	 .help = "the named pipe to read lines from; created (with its "
	         "directory, 0700) when missing. Without XDG_RUNTIME_DIR: "
	         "/tmp/mqchat-<uid>/in.fifo"},
	{.name = "mode", .def = "0600",
	 .help = "octal permissions of the pipe; must include 0600"},
	{.name = "nick", .def = "",
	 .help = "nick the lines are sent as (default: the user's nick)"},
	{.name = "max_line", .def = "65536",
	 .help = "longest line accepted, in bytes (k and M suffixes allowed); "
	         "longer lines are dropped with a warning",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_BYTES, .min = 1,
	 .max = FIFO_MAX_LINE_LIMIT},
	{.name = NULL},
};

static bool config_path(struct fifo_config *cfg, struct mqc_instance *inst,
                        const struct mqc_host *host)
{
	const char *value = host->config(inst, "path");

	if (asprintf(&cfg->path, "%s", value) < 0) {
		cfg->path = NULL;
		host->config_error(inst, "path", "out of memory");
		return false;
	}
	if (cfg->path[0] != '/') {
		host->config_error(inst, "path",
		                   "\"%s\" is not an absolute path (an unset "
		                   "variable in it expands to nothing)", cfg->path);
		return false;
	}
	return true;
}

static bool config_mode(struct fifo_config *cfg, struct mqc_instance *inst,
                        const struct mqc_host *host)
{
	const char *value = host->config(inst, "mode");
	size_t digits = strspn(value, "01234567");
	unsigned long mode;

	if (digits == 0 || value[digits] != '\0' || digits > 4) {
		host->config_error(inst, "mode", "'%s' is not an octal mode such "
		                   "as 0600 or 0620", value);
		return false;
	}
	mode = strtoul(value, NULL, 8);
	if (mode > 0777) {
		host->config_error(inst, "mode", "%s: only permission bits (at "
		                   "most 0777) make sense for a FIFO", value);
		return false;
	}
	/* mqchat opens the pipe read-write as its owner. */
	if ((mode & 0600) != 0600) {
		host->config_error(inst, "mode", "%s: the owner must be able to "
		                   "read and write (include 0600)", value);
		return false;
	}
	cfg->mode = (mode_t)mode;
	return true;
}

static bool config_nick(struct fifo_config *cfg, struct mqc_instance *inst,
                        const struct mqc_host *host)
{
	const char *value = host->config(inst, "nick");

	if (value[0] == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			host->config_error(inst, "nick", "must not contain control "
			                   "characters");
			return false;
		}
	}
	cfg->nick = strdup(value);
	if (cfg->nick == NULL) {
		host->config_error(inst, "nick", "out of memory");
		return false;
	}
	return true;
}

bool fifo_config_load(struct fifo_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host)
{
	*cfg = (struct fifo_config){0};
	/* Check every key, so one run reports every mistake. */
	bool ok = config_path(cfg, inst, host);
	ok = config_mode(cfg, inst, host) && ok;
	cfg->max_line = (size_t)host->config_number(inst, "max_line");
	ok = config_nick(cfg, inst, host) && ok;
	if (!ok)
		fifo_config_free(cfg);
	return ok;
}

void fifo_config_free(struct fifo_config *cfg)
{
	free(cfg->path);
	free(cfg->nick);
	*cfg = (struct fifo_config){0};
}
