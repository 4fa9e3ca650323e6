/* SPDX-License-Identifier: MIT */
/*
 * Bridges: what [core] bridges and its sections may say, and which copies
 * a message makes (bridge.h's four loop cuts among them), for a
 * configuration built as config.c would read it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bridge.h"
#include "check_run.h"
#include "log.h"
#include "strbuf.h"

#define NOW 1000000u
#define MINUTE 60000u

static const char *const networks[] = {"one", "two", "three"};

static struct config cfg;
static struct bridges *bridges;
static struct relay_plan plan;
static struct strbuf logged;

static void keep_line(void *data, const char *line, enum mqc_log_level level)
{
	(void)data;
	(void)level;
	strbuf_printf(&logged, "%s\n", line);
}

static void setup(void)
{
	cfg = (struct config){0};
	bridges = NULL;
	plan = (struct relay_plan){0};
	logged = (struct strbuf)STRBUF_INIT;
	log_set_sink(keep_line, NULL);
}

static void teardown(void)
{
	log_set_sink(NULL, NULL);
	relay_plan_free(&plan);
	bridges_close(bridges);
	config_free(&cfg);
	strbuf_free(&logged);
}

static void set(const char *section, const char *key, const char *value)
{
	config_set(&cfg, section, key, value, "test.ini:1");
}

/* [core] bridges = lobby; [lobby] rooms = `rooms`. */
static void lobby(const char *rooms)
{
	set("core", "bridges", "lobby");
	set("lobby", "rooms", rooms);
}

static int open_bridges(void)
{
	return bridges_open(&bridges, &cfg, networks, 3, "%H:%M");
}

static void open_ok(void)
{
	ck_assert_int_eq(open_bridges(), 0);
	ck_assert_ptr_nonnull(bridges);
	ck_assert_str_eq(strbuf_str(&logged), "");
}

/* Refused with 78, nothing open, and the log saying `why`. */
static void assert_refused(const char *why)
{
	ck_assert_int_eq(open_bridges(), EX_CONFIG);
	ck_assert_ptr_null(bridges);
	ck_assert_msg(strstr(strbuf_str(&logged), why), "log '%s' does not say '%s'",
	              strbuf_str(&logged), why);
}

/* A live message Ana says in NET:ROOM, without id, not relayed before. */
static struct mqc_message said(const char *network, const char *room, const char *nick,
                               const char *text)
{
	return (struct mqc_message){
		.type = MQC_MSG_MESSAGE, .id = "", .nick = nick, .text = text, .topic = room,
		.sender_id = "", .time_ms = 1700000000000, .network = network, .room = room,
		.to = "", .origin = ""};
}

/* [lobby] linking `rooms`, open. */
static void open_lobby(const char *rooms)
{
	lobby(rooms);
	open_ok();
}

/* What `nick` said ("hola") arriving in NET:ROOM as relayed from `origin`. */
static struct mqc_message relayed(const char *network, const char *room, const char *nick,
                                  const char *origin, unsigned hops)
{
	struct mqc_message msg = said(network, room, nick, "hola");
	msg.origin = origin;
	msg.hops = hops;
	return msg;
}

/* The copies of `msg` in `plan`, the last plan's freed (plan_reused tests
 * planning into a used one). */
static size_t plan_at(const struct mqc_message *msg, uint64_t now)
{
	relay_plan_free(&plan);
	size_t n = bridges_plan(bridges, msg, now, &plan);
	ck_assert_uint_eq(n, plan.n);
	return n;
}

/* The copies of what `nick` says live in NET:ROOM now. */
static size_t plan_said(const char *network, const char *room, const char *nick,
                        const char *text)
{
	struct mqc_message msg = said(network, room, nick, text);
	return plan_at(&msg, NOW);
}

/* [core] bridges = lobby hall, each linking its `rooms`. */
static void lobby_and_hall(const char *lobby_rooms, const char *hall_rooms)
{
	set("core", "bridges", "lobby hall");
	set("lobby", "rooms", lobby_rooms);
	set("hall", "rooms", hall_rooms);
}

static void assert_copy(size_t i, const char *network, const char *room, const char *nick)
{
	ck_assert_uint_lt(i, plan.n);
	ck_assert_str_eq(plan.copies[i].network, network);
	ck_assert_str_eq(plan.copies[i].room, room);
	ck_assert_str_eq(plan.copies[i].nick, nick);
}

/* --- configuration -------------------------------------------------------- */

