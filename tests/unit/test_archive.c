/* SPDX-License-Identifier: MIT */
/* archive.c: its verdicts on repeats (dedup and the history file together)
 * and the lines /history and /search answer with. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "archive.h"
#include "arrival.h"
#include "check_run.h"
#include "check_sql.h"
#include "clock.h"

#define WINDOW_MS 10000

/* This test's directory and the history file in it. */
static char tmp_dir[] = "/tmp/mqchat-archive-XXXXXX";
static char db_file[64];

static struct loop *loop;
static struct config cfg;
static struct archive_settings settings = {.dedup_window_ms = WINDOW_MS};

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	snprintf(db_file, sizeof db_file, "%s/history.db", tmp_dir);
	loop = loop_new();
	cfg = (struct config){0};
	config_set(&cfg, "core", "history", db_file, "test");
}

static void teardown(void)
{
	config_free(&cfg);
	loop_free(loop);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmp_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct archive *open_archive(const char *state_dir)
{
	struct archive *a = NULL;
	ck_assert_int_eq(archive_open(&a, &cfg, state_dir, &settings, loop), 0);
	ck_assert_ptr_nonnull(a);
	return a;
}

/* The verdict on `payload`, received on "room" with `flags`. */
static enum dedup_verdict check_after_drop(struct archive *a, const char *payload,
                                           unsigned flags, uint64_t since_link_up_ms,
                                           uint64_t link_down_ms)
{
	struct arrival in = ARRIVAL_INIT;
	arrival_make(&in, "room", payload, strlen(payload), &(struct arrival_place){"mqtt", "room", NULL}, flags, false);
	enum dedup_verdict v = archive_check(a, &in.ident, since_link_up_ms, link_down_ms,
	                                     flags & MQC_MSG_RESENT);
	arrival_free(&in);
	return v;
}

static enum dedup_verdict check_payload(struct archive *a, const char *payload, unsigned flags,
                                        uint64_t since_link_up_ms)
{
	return check_after_drop(a, payload, flags, since_link_up_ms, 0);
}

/* Stores `payload` as if received on `network` and shown. */
static void store_from(struct archive *a, const char *network, const char *payload,
                       unsigned flags)
{
	struct arrival in = ARRIVAL_INIT;
	arrival_make(&in, "room", payload, strlen(payload),
	             &(struct arrival_place){network, "room", NULL}, flags, false);
	archive_store(a, &in.msg, &in.ident);
	arrival_free(&in);
}

static void store_payload(struct archive *a, const char *payload, unsigned flags)
{
	store_from(a, "mqtt", payload, flags);
}

static void mark_fired(void *data)
{
	*(bool *)data = true;
}

/* Runs the loop until a timer of `ms` has fired: the windows are
 * measured on the monotonic clock, which only waiting moves. */
static void let_pass(uint32_t ms)
{
	bool fired = false;
	struct loop_timer *t = loop_timer_add(loop, ms, false, mark_fired, &fired);
	while (!fired)
		ck_assert_int_eq(loop_iterate(loop), 0);
	loop_timer_remove(t);
}

static size_t pending_in(struct archive *a)
{
	return history_pending(archive_store_handle(a));
}

/* A round's write, with the mqtt backend waiting for it. */
static uint32_t write_round(struct archive *a, bool may_wait, bool peers_wait)
{
	return archive_write_round(a, may_wait, &(struct archive_waiters){true, "mqtt", peers_wait});
}

/* A round that writes what waits, without waiting. */
static void assert_written_now(struct archive *a, bool peers_wait)
{
	ck_assert_uint_eq(write_round(a, true, peers_wait), 0);
	ck_assert_uint_eq(pending_in(a), 0);
}

/* A round's write either happens (nothing left pending) or waits, for at
 * most a few milliseconds, with what the round stored still pending. */
static uint32_t write_round_checked(struct archive *a, size_t stored)
{
	uint32_t wait = write_round(a, true, true);
	ck_assert_uint_le(wait, ARCHIVE_GROUP_MS);
	ck_assert_uint_eq(pending_in(a), wait ? stored : 0);
	return wait;
}

/* Stores `n` messages "`who`: i" as one round's. */
static void store_many(struct archive *a, const char *who, int n)
{
	char text[48];
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof text, "%s: %d", who, i);
		store_payload(a, text, 0);
	}
}

/* In a busy room rounds share a write: a round right after a write waits
 * (on a machine so busy that the two calls, microseconds apart, were
 * ARCHIVE_GROUP_MS apart a hundred times in a row, it would not),
 * ARCHIVE_GROUP_MAX messages are written at once, and a write that may not wait never does. */
START_TEST(a_busy_rooms_rounds_share_a_write)
{
	struct archive *a = open_archive(tmp_dir);
	bool waited = false;
	char text[32];
	for (int i = 0; i < 100 && !waited; i++) {
		snprintf(text, sizeof text, "ana: first %d", i);
		store_payload(a, text, 0);
		ck_assert_uint_eq(write_round(a, false, true), 0);
		ck_assert_uint_eq(pending_in(a), 0);
		snprintf(text, sizeof text, "ana: second %d", i);
		store_payload(a, text, 0);
		waited = write_round_checked(a, 1) > 0;
	}
	ck_assert(waited);
	store_many(a, "bea", ARCHIVE_GROUP_MAX - 1);
	assert_written_now(a, true);
	ck_assert_uint_eq(write_round(a, true, true), 0); /* nothing to write */
	archive_close(a);
}
END_TEST

/* Without history the acknowledgements a backend holds back wait as if
 * for a write: a round right after the last "write" waits (the same
 * allowance for a busy machine as above), ARCHIVE_GROUP_MAX of them leave
 * at once, and when no backend holds any (QoS 0) nothing ever waits. */
START_TEST(without_history_held_acknowledgements_wait_as_for_a_write)
{
	config_set(&cfg, "core", "history", "off", "test");
	struct archive *a = open_archive(tmp_dir);
	struct archive_waiters none = {false, NULL, true};
	char text[32];
	for (int i = 0; i < ARCHIVE_GROUP_MAX * 2; i++) {
		snprintf(text, sizeof text, "ana: qos 0 %d", i);
		store_payload(a, text, 0);
		ck_assert_uint_eq(archive_write_round(a, true, &none), 0);
	}
	bool waited = false;
	for (int i = 0; i < 100 && !waited; i++) {
		snprintf(text, sizeof text, "ana: first %d", i);
		store_payload(a, text, 0);
		ck_assert_uint_eq(write_round(a, false, true), 0);
		snprintf(text, sizeof text, "ana: second %d", i);
		store_payload(a, text, 0);
		uint32_t wait = write_round(a, true, true);
		ck_assert_uint_le(wait, ARCHIVE_GROUP_MS);
		waited = wait > 0;
	}
	ck_assert(waited);
	store_many(a, "bea", ARCHIVE_GROUP_MAX - 1);
	ck_assert_uint_eq(write_round(a, true, true), 0);
	archive_close(a);
}
END_TEST

/* One flood round after a write: a message written alone, then
 * ARCHIVE_FLOOD_GROUP - 1 at once (a busy group, not yet a flood's), then
 * one more (a flood's).  Returns the last round's wait, or 0 when a round
 * came ARCHIVE_GROUP_MS after the write (a busy machine) and wrote. */
