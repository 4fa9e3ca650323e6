/* SPDX-License-Identifier: MIT */
/* IRC text (irc_text.c): formatting stripped, CTCP taken apart, text made
 * one line, long text split, server-time read, names compared and
 * checked. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "irc_text.h"

/* `text` stripped of its formatting. */
static const char *stripped(const char *text)
{
	static char buf[256];
	ck_assert_uint_lt(strlen(text), sizeof buf);
	strcpy(buf, text);
	size_t len = irc_strip_format(buf, strlen(buf));
	ck_assert_uint_eq(len, strlen(buf));
	return buf;
}

START_TEST(formatting_codes_are_removed)
{
	ck_assert_str_eq(stripped("\x02" "bold\x02 \x1ditalic\x1d \x1funder\x1f \x1estrike\x1e"
	                          " \x11mono\x11 \x16rev\x16 \x0freset"),
	                 "bold italic under strike mono rev reset");
	ck_assert_str_eq(stripped("plain text"), "plain text");
	ck_assert_str_eq(stripped(""), "");
}
END_TEST

START_TEST(colours_are_removed_with_their_numbers)
{
	ck_assert_str_eq(stripped("\x03" "4red\x03 off"), "red off");
	ck_assert_str_eq(stripped("\x03" "04red"), "red");
	ck_assert_str_eq(stripped("\x03" "4,12on blue"), "on blue");
	ck_assert_str_eq(stripped("\x03" "04,1on black"), "on black");
	/* Two digits at most: a third is text. */
	ck_assert_str_eq(stripped("\x03" "123"), "3");
	ck_assert_str_eq(stripped("\x03" "1,234"), "4");
	/* A comma without a background number after it is text. */
	ck_assert_str_eq(stripped("\x03" "4,text"), ",text");
	ck_assert_str_eq(stripped("\x03" "4,"), ",");
	/* No background without a foreground. */
	ck_assert_str_eq(stripped("\x03,5x"), ",5x");
	ck_assert_str_eq(stripped("a\x03"), "a");
}
END_TEST

START_TEST(hex_colours_are_removed)
{
	ck_assert_str_eq(stripped("\x04" "FF0000red"), "red");
	ck_assert_str_eq(stripped("\x04" "ff0000,00ff00x"), "x");
	ck_assert_str_eq(stripped("\x04" "ff0000,00ffx"), ",00ffx");
	ck_assert_str_eq(stripped("\x04" "12345x"), "12345x");
	ck_assert_str_eq(stripped("\x04plain"), "plain");
}
END_TEST

START_TEST(a_ctcp_is_taken_apart)
{
	char text[] = "\x01" "ACTION waves at bob\x01";
	const char *command, *args;
	ck_assert(irc_ctcp_parse(text, &command, &args));
	ck_assert_str_eq(command, "ACTION");
	ck_assert_str_eq(args, "waves at bob");
}
END_TEST

START_TEST(a_ctcp_without_its_closing_byte_or_arguments)
{
	char open[] = "\x01" "ACTION dances";
	const char *command, *args;
	ck_assert(irc_ctcp_parse(open, &command, &args));
	ck_assert_str_eq(command, "ACTION");
	ck_assert_str_eq(args, "dances");
	char bare[] = "\x01version\x01";
	ck_assert(irc_ctcp_parse(bare, &command, &args));
	ck_assert_str_eq(command, "VERSION");
	ck_assert_str_eq(args, "");
}
END_TEST

START_TEST(ordinary_text_is_no_ctcp)
{
	const char *command = "untouched", *args = "untouched";
	char plain[] = "hello \x01" "ACTION x\x01";
	ck_assert(!irc_ctcp_parse(plain, &command, &args));
	char empty[] = "\x01\x01";
	ck_assert(!irc_ctcp_parse(empty, &command, &args));
	char nothing[] = "";
	ck_assert(!irc_ctcp_parse(nothing, &command, &args));
	ck_assert_str_eq(command, "untouched");
	ck_assert_str_eq(args, "untouched");
}
END_TEST

START_TEST(control_bytes_become_spaces)
{
	char text[] = "a\r\nPRIVMSG #x :b\tc\x01" "d\x7f" "e\x02\xc3\xa9";
	size_t len = sizeof text - 1;
	text[1] = '\0'; /* a NUL inside the text too */
	irc_text_clean(text, len);
	ck_assert_mem_eq(text, "a  PRIVMSG #x :b c d e \xc3\xa9", len);
	ck_assert_ptr_null(memchr(text, '\0', len));
}
END_TEST

/* Splits `text` into pieces of at most `max` bytes as the sender does,
 * checks each, and checks that they put back together are the text. */
static size_t split_and_join(const char *text, size_t max)
{
	size_t len = strlen(text), pieces = 0;
	char joined[4096] = "";
	size_t joined_len = 0;
	ck_assert_uint_lt(len, sizeof joined);
	for (size_t pos = 0; pos < len; pieces++) {
		size_t n = irc_split_next(text + pos, len - pos, max);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_le(n, max);
		/* Never inside a character: what follows is no continuation byte. */
		ck_assert(pos + n == len || ((unsigned char)text[pos + n] & 0xC0) != 0x80);
		memcpy(joined + joined_len, text + pos, n);
		joined_len += n;
		pos += n;
		if (pos < len && text[pos] == ' ') {
			joined[joined_len++] = ' ';
			pos++;
		}
	}
	ck_assert_uint_eq(joined_len, len);
	ck_assert_mem_eq(joined, text, len);
	return pieces;
}

