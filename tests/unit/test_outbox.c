/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "history.h"
#include "outbox.h"
#include "check_run.h"

static char dir[] = "/tmp/mqchat-outbox-XXXXXX";
static char path[256];

static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/history.db", dir);
}

static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct outbox *open_or_fail(void)
{
	struct strbuf err = STRBUF_INIT;
	struct outbox *ob = outbox_open(path, &err);
	ck_assert_msg(ob != NULL, "%s", strbuf_str(&err));
	strbuf_free(&err);
	return ob;
}

/* Where a test's process sends: a network on a broker, and a room there. */
struct test_dest {
	const char *network, *broker, *room;
};
/* Where the last claim was for: what save() saves for. */
static const struct test_dest *current;

static int64_t save(struct outbox *ob, const char *id, const char *text)
{
	int64_t seq = 0;
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = "Ana",
	                          .text = text, .time_ms = 1700000000000,
	                          .network = current->network, .room = current->room, .to = "",
	                          .origin = ""};
	ck_assert(outbox_save_begin(ob));
	ck_assert(outbox_save_put(ob, &msg, current->broker, &seq));
	ck_assert(outbox_save_commit(ob));
	ck_assert(seq > 0);
	return seq;
}

/* What outbox_claim passed on, as "id=text;" */
static int64_t claimed[8];
static size_t n_claimed;

static void collect(void *data, const struct mqc_message *msg, int64_t seq)
{
	ck_assert(n_claimed < 8);
	claimed[n_claimed++] = seq;
	struct strbuf *sb = data;
	ck_assert_int_eq(msg->type, MQC_MSG_MESSAGE);
	ck_assert_str_eq(msg->nick, "Ana");
	ck_assert(msg->time_ms == 1700000000000);
	strbuf_printf(sb, "%s=%s;", msg->id, msg->text);
}

static const struct test_dest here = {"mqtt", "localhost:1883", "room"};
/* What the last claim said waits for other destinations. */
static struct strbuf elsewhere = STRBUF_INIT;

static int claim_for(struct outbox *ob, const struct test_dest *dest, struct strbuf *got)
{
	strbuf_reset(got);
	strbuf_reset(&elsewhere);
	n_claimed = 0;
	current = dest;
	int n = outbox_claim(ob, &(struct outbox_dest){dest->network, dest->broker}, collect, got);
	ck_assert(outbox_elsewhere(ob, &elsewhere));
	return n;
}

static int claim(struct outbox *ob, struct strbuf *got)
{
	return claim_for(ob, &here, got);
}

/* An outbox whose destination is set (as mqchat does before saving),
 * with nothing to take over. */
static struct outbox *open_writer(const struct test_dest *dest)
{
	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim_for(ob, dest, &got), 0);
	strbuf_free(&got);
	return ob;
}

/* Reopens the file as a new process would: `dest`'s rows it takes over
 * are `n`, shown as "id=text;" each. */
static void expect_waiting(const struct test_dest *dest, int n, const char *shown)
{
	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim_for(ob, dest, &got), n);
	ck_assert_str_eq(strbuf_str(&got), shown);
	outbox_close(ob);
	strbuf_free(&got);
}

START_TEST(unacknowledged_messages_survive_a_close_in_order)
{
	make_dir();
	struct outbox *ob = open_writer(&here);
	int64_t a1 = save(ob, "a1", "one");
	int64_t a2 = save(ob, "a2", "two");
	int64_t a3 = save(ob, "a3", "three");
	ck_assert_uint_eq(outbox_count(ob), 3);
	outbox_forget(ob, a2);
	ck_assert_uint_eq(outbox_count(ob), 2);
	outbox_close(ob); /* writes the buffered removal */

	ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), 2);
	ck_assert_str_eq(strbuf_str(&got), "a1=one;a3=three;");
	ck_assert_uint_eq(outbox_count(ob), 2);
	ck_assert_uint_eq(n_claimed, 2);
	ck_assert(claimed[0] == a1 && claimed[1] == a3);
	outbox_forget(ob, claimed[0]);
	outbox_forget(ob, claimed[1]);
	ck_assert(outbox_flush(ob));
	outbox_close(ob);

	ob = open_or_fail();
	ck_assert_int_eq(claim(ob, &got), 0);
	outbox_close(ob);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

/* Removals go a run of consecutive rows at a time: the rows between runs
 * (another destination's, one not acknowledged yet) stay. */
