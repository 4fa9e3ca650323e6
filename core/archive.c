/* SPDX-License-Identifier: MIT */
#include "archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "clock.h"
#include "identity.h"
#include "instance.h"
#include "log.h"
#include "random.h"
#include "template.h"
#include "where.h"
#include "wire_json.h"

/* History is written at the end of each round that stored messages, or of
 * a group of rounds (archive_write_round, from the chat's save step, after
 * the outbox), without its full-text index, which the index timer brings
 * up to date once the writes pause, for all the rounds since
 * (ARCHIVE_INDEX_DELAY_MS; a search first indexes what waits).  What a
 * failed write left waits for the flush timer:
 * retried after FLUSH_DELAY_MS * 5, then written in slices of FLUSH_BATCH
 * messages (more when much waits, see flush_now) FLUSH_NEXT_MS apart, so
 * the loop never stalls on it for long (bench/README.md). */
#define FLUSH_DELAY_MS 200
#define FLUSH_BATCH 256
#define FLUSH_NEXT_MS 1
/* A flood is stored without its full-text index, which costs more than
 * the rest of storing a message (bench/README.md); the index catches up
 * once it is over (index_later), in slices INDEX_NEXT_MS apart. */
#define INDEX_NEXT_MS 5
/* Group commit.  In a busy room a transaction a round (a message or two a
 * round when they trickle in) cost more than the rest of receiving them,
 * and acknowledging each message alone kept the whole room, broker and
 * senders too, working one message at a time (bench/README.md).  A round
 * that ends within ARCHIVE_GROUP_MS of the last write waits for the next
 * ones to share its transaction: until ARCHIVE_GROUP_MS after that write, or
 * until ARCHIVE_GROUP_MAX messages wait.  The acknowledgements held until
 * the write must stay within the broker's window: the MQTT backend asks
 * for 100 (MQTT 5), and has the group written at once when half its
 * window waits (20 assumed with 3.1.1: groups of 10, as they were before
 * the window was asked for; bench/README.md).  Messages that come one a
 * round (one at a time: each answered before the next is sent) are
 * written by ARCHIVE_GROUP_CALM_MAX: the one that arrives during a write
 * waits for it, and a write of 40 made that wait, one message in 40, the
 * p99 of a one-at-a-time stream (bench/README.md).  While we wait, our TCP
 * acknowledgement waits for our PUBACKs too, and mosquitto's Nagle
 * gathers what it sends us meanwhile into one segment: that is most of
 * the gain.  It also means that a broker
 * sending one message at a time (max_inflight_messages 1, or one line
 * answered at a time) sends nothing more until it hears from us: a group
 * that did not grow in its last WRITE_STALL_MS stalled.  WRITE_STALLS
 * stalls in a row at the same size make groups of that size written at
 * once for the next WRITE_CAPPED writes; then waiting is tried again, and
 * each time that stalls again the span doubles, up to WRITE_CAPPED_MAX
 * (a group that grows starts it over; more messages at once than the cap
 * end it, so a cap that was wrong costs little): a steady one-at-a-time
 * stream pays ARCHIVE_GROUP_MS for one message in a thousand, then fewer.
 * Writing a group as soon as it stops growing would spare that, but it
 * sends the PUBACKs before mosquitto's next segment is full: a room of 30
 * ran at half its rate.  Fewer stalls before a cap (4) made a room of 50
 * cap itself: its groups stall at one or two messages too.  8 ms, not 5:
 * a room of 50 whose members each get a message every 2 ms made groups of
 * 2 or 3 in 5 ms, and ran at 0.6 of mosquitto's clients' rate (0.8 with
 * 8 ms, its members' CPU a delivery 40 -> 29 µs); the price was paid by a
 * message that came while a group waited, which mosquitto's Nagle held
 * until the group was written: at one message every 5 ms, p50 2.4 -> 4.5
 * ms, until the MQTT backend ACKed a calm room's messages at once
 * (mqtt_ack_read; bench/README.md).  A group that grows waits on, until
 * ARCHIVE_GROUP_MS after it last grew (ARCHIVE_GROUP_SPAN_MS after it
 * began at most; group_end says when not): it grows in a calm room, whose
 * messages, ACKed at once, keep coming during the wait; in a busy room
 * the broker's Nagle holds them until the write.  A message every 5 ms,
 * the bench's paced room: a receiver's CPU a delivery 91 -> 65 µs, p99
 * 8.5 -> 3.8 ms.  A calm room's receiver can still fall into the busy
 * room's pattern: a read that brought two messages is not ACKed at once
 * (mqtt_ack_read), the broker holds the next until the write, and the
 * read after it brings one or two again, so groups of one and two stall
 * in turn, each message held up to ARCHIVE_GROUP_MS, for the rest of the
 * run.  Groups of one or two (TRICKLE_MAX) that stalled therefore count
 * as one size (a trickle): capped, each round is written at once, and
 * only more than two at once end the cap.  In the paced room the worst
 * receiver had 100-190 deliveries over 5 ms in 9 runs of 20 before, 52 at
 * most after, and p99 fell 3.6 -> 3.0 ms; the bursts were 1-8 % slower
 * (not traced: a busy room's groups may stall at one or two too;
 * bench/README.md).  A calm room whose broker does not wait for us (each
 * read ACKed at once: host->notify_peer_waiting) gains nothing from a
 * write soon either: its messages are shown as they come, and only their
 * PUBACKs wait.  There a lone message waits for company, up to
 * ARCHIVE_CALM_SPAN_MS after its group began, and a group is mostly
 * written in the round of its last message, right after that one is
 * shown.  Such groups that stall are still capped as above.  That
 * catches a broker whose own limit on messages in flight is below the
 * group (it waits for our PUBACKs whatever TCP says), and a room too slow
 * to fill a group within its span (a write a message costs it nothing one
 * sees).  A cap binds only groups of the kind that set it, though: a calm
 * room's first reads often bring two, the trickle above caps them, and
 * its later lone messages, which nobody waits for, were then written a
 * transaction each for the cap's thousand writes and more
 * (bench/README.md, "A calm room's trickle cap").
 * Spaced messages: a write delays only the message that comes during it.
 * In a one-at-a-time stream that is the next one, a round trip (0.1-0.3
 * ms) later, so bigger groups there made the p99 worse.  An unhurried
 * group whose messages came ARCHIVE_SPACED_GAP_MS apart or more on
 * average is written at about ARCHIVE_GROUP_SPACED_MAX instead, within
 * ARCHIVE_SPACED_SPAN_MS (and half the broker's window, as ever): its
 * write, a few hundred µs, is mostly over before the next message comes.
 * It is written sooner when no message came for ARCHIVE_SPACED_QUIET_GAPS
 * times its average gap: a pause, or a broker whose own limit on messages
 * in flight is below the group (the stalls above then cap such groups).
 * The bench's paced room of 50 (a message every 5 ms): a receiver's CPU
 * a delivery 1.40-1.61 -> 1.24-1.38 times mosquitto_sub's, p50 1.16-1.31
 * -> 1.04-1.16 times; the room of 200 (every 20 ms), whose groups the
 * calm span kept to ten, moved less than it swings from run to run
 * (bench/README.md, "Spaced messages").
 * Each group's size is drawn:
 * the members of a room receive the same messages, and with ten for all
 * of them, all wrote in the same round, which then made the room's p99.
 * A room of 200 at 50 messages a second: a receiver's CPU a delivery 71
 * -> 39 µs, p50 5.4 -> 3.1 ms, p99 9.5 -> 6.2 ms (bench/README.md).
 *
 * Nothing held: while no backend holds acknowledgements for the write (a
 * QoS 0 room, a sender's own lines), no window bounds a busy group, and
 * it grows to ARCHIVE_GROUP_UNHELD_MAX: each transaction of a flood
 * rewrites the table's and the key index's last pages, about a dozen
 * pages of log whatever its size.  100 000 lines at QoS 1 from a FIFO
 * through a sender and a receiver while two busy loops ran, three runs
 * each in turn: 1.04 -> 1.13 times mosquitto's clients' rate (QoS 0
 * within the spread; bench/README.md, "A sender's groups").
 *
 * A flood's groups: a busy group that holds ARCHIVE_FLOOD_GROUP messages
 * (four within ARCHIVE_GROUP_MS: 500 a second or more) waits
 * ARCHIVE_FLOOD_GROUP_MS instead.  In a burst into a room of 50 like the
 * bench's (a throwaway script), each member received 500-700 messages a
 * second and wrote groups of about five, a transaction and a page of log
 * each; waiting 16 ms, three runs each in turn, the room ran at 748-784
 * messages a second instead of 512-619 and its receivers spent 22.5-23.8
 * µs a delivery instead of 32.3-40.9 (bench/README.md, "A flood's
 * groups").  A paced room's groups hold fewer and wait as before.
 * Without history the longer wait made the same burst slower (993 and
 * 882 -> 858 and 805 a second): it pays for sharing a transaction, not
 * for the wait.  The MQTT backend now reads such a flood in rests of its
 * own and has each read's messages written at once (mqtt_pace.h), so
 * there a flood's group seldom waits at all.
 *
 * Without history nothing is written, but the acknowledgements a backend
 * holds back wait all the same, grouped as above: it is the wait, not
 * the write, that lets the broker gather a busy room's messages into
 * fuller segments.  Sent at the end of each round, they kept the bench's
 * room of 50 with history off at one message a read: 1 200 messages a
 * second, 17 µs and 0.93 context switches a delivery for each receiver;
 * grouped, 2 140, 9 µs and 0.57 (bench/README.md, "History off"). */
