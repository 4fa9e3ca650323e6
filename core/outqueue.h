/* SPDX-License-Identifier: MIT */
/*
 * The messages on their way out: a FIFO list of `struct outgoing`.  The
 * chat keeps two, those waiting for the backend and those handed over and
 * not yet acknowledged.
 */
#ifndef MQC_OUTQUEUE_H
#define MQC_OUTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

/* One message said here, owned by a queue until acknowledged. */
struct outgoing {
	uint64_t token;
	enum mqc_msg_type type;
	char id[MQC_MESSAGE_ID_SIZE];
	const char *nick;
	const char *text;
	const char *room;   /* where it goes, or "" for a private message ... */
	const char *to;     /* ... to this nick; else "" */
	const char *origin; /* relayed: "NETWORK:ROOM" it was first said in; else "" */
	unsigned hops; /* relayed by this many bridges, this one included */
	int64_t time_ms;
	bool saved; /* in the outbox, or not meant for it */
	int64_t outbox_seq; /* its row there; 0: none */
	struct outgoing *next;
};

/* What a new message's words are copied from; NULL is "". */
struct outgoing_words {
	const char *nick, *text, *room, *to, *origin;
};

/* A message of `words`, every other field zero, its words copied after it
 * in one allocation (xpack_strings): a line said costs one malloc, not six
 * (bench/README.md, "A line's own work, before history").  Freed by
 * outgoing_free(). */
struct outgoing *outgoing_new(const struct outgoing_words *words);

struct outqueue {
	struct outgoing *head, *tail;
	size_t len;
};

void outqueue_push(struct outqueue *q, struct outgoing *m);
void outqueue_push_front(struct outqueue *q, struct outgoing *m);
struct outgoing *outqueue_pop(struct outqueue *q);
/* Removes and returns the entry with `token`, NULL if none. */
struct outgoing *outqueue_take(struct outqueue *q, uint64_t token);
void outgoing_free(struct outgoing *m);
/* A join or leave announcement: never kept in the outbox. */
bool outgoing_is_announcement(const struct outgoing *m);

#endif
