/* SPDX-License-Identifier: MIT */
/*
 * The outbox's place in the message path (outbox.c keeps the rows): at the
 * end of the loop round in which mqchat takes a message, after handing it
 * to the backend, it is saved unless the broker has acknowledged it already
 * (QoS 0 written out at once); it is forgotten when the broker acknowledges
 * it; what an earlier run left unacknowledged is sent again at start, with
 * its id.
 */
#ifndef MQC_DELIVERY_H
#define MQC_DELIVERY_H

#include <stdbool.h>

struct chat;
struct outgoing;

/* Opens the outbox (unless [core] outbox_max is 0) and queues what
 * earlier runs left for this backend's network, broker and room (what
 * they left for others stays, said in one line).  Without it (it cannot
 * be opened: said why), chatting goes on. */
void delivery_open(struct chat *chat);
/* Saves every message in the queues (handed to the backend or waiting) not
 * saved yet, in one transaction.  A failure is reported, and the messages
 * are sent anyway. */
void delivery_save(struct chat *chat);
/* The broker acknowledged (or refused) this message. */
void delivery_done(struct chat *chat, const struct outgoing *m);
/* True while outbox_max messages wait for the broker: input pauses. */
bool delivery_full(struct chat *chat);
/* Writes what is buffered and closes. */
void delivery_close(struct chat *chat);

#endif
