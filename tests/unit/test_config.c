/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "check_run.h"

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/mqchat-config-test-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Parses `text`; returns the error message ("" on success), malloc'd. */
static char *parse(const char *text, struct config *cfg)
{
	char *path = write_tmp(text);
	struct strbuf err = STRBUF_INIT;
	int rc = config_parse_file(cfg, path, &err);
	ck_assert_int_eq(rc == 0, err.len == 0);
	unlink(path);
	free(path);
	return strbuf_take(&err);
}

static void check_error(const char *text, const char *needle)
{
	struct config cfg = {0};
	char *err = parse(text, &cfg);
	ck_assert_msg(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
	free(err);
	config_free(&cfg);
}

START_TEST(values_keep_their_line)
{
	struct config cfg = {0};
	char *err = parse("; comment\n[core]\nnick = Ana ; inline comment\n\n[mqtt]\n"
	                  "port=1884\n# another\ntopic = a/b\n", &cfg);
	ck_assert_str_eq(err, "");
	const struct config_value *v = config_find(&cfg, "core", "nick");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->value, "Ana");
	ck_assert(strstr(v->origin, ":3") != NULL);
	v = config_find(&cfg, "mqtt", "topic");
	ck_assert_str_eq(v->value, "a/b");
	ck_assert(strstr(v->origin, ":8") != NULL);
	ck_assert(strstr(config_find_section(&cfg, "mqtt")->origin, ":5") != NULL);
	ck_assert_ptr_null(config_find(&cfg, "core", "port"));
	free(err);
	config_free(&cfg);
}
END_TEST

START_TEST(mistakes_name_the_line)
{
	check_error("[core]\nnick = a\nthis is not ini\n", ":3: not a [section] header");
	check_error("[core]\nnick = a\nnick = b\n", ":3: [core] nick is set twice (first at ");
	check_error("nick = a\n", ":1: key 'nick' outside any [section]");
	check_error("[core]\nnick = a\n  continued\n", ":3: indented line");
	check_error("[core]\nnick = a\n\thistory = off\n", ":3: indented line");
	check_error("[core]\nnick = a\n [mqtt]\n", ":3: indented line");
	check_error("[core]\nnick = a\n\f[mqtt]\n", ":3: indented line");
	check_error("\xEF\xBB\xBF [core]\n", ":1: indented line");
	check_error("[core]\n[mqtt]\n[core]\n", ":3: section [core] appears twice");
	char long_line[400];
	snprintf(long_line, sizeof long_line, "[core]\nnick = %0300d\n", 0);
	check_error(long_line, ":2: line longer than");
	check_error("[core]\nnick = a\n[s123456789s123456789s123456789s123456789s1234567890]\nk = v\n",
	            ":3: section name longer than 49 characters");
}
END_TEST

START_TEST(indented_blank_and_comment_lines_are_fine)
{
	struct config cfg = {0};
	char *err = parse("\xEF\xBB\xBF[core]\n  ; comment\n\t# another\n \t\r\nnick = Ana\r\n",
	                  &cfg);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(config_find(&cfg, "core", "nick")->value, "Ana");
	free(err);
	config_free(&cfg);
}
END_TEST

START_TEST(only_a_regular_file_is_read)
{
	static const char *const paths[] = {"/tmp", "/dev/zero", "/dev/null"};
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		struct config cfg = {0};
		struct strbuf err = STRBUF_INIT;
		ck_assert_int_eq(config_parse_file(&cfg, paths[i], &err), -1);
		ck_assert_msg(strstr(strbuf_str(&err), "not a regular file"), "%s", err.data);
		ck_assert_ptr_null(cfg.path);
		strbuf_free(&err);
		config_free(&cfg);
	}
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	struct config cfg = {0};
	struct strbuf err = STRBUF_INIT;
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/mqchat.ini", &err), -1);
	ck_assert(strstr(strbuf_str(&err), "/nonexistent/mqchat.ini: cannot read") != NULL);
	strbuf_free(&err);
	config_free(&cfg);
}
END_TEST

