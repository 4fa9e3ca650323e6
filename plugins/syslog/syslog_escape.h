/* SPDX-License-Identifier: MIT */
/*
 * Turning any text into the body of exactly one log record.
 */
#ifndef MQCHAT_SYSLOG_ESCAPE_H
#define MQCHAT_SYSLOG_ESCAPE_H

#include <stddef.h>

/* Appended where a body was cut: visible, and never mistaken for an escape. */
#define SYSLOG_CUT_MARKER "\xe2\x80\xa6[cut]"
#define SYSLOG_CUT_MARKER_LEN (sizeof SYSLOG_CUT_MARKER - 1)

/* The longest escape written for one input character ("\u2028"). */
#define SYSLOG_ESCAPE_MAX 6

/* The smallest max_length syslog_escape() accepts: room for the marker
 * after at least one escaped character. */
#define SYSLOG_ESCAPE_MIN_LENGTH (SYSLOG_CUT_MARKER_LEN + SYSLOG_ESCAPE_MAX)

/*
 * Writes the `len` bytes of `in` (any bytes at all) to `out` as one line of
 * printable, valid UTF-8 of at most `max_length` bytes, NUL-terminated, and
 * returns its length.  `out` must hold max_length + 1 bytes and
 * max_length must be at least SYSLOG_ESCAPE_MIN_LENGTH.
 *
 *   "\\" -> "\\\\", newline -> "\\n", CR -> "\\r", tab -> "\\t",
 *   other C0 bytes and DEL -> "\\xNN", bytes that are not UTF-8 -> "\\xNN",
 *   C1 controls, U+2028, U+2029 and bidi controls -> "\\uNNNN".
 *
 * Backslashes are doubled so that an escape in the log always means what
 * it says: the text "a\nb" typed by a user cannot pass for a newline.
 * When the escaped text is longer than max_length it is cut between two
 * characters (never inside a character or an escape) and
 * SYSLOG_CUT_MARKER is appended, within max_length.
 */
size_t syslog_escape(const char *in, size_t len, char *out, size_t max_length);

#endif