START_TEST(words_are_split_at_spaces_and_nothing_is_lost)
{
	char text[2001];
	size_t len = 0;
	for (int i = 0; len < 2000 - 12; i++)
		len += (size_t)sprintf(text + len, "w%d%s ", i, i % 7 ? "" : "\xc3\xa9t\xc3\xa9");
	memset(text + len, 'z', 2000 - len);
	text[2000] = '\0';
	size_t pieces = split_and_join(text, 400);
	ck_assert_uint_ge(pieces, 5);
	/* Each piece but the last ends before a space. */
	size_t n = irc_split_next(text, 2000, 400);
	ck_assert_int_eq(text[n], ' ');
	ck_assert_uint_gt(n, 390);
}
END_TEST

START_TEST(text_that_fits_is_one_piece)
{
	ck_assert_uint_eq(irc_split_next("hi there", 8, 8), 8);
	ck_assert_uint_eq(irc_split_next("hi there", 8, 400), 8);
	ck_assert_uint_eq(split_and_join("short", 400), 1);
}
END_TEST

START_TEST(a_space_too_early_is_not_used)
{
	/* The only space leaves a piece under max/2: cut in the word. */
	const char *text = "ab cdefghijklmnopqrstuvwxyz";
	ck_assert_uint_eq(irc_split_next(text, strlen(text), 10), 10);
	split_and_join(text, 10);
}
END_TEST

