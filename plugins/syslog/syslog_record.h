/* SPDX-License-Identifier: MIT */
/*
 * Building the datagrams the log socket receives: the classic local syslog
 * line, or the native journal protocol.
 */
#ifndef MQCHAT_SYSLOG_RECORD_H
#define MQCHAT_SYSLOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A byte buffer that grows as needed; `data` is owned, NULL when empty. */
struct syslog_buf {
	char *data;
	size_t len, cap;
};

void syslog_buf_reset(struct syslog_buf *buf);
void syslog_buf_free(struct syslog_buf *buf);

/*
 * Replaces `buf` with "<PRI>Mmm dd hh:mm:ss ident[pid]: body", what glibc
 * writes to /dev/log (RFC 3164 style, local time, no hostname).
 * pri = facility * 8 + severity; pid < 0 leaves out "[pid]".  `body` must
 * already be one escaped line: nothing here changes it, and no newline is
 * added.  False when memory runs out.
 */
bool syslog_record_line(struct syslog_buf *buf, int pri, time_t when,
                        const char *ident, long pid, const char *body,
                        size_t body_len);

/* Appends one field of a native journal datagram: "NAME=value\n", or
 * when the value holds a newline the binary form "NAME\n", its length as
 * 64-bit little endian, the value, "\n".  False when memory runs out. */
bool syslog_record_journal_field(struct syslog_buf *buf, const char *name,
                                 const char *value, size_t len);

#endif