START_TEST(only_acknowledged_rows_go_however_they_interleave)
{
	make_dir();
	const struct test_dest there = {"work", "b:1883", "public"};
	struct outbox *ob = open_writer(&here);
	int64_t a1 = save(ob, "a1", "one");
	current = &there;
	save(ob, "b1", "elsewhere");
	current = &here;
	save(ob, "a2", "two");
	int64_t a3 = save(ob, "a3", "three");
	int64_t a4 = save(ob, "a4", "four");
	outbox_forget(ob, a4);
	outbox_forget(ob, a1);
	outbox_forget(ob, a3);
	ck_assert(outbox_flush(ob));
	outbox_close(ob);

	expect_waiting(&here, 1, "a2=two;");
	expect_waiting(&there, 1, "b1=elsewhere;");
	remove_dir();
}
END_TEST

/* Row numbers come from the file, up to INT64_MAX: the last one a row can
 * have, buffered twice, ends a run (continues_run never adds past it). */
START_TEST(the_last_row_number_ends_a_run)
{
	make_dir();
	struct outbox *ob = open_writer(&here);
	int64_t a1 = save(ob, "a1", "one");
	outbox_forget(ob, INT64_MAX);
	outbox_forget(ob, a1);
	outbox_forget(ob, INT64_MAX);
	ck_assert(outbox_flush(ob));
	outbox_close(ob);

	expect_waiting(&here, 0, "");
	remove_dir();
}
END_TEST

/* A child process saves a message and waits: its rows are not taken while
 * it lives, and are once it is gone. */
START_TEST(rows_of_a_live_process_are_left_alone)
{
	make_dir();
	int ready[2], stop[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(stop), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct outbox *ob = open_writer(&here);
		save(ob, "c1", "from the child");
		ck_assert_int_eq(write(ready[1], "x", 1), 1);
		char c;
		ck_assert_int_eq(read(stop[0], &c, 1), 1);
		_exit(0); /* like a crash: nothing forgotten, nothing closed */
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), 0);
	ck_assert_int_eq(write(stop[1], "x", 1), 1);
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(claim(ob, &got), 1);
	ck_assert_str_eq(strbuf_str(&got), "c1=from the child;");
	outbox_close(ob);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

START_TEST(a_new_file_is_private)
{
	make_dir();
	struct outbox *ob = open_or_fail();
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	outbox_close(ob);
	remove_dir();
}
END_TEST

START_TEST(in_the_history_file_it_shares_the_stores_connection)
{
	make_dir();
	struct strbuf err = STRBUF_INIT;
	struct history *h = history_open(path, &err);
	ck_assert_msg(h != NULL, "%s", strbuf_str(&err));
	struct outbox *ob = outbox_open_in(history_connection(h), path, &err);
	ck_assert_msg(ob != NULL, "%s", strbuf_str(&err));
	struct strbuf none = STRBUF_INIT;
	ck_assert_int_eq(claim_for(ob, &here, &none), 0);
	strbuf_free(&none);
	save(ob, "a1", "kept with the history");
	outbox_close(ob); /* leaves the connection to the store */
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = "h1", .nick = "Bo",
	                          .text = "stored after", .topic = "", .sender_id = ""};
	history_add(h, &msg, NULL, 1700000000000);
	ck_assert_int_eq(history_flush(h), 1);
	ck_assert_int_eq(history_close(h), 0);

	ob = open_or_fail(); /* the same file, on a connection of its own */
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), 1);
	ck_assert_str_eq(strbuf_str(&got), "a1=kept with the history;");
	strbuf_free(&got);
	strbuf_free(&err);
	outbox_close(ob);
	remove_dir();
}
END_TEST

/* A process that saves messages for `dest` and dies without a word;
 * `said` is {id, text, id, text, ..., NULL}. */
static void save_in_child(const struct test_dest *dest, const char *const *said)
{
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct outbox *ob = open_writer(dest);
		for (; *said; said += 2)
			save(ob, said[0], said[1]);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(rows_are_sent_only_to_their_destination)
{
	make_dir();
	const struct test_dest a = {"mqtt", "a:1883", "private"};
	const struct test_dest b = {"work", "b:1883", "public"};
	save_in_child(&a, (const char *[]){"a1", "for the private room", "a2", "for it too", NULL});

	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim_for(ob, &b, &got), 0);
	ck_assert_str_eq(strbuf_str(&elsewhere), "2 for mqtt (a:1883, room private)");
	ck_assert_uint_eq(outbox_count(ob), 0);
	outbox_close(ob);

	/* the same broker and room, another network name: still not theirs */
	const struct test_dest renamed = {"other", "a:1883", "private"};
	ob = open_or_fail();
	ck_assert_int_eq(claim_for(ob, &renamed, &got), 0);
	outbox_close(ob);

	ob = open_or_fail();
	ck_assert_int_eq(claim_for(ob, &a, &got), 2);
	ck_assert_str_eq(strbuf_str(&got), "a1=for the private room;a2=for it too;");
	ck_assert_str_eq(strbuf_str(&elsewhere), "");
	outbox_close(ob);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

START_TEST(an_outbox_from_before_destinations_is_upgraded_and_its_rows_kept)
{
	make_dir();
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
	        " type INTEGER NOT NULL, nick TEXT NOT NULL, text TEXT NOT NULL,"
	        " sent_ms INTEGER NOT NULL, owner TEXT NOT NULL);"
	        "INSERT INTO outbox (id, type, nick, text, sent_ms, owner)"
	        " VALUES ('old1', 0, 'Ana', 'said to who knows where', 1700000000000, '1:0');",
	        NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), 0);
	ck_assert_str_eq(strbuf_str(&elsewhere),
	                 "1 saved by an older mqchat, without their destination");
	save(ob, "new1", "said here");
	outbox_close(ob);

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id, network, broker, room FROM outbox"
	                                        " ORDER BY seq", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "old1");
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 3), "");
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "new1");
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 1), "mqtt");
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 2), "localhost:1883");
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 3), "room");
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