static uint32_t flood_round(struct archive *a, int try)
{
	char who[32];
	snprintf(who, sizeof who, "ana %d", try);
	store_many(a, who, 1);
	ck_assert_uint_eq(write_round(a, false, true), 0);
	snprintf(who, sizeof who, "bea %d", try);
	store_many(a, who, ARCHIVE_FLOOD_GROUP - 1);
	uint32_t busy = write_round(a, true, true);
	ck_assert_uint_le(busy, ARCHIVE_GROUP_MS);
	snprintf(who, sizeof who, "cris %d", try);
	store_many(a, who, 1);
	uint32_t wait = busy ? write_round(a, true, true) : 0;
	ck_assert_uint_le(wait, ARCHIVE_FLOOD_GROUP_MS);
	ck_assert_uint_eq(write_round(a, false, true), 0);
	return wait;
}

/* A flood's group waits longer than a busy one: past ARCHIVE_GROUP_MS
 * after the write, up to ARCHIVE_FLOOD_GROUP_MS (one of a hundred tries
 * must, on a machine busy enough to make the others late). */
START_TEST(a_floods_group_waits_longer)
{
	struct archive *a = open_archive(tmp_dir);
	bool longer = false;
	for (int i = 0; i < 100 && !longer; i++)
		longer = flood_round(a, i) > ARCHIVE_GROUP_MS;
	ck_assert(longer);
	archive_close(a);
}
END_TEST

/* Without history no flood waits longer: there is no transaction to
 * share.  Each wait stays within ARCHIVE_GROUP_MS, and some must wait. */
START_TEST(without_history_a_flood_waits_as_any_busy_group)
{
	config_set(&cfg, "core", "history", "off", "test");
	struct archive *a = open_archive(tmp_dir);
	bool waited = false;
	for (int i = 0; i < 100; i++) {
		uint32_t wait = flood_round(a, i);
		ck_assert_uint_le(wait, ARCHIVE_GROUP_MS);
		waited = waited || wait > 0;
	}
	ck_assert(waited);
	archive_close(a);
}
END_TEST

/* While no backend holds acknowledgements for the write (a QoS 0 room, a
 * sender's own lines) a busy group grows past ARCHIVE_GROUP_MAX, which
 * one that is held for is written at (a_busy_rooms_rounds_share_a_write),
 * up to ARCHIVE_GROUP_UNHELD_MAX.  A round that did not wait must have
 * come ARCHIVE_GROUP_MS after the write (a busy machine); one of a
 * hundred tries waits. */
START_TEST(a_busy_group_nothing_is_held_for_grows_further)
{
	struct archive *a = open_archive(tmp_dir);
	struct archive_waiters none = {false, NULL, false};
	bool grew = false;
	for (int i = 0; i < 100 && !grew; i++) {
		store_many(a, "ana", 1);
		ck_assert_uint_eq(archive_write_round(a, false, &none), 0);
		uint64_t written = monotonic_ms();
		store_many(a, "bea", ARCHIVE_GROUP_MAX + 1);
		grew = archive_write_round(a, true, &none) > 0;
		if (grew)
			ck_assert_uint_eq(pending_in(a), ARCHIVE_GROUP_MAX + 1);
		else
			ck_assert_uint_ge(monotonic_ms() - written, ARCHIVE_GROUP_MS);
	}
	ck_assert(grew);
	store_many(a, "cris", ARCHIVE_GROUP_UNHELD_MAX - ARCHIVE_GROUP_MAX - 1);
	ck_assert_uint_eq(archive_write_round(a, true, &none), 0);
	ck_assert_uint_eq(pending_in(a), 0);
	archive_close(a);
}
END_TEST

/* Messages that come one a round are written by ARCHIVE_GROUP_CALM_MAX:
 * no group of them grows past it, and one that reaches it is written at
 * once (a group cut short by time, on a busy machine, is tried again). */
START_TEST(one_message_a_round_is_written_by_the_calm_most)
{
	struct archive *a = open_archive(tmp_dir);
	char text[32];
	store_payload(a, "ana: before", 0);
	ck_assert_uint_eq(write_round(a, false, true), 0);
	bool reached = false;
	size_t in_group = 0;
	for (int i = 0; i < 2000 && !reached; i++) {
		snprintf(text, sizeof text, "ana: %d", i);
		store_payload(a, text, 0);
		in_group++;
		ck_assert_uint_le(in_group, ARCHIVE_GROUP_CALM_MAX);
		if (write_round_checked(a, in_group) == 0) {
			reached = in_group == ARCHIVE_GROUP_CALM_MAX;
			in_group = 0;
		}
	}
	ck_assert(reached);
	archive_close(a);
}
END_TEST

/* `size` messages stored in one round right after a write: true when the
 * round waited (nothing more comes: the group stalls) and the round after
 * the wait wrote them. */
static bool group_stalled(struct archive *a, size_t size, int n)
{
	char text[48];
	for (size_t k = 0; k < size; k++) {
		snprintf(text, sizeof text, "ana: group %d.%zu", n, k);
		store_payload(a, text, 0);
	}
	uint32_t wait = write_round_checked(a, size);
	if (!wait)
		return false;
	let_pass(wait);
	assert_written_now(a, true);
	return true;
}

/* How many rounds in a row, from the first that did not wait, were
 * written at once; 0 when none was within `tries`.  Round i stores
 * 1 + i % `sizes` messages. */
static int written_at_once(struct archive *a, int tries, size_t sizes, int *n)
{
	int run = 0;
	for (int i = 0; i < tries; i++) {
		bool waited = group_stalled(a, 1 + (size_t)i % sizes, (*n)++);
		if (waited && run)
			return run;
		run += !waited;
	}
	return run;
}

/* The first run of rounds written at once longer than a busy machine
 * makes by chance (rounds that missed a group's few milliseconds). */
static int first_capped_run(struct archive *a, size_t sizes, int *n)
{
	int first = 0;
	for (int i = 0; i < 40 && first < 16; i++)
		first = written_at_once(a, 1200, sizes, n);
	return first;
}

/* An archive that has just written a message. */
static struct archive *archive_just_written(void)
{
	struct archive *a = open_archive(tmp_dir);
	store_payload(a, "ana: first", 0);
	ck_assert_uint_eq(write_round(a, false, true), 0);
	return a;
}

/* One message at a time (a broker that waits for each PUBACK): once a
 * group stalled 8 times in a row, such groups are written without
 * waiting, for 1024 writes, then (stalling again) for 2048.  The runs are at
 * least that long; a round that missed the group's few milliseconds on a
 * busy machine only makes them longer. */
START_TEST(a_group_that_stalls_stops_waiting)
{
	struct archive *a = archive_just_written();
	int n = 0;
	ck_assert_int_ge(first_capped_run(a, 1, &n), 1024);
	ck_assert_int_ge(written_at_once(a, 2200, 1, &n), 2048);
	archive_close(a);
}
END_TEST

/* One group, a message every ARCHIVE_GROUP_MS - 2 ms from `networks` in
 * turn, stored right after a write: how many it held when written.  No
 * round's wait may end past ARCHIVE_GROUP_SPAN_MS after the group began,
 * and what waits is the group's alone (the index's flush timer leaves
 * it). */
