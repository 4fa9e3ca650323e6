/* SPDX-License-Identifier: MIT */
/* One network's rooms and who is present in them, for a backend instance
 * faked as instance.c would resolve it: a plugin's keys and their values. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "network.h"

static int fake_join(void *self, const char *room)
{
	(void)self;
	(void)room;
	return 0;
}

/* Like mqtt: a `topic` key, a broker by host and port or by hosts. */
static const struct mqc_key topic_keys[] = {
	{.name = "topic"}, {.name = "host"}, {.name = "port"}, {.name = "hosts"}, {.name = NULL}};
/* A backend whose rooms are all in `rooms`, and a pre-1.2 one without join. */
static const struct mqc_key plain_keys[] = {{.name = "server"}, {.name = NULL}};

static char topic_path[] = "(test) topic", plain_path[] = "(test) plain";

static const struct plugin topic_plugin = {
	.path = topic_path,
	.desc = {.abi_major = MQC_ABI_MAJOR, .abi_minor = MQC_ABI_MINOR,
	         .size = sizeof(struct mqc_plugin), .name = "topic",
	         .kind = MQC_PLUGIN_BACKEND, .keys = topic_keys, .join = fake_join},
};
static const struct plugin plain_plugin = {
	.path = plain_path,
	.desc = {.abi_major = MQC_ABI_MAJOR, .abi_minor = MQC_ABI_MINOR,
	         .size = sizeof(struct mqc_plugin), .name = "plain",
	         .kind = MQC_PLUGIN_BACKEND, .keys = plain_keys},
};

/* The values of topic_keys: topic, host, port, hosts. */
static const char *topic_values[4];
static const char *plain_values[1] = {"irc.example"};

static struct instance inst;
static struct network net;

static void open_network(const struct plugin *p, const char **values, const char *rooms)
{
	inst = (struct instance){.name = (char *)"one", .plugin = p, .values = values};
	network_init(&net, &inst, rooms);
	ck_assert_ptr_eq(inst.network, &net);
	ck_assert_str_eq(net.name, "one");
}

/* An mqtt-like network on `topic` with [one] rooms = `rooms`. */
static void open_topic(const char *topic, const char *rooms)
{
	topic_values[0] = topic;
	topic_values[1] = "localhost";
	topic_values[2] = "1883";
	topic_values[3] = "";
	open_network(&topic_plugin, topic_values, rooms);
}

static void close_network(void)
{
	network_free(&net);
}

/* The joined rooms, joined with '|'. */
static void assert_rooms(const char *joined)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < net.n_rooms; i++)
		strbuf_printf(&sb, "%s%s", i ? "|" : "", net.rooms[i]);
	ck_assert_str_eq(strbuf_str(&sb), joined);
	strbuf_free(&sb);
}

START_TEST(first_room_is_the_topic)
{
	open_topic("chat/room1", "ops, dev");
	assert_rooms("chat/room1|ops|dev");
	ck_assert(net.has_rooms);
	ck_assert_str_eq(net.broker, "localhost:1883");
	close_network();
}
END_TEST

START_TEST(topic_listed_again_in_rooms_is_joined_once)
{
	open_topic("chat/room1", "ops chat/room1 ops");
	assert_rooms("chat/room1|ops");
	close_network();
}
END_TEST

START_TEST(empty_topic_leaves_the_first_of_rooms)
{
	open_topic("", "ops dev");
	assert_rooms("ops|dev");
	close_network();
}
END_TEST

START_TEST(without_a_topic_key_the_first_of_rooms)
{
	open_network(&plain_plugin, plain_values, "\t#ops,#dev ");
	assert_rooms("#ops|#dev");
	ck_assert(!net.has_rooms);
	ck_assert_str_eq(net.broker, "");
	close_network();
}
END_TEST

START_TEST(without_topic_or_rooms_the_network_name)
{
	open_network(&plain_plugin, plain_values, "");
	assert_rooms("one");
	close_network();
	open_topic("", " , ");
	assert_rooms("one");
	close_network();
}
END_TEST

