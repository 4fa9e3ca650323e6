/* SPDX-License-Identifier: MIT */
/*
 * Datagram builders.  The timestamp is formatted by hand, not with
 * strftime(), so the month names stay English whatever locale the process
 * runs in: syslog daemons parse them.
 */
#include "syslog_record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void syslog_buf_reset(struct syslog_buf *buf)
{
	buf->len = 0;
}

void syslog_buf_free(struct syslog_buf *buf)
{
	free(buf->data);
	*buf = (struct syslog_buf){0};
}

static bool buf_reserve(struct syslog_buf *buf, size_t more)
{
	size_t cap = buf->cap ? buf->cap : 256;
	char *grown;

	if (buf->len + more <= buf->cap)
		return true;
	while (cap < buf->len + more)
		cap *= 2;
	grown = realloc(buf->data, cap);
	if (!grown)
		return false;
	buf->data = grown;
	buf->cap = cap;
	return true;
}

static bool buf_append(struct syslog_buf *buf, const void *data, size_t len)
{
	if (!buf_reserve(buf, len))
		return false;
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	return true;
}

bool syslog_record_line(struct syslog_buf *buf, int pri, time_t when,
                        const char *ident, long pid, const char *body,
                        size_t body_len)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char head[128];
	struct tm tm;
	int n;

	if (!localtime_r(&when, &tm))
		memset(&tm, 0, sizeof tm);
	/* %2d: RFC 3164 pads a one-digit day with a space ("Jan  1"). */
	n = snprintf(head, sizeof head, "<%d>%s %2d %02d:%02d:%02d %s", pri,
	             months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
	             tm.tm_sec, ident);
	if (n < 0 || (size_t)n >= sizeof head)
		return false;
	if (pid >= 0) {
		int m = snprintf(head + n, sizeof head - (size_t)n, "[%ld]", pid);
		if (m < 0 || (size_t)m >= sizeof head - (size_t)n)
			return false;
		n += m;
	}
	syslog_buf_reset(buf);
	return buf_append(buf, head, (size_t)n) && buf_append(buf, ": ", 2) &&
	       buf_append(buf, body, body_len);
}

bool syslog_record_journal_field(struct syslog_buf *buf, const char *name,
                                 const char *value, size_t len)
{
	size_t name_len = strlen(name);

	if (!memchr(value, '\n', len))
		return buf_append(buf, name, name_len) && buf_append(buf, "=", 1) &&
		       buf_append(buf, value, len) && buf_append(buf, "\n", 1);

	unsigned char size_le[8];
	for (int i = 0; i < 8; i++)
		size_le[i] = (unsigned char)((uint64_t)len >> (8 * i));
	return buf_append(buf, name, name_len) && buf_append(buf, "\n", 1) &&
	       buf_append(buf, size_le, sizeof size_le) &&
	       buf_append(buf, value, len) && buf_append(buf, "\n", 1);
}