#define TRICKLE_MAX 2
#define WRITE_STALL_MS 2
#define WRITE_STALLS 8
#define WRITE_CAPPED 1024
#define WRITE_CAPPED_MAX 8192
#define SEARCH_LIMIT 50
#define MAX_SHOWN 10000

static const struct config_value *core_origin(const struct config *cfg, const char *key)
{
	return config_find(cfg, "core", key);
}

/* The database path [core] history asks for; NULL for off. */
static char *history_path(const struct config *cfg, const char *state_dir, bool *explicit_path)
{
	const char *value = config_core_value(cfg, "history");
	bool on;
	*explicit_path = false;
	if (config_parse_bool(value, &on)) {
		if (!on)
			return NULL;
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "%s/history.db", state_dir);
		return strbuf_take(&sb);
	}
	*explicit_path = true;
	return config_expand_path(value);
}

char *archive_database_path(const struct config *cfg, const char *state_dir)
{
	bool explicit_path;
	return history_path(cfg, state_dir, &explicit_path);
}

/* Opens the store: NULL with *rc 0 when history is off, or with *rc set
 * after saying why when a file [core] history names cannot be opened.
 * When the default file cannot be opened, *rc is 0 and *why says why (the
 * caller says what follows). */
static struct history *open_store(const struct config *cfg, const char *state_dir, int *rc,
                                  char **why)
{
	bool explicit_path;
	*rc = 0;
	char *path = history_path(cfg, state_dir, &explicit_path);
	if (!path)
		return NULL;
	struct strbuf err = STRBUF_INIT;
	struct history *h = history_open(path, &err);
	if (!h && explicit_path) {
		const struct config_value *v = core_origin(cfg, "history");
		log_print(NULL, MQC_LOG_ERROR, "%s: [core] history: %s",
		         v ? v->origin : "built-in default", strbuf_str(&err));
		*rc = EX_CONFIG;
	} else if (!h) {
		*why = xstrdup(strbuf_str(&err));
	}
	strbuf_free(&err);
	free(path);
	return h;
}

