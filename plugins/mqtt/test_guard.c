/* SPDX-License-Identifier: MIT */
/* The guard (mqtt_guard.c) between a socket and libmosquitto, with a
 * socket pair in the broker's place: only checked bytes reach the lent
 * descriptor, and the descriptor comes back to the socket after. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "mqtt_guard.h"

/* An MQTT 5 PUBLISH with a user property, 15 bytes; its head is the first
 * 13 (mqtt_packet_check.h). */
static const char publish[] = "\x30\x0d\x00\x01t\x07\x26\x00\x01k\x00\x01vhi";
#define PUBLISH_LEN (sizeof publish - 1)

static struct mqtt_guard guard;
static int broker = -1; /* the broker's end */
static int conn = -1;   /* ours: libmosquitto's number for the connection */

static void setup(void)
{
	int pair[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
	broker = pair[0];
	conn = pair[1];
	ck_assert(mqtt_guard_init(&guard, true, true));
	ck_assert(guard.on);
}

static void teardown(void)
{
	mqtt_guard_free(&guard);
	close(broker);
	close(conn);
}

static void broker_sends(const char *bytes, size_t len)
{
	ck_assert_int_eq(write(broker, bytes, len), (ssize_t)len);
}

START_TEST(checked_bytes_reach_the_lent_descriptor_and_it_comes_back)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, PUBLISH_LEN);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN);
	ck_assert_str_eq(in.why, "");
	ck_assert(!in.ended);

	ck_assert(mqtt_guard_lend(&guard, conn));
	char buf[64];
	ck_assert_int_eq(read(conn, buf, sizeof buf), (ssize_t)PUBLISH_LEN);
	ck_assert_mem_eq(buf, publish, PUBLISH_LEN);
	mqtt_guard_give_back(&guard, conn, false, false);

	/* The number is the socket again: what the broker sends next is read
	 * straight from it, and what we write reaches the broker. */
	broker_sends("x", 1);
	ck_assert_int_eq(read(conn, buf, sizeof buf), 1);
	ck_assert_int_eq(write(conn, "y", 1), 1);
	ck_assert_int_eq(read(broker, buf, sizeof buf), 1);
	ck_assert_int_eq(buf[0], 'y');
}
END_TEST

START_TEST(a_packet_is_fed_once_its_head_has_arrived)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, 5);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, 0);
	broker_sends(publish + 5, PUBLISH_LEN - 5);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN);
}
END_TEST

/* Reads `len` bytes of libmosquitto's end, as its reads between lend and
 * give back would, leaving `unread` of what was fed. */
static void lib_reads(size_t len, bool unread)
{
	char buf[64];
	ck_assert(mqtt_guard_lend(&guard, conn));
	ck_assert_int_eq(read(conn, buf, len), (ssize_t)len);
	mqtt_guard_set_unread(&guard, unread);
	mqtt_guard_give_back(&guard, conn, false, false);
}

START_TEST(one_packet_is_said_only_when_all_that_waits_is_one)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, PUBLISH_LEN); /* one whole packet */
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(in.one_packet);
	lib_reads(PUBLISH_LEN, false);

	char two[2 * PUBLISH_LEN]; /* two packets: not one */
	memcpy(two, publish, PUBLISH_LEN);
	memcpy(two + PUBLISH_LEN, publish, PUBLISH_LEN);
	broker_sends(two, sizeof two);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(!in.one_packet);
	lib_reads(PUBLISH_LEN, true); /* the second waits in the end */

	broker_sends(publish, 13); /* one head only, but behind unread bytes */
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, 13);
	ck_assert(!in.one_packet);
	lib_reads(PUBLISH_LEN + 13, false);

	broker_sends(publish + 13, PUBLISH_LEN - 13); /* its tail: one again */
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(in.one_packet);
	lib_reads(PUBLISH_LEN - 13, false);

	broker_sends(publish + 0, PUBLISH_LEN); /* a whole one and a head: two */
	broker_sends(publish, 13);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN + 13);
	ck_assert(!in.one_packet);
}
END_TEST

START_TEST(a_malformed_packet_stops_the_feed_saying_why)
{
	static const char bad[] = "\x30\x07\x00\x01t\x02\x50\x01h"; /* unknown property */
	char both[PUBLISH_LEN + sizeof bad - 1];
	memcpy(both, publish, PUBLISH_LEN);
	memcpy(both + PUBLISH_LEN, bad, sizeof bad - 1);
	broker_sends(both, sizeof both);

	struct mqtt_guard_intake in;
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN); /* the sound one before it */
	ck_assert_msg(strstr(in.why, "unknown property 0x50"), "why: '%s'", in.why);

	ck_assert(mqtt_guard_lend(&guard, conn));
	char buf[64];
	ck_assert_int_eq(read(conn, buf, sizeof buf), (ssize_t)PUBLISH_LEN);
	ck_assert_int_eq(read(conn, buf, sizeof buf), -1); /* nothing of the bad one */
	ck_assert_int_eq(errno, EAGAIN);
	mqtt_guard_give_back(&guard, conn, false, true);
}
END_TEST

START_TEST(the_broker_hanging_up_is_reported)
{
	struct mqtt_guard_intake in;
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(!in.ended); /* nothing yet: not an end */
	close(broker);
	broker = -1;
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(in.ended);
	ck_assert_int_eq(in.err, 0);
	ck_assert_uint_eq(in.fed, 0);
}
END_TEST

START_TEST(a_connection_that_stopped_leaves_nothing_for_the_next)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, PUBLISH_LEN);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(mqtt_guard_lend(&guard, conn));
	mqtt_guard_give_back(&guard, conn, false, true); /* unread: thrown away */

	ck_assert(mqtt_guard_lend(&guard, conn));
	char buf[64];
	ck_assert_int_eq(read(conn, buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EAGAIN);
	mqtt_guard_give_back(&guard, conn, false, false);
}
END_TEST

START_TEST(a_closed_socket_is_let_go)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, PUBLISH_LEN);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(mqtt_guard_lend(&guard, conn));
	/* libmosquitto closed the socket during its reads: the guard's second
	 * descriptor was the last one, and the broker sees the end. */
	mqtt_guard_give_back(&guard, conn, true, true);
	char buf[8];
	ck_assert_int_eq(read(broker, buf, sizeof buf), 0);
}
END_TEST

/* A guard that was never set up (open() failed before it) closes no
 * descriptor of the process's, not even 0. */
START_TEST(an_unused_guard_closes_nothing)
{
	if (fcntl(0, F_GETFD) < 0)
		ck_assert_int_eq(dup2(conn, 0), 0);
	struct mqtt_guard unused;
	mqtt_guard_clear(&unused);
	mqtt_guard_free(&unused);
	ck_assert_int_ge(fcntl(0, F_GETFD), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_guard");
	TCase *tc = tcase_create("guard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, checked_bytes_reach_the_lent_descriptor_and_it_comes_back);
	tcase_add_test(tc, a_packet_is_fed_once_its_head_has_arrived);
	tcase_add_test(tc, one_packet_is_said_only_when_all_that_waits_is_one);
	tcase_add_test(tc, a_malformed_packet_stops_the_feed_saying_why);
	tcase_add_test(tc, the_broker_hanging_up_is_reported);
	tcase_add_test(tc, a_connection_that_stopped_leaves_nothing_for_the_next);
	tcase_add_test(tc, a_closed_socket_is_let_go);
	tcase_add_test(tc, an_unused_guard_closes_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
