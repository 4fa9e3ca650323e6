/* SPDX-License-Identifier: MIT */
/* Unit tests of "where a message belongs" as the terminal shows it: the
 * prefix before a message (common/where.c) and the prompt (stdin_where.c). */
#include "nick_color.h"
#include "stdin_where.h"
#include "where.h"
#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[512];

static struct mqc_message said(const char *network, const char *room, const char *to,
                               unsigned flags)
{
	return (struct mqc_message){.type = MQC_MSG_MESSAGE, .flags = flags, .id = "",
	                            .nick = "Ana", .text = "hola", .topic = room,
	                            .sender_id = "", .network = network, .room = room,
	                            .to = to, .origin = ""};
}

/* The prefix, checking that counting agrees with writing. */
static const char *prefix(struct mqc_message m, bool color)
{
	size_t n = where_prefix(&m, color, out);
	ck_assert_uint_eq(n, where_prefix(&m, color, NULL));
	ck_assert_uint_eq(n, strlen(out));
	return out;
}

START_TEST(room_messages_name_network_and_room)
{
	ck_assert_str_eq(prefix(said("one", "ops", "", 0), false), "[one:ops] ");
	ck_assert_str_eq(prefix(said("one", "ops", "", MQC_MSG_OWN), false), "[one:ops] ");
	ck_assert_str_eq(prefix(said("two", "a/b c", "", MQC_MSG_HISTORY), false), "[two:a/b c] ");
	/* A network without a room name (a 1.1 backend's only room). */
	ck_assert_str_eq(prefix(said("one", "", "", 0), false), "[one] ");
	ck_assert_str_eq(prefix(said("one", NULL, NULL, 0), false), "[one] ");
}
END_TEST

START_TEST(private_messages_say_to_whom)
{
	ck_assert_str_eq(prefix(said("one", "", "Ana", 0), false), "[one -> you] ");
	ck_assert_str_eq(prefix(said("one", "", "Bob", MQC_MSG_OWN), false), "[one -> Bob] ");
}
END_TEST

START_TEST(no_network_no_prefix)
{
	struct mqc_message status = said("", "", "", 0);
	status.type = MQC_MSG_STATUS;
	ck_assert_str_eq(prefix(status, true), "");
	ck_assert_str_eq(prefix(said(NULL, NULL, NULL, 0), false), "");
}
END_TEST

START_TEST(colour_is_the_rooms_or_the_other_persons)
{
	char want[128];
	snprintf(want, sizeof want, "\033[38;5;%um[one:ops]\033[0m ", room_color("one", "ops"));
	ck_assert_str_eq(prefix(said("one", "ops", "", 0), true), want);
	ck_assert_uint_eq(room_color("one", "ops"), nick_color("one:ops"));
	/* A private message: the colour the sender's nick has. */
	snprintf(want, sizeof want, "\033[38;5;%um[one -> you]\033[0m ", nick_color("Ana"));
	ck_assert_str_eq(prefix(said("one", "", "Ana", 0), true), want);
	struct mqc_message with_id = said("one", "", "Ana", 0);
	with_id.sender_id = "c0ffee";
	snprintf(want, sizeof want, "\033[38;5;%um[one -> you]\033[0m ", nick_color("c0ffee"));
	ck_assert_str_eq(prefix(with_id, true), want);
	snprintf(want, sizeof want, "\033[38;5;%um[one -> Bob]\033[0m ", nick_color("Bob"));
	ck_assert_str_eq(prefix(said("one", "", "Bob", MQC_MSG_OWN), true), want);
}
END_TEST

START_TEST(a_template_showing_the_room_needs_no_prefix)
{
	ck_assert(where_in_template("[{room}] {nick}: {text}"));
	ck_assert(where_in_template("{network} {nick}: {text}"));
	ck_assert(where_in_template("{{{room}}}"));
	ck_assert(!where_in_template("[{time}] {nick}: {text}"));
	ck_assert(!where_in_template("{{room}} {{network}}: {text} {to}"));
	ck_assert(!where_in_template("{topic} {rooms} {roo"));
	ck_assert(!where_in_template(""));
}
END_TEST

START_TEST(the_prompt_names_the_current_room)
{
	char *p = stdin_where_prompt("> ", "one:ops");
	ck_assert_str_eq(p, "[one:ops] > ");
	free(p);
	p = stdin_where_prompt("> ", "");
	ck_assert_str_eq(p, "> ");
	free(p);
	p = stdin_where_prompt("mqchat$ ", NULL);
	ck_assert_str_eq(p, "mqchat$ ");
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stdin_where");
	TCase *tc = tcase_create("where");
	tcase_add_test(tc, room_messages_name_network_and_room);
	tcase_add_test(tc, private_messages_say_to_whom);
	tcase_add_test(tc, no_network_no_prefix);
	tcase_add_test(tc, colour_is_the_rooms_or_the_other_persons);
	tcase_add_test(tc, a_template_showing_the_room_needs_no_prefix);
	tcase_add_test(tc, the_prompt_names_the_current_room);
	suite_add_tcase(s, tc);
	return check_run(s);
}
