/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_json.h"
#include "check_run.h"

static char *encode(enum mqc_msg_type type, const char *id, const char *nick, int64_t ts,
                    const char *text)
{
	struct mqc_message msg = {.type = type, .id = id, .nick = nick, .time_ms = ts,
	                          .text = text, .topic = "t", .sender_id = "s"};
	struct strbuf sb = STRBUF_INIT;
	json_encode(&sb, &msg);
	return strbuf_take(&sb);
}

static bool decode_str(const char *payload, struct json_decoded *d)
{
	return json_decode(payload, strlen(payload), d);
}

START_TEST(encodes_exactly_the_product_fields_in_order)
{
	char *got = encode(MQC_MSG_MESSAGE, "a1b2", "Ana", 1700000000123, "hola");
	ck_assert_str_eq(got, "{\"v\":1,\"id\":\"a1b2\",\"nick\":\"Ana\",\"ts\":1700000000123,"
	                      "\"type\":\"message\",\"text\":\"hola\"}");
	free(got);
}
END_TEST

/* A relayed message carries where it was first said and its hops, after
 * the text; read back as a whole number from 1, anything else as 0. */
START_TEST(relayed_messages_carry_origin_and_hops)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "c0", .nick = "Ana@one",
	                          .text = "hola", .time_ms = 5, .origin = "one:room1", .hops = 2};
	struct strbuf sb = STRBUF_INIT;
	json_encode(&sb, &msg);
	ck_assert_str_eq(strbuf_str(&sb), "{\"v\":1,\"id\":\"c0\",\"nick\":\"Ana@one\",\"ts\":5,"
	                 "\"type\":\"message\",\"text\":\"hola\",\"origin\":\"one:room1\","
	                 "\"hops\":2}");
	struct json_decoded d;
	ck_assert(json_decode(sb.data, sb.len, &d));
	ck_assert_str_eq(d.origin, "one:room1");
	ck_assert_uint_eq(d.hops, 2);
	json_decoded_free(&d);
	strbuf_free(&sb);
	static const char *const odd[] = {"0", "-1", "1.5", "256", "\"2\"", "null", "1e400"};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		char payload[96];
		snprintf(payload, sizeof payload, "{\"text\":\"x\",\"origin\":\"a:b\",\"hops\":%s}",
		         odd[i]);
		ck_assert(decode_str(payload, &d));
		ck_assert_msg(d.hops == 0, "hops %s read as %u", odd[i], d.hops);
		json_decoded_free(&d);
	}
}
END_TEST

START_TEST(encodes_every_type)
{
	const struct {
		enum mqc_msg_type type;
		const char *name;
	} cases[] = {{MQC_MSG_MESSAGE, "\"type\":\"message\""},
	             {MQC_MSG_ACTION, "\"type\":\"action\""},
	             {MQC_MSG_JOIN, "\"type\":\"join\""},
	             {MQC_MSG_LEAVE, "\"type\":\"leave\""},
	             /* never sent, but never invalid either */
	             {MQC_MSG_STATUS, "\"type\":\"message\""},
	             {(enum mqc_msg_type)99, "\"type\":\"message\""}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = encode(cases[i].type, "x", "n", 1, "t");
		ck_assert_msg(strstr(got, cases[i].name), "%s lacks %s", got, cases[i].name);
		free(got);
	}
}
END_TEST

START_TEST(null_strings_are_empty)
{
	char *got = encode(MQC_MSG_JOIN, NULL, NULL, 5, NULL);
	ck_assert_str_eq(got, "{\"v\":1,\"id\":\"\",\"nick\":\"\",\"ts\":5,\"type\":\"join\","
	                      "\"text\":\"\"}");
	free(got);
}
END_TEST

START_TEST(escapes_what_json_needs_and_keeps_utf8)
{
	char *got = encode(MQC_MSG_MESSAGE, "i", "Zoë", 1, "say \"hi\" \\ / é 😀");
	ck_assert_str_eq(got, "{\"v\":1,\"id\":\"i\",\"nick\":\"Zoë\",\"ts\":1,"
	                      "\"type\":\"message\",\"text\":\"say \\\"hi\\\" \\\\ / é 😀\"}");
	free(got);
}
END_TEST

