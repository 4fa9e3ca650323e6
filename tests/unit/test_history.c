/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check_sql.h"
#include "dedup.h"
#include "history.h"

#define DAY_MS INT64_C(86400000)
#define NOW_MS INT64_C(1732570000000)

/* --- a temporary directory per test ------------------------------------ */

/* One base directory for the run, removed by main() whatever happened;
 * one subdirectory per test, removed by its teardown when it passes. */
static char base[64];
static char dir[128];
static char db_path[192];

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "%s/XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof db_path, "%s/history.db", dir);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_dir(void)
{
	remove_tree(dir);
}

static struct history *open_store_at(const char *path)
{
	struct strbuf err = STRBUF_INIT;
	struct history *h = history_open(path, &err);
	ck_assert_msg(h, "history_open: %s", strbuf_str(&err));
	strbuf_free(&err);
	return h;
}

static struct history *open_store(void)
{
	return open_store_at(db_path);
}

/* --- building and collecting messages ---------------------------------- */

static void add(struct history *h, const char *nick, const char *text, int64_t received_ms)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "", .nick = nick, .text = text,
	                          .topic = "room", .sender_id = "", .time_ms = received_ms};
	history_add(h, &msg, NULL, received_ms);
}

static void add_numbered(struct history *h, int from, int to)
{
	char text[64];
	for (int i = from; i < to; i++) {
		snprintf(text, sizeof text, "message number %d", i);
		add(h, "Ana", text, NOW_MS + i);
	}
}

#define MAX_COLLECTED 2000

struct collected {
	size_t n;
	struct {
		enum mqc_msg_type type;
		unsigned flags;
		char id[32], nick[32], topic[32], sender_id[32], text[256];
		char network[32], room[32], to[32];
		int64_t time_ms;
	} m[MAX_COLLECTED];
};

static struct collected got;

static void collect(void *data, const struct mqc_message *msg)
{
	struct collected *c = data;
	ck_assert_uint_lt(c->n, MAX_COLLECTED);
	c->m[c->n].type = msg->type;
	c->m[c->n].flags = msg->flags;
	snprintf(c->m[c->n].id, sizeof c->m[0].id, "%s", msg->id);
	snprintf(c->m[c->n].nick, sizeof c->m[0].nick, "%s", msg->nick);
	snprintf(c->m[c->n].topic, sizeof c->m[0].topic, "%s", msg->topic);
	snprintf(c->m[c->n].sender_id, sizeof c->m[0].sender_id, "%s", msg->sender_id);
	snprintf(c->m[c->n].text, sizeof c->m[0].text, "%s", msg->text);
	snprintf(c->m[c->n].network, sizeof c->m[0].network, "%s", msg->network);
	snprintf(c->m[c->n].room, sizeof c->m[0].room, "%s", msg->room);
	snprintf(c->m[c->n].to, sizeof c->m[0].to, "%s", msg->to);
	c->m[c->n].time_ms = msg->time_ms;
	c->n++;
}

static int last(struct history *h, size_t n)
{
	memset(&got, 0, sizeof got);
	return history_last(h, n, collect, &got);
}

static int search(struct history *h, const char *words, size_t limit)
{
	memset(&got, 0, sizeof got);
	int n = history_search(h, words, limit, collect, &got);
	ck_assert_msg(n >= 0, "search [%s] failed: %s", words, history_error(h));
	return n;
}

static void check_numbered(size_t at, int number)
{
	char want[64];
	snprintf(want, sizeof want, "message number %d", number);
	ck_assert_str_eq(got.m[at].text, want);
}

/* Rows in the file, read through a connection of our own. */
static int64_t rows_on_disk(void)
{
	return sql_number(db_path, "SELECT count(*) FROM messages");
}

/* The full-text index holds exactly the words of the rows in the table. */
static void check_search_index(void)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(db,
	                      "INSERT INTO messages_fts(messages_fts, rank) "
	                      "VALUES ('integrity-check', 1)",
	                      NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "search index out of step: %s", err ? err : "");
	sqlite3_free(err);
	sqlite3_close(db);
}

/* --- insert, flush, replay --------------------------------------------- */

START_TEST(add_buffers_and_flush_writes)
{
	struct history *h = open_store();
	add_numbered(h, 0, 5);
	ck_assert_uint_eq(history_pending(h), 5);
	ck_assert_int_eq(rows_on_disk(), 0); /* nothing on disk before a flush */
	ck_assert_int_eq(history_flush(h), 5);
	ck_assert_uint_eq(history_pending(h), 0);
	ck_assert_int_eq(rows_on_disk(), 5);
	ck_assert_int_eq(history_flush(h), 0);
	ck_assert_int_eq(history_close(h), 0);
}
END_TEST

START_TEST(flush_some_writes_the_oldest_first)
{
	struct history *h = open_store();
	add_numbered(h, 0, 10);
	ck_assert_int_eq(history_flush_some(h, 4, false), 4);
	ck_assert_uint_eq(history_pending(h), 6);
	ck_assert_int_eq(rows_on_disk(), 4);
	ck_assert_int_eq(history_flush_some(h, 100, false), 6);
	ck_assert_int_eq(history_flush_some(h, 5, false), 0);
	ck_assert(!history_has_idle_work(h));
	ck_assert_int_eq(last(h, 100), 10);
	for (int i = 0; i < 10; i++)
		check_numbered((size_t)i, i);
	ck_assert_int_eq(search(h, "number", 100), 10);
	check_search_index();
	history_close(h);
}
END_TEST

/* Rows in the full-text index, counted by asking it directly. */
static int indexed_rows(void)
{
	return (int)sql_number(db_path, "SELECT count(*) FROM messages_fts"
	                                " WHERE messages_fts MATCH 'number'");
}

START_TEST(a_flood_is_indexed_later)
{
	struct history *h = open_store();
	int flood = HISTORY_INDEX_SLICE + 300;
	add_numbered(h, 0, flood);
	ck_assert_int_eq(history_flush_some(h, (size_t)flood, true), flood);
	ck_assert(history_has_idle_work(h));
	ck_assert_int_eq(indexed_rows(), 0);
	/* a calm flush of nothing indexes a slice, oldest first */
	ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert_int_eq(indexed_rows(), HISTORY_INDEX_SLICE);
	/* new rows wait behind the older ones: a slice more than they */
	add_numbered(h, flood, flood + 10);
	ck_assert_int_eq(history_flush_some(h, 10, false), 10);
	ck_assert_int_eq(indexed_rows(), flood + 10);
	ck_assert(!history_has_idle_work(h));
	check_search_index();
	history_close(h);
}
END_TEST

/* A round's write (what its acknowledgements wait on) stores the rows
 * and leaves their indexing to a calm flush of nothing, one for all. */
START_TEST(a_rounds_write_is_indexed_by_the_next_calm_flush)
{
	struct history *h = open_store();
	for (int round = 0; round < 3; round++) {
		add_numbered(h, round, round + 1);
		ck_assert_int_eq(history_store_pending(h), 1);
	}
	ck_assert_int_eq(rows_on_disk(), 3);
	ck_assert_int_eq(indexed_rows(), 0);
	ck_assert(history_has_idle_work(h));
	ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert_int_eq(indexed_rows(), 3);
	ck_assert(!history_has_idle_work(h));
	check_search_index();
	history_close(h);
}
END_TEST

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* The log's length in 4 KiB pages, from the size of its file. */
static off_t log_pages(void)
{
	char wal[sizeof db_path + 8];
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	return file_size(wal) / 4096;
}

START_TEST(a_flood_leaves_the_log_to_a_calm_flush)
{
	/* A log longer than the longest calm length (CHECKPOINT_PAGES * 1.5,
	 * 375 pages), shorter than the shortest flood's (WAL_MAX_PAGES / 2,
	 * 2 048).  Until a checkpoint copies it back, the file itself holds
	 * little more than the schema. */
	struct history *h = open_store();
	for (int from = 0; from < 40000; from += 10000) {
		add_numbered(h, from, from + 10000);
		ck_assert_int_eq(history_flush_some(h, 10000, true), 10000);
	}
	ck_assert_int_gt(log_pages(), 375);
	ck_assert_int_lt(log_pages(), 2048);
	ck_assert_int_lt(file_size(db_path), 100 * 1024);
	while (history_has_idle_work(h))
		ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert_int_gt(file_size(db_path), 512 * 1024);
	history_close(h);
}
END_TEST

START_TEST(rounds_leave_a_calm_log_to_the_flush_timer)
{
	/* Past the longest calm length (CHECKPOINT_PAGES * 1.5, 375 pages),
	 * short of a flood's (WAL_MAX_PAGES / 2, 2 048): a round's write, which
	 * the next line or the round's acknowledgements wait on, copies
	 * nothing back (the file would grow); the calm flush does. */
	struct history *h = open_store();
	off_t size = file_size(db_path);
	int round = 0;
	for (; log_pages() < 400 && round < 1500; round++) {
		add_numbered(h, round, round + 1);
		ck_assert_int_eq(history_store_pending(h), 1);
		ck_assert_int_eq(file_size(db_path), size);
	}
	ck_assert_int_lt(log_pages(), 1024);
	ck_assert(history_has_idle_work(h));
	ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert_int_gt(file_size(db_path), size);
	history_close(h);
}
END_TEST

/* The rounds (one message each, as in a paced room) after which the store
 * at `path` copied its log back, seen as its file growing: up to `max` in
 * `at`; returns how many. */
static int copies_back(const char *path, int rounds, int *at, int max)
{
	struct history *h = open_store_at(path);
	int n = 0;
	off_t size = file_size(path);
	for (int i = 0; i < rounds; i++) {
		add_numbered(h, i, i + 1);
		ck_assert_int_eq(history_store_pending(h), 1);
		if (i % 40 == 39) /* the flush timer indexes what came meanwhile */
			ck_assert_int_eq(history_flush_some(h, 0, false), 0);
		off_t now = file_size(path);
		if (now != size && n < max)
			at[n++] = i;
		size = now;
	}
	history_close(h);
	return n;
}

START_TEST(stores_fed_alike_copy_back_at_different_moments)
{
	/* The mqchats of one room: their logs grow in step (CHECKPOINT_PAGES). */
	char other[sizeof db_path + 8];
	snprintf(other, sizeof other, "%s.other", db_path);
	int a[64], b[64];
	int na = copies_back(db_path, 3000, a, 64), nb = copies_back(other, 3000, b, 64);
	ck_assert_int_ge(na, 3);
	ck_assert_int_ge(nb, 3);
	size_t n = (size_t)(na < nb ? na : nb);
	ck_assert_msg(memcmp(a, b, n * sizeof *a) != 0,
	              "both stores copied back after the same %zu rounds", n);
}
END_TEST

