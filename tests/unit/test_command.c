/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "check_run.h"

static void check_cmd(const char *line, bool all, enum command_kind kind, const char *arg)
{
	struct command c = command_parse(line, strlen(line), all);
	ck_assert_msg(c.kind == kind, "'%s': kind %d, wanted %d", line, c.kind, kind);
	ck_assert_uint_eq(c.arg_len, strlen(arg));
	ck_assert(memcmp(c.arg, arg, c.arg_len) == 0);
}

START_TEST(terminal_commands)
{
	check_cmd("hola", true, CMD_SAY, "hola");
	check_cmd("/me waves", true, CMD_ACTION, "waves");
	check_cmd("/nick  Bea ", true, CMD_NICK, "Bea");
	check_cmd("/quit", true, CMD_QUIT, "");
	check_cmd("/help", true, CMD_HELP, "");
	check_cmd("/history 5", true, CMD_HISTORY, "5");
	check_cmd("/search foo bar", true, CMD_SEARCH, "foo bar");
	check_cmd("//etc/passwd", true, CMD_SAY, "/etc/passwd");
	check_cmd("/frobnicate", true, CMD_UNKNOWN, "/frobnicate");
	check_cmd("/nick", true, CMD_UNKNOWN, "/nick");
	check_cmd("   ", true, CMD_EMPTY, "");
	check_cmd("/mea culpa", true, CMD_UNKNOWN, "/mea culpa");
}
END_TEST

START_TEST(fifo_lines_only_know_me)
{
	check_cmd("/me deploys", false, CMD_ACTION, "deploys");
	check_cmd("/quit", false, CMD_SAY, "/quit");
	check_cmd("/nick root", false, CMD_SAY, "/nick root");
	check_cmd("/var/log is full", false, CMD_SAY, "/var/log is full");
	check_cmd("//x", false, CMD_SAY, "/x");
	check_cmd("/me", false, CMD_SAY, "/me");
}
END_TEST

/* /help lists each command /help's parser knows, once, as it is typed. */
START_TEST(help_lists_every_command)
{
	static const char *const typed[] = {"/nick x", "/me x", "/history", "/search x",
	                                    "/join x", "/part", "/rooms", "/go x",
	                                    "/msg x", "/who", "/away", "/quit", "/help", "//x"};
	size_t rows = 0;
	for (const struct command_help *h = command_help; h->usage; h++, rows++) {
		ck_assert_msg(h->what && *h->what, "'%s' says nothing", h->usage);
		ck_assert_uint_lt(strlen(h->usage) + strlen(h->what), 60);
	}
	ck_assert_uint_eq(rows, sizeof typed / sizeof typed[0]);
	for (size_t i = 0; i < rows; i++) {
		const char *usage = command_help[i].usage;
		size_t name = strspn(usage, "/abcdefghijklmnopqrstuvwxyz");
		ck_assert_msg(strncmp(typed[i], usage, name) == 0, "%s: %s", typed[i], usage);
		struct command c = command_parse(typed[i], strlen(typed[i]), true);
		ck_assert_msg(c.kind != CMD_UNKNOWN, "%s", typed[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("command");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, terminal_commands);
	tcase_add_test(tc, fifo_lines_only_know_me);
	tcase_add_test(tc, help_lists_every_command);
	suite_add_tcase(s, tc);
	return check_run(s);
}
