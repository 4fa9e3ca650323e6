/* SPDX-License-Identifier: MIT */
/*
 * A stream of lines, as a FIFO writer or a pipe into standard input gives
 * it, cut by mqc_lines (include/mqchat/lines.h) in reads of any size.
 * Checked against a plain split of the whole input: every line comes once,
 * in order and numbered from 1, with its bytes (less one CR before the
 * newline), and a line longer than max_line comes as overlong with its
 * length, never cut.
 */
#include <stdlib.h>
#include <string.h>

#include <mqchat/lines.h>

#include "fuzz_util.h"

/* Walks the expected lines of the input while the sink is called. */
struct expect {
	const char *rest; /* what the plain split has not reached */
	size_t left;
	size_t max_line;
	size_t line_no;
};

/* The next line of the plain split: its bytes and length (no newline, no
 * CR before it). */
static const char *next_line(struct expect *e, size_t *len)
{
	fuzz_require(e->left > 0, "a line the input does not have");
	const char *line = e->rest;
	const char *nl = memchr(line, '\n', e->left);
	size_t n = nl ? (size_t)(nl - line) : e->left;
	e->rest += n + (nl != NULL);
	e->left -= n + (nl != NULL);
	e->line_no++;
	*len = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
	return line;
}

static void on_line(void *data, size_t line_no, const char *line, size_t len)
{
	struct expect *e = data;
	size_t want_len;
	const char *want = next_line(e, &want_len);
	fuzz_require(line_no == e->line_no, "a line numbered out of order");
	fuzz_require(len == want_len && len <= e->max_line, "a line of the wrong length");
	fuzz_require(len == 0 || memcmp(line, want, len) == 0, "a line with other bytes");
}

static void on_overlong(void *data, size_t line_no, unsigned long long len)
{
	struct expect *e = data;
	size_t want_len;
	next_line(e, &want_len);
	fuzz_require(line_no == e->line_no, "an overlong line numbered out of order");
	fuzz_require(len == want_len && want_len > e->max_line, "an overlong line misjudged");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max_line = 1 + data[0] % 64, chunk = 1 + data[1] % 17;
	char *input = fuzz_copy(data + 2, size - 2);
	size_t len = size - 2;
	struct expect e = {input, len, max_line, 0};
	struct mqc_lines_sink sink = {.data = &e, .line = on_line, .overlong = on_overlong};
	struct mqc_lines lines;
	fuzz_require(mqc_lines_init(&lines, max_line), "out of memory");
	for (size_t at = 0; at < len; at += chunk)
		mqc_lines_feed(&lines, input + at, len - at < chunk ? len - at : chunk, &sink);
	mqc_lines_finish(&lines, &sink);
	fuzz_require(e.left == 0, "input left that no line carried");
	mqc_lines_free(&lines);
	free(input);
	return 0;
}
