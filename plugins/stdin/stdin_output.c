/* SPDX-License-Identifier: MIT */
/* Rendering messages and writing them out without ever losing a byte. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdin.h"

/* A rendering cut this close to the buffer's end may have been cut (the
 * template cuts at a character boundary, up to 4 bytes early): render again
 * into a bigger buffer.  The slack also leaves room for a newline. */
#define RENDER_SLACK 8
#define RENDER_FIRST_CAP 4096
#define RENDER_MAX_CAP ((size_t)64 * 1024 * 1024)

const char *stdin_render(struct stdin_frontend *fe,
                         const struct mqc_message *msg, bool color, size_t *len)
{
	unsigned flags = color ? MQC_RENDER_COLOR : 0;
	if (!fe->render_buf) {
		fe->render_buf = malloc(RENDER_FIRST_CAP);
		if (!fe->render_buf)
			return NULL;
		fe->render_cap = RENDER_FIRST_CAP;
	}
	for (;;) {
		size_t n = fe->host->template_render(fe->format, msg, flags,
		                                     fe->render_buf, fe->render_cap);
		if (n + RENDER_SLACK < fe->render_cap || fe->render_cap >= RENDER_MAX_CAP) {
			*len = n;
			return fe->render_buf;
		}
		char *bigger = realloc(fe->render_buf, fe->render_cap * 2);
		if (!bigger) {
			*len = n;
			return fe->render_buf;
		}
		fe->render_buf = bigger;
		fe->render_cap *= 2;
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