START_TEST(no_bridges_is_no_error)
{
	ck_assert_int_eq(open_bridges(), 0);
	ck_assert_ptr_null(bridges);
	set("core", "bridges", " , ");
	ck_assert_int_eq(open_bridges(), 0);
	ck_assert_ptr_null(bridges);
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 0);
}
END_TEST

/* One mistake of [lobby]: its rooms (NULL: none), one more key, and what
 * the log must say. */
static const struct refusal {
	const char *rooms, *key, *value, *why;
} refusals[] = {
	{"one:room1", NULL, NULL, "test.ini:1: [lobby] rooms: a bridge links at least two rooms"},
	{"one:room1, one:room1", NULL, NULL, "at least two rooms"}, /* one room twice */
	{NULL, "events", "message", "[lobby] rooms: a bridge links at least two rooms"},
	{"one:room1 two:room2", "events", "message, shout",
	 "[lobby] events: 'shout' is not one of: message, action, join, leave"},
	{"one:room1 two:room2", "nick_format", "{nick}@{net}",
	 "[lobby] nick_format: unknown field {net}"},
	{"one:room1 two:room2", "nick_format", "{nick", "[lobby] nick_format: unclosed '{'"},
};

START_TEST(section_mistake_refused)
{
	const struct refusal *r = &refusals[_i];
	set("core", "bridges", "lobby");
	if (r->rooms)
		set("lobby", "rooms", r->rooms);
	if (r->key)
		set("lobby", r->key, r->value);
	assert_refused(r->why);
}
END_TEST

START_TEST(missing_section_refused)
{
	set("core", "bridges", "lobby");
	assert_refused("[core] bridges names 'lobby', which has no section");
}
END_TEST

START_TEST(every_mistake_reported)
{
	set("core", "bridges", "lobby, hall, attic");
	set("lobby", "rooms", "one:room1 two:room2");
	set("lobby", "events", "shout");
	set("hall", "rooms", "one:room1");
	assert_refused("'shout' is not one of");
	ck_assert_ptr_nonnull(strstr(strbuf_str(&logged), "[hall] rooms:"));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&logged), "'attic', which has no section"));
}
END_TEST

static void note_room(void *data, const char *network, const char *room)
{
	strbuf_printf(data, "%s:%s ", network, room);
}

START_TEST(each_linked_room_listed)
{
	lobby_and_hall("one:room1 two:room2", "three:room3,one:room4");
	open_ok();
	struct strbuf sb = STRBUF_INIT;
	bridges_each_room(bridges, note_room, &sb);
	ck_assert_str_eq(strbuf_str(&sb), "one:room1 two:room2 three:room3 one:room4 ");
	strbuf_free(&sb);
	bridges_each_room(NULL, note_room, NULL);
}
END_TEST

/* --- which copies --------------------------------------------------------- */

START_TEST(message_goes_to_the_other_room_only)
{
	open_lobby("one:room1 two:room2");
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 1);
	assert_copy(0, "two", "room2", "Ana@one");
	ck_assert_str_eq(plan.copies[0].id, "");
	struct mqc_message back = said("two", "room2", "Bea", "hi");
	ck_assert_uint_eq(plan_at(&back, NOW), 1);
	assert_copy(0, "one", "room1", "Bea@two");
}
END_TEST

START_TEST(rooms_not_linked_make_none)
{
	open_lobby("one:room1 two:room2");
	struct mqc_message msg = said("one", "ops", "Ana", "hola");
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	msg = said("two", "room1", "Ana", "hola"); /* room1, but of two */
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
}
END_TEST

START_TEST(three_rooms_two_copies)
{
	open_lobby("one:room1 two:room2 three:room3");
	ck_assert_uint_eq(plan_said("two", "room2", "Bea", "hi"), 2);
	assert_copy(0, "one", "room1", "Bea@two");
	assert_copy(1, "three", "room3", "Bea@two");
}
END_TEST

START_TEST(status_history_retained_make_none)
{
	open_lobby("one:room1 two:room2");
	struct mqc_message msg = said("one", "room1", "Ana", "hola");
	msg.type = MQC_MSG_STATUS;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	msg.type = MQC_MSG_MESSAGE;
	msg.flags = MQC_MSG_HISTORY;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	msg.flags = MQC_MSG_HISTORY | MQC_MSG_OWN;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	msg.flags = MQC_MSG_RETAINED;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	/* And none of these was remembered as relayed: the live one crosses. */
	msg.flags = MQC_MSG_OWN;
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
}
END_TEST

