/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mqchat/utf8.h>

#include "nick.h"
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
				uint32_t cp;
				size_t n = mqc_utf8_decode(got + i, strlen(got + i), &cp);
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

START_TEST(line_and_paragraph_separators_in_text)
{
	/* U+2028, U+2029, NEL: one space each, so a message stays one line */
	CHECK_CLEAN("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xc2\x85" "d", "a b c d");
}
END_TEST

START_TEST(text_keeps_joiners)
{
	/* ZWJ in an emoji sequence, ZWNJ in Persian: text needs them */
	CHECK_CLEAN("\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",
	            "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb");
	CHECK_CLEAN("\xd9\x85\xe2\x80\x8c\xd9\x85", "\xd9\x85\xe2\x80\x8c\xd9\x85");
}
END_TEST

static char *clean_name(const char *in, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	sanitize_name_append(&sb, in, len);
	return strbuf_take(&sb);
}

#define CHECK_NAME(in, want)                                                   \
	do {                                                                   \
		char *got = clean_name(in, sizeof(in) - 1);                    \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

/* Each class of invisible format character, at both ends of its range;
 * and the visible neighbours that must stay. */
START_TEST(names_lose_every_format_character)
{
	CHECK_NAME("a\xc2\xad" "b", "ab");                   /* U+00AD soft hyphen */
	CHECK_NAME("a\xd8\x80\xd8\x85" "b", "ab");          /* U+0600, U+0605 */
	CHECK_NAME("a\xd8\x9c" "b", "ab");                   /* U+061C ALM */
	CHECK_NAME("a\xe1\xa0\x8e" "b", "ab");               /* U+180E */
	CHECK_NAME("a\xe2\x80\x8b" "b", "ab");               /* U+200B ZWSP */
	CHECK_NAME("a\xe2\x80\x8c\xe2\x80\x8d" "b", "ab");  /* ZWNJ, ZWJ */
	CHECK_NAME("a\xe2\x80\x8e\xe2\x80\x8f" "b", "ab");  /* LRM, RLM */
	CHECK_NAME("a\xe2\x80\xaa\xe2\x80\xae" "b", "ab");  /* LRE, RLO */
	CHECK_NAME("a\xe2\x81\xa0\xe2\x81\xa4" "b", "ab");  /* U+2060, U+2064 */
	CHECK_NAME("a\xe2\x81\xa6\xe2\x81\xaf" "b", "ab");  /* U+2066, U+206F */
	CHECK_NAME("a\xef\xbb\xbf" "b", "ab");               /* U+FEFF BOM */
	CHECK_NAME("a\xef\xbf\xb9\xef\xbf\xbb" "b", "ab");  /* U+FFF9, U+FFFB */
	CHECK_NAME("a\xf3\xa0\x80\x80\xf3\xa0\x80\x81" "b", "ab"); /* U+E0000, E0001 */
	CHECK_NAME("a\xf3\xa0\x81\x81\xf3\xa0\x81\xbf" "b", "ab"); /* tags A, cancel */
	CHECK_NAME("a\xf0\x9d\x85\xb3\xf0\x9d\x85\xba" "b", "ab"); /* U+1D173, 1D17A */
	/* line and paragraph separators are spaces, as in text */
	CHECK_NAME("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a b c");
	/* neighbours that are visible, or spaces */
	CHECK_NAME("a\xc2\xac\xc2\xae", "a\xc2\xac\xc2\xae");          /* U+00AC, U+00AE */
	CHECK_NAME("a\xe2\x80\x8a\xe2\x80\x90", "a\xe2\x80\x8a\xe2\x80\x90"); /* U+200A, 2010 */
	CHECK_NAME("a\xe2\x81\x9f", "a\xe2\x81\x9f");                  /* U+205F */
	CHECK_NAME("a\xef\xbb\xbe\xef\xbf\xbc", "a\xef\xbb\xbe\xef\xbf\xbc"); /* FEFE, FFFC */
	CHECK_NAME("a\xf3\xa0\x82\x80", "a\xf3\xa0\x82\x80");          /* U+E0080 */
	/* and everything the text loses, names lose too */
	CHECK_NAME("M\x1b[2Jal\xff", "Mal\xef\xbf\xbd");
}
END_TEST

static const char *nick_rule(const char *in, size_t len, char **clean_out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *why = nick_clean(&sb, in, len);
	*clean_out = strbuf_take(&sb);
	return why;
}

#define CHECK_NICK_OK(in, want)                                                \
	do {                                                                   \
		char *kept_;                                                   \
		ck_assert_ptr_null(nick_rule(in, strlen(in), &kept_));         \
		ck_assert_str_eq(kept_, want);                                 \
		free(kept_);                                                   \
	} while (0)

#define CHECK_NICK_REFUSED(in, why)                                            \
	do {                                                                   \
		char *left_;                                                   \
		const char *why_ = nick_rule(in, strlen(in), &left_);          \
		ck_assert_ptr_nonnull(why_);                                   \
		ck_assert_str_eq(why_, why);                                   \
		ck_assert_str_eq(left_, "");                                   \
		free(left_);                                                   \
	} while (0)

START_TEST(the_nick_rule)
{
	CHECK_NICK_OK("Ana", "Ana");
	CHECK_NICK_OK("  Ana María\t", "Ana María");
	CHECK_NICK_OK("A\xe2\x80\x8bna\xef\xbb\xbf", "Ana");
	CHECK_NICK_REFUSED("", "a nick cannot be empty");
	CHECK_NICK_REFUSED(" \xe2\x80\x8b\xe2\x80\xa8 ", "a nick cannot be empty");
	CHECK_NICK_REFUSED("a:b", "a nick cannot contain ':'");
	CHECK_NICK_REFUSED("Ana: hi\xe2\x80\xa8" "Bob", "a nick cannot contain ':'");

	/* 64 bytes after cleaning is the longest: ASCII, 2-byte and 4-byte
	 * characters, and invisible ones that do not count */
	char nick[300];
	memset(nick, 'n', 64);
	nick[64] = '\0';
	CHECK_NICK_OK(nick, nick);
	ck_assert(nick_is_clean(nick, 64));
	strcpy(nick + 64, "\xe2\x80\x8b");
	char *got;
	ck_assert_ptr_null(nick_rule(nick, strlen(nick), &got));
	ck_assert_uint_eq(strlen(got), 64);
	free(got);
	ck_assert(!nick_is_clean(nick, strlen(nick)));
	strcpy(nick + 64, "n");
	CHECK_NICK_REFUSED(nick, "a nick is at most 64 bytes long");
	ck_assert(!nick_is_clean(nick, 65));
	for (int i = 0; i < 16; i++)
		memcpy(nick + 4 * i, "\xf0\x9f\x99\x82", 4); /* 16 x U+1F642 */
	nick[64] = '\0';
	ck_assert(nick_is_clean(nick, 64));
	strcpy(nick + 64, "\xc3\xa9");
	CHECK_NICK_REFUSED(nick, "a nick is at most 64 bytes long");
}
END_TEST

START_TEST(a_clean_nick_is_exactly_as_it_stands)
{
	ck_assert(nick_is_clean("Ana", 3));
	ck_assert(nick_is_clean("Ana Mar\xc3\xad" "a", 10));
	ck_assert(!nick_is_clean("", 0));
	ck_assert(!nick_is_clean(" Ana", 4));
	ck_assert(!nick_is_clean("Ana ", 4));
	ck_assert(!nick_is_clean("A:na", 4));
	ck_assert(!nick_is_clean("An\xe2\x80\x8b" "a", 6));
	ck_assert(!nick_is_clean("An\x1b" "a", 4));
	ck_assert(!nick_is_clean("An\0a", 4));
	ck_assert(!nick_is_clean("Jos\xe9", 4)); /* Latin-1, not UTF-8 */
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
	tcase_add_test(tc, line_and_paragraph_separators_in_text);
	tcase_add_test(tc, text_keeps_joiners);
	tcase_add_test(tc, names_lose_every_format_character);
	suite_add_tcase(s, tc);
	/* The nick rule (core/nick.c) is the sanitiser's rule for names. */
	TCase *nick = tcase_create("nick");
	tcase_add_test(nick, the_nick_rule);
	tcase_add_test(nick, a_clean_nick_is_exactly_as_it_stands);
	suite_add_tcase(s, nick);
	return s;
}

int main(void)
{
	return check_run(sanitize_suite());
}
