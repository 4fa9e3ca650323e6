/* SPDX-License-Identifier: MIT */
/* <mqchat/utf8.h>: what is one UTF-8 character and what is not. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mqchat/utf8.h>

#include "check_run.h"

/* The length mqc_utf8_decode() gives the whole of `s`; its code point in
 * *cp (left as 0xDEAD when refused). */
static size_t decode(const char *s, uint32_t *cp)
{
	*cp = 0xDEAD;
	return mqc_utf8_decode(s, strlen(s), cp);
}

START_TEST(one_to_four_bytes)
{
	uint32_t cp;
	ck_assert_uint_eq(decode("a", &cp), 1);
	ck_assert_uint_eq(cp, 'a');
	ck_assert_uint_eq(decode("\xC3\xB1", &cp), 2); /* ñ */
	ck_assert_uint_eq(cp, 0xF1);
	ck_assert_uint_eq(decode("\xE2\x82\xAC", &cp), 3); /* € */
	ck_assert_uint_eq(cp, 0x20AC);
	ck_assert_uint_eq(decode("\xF0\x9F\x98\x80", &cp), 4); /* 😀 */
	ck_assert_uint_eq(cp, 0x1F600);
	ck_assert_uint_eq(decode("\xF4\x8F\xBF\xBF", &cp), 4); /* U+10FFFF, the last */
	ck_assert_uint_eq(cp, 0x10FFFF);
}
END_TEST

START_TEST(only_the_first_character_counts)
{
	uint32_t cp;
	ck_assert_uint_eq(mqc_utf8_decode("\xC3\xB1x", 3, &cp), 2);
	ck_assert_uint_eq(cp, 0xF1);
}
END_TEST

START_TEST(malformed_is_refused)
{
	static const char *const bad[] = {
		"\x80",             /* a continuation byte alone */
		"\xC0\xAF",         /* overlong '/' */
		"\xC1\xBF",         /* overlong */
		"\xE0\x80\xAF",     /* overlong, three bytes */
		"\xF0\x80\x80\xAF", /* overlong, four bytes */
		"\xED\xA0\x80",     /* U+D800, a surrogate */
		"\xED\xBF\xBF",     /* U+DFFF */
		"\xF4\x90\x80\x80", /* U+110000 */
		"\xF5\x80\x80\x80", /* beyond any plane */
		"\xFF",
		"\xC3x",            /* a continuation missing */
		"\xE2\x82x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t cp;
		ck_assert_msg(decode(bad[i], &cp) == 0, "bad[%zu] accepted", i);
		ck_assert_uint_eq(cp, 0xDEAD);
	}
}
END_TEST

START_TEST(cut_short_by_len)
{
	uint32_t cp = 0xDEAD;
	ck_assert_uint_eq(mqc_utf8_decode("\xE2\x82\xAC", 2, &cp), 0);
	ck_assert_uint_eq(mqc_utf8_decode("\xF0\x9F\x98\x80", 3, &cp), 0);
	ck_assert_uint_eq(cp, 0xDEAD);
}
END_TEST

START_TEST(nul_is_a_character)
{
	uint32_t cp = 0xDEAD;
	ck_assert_uint_eq(mqc_utf8_decode("\0", 1, &cp), 1);
	ck_assert_uint_eq(cp, 0);
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, one_to_four_bytes);
	tcase_add_test(tc, only_the_first_character_counts);
	tcase_add_test(tc, malformed_is_refused);
	tcase_add_test(tc, cut_short_by_len);
	tcase_add_test(tc, nul_is_a_character);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(utf8_suite());
}
