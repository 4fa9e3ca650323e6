/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the syslog plugin's pure parts: escaping, cutting, record
 * layout, journal fields and the names of facilities and priorities.
 */
#include "syslog_names.h"
#include "syslog_escape.h"
#include "syslog_record.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char out[4096];

/* True when escaping `text` again only doubles its backslashes: then it
 * holds no control, no invalid UTF-8 and nothing that breaks a line. */
static bool is_clean(const char *text, size_t len)
{
	char again[8192], doubled[8192];
	size_t n = 0;

	syslog_escape(text, len, again, sizeof again - 1);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\')
			doubled[n++] = '\\';
		doubled[n++] = text[i];
	}
	doubled[n] = '\0';
	return strcmp(again, doubled) == 0;
}

/* The index of the first C0 control or DEL in `text`, or `len`. */
static size_t first_control(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len && (unsigned char)text[i] >= 0x20 && text[i] != 0x7f)
		i++;
	return i;
}

static const char *esc(const char *in, size_t max_length)
{
	size_t len = syslog_escape(in, strlen(in), out, max_length);
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_uint_le(len, max_length);
	return out;
}

START_TEST(plain_text_is_unchanged)
{
	ck_assert_str_eq(esc("Ana: hola, ¿qué tal? 日本語 😀", 2048),
	                 "Ana: hola, ¿qué tal? 日本語 😀");
	ck_assert_str_eq(esc("", 2048), "");
}
END_TEST

START_TEST(line_breaks_become_escapes)
{
	ck_assert_str_eq(esc("hi\nJan  1 host sshd[1]: Accepted", 2048),
	                 "hi\\nJan  1 host sshd[1]: Accepted");
	ck_assert_str_eq(esc("a\r\nb\tc", 2048), "a\\r\\nb\\tc");
	ck_assert_str_eq(esc("trailing\n", 2048), "trailing\\n");
}
END_TEST

START_TEST(backslash_is_doubled)
{
	/* The text "\n" typed by a user must not read as a newline escape. */
	ck_assert_str_eq(esc("C:\\new\\n", 2048), "C:\\\\new\\\\n");
}
END_TEST

START_TEST(controls_become_hex)
{
	ck_assert_str_eq(esc("\x1b[31mred\x1b[0m\x07\x7f", 2048),
	                 "\\x1B[31mred\\x1B[0m\\x07\\x7F");
	const char with_nul[] = "a\0b";
	size_t len = syslog_escape(with_nul, 3, out, 2048);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(out, "a\\x00b");
}
END_TEST

START_TEST(unicode_breaks_and_c1_become_u_escapes)
{
	ck_assert_str_eq(esc("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d", 2048),
	                 "a\\u0085b\\u2028c\\u2029d");
	ck_assert_str_eq(esc("\xc2\x9b" "31m", 2048), "\\u009B31m");
	/* A right-to-left override would reorder what the reader sees. */
	ck_assert_str_eq(esc("x\xe2\x80\xae" "y", 2048), "x\\u202Ey");
}
END_TEST

START_TEST(invalid_utf8_becomes_hex)
{
	ck_assert_str_eq(esc("a\xff" "b", 2048), "a\\xFFb");
	ck_assert_str_eq(esc("\xc0\xaf", 2048), "\\xC0\\xAF");         /* overlong "/" */
	ck_assert_str_eq(esc("\xed\xa0\x80", 2048), "\\xED\\xA0\\x80"); /* surrogate */
	ck_assert_str_eq(esc("\xf4\x90\x80\x80", 2048), "\\xF4\\x90\\x80\\x80");
	ck_assert_str_eq(esc("cut \xe2\x82", 2048), "cut \\xE2\\x82");  /* truncated */
}
END_TEST

START_TEST(long_text_is_cut_with_marker)
{
	char in[300];
	memset(in, 'x', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	const char *r = esc(in, 64);
	ck_assert_uint_eq(strlen(r), 64);
	ck_assert_str_eq(r + 64 - SYSLOG_CUT_MARKER_LEN, SYSLOG_CUT_MARKER);

	/* Exactly max_length fits without a marker. */
	in[64] = '\0';
	ck_assert_str_eq(esc(in, 64), in);
}
END_TEST

START_TEST(cut_never_splits_a_character_or_escape)
{
	/* 3-byte characters and 2-byte escapes around every cut point. */
	for (size_t max = SYSLOG_ESCAPE_MIN_LENGTH; max < 80; max++) {
		const char *r = esc("日本\n語の\\テキスト\x01を切る\xe2\x80\xa8ところ日本語日本語日本語日本語", max);
		size_t len = strlen(r);
		ck_assert_msg(len >= SYSLOG_CUT_MARKER_LEN &&
		              strcmp(r + len - SYSLOG_CUT_MARKER_LEN, SYSLOG_CUT_MARKER) == 0,
		              "max %zu: no marker in %s", max, r);
		/* What precedes the marker is a whole number of pieces: no
		 * stray backslash, no partial UTF-8 sequence. */
		size_t head_len = len - SYSLOG_CUT_MARKER_LEN;
		ck_assert_msg(is_clean(r, head_len), "max %zu: split character: %s", max, r);
		size_t slashes = 0;
		for (size_t i = head_len; i > 0 && r[i - 1] == '\\'; i--)
			slashes++;
		ck_assert_msg(slashes % 2 == 0, "max %zu: split escape: %s", max, r);
	}
}
END_TEST

START_TEST(output_is_always_one_clean_line)
{
	unsigned char in[512];
	unsigned seed = 12345;
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof in; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)(seed >> 16);
		}
		size_t len = syslog_escape((const char *)in, sizeof in, out, 700);
		ck_assert_uint_le(len, 700);
		/* One check per round: each ck_assert is a write to Check's
		 * pipe, and one per byte made the test crawl under the
		 * sanitizers (bench/README.md). */
		size_t bad = first_control(out, len);
		ck_assert_msg(bad == len, "control byte 0x%02x at %zu in output",
		              (unsigned char)out[bad], bad);
		ck_assert_msg(is_clean(out, len), "output not clean UTF-8: %s", out);
	}
}
END_TEST

