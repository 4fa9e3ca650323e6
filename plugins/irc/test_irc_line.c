/* SPDX-License-Identifier: MIT */
/* The IRC line parser (irc_line.c): tags, prefix, command, parameters, and
 * tag values unescaped. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "irc_line.h"

static struct irc_line line;
static char buf[IRC_RECV_MAX + 1];

/* Parses a copy of `text` into `line`. */
static bool parse(const char *text)
{
	ck_assert_uint_lt(strlen(text), sizeof buf);
	strcpy(buf, text);
	return irc_line_parse(&line, buf);
}

START_TEST(a_full_line_is_taken_apart)
{
	ck_assert(parse("@time=2026-12-03T09:08:30.123Z;msgid=abc :bob!~b@example.org "
	                "PRIVMSG #tubbies :hello there"));
	ck_assert_str_eq(line.tags, "time=2026-12-03T09:08:30.123Z;msgid=abc");
	ck_assert_str_eq(line.nick, "bob");
	ck_assert_str_eq(line.user, "~b");
	ck_assert_str_eq(line.host, "example.org");
	ck_assert_str_eq(line.command, "PRIVMSG");
	ck_assert_uint_eq(line.n_params, 2);
	ck_assert_str_eq(line.params[0], "#tubbies");
	ck_assert_str_eq(line.params[1], "hello there");
}
END_TEST

START_TEST(a_line_without_tags_or_prefix)
{
	ck_assert(parse("PING :irc.example.org"));
	ck_assert_ptr_null(line.tags);
	ck_assert_str_eq(line.nick, "");
	ck_assert_str_eq(line.user, "");
	ck_assert_str_eq(line.host, "");
	ck_assert_str_eq(line.command, "PING");
	ck_assert_uint_eq(line.n_params, 1);
	ck_assert_str_eq(line.params[0], "irc.example.org");
}
END_TEST

START_TEST(the_command_is_upper_cased)
{
	ck_assert(parse("privMsg #a :x"));
	ck_assert_str_eq(line.command, "PRIVMSG");
	ck_assert(parse(":srv 001 Ana :Welcome"));
	ck_assert_str_eq(line.command, "001");
}
END_TEST

START_TEST(a_server_name_prefix_is_the_nick)
{
	ck_assert(parse(":irc.example.org 001 Ana :Welcome"));
	ck_assert_str_eq(line.nick, "irc.example.org");
	ck_assert_str_eq(line.user, "");
	ck_assert_str_eq(line.host, "");
}
END_TEST

START_TEST(nick_at_host_has_no_user)
{
	ck_assert(parse(":bob@host.example JOIN #a"));
	ck_assert_str_eq(line.nick, "bob");
	ck_assert_str_eq(line.user, "");
	ck_assert_str_eq(line.host, "host.example");
	ck_assert(parse(":bob!b JOIN #a"));
	ck_assert_str_eq(line.nick, "bob");
	ck_assert_str_eq(line.user, "b");
	ck_assert_str_eq(line.host, "");
}
END_TEST

START_TEST(the_trailing_keeps_spaces_and_colons)
{
	ck_assert(parse(":a PRIVMSG #c ::) two  spaces :inside "));
	ck_assert_uint_eq(line.n_params, 2);
	ck_assert_str_eq(line.params[1], ":) two  spaces :inside ");
}
END_TEST

START_TEST(an_empty_trailing_is_a_parameter)
{
	ck_assert(parse(":a TOPIC #c :"));
	ck_assert_uint_eq(line.n_params, 2);
	ck_assert_str_eq(line.params[1], "");
}
END_TEST

START_TEST(several_spaces_between_parts_are_one)
{
	ck_assert(parse("@k=v   :a!b@c   MODE   #c   +o   bob   "));
	ck_assert_str_eq(line.tags, "k=v");
	ck_assert_str_eq(line.nick, "a");
	ck_assert_str_eq(line.command, "MODE");
	ck_assert_uint_eq(line.n_params, 3);
	ck_assert_str_eq(line.params[0], "#c");
	ck_assert_str_eq(line.params[1], "+o");
	ck_assert_str_eq(line.params[2], "bob");
}
END_TEST

START_TEST(parameters_past_fifteen_are_folded_into_the_last)
{
	ck_assert(parse("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16  17 :18"));
	ck_assert_uint_eq(line.n_params, IRC_MAX_PARAMS);
	ck_assert_str_eq(line.params[13], "14");
	ck_assert_str_eq(line.params[14], "15 16  17 :18");
}
END_TEST