/* Ana in one:room1 now: a message or action "hola", a join or leave. */
static size_t plan_of_type(enum mqc_msg_type type)
{
	bool said_words = type == MQC_MSG_MESSAGE || type == MQC_MSG_ACTION;
	struct mqc_message msg = said("one", "room1", "Ana", said_words ? "hola" : "");
	msg.type = type;
	return plan_at(&msg, NOW);
}

/* [lobby] events (NULL: the default), a type, how many copies it makes. */
static const struct crossing {
	const char *events;
	enum mqc_msg_type type;
	size_t copies;
} crossings[] = {
	{NULL, MQC_MSG_MESSAGE, 1}, {NULL, MQC_MSG_ACTION, 1},
	{NULL, MQC_MSG_JOIN, 0}, {NULL, MQC_MSG_LEAVE, 0},
	{"JOIN", MQC_MSG_JOIN, 1}, {"JOIN", MQC_MSG_MESSAGE, 0},
	{"JOIN", MQC_MSG_ACTION, 0}, {"JOIN", MQC_MSG_LEAVE, 0},
	{"join, Leave", MQC_MSG_LEAVE, 1}, {"message action join leave", MQC_MSG_JOIN, 1},
};

START_TEST(events_cross)
{
	const struct crossing *c = &crossings[_i];
	lobby("one:room1 two:room2");
	if (c->events)
		set("lobby", "events", c->events);
	open_ok();
	ck_assert_uint_eq(plan_of_type(c->type), c->copies);
}
END_TEST

/* The copy of "* Ana waves" is an action said by "Ana@one": the marker
 * belongs to how a frontend shows an action, not to the sender's name. */
START_TEST(action_copy_nick_has_no_marker)
{
	open_lobby("one:room1 two:room2");
	ck_assert_uint_eq(plan_of_type(MQC_MSG_ACTION), 1);
	assert_copy(0, "two", "room2", "Ana@one");
}
END_TEST

/* A nick_format, who speaks in one:room1, and who says the copy in two:room2;
 * a nick of a format's relayed shape is in the loop cuts below. */
static const struct naming {
	const char *format, *nick, *copy_nick;
} namings[] = {
	{"{nick}@{network}", "Ana", "Ana@one"},
	/* a copy's nick is one every receiver takes: no ':' (the plain wire's
	 * "nick: text" would split there), at most NICK_MAX bytes */
	{"{nick} ({network}:{room})", "Ana", "Ana (one_room1)"},
	{"{nick}@{network}", "0123456789012345678901234567890123456789012345678901234567890",
	 "0123456789012345678901234567890123456789012345678901234567890@on"},
	{"[{network}] {nick}", "[two]x", "[one] [two]x"}, /* not "[two] NICK" */
	{"{nick}", "x@one", "x@one"}, /* no shape to know a relay by */
};

START_TEST(copy_named_by_nick_format)
{
	const struct naming *n = &namings[_i];
	lobby("one:room1 two:room2");
	set("lobby", "nick_format", n->format);
	open_ok();
	ck_assert_uint_eq(plan_said("one", "room1", n->nick, "hola"), 1);
	assert_copy(0, "two", "room2", n->copy_nick);
}
END_TEST

/* --- loop cuts ------------------------------------------------------------ */

START_TEST(hop_limit)
{
	open_lobby("one:room1 two:room2 three:room3");
	struct mqc_message msg = relayed("two", "room2", "Ana@one", "one:room1", BRIDGE_MAX_HOPS - 1);
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
	assert_copy(0, "three", "room3", "Ana@one@two");
	msg.text = "again";
	msg.hops = BRIDGE_MAX_HOPS;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	msg.hops = BRIDGE_MAX_HOPS + 5;
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
}
END_TEST

START_TEST(never_back_to_the_origin)
{
	open_lobby("one:room1 two:room2");
	struct mqc_message msg = relayed("two", "room2", "Ana@one", "one:room1", 1);
	ck_assert_uint_eq(plan_at(&msg, NOW), 0);
	/* An origin on another network's room of that name is not it. */
	msg.origin = "three:room1";
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
	assert_copy(0, "one", "room1", "Ana@one@two");
}
END_TEST

/* What this process relayed into B, arriving in B (the broker's echo, or
 * the twin another bridge made), goes no further: not even to C. */
START_TEST(twin_of_a_copy_not_relayed)
{
	open_lobby("one:room1 two:room2 three:room3");
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 2);
	struct mqc_message twin = relayed("two", "room2", "Ana@one", "one:room1", 1);
	ck_assert_uint_eq(plan_at(&twin, NOW + 1000), 0);
}
END_TEST