/* A destination read back from the file is shown sanitised. */
START_TEST(what_waits_elsewhere_is_shown_sanitised)
{
	make_dir();
	const struct test_dest evil = {"net\x1b]0;owned\x07", "b:1", "r\x1b[2J"};
	save_in_child(&evil, (const char *[]){"e1", "x", NULL});
	struct outbox *ob = open_or_fail();
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), 0);
	ck_assert_ptr_null(strchr(strbuf_str(&elsewhere), '\x1b'));
	ck_assert_ptr_null(strchr(strbuf_str(&elsewhere), '\x07'));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&elsewhere), "1 for net"));
	outbox_close(ob);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

/* Another process holds the write lock past the busy timeout: saving,
 * removing and taking over fail with a sentence, lose nothing, and work
 * once the lock is gone. */
START_TEST(a_locked_database_fails_each_step_and_loses_nothing)
{
	make_dir();
	struct outbox *ob = open_writer(&here);
	int64_t a1 = save(ob, "a1", "one");
	sqlite3 *other;
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

	ck_assert(!outbox_save_begin(ob));
	ck_assert_ptr_nonnull(strstr(outbox_error(ob), "saving to the outbox"));
	ck_assert_ptr_nonnull(strstr(outbox_error(ob), "locked"));
	outbox_forget(ob, a1);
	ck_assert(!outbox_flush(ob));
	ck_assert_ptr_nonnull(strstr(outbox_error(ob), "removing from the outbox"));
	struct strbuf got = STRBUF_INIT;
	ck_assert_int_eq(claim(ob, &got), -1);
	ck_assert_ptr_nonnull(strstr(outbox_error(ob), "taking over the outbox"));

	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert(outbox_flush(ob)); /* the buffered removal was kept */
	save(ob, "a2", "two");
	outbox_close(ob);
	ob = open_or_fail();
	ck_assert_int_eq(claim(ob, &got), 1);
	ck_assert_str_eq(strbuf_str(&got), "a2=two;");
	outbox_close(ob);
	sqlite3_close(other);
	strbuf_free(&got);
	remove_dir();
}
END_TEST

START_TEST(a_file_that_is_not_a_database_is_named_in_the_error)
{
	make_dir();
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database, just text. ", f);
	fclose(f);
	chmod(path, 0600);
	struct strbuf err = STRBUF_INIT;
	ck_assert_ptr_null(outbox_open(path, &err));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&err), path));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&err), "not a database"));
	strbuf_free(&err);
	remove_dir();
}
END_TEST

START_TEST(an_unusable_path_is_named_in_the_error)
{
	struct strbuf err = STRBUF_INIT;
	ck_assert_ptr_null(outbox_open("/nonexistent-dir/outbox.db", &err));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&err), "/nonexistent-dir/outbox.db"));
	strbuf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("outbox");
	tcase_add_test(tc, unacknowledged_messages_survive_a_close_in_order);
	tcase_add_test(tc, only_acknowledged_rows_go_however_they_interleave);
	tcase_add_test(tc, the_last_row_number_ends_a_run);
	tcase_add_test(tc, rows_of_a_live_process_are_left_alone);
	tcase_add_test(tc, a_new_file_is_private);
	tcase_add_test(tc, in_the_history_file_it_shares_the_stores_connection);
	tcase_add_test(tc, an_unusable_path_is_named_in_the_error);
	tcase_add_test(tc, rows_are_sent_only_to_their_destination);
	tcase_add_test(tc, an_outbox_from_before_destinations_is_upgraded_and_its_rows_kept);
	tcase_add_test(tc, what_waits_elsewhere_is_shown_sanitised);
	tcase_add_test(tc, a_locked_database_fails_each_step_and_loses_nothing);
	tcase_add_test(tc, a_file_that_is_not_a_database_is_named_in_the_error);
	suite_add_tcase(s, tc);
	int failed = check_run(s);
	strbuf_free(&elsewhere);
	return failed;
}