START_TEST(broker_from_hosts_before_host)
{
	topic_values[0] = "t";
	topic_values[1] = "localhost";
	topic_values[2] = "1883";
	topic_values[3] = "a:1883,b:1884";
	open_network(&topic_plugin, topic_values, "");
	ck_assert_str_eq(net.broker, "a:1883,b:1884");
	close_network();
}
END_TEST

START_TEST(add_and_remove_rooms)
{
	open_topic("room1", "");
	network_add_room(&net, "ops");
	network_add_room(&net, "dev");
	network_add_room(&net, "ops");
	assert_rooms("room1|ops|dev");
	ck_assert_int_eq(network_room_index(&net, "dev"), 2);
	ck_assert_int_eq(network_room_index(&net, "nowhere"), -1);
	ck_assert(network_remove_room(&net, "ops"));
	assert_rooms("room1|dev");
	ck_assert_int_eq(network_room_index(&net, "dev"), 1);
	ck_assert(!network_remove_room(&net, "ops"));
	ck_assert(!network_remove_room(&net, "nowhere"));
	network_add_room(&net, "ops");
	assert_rooms("room1|dev|ops");
	close_network();
}
END_TEST

START_TEST(room_of_a_topic)
{
	open_topic("room1", "ops");
	ck_assert_str_eq(network_room_of(&net, "ops"), "ops");
	ck_assert_ptr_eq(network_room_of(&net, "ops"), net.rooms[1]);
	ck_assert_str_eq(network_room_of(&net, "room1"), "room1");
	/* A topic no room has (a wildcard's match), or none: the first room. */
	ck_assert_str_eq(network_room_of(&net, "elsewhere"), "room1");
	ck_assert_str_eq(network_room_of(&net, NULL), "room1");
	close_network();
}
END_TEST

static void assert_who(const char *room, const char *names, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	ck_assert_uint_eq(network_who(&net, room, &sb), n);
	ck_assert_str_eq(strbuf_str(&sb), names);
	strbuf_free(&sb);
}

START_TEST(presence_comes_and_goes)
{
	open_topic("room1", "ops");
	assert_who("room1", "", 0);
	network_presence(&net, "room1", "Ana", true);
	network_presence(&net, "room1", "Bea", true);
	network_presence(&net, "room1", "Ana", true);
	network_presence(&net, "ops", "Ana", true);
	assert_who("room1", "Ana, Bea", 2);
	assert_who("ops", "Ana", 1);
	network_presence(&net, "room1", "Ana", false);
	assert_who("room1", "Bea", 1);
	assert_who("ops", "Ana", 1);
	network_presence(&net, "room1", "Cid", false); /* never came */
	assert_who("room1", "Bea", 1);
	close_network();
}
END_TEST

/* A proved Ana and one only claiming the name are listed apart, each
 * with its state; one going leaves the other. */
START_TEST(proved_and_claimed_names_listed_apart)
{
	open_topic("room1", "");
	network_presence_state(&net, "room1", "Ana", MQC_PRESENCE_ONLINE, true);
	network_presence_state(&net, "room1", "Ana", MQC_PRESENCE_ONLINE, false);
	network_presence_state(&net, "room1", "Bea", MQC_PRESENCE_AWAY, true);
	assert_who("room1", "Ana, ~Ana, Bea (away)", 3);
	network_presence_state(&net, "room1", "Ana", MQC_PRESENCE_OFFLINE, true);
	assert_who("room1", "~Ana, Bea (away)", 2);
	network_presence_state(&net, "room1", "Bea", MQC_PRESENCE_ONLINE, true);
	network_presence_state(&net, "room1", "b\x1b[2Jx", MQC_PRESENCE_ONLINE, true);
	assert_who("room1", "~Ana, Bea, bx", 3); /* the escape sequence dropped */
	close_network();
}
END_TEST

START_TEST(who_appends_to_what_is_there)
{
	open_topic("room1", "");
	network_presence(&net, "room1", "Ana", true);
	network_presence(&net, "room1", "Bea", true);
	struct strbuf sb = STRBUF_INIT;
	strbuf_appends(&sb, "present: ");
	ck_assert_uint_eq(network_who(&net, "room1", &sb), 2);
	ck_assert_str_eq(strbuf_str(&sb), "present: Ana, Bea");
	strbuf_free(&sb);
	close_network();
}
END_TEST

