/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "flood.h"

#define PERIOD_MS 10000

static const struct flood_rate twenty = {20, PERIOD_MS};

static struct mqc_message from(const char *nick, const char *sender_id)
{
	return (struct mqc_message){.type = MQC_MSG_MESSAGE, .nick = nick, .text = "hi",
	                            .sender_id = sender_id, .network = "mqtt", .room = "room",
	                            .to = ""};
}

static bool admit(struct flood *f, const char *nick, uint64_t now)
{
	struct mqc_message msg = from(nick, "");
	return flood_admit(f, &msg, now);
}

/* Sends `n` messages of `nick`, one every `step` ms from `*now`: how many
 * were shown. */
static unsigned burst(struct flood *f, const char *nick, unsigned n, uint64_t *now,
                      uint64_t step)
{
	unsigned shown = 0;
	for (unsigned i = 0; i < n; i++, *now += step)
		shown += admit(f, nick, *now);
	return shown;
}

/* The sum of the counts due (`all`: every one). */
static uint64_t take_counts(struct flood *f, uint64_t now, bool all, size_t *n_reports)
{
	struct flood_reports due;
	flood_take_due(f, now, all, &due);
	uint64_t sum = 0;
	for (size_t i = 0; i < due.n; i++)
		sum += due.items[i].count;
	if (n_reports)
		*n_reports = due.n;
	flood_reports_free(&due);
	return sum;
}

START_TEST(rates_are_parsed)
{
	struct flood_rate r;
	struct strbuf err = STRBUF_INIT;
	ck_assert(flood_parse_rate("20/10s", &r, &err));
	ck_assert_uint_eq(r.count, 20);
	ck_assert_uint_eq(r.period_ms, 10000);
	ck_assert(flood_parse_rate("5/500ms", &r, &err));
	ck_assert_uint_eq(r.period_ms, 500);
	ck_assert(flood_parse_rate("3/10", &r, &err));
	ck_assert_uint_eq(r.period_ms, 10000);
	ck_assert(flood_parse_rate("100/1m", &r, &err));
	ck_assert_uint_eq(r.period_ms, 60000);
	const char *off[] = {"off", "", "0", "no"};
	for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
		ck_assert(flood_parse_rate(off[i], &r, &err));
		ck_assert_uint_eq(r.count, 0);
	}
	ck_assert_uint_eq(err.len, 0);
	strbuf_free(&err);
}
END_TEST

START_TEST(bad_rates_say_what_is_expected)
{
	const char *bad[] = {"on", "20", "20/", "/10s", "0/10s", "-1/10s", "20/0s",
	                     "20/10x", "20/2d", "2000000/1s", "abc", "20/10s "};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct flood_rate r = {7, 7};
		struct strbuf err = STRBUF_INIT;
		ck_assert_msg(!flood_parse_rate(bad[i], &r, &err), "'%s' accepted", bad[i]);
		ck_assert_uint_eq(r.count, 0);
		ck_assert_ptr_nonnull(strstr(strbuf_str(&err), "such as 20/10s"));
		ck_assert_ptr_nonnull(strstr(strbuf_str(&err), bad[i]));
		strbuf_free(&err);
	}
}
END_TEST

/* The first `count` of a burst are shown, the rest folded, reported once
 * the period since the first fold is over, and only then. */
START_TEST(a_burst_past_the_limit_is_folded)
{
	struct flood *f = flood_new(&twenty, 0);
	uint64_t now = 1000;
	ck_assert_uint_eq(burst(f, "eve", 20, &now, 1), 20);
	ck_assert_uint_eq(flood_pending(f), 0);
	ck_assert_uint_eq(burst(f, "eve", 480, &now, 1), 0);
	ck_assert_uint_eq(flood_pending(f), 1);
	ck_assert_uint_eq(take_counts(f, now, false, NULL), 0);
	ck_assert_uint_eq(flood_pending(f), 1);
	ck_assert_uint_eq(take_counts(f, 1020 + PERIOD_MS, false, NULL), 480);
	ck_assert_uint_eq(flood_pending(f), 0);
	ck_assert_uint_eq(take_counts(f, 1020 + PERIOD_MS, true, NULL), 0);
	flood_free(f);
}
END_TEST

START_TEST(others_keep_flowing)
{
	struct flood *f = flood_new(&twenty, 0);
	uint64_t now = 1000;
	burst(f, "eve", 1000, &now, 1);
	ck_assert_uint_eq(burst(f, "ana", 10, &now, 1), 10);
	/* The same nick in another room, or with another sender_id, is
	 * someone else too. */
	struct mqc_message elsewhere = from("eve", "");
	elsewhere.room = "other";
	ck_assert(flood_admit(f, &elsewhere, now));
	struct mqc_message other_eve = from("eve", "id-2");
	ck_assert(flood_admit(f, &other_eve, now));
	flood_free(f);
}
END_TEST

/* A sender flooding without end: never shown past its first `count`,
 * reported at most once a period, and every message counted once. */
