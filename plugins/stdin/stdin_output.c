/* SPDX-License-Identifier: MIT */
/* Rendering messages and writing them out without ever losing a byte. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdin.h"
#include "where.h"

/* A rendering cut this close to the buffer's end may have been cut (the
 * template cuts at a character boundary, up to 4 bytes early): render again
 * into a bigger buffer.  The slack also leaves room for a newline. */
#define RENDER_SLACK 8
#define RENDER_FIRST_CAP 4096
#define RENDER_MAX_CAP ((size_t)64 * 1024 * 1024)

bool stdin_many_rooms(struct stdin_frontend *fe)
{
	return MQC_HOST_HAS(fe->host, room_count) && fe->host->room_count(fe->inst) > 1;
}

/* Makes fe->render_buf at least `cap` bytes; false when out of memory. */
static bool reserve_render_buf(struct stdin_frontend *fe, size_t cap)
{
	if (fe->render_cap >= cap)
		return true;
	char *bigger = realloc(fe->render_buf, cap);
	if (!bigger)
		return false;
	fe->render_buf = bigger;
	fe->render_cap = cap;
	return true;
}

const char *stdin_render(struct stdin_frontend *fe,
                         const struct mqc_message *msg, bool color, size_t *len)
{
	unsigned flags = color ? MQC_RENDER_COLOR : 0;
	/* A private message always says so: it must not pass for the room's. */
	bool where = !fe->format_shows_where &&
	             (stdin_many_rooms(fe) ||
	              (MQC_HOST_HAS(fe->host, room_count) && msg->to && *msg->to));
	size_t head = where ? where_prefix(msg, color, NULL) : 0;
	size_t cap = RENDER_FIRST_CAP;
	while (cap < head + RENDER_FIRST_CAP)
		cap *= 2;
	if (!reserve_render_buf(fe, cap))
		return NULL;
	if (where)
		where_prefix(msg, color, fe->render_buf);
	for (;;) {
		size_t n = fe->host->template_render(fe->format, msg, flags, fe->render_buf + head,
		                                     fe->render_cap - head);
		if (head + n + RENDER_SLACK < fe->render_cap || fe->render_cap >= RENDER_MAX_CAP ||
		    !reserve_render_buf(fe, fe->render_cap * 2)) {
			*len = head + n;
			return fe->render_buf;
		}
	}
}

bool stdin_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Someone made the descriptor non-blocking (it may share
			 * its open file with standard input).  Waiting here is
			 * the price of never dropping output. */
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return false;
		} else {
			if (n == 0)
				errno = EIO;
			return false;
		}
	}
	return true;
}

void stdin_write_stdout(struct stdin_frontend *fe, const char *buf, size_t len)
{
	if (fe->output_broken)
		return;
	if (!stdin_write_all(STDOUT_FILENO, buf, len)) {
		fe->output_broken = true;
		fe->host->log(fe->inst, MQC_LOG_WARNING,
		              "standard output: %s; no longer printing the conversation",
		              strerror(errno));
	}
}