START_TEST(record_line_layout)
{
	struct syslog_buf buf = {0};
	setenv("TZ", "UTC", 1);
	tzset();
	/* 2024-01-01 09:05:07 UTC: a one-digit day is padded with a space. */
	ck_assert(syslog_record_line(&buf, 19 * 8 + 4, 1704099907, "mqchat", 42, "Ana: hi", 7));
	ck_assert_uint_eq(buf.len, strlen("<156>Jan  1 09:05:07 mqchat[42]: Ana: hi"));
	ck_assert(memcmp(buf.data, "<156>Jan  1 09:05:07 mqchat[42]: Ana: hi", buf.len) == 0);
	/* Without pid, and no trailing newline ever. */
	ck_assert(syslog_record_line(&buf, 14, 1704099907 + 86400 * 30, "log", -1, "x", 1));
	ck_assert(memcmp(buf.data, "<14>Jan 31 09:05:07 log: x", buf.len) == 0);
	syslog_buf_free(&buf);
}
END_TEST

START_TEST(journal_fields)
{
	struct syslog_buf buf = {0};
	ck_assert(syslog_record_journal_field(&buf, "MQCHAT_NICK", "ana", 3));
	ck_assert(syslog_record_journal_field(&buf, "X", "a\nb", 3));
	const char want[] = "MQCHAT_NICK=ana\nX\n\x03\0\0\0\0\0\0\0a\nb\n";
	ck_assert_uint_eq(buf.len, sizeof want - 1);
	ck_assert(memcmp(buf.data, want, buf.len) == 0);
	syslog_buf_free(&buf);
}
END_TEST

/* The code a name stands for, -1 for none. */
static int code_of(const char *const *words, const int *codes, const char *name)
{
	for (size_t i = 0; words[i]; i++)
		if (strcmp(words[i], name) == 0)
			return codes[i];
	return -1;
}

START_TEST(names)
{
	const char *const *f = syslog_facility_words, *const *s = syslog_severity_words;
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "user"), 1);
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "daemon"), 3);
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "security"), 4);
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "local0"), 16);
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "local7"), 23);
	ck_assert_int_eq(code_of(f, syslog_facility_codes, "local8"), -1);
	ck_assert_int_eq(code_of(s, syslog_severity_codes, "emerg"), 0);
	ck_assert_int_eq(code_of(s, syslog_severity_codes, "warning"), 4);
	ck_assert_int_eq(code_of(s, syslog_severity_codes, "error"), 3);
	ck_assert_int_eq(code_of(s, syslog_severity_codes, "debug"), 7);
	ck_assert_int_eq(code_of(s, syslog_severity_codes, "loud"), -1);
	ck_assert(syslog_ident_valid("mqchat"));
	ck_assert(syslog_ident_valid("room-log_2"));
	ck_assert(!syslog_ident_valid(""));
	ck_assert(!syslog_ident_valid("two words"));
	ck_assert(!syslog_ident_valid("fake[1]"));
	ck_assert(!syslog_ident_valid("a:b"));
	ck_assert(!syslog_ident_valid("caf\xc3\xa9"));
}
END_TEST

static Suite *syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc = tcase_create("escape");
	tcase_add_test(tc, plain_text_is_unchanged);
	tcase_add_test(tc, line_breaks_become_escapes);
	tcase_add_test(tc, backslash_is_doubled);
	tcase_add_test(tc, controls_become_hex);
	tcase_add_test(tc, unicode_breaks_and_c1_become_u_escapes);
	tcase_add_test(tc, invalid_utf8_becomes_hex);
	tcase_add_test(tc, long_text_is_cut_with_marker);
	tcase_add_test(tc, cut_never_splits_a_character_or_escape);
	tcase_add_test(tc, output_is_always_one_clean_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("record");
	tcase_add_test(tc, record_line_layout);
	tcase_add_test(tc, journal_fields);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(syslog_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
