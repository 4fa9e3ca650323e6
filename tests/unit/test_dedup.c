/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "echo.h"
#include "check_run.h"

#define WINDOW_MS 10000

/* The verdict on a message as the core shows it: `id` "" for plain. */
static enum dedup_verdict check_msg(struct dedup *d, const char *id, int64_t ts,
                                    const char *nick, const char *text, uint64_t now)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = nick, .text = text};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, ts, "room", text, strlen(text));
	enum dedup_verdict verdict = dedup_check(d, &ident, now);
	dedup_identity_free(&ident);
	return verdict;
}

/* The verdict on a message of `room` on network "one". */
static enum dedup_verdict check_in(struct dedup *d, const char *id, const char *room,
                                   const char *text, uint64_t now)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = "Ana", .text = text,
	                          .network = "one", .room = room};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 5, room, text, strlen(text));
	enum dedup_verdict verdict = dedup_check(d, &ident, now);
	dedup_identity_free(&ident);
	return verdict;
}

/* "ok" said in two rooms at once is said twice; a message with an id
 * arriving in two rooms (a broker bridge) is one message. */
START_TEST(plain_messages_of_two_rooms_are_two_messages)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert_int_eq(check_in(d, "", "a", "ok", 1000), DEDUP_NEW);
	ck_assert_int_eq(check_in(d, "", "b", "ok", 1001), DEDUP_NEW);
	ck_assert_int_eq(check_in(d, "", "b", "ok", 1002), DEDUP_REPEAT);
	ck_assert_int_eq(check_in(d, "i1", "a", "ok", 1003), DEDUP_NEW);
	ck_assert_int_eq(check_in(d, "i1", "b", "ok", 1004), DEDUP_REPEAT);
	dedup_free(d);
}
END_TEST

static bool contains_msg(struct dedup *d, const char *id, const char *nick, const char *text,
                         uint64_t now)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = nick, .text = text};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 0, "room", text, strlen(text));
	bool found = dedup_contains(d, &ident, now);
	dedup_identity_free(&ident);
	return found;
}

static bool seen_id(struct dedup *d, const char *id, uint64_t now)
{
	return check_msg(d, id, 0, "Ana", "payload", now) == DEDUP_REPEAT;
}

static bool seen_text(struct dedup *d, const char *nick, const char *text, uint64_t now)
{
	return check_msg(d, "", 0, nick, text, now) == DEDUP_REPEAT;
}

static bool seen_retained(struct dedup *d, const char *topic, const char *payload, uint64_t now)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .flags = MQC_MSG_RETAINED, .id = "",
	                          .nick = "", .text = payload};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 0, topic, payload, strlen(payload));
	bool seen = dedup_seen_retained(d, &ident, now);
	dedup_identity_free(&ident);
	return seen;
}

START_TEST(first_time_is_new_then_repeat)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_id(d, "abc", 1000));
	ck_assert(seen_id(d, "abc", 1001));
	ck_assert(seen_id(d, "abc", 1002));
	ck_assert(!seen_id(d, "abd", 1003));
	dedup_free(d);
}
END_TEST

START_TEST(ids_never_expire)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "one", 0), DEDUP_NEW);
	/* QoS 1 redelivery days later */
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "one", 1000ull * 86400 * 30),
	                 DEDUP_REPEAT);
	dedup_free(d);
}
END_TEST

/* A forged copy with a genuine message's id, arriving first, must not hide
 * the genuine one: same id and other words is another message. */
START_TEST(same_id_other_content_is_a_conflict_not_a_repeat)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "forged", 1), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "genuine", 2), DEDUP_CONFLICT);
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "genuine", 3), DEDUP_REPEAT);
	ck_assert_int_eq(check_msg(d, "id1", 5, "Ana", "forged", 4), DEDUP_REPEAT);
	/* every part counts: nick, time */
	ck_assert_int_eq(check_msg(d, "id1", 5, "Bea", "genuine", 5), DEDUP_CONFLICT);
	ck_assert_int_eq(check_msg(d, "id1", 6, "Ana", "genuine", 6), DEDUP_CONFLICT);
	dedup_free(d);
}
END_TEST

