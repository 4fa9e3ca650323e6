/* SPDX-License-Identifier: MIT */
/*
 * A busy stream read in batches.  Woken for every message or two of a
 * busy room, a member spends most of its time on the wake-ups; and a
 * reader that takes a room a message at a time ACKs each at once as a
 * calm room's (mqtt_ack_read), so the broker never gathers more.  So
 * when reads of few messages keep coming close together, the socket is
 * left unread for a few milliseconds: first MQTT_PACE_PROBE_MS, then as
 * long as gathers about `target` messages (a quarter of the broker's
 * window at QoS 1: more would stall a broker that sends no more than
 * the window before our acknowledgements), never longer than
 * MQTT_PACE_REST_MAX_MS.  A stream that gathers a target in less than
 * the first rest fills its reads by itself, and is left alone.
 *
 * A rest is judged by the two reads after it: behind a broker that
 * holds what it sends until our ACK (Nagle), the first brings one
 * message and the second what was held.  A stream that waits for our
 * line (a bot that answers each, a ping-pong) brings one in all, and a
 * calm room less than a message a millisecond, which is not worth the
 * wait its every line would take: such a rest puts the next off, from
 * 1 s up to about a minute, doubling each time (bench/README.md, "A
 * busy room read in batches").
 *
 * A flood whose acknowledgements wait for the core's write (QoS 1 and 2;
 * history's, or without it the group's wait) is read in rests of its
 * own (mqtt_pace_after_held_read).  There the core's group held our
 * acknowledgements, and the broker's Nagle held the stream until they
 * left: each group cost a wake-up for its timer and more for the reads
 * after its write, which came too far apart for the rests above.
 * Instead a read that brings MQTT_PACE_HELD_MIN such messages or more
 * has them stored and acknowledged at once, and the socket rests while
 * the broker sends the next batch into it: as long as gathers about
 * `target` at the stream's rate (its reads of the last 16 to 32 ms),
 * from a millisecond to MQTT_PACE_HELD_REST_MAX_MS.  Not judged as the
 * rests above: the batch a read brings after a rest left the broker when
 * the rest began, and holds what came before it, so one small batch says
 * little.  In the bench's room of 50 the bursts ran half as fast again,
 * their members at a quarter of the context switches (bench/README.md,
 * "A flood read in rests").  A stream too slow to gather
 * MQTT_PACE_HELD_GATHER_MIN in the longest rest takes none: a paced
 * room's member that woke late read two, rested, and read two or more
 * again, round after round, each message late by a rest (bench/README.md,
 * "A slow stream's reads of two").
 * Pure: the caller owns the socket and the timer.
 */
#ifndef MQTT_PACE_H
#define MQTT_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define MQTT_PACE_CLOSE_US 1000   /* reads this close count as a busy stream */
#define MQTT_PACE_STREAK 4        /* ...this many in a row, after the first */
#define MQTT_PACE_PROBE_MS 2      /* the first rest */
#define MQTT_PACE_REST_MAX_MS 10  /* the longest a message waits for it */
#define MQTT_PACE_GATHERED_MIN 2  /* what a rest must gather beyond a waiting stream's one */
#define MQTT_PACE_RATE_MIN_PER_MS 1 /* ...and at least this many a ms of it */
#define MQTT_PACE_BACKOFF_MIN_MS 1000
#define MQTT_PACE_BACKOFF_MAX_MS 64000
#define MQTT_PACE_HELD_MIN 2            /* a read bringing this many held messages: a flood */
#define MQTT_PACE_HELD_REST_MAX_MS 16   /* its longest rest (a flood's group waited as long) */
#define MQTT_PACE_HELD_GATHER_MIN 6     /* ...taken only when that rest would gather this many */
#define MQTT_PACE_RATE_SPAN_US 16000    /* the rate: of the reads in the last span or two */

/* Zeroed: reading as messages come. */
struct mqtt_pace {
	uint64_t last_read_us;  /* the last read that brought messages */
	unsigned close_reads;   /* of them in a row, each close to the one before */
	uint32_t rest_ms;       /* the next rest (the last one, while judging it) */
	bool judging;           /* the reads after a rest are counted */
	unsigned reads_after;   /* ...so many so far */
	unsigned gathered;      /* ...bringing so many messages */
	uint32_t backoff_ms;    /* how long the last rest judged wrong put off the next */
	uint64_t no_rest_until_us;
	uint64_t rate_read_us;  /* the last read counted for the rate */
	uint32_t recent_us;     /* the rate: so many messages in so long */
	uint32_t recent_msgs;
};

/* After a read at `now_us` that brought `brought` messages (0: only
 * acknowledgements, which change nothing), wanting about `target`
 * messages a read: how many milliseconds to leave the socket unread now
 * (0: read as they come). */
uint32_t mqtt_pace_after_read(struct mqtt_pace *p, uint64_t now_us, unsigned brought,
                              unsigned target);
/* After every read at `now_us`: it brought `brought` messages, `held` of
 * them with acknowledgements waiting for the core's write; wanting about
 * `target` a read: how many milliseconds to leave the socket unread once
 * they are stored and acknowledged; 0: not a flood (the caller goes on to
 * mqtt_pace_after_read). */
uint32_t mqtt_pace_after_held_read(struct mqtt_pace *p, uint64_t now_us, unsigned brought,
                                   unsigned held, unsigned target);

#endif
