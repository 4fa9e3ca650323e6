/* SPDX-License-Identifier: MIT */
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>

#include <mqchat/utf8.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* The kinds of escape sequence we may be inside of. */
enum escape_state {
	ESC_NONE,
	ESC_START,  /* after ESC */
	ESC_CSI,    /* ESC [ or U+009B: parameters until a final byte */
	ESC_STRING, /* OSC, DCS, SOS, PM, APC: until BEL or ST */
	ESC_STRING_ESC, /* ESC inside a string: maybe the start of ST */
	ESC_NF,     /* ESC followed by intermediates, until a final byte */
};

static bool is_line_break(unsigned cp)
{
	return cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' ||
	       cp == '\f' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

static bool is_bidi_control(unsigned cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static bool is_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Unicode's invisible format characters (general category Cf, Unicode 15.1;
 * the bidi controls above are Cf too), and the whole tag block. */
static bool is_format_char(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
		{0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},
		{0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},
		{0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
		{0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
		{0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
		{0x1D173, 0x1D17A}, {0xE0000, 0xE007F},
	};
	if (cp < 0xAD)
		return false;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* Advances the escape-sequence state by one code point; returns true when
 * the code point belongs to a sequence (and so must not be shown). */
static bool escape_step(enum escape_state *st, unsigned cp)
{
	switch (*st) {
	case ESC_NONE:
		if (cp == 0x1B)
			*st = ESC_START;
		else if (cp == 0x9B)
			*st = ESC_CSI;
		else if (cp == 0x90 || cp == 0x98 || cp == 0x9D || cp == 0x9E || cp == 0x9F)
			*st = ESC_STRING;
		else
			return false;
		return true;
	case ESC_START:
		if (cp == '[')
			*st = ESC_CSI;
		else if (cp == ']' || cp == 'P' || cp == 'X' || cp == '^' || cp == '_')
			*st = ESC_STRING;
		else if (cp >= 0x20 && cp <= 0x2F)
			*st = ESC_NF;
		else if (cp >= 0x30 && cp <= 0x7E)
			*st = ESC_NONE; /* a two-character sequence such as ESC c */
		else {
			*st = ESC_NONE; /* a lone ESC: drop it, judge cp afresh */
			return escape_step(st, cp);
		}
		return true;
	case ESC_CSI:
		if (cp >= 0x20 && cp <= 0x3F)
			return true;
		*st = ESC_NONE;
		if (cp >= 0x40 && cp <= 0x7E)
			return true;
		return escape_step(st, cp); /* malformed: the sequence ends here */
	case ESC_NF:
		if (cp >= 0x20 && cp <= 0x2F)
			return true;
		*st = ESC_NONE;
		if (cp >= 0x30 && cp <= 0x7E)
			return true;
		return escape_step(st, cp);
	case ESC_STRING:
		if (cp == 0x07 || cp == 0x9C)
			*st = ESC_NONE;
		else if (cp == 0x1B)
			*st = ESC_STRING_ESC;
		return true;
	case ESC_STRING_ESC:
		/* ESC \ ends the string; any other ESC x ends it too and is
		 * itself a sequence start, as terminals treat it. */
		*st = ESC_NONE;
		if (cp == '\\')
			return true;
		*st = ESC_START;
		return escape_step(st, cp);
	}
	return false;
}

static void sanitize(struct strbuf *out, const char *in, size_t len, bool name)
{
	enum escape_state st = ESC_NONE;
	size_t i = 0, run = 0; /* in[run, i) is shown as it is */
	while (i < len) {
		/* Printable ASCII, most of any text, is shown as it is: pass over
		 * it in a loop of its own. */
		while (st == ESC_NONE && i < len && (unsigned char)in[i] - 0x20u < 0x7Fu - 0x20u)
			i++;
		if (i == len)
			break;
		uint32_t cp;
		size_t n = (unsigned char)in[i] < 0x80 ? (cp = (unsigned char)in[i], 1)
		                                      : mqc_utf8_decode(in + i, len - i, &cp);
		if (n == 0) {
			strbuf_append(out, in + run, i - run);
			strbuf_appends(out, REPLACEMENT);
			run = ++i;
			continue;
		}
		size_t at = i;
		i += n;
		bool esc = escape_step(&st, cp);
		if (!esc && !is_line_break(cp) && !is_control(cp) && !is_bidi_control(cp) &&
		    !(name && is_format_char(cp)))
			continue;
		strbuf_append(out, in + run, at - run);
		if (!esc && is_line_break(cp))
			strbuf_appendc(out, ' ');
		run = i;
	}
	strbuf_append(out, in + run, i - run);
}

void sanitize_append(struct strbuf *out, const char *in, size_t len)
{
	sanitize(out, in, len, false);
}

void sanitize_name_append(struct strbuf *out, const char *in, size_t len)
{
	sanitize(out, in, len, true);
}
