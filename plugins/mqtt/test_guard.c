/* SPDX-License-Identifier: MIT */
/* The guard (mqtt_guard.c) between a socket and libmosquitto, with a
 * socket pair in the broker's place: only checked bytes reach the lent
 * descriptor, and the descriptor comes back to the socket after; a room's
 * plain messages are claimed instead, and acknowledged by the guard. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "mqtt_guard.h"

/* An MQTT 5 PUBLISH with a user property, 15 bytes; its head is the first
 * 13 (mqtt_packet_check.h).  Not plain: libmosquitto reads it. */
static const char publish[] = "\x30\x0d\x00\x01t\x07\x26\x00\x01k\x00\x01vhi";
#define PUBLISH_LEN (sizeof publish - 1)
/* A plain one: QoS 1, packet id 7, on "t", saying "hello"; 13 bytes. */
static const char plain[] = "\x32\x0b\x00\x01t\x00\x07\x00hello";
#define PLAIN_LEN (sizeof plain - 1)

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
	ck_assert_str_eq(in.why, "");
	ck_assert(!in.ended);
	ck_assert(mqtt_guard_feed(&guard, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN);

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

/* While lent, the number is the guard's end: the socket itself (for its
 * options) is the guard's own descriptor of it, and the number again once
 * given back. */
START_TEST(the_socket_behind_a_lent_number_is_the_guards_descriptor)
{
	ck_assert_int_eq(mqtt_guard_socket(&guard, conn), conn);
	ck_assert(mqtt_guard_lend(&guard, conn));
	int sock = mqtt_guard_socket(&guard, conn);
	ck_assert_int_ne(sock, conn);
	ck_assert_int_eq(write(sock, "y", 1), 1);
	char buf[8];
	ck_assert_int_eq(read(broker, buf, sizeof buf), 1);
	ck_assert_int_eq(buf[0], 'y');
	mqtt_guard_give_back(&guard, conn, false, false);
	ck_assert_int_eq(mqtt_guard_socket(&guard, conn), conn);
}
END_TEST

/* Takes what the broker sent and feeds it; the bytes fed. */
static size_t take_and_feed(struct mqtt_guard_intake *in)
{
	ck_assert(mqtt_guard_take(&guard, conn, in));
	(void)mqtt_guard_feed(&guard, in);
	return in->fed;
}

START_TEST(a_small_packet_is_fed_once_whole)
{
	struct mqtt_guard_intake in;
	broker_sends(publish, 13); /* its head, checked, but not all of it */
	ck_assert_uint_eq(take_and_feed(&in), 0);
	broker_sends(publish + 13, PUBLISH_LEN - 13);
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
}
END_TEST

START_TEST(a_big_packet_is_fed_as_it_comes)
{
	/* 100 000 bytes of payload after the same head as `publish`. */
	static char big[5 + 100000];
	size_t body = 100000 - 5 + 11;
	big[0] = 0x30;
	big[1] = (char)(0x80 | (body & 0x7f));
	big[2] = (char)(0x80 | ((body >> 7) & 0x7f));
	big[3] = (char)(body >> 14);
	memcpy(big + 4, publish + 2, 11);
	struct mqtt_guard_intake in;
	broker_sends(big, 4096);
	ck_assert_uint_eq(take_and_feed(&in), 4096);
	ck_assert(in.one_packet); /* part of one */
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
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
	ck_assert(in.one_packet);
	lib_reads(PUBLISH_LEN, false);

	char two[2 * PUBLISH_LEN]; /* two packets: not one */
	memcpy(two, publish, PUBLISH_LEN);
	memcpy(two + PUBLISH_LEN, publish, PUBLISH_LEN);
	broker_sends(two, sizeof two);
	ck_assert_uint_eq(take_and_feed(&in), sizeof two);
	ck_assert(!in.one_packet);
	lib_reads(PUBLISH_LEN, true); /* the second waits in the end */

	broker_sends(publish, PUBLISH_LEN); /* one, but behind unread bytes */
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
	ck_assert(!in.one_packet);
	lib_reads(2 * PUBLISH_LEN, false);

	broker_sends(publish, PUBLISH_LEN); /* a whole one and a head: one fed */
	broker_sends(publish, 13);
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
	ck_assert(in.one_packet);
	lib_reads(PUBLISH_LEN, false);
	broker_sends(publish + 13, PUBLISH_LEN - 13); /* its tail: one again */
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
	ck_assert(in.one_packet);
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
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN); /* the sound one before it */
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
	ck_assert_uint_eq(take_and_feed(&in), PUBLISH_LEN);
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

/* Claims a plain message: "hello", packet id 7, on "t". */
static void claims_plain(void)
{
	struct mqtt_publish p;
	ck_assert(mqtt_guard_claim(&guard, &p));
	ck_assert_uint_eq(p.topic_len, 1);
	ck_assert_mem_eq(p.topic, "t", 1);
	ck_assert_uint_eq(p.payload_len, 5);
	ck_assert_mem_eq(p.payload, "hello", 5);
	ck_assert_int_eq(p.qos, 1);
	ck_assert_uint_eq(p.mid, 7);
}

/* A sender in a room gets the PUBACKs of its messages among the others'
 * messages: libmosquitto reads the packets that are not plain, and only
 * those, in their turn; the plain ones around them are claimed. */
START_TEST(plain_messages_are_claimed_around_those_that_are_not)
{
	static const char puback[] = "\x40\x02\x00\x09";
	const size_t puback_len = sizeof puback - 1;
	broker_sends(plain, PLAIN_LEN);
	broker_sends(plain, PLAIN_LEN);
	broker_sends(publish, PUBLISH_LEN);
	broker_sends(puback, puback_len);
	broker_sends(plain, PLAIN_LEN);
	struct mqtt_guard_intake in;
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	claims_plain();
	claims_plain();
	/* libmosquitto reads the one with a property and the PUBACK. */
	struct mqtt_publish p;
	ck_assert(!mqtt_guard_claim(&guard, &p));
	ck_assert(mqtt_guard_feed(&guard, &in));
	ck_assert_uint_eq(in.fed, PUBLISH_LEN + puback_len);
	ck_assert(!in.one_packet);
	lib_reads(PUBLISH_LEN, true);
	/* While it holds bytes, nothing is claimed: all it has not taken and
	 * what follows goes to it. */
	ck_assert(!mqtt_guard_claim(&guard, &p));
	ck_assert(mqtt_guard_feed(&guard, &in));
	ck_assert_uint_eq(in.fed, PLAIN_LEN);
	lib_reads(puback_len + PLAIN_LEN, false);
	/* All read: claimed again, and a lone PUBACK is fed as one packet. */
	broker_sends(plain, PLAIN_LEN);
	broker_sends(puback, puback_len);
	broker_sends(plain, PLAIN_LEN);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	claims_plain();
	ck_assert(mqtt_guard_feed(&guard, &in));
	ck_assert_uint_eq(in.fed, puback_len);
	ck_assert(in.one_packet);
	lib_reads(puback_len, false);
	claims_plain();
	ck_assert(!mqtt_guard_feed(&guard, &in));
}
END_TEST

/* The caller claims only while subscribed: a plain PUBLISH it leaves at the
 * head (a broker's, before its CONNACK) goes to libmosquitto with what
 * follows, not left to wait for more from the broker. */
START_TEST(a_plain_message_left_unclaimed_goes_to_libmosquitto)
{
	static const char connack[] = "\x20\x03\x00\x00\x00";
	const size_t connack_len = sizeof connack - 1;
	broker_sends(plain, PLAIN_LEN);
	broker_sends(connack, connack_len);
	struct mqtt_guard_intake in;
	ck_assert_uint_eq(take_and_feed(&in), PLAIN_LEN + connack_len);
	ck_assert(!in.one_packet);
	lib_reads(PLAIN_LEN + connack_len, false);
	ck_assert(!mqtt_guard_feed(&guard, &in));
}
END_TEST

START_TEST(a_plain_message_is_claimed_once_whole)
{
	struct mqtt_guard_intake in;
	struct mqtt_publish p;
	broker_sends(plain, 6);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(!mqtt_guard_claim(&guard, &p));
	ck_assert(!mqtt_guard_feed(&guard, &in));
	broker_sends(plain + 6, PLAIN_LEN - 6);
	ck_assert(mqtt_guard_take(&guard, conn, &in));
	ck_assert(mqtt_guard_claim(&guard, &p));
	ck_assert_mem_eq(p.payload, "hello", 5);
}
END_TEST

START_TEST(acknowledgements_wait_for_room_on_the_socket)
{
	ck_assert(!mqtt_guard_acks_waiting(&guard));
	ck_assert(mqtt_guard_ack(&guard, 7));
	ck_assert(mqtt_guard_ack(&guard, 0x1234));
	ck_assert(mqtt_guard_acks_waiting(&guard));
	/* The socket full: nothing goes, nothing is lost. */
	static const char junk[4096];
	size_t stuffed = 0;
	ssize_t n;
	while ((n = write(conn, junk, sizeof junk)) > 0)
		stuffed += (size_t)n;
	while ((n = write(conn, junk, 1)) > 0)
		stuffed += (size_t)n;
	ck_assert(mqtt_guard_write_acks(&guard, conn));
	ck_assert(mqtt_guard_acks_waiting(&guard));
	ck_assert(!mqtt_guard_acks_cut(&guard));
	static char sink[1 << 16];
	while (stuffed > 0 && (n = read(broker, sink, sizeof sink)) > 0)
		stuffed -= (size_t)n;
	ck_assert(mqtt_guard_write_acks(&guard, conn));
	ck_assert(!mqtt_guard_acks_waiting(&guard));
	char buf[16];
	ck_assert_int_eq(read(broker, buf, sizeof buf), 8);
	ck_assert_mem_eq(buf, "\x40\x02\x00\x07\x40\x02\x12\x34", 8);
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
	tcase_add_test(tc, the_socket_behind_a_lent_number_is_the_guards_descriptor);
	tcase_add_test(tc, a_small_packet_is_fed_once_whole);
	tcase_add_test(tc, a_big_packet_is_fed_as_it_comes);
	tcase_add_test(tc, one_packet_is_said_only_when_all_that_waits_is_one);
	tcase_add_test(tc, a_malformed_packet_stops_the_feed_saying_why);
	tcase_add_test(tc, the_broker_hanging_up_is_reported);
	tcase_add_test(tc, a_connection_that_stopped_leaves_nothing_for_the_next);
	tcase_add_test(tc, a_closed_socket_is_let_go);
	tcase_add_test(tc, plain_messages_are_claimed_around_those_that_are_not);
	tcase_add_test(tc, a_plain_message_left_unclaimed_goes_to_libmosquitto);
	tcase_add_test(tc, a_plain_message_is_claimed_once_whole);
	tcase_add_test(tc, acknowledgements_wait_for_room_on_the_socket);
	tcase_add_test(tc, an_unused_guard_closes_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
