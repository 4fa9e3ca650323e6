/* SPDX-License-Identifier: MIT */
/*
 * Bridges: rooms of different networks linked, so that what is said in
 * one is said in the others (PRODUCT.md "Networks, rooms and bridges").
 * The bridges decide which copies a message makes and how their senders
 * are named; the chat queues them like anything said here, so a relay is
 * acknowledged, kept in the outbox and never lost.
 *
 * Loops are cut four ways (PITFALLS.md "Bridging chat networks"): never
 * back to the room a message came from or was first said in (`origin`);
 * not past BRIDGE_MAX_HOPS relays (`hops`, carried by the json wire); not
 * a message arriving as the twin of a copy this process relayed into that
 * room within a minute (another bridge's); not a plain message whose
 * sender already has this bridge's relayed shape for one of its networks
 * (the plain wire carries no hops: that shape counts as one).  A copy
 * this process says is itself relayed by none of its bridges, as a
 * matterbridge gateway ignores its own messages: rooms that should all
 * hear each other belong in one bridge.
 */
#ifndef MQC_BRIDGE_H
#define MQC_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "config.h"

#define BRIDGE_MAX_HOPS 4

struct bridges;

/* One copy to make: where it goes, and who says it there. */
struct relay {
	const char *network, *room; /* the bridge's, valid while it is open */
	char *nick;                 /* malloc'd */
	char id[MQC_MESSAGE_ID_SIZE]; /* the copy's id, "" for a fresh one */
};

struct relay_plan {
	struct relay *copies;
	size_t n;
};

/* Reads [core] bridges and the sections it names; every room must be on
 * one of the `n` `networks`.  Returns 0 with *out set (NULL when there
 * are no bridges), or 78 after printing each mistake. */
int bridges_open(struct bridges **out, const struct config *cfg, const char *const *networks,
                 size_t n, const char *time_format);
void bridges_close(struct bridges *b);

/* Calls `fn` for every room some bridge links (to be joined at start). */
void bridges_each_room(const struct bridges *b, void (*fn)(void *data, const char *network,
                                                            const char *room),
                       void *data);

/* The copies `msg` (said or received in msg->network:msg->room) makes, in
 * `plan` (emptied first; free with relay_plan_free), remembered as relayed
 * at `now_ms`.  Returns how many. */
size_t bridges_plan(struct bridges *b, const struct mqc_message *msg, uint64_t now_ms,
                    struct relay_plan *plan);
void relay_plan_free(struct relay_plan *plan);

#endif
