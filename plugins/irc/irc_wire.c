/* SPDX-License-Identifier: MIT */
/*
 * What every part of the plugin may do to the connection without owning
 * it: write a protocol line, poll for what the stream wants, and say that
 * the connection must end (irc_link.c ends it, once the line or timer at
 * hand is done).  Calls nothing of the plugin's own above it.
 */
#include "irc_instance.h"

#include <stdarg.h>
#include <stdio.h>

void irc_write(struct irc *self, const char *fmt, ...)
{
	if (!self->stream)
		return;
	char line[IRC_LINE_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) - 3 ? (size_t)n : sizeof(line) - 3;
	memcpy(line + len, "\r\n", 3);
	if (!irc_stream_write(self->stream, line, len + 2))
		self->host->log(self->inst, MQC_LOG_ERROR, "out of memory writing to the server");
	irc_sync_watch(self);
}

void irc_sync_watch(struct irc *self)
{
	if (!self->stream)
		return;
	int fd = irc_stream_fd(self->stream);
	unsigned events = irc_stream_events(self->stream);
	if (self->watch && self->watch_fd == fd) {
		self->host->watch_update(self->watch, events);
		return;
	}
	if (self->watch)
		self->host->watch_remove(self->watch);
	self->watch = NULL;
	self->watch_fd = fd;
	self->watch = self->host->watch_add(self->inst, fd, events, 0, self->on_io, self);
}

void irc_fail(struct irc *self, const char *why)
{
	if (!self->failure[0])
		snprintf(self->failure, sizeof(self->failure), "%s", why);
}
