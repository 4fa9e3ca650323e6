/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "check_run.h"

#define WINDOW_MS 10000

static bool seen_id(struct dedup *d, const char *id, uint64_t now)
{
	return dedup_seen(d, id, "room", "payload", 7, now);
}

static bool seen_text(struct dedup *d, const char *topic, const char *payload, uint64_t now)
{
	return dedup_seen(d, NULL, topic, payload, strlen(payload), now);
}

START_TEST(first_time_is_new_then_repeat)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_id(d, "abc", 1000));
	ck_assert(seen_id(d, "abc", 1001));
	ck_assert(seen_id(d, "abc", 1002));
	ck_assert(!seen_id(d, "abd", 1003));
	ck_assert_uint_eq(dedup_count(d), 2);
	dedup_free(d);
}
END_TEST

START_TEST(ids_ignore_payload_and_never_expire)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!dedup_seen(d, "id1", "a", "one", 3, 0));
	/* QoS 1 redelivery: same id, even on another topic or with other
	 * bytes (a relay re-encoding it), days later */
	ck_assert(dedup_seen(d, "id1", "b", "two", 3, 1000ull * 86400 * 30));
	dedup_free(d);
}
END_TEST

START_TEST(empty_id_means_digest)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!dedup_seen(d, "", "room", "Ana: hola", 9, 100));
	ck_assert(dedup_seen(d, NULL, "room", "Ana: hola", 9, 200));
	ck_assert(dedup_seen(d, "", "room", "Ana: hola", 9, 300));
	dedup_free(d);
}
END_TEST

START_TEST(digest_within_and_after_window)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "room", "Ana: hola", 1000));
	ck_assert(seen_text(d, "room", "Ana: hola", 1000 + WINDOW_MS)); /* edge: inside */
	/* a repeat does not extend the window */
	ck_assert(!seen_text(d, "room", "Ana: hola", 1001 + WINDOW_MS));
	/* said again later: new, and recorded afresh */
	ck_assert(seen_text(d, "room", "Ana: hola", 1002 + WINDOW_MS));
	ck_assert_uint_eq(dedup_count(d), 1);
	dedup_free(d);
}
END_TEST

START_TEST(digest_covers_topic_and_payload)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "room", "Ana: hola", 1));
	ck_assert(!seen_text(d, "other", "Ana: hola", 2));
	ck_assert(!seen_text(d, "room", "Ana: hola!", 3));
	/* the boundary between topic and payload matters */
	ck_assert(!seen_text(d, "ab", "c", 4));
	ck_assert(!seen_text(d, "a", "bc", 5));
	ck_assert(seen_text(d, "ab", "c", 6));
	/* binary payloads with NULs are digested whole */
	ck_assert(!dedup_seen(d, NULL, "room", "x\0y", 3, 7));
	ck_assert(!dedup_seen(d, NULL, "room", "x\0z", 3, 8));
	ck_assert(dedup_seen(d, NULL, "room", "x\0y", 3, 9));
	/* NULL topic is "" */
	ck_assert(!dedup_seen(d, NULL, NULL, "p", 1, 10));
	ck_assert(dedup_seen(d, NULL, "", "p", 1, 11));
	dedup_free(d);
}
END_TEST

START_TEST(id_and_digest_never_confuse)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!dedup_seen(d, "hello", "", "", 0, 1));
	ck_assert(!dedup_seen(d, NULL, "", "hello", 5, 2));
	ck_assert(!dedup_seen(d, NULL, "hello", "", 0, 3));
	dedup_free(d);
}
END_TEST

START_TEST(clock_stepping_back_counts_as_recent)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "room", "x", 50000));
	ck_assert(seen_text(d, "room", "x", 100));
	dedup_free(d);
}
END_TEST

START_TEST(own_echo_is_recognised)
{
	/* The core calls dedup_seen when it publishes; the broker's echo is
	 * then a repeat. */
	struct dedup *d = dedup_new(0, WINDOW_MS);
	const char payload[] = "Ana: hola";
	(void)dedup_seen(d, NULL, "conversacionTeletubbies", payload, sizeof payload - 1, 5000);
	ck_assert(dedup_seen(d, NULL, "conversacionTeletubbies", payload, sizeof payload - 1,
	                     5040));
	ck_assert(dedup_contains(d, NULL, "conversacionTeletubbies", payload,
	                         sizeof payload - 1, 5050));
	dedup_free(d);
}
END_TEST