START_TEST(invalid_utf8_in_a_message_still_makes_valid_json)
{
	char *got = encode(MQC_MSG_MESSAGE, "i", "n", 1, "bad \xff byte");
	struct json_decoded d;
	ck_assert(decode_str(got, &d));
	ck_assert_str_eq(d.text, "bad \xef\xbf\xbd byte"); /* U+FFFD */
	json_decoded_free(&d);
	free(got);
}
END_TEST

START_TEST(round_trip_every_type)
{
	const enum mqc_msg_type types[] = {MQC_MSG_MESSAGE, MQC_MSG_ACTION, MQC_MSG_JOIN,
	                                   MQC_MSG_LEAVE};
	const char *texts[] = {"plain", "émoji 🎉 and 中文", "quote \" backslash \\ tab\t nl\n",
	                       ""};
	for (size_t t = 0; t < 4; t++) {
		for (size_t x = 0; x < 4; x++) {
			char *wire = encode(types[t], "0123456789abcdef", "Bea", 1732570000000,
			                    texts[x]);
			struct json_decoded d;
			ck_assert_msg(decode_str(wire, &d), "cannot decode %s", wire);
			ck_assert_int_eq(d.type, types[t]);
			ck_assert_str_eq(d.id, "0123456789abcdef");
			ck_assert_str_eq(d.nick, "Bea");
			ck_assert_str_eq(d.text, texts[x]);
			ck_assert_uint_eq(d.text_len, strlen(texts[x]));
			ck_assert_int_eq(d.ts_ms, 1732570000000);
			json_decoded_free(&d);
			free(wire);
		}
	}
}
END_TEST

START_TEST(decodes_other_writers_json)
{
	struct json_decoded d;
	/* whitespace, other order, unknown members, \u escapes, no "v" */
	ck_assert(decode_str(" \n{ \"text\" : \"caf\\u00e9 \\ud83d\\ude00\", \"extra\": [1, {}],"
	                     " \"nick\": \"Pep\", \"type\": \"action\" }\r\n",
	                     &d));
	ck_assert_str_eq(d.text, "café 😀");
	ck_assert_str_eq(d.nick, "Pep");
	ck_assert_str_eq(d.id, "");
	ck_assert_int_eq(d.type, MQC_MSG_ACTION);
	ck_assert_int_eq(d.ts_ms, 0);
	json_decoded_free(&d);
}
END_TEST

START_TEST(unknown_or_odd_members_have_defaults)
{
	struct json_decoded d;
	ck_assert(decode_str("{\"text\":\"x\",\"type\":\"shout\",\"nick\":42,\"id\":null}", &d));
	ck_assert_int_eq(d.type, MQC_MSG_MESSAGE);
	ck_assert_str_eq(d.nick, "");
	ck_assert_str_eq(d.id, "");
	json_decoded_free(&d);

	ck_assert(decode_str("{\"text\":\"x\",\"type\":[\"join\"]}", &d));
	ck_assert_int_eq(d.type, MQC_MSG_MESSAGE);
	json_decoded_free(&d);

	ck_assert(decode_str("{\"text\":\"x\",\"type\":\"STATUS\"}", &d));
	ck_assert_int_eq(d.type, MQC_MSG_MESSAGE);
	json_decoded_free(&d);

	/* a repeated key: the last one counts */
	ck_assert(decode_str("{\"text\":\"first\",\"text\":\"second\"}", &d));
	ck_assert_str_eq(d.text, "second");
	json_decoded_free(&d);
}
END_TEST

