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
const char *mqtt_strerror(int rc, int saved_errno)
{
	(void)saved_errno;
	return mosquitto_strerror(rc);
}

/* Presence (mqtt_presence.c) is off here: its calls do nothing. */
void mqtt_presence_subscribe(struct mqtt *m, size_t i)
{
	(void)m;
	(void)i;
}

void mqtt_presence_room_acked(struct mqtt *m, size_t i)
{
	(void)m;
	(void)i;
}

bool mqtt_presence_suback(struct mqtt *m, int mid, int count, const int *granted)
{
	(void)m;
	(void)mid;
	(void)count;
	(void)granted;
	return false;
}

void mqtt_presence_parted(struct mqtt *m, size_t i)
{
	(void)m;
	(void)i;
}

/* Nor is the share probe (mqtt_share.c). */
bool mqtt_share_suback(struct mqtt *m, int mid, int count, const int *granted)
{
	(void)m;
	(void)mid;
	(void)count;
	(void)granted;
	return false;
}

/* History (mqtt_history.c) is not under test either. */
bool mqtt_history_owns_mid(const struct mqtt *m, int mid)
{
	(void)m;
	(void)mid;
	return false;
}

void mqtt_history_room_ready(struct mqtt *m, const char *room)
{
	(void)m;
	(void)room;
}

void mqtt_history_room_parted(struct mqtt *m, const char *room)
{
	(void)m;
	(void)room;
}

static char reason[256];

void mqtt_reason(struct mqtt *m, const char *fmt, ...)
{
	(void)m;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
}

static void setup(void)
{
	memset(&self, 0, sizeof(self));
	self.host = &host;
	self.phase = MQTT_IDLE;
	self.cfg.topic = "lobby";
	self.cfg.qos = 1;
	ck_assert(mqtt_rooms_add(&self.rooms, self.cfg.topic));
	n_logged = 0;
	reason[0] = '\0';
}

static void teardown(void)
{
	mqtt_rooms_free(&self.rooms);
	mqtt_rooms_free(&self.strays);
}

START_TEST(a_room_joined_is_remembered_once)
{
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	ck_assert_int_eq(mqtt_join_room(&self, "lobby"), 0);
	ck_assert_uint_eq(self.rooms.n, 2);
	ck_assert_str_eq(self.rooms.v[0].name, "lobby");
	ck_assert_str_eq(self.rooms.v[1].name, "ops");
	ck_assert_int_eq(n_logged, 0);
}
END_TEST

