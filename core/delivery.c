/* SPDX-License-Identifier: MIT */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "chat.h"
#include "history.h"
#include "outbox.h"

/* Acknowledged messages are removed from disk in batches: a timer after
 * the first, or at once when this many wait. */
#define FORGET_DELAY_MS 200
#define FORGET_BATCH 512

static void flush_forgotten(void *data)
{
	struct chat *chat = data;
	if (!outbox_flush(chat->outbox)) {
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s (will retry)", outbox_error(chat->outbox));
		loop_timer_arm(chat->outbox_timer, FORGET_DELAY_MS * 5);
	}
}

static void queue_leftover(void *data, const struct mqc_message *msg, int64_t seq)
{
	struct chat *chat = data;
	struct outgoing *m = xcalloc(1, sizeof *m);
	m->type = msg->type;
	snprintf(m->id, sizeof m->id, "%s", msg->id);
	m->nick = xstrdup(msg->nick);
	m->text = xstrdup(msg->text);
	m->time_ms = msg->time_ms;
	m->saved = true;
	m->outbox_seq = seq;
	outqueue_push(&chat->waiting, m);
}

/* The history's file when the history store opened it (never a file the
 * store refused: it may be some other program's database); else a file
 * of its own. */
static char *outbox_path(const struct chat *chat, bool *in_history_file)
{
	char *path = chat->history ? archive_database_path(chat->cfg, chat->state_dir) : NULL;
	*in_history_file = path && strcmp(path, ":memory:") != 0;
	if (*in_history_file)
		return path; /* the history store has it open: its connection serves */
	free(path); /* history off, refused, or in memory: no help after a crash */
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s/outbox.db", chat->state_dir);
	return strbuf_take(&sb);
}

/* Where the backend sends: its instance, and by the keys a backend names
 * them with (mqtt's), the broker and the room.  A backend without them is
 * known by its instance alone. */
static void backend_destination(const struct chat *chat, struct strbuf *broker,
                                 struct outbox_dest *dest)
{
	const struct instance *be = chat->instances.backend;
	const char *hosts = instance_value(be, "hosts");
	const char *host = instance_value(be, "host");
	const char *port = instance_value(be, "port");
	if (hosts && *hosts)
		strbuf_appends(broker, hosts);
	else if (host)
		strbuf_printf(broker, "%s:%s", host, port ? port : "");
	const char *room = instance_value(be, "topic");
	dest->network = be->name;
	dest->broker = strbuf_str(broker);
	dest->room = room ? room : "";
}

/* Takes over what earlier runs left for our destination; says what
 * waits for others. */
static void claim_leftovers(struct chat *chat)
{
	struct strbuf broker = STRBUF_INIT, elsewhere = STRBUF_INIT, text = STRBUF_INIT;
	struct outbox_dest dest;
	backend_destination(chat, &broker, &dest);
	int n = outbox_claim(chat->outbox, &dest, queue_leftover, chat, &elsewhere);
	if (n < 0)
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s", outbox_error(chat->outbox));
	if (n > 0) {
		strbuf_printf(&text, "sending again %d message%s an earlier run left "
		              "unacknowledged", n, n == 1 ? "" : "s");
		chat_event(chat, MQC_LOG_INFO, text.data);
	}
	if (n >= 0 && elsewhere.len) {
		strbuf_reset(&text);
		strbuf_printf(&text, "the outbox keeps messages for other destinations, to be "
		              "sent only there: %s", strbuf_str(&elsewhere));
		chat_event(chat, MQC_LOG_INFO, text.data);
	}
	strbuf_free(&text);
	strbuf_free(&elsewhere);
	strbuf_free(&broker);
}

void delivery_open(struct chat *chat)
{
	if (!chat->outbox_max)
		return;
	bool in_history_file;
	char *path = outbox_path(chat, &in_history_file);
	struct strbuf err = STRBUF_INIT;
	chat->outbox = in_history_file
	                       ? outbox_open_in(history_connection(chat->history), path, &err)
	                       : outbox_open(path, &err);
	free(path);
	if (!chat->outbox) {
		/* Chatting still works; only a crash would lose what is unsent. */
		log_print(NULL, MQC_LOG_WARNING,
		         "%s; going on without an outbox (unsent messages are lost if mqchat "
		         "crashes)", strbuf_str(&err));
		strbuf_free(&err);
		return;
	}
	strbuf_free(&err);
	chat->outbox_timer = loop_timer_add(chat->loop, 0, false, flush_forgotten, chat);
	claim_leftovers(chat);
}

/* Saves the message unless it was saved (or meant to be left out). */
static bool save_one(struct chat *chat, struct outgoing *m)
{
	if (m->saved)
		return true;
	struct mqc_message msg = {.type = m->type, .id = m->id, .nick = m->nick,
	                          .text = m->text, .time_ms = m->time_ms};
	return outbox_save_put(chat->outbox, &msg, &m->outbox_seq);
}

void delivery_save(struct chat *chat)
{
	if (!chat->unsaved)
		return;
	/* Oldest first, so that a later run sends them again in order. */
	struct outqueue *queues[] = {&chat->inflight, &chat->waiting};
	bool ok = !chat->outbox;
	if (chat->outbox && outbox_save_begin(chat->outbox)) {
		ok = true;
		for (size_t q = 0; q < 2 && ok; q++)
			for (struct outgoing *m = queues[q]->head; m && ok; m = m->next)
				ok = save_one(chat, m);
		ok = ok && outbox_save_commit(chat->outbox);
	}
	if (!ok && !chat->outbox_failing)
		log_print(NULL, MQC_LOG_ERROR, "outbox: %s: sending without keeping a copy until "
		         "it works again", outbox_error(chat->outbox));
	chat->outbox_failing = !ok;
	for (size_t q = 0; q < 2; q++) {
		for (struct outgoing *m = queues[q]->head; m; m = m->next) {
			if (!m->saved && !ok)
				m->outbox_seq = 0; /* rolled back: the number may go to another */
			m->saved = true;
		}
	}
	chat->unsaved = 0;
}

void delivery_done(struct chat *chat, const struct outgoing *m)
{
	if (!m->saved)
		chat->unsaved--; /* acknowledged before its round ended: never written */
	if (!chat->outbox || !m->outbox_seq)
		return;
	size_t buffered = outbox_forget(chat->outbox, m->outbox_seq);
	if (buffered >= FORGET_BATCH)
		flush_forgotten(chat);
	else if (buffered == 1)
		loop_timer_arm(chat->outbox_timer, FORGET_DELAY_MS);
}

bool delivery_full(struct chat *chat)
{
	bool full = chat->outbox && outbox_count(chat->outbox) >= chat->outbox_max;
	if (full && !chat->outbox_full)
		log_print(NULL, MQC_LOG_WARNING, "outbox full: %zu messages wait for the broker "
		         "([core] outbox_max); input from pipes and FIFOs waits until some are "
		         "acknowledged", outbox_count(chat->outbox));
	chat->outbox_full = full;
	return full;
}

void delivery_close(struct chat *chat)
{
	if (!chat->outbox)
		return;
	if (!outbox_flush(chat->outbox))
		log_print(NULL, MQC_LOG_WARNING, "outbox: %s: acknowledged messages will be sent "
		         "once more at the next start", outbox_error(chat->outbox));
	outbox_close(chat->outbox);
	chat->outbox = NULL;
}