START_TEST(text_without_spaces_is_cut_at_characters)
{
	/* é is 2 bytes, € 3, the emoji 4. */
	char text[1200] = "";
	for (int i = 0; i < 60; i++)
		strcat(text, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	for (size_t max = 4; max < 40; max++)
		split_and_join(text, max);
	/* The emoji at the edge: "a" é € is 6 bytes, the emoji 4 more. */
	ck_assert_uint_eq(irc_split_next(text, strlen(text), 9), 6);
	ck_assert_uint_eq(irc_split_next(text, strlen(text), 10), 10);
	ck_assert_uint_eq(irc_split_next(text + 6, strlen(text) - 6, 4), 4);
	ck_assert_uint_eq(irc_split_next(text + 6, strlen(text) - 6, 5), 5); /* emoji, "a" */
	ck_assert_uint_eq(irc_split_next(text + 6, strlen(text) - 6, 7), 7); /* and é */
	ck_assert_uint_eq(irc_split_next(text + 6, strlen(text) - 6, 8), 7);
}
END_TEST

START_TEST(a_max_below_one_character_still_moves_on)
{
	const char *emoji = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
	ck_assert_uint_eq(irc_split_next(emoji, 8, 3), 4);
	ck_assert_uint_eq(irc_split_next(emoji, 8, 1), 4);
	ck_assert_uint_eq(irc_split_next(emoji, 8, 0), 4);
	ck_assert_uint_eq(irc_split_next("ab", 2, 0), 1);
}
END_TEST

START_TEST(server_time_is_read_as_unix_ms)
{
	ck_assert_int_eq(irc_time_parse("1970-01-01T00:00:00.000Z"), 0);
	ck_assert_int_eq(irc_time_parse("1970-01-01T00:00:01Z"), 1000);
	ck_assert_int_eq(irc_time_parse("2026-12-03T09:08:30.123Z"), 1796288910123);
	ck_assert_int_eq(irc_time_parse("2000-02-29T23:59:59.5Z"), 951868799500);
	ck_assert_int_eq(irc_time_parse("2024-03-01T00:00:00.123456Z"), 1709251200123);
	/* A leap second reads as the next minute's first. */
	ck_assert_int_eq(irc_time_parse("2016-12-31T23:59:60Z"), 1483228800000);
}
END_TEST

START_TEST(a_malformed_time_is_refused)
{
	const char *bad[] = {
		"", "garbage", "2026-13-03T09:08:30.123Z", "2026-00-03T09:08:30Z",
		"2026-12-03T09:08:30.123", "2026-12-03 09:08:30Z", "2026-12-32T09:08:30Z",
		"2026-02-29T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T09:60:00Z",
		"2026-12-03T09:08:30.Z", "2026-12-03T09:08:30.123Zx", "26-12-03T09:08:30Z",
		"1969-12-31T23:59:59Z", "2026-12-03T09:08:30+01:00", "2026-12-03T9:08:30Z",
		"2026-12-03:08:30:00Z", "2016-12-31T23:59:61Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(irc_time_parse(bad[i]) == -1, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(casemapping_tokens)
{
	ck_assert_int_eq(irc_casemap_of("rfc1459"), IRC_CASEMAP_RFC1459);
	ck_assert_int_eq(irc_casemap_of("strict-rfc1459"), IRC_CASEMAP_STRICT);
	ck_assert_int_eq(irc_casemap_of("ascii"), IRC_CASEMAP_ASCII);
	ck_assert_int_eq(irc_casemap_of("rfc7613"), IRC_CASEMAP_RFC1459);
	ck_assert_int_eq(irc_casemap_of(""), IRC_CASEMAP_RFC1459);
}
END_TEST

START_TEST(names_compare_under_each_casemapping)
{
	ck_assert(irc_name_eq("Bob", "bOB", IRC_CASEMAP_ASCII));
	ck_assert(irc_name_eq("#Tubbies", "#tubbies", IRC_CASEMAP_RFC1459));
	ck_assert(!irc_name_eq("bob", "bobby", IRC_CASEMAP_RFC1459));
	ck_assert(!irc_name_eq("bobby", "bob", IRC_CASEMAP_RFC1459));

	ck_assert(irc_name_eq("a[]\\~", "A{}|^", IRC_CASEMAP_RFC1459));
	ck_assert(!irc_name_eq("a[]\\~", "A{}|^", IRC_CASEMAP_STRICT));
	ck_assert(irc_name_eq("a[]\\", "A{}|", IRC_CASEMAP_STRICT));
	ck_assert(!irc_name_eq("~", "^", IRC_CASEMAP_STRICT));
	ck_assert(!irc_name_eq("[", "{", IRC_CASEMAP_ASCII));
	ck_assert(!irc_name_eq("\\", "|", IRC_CASEMAP_ASCII));
	/* Bytes past ASCII are compared as they are. */
	ck_assert(!irc_name_eq("\xc3\xa9", "\xc3\x89", IRC_CASEMAP_RFC1459));
}
END_TEST

START_TEST(nicks_are_checked)
{
	ck_assert(irc_nick_valid("Ana", 9));
	ck_assert(irc_nick_valid("[x]_^{|}`\\-9", 30));
	ck_assert(irc_nick_valid("Ana_", 4));
	ck_assert(!irc_nick_valid("Ana__", 4));
	ck_assert(!irc_nick_valid("", 9));
	ck_assert(!irc_nick_valid("9lives", 9));
	ck_assert(!irc_nick_valid("-dash", 9));
	ck_assert(!irc_nick_valid("a b", 9));
	ck_assert(!irc_nick_valid("a:b", 9));
	ck_assert(!irc_nick_valid("Ana@mqtt", 30));
	ck_assert(!irc_nick_valid("\xc3\xa9", 9));
}
END_TEST

START_TEST(channels_are_checked)
{
	ck_assert(irc_channel_valid("#tubbies", "#&"));
	ck_assert(irc_channel_valid("&local", "#&"));
	ck_assert(irc_channel_valid("#caf\xc3\xa9", "#"));
	ck_assert(!irc_channel_valid("&local", "#"));
	ck_assert(!irc_channel_valid("tubbies", "#&"));
	ck_assert(!irc_channel_valid("#", "#&"));
	ck_assert(!irc_channel_valid("", "#&"));
	ck_assert(!irc_channel_valid("#a b", "#&"));
	ck_assert(!irc_channel_valid("#a,b", "#&"));
	ck_assert(!irc_channel_valid("#a\x07", "#&"));
	ck_assert(!irc_channel_valid("#a\r\n", "#&"));
	ck_assert(!irc_channel_valid("#tubbies", ""));
	char longest[52];
	memset(longest, 'x', sizeof longest);
	longest[0] = '#';
	longest[50] = '\0';
	ck_assert(irc_channel_valid(longest, "#"));
	longest[50] = 'x';
	longest[51] = '\0';
	ck_assert(!irc_channel_valid(longest, "#"));
}
END_TEST

static Suite *irc_text_suite(void)
{
	Suite *s = suite_create("irc_text");
	TCase *tc = tcase_create("receive");
	tcase_add_test(tc, formatting_codes_are_removed);
	tcase_add_test(tc, colours_are_removed_with_their_numbers);
	tcase_add_test(tc, hex_colours_are_removed);
	tcase_add_test(tc, a_ctcp_is_taken_apart);
	tcase_add_test(tc, a_ctcp_without_its_closing_byte_or_arguments);
	tcase_add_test(tc, ordinary_text_is_no_ctcp);
	tcase_add_test(tc, server_time_is_read_as_unix_ms);
	tcase_add_test(tc, a_malformed_time_is_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("send");
	tcase_add_test(tc, control_bytes_become_spaces);
	tcase_add_test(tc, words_are_split_at_spaces_and_nothing_is_lost);
	tcase_add_test(tc, text_that_fits_is_one_piece);
	tcase_add_test(tc, a_space_too_early_is_not_used);
	tcase_add_test(tc, text_without_spaces_is_cut_at_characters);
	tcase_add_test(tc, a_max_below_one_character_still_moves_on);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_test(tc, casemapping_tokens);
	tcase_add_test(tc, names_compare_under_each_casemapping);
	tcase_add_test(tc, nicks_are_checked);
	tcase_add_test(tc, channels_are_checked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(irc_text_suite());
}
