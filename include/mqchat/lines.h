/* SPDX-License-Identifier: MIT */
/*
 * mqchat plugin helpers: cutting a byte stream into lines, in bounded
 * memory.
 *
 * A plugin that reads lines from something it does not control (a pipe, a
 * program, standard input) must not let one writer's gigabyte without a
 * newline take all memory.  struct mqc_lines holds one buffer of
 * max_line + 1 bytes, allocated once (the extra byte is the CR of a CRLF
 * line of exactly max_line); a line that outgrows it is counted, not kept,
 * until its newline comes, and then reported once as overlong.
 *
 *     static void on_line(void *data, size_t line_no, const char *line, size_t len)
 *     {
 *         if (len > 0)  // a blank line says nothing
 *             host->submit_line(inst, line, len, 0, NULL);
 *     }
 *     ...
 *     struct mqc_lines_sink sink = {.data = self, .line = on_line, .overlong = on_long};
 *     if (!mqc_lines_init(&self->lines, 4096))
 *         ... out of memory ...
 *     n = read(fd, buf, sizeof buf);
 *     mqc_lines_feed(&self->lines, buf, n, &sink);   // calls the sink per line
 *     ...
 *     mqc_lines_finish(&self->lines, &sink);         // end of input
 *     mqc_lines_free(&self->lines);
 *
 * Inline functions only: the struct lives in the plugin, never crosses to
 * the core, and adds nothing to the ABI.  The header stands alone.
 */
#ifndef MQCHAT_LINES_H
#define MQCHAT_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where complete lines go.  Called from inside mqc_lines_feed() and
 * mqc_lines_finish(); `line_no` counts from 1, blank and overlong lines
 * included. */
struct mqc_lines_sink {
	void *data; /* passed back as the first argument */
	/* A line of `len` bytes (at most max_line), without its newline and
	 * without a CR before it; may be empty.  `line` is valid during the
	 * call only and is not NUL-terminated. */
	void (*line)(void *data, size_t line_no, const char *line, size_t len);
	/* A line longer than max_line, dropped: its length without newline
	 * and CR, as for a kept line. */
	void (*overlong)(void *data, size_t line_no, unsigned long long len);
};

/* One stream's unfinished line.  Read `len`; the rest is private. */
struct mqc_lines {
	char *buf;        /* max_line + 1 bytes */
	size_t len;       /* bytes of the unfinished line held in buf */
	size_t max_line;  /* the longest line passed on */
	size_t line_no;   /* number of the line being read, from 1 */
	bool dropping;    /* inside an overlong line: counting, not keeping */
	bool dropped_cr;  /* its last byte so far is a CR */
	unsigned long long dropped_len; /* its length so far */
};

/* Allocates the buffer; false when out of memory (then only
 * mqc_lines_free() may follow). */
static inline bool mqc_lines_init(struct mqc_lines *l, size_t max_line)
{
	memset(l, 0, sizeof *l);
	l->max_line = max_line;
	l->line_no = 1;
	l->buf = (char *)malloc(max_line + 1);
	return l->buf != NULL;
}

static inline void mqc_lines_free(struct mqc_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
	l->dropping = false;
}

/* True while an unfinished line is held, or being counted. */
static inline bool mqc_lines_pending(const struct mqc_lines *l)
{
	return l->len > 0 || l->dropping;
}

/* Internal (as is every name ending in '_'): takes `n` bytes of the
 * current line, no newline among them. */
static inline void mqc_lines_take_(struct mqc_lines *l, const char *data, size_t n)
{
	if (!l->dropping && n > l->max_line + 1 - l->len) {
		l->dropping = true;
		l->dropped_len = (unsigned long long)l->len;
		l->len = 0;
	}
	if (l->dropping) {
		l->dropped_len += n;
		if (n > 0)
			l->dropped_cr = data[n - 1] == '\r';
		return;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
}

/* Internal: the current line is over; to the sink, as a line or as
 * overlong. */
static inline void mqc_lines_end_(struct mqc_lines *l, const struct mqc_lines_sink *sink)
{
	size_t len = l->len, line_no = l->line_no++;
	l->len = 0;
	if (l->dropping) {
		l->dropping = false;
		sink->overlong(sink->data, line_no, l->dropped_len - (l->dropped_cr ? 1 : 0));
		return;
	}
	if (len > 0 && l->buf[len - 1] == '\r')
		len--;
	if (len > l->max_line)
		sink->overlong(sink->data, line_no, len);
	else
		sink->line(sink->data, line_no, l->buf, len);
}

/* Feeds `n` bytes just read; every line they complete goes to `sink`
 * before it returns. */
static inline void mqc_lines_feed(struct mqc_lines *l, const char *data, size_t n,
                                  const struct mqc_lines_sink *sink)
{
	while (n > 0) {
		const char *newline = (const char *)memchr(data, '\n', n);
		size_t part = newline ? (size_t)(newline - data) : n;
		mqc_lines_take_(l, data, part);
		if (!newline)
			return;
		mqc_lines_end_(l, sink);
		data += part + 1;
		n -= part + 1;
	}
}

/* Ends the unfinished line, if any, as if its newline had come: at end of
 * input, or when the writer has been quiet long enough. */
static inline void mqc_lines_finish(struct mqc_lines *l, const struct mqc_lines_sink *sink)
{
	if (mqc_lines_pending(l))
		mqc_lines_end_(l, sink);
}

#ifdef __cplusplus
}
#endif

#endif /* MQCHAT_LINES_H */
