/* SPDX-License-Identifier: MIT */
/* The loop's order of work within one round: descriptors, timers due now
 * (wherever they stand in its list), late timers last. */
#include <check.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "check_run.h"

static char order[16];
static size_t said;
static struct loop_timer *armed_by_b;

static void say(char c)
{
	ck_assert_uint_lt(said, sizeof order - 1);
	order[said++] = c;
	order[said] = '\0';
}

static void timer_a(void *data) { (void)data; say('a'); }
static void timer_late(void *data) { (void)data; say('L'); }
static void timer_b(void *data)
{
	(void)data;
	say('b');
	loop_timer_arm_now(armed_by_b); /* a timer earlier in the list */
}

static void readable(void *data, int fd, unsigned revents)
{
	(void)revents;
	struct loop_timer *b = data;
	char c;
	ck_assert_int_eq(read(fd, &c, 1), 1);
	say('r');
	loop_timer_arm_now(b);
}

START_TEST(timers_armed_now_run_in_the_same_round_and_late_ones_last)
{
	struct loop *loop = loop_new();
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	armed_by_b = loop_timer_add(loop, 0, false, timer_a, NULL);
	struct loop_timer *late = loop_timer_add(loop, 0, false, timer_late, NULL);
	loop_timer_run_last(late);
	struct loop_timer *b = loop_timer_add(loop, 0, false, timer_b, NULL);
	loop_watch_add(loop, p[0], POLLIN, NULL, readable, b);
	loop_timer_arm_now(late);
	ck_assert_int_eq(write(p[1], "x", 1), 1);

	said = 0;
	order[0] = '\0';
	ck_assert_int_eq(loop_iterate(loop), 0);
	ck_assert_str_eq(order, "rbaL");
	close(p[0]);
	close(p[1]);
	loop_free(loop);
}
END_TEST

static struct loop_timer *self_arming;

static void rearms_itself(void *data)
{
	(void)data;
	say('s');
	loop_timer_arm_now(self_arming);
}

START_TEST(a_timer_that_always_rearms_itself_waits_for_the_next_round)
{
	struct loop *loop = loop_new();
	self_arming = loop_timer_add(loop, 0, false, rearms_itself, NULL);
	loop_timer_arm_now(self_arming);
	said = 0;
	order[0] = '\0';
	ck_assert_int_eq(loop_iterate(loop), 0);
	ck_assert_uint_ge(said, 1);
	ck_assert_uint_le(said, 4);
	loop_free(loop);
}
END_TEST

static void slow_repeating(void *data)
{
	(void)data;
	say('p');
	usleep(3000); /* longer than its period */
}

START_TEST(a_repeating_timer_runs_once_a_round)
{
	struct loop *loop = loop_new();
	struct loop_timer *t = loop_timer_add(loop, 1, true, slow_repeating, NULL);
	loop_timer_arm_now(t);
	said = 0;
	order[0] = '\0';
	ck_assert_int_eq(loop_iterate(loop), 0);
	ck_assert_str_eq(order, "p");
	loop_free(loop);
}
END_TEST

START_TEST(a_one_shot_timer_is_disarmed_as_it_runs)
{
	struct loop *loop = loop_new();
	struct loop_timer *t = loop_timer_add(loop, 0, false, timer_a, NULL);
	ck_assert(!loop_timer_armed(t));
	loop_timer_arm_now(t);
	ck_assert(loop_timer_armed(t));
	said = 0;
	order[0] = '\0';
	ck_assert_int_eq(loop_iterate(loop), 0);
	ck_assert_str_eq(order, "a");
	ck_assert(!loop_timer_armed(t));
	loop_timer_arm(t, 60000);
	ck_assert(loop_timer_armed(t));
	loop_free(loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");
	tcase_add_test(tc, timers_armed_now_run_in_the_same_round_and_late_ones_last);
	tcase_add_test(tc, a_timer_that_always_rearms_itself_waits_for_the_next_round);
	tcase_add_test(tc, a_repeating_timer_runs_once_a_round);
	tcase_add_test(tc, a_one_shot_timer_is_disarmed_as_it_runs);
	suite_add_tcase(s, tc);
	return check_run(s);
}
