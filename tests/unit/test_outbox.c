/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <signal.h>
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

static int64_t save(struct outbox *ob, const char *id, const char *text)
{
	int64_t seq = 0;
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id, .nick = "Ana",
	                          .text = text, .time_ms = 1700000000000};
	ck_assert(outbox_save_begin(ob));
	ck_assert(outbox_save_put(ob, &msg, &seq));
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

static int claim(struct outbox *ob, struct strbuf *got)
{
	strbuf_reset(got);
	n_claimed = 0;
	return outbox_claim(ob, collect, got);
}

START_TEST(unacknowledged_messages_survive_a_close_in_order)
{
	make_dir();
	struct outbox *ob = open_or_fail();
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
		struct outbox *ob = open_or_fail();
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
	tcase_add_test(tc, rows_of_a_live_process_are_left_alone);
	tcase_add_test(tc, a_new_file_is_private);
	tcase_add_test(tc, in_the_history_file_it_shares_the_stores_connection);
	tcase_add_test(tc, an_unusable_path_is_named_in_the_error);
	suite_add_tcase(s, tc);
	return check_run(s);
}
