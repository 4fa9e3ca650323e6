/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>

#include "check_run.h"
#include "keyfilter.h"

/* Distinct, well spread hashes, as FNV gives the callers. */
static uint64_t key(uint64_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15u;
}

START_TEST(never_forgets_what_was_added)
{
	struct keyfilter *f = keyfilter_new(100);
	/* far past the first layer's size: layers are added */
	for (uint64_t i = 0; i < 200000; i++)
		keyfilter_add(f, key(i));
	for (uint64_t i = 0; i < 200000; i++)
		ck_assert_msg(keyfilter_may_contain(f, key(i)), "lost key %llu",
		              (unsigned long long)i);
	keyfilter_free(f);
}
END_TEST

START_TEST(false_alarms_are_rare)
{
	struct keyfilter *f = keyfilter_new(50000);
	for (uint64_t i = 0; i < 50000; i++)
		keyfilter_add(f, key(i));
	unsigned alarms = 0;
	for (uint64_t i = 1000000; i < 1100000; i++)
		alarms += keyfilter_may_contain(f, key(i));
	ck_assert_uint_lt(alarms, 100000 / 50); /* under 2 % (about 1 % expected) */
	keyfilter_free(f);
}
END_TEST

START_TEST(growing_keeps_false_alarms_bounded)
{
	struct keyfilter *f = keyfilter_new(0); /* sized small, grows */
	for (uint64_t i = 0; i < 300000; i++)
		keyfilter_add(f, key(i));
	unsigned alarms = 0;
	for (uint64_t i = 1000000; i < 1100000; i++)
		alarms += keyfilter_may_contain(f, key(i));
	ck_assert_uint_lt(alarms, 100000 / 20); /* under 5 % over every layer */
	keyfilter_free(f);
}
END_TEST

START_TEST(empty_filter_holds_nothing)
{
	struct keyfilter *f = keyfilter_new(10);
	for (uint64_t i = 0; i < 1000; i++)
		ck_assert(!keyfilter_may_contain(f, key(i)));
	keyfilter_free(f);
	keyfilter_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keyfilter");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, never_forgets_what_was_added);
	tcase_add_test(tc, false_alarms_are_rare);
	tcase_add_test(tc, growing_keeps_false_alarms_bounded);
	tcase_add_test(tc, empty_filter_holds_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
