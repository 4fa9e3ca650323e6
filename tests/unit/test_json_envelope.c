/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_run.h"
#include "json_envelope.h"
#include "wire_json.h"

static bool span_is(struct json_span span, const char *want)
{
	return span.s && span.len == strlen(want) && memcmp(span.s, want, span.len) == 0;
}

static bool read_str(const char *payload, struct json_members *m)
{
	return json_envelope_read(payload, strlen(payload), m);
}

/* What every mqchat sends is what is read in place: were json_encode()
 * to change its shape, every message would quietly go through jansson. */
START_TEST(what_json_encode_writes_is_read_in_place)
{
	struct mqc_message msg = {.type = MQC_MSG_ACTION, .id = "c0ffee", .nick = "Begoña",
	                          .text = "saluda 😀 a todos", .time_ms = 1700000000123};
	struct strbuf wire = STRBUF_INIT;
	json_encode(&wire, &msg);
	struct json_members m;
	ck_assert(json_envelope_read(wire.data, wire.len, &m));
	ck_assert(span_is(m.id, "c0ffee") && span_is(m.nick, "Begoña"));
	ck_assert(span_is(m.type, "action") && span_is(m.text, "saluda 😀 a todos"));
	ck_assert(m.ts == 1700000000123.0);
	ck_assert(!m.origin.s && isnan(m.hops));

	msg.origin = "irc:#sala";
	msg.hops = 3;
	strbuf_free(&wire);
	json_encode(&wire, &msg);
	ck_assert(json_envelope_read(wire.data, wire.len, &m));
	ck_assert(span_is(m.origin, "irc:#sala") && m.hops == 3.0);
	strbuf_free(&wire);
}
END_TEST

START_TEST(surrounding_whitespace_is_allowed)
{
	struct json_members m;
	ck_assert(read_str(" \r\n{\"v\":1,\"id\":\"\",\"nick\":\"\",\"ts\":0,\"type\":\"join\","
	                   "\"text\":\"\"}\n\t ", &m));
	ck_assert(span_is(m.text, "") && span_is(m.type, "join") && m.ts == 0.0);
}
END_TEST

/* Each differs from the usual shape in one way; jansson reads them. */
START_TEST(anything_else_is_declined)
{
	static const char *const other[] = {
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"say \\\"x\\\"\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"\\u00e9\"}",
		"{\"v\":1, \"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"nick\":\"N\",\"id\":\"a\",\"ts\":1,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":2,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1234567890123456,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":01,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":-1,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1.0,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1e3,\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":\"1\",\"type\":\"message\",\"text\":\"x\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":5}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"tab\there\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"\xc3\x28\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"\xed\xa0\x80\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\"}x",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\"",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\",\"more\":1}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\",\"text\":\"x\",\"origin\":\"o\"}",
		"{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\"}",
		"{\"text\":\"x\"}",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		struct json_members m;
		ck_assert_msg(!read_str(other[i], &m), "read in place: %s", other[i]);
	}
}
END_TEST

/* A raw NUL is a control byte: declined, even inside the stated length. */
START_TEST(a_raw_nul_is_declined)
{
	static const char payload[] = "{\"v\":1,\"id\":\"a\",\"nick\":\"N\",\"ts\":1,\"type\":\"message\","
	                              "\"text\":\"a\0b\"}";
	struct json_members m;
	ck_assert(!json_envelope_read(payload, sizeof payload - 1, &m));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_envelope");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, what_json_encode_writes_is_read_in_place);
	tcase_add_test(tc, surrounding_whitespace_is_allowed);
	tcase_add_test(tc, anything_else_is_declined);
	tcase_add_test(tc, a_raw_nul_is_declined);
	suite_add_tcase(s, tc);
	return check_run(s);
}
