/* SPDX-License-Identifier: MIT */
/*
 * The log socket: a non-blocking AF_UNIX datagram socket connected to
 * /dev/log (or the journal's socket).  Sending never waits: a full or
 * missing receiver is an error the caller counts, not a stall.
 */
#ifndef MQCHAT_SYSLOG_SINK_H
#define MQCHAT_SYSLOG_SINK_H

#include <stdbool.h>
#include <stddef.h>

struct syslog_sink {
	char path[108]; /* sizeof(struct sockaddr_un.sun_path) */
	int fd;         /* -1 while not connected */
};

/* False when `path` does not fit in a sockaddr_un. */
bool syslog_sink_init(struct syslog_sink *sink, const char *path);

/* Connects if not connected.  0, or the errno why not (ENOENT: no such
 * socket; ECONNREFUSED: nobody bound to it). */
int syslog_sink_connect(struct syslog_sink *sink);

/* Sends one datagram without waiting.  0, or the errno why it was not
 * sent.  When the receiver went away for good (ECONNREFUSED, ENOTCONN,
 * ...) the socket is closed, so the next syslog_sink_connect() reaches a
 * receiver bound anew at the same path. */
int syslog_sink_send(struct syslog_sink *sink, const void *data, size_t len);

bool syslog_sink_connected(const struct syslog_sink *sink);

void syslog_sink_close(struct syslog_sink *sink);

#endif
