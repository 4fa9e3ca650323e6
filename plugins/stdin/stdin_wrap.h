/* SPDX-License-Identifier: MIT */
/*
 * Wrapping a line for the terminal ourselves, with a hanging indent: every
 * row after the first starts with blanks, so the left edge holds only the
 * start of a line.  mqchat's own lines start there with "-- "; a received
 * message can then never put that at the left edge by padding its text to
 * the width of the window.
 */
#ifndef MQC_STDIN_WRAP_H
#define MQC_STDIN_WRAP_H

#include <stdbool.h>
#include <stddef.h>

/* True when what `text` shows first, past colour sequences and characters
 * that take no column, is `mark`. */
bool stdin_wrap_starts_with(const char *text, size_t len, const char *mark);

/* Columns of blanks that start each row after a line's first. */
unsigned stdin_wrap_indent(unsigned width);

/* Writes `len` bytes of `in` (UTF-8 text, and SGR sequences "ESC [ ... m"
 * that take no column) into `out` cut into rows of at most `width` columns
 * (wcwidth), rows joined by "\r\n" and `indent` blanks; no newline at the
 * end.  With `out` NULL only counts.  Returns the length of the result. */
size_t stdin_wrap(const char *in, size_t len, unsigned width, unsigned indent, char *out);

#endif
