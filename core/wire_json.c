/* SPDX-License-Identifier: MIT */
#include "wire_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mqchat/msg_type.h>

#include "json_envelope.h"
#include "nick.h"
#include "sanitize.h"

/* STATUS is never sent, but if it ever were it must still be something
 * every reader understands. */
static const char *type_name(enum mqc_msg_type type)
{
	bool other = type == MQC_MSG_ACTION || type == MQC_MSG_JOIN || type == MQC_MSG_LEAVE;
	return other ? mqc_msg_type_name(type) : "message";
}

/* jansson refuses strings that are not UTF-8; ours always are, but a wrong
 * byte must cost a U+FFFD, not the message. */
static json_t *utf8_string(const char *s)
{
	if (!s)
		s = "";
	json_t *str = json_string(s);
	if (str)
		return str;
	struct strbuf clean = STRBUF_INIT;
	sanitize_append(&clean, s, strlen(s));
	str = json_string(strbuf_str(&clean));
	strbuf_free(&clean);
	return str;
}

static int append_to_strbuf(const char *bytes, size_t len, void *data)
{
	strbuf_append(data, bytes, len);
	return 0;
}

void json_encode(struct strbuf *out, const struct mqc_message *msg)
{
	/* jansson keeps insertion order when dumping (since 2.8), which gives
	 * the PRODUCT order. */
	json_t *obj = json_object();
	json_object_set_new(obj, "v", json_integer(1));
	json_object_set_new(obj, "id", utf8_string(msg->id));
	json_object_set_new(obj, "nick", utf8_string(msg->nick));
	json_object_set_new(obj, "ts", json_integer((json_int_t)msg->time_ms));
	json_object_set_new(obj, "type", json_string(type_name(msg->type)));
	json_object_set_new(obj, "text", utf8_string(msg->text));
	if (msg->hops > 0) {
		json_object_set_new(obj, "origin", utf8_string(msg->origin));
		json_object_set_new(obj, "hops", json_integer((json_int_t)msg->hops));
	}
	json_dump_callback(obj, append_to_strbuf, out, JSON_COMPACT);
	json_decref(obj);
}

/* The type a "type" member names, read as far as a NUL as strcmp() would.
 * A status line is the core's own: no payload can claim to be one. */
static enum mqc_msg_type type_from(struct json_span name)
{
	char word[sizeof "message"];
	if (!name.s)
		return MQC_MSG_MESSAGE;
	size_t len = strnlen(name.s, name.len);
	if (len >= sizeof word)
		return MQC_MSG_MESSAGE;
	memcpy(word, name.s, len);
	word[len] = '\0';
	enum mqc_msg_type type;
	return mqc_msg_type_from_name(word, &type) && type != MQC_MSG_STATUS ? type : MQC_MSG_MESSAGE;
}

static int64_t timestamp_from(double v)
{
	if (!isfinite(v) || v < 1 || v > (double)JSON_MAX_TS_MS || v != floor(v))
		return 0;
	return (int64_t)v;
}

/* A copy of a string member, or "" when the member is missing or not a
 * string. */
static char *string_member(struct json_span value, size_t *len)
{
	*len = value.len;
	return value.s ? xstrndup(value.s, value.len) : xstrdup("");
}

/* The sender's nick, cleaned by the nick rule (nick.h); "" (sender
 * unknown: the topic is shown) when it is missing, not a string, or
 * breaks the rule even once cleaned. */
static char *nick_member(struct json_span value, size_t *len)
{
	struct strbuf nick = STRBUF_INIT;
	if (value.s)
		nick_clean(&nick, value.s, value.len);
	*len = nick.len;
	return nick.len ? strbuf_take(&nick) : xstrdup("");
}

/* Length of the JSON number (RFC 8259 grammar) at `s`, 0 when none. */
static size_t number_length(const char *s, size_t len)
{
	size_t i = s[0] == '-';
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && json_is_digit(s[i]))
		while (i < len && json_is_digit(s[i]))
			i++;
	else
		return 0;
	if (i + 1 < len && s[i] == '.' && json_is_digit(s[i + 1]))
		for (i++; i < len && json_is_digit(s[i]);)
			i++;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1 + (i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-'));
		if (j < len && json_is_digit(s[j]))
			for (i = j; i < len && json_is_digit(s[i]);)
				i++;
	}
	return i;
}

/* True when the number's magnitude is beyond a double's range (strtod:
 * mqchat sets only LC_CTYPE, so the decimal point is '.'). */
static bool number_overflows(const char *s, size_t len)
{
	char *copy = xstrndup(s, len);
	bool huge = isinf(strtod(copy, NULL));
	free(copy);
	return huge;
}

/* The value of the four hex digits at `s`, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = json_is_digit(c)       ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Repairs the escape at `s` (a backslash inside a string, `len` bytes
 * left): "\u0000" becomes "\u0001", a UTF-16 surrogate that is not half of
 * a pair "\uFFFD".  Returns the length of what it looked at. */