struct archive {
	struct archive_settings set;
	struct history *history; /* NULL: history off or unavailable */
	struct dedup *dedup;
	struct loop_timer *flush_timer; /* a failed write's retry, a flood's slices */
	struct loop_timer *index_timer; /* the full-text index's next pass */
	uint64_t index_due_ms; /* monotonic: it is put off no later; 0: caught up */
	uint64_t dropped_told; /* history_dropped() when last reported */
	bool failing;          /* flushes fail: said once, until one works */
	uint64_t last_write_ms; /* monotonic, of the last round's write */
	size_t group_started;   /* how many waited when the group began */
	size_t group_pending;   /* how many waited when the group last grew */
	bool group_busy;        /* a round of it brought several messages */
	bool group_unhurried;   /* no peer waited for it in any of its rounds */
	size_t calm_most;       /* it is written at this size while unhurried (draw_unhurried_sizes) */
	size_t spaced_most;     /* or at this one while its messages come spaced */
	uint64_t group_grew_ms; /* then (monotonic) */
	uint64_t group_began_ms; /* when the group began (monotonic) */
	/* The network of what was stored since the last write, while it all
	 * came from one (networks_fed 1; 2: from more). */
	struct strbuf fed_by;
	unsigned networks_fed;
	size_t stall_size;      /* of the last groups that stalled (TRICKLE_MAX: up to it) */
	bool stall_unhurried;   /* and whether they were unhurried */
	unsigned stalls;        /* how many in a row */
	size_t group_cap;       /* while capped_writes: more at once ends it */
	bool cap_unhurried;     /* unhurried groups set it: it binds them too */
	unsigned capped_writes;
	unsigned capped_span;   /* capped_writes the next cap starts with */
	char *unavailable;     /* why history could not be opened; NULL: it was, or is off */
	size_t unwritten;      /* without history: stored since the last "write" */
};

/* A failed flush: said once an outage, not at every retry, with what it
 * cost; retried later. */
static void flush_failed(struct archive *a)
{
	if (!a->failing)
		log_print(NULL, MQC_LOG_ERROR, "history: %s (retrying every %d s)",
		          history_error(a->history), FLUSH_DELAY_MS * 5 / 1000);
	a->failing = true;
	/* No round waits while writes fail (archive_write_round), and the
	 * retry writes what waits: a group left waiting would keep its
	 * messages from it (flush_now) until a round came. */
	a->group_pending = 0;
	a->group_busy = false;
	uint64_t dropped = history_dropped(a->history);
	if (dropped > a->dropped_told)
		log_print(NULL, MQC_LOG_ERROR, "history: %llu messages could not be kept "
		          "while the database failed, and are not in history",
		          (unsigned long long)dropped);
	a->dropped_told = dropped;
	loop_timer_arm(a->flush_timer, FLUSH_DELAY_MS * 5);
}

