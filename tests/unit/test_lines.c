/* SPDX-License-Identifier: MIT */
/* <mqchat/lines.h>: lines cut from a stream in bounded memory. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mqchat/lines.h>

#include "check_run.h"

/* What the sink was told, as "1:text|2:!long 12|". */
static char got[4096];

static void on_line(void *data, size_t line_no, const char *line, size_t len)
{
	(void)data;
	size_t used = strlen(got);
	snprintf(got + used, sizeof got - used, "%zu:%.*s|", line_no, (int)len, line);
}

static void on_overlong(void *data, size_t line_no, unsigned long long len)
{
	(void)data;
	size_t used = strlen(got);
	snprintf(got + used, sizeof got - used, "%zu:!long %llu|", line_no, len);
}

static const struct mqc_lines_sink sink = {.line = on_line, .overlong = on_overlong};
static struct mqc_lines lines;

static void start(size_t max_line)
{
	got[0] = '\0';
	ck_assert(mqc_lines_init(&lines, max_line));
}

static void feed(const char *text)
{
	mqc_lines_feed(&lines, text, strlen(text), &sink);
	ck_assert_uint_le(lines.len, lines.max_line + 1);
}

START_TEST(lines_across_reads)
{
	start(80);
	feed("hel");
	ck_assert_str_eq(got, "");
	ck_assert(mqc_lines_pending(&lines));
	feed("lo\nwor");
	feed("ld\n\nbye\n");
	ck_assert_str_eq(got, "1:hello|2:world|3:|4:bye|");
	ck_assert(!mqc_lines_pending(&lines));
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(crlf_loses_its_cr)
{
	start(80);
	feed("a\r\nb\r");
	feed("\n\r\n");
	ck_assert_str_eq(got, "1:a|2:b|3:|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(the_limit_is_inclusive)
{
	start(4);
	feed("abcd\nabcd\r\nabcde\nok\n");
	ck_assert_str_eq(got, "1:abcd|2:abcd|3:!long 5|4:ok|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(an_overlong_line_is_counted_once_over_many_reads)
{
	start(4);
	feed("ab");
	feed("cdefgh");
	ck_assert(mqc_lines_pending(&lines));
	ck_assert_uint_eq(lines.len, 0); /* nothing kept */
	for (int i = 0; i < 100; i++)
		feed("0123456789");
	feed("\r\nnext\n");
	ck_assert_str_eq(got, "1:!long 1008|2:next|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(a_cr_inside_an_overlong_line_counts)
{
	start(2);
	feed("ab\r");
	feed("c\n");
	ck_assert_str_eq(got, "1:!long 4|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(finish_ends_the_last_line)
{
	start(10);
	feed("one\ntwo");
	mqc_lines_finish(&lines, &sink);
	ck_assert_str_eq(got, "1:one|2:two|");
	ck_assert(!mqc_lines_pending(&lines));
	mqc_lines_finish(&lines, &sink); /* nothing more */
	ck_assert_str_eq(got, "1:one|2:two|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(finish_reports_an_unended_overlong_line)
{
	start(3);
	feed("x\nabcdef\r");
	mqc_lines_finish(&lines, &sink);
	ck_assert_str_eq(got, "1:x|2:!long 6|");
	mqc_lines_free(&lines);
}
END_TEST

START_TEST(free_twice_is_harmless)
{
	start(3);
	feed("abc");
	mqc_lines_free(&lines);
	ck_assert(!mqc_lines_pending(&lines));
	mqc_lines_free(&lines);
}
END_TEST

static Suite *lines_suite(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("feed");
	tcase_add_test(tc, lines_across_reads);
	tcase_add_test(tc, crlf_loses_its_cr);
	tcase_add_test(tc, the_limit_is_inclusive);
	tcase_add_test(tc, an_overlong_line_is_counted_once_over_many_reads);
	tcase_add_test(tc, a_cr_inside_an_overlong_line_counts);
	tcase_add_test(tc, finish_ends_the_last_line);
	tcase_add_test(tc, finish_reports_an_unended_overlong_line);
	tcase_add_test(tc, free_twice_is_harmless);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(lines_suite());
}
