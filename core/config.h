/* SPDX-License-Identifier: MIT */
/*
 * The INI configuration as the user wrote it: every value with the place it
 * came from ("FILE:LINE" or "-o SECTION.KEY=VALUE"), so that any later
 * complaint can name it.  Which keys are valid is decided by instance.c,
 * which knows the plugins.
 */
#ifndef MQC_CONFIG_H
#define MQC_CONFIG_H

#include <stdbool.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

struct config_value {
	char *section, *key, *value;
	char *origin; /* "FILE:LINE" or "-o ..." */
	struct config_value *next;
};

struct config_section {
	char *name;
	char *origin; /* where its [header] is */
	struct config_section *next;
};

struct config {
	char *path; /* the file read; NULL when running on built-in defaults */
	unsigned file_mode; /* its st_mode, from the descriptor it was read through */
	struct config_value *values;
	struct config_section *sections;
};

/*
 * Finds and reads the configuration: `explicit_path` (-c), else
 * $MQCHAT_CONFIG, $XDG_CONFIG_HOME/mqchat/mqchat.ini (or ~/.config/...),
 * /etc/mqchat/mqchat.ini; none found means built-in defaults.  Returns 0, or
 * -1 with a message naming file and line in `err`.
 */
int config_load(struct config *cfg, const char *explicit_path, struct strbuf *err);

/* Parses one file into `cfg` (used by config_load; exposed for tests). */
int config_parse_file(struct config *cfg, const char *path, struct strbuf *err);

/* Splits "SECTION.KEY=VALUE" into malloc'd section and key; returns the
 * value (within `assignment`), or NULL with a message. */
const char *config_split(const char *assignment, char **section, char **key,
                         struct strbuf *err);

/* Applies "SECTION.KEY=VALUE" (-o); later ones win.  Returns -1 with a
 * message when the text is not of that form. */
int config_override(struct config *cfg, const char *assignment, struct strbuf *err);

/* Sets [section] key = value, `origin` saying where it came from (copied). */
void config_set(struct config *cfg, const char *section, const char *key, const char *value,
                const char *origin);

const struct config_value *config_find(const struct config *cfg, const char *section,
                                       const char *key);
/* The value of [core] `key`: the file's, else the built-in default. */
const char *config_core_value(const struct config *cfg, const char *key);
const struct config_section *config_find_section(const struct config *cfg,
                                                 const char *name);

void config_free(struct config *cfg);

/* Parses a boolean value: on/off, yes/no, true/false, 1/0. */
bool config_parse_bool(const char *value, bool *out);

/* `path` as written at `origin`: a relative path written in the file is
 * relative to the file's directory, one given on the command line to the
 * current directory.  Malloc'd. */
char *config_relative_path(const struct config *cfg, const char *origin, const char *path);

/* Where mqchat keeps what lasts one session (FIFOs, locks): malloc'd
 * "$XDG_RUNTIME_DIR/mqchat", or "/tmp/mqchat-<euid>" when XDG_RUNTIME_DIR
 * is unset or not an absolute path. */
char *config_runtime_dir(void);

/* Expands a leading "~" and "$VAR" / "${VAR}" (unset: empty).  An unusable
 * $XDG_RUNTIME_DIR is the exception: "$XDG_RUNTIME_DIR/mqchat" (and a bare
 * "$XDG_RUNTIME_DIR") become config_runtime_dir(), so a value shows the
 * path a run really uses. */
char *config_expand_path(const char *value);

/* The core's own keys, [core]: same form as a plugin's. */
extern const struct mqc_key config_core_keys[];
/* The keys of a bridge section (one that [core] bridges names). */
extern const struct mqc_key config_bridge_keys[];

#endif