/* The sooner of two moments. */
static uint64_t sooner(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The index's next pass comes INDEX_NEXT_MS from now, unless it is
 * already due: it is never put off past index_due_ms (index_later). */
static void index_soon(struct archive *a)
{
	if (!loop_timer_armed(a->index_timer))
		loop_timer_arm(a->index_timer, INDEX_NEXT_MS);
}

/* After a write: the index's next pass is put off until no write came
 * for ARCHIVE_INDEX_DELAY_MS, drawn (the members of a room, which store the
 * same message at the same moment, would otherwise all index at once), but
 * not past ARCHIVE_INDEX_MAX_DELAY_MS after a write first left it behind;
 * from then on it catches up, a slice every INDEX_NEXT_MS.  So does
 * copying the log back into the file. */
static void index_later(struct archive *a)
{
	if (!history_has_idle_work(a->history))
		return;
	uint64_t now = monotonic_ms();
	if (!a->index_due_ms)
		a->index_due_ms = now + ARCHIVE_INDEX_MAX_DELAY_MS;
	if (a->index_due_ms <= now) {
		index_soon(a);
		return;
	}
	uint64_t when = sooner(now + random_spread(ARCHIVE_INDEX_DELAY_MS), a->index_due_ms);
	loop_timer_arm(a->index_timer, (uint32_t)(when - now));
}

/* A pass of the index (HISTORY_INDEX_SLICE rows at most), and the next
 * INDEX_NEXT_MS later while rows still wait. */
static void index_now(void *data)
{
	struct archive *a = data;
	if (a->failing)
		return; /* the flush timer's retry indexes too */
	if (history_flush_some(a->history, 0, false) < 0) {
		flush_failed(a);
		return;
	}
	if (history_has_idle_work(a->history))
		index_soon(a);
	else
		a->index_due_ms = 0; /* caught up */
}

static void flush_now(void *data)
{
	struct archive *a = data;
	/* A flood can bring more than a batch between two slices: then a slice
	 * takes half of what waits, so that writing keeps up instead of the
	 * backlog outgrowing HISTORY_MAX_PENDING (bench/README.md, "Flushes").
	 * Pausing the sources while history is behind would keep slices
	 * small; the send queue owns that switch.  A group waiting to share a
	 * write (group_wait) is left to its round, which ends the wait: taken
	 * here, its acknowledgements would still wait for the round, and the
	 * next group would begin in the old one's state. */
	bool group_waits = a->group_pending != 0;
	size_t pending = history_pending(a->history);
	size_t half = pending / 2;
	size_t most = group_waits ? 0 : half > FLUSH_BATCH ? half : FLUSH_BATCH;
	if (history_flush_some(a->history, most, pending >= FLUSH_BATCH) < 0) {
		flush_failed(a);
		return;
	}
	if (a->failing)
		log_print(NULL, MQC_LOG_INFO, "history: storing again");
	a->failing = false;
	/* A waiting group's messages are its round's to write, and that
	 * write draws the index's next delay: armed for them, this timer
	 * indexed a paced room every FLUSH_DELAY_MS, a pass of 20-40 rows
	 * instead of ARCHIVE_INDEX_DELAY_MS's hundreds (bench/README.md). */
	size_t left = group_waits ? 0 : history_pending(a->history);
	if (left)
		loop_timer_arm(a->flush_timer, left >= FLUSH_BATCH ? FLUSH_NEXT_MS : FLUSH_DELAY_MS);
	else
		index_later(a);
}

/* Whether a busy group is a flood's, whose write waits longer (see "A
 * flood's groups"): only with history, where the rounds share a
 * transaction; without it, it is the wait alone that gathers. */
static bool is_flood(const struct archive *a, size_t pending)
{
	return a->history && a->group_busy && pending >= ARCHIVE_FLOOD_GROUP;
}

/* When the waiting group is written (monotonic): ARCHIVE_GROUP_MS (a
 * flood's: ARCHIVE_FLOOD_GROUP_MS) after the last write, or after the
 * group last grew, within its span, while the one network waiting for
 * the write feeds the group alone: a broker that waits for us sends
 * nothing more, and another network's growth would keep it waiting (a
 * bridge's rooms). */
static uint64_t group_end(const struct archive *a, size_t pending, const char *held)
{
	bool held_alone = held && a->networks_fed == 1 && !strcmp(strbuf_str(&a->fed_by), held);
	uint64_t wait = is_flood(a, pending) ? ARCHIVE_FLOOD_GROUP_MS : ARCHIVE_GROUP_MS;
	uint64_t end = a->last_write_ms + wait;
	if (held_alone && pending > a->group_started && a->group_grew_ms + wait > end)
		end = a->group_grew_ms + wait;
	return sooner(end, a->group_began_ms + ARCHIVE_GROUP_SPAN_MS);
}

/* No peer waited for the group in any of its rounds, and each brought
 * one message. */
static bool group_is_unhurried(const struct archive *a)
{
	return a->group_unhurried && !a->group_busy;
}

/* How many a capped group holds: a trickle's rounds are written at once. */
static size_t capped_group(const struct archive *a)
{
	return a->group_cap <= TRICKLE_MAX ? 1 : a->group_cap;
}

/* Whether an unhurried group's messages came ARCHIVE_SPACED_GAP_MS apart
 * or more on average (see "Spaced messages"), judged by when they came:
 * a round that brought none (another socket's) is not one of them. */
static bool group_is_spaced(const struct archive *a, size_t pending, uint64_t now)
{
	if (!a->group_pending)
		return false;
	size_t gaps = pending - a->group_started;
	uint64_t last_came = pending != a->group_pending ? now : a->group_grew_ms;
	return gaps && last_came - a->group_began_ms >= gaps * ARCHIVE_SPACED_GAP_MS;
}

/* When a spaced group is written (monotonic): ARCHIVE_SPACED_SPAN_MS after
 * it began, or once no message came for ARCHIVE_SPACED_QUIET_GAPS of its
 * average gaps (the room paused, or the broker waits for our PUBACKs). */
static uint64_t spaced_end(const struct archive *a)
{
	uint64_t gaps = a->group_pending - a->group_started;
	uint64_t quiet = ARCHIVE_SPACED_QUIET_GAPS * (a->group_grew_ms - a->group_began_ms) / gaps;
	return sooner(a->group_grew_ms + quiet, a->group_began_ms + ARCHIVE_SPACED_SPAN_MS);
}

/* The most a busy group holds: within the broker's window while a backend
 * holds acknowledgements for the write, else more (see "Nothing held"). */
static size_t busy_group(const struct archive_waiters *w)
{
	return w->any ? ARCHIVE_GROUP_MAX : ARCHIVE_GROUP_UNHELD_MAX;
}

/* How long the messages pending now may wait for more (0: write now). */
static uint64_t group_wait(struct archive *a, size_t pending, uint64_t now,
                           const struct archive_waiters *w)
{
	if (a->capped_writes && pending > a->group_cap) {
		/* More came at once than the stalled groups held: the broker
		 * no longer sends them one group at a time (a paced room
		 * turned busy). */
		a->capped_writes = 0;
		a->capped_span = WRITE_CAPPED;
	}
	if (pending - a->group_pending > 1)
		a->group_busy = true;
	a->group_unhurried = (a->group_unhurried || !a->group_pending) && !w->peers_wait;
	bool unhurried = group_is_unhurried(a);
	bool capped = a->capped_writes && (a->cap_unhurried || !unhurried);
	bool spaced = unhurried && group_is_spaced(a, pending, now);
	size_t most = capped           ? capped_group(a)
	              : a->group_busy  ? busy_group(w)
	              : spaced         ? a->spaced_most
	              : unhurried      ? a->calm_most
	                               : ARCHIVE_GROUP_CALM_MAX;
	bool after_quiet = !a->group_pending && now - a->last_write_ms >= ARCHIVE_GROUP_MS;
	if (pending >= most || (after_quiet && !unhurried))
		return 0;
	if (pending != a->group_pending) {
		if (!a->group_pending) {
			a->group_started = pending;
			a->group_began_ms = now;
		}
		a->group_pending = pending;
		a->group_grew_ms = now;
	}
	uint64_t end = spaced      ? spaced_end(a)
	               : unhurried ? a->group_began_ms + ARCHIVE_CALM_SPAN_MS
	                           : group_end(a, pending, w->alone);
	return end > now ? end - now : 0;
}

/* The sizes the next unhurried group is written at, around
 * ARCHIVE_GROUP_CALM_MAX (5 to 14) and ARCHIVE_GROUP_SPACED_MAX (16 to
 * 47): see "Each group's size is drawn". */
static void draw_unhurried_sizes(struct archive *a)
{
	a->calm_most = random_spread(ARCHIVE_GROUP_CALM_MAX);
	a->spaced_most = random_spread(ARCHIVE_GROUP_SPACED_MAX);
}

/* A group is written: did it stall (see WRITE_STALLS), or grow (waiting
 * pays)?  One that ran out of time soon after it began is neither. */
static void note_group_written(struct archive *a, size_t pending, uint64_t now)
{
	bool grouped = a->group_pending != 0;
	bool stalled = grouped && now - a->group_grew_ms >= WRITE_STALL_MS;
	bool grew = grouped && pending > a->group_started;
	bool unhurried = group_is_unhurried(a);
	draw_unhurried_sizes(a);
	a->group_pending = 0;
	a->group_busy = false;
	if (a->capped_writes)
		a->capped_writes--;
	if (grew)
		a->capped_span = WRITE_CAPPED;
	if (!stalled) {
		if (grew || !grouped)
			a->stalls = 0;
		return;
	}
	size_t size = pending <= TRICKLE_MAX ? TRICKLE_MAX : pending;
	bool same = size == a->stall_size && unhurried == a->stall_unhurried;
	a->stalls = same ? a->stalls + 1 : 1;
	a->stall_size = size;
	a->stall_unhurried = unhurried;
	if (a->stalls >= WRITE_STALLS) {
		a->group_cap = size;
		a->cap_unhurried = unhurried;
		a->capped_writes = a->capped_span;
		if (a->capped_span < WRITE_CAPPED_MAX)
			a->capped_span *= 2;
		a->stalls = 0;
	}
}

/* What waits for the next write: without history, what was stored while
 * a backend holds its acknowledgements (see "Without history"). */
static size_t waiting_for_write(struct archive *a, const struct archive_waiters *w)
{
	if (a->history)
		return history_pending(a->history);
	if (!w->any)
		a->unwritten = 0; /* QoS 0 only: nothing is held back */
	return a->unwritten;
}

uint32_t archive_write_round(struct archive *a, bool may_wait, const struct archive_waiters *w)
{
	size_t pending = waiting_for_write(a, w);
	if (!pending)
		a->networks_fed = 0;
	if (!pending && a->group_pending) {
		/* Another write took the waiting group (a read's, which
		 * writes what waits first): it counts as the group's, and the
		 * rounds after it wait as after any write. */
		a->group_pending = 0;
		a->group_busy = false;
		a->last_write_ms = monotonic_ms();
	}
	if (a->failing || !pending)
		return 0; /* the flush timer retries */
	uint64_t now = monotonic_ms();
	uint64_t wait = may_wait ? group_wait(a, pending, now, w) : 0;
	if (wait)
		return (uint32_t)wait;
	note_group_written(a, pending, now);
	a->last_write_ms = now;
	a->networks_fed = 0;
	if (!a->history) {
		a->unwritten = 0;
		return 0;
	}
	if (history_store_pending(a->history) < 0) {
		flush_failed(a);
		return 0;
	}
	/* The full-text index follows later, for every round since in one
	 * batch: indexed in each round's own transaction, a message received
	 * alone (one in flight, a paced room) cost a dozen page writes before
	 * its acknowledgement could leave.  So does copying the log back into
	 * the file, with its two syncs (3-5 ms here): done by the round that
	 * made the log long, it held up one message in 200 of a stream sent one
	 * at a time, and made the p99 (bench/README.md). */
	index_later(a);
	return 0;
}

int archive_open(struct archive **out, const struct config *cfg, const char *state_dir,
                 const struct archive_settings *set, struct loop *loop)
{
	struct archive *a = xcalloc(1, sizeof *a);
	a->set = *set;
	a->capped_span = WRITE_CAPPED;
	draw_unhurried_sizes(a);
	int rc;
	a->history = open_store(cfg, state_dir, &rc, &a->unavailable);
	a->dedup = dedup_new(a->history ? DEDUP_DEFAULT_CAPACITY : DEDUP_NO_HISTORY_CAPACITY,
	                     set->dedup_window_ms);
	if (a->unavailable)
		log_print(NULL, MQC_LOG_WARNING, "%s; going on without history: nothing is kept, "
		          "and /history and /search have nothing to show (make the file writable, "
		          "or set [core] history to another path or to off)", a->unavailable);
	if (a->history) {
		history_load_ids(a->history);
		history_prune(a->history, set->max_messages, set->max_days, wall_ms());
		a->flush_timer = loop_timer_add(loop, 0, false, flush_now, a);
		a->index_timer = loop_timer_add(loop, 0, false, index_now, a);
	}
	*out = a;
	return rc;
}

void archive_close(struct archive *a)
{
	if (!a)
		return;
	if (a->history && history_flush(a->history) < 0)
		log_print(NULL, MQC_LOG_ERROR, "history: the last messages could not be stored: %s",
		          history_error(a->history));
	history_close(a->history);
	if (a->flush_timer)
		loop_timer_remove(a->flush_timer);
	if (a->index_timer)
		loop_timer_remove(a->index_timer);
	dedup_free(a->dedup);
	strbuf_free(&a->fed_by);
	free(a->unavailable);
	free(a);
}

struct history *archive_store_handle(struct archive *a)
{
	return a->history;
}

bool archive_timer_armed(const struct archive *a)
{
	return a->history && (loop_timer_armed(a->flush_timer) || loop_timer_armed(a->index_timer));
}

/* --- the message path ---------------------------------------------------- */

/* Did an earlier run (or another process) store this message?  One with
 * an id: at any age.  A digest: within the digest window, or at `any_age`
 * among the newest keys. */
static bool stored_before(struct archive *a, const struct dedup_identity *ident, bool any_age)
{
	if (ident->by_id)
		return history_has_message(a->history, ident->key.data);
	/* The window counts back from now, or from the end of the run before,
	 * whose unacknowledged last messages come again (history.h); none at
	 * all with dedup_window = 0, not even that end's. */
	int64_t end = history_earlier_end_ms(a->history);
	int64_t now = wall_ms();
	int64_t from = end && end < now ? end : now;
	int64_t since = any_age ? 0 : from - (int64_t)a->set.dedup_window_ms + 1;
	return history_has_key(a->history, ident->key.data, since);
}

enum dedup_verdict archive_check_answer(struct archive *a, const struct dedup_identity *ident)
{
	enum dedup_verdict verdict = dedup_check(a->dedup, ident, monotonic_ms());
	if (verdict == DEDUP_REPEAT || !a->history)
		return verdict;
	return stored_before(a, ident, true) ? DEDUP_REPEAT : verdict;
}

/* A plain message marked as sent again, first seen within
 * ARCHIVE_RESENT_WINDOW_MS: by this run, or by an earlier one (the newest
 * keys history recalls).  None with dedup_window = 0. */
static bool resent_lately(struct archive *a, const struct dedup_identity *ident, uint64_t now)
{
	if (!a->set.dedup_window_ms)
		return false;
	if (dedup_seen_within(a->dedup, ident, now, ARCHIVE_RESENT_WINDOW_MS))
		return true;
	return a->history &&
	       history_has_key(a->history, ident->key.data, wall_ms() - ARCHIVE_RESENT_WINDOW_MS);
}

enum dedup_verdict archive_check(struct archive *a, const struct dedup_identity *ident,
                                 uint64_t since_link_up_ms, uint64_t link_down_ms, bool resent)
{
	uint64_t now = monotonic_ms();
	/* In flight when the link went down, sent again on the next one
	 * (a cluster's node died: NATS sends it again after ack_wait). */
	if (!ident->by_id && link_down_ms && since_link_up_ms <= ARCHIVE_REPEAT_WINDOW_MS &&
	    dedup_contains(a->dedup, ident, link_down_ms))
		return DEDUP_REPEAT;
	/* Sent again on a link that stayed up: our acknowledgement died
	 * with the node it went to, and NATS sent the message again after
	 * ack_wait, past the digest window. */
	if (!ident->by_id && resent && resent_lately(a, ident, now))
		return DEDUP_REPEAT;
	/* A retained message goes into both sets (dedup.h): the digest window
	 * catches a live copy arriving with it (from a session's queue), the
	 * retained set the copies that later reconnections bring. */
	enum dedup_verdict verdict = dedup_check(a->dedup, ident, now);
	if (ident->retained && dedup_seen_retained(a->dedup, ident, now))
		verdict = DEDUP_REPEAT;
	if (verdict == DEDUP_REPEAT || !a->history)
		return verdict;
	/* Retained messages are rare, and come again however long ago they
	 * were said: always looked up, at any age. */
	if (ident->retained)
		return history_has_retained_key(a->history, ident->retained_key.data) ||
		               stored_before(a, ident, true)
		       ? DEDUP_REPEAT : verdict;
	/* A message with an id is looked up at any age (in memory, but for
	 * about one new message in a hundred).  Repeats of a plain message an
	 * earlier run saw come right after connecting (redeliveries, queued
	 * messages); past that the in-memory set is enough. */
	if (!ident->by_id && since_link_up_ms > ARCHIVE_REPEAT_WINDOW_MS)
		return verdict;
	return stored_before(a, ident, false) ? DEDUP_REPEAT : verdict;
}

/* Whether what waits for the next write came from one network, and which
 * (group_end). */
static void note_network(struct archive *a, const char *network)
{
	if (!a->networks_fed) {
		strbuf_reset(&a->fed_by);
		strbuf_appends(&a->fed_by, network);
		a->networks_fed = 1;
	} else if (strcmp(strbuf_str(&a->fed_by), network) != 0) {
		a->networks_fed = 2;
	}
}

void archive_store(struct archive *a, const struct mqc_message *msg,
                   const struct dedup_identity *ident)
{
	note_network(a, msg->network ? msg->network : "");
	if (!a->history) {
		a->unwritten++;
		return;
	}
	const struct strbuf *key = ident->retained ? &ident->retained_key : &ident->key;
	history_add(a->history, msg, key->data, wall_ms());
}

void archive_said(struct archive *a, const struct mqc_message *msg,
                  const struct dedup_identity *ident)
{
	(void)dedup_check(a->dedup, ident, monotonic_ms());
	archive_store(a, msg, ident);
}

/* --- showing history ----------------------------------------------------- */

void archive_replay(struct archive *a, history_fn show, void *data)
{
	if (a->history && a->set.replay)
		history_last(a->history, a->set.replay < MAX_SHOWN ? a->set.replay : MAX_SHOWN, show,
		             data);
}

/* False, with why in `reply`, when there is no history to show. */
static bool history_available(struct archive *a, struct strbuf *reply)
{
	if (a->unavailable)
		strbuf_printf(reply, "history is unavailable: %s (fix the file, or set [core] "
		              "history to another path, and start mqchat again)", a->unavailable);
	else if (!a->history)
		strbuf_appends(reply, "history is off ([core] history)");
	return a->history != NULL;
}

/* `before` and NET:ROOM for a room; nothing for every room. */
static void append_where(struct strbuf *out, const char *before, const struct roomref *where)
{
	if (where)
		strbuf_printf(out, "%s%s:%s", before, where->network, where->room);
}

size_t archive_query(struct archive *a, const char *network, const char *room,
                     int64_t since_ms, size_t max, history_fn show, void *data)
{
	if (!a->history)
		return 0;
	struct roomref where = {(char *)network, (char *)room};
	int n = history_said_in(a->history, &where, since_ms, max, show, data);
	return n < 0 ? 0 : (size_t)n;
}

size_t archive_replay_count(const struct archive *a)
{
	return a->history ? a->set.replay : 0;
}

bool archive_show_last(struct archive *a, const char *arg, size_t len,
                       const struct roomref *where, history_fn show, void *data,
                       struct strbuf *reply)
{
	if (!history_available(a, reply))
		return false;
	char *text = xstrndup(arg, len);
	char *end;
	long n = len ? strtol(text, &end, 10) : 20;
	bool valid = !len || (!*end && n > 0 && n <= MAX_SHOWN);
	free(text);
	if (!valid) {
		strbuf_printf(reply, "/history N: N from 1 to %d", MAX_SHOWN);
		return false;
	}
	int shown = history_last_in(a->history, where, (size_t)n, show, data);
	if (shown < 0) {
		strbuf_printf(reply, "history: %s", history_error(a->history));
	} else if (shown == 0) {
		strbuf_appends(reply, where ? "no messages" : "history is empty");
		append_where(reply, " in ", where);
	} else {
		strbuf_printf(reply, "the last %d message%s", shown, shown == 1 ? "" : "s");
		append_where(reply, " in ", where);
		strbuf_printf(reply, " (/history %ld", n);
		append_where(reply, " ", where);
		strbuf_appendc(reply, ')');
	}
	return shown >= 0;
}

bool archive_search(struct archive *a, const char *words, size_t len,
                    const struct roomref *where, history_fn show, void *data,
                    struct strbuf *reply)
{
	if (!history_available(a, reply))
		return false;
	char *text = xstrndup(words, len);
	int found = history_search_in(a->history, where, text, SEARCH_LIMIT, show, data);
	if (found < 0) {
		strbuf_printf(reply, "history: %s", history_error(a->history));
	} else {
		strbuf_printf(reply, "%d message%s found for \"%s\"", found, found == 1 ? "" : "s",
		              text);
		append_where(reply, " in ", where);
		strbuf_appends(reply, found == SEARCH_LIMIT ? " (the newest shown)" : "");
	}
	free(text);
	return found >= 0;
}

/* --- from the command line ----------------------------------------------- */

/* Appends ,"name":"value" (a JSON string) to the object in `line`, which
 * ends with its closing brace. */
/* Adds "name":value to the object that ends `line`: `value` a JSON value. */
static void append_json_value(struct strbuf *line, const char *name, const char *value)
{
	if (!line->len || line->data[line->len - 1] != '}')
		return; /* json_encode() could not write it */
	line->len--;
	strbuf_printf(line, ",\"%s\":%s}", name, value);
}

static void append_json_member(struct strbuf *line, const char *name, const char *value)
{
	json_t *string = json_string(value); /* history's strings are valid UTF-8 */
	char *quoted = string ? json_dumps(string, JSON_ENCODE_ANY) : NULL;
	append_json_value(line, name, quoted ? quoted : "\"\"");
	free(quoted);
	json_decref(string);
}

/* Where a message was said, as frontends show it ("[one:ops] ", where.h);
 * nothing for one stored before rooms were kept (schema 6). */
static void append_place(struct strbuf *out, const struct mqc_message *msg)
{
	size_t len = where_prefix(msg, false, NULL);
	char *prefix = xmalloc(len + 1);
	where_prefix(msg, false, prefix);
	strbuf_append(out, prefix, len);
	free(prefix);
}

struct printer {
	struct template *tpl;
	bool json;
	bool places; /* plain: each line says where (the messages span rooms) */
	struct strbuf line;
};

static void print_one(void *data, const struct mqc_message *msg)
{
	struct printer *p = data;
	strbuf_reset(&p->line);
	if (p->json) {
		json_encode(&p->line, msg);
		append_json_member(&p->line, "network", msg->network);
		append_json_member(&p->line, "room", msg->room);
		if (*msg->to)
			append_json_member(&p->line, "to", msg->to);
		if (msg->flags & MQC_MSG_UNVERIFIED)
			append_json_value(&p->line, "verified", "false");
	} else {
		if (p->places)
			append_place(&p->line, msg);
		template_render(p->tpl, msg, 0, &p->line);
	}
	strbuf_appendc(&p->line, '\n');
	fwrite(p->line.data, 1, p->line.len, stdout);
}

/* What spans_rooms() saw: the first message's place, the latest's, and
 * whether two differed. */
struct places {
	struct strbuf first, this;
	size_t seen;
	bool several;
};

static void note_place(void *data, const struct mqc_message *msg)
{
	struct places *pl = data;
	struct strbuf *place = pl->seen++ ? &pl->this : &pl->first;
	strbuf_reset(place);
	append_place(place, msg);
	pl->several = pl->several || (pl->seen > 1 && strcmp(pl->first.data, pl->this.data) != 0);
}

/* What --history N or --search WORDS asks for, of `where` (NULL: every
 * room), passed to `fn`: how many, or -1. */
static int read_asked(struct history *h, long last, const char *words,
                      const struct roomref *where, history_fn fn, void *data)
{
	return words ? history_search_in(h, where, words, MAX_SHOWN, fn, data)
	             : history_last_in(h, where, (size_t)last, fn, data);
}

/* Do the messages asked for come from more than one place?  A read of its
 * own before the one that prints: a command line's, not the loop's. */
static bool spans_rooms(struct history *h, long last, const char *words)
{
	struct places pl = {STRBUF_INIT, STRBUF_INIT, 0, false};
	(void)read_asked(h, last, words, NULL, note_place, &pl);
	strbuf_free(&pl.first);
	strbuf_free(&pl.this);
	return pl.several;
}

/* --history's N, or 0 after saying why it is not one. */
static long parse_last(const char *last)
{
	char *end;
	long n = strtol(last, &end, 10);
	if (!*end && n > 0 && n <= 1000000)
		return n;
	log_print(NULL, MQC_LOG_ERROR, "--history N: N from 1 to 1000000, not '%s'", last);
	return 0;
}

/* --room [NET:]ROOM, read against the networks [core] names (backends,
 * else backend); false after saying why when it names no room. */
static bool resolve_room(const struct config *cfg, const char *room, struct roomref *where)
{
	const char *list = instances_network_list(cfg, NULL);
	size_t n = 0;
	char **names = xcalloc(namelist_count(list) + 1, sizeof *names);
	for (char *name; (name = namelist_next(&list));)
		names[n++] = name;
	bool ok = roomref_parse(room, strlen(room), (const char *const *)names, n, where);
	namelist_free(names);
	if (!ok)
		log_print(NULL, MQC_LOG_ERROR, "--room '%s': no room there%s", room,
		          n ? "" : " ([core] names no network)");
	return ok;
}

/* Prints what was asked from the open store; the exit code. */
static int print_asked(const struct config *cfg, struct history *h, long last,
                       const char *words, const struct roomref *where, bool json)
{
	struct strbuf err = STRBUF_INIT;
	struct printer p = {.json = json};
	p.tpl = template_compile("{date} {time} {nick}: {text}", config_core_value(cfg, "time_format"),
	                         &err);
	int found = -1;
	if (!p.tpl) {
		log_print(NULL, MQC_LOG_ERROR, "[core] time_format: %s", strbuf_str(&err));
	} else {
		/* one room needs no saying where */
		p.places = !json && !where && spans_rooms(h, last, words);
		found = read_asked(h, last, words, where, print_one, &p);
		if (found < 0)
			log_print(NULL, MQC_LOG_ERROR, "history: %s", history_error(h));
		else if (found == 0 && where)
			log_print(NULL, MQC_LOG_INFO, "no messages in %s:%s", where->network,
			          where->room);
	}
	fflush(stdout);
	template_free(p.tpl);
	strbuf_free(&p.line);
	strbuf_free(&err);
	return found < 0 ? EX_SOFTWARE : 0;
}

/* The store for --history and --search; NULL, with *rc set, after saying
 * why there is none. */
static struct history *open_for_print(const struct config *cfg, int *rc)
{
	struct strbuf err = STRBUF_INIT;
	char *state_dir = identity_state_dir(&err);
	if (!state_dir) {
		log_print(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
		strbuf_free(&err);
		*rc = EX_CANTCREAT;
		return NULL;
	}
	strbuf_free(&err);
	char *why = NULL; /* unavailable, not off */
	struct history *h = open_store(cfg, state_dir, rc, &why);
	free(state_dir);
	if (!h && why)
		log_print(NULL, MQC_LOG_ERROR, "%s: nothing to show (make the file readable "
		         "and writable, or set [core] history to another path)", why);
	else if (!h && !*rc)
		log_print(NULL, MQC_LOG_ERROR, "history is off ([core] history): nothing to show");
	if (!h && !*rc)
		*rc = EX_CONFIG;
	free(why);
	return h;
}

int archive_print(const struct config *cfg, const char *last, const char *words,
                  const char *room, bool json)
{
	long n = words ? 0 : parse_last(last);
	struct roomref where = {NULL, NULL};
	if ((!words && !n) || (room && !resolve_room(cfg, room, &where)))
		return EX_USAGE;
	int rc;
	struct history *h = open_for_print(cfg, &rc);
	if (h)
		rc = print_asked(cfg, h, n, words, room ? &where : NULL, json);
	roomref_free(&where);
	history_close(h);
	return rc;
}
