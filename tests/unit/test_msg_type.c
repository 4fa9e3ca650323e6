/* SPDX-License-Identifier: MIT */
/* <mqchat/msg_type.h>: one word for each message type, both ways. */
#include <check.h>
#include <stdlib.h>

#include <mqchat/msg_type.h>

#include "check_run.h"

START_TEST(every_type_has_its_word)
{
	ck_assert_str_eq(mqc_msg_type_name(MQC_MSG_MESSAGE), "message");
	ck_assert_str_eq(mqc_msg_type_name(MQC_MSG_ACTION), "action");
	ck_assert_str_eq(mqc_msg_type_name(MQC_MSG_JOIN), "join");
	ck_assert_str_eq(mqc_msg_type_name(MQC_MSG_LEAVE), "leave");
	ck_assert_str_eq(mqc_msg_type_name(MQC_MSG_STATUS), "status");
}
END_TEST

START_TEST(a_newer_type_is_unknown)
{
	ck_assert_str_eq(mqc_msg_type_name((enum mqc_msg_type)99), "unknown");
}
END_TEST

START_TEST(names_read_back)
{
	for (int t = MQC_MSG_MESSAGE; t <= MQC_MSG_STATUS; t++) {
		enum mqc_msg_type got = (enum mqc_msg_type)-1;
		ck_assert(mqc_msg_type_from_name(mqc_msg_type_name((enum mqc_msg_type)t), &got));
		ck_assert_int_eq(got, t);
	}
}
END_TEST

START_TEST(other_words_are_refused_untouched)
{
	enum mqc_msg_type got = MQC_MSG_LEAVE;
	ck_assert(!mqc_msg_type_from_name("unknown", &got));
	ck_assert(!mqc_msg_type_from_name("Join", &got));
	ck_assert(!mqc_msg_type_from_name("join ", &got));
	ck_assert(!mqc_msg_type_from_name("", &got));
	ck_assert(!mqc_msg_type_from_name(NULL, &got));
	ck_assert_int_eq(got, MQC_MSG_LEAVE);
}
END_TEST

static Suite *msg_type_suite(void)
{
	Suite *s = suite_create("msg_type");
	TCase *tc = tcase_create("names");
	tcase_add_test(tc, every_type_has_its_word);
	tcase_add_test(tc, a_newer_type_is_unknown);
	tcase_add_test(tc, names_read_back);
	tcase_add_test(tc, other_words_are_refused_untouched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(msg_type_suite());
}
