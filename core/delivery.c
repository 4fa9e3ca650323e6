/* SPDX-License-Identifier: MIT */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Acknowledged messages are removed from disk in batches: a timer after
 * the first, or at once when this many wait. */
#define FORGET_DELAY_MS 200
#define FORGET_BATCH 512

struct delivery {
	struct outbox *outbox; /* NULL: none */
	size_t outbox_max;
	struct loop_timer *forget_timer;
	size_t unsaved; /* messages in the queues not saved yet */
	bool failing;
	bool full;
};

static void flush_forgotten(void *data)
{
	struct delivery *d = data;
	if (!outbox_flush(d->outbox)) {
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s (will retry)", outbox_error(d->outbox));
		loop_timer_arm(d->forget_timer, FORGET_DELAY_MS * 5);
	}
}

/* The history's file when the history store opened it (never a file the
 * store refused: it may be some other program's database); else a file
 * of its own. */
static struct outbox *open_outbox(const char *state_dir, struct history *history,
                                  const char *history_path, struct strbuf *err)
{
	if (history && history_path && strcmp(history_path, ":memory:") != 0)
		return outbox_open_in(history_connection(history), history_path, err);
	/* history off, refused, or in memory: no help after a crash */
	struct strbuf path = STRBUF_INIT;
	strbuf_printf(&path, "%s/outbox.db", state_dir);
	struct outbox *ob = outbox_open(path.data, err);
	strbuf_free(&path);
	return ob;
}

struct delivery *delivery_open(struct loop *loop, size_t outbox_max, const char *state_dir,
                               struct history *history, const char *history_path)
{
	struct delivery *d = xcalloc(1, sizeof *d);
	d->outbox_max = outbox_max;
	if (!outbox_max)
		return d;
	struct strbuf err = STRBUF_INIT;
	d->outbox = open_outbox(state_dir, history, history_path, &err);
	if (d->outbox)
		d->forget_timer = loop_timer_add(loop, 0, false, flush_forgotten, d);
	else /* chatting still works; only a crash would lose what is unsent */
		log_print(NULL, MQC_LOG_WARNING,
		          "%s; going on without an outbox (unsent messages are lost if mqchat "
		          "crashes)", strbuf_str(&err));
	strbuf_free(&err);
	return d;
}

void delivery_close(struct delivery *d)
{
	if (!d)
		return;
	if (d->outbox && !outbox_flush(d->outbox))
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s: acknowledged messages will be sent "
		          "once more at the next start", outbox_error(d->outbox));
	outbox_close(d->outbox);
	if (d->forget_timer)
		loop_timer_remove(d->forget_timer);
	free(d);
}

static void queue_leftover(void *data, const struct mqc_message *msg, int64_t seq)
{
	struct outgoing *m = outgoing_new(&(struct outgoing_words){
		.nick = msg->nick, .text = msg->text, .room = msg->room, .to = msg->to,
		.origin = msg->origin});
	m->type = msg->type;
	snprintf(m->id, sizeof m->id, "%s", msg->id);
	m->hops = msg->hops;
	m->time_ms = msg->time_ms;
	m->saved = true;
	m->outbox_seq = seq;
	outqueue_push(data, m);
}

int delivery_claim(struct delivery *d, const struct outbox_dest *dest, struct outqueue *into)
{
	if (!d->outbox)
		return 0;
	int n = outbox_claim(d->outbox, dest, queue_leftover, into);
	if (n < 0)
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s", outbox_error(d->outbox));
	return n;
}

void delivery_elsewhere(struct delivery *d, struct strbuf *out)
{
	if (d->outbox && !outbox_elsewhere(d->outbox, out))
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s", outbox_error(d->outbox));
}

void delivery_track(struct delivery *d, struct outgoing *m, bool keep)
{
	m->saved = !keep;
	d->unsaved += keep;
}

/* Saves the message unless it was saved (or meant to be left out). */
static bool save_one(struct delivery *d, struct outgoing *m, const struct outbox_dest *dest)
{
	if (m->saved)
		return true;
	struct mqc_message msg = {.type = m->type, .id = m->id, .nick = m->nick,
	                          .text = m->text, .time_ms = m->time_ms,
	                          .network = dest->network, .room = m->room, .to = m->to,
	                          .origin = m->origin, .hops = m->hops};
	return outbox_save_put(d->outbox, &msg, dest->broker, &m->outbox_seq);
}

/* Writes the unsaved messages of each network's queues in one
 * transaction: true when they are on disk (or there is no outbox). */
static bool save_queues(struct delivery *d, const struct delivery_queue *nets, size_t n)
{
	if (!d->outbox)
		return true;
	if (!outbox_save_begin(d->outbox))
		return false;
	bool ok = true;
	for (size_t k = 0; k < n && ok; k++) {
		/* Oldest first, so that a later run sends them again in order. */
		struct outqueue *const queues[2] = {&nets[k].q->inflight, &nets[k].q->waiting};
		for (size_t i = 0; i < 2 && ok; i++)
			for (struct outgoing *m = queues[i]->head; m && ok; m = m->next)
				ok = save_one(d, m, &nets[k].dest);
	}
	return ok && outbox_save_commit(d->outbox);
}

/* After a save: every message counts as saved; a failed save's row
 * numbers are void. */
static void mark_saved(struct sendq *q, bool ok)
{
	struct outqueue *const queues[2] = {&q->inflight, &q->waiting};
	for (size_t i = 0; i < 2; i++) {
		for (struct outgoing *m = queues[i]->head; m; m = m->next) {
			if (!m->saved && !ok)
				m->outbox_seq = 0; /* rolled back: the number may go to another */
			m->saved = true;
		}
	}
}

void delivery_save(struct delivery *d, const struct delivery_queue *nets, size_t n)
{
	if (!d->unsaved)
		return;
	bool ok = save_queues(d, nets, n);
	if (!ok && !d->failing)
		log_print(NULL, MQC_LOG_ERROR, "outbox: %s: sending without keeping a copy until "
		          "it works again", outbox_error(d->outbox));
	d->failing = !ok;
	for (size_t k = 0; k < n; k++)
		mark_saved(nets[k].q, ok);
	d->unsaved = 0;
}

void delivery_done(struct delivery *d, const struct outgoing *m)
{
	if (!m->saved)
		d->unsaved--; /* acknowledged before its round ended: never written */
	if (!d->outbox || !m->outbox_seq)
		return;
	size_t buffered = outbox_forget(d->outbox, m->outbox_seq);
	if (buffered >= FORGET_BATCH)
		flush_forgotten(d);
	else if (buffered == 1)
		loop_timer_arm(d->forget_timer, FORGET_DELAY_MS);
}

bool delivery_full(struct delivery *d)
{
	bool full = d->outbox && outbox_count(d->outbox) >= d->outbox_max;
	if (full && !d->full)
		log_print(NULL, MQC_LOG_WARNING, "outbox full: %zu messages wait for the broker "
		          "([core] outbox_max); input from pipes and FIFOs waits until some are "
		          "acknowledged", outbox_count(d->outbox));
	d->full = full;
	return full;
}

bool delivery_keeps(const struct delivery *d)
{
	return d->outbox && !d->failing;
}