static size_t paced_group(struct archive *a, const char *const networks[2], int *n)
{
	char text[32];
	uint64_t began = 0;
	size_t held = 0;
	for (;;) {
		ck_assert_uint_eq(pending_in(a), held);
		held++;
		snprintf(text, sizeof text, "ana: step %d", *n);
		store_from(a, networks[(*n)++ % 2], text, 0);
		uint64_t before = monotonic_ms();
		uint32_t wait = write_round_checked(a, held);
		if (held == 1)
			began = monotonic_ms();
		if (!wait)
			break;
		ck_assert_uint_le(before + wait, began + ARCHIVE_GROUP_SPAN_MS);
		let_pass(ARCHIVE_GROUP_MS - 2);
	}
	return held;
}

/* A group that grows waits on, ARCHIVE_GROUP_MS after it last grew: a calm
 * room's messages, one every few milliseconds, share a write.  At most
 * three such messages fit in ARCHIVE_GROUP_MS after a write; some group
 * holds more (unless this machine overslept every time). */
START_TEST(a_growing_group_waits_on_within_its_span)
{
	static const char *const one[2] = {"mqtt", "mqtt"};
	struct archive *a = archive_just_written();
	size_t most = 0;
	for (int i = 0, n = 0; i < 50 && most < 4; i++) {
		size_t held = paced_group(a, one, &n);
		most = held > most ? held : most;
	}
	ck_assert_uint_ge(most, 4);
	archive_close(a);
}
END_TEST

/* Fed by two networks, it does not: the other's broker may be holding
 * what it sends until the write. */
START_TEST(a_group_of_two_networks_does_not_wait_on)
{
	static const char *const two[2] = {"one", "two"};
	struct archive *a = archive_just_written();
	for (int i = 0, n = 0; i < 5; i++)
		ck_assert_uint_le(paced_group(a, two, &n), 3);
	archive_close(a);
}
END_TEST

/* Rows stored but not in the full-text index yet, as the file says. */
static int64_t rows_unindexed(void)
{
	return sql_number(db_file, "SELECT (SELECT coalesce(max(seq), 0) FROM messages)"
	                           " - indexed_upto FROM search_progress");
}

/* The index follows 1-3 s after the last write (ARCHIVE_INDEX_DELAY_MS):
 * 30 s at most. */
static void let_the_index_catch_up(struct history *h)
{
	for (int i = 0; i < 300 && history_has_idle_work(h); i++)
		let_pass(100);
	ck_assert(!history_has_idle_work(h));
}

/* A message whose round waits to share a write: one is stored right
 * after a write until its round waits (a round past ARCHIVE_GROUP_MS on a
 * busy machine writes it at once). */
static void one_message_waits(struct archive *a)
{
	bool waited = false;
	for (int i = 0; i < 100 && !waited; i++) {
		char text[32];
		snprintf(text, sizeof text, "ana: waits %d", i);
		store_payload(a, text, 0);
		waited = write_round_checked(a, 1) > 0;
	}
	ck_assert(waited);
}

/* The index's flush timer, due while a group waits, indexes what was
 * written before and leaves the group to the round that ends its wait:
 * taken by the timer, its acknowledgements would wait all the same, and the
 * next group would begin in the old one's state.  Nor is it armed again
 * for the group: the group's write draws the index's next delay (armed
 * every FLUSH_DELAY_MS instead, it indexed a paced room in passes of a
 * few dozen rows). */
START_TEST(the_flush_timer_leaves_a_waiting_group)
{
	struct archive *a = archive_just_written();
	struct history *h = archive_store_handle(a);
	ck_assert(history_has_idle_work(h)); /* "ana: first" is not indexed yet */
	one_message_waits(a);
	let_the_index_catch_up(h);
	ck_assert(!archive_timer_armed(a));
	ck_assert_uint_eq(pending_in(a), 1);
	assert_written_now(a, true);
	ck_assert(archive_timer_armed(a)); /* the group's row waits for the index */
	archive_close(a);
}
END_TEST

/* Writes a message every `gap_ms` for `span_ms`, and counts them in
 * *written.  True if no two writes came ARCHIVE_INDEX_DELAY_MS / 2 apart
 * (the shortest draw of the index's delay): a machine so busy that they
 * did proves nothing. */
static bool writes_without_a_pause(struct archive *a, uint32_t gap_ms, uint32_t span_ms,
                                   size_t *written)
{
	bool paused = false;
	uint64_t began = monotonic_ms(), last = began;
	*written = 0;
	for (int i = 0; monotonic_ms() - began < span_ms; i++) {
		let_pass(gap_ms);
		char text[32];
		snprintf(text, sizeof text, "ana: line %d", i);
		store_payload(a, text, 0);
		uint64_t now = monotonic_ms();
		paused = paused || now - last >= ARCHIVE_INDEX_DELAY_MS / 2;
		last = now;
		ck_assert_uint_eq(write_round(a, false, true), 0);
		++*written;
	}
	return !paused;
}

/* An archive that wrote a message every 200 ms for `span_ms` after its
 * first, counted in *written; made again once if the machine paused them
 * (writes_without_a_pause). */
static struct archive *archive_written_steadily(uint32_t span_ms, size_t *written)
{
	struct archive *a = NULL;
	bool unpaused = false;
	for (int tries = 0; tries < 2 && !unpaused; tries++) {
		archive_close(a);
		unlink(db_file);
		a = archive_just_written();
		unpaused = writes_without_a_pause(a, 200, span_ms, written);
	}
	ck_assert(unpaused);
	return a;
}

/* Rows wait for the index while the writes go on: each puts its pass off,
 * which comes once they pause.  Writes for longer than the index's
 * longest delay. */
START_TEST(the_index_waits_for_the_writes_to_pause)
{
	size_t written;
	struct archive *a = archive_written_steadily(ARCHIVE_INDEX_DELAY_MS * 2, &written);
	ck_assert_int_eq(rows_unindexed(), (int64_t)written + 1); /* and "ana: first" */
	let_the_index_catch_up(archive_store_handle(a));
	ck_assert_int_eq(rows_unindexed(), 0);
	archive_close(a);
}
END_TEST

/* In a room that never pauses, the index catches up from
 * ARCHIVE_INDEX_MAX_DELAY_MS after the first write it missed.  (A machine
 * that paused the writes let it catch up then: not tried again, for the
 * test's time.) */
START_TEST(the_index_catches_up_in_a_room_that_never_pauses)
{
	size_t written;
	struct archive *a = archive_just_written();
	(void)writes_without_a_pause(a, 200, ARCHIVE_INDEX_MAX_DELAY_MS + 1000, &written);
	/* Caught up in the last second of writes, the rows since at most. */
	ck_assert_uint_gt(written, 40);
	ck_assert_int_lt(rows_unindexed(), (int64_t)written / 4);
	archive_close(a);
}
END_TEST

/* A write that fails ends the waiting group: the retry writes its
 * messages, with no round to end the group (the index's pass, 1-3 s
 * after a write, fails here on a lock another connection holds). */
