/* SPDX-License-Identifier: MIT */
/*
 * The json wire format's one usual shape, read without building a tree.
 *
 * Every mqchat writes its messages the same way (json_encode(): compact,
 * the members in PRODUCT order, "v":1).  jansson builds a tree of a dozen
 * allocations to read one (2 µs; bench/README.md, "Figures the code
 * refers to"), which a receiver pays for every delivery.  This reads that
 * one shape in place, in a tenth of the time.  Anything else (another
 * order, whitespace inside, an escape, a control byte, bad UTF-8, a number
 * that is not a plain whole number of at most 15 digits, another member)
 * it declines, and json_decode() gives the payload to jansson, which stays
 * the judge of JSON.  What it accepts, jansson reads the same: the fuzz target
 * fuzz_json_envelope checks that json_decode() agrees with jansson alone
 * on every input.
 */
#ifndef MQC_JSON_ENVELOPE_H
#define MQC_JSON_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

/* JSON's whitespace and digits (RFC 8259), for every hand scan of a
 * payload. */
static inline bool json_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool json_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A member's string: `s` NULL when the member is absent or not a string.
 * Not NUL-terminated; it may hold NUL bytes (jansson's "\u0000"). */
struct json_span {
	const char *s;
	size_t len;
};

/* The members json_decode() reads, as found. */
struct json_members {
	struct json_span id, nick, type, text, origin;
	double ts, hops; /* NAN when absent or not a number */
};

/*
 * Reads `len` bytes at `payload` (surrounding JSON whitespace allowed)
 * when they are exactly
 *
 *     {"v":1,"id":S,"nick":S,"ts":N,"type":S,"text":S}
 *
 * or that with ,"origin":S,"hops":N before the brace, where S is a
 * string without escapes or control bytes and N a whole number.  The spans
 * point into `payload`.  False, *m meaningless, for anything else.
 */
bool json_envelope_read(const char *payload, size_t len, struct json_members *m);

#endif
