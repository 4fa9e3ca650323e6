/* SPDX-License-Identifier: MIT */
/*
 * A room's QoS 0 publishes, written by us instead of libmosquitto (plain
 * TCP only, as the guard's acknowledgements: mqtt_guard.h).  libmosquitto
 * allocates and queues each packet, then writes it with a write() of its
 * own: 30 % of a flooding sender's time (bench/README.md, "A room's QoS 0
 * lines in one send").  Here a round's packets gather in one buffer and
 * leave in one send().  Each message's token is answered once the socket
 * has taken its last byte, as libmosquitto answers a QoS 0 publish once
 * written.  Which of libmosquitto's queue, these packets and the guard's
 * acknowledgements may write when, so that the stream keeps its order:
 * mqtt_link.c (mqtt_write_out).
 */
#ifndef MQTT_DIRECT_H
#define MQTT_DIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

struct mqtt_direct_token;

struct mqtt_direct {
	struct outbuf packets; /* not written yet */
	/* Each packet's token and where it ends, counted in bytes ever
	 * queued; those before `first` are answered. */
	struct mqtt_direct_token *tokens;
	size_t first, count, tokens_cap;
	uint64_t queued; /* bytes ever queued; written: all but those waiting */
};

/* Queues the QoS 0 PUBLISH of `payload` on `topic` (MQTT 5 `v5`: with no
 * properties), of at most `max` bytes, for `token`.  False, queuing
 * nothing, if it cannot be sent so (the topic is not one a PUBLISH may
 * carry, the packet would be longer) or with errno ENOMEM. */
bool mqtt_direct_add(struct mqtt_direct *d, const char *topic, const void *payload,
                     size_t len, bool v5, size_t max, uint64_t token);
/* Whether packets wait to be written. */
bool mqtt_direct_waiting(const struct mqtt_direct *d);
/* Writes what waits to socket `fd`; what it does not take waits.  False
 * with errno if the socket failed. */
bool mqtt_direct_write(struct mqtt_direct *d, int fd);
/* The token of the oldest packet written whole, not taken before: true
 * and `*token`, else false. */
bool mqtt_direct_take_written(struct mqtt_direct *d, uint64_t *token);
/* The connection ended: the token of a packet never written whole (true,
 * `*token`; false when none is left, and what waited is dropped). */
bool mqtt_direct_take_unwritten(struct mqtt_direct *d, uint64_t *token);
void mqtt_direct_free(struct mqtt_direct *d);

#endif