START_TEST(object_without_string_text_is_not_ours)
{
	const char *cases[] = {"{}", "{\"nick\":\"a\"}", "{\"text\":null}", "{\"text\":5}",
	                       "{\"text\":[\"a\"]}", "{\"text\":{\"a\":1}}", "{\"Text\":\"a\"}",
	                       "{\"msg\":{\"text\":\"nested\"}}"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_decoded d;
		ck_assert_msg(!decode_str(cases[i], &d), "accepted %s", cases[i]);
		ck_assert_ptr_null(d.text);
		json_decoded_free(&d); /* harmless on a rejected payload */
	}
}
END_TEST

START_TEST(non_objects_are_not_ours)
{
	const char *cases[] = {"[]", "[{\"text\":\"a\"}]", "\"x\"", "42", "null", "true",
	                       "-1.5e3", "", "   ", "\n"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_decoded d;
		ck_assert_msg(!decode_str(cases[i], &d), "accepted %s", cases[i]);
	}
}
END_TEST

START_TEST(malformed_json_is_not_ours)
{
	const char *cases[] = {
		"{",
		"{\"text\":\"a\"",
		"{\"text\":\"a\",}",
		"{text:\"a\"}",
		"{'text':'a'}",
		"{\"text\":\"a\"} trailing",
		"{\"text\":\"a\"}{\"text\":\"b\"}",
		"{\"text\":\"unterminated}",
		"{\"text\":\"bad escape \\x\"}",
		"{\"text\":\"raw\tcontrol\"}",
		"{\"text\":\"invalid utf8 \xc3\x28\"}",
		"{\"text\":\"a\",\"ts\":NaN}",
		"{\"text\":\"a\",\"ts\":Infinity}",
		"{\"text\":\"a\",\"ts\":0x10}",
		"{\"text\":\"a\" /* comment */}",
		"Ana: {\"text\":\"a\"}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_decoded d;
		ck_assert_msg(!decode_str(cases[i], &d), "accepted %s", cases[i]);
	}
}
END_TEST

START_TEST(payload_need_not_be_nul_terminated)
{
	const char payload[] = "{\"text\":\"ok\"}GARBAGE";
	struct json_decoded d;
	ck_assert(json_decode(payload, 13, &d));
	ck_assert_str_eq(d.text, "ok");
	json_decoded_free(&d);
	ck_assert(!json_decode(payload, 12, &d));
}
END_TEST

START_TEST(embedded_nul_is_kept_with_its_length)
{
	/* "\u0000" is valid JSON: the message is ours, the NUL is counted, and
	 * the core's sanitiser removes it. */
	struct json_decoded d;
	ck_assert(decode_str("{\"text\":\"a\\u0000b\",\"nick\":\"x\\u0000y\"}", &d));
	ck_assert_uint_eq(d.text_len, 3);
	ck_assert(memcmp(d.text, "a\0b", 4) == 0);
	ck_assert_str_eq(d.nick, "xy"); /* the nick comes cleaned */
	ck_assert_uint_eq(d.nick_len, 2);
	json_decoded_free(&d);

	/* In a key, jansson refuses a NUL outright: that member alone is
	 * lost, and a "\\u0000" that is text, not an escape, stays text. */
	ck_assert(decode_str("{\"t\\u0000ext\":\"no\",\"text\":\"a\\\\u0000\"}", &d));
	ck_assert_str_eq(d.text, "a\\u0000");
	json_decoded_free(&d);
	ck_assert(decode_str("{\"text\\u0000\":\"no\",\"text\":\"yes\\u0000\"}", &d));
	ck_assert_uint_eq(d.text_len, 4);
	json_decoded_free(&d);

	/* A raw NUL byte in the payload is not JSON at all. */
	const char raw[] = "{\"text\":\"a\0b\"}";
	ck_assert(!json_decode(raw, sizeof raw - 1, &d));
}
END_TEST

static int64_t ts_of(const char *ts_json)
{
	char payload[512];
	snprintf(payload, sizeof payload, "{\"text\":\"t\",\"ts\":%s}", ts_json);
	struct json_decoded d;
	ck_assert_msg(decode_str(payload, &d), "rejected ts %s", ts_json);
	int64_t ts = d.ts_ms;
	json_decoded_free(&d);
	return ts;
}

