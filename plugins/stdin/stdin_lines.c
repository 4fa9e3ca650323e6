/* SPDX-License-Identifier: MIT */
#include "stdin_lines.h"

#include <stdlib.h>
#include <string.h>

#include "stdin.h"

/* Room for the longest accepted line plus the '\r' that may precede its
 * newline. */
#define LINES_MAX_KEPT (STDIN_MAX_LINE + 1)
#define LINES_FIRST_CAP 4096

void stdin_lines_init(struct stdin_lines *l)
{
	memset(l, 0, sizeof *l);
	l->line_no = 1;
}

void stdin_lines_free(struct stdin_lines *l)
{
	free(l->buf);
	stdin_lines_init(l);
}

static bool lines_reserve(struct stdin_lines *l, size_t need)
{
	if (need <= l->cap)
		return true;
	size_t cap = l->cap ? l->cap : LINES_FIRST_CAP;
	while (cap < need)
		cap *= 2;
	if (cap > LINES_MAX_KEPT)
		cap = LINES_MAX_KEPT;
	char *buf = realloc(l->buf, cap);
	if (!buf)
		return false;
	l->buf = buf;
	l->cap = cap;
	return true;
}

static void lines_start_skipping(struct stdin_lines *l, const char *data, size_t n)
{
	l->skipping = true;
	l->skipped = l->len + n;
	l->skipped_cr = n ? data[n - 1] == '\r' : (l->len && l->buf[l->len - 1] == '\r');
	l->len = 0;
}

/* Takes in `n` bytes of the current line (no newline among them). */
static void lines_take(struct stdin_lines *l, const char *data, size_t n)
{
	if (l->skipping) {
		l->skipped += n;
		if (n)
			l->skipped_cr = data[n - 1] == '\r';
	} else if (l->len + n > LINES_MAX_KEPT || !lines_reserve(l, l->len + n)) {
		lines_start_skipping(l, data, n);
	} else {
		memcpy(l->buf + l->len, data, n);
		l->len += n;
	}
}

static void lines_end_line(struct stdin_lines *l, const struct stdin_lines_sink *sink)
{
	if (l->skipping) {
		sink->overlong(sink->data, l->line_no, l->skipped - (l->skipped_cr ? 1 : 0));
		l->skipping = false;
		l->skipped = 0;
	} else {
		size_t len = l->len;
		if (len && l->buf[len - 1] == '\r')
			len--;
		if (len > STDIN_MAX_LINE)
			sink->overlong(sink->data, l->line_no, len);
		else
			sink->line(sink->data, l->line_no, len ? l->buf : "", len);
	}
	l->len = 0;
	l->line_no++;
}

void stdin_lines_feed(struct stdin_lines *l, const char *data, size_t n,
                      const struct stdin_lines_sink *sink)
{
	while (n > 0) {
		const char *newline = memchr(data, '\n', n);
		size_t part = newline ? (size_t)(newline - data) : n;
		lines_take(l, data, part);
		if (!newline)
			return;
		lines_end_line(l, sink);
		data += part + 1;
		n -= part + 1;
	}
}

void stdin_lines_finish(struct stdin_lines *l, const struct stdin_lines_sink *sink)
{
	if (l->skipping || l->len > 0)
		lines_end_line(l, sink);
}