START_TEST(type_counts)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "x", .nick = "Ana", .text = "t"};
	struct dedup_identity a, b;
	dedup_identify(&a, &msg, 1, NULL, NULL, 0);
	msg.type = MQC_MSG_ACTION;
	dedup_identify(&b, &msg, 1, NULL, NULL, 0);
	ck_assert_int_eq(dedup_check(d, &a, 1), DEDUP_NEW);
	ck_assert_int_eq(dedup_check(d, &b, 2), DEDUP_CONFLICT);
	ck_assert_str_ne(a.key.data, b.key.data);
	dedup_identity_free(&a);
	dedup_identity_free(&b);
	dedup_free(d);
}
END_TEST

START_TEST(digest_within_and_after_window)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "Ana", "hola", 1000));
	ck_assert(seen_text(d, "Ana", "hola", 1000 + WINDOW_MS)); /* edge: inside */
	/* a repeat does not extend the window */
	ck_assert(!seen_text(d, "Ana", "hola", 1001 + WINDOW_MS));
	/* said again later: new, and recorded afresh */
	ck_assert(seen_text(d, "Ana", "hola", 1002 + WINDOW_MS));
	ck_assert_uint_eq(dedup_count(d), 1);
	dedup_free(d);
}
END_TEST

START_TEST(digest_covers_nick_and_text)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "Ana", "hola", 1));
	ck_assert(!seen_text(d, "Bea", "hola", 2));
	ck_assert(!seen_text(d, "Ana", "hola!", 3));
	/* the boundary between nick and text matters */
	ck_assert(!seen_text(d, "ab", "c", 4));
	ck_assert(!seen_text(d, "a", "bc", 5));
	ck_assert(seen_text(d, "ab", "c", 6));
	dedup_free(d);
}
END_TEST

START_TEST(id_and_digest_never_confuse)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert_int_eq(check_msg(d, "hello", 0, "", "", 1), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "", 0, "", "hello", 2), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "", 0, "", "", 3), DEDUP_NEW);
	dedup_free(d);
}
END_TEST

START_TEST(clock_stepping_back_counts_as_recent)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_text(d, "Ana", "x", 50000));
	ck_assert(seen_text(d, "Ana", "x", 100));
	dedup_free(d);
}
END_TEST

START_TEST(own_echo_is_recognised)
{
	/* The core checks what it says; the broker's echo is then a repeat. */
	struct dedup *d = dedup_new(0, WINDOW_MS);
	ck_assert_int_eq(check_msg(d, "0123", 77, "Ana", "hola", 5000), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "0123", 77, "Ana", "hola", 5040), DEDUP_REPEAT);
	dedup_free(d);
}
END_TEST

/* What we published comes back once, known by its length and digest;
 * a payload of another length is not even digested. */
START_TEST(an_echo_is_known_by_length_and_digest_once)
{
	struct echo_filter f = {0};
	ck_assert(!echo_expected(&f, 4, 1000));
	echo_note(&f, 0xabc, 4, 1000);
	ck_assert(echo_expected(&f, 4, 1001));
	ck_assert(!echo_expected(&f, 5, 1001));
	ck_assert(!echo_take(&f, 0xabc, 5, 1001));
	ck_assert(!echo_take(&f, 0xabd, 4, 1001));
	ck_assert(echo_take(&f, 0xabc, 4, 1002));
	ck_assert(!echo_take(&f, 0xabc, 4, 1003));
	ck_assert(!echo_expected(&f, 4, 1003));
	echo_note(&f, 0xabc, 4 + 256, 1004); /* the same low byte of length */
	ck_assert(echo_expected(&f, 4, 1005));
	ck_assert(!echo_take(&f, 0xabc, 4, 1005));
	ck_assert(!echo_expected(&f, 4 + 256, 1004 + ECHO_WINDOW_MS));
}
END_TEST

