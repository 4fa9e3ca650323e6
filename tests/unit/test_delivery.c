/* SPDX-License-Identifier: MIT */
/* delivery.c: what it saves to the outbox and when, what it forgets, what
 * a later process takes over, and when input must wait. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery.h"
#include "sendq.h"
#include "check_run.h"

static char state[] = "/tmp/mqchat-delivery-XXXXXX";
static char outbox_file[64];
static struct loop *loop;

static const struct outbox_dest room_a = {"mqtt", "a.example:1883"};
static const struct outbox_dest room_b = {"mqtt", "b.example:1883"};
/* Where the last claim was for: where saving saves for. */
static const struct outbox_dest *claimed_for;

static int claim(struct delivery *d, const struct outbox_dest *dest, struct outqueue *into,
                 struct strbuf *elsewhere)
{
	claimed_for = dest;
	int n = delivery_claim(d, dest, into);
	delivery_elsewhere(d, elsewhere);
	return n;
}

static void save(struct delivery *d, struct sendq *q)
{
	delivery_save(d, &(struct delivery_queue){q, claimed_for ? *claimed_for : room_a}, 1);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(outbox_file, sizeof outbox_file, "%s/outbox.db", state);
	loop = loop_new();
}

static void teardown(void)
{
	loop_free(loop);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", state);
	ck_assert_int_eq(system(cmd), 0);
}

static int take_count(void *data, int columns, char **values, char **names)
{
	(void)columns;
	(void)names;
	*(int *)data = atoi(values[0]);
	return 0;
}

