/* SPDX-License-Identifier: MIT */
/* When a busy stream is read in batches (mqtt_pace.c): the rests it
 * takes, the rests it gives up.  Pure code, no connection. */
#include <check.h>

#include "check_run.h"
#include "mqtt_pace.h"

#define TARGET 25 /* a quarter of an MQTT 5 window of 100 */

static struct mqtt_pace pace;
static uint64_t now_us;

static void setup(void)
{
	pace = (struct mqtt_pace){0};
	now_us = 1000000;
}

/* A read `after_us` after the last one, bringing `brought` messages: the
 * rest it asks for. */
static uint32_t read_after(uint64_t after_us, unsigned brought)
{
	now_us += after_us;
	return mqtt_pace_after_read(&pace, now_us, brought, TARGET);
}

/* Reads of one message, 5 ms after the last read and then 0.5 ms apart,
 * until one asks for a rest; how many it took (0: none within 50). */
static unsigned reads_until_rest(uint32_t *rest_ms)
{
	for (unsigned n = 1; n <= 50; n++) {
		*rest_ms = read_after(n == 1 ? 5000 : 500, 1);
		if (*rest_ms)
			return n;
	}
	return 0;
}

START_TEST(a_calm_room_is_read_as_it_comes)
{
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(read_after(5000, 1), 0);
}
END_TEST

START_TEST(close_reads_of_few_messages_start_a_short_rest)
{
	uint32_t rest;
	ck_assert_uint_eq(reads_until_rest(&rest), MQTT_PACE_STREAK + 1);
	ck_assert_uint_eq(rest, MQTT_PACE_PROBE_MS);
}
END_TEST

START_TEST(a_flood_fills_its_reads_without_rests)
{
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(read_after(100, TARGET), 0);
}
END_TEST

