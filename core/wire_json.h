/* SPDX-License-Identifier: MIT */
/*
 * The `json` wire format (PRODUCT.md): one compact UTF-8 JSON object
 *
 *     {"v":1,"id":"…","nick":"…","ts":<unix ms>,"type":"message","text":"…"}
 *
 * with the fields in exactly that order; a message a bridge relayed adds
 * "origin":"NETWORK:ROOM","hops":N after "text".  Printing goes through
 * jansson, and so does parsing, but for that usual shape, which
 * json_envelope.h reads in place.  The other scan by hand
 * (repair_members() in wire_json.c) only rewrites what jansson refused for
 * a single bad member; jansson still judges the result.
 */
#ifndef MQC_WIRE_JSON_H
#define MQC_WIRE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

/* The largest `ts` taken as a time: 2^53, the last integer a JSON number
 * read as a double keeps exactly (the year 287 396). */
#define JSON_MAX_TS_MS (INT64_C(1) << 53)
/* The largest "hops" read as one; more counts as not relayed. */
#define JSON_MAX_HOPS 255

/*
 * Appends `msg` to `out` in the json wire format, compact, fields in the
 * PRODUCT order.  NULL strings count as "".  A STATUS message (never sent)
 * is written as "message".  Strings that are not valid UTF-8 (the core's
 * never are) are sanitised first, so the output is always valid JSON.
 */
void json_encode(struct strbuf *out, const struct mqc_message *msg);

/*
 * A received json payload.  Every string is a NUL-terminated copy owned by
 * the struct (free it with json_decoded_free).  `nick` is already cleaned
 * by the nick rule (nick_clean(), nick.h); `id` and `text` are NOT
 * sanitised: the core runs sanitize_append() over each one, with its *_len,
 * before any frontend sees it.  A string may contain NUL bytes (JSON
 * "\u0000" is accepted rather than turning the whole message into raw
 * text); the lengths count them, and the sanitiser removes them.
 */
struct json_decoded {
	enum mqc_msg_type type; /* "action" | "join" | "leave", else MESSAGE */
	char *id;               /* "" when absent or not a string */
	char *nick;             /* "" when absent, not a string, or refused by
	                           the nick rule: the sender is then unknown */
	char *text;
	char *origin;           /* "" when absent or not a string (not sanitised) */
	size_t id_len, nick_len, text_len, origin_len;
	unsigned hops;          /* 1..JSON_MAX_HOPS; 0 when absent or not one */
	int64_t ts_ms; /* 1..JSON_MAX_TS_MS; 0 when absent, not a number, not a
	                  whole number, negative or too large */
};

/*
 * Decodes `len` bytes at `payload` (need not be NUL-terminated).  Returns
 * true, and fills `out`, only for one complete JSON object (surrounding
 * whitespace allowed) with a string member "text".  Returns false, leaving
 * `out` zeroed (json_decoded_free on it is harmless), for anything else:
 * invalid JSON or UTF-8, arrays, strings, numbers, null, an object without
 * a string "text", or nesting deeper than jansson's limit (2048).  The
 * caller then treats the payload as plain text.  A bad member costs only
 * itself: a member whose value is a number beyond a double's range (which
 * jansson refuses, "1e400") counts as null, a "\u0000" in a key as
 * "\u0001", so that member is ignored like any other of the wrong kind;
 * a lone UTF-16 surrogate escape ("\ud800") becomes U+FFFD.
 * Other members ("v", unknown keys) are ignored; a repeated key counts once,
 * its last value.
 */
bool json_decode(const char *payload, size_t len, struct json_decoded *out);

/* json_decode() without its quick reading of the usual shape
 * (json_envelope.h): jansson alone.  The same answer on every input; the
 * fuzz target that checks this is its caller. */
bool json_decode_by_jansson(const char *payload, size_t len, struct json_decoded *out);

/* Frees the strings of a decoded payload and zeroes it. */
void json_decoded_free(struct json_decoded *d);

#endif
