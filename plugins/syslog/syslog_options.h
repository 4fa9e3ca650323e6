/* SPDX-License-Identifier: MIT */
/*
 * The keys of one syslog instance's INI section, read and checked.
 */
#ifndef MQCHAT_SYSLOG_OPTIONS_H
#define MQCHAT_SYSLOG_OPTIONS_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stddef.h>

#define SYSLOG_DEFAULT_SOCKET "/dev/log"
#define SYSLOG_DEFAULT_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define SYSLOG_MAX_LENGTH_MIN 64
#define SYSLOG_MAX_LENGTH_MAX 65536

struct syslog_options {
	char ident[49];
	int facility;       /* 0..23, not shifted */
	int priority;       /* severity of conversation messages */
	int event_priority; /* severity of joins, leaves, STATUS */
	bool with_pid;
	bool own;
	bool journal;       /* native journal protocol instead of syslog lines */
	const char *socket; /* where records go: the journal's socket if
	                       `journal`, else the syslog socket; owned by
	                       the core */
	size_t max_length;
};

/* The keys the plugin declares, ending with a NULL name. */
extern const struct mqc_key syslog_option_keys[];

/* Reads every key into `opt`, reporting each bad one with
 * host->config_error() (all of them, not only the first).  False if any
 * was bad.  The `format` template is compiled by the caller. */
bool syslog_options_read(struct syslog_options *opt, struct mqc_instance *inst,
                         const struct mqc_host *host);

#endif
