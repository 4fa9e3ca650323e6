/* SPDX-License-Identifier: MIT */
/*
 * Messages that arrive before the subscription is confirmed.  What a
 * persistent session kept for us comes right after CONNACK, before our
 * SUBACK.  Held here, it reaches the core just after the link is reported
 * up: after the "connected" line, and while the core still compares what
 * arrives with what an earlier run saw (it does so shortly after each
 * connection comes up).
 */
#ifndef MQTT_BACKLOG_H
#define MQTT_BACKLOG_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stddef.h>

/* Where a received message goes: host->receive() by its topic when `room`
 * is NULL, else host->receive_payload() in `room`, or to our nick when
 * `room` is "" (a private message), `proved` the sender the broker proved
 * (NULL: it proves none). */
struct mqtt_route {
	const char *topic;
	const char *room;
	const char *proved;
};

/* Hands one message to the core as `route` says. */
void mqtt_route_deliver(const struct mqtt_route *route, const void *payload, size_t len,
                        unsigned flags, struct mqc_instance *inst, const struct mqc_host *host);

struct mqtt_backlog {
	struct mqtt_held *head, *tail;
	size_t count, bytes;
};

/* Keeps a copy.  false when the backlog is full or memory is short: then
 * deliver the backlog and this message at once instead. */
bool mqtt_backlog_hold(struct mqtt_backlog *backlog, const struct mqtt_route *route,
                       const void *payload, size_t len, unsigned flags);

/* Hands every held message to the core (mqtt_route_deliver), oldest first, and empties
 * the backlog. */
void mqtt_backlog_deliver(struct mqtt_backlog *backlog, struct mqc_instance *inst,
                          const struct mqc_host *host);

/* Empties the backlog without delivering; returns how many were dropped. */
size_t mqtt_backlog_drop(struct mqtt_backlog *backlog);

#endif