/* Without the relayed shape ({nick}) the plain twin is known only by
 * being identical to what was relayed; a minute later it is news. */
START_TEST(plain_twin_known_for_a_minute)
{
	lobby("one:room1 two:room2 three:room3");
	set("lobby", "nick_format", "{nick}");
	open_ok();
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 2);
	struct mqc_message twin = said("two", "room2", "Ana", "hola");
	ck_assert_uint_eq(plan_at(&twin, NOW + MINUTE / 2), 0);
	struct mqc_message other = said("two", "room2", "Ana", "hola!");
	ck_assert_uint_eq(plan_at(&other, NOW + MINUTE / 2), 2);
	ck_assert_uint_eq(plan_at(&twin, NOW + MINUTE + 1000), 2);
	assert_copy(0, "one", "room1", "Ana");
	assert_copy(1, "three", "room3", "Ana");
}
END_TEST

/* The same words said again are said again: only a twin arriving in the
 * room a copy went to is held back (twin_of_a_copy_not_relayed). */
START_TEST(repeat_within_the_minute_relayed)
{
	open_lobby("one:room1 two:room2");
	struct mqc_message msg = said("one", "room1", "Ana", "ok");
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
	ck_assert_uint_eq(plan_at(&msg, NOW + MINUTE - 1000), 1);
	msg.type = MQC_MSG_ACTION;
	ck_assert_uint_eq(plan_at(&msg, NOW + MINUTE - 1000), 1);
}
END_TEST

/* A room that names no network is refused: a bridge is between networks. */
START_TEST(room_without_network_refused)
{
	lobby("one:room1 tow:room2");
	ck_assert_int_eq(open_bridges(), 78);
	ck_assert_ptr_nonnull(strstr(strbuf_str(&logged), "'tow:room2' names no network"));
}
END_TEST

START_TEST(plain_nick_with_relayed_shape_not_relayed)
{
	open_lobby("one:room1 two:room2 three:room3");
	ck_assert_uint_eq(plan_said("one", "room1", "x@one", "hola"), 0);
	ck_assert_uint_eq(plan_said("one", "room1", "x@two", "hola"), 0);
	/* no network of this bridge; the shape around no one */
	ck_assert_uint_eq(plan_said("one", "room1", "x@four", "hola"), 2);
	ck_assert_uint_eq(plan_said("one", "room1", "@one", "hola"), 2);
}
END_TEST

/* The json wire carries hops: its count decides, not the nick's shape. */
START_TEST(relayed_json_judged_by_hops_not_shape)
{
	open_lobby("one:room1 two:room2 three:room3");
	struct mqc_message msg = relayed("one", "room1", "x@two", "two:room9", 1);
	ck_assert_uint_eq(plan_at(&msg, NOW), 2);
	assert_copy(0, "two", "room2", "x@two@one");
}
END_TEST

START_TEST(shape_of_a_custom_format)
{
	lobby("one:room1 two:room2");
	set("lobby", "nick_format", "[{network}] {nick}");
	open_ok();
	ck_assert_uint_eq(plan_said("one", "room1", "[two] x", "hola"), 0);
	ck_assert_uint_eq(plan_said("one", "room1", "[one] x", "hola"), 0);
}
END_TEST

START_TEST(two_bridges_one_copy_into_a_room)
{
	lobby_and_hall("one:room1 two:room2", "two:room2 one:room1");
	open_ok();
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 1);
	assert_copy(0, "two", "room2", "Ana@one");
}
END_TEST

START_TEST(two_bridges_from_one_room)
{
	lobby_and_hall("one:room1 two:room2", "one:room1 three:room3");
	open_ok();
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 2);
	assert_copy(0, "two", "room2", "Ana@one");
	assert_copy(1, "three", "room3", "Ana@one");
}
END_TEST

/* --- copy ids ------------------------------------------------------------- */

