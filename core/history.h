/* SPDX-License-Identifier: MIT */
/*
 * The history store: every message seen or sent, in SQLite.
 *
 * The file is a WAL-mode database (synchronous=NORMAL), created 0600, with
 * one table of messages, an FTS5 full-text index over their text and nick
 * (external content, kept in step by triggers), and indexes on the time
 * received and on the duplicate-detection key.  The schema is versioned
 * with PRAGMA user_version; a file made by a newer mqchat is refused.
 *
 * Writes never touch the disk on the hot path: history_add() only copies
 * the message into memory.  The core calls history_flush() from a timer
 * (e.g. 200 ms after the first message buffered) and history_close() at a
 * clean exit; each flush writes everything buffered in one transaction.
 * Reads (history_last, history_search) flush first, so they see every
 * message added so far (unless that flush fails: then they show what is
 * on disk, and the messages stay buffered).
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

#include "strbuf.h"

#define HISTORY_SCHEMA_VERSION 1

/* Messages kept in memory while flushes fail (disk full, database locked
 * by another process); beyond it the oldest unflushed are dropped and
 * counted (history_dropped). */
#define HISTORY_MAX_PENDING 100000

struct history;

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
 * `dedup_key` is the key from dedup_key() (NULL: none); `received_ms` is
 * when this process saw or sent it (0: msg->time_ms).  msg->time_ms is
 * stored as the time sent.  STATUS messages and messages that are
 * themselves replayed history (MQC_MSG_HISTORY) are ignored.  The own
 * column is set from MQC_MSG_OWN.
 */
void history_add(struct history *h, const struct mqc_message *msg, const char *dedup_key,
                 int64_t received_ms);

/* Messages buffered and not yet written: arm the flush timer while > 0. */
size_t history_pending(const struct history *h);

/*
 * Writes everything buffered in one transaction.  Returns the number of
 * messages written (0 when nothing was buffered), or -1 on failure (see
 * history_error), in which case the messages stay buffered for the next
 * try.  Waits at most ~50 ms for a lock held by another process.
 */
int history_flush(struct history *h);

/*
 * Has a message with this key been stored (or buffered) with a received
 * time >= `since_ms`?  For an id key pass 0; for a digest pass now minus
 * the digest window.  Answers from an index.  False on error and for a
 * NULL key.
 */
bool history_has_key(struct history *h, const char *dedup_key, int64_t since_ms);

/*
 * Called once per message found, oldest first.  `msg` and its strings are
 * valid only during the call; msg->flags has MQC_MSG_HISTORY (and
 * MQC_MSG_OWN for our own); msg->time_ms is the time sent when known, else
 * the time received.  `fn` may call history_add() but no other history
 * function on the same store.
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