static size_t repair_escape(char *s, size_t len)
{
	long v = len >= 6 && s[1] == 'u' ? hex4(s + 2) : -1;
	if (v < 0)
		return len < 2 ? len : 2;
	if (v == 0) {
		s[5] = '1';
	} else if (v >= 0xD800 && v <= 0xDBFF) {
		long low = len >= 12 && s[6] == '\\' && s[7] == 'u' ? hex4(s + 8) : -1;
		if (low >= 0xDC00 && low <= 0xDFFF)
			return 12; /* a pair: one character */
		memcpy(s + 2, "FFFD", 4);
	} else if (v >= 0xDC00 && v <= 0xDFFF) {
		memcpy(s + 2, "FFFD", 4);
	}
	return 6;
}

/*
 * jansson refuses a whole document for one number beyond a double's range
 * ("ts":1e400), a "\u0000" in a key or a lone UTF-16 surrogate ("\ud800"),
 * all valid JSON grammar, where a bad member must cost only itself.
 * Rewrites them in place: outside strings each such number as null padded
 * with spaces (at least "1e309": never shorter than "null"); inside strings
 * each "\u0000" as "\u0001", which the sanitiser removes just the same,
 * and each lone surrogate as U+FFFD, as the sanitiser shows any character
 * that is not one.  Everything else stays, so a document wrong for any
 * other reason is still refused.
 */
static void repair_members(char *s, size_t len)
{
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '"')
				in_string = false;
			else if (s[i] == '\\')
				i += repair_escape(s + i, len - i) - 1;
		} else if (s[i] == '"') {
			in_string = true;
		} else if (s[i] == '-' || json_is_digit(s[i])) {
			size_t n = number_length(s + i, len - i);
			if (n >= 4 && number_overflows(s + i, n)) {
				memcpy(s + i, "null", 4);
				memset(s + i + 4, ' ', n - 4);
			}
			i += n ? n - 1 : 0;
		}
	}
}

/* Worth a repair and a second try: what repair_members() mends ends in
 * one of these (a lone surrogate is a syntax error to jansson). */
static bool maybe_repairable(const json_error_t *error)
{
	enum json_error_code code = json_error_code(error);
	return code == json_error_numeric_overflow || code == json_error_null_byte_in_key ||
	       code == json_error_invalid_syntax;
}

/* Every number is parsed as a double (JSON_DECODE_INT_AS_REAL), so that a
 * 30-digit "ts" loses the time instead of the whole message. */
static json_t *load(const char *payload, size_t len)
{
	const size_t flags = JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL;
	json_error_t error;
	json_t *root = json_loadb(payload, len, flags, &error);
	if (root || !maybe_repairable(&error))
		return root;
	char *copy = xstrndup(payload, len);
	repair_members(copy, len);
	root = json_loadb(copy, len, flags, &error);
	free(copy);
	return root;
}

/* A relayed message's "hops": a whole number from 1; 0 otherwise (a
 * sender's nonsense is taken as "not relayed", never as a huge count).
 * Numbers are read as reals (see load()). */
static unsigned hops_from(double n)
{
	return n >= 1 && n <= JSON_MAX_HOPS && n == (double)(unsigned)n ? (unsigned)n : 0;
}

static struct json_span span_of(const json_t *value)
{
	if (!json_is_string(value))
		return (struct json_span){0};
	return (struct json_span){json_string_value(value), json_string_length(value)};
}

static double number_of(const json_t *value)
{
	return json_is_number(value) ? json_number_value(value) : NAN;
}

/* The members of jansson's tree `root` (spans valid while it lives). */
static void members_of(const json_t *root, struct json_members *m)
{
	*m = (struct json_members){
		.id = span_of(json_object_get(root, "id")),
		.nick = span_of(json_object_get(root, "nick")),
		.type = span_of(json_object_get(root, "type")),
		.text = span_of(json_object_get(root, "text")),
		.origin = span_of(json_object_get(root, "origin")),
		.ts = number_of(json_object_get(root, "ts")),
		.hops = number_of(json_object_get(root, "hops")),
	};
}

static void decode_members(const struct json_members *m, struct json_decoded *out)
{
	out->type = type_from(m->type);
	out->ts_ms = timestamp_from(m->ts);
	out->id = string_member(m->id, &out->id_len);
	out->nick = nick_member(m->nick, &out->nick_len);
	out->text = string_member(m->text, &out->text_len);
	out->origin = string_member(m->origin, &out->origin_len);
	out->hops = hops_from(m->hops);
}

bool json_decode_by_jansson(const char *payload, size_t len, struct json_decoded *out)
{
	*out = (struct json_decoded){0};
	/* Cheap rejection of the common case, plain text, before jansson
	 * builds an error message for it. */
	size_t start = 0;
	while (start < len && json_is_space(payload[start]))
		start++;
	if (start == len || payload[start] != '{')
		return false;

	json_t *root = load(payload, len);
	if (!root)
		return false;
	struct json_members m;
	members_of(root, &m);
	bool taken = json_is_object(root) && m.text.s;
	if (taken)
		decode_members(&m, out);
	json_decref(root);
	return taken;
}

bool json_decode(const char *payload, size_t len, struct json_decoded *out)
{
	struct json_members m;
	if (!json_envelope_read(payload, len, &m))
		return json_decode_by_jansson(payload, len, out);
	*out = (struct json_decoded){0};
	decode_members(&m, out);
	return true;
}

void json_decoded_free(struct json_decoded *d)
{
	free(d->id);
	free(d->nick);
	free(d->text);
	free(d->origin);
	*d = (struct json_decoded){0};
}
