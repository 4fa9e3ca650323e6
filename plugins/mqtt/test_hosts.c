/* SPDX-License-Identifier: MIT */
/* The brokers of `hosts` (mqtt_hosts.c): the list read, shuffled and
 * walked.  Pure code, no connection. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "mqtt_hosts.h"

static char why[160];

/* The list as "host:port,host:port,...", from the current one on. */
static const char *walk(struct mqtt_hosts *h)
{
	static char out[512];
	out[0] = '\0';
	for (size_t i = 0; i < h->count; i++) {
		char name[MQTT_BROKER_NAME_SIZE];
		mqtt_broker_name(name, mqtt_hosts_current(h));
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", name);
		mqtt_hosts_advance(h);
	}
	return out;
}

START_TEST(entries_are_read_with_their_ports_and_the_default)
{
	struct mqtt_hosts h;
	ck_assert_ptr_null(mqtt_hosts_parse(&h, " a:1884,b  [::1]:1885\t[fe80::1] c.example.org:1 ",
	                                    1883, why, sizeof(why)));
	ck_assert_uint_eq(h.count, 5);
	ck_assert_str_eq(walk(&h), "a:1884,b:1883,[::1]:1885,[fe80::1]:1883,c.example.org:1");
	ck_assert_str_eq(h.list[2].host, "::1");
	ck_assert_str_eq(walk(&h), "a:1884,b:1883,[::1]:1885,[fe80::1]:1883,c.example.org:1");
	mqtt_hosts_free(&h);
}
END_TEST

START_TEST(a_wrong_entry_is_named)
{
	static const char *const wrong[][2] = {
		{"a:1883 ::1:1883", "'::1:1883': an IPv6 address goes in brackets"},
		{"a:0", "'a:0': the port is not a number from 1 to 65535"},
		{"a:65536", "the port is not"},
		{"a:18x3", "the port is not"},
		{"a:", "the port is not"},
		{":1883", "no host name"},
		{"[::1", "is not closed"},
		{"[::1]x", "only :PORT may follow"},
		{"[]:1883", "no host name"},
		{"a\x01:1883", "no host name"},
		{" , ", "names no broker"},
		{"a:1883 b a", "'a': listed twice"},
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		struct mqtt_hosts h;
		const char *problem = mqtt_hosts_parse(&h, wrong[i][0], 1883, why, sizeof(why));
		ck_assert_msg(problem != NULL, "accepted: %s", wrong[i][0]);
		ck_assert_msg(strstr(problem, wrong[i][1]), "%s: %s", wrong[i][0], problem);
		ck_assert_uint_eq(h.count, 0); /* nothing left allocated */
	}
}
END_TEST

START_TEST(more_than_the_maximum_is_refused)
{
	char text[1024] = "";
	for (int i = 0; i <= MQTT_HOSTS_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "h%d ", i);
	struct mqtt_hosts h;
	ck_assert_ptr_nonnull(mqtt_hosts_parse(&h, text, 1883, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "more than 16"));
}
END_TEST

START_TEST(a_single_broker_wraps_to_itself)
{
	struct mqtt_hosts h;
	ck_assert(mqtt_hosts_single(&h, "localhost", 1883));
	mqtt_hosts_advance(&h);
	ck_assert_str_eq(walk(&h), "localhost:1883");
	mqtt_hosts_free(&h);
}
END_TEST

/* Shuffled: the same brokers, each once; different seeds give different
 * first brokers, so clients started together spread. */
START_TEST(a_shuffle_keeps_every_broker_and_spreads_the_first)
{
	unsigned first[3] = {0};
	for (uint32_t seed = 1; seed <= 300; seed++) {
		struct mqtt_hosts h;
		ck_assert_ptr_null(mqtt_hosts_parse(&h, "a b c", 1, why, sizeof(why)));
		mqtt_hosts_shuffle(&h, seed * 2654435761u);
		const char *order = walk(&h);
		ck_assert_uint_eq(strlen(order), strlen("a:1,b:1,c:1"));
		for (const char *name = "abc"; *name; name++)
			ck_assert_ptr_nonnull(strchr(order, *name));
		first[order[0] - 'a']++;
		mqtt_hosts_free(&h);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_uint_gt(first[i], 50);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_hosts");
	TCase *tc = tcase_create("hosts");
	tcase_add_test(tc, entries_are_read_with_their_ports_and_the_default);
	tcase_add_test(tc, a_wrong_entry_is_named);
	tcase_add_test(tc, more_than_the_maximum_is_refused);
	tcase_add_test(tc, a_single_broker_wraps_to_itself);
	tcase_add_test(tc, a_shuffle_keeps_every_broker_and_spreads_the_first);
	suite_add_tcase(s, tc);
	return check_run(s);
}