START_TEST(a_fifteenth_parameter_loses_its_colon)
{
	ck_assert(parse("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :fifteen and more"));
	ck_assert_uint_eq(line.n_params, IRC_MAX_PARAMS);
	ck_assert_str_eq(line.params[14], "fifteen and more");
}
END_TEST

START_TEST(a_line_without_a_command_is_refused)
{
	ck_assert(!parse(""));
	ck_assert(!parse("   "));
	ck_assert(!parse("@a=b"));
	ck_assert(!parse("@a=b "));
	ck_assert(!parse(":prefix"));
	ck_assert(!parse(":prefix   "));
	ck_assert(!parse("@a=b :prefix"));
}
END_TEST

static const char *tag(const char *key, size_t size)
{
	static char out[64];
	ck_assert_uint_le(size, sizeof out);
	return irc_line_tag(&line, key, out, size);
}

START_TEST(a_tag_value_is_found_by_its_key)
{
	ck_assert(parse("@msgid=abc;time=2026-12-03T09:08:30.123Z;+draft/reply=x;flag;empty= "
	                "PRIVMSG #a :x"));
	ck_assert_str_eq(tag("msgid", 64), "abc");
	ck_assert_str_eq(tag("time", 64), "2026-12-03T09:08:30.123Z");
	ck_assert_str_eq(tag("+draft/reply", 64), "x");
	ck_assert_str_eq(tag("flag", 64), "");
	ck_assert_str_eq(tag("empty", 64), "");
	ck_assert_ptr_null(tag("msg", 64));
	ck_assert_ptr_null(tag("msgidx", 64));
	ck_assert_ptr_null(tag("abc", 64));
}
END_TEST

START_TEST(a_line_without_tags_has_none)
{
	ck_assert(parse("PRIVMSG #a :msgid=abc"));
	ck_assert_ptr_null(tag("msgid", 64));
}
END_TEST

START_TEST(the_last_of_repeated_keys_counts)
{
	ck_assert(parse("@k=1;k=2 PING"));
	ck_assert_str_eq(tag("k", 64), "2");
}
END_TEST

START_TEST(tag_values_are_unescaped)
{
	ck_assert(parse("@a=x\\:y\\sz\\\\w\\r\\n;b=\\q\\;c=end\\ PING"));
	ck_assert_str_eq(tag("a", 64), "x;y z\\w\r\n");
	/* An unknown escape drops the backslash; a lone one at the end too. */
	ck_assert_str_eq(tag("b", 64), "q");
	ck_assert_str_eq(tag("c", 64), "end");
}
END_TEST

START_TEST(a_long_value_is_cut_at_a_character_boundary)
{
	/* "ab" then é (2 bytes) then € (3 bytes). */
	ck_assert(parse("@k=ab\xc3\xa9\xe2\x82\xac PING"));
	ck_assert_str_eq(tag("k", 8), "ab\xc3\xa9\xe2\x82\xac");
	ck_assert_str_eq(tag("k", 7), "ab\xc3\xa9");
	ck_assert_str_eq(tag("k", 5), "ab\xc3\xa9");
	ck_assert_str_eq(tag("k", 4), "ab");
	ck_assert_str_eq(tag("k", 3), "ab");
	ck_assert_str_eq(tag("k", 1), "");
	/* Escapes count as what they stand for. */
	ck_assert(parse("@k=a\\sb PING"));
	ck_assert_str_eq(tag("k", 4), "a b");
	ck_assert_str_eq(tag("k", 3), "a ");
}
END_TEST

static Suite *irc_line_suite(void)
{
	Suite *s = suite_create("irc_line");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, a_full_line_is_taken_apart);
	tcase_add_test(tc, a_line_without_tags_or_prefix);
	tcase_add_test(tc, the_command_is_upper_cased);
	tcase_add_test(tc, a_server_name_prefix_is_the_nick);
	tcase_add_test(tc, nick_at_host_has_no_user);
	tcase_add_test(tc, the_trailing_keeps_spaces_and_colons);
	tcase_add_test(tc, an_empty_trailing_is_a_parameter);
	tcase_add_test(tc, several_spaces_between_parts_are_one);
	tcase_add_test(tc, parameters_past_fifteen_are_folded_into_the_last);
	tcase_add_test(tc, a_fifteenth_parameter_loses_its_colon);
	tcase_add_test(tc, a_line_without_a_command_is_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("tags");
	tcase_add_test(tc, a_tag_value_is_found_by_its_key);
	tcase_add_test(tc, a_line_without_tags_has_none);
	tcase_add_test(tc, the_last_of_repeated_keys_counts);
	tcase_add_test(tc, tag_values_are_unescaped);
	tcase_add_test(tc, a_long_value_is_cut_at_a_character_boundary);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(irc_line_suite());
}
