/* SPDX-License-Identifier: MIT */
/*
 * One record per message, whatever the message holds: every character that
 * a syslog daemon, a terminal or a log reader could take for a line break
 * or a control becomes a visible backslash escape.
 */
#include "syslog_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mqchat/utf8.h>

/* Code points that are valid UTF-8 yet break lines (U+0085, U+2028,
 * U+2029), act as controls (C1), or reorder what a reader sees (bidi). */
static bool needs_unicode_escape(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The representation of the character at `in` in `piece` (at least
 * SYSLOG_ESCAPE_MAX + 1 bytes); returns how many input bytes it used and
 * sets *piece_len. */
static size_t escape_one(const unsigned char *in, size_t left, char *piece,
                         size_t *piece_len)
{
	uint32_t cp;
	size_t used = mqc_utf8_decode((const char *)in, left, &cp);

	if (used == 0) {
		*piece_len = (size_t)snprintf(piece, SYSLOG_ESCAPE_MAX + 1, "\\x%02X", in[0]);
		return 1;
	}
	switch (cp) {
	case '\\': memcpy(piece, "\\\\", 2), *piece_len = 2; return used;
	case '\n': memcpy(piece, "\\n", 2), *piece_len = 2; return used;
	case '\r': memcpy(piece, "\\r", 2), *piece_len = 2; return used;
	case '\t': memcpy(piece, "\\t", 2), *piece_len = 2; return used;
	default: break;
	}
	if (cp < 0x20 || cp == 0x7f)
		*piece_len = (size_t)snprintf(piece, SYSLOG_ESCAPE_MAX + 1, "\\x%02X", (unsigned)cp);
	else if (needs_unicode_escape(cp))
		*piece_len = (size_t)snprintf(piece, SYSLOG_ESCAPE_MAX + 1, "\\u%04X", (unsigned)cp);
	else
		memcpy(piece, in, used), *piece_len = used;
	return used;
}

size_t syslog_escape(const char *in, size_t len, char *out, size_t max_length)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t out_len = 0;
	/* Where the output stood when there was still room for the marker
	 * after it: the place to cut if the rest does not fit. */
	size_t cut_at = 0;
	char piece[SYSLOG_ESCAPE_MAX + 1];
	size_t piece_len;

	while (len > 0) {
		size_t used = escape_one(p, len, piece, &piece_len);

		if (out_len + piece_len > max_length) {
			memcpy(out + cut_at, SYSLOG_CUT_MARKER, SYSLOG_CUT_MARKER_LEN);
			out_len = cut_at + SYSLOG_CUT_MARKER_LEN;
			break;
		}
		memcpy(out + out_len, piece, piece_len);
		out_len += piece_len;
		if (out_len + SYSLOG_CUT_MARKER_LEN <= max_length)
			cut_at = out_len;
		p += used;
		len -= used;
	}
	out[out_len] = '\0';
	return out_len;
}
