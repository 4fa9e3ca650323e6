/* SPDX-License-Identifier: MIT */
/*
 * Splitting a byte stream into lines with bounded memory: a line longer than
 * STDIN_MAX_LINE is not kept but counted, and reported once its end is seen.
 */
#ifndef MQC_STDIN_LINES_H
#define MQC_STDIN_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct stdin_lines_sink {
	void *data;
	/* A complete line, without its newline and without a '\r' before it. */
	void (*line)(void *data, size_t line_no, const char *line, size_t len);
	/* A line of `len` bytes that was too long to keep. */
	void (*overlong)(void *data, size_t line_no, size_t len);
};

struct stdin_lines {
	char *buf;          /* the partial line, up to STDIN_MAX_LINE + 1 bytes */
	size_t len, cap;
	size_t line_no;     /* 1-based number of the line being read */
	bool skipping;      /* inside an overlong line: counting, not keeping */
	size_t skipped;     /* bytes of the overlong line so far */
	bool skipped_cr;    /* its last byte so far was '\r' */
};

void stdin_lines_init(struct stdin_lines *l);
/* Calls the sink for every line `data` completes. */
void stdin_lines_feed(struct stdin_lines *l, const char *data, size_t n,
                      const struct stdin_lines_sink *sink);
/* End of input: a last line without a newline still counts. */
void stdin_lines_finish(struct stdin_lines *l, const struct stdin_lines_sink *sink);
void stdin_lines_free(struct stdin_lines *l);

#endif