START_TEST(timestamps_valid_and_invalid)
{
	ck_assert_int_eq(ts_of("1732570000000"), 1732570000000);
	ck_assert_int_eq(ts_of("1732570000000.0"), 1732570000000); /* a whole number */
	ck_assert_int_eq(ts_of("1.732570000000e12"), 1732570000000);
	ck_assert_int_eq(ts_of("9007199254740992"), JSON_MAX_TS_MS);
	ck_assert_int_eq(ts_of("9007199254740994"), 0); /* the next double up */
	ck_assert_int_eq(ts_of("1"), 1);
	ck_assert_int_eq(ts_of("0"), 0);
	ck_assert_int_eq(ts_of("-1732570000000"), 0);
	ck_assert_int_eq(ts_of("1732570000000.5"), 0);
	ck_assert_int_eq(ts_of("0.5"), 0);
	ck_assert_int_eq(ts_of("\"1732570000000\""), 0);
	ck_assert_int_eq(ts_of("null"), 0);
	ck_assert_int_eq(ts_of("true"), 0);
	ck_assert_int_eq(ts_of("[1]"), 0);
	ck_assert_int_eq(ts_of("{\"ms\":1}"), 0);
}
END_TEST

START_TEST(huge_numbers_cost_the_time_not_the_message)
{
	/* beyond int64, beyond 2^53, beyond 2^64: the message stays ours */
	ck_assert_int_eq(ts_of("9223372036854775807"), 0);
	ck_assert_int_eq(ts_of("9223372036854775808"), 0);
	ck_assert_int_eq(ts_of("-9223372036854775809"), 0);
	ck_assert_int_eq(ts_of("123456789012345678901234567890"), 0);
	ck_assert_int_eq(ts_of("1e300"), 0);
	ck_assert_int_eq(ts_of("1e-400"), 0); /* underflows to 0 */
	/* a 300-digit integer (1e299) still fits a double */
	char digits[302] = "1";
	memset(digits + 1, '0', 299);
	ck_assert_int_eq(ts_of(digits), 0);
	/* huge numbers elsewhere do not matter either */
	struct json_decoded d;
	ck_assert(decode_str("{\"v\":1e308,\"text\":\"ok\",\"x\":99999999999999999999999}", &d));
	ck_assert_str_eq(d.text, "ok");
	json_decoded_free(&d);
}
END_TEST

START_TEST(numbers_beyond_a_double_cost_only_their_member)
{
	/* jansson refuses a number it cannot represent ("real number
	 * overflow"); it counts as null, so "ts" is ignored like any bad one. */
	ck_assert_int_eq(ts_of("1e400"), 0);
	ck_assert_int_eq(ts_of("-1e400"), 0);
	ck_assert_int_eq(ts_of("1.5E+309"), 0);
	char digits[402] = "9";
	memset(digits + 1, '9', 399); /* a 400-digit integer */
	ck_assert_int_eq(ts_of(digits), 0);

	struct json_decoded d;
	ck_assert(decode_str("{\"v\":1e400,\"id\":\"i1\",\"nick\":\"Ana\",\"ts\":1732570000000,"
	                     "\"type\":\"action\",\"text\":\"waves 1e400\",\"x\":[-1e999,{\"y\":2e308}]}",
	                     &d));
	ck_assert_str_eq(d.id, "i1");
	ck_assert_str_eq(d.nick, "Ana");
	ck_assert_int_eq(d.ts_ms, 1732570000000);
	ck_assert_int_eq(d.type, MQC_MSG_ACTION);
	ck_assert_str_eq(d.text, "waves 1e400"); /* inside a string: untouched */
	json_decoded_free(&d);

	/* a bad number where a string must be: that member is ignored */
	ck_assert(decode_str("{\"text\":\"t\",\"nick\":1e400,\"id\":1e400,\"type\":1e400}", &d));
	ck_assert_str_eq(d.nick, "");
	ck_assert_str_eq(d.id, "");
	ck_assert_int_eq(d.type, MQC_MSG_MESSAGE);
	json_decoded_free(&d);
	ck_assert(!decode_str("{\"text\":1e400}", &d)); /* no string text: not ours */
}
END_TEST

