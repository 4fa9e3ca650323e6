/* SPDX-License-Identifier: MIT */
/*
 * What the chat remembers: the history store (history.c) fed on the side of
 * the message path and flushed from a timer, the duplicate filter
 * (dedup.c), replay at start, /history and /search, and the command-line
 * --history and --search.  An archive owns its store, its filter and its
 * timer; it shows messages only through the function it is given, and
 * reports in words what a command found.
 */
#ifndef MQC_ARCHIVE_H
#define MQC_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "config.h"
#include "dedup.h"
#include "history.h"
#include "loop.h"
#include "roomref.h"
#include "strbuf.h"

struct archive;

/* [core] keys the archive works by. */
struct archive_settings {
	size_t replay;          /* history_replay: shown at start */
	int64_t max_messages;   /* history_max_messages; 0: no limit */
	int64_t max_days;       /* history_max_days; 0: no limit */
	uint32_t dedup_window_ms;
};

/* Opens the store [core] history names (in `state_dir` by default) and
 * prunes it to the limits.  Returns 0, with *out set (an archive without a
 * store when history is off or the default file could not be opened:
 * said why), or an exit code after printing why. */
int archive_open(struct archive **out, const struct config *cfg, const char *state_dir,
                 const struct archive_settings *set, struct loop *loop);
/* Flushes and closes; NULL is ignored. */
void archive_close(struct archive *a);

/* The database path [core] history names, NULL when history is off. */
char *archive_database_path(const struct config *cfg, const char *state_dir);
/* The open store, for the outbox to share its file; NULL when none. */
struct history *archive_store_handle(struct archive *a);
/* Whether one of the archive's own timers is armed: a retry, a flood's
 * slices, the full-text index's next pass. */
bool archive_timer_armed(const struct archive *a);

/* How long after connecting a plain payload is looked up in history, and
 * one seen before the link went down is a repeat (archive_check). */
#define ARCHIVE_REPEAT_WINDOW_MS 30000
/* How long after a plain payload was first seen a copy the network marked
 * as sent again (MQC_MSG_RESENT) is a repeat, though the link never
 * dropped: NATS sends a message whose acknowledgement a dying node took
 * with it again after ack_wait (30 s by default), counted once another
 * node has taken over (an election: 5-10 s here).  This run's sightings
 * are the in-memory set's: past its capacity within the window (4 096
 * with history, dedup.h) the first is forgotten and the copy shown. */
#define ARCHIVE_RESENT_WINDOW_MS 120000

/* Has this message (its identity, dedup.h) been seen before: a QoS 1
 * redelivery, the same message relayed twice, a message already stored
 * (by this run, an earlier one, or another process sharing the file)?
 * DEDUP_REPEAT then.  A message with an id is recognised at any age; a
 * plain one within the digest window, or, within a while of connecting
 * (`since_link_up_ms` ago), our own at any age (its echo, queued in our
 * session), and one this run saw within the window before the link went
 * down (`link_down_ms`, monotonic; 0: never), sent again once the link is
 * back, however long it took; one the network marked as sent again
 * (`resent`: MQC_MSG_RESENT) within ARCHIVE_RESENT_WINDOW_MS of its first
 * sighting.  With a digest window of 0 none of these.  A retained one
 * (MQC_MSG_RETAINED), which the broker hands over at every subscription,
 * is a repeat when this run has shown it, or when history has it at any
 * age.  DEDUP_CONFLICT: new, but another message had its id. */
enum dedup_verdict archive_check(struct archive *a, const struct dedup_identity *ident,
                                 uint64_t since_link_up_ms, uint64_t link_down_ms, bool resent);
/* The same for an answer to our history request: known when this run has
 * seen it, or an earlier run stored it at any age (a message without an
 * id by its words, among the newest keys the store recalls). */
enum dedup_verdict archive_check_answer(struct archive *a, const struct dedup_identity *ident);
/* Who waits for the next write: the backends that hold something back
 * until it (the acknowledgements of QoS 1/2 messages: host->notify_stored
 * in plugin.h). */
struct archive_waiters {
	bool any;           /* some backend does */
	const char *alone;  /* the one network whose backend does; NULL: none or several */
	bool peers_wait;    /* one of them may keep its peer waiting too
	                     * (host->notify_peer_waiting) */
};

/* Writes what the rounds stored, after the outbox saved what it made of
 * it (the caller's order): before the acknowledgements of the QoS 1/2
 * messages among them leave (the backends hold them until told: `stored`
 * in plugin.h), whatever the broker counts as delivered is in history,
 * even if mqchat is killed right after (a logger of a pool); and a
 * message in history always has its relays saved, so that one sent again
 * after a kill between the two is not taken for a repeat with its relays
 * lost.  A commit is a write to the log, no fsync (history.c).  Returns 0
 * once nothing waits (written, nothing to write, or the write failed: the
 * flush timer retries, and holding acknowledgements would not help).
 * With `may_wait`, in a busy room or a calm one whose peers do not wait,
 * it may instead return how many milliseconds to wait before calling
 * again: the rounds until then share one transaction (archive.c).  With
 * history off there is nothing to write, but the acknowledgements `w`
 * holds back wait as if there were: a broker sends what comes meanwhile
 * in fewer, fuller segments (archive.c, "Without history"). */
