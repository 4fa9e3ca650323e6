/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
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
	char long_nick[NICK_MAX + 20];
	memset(long_nick, 'n', NICK_MAX + 1);
	strcpy(long_nick + NICK_MAX + 1, ": x");
	check_decoded(long_nick, MQC_MSG_MESSAGE, NULL, long_nick);
}
END_TEST

/* A nick of n bytes: "nnn...", in `buf`. */
static const char *nick_of_length(char *buf, size_t n)
{
	memset(buf, 'n', n);
	buf[n] = '\0';
	return buf;
}

/* The nick rule's length limit holds exactly in every form: 64 bytes is a
 * sender, 65 is not. */
START_TEST(nick_length_boundaries)
{
	char nick[NICK_MAX + 2], payload[NICK_MAX + 64];
	for (size_t n = NICK_MAX - 1; n <= NICK_MAX + 1; n++) {
		bool ok = n <= NICK_MAX;
		nick_of_length(nick, n);
		snprintf(payload, sizeof payload, "%s: hi", nick);
		check_decoded(payload, MQC_MSG_MESSAGE, ok ? nick : NULL, ok ? "hi" : payload);
		snprintf(payload, sizeof payload, "* %s waves", nick);
		check_decoded(payload, ok ? MQC_MSG_ACTION : MQC_MSG_MESSAGE, ok ? nick : NULL,
		              ok ? "waves" : payload);
		snprintf(payload, sizeof payload, "%s ha entrado al chat", nick);
		check_decoded(payload, ok ? MQC_MSG_JOIN : MQC_MSG_MESSAGE, ok ? nick : NULL,
		              ok ? "" : payload);
		snprintf(payload, sizeof payload, "%s ha salido del chat", nick);
		check_decoded(payload, ok ? MQC_MSG_LEAVE : MQC_MSG_MESSAGE, ok ? nick : NULL,
		              ok ? "" : payload);
	}
	/* 64 bytes of 2-byte characters */
	char wide[2 * 32 + 8] = "";
	for (int i = 0; i < 32; i++)
		strcat(wide, "\xc3\xa9");
	snprintf(payload, sizeof payload, "%s: hi", wide);
	check_decoded(payload, MQC_MSG_MESSAGE, wide, "hi");
}
END_TEST

/* A prefix the nick rule would have to clean is no sender: what is shown as
 * a nick is exactly what was sent. */
START_TEST(only_clean_nicks_are_senders)
{
	check_decoded("An\xe2\x80\x8b" "a: hi", MQC_MSG_MESSAGE, NULL, "An\xe2\x80\x8b" "a: hi");
	check_decoded("\xef\xbb\xbf" "Ana: hi", MQC_MSG_MESSAGE, NULL, "\xef\xbb\xbf" "Ana: hi");
	check_decoded(" Ana: hi", MQC_MSG_MESSAGE, NULL, " Ana: hi");
	check_decoded("Ana : hi", MQC_MSG_MESSAGE, NULL, "Ana : hi");
	check_decoded("A\xe2\x80\xa8" "na: hi", MQC_MSG_MESSAGE, NULL, "A\xe2\x80\xa8" "na: hi");
	check_decoded("Jos\xe9: hola", MQC_MSG_MESSAGE, NULL, "Jos\xe9: hola");
	check_decoded("* A\xe2\x80\x8f waves", MQC_MSG_MESSAGE, NULL, "* A\xe2\x80\x8f waves");
	check_decoded("A\xc2\x9b ha salido del chat", MQC_MSG_MESSAGE, NULL,
	              "A\xc2\x9b ha salido del chat");
	check_decoded("Jos\xc3\xa9: hola", MQC_MSG_MESSAGE, "Jos\xc3\xa9", "hola");
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
	tcase_add_test(tc, nick_length_boundaries);
	tcase_add_test(tc, only_clean_nicks_are_senders);
	tcase_add_test(tc, binary_payloads_are_spans);
	tcase_add_test(tc, round_trip);
	suite_add_tcase(s, tc);
	return check_run(s);
}
