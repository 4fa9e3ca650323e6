/* SPDX-License-Identifier: MIT */
/*
 * The outbox: every message said, kept on disk from the moment mqchat takes
 * it until the broker acknowledges it, so that a crash (kill -9), a broker
 * restart or a network cut loses nothing: the next run sends again what is
 * left, with the same id, and receivers drop the repeat.
 *
 * It is a table in the history database, on the history store's connection
 * (or in outbox.db beside it, on a connection of its own, when history is
 * off).  Writes are batched: at the end of each loop round the core saves,
 * in one transaction (outbox_save_*), every message it took that the
 * broker has not acknowledged yet; removals of acknowledged messages are
 * buffered and written from a timer (outbox_forget, outbox_flush).  A
 * message acknowledged but not yet removed when the process dies is sent
 * once more: a harmless repeat.
 *
 * Several mqchat processes may share one database.  Each row names the
 * process that saved it (its pid and start time); a process takes over
 * only the rows of processes that are gone (outbox_claim).
 *
 * Each row keeps its destination: the network, the broker and the room it
 * was said to (or the recipient of a private message), and a relayed
 * message's origin and hops.  It is only ever sent there: a run without
 * that network on that broker leaves it where it is (and says so).
 */
#ifndef MQC_OUTBOX_H
#define MQC_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

struct outbox;
struct sqlite3;

/* Opens (creating the table if needed) the outbox in a SQLite file of its
 * own at `path`, made 0600 when new.  NULL, with a sentence naming the
 * path appended to `err`, on failure. */
struct outbox *outbox_open(const char *path, struct strbuf *err);

/* The same in the history store's file, on its connection `db`
 * (history_connection), which outbox_close() leaves open; `path` only
 * names the file in errors. */
struct outbox *outbox_open_in(struct sqlite3 *db, const char *path, struct strbuf *err);

/* Where this process sends: the network (backend instance) and the
 * broker (host:port, or the list of brokers).  Compared as strings. */
struct outbox_dest {
	const char *network, *broker;
};

/* Called for each message taken over, oldest first, with its row number
 * (for outbox_forget); its strings are valid only during the call. */
typedef void (*outbox_fn)(void *data, const struct mqc_message *msg, int64_t seq);

/* Takes over the messages for `dest` of processes that have ended (an
 * earlier run, crashed or not) and passes them to `fn`; those for other
 * destinations are set aside.  Returns how many were taken over, or -1. */
int outbox_claim(struct outbox *ob, const struct outbox_dest *dest, outbox_fn fn, void *data);
/* After every claim: how many wait for where no network of this run
 * sends ("2 for mqtt (host:1883, room x)"), sanitised, appended to `out`;
 * nothing when none.  False on an error. */
bool outbox_elsewhere(struct outbox *ob, struct strbuf *out);

/* Saves messages in one transaction: begin, put each, commit.  On failure
 * (see outbox_error) the transaction is rolled back: nothing was saved. */
bool outbox_save_begin(struct outbox *ob);
/* Its destination: msg->network, `broker`, msg->room or msg->to. */
bool outbox_save_put(struct outbox *ob, const struct mqc_message *msg, const char *broker,
                     int64_t *seq);
bool outbox_save_commit(struct outbox *ob);

/* The broker has the message saved as row `seq`: it will be removed at the
 * next outbox_flush.  Returns the number of removals now buffered. */
size_t outbox_forget(struct outbox *ob, int64_t seq);

/* Writes buffered removals.  Returns false on failure; they stay buffered. */
bool outbox_flush(struct outbox *ob);

/* Messages saved and not yet acknowledged (removals buffered count as
 * done). */
size_t outbox_count(const struct outbox *ob);

/* The last error, a sentence. */
const char *outbox_error(const struct outbox *ob);

/* Writes buffered removals and closes.  NULL is accepted. */
void outbox_close(struct outbox *ob);

#endif
