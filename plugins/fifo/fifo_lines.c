/* SPDX-License-Identifier: MIT */
/*
 * Cutting the bytes read from a pipe into lines, in bounded memory.
 *
 * A FIFO is written by programs we do not control: one may send a gigabyte
 * without a newline.  So the buffer is allocated once at max_line + 1 bytes
 * (the extra byte leaves room for the CR of a CRLF line of exactly max_line)
 * and never grows; a line that outgrows it is only counted until its end.
 */
#include "fifo.h"

#include <stdlib.h>
#include <string.h>

bool fifo_lines_init(struct fifo_lines *lines, size_t max_line,
                     fifo_line_fn line, fifo_drop_fn drop, void *ctx)
{
	*lines = (struct fifo_lines){
		.max_line = max_line, .line = line, .drop = drop, .ctx = ctx};
	lines->buf = malloc(max_line + 1);
	return lines->buf != NULL;
}

void fifo_lines_free(struct fifo_lines *lines)
{
	free(lines->buf);
	lines->buf = NULL;
	lines->len = 0;
}

static void lines_append(struct fifo_lines *lines, const char *data, size_t len)
{
	if (lines->dropping) {
		lines->dropped_len += len;
	} else if (len > lines->max_line + 1 - lines->len) {
		lines->dropping = true;
		lines->dropped_len = (unsigned long long)lines->len + len;
		lines->len = 0;
	}
	if (lines->dropping) {
		if (len > 0)
			lines->dropped_cr = data[len - 1] == '\r';
		return;
	}
	memcpy(lines->buf + lines->len, data, len);
	lines->len += len;
}

/* The current line is over: pass it on, or report it dropped. */
static void lines_end(struct fifo_lines *lines)
{
	size_t len = lines->len;

	lines->len = 0;
	if (lines->dropping) {
		lines->dropping = false;
		/* The length of the line, as for one kept: without its CR. */
		lines->drop(lines->ctx, lines->dropped_len - lines->dropped_cr);
		lines->dropped_len = 0;
		return;
	}
	if (len > 0 && lines->buf[len - 1] == '\r')
		len--;
	if (len > lines->max_line)
		lines->drop(lines->ctx, len);
	else if (len > 0)
		lines->line(lines->ctx, lines->buf, len);
}

void fifo_lines_feed(struct fifo_lines *lines, const char *data, size_t len)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t part = newline ? (size_t)(newline - data) : len;

		lines_append(lines, data, part);
		if (!newline)
			return;
		lines_end(lines);
		data += part + 1;
		len -= part + 1;
	}
}

bool fifo_lines_pending(const struct fifo_lines *lines)
{
	return lines->len > 0 || lines->dropping;
}

void fifo_lines_flush(struct fifo_lines *lines)
{
	if (fifo_lines_pending(lines))
		lines_end(lines);
}
