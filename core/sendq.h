/* SPDX-License-Identifier: MIT */
/*
 * The send queue of one backend: messages waiting to be handed over, and
 * those handed over (each with a token) until the backend acknowledges
 * them.  At most SENDQ_WINDOW are in flight, so that message ids never
 * wrap (MQTT has 65 535) and memory stays flat.
 */
#ifndef MQC_SENDQ_H
#define MQC_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outqueue.h"

#define SENDQ_WINDOW 256

struct sendq {
	struct outqueue waiting;  /* not yet handed to the backend */
	struct outqueue inflight; /* handed over, not yet acknowledged */
	uint64_t next_token;
	bool publishing; /* inside sendq_flush() */
};

/* Hands one message to the backend under `token`: 0, or non-zero when it
 * cannot take it now (it stays first in line). */
typedef int (*sendq_publish_fn)(void *data, const struct outgoing *m, uint64_t token);

/* Queues `m` (owned from now on) last, or `first` ahead of what waits. */
void sendq_add(struct sendq *q, struct outgoing *m, bool first);
/* Hands what waits to `publish` while the window has room, until it
 * refuses one.  `publish` may acknowledge inside (QoS 0 is done once
 * written) and so call this again: that inner call returns at once, and
 * the outer one goes on. */
void sendq_flush(struct sendq *q, sendq_publish_fn publish, void *data);
/* The message acknowledged under `token`, handed back to the caller (who
 * frees it); NULL for a token not in flight. */
struct outgoing *sendq_acked(struct sendq *q, uint64_t token);
/* How many wait to be handed over. */
size_t sendq_backlog(const struct sendq *q);
/* True when nothing said is still owed: nothing in flight, and nothing
 * waiting but, with the link down (`link_up` false), join and leave
 * announcements, which are then dropped. */
bool sendq_settled(struct sendq *q, bool link_up);
/* Moves every message, in flight first, then waiting, to the end of `out`. */
void sendq_take_all(struct sendq *q, struct outqueue *out);

#endif