START_TEST(contains_does_not_record)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!dedup_contains(d, "a", NULL, NULL, 0, 1));
	ck_assert(!dedup_seen(d, "a", NULL, NULL, 0, 2));
	ck_assert(dedup_contains(d, "a", NULL, NULL, 0, 3));
	ck_assert(!seen_text(d, "r", "p", 10));
	ck_assert(dedup_contains(d, NULL, "r", "p", 1, 10 + WINDOW_MS));
	ck_assert(!dedup_contains(d, NULL, "r", "p", 1, 11 + WINDOW_MS));
	ck_assert_uint_eq(dedup_count(d), 2);
	dedup_free(d);
}
END_TEST

START_TEST(bounded_oldest_forgotten_first)
{
	struct dedup *d = dedup_new(100, WINDOW_MS);
	char id[32];
	for (int i = 0; i < 250; i++) {
		snprintf(id, sizeof id, "m%d", i);
		ck_assert(!seen_id(d, id, (uint64_t)i));
		ck_assert_uint_le(dedup_count(d), 100);
	}
	ck_assert_uint_eq(dedup_count(d), 100);
	/* the last 100 are known, the older ones forgotten */
	for (int i = 150; i < 250; i++) {
		snprintf(id, sizeof id, "m%d", i);
		ck_assert_msg(dedup_contains(d, id, NULL, NULL, 0, 300), "lost %s", id);
	}
	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof id, "m%d", i);
		ck_assert_msg(!dedup_contains(d, id, NULL, NULL, 0, 300), "kept %s", id);
	}
	dedup_free(d);
}
END_TEST

START_TEST(refreshed_digest_moves_to_the_front)
{
	struct dedup *d = dedup_new(3, 10);
	ck_assert(!seen_text(d, "r", "a", 0));
	ck_assert(!seen_text(d, "r", "b", 1));
	ck_assert(!seen_text(d, "r", "a", 100)); /* expired: recorded afresh */
	ck_assert(!seen_text(d, "r", "c", 101)); /* ring full: dead "a" slot goes */
	ck_assert(!seen_text(d, "r", "d", 102)); /* "b" goes */
	ck_assert_uint_eq(dedup_count(d), 3);
	ck_assert(dedup_contains(d, NULL, "r", "a", 1, 103));
	ck_assert(!dedup_contains(d, NULL, "r", "b", 1, 103));
	ck_assert(dedup_contains(d, NULL, "r", "c", 1, 103));
	ck_assert(dedup_contains(d, NULL, "r", "d", 1, 103));
	dedup_free(d);
}
END_TEST

/* Many insertions and evictions through a small table: the index must
 * stay consistent with the ring (deletions in probe clusters). */
START_TEST(churn_keeps_index_consistent)
{
	const size_t cap = 64;
	struct dedup *d = dedup_new(cap, 1000000);
	char id[32];
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "k%u", i);
		ck_assert(!dedup_seen(d, i % 3 ? id : NULL, "t", id, strlen(id), i));
		if (i % 7 == 0) /* a repeat of a recent one */
			ck_assert(dedup_seen(d, i % 3 ? id : NULL, "t", id, strlen(id), i));
		if (i >= cap) {
			unsigned old = i - (unsigned)cap;
			snprintf(id, sizeof id, "k%u", old);
			ck_assert_msg(!dedup_contains(d, old % 3 ? id : NULL, "t", id, strlen(id), i),
			              "k%u should be evicted", old);
			unsigned recent = i - (unsigned)cap + 1;
			snprintf(id, sizeof id, "k%u", recent);
			ck_assert_msg(dedup_contains(d, recent % 3 ? id : NULL, "t", id, strlen(id), i),
			              "k%u should be kept", recent);
		}
	}
	ck_assert_uint_eq(dedup_count(d), cap);
	dedup_free(d);
}
END_TEST

