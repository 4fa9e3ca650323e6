/* SPDX-License-Identifier: MIT */
/* The topics of a room (mqtt_meta.c), presence payloads
 * (mqtt_presence_wire.c) and the presence list (mqtt_presence_table.c):
 * pure code, no connection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "mqtt_meta.h"
#include "mqtt_presence_table.h"
#include "mqtt_presence_wire.h"

static struct mqtt_rooms rooms;

static void setup(void)
{
	const char *names[] = {"lobby", "a/b", "a/b/u/x"};
	for (size_t i = 0; i < 3; i++)
		ck_assert(mqtt_rooms_add(&rooms, names[i]));
}

static void teardown(void)
{
	mqtt_rooms_free(&rooms);
}

START_TEST(a_level_we_build_has_no_separator_wildcard_or_control)
{
	char level[MQTT_META_LEVEL_SIZE];
	ck_assert_str_eq(mqtt_meta_level(level, "ana"), "ana");
	ck_assert_str_eq(mqtt_meta_level(level, "a/b+c#d"), "a_b_c_d");
	ck_assert_str_eq(mqtt_meta_level(level, "x\ty\x7f"), "x_y_");
	ck_assert_str_eq(mqtt_meta_level(level, "caf\xc3"), "caf_");
	ck_assert_str_eq(mqtt_meta_level(level, "Zoë"), "Zoë");
	ck_assert_str_eq(mqtt_meta_level(level, ""), "_");
	ck_assert_str_eq(mqtt_meta_level(level, NULL), "_");
	char longest[400];
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	ck_assert_uint_eq(strlen(mqtt_meta_level(level, longest)), MQTT_META_LEVEL_SIZE - 1);
	/* Cut at a character, never inside one. */
	memset(longest, 0, sizeof(longest));
	for (size_t i = 0; i + 2 < sizeof(longest); i += 2)
		memcpy(longest + i, "\xc3\xab", 2);
	mqtt_meta_level(level, longest);
	ck_assert_uint_eq(strlen(level) % 2, 0);
}
END_TEST

START_TEST(topics_are_built_under_the_room)
{
	char *t = mqtt_meta_topic("lobby", "presence", "ana", "cid-1");
	ck_assert_str_eq(t, "lobby/presence/ana/cid-1");
	free(t);
	t = mqtt_meta_topic("a/b", "u", "+", NULL);
	ck_assert_str_eq(t, "a/b/u/+");
	free(t);
}
END_TEST

START_TEST(filters_follow_the_keys)
{
	char *f[MQTT_META_FILTERS_MAX];
	size_t n = mqtt_meta_filters("lobby", NULL, false, NULL, f);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(f[0], "lobby");
	mqtt_meta_filters_free(f, n);
	n = mqtt_meta_filters("lobby", "loggers", true, "ana", f);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[0], "$share/loggers/lobby");
	ck_assert_str_eq(f[1], "lobby/u/+");
	ck_assert_str_eq(f[2], "lobby/pm/ana/+");
	mqtt_meta_filters_free(f, n);
}
END_TEST