START_TEST(in_a_long_flood_the_index_lag_is_bounded)
{
	struct history *h = open_store();
	const int batch = 2000, total = HISTORY_INDEX_LAG_MAX + 5 * batch;
	for (int i = 0; i < total; i += batch) {
		add_numbered(h, i, i + batch);
		ck_assert_int_eq(history_flush_some(h, (size_t)batch, true), batch);
	}
	int behind = total - indexed_rows();
	/* Past the bound a flush indexes what it writes, a slice at least. */
	int indexed_most = batch > HISTORY_INDEX_SLICE ? batch : HISTORY_INDEX_SLICE;
	ck_assert_int_le(behind, HISTORY_INDEX_LAG_MAX + batch);
	ck_assert_int_ge(behind, HISTORY_INDEX_LAG_MAX - indexed_most);
	history_close(h);
}
END_TEST

START_TEST(a_reader_holding_the_log_does_not_keep_the_store_busy)
{
	/* Another process in a read transaction keeps the log from being
	 * copied back: the idle work must still come to an end. */
	struct history *h = open_store();
	add_numbered(h, 0, 10);
	ck_assert_int_eq(history_flush(h), 10);
	sqlite3 *reader;
	ck_assert_int_eq(sqlite3_open(db_path, &reader), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM messages;", NULL, NULL,
	                              NULL),
	                 SQLITE_OK);
	add_numbered(h, 10, 15010);
	ck_assert_int_eq(history_flush_some(h, 15000, true), 15000);
	int flushes = 0;
	for (; history_has_idle_work(h) && flushes < 100; flushes++)
		ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert(!history_has_idle_work(h));
	ck_assert_int_lt(flushes, 100);
	sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(reader);
	history_close(h);
}
END_TEST

START_TEST(a_search_brings_the_index_up_to_date)
{
	struct history *h = open_store();
	add_numbered(h, 0, 300);
	ck_assert_int_eq(history_flush_some(h, 300, true), 300);
	ck_assert_int_eq(indexed_rows(), 0);
	/* (FTS5's integrity check takes rows not indexed yet for damage) */
	ck_assert_int_eq(search(h, "number", 1000), 300);
	ck_assert_int_eq(indexed_rows(), 300);
	ck_assert(!history_has_idle_work(h));
	check_search_index();
	history_close(h);
}
END_TEST

/* More than a search indexes in one transaction: it goes on until the
 * newest row is in. */
START_TEST(a_search_indexes_in_as_many_passes_as_it_takes)
{
	struct history *h = open_store();
	const int total = 2 * HISTORY_INDEX_BEFORE_SEARCH + 100;
	for (int i = 0; i < total; i += 1000) {
		int n = total - i < 1000 ? total - i : 1000;
		add_numbered(h, i, i + n);
		ck_assert_int_eq(history_flush_some(h, (size_t)n, true), n);
	}
	ck_assert_int_eq(indexed_rows(), 0);
	char newest[16];
	snprintf(newest, sizeof newest, "%d", total - 1);
	ck_assert_int_eq(search(h, newest, 10), 1);
	check_numbered(0, total - 1);
	ck_assert_int_eq(search(h, "0", 10), 1);
	check_numbered(0, 0);
	ck_assert_int_eq(indexed_rows(), total);
	ck_assert(!history_has_idle_work(h));
	history_close(h);
}
END_TEST

START_TEST(pruning_rows_not_indexed_keeps_the_index_whole)
{
	struct history *h = open_store();
	add_numbered(h, 0, 50);
	ck_assert_int_eq(history_flush(h), 50);
	add_numbered(h, 50, 150);
	ck_assert_int_eq(history_flush_some(h, 100, true), 100);
	ck_assert_int_eq(indexed_rows(), 50);
	/* deletes 50 indexed rows and 80 that are not */
	ck_assert_int_eq(history_prune(h, 20, 0, NOW_MS), 130);
	ck_assert_int_eq(search(h, "number", 1000), 20);
	check_numbered(0, 130);
	check_search_index();
	history_close(h);
}
END_TEST

START_TEST(another_process_catches_the_index_up)
{
	struct history *h = open_store();
	add_numbered(h, 0, 40);
	ck_assert_int_eq(history_flush_some(h, 40, true), 40);
	struct history *other = open_store();
	ck_assert(history_has_idle_work(other));
	ck_assert_int_eq(history_flush_some(other, 0, false), 0);
	ck_assert(!history_has_idle_work(other));
	ck_assert_int_eq(indexed_rows(), 40);
	/* the first one still thinks 40 wait, looks, and indexes none twice */
	ck_assert(history_has_idle_work(h));
	ck_assert_int_eq(history_flush_some(h, 0, false), 0);
	ck_assert(!history_has_idle_work(h));
	check_search_index();
	history_close(other);
	history_close(h);
}
END_TEST

/* Two processes sharing the file: a search in one finds what the other
 * wrote since, and left to its own index timer (history_store_pending). */
START_TEST(a_search_finds_rows_another_process_has_not_indexed)
{
	struct history *searcher = open_store();
	struct history *writer = open_store();
	add_numbered(writer, 0, 40);
	ck_assert_int_eq(history_store_pending(writer), 40);
	ck_assert_int_eq(indexed_rows(), 0);
	ck_assert_int_eq(search(searcher, "number", 1000), 40);
	ck_assert_int_eq(indexed_rows(), 40);
	check_search_index();
	history_close(writer);
	history_close(searcher);
}
END_TEST

START_TEST(adding_while_slices_are_written_keeps_order)
{
	/* Slices free the front of the buffer while new messages arrive at
	 * its end: the space is reused, the order kept. */
	struct history *h = open_store();
	int added = 0;
	for (int round = 0; round < 20; round++) {
		add_numbered(h, added, added + 37);
		added += 37;
		ck_assert_int_eq(history_flush_some(h, 29, false), 29);
	}
	ck_assert_uint_eq(history_pending(h), (size_t)(20 * (37 - 29)));
	ck_assert_int_eq(last(h, 1000), added);
	for (int i = 0; i < added; i++)
		check_numbered((size_t)i, i);
	check_search_index();
	history_close(h);
}
END_TEST

START_TEST(replay_keeps_every_field_and_order)
{
	struct history *h = open_store();
	struct mqc_message sent = {.type = MQC_MSG_ACTION, .flags = MQC_MSG_OWN, .id = "abc123",
	                           .nick = "Ana", .text = "waves", .topic = "room/x",
	                           .sender_id = "feedf00d", .time_ms = NOW_MS - 5,
	                           .network = "one", .room = "room/x", .to = ""};
	history_add(h, &sent, "id:abc123", NOW_MS);
	struct mqc_message join = {.type = MQC_MSG_JOIN, .flags = MQC_MSG_UNVERIFIED, .id = "",
	                           .nick = "Bo", .text = "",
	                           .topic = "room/x", .sender_id = "", .time_ms = 0,
	                           .network = "two", .room = "", .to = "Ana"};
	history_add(h, &join, NULL, NOW_MS + 1);
	struct mqc_message leave = {.type = MQC_MSG_LEAVE, .nick = "Bo", .time_ms = NOW_MS + 2};
	history_add(h, &leave, NULL, 0); /* NULL strings, received = time_ms */
	ck_assert_int_eq(history_flush(h), 3);

	ck_assert_int_eq(last(h, 10), 3);
	ck_assert_int_eq(got.m[0].type, MQC_MSG_ACTION);
	ck_assert_uint_eq(got.m[0].flags, MQC_MSG_HISTORY | MQC_MSG_OWN);
	ck_assert_str_eq(got.m[0].id, "abc123");
	ck_assert_str_eq(got.m[0].nick, "Ana");
	ck_assert_str_eq(got.m[0].text, "waves");
	ck_assert_str_eq(got.m[0].topic, "room/x");
	ck_assert_str_eq(got.m[0].sender_id, "feedf00d");
	ck_assert_int_eq(got.m[0].time_ms, NOW_MS - 5); /* the time sent */
	ck_assert_str_eq(got.m[0].network, "one");
	ck_assert_str_eq(got.m[0].room, "room/x");
	ck_assert_str_eq(got.m[0].to, "");

	ck_assert_int_eq(got.m[1].type, MQC_MSG_JOIN);
	ck_assert_uint_eq(got.m[1].flags, MQC_MSG_HISTORY | MQC_MSG_UNVERIFIED);
	ck_assert_int_eq(got.m[1].time_ms, NOW_MS + 1); /* sent unknown: received */
	ck_assert_str_eq(got.m[1].network, "two");
	ck_assert_str_eq(got.m[1].room, "");
	ck_assert_str_eq(got.m[1].to, "Ana");

	ck_assert_int_eq(got.m[2].type, MQC_MSG_LEAVE);
	ck_assert_str_eq(got.m[2].id, "");
	ck_assert_str_eq(got.m[2].topic, "");
	ck_assert_int_eq(got.m[2].time_ms, NOW_MS + 2);
	ck_assert_str_eq(got.m[2].network, ""); /* NULL from an older caller */
	ck_assert_str_eq(got.m[2].room, "");
	ck_assert_str_eq(got.m[2].to, "");
	history_close(h);
}
END_TEST

/* A flush of 19 rows (statements of eight, then one by one): each row
 * keeps its own fields, in order; a copy of an id already stored in the
 * same flush is left out, and only it. */