START_TEST(a_failed_write_ends_the_waiting_group)
{
	struct archive *a = archive_just_written();
	one_message_waits(a);
	sqlite3 *other;
	ck_assert_int_eq(sqlite3_open(db_file, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	let_pass(3500); /* past ARCHIVE_INDEX_DELAY_MS's draw: the pass has run, and failed */
	ck_assert_uint_eq(pending_in(a), 1);
	ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	/* Retried FLUSH_DELAY_MS * 5 later: 30 s at most. */
	for (int i = 0; i < 300 && pending_in(a); i++)
		let_pass(100);
	ck_assert_uint_eq(pending_in(a), 0);
	archive_close(a);
}
END_TEST

/* Groups of one and two that stall in turn (a calm room whose broker
 * holds the next message until our write) are capped as one size: then
 * one or two in a round are written at once, for 1024 writes. */
START_TEST(ones_and_twos_that_stall_are_written_at_once)
{
	struct archive *a = archive_just_written();
	int n = 0;
	ck_assert_int_ge(first_capped_run(a, 2, &n), 1024);
	archive_close(a);
}
END_TEST

/* An archive whose rounds of one and two messages, a peer waiting,
 * stalled until they were capped: three in a row did not wait. */
static struct archive *archive_trickle_capped(void)
{
	struct archive *a = archive_just_written();
	int in_a_row = 0;
	for (int i = 0; i < 400 && in_a_row < 3; i++)
		in_a_row = group_stalled(a, 1 + (size_t)i % 2, i) ? 0 : in_a_row + 1;
	ck_assert_int_eq(in_a_row, 3);
	return a;
}

/* Capped so, three messages in one round end the cap: the room got busy,
 * and its rounds share writes again. */
START_TEST(more_at_once_than_the_cap_ends_it)
{
	struct archive *a = archive_trickle_capped();
	/* Three wait, unless this machine kept two calls ARCHIVE_GROUP_MS
	 * apart every time. */
	bool waited = false;
	char text[32];
	for (int i = 0; i < 100 && !waited; i++) {
		for (int k = 0; k < 3; k++) {
			snprintf(text, sizeof text, "bea: three %d.%d", i, k);
			store_payload(a, text, 0);
		}
		waited = write_round_checked(a, 3) > 0;
		ck_assert_uint_eq(write_round(a, false, true), 0);
	}
	ck_assert(waited);
	archive_close(a);
}
END_TEST

/* An archive whose last write was more than ARCHIVE_GROUP_MS ago: a
 * message now begins a group. */
static struct archive *archive_quiet(void)
{
	struct archive *a = archive_just_written();
	let_pass(ARCHIVE_GROUP_MS + 2);
	return a;
}

/* A round of one message while no peer waits for the write: how long it
 * waits, which is never past `span_ms` after the group began.  `*began`:
 * 0 for a group's first round, which sets it (to a moment no earlier
 * than the archive's). */
static uint32_t unhurried_round_within(struct archive *a, int n, uint64_t *began,
                                       uint32_t span_ms)
{
	char text[32];
	snprintf(text, sizeof text, "ana: calm %d", n);
	store_payload(a, text, 0);
	uint64_t before = monotonic_ms();
	uint32_t wait = write_round(a, true, false);
	if (!*began)
		*began = monotonic_ms();
	ck_assert_uint_le(before + wait, *began + span_ms);
	return wait;
}

/* As above, within ARCHIVE_CALM_SPAN_MS (a group's first round, or one
 * of rounds close together). */
static uint32_t unhurried_round(struct archive *a, int n, uint64_t *began)
{
	return unhurried_round_within(a, n, began, ARCHIVE_CALM_SPAN_MS);
}

/* Unhurried rounds `gap_ms` apart (0: back to back) until a group of
 * more than `least` is written, or `tries` groups were; each group is
 * written at most at the largest size drawn for it, and waits at most
 * ARCHIVE_SPACED_SPAN_MS: the calm ones unless, at some round, its rounds
 * had come ARCHIVE_SPACED_GAP_MS apart on average (a busy machine can
 * make that so even back to back).  The test's clock reads bracket the
 * archive's: rounds the test finds close together, the archive did too.
 * Returns the largest. */
static size_t largest_unhurried_group(struct archive *a, uint32_t gap_ms, size_t least,
                                      int tries)
{
	size_t largest = 0;
	for (int n = 0; tries > 0 && largest <= least; tries--) {
		uint64_t began = 0, first = monotonic_ms();
		size_t in_group = 0;
		bool ever_spaced = false;
		uint32_t wait;
		do {
			if (in_group && gap_ms)
				let_pass(gap_ms);
			uint64_t before = monotonic_ms(), gaps = in_group++;
			wait = unhurried_round_within(a, n++, &began, ARCHIVE_SPACED_SPAN_MS);
			bool spaced = gaps && monotonic_ms() - first >= gaps * ARCHIVE_SPACED_GAP_MS;
			if (!spaced)
				ck_assert_uint_le(before + wait, began + ARCHIVE_CALM_SPAN_MS);
			ever_spaced = ever_spaced || spaced;
		} while (wait);
		ck_assert_uint_eq(pending_in(a), 0);
		size_t most = ever_spaced ? ARCHIVE_GROUP_SPACED_MAX : ARCHIVE_GROUP_CALM_MAX;
		ck_assert_uint_le(in_group, most * 3 / 2 - 1);
		largest = in_group > largest ? in_group : largest;
	}
	return largest;
}

/* A calm room whose broker does not wait for us: a lone message, even
 * after a quiet spell, waits for company past ARCHIVE_GROUP_MS, and its
 * group is written at once when it reaches the size drawn for it.  Groups
 * cut short by time (a busy machine) are tried again. */
START_TEST(a_calm_room_nobody_waits_for_shares_longer_writes)
{
	struct archive *a = archive_quiet();
	uint64_t began = 0;
	ck_assert_uint_gt(unhurried_round(a, 0, &began), ARCHIVE_GROUP_MS);
	ck_assert_uint_eq(pending_in(a), 1);
	let_pass(ARCHIVE_CALM_SPAN_MS);
	assert_written_now(a, false);
	ck_assert_uint_gt(largest_unhurried_group(a, 0, ARCHIVE_GROUP_CALM_MAX / 2, 2000),
	                  ARCHIVE_GROUP_CALM_MAX / 2);
	archive_close(a);
}
END_TEST

/* Messages that come apart (a paced room) share bigger writes: one is
 * over before the next comes.  Groups cut short by time are tried again. */
START_TEST(spaced_messages_share_bigger_writes)
{
	struct archive *a = archive_quiet();
	size_t calm_largest = ARCHIVE_GROUP_CALM_MAX * 3 / 2 - 1;
	ck_assert_uint_gt(largest_unhurried_group(a, ARCHIVE_SPACED_GAP_MS + 1, calm_largest, 20),
	                  calm_largest);
	archive_close(a);
}
END_TEST

/* A spaced group that stops growing (a pause, or a broker that waits for
 * our PUBACKs after all) is written after a few of its gaps, not at the
 * end of its span.  The archive's gaps are no longer than the test's. */
START_TEST(a_spaced_group_that_stops_growing_is_written_soon)
{
	struct archive *a = archive_quiet();
	uint64_t began = 0, first = monotonic_ms();
	uint32_t wait = 0;
	int gaps = 3;
	for (int n = 0; n <= gaps; n++) {
		if (n)
			let_pass(ARCHIVE_SPACED_GAP_MS + 1);
		wait = unhurried_round_within(a, n, &began, ARCHIVE_SPACED_SPAN_MS);
	}
	uint64_t average_gap_bound = (monotonic_ms() - first) / (uint64_t)gaps + 1;
	ck_assert_uint_le(wait, ARCHIVE_SPACED_QUIET_GAPS * average_gap_bound);
	let_pass(wait);
	assert_written_now(a, false);
	archive_close(a);
}
END_TEST

/* Whether a group's messages came apart is judged by when they came: a
 * round that brought none (another socket's) later does not make close
 * messages spaced, and the group waits on as a calm one.  Tried again
 * when the test's rounds were not close, or the wait was over anyway. */
START_TEST(a_round_without_messages_does_not_space_a_group)
{
	struct archive *a = archive_quiet();
	for (int n = 0, tries = 0;; tries++) {
		ck_assert_int_lt(tries, 20);
		uint64_t began = 0, first = monotonic_ms();
		for (int i = 0; i < 3; i++)
			unhurried_round_within(a, n++, &began, ARCHIVE_SPACED_SPAN_MS);
		bool close = monotonic_ms() - first < 2 * ARCHIVE_SPACED_GAP_MS;
		if (close) {
			let_pass(ARCHIVE_SPACED_GAP_MS * 4);
			uint32_t wait = write_round(a, true, false);
			if (monotonic_ms() - first < ARCHIVE_CALM_SPAN_MS) {
				ck_assert_uint_gt(wait, 0);
				ck_assert_uint_eq(pending_in(a), 3);
				break;
			}
		}
		let_pass(ARCHIVE_SPACED_SPAN_MS);
		assert_written_now(a, false);
	}
	archive_close(a);
}
END_TEST

/* A lone message nobody waits for is written when its wait ends.  Once 8
 * in a row stalled so (a broker whose own limit on messages in flight
 * makes it wait for our PUBACKs anyway, or a slow room), such messages
 * are written at once, as any group that stalls (a_group_that_stalls_stops_waiting). */
START_TEST(lone_messages_nobody_waits_for_wait_until_they_stall)
{
	struct archive *a = archive_quiet();
	for (int n = 0; n < 8; n++) {
		uint64_t began = 0;
		uint32_t wait = unhurried_round(a, n, &began);
		ck_assert_uint_gt(wait, ARCHIVE_GROUP_MS);
		let_pass(wait);
		assert_written_now(a, false);
	}
	uint64_t began = 0;
	ck_assert_uint_eq(unhurried_round(a, 8, &began), 0);
	ck_assert_uint_eq(pending_in(a), 0);
	archive_close(a);
}
END_TEST

/* A cap that rounds some peer waited for set (a calm room's first reads
 * of two, the broker's Nagle holding the next until our write) binds
 * such rounds only: a lone message nobody waits for still waits for
 * company, so a calm room is not written a message a transaction for
 * the cap's thousand writes; one a peer waits for is written at once. */
START_TEST(a_trickle_cap_binds_only_rounds_a_peer_waits_for)
{
	struct archive *a = archive_trickle_capped();
	uint64_t began = 0;
	uint32_t wait = unhurried_round(a, 0, &began);
	ck_assert_uint_gt(wait, ARCHIVE_GROUP_MS);
	let_pass(wait);
	assert_written_now(a, false);
	store_payload(a, "ana: the broker waits now", 0);
	assert_written_now(a, true);
	archive_close(a);
}
END_TEST

/* Once a peer waits, the group keeps to ARCHIVE_GROUP_SPAN_MS again. */
START_TEST(a_waiting_peer_ends_a_calm_wait)
{
	struct archive *a = archive_quiet();
	uint64_t began = 0;
	ck_assert_uint_gt(unhurried_round(a, 0, &began), ARCHIVE_GROUP_MS);
	let_pass(ARCHIVE_GROUP_SPAN_MS + 2);
	store_payload(a, "ana: the broker waits now", 0);
	assert_written_now(a, true);
	archive_close(a);
}
END_TEST

static const char hola_json[] =
	"{\"v\":1,\"id\":\"a1\",\"nick\":\"ana\",\"ts\":1700000000000,\"type\":\"message\","
	"\"text\":\"hola\"}";
static const char other_json[] =
	"{\"v\":1,\"id\":\"a1\",\"nick\":\"ana\",\"ts\":1700000000000,\"type\":\"message\","
	"\"text\":\"adios\"}";

/* An arrival made in the buffers of the one before keeps nothing of it:
 * a relayed json message with an id, then plain lines, one retained. */
START_TEST(an_arrival_made_again_keeps_nothing_of_the_last)
{
	static const char relayed[] =
		"{\"v\":1,\"id\":\"r7\",\"nick\":\"ana\",\"ts\":1700000000000,"
		"\"type\":\"message\",\"text\":\"relayed words\",\"origin\":\"irc:#x\","
		"\"hops\":2}";
	const struct arrival_place here = {"mqtt", "room", NULL};
	struct arrival a = ARRIVAL_INIT, fresh = ARRIVAL_INIT;
	arrival_make(&a, "room/sub", relayed, strlen(relayed), &here, MQC_MSG_RETAINED, true);
	ck_assert_str_eq(a.msg.id, "r7");
	ck_assert_str_eq(a.msg.origin, "irc:#x");
	ck_assert_uint_eq(a.msg.hops, 2);
	ck_assert(a.ident.by_id && a.ident.retained && a.payload_digest);

	static const char plain[] = "bo: hi";
	arrival_make(&a, "room", plain, strlen(plain), &here, 0, false);
	arrival_make(&fresh, "room", plain, strlen(plain), &here, 0, false);
	ck_assert_str_eq(a.msg.id, "");
	ck_assert_str_eq(a.msg.origin, "");
	ck_assert_str_eq(a.msg.nick, "bo");
	ck_assert_str_eq(a.msg.text, "hi");
	ck_assert_str_eq(a.msg.topic, "room");
	ck_assert_uint_eq(a.msg.hops, 0);
	ck_assert_uint_eq(a.msg.flags, 0);
	ck_assert_uint_eq(a.payload_digest, 0);
	ck_assert(!a.ident.by_id && !a.ident.retained);
	ck_assert_str_eq(a.ident.key.data, fresh.ident.key.data);
	ck_assert_uint_eq(a.ident.hash, fresh.ident.hash);
	ck_assert_uint_eq(a.ident.retained_key.len, 0);

	/* A big one is not kept for the next. */
	char *big = malloc(64 * 1024);
	memset(big, 'w', 64 * 1024);
	arrival_make(&a, "room", big, 64 * 1024, &here, 0, false);
	ck_assert_uint_eq(strlen(a.msg.text), 64 * 1024);
	arrival_trim(&a);
	ck_assert_ptr_null(a.text.data);
	arrival_make(&a, "room", plain, strlen(plain), &here, 0, false);
	ck_assert_str_eq(a.msg.text, "hi");
	free(big);
	arrival_free(&a);
	arrival_free(&fresh);
}
END_TEST

/* A message with an id is new once; another text under its id is new
 * too, but a conflict. */
START_TEST(a_message_with_an_id_is_new_once)
{
	struct archive *a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, hola_json, 0, 0), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, hola_json, 0, 0), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, hola_json, 0, 60000), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, other_json, 0, 0), DEDUP_CONFLICT);
	ck_assert_int_eq(check_payload(a, other_json, 0, 60000), DEDUP_REPEAT);
	archive_close(a);
}
END_TEST

