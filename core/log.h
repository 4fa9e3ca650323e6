/* SPDX-License-Identifier: MIT */
/*
 * mqchat's own log lines ("mqchat: who: warning: text"), sanitised, each in
 * one write to standard error, or handed to a sink: the frontend that owns
 * the terminal prints them above its prompt.
 */
#ifndef MQC_LOG_H
#define MQC_LOG_H

#include <mqchat/plugin.h>

/* Gets a line without the "mqchat: " prefix standard error needs. */
typedef void (*log_sink_fn)(void *data, const char *line, enum mqc_log_level level);

/* `who`: the instance speaking, or NULL for the core. */
void log_print(const char *who, enum mqc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Log lines go to `sink` from now on; NULL: back to standard error.  A
 * line logged from inside the sink goes to standard error. */
void log_set_sink(log_sink_fn sink, void *data);

#endif