uint32_t archive_write_round(struct archive *a, bool may_wait, const struct archive_waiters *w);
/* How long a group of rounds waits to share a write: ARCHIVE_GROUP_MS
 * (a flood's ARCHIVE_FLOOD_GROUP_MS, below) after the last write, or,
 * while `w->alone` feeds it alone, after the group last grew; at most
 * ARCHIVE_GROUP_SPAN_MS after it began; while no peer waits and the
 * messages come one a round, ARCHIVE_CALM_SPAN_MS after it began
 * (archive.c). */
#define ARCHIVE_GROUP_MS 8
#define ARCHIVE_GROUP_SPAN_MS 40
#define ARCHIVE_CALM_SPAN_MS 200
/* With history, a busy group that holds ARCHIVE_FLOOD_GROUP messages or
 * more (a flood's) waits ARCHIVE_FLOOD_GROUP_MS where it would wait
 * ARCHIVE_GROUP_MS (archive.c, "A flood's groups"). */
#define ARCHIVE_FLOOD_GROUP 4
#define ARCHIVE_FLOOD_GROUP_MS 16
/* A group holding this many messages is written without waiting more:
 * ARCHIVE_GROUP_MAX once a round of it brought several messages at once,
 * ARCHIVE_GROUP_CALM_MAX while they come one a round, and while no peer
 * waits either, a number drawn around it for each group (random_spread;
 * archive.c says why). */
#define ARCHIVE_GROUP_MAX 40
/* A busy group while no backend holds acknowledgements for the write:
 * nothing but time bounds it (archive.c, "Nothing held"). */
#define ARCHIVE_GROUP_UNHELD_MAX 256
#define ARCHIVE_GROUP_CALM_MAX 10
/* Around this many, within ARCHIVE_SPACED_SPAN_MS, while no peer waits
 * and the group's messages came ARCHIVE_SPACED_GAP_MS apart or more on
 * average; sooner once none came for ARCHIVE_SPACED_QUIET_GAPS of those
 * gaps (archive.c, "Spaced messages"). */
#define ARCHIVE_GROUP_SPACED_MAX 32
#define ARCHIVE_SPACED_GAP_MS 2
#define ARCHIVE_SPACED_SPAN_MS 1000
#define ARCHIVE_SPACED_QUIET_GAPS 4

/* The full-text index is brought up to date once no write came for about
 * ARCHIVE_INDEX_DELAY_MS (drawn between half and one and a half times it;
 * each write puts it off), or, in a room that never pauses, from
 * ARCHIVE_INDEX_MAX_DELAY_MS after a write first left it behind.  Indexing
 * costs less a row the more are indexed at once, and each pass starts
 * cold: in a room of a message every 5 ms, a pass every 200 ms (40 rows)
 * cost 5.7-6.8 µs a row, one every 2 s (400 rows) 3.3-4.2; and a flood is
 * received faster without its index (bench/README.md, "The index once the
 * writes pause").  A search does not wait for it: it indexes what waits
 * first. */
#define ARCHIVE_INDEX_DELAY_MS 2000
#define ARCHIVE_INDEX_MAX_DELAY_MS 10000

/* Stores a message seen or sent (off the hot path: buffered), under the
 * key archive_check() looks for (a retained one under its retained key). */
void archive_store(struct archive *a, const struct mqc_message *msg,
                   const struct dedup_identity *ident);
/* A message said here: remembered (so its echo is known) and stored. */
void archive_said(struct archive *a, const struct mqc_message *msg,
                  const struct dedup_identity *ident);

/* For another client's history request: the last `max` messages and
 * actions (no joins or leaves) of network:room after `since_ms` (0: any),
 * oldest first, to `show`; how many (0 with no store). */
size_t archive_query(struct archive *a, const char *network, const char *room,
                     int64_t since_ms, size_t max, history_fn show, void *data);
/* How many messages a start replays: 0 with no store. */
size_t archive_replay_count(const struct archive *a);

/* Passes the last [core] history_replay messages to `show`. */
void archive_replay(struct archive *a, history_fn show, void *data);

/* /history N and /search WORDS, of the room `where` (NULL: every room):
 * the messages go to `show`, then `reply` gets the line that closes them
 * (how many, or why none).  Returns false when that line is an error. */
bool archive_show_last(struct archive *a, const char *arg, size_t len,
                       const struct roomref *where, history_fn show, void *data,
                       struct strbuf *reply);
bool archive_search(struct archive *a, const char *words, size_t len,
                    const struct roomref *where, history_fn show, void *data,
                    struct strbuf *reply);

/* mqchat --history N / --search WORDS [--room [NET:]ROOM] [--json]: print
 * and exit.  `room` NULL: every room. */
int archive_print(const struct config *cfg, const char *last, const char *words,
                  const char *room, bool json);

#endif
