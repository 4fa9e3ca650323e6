/* SPDX-License-Identifier: MIT */
/*
 * What the chat remembers: the history store (history.c) fed on the side of
 * the message path and flushed from a timer, the duplicate filter
 * (dedup.c), replay at start, /history and /search, and the command-line
 * --history and --search.
 */
#ifndef MQC_ARCHIVE_H
#define MQC_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <mqchat/plugin.h>

#include "dedup.h"

struct chat;
struct config;
struct instance;

/* Opens the store [core] history names and prunes it to the limits
 * main.c read into `chat`.  Returns 0 or an exit code after printing why. */
int archive_open(struct chat *chat);
/* Flushes and closes. */
void archive_close(struct chat *chat);

/* The history database's path ([core] history), NULL when history is off. */
char *archive_database_path(const struct config *cfg, const char *state_dir);

/* Shows the last history_replay messages to every frontend. */
void archive_replay(struct chat *chat);

/* Has this message (its identity, dedup.h) been seen before: a QoS 1
 * redelivery, the same message relayed twice, a message already stored
 * (by this run, an earlier one, or another process sharing the file)?
 * DEDUP_REPEAT then.  A message with an id is recognised at any age; a
 * plain one within the digest window, or, right after connecting, our own
 * at any age (its echo, queued in our session).  A retained one
 * (MQC_MSG_RETAINED), which the broker hands over at every subscription,
 * is a repeat when this run has shown it, or when history has it at any
 * age.  DEDUP_CONFLICT: new, but another message had its id. */
enum dedup_verdict archive_check(struct chat *chat, const struct dedup_identity *ident);
/* Stores a message seen or sent (off the hot path: buffered), under the
 * key archive_check() looks for (a retained one under its retained key). */
void archive_store(struct chat *chat, const struct mqc_message *msg,
                   const struct dedup_identity *ident);

/* /history N and /search WORDS, answered to one frontend. */
void archive_show_last(struct chat *chat, struct instance *to, const char *arg, size_t len);
void archive_search(struct chat *chat, struct instance *to, const char *words, size_t len);

/* mqchat --history N / --search WORDS [--json]: print and exit. */
int archive_print(const struct config *cfg, const char *last, const char *words, bool json);

#endif