/* Without history, ids are known as far back as a broker can have
 * messages in flight to us (DEDUP_NO_HISTORY_CAPACITY): after a restart
 * it sends them all again, thousands with mosquitto 2.0.11. */
START_TEST(without_history_a_copy_is_known_past_thousands)
{
	config_set(&cfg, "core", "history", "off", "test");
	struct archive *a = open_archive(tmp_dir);
	ck_assert_ptr_null(archive_store_handle(a));
	char payload[160];
	enum { SEEN = 60000 };
	for (int i = 0; i < SEEN; i++) {
		snprintf(payload, sizeof payload,
		         "{\"v\":1,\"id\":\"m-%d\",\"nick\":\"ana\",\"ts\":1700000000000,"
		         "\"type\":\"message\",\"text\":\"linea %d\"}", i, i);
		ck_assert_int_eq(check_payload(a, payload, 0, 60000), DEDUP_NEW);
	}
	for (int i = 0; i < SEEN; i += SEEN / 6) {
		snprintf(payload, sizeof payload,
		         "{\"v\":1,\"id\":\"m-%d\",\"nick\":\"ana\",\"ts\":1700000000000,"
		         "\"type\":\"message\",\"text\":\"linea %d\"}", i, i);
		ck_assert_int_eq(check_payload(a, payload, 0, 60000), DEDUP_REPEAT);
	}
	archive_close(a);
}
END_TEST

