/* SPDX-License-Identifier: MIT */
/*
 * Why not glibc's syslog(): it blocks in send() when the daemon's queue
 * is full, which would freeze the whole chat (terminal, FIFOs, MQTT
 * keepalives) behind a stalled log daemon.  Here every send is
 * MSG_DONTWAIT and every failure is reported to the caller at once.
 */
#include "syslog_sink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool syslog_sink_init(struct syslog_sink *sink, const char *path)
{
	size_t len = strlen(path);

	sink->fd = -1;
	if (len == 0 || len >= sizeof sink->path)
		return false;
	memcpy(sink->path, path, len + 1);
	return true;
}

int syslog_sink_connect(struct syslog_sink *sink)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (sink->fd >= 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memcpy(addr.sun_path, sink->path, sizeof sink->path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int err = errno;
		close(fd);
		return err;
	}
	sink->fd = fd;
	return 0;
}

/* Errors after which this socket will never deliver again: the receiver
 * closed or was replaced; a new socket must be connected. */
static bool receiver_gone(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == ECONNRESET ||
	       err == EPIPE || err == ENOENT || err == EDESTADDRREQ;
}

int syslog_sink_send(struct syslog_sink *sink, const void *data, size_t len)
{
	ssize_t sent;

	if (sink->fd < 0)
		return ENOTCONN;
	do
		sent = send(sink->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent >= 0)
		return 0;
	int err = errno;
	if (receiver_gone(err))
		syslog_sink_close(sink);
	return err;
}

bool syslog_sink_connected(const struct syslog_sink *sink)
{
	return sink->fd >= 0;
}

void syslog_sink_close(struct syslog_sink *sink)
{
	if (sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
}
