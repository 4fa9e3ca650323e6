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
 * buffered and written from a timer (outbox_forget, outbox_flush).  A message acknowledged but not yet
 * removed when the process dies is sent once more: a harmless repeat.
 *
 * Several mqchat processes may share one database.  Each row names the
 * process that saved it (its pid and start time); a process takes over
 * only the rows of processes that are gone (outbox_claim).
 *
 * Each row keeps its destination: the network, the broker and the room it
 * was said to.  It is only ever sent there: a run for another destination
 * leaves it where it is (and says so).
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

/* Where this process sends: the network (backend instance), the broker
 * (host:port, or the list of brokers) and the room (topic).  Compared as
 * strings. */
struct outbox_dest {
	const char *network, *broker, *room;
};

/* Called for each message taken over, oldest first, with its row number
 * (for outbox_forget); its strings are valid only during the call. */
typedef void (*outbox_fn)(void *data, const struct mqc_message *msg, int64_t seq);

/* Sets this process's destination (what it saves from now on carries it),
 * then takes over the messages for it of processes that have ended (an
 * earlier run, crashed or not) and passes them to `fn`.  Those for another
 * destination stay; `elsewhere` gets how many wait for where ("2 for
 * mqtt (host:1883, room x)"), sanitised; nothing when none.  Returns how
 * many were taken over, or -1. */
int outbox_claim(struct outbox *ob, const struct outbox_dest *dest, outbox_fn fn, void *data,
                 struct strbuf *elsewhere);

/* Saves messages in one transaction: begin, put each, commit.  On failure
 * (see outbox_error) the transaction is rolled back: nothing was saved. */
bool outbox_save_begin(struct outbox *ob);
bool outbox_save_put(struct outbox *ob, const struct mqc_message *msg, int64_t *seq);
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