/* Past ECHO_FILTER_SIZE the oldest are forgotten, and a length whose
 * payloads were all taken or forgotten is expected no more. */
START_TEST(an_echo_filter_forgets_its_oldest)
{
	struct echo_filter f = {0};
	echo_note(&f, 1, 7, 0);
	for (uint64_t i = 0; i < ECHO_FILTER_SIZE; i++)
		echo_note(&f, 100 + i, 9, i);
	ck_assert(!echo_expected(&f, 7, ECHO_FILTER_SIZE));
	ck_assert(!echo_take(&f, 1, 7, ECHO_FILTER_SIZE));
	for (uint64_t i = 0; i < ECHO_FILTER_SIZE; i++)
		ck_assert(echo_take(&f, 100 + i, 9, ECHO_FILTER_SIZE));
	ck_assert(!echo_expected(&f, 9, ECHO_FILTER_SIZE));
}
END_TEST

START_TEST(contains_does_not_record)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!contains_msg(d, "a", "Ana", "t", 1));
	ck_assert_int_eq(check_msg(d, "a", 0, "Ana", "t", 2), DEDUP_NEW);
	ck_assert(contains_msg(d, "a", "Ana", "t", 3));
	ck_assert(!seen_text(d, "r", "p", 10));
	ck_assert(contains_msg(d, "", "r", "p", 10 + WINDOW_MS));
	ck_assert(!contains_msg(d, "", "r", "p", 11 + WINDOW_MS));
	dedup_free(d);
}
END_TEST

static bool seen_within(struct dedup *d, const char *id, const char *text, uint64_t now,
                        uint64_t window_ms)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = "Ana", .text = text};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 0, "room", text, strlen(text));
	bool found = dedup_seen_within(d, &ident, now, window_ms);
	dedup_identity_free(&ident);
	return found;
}

/* A copy marked as sent again is asked about with a window of its own,
 * counted from the first sighting; nothing is recorded. */
START_TEST(seen_within_a_window_of_its_own)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_within(d, "", "hola", 1000, 5 * WINDOW_MS));
	ck_assert_int_eq(check_msg(d, "", 0, "Ana", "hola", 1000), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "i1", 0, "Ana", "con id", 1000), DEDUP_NEW);
	ck_assert(!contains_msg(d, "", "Ana", "hola", 1001 + WINDOW_MS));
	ck_assert(seen_within(d, "", "hola", 1001 + WINDOW_MS, 5 * WINDOW_MS));
	ck_assert(seen_within(d, "", "hola", 1000 + 5 * WINDOW_MS, 5 * WINDOW_MS));
	ck_assert(!seen_within(d, "", "hola", 1001 + 5 * WINDOW_MS, 5 * WINDOW_MS));
	ck_assert(!seen_within(d, "", "otra", 1001, 5 * WINDOW_MS));
	ck_assert(seen_within(d, "i1", "con id", 1000 + 100 * WINDOW_MS, 1));
	ck_assert_int_eq(check_msg(d, "", 0, "Ana", "hola", 1001 + WINDOW_MS), DEDUP_NEW);
	dedup_free(d);
}
END_TEST