/* Rows in the outbox file, read on a connection of the test's own. */
static int rows_on_disk(void)
{
	sqlite3 *db;
	int n = -1;
	ck_assert_int_eq(sqlite3_open_v2(outbox_file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "SELECT count(*) FROM outbox", take_count, &n, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	return n;
}

/* A message said, queued at the end of `q`, and tracked. */
static struct outgoing *say(struct delivery *d, struct outqueue *q, enum mqc_msg_type type,
                            const char *id, const char *text)
{
	struct outgoing *m =
		outgoing_new(&(struct outgoing_words){.nick = "ana", .text = text, .room = "sala"});
	m->type = type;
	snprintf(m->id, sizeof m->id, "%s", id);
	m->time_ms = 1700000000000;
	delivery_track(d, m, type != MQC_MSG_JOIN && type != MQC_MSG_LEAVE);
	outqueue_push(q, m);
	return m;
}

static void empty(struct outqueue *q)
{
	for (struct outgoing *m; (m = outqueue_pop(q));)
		outgoing_free(m);
}

/* The broker acknowledged `m`: out of its queue, done, freed. */
static void ack(struct delivery *d, struct outqueue *q, struct outgoing *m)
{
	ck_assert_ptr_eq(outqueue_take(q, m->token), m);
	delivery_done(d, m);
	outgoing_free(m);
}

static struct delivery *open_claiming(const struct outbox_dest *dest, struct outqueue *into,
                                      struct strbuf *elsewhere, int expected)
{
	struct delivery *d = delivery_open(loop, 10, state, NULL, NULL);
	ck_assert_int_eq(claim(d, dest, into, elsewhere), expected);
	return d;
}

/* A message holds copies of its words, NULL as "", and zero elsewhere. */
START_TEST(a_message_holds_copies_of_its_words)
{
	char text[] = "hola";
	struct outgoing *m = outgoing_new(&(struct outgoing_words){
		.nick = "ana", .text = text, .to = "bea", .origin = "irc:#sala"});
	text[0] = 'X';
	ck_assert_str_eq(m->nick, "ana");
	ck_assert_str_eq(m->text, "hola");
	ck_assert_str_eq(m->room, "");
	ck_assert_str_eq(m->to, "bea");
	ck_assert_str_eq(m->origin, "irc:#sala");
	ck_assert_uint_eq(m->token, 0);
	ck_assert_str_eq(m->id, "");
	ck_assert(!m->saved);
	ck_assert_ptr_null(m->next);
	outgoing_free(m);
}
END_TEST

START_TEST(kept_messages_are_saved_at_the_round_end_and_forgotten_when_acknowledged)
{
	struct sendq q = {0};
	struct outqueue *inflight = &q.inflight, *waiting = &q.waiting;
	struct strbuf elsewhere = STRBUF_INIT;
	struct delivery *d = open_claiming(&room_a, waiting, &elsewhere, 0);
	ck_assert(delivery_keeps(d));
	struct outgoing *one = say(d, inflight, MQC_MSG_MESSAGE, "id-1", "uno");
	one->token = 1;
	say(d, inflight, MQC_MSG_JOIN, "id-j", "");
	say(d, waiting, MQC_MSG_ACTION, "id-2", "saluda");
	ck_assert_int_eq(rows_on_disk(), 0);
	save(d, &q);
	ck_assert_int_eq(rows_on_disk(), 2); /* the join is never kept */
	for (struct outgoing *m = inflight->head; m; m = m->next)
		ck_assert(m->saved);
	ck_assert(one->outbox_seq > 0);
	ack(d, inflight, one);
	delivery_close(d); /* writes the removal buffered */
	ck_assert_int_eq(rows_on_disk(), 1);
	empty(inflight);
	empty(waiting);
	strbuf_free(&elsewhere);
}
END_TEST

/* QoS 0: acknowledged inside publish, before the round ended. */
START_TEST(a_message_acknowledged_before_the_round_end_is_never_written)
{
	struct sendq q = {0};
	struct outqueue *inflight = &q.inflight, *waiting = &q.waiting;
	struct delivery *d = delivery_open(loop, 10, state, NULL, NULL);
	struct outgoing *m = say(d, inflight, MQC_MSG_MESSAGE, "id-1", "uno");
	m->token = 7;
	ack(d, inflight, m);
	save(d, &q);
	ck_assert_int_eq(rows_on_disk(), 0);
	/* The count of unsaved messages is back to none: a later round
	 * saves only what it took. */
	say(d, waiting, MQC_MSG_MESSAGE, "id-2", "dos");
	save(d, &q);
	ck_assert_int_eq(rows_on_disk(), 1);
	delivery_close(d);
	empty(waiting);
}
END_TEST

/* A process that says `texts` to room_a and ends, never acknowledged. */
static void earlier_run(const char *const *texts, size_t n)
{
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct sendq q = {0};
		struct outqueue *waiting = &q.waiting;
		struct strbuf elsewhere = STRBUF_INIT;
		struct delivery *d = delivery_open(loop, 10, state, NULL, NULL);
		int rc = claim(d, &room_a, waiting, &elsewhere) == 0 ? 0 : 1;
		char id[MQC_MESSAGE_ID_SIZE];
		for (size_t i = 0; i < n; i++) {
			snprintf(id, sizeof id, "id-%zu", i + 1);
			say(d, waiting, MQC_MSG_MESSAGE, id, texts[i]);
		}
		save(d, &q);
		delivery_close(d);
		empty(waiting);
		strbuf_free(&elsewhere);
		loop_free(loop);
		exit(rc);
	}
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(a_later_process_claims_what_was_left_for_its_destination)
{
	static const char *const texts[] = {"uno", "dos"};
	earlier_run(texts, 2);
	struct sendq q = {0};
	struct outqueue *waiting = &q.waiting;
	struct strbuf elsewhere = STRBUF_INIT;
	struct delivery *d = open_claiming(&room_a, waiting, &elsewhere, 2);
	ck_assert_uint_eq(elsewhere.len, 0);
	ck_assert_uint_eq(waiting->len, 2);
	ck_assert_str_eq(waiting->head->id, "id-1");
	ck_assert_str_eq(waiting->head->text, "uno");
	ck_assert_str_eq(waiting->tail->id, "id-2");
	ck_assert_str_eq(waiting->tail->text, "dos");
	for (struct outgoing *m = waiting->head; m; m = m->next)
		ck_assert(m->saved && m->outbox_seq > 0);
	/* Already in the outbox: saving them again adds no row. */
	save(d, &q);
	ck_assert_int_eq(rows_on_disk(), 2);
	uint64_t token = 0;
	for (struct outgoing *m = waiting->head; m; m = m->next)
		m->token = ++token;
	while (waiting->head)
		ack(d, waiting, waiting->head);
	delivery_close(d);
	ck_assert_int_eq(rows_on_disk(), 0);
	strbuf_free(&elsewhere);
}
END_TEST

START_TEST(messages_for_another_destination_stay_and_are_listed)
{
	static const char *const texts[] = {"uno", "dos"};
	earlier_run(texts, 2);
	struct sendq q = {0};
	struct outqueue *waiting = &q.waiting;
	struct strbuf elsewhere = STRBUF_INIT;
	struct delivery *d = open_claiming(&room_b, waiting, &elsewhere, 0);
	ck_assert_uint_eq(waiting->len, 0);
	ck_assert_str_eq(strbuf_str(&elsewhere), "2 for mqtt (a.example:1883, room sala)");
	delivery_close(d);
	ck_assert_int_eq(rows_on_disk(), 2);
	strbuf_reset(&elsewhere);
	/* A run for their destination takes them. */
	d = open_claiming(&room_a, waiting, &elsewhere, 2);
	ck_assert_uint_eq(elsewhere.len, 0);
	ck_assert_str_eq(waiting->head->text, "uno");
	delivery_close(d);
	empty(waiting);
	strbuf_free(&elsewhere);
}
END_TEST

START_TEST(input_waits_while_the_outbox_is_full)
{
	struct sendq q = {0};
	struct outqueue *inflight = &q.inflight;
	struct delivery *d = delivery_open(loop, 2, state, NULL, NULL);
	struct outgoing *first = say(d, inflight, MQC_MSG_MESSAGE, "id-1", "uno");
	first->token = 1;
	save(d, &q);
	ck_assert(!delivery_full(d));
	say(d, inflight, MQC_MSG_MESSAGE, "id-2", "dos");
	save(d, &q);
	ck_assert(delivery_full(d));
	ack(d, inflight, first);
	ck_assert(!delivery_full(d));
	delivery_close(d);
	empty(inflight);
}
END_TEST

/* Without an outbox (none asked for, or none to be had) every call only
 * counts: nothing is kept, input never waits. */
static void expect_no_outbox(struct delivery *d)
{
	struct sendq q = {0};
	struct outqueue *inflight = &q.inflight, *waiting = &q.waiting;
	struct strbuf elsewhere = STRBUF_INIT;
	ck_assert_int_eq(claim(d, &room_a, waiting, &elsewhere), 0);
	ck_assert(!delivery_keeps(d));
	struct outgoing *m = say(d, inflight, MQC_MSG_MESSAGE, "id-1", "uno");
	save(d, &q);
	ck_assert(m->saved && m->outbox_seq == 0);
	ck_assert(!delivery_full(d));
	ack(d, inflight, m);
	delivery_close(d);
	strbuf_free(&elsewhere);
}

START_TEST(no_outbox_when_outbox_max_is_zero)
{
	expect_no_outbox(delivery_open(loop, 0, state, NULL, NULL));
	ck_assert_int_ne(access(outbox_file, F_OK), 0);
}
END_TEST

START_TEST(no_outbox_when_its_file_cannot_be_made)
{
	char missing[80];
	snprintf(missing, sizeof missing, "%s/missing", state);
	expect_no_outbox(delivery_open(loop, 10, missing, NULL, NULL));
}
END_TEST

static Suite *delivery_suite(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_message_holds_copies_of_its_words);
	tcase_add_test(tc, kept_messages_are_saved_at_the_round_end_and_forgotten_when_acknowledged);
	tcase_add_test(tc, a_message_acknowledged_before_the_round_end_is_never_written);
	tcase_add_test(tc, a_later_process_claims_what_was_left_for_its_destination);
	tcase_add_test(tc, messages_for_another_destination_stay_and_are_listed);
	tcase_add_test(tc, input_waits_while_the_outbox_is_full);
	tcase_add_test(tc, no_outbox_when_outbox_max_is_zero);
	tcase_add_test(tc, no_outbox_when_its_file_cannot_be_made);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(delivery_suite());
}