START_TEST(a_flush_of_many_rows_keeps_each_row_in_order)
{
	struct history *h = open_store();
	char nick[19][16], text[19][16], net[19][16], room[19][16], sender[19][16];
	for (int i = 0; i < 19; i++) {
		snprintf(nick[i], sizeof nick[i], "n%d", i);
		snprintf(text[i], sizeof text[i], "text %d", i);
		snprintf(net[i], sizeof net[i], "net%d", i);
		snprintf(room[i], sizeof room[i], "r%d", i);
		snprintf(sender[i], sizeof sender[i], "s%d", i);
		struct mqc_message msg = {
			.type = i % 2 ? MQC_MSG_ACTION : MQC_MSG_MESSAGE,
			.flags = (i % 3 ? MQC_MSG_OWN : 0) | (i % 4 ? 0 : MQC_MSG_UNVERIFIED),
			.id = i == 5 || i == 13 ? "dup" : "", .nick = nick[i], .text = text[i],
			.topic = room[i], .sender_id = sender[i], .time_ms = i % 2 ? NOW_MS - i : 0,
			.network = net[i], .room = room[i], .to = ""};
		history_add(h, &msg, i == 5 || i == 13 ? "id:dup" : NULL, NOW_MS + i);
	}
	ck_assert_int_eq(history_flush(h), 19);
	ck_assert_int_eq(last(h, 30), 18);
	for (size_t at = 0; at < 18; at++) {
		int i = (int)at < 13 ? (int)at : (int)at + 1; /* the second "dup" is left out */
		ck_assert_int_eq(got.m[at].type, i % 2 ? MQC_MSG_ACTION : MQC_MSG_MESSAGE);
		ck_assert_uint_eq(got.m[at].flags, MQC_MSG_HISTORY | (i % 3 ? MQC_MSG_OWN : 0) |
		                                       (i % 4 ? 0 : MQC_MSG_UNVERIFIED));
		ck_assert_str_eq(got.m[at].id, i == 5 ? "dup" : "");
		ck_assert_str_eq(got.m[at].nick, nick[i]);
		ck_assert_str_eq(got.m[at].text, text[i]);
		ck_assert_str_eq(got.m[at].topic, room[i]);
		ck_assert_str_eq(got.m[at].sender_id, sender[i]);
		ck_assert_int_eq(got.m[at].time_ms, i % 2 ? NOW_MS - i : NOW_MS + i);
		ck_assert_str_eq(got.m[at].network, net[i]);
		ck_assert_str_eq(got.m[at].room, room[i]);
	}
	history_close(h);
}
END_TEST

/* --- rooms ---------------------------------------------------------------- */

static void add_in(struct history *h, const char *network, const char *room, const char *to,
                   const char *text, int64_t received_ms)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "", .nick = "Ana", .text = text,
	                          .topic = room, .sender_id = "", .time_ms = received_ms,
	                          .network = network, .room = room, .to = to};
	history_add(h, &msg, NULL, received_ms);
}

static int last_in(struct history *h, const char *network, const char *room, size_t n)
{
	memset(&got, 0, sizeof got);
	struct roomref where = {(char *)network, (char *)room};
	return history_last_in(h, &where, n, collect, &got);
}

static int search_in(struct history *h, const char *network, const char *room,
                     const char *words, size_t limit)
{
	memset(&got, 0, sizeof got);
	struct roomref where = {(char *)network, (char *)room};
	int n = history_search_in(h, &where, words, limit, collect, &got);
	ck_assert_msg(n >= 0, "search [%s] failed: %s", words, history_error(h));
	return n;
}

/* Three rooms, interleaved: "one:a" says 0, 3, 6 ...; "one:b" 1, 4, 7 ...;
 * "two:a" 2, 5, 8 ... (the same room name on another network). */
static void add_three_rooms(struct history *h, int n)
{
	static const char *const places[3][2] = {{"one", "a"}, {"one", "b"}, {"two", "a"}};
	char text[64];
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof text, "message number %d", i);
		add_in(h, places[i % 3][0], places[i % 3][1], "", text, NOW_MS + i);
	}
}

START_TEST(last_of_one_room)
{
	struct history *h = open_store();
	add_three_rooms(h, 30);
	add_in(h, "one", "", "Bo", "message number private", NOW_MS + 30);
	ck_assert_int_eq(last_in(h, "one", "a", 4), 4); /* the newest 4 of the room */
	for (int i = 0; i < 4; i++) {
		check_numbered((size_t)i, 18 + 3 * i);
		ck_assert_str_eq(got.m[i].network, "one");
		ck_assert_str_eq(got.m[i].room, "a");
	}
	ck_assert_int_eq(last_in(h, "two", "a", 100), 10);
	check_numbered(0, 2);
	check_numbered(9, 29);
	ck_assert_int_eq(last_in(h, "one", "c", 100), 0);
	ck_assert_int_eq(last_in(h, "three", "a", 100), 0);
	ck_assert_int_eq(last_in(h, "one", "b", 0), 0);
	ck_assert_int_eq(last(h, 100), 31); /* every room */
	ck_assert_str_eq(got.m[30].to, "Bo");
	history_close(h);
}
END_TEST

/* What a history service answers: a room's messages and actions after a
 * time, the newest `n` of them, never its joins and leaves. */
START_TEST(said_in_one_room_after_a_time)
{
	struct history *h = open_store();
	add_in(h, "one", "a", "", "early", NOW_MS);
	add_in(h, "one", "a", "", "later", NOW_MS + 10);
	struct mqc_message join = {.type = MQC_MSG_JOIN, .id = "", .nick = "Bo", .text = "",
	                           .topic = "a", .sender_id = "", .time_ms = NOW_MS + 11,
	                           .network = "one", .room = "a", .to = ""};
	history_add(h, &join, NULL, NOW_MS + 11);
	add_in(h, "one", "b", "", "elsewhere", NOW_MS + 12);
	add_in(h, "one", "a", "", "last", NOW_MS + 13);
	struct roomref where = {"one", "a"};
	memset(&got, 0, sizeof got);
	ck_assert_int_eq(history_said_in(h, &where, 0, 10, collect, &got), 3);
	ck_assert_str_eq(got.m[0].text, "early");
	ck_assert_str_eq(got.m[2].text, "last");
	memset(&got, 0, sizeof got);
	ck_assert_int_eq(history_said_in(h, &where, NOW_MS, 10, collect, &got), 2);
	ck_assert_str_eq(got.m[0].text, "later");
	memset(&got, 0, sizeof got);
	ck_assert_int_eq(history_said_in(h, &where, 0, 1, collect, &got), 1);
	ck_assert_str_eq(got.m[0].text, "last");
	history_close(h);
}
END_TEST

START_TEST(search_of_one_room)
{
	struct history *h = open_store();
	add_three_rooms(h, 30);
	/* the limit counts the room's matches, not every match */
	ck_assert_int_eq(search_in(h, "one", "b", "number", 3), 3);
	check_numbered(0, 22);
	check_numbered(1, 25);
	check_numbered(2, 28);
	ck_assert_int_eq(search_in(h, "one", "b", "number 4", 10), 1);
	check_numbered(0, 4);
	ck_assert_int_eq(search_in(h, "one", "b", "number 5", 10), 0); /* said in two:a */
	ck_assert_int_eq(search_in(h, "one", "nowhere", "number", 10), 0);
	ck_assert_int_eq(search(h, "number", 100), 30);
	history_close(h);
}
END_TEST

START_TEST(replay_last_n_across_flushes)
{
	struct history *h = open_store();
	add_numbered(h, 0, 10);
	history_flush(h);
	add_numbered(h, 10, 20);
	history_flush(h);
	add_numbered(h, 20, 30); /* left unflushed: reads flush first */

	ck_assert_int_eq(last(h, 12), 12);
	for (int i = 0; i < 12; i++)
		check_numbered((size_t)i, 18 + i);
	ck_assert_int_eq(last(h, 1), 1);
	check_numbered(0, 29);
	ck_assert_int_eq(last(h, 1000), 30);
	check_numbered(0, 0);
	check_numbered(29, 29);
	ck_assert_int_eq(last(h, 0), 0);
	ck_assert_int_eq(last(h, SIZE_MAX), 30);
	history_close(h);
}
END_TEST

START_TEST(replay_of_an_empty_store)
{
	struct history *h = open_store();
	ck_assert_int_eq(last(h, 20), 0);
	ck_assert_int_eq(search(h, "anything", 20), 0);
	history_close(h);
}
END_TEST

START_TEST(status_and_replayed_messages_are_not_stored)
{
	struct history *h = open_store();
	struct mqc_message status = {.type = MQC_MSG_STATUS, .nick = "", .text = "connected"};
	history_add(h, &status, NULL, NOW_MS);
	struct mqc_message replayed = {.type = MQC_MSG_MESSAGE, .flags = MQC_MSG_HISTORY,
	                               .nick = "Ana", .text = "old"};
	history_add(h, &replayed, NULL, NOW_MS);
	ck_assert_uint_eq(history_pending(h), 0);
	ck_assert_int_eq(last(h, 10), 0);
	history_close(h);
}
END_TEST

START_TEST(close_flushes_and_reopen_keeps_everything)
{
	struct history *h = open_store();
	add_numbered(h, 0, 7);
	ck_assert_int_eq(history_close(h), 0); /* no explicit flush */
	h = open_store();
	ck_assert_int_eq(last(h, 100), 7);
	check_numbered(6, 6);
	add_numbered(h, 7, 8);
	history_close(h);
	h = open_store();
	ck_assert_int_eq(last(h, 100), 8);
	history_close(h);
	ck_assert_int_eq(history_close(NULL), 0);
}
END_TEST

START_TEST(sql_looking_text_is_just_text)
{
	struct history *h = open_store();
	const char *evil = "'); DROP TABLE messages; -- \" ? ?1 :x @y $z %";
	add(h, "Robert'); --", evil, NOW_MS);
	ck_assert_int_eq(last(h, 5), 1);
	ck_assert_str_eq(got.m[0].text, evil);
	ck_assert_str_eq(got.m[0].nick, "Robert'); --");
	ck_assert_int_eq(rows_on_disk(), 1);
	history_close(h);
}
END_TEST

static int add_while_replaying_calls;
static void add_while_replaying(void *data, const struct mqc_message *msg)
{
	struct history *h = data;
	add_while_replaying_calls++;
	add(h, "echo", msg->text, NOW_MS + 100);
}

START_TEST(callback_may_add)
{
	struct history *h = open_store();
	add_numbered(h, 0, 3);
	ck_assert_int_eq(history_last(h, 10, add_while_replaying, h), 3);
	ck_assert_int_eq(add_while_replaying_calls, 3);
	ck_assert_uint_eq(history_pending(h), 3);
	ck_assert_int_eq(last(h, 10), 6);
	history_close(h);
}
END_TEST

/* --- search ------------------------------------------------------------- */

static void add_conversation(struct history *h)
{
	add(h, "Ana", "hola a todos", NOW_MS + 1);
	add(h, "Bo", "¿Qué tal el examen?", NOW_MS + 2);
	add(h, "Ana", "el examen fue fácil", NOW_MS + 3);
	add(h, "Cy", "x marks the spot - x", NOW_MS + 4);
	add(h, "Bo", "NEAR the AND gate OR not", NOW_MS + 5);
	add(h, "Dee", "say \"quoted\" things * now", NOW_MS + 6);
}