/* Two processes bridging the same rooms make the same copy of a message. */
START_TEST(copy_id_same_in_two_processes)
{
	open_lobby("one:room1 two:room2 three:room3");
	struct bridges *other = NULL;
	ck_assert_int_eq(bridges_open(&other, &cfg, networks, 3, "%H:%M"), 0);
	struct mqc_message msg = said("one", "room1", "Ana", "hola");
	msg.id = "5f3a9c0d12e4b678";
	struct relay_plan theirs = {0};
	ck_assert_uint_eq(bridges_plan(other, &msg, NOW + 5, &theirs), 2);
	ck_assert_uint_eq(plan_at(&msg, NOW), 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(plan.copies[i].room, theirs.copies[i].room);
		ck_assert_uint_eq(strlen(plan.copies[i].id), MQC_MESSAGE_ID_SIZE - 1);
		ck_assert_str_eq(plan.copies[i].id, theirs.copies[i].id);
	}
	/* Each room its own copy. */
	ck_assert_str_ne(plan.copies[0].id, plan.copies[1].id);
	relay_plan_free(&theirs);
	bridges_close(other);
}
END_TEST

START_TEST(copy_id_follows_the_original)
{
	open_lobby("one:room1 two:room2");
	struct mqc_message msg = said("one", "room1", "Ana", "hola");
	msg.id = "aaaaaaaaaaaaaaaa";
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
	char first[MQC_MESSAGE_ID_SIZE];
	memcpy(first, plan.copies[0].id, sizeof first);
	msg.id = "aaaaaaaaaaaaaaab";
	msg.text = "hola otra vez";
	ck_assert_uint_eq(plan_at(&msg, NOW), 1);
	ck_assert_str_ne(plan.copies[0].id, first);
}
END_TEST

START_TEST(copy_without_original_id_is_fresh)
{
	open_lobby("one:room1 two:room2");
	ck_assert_uint_eq(plan_said("one", "room1", "Ana", "hola"), 1);
	ck_assert_str_eq(plan.copies[0].id, "");
}
END_TEST

/* bridge.h: `plan` is emptied first: planning into a used one loses
 * nothing (AddressSanitizer's leak check judges the copies' nicks). */
START_TEST(plan_reused)
{
	open_lobby("one:room1 two:room2 three:room3");
	struct mqc_message msg = said("one", "room1", "Ana", "hola");
	ck_assert_uint_eq(bridges_plan(bridges, &msg, NOW, &plan), 2);
	msg.text = "adios";
	ck_assert_uint_eq(bridges_plan(bridges, &msg, NOW, &plan), 2);
	ck_assert_uint_eq(plan.n, 2);
	assert_copy(1, "three", "room3", "Ana@one");
}
END_TEST

/* A test case of `s` run with setup and teardown. */
static TCase *fixed_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("bridge");
	TCase *config = fixed_case(s, "config");
	tcase_add_test(config, no_bridges_is_no_error);
	tcase_add_loop_test(config, section_mistake_refused, 0,
	                    (int)(sizeof refusals / sizeof refusals[0]));
	tcase_add_test(config, missing_section_refused);
	tcase_add_test(config, every_mistake_reported);
	tcase_add_test(config, each_linked_room_listed);
	tcase_add_test(config, room_without_network_refused);

	TCase *copies = fixed_case(s, "copies");
	tcase_add_test(copies, message_goes_to_the_other_room_only);
	tcase_add_test(copies, rooms_not_linked_make_none);
	tcase_add_test(copies, three_rooms_two_copies);
	tcase_add_test(copies, status_history_retained_make_none);
	tcase_add_loop_test(copies, events_cross, 0, (int)(sizeof crossings / sizeof crossings[0]));
	tcase_add_test(copies, action_copy_nick_has_no_marker);
	tcase_add_loop_test(copies, copy_named_by_nick_format, 0,
	                    (int)(sizeof namings / sizeof namings[0]));
	tcase_add_test(copies, two_bridges_one_copy_into_a_room);
	tcase_add_test(copies, two_bridges_from_one_room);
	tcase_add_test(copies, plan_reused);

	TCase *loops = fixed_case(s, "loops");
	tcase_add_test(loops, hop_limit);
	tcase_add_test(loops, never_back_to_the_origin);
	tcase_add_test(loops, twin_of_a_copy_not_relayed);
	tcase_add_test(loops, plain_twin_known_for_a_minute);
	tcase_add_test(loops, repeat_within_the_minute_relayed);
	tcase_add_test(loops, plain_nick_with_relayed_shape_not_relayed);
	tcase_add_test(loops, relayed_json_judged_by_hops_not_shape);
	tcase_add_test(loops, shape_of_a_custom_format);

	TCase *ids = fixed_case(s, "ids");
	tcase_add_test(ids, copy_id_same_in_two_processes);
	tcase_add_test(ids, copy_id_follows_the_original);
	tcase_add_test(ids, copy_without_original_id_is_fresh);
	return check_run(s);
}
