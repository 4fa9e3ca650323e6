/* SPDX-License-Identifier: MIT */
/*
 * The history store: every message seen or sent, in SQLite.
 *
 * The file is a WAL-mode database (synchronous=NORMAL), created 0600, with
 * one table of messages, a unique index on the keys of messages with an id
 * (dedup.h; those alone), an index on the keys of retained messages (those
 * alone), and an FTS5 full-text index over their
 * text and nick (external content, kept in step by triggers on delete and
 * update).  The index may lag behind the
 * table (search_progress says how far it is): a flush indexes what it
 * writes, except during a flood (the core says when: history_flush_some),
 * when indexing waits until the flood is over, as does copying the
 * write-ahead log back into the file, and except a write something waits
 * on (history_store_pending), which a later flush indexes and copies back
 * for; a search brings
 * the index up to date first.
 * Each row says where the message was said: network, room, and a private
 * message's recipient (schema 7; rows of older files have "" there).
 * The schema is versioned with PRAGMA user_version; a file made by a newer
 * mqchat is refused, one made by an older one is upgraded.
 *
 * Writes never touch the disk on the hot path: history_add() only copies
 * the message into memory.  The core writes it out at the end of the loop
 * round (history_store_pending), before the round's acknowledgements
 * leave, and what a failed write left in bounded slices with
 * history_flush_some() from a timer (so that no flush holds the loop for
 * long); it calls history_close() at a clean exit.  Reads (history_last,
 * history_search) flush everything first, so they see every message added
 * so far (unless that flush fails: then they show what is on disk, and the
 * messages stay buffered).
 *
 * Several processes may share the file (two participants under one user):
 * each stores what it sees, and a message is stored once.  A message with
 * an id is kept once by its key (INSERT OR IGNORE); one without, by its
 * content (nick, type, text): a flush skips what another process stored
 * since this one last wrote, with the same content, received within 10 s.
 *
 * Everything runs on the caller's thread.  No SQL is ever built from user
 * text: every statement is prepared once and bound.
 */
#ifndef MQC_HISTORY_H
#define MQC_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "roomref.h"
#include "strbuf.h"

#define HISTORY_SCHEMA_VERSION 9

/* Rows indexed by a flush of the search index alone: a short piece of
 * work, so that the loop stays responsive between slices.  Each slice is a
 * segment of the index, and segments are merged: at a million stored,
 * indexing 100 000 rows after a flood took 571 ms in slices of 1 024 (6 ms
 * each), 373-420 ms in slices of 2 048 (8 ms each).  Slices of 4 096 cost
 * a little less again but took a receiver's peak memory 0.6 MiB higher
 * (bench/README.md, "Index slices of 2 048"). */
#define HISTORY_INDEX_SLICE 2048

/* How far the search index may fall behind in a flood: past it, flushes
 * index as many rows as they write, so that a search right after a flood
 * (which waits for the index) stays quick (bench/README.md). */
#define HISTORY_INDEX_LAG_MAX 100000

/* Rows a search indexes in each transaction before it reads (the ~0.25 s
 * of HISTORY_INDEX_LAG_MAX's figure were measured with it). */
#define HISTORY_INDEX_BEFORE_SEARCH 16384

/* Messages kept in memory while flushes fail (disk full, database locked
 * by another process): about 200 bytes each.  Beyond it the oldest
 * unflushed are dropped and counted (history_dropped). */
#define HISTORY_MAX_PENDING 20000

/* Dedup keys of earlier runs that history_has_key() knows: as many as the
 * in-memory duplicate set holds (DEDUP_DEFAULT_CAPACITY), so after a
 * restart the newest keys of the last run are known as if it had never
 * stopped.  128 KiB once read. */
#define HISTORY_KEYS_RECALLED 4096

struct history;
struct sqlite3;