START_TEST(search_finds_words)
{
	struct history *h = open_store();
	add_conversation(h);
	ck_assert_int_eq(search(h, "examen", 10), 2);
	ck_assert_str_eq(got.m[0].nick, "Bo"); /* oldest first */
	ck_assert_str_eq(got.m[1].nick, "Ana");
	ck_assert_uint_eq(got.m[0].flags & MQC_MSG_HISTORY, MQC_MSG_HISTORY);
	/* every word must be there */
	ck_assert_int_eq(search(h, "examen facil", 10), 1);
	ck_assert_str_eq(got.m[0].text, "el examen fue fácil");
	ck_assert_int_eq(search(h, "examen nadie", 10), 0);
	/* case and accents are ignored */
	ck_assert_int_eq(search(h, "QUE", 10), 1);
	ck_assert_int_eq(search(h, "  Fácil\t", 10), 1);
	/* the nick is searched too */
	ck_assert_int_eq(search(h, "dee", 10), 1);
	ck_assert_int_eq(search(h, "ana hola", 10), 1);
	/* a word is a word, not a prefix */
	ck_assert_int_eq(search(h, "exam", 10), 0);
	history_close(h);
}
END_TEST

/* The index keeps no positions (search_words.h): a word the tokenizer
 * cuts in two finds the messages holding both parts, wherever they stand. */
START_TEST(search_words_are_the_tokenizers)
{
	struct history *h = open_store();
	add(h, "Ana", "don't panic", NOW_MS + 1);
	add(h, "Bo", "a t-shirt, don", NOW_MS + 2);
	add(h, "Cy", "do not", NOW_MS + 3);
	ck_assert_int_eq(search(h, "don't", 10), 2);
	ck_assert_str_eq(got.m[0].nick, "Ana");
	ck_assert_str_eq(got.m[1].nick, "Bo");
	ck_assert_int_eq(search(h, "DON'T PANIC", 10), 1);
	ck_assert_int_eq(search(h, "t-shirt", 10), 1);
	ck_assert_int_eq(search(h, "shirt", 10), 1);
	ck_assert_int_eq(search(h, "'", 10), 0);
	history_close(h);
}
END_TEST

START_TEST(search_newest_matches_oldest_first)
{
	struct history *h = open_store();
	add_numbered(h, 0, 50);
	ck_assert_int_eq(search(h, "message number", 5), 5);
	for (int i = 0; i < 5; i++)
		check_numbered((size_t)i, 45 + i);
	ck_assert_int_eq(search(h, "number", 0), 0);
	ck_assert_int_eq(search(h, "number", 1000), 50);
	ck_assert_int_eq(search(h, "17", 10), 1);
	check_numbered(0, 17);
	history_close(h);
}
END_TEST

/* Searching, replaying and pruning prepare their statements at first
 * use: one that cannot be prepared then (the table gone under us) is an
 * error naming what failed, and the store goes on. */
START_TEST(statements_prepared_at_first_use_report_failure)
{
	struct history *h = open_store();
	add_numbered(h, 0, 3);
	ck_assert_int_eq(history_flush(h), 3);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE messages RENAME TO gone", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	memset(&got, 0, sizeof got);
	ck_assert_int_eq(history_search(h, "message", 10, collect, &got), -1);
	ck_assert_msg(strstr(history_error(h), "no such table"), "%s", history_error(h));
	ck_assert_int_eq(last(h, 10), -1);
	ck_assert_int_eq(history_prune(h, 1, 0, NOW_MS), -1);
	history_close(h);
}
END_TEST

START_TEST(search_hostile_input_is_never_syntax)
{
	struct history *h = open_store();
	add_conversation(h);
	const char *hostile[] = {"\"",       "\"\"",   "\"\"\"", "*",         "NEAR(",
	                         "NEAR(x y", "-x",     "- x",    "AND(",      "AND",
	                         "OR",       "NOT",    "(",      ")",         "x:y",
	                         "text:x",   "^x",     "{nick}", "{nick}: x", "a + b",
	                         "'",        "\\",     "x*",     "\"x",       "x\"",
	                         ":",        "nick:",  "NEAR",   "*x*",       "%_",
	                         /* invalid UTF-8 inside a word */
	                         "\xba\xf9\x80\x80\x80\xbat"};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
		search(h, hostile[i], 10); /* asserts it did not fail */

	/* punctuation is no syntax: "-x" finds the word x */
	ck_assert_int_eq(search(h, "-x", 10), 1);
	ck_assert_str_eq(got.m[0].nick, "Cy");
	/* FTS keywords are plain words */
	ck_assert_int_eq(search(h, "NEAR(", 10), 1);
	ck_assert_int_eq(search(h, "AND(", 10), 1);
	ck_assert_int_eq(search(h, "or", 10), 1);
	ck_assert_int_eq(search(h, "hola OR examen", 10), 0); /* all three words */
	ck_assert_int_eq(search(h, "NOT", 10), 1);
	ck_assert_int_eq(search(h, "\"quoted\"", 10), 1);
	ck_assert_int_eq(search(h, "text:spot", 10), 0); /* no column filter */
	/* nothing to search for finds nothing */
	ck_assert_int_eq(search(h, "", 10), 0);
	ck_assert_int_eq(search(h, " \t ", 10), 0);
	ck_assert_int_eq(search(h, "*", 10), 0);
	ck_assert_int_eq(search(h, "\"", 10), 0);
	ck_assert_int_eq(history_search(h, NULL, 10, collect, &got), 0);
	/* punctuation next to a real word does not hide it */
	ck_assert_int_eq(search(h, "* spot", 10), 1);
	history_close(h);
}
END_TEST

START_TEST(search_after_reopen)
{
	struct history *h = open_store();
	add_conversation(h);
	history_close(h);
	h = open_store();
	ck_assert_int_eq(search(h, "hola", 10), 1);
	history_close(h);
}
END_TEST

/* --- retention ---------------------------------------------------------- */

START_TEST(prune_by_count)
{
	struct history *h = open_store();
	add_numbered(h, 0, 100);
	ck_assert_int_eq(history_prune(h, 0, 0, NOW_MS), 0);
	ck_assert_int_eq(history_prune(h, 500, 0, NOW_MS), 0);
	ck_assert_int_eq(history_prune(h, 10, 0, NOW_MS), 90);
	ck_assert_int_eq(last(h, 1000), 10);
	check_numbered(0, 90);
	check_numbered(9, 99);
	/* the full-text index followed the deletions */
	ck_assert_int_eq(search(h, "number", 1000), 10);
	ck_assert_int_eq(search(h, "5", 10), 0);
	ck_assert_int_eq(search(h, "95", 10), 1);
	ck_assert_int_eq(history_prune(h, 10, 0, NOW_MS), 0);
	ck_assert_int_eq(history_prune(h, 1, 0, NOW_MS), 9);
	ck_assert_int_eq(last(h, 1000), 1);
	check_numbered(0, 99);
	check_search_index();
	history_close(h);
}
END_TEST

START_TEST(prune_by_age)
{
	struct history *h = open_store();
	add(h, "Ana", "ten days old", NOW_MS - 10 * DAY_MS);
	add(h, "Ana", "eight days old", NOW_MS - 8 * DAY_MS);
	add(h, "Ana", "exactly seven days", NOW_MS - 7 * DAY_MS);
	add(h, "Ana", "one day old", NOW_MS - DAY_MS);
	add(h, "Ana", "fresh", NOW_MS);
	ck_assert_int_eq(history_prune(h, 0, 7, NOW_MS), 2);
	ck_assert_int_eq(last(h, 100), 3);
	ck_assert_str_eq(got.m[0].text, "exactly seven days");
	ck_assert_int_eq(search(h, "ten", 10), 0);
	/* an absurd number of days deletes nothing and does not overflow */
	ck_assert_int_eq(history_prune(h, 0, INT64_MAX, NOW_MS), 0);
	/* both limits at once: the count takes "seven days", the age "one
	 * day" (received a day and 1 ms before this now) */
	ck_assert_int_eq(history_prune(h, 2, 1, NOW_MS + 1), 1 + 1);
	ck_assert_int_eq(last(h, 100), 1);
	ck_assert_str_eq(got.m[0].text, "fresh");
	/* everything old: everything goes */
	ck_assert_int_eq(history_prune(h, 0, 1, NOW_MS + 2 * DAY_MS), 1);
	ck_assert_int_eq(last(h, 100), 0);
	ck_assert_int_eq(history_prune(h, 0, 1, NOW_MS + 2 * DAY_MS), 0);
	history_close(h);
}
END_TEST

/* --- duplicate keys ----------------------------------------------------- */

static void add_keyed(struct history *h, const char *id, int64_t received_ms)
{
	char key[64];
	snprintf(key, sizeof key, "id:%s", id);
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = "Ana",
	                          .text = "hi", .topic = "room", .sender_id = ""};
	history_add(h, &msg, key, received_ms);
}

START_TEST(has_key_knows_earlier_runs_only)
{
	struct history *h = open_store();
	add_keyed(h, "m1", NOW_MS);
	/* what this run adds, buffered or written, is the in-memory set's to
	 * know (the core asks dedup first) */
	ck_assert(!history_has_key(h, "id:m1", 0));
	history_flush(h);
	ck_assert(!history_has_key(h, "id:m1", 0));
	add(h, "Bo", "no key", NOW_MS); /* a message stored without a key */
	history_close(h);

	h = open_store();
	ck_assert(history_has_key(h, "id:m1", 0));
	ck_assert(history_has_key(h, "id:m1", NOW_MS));
	ck_assert(!history_has_key(h, "id:m1", NOW_MS + 1)); /* before the window */
	ck_assert(!history_has_key(h, "id:m2", 0));
	ck_assert(!history_has_key(h, "", 0)); /* no key matches no key */
	ck_assert(!history_has_key(h, NULL, 0));
	history_close(h);
}
END_TEST

START_TEST(has_key_of_an_empty_store)
{
	struct history *h = open_store();
	ck_assert(!history_has_key(h, "id:m1", 0));
	history_close(h);
}
END_TEST

START_TEST(has_key_recalls_the_newest_keys)
{
	struct history *h = open_store();
	char id[32];
	for (int i = 0; i < HISTORY_KEYS_RECALLED + 10; i++) {
		snprintf(id, sizeof id, "k%d", i);
		add_keyed(h, id, NOW_MS + i);
	}
	history_close(h);
	h = open_store();
	char key[40];
	for (int i = 0; i < HISTORY_KEYS_RECALLED + 10; i++) {
		snprintf(key, sizeof key, "id:k%d", i);
		ck_assert_msg(history_has_key(h, key, 0) == (i >= 10), "%s", key);
	}
	history_close(h);
}
END_TEST