START_TEST(bounded_oldest_forgotten_first)
{
	struct dedup *d = dedup_new(100, 1000000);
	char text[32];
	for (int i = 0; i < 250; i++) {
		snprintf(text, sizeof text, "m%d", i);
		ck_assert(!seen_text(d, "Ana", text, (uint64_t)i));
		ck_assert_uint_le(dedup_count(d), 100);
	}
	ck_assert_uint_eq(dedup_count(d), 100);
	/* the last 100 are known, the older ones forgotten */
	for (int i = 150; i < 250; i++) {
		snprintf(text, sizeof text, "m%d", i);
		ck_assert_msg(contains_msg(d, "", "Ana", text, 300), "lost %s", text);
	}
	for (int i = 0; i < 150; i++) {
		snprintf(text, sizeof text, "m%d", i);
		ck_assert_msg(!contains_msg(d, "", "Ana", text, 300), "kept %s", text);
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
	ck_assert(contains_msg(d, "", "r", "a", 103));
	ck_assert(!contains_msg(d, "", "r", "b", 103));
	ck_assert(contains_msg(d, "", "r", "c", 103));
	ck_assert(contains_msg(d, "", "r", "d", 103));
	dedup_free(d);
}
END_TEST

/* The capacity counts messages: a json message, known by its whole key
 * and by its id alone, takes one place like a plain one.  A receiver
 * without history has only this set against a broker's redelivery of a
 * few thousand messages after a restart (delivery-broker-restarts). */
START_TEST(capacity_counts_json_messages_not_keys)
{
	struct dedup *d = dedup_new(0, WINDOW_MS);
	char id[32], text[32];
	for (int i = 0; i < DEDUP_DEFAULT_CAPACITY; i++) {
		snprintf(id, sizeof id, "%016x", i);
		snprintf(text, sizeof text, "w0-%05d", i);
		ck_assert_int_eq(check_msg(d, id, 1000 + i, "w0", text, 1000), DEDUP_NEW);
	}
	ck_assert_uint_eq(dedup_count(d), DEDUP_DEFAULT_CAPACITY);
	for (int i = 0; i < DEDUP_DEFAULT_CAPACITY; i++) {
		snprintf(id, sizeof id, "%016x", i);
		snprintf(text, sizeof text, "w0-%05d", i);
		ck_assert_msg(check_msg(d, id, 1000 + i, "w0", text, 2000) == DEDUP_REPEAT,
		              "%s forgotten after %d newer messages", text,
		              DEDUP_DEFAULT_CAPACITY - 1 - i);
	}
	dedup_free(d);
}
END_TEST

/* A message's id goes with it: known for a conflict as long as the
 * message is held, forgotten with it. */
START_TEST(id_alone_lives_as_long_as_its_message)
{
	struct dedup *d = dedup_new(4, WINDOW_MS);
	ck_assert_int_eq(check_msg(d, "a", 1, "Ana", "hola", 1), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "b", 2, "Ana", "x", 2), DEDUP_NEW);
	ck_assert(!seen_text(d, "Bea", "plain", 3));
	/* the fourth place: a copy of "a" with other words */
	ck_assert_int_eq(check_msg(d, "a", 1, "Ana", "adios", 4), DEDUP_CONFLICT);
	ck_assert_uint_eq(dedup_count(d), 4);
	ck_assert_int_eq(check_msg(d, "a", 1, "Ana", "hola", 5), DEDUP_REPEAT);
	/* a fifth message pushes out the first "a" */
	ck_assert_int_eq(check_msg(d, "c", 3, "Ana", "y", 6), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "a", 1, "Ana", "adios", 7), DEDUP_REPEAT);
	ck_assert_uint_eq(dedup_count(d), 4);
	/* "b" goes next, its id with it: other words under "b" are new */
	ck_assert_int_eq(check_msg(d, "d", 4, "Ana", "z", 8), DEDUP_NEW);
	ck_assert_int_eq(check_msg(d, "b", 2, "Ana", "otro", 9), DEDUP_NEW);
	dedup_free(d);
}
END_TEST

/* Many insertions and evictions through a small table: the index must
 * stay consistent with the ring (deletions in probe clusters, two entries
 * for a message with an id). */
START_TEST(churn_keeps_index_consistent)
{
	const unsigned cap = 64, kept = cap;
	struct dedup *d = dedup_new(cap, 1000000);
	char id[32];
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "k%u", i);
		ck_assert(!seen_id(d, id, i));
		if (i % 7 == 0) /* a repeat of a recent one */
			ck_assert(seen_id(d, id, i));
		if (i >= kept) {
			snprintf(id, sizeof id, "k%u", i - kept);
			ck_assert_msg(!contains_msg(d, id, "Ana", "payload", i), "%s evicted", id);
			snprintf(id, sizeof id, "k%u", i - kept + 1);
			ck_assert_msg(contains_msg(d, id, "Ana", "payload", i), "%s kept", id);
		}
	}
	ck_assert_uint_eq(dedup_count(d), cap);
	dedup_free(d);
}
END_TEST

