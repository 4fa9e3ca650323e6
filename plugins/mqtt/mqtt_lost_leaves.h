/* SPDX-License-Identifier: MIT */
/*
 * The leave messages of mqchats lost lately, as their wills carried them.
 * One mqchat in the room relays such a leave on the room for its plain
 * readers (mqtt_presence.c), marked with an MQTT 5 user property so that
 * mqchats, which showed the loss from presence, ignore it.  A 3.1.1 link
 * (a mosquitto bridge, a 3.1.1 broker) drops the mark: the copy is then
 * known by its bytes, in the same room, within MQTT_LOST_LEAVES_MS.
 * Pure: no connection, no host.
 */
#ifndef MQTT_LOST_LEAVES_H
#define MQTT_LOST_LEAVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt_presence_wire.h"

#define MQTT_LOST_LEAVES_MAX 16
#define MQTT_LOST_LEAVES_MS 60000

struct mqtt_lost_leave {
	char *room; /* NULL: a free place */
	char payload[MQTT_PRESENCE_LEAVE_MAX];
	size_t len;
	uint64_t at_ms;
};

/* Member `lost_leaves` of struct mqtt_presence; zeroed is empty. */
struct mqtt_lost_leaves {
	struct mqtt_lost_leave v[MQTT_LOST_LEAVES_MAX];
	size_t next; /* the place taken next, the oldest when all are */
};

/* Remembers the leave `payload` (`len` bytes, at most
 * MQTT_PRESENCE_LEAVE_MAX) of a loss shown in `room` at `now_ms`. */
void mqtt_lost_leaves_add(struct mqtt_lost_leaves *l, const char *room, const void *payload,
                          size_t len, uint64_t now_ms);

/* Whether a message on `room` is the relayed copy of a leave remembered
 * (then forgotten: one copy each). */
bool mqtt_lost_leaves_take(struct mqtt_lost_leaves *l, const char *room, const void *payload,
                           size_t len, uint64_t now_ms);

void mqtt_lost_leaves_free(struct mqtt_lost_leaves *l);

#endif