START_TEST(has_key_ignores_what_others_store_later)
{
	/* Two mqchats share the file, and both receive what is said in the
	 * room: what the other one stores after we opened is not a repeat. */
	struct history *early = open_store();
	add_keyed(early, "before", NOW_MS);
	history_flush(early);
	struct history *late = open_store();
	add_keyed(early, "after", NOW_MS + 1);
	history_flush(early);
	ck_assert(history_has_key(late, "id:before", 0));
	ck_assert(!history_has_key(late, "id:after", 0));
	ck_assert(!history_has_key(early, "id:after", 0));
	history_close(early);
	history_close(late);
}
END_TEST

/* A message as the core stores it: under its identity's key. */
static void add_identified(struct history *h, const struct mqc_message *msg, int64_t ts,
                           int64_t received_ms)
{
	struct dedup_identity ident;
	dedup_identify(&ident, msg, ts, "room", msg->text, strlen(msg->text));
	history_add(h, msg, (ident.retained ? &ident.retained_key : &ident.key)->data,
	            received_ms);
	dedup_identity_free(&ident);
}

static bool has_message(struct history *h, const char *id, int64_t ts, const char *nick,
                        const char *text)
{
	struct strbuf key = STRBUF_INIT;
	dedup_message_key(&key, id, ts, nick, MQC_MSG_MESSAGE, text);
	bool found = history_has_message(h, key.data);
	strbuf_free(&key);
	return found;
}

static void add_said(struct history *h, const char *id, const char *nick, const char *text,
                     unsigned flags, int64_t ts)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .flags = flags, .id = id,
	                          .nick = nick, .text = text, .topic = "room",
	                          .sender_id = "", .time_ms = ts};
	add_identified(h, &msg, ts, ts);
}

/* A plain message received at `ts`, written at once as the only one. */
static void store_received(struct history *h, const char *nick, const char *text, int64_t ts)
{
	add_said(h, "", nick, text, 0, ts);
	ck_assert_int_eq(history_flush(h), 1);
}

START_TEST(has_key_after_restart_with_dedup_keys)
{
	/* What the core does: a key per message from dedup_identify(), and
	 * after a restart the in-memory set is empty but history remembers. */
	struct history *h = open_store();
	add_said(h, "0011aabb", "Ana", "one", 0, NOW_MS);
	add_said(h, "", "Ana", "hola", 0, NOW_MS);
	history_close(h);

	h = open_store();
	ck_assert(has_message(h, "0011aabb", NOW_MS, "Ana", "one"));
	struct strbuf digest_key = STRBUF_INIT;
	dedup_message_key(&digest_key, "", 0, "Ana", MQC_MSG_MESSAGE, "hola");
	/* a digest counts only within its window */
	ck_assert(history_has_key(h, strbuf_str(&digest_key), NOW_MS + 5000 - 10000));
	ck_assert(!history_has_key(h, strbuf_str(&digest_key), NOW_MS + 20000 - 10000));
	history_close(h);
	strbuf_free(&digest_key);
}
END_TEST

/* Issue 20, item 8: a replay of a stored json message is known at any
 * age, however much was said since; the same id with other content, or
 * another time, is not the same message. */
START_TEST(has_message_at_any_age)
{
	struct history *h = open_store();
	add_said(h, "old", "Ana", "said long ago", 0, NOW_MS - 400 * DAY_MS);
	char id[32];
	for (int i = 0; i < 3 * HISTORY_KEYS_RECALLED; i++) {
		snprintf(id, sizeof id, "k%d", i);
		add_said(h, id, "Bea", "hi", 0, NOW_MS + i);
	}
	history_close(h);

	h = open_store();
	ck_assert(has_message(h, "old", NOW_MS - 400 * DAY_MS, "Ana", "said long ago"));
	ck_assert(!has_message(h, "old", NOW_MS - 400 * DAY_MS, "Ana", "forged"));
	ck_assert(!has_message(h, "old", NOW_MS, "Ana", "said long ago"));
	ck_assert(!has_message(h, "never", NOW_MS, "Ana", "said long ago"));
	ck_assert(has_message(h, "k17", NOW_MS + 17, "Bea", "hi"));
	/* this run's: known buffered, and written */
	add_said(h, "new", "Ana", "now", 0, NOW_MS);
	ck_assert(has_message(h, "new", NOW_MS, "Ana", "now"));
	ck_assert_int_eq(history_flush(h), 1);
	ck_assert(has_message(h, "new", NOW_MS, "Ana", "now"));
	/* a plain key is history_has_key's */
	ck_assert(!history_has_message(h, "dg:0123456789abcdef"));
	ck_assert(!history_has_message(h, NULL));
	ck_assert_str_eq(history_error(h), "");
	history_close(h);
}
END_TEST

/* The filter is kept in the file at exit: the next start reads it and the
 * keys of rows stored after it, not every key. */
START_TEST(has_message_filter_kept_across_runs)
{
	struct history *h = open_store();
	add_said(h, "a", "Ana", "first run", 0, NOW_MS);
	history_load_ids(h);
	history_close(h);
	h = open_store(); /* never loads the filter: saves none */
	add_said(h, "b", "Ana", "second run", 0, NOW_MS + 1);
	history_close(h);

	h = open_store();
	ck_assert(has_message(h, "a", NOW_MS, "Ana", "first run"));
	ck_assert(has_message(h, "b", NOW_MS + 1, "Ana", "second run")); /* after it */
	history_close(h);

	/* A row planted under the filter's cover is not seen: the filter was
	 * read, not the keys. */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	struct strbuf key = STRBUF_INIT;
	dedup_message_key(&key, "c", NOW_MS, "Ana", MQC_MSG_MESSAGE, "planted");
	char *sql = sqlite3_mprintf(
		"INSERT INTO messages(id, topic, nick, sender_id, type, text, received_ms, own,"
		" dedup_key) VALUES ('c', 'room', 'Ana', '', 0, 'planted', 1, 0, %Q);"
		"UPDATE key_filter SET covered_upto = (SELECT max(seq) FROM messages);", key.data);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	h = open_store();
	ck_assert(!has_message(h, "c", NOW_MS, "Ana", "planted"));
	history_close(h);

	/* A damaged filter is not used: every key is read again. */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE key_filter SET filter = x'4d514b46'", NULL,
	                              NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	h = open_store();
	ck_assert(has_message(h, "c", NOW_MS, "Ana", "planted"));
	ck_assert(has_message(h, "a", NOW_MS, "Ana", "first run"));
	history_close(h);
	strbuf_free(&key);
}
END_TEST

/* The filter answers nearly every new message without SQLite: most
 * unknown keys are told apart in memory. */
START_TEST(has_message_rarely_asks_sqlite)
{
	struct history *h = open_store();
	char id[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "k%d", i);
		add_said(h, id, "Bea", "hi", 0, NOW_MS + i);
	}
	history_close(h);
	h = open_store();
	history_load_ids(h);
	/* Count the lookups that reach SQLite through its step counter. */
	sqlite3 *db = history_connection(h);
	int before = 0, hw = 0;
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &before, &hw, 0);
	int found = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "new%d", i);
		found += has_message(h, id, NOW_MS, "Bea", "hi");
	}
	int after = 0;
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_HIT, &after, &hw, 0);
	ck_assert_int_eq(found, 0);
	/* A lookup reads a few pages; 20 000 of them would read 50 000+. */
	ck_assert_int_lt(after - before, 20000 / 10);
	history_close(h);
}
END_TEST

/* Issue 19, item 4: two participants under one user share the file; each
 * stores what it sees, and each message is stored once. */
START_TEST(two_processes_store_one_message_once)
{
	struct history *a = open_store();
	struct history *b = open_store();
	/* json: Ana's own, and the same as Bea's process received it */
	add_said(a, "0a0a", "Ana", "hola Bea", MQC_MSG_OWN, NOW_MS);
	add_said(b, "0a0a", "Ana", "hola Bea", 0, NOW_MS);
	/* plain: the same, without an id on the receiving side */
	add_said(a, "0b0b", "Ana", "sin id", MQC_MSG_OWN, NOW_MS + 1);
	add_said(b, "", "Ana", "sin id", 0, NOW_MS + 40);
	/* plain, both received */
	add_said(a, "", "Pepe", "hola a todos", 0, NOW_MS + 50);
	add_said(b, "", "Pepe", "hola a todos", 0, NOW_MS + 52);
	/* said again a minute later: another message */
	add_said(b, "", "Pepe", "hola a todos", 0, NOW_MS + 60000);
	/* same id, other words (a forgery): both kept */
	add_said(b, "0a0a", "Ana", "forged", 0, NOW_MS);
	ck_assert_int_eq(history_flush(a), 3);
	ck_assert_int_eq(history_flush(b), 5);
	ck_assert_int_eq(rows_on_disk(), 5);
	ck_assert_int_eq(search(b, "hola", 10), 3);
	ck_assert_int_eq(search(a, "forged", 10), 1);
	/* the other order: b's first */
	store_received(b, "Bea", "primero", NOW_MS + 70000);
	store_received(a, "Bea", "primero", NOW_MS + 70003);
	ck_assert_int_eq(rows_on_disk(), 6);
	history_close(a);
	history_close(b);
}
END_TEST

/* A store reads what other processes stored since its own last write,
 * never its own rows: the same words said again a few seconds later are
 * another message, though they are within the window copies are looked
 * for in.  Each commit by another process between the writes. */
START_TEST(a_store_does_not_take_its_own_rows_for_anothers)
{
	struct history *a = open_store();
	struct history *b = open_store();
	store_received(a, "Pepe", "otra vez", NOW_MS);
	store_received(b, "Bea", "en medio", NOW_MS + 10);
	store_received(a, "Pepe", "y luego", NOW_MS + 20);
	store_received(b, "Bea", "otra vez en medio", NOW_MS + 30);
	store_received(a, "Pepe", "y luego", NOW_MS + 5000);
	ck_assert_int_eq(rows_on_disk(), 5);
	history_close(a);
	history_close(b);
}
END_TEST

/* A pass of the index alone (no message of ours in it) between another
 * process's commit and our next write does not hide that commit: the
 * write still reads the other's rows, and their copy is stored once. */