START_TEST(topics_are_told_apart)
{
	struct mqtt_meta_place at;
	ck_assert(mqtt_meta_classify("lobby", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_ROOM);
	ck_assert_uint_eq(at.room, 0);
	ck_assert(mqtt_meta_classify("lobby/u/eve", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_VERIFIED);
	ck_assert_str_eq(at.a, "eve");
	ck_assert(mqtt_meta_classify("lobby/presence/ana/c1", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_PRESENCE);
	ck_assert_str_eq(at.a, "ana");
	ck_assert_str_eq(at.b, "c1");
	ck_assert(mqtt_meta_classify("a/b/pm/bob/ana", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_PRIVATE);
	ck_assert_uint_eq(at.room, 1);
	ck_assert_str_eq(at.a, "bob");
	ck_assert_str_eq(at.b, "ana");
}
END_TEST

/* A room whose name looks like another's subtopic: its own name wins, and
 * below it the longest room that parses. */
START_TEST(a_room_named_like_a_subtopic_is_itself)
{
	struct mqtt_meta_place at;
	ck_assert(mqtt_meta_classify("a/b/u/x", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_ROOM);
	ck_assert_uint_eq(at.room, 2);
	ck_assert(mqtt_meta_classify("a/b/u/x/u/eve", &rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_VERIFIED);
	ck_assert_uint_eq(at.room, 2);
	ck_assert_str_eq(at.a, "eve");
}
END_TEST

START_TEST(hostile_topics_are_no_topic_of_ours)
{
	const char *bad[] = {
		"other", "lobbyx/u/eve", "lobby/", "lobby/u", "lobby/u/", "lobby/u//",
		"lobby/u/eve/more", "lobby/u/e+e", "lobby/u/#", "lobby/presence/ana",
		"lobby/presence/ana/", "lobby/presence//c1", "lobby/presence/ana/c1/sync",
		"lobby/pm/bob", "lobby/pm/bob/a\x01", "lobby/u/caf\xc3", "lobby/history/req",
		"lobby/x/y",
	};
	struct mqtt_meta_place at;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!mqtt_meta_classify(bad[i], &rooms, &at), "%s", bad[i]);
		ck_assert_int_eq(at.kind, MQTT_META_NONE);
	}
	char longest[300] = "lobby/u/";
	memset(longest + 8, 'a', 200);
	ck_assert(!mqtt_meta_classify(longest, &rooms, &at));
}
END_TEST

START_TEST(a_presence_payload_is_read_back)
{
	struct mqtt_presence_info in = {.nick = "Ana", .state = MQC_PRESENCE_AWAY, .away = "lunch",
	                                .ts = 1700000000123, .announce = true};
	char *text = mqtt_presence_build(&in);
	ck_assert_str_eq(text, "{\"v\":1,\"nick\":\"Ana\",\"state\":\"away\",\"ts\":1700000000123,"
	                       "\"announce\":true,\"away\":\"lunch\"}");
	struct mqtt_presence_info out;
	ck_assert(mqtt_presence_parse(text, strlen(text), &out));
	ck_assert_str_eq(out.nick, "Ana");
	ck_assert_int_eq(out.state, MQC_PRESENCE_AWAY);
	ck_assert_str_eq(out.away, "lunch");
	ck_assert(out.announce);
	ck_assert(!out.lost);
	free(text);
	in = (struct mqtt_presence_info){.nick = "Ana", .state = MQC_PRESENCE_OFFLINE, .lost = true};
	text = mqtt_presence_build(&in);
	ck_assert(mqtt_presence_parse(text, strlen(text), &out));
	ck_assert(out.lost);
	ck_assert_int_eq(out.state, MQC_PRESENCE_OFFLINE);
	free(text);
}
END_TEST

START_TEST(a_hostile_presence_payload_is_refused)
{
	const char *bad[] = {
		"", "{", "[]", "{\"v\":1,\"state\":\"online\"}",
		"{\"v\":0,\"nick\":\"a\",\"state\":\"online\"}",
		"{\"v\":1,\"nick\":\"a\",\"state\":\"gone\"}",
		"{\"v\":1,\"nick\":\"\",\"state\":\"online\"}",
		"{\"v\":1,\"nick\":\"\\u0001\\n\",\"state\":\"online\"}",
		"{\"v\":1,\"nick\":7,\"state\":\"online\"}",
		"{\"v\":1,\"nick\":\"a\",\"nick\":\"b\",\"state\":\"online\"}",
	};
	struct mqtt_presence_info out;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!mqtt_presence_parse(bad[i], strlen(bad[i]), &out), "%s", bad[i]);
	static char big[MQTT_PRESENCE_MAX_PAYLOAD + 2];
	memset(big, ' ', sizeof(big) - 1);
	const char *small = "{\"v\":1,\"nick\":\"a\",\"state\":\"online\"}";
	memcpy(big, small, strlen(small));
	ck_assert(mqtt_presence_parse(big, MQTT_PRESENCE_MAX_PAYLOAD, &out));
	ck_assert(!mqtt_presence_parse(big, MQTT_PRESENCE_MAX_PAYLOAD + 1, &out));
	/* Control characters go, a long nick is cut at a character. */
	const char *odd = "{\"v\":2,\"nick\":\"A\\u0007na\\u0085\",\"state\":\"online\"}";
	ck_assert(mqtt_presence_parse(odd, strlen(odd), &out));
	ck_assert_str_eq(out.nick, "Ana");
}
END_TEST

START_TEST(the_table_tells_proved_and_claimed_apart_and_is_bounded)
{
	struct mqtt_presence_table t = {0};
	long a = mqtt_presence_table_add(&t, "lobby", "ana", "c1");
	long e = mqtt_presence_table_add(&t, "lobby", "eve", "c2");
	ck_assert(mqtt_presence_table_set_nick(&t, (size_t)a, "Ana"));
	ck_assert(mqtt_presence_table_set_nick(&t, (size_t)e, "Ana"));
	t.v[a].verified = true;
	t.v[e].state = MQC_PRESENCE_AWAY;
	ck_assert_int_eq(mqtt_presence_table_state(&t, "lobby", "Ana", true), MQC_PRESENCE_ONLINE);
	ck_assert_int_eq(mqtt_presence_table_state(&t, "lobby", "Ana", false), MQC_PRESENCE_AWAY);
	ck_assert_int_eq(mqtt_presence_table_state(&t, "ops", "Ana", true), MQC_PRESENCE_OFFLINE);
	ck_assert_int_eq(mqtt_presence_table_find_nick(&t, "lobby", "ana"), a);
	mqtt_presence_table_mark(&t, "lobby");
	ck_assert_int_eq(mqtt_presence_table_stale(&t, "lobby"), a);
	mqtt_presence_table_remove(&t, (size_t)a);
	ck_assert_int_eq(mqtt_presence_table_find(&t, "lobby", "eve", "c2"), 0);
	char cid[16];
	for (int i = 1; i < MQTT_PRESENCE_MAX_PER_ROOM; i++) {
		snprintf(cid, sizeof(cid), "x%d", i);
		ck_assert_int_ge(mqtt_presence_table_add(&t, "lobby", "u", cid), 0);
	}
	ck_assert_int_eq(mqtt_presence_table_add(&t, "lobby", "u", "one-more"), -1);
	ck_assert_int_ge(mqtt_presence_table_add(&t, "ops", "u", "one-more"), 0);
	mqtt_presence_table_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_meta");
	TCase *tc = tcase_create("meta");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_level_we_build_has_no_separator_wildcard_or_control);
	tcase_add_test(tc, topics_are_built_under_the_room);
	tcase_add_test(tc, filters_follow_the_keys);
	tcase_add_test(tc, topics_are_told_apart);
	tcase_add_test(tc, a_room_named_like_a_subtopic_is_itself);
	tcase_add_test(tc, hostile_topics_are_no_topic_of_ours);
	tcase_add_test(tc, a_presence_payload_is_read_back);
	tcase_add_test(tc, a_hostile_presence_payload_is_refused);
	tcase_add_test(tc, the_table_tells_proved_and_claimed_apart_and_is_bounded);
	suite_add_tcase(s, tc);
	return check_run(s);
}