/* A lone UTF-16 surrogate is valid JSON grammar but no character: it
 * becomes U+FFFD, as any byte that is not a character does, and only it. */
START_TEST(lone_surrogates_cost_only_themselves)
{
	const struct {
		const char *payload, *text;
	} cases[] = {
		{"{\"text\":\"a \\ud800 b\"}", "a \xef\xbf\xbd b"},
		{"{\"text\":\"\\uDBFF\"}", "\xef\xbf\xbd"},
		{"{\"text\":\"\\udc00\\uDFFF\"}", "\xef\xbf\xbd\xef\xbf\xbd"},
		{"{\"text\":\"\\ud800\\ud800\\ude00\"}", "\xef\xbf\xbd\xf0\x90\x88\x80"},
		{"{\"text\":\"\\ud83d\\u0041\"}", "\xef\xbf\xbd" "A"},
		{"{\"text\":\"\\ud83d\\ude00 \\\\ud800\"}", "\xf0\x9f\x98\x80 \\ud800"},
		{"{\"text\":\"t\",\"x\":\"\\ud800\"}", "t"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_decoded d;
		ck_assert_msg(decode_str(cases[i].payload, &d), "refused %s", cases[i].payload);
		ck_assert_str_eq(d.text, cases[i].text);
		json_decoded_free(&d);
	}
	struct json_decoded d;
	ck_assert(decode_str("{\"text\":\"t\",\"nick\":\"Ana\\udc00\",\"id\":\"\\ud800\"}", &d));
	ck_assert_str_eq(d.nick, "Ana\xef\xbf\xbd");
	ck_assert_str_eq(d.id, "\xef\xbf\xbd");
	json_decoded_free(&d);
}
END_TEST

START_TEST(invalid_json_stays_invalid_when_repaired)
{
	/* Only overflowing numbers and lone surrogates are replaced: a
	 * document wrong in any other way is still refused. */
	const char *cases[] = {"{\"text\":\"t\",\"ts\":1e400", "{\"text\":\"t\",\"ts\":1e400}x",
	                       "{\"text\":\"t\",\"ts\":01e400}", "{\"text\":\"t\",\"ts\":1.e400}",
	                       "{\"text\":\"t\",\"ts\":1e400e1}", "{\"text\":\"t\",\"ts\":+1e400}",
	                       "{\"text\":\"t\",\"ts\":1e400 1}", "{\"text\":\"t\" 1e400}",
	                       "{\"text\":\"t\",\"ts\":0x1p9999}", "{\"text\":\"t\",\"ts\":-}",
	                       "{\"text\":\"t\",\"k\\u0000\":1,\"ts\":1e400,}",
	                       "{\"text\":\"\\ud800\"", "{\"text\":\"\\ud800\\x\"}",
	                       "{\"text\":\"\\ud8\"}", "{\"text\":\"\\ud800\" x}",
	                       "{\"text\":\"\\ud800 \xc3\x28\"}"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_decoded d;
		ck_assert_msg(!decode_str(cases[i], &d), "accepted %s", cases[i]);
	}
}
END_TEST

static char *nick_of(const char *nick_json)
{
	struct strbuf payload = STRBUF_INIT;
	strbuf_printf(&payload, "{\"text\":\"t\",\"nick\":%s}", nick_json);
	struct json_decoded d;
	ck_assert_msg(decode_str(strbuf_str(&payload), &d), "rejected %s", payload.data);
	ck_assert_uint_eq(d.nick_len, strlen(d.nick));
	char *nick = xstrdup(d.nick);
	json_decoded_free(&d);
	strbuf_free(&payload);
	return nick;
}

#define CHECK_NICK(nick_json, want)                                            \
	do {                                                                   \
		char *got_ = nick_of(nick_json);                               \
		ck_assert_str_eq(got_, want);                                  \
		free(got_);                                                    \
	} while (0)

/* The rule plain nicks obey (nick.h): cleaned, 1..64 bytes, no colon; a
 * nick that breaks it leaves the sender unknown, the message is kept. */
START_TEST(nicks_obey_the_nick_rule)
{
	CHECK_NICK("\"Ana\"", "Ana");
	/* two fake speakers on one line */
	CHECK_NICK("\"Ana: hi\\u2028Bob\"", "");
	CHECK_NICK("\"Ana\\u2028Bob\"", "Ana Bob");
	CHECK_NICK("\" Ana \"", "Ana");
	CHECK_NICK("\"\"", "");
	CHECK_NICK("\"\\u200b\\ufeff \"", "");
	/* invisible characters cannot make two nicks look alike */
	CHECK_NICK("\"A\\u200bn\\u200ea\\u061c\\u2060\\ufeff\\udb40\\udc41\"", "Ana");
	CHECK_NICK("\"M\\u001b[2Jal\"", "Mal");

	/* 64 bytes, after cleaning, is the longest */
	struct strbuf nick = STRBUF_INIT;
	strbuf_appendc(&nick, '"');
	for (int i = 0; i < 64; i++)
		strbuf_appendc(&nick, 'n');
	strbuf_appends(&nick, "\\u200b\"");
	char *got = nick_of(nick.data);
	ck_assert_uint_eq(strlen(got), 64);
	free(got);
	strbuf_reset(&nick);
	strbuf_appends(&nick, "\"");
	for (int i = 0; i < 32; i++)
		strbuf_appends(&nick, "\xc3\xa9"); /* é: 64 bytes */
	strbuf_appends(&nick, "\"");
	got = nick_of(nick.data);
	ck_assert_uint_eq(strlen(got), 64);
	free(got);
	nick.data[nick.len - 1] = 'x'; /* 65 bytes */
	strbuf_appends(&nick, "\"");
	CHECK_NICK(nick.data, "");
	/* a 10 kB nick is not printed whole */
	strbuf_reset(&nick);
	strbuf_appendc(&nick, '"');
	for (int i = 0; i < 10000; i++)
		strbuf_appendc(&nick, 'A');
	strbuf_appendc(&nick, '"');
	CHECK_NICK(nick.data, "");
	strbuf_free(&nick);
}
END_TEST

static char *nested(size_t depth, char open, char close, const char *inner_prefix)
{
	size_t prefix = strlen(inner_prefix);
	char *s = malloc(prefix + 2 * depth + 2);
	ck_assert_ptr_nonnull(s);
	memcpy(s, inner_prefix, prefix);
	memset(s + prefix, open, depth);
	memset(s + prefix + depth, close, depth);
	strcpy(s + prefix + 2 * depth, "}");
	return s;
}

START_TEST(deep_nesting_does_not_crash)
{
	struct json_decoded d;
	/* 100 000 unclosed brackets */
	size_t n = 100000;
	char *brackets = malloc(n + 1);
	memset(brackets, '[', n);
	brackets[n] = '\0';
	ck_assert(!decode_str(brackets, &d));
	brackets[0] = '{';
	ck_assert(!decode_str(brackets, &d));
	free(brackets);

	/* 100 000 balanced brackets inside an object of ours: too deep for
	 * jansson (limit 2048), so plain text */
	char *deep = nested(n, '[', ']', "{\"text\":\"t\",\"x\":");
	ck_assert(!decode_str(deep, &d));
	free(deep);

	/* within the limit: ours, the nesting ignored */
	char *fine = nested(1000, '[', ']', "{\"text\":\"t\",\"x\":");
	ck_assert(decode_str(fine, &d));
	ck_assert_str_eq(d.text, "t");
	json_decoded_free(&d);
	free(fine);
}
END_TEST

START_TEST(one_megabyte_text)
{
	size_t n = 1024 * 1024;
	char *text = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	text[n] = '\0';
	char *wire = encode(MQC_MSG_MESSAGE, "big", "Ana", 1, text);
	struct json_decoded d;
	ck_assert(decode_str(wire, &d));
	ck_assert_uint_eq(d.text_len, n);
	ck_assert(memcmp(d.text, text, n) == 0);
	json_decoded_free(&d);
	free(wire);
	free(text);
}
END_TEST

static void assert_same_decoding(const struct json_decoded *a, const struct json_decoded *b)
{
	ck_assert_int_eq(a->type, b->type);
	ck_assert_int_eq(a->ts_ms, b->ts_ms);
	ck_assert_uint_eq(a->hops, b->hops);
	ck_assert_str_eq(a->id, b->id);
	ck_assert_str_eq(a->nick, b->nick);
	ck_assert_str_eq(a->text, b->text);
	ck_assert_str_eq(a->origin, b->origin);
}

/* The usual shape is read in place (json_envelope.h), with every rule of
 * the members applied just as to jansson's reading. */
START_TEST(the_usual_shape_decodes_as_jansson_decodes_it)
{
	static const char *const usual[] = {
		"{\"v\":1,\"id\":\"a1\",\"nick\":\"Ana\",\"ts\":1700000000000,"
		"\"type\":\"message\",\"text\":\"hola\"}",
		"{\"v\":1,\"id\":\"a2\",\"nick\":\"Eve: Ana\",\"ts\":0,"
		"\"type\":\"status\",\"text\":\"\"}",
		"{\"v\":1,\"id\":\"a3\",\"nick\":\"Ana\u200b\",\"ts\":999999999999999,"
		"\"type\":\"leave\",\"text\":\"adiós\",\"origin\":\"irc:#sala\",\"hops\":300}",
		"{\"v\":1,\"id\":\"a4\",\"nick\":\"Ana\",\"ts\":9007199254740992,"
		"\"type\":\"action\",\"text\":\"x\",\"origin\":\"o\",\"hops\":255}",
	};
	for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++) {
		struct json_decoded quick, slow;
		ck_assert(decode_str(usual[i], &quick));
		ck_assert(json_decode_by_jansson(usual[i], strlen(usual[i]), &slow));
		assert_same_decoding(&quick, &slow);
		json_decoded_free(&quick);
		json_decoded_free(&slow);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire_json");
	TCase *enc = tcase_create("encode");
	tcase_add_test(enc, encodes_exactly_the_product_fields_in_order);
	tcase_add_test(enc, relayed_messages_carry_origin_and_hops);
	tcase_add_test(enc, encodes_every_type);
	tcase_add_test(enc, null_strings_are_empty);
	tcase_add_test(enc, escapes_what_json_needs_and_keeps_utf8);
	tcase_add_test(enc, invalid_utf8_in_a_message_still_makes_valid_json);
	suite_add_tcase(s, enc);

	TCase *dec = tcase_create("decode");
	tcase_set_timeout(dec, 30);
	tcase_add_test(dec, round_trip_every_type);
	tcase_add_test(dec, decodes_other_writers_json);
	tcase_add_test(dec, unknown_or_odd_members_have_defaults);
	tcase_add_test(dec, object_without_string_text_is_not_ours);
	tcase_add_test(dec, non_objects_are_not_ours);
	tcase_add_test(dec, malformed_json_is_not_ours);
	tcase_add_test(dec, payload_need_not_be_nul_terminated);
	tcase_add_test(dec, embedded_nul_is_kept_with_its_length);
	tcase_add_test(dec, timestamps_valid_and_invalid);
	tcase_add_test(dec, huge_numbers_cost_the_time_not_the_message);
	tcase_add_test(dec, numbers_beyond_a_double_cost_only_their_member);
	tcase_add_test(dec, lone_surrogates_cost_only_themselves);
	tcase_add_test(dec, invalid_json_stays_invalid_when_repaired);
	tcase_add_test(dec, nicks_obey_the_nick_rule);
	tcase_add_test(dec, deep_nesting_does_not_crash);
	tcase_add_test(dec, one_megabyte_text);
	tcase_add_test(dec, the_usual_shape_decodes_as_jansson_decodes_it);
	suite_add_tcase(s, dec);

	return check_run(s);
}