START_TEST(an_index_pass_does_not_hide_anothers_rows)
{
	struct history *a = open_store();
	struct history *b = open_store();
	add_said(a, "", "Pepe", "antes", 0, NOW_MS);
	ck_assert_int_eq(history_store_pending(a), 1); /* its index left behind */
	store_received(b, "Bea", "hola", NOW_MS + 10);
	ck_assert_int_eq(history_flush_some(a, 0, false), 0);
	store_received(a, "Bea", "hola", NOW_MS + 12);
	ck_assert_int_eq(rows_on_disk(), 2);
	history_close(a);
	history_close(b);
}
END_TEST

/* After a restart the broker hands back our own message (its echo,
 * queued in our session) as a plain receiver sees it: known at any age. */
START_TEST(own_message_known_as_plain_at_any_age)
{
	struct history *h = open_store();
	add_said(h, "0c0c", "Ana", "adiós", MQC_MSG_OWN, NOW_MS);
	add_said(h, "", "Bea", "not ours", 0, NOW_MS);
	history_close(h);
	h = open_store();
	struct strbuf key = STRBUF_INIT;
	dedup_message_key(&key, "", 0, "Ana", MQC_MSG_MESSAGE, "adiós");
	ck_assert(history_has_key(h, key.data, NOW_MS + DAY_MS));
	strbuf_reset(&key);
	dedup_message_key(&key, "", 0, "Bea", MQC_MSG_MESSAGE, "not ours");
	ck_assert(!history_has_key(h, key.data, NOW_MS + DAY_MS));
	ck_assert(history_has_key(h, key.data, NOW_MS - 10));
	strbuf_free(&key);
	history_close(h);
}
END_TEST

/* Issue 20, item 5: rows read back are sanitised like anything received,
 * whoever wrote them into the file. */
START_TEST(rows_read_back_are_sanitised)
{
	struct history *h = open_store();
	history_close(h);
	/* OSC 52 (clipboard), clear screen, a C1 CSI, a bidi override */
	const char *columns[] = {"i\x1b[2J", "room\x1b]0;t\x07", "Ev\x1b]52;c;cHduZWQ=\x07" "e",
	                         "clip\x1b]52;c;cHduZWQ=\x07 clear\x1b[2J c1\xc2\x9b" "31m"
	                         " bidi\xe2\x80\xae end"};
	sqlite3 *db;
	sqlite3_stmt *ins;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"INSERT INTO messages(id, topic, nick, sender_id, type, text, received_ms, own)"
		" VALUES (?1, ?2, ?3, '', 1, ?4, 5, 0)", -1, &ins, NULL), SQLITE_OK);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(ins, i + 1, columns[i], -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	h = open_store();
	ck_assert_int_eq(last(h, 10), 1);
	ck_assert_str_eq(got.m[0].nick, "Eve");
	ck_assert_str_eq(got.m[0].topic, "room");
	ck_assert_str_eq(got.m[0].id, "i");
	for (const char *p = got.m[0].text; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "raw byte in %s",
		              got.m[0].text);
	ck_assert(!strstr(got.m[0].text, "\xe2\x80\xae"));
	ck_assert(!strstr(got.m[0].text, "\xc2\x9b"));
	ck_assert(strstr(got.m[0].text, "clip") && strstr(got.m[0].text, "end"));
	ck_assert_int_eq(search(h, "clip", 10), 1);
	ck_assert(!strchr(got.m[0].text, 0x1b));
	history_close(h);
}
END_TEST

/* A retained message as the core stores it: under its retained key (a
 * digest of topic and payload; the text stands for the payload here). */
static void add_retained(struct history *h, const char *text, int64_t received_ms)
{
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .flags = MQC_MSG_RETAINED, .id = "",
	                          .nick = "Pepe", .text = text, .topic = "room", .sender_id = ""};
	add_identified(h, &msg, 0, received_ms);
}

static void retained_key(struct strbuf *key, const char *text)
{
	struct mqc_message msg = {.flags = MQC_MSG_RETAINED, .id = "", .nick = "Pepe",
	                          .text = text};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, 0, "room", text, strlen(text));
	strbuf_appends(key, ident.retained_key.data);
	dedup_identity_free(&ident);
}

static bool has_retained(struct history *h, const char *text)
{
	struct strbuf key = STRBUF_INIT;
	retained_key(&key, text);
	bool found = history_has_retained_key(h, strbuf_str(&key));
	strbuf_free(&key);
	return found;
}

START_TEST(retained_key_found_however_old_and_far_back)
{
	/* A retained message is the first thing a run sees, and comes again
	 * at the next start however much was said after it, however long
	 * ago. */
	struct history *h = open_store();
	add_retained(h, "server down", NOW_MS - 400 * DAY_MS);
	char id[32];
	for (int i = 0; i < HISTORY_KEYS_RECALLED + 10; i++) {
		snprintf(id, sizeof id, "k%d", i);
		add_keyed(h, id, NOW_MS + i);
	}
	add_retained(h, "added by this run", NOW_MS);
	history_flush(h);
	/* this run's own are the in-memory set's to know */
	ck_assert(!has_retained(h, "server down"));
	ck_assert(!has_retained(h, "added by this run"));
	history_close(h);

	h = open_store();
	ck_assert(has_retained(h, "server down"));
	ck_assert(has_retained(h, "added by this run"));
	struct strbuf key = STRBUF_INIT;
	retained_key(&key, "server down");
	/* beyond the newest keys that history_has_key() recalls */
	ck_assert(!history_has_key(h, strbuf_str(&key), 0));
	ck_assert(!has_retained(h, "server up"));
	ck_assert(!history_has_retained_key(h, "id:k5")); /* stored, but not retained */
	ck_assert(!history_has_retained_key(h, NULL));
	ck_assert_str_eq(history_error(h), "");
	strbuf_free(&key);
	history_close(h);

	/* gone with its message when retention removes it */
	h = open_store();
	ck_assert_int_gt(history_prune(h, 0, 365, NOW_MS), 0);
	history_close(h);
	h = open_store();
	ck_assert(!has_retained(h, "server down"));
	ck_assert(has_retained(h, "added by this run"));
	history_close(h);
}
END_TEST

START_TEST(retained_key_of_an_empty_store)
{
	struct history *h = open_store();
	ck_assert(!has_retained(h, "server down"));
	history_close(h);
}
END_TEST

START_TEST(retained_key_ignores_what_others_store_later)
{
	/* Two mqchats share the file: a retained message the other one
	 * stores after we opened is news to us, not a repeat. */
	struct history *early = open_store();
	add_retained(early, "before", NOW_MS);
	history_flush(early);
	struct history *late = open_store();
	add_retained(early, "after", NOW_MS + 1);
	history_flush(early);
	ck_assert(has_retained(late, "before"));
	ck_assert(!has_retained(late, "after"));
	history_close(early);
	history_close(late);
}
END_TEST

/* --- the file ----------------------------------------------------------- */

static void check_pragma(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), want);
	sqlite3_finalize(s);
}

/* The lookup of a retained key (history.c's HAS_RETAINED_KEY_SQL) finds it
 * in its own index, which holds retained keys only. */
static void check_retained_keys_indexed(sqlite3 *db)
{
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	                                    "EXPLAIN QUERY PLAN SELECT 1 FROM messages WHERE "
	                                    "dedup_key = 'rt:00' AND dedup_key >= 'rt:' AND "
	                                    "dedup_key < 'rt;' AND seq <= 9 LIMIT 1",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	const char *plan = (const char *)sqlite3_column_text(s, 3);
	ck_assert_msg(strstr(plan, "messages_by_retained_key"), "plan: %s", plan);
	sqlite3_finalize(s);
	check_pragma(db, "SELECT sql LIKE '% WHERE dedup_key >= %' FROM sqlite_master "
	                 "WHERE name = 'messages_by_retained_key'",
	             "1");
}

/* Turns today's file back into schema 8: an index with positions, every
 * row in it. */
#define DOWNGRADE_TO_8_SQL                                                                 \
	"DROP TABLE messages_fts;"                                                         \
	"CREATE VIRTUAL TABLE messages_fts USING fts5(text, nick,"                         \
	"  content='messages', content_rowid='seq', columnsize=0,"                        \
	"  tokenize='unicode61 remove_diacritics 2');"                                     \
	"INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0);"           \
	"INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');"                       \
	"UPDATE search_progress SET indexed_upto = (SELECT coalesce(max(seq), 0) FROM messages);" \
	"PRAGMA user_version = 8;"
/* Turns today's file back into schema 7: no unverified column. */
#define DOWNGRADE_TO_7_SQL                                                                 \
	DOWNGRADE_TO_8_SQL                                                                 \
	"ALTER TABLE messages DROP COLUMN unverified; PRAGMA user_version = 7;"
/* Turns today's file back into schema 6: no place columns. */
#define DOWNGRADE_TO_6_SQL                                                                 \
	DOWNGRADE_TO_7_SQL                                                                 \
	"ALTER TABLE messages DROP COLUMN network; ALTER TABLE messages DROP COLUMN room;"  \
	"ALTER TABLE messages DROP COLUMN recipient; PRAGMA user_version = 6;"

/* Turns today's file back into schema 3: every row indexed as written,
 * no search_progress, triggers without their WHEN. */
static const char DOWNGRADE_TO_3_SQL[] =
	DOWNGRADE_TO_6_SQL
	"DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update;"
	"DROP TABLE search_progress;"
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"
	"    VALUES ('delete', old.seq, old.text, old.nick);"
	"END;"
	"CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"
	"    VALUES ('delete', old.seq, old.text, old.nick);"
	"  INSERT INTO messages_fts(rowid, text, nick) VALUES (new.seq, new.text, new.nick);"
	"END;"
	"CREATE INDEX messages_by_received ON messages(received_ms);"
	"DROP INDEX messages_by_id_key; DROP TABLE key_filter;"
	"PRAGMA user_version = 3;";

