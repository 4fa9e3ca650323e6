/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire_plain.h"
#include "check_run.h"

static char *encode(enum mqc_msg_type type, const char *nick, const char *text)
{
	struct mqc_message msg = {.type = type, .nick = nick, .text = text, .id = "",
	                          .topic = "", .sender_id = ""};
	struct strbuf sb = STRBUF_INIT;
	plain_encode(&sb, &msg);
	return strbuf_take(&sb);
}

#define CHECK_ENCODE(type, nick, text, want)                                   \
	do {                                                                   \
		char *got = encode(type, nick, text);                          \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

START_TEST(encodes_the_classroom_format)
{
	CHECK_ENCODE(MQC_MSG_MESSAGE, "Ana", "hola", "Ana: hola");
	CHECK_ENCODE(MQC_MSG_JOIN, "Ana", "", "Ana ha entrado al chat");
	CHECK_ENCODE(MQC_MSG_LEAVE, "Ana", "", "Ana ha salido del chat");
	CHECK_ENCODE(MQC_MSG_ACTION, "Ana", "waves", "* Ana waves");
}
END_TEST

static struct plain_decoded decode(const char *payload)
{
	struct plain_decoded d;
	plain_decode(payload, strlen(payload), &d);
	return d;
}

static void check_decoded(const char *payload, enum mqc_msg_type type, const char *nick,
                          const char *text)
{
	struct plain_decoded d = decode(payload);
	ck_assert_int_eq(d.type, type);
	if (nick) {
		ck_assert_ptr_nonnull(d.nick);
		ck_assert_uint_eq(d.nick_len, strlen(nick));
		ck_assert(memcmp(d.nick, nick, d.nick_len) == 0);
	} else {
		ck_assert_ptr_null(d.nick);
	}
	ck_assert_uint_eq(d.text_len, strlen(text));
	ck_assert(memcmp(d.text, text, d.text_len) == 0);
}

START_TEST(decodes_messages)
{
	check_decoded("Pepe: hola", MQC_MSG_MESSAGE, "Pepe", "hola");
	check_decoded("Ana María: hola: qué tal", MQC_MSG_MESSAGE, "Ana María", "hola: qué tal");
	check_decoded("Pepe: ", MQC_MSG_MESSAGE, "Pepe", "");
}
END_TEST

START_TEST(decodes_joins_leaves_actions)
{
	check_decoded("Pepe ha entrado al chat", MQC_MSG_JOIN, "Pepe", "");
	check_decoded("Pepe ha salido del chat", MQC_MSG_LEAVE, "Pepe", "");
	check_decoded("* Pepe waves at all", MQC_MSG_ACTION, "Pepe", "waves at all");
}
END_TEST

START_TEST(unknown_sender)
{
	check_decoded("no colon here", MQC_MSG_MESSAGE, NULL, "no colon here");
	check_decoded(": starts with colon", MQC_MSG_MESSAGE, NULL, ": starts with colon");
	check_decoded("http://x.org: link", MQC_MSG_MESSAGE, NULL, "http://x.org: link");
	check_decoded("", MQC_MSG_MESSAGE, NULL, "");
	check_decoded(" ha entrado al chat", MQC_MSG_MESSAGE, NULL, " ha entrado al chat");
	/* A "nick" longer than any nick is text. */
	char long_nick[PLAIN_MAX_NICK + 20];
	memset(long_nick, 'n', PLAIN_MAX_NICK + 1);
	strcpy(long_nick + PLAIN_MAX_NICK + 1, ": x");
	check_decoded(long_nick, MQC_MSG_MESSAGE, NULL, long_nick);
}
END_TEST

START_TEST(binary_payloads_are_spans)
{
	const char payload[] = "Bo\0b: a\0b";
	struct plain_decoded d;
	plain_decode(payload, sizeof payload - 1, &d);
	/* A NUL cannot be part of a nick: the whole payload is text. */
	ck_assert_ptr_null(d.nick);
	ck_assert_uint_eq(d.text_len, sizeof payload - 1);
}
END_TEST

START_TEST(round_trip)
{
	const enum mqc_msg_type types[] = {MQC_MSG_MESSAGE, MQC_MSG_ACTION, MQC_MSG_JOIN,
	                                   MQC_MSG_LEAVE};
	for (size_t i = 0; i < 4; i++) {
		const char *text = types[i] == MQC_MSG_JOIN || types[i] == MQC_MSG_LEAVE ? "" : "hi there";
		char *wire = encode(types[i], "Bea", text);
		check_decoded(wire, types[i], "Bea", text);
		free(wire);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire_plain");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, encodes_the_classroom_format);
	tcase_add_test(tc, decodes_messages);
	tcase_add_test(tc, decodes_joins_leaves_actions);
	tcase_add_test(tc, unknown_sender);
	tcase_add_test(tc, binary_payloads_are_spans);
	tcase_add_test(tc, round_trip);
	suite_add_tcase(s, tc);
	return check_run(s);
}
