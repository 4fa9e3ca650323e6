/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "check_run.h"

static char *clean(const char *in, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	sanitize_append(&sb, in, len);
	return strbuf_take(&sb);
}

#define CHECK_CLEAN(in, want)                                                  \
	do {                                                                   \
		char *got = clean(in, sizeof(in) - 1);                         \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

START_TEST(plain_text_passes)
{
	CHECK_CLEAN("hola, ¿qué tal? 日本語 🙂", "hola, ¿qué tal? 日本語 🙂");
}
END_TEST

START_TEST(csi_sequences_removed_whole)
{
	CHECK_CLEAN("a\x1b[31mred\x1b[0m b", "ared b");
	CHECK_CLEAN("\x1b[2J\x1b[H\x1b[?1049hx", "x");
}
END_TEST

START_TEST(osc_and_dcs_removed_whole)
{
	CHECK_CLEAN("a\x1b]0;evil title\x07" "b", "ab");
	CHECK_CLEAN("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb");
	CHECK_CLEAN("a\x1bPq#0;2;0;0;0\x1b\\b", "ab");
}
END_TEST

START_TEST(c1_controls_removed)
{
	/* U+009B is an 8-bit CSI: its parameters go with it. */
	CHECK_CLEAN("a\xc2\x9b" "31mb", "ab");
	CHECK_CLEAN("a\xc2\x85" "b", "a b"); /* NEL is a line break */
	CHECK_CLEAN("a\xc2\x90" "x\xc2\x9c" "b", "ab");
}
END_TEST

START_TEST(c0_controls_removed)
{
	CHECK_CLEAN("be\x07ll\x08x\x7f", "bellx");
	CHECK_CLEAN("one\ntwo\r\nthree\tfour", "one two  three four");
}
END_TEST

START_TEST(nul_is_not_a_terminator)
{
	CHECK_CLEAN("before\0after", "beforeafter");
}
END_TEST

START_TEST(invalid_utf8_becomes_replacement)
{
	CHECK_CLEAN("a\xff" "b", "a\xef\xbf\xbd" "b");
	CHECK_CLEAN("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");          /* overlong */
	CHECK_CLEAN("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	CHECK_CLEAN("x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd");        /* truncated */
	CHECK_CLEAN("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(bidi_overrides_removed)
{
	CHECK_CLEAN("abc\xe2\x80\xae" "def\xe2\x81\xa6" "g", "abcdefg");
	CHECK_CLEAN("a\xe2\x80\xa8" "b", "a b");
}
END_TEST

START_TEST(output_never_has_control_bytes)
{
	/* Every byte value, alone and after ESC: nothing below 0x20 or DEL
	 * survives, and the result is valid UTF-8. */
	for (int b = 0; b < 256; b++) {
		char in[3] = {'\x1b', (char)b, (char)b};
		for (size_t off = 0; off < 2; off++) {
			char *got = clean(in + off, sizeof in - off);
			for (const unsigned char *p = (const unsigned char *)got; *p; p++)
				ck_assert_msg(*p >= 0x20 && *p != 0x7f, "byte %d left %d", b, *p);
			for (size_t i = 0; got[i];) {
				unsigned cp;
				size_t n = utf8_decode((const unsigned char *)got + i, strlen(got + i), &cp);
				ck_assert_msg(n > 0, "invalid UTF-8 out of byte %d", b);
				i += n;
			}
			free(got);
		}
	}
}
END_TEST

START_TEST(unterminated_sequence_ends_with_input)
{
	CHECK_CLEAN("ok\x1b[", "ok");
	CHECK_CLEAN("ok\x1b", "ok");
}
END_TEST

static Suite *sanitize_suite(void)
{
	Suite *s = suite_create("sanitize");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_text_passes);
	tcase_add_test(tc, csi_sequences_removed_whole);
	tcase_add_test(tc, osc_and_dcs_removed_whole);
	tcase_add_test(tc, c1_controls_removed);
	tcase_add_test(tc, c0_controls_removed);
	tcase_add_test(tc, nul_is_not_a_terminator);
	tcase_add_test(tc, invalid_utf8_becomes_replacement);
	tcase_add_test(tc, bidi_overrides_removed);
	tcase_add_test(tc, output_never_has_control_bytes);
	tcase_add_test(tc, unterminated_sequence_ends_with_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(sanitize_suite());
}
