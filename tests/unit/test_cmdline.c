/* SPDX-License-Identifier: MIT */
/* cmdline.c: --room and the options it goes with, and the network the
 * mosquitto-style shortcuts and a URL set keys of. */
#include <check.h>
#include <getopt.h>
#include <string.h>
#include <sysexits.h>

#include "check_run.h"
#include "cmdline.h"

static struct options opt;

/* Parses the NULL-terminated `args` (after "mqchat") into `opt`; returns
 * what cmdline_parse() does. */
static int parse(const char *const *args)
{
	char *argv[16] = {"mqchat"};
	int argc = 1;
	for (; args[argc - 1]; argc++) {
		ck_assert_int_lt(argc, 15);
		argv[argc] = (char *)args[argc - 1];
	}
	cmdline_free(&opt);
	opt = (struct options){0};
	optind = 0; /* getopt starts over */
	return cmdline_parse(argc, argv, &opt);
}

#define PARSE(...) parse((const char *const[]){__VA_ARGS__, NULL})

START_TEST(room_goes_with_history_or_search)
{
	ck_assert_int_eq(PARSE("--history", "5", "--room", "one:ops"), -1);
	ck_assert_str_eq(opt.room, "one:ops");
	ck_assert_str_eq(opt.history, "5");
	ck_assert_int_eq(PARSE("--room", "ops", "--search", "hola", "--json"), -1);
	ck_assert_str_eq(opt.room, "ops");
	ck_assert(opt.json);
	ck_assert_int_eq(PARSE("--room", "ops"), EX_USAGE);
	ck_assert_int_eq(PARSE("--room", "ops", "--json"), EX_USAGE);
	ck_assert_int_eq(PARSE("--list-plugins", "--room", "ops"), EX_USAGE);
	ck_assert_int_eq(PARSE("--history", "5", "--room", ""), EX_USAGE);
	ck_assert_int_eq(PARSE("--history", "5", "--search", "x", "--room", "ops"), EX_USAGE);
	ck_assert_int_eq(PARSE("--history", "5", "--room"), EX_USAGE); /* no value */
	cmdline_free(&opt);
}
END_TEST

/* The section the shortcuts of `args` set "host" in, with [core] as
 * `backend` and `backends` leave it ("": not set). */
static const char *host_section(const char *backend, const char *backends,
                                const char *const *args)
{
	static char section[32];
	struct config cfg = {0};
	if (*backend)
		config_set(&cfg, "core", "backend", backend, "file");
	if (*backends)
		config_set(&cfg, "core", "backends", backends, "file");
	ck_assert_int_eq(parse(args), -1);
	cmdline_apply(&opt, &cfg);
	const char *const candidates[] = {"mqtt", "one", "two", "solo", "other"};
	section[0] = '\0';
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		if (config_find(&cfg, candidates[i], "host")) {
			ck_assert_str_eq(section, ""); /* one section only */
			strcpy(section, candidates[i]);
		}
	}
	config_free(&cfg);
	cmdline_free(&opt);
	return section;
}

#define HOST_SECTION(backend, backends, ...)                                                \
	host_section(backend, backends, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(shortcuts_set_keys_of_the_default_network)
{
	ck_assert_str_eq(HOST_SECTION("", "", "-h", "broker"), "mqtt"); /* the built-in default */
	ck_assert_str_eq(HOST_SECTION("solo", "", "-h", "broker"), "solo");
	ck_assert_str_eq(HOST_SECTION("", "one, two", "-h", "broker"), "one");
	ck_assert_str_eq(HOST_SECTION("solo", "two one", "-h", "broker"), "two");
	ck_assert_str_eq(HOST_SECTION("solo", "", "mqtt://broker/room"), "solo");
	ck_assert_str_eq(HOST_SECTION("", "one,two", "mqtt://broker/room"), "one");
	/* -o changes them as the file would, wherever it stands */
	ck_assert_str_eq(HOST_SECTION("", "", "-h", "broker", "-o", "core.backend=solo"), "solo");
	ck_assert_str_eq(HOST_SECTION("solo", "", "-o", "core.backends=two,one", "-h", "broker"),
	                 "two");
	ck_assert_str_eq(HOST_SECTION("", "one", "-o", "core.backend=other", "-h", "broker"), "one");
	ck_assert_str_eq(HOST_SECTION("", "", "-o", "other.host=x"), "other"); /* not a shortcut */
}
END_TEST

static Suite *cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, room_goes_with_history_or_search);
	tcase_add_test(tc, shortcuts_set_keys_of_the_default_network);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(cmdline_suite());
}