static void check_schema_9(sqlite3 *db, const char *indexed_upto)
{
	check_pragma(db, "PRAGMA user_version", "9");
	check_pragma(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'"
	                 " AND sql LIKE '% detail=none%'",
	             "1");
	check_pragma(db, "SELECT count(*) FROM pragma_table_info('messages') WHERE name ="
	                 " 'unverified' AND \"notnull\" AND dflt_value = '0'",
	             "1");
	check_pragma(db, "SELECT count(*) FROM pragma_table_info('messages') WHERE name IN"
	                 " ('network', 'room', 'recipient') AND \"notnull\" AND dflt_value = ''''''",
	             "3");
	check_pragma(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_id_key'"
	                 " AND sql LIKE 'CREATE UNIQUE INDEX % WHERE dedup_key >= ''id:''%'",
	             "1");
	check_pragma(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_received'",
	             "0");
	check_pragma(db, "SELECT indexed_upto FROM search_progress", indexed_upto);
	check_pragma(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
	                 "sql LIKE '%WHEN old.seq <= (SELECT indexed_upto FROM search_progress)%'",
	             "2");
	check_pragma(db, "SELECT group_concat(k || '=' || v, ',') FROM (SELECT k, v FROM"
	                 " messages_fts_config WHERE k IN ('usermerge', 'crisismerge') ORDER BY k)",
	             "crisismerge=64,usermerge=16");
	check_pragma(db, "SELECT v FROM messages_fts_config WHERE k = 'automerge'", "0");
}

START_TEST(wal_private_and_versioned)
{
	struct history *h = open_store();
	add_numbered(h, 0, 3);
	history_flush(h);

	struct stat st;
	ck_assert_int_eq(stat(db_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	char wal[256];
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_pragma(db, "PRAGMA journal_mode", "wal");
	check_pragma(db, "PRAGMA application_id", "1297171272");
	check_schema_9(db, "3");
	check_retained_keys_indexed(db);
	sqlite3_close(db);
	history_close(h);
}
END_TEST

static void expect_refused(const char *path, const char *why)
{
	struct strbuf err = STRBUF_INIT;
	ck_assert_ptr_null(history_open(path, &err));
	ck_assert_msg(strstr(strbuf_str(&err), why), "error [%s] lacks [%s]", strbuf_str(&err),
	              why);
	ck_assert_msg(strstr(strbuf_str(&err), path), "error [%s] lacks the path",
	              strbuf_str(&err));
	strbuf_free(&err);
}

START_TEST(refuses_what_is_not_ours)
{
	/* another program's database is left alone */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE notes(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_refused(db_path, "not an mqchat history");
	unlink(db_path);

	/* a newer schema */
	history_close(open_store());
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	char newer[64];
	snprintf(newer, sizeof newer, "PRAGMA user_version = %d", HISTORY_SCHEMA_VERSION + 1);
	ck_assert_int_eq(sqlite3_exec(db, newer, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_refused(db_path, "newer mqchat");
	unlink(db_path);

	/* not a database at all */
	FILE *f = fopen(db_path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is a text file, not SQLite\n", f);
	fclose(f);
	expect_refused(db_path, "not a database");

	/* a directory that does not exist */
	char missing[256];
	snprintf(missing, sizeof missing, "%s/no/such/dir/history.db", dir);
	expect_refused(missing, "No such file or directory");
	ck_assert_ptr_null(history_open(missing, NULL)); /* err is optional */
}
END_TEST

/* The tables as mqchat wrote them with schema 1. */
static const char SCHEMA_1_SQL[] =
	"PRAGMA journal_mode = WAL;"
	"CREATE TABLE messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	"  topic TEXT NOT NULL, nick TEXT NOT NULL, sender_id TEXT NOT NULL,"
	"  type INTEGER NOT NULL, text TEXT NOT NULL, sent_ms INTEGER,"
	"  received_ms INTEGER NOT NULL, own INTEGER NOT NULL, dedup_key TEXT);"
	"CREATE INDEX messages_by_received ON messages(received_ms);"
	"CREATE INDEX messages_by_dedup_key ON messages(dedup_key, received_ms)"
	"  WHERE dedup_key IS NOT NULL;"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(text, nick,"
	"  content='messages', content_rowid='seq',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0);"
	"CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, text, nick) VALUES (new.seq, new.text, new.nick);"
	"END;"
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"
	"    VALUES ('delete', old.seq, old.text, old.nick);"
	"END;"
	"CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"
	"    VALUES ('delete', old.seq, old.text, old.nick);"
	"  INSERT INTO messages_fts(rowid, text, nick) VALUES (new.seq, new.text, new.nick);"
	"END;"
	"PRAGMA application_id = 1297171272; PRAGMA user_version = 1;"
	"INSERT INTO messages(id, topic, nick, sender_id, type, text, received_ms, own, dedup_key)"
	"  VALUES ('a1', 'room', 'Ana', '', 1, 'written by the old version', 5, 0, 'id:a1');";

START_TEST(upgrades_schema_1)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, SCHEMA_1_SQL, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct history *h = open_store();
	/* its key made again as today's (type 1: an action) */
	struct strbuf key = STRBUF_INIT;
	dedup_message_key(&key, "a1", 0, "Ana", MQC_MSG_ACTION, "written by the old version");
	ck_assert(history_has_message(h, key.data));
	strbuf_free(&key);
	add(h, "Bo", "written by the new version", NOW_MS);
	ck_assert_int_eq(search(h, "written version", 10), 2);
	ck_assert_str_eq(got.m[0].nick, "Ana");
	ck_assert_str_eq(got.m[1].nick, "Bo");
	check_search_index();
	history_close(h);

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "2");
	check_pragma(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
	                 "('messages_by_dedup_key', 'messages_fts_insert')",
	             "0");
	check_retained_keys_indexed(db);
	sqlite3_close(db);
	/* and it opens as a current file from now on */
	h = open_store();
	ck_assert_int_eq(last(h, 10), 2);
	history_close(h);
}
END_TEST

START_TEST(upgrades_schema_4)
{
	struct history *h = open_store();
	add_numbered(h, 0, 5);
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, DOWNGRADE_TO_6_SQL
	                                  "CREATE INDEX messages_by_received ON messages(received_ms);"
	                                  "DROP INDEX messages_by_id_key; DROP TABLE key_filter;"
	                                  "PRAGMA user_version = 4;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	h = open_store();
	ck_assert_int_eq(last(h, 10), 5);
	history_close(h);
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "5");
	sqlite3_close(db);
}
END_TEST

/* Today's file with five numbered rows, turned back by `downgrade`. */
static void five_rows_in_schema(const char *downgrade)
{
	struct history *h = open_store();
	add_numbered(h, 0, 5);
	ck_assert_int_eq(history_flush(h), 5);
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, downgrade, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(upgrades_schema_3)
{
	five_rows_in_schema(DOWNGRADE_TO_3_SQL);
	struct history *h = open_store();
	/* Schema 3 indexed every row; schema 9 makes the index again. */
	ck_assert(history_has_idle_work(h));
	add_numbered(h, 5, 25);
	ck_assert_int_eq(history_flush_some(h, 20, true), 20);
	ck_assert_int_eq(history_prune(h, 10, 0, NOW_MS), 15);
	ck_assert_int_eq(search(h, "number", 100), 10);
	check_search_index();
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "25");
	sqlite3_close(db);
}
END_TEST

START_TEST(upgrades_schema_2)
{
	/* Schema 2 was schema 3 without the index of retained keys. */
	struct history *h = open_store();
	add_retained(h, "stored by the old version", NOW_MS);
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, DOWNGRADE_TO_3_SQL, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP INDEX messages_by_retained_key;"
	                                  "PRAGMA user_version = 2;",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	h = open_store();
	ck_assert(has_retained(h, "stored by the old version"));
	history_close(h);
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "1");
	check_retained_keys_indexed(db);
	sqlite3_close(db);
}
END_TEST

/* An empty file of today's, turned into an older one by `sql`. */
static void make_old_file(const char *sql)
{
	history_close(open_store());
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Schema 5 keyed json messages by id alone and plain ones by topic and
 * payload, without a unique index: two processes sharing the file stored
 * every message twice.  The upgrade makes today's keys and keeps one row
 * of each message. */
START_TEST(upgrades_schema_5)
{
	make_old_file(DOWNGRADE_TO_6_SQL
		"DROP INDEX messages_by_id_key; DROP TABLE key_filter; PRAGMA user_version = 5;"
		"INSERT INTO messages(id, topic, nick, sender_id, type, text, sent_ms, received_ms,"
		" own, dedup_key) VALUES"
		/* json, stored by both: one kept */
		" ('j1', 'room', 'Ana', '', 0, 'hola Pepe', 7, 100, 1, 'id:j1'),"
		" ('j1', 'room', 'Ana', '', 0, 'hola Pepe', 7, 103, 0, 'id:j1'),"
		/* own json and the same as the other process got it on plain */
		" ('j2', '', 'Ana', '', 0, 'sin id', 8, 200, 1, 'id:j2'),"
		" ('', 'room', 'Ana', '', 0, 'sin id', 8, 230, 0, 'dg:00000000000000aa'),"
		/* plain, stored by both; then said again a minute later */
		" ('', 'room', 'Pepe', '', 0, 'Pepe dice', 300, 300, 0, 'dg:00000000000000bb'),"
		" ('', 'room', 'Pepe', '', 0, 'Pepe dice', 301, 301, 0, 'dg:00000000000000bb'),"
		" ('', 'room', 'Pepe', '', 0, 'Pepe dice', 60400, 60400, 0, 'dg:00000000000000bb'),"
		/* same id, other words: two messages */
		" ('j1', 'room', 'Ana', '', 0, 'forged', 7, 400, 0, 'id:j1'),"
		/* a retained one and one without a key stay as they are */
		" ('', 'room', 'Pepe', '', 0, 'aviso', 500, 500, 0, 'rt:00000000000000cc'),"
		" ('', 'room', 'Pepe', '', 0, 'aviso', 501, 501, 0, NULL);");

	struct history *h = open_store();
	ck_assert_int_eq(last(h, 20), 7);
	const char *want[] = {"hola Pepe", "sin id", "Pepe dice", "Pepe dice", "forged", "aviso",
	                      "aviso"};
	for (int i = 0; i < 7; i++)
		ck_assert_str_eq(got.m[i].text, want[i]);
	ck_assert(got.m[0].flags & MQC_MSG_OWN); /* the oldest kept */
	ck_assert(has_message(h, "j1", 7, "Ana", "hola Pepe"));
	ck_assert(has_message(h, "j1", 7, "Ana", "forged"));
	ck_assert_int_eq(search(h, "dice", 10), 2);
	check_search_index();
	/* and from now on one row a message */
	add_said(h, "j1", "Ana", "hola Pepe", 0, 7);
	ck_assert_int_eq(history_flush(h), 1);
	ck_assert_int_eq(rows_on_disk(), 7);
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "10");
	check_pragma(db, "SELECT dedup_key FROM messages WHERE text = 'aviso' AND"
	                 " dedup_key IS NOT NULL", "rt:00000000000000cc");
	sqlite3_close(db);
}
END_TEST

/* Schema 8's index kept each token's positions: made again without
 * them, it finds the rows it held once a search has indexed them. */
START_TEST(upgrades_schema_8)
{
	five_rows_in_schema(DOWNGRADE_TO_8_SQL);
	struct history *h = open_store();
	ck_assert(history_has_idle_work(h)); /* the new index is empty */
	ck_assert_int_eq(indexed_rows(), 0);
	add_numbered(h, 5, 8);
	ck_assert_int_eq(search(h, "number", 100), 8);
	ck_assert_int_eq(search(h, "2", 100), 1);
	check_numbered(0, 2);
	check_search_index();
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "8");
	sqlite3_close(db);
}
END_TEST

/* A schema 9 file whose index was made before it had its merge settings
 * takes them at open, its rows and words as they were. */
START_TEST(tunes_an_index_made_before)
{
	five_rows_in_schema("DELETE FROM messages_fts_config"
	                    " WHERE k IN ('usermerge', 'crisismerge');");
	struct history *h = open_store();
	ck_assert_int_eq(search(h, "number", 100), 5);
	check_numbered(0, 0); /* oldest first */
	check_numbered(4, 4);
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "5");
	sqlite3_close(db);
}
END_TEST

/* Schema 6 did not say where a message was said: its rows read back with
 * "" for network, room and recipient, and the file takes new rows that do. */
START_TEST(upgrades_schema_6)
{
	make_old_file(DOWNGRADE_TO_6_SQL
		"INSERT INTO messages(id, topic, nick, sender_id, type, text, sent_ms, received_ms,"
		" own, dedup_key) VALUES"
		" ('j1', 'room', 'Ana', '', 0, 'said before rooms', 7, 100, 1, 'id:j1'),"
		" ('', 'room', 'Pepe', '', 0, 'also before rooms', 8, 200, 0, NULL);");

	struct history *h = open_store();
	add_in(h, "one", "room", "", "said in a room", NOW_MS);
	ck_assert_int_eq(last(h, 10), 3);
	ck_assert_str_eq(got.m[0].text, "said before rooms");
	ck_assert_str_eq(got.m[0].network, "");
	ck_assert_str_eq(got.m[0].room, "");
	ck_assert_str_eq(got.m[0].to, "");
	ck_assert_str_eq(got.m[0].topic, "room");
	ck_assert_str_eq(got.m[2].network, "one");
	ck_assert_str_eq(got.m[2].room, "room");
	ck_assert_int_eq(search(h, "rooms", 10), 2);
	ck_assert_int_eq(last_in(h, "one", "room", 10), 1);
	ck_assert_int_eq(search_in(h, "one", "room", "said", 10), 1);
	ck_assert_str_eq(got.m[0].text, "said in a room");
	check_search_index();
	history_close(h);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	check_schema_9(db, "3");
	sqlite3_close(db);
}
END_TEST

START_TEST(memory_store_for_tests)
{
	struct history *h = history_open(":memory:", NULL);
	ck_assert_ptr_nonnull(h);
	add_numbered(h, 0, 3);
	ck_assert_int_eq(last(h, 2), 2);
	ck_assert_int_eq(search(h, "number", 10), 3);
	history_close(h);
}
END_TEST

START_TEST(failed_flush_keeps_messages)
{
	struct history *h = open_store();
	add_numbered(h, 0, 2);
	ck_assert_int_eq(history_flush(h), 2);
	/* another process holds the write lock */
	sqlite3 *other;
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	add_numbered(h, 2, 6);
	ck_assert_int_eq(history_flush(h), -1);
	ck_assert_ptr_nonnull(strstr(history_error(h), "locked"));
	ck_assert_uint_eq(history_pending(h), 4);
	ck_assert_int_eq(history_flush_some(h, 3, false), -1);
	ck_assert_uint_eq(history_pending(h), 4);
	/* reads still show what is on disk; the buffer waits */
	ck_assert_int_eq(last(h, 10), 2);
	ck_assert_int_eq(search(h, "number", 10), 2);
	ck_assert_uint_eq(history_pending(h), 4);
	ck_assert(!history_has_key(h, "nope", 0));
	ck_assert(!history_has_key(h, NULL, 0));
	ck_assert_int_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(history_flush_some(h, 3, false), 3);
	ck_assert_int_eq(history_flush(h), 1);
	ck_assert_uint_eq(history_dropped(h), 0);
	ck_assert_int_eq(last(h, 10), 6);
	check_numbered(5, 5);
	history_close(h);
}
END_TEST

START_TEST(buffer_is_bounded_while_flushes_fail)
{
	struct history *h = open_store();
	sqlite3 *other;
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < HISTORY_MAX_PENDING; i++)
		add(h, "Ana", "x", NOW_MS + i);
	ck_assert_uint_eq(history_pending(h), HISTORY_MAX_PENDING);
	ck_assert_uint_eq(history_dropped(h), 0);
	add(h, "Ana", "one too many", NOW_MS);
	/* a tenth of the oldest went, the newest stayed */
	ck_assert_uint_eq(history_dropped(h), HISTORY_MAX_PENDING / 10);
	ck_assert_uint_eq(history_pending(h), HISTORY_MAX_PENDING - HISTORY_MAX_PENDING / 10 + 1);
	/* closing while the lock is still held cannot store them: it says so */
	ck_assert_int_eq(history_close(h), -1);
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);
	ck_assert_int_eq(rows_on_disk(), 0);
}
END_TEST

