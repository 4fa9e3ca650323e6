/* SPDX-License-Identifier: MIT */
/* Rooms (mqtt_join.c, mqtt_rooms.c, mqtt_topic.c) with no connection: what
 * join() takes and refuses, and in which words; part(); messages on topics
 * that are no room.  The link's functions mqtt_join.c calls are stubbed
 * below: nothing here connects. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "mqtt.h"
#include "mqtt_topic.h"

static char logged[4][512];
static int n_logged;
static enum mqc_log_level last_level;

static void fake_log(struct mqc_instance *inst, enum mqc_log_level level, const char *fmt, ...)
	MQC_PRINTF(3, 4);
static void fake_log(struct mqc_instance *inst, enum mqc_log_level level, const char *fmt, ...)
{
	(void)inst;
	va_list ap;
	va_start(ap, fmt);
	if (n_logged < 4)
		vsnprintf(logged[n_logged++], sizeof(logged[0]), fmt, ap);
	va_end(ap);
	last_level = level;
}

static const struct mqc_host host = {.size = sizeof(struct mqc_host), .log = fake_log};
static struct mqtt self;

/* The link's side, not under test. */
void mqtt_sync_watch(struct mqtt *m)
{
	(void)m;
}

const char *mqtt_strerror(int rc, int saved_errno)
{
	(void)saved_errno;
	return mosquitto_strerror(rc);
}

void mqtt_reason(struct mqtt *m, const char *fmt, ...)
{
	(void)m;
	(void)fmt;
}

static void setup(void)
{
	memset(&self, 0, sizeof(self));
	self.host = &host;
	self.phase = MQTT_IDLE;
	self.cfg.topic = "lobby";
	ck_assert(mqtt_rooms_add(&self.rooms, self.cfg.topic));
	n_logged = 0;
}

static void teardown(void)
{
	mqtt_rooms_free(&self.rooms);
	mqtt_rooms_free(&self.strays);
}

START_TEST(a_room_joined_is_remembered_once)
{
	ck_assert_int_eq(mqtt_join(&self, "ops"), 0);
	ck_assert_int_eq(mqtt_join(&self, "ops"), 0);
	ck_assert_int_eq(mqtt_join(&self, "lobby"), 0);
	ck_assert_uint_eq(self.rooms.n, 2);
	ck_assert_str_eq(self.rooms.v[0].name, "lobby");
	ck_assert_str_eq(self.rooms.v[1].name, "ops");
	ck_assert_int_eq(n_logged, 0);
}
END_TEST

/* The same reasons, in the same words, as the `topic` key's. */
START_TEST(a_room_one_cannot_publish_to_is_refused_saying_why)
{
	ck_assert_int_eq(mqtt_join(&self, "news/#"), -1);
	ck_assert_int_eq(mqtt_join(&self, "a/+/b"), -1);
	ck_assert_int_eq(mqtt_join(&self, ""), -1);
	ck_assert_int_eq(mqtt_join(&self, "caf\xc3"), -1);
	ck_assert_uint_eq(self.rooms.n, 1);
	ck_assert_int_eq(n_logged, 4);
	ck_assert_int_eq(last_level, MQC_LOG_ERROR);
	ck_assert_str_eq(logged[0], "cannot join 'news/#': has a wildcard (+ or #): mqchat "
	                            "publishes to its topic, which must name one");
	ck_assert_str_eq(logged[1], "cannot join 'a/+/b': has a wildcard (+ or #): mqchat "
	                            "publishes to its topic, which must name one");
	ck_assert_str_eq(logged[2], "cannot join a room whose name is empty; name the room's "
	                            "topic, e.g. conversacionTeletubbies");
	ck_assert_str_eq(logged[3], "cannot join a room whose name is not valid UTF-8");
}
END_TEST

START_TEST(a_topic_longer_than_mqtt_allows_is_refused)
{
	static char longest[65537];
	memset(longest, 'a', sizeof(longest) - 1);
	ck_assert_int_eq(mqtt_join(&self, longest), -1);
	ck_assert_int_eq(n_logged, 1);
	ck_assert(!strncmp(logged[0], "cannot join 'aaa", 16));
	bool quotable;
	ck_assert_str_eq(mqtt_topic_problem(longest, &quotable),
	                 "is not a topic one can publish to (longer than 65535 bytes?)");
	longest[65535] = '\0';
	ck_assert_ptr_null(mqtt_topic_problem(longest, &quotable));
}
END_TEST

START_TEST(parting_forgets_the_room_also_the_first)
{
	ck_assert_int_eq(mqtt_join(&self, "ops"), 0);
	mqtt_part(&self, "lobby");
	mqtt_part(&self, "never-joined");
	ck_assert_uint_eq(self.rooms.n, 1);
	ck_assert_str_eq(self.rooms.v[0].name, "ops");
	mqtt_part(&self, "ops");
	ck_assert_uint_eq(self.rooms.n, 0);
}
END_TEST

/* A subscription an earlier session left: its messages are dropped, and
 * it is unsubscribed once, not once a message. */
START_TEST(a_message_on_no_room_is_dropped_and_unsubscribed_once)
{
	ck_assert(mqtt_room_wanted(&self, "lobby"));
	ck_assert(!mqtt_room_wanted(&self, "old"));
	ck_assert(!mqtt_room_wanted(&self, "old"));
	ck_assert_int_eq(n_logged, 2);
	ck_assert_int_eq(last_level, MQC_LOG_DEBUG);
	ck_assert_str_eq(logged[0], "a message on old, which is no room joined: dropped; "
	                            "unsubscribing from it");
	ck_assert_str_eq(logged[1], "a message on old, which is no room joined: dropped");
	/* Joined again: its messages are wanted again. */
	ck_assert_int_eq(mqtt_join(&self, "old"), 0);
	ck_assert(mqtt_room_wanted(&self, "old"));
	ck_assert_uint_eq(self.strays.n, 0);
}
END_TEST

START_TEST(the_rooms_list_keeps_order_through_removals)
{
	struct mqtt_rooms r = {0};
	const char *names[] = {"a", "b", "c", "d", "e", "f"};
	for (size_t i = 0; i < 6; i++)
		ck_assert(mqtt_rooms_add(&r, names[i]));
	mqtt_rooms_remove(&r, 2);
	mqtt_rooms_remove(&r, 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_int_eq(mqtt_rooms_find(&r, "b"), 0);
	ck_assert_int_eq(mqtt_rooms_find(&r, "f"), 3);
	ck_assert_int_eq(mqtt_rooms_find(&r, "c"), -1);
	ck_assert(!mqtt_rooms_pending(&r));
	r.v[1].sub_mid = 7;
	ck_assert(mqtt_rooms_pending(&r));
	mqtt_rooms_free(&r);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_join");
	TCase *tc = tcase_create("join");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_room_joined_is_remembered_once);
	tcase_add_test(tc, a_room_one_cannot_publish_to_is_refused_saying_why);
	tcase_add_test(tc, a_topic_longer_than_mqtt_allows_is_refused);
	tcase_add_test(tc, parting_forgets_the_room_also_the_first);
	tcase_add_test(tc, a_message_on_no_room_is_dropped_and_unsubscribed_once);
	tcase_add_test(tc, the_rooms_list_keeps_order_through_removals);
	suite_add_tcase(s, tc);
	return check_run(s);
}
