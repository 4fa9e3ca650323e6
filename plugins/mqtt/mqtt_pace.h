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
};

/* After a read at `now_us` that brought `brought` messages (0: only
 * acknowledgements, which change nothing), wanting about `target`
 * messages a read: how many milliseconds to leave the socket unread now
 * (0: read as they come). */
uint32_t mqtt_pace_after_read(struct mqtt_pace *p, uint64_t now_us, unsigned brought,
                              unsigned target);

#endif