/* The set starts small and doubles up to its capacity: what it held
 * before each doubling stays known (an id by its whole key and alone,
 * beside the slots of a digest recorded afresh after its window), and
 * once full it forgets the oldest first. */
START_TEST(a_growing_set_keeps_what_it_held)
{
	const unsigned cap = 10000, extra = 2000;
	struct dedup *d = dedup_new(cap, 50);
	ck_assert(!seen_text(d, "Ana", "a", 0));
	ck_assert(!seen_text(d, "Ana", "a", 1000)); /* expired: its first slot is dead */
	/* with the two slots of "a", the oldest 2 000 ids will be forgotten */
	char id[32];
	for (unsigned i = 0; i < cap + extra; i++) {
		snprintf(id, sizeof id, "k%u", i);
		ck_assert(!seen_id(d, id, 1000 + i));
		if (i == DEDUP_FIRST_SLOTS + 100 || i == cap - 2)
			for (unsigned j = 0; j <= i; j++) {
				snprintf(id, sizeof id, "k%u", j);
				ck_assert_msg(contains_msg(d, id, "Ana", "payload", 1000 + i),
				              "%s lost after %u", id, i);
			}
	}
	ck_assert_uint_eq(dedup_count(d), cap);
	for (unsigned i = 0; i < cap + extra; i++) {
		snprintf(id, sizeof id, "k%u", i);
		ck_assert_msg(contains_msg(d, id, "Ana", "payload", 20000) == (i >= extra),
		              "%s %s", id, i >= extra ? "forgotten" : "kept");
	}
	/* its place evicts k2000; k2001's id was indexed again at each doubling */
	snprintf(id, sizeof id, "k%u", extra + 1);
	ck_assert_int_eq(check_msg(d, id, 0, "Ana", "other words", 20000), DEDUP_CONFLICT);
	dedup_free(d);
}
END_TEST

START_TEST(retained_never_expires)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	ck_assert(!seen_retained(d, "room", "Ana: aviso", 1000));
	/* sent again at a reconnection minutes later: still a repeat */
	ck_assert(seen_retained(d, "room", "Ana: aviso", 1000 + 30 * WINDOW_MS));
	ck_assert(!seen_retained(d, "room", "Ana: otro", 1000 + 30 * WINDOW_MS));
	ck_assert(!seen_retained(d, "other", "Ana: aviso", 1000 + 30 * WINDOW_MS));
	dedup_free(d);
}
END_TEST

START_TEST(retained_and_live_keys_apart)
{
	struct dedup *d = dedup_new(16, WINDOW_MS);
	/* The core asks both about a retained message: neither answer may
	 * come from the other's record. */
	ck_assert(!seen_retained(d, "room", "Ana: aviso", 1000));
	ck_assert(!seen_text(d, "", "Ana: aviso", 1000));
	ck_assert(seen_text(d, "", "Ana: aviso", 1001));
	/* the live digest expires, the retained one does not */
	ck_assert(!contains_msg(d, "", "", "Ana: aviso", 2000 + WINDOW_MS));
	ck_assert(seen_retained(d, "room", "Ana: aviso", 2000 + WINDOW_MS));
	/* a live message first does not make a later retained one a repeat */
	ck_assert(!seen_text(d, "", "Bea: hola", 3000));
	ck_assert(!seen_retained(d, "room", "Bea: hola", 3001));
	ck_assert_uint_eq(dedup_count(d), 4);
	dedup_free(d);
}
END_TEST