/*
 * Opens or creates the database at `path`, whose directory must exist
 * (the caller creates $XDG_STATE_HOME/mqchat).  ":memory:" gives a private
 * in-memory store (no WAL), for tests.  Returns NULL, with a sentence
 * naming the path appended to `err` (if not NULL), when the file cannot be
 * opened, is not an mqchat history, or has a newer schema.
 */
struct history *history_open(const char *path, struct strbuf *err);

/*
 * Buffers `msg` for the next flush: copies its strings, nothing else.
 * `dedup_key` is a key from dedup_identify() (NULL: none); `received_ms` is
 * when this process saw or sent it (0: msg->time_ms).  msg->time_ms is
 * stored as the time sent.  STATUS messages and messages that are
 * themselves replayed history (MQC_MSG_HISTORY) are ignored.  The own
 * column is set from MQC_MSG_OWN; msg->network, room and to are kept as
 * they are (NULL as "").
 */
void history_add(struct history *h, const struct mqc_message *msg, const char *dedup_key,
                 int64_t received_ms);

/* Messages buffered and not yet written: arm the flush timer while > 0. */
size_t history_pending(const struct history *h);

/* The store's SQLite connection, for the outbox, which keeps its table in
 * the same file (outbox_open_in): one connection, one page cache, one
 * policy for copying the log back.  Valid until history_close(). */
struct sqlite3 *history_connection(struct history *h);

/*
 * Writes the oldest `max_messages` buffered (or all, if fewer) in one
 * transaction, in the order they were added.  Unless `flood` (more keeps
 * coming than a flush takes), the same transaction brings the full-text
 * index up to date with them and up to HISTORY_INDEX_SLICE older rows
 * not indexed yet, and a long log is copied back into the file after it;
 * during a flood both wait (up to bounds: 100 000 rows behind, 16 MiB of
 * log).  With nothing buffered, a calm flush indexes a slice.  Returns
 * the number written (0 when nothing was buffered), or -1 on failure (see
 * history_error), in which case they stay buffered for the next try.
 * Waits at most ~50 ms for a lock held by another process.  A few hundred
 * messages take a few milliseconds (bench/README.md).
 */
int history_flush_some(struct history *h, size_t max_messages, bool flood);

/* A calm history_flush_some() of everything buffered. */
int history_flush(struct history *h);

/* Writes everything buffered now, in one transaction, leaving the
 * full-text index behind as a flood does (up to its bound): for a write
 * that something waits on (the round's acknowledgements, the next line
 * read), which a later calm flush, with nothing buffered, indexes in a
 * batch.  The log is copied back into the file only as a flood's is, once
 * very long: a calm flush does it otherwise.  Returns as
 * history_flush_some. */
int history_store_pending(struct history *h);

/* True while a calm flush with nothing buffered has work left from a
 * flood: rows to index (as this process last saw: another one sharing the
 * file may have done it), or a long log to copy back. */
bool history_has_idle_work(const struct history *h);

/*
 * Was a message with this key stored by an earlier run, with a received
 * time >= `since_ms`?  "Earlier" means already in the file when this store
 * was opened (what this run sees, its in-memory duplicate set knows), and
 * only the newest HISTORY_KEYS_RECALLED keys of those count: repeats of an
 * earlier run's messages (QoS 1 redeliveries, queued messages) follow its
 * last ones.  For a digest ("dg:") pass now minus the digest window: a
 * digest of one of our own messages (own column) is known at any age (the
 * broker hands the echo of our own back after a restart).  The first call
 * reads those keys (bench/README.md); every call after is a lookup in
 * memory.  False for a NULL or empty key, and when the keys cannot be read.
 */
bool history_has_key(struct history *h, const char *dedup_key, int64_t since_ms);

/* When the newest message stored before the store was opened (by an
 * earlier run, or another process) arrived, Unix ms; 0 when none.  A
 * logger killed before acknowledging its last messages gets them again
 * at its next start, however long after: they are digests stored within
 * the digest window before this time. */
int64_t history_earlier_end_ms(struct history *h);