START_TEST(a_long_flood_is_reported_once_a_period)
{
	struct flood *f = flood_new(&twenty, 0);
	uint64_t now = 0, reported = 0, last_report = 0;
	unsigned shown = 0;
	size_t reports = 0;
	for (unsigned i = 0; i < 10000; i++, now += 5) {
		shown += admit(f, "eve", now);
		size_t n;
		uint64_t sum = take_counts(f, now, false, &n);
		if (n) {
			ck_assert_msg(!reports || now - last_report >= PERIOD_MS,
			              "two reports %llu ms apart",
			              (unsigned long long)(now - last_report));
			last_report = now;
		}
		reported += sum;
		reports += n;
	}
	ck_assert_uint_eq(shown, 20);
	ck_assert_uint_ge(reports, 4); /* 50 s of flood */
	reported += take_counts(f, now, true, NULL);
	ck_assert_uint_eq(shown + reported, 10000);
	flood_free(f);
}
END_TEST

/* Under the limit again, a sender's count is due: before its next
 * message is shown, or once its window has emptied, without one. */
START_TEST(back_under_the_limit_the_count_is_said)
{
	struct flood *f = flood_new(&twenty, 0);
	uint64_t now = 0;
	burst(f, "eve", 30, &now, 1);
	ck_assert(admit(f, "eve", 2 * PERIOD_MS + 5));
	ck_assert_uint_eq(take_counts(f, 2 * PERIOD_MS + 5, false, NULL), 10);

	now = 4 * PERIOD_MS;
	ck_assert_uint_eq(burst(f, "bob", 20, &now, 0), 20);
	ck_assert(!admit(f, "bob", now + PERIOD_MS - 1000));
	ck_assert_uint_eq(take_counts(f, now + PERIOD_MS, false, NULL), 0);
	ck_assert_uint_eq(take_counts(f, now + PERIOD_MS + 500, false, NULL), 1);
	flood_free(f);
}
END_TEST

/* At most `capacity` senders are kept; one forgotten with a count has it
 * reported, not lost. */
START_TEST(the_table_is_bounded)
{
	struct flood *f = flood_new(&(struct flood_rate){1, PERIOD_MS}, 2);
	uint64_t now = 0;
	ck_assert_uint_eq(burst(f, "eve", 5, &now, 0), 1);
	admit(f, "ana", now);
	admit(f, "bob", now);
	ck_assert_uint_eq(flood_pending(f), 1);
	size_t n;
	ck_assert_uint_eq(take_counts(f, now, false, &n), 4);
	ck_assert_uint_eq(n, 1);
	/* eve, forgotten, starts afresh. */
	ck_assert(admit(f, "eve", now));
	flood_free(f);

	/* 100 senders taking turns in a table of 50: each comes back
	 * forgotten, yet every folded message is counted once. */
	f = flood_new(&(struct flood_rate){1, PERIOD_MS}, 50);
	unsigned shown = 0;
	for (unsigned i = 0; i < 1000; i++) {
		char nick[16];
		snprintf(nick, sizeof nick, "n%u", i % 100);
		shown += burst(f, nick, 3, &now, 0);
	}
	ck_assert_uint_eq(shown, 1000);
	ck_assert_uint_eq(take_counts(f, now, true, NULL), 2000);
	flood_free(f);
}
END_TEST

START_TEST(the_line_says_who_and_how_many)
{
	struct flood_report r = {.nick = "eve", .network = "mqtt", .room = "room", .to = "",
	                         .count = 480};
	struct strbuf line = STRBUF_INIT;
	flood_report_text(&r, false, &line);
	ck_assert_str_eq(strbuf_str(&line), "eve: 480 more messages suppressed");
	strbuf_reset(&line);
	r.count = 1;
	flood_report_text(&r, true, &line);
	ck_assert_str_eq(strbuf_str(&line), "eve: 1 more message suppressed (mqtt:room)");
	strbuf_reset(&line);
	r.to = "ana";
	flood_report_text(&r, true, &line);
	ck_assert_str_eq(strbuf_str(&line), "eve: 1 more message suppressed (private)");
	strbuf_free(&line);
}
END_TEST

START_TEST(the_timer_runs_a_tenth_of_the_period)
{
	struct flood *f = flood_new(&twenty, 0);
	ck_assert_uint_eq(flood_check_interval_ms(f), 1000);
	flood_free(f);
	f = flood_new(&(struct flood_rate){1, 200}, 0);
	ck_assert_uint_eq(flood_check_interval_ms(f), 100);
	flood_free(f);
	f = flood_new(&(struct flood_rate){1, 5000}, 0);
	ck_assert_uint_eq(flood_check_interval_ms(f), 500);
	flood_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rates_are_parsed);
	tcase_add_test(tc, bad_rates_say_what_is_expected);
	tcase_add_test(tc, a_burst_past_the_limit_is_folded);
	tcase_add_test(tc, others_keep_flowing);
	tcase_add_test(tc, a_long_flood_is_reported_once_a_period);
	tcase_add_test(tc, back_under_the_limit_the_count_is_said);
	tcase_add_test(tc, the_table_is_bounded);
	tcase_add_test(tc, the_line_says_who_and_how_many);
	tcase_add_test(tc, the_timer_runs_a_tenth_of_the_period);
	suite_add_tcase(s, tc);
	return check_run(s);
}