START_TEST(presence_of_a_room_cleared)
{
	open_topic("room1", "ops");
	network_presence(&net, "room1", "Ana", true);
	network_presence(&net, "room1", "Bea", true);
	network_presence(&net, "ops", "Bea", true);
	network_presence(&net, "room1", NULL, false);
	assert_who("room1", "", 0);
	assert_who("ops", "Bea", 1);
	network_presence(&net, "room1", NULL, true); /* no one to add */
	assert_who("room1", "", 0);
	close_network();
}
END_TEST

START_TEST(presence_gone_from_every_room)
{
	open_topic("room1", "ops");
	network_presence(&net, "room1", "Ana", true);
	network_presence(&net, "ops", "Ana", true);
	network_presence(&net, "ops", "Bea", true);
	network_presence(&net, NULL, "Ana", false);
	assert_who("room1", "", 0);
	assert_who("ops", "Bea", 1);
	ck_assert_uint_eq(net.n_present, 1);
	close_network();
}
END_TEST

START_TEST(parting_a_room_forgets_who_was_there)
{
	open_topic("room1", "ops");
	network_presence(&net, "ops", "Ana", true);
	network_presence(&net, "room1", "Bea", true);
	ck_assert(network_remove_room(&net, "ops"));
	ck_assert_uint_eq(net.n_present, 1);
	assert_who("ops", "", 0);
	assert_who("room1", "Bea", 1);
	/* Freed with the network: AddressSanitizer's leak check judges. */
	network_presence(&net, "room1", "Cid", true);
	close_network();
}
END_TEST

/* A link at `up_ms` went down at `down_ms`, with a 30 s repeat window. */
static void up_then_down(uint64_t up_ms, uint64_t down_ms)
{
	net.link_up_ms = up_ms;
	network_link_down(&net, down_ms, 30000);
}

/* A move counts from its first drop through hops that each lasted less
 * than the window, for at most twice the window; a link that stayed up
 * longer starts a move of its own. */
START_TEST(a_move_counts_from_its_first_drop_for_a_while)
{
	open_topic("room1", "");
	up_then_down(1000, 5000);
	ck_assert_uint_eq(net.link_down_ms, 5000);
	up_then_down(9000, 20000); /* up for 11 s: the same move */
	ck_assert_uint_eq(net.link_down_ms, 5000);
	up_then_down(24000, 54000); /* up for 30 s: still the same */
	ck_assert_uint_eq(net.link_down_ms, 5000);
	up_then_down(60000, 66000); /* 61 s since the move began: a new one */
	ck_assert_uint_eq(net.link_down_ms, 66000);
	up_then_down(70000, 100001); /* up for over 30 s: a new one */
	ck_assert_uint_eq(net.link_down_ms, 100001);
	close_network();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("network");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_room_is_the_topic);
	tcase_add_test(tc, topic_listed_again_in_rooms_is_joined_once);
	tcase_add_test(tc, empty_topic_leaves_the_first_of_rooms);
	tcase_add_test(tc, without_a_topic_key_the_first_of_rooms);
	tcase_add_test(tc, without_topic_or_rooms_the_network_name);
	tcase_add_test(tc, broker_from_hosts_before_host);
	tcase_add_test(tc, add_and_remove_rooms);
	tcase_add_test(tc, room_of_a_topic);
	tcase_add_test(tc, presence_comes_and_goes);
	tcase_add_test(tc, proved_and_claimed_names_listed_apart);
	tcase_add_test(tc, who_appends_to_what_is_there);
	tcase_add_test(tc, presence_of_a_room_cleared);
	tcase_add_test(tc, presence_gone_from_every_room);
	tcase_add_test(tc, parting_a_room_forgets_who_was_there);
	tcase_add_test(tc, a_move_counts_from_its_first_drop_for_a_while);
	suite_add_tcase(s, tc);
	return check_run(s);
}
