/* SPDX-License-Identifier: MIT */
#include "mqtt_pace.h"

/* What a rest of `rest_ms` must have gathered, in the first two reads
 * after it: more than the one message a stream waiting for us sends,
 * and a message a millisecond (a calmer room is not worth the wait each
 * of its lines would take). */
static unsigned enough_for(uint32_t rest_ms)
{
	unsigned by_rate = rest_ms * MQTT_PACE_RATE_MIN_PER_MS;
	return 1 + (by_rate > MQTT_PACE_GATHERED_MIN ? by_rate : MQTT_PACE_GATHERED_MIN);
}

/* The next rest after one of `rest_ms` gathered `gathered`: as long as
 * would gather `target`, at most MQTT_PACE_REST_MAX_MS; 0 if that is
 * under MQTT_PACE_PROBE_MS: so fast a stream fills its reads by itself,
 * and a longer rest would stall a broker bound by its window. */
static uint32_t next_rest_ms(uint32_t rest_ms, unsigned gathered, unsigned target)
{
	uint64_t ms = (uint64_t)rest_ms * target / gathered;
	return ms < MQTT_PACE_PROBE_MS      ? 0
	       : ms > MQTT_PACE_REST_MAX_MS ? MQTT_PACE_REST_MAX_MS
	                                    : (uint32_t)ms;
}

/* The reads after a rest gathered too little, or too much: no rest for
 * a while, longer each time, and the next one a probe again. */
static void stop_resting(struct mqtt_pace *p, uint64_t now_us)
{
	uint32_t doubled = p->backoff_ms * 2;
	p->backoff_ms = doubled < MQTT_PACE_BACKOFF_MIN_MS   ? MQTT_PACE_BACKOFF_MIN_MS
	                : doubled > MQTT_PACE_BACKOFF_MAX_MS ? MQTT_PACE_BACKOFF_MAX_MS
	                                                     : doubled;
	p->no_rest_until_us = now_us + (uint64_t)p->backoff_ms * 1000;
	p->rest_ms = 0;
}

/* A read after a rest: judged by what it and the one before it brought.
 * Behind a broker that holds what it sends until our ACK (Nagle), the
 * first read after a rest brings one message and the next the rest. */
static void judge_rest(struct mqtt_pace *p, uint64_t now_us, unsigned brought, unsigned target)
{
	p->gathered += brought;
	p->reads_after++;
	if (p->gathered < enough_for(p->rest_ms)) {
		if (p->reads_after >= 2) {
			stop_resting(p, now_us);
			p->judging = false;
		}
		return;
	}
	p->judging = false;
	p->rest_ms = next_rest_ms(p->rest_ms, p->gathered, target);
	if (p->rest_ms)
		p->backoff_ms = 0;
	else
		stop_resting(p, now_us);
}

/* Counts a read's messages into the stream's recent rate: the reads of
 * the last one or two MQTT_PACE_RATE_SPAN_US, a quiet gap counted as one
 * span.  A read adds at most a span, so one halving keeps it within two. */
static void count_rate(struct mqtt_pace *p, uint64_t now_us, unsigned brought)
{
	uint64_t gap = now_us - p->rate_read_us;
	p->rate_read_us = now_us;
	p->recent_us += gap < MQTT_PACE_RATE_SPAN_US ? (uint32_t)gap : MQTT_PACE_RATE_SPAN_US;
	p->recent_msgs += brought;
	if (p->recent_us > 2 * MQTT_PACE_RATE_SPAN_US) {
		p->recent_us /= 2;
		p->recent_msgs /= 2;
	}
}

uint32_t mqtt_pace_after_held_read(struct mqtt_pace *p, uint64_t now_us, unsigned brought,
                                   unsigned held, unsigned target)
{
	count_rate(p, now_us, brought);
	if (held < MQTT_PACE_HELD_MIN || target == 0)
		return 0;
	/* Too slow a stream to gather a batch in the longest rest: its
	 * members would only wait (a paced room, a late read's two). */
	uint64_t msgs = p->recent_msgs, span_us = p->recent_us;
	if (msgs * MQTT_PACE_HELD_REST_MAX_MS * 1000 < MQTT_PACE_HELD_GATHER_MIN * span_us)
		return 0;
	uint64_t ms = target * span_us / msgs / 1000;
	return ms < 1                            ? 1
	       : ms > MQTT_PACE_HELD_REST_MAX_MS ? MQTT_PACE_HELD_REST_MAX_MS
	                                         : (uint32_t)ms;
}

uint32_t mqtt_pace_after_read(struct mqtt_pace *p, uint64_t now_us, unsigned brought,
                              unsigned target)
{
	if (brought == 0 || target == 0)
		return 0;
	bool close = now_us - p->last_read_us < MQTT_PACE_CLOSE_US;
	p->last_read_us = now_us;
	if (p->judging) {
		judge_rest(p, now_us, brought, target);
		p->close_reads = 0;
		return 0;
	}
	/* Reads that bring half a target or more are no waste: a flood. */
	bool small = brought < target / 2 + 1;
	p->close_reads = close && small ? p->close_reads + 1 : 0;
	if (p->close_reads < MQTT_PACE_STREAK || now_us < p->no_rest_until_us)
		return 0;
	p->close_reads = 0;
	if (!p->rest_ms)
		p->rest_ms = MQTT_PACE_PROBE_MS;
	p->judging = true;
	p->reads_after = 0;
	p->gathered = 0;
	return p->rest_ms;
}