START_TEST(two_instances_share_one_file)
{
	struct history *a = open_store();
	struct history *b = open_store();
	add(a, "Ana", "from a", NOW_MS);
	add(b, "Bo", "from b", NOW_MS + 1);
	ck_assert_int_eq(history_flush(a), 1);
	ck_assert_int_eq(history_flush(b), 1);
	ck_assert_int_eq(last(a, 10), 2);
	ck_assert_int_eq(search(b, "from", 10), 2);
	history_close(a);
	history_close(b);
}
END_TEST

int main(void)
{
	strcpy(base, "/tmp/mqchat-test-history-XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	Suite *s = suite_create("history");
	TCase *store = tcase_create("store");
	tcase_add_checked_fixture(store, make_dir, remove_dir);
	tcase_set_timeout(store, 30);
	tcase_add_test(store, add_buffers_and_flush_writes);
	tcase_add_test(store, flush_some_writes_the_oldest_first);
	tcase_add_test(store, adding_while_slices_are_written_keeps_order);
	tcase_add_test(store, replay_keeps_every_field_and_order);
	tcase_add_test(store, a_flush_of_many_rows_keeps_each_row_in_order);
	tcase_add_test(store, statements_prepared_at_first_use_report_failure);
	tcase_add_test(store, last_of_one_room);
	tcase_add_test(store, said_in_one_room_after_a_time);
	tcase_add_test(store, search_of_one_room);
	tcase_add_test(store, replay_last_n_across_flushes);
	tcase_add_test(store, replay_of_an_empty_store);
	tcase_add_test(store, status_and_replayed_messages_are_not_stored);
	tcase_add_test(store, close_flushes_and_reopen_keeps_everything);
	tcase_add_test(store, sql_looking_text_is_just_text);
	tcase_add_test(store, callback_may_add);
	tcase_add_test(store, search_finds_words);
	tcase_add_test(store, search_words_are_the_tokenizers);
	tcase_add_test(store, search_newest_matches_oldest_first);
	tcase_add_test(store, search_hostile_input_is_never_syntax);
	tcase_add_test(store, search_after_reopen);
	tcase_add_test(store, prune_by_count);
	tcase_add_test(store, prune_by_age);
	tcase_add_test(store, has_key_knows_earlier_runs_only);
	tcase_add_test(store, has_key_of_an_empty_store);
	tcase_add_test(store, has_key_recalls_the_newest_keys);
	tcase_add_test(store, has_key_ignores_what_others_store_later);
	tcase_add_test(store, has_key_after_restart_with_dedup_keys);
	tcase_add_test(store, retained_key_found_however_old_and_far_back);
	tcase_add_test(store, retained_key_of_an_empty_store);
	tcase_add_test(store, retained_key_ignores_what_others_store_later);
	tcase_add_test(store, wal_private_and_versioned);
	tcase_add_test(store, refuses_what_is_not_ours);
	tcase_add_test(store, a_flood_is_indexed_later);
	tcase_add_test(store, a_rounds_write_is_indexed_by_the_next_calm_flush);
	tcase_add_test(store, a_search_brings_the_index_up_to_date);
	tcase_add_test(store, a_search_indexes_in_as_many_passes_as_it_takes);
	tcase_add_test(store, in_a_long_flood_the_index_lag_is_bounded);
	tcase_add_test(store, a_flood_leaves_the_log_to_a_calm_flush);
	tcase_add_test(store, rounds_leave_a_calm_log_to_the_flush_timer);
	tcase_add_test(store, stores_fed_alike_copy_back_at_different_moments);
	tcase_add_test(store, a_reader_holding_the_log_does_not_keep_the_store_busy);
	tcase_add_test(store, pruning_rows_not_indexed_keeps_the_index_whole);
	tcase_add_test(store, another_process_catches_the_index_up);
	tcase_add_test(store, a_search_finds_rows_another_process_has_not_indexed);
	tcase_add_test(store, upgrades_schema_1);
	tcase_add_test(store, upgrades_schema_3);
	tcase_add_test(store, upgrades_schema_4);
	tcase_add_test(store, upgrades_schema_2);
	tcase_add_test(store, upgrades_schema_5);
	tcase_add_test(store, upgrades_schema_6);
	tcase_add_test(store, upgrades_schema_8);
	tcase_add_test(store, tunes_an_index_made_before);
	tcase_add_test(store, has_message_at_any_age);
	tcase_add_test(store, has_message_rarely_asks_sqlite);
	tcase_add_test(store, has_message_filter_kept_across_runs);
	tcase_add_test(store, two_processes_store_one_message_once);
	tcase_add_test(store, a_store_does_not_take_its_own_rows_for_anothers);
	tcase_add_test(store, an_index_pass_does_not_hide_anothers_rows);
	tcase_add_test(store, own_message_known_as_plain_at_any_age);
	tcase_add_test(store, rows_read_back_are_sanitised);
	tcase_add_test(store, memory_store_for_tests);
	tcase_add_test(store, failed_flush_keeps_messages);
	tcase_add_test(store, buffer_is_bounded_while_flushes_fail);
	tcase_add_test(store, two_instances_share_one_file);
	suite_add_tcase(s, store);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tree(base);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