START_TEST(retained_never_expires)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!dedup_seen_retained(d, "room", "Ana: aviso", 10, 1000));
	/* sent again at a reconnection minutes later: still a repeat */
	ck_assert(dedup_seen_retained(d, "room", "Ana: aviso", 10, 1000 + 30 * WINDOW_MS));
	ck_assert(!dedup_seen_retained(d, "room", "Ana: otro", 9, 1000 + 30 * WINDOW_MS));
	ck_assert(!dedup_seen_retained(d, "other", "Ana: aviso", 10, 1000 + 30 * WINDOW_MS));
	dedup_free(d);
}
END_TEST

START_TEST(retained_and_live_keys_apart)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	/* The core asks both about a retained message: neither answer may
	 * come from the other's record. */
	ck_assert(!dedup_seen_retained(d, "room", "Ana: aviso", 10, 1000));
	ck_assert(!seen_text(d, "room", "Ana: aviso", 1000));
	ck_assert(seen_text(d, "room", "Ana: aviso", 1001));
	/* the live digest expires, the retained one does not */
	ck_assert(!dedup_contains(d, NULL, "room", "Ana: aviso", 10, 2000 + WINDOW_MS));
	ck_assert(dedup_seen_retained(d, "room", "Ana: aviso", 10, 2000 + WINDOW_MS));
	/* a live message first does not make a later retained one a repeat */
	ck_assert(!seen_text(d, "room", "Bea: hola", 3000));
	ck_assert(!dedup_seen_retained(d, "room", "Bea: hola", 9, 3001));
	ck_assert_uint_eq(dedup_count(d), 4);
	dedup_free(d);
}
END_TEST

START_TEST(key_text_for_history)
{
	struct strbuf sb = STRBUF_INIT;
	ck_assert(dedup_key(&sb, "0123abcd", "room", "x", 1));
	ck_assert_str_eq(strbuf_str(&sb), "id:0123abcd");
	strbuf_reset(&sb);
	ck_assert(!dedup_key(&sb, "", "room", "Ana: hola", 9));
	char want[32];
	snprintf(want, sizeof want, "dg:%016llx",
	         (unsigned long long)dedup_digest("room", "Ana: hola", 9));
	ck_assert_str_eq(strbuf_str(&sb), want);
	ck_assert_uint_eq(sb.len, 3 + 16);
	/* a retained message: the same digest under its own prefix */
	strbuf_reset(&sb);
	dedup_retained_key(&sb, "room", "Ana: hola", 9);
	memcpy(want, "rt:", 3);
	ck_assert_str_eq(strbuf_str(&sb), want);
	strbuf_free(&sb);
}
END_TEST

START_TEST(digest_is_stable_across_runs)
{
	/* Stored in history and compared after a restart: it must never
	 * depend on the process (no random seed).  FNV-1a 64 of "\0" is
	 * 0xaf63bd4c8601b7df; with "room\0" + "hola" a fixed value. */
	ck_assert_uint_eq(dedup_digest("", "", 0), 0xaf63bd4c8601b7dfull);
	ck_assert_uint_eq(dedup_digest("room", "hola", 4), dedup_digest("room", "hola", 4));
	ck_assert_uint_ne(dedup_digest("room", "hola", 4), dedup_digest("room", "hol", 3));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_time_is_new_then_repeat);
	tcase_add_test(tc, ids_ignore_payload_and_never_expire);
	tcase_add_test(tc, empty_id_means_digest);
	tcase_add_test(tc, digest_within_and_after_window);
	tcase_add_test(tc, digest_covers_topic_and_payload);
	tcase_add_test(tc, id_and_digest_never_confuse);
	tcase_add_test(tc, clock_stepping_back_counts_as_recent);
	tcase_add_test(tc, own_echo_is_recognised);
	tcase_add_test(tc, contains_does_not_record);
	tcase_add_test(tc, bounded_oldest_forgotten_first);
	tcase_add_test(tc, refreshed_digest_moves_to_the_front);
	tcase_add_test(tc, churn_keeps_index_consistent);
	tcase_add_test(tc, retained_never_expires);
	tcase_add_test(tc, retained_and_live_keys_apart);
	tcase_add_test(tc, key_text_for_history);
	tcase_add_test(tc, digest_is_stable_across_runs);
	suite_add_tcase(s, tc);
	return check_run(s);
}