START_TEST(a_plain_message_repeats_only_within_the_digest_window)
{
	settings.dedup_window_ms = 1;
	struct archive *a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, "bea: hola", 0, 0), DEDUP_NEW);
	let_pass(5);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_NEW);
	archive_close(a);
	settings.dedup_window_ms = WINDOW_MS;
}
END_TEST

/* The broker hands a retained message over at every subscription: a
 * repeat at any age, where the same words said live are new again. */
START_TEST(a_retained_message_repeats_past_the_digest_window)
{
	settings.dedup_window_ms = 1;
	struct archive *a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: fijado", MQC_MSG_RETAINED, 0), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, "ana: fijado", MQC_MSG_RETAINED, 0), DEDUP_REPEAT);
	let_pass(5);
	ck_assert_int_eq(check_payload(a, "ana: fijado", 0, 60000), DEDUP_NEW);
	let_pass(5);
	ck_assert_int_eq(check_payload(a, "ana: fijado", MQC_MSG_RETAINED, 60000), DEDUP_REPEAT);
	archive_close(a);
	settings.dedup_window_ms = WINDOW_MS;
}
END_TEST

/* What an earlier run stored: a plain message is looked up in the file
 * only within a while of connecting; one with an id and a retained one
 * at any time. */
START_TEST(what_an_earlier_run_stored_is_a_repeat)
{
	struct archive *a = open_archive(tmp_dir);
	store_payload(a, "ana: hola", 0);
	store_payload(a, hola_json, 0);
	store_payload(a, "ana: fijado", MQC_MSG_RETAINED);
	archive_close(a);

	a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 60000), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, hola_json, 0, 60000), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, other_json, 0, 60000), DEDUP_CONFLICT);
	ck_assert_int_eq(check_payload(a, "ana: fijado", MQC_MSG_RETAINED, 60000), DEDUP_REPEAT);
	archive_close(a);

	a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, "bea: hola", 0, 0), DEDUP_NEW);
	archive_close(a);
}
END_TEST

/* A logger killed between storing its last messages and acknowledging
 * them gets them again when it comes back, however late: the digest
 * window counts back from the last message the earlier run stored. */
START_TEST(an_earlier_runs_last_messages_repeat_however_late)
{
	settings.dedup_window_ms = 20;
	struct archive *a = open_archive(tmp_dir);
	store_payload(a, "ana: primera", 0);
	let_pass(60);
	store_payload(a, "ana: hola", 0);
	archive_close(a);
	let_pass(60); /* back later than the window */

	a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, "ana: primera", 0, 0), DEDUP_NEW);
	archive_close(a);
	settings.dedup_window_ms = WINDOW_MS;
}
END_TEST

/* What was in flight when the link went down comes again on the next
 * one, maybe long after (NATS: after ack_wait): a repeat, if seen within
 * the window before the drop and soon after connecting again. */
START_TEST(a_message_in_flight_at_a_drop_repeats_however_late)
{
	settings.dedup_window_ms = 20;
	struct archive *a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: primera", 0, 0), DEDUP_NEW);
	let_pass(60);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_NEW);
	uint64_t down = monotonic_ms();
	let_pass(60);
	ck_assert_int_eq(check_after_drop(a, "ana: hola", 0, 100, down), DEDUP_REPEAT);
	ck_assert_int_eq(check_after_drop(a, "ana: primera", 0, 100, down), DEDUP_NEW);
	let_pass(60);
	/* Long after connecting again: the same words are said anew. */
	ck_assert_int_eq(check_after_drop(a, "ana: hola", 0, 60000, down), DEDUP_NEW);
	archive_close(a);
	settings.dedup_window_ms = WINDOW_MS;
}
END_TEST

/* A copy the network marked as sent again (NATS, after ack_wait: our
 * acknowledgement died with a node) comes on a link that never dropped,
 * past the digest window: a repeat within ARCHIVE_RESENT_WINDOW_MS of the
 * first sighting.  Unmarked, the same words are said anew; marked, words
 * never seen are new; with a digest window of 0 nothing is a repeat. */
START_TEST(a_copy_marked_as_sent_again_repeats_past_the_window)
{
	settings.dedup_window_ms = 20;
	struct archive *a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_NEW);
	let_pass(60);
	ck_assert_int_eq(check_payload(a, "ana: hola", MQC_MSG_RESENT, 60000), DEDUP_REPEAT);
	ck_assert_int_eq(check_payload(a, "ana: nueva", MQC_MSG_RESENT, 60000), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 60000), DEDUP_NEW);
	archive_close(a);
	settings.dedup_window_ms = 0;
	a = open_archive(tmp_dir);
	ck_assert_int_eq(check_payload(a, "bea: hola", 0, 0), DEDUP_NEW);
	let_pass(5);
	ck_assert_int_eq(check_payload(a, "bea: hola", MQC_MSG_RESENT, 60000), DEDUP_NEW);
	archive_close(a);
	settings.dedup_window_ms = WINDOW_MS;
}
END_TEST

/* What /history and /search show: texts joined by '|'. */
static void collect_text(void *data, const struct mqc_message *msg)
{
	ck_assert(msg->flags & MQC_MSG_HISTORY);
	struct strbuf *shown = data;
	strbuf_printf(shown, "%s%s", shown->len ? "|" : "", msg->text);
}

/* `arg` to /history: the reply, and whether it was no error. */
static bool show_last(struct archive *a, const char *arg, struct strbuf *shown,
                      struct strbuf *reply)
{
	strbuf_reset(shown);
	strbuf_reset(reply);
	return archive_show_last(a, arg, strlen(arg), NULL, collect_text, shown, reply);
}