START_TEST(key_text_for_history)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .flags = MQC_MSG_RETAINED,
	                          .id = "0123abcd", .nick = "Ana", .text = "x"};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 0x1234, "room", "Ana: x", 6);
	/* id: the time, the content digest, the id */
	ck_assert_uint_eq(ident.key.len, 3 + 32 + 1 + 8);
	ck_assert(strncmp(ident.key.data, "id:0000000000001234", 19) == 0);
	ck_assert_str_eq(ident.key.data + 35, ":0123abcd");
	uint64_t content;
	ck_assert(dedup_key_content(ident.key.data, &content));
	ck_assert_uint_eq(content, ident.content);
	struct strbuf sb = STRBUF_INIT;
	dedup_message_key(&sb, "0123abcd", 0x1234, "Ana", MQC_MSG_MESSAGE, "x");
	ck_assert_str_eq(sb.data, ident.key.data);
	/* a retained message also has a digest of topic and payload */
	char want[32];
	snprintf(want, sizeof want, "rt:%016llx",
	         (unsigned long long)dedup_digest("room", "Ana: x", 6));
	ck_assert_str_eq(ident.retained_key.data, want);
	dedup_identity_free(&ident);
	/* without an id: "dg:" and the content digest */
	msg.id = "";
	dedup_identify(&ident, &msg, 0x1234, "room", "Ana: x", 6);
	strbuf_reset(&sb);
	dedup_content_key(&sb, content);
	ck_assert_str_eq(ident.key.data, sb.data);
	ck_assert_uint_eq(sb.len, 3 + 16);
	ck_assert(dedup_key_content(sb.data, &content));
	ck_assert_uint_eq(content, ident.content);
	ck_assert(!dedup_key_content("rt:0123456789abcdef", &content));
	ck_assert(!dedup_key_content("dg:0123", &content));
	ck_assert(!dedup_key_content("id:0123", &content));
	dedup_identity_free(&ident);
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

START_TEST(message_key_is_stable_across_runs)
{
	/* Keys are stored, and compared by other processes and versions. */
	struct strbuf sb = STRBUF_INIT;
	dedup_message_key(&sb, "", 0, "Ana", MQC_MSG_MESSAGE, "hola");
	ck_assert_str_eq(sb.data, "dg:b16176f7398279cf");
	strbuf_free(&sb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_time_is_new_then_repeat);
	tcase_add_test(tc, plain_messages_of_two_rooms_are_two_messages);
	tcase_add_test(tc, ids_never_expire);
	tcase_add_test(tc, same_id_other_content_is_a_conflict_not_a_repeat);
	tcase_add_test(tc, type_counts);
	tcase_add_test(tc, digest_within_and_after_window);
	tcase_add_test(tc, digest_covers_nick_and_text);
	tcase_add_test(tc, id_and_digest_never_confuse);
	tcase_add_test(tc, clock_stepping_back_counts_as_recent);
	tcase_add_test(tc, own_echo_is_recognised);
	tcase_add_test(tc, an_echo_is_known_by_length_and_digest_once);
	tcase_add_test(tc, an_echo_filter_forgets_its_oldest);
	tcase_add_test(tc, contains_does_not_record);
	tcase_add_test(tc, seen_within_a_window_of_its_own);
	tcase_add_test(tc, bounded_oldest_forgotten_first);
	tcase_add_test(tc, refreshed_digest_moves_to_the_front);
	tcase_add_test(tc, capacity_counts_json_messages_not_keys);
	tcase_add_test(tc, id_alone_lives_as_long_as_its_message);
	tcase_add_test(tc, churn_keeps_index_consistent);
	tcase_add_test(tc, a_growing_set_keeps_what_it_held);
	tcase_add_test(tc, retained_never_expires);
	tcase_add_test(tc, retained_and_live_keys_apart);
	tcase_add_test(tc, key_text_for_history);
	tcase_add_test(tc, digest_is_stable_across_runs);
	tcase_add_test(tc, message_key_is_stable_across_runs);
	suite_add_tcase(s, tc);
	return check_run(s);
}