/*
 * Is a message with an id stored under this key (dedup_identity.key),
 * however long ago, by this run, an earlier one or another process (as far
 * as this one has seen)?  Answered in memory (a filter over every stored
 * id key, loaded from the file by the first call or history_load_ids) for
 * nearly every new message; SQLite is asked only when the filter says
 * maybe (about 1 % of new messages, and every real repeat).  False for a
 * key without an id.
 */
bool history_has_message(struct history *h, const char *key);

/* Loads the filter history_has_message() uses, if not yet done: one read
 * of the index of id keys (at start, so that the first message does not
 * wait for it). */
void history_load_ids(struct history *h);

/*
 * Was a message stored by an earlier run under this `retained_key`
 * (dedup_identity.retained_key), however long ago?  "Earlier" as for
 * history_has_key(), but not only among the newest keys: a retained
 * message is often the oldest thing a run saw.  A lookup in an index of
 * retained messages alone (microseconds): call it for a retained message
 * received, never for the others.  False for a NULL key or one that is not
 * a retained one, and when the database cannot be read (see
 * history_error).
 */
bool history_has_retained_key(struct history *h, const char *retained_key);

/*
 * Called once per message found, oldest first.  `msg` and its strings are
 * valid only during the call; msg->flags has MQC_MSG_HISTORY (and
 * MQC_MSG_OWN for our own); msg->time_ms is the time sent when known, else
 * the time received; msg->network, room and to are as stored (never
 * NULL).  `fn` may call history_add() but no other history function on
 * the same store.
 */
typedef void (*history_fn)(void *data, const struct mqc_message *msg);

/* The last `n` messages (by order of arrival), oldest first.  Returns how
 * many were passed to `fn`, or -1 on error. */
int history_last(struct history *h, size_t n, history_fn fn, void *data);

/*
 * Full-text search: the newest `limit` messages whose text or nick
 * contains every word of `words` (split at white space; each word is taken
 * as plain text, so `"`, `*`, `-x`, `AND(`, `NEAR(` are no syntax; accents
 * and case are ignored: "que" finds "Qué"), passed to `fn` oldest first.
 * A `words` with no word finds nothing.  Returns how many were passed to
 * `fn`, or -1 on error.
 */
int history_search(struct history *h, const char *words, size_t limit, history_fn fn,
                   void *data);

/* history_last() and history_search() of the room `where` alone: the
 * messages whose network and room are where->network and where->room
 * (NULL: every room, as those two).  Without an index on rooms: a room
 * rarely spoken in costs a walk through the table, or through every match
 * of the words. */
int history_last_in(struct history *h, const struct roomref *where, size_t n, history_fn fn,
                    void *data);
int history_search_in(struct history *h, const struct roomref *where, const char *words,
                      size_t limit, history_fn fn, void *data);
/* The last `n` messages and actions (no joins or leaves) of the room
 * `where`, sent (else received) after `since_ms`, oldest first. */
int history_said_in(struct history *h, const struct roomref *where, int64_t since_ms,
                    size_t n, history_fn fn, void *data);

/*
 * Retention: keeps at most the newest `max_messages` messages and none
 * received before `now_ms` minus `max_days` days; 0 means no limit for
 * either.  Flushes first.  Returns how many messages were deleted, or -1.
 * Deleting many messages takes time: call it at start-up (and, if at all,
 * rarely afterwards), not per message.
 */
int64_t history_prune(struct history *h, int64_t max_messages, int64_t max_days, int64_t now_ms);

/* The last error, a sentence ("" when none).  Valid until the next call. */
const char *history_error(const struct history *h);

/* Messages dropped because flushes kept failing (see HISTORY_MAX_PENDING). */
uint64_t history_dropped(const struct history *h);

/*
 * Flushes what is buffered and closes the database.  Returns 0, or -1 if
 * the final flush failed (those messages are lost; history_error() is not
 * available any more, so the core wanting to report it calls
 * history_flush() first).  NULL is accepted.
 */
int history_close(struct history *h);

#endif
