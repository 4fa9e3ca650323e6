/* SPDX-License-Identifier: MIT */
/*
 * Makes untrusted bytes safe to show: the result is valid UTF-8 with no NUL,
 * no C0/C1 control character, no terminal escape sequence (CSI, OSC, DCS and
 * the other string sequences are removed whole, not just their ESC), and no
 * bidi override or isolate.  Invalid UTF-8 becomes U+FFFD; tabs, newlines and
 * other line breaks become one space each, so one message stays one line.
 */
#ifndef MQC_SANITIZE_H
#define MQC_SANITIZE_H

#include <stddef.h>

#include "strbuf.h"

/* Appends the sanitised form of `len` bytes at `in` to `out`. */
void sanitize_append(struct strbuf *out, const char *in, size_t len);

/* The same for a name (a nick), and every invisible format character
 * (Unicode Cf: soft hyphen, zero-width space and joiners, LRM, RLM, ALM,
 * word joiner, BOM, tag characters, ...) is removed as well: in a name they
 * serve only to make two names look alike.  Text keeps them (emoji and some
 * scripts need the joiners). */
void sanitize_name_append(struct strbuf *out, const char *in, size_t len);

#endif
