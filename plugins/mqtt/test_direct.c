/* SPDX-License-Identifier: MIT */
/* A room's QoS 0 publishes written without libmosquitto (mqtt_direct.c):
 * the bytes MQTT says, a round in one write, each token answered once its
 * packet was written whole, and refused what cannot be sent so. */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "mqtt_direct.h"
#include "mqtt_publish_wire.h"

#define NO_MAX ((size_t)1 << 30)

static struct mqtt_direct direct;
static int broker = -1; /* the broker's end of the connection */
static int conn = -1;   /* ours */

static void setup(void)
{
	int pair[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
	broker = pair[0];
	conn = pair[1];
	direct = (struct mqtt_direct){0};
}

static void teardown(void)
{
	mqtt_direct_free(&direct);
	close(broker);
	close(conn);
}

/* What the broker has been sent, appended to buf[*len]; how much came. */
static size_t broker_reads(uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t n = recv(broker, buf + *len, cap - *len, 0);
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	*len += (size_t)n;
	return (size_t)n;
}

static void assert_sent(const void *bytes, size_t len)
{
	ck_assert(mqtt_direct_write(&direct, conn));
	uint8_t got[512];
	size_t got_len = 0;
	ck_assert_uint_eq(broker_reads(got, sizeof got, &got_len), len);
	ck_assert_mem_eq(got, bytes, len);
}

START_TEST(packets_are_the_bytes_mqtt_says)
{
	ck_assert(mqtt_direct_add(&direct, "room", "hi", 2, false, NO_MAX, 1));
	assert_sent("\x30\x08\x00\x04roomhi", 10);
	/* MQTT 5: a property length, 0. */
	ck_assert(mqtt_direct_add(&direct, "room", "hi", 2, true, NO_MAX, 2));
	assert_sent("\x30\x09\x00\x04room\x00hi", 11);
	/* 203 bytes after the fixed header: a remaining length of two. */
	char payload[200];
	memset(payload, 'x', sizeof payload);
	ck_assert(mqtt_direct_add(&direct, "t", payload, sizeof payload, false, NO_MAX, 3));
	uint8_t want[206] = {0x30, 0xcb, 0x01, 0x00, 0x01, 't'};
	memset(want + 6, 'x', 200);
	assert_sent(want, sizeof want);
}
END_TEST

/* Each packet, read back by the reader of a room's PUBLISH packets, says
 * what was queued, with a remaining length on each side of 1, 2 and 3
 * bytes' reach. */
START_TEST(lengths_read_back_at_each_boundary)
{
	static uint8_t payload[16384], got[16500];
	memset(payload, 'p', sizeof payload);
	size_t bodies[] = {127, 128, 16383, 16384};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		for (int v5 = 0; v5 <= 1; v5++) {
			size_t len = bodies[i] - 2 - 3 - (size_t)v5; /* minus topic length, "a/b" */
			ck_assert(mqtt_direct_add(&direct, "a/b", payload, len, v5, NO_MAX, i));
			size_t got_len = 0;
			ck_assert(mqtt_direct_write(&direct, conn));
			while (broker_reads(got, sizeof got, &got_len))
				;
			struct mqtt_publish p;
			ck_assert(mqtt_publish_plain(got, got_len, v5, &p));
			ck_assert_uint_eq(p.size, got_len);
			ck_assert_uint_eq(p.qos, 0);
			ck_assert(!p.retain);
			ck_assert_mem_eq(p.topic, "a/b", 3);
			ck_assert_uint_eq(p.topic_len, 3);
			ck_assert_uint_eq(p.payload_len, len);
			ck_assert_mem_eq(p.payload, payload, len);
		}
	}
}
END_TEST

START_TEST(a_round_leaves_in_one_write_answered_after_it)
{
	uint64_t token;
	for (uint64_t t = 11; t <= 13; t++)
		ck_assert(mqtt_direct_add(&direct, "room", "line", 4, true, NO_MAX, t));
	ck_assert(mqtt_direct_waiting(&direct));
	ck_assert(!mqtt_direct_take_written(&direct, &token));

	ck_assert(mqtt_direct_write(&direct, conn));
	uint8_t got[64];
	size_t got_len = 0;
	ck_assert_uint_eq(broker_reads(got, sizeof got, &got_len), 3 * 13);
	ck_assert(!mqtt_direct_waiting(&direct));
	for (uint64_t t = 11; t <= 13; t++) {
		ck_assert(mqtt_direct_take_written(&direct, &token));
		ck_assert_uint_eq(token, t);
	}
	ck_assert(!mqtt_direct_take_written(&direct, &token));
}
END_TEST

