/* SPDX-License-Identifier: MIT */
/* History payloads and topics (mqtt_history_wire.c): what a request, an
 * end marker and a response topic must be, from hostile peers. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "mqtt_history_wire.h"

static bool request(const char *payload, struct mqtt_history_ask *ask)
{
	*ask = (struct mqtt_history_ask){-1, 0};
	return mqtt_history_parse_request(payload, strlen(payload), ask);
}

START_TEST(a_request_for_the_last_messages_is_read_and_capped)
{
	struct mqtt_history_ask ask;
	ck_assert(request("{\"v\":1,\"last\":20}", &ask));
	ck_assert_int_eq(ask.since_ms, 0);
	ck_assert_uint_eq(ask.max, 20);
	ck_assert(request("{\"last\":100000,\"v\":1,\"future\":[1,2]}", &ask));
	ck_assert_uint_eq(ask.max, MQTT_HISTORY_MAX_MESSAGES);
}
END_TEST

START_TEST(a_request_since_a_time_gets_at_most_the_cap)
{
	struct mqtt_history_ask ask;
	ck_assert(request("{\"v\":1,\"since\":1764763200000}", &ask));
	ck_assert_int_eq(ask.since_ms, INT64_C(1764763200000));
	ck_assert_uint_eq(ask.max, MQTT_HISTORY_MAX_MESSAGES);
	ck_assert(request("{\"v\":1,\"since\":5,\"last\":3}", &ask));
	ck_assert_int_eq(ask.since_ms, 5);
	ck_assert_uint_eq(ask.max, 3);
}
END_TEST

START_TEST(anything_else_is_no_request)
{
	static const char *const bad[] = {
		"", "null", "[]", "{}", "{\"v\":1}", "{\"v\":2,\"last\":5}", "{\"v\":\"1\",\"last\":5}",
		"{\"v\":1,\"last\":0}", "{\"v\":1,\"last\":-3}", "{\"v\":1,\"last\":2.5}",
		"{\"v\":1,\"last\":\"5\"}", "{\"v\":1,\"since\":-1}", "{\"v\":1,\"since\":null}",
		"{\"v\":1,\"last\":5,\"last\":6}", "{\"v\":1,\"last\":99999999999999999999999}",
		"{\"v\":1,\"last\":5", "{\"v\":1,\"last\":5} trailing", "{\"v\":1.0,\"last\":5}",
	};
	struct mqtt_history_ask ask;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!request(bad[i], &ask), "accepted: %s", bad[i]);
	/* A NUL inside the payload ends nothing: the whole payload is judged. */
	static const char nul[] = "{\"v\":1,\"last\":5}\0{";
	ck_assert(!mqtt_history_parse_request(nul, sizeof nul - 1, &ask));
	ck_assert(!mqtt_history_parse_request(NULL, 0, &ask));
}
END_TEST

START_TEST(the_end_marker_is_told_from_a_message)
{
	uint64_t count = 7;
	const char *end = "{\"v\":1,\"end\":true,\"count\":42}";
	ck_assert(mqtt_history_parse_end(end, strlen(end), &count));
	ck_assert_uint_eq(count, 42);
	static const char *const not_end[] = {
		"{\"v\":1,\"id\":\"a\",\"nick\":\"Ana\",\"ts\":1,\"type\":\"message\",\"text\":\"end\"}",
		"{\"v\":1,\"end\":false,\"count\":1}", "{\"v\":1,\"end\":true}",
		"{\"v\":1,\"end\":1,\"count\":1}", "{\"v\":1,\"end\":true,\"count\":-1}",
		"{\"end\":true,\"count\":1}", "<Ana>: {\"v\":1,\"end\":true,\"count\":1}",
	};
	for (size_t i = 0; i < sizeof not_end / sizeof not_end[0]; i++) {
		count = 7;
		ck_assert_msg(!mqtt_history_parse_end(not_end[i], strlen(not_end[i]), &count),
		              "an end: %s", not_end[i]);
		ck_assert_uint_eq(count, 7);
	}
}
END_TEST

START_TEST(what_we_send_is_what_we_read)
{
	char buf[MQTT_HISTORY_PAYLOAD_SIZE];
	struct mqtt_history_ask ask;
	size_t len = mqtt_history_request_payload(buf, 20);
	ck_assert_str_eq(buf, "{\"v\":1,\"last\":20}");
	ck_assert(mqtt_history_parse_request(buf, len, &ask));
	ck_assert_uint_eq(ask.max, 20);
	uint64_t count = 0;
	len = mqtt_history_end_payload(buf, 100);
	ck_assert(mqtt_history_parse_end(buf, len, &count));
	ck_assert_uint_eq(count, 100);
	/* The largest numbers still fit. */
	ck_assert_uint_lt(mqtt_history_end_payload(buf, SIZE_MAX), sizeof buf);
	ck_assert_uint_lt(mqtt_history_request_payload(buf, SIZE_MAX), sizeof buf);
}
END_TEST

START_TEST(a_response_topic_must_be_below_the_rooms_answers)
{
	ck_assert(mqtt_history_response_topic_ok("chat", "chat/history/ans/ana/cid1"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chat/history/ans/"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chat/history/ans/+/cid"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chat/history/ans/ana/#"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chat"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "other/history/ans/ana/c"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chatter/history/ans/ana/c"));
	ck_assert(!mqtt_history_response_topic_ok("chat", "chat/history/req"));
	ck_assert(!mqtt_history_response_topic_ok("a/b", "a/history/ans/x/y"));
}
END_TEST

START_TEST(history_topics_are_told_apart)
{
	ck_assert_int_eq(mqtt_history_topic_kind("r", "r/history/req"), MQTT_HISTORY_REQUEST);
	ck_assert_int_eq(mqtt_history_topic_kind("r", "r/history/ans/u/c"), MQTT_HISTORY_ANSWER);
	ck_assert_int_eq(mqtt_history_topic_kind("r", "r/history/req/x"), MQTT_HISTORY_OTHER);
	ck_assert_int_eq(mqtt_history_topic_kind("r", "r/history/ans"), MQTT_HISTORY_OTHER);
	ck_assert_int_eq(mqtt_history_topic_kind("r", "r"), MQTT_HISTORY_OTHER);
	ck_assert_int_eq(mqtt_history_topic_kind("r", "rr/history/req"), MQTT_HISTORY_OTHER);
	ck_assert_int_eq(mqtt_history_topic_kind("r/x", "r/history/req"), MQTT_HISTORY_OTHER);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_history");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, a_request_for_the_last_messages_is_read_and_capped);
	tcase_add_test(tc, a_request_since_a_time_gets_at_most_the_cap);
	tcase_add_test(tc, anything_else_is_no_request);
	tcase_add_test(tc, the_end_marker_is_told_from_a_message);
	tcase_add_test(tc, what_we_send_is_what_we_read);
	tcase_add_test(tc, a_response_topic_must_be_below_the_rooms_answers);
	tcase_add_test(tc, history_topics_are_told_apart);
	suite_add_tcase(s, tc);
	return check_run(s);
}