START_TEST(history_replies_say_what_was_found)
{
	struct archive *a = open_archive(tmp_dir);
	struct strbuf shown = STRBUF_INIT, reply = STRBUF_INIT;
	ck_assert(show_last(a, "", &shown, &reply));
	ck_assert_str_eq(strbuf_str(&reply), "history is empty");
	static const char *const bad[] = {"0", "-3", "abc", "5x", "10001"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert(!show_last(a, bad[i], &shown, &reply));
		ck_assert_str_eq(strbuf_str(&reply), "/history N: N from 1 to 10000");
		ck_assert_uint_eq(shown.len, 0);
	}
	store_payload(a, "ana: uno", 0);
	store_payload(a, "bea: dos", 0);
	store_payload(a, "ana: tres", 0);
	ck_assert(show_last(a, "2", &shown, &reply));
	ck_assert_str_eq(strbuf_str(&shown), "dos|tres");
	ck_assert_str_eq(strbuf_str(&reply), "the last 2 messages (/history 2)");
	ck_assert(show_last(a, "10000", &shown, &reply));
	ck_assert_str_eq(strbuf_str(&shown), "uno|dos|tres");
	ck_assert_str_eq(strbuf_str(&reply), "the last 3 messages (/history 10000)");

	strbuf_reset(&shown);
	strbuf_reset(&reply);
	ck_assert(archive_search(a, "tres", 4, NULL, collect_text, &shown, &reply));
	ck_assert_str_eq(strbuf_str(&shown), "tres");
	ck_assert_str_eq(strbuf_str(&reply), "1 message found for \"tres\"");
	strbuf_reset(&shown);
	strbuf_reset(&reply);
	ck_assert(archive_search(a, "cuatro", 6, NULL, collect_text, &shown, &reply));
	ck_assert_str_eq(strbuf_str(&reply), "0 messages found for \"cuatro\"");
	archive_close(a);
	strbuf_free(&shown);
	strbuf_free(&reply);
}
END_TEST

/* Without a store, both commands are errors that say why. */
static void expect_no_history(struct archive *a, const char *why)
{
	struct strbuf shown = STRBUF_INIT, reply = STRBUF_INIT;
	ck_assert(!show_last(a, "5", &shown, &reply));
	ck_assert_msg(strncmp(strbuf_str(&reply), why, strlen(why)) == 0, "got: %s",
	              strbuf_str(&reply));
	strbuf_reset(&reply);
	ck_assert(!archive_search(a, "hola", 4, NULL, collect_text, &shown, &reply));
	ck_assert_msg(strncmp(strbuf_str(&reply), why, strlen(why)) == 0, "got: %s",
	              strbuf_str(&reply));
	ck_assert_uint_eq(shown.len, 0);
	strbuf_free(&shown);
	strbuf_free(&reply);
}

START_TEST(history_off_is_said)
{
	config_set(&cfg, "core", "history", "off", "test");
	struct archive *a = open_archive(tmp_dir);
	ck_assert_ptr_null(archive_store_handle(a));
	expect_no_history(a, "history is off ([core] history)");
	/* Nothing is stored, and repeats are still known in memory. */
	store_payload(a, "ana: hola", 0);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_NEW);
	ck_assert_int_eq(check_payload(a, "ana: hola", 0, 0), DEDUP_REPEAT);
	archive_close(a);
	ck_assert_int_ne(access(db_file, F_OK), 0);
}
END_TEST

/* The default file in a state directory that does not exist. */
START_TEST(history_unavailable_is_said)
{
	config_set(&cfg, "core", "history", "on", "test");
	char missing[80];
	snprintf(missing, sizeof missing, "%s/missing", tmp_dir);
	struct archive *a = open_archive(missing);
	ck_assert_ptr_null(archive_store_handle(a));
	expect_no_history(a, "history is unavailable: ");
	archive_close(a);
}
END_TEST

/* --- rooms ---------------------------------------------------------------- */

/* Stores a message said by Ana in NETWORK:ROOM (to `to`, for a private
 * one), as the core does. */
static void store_in(struct archive *a, const char *network, const char *room, const char *to,
                     const char *text)
{
	static int64_t at = 1700000000000;
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "", .nick = "Ana", .text = text,
	                          .topic = room, .sender_id = "", .time_ms = ++at,
	                          .network = network, .room = room, .to = to};
	history_add(archive_store_handle(a), &msg, NULL, at);
}

/* one:a "uno", one:b "dos", two:a "tres", one:a "cuatro", and "cinco"
 * privately to Bo on one. */
static struct archive *open_with_rooms(void)
{
	struct archive *a = open_archive(tmp_dir);
	store_in(a, "one", "a", "", "uno");
	store_in(a, "one", "b", "", "dos");
	store_in(a, "two", "a", "", "tres");
	store_in(a, "one", "a", "", "cuatro");
	store_in(a, "one", "", "Bo", "cinco");
	return a;
}

START_TEST(history_and_search_of_one_room)
{
	struct archive *a = open_with_rooms();
	struct strbuf shown = STRBUF_INIT, reply = STRBUF_INIT;
	struct roomref one_a = {"one", "a"}, two_a = {"two", "a"}, one_x = {"one", "x"};
	ck_assert(archive_show_last(a, "10", 2, &one_a, collect_text, &shown, &reply));
	ck_assert_str_eq(strbuf_str(&shown), "uno|cuatro");
	ck_assert_str_eq(strbuf_str(&reply), "the last 2 messages in one:a (/history 10 one:a)");
	strbuf_reset(&shown);
	strbuf_reset(&reply);
	ck_assert(archive_show_last(a, "", 0, &one_x, collect_text, &shown, &reply));
	ck_assert_uint_eq(shown.len, 0);
	ck_assert_str_eq(strbuf_str(&reply), "no messages in one:x");
	strbuf_reset(&reply);
	ck_assert(archive_search(a, "tres uno", 8, &one_a, collect_text, &shown, &reply));
	ck_assert_str_eq(strbuf_str(&reply), "0 messages found for \"tres uno\" in one:a");
	strbuf_reset(&reply);
	ck_assert(archive_search(a, "tres", 4, &two_a, collect_text, &shown, &reply));
	ck_assert_str_eq(strbuf_str(&shown), "tres");
	ck_assert_str_eq(strbuf_str(&reply), "1 message found for \"tres\" in two:a");
	strbuf_reset(&shown);
	strbuf_reset(&reply);
	ck_assert(show_last(a, "", &shown, &reply)); /* every room */
	ck_assert_str_eq(strbuf_str(&shown), "uno|dos|tres|cuatro|cinco");
	archive_close(a);
	strbuf_free(&shown);
	strbuf_free(&reply);
}
END_TEST

/* What mqchat --history/--search prints: stdout and stderr, and the exit
 * code. */
struct printed {
	char out[4096], err[1024];
	int rc;
};