START_TEST(search_path)
{
	char *path = write_tmp("[core]\nnick = FromEnv\n");
	setenv("MQCHAT_CONFIG", path, 1);
	struct config cfg = {0};
	struct strbuf err = STRBUF_INIT;
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	ck_assert_str_eq(config_find(&cfg, "core", "nick")->value, "FromEnv");
	config_free(&cfg);

	unsetenv("MQCHAT_CONFIG");
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	setenv("HOME", "/nonexistent-home", 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	/* Nothing found anywhere (unless /etc has one): built-in defaults. */
	if (access("/etc/mqchat/mqchat.ini", F_OK) != 0)
		ck_assert_ptr_null(cfg.path);
	config_free(&cfg);
	strbuf_free(&err);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(overrides_win)
{
	struct config cfg = {0};
	char *err = parse("[core]\nnick = Ana\n", &cfg);
	free(err);
	struct strbuf e = STRBUF_INIT;
	ck_assert_int_eq(config_override(&cfg, "core.nick=Bea", &e), 0);
	ck_assert_int_eq(config_override(&cfg, "mqtt.topic=a=b", &e), 0);
	ck_assert_str_eq(config_find(&cfg, "core", "nick")->value, "Bea");
	ck_assert_str_eq(config_find(&cfg, "core", "nick")->origin, "-o core.nick=Bea");
	ck_assert_str_eq(config_find(&cfg, "mqtt", "topic")->value, "a=b");
	ck_assert_ptr_nonnull(config_find_section(&cfg, "mqtt"));
	ck_assert_int_eq(config_override(&cfg, "nokey", &e), -1);
	ck_assert_int_eq(config_override(&cfg, "core.nick", &e), -1);
	ck_assert_int_eq(config_override(&cfg, ".x=1", &e), -1);
	ck_assert(strstr(strbuf_str(&e), "expected SECTION.KEY=VALUE") != NULL);
	strbuf_free(&e);
	config_free(&cfg);
}
END_TEST

START_TEST(paths_and_booleans)
{
	setenv("HOME", "/home/ana", 1);
	setenv("MQC_TEST_DIR", "/run/user/1000", 1);
	unsetenv("MQC_UNSET");
	char *p = config_expand_path("~/x/$MQC_TEST_DIR/${MQC_TEST_DIR}y/$MQC_UNSET/$/z");
	ck_assert_str_eq(p, "/home/ana/x//run/user/1000//run/user/1000y//$/z");
	free(p);
	/* Without a usable XDG_RUNTIME_DIR: one fallback, /tmp/mqchat-<euid>. */
	char fallback[64];
	snprintf(fallback, sizeof fallback, "/tmp/mqchat-%u", (unsigned)geteuid());
	static const char *const unusable[] = {NULL, "", "relative"};
	for (size_t i = 0; i < 3; i++) {
		if (unusable[i])
			setenv("XDG_RUNTIME_DIR", unusable[i], 1);
		else
			unsetenv("XDG_RUNTIME_DIR");
		char want[128];
		snprintf(want, sizeof want, "%s/in.fifo", fallback);
		p = config_expand_path("$XDG_RUNTIME_DIR/mqchat/in.fifo");
		ck_assert_str_eq(p, want);
		free(p);
		p = config_expand_path("${XDG_RUNTIME_DIR}/x");
		ck_assert_str_eq(p, strcat(strcpy(want, fallback), "/x"));
		free(p);
		p = config_expand_path("$XDG_RUNTIME_DIR/mqchatter");
		ck_assert_str_eq(p, strcat(strcpy(want, fallback), "/mqchatter"));
		free(p);
		p = config_runtime_dir();
		ck_assert_str_eq(p, fallback);
		free(p);
	}
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	p = config_expand_path("$XDG_RUNTIME_DIR/mqchat/in.fifo");
	ck_assert_str_eq(p, "/run/user/7/mqchat/in.fifo");
	free(p);
	p = config_runtime_dir();
	ck_assert_str_eq(p, "/run/user/7/mqchat");
	free(p);
	bool b = false;
	ck_assert(config_parse_bool("On", &b) && b);
	ck_assert(config_parse_bool("no", &b) && !b);
	ck_assert(!config_parse_bool("maybe", &b));
}
END_TEST

START_TEST(relative_paths_follow_the_file)
{
	struct config cfg = {.path = xstrdup("/etc/mqchat/bot.ini")};
	char *p = config_relative_path(&cfg, "/etc/mqchat/bot.ini:4", "plugins/x.so");
	ck_assert_str_eq(p, "/etc/mqchat/plugins/x.so");
	free(p);
	p = config_relative_path(&cfg, "/etc/mqchat/bot.ini:4", "/opt/x.so");
	ck_assert_str_eq(p, "/opt/x.so");
	free(p);
	/* Given on the command line: relative to the current directory. */
	p = config_relative_path(&cfg, "-o x.plugin=./x.so", "./x.so");
	ck_assert_str_eq(p, "./x.so");
	free(p);
	free(cfg.path);
	cfg.path = xstrdup("bot.ini");
	p = config_relative_path(&cfg, "bot.ini:2", "./x.so");
	ck_assert_str_eq(p, "./x.so");
	free(p);
	free(cfg.path);
	cfg.path = xstrdup("/bot.ini");
	p = config_relative_path(&cfg, "/bot.ini:2", "x/y.so");
	ck_assert_str_eq(p, "/x/y.so");
	free(p);
	config_free(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, values_keep_their_line);
	tcase_add_test(tc, mistakes_name_the_line);
	tcase_add_test(tc, indented_blank_and_comment_lines_are_fine);
	tcase_add_test(tc, only_a_regular_file_is_read);
	tcase_add_test(tc, missing_file_is_an_error);
	tcase_add_test(tc, search_path);
	tcase_add_test(tc, overrides_win);
	tcase_add_test(tc, paths_and_booleans);
	tcase_add_test(tc, relative_paths_follow_the_file);
	suite_add_tcase(s, tc);
	return check_run(s);
}
