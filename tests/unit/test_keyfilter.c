/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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

START_TEST(saved_and_loaded_whole)
{
	struct keyfilter *f = keyfilter_new(100);
	for (uint64_t i = 0; i < 20000; i++) /* several layers */
		keyfilter_add(f, key(i));
	struct strbuf bytes = STRBUF_INIT;
	keyfilter_save(f, &bytes);
	struct keyfilter *g = keyfilter_load(bytes.data, bytes.len);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(keyfilter_count(g), 20000);
	for (uint64_t i = 0; i < 20000; i++)
		ck_assert(keyfilter_may_contain(g, key(i)));
	for (uint64_t i = 1000000; i < 1010000; i++)
		ck_assert_int_eq(keyfilter_may_contain(g, key(i)), keyfilter_may_contain(f, key(i)));
	/* and it grows on from there */
	keyfilter_add(g, key(99999999));
	ck_assert(keyfilter_may_contain(g, key(99999999)));
	keyfilter_free(g);

	/* anything else is refused: truncated, extended, another version */
	ck_assert_ptr_null(keyfilter_load(bytes.data, bytes.len - 1));
	ck_assert_ptr_null(keyfilter_load(bytes.data, 8));
	ck_assert_ptr_null(keyfilter_load(NULL, 0));
	strbuf_appendc(&bytes, 0);
	ck_assert_ptr_null(keyfilter_load(bytes.data, bytes.len));
	bytes.data[4] = 2;
	ck_assert_ptr_null(keyfilter_load(bytes.data, bytes.len - 1));
	strbuf_free(&bytes);
	keyfilter_free(f);
}
END_TEST

START_TEST(hostile_sizes_are_refused)
{
	/* One layer claiming 2^40 bits in a few bytes; one not a power of two. */
	unsigned char blob[8 + 8 + 24 + 8] = {'M', 'Q', 'K', 'F', 1, 0, 0, 0, 1};
	unsigned char *layer = blob + 16;
	layer[0] = 1;       /* capacity 1 */
	layer[16 + 5] = 1;  /* 2^40 bits */
	ck_assert_ptr_null(keyfilter_load(blob, sizeof blob));
	memset(layer + 16, 0, 8);
	layer[16] = 96;     /* 96 bits */
	ck_assert_ptr_null(keyfilter_load(blob, sizeof blob));
	layer[16] = 64;     /* 64 bits: one word, present */
	struct keyfilter *f = keyfilter_load(blob, sizeof blob);
	ck_assert_ptr_nonnull(f);
	keyfilter_free(f);
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
	tcase_add_test(tc, saved_and_loaded_whole);
	tcase_add_test(tc, hostile_sizes_are_refused);
	suite_add_tcase(s, tc);
	return check_run(s);
}