/* A socket that takes part of a round: only the packets it took whole
 * are answered, each once, and the rest follows in order. */
START_TEST(a_packet_cut_short_is_answered_once_written_whole)
{
	int small = 4096;
	ck_assert_int_eq(setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	static uint8_t payload[30000], want[3 * 30010], got[sizeof want];
	size_t want_len = 0, got_len = 0, sent = 0, answered = 0;
	for (uint64_t t = 0; t < 3; t++) {
		memset(payload, 'a' + (int)t, sizeof payload);
		ck_assert(mqtt_direct_add(&direct, "room", payload, sizeof payload, false, NO_MAX, t));
		size_t size = mqtt_publish_qos0_size(4, sizeof payload, false, NO_MAX);
		mqtt_publish_qos0("room", 4, payload, sizeof payload, false, want + want_len);
		want_len += size;
	}
	size_t packet = want_len / 3;
	bool cut = false;
	while (mqtt_direct_waiting(&direct)) {
		ck_assert(mqtt_direct_write(&direct, conn));
		sent = want_len - outbuf_waiting(&direct.packets);
		cut = cut || (sent % packet != 0);
		uint64_t token;
		while (mqtt_direct_take_written(&direct, &token))
			ck_assert_uint_eq(token, answered++);
		ck_assert_uint_eq(answered, sent / packet);
		while (broker_reads(got, sizeof got, &got_len))
			;
	}
	ck_assert_msg(cut, "the socket took whole packets only: nothing was cut short");
	ck_assert_uint_eq(answered, 3);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert_mem_eq(got, want, want_len);
}
END_TEST

START_TEST(a_lost_connection_answers_what_was_not_written)
{
	uint64_t token;
	ck_assert(mqtt_direct_add(&direct, "room", "one", 3, false, NO_MAX, 1));
	ck_assert(mqtt_direct_add(&direct, "room", "two", 3, false, NO_MAX, 2));
	ck_assert(mqtt_direct_take_unwritten(&direct, &token));
	ck_assert_uint_eq(token, 1);
	ck_assert(mqtt_direct_take_unwritten(&direct, &token));
	ck_assert_uint_eq(token, 2);
	ck_assert(!mqtt_direct_take_unwritten(&direct, &token));
	ck_assert(!mqtt_direct_waiting(&direct));
	/* The next connection sends only what is said on it. */
	ck_assert(mqtt_direct_add(&direct, "room", "new", 3, false, NO_MAX, 3));
	assert_sent("\x30\x09\x00\x04roomnew", 11);
	ck_assert(mqtt_direct_take_written(&direct, &token));
	ck_assert_uint_eq(token, 3);
	ck_assert(!mqtt_direct_take_written(&direct, &token));
}
END_TEST

/* libmosquitto's to send (and to refuse, saying why): nothing queued. */
START_TEST(what_cannot_be_sent_so_is_left_to_libmosquitto)
{
	const char *topics[] = {"", "a/+", "#", "bad\xff", "\xc0\x80"};
	for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
		ck_assert_msg(!mqtt_direct_add(&direct, topics[i], "x", 1, true, NO_MAX, i),
		              "topic %zu queued", i);
	/* 10 bytes: longer than the broker takes (MQTT 5 Maximum Packet Size). */
	ck_assert(!mqtt_direct_add(&direct, "room", "hi", 2, true, 10, 9));
	ck_assert(!mqtt_direct_waiting(&direct));
	ck_assert(mqtt_direct_add(&direct, "room", "hi", 2, true, 11, 9));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_direct");
	TCase *tc = tcase_create("direct");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, packets_are_the_bytes_mqtt_says);
	tcase_add_test(tc, lengths_read_back_at_each_boundary);
	tcase_add_test(tc, a_round_leaves_in_one_write_answered_after_it);
	tcase_add_test(tc, a_packet_cut_short_is_answered_once_written_whole);
	tcase_add_test(tc, a_lost_connection_answers_what_was_not_written);
	tcase_add_test(tc, what_cannot_be_sent_so_is_left_to_libmosquitto);
	suite_add_tcase(s, tc);
	return check_run(s);
}
