/* SPDX-License-Identifier: MIT */
#include "mqtt_backlog.h"

#include <stdlib.h>
#include <string.h>

/* Past these the backlog is delivered at once rather than grow. */
#define MQTT_BACKLOG_MAX_COUNT 10000
#define MQTT_BACKLOG_MAX_BYTES (16u * 1024 * 1024)

struct mqtt_held {
	struct mqtt_held *next;
	char *topic, *room, *proved; /* the route's, copied */
	unsigned flags;
	size_t len;
	unsigned char payload[];
};

void mqtt_route_deliver(const struct mqtt_route *route, const void *payload, size_t len,
                        unsigned flags, struct mqc_instance *inst, const struct mqc_host *host)
{
	if (!route->room)
		host->receive(inst, route->topic, payload, len, flags);
	else
		host->receive_payload(inst, route->room, *route->room ? "" : host->nick(inst),
		                      route->proved, payload, len, flags);
}

static void mqtt_held_free(struct mqtt_held *held)
{
	free(held->topic);
	free(held->room);
	free(held->proved);
	free(held);
}

/* A copy of `s`, NULL staying NULL; false when out of memory. */
static bool mqtt_backlog_copy(char **out, const char *s)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

bool mqtt_backlog_hold(struct mqtt_backlog *backlog, const struct mqtt_route *route,
                       const void *payload, size_t len, unsigned flags)
{
	if (backlog->count >= MQTT_BACKLOG_MAX_COUNT || len > MQTT_BACKLOG_MAX_BYTES ||
	    backlog->bytes > MQTT_BACKLOG_MAX_BYTES - len)
		return false;
	struct mqtt_held *held = calloc(1, sizeof(*held) + len);
	if (!held)
		return false;
	if (!mqtt_backlog_copy(&held->topic, route->topic) ||
	    !mqtt_backlog_copy(&held->room, route->room) ||
	    !mqtt_backlog_copy(&held->proved, route->proved)) {
		mqtt_held_free(held);
		return false;
	}
	held->flags = flags;
	held->len = len;
	if (len)
		memcpy(held->payload, payload, len);
	if (backlog->tail)
		backlog->tail->next = held;
	else
		backlog->head = held;
	backlog->tail = held;
	backlog->count++;
	backlog->bytes += len;
	return true;
}

/* Takes the oldest held message off the backlog; NULL when empty. */
static struct mqtt_held *mqtt_backlog_pop(struct mqtt_backlog *backlog)
{
	struct mqtt_held *held = backlog->head;
	if (!held)
		return NULL;
	backlog->head = held->next;
	if (!backlog->head)
		backlog->tail = NULL;
	backlog->count--;
	backlog->bytes -= held->len;
	return held;
}

void mqtt_backlog_deliver(struct mqtt_backlog *backlog, struct mqc_instance *inst,
                          const struct mqc_host *host)
{
	for (struct mqtt_held *held; (held = mqtt_backlog_pop(backlog));) {
		struct mqtt_route route = {held->topic, held->room, held->proved};
		mqtt_route_deliver(&route, held->payload, held->len, held->flags, inst, host);
		mqtt_held_free(held);
	}
}

size_t mqtt_backlog_drop(struct mqtt_backlog *backlog)
{
	size_t dropped = 0;
	for (struct mqtt_held *held; (held = mqtt_backlog_pop(backlog)); dropped++)
		mqtt_held_free(held);
	return dropped;
}
