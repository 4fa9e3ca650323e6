/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "check_run.h"

static char *render(const char *tpl_text, const struct mqc_message *msg, unsigned flags)
{
	struct strbuf err = STRBUF_INIT;
	struct template *t = template_compile(tpl_text, "%H:%M", &err);
	ck_assert_msg(t != NULL, "compile failed: %s", strbuf_str(&err));
	struct strbuf out = STRBUF_INIT;
	template_render(t, msg, flags, &out);
	template_free(t);
	strbuf_free(&err);
	return strbuf_take(&out);
}

static struct mqc_message msg_of(enum mqc_msg_type type, const char *nick, const char *text)
{
	/* 2026-01-02 03:04:05 UTC; TZ is set to UTC in main. */
	return (struct mqc_message){.type = type, .nick = nick, .text = text, .id = "abc",
	                            .topic = "room", .sender_id = "", .time_ms = 1767323045000};
}

#define CHECK_RENDER(tpl, msg, flags, want)                                    \
	do {                                                                   \
		struct mqc_message m_ = (msg);                                 \
		char *got = render(tpl, &m_, flags);                           \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

START_TEST(every_field)
{
	CHECK_RENDER("[{time}] {nick}: {text}", msg_of(MQC_MSG_MESSAGE, "Ana", "hola"), 0,
	             "[03:04] Ana: hola");
	CHECK_RENDER("{date} {initial} {topic} {id} {type}",
	             msg_of(MQC_MSG_MESSAGE, "Ángel", "x"), 0, "2026-01-02 Á room abc message");
	CHECK_RENDER("{{literal}} {text}}}", msg_of(MQC_MSG_MESSAGE, "A", "t"), 0,
	             "{literal} t}");
}
END_TEST

START_TEST(unknown_sender_shows_topic)
{
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_MESSAGE, "", "hi"), 0, "room: hi");
}
END_TEST

START_TEST(events_read_as_sentences)
{
	CHECK_RENDER("[{time}] {nick}: {text}", msg_of(MQC_MSG_ACTION, "Ana", "waves"), 0,
	             "[03:04] * Ana waves");
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_JOIN, "Ana", ""), 0, "* Ana joined");
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_LEAVE, "Ana", ""), 0, "* Ana left");
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_STATUS, "", "connected"), 0,
	             "-- connected");
}
END_TEST

START_TEST(color_wraps_the_nick_only)
{
	struct mqc_message m = msg_of(MQC_MSG_MESSAGE, "Ana", "hola");
	char *got = render("{nick}: {text}", &m, MQC_RENDER_COLOR);
	char want[64];
	snprintf(want, sizeof want, "\033[38;5;%umAna\033[0m: hola", nick_color("Ana"));
	ck_assert_str_eq(got, want);
	free(got);
	/* Stable: the same nick, the same colour. */
	ck_assert_uint_eq(nick_color("Ana"), nick_color("Ana"));
}
END_TEST

static struct mqc_message retained(struct mqc_message m)
{
	m.flags = MQC_MSG_RETAINED;
	return m;
}

START_TEST(retained_marked_old_before_the_sender)
{
	CHECK_RENDER("[{time}] {nick}: {text}", retained(msg_of(MQC_MSG_MESSAGE, "Ana", "hola")), 0,
	             "[03:04] (old) Ana: hola");
	CHECK_RENDER("{nick}: {text}", retained(msg_of(MQC_MSG_ACTION, "Ana", "waves")), 0,
	             "(old) * Ana waves");
	/* Whatever the template: before the first of {nick} {initial} {text},
	 * once. */
	CHECK_RENDER("{text} ({nick})", retained(msg_of(MQC_MSG_MESSAGE, "Ana", "hola")), 0,
	             "(old) hola (Ana)");
	CHECK_RENDER("<{initial}> {text}", retained(msg_of(MQC_MSG_MESSAGE, "Ana", "hola")), 0,
	             "<(old) A> hola");
	CHECK_RENDER("{id}", retained(msg_of(MQC_MSG_MESSAGE, "Ana", "hola")), 0, "abc");
	/* Live and replayed messages carry no mark. */
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_MESSAGE, "Ana", "hola"), 0, "Ana: hola");
	struct mqc_message replayed = msg_of(MQC_MSG_MESSAGE, "Ana", "hola");
	replayed.flags = MQC_MSG_HISTORY;
	CHECK_RENDER("{nick}: {text}", replayed, 0, "Ana: hola");
}
END_TEST