static void read_back(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void print_history(const char *last, const char *words, const char *room, bool json,
                          struct printed *p)
{
	char out_path[96], err_path[96];
	snprintf(out_path, sizeof out_path, "%s/stdout", tmp_dir);
	snprintf(err_path, sizeof err_path, "%s/stderr", tmp_dir);
	ck_assert_int_eq(setenv("XDG_STATE_HOME", tmp_dir, 1), 0);
	fflush(stdout);
	int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(saved_out >= 0 && saved_err >= 0 && out >= 0 && err >= 0);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	p->rc = archive_print(&cfg, last, words, room, json);
	fflush(stdout);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(out);
	close(err);
	close(saved_out);
	close(saved_err);
	read_back(out_path, p->out, sizeof p->out);
	read_back(err_path, p->err, sizeof p->err);
}

/* The rooms' messages, stored, and the store closed for mqchat --history. */
static void store_rooms(void)
{
	archive_close(open_with_rooms());
}

static int count_lines(const char *text)
{
	int n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* mqchat --history 10 [--json] of the rooms' five messages. */
static void print_every_room(bool json, struct printed *p)
{
	store_rooms();
	print_history("10", NULL, NULL, json, p);
	ck_assert_int_eq(p->rc, 0);
	ck_assert_int_eq(count_lines(p->out), 5);
}

START_TEST(printed_json_says_network_room_and_to)
{
	struct printed p;
	print_every_room(true, &p);
	char *line = strtok(p.out, "\n");
	static const char *const want[][4] = {{"uno", "one", "a", NULL},
	                                      {"dos", "one", "b", NULL},
	                                      {"tres", "two", "a", NULL},
	                                      {"cuatro", "one", "a", NULL},
	                                      {"cinco", "one", "", "Bo"}};
	for (size_t i = 0; i < 5; i++, line = strtok(NULL, "\n")) {
		json_error_t error;
		json_t *obj = json_loads(line, 0, &error);
		ck_assert_msg(obj, "not JSON: %s (%s)", line, error.text);
		ck_assert_str_eq(json_string_value(json_object_get(obj, "text")), want[i][0]);
		ck_assert_str_eq(json_string_value(json_object_get(obj, "network")), want[i][1]);
		ck_assert_str_eq(json_string_value(json_object_get(obj, "room")), want[i][2]);
		if (want[i][3])
			ck_assert_str_eq(json_string_value(json_object_get(obj, "to")), want[i][3]);
		else
			ck_assert_ptr_null(json_object_get(obj, "to")); /* only when there is one */
		json_decref(obj);
	}
}
END_TEST

START_TEST(printed_lines_say_where_when_rooms_differ)
{
	struct printed p;
	print_every_room(false, &p);
	ck_assert_msg(strncmp(p.out, "[one:a] ", 8) == 0, "got: %s", p.out);
	ck_assert_msg(strstr(p.out, "\n[two:a] "), "got: %s", p.out);
	ck_assert_msg(strstr(p.out, "\n[one -> you] "), "got: %s", p.out);
	/* one message is of one place: nothing to tell apart */
	print_history("1", NULL, NULL, false, &p);
	ck_assert_int_eq(count_lines(p.out), 1);
	ck_assert_msg(p.out[0] != '[' && strstr(p.out, "Ana: cinco\n"), "got: %s", p.out);
	print_history(NULL, "cuatro uno", NULL, false, &p); /* words in no one message */
	ck_assert_str_eq(p.out, "");
	print_history(NULL, "uno", NULL, false, &p);
	ck_assert_msg(p.out[0] != '[' && strstr(p.out, "Ana: uno\n"), "got: %s", p.out);
}
END_TEST

START_TEST(printed_room_is_read_against_the_networks)
{
	store_rooms();
	config_set(&cfg, "core", "backends", "one, two", "test");
	struct printed p;
	print_history("10", NULL, "a", false, &p); /* a bare room: the first network's */
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(count_lines(p.out), 2);
	ck_assert_msg(p.out[0] != '[' && strstr(p.out, "Ana: uno\n") && strstr(p.out, "Ana: cuatro\n"),
	              "got: %s", p.out);
	print_history(NULL, "tres", "two:a", true, &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_int_eq(count_lines(p.out), 1);
	ck_assert_msg(strstr(p.out, "\"text\":\"tres\",\"network\":\"two\",\"room\":\"a\"}"),
	              "got: %s", p.out);
	print_history("10", NULL, "three:a", false, &p); /* no network three: a room of one */
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.out, "");
	ck_assert_msg(strstr(p.err, "no messages in one:three:a"), "got: %s", p.err);
}
END_TEST

START_TEST(printed_room_of_the_one_backend)
{
	store_rooms();
	config_set(&cfg, "core", "backend", "two", "test"); /* no backends: backend */
	struct printed p;
	print_history("10", NULL, "a", false, &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_msg(strstr(p.out, "Ana: tres\n") && count_lines(p.out) == 1, "got: %s", p.out);
	print_history("10", NULL, "x", false, &p);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.out, "");
	ck_assert_msg(strstr(p.err, "no messages in two:x"), "got: %s", p.err);
	print_history("0", NULL, "a", false, &p);
	ck_assert_int_eq(p.rc, 64);
	ck_assert_msg(strstr(p.err, "--history N: N from 1 to 1000000, not '0'"), "got: %s", p.err);
}
END_TEST

static Suite *archive_suite(void)
{
	Suite *s = suite_create("archive");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_message_with_an_id_is_new_once);
	tcase_add_test(tc, an_arrival_made_again_keeps_nothing_of_the_last);
	tcase_add_test(tc, without_history_a_copy_is_known_past_thousands);
	tcase_add_test(tc, a_busy_rooms_rounds_share_a_write);
	tcase_add_test(tc, a_busy_group_nothing_is_held_for_grows_further);
	tcase_add_test(tc, without_history_held_acknowledgements_wait_as_for_a_write);
	tcase_add_test(tc, a_floods_group_waits_longer);
	tcase_add_test(tc, without_history_a_flood_waits_as_any_busy_group);
	tcase_add_test(tc, one_message_a_round_is_written_by_the_calm_most);
	tcase_add_test(tc, a_group_that_stalls_stops_waiting);
	tcase_add_test(tc, a_growing_group_waits_on_within_its_span);
	tcase_add_test(tc, a_group_of_two_networks_does_not_wait_on);
	tcase_add_test(tc, the_flush_timer_leaves_a_waiting_group);
	tcase_add_test(tc, a_failed_write_ends_the_waiting_group);
	tcase_add_test(tc, the_index_waits_for_the_writes_to_pause);
	tcase_add_test(tc, the_index_catches_up_in_a_room_that_never_pauses);
	tcase_add_test(tc, ones_and_twos_that_stall_are_written_at_once);
	tcase_add_test(tc, more_at_once_than_the_cap_ends_it);
	tcase_add_test(tc, a_calm_room_nobody_waits_for_shares_longer_writes);
	tcase_add_test(tc, spaced_messages_share_bigger_writes);
	tcase_add_test(tc, a_spaced_group_that_stops_growing_is_written_soon);
	tcase_add_test(tc, a_round_without_messages_does_not_space_a_group);
	tcase_add_test(tc, lone_messages_nobody_waits_for_wait_until_they_stall);
	tcase_add_test(tc, a_trickle_cap_binds_only_rounds_a_peer_waits_for);
	tcase_add_test(tc, a_waiting_peer_ends_a_calm_wait);
	tcase_add_test(tc, a_plain_message_repeats_only_within_the_digest_window);
	tcase_add_test(tc, a_retained_message_repeats_past_the_digest_window);
	tcase_add_test(tc, what_an_earlier_run_stored_is_a_repeat);
	tcase_add_test(tc, an_earlier_runs_last_messages_repeat_however_late);
	tcase_add_test(tc, a_message_in_flight_at_a_drop_repeats_however_late);
	tcase_add_test(tc, a_copy_marked_as_sent_again_repeats_past_the_window);
	tcase_add_test(tc, history_replies_say_what_was_found);
	tcase_add_test(tc, history_off_is_said);
	tcase_add_test(tc, history_unavailable_is_said);
	tcase_add_test(tc, history_and_search_of_one_room);
	tcase_add_test(tc, printed_json_says_network_room_and_to);
	tcase_add_test(tc, printed_lines_say_where_when_rooms_differ);
	tcase_add_test(tc, printed_room_is_read_against_the_networks);
	tcase_add_test(tc, printed_room_of_the_one_backend);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(archive_suite());
}
