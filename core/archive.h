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

/* True when a received payload repeats one seen before: a QoS 1
 * redelivery, or a message already stored before a restart.  A
 * `retained` one (MQC_MSG_RETAINED), which the broker hands over at every
 * subscription, is a repeat when this run has shown it, or when history
 * has it at any age: stored as retained, or received live when it was
 * published (among the newest keys of earlier runs, history.h). */
bool archive_is_duplicate(struct chat *chat, const char *id, const char *topic,
                          const void *payload, size_t len, bool retained);
/* Stores a message seen or sent (off the hot path: buffered), under the
 * key archive_is_duplicate() looks for: a retained one (msg->flags) under
 * a digest of `topic` and `payload` of its own, others under their raw
 * `id` when they have one, else that digest. */
void archive_store(struct chat *chat, const struct mqc_message *msg, const char *id,
                   const char *topic, const void *payload, size_t len);

/* /history N and /search WORDS, answered to one frontend. */
void archive_show_last(struct chat *chat, struct instance *to, const char *arg, size_t len);
void archive_search(struct chat *chat, struct instance *to, const char *words, size_t len);

/* mqchat --history N / --search WORDS [--json]: print and exit. */
int archive_print(const struct config *cfg, const char *last, const char *words, bool json);

#endif