/* A nick only claimed where senders are proved reads "~nick", coloured or
 * not; a proved one reads as it is. */
START_TEST(unverified_nick_marked)
{
	struct mqc_message m = msg_of(MQC_MSG_MESSAGE, "ana", "hola");
	m.flags = MQC_MSG_UNVERIFIED;
	CHECK_RENDER("{nick}: {text}", m, 0, "~ana: hola");
	m.type = MQC_MSG_ACTION;
	CHECK_RENDER("{nick}: {text}", m, 0, "* ~ana hola");
	CHECK_RENDER("{nick}: {text}", msg_of(MQC_MSG_MESSAGE, "ana", "hola"), 0, "ana: hola");
	char *coloured = render("{nick}", &m, MQC_RENDER_COLOR);
	ck_assert_msg(strstr(coloured, "~\033[38;5;"), "got %s", coloured);
	free(coloured);
}
END_TEST

START_TEST(retained_mark_dim_in_colour)
{
	struct mqc_message m = retained(msg_of(MQC_MSG_MESSAGE, "Ana", "hola"));
	char *got = render("{nick}: {text}", &m, MQC_RENDER_COLOR);
	char want[64];
	snprintf(want, sizeof want, "\033[2m(old)\033[0m \033[38;5;%umAna\033[0m: hola",
	         nick_color("Ana"));
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

START_TEST(where_fields)
{
	struct mqc_message m = msg_of(MQC_MSG_MESSAGE, "Ana", "hola");
	m.network = "one";
	m.room = "ops";
	m.to = "";
	CHECK_RENDER("[{network}:{room}] {nick}: {text}", m, 0, "[one:ops] Ana: hola");
	m.room = "";
	m.to = "Bob";
	CHECK_RENDER("{network}/{room}/{to}", m, 0, "one//Bob");
	/* A message made without them (NULL) shows nothing there. */
	CHECK_RENDER("<{network}{room}{to}> {text}", msg_of(MQC_MSG_MESSAGE, "Ana", "hola"), 0,
	             "<> hola");
}
END_TEST

static void check_compile_error(const char *tpl, const char *needle)
{
	struct strbuf err = STRBUF_INIT;
	struct template *t = template_compile(tpl, NULL, &err);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(strbuf_str(&err), needle), "'%s' lacks '%s'", strbuf_str(&err), needle);
	strbuf_free(&err);
}

START_TEST(malformed_templates_refused)
{
	check_compile_error("{nick", "unclosed '{' at column 1");
	check_compile_error("x {nope} y", "unknown field {nope} at column 3");
	check_compile_error("a } b", "lone '}' at column 3");
	check_compile_error("{rooms}", "(known: {time} {date} {nick} {initial} {text} {topic} {id} "
	                               "{type} {network} {room} {to})");
}
END_TEST

int main(void)
{
	setenv("TZ", "UTC", 1);
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_field);
	tcase_add_test(tc, unknown_sender_shows_topic);
	tcase_add_test(tc, events_read_as_sentences);
	tcase_add_test(tc, color_wraps_the_nick_only);
	tcase_add_test(tc, retained_marked_old_before_the_sender);
	tcase_add_test(tc, unverified_nick_marked);
	tcase_add_test(tc, retained_mark_dim_in_colour);
	tcase_add_test(tc, malformed_templates_refused);
	tcase_add_test(tc, where_fields);
	suite_add_tcase(s, tc);
	return check_run(s);
}