/* The same reasons, in the same words, as the `topic` key's. */
START_TEST(a_room_one_cannot_publish_to_is_refused_saying_why)
{
	ck_assert_int_eq(mqtt_join_room(&self, "news/#"), -1);
	ck_assert_int_eq(mqtt_join_room(&self, "a/+/b"), -1);
	ck_assert_int_eq(mqtt_join_room(&self, ""), -1);
	ck_assert_int_eq(mqtt_join_room(&self, "caf\xc3"), -1);
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
	ck_assert_int_eq(mqtt_join_room(&self, longest), -1);
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
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	mqtt_part_room(&self, "lobby");
	mqtt_part_room(&self, "never-joined");
	ck_assert_uint_eq(self.rooms.n, 1);
	ck_assert_str_eq(self.rooms.v[0].name, "ops");
	mqtt_part_room(&self, "ops");
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
	ck_assert_int_eq(mqtt_join_room(&self, "old"), 0);
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

/* As if one SUBSCRIBE (`mid`) had gone for every room, in their order. */
static void subscribing(int mid)
{
	self.phase = MQTT_SUBSCRIBING;
	for (size_t i = 0; i < self.rooms.n; i++)
		self.rooms.v[i] = (struct mqtt_room){.name = self.rooms.v[i].name, .sub_mid = mid,
		                                     .sub_index = (int)i, .sub_count = 1};
}

START_TEST(the_link_is_up_once_every_room_has_its_suback)
{
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	subscribing(5);
	const int granted[] = {1, 0};
	mqtt_on_subscribe(NULL, &self, 4, 2, granted, NULL); /* another's */
	ck_assert_int_eq(self.phase, MQTT_SUBSCRIBING);
	mqtt_on_subscribe(NULL, &self, 5, 2, granted, NULL);
	ck_assert_int_eq(self.phase, MQTT_UP);
	ck_assert(self.became_up);
	ck_assert(!self.lost);
	/* qos 1 asked, 0 granted on the second room: said, naming it. */
	ck_assert_int_eq(n_logged, 1);
	ck_assert_str_eq(logged[0], "the broker granted qos 0 (asked 1) on ops");
}
END_TEST

/* Before the link was ever up, a refused room is the configuration's: the
 * connection ends, naming it.  MQTT 3.1.1's 0x80 may be a failure that
 * passes: asked again three times in a row, then the network fails. */
START_TEST(a_room_refused_before_the_first_up_is_asked_again_then_fails_the_network)
{
	ck_assert_int_eq(mqtt_join_room(&self, "secret"), 0);
	const int granted[] = {1, 0x80};
	for (unsigned k = 0; k <= MQTT_REFUSALS_ASKED_AGAIN; k++) {
		subscribing(5);
		self.lost = false;
		self.ask_again = false; /* as the connection's end leaves it */
		mqtt_on_subscribe(NULL, &self, 5, 2, granted, NULL);
		ck_assert(self.lost);
		ck_assert(!self.became_up);
		ck_assert(self.ask_again == (k < MQTT_REFUSALS_ASKED_AGAIN));
		ck_assert(self.permanent == !self.ask_again);
	}
	ck_assert_str_eq(reason, "the broker refused the subscription to secret: return code "
	                         "0x80 (not allowed, or it failed)");
}
END_TEST

/* MQTT 5 tells an ACL's refusal from a failure: that one is not asked again. */
START_TEST(an_mqtt5_refusal_not_authorized_fails_the_network_at_once)
{
	self.cfg.protocol = MQTT_PROTOCOL_V5;
	subscribing(5);
	const int granted[] = {0x87};
	mqtt_on_subscribe(NULL, &self, 5, 1, granted, NULL);
	ck_assert(self.lost);
	ck_assert(self.permanent);
	ck_assert(!self.ask_again);
	ck_assert_str_eq(reason, "the broker refused the subscription to lobby: Not authorized");
}
END_TEST

/* Joined later, a refused room is left with an error; the others go on. */
START_TEST(a_room_refused_later_is_left_and_the_others_go_on)
{
	ck_assert_int_eq(mqtt_join_room(&self, "secret"), 0);
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	self.ever_up = true;
	self.phase = MQTT_UP;
	self.rooms.v[1].sub_mid = 9;
	self.rooms.v[2].sub_mid = 10;
	const int refused[] = {0x87};
	mqtt_on_subscribe(NULL, &self, 9, 1, refused, NULL);
	ck_assert(!self.lost);
	ck_assert_int_eq(self.phase, MQTT_UP);
	ck_assert_uint_eq(self.rooms.n, 2);
	ck_assert_str_eq(self.rooms.v[1].name, "ops");
	ck_assert_int_eq(self.rooms.v[1].sub_mid, 10);
	ck_assert_int_eq(n_logged, 1);
	ck_assert_int_eq(last_level, MQC_LOG_ERROR);
	ck_assert(!strncmp(logged[0], "the broker refused the subscription to secret: ", 47));
}
END_TEST

/* A SUBACK with fewer answers than topics: the rest count as refused. */
START_TEST(a_suback_short_of_answers_refuses_the_rest)
{
	ck_assert_int_eq(mqtt_join_room(&self, "ops"), 0);
	subscribing(3);
	const int granted[] = {1};
	mqtt_on_subscribe(NULL, &self, 3, 1, granted, NULL);
	ck_assert(self.lost);
	ck_assert_str_eq(reason, "the broker refused the subscription to ops: no answer");
}
END_TEST

/* Every room parted: connected is up at once, nothing to wait for. */
START_TEST(with_no_room_the_link_is_up_at_once)
{
	mqtt_part_room(&self, "lobby");
	self.phase = MQTT_CONNECTING;
	mqtt_subscribe_rooms(&self);
	ck_assert_int_eq(self.phase, MQTT_UP);
	ck_assert(self.became_up);
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
	tcase_add_test(tc, the_link_is_up_once_every_room_has_its_suback);
	tcase_add_test(tc, a_room_refused_before_the_first_up_is_asked_again_then_fails_the_network);
	tcase_add_test(tc, an_mqtt5_refusal_not_authorized_fails_the_network_at_once);
	tcase_add_test(tc, a_room_refused_later_is_left_and_the_others_go_on);
	tcase_add_test(tc, a_suback_short_of_answers_refuses_the_rest);
	tcase_add_test(tc, with_no_room_the_link_is_up_at_once);
	suite_add_tcase(s, tc);
	return check_run(s);
}