START_TEST(reads_of_acknowledgements_only_change_nothing)
{
	for (int i = 0; i < MQTT_PACE_STREAK; i++)
		ck_assert_uint_eq(read_after(500, 1), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(read_after(10, 0), 0);
	ck_assert_uint_eq(read_after(400, 1), MQTT_PACE_PROBE_MS);
}
END_TEST

/* Behind a broker's Nagle, the first read after a rest brings one and the
 * next what was held: enough, and the next rest is sized from it. */
START_TEST(a_rest_that_gathered_is_taken_again_sized_to_the_target)
{
	uint32_t rest;
	ck_assert_uint_ne(reads_until_rest(&rest), 0);
	ck_assert_uint_eq(read_after(2000 + 100, 1), 0);
	ck_assert_uint_eq(read_after(100, 4), 0); /* 5 in 2 ms: 25 in 10 */
	ck_assert_uint_eq(reads_until_rest(&rest), MQTT_PACE_STREAK + 1);
	ck_assert_uint_eq(rest, 10);
	/* 40 in 10 ms: 25 in 6. */
	ck_assert_uint_eq(read_after(10000, 40), 0);
	ck_assert_uint_eq(reads_until_rest(&rest), MQTT_PACE_STREAK + 1);
	ck_assert_uint_eq(rest, 6);
}
END_TEST

/* A rest that gathered a target in less than the shortest rest: the
 * stream fills its reads by itself, and resting would stall a broker
 * that sends no more than its window (a QoS 1 flood). */
START_TEST(a_stream_too_fast_to_rest_for_is_left_alone)
{
	uint32_t rest;
	ck_assert_uint_ne(reads_until_rest(&rest), 0);
	ck_assert_uint_eq(read_after(rest * 1000 + 100, 1), 0);
	ck_assert_uint_eq(read_after(100, 99), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(read_after(500, 1), 0); /* put off for 1 s */
}
END_TEST

/* A ping-pong: each rest brings the one line sent after ours.  Each rest
 * that gathers too little puts the next off twice as long, up to a
 * bound. */
START_TEST(a_stream_that_waits_for_us_puts_rests_off_longer_each_time)
{
	uint64_t expected_ms[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000, 64000};
	for (size_t i = 0; i < sizeof(expected_ms) / sizeof(expected_ms[0]); i++) {
		uint32_t rest;
		ck_assert_uint_ne(reads_until_rest(&rest), 0);
		ck_assert_uint_eq(rest, MQTT_PACE_PROBE_MS);
		ck_assert_uint_eq(read_after(rest * 1000 + 100, 1), 0);
		uint64_t failed_at = now_us + 200;
		ck_assert_uint_eq(read_after(200, 1), 0);
		/* Close reads go on; no rest until the time is up. */
		uint64_t until = failed_at + expected_ms[i] * 1000;
		while (now_us + 500 < until)
			ck_assert_uint_eq(read_after(500, 1), 0);
	}
}
END_TEST

START_TEST(a_calm_room_that_happens_to_clump_gives_up_its_rest)
{
	uint32_t rest;
	ck_assert_uint_ne(reads_until_rest(&rest), 0);
	/* The rest gathered none; the next read, 5 ms on, one. */
	ck_assert_uint_eq(read_after(7000, 1), 0);
	ck_assert_uint_eq(read_after(5000, 1), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(read_after(500, 1), 0); /* put off for 1 s */
}
END_TEST

/* A read at `after_us` after the last, bringing `held` messages whose
 * acknowledgements wait for the core's write (and no others): the
 * flood's rest it asks for. */
static uint32_t held_read_after(uint64_t after_us, unsigned held)
{
	now_us += after_us;
	return mqtt_pace_after_held_read(&pace, now_us, held, held, TARGET);
}

/* `reads` reads of `held` each, `after_us` apart: the last one's rest. */
static uint32_t held_reads(int reads, uint64_t after_us, unsigned held)
{
	uint32_t rest = 0;
	for (int i = 0; i < reads; i++)
		rest = held_read_after(after_us, held);
	return rest;
}

/* Reads of one held message, or of none, are no flood. */
START_TEST(lone_held_messages_take_no_flood_rest)
{
	for (int i = 0; i < 1000; i++) {
		ck_assert_uint_eq(held_read_after(500, 1), 0);
		ck_assert_uint_eq(held_read_after(500, 0), 0);
	}
}
END_TEST

/* A flood of 700 messages a second (the bench's room of 50): far from
 * the target a cycle, each rest is the longest. */
START_TEST(a_flood_held_for_history_is_read_in_rests)
{
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(held_read_after(16500, 11), MQTT_PACE_HELD_REST_MAX_MS);
}
END_TEST

/* After a quiet minute a read of two says nothing of the rate; a
 * millisecond's reads of one after it do. */
START_TEST(a_flood_rests_once_its_rate_shows)
{
	ck_assert_uint_eq(held_read_after(60000000, 2), 0);
	ck_assert_uint_eq(held_reads(10, 1000, 1), 0);
	ck_assert_uint_eq(held_read_after(1000, 2), MQTT_PACE_HELD_REST_MAX_MS);
}
END_TEST

/* A paced room, 200 messages a second: a member that woke late reads two,
 * then three (what a longest rest would gather); neither rests, where a
 * rest would make every message after it wait for the next. */
START_TEST(a_slow_streams_late_reads_take_no_rest)
{
	ck_assert_uint_eq(held_reads(100, 5000, 1), 0);
	ck_assert_uint_eq(held_read_after(10000, 2), 0);
	ck_assert_uint_eq(held_reads(100, 16000, 3), 0);
}
END_TEST

/* A fast flood fills the broker's window within a long rest: the rests
 * shrink to what gathers the target at its rate, never below a
 * millisecond, and grow back when it slows. */
START_TEST(a_fast_floods_rests_shrink_to_its_target)
{
	ck_assert_uint_eq(held_reads(40, 2000, 20), 2); /* 25 at 10 a ms */
	ck_assert_uint_eq(held_reads(40, 1000, 50), 1);
	ck_assert_uint_eq(held_reads(100, 4000, 20), 5);
	ck_assert_uint_eq(held_reads(40, 16000, 20), MQTT_PACE_HELD_REST_MAX_MS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_pace");
	TCase *tc = tcase_create("pace");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, a_calm_room_is_read_as_it_comes);
	tcase_add_test(tc, close_reads_of_few_messages_start_a_short_rest);
	tcase_add_test(tc, a_flood_fills_its_reads_without_rests);
	tcase_add_test(tc, reads_of_acknowledgements_only_change_nothing);
	tcase_add_test(tc, a_rest_that_gathered_is_taken_again_sized_to_the_target);
	tcase_add_test(tc, a_stream_too_fast_to_rest_for_is_left_alone);
	tcase_add_test(tc, a_stream_that_waits_for_us_puts_rests_off_longer_each_time);
	tcase_add_test(tc, a_calm_room_that_happens_to_clump_gives_up_its_rest);
	tcase_add_test(tc, lone_held_messages_take_no_flood_rest);
	tcase_add_test(tc, a_flood_held_for_history_is_read_in_rests);
	tcase_add_test(tc, a_flood_rests_once_its_rate_shows);
	tcase_add_test(tc, a_slow_streams_late_reads_take_no_rest);
	tcase_add_test(tc, a_fast_floods_rests_shrink_to_its_target);
	suite_add_tcase(s, tc);
	return check_run(s);
}
