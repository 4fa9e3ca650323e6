/* SPDX-License-Identifier: MIT */
/*
 * The outbox's place in the message path (outbox.c keeps the rows): at the
 * end of the loop round in which mqchat takes a message, after handing it
 * to the backend, it is saved unless the broker has acknowledged it already
 * (QoS 0 written out at once); it is forgotten when the broker acknowledges
 * it; what an earlier run left unacknowledged is sent again at start, with
 * its id.  A delivery owns its outbox and its timer; the queues it saves
 * are the caller's, passed in.
 */
#ifndef MQC_DELIVERY_H
#define MQC_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "history.h"
#include "loop.h"
#include "outbox.h"
#include "outqueue.h"
#include "sendq.h"
#include "strbuf.h"

struct delivery;

/* Where the outbox lives: in the history store's file when `history` is
 * open on `history_path` (its connection serves), else `state_dir`/outbox.db.
 * `outbox_max` 0: no outbox.  Without one (it cannot be opened: said why),
 * chatting goes on: every call below then does nothing but count. */
struct delivery *delivery_open(struct loop *loop, size_t outbox_max, const char *state_dir,
                               struct history *history, const char *history_path);
/* Writes what is buffered and closes; NULL is ignored. */
void delivery_close(struct delivery *d);

/* Moves what earlier runs left for `dest` to the end of `into`, and
 * returns how many (-1 on an error, said). */
int delivery_claim(struct delivery *d, const struct outbox_dest *dest, struct outqueue *into);
/* After every network's claim: a list of what waits for other
 * destinations, appended to `out`. */
void delivery_elsewhere(struct delivery *d, struct strbuf *out);

/* One network's send queue and where it sends. */
struct delivery_queue {
	struct sendq *q;
	struct outbox_dest dest;
};

/* A message just queued: marked to be saved at the round's end, unless it
 * is never kept (a join or leave announcement, `keep` false). */
void delivery_track(struct delivery *d, struct outgoing *m, bool keep);
/* Saves every message of the `n` send queues not saved yet, oldest first,
 * in one transaction.  A failure is reported, and the messages are sent
 * anyway. */
void delivery_save(struct delivery *d, const struct delivery_queue *nets, size_t n);
/* The broker acknowledged (or refused) this message. */
void delivery_done(struct delivery *d, const struct outgoing *m);
/* True while outbox_max messages wait for the broker: input pauses. */
bool delivery_full(struct delivery *d);
/* Whether what is unacknowledged is kept for the next start. */
bool delivery_keeps(const struct delivery *d);

#endif
