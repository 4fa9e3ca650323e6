/* SPDX-License-Identifier: MIT */
#include "mqtt_backlog.h"

#include <stdlib.h>
#include <string.h>

/* Past these the backlog is delivered at once rather than grow. */
#define MQTT_BACKLOG_MAX_COUNT 10000
#define MQTT_BACKLOG_MAX_BYTES (16u * 1024 * 1024)

struct mqtt_held {
	struct mqtt_held *next;
	char *topic;
	unsigned flags;
	size_t len;
	unsigned char payload[];
};

bool mqtt_backlog_hold(struct mqtt_backlog *backlog, const char *topic, const void *payload,
                       size_t len, unsigned flags)
{
	if (backlog->count >= MQTT_BACKLOG_MAX_COUNT || len > MQTT_BACKLOG_MAX_BYTES ||
	    backlog->bytes > MQTT_BACKLOG_MAX_BYTES - len)
		return false;
	struct mqtt_held *held = malloc(sizeof(*held) + len);
	char *topic_copy = strdup(topic);
	if (!held || !topic_copy) {
		free(held);
		free(topic_copy);
		return false;
	}
	*held = (struct mqtt_held){.topic = topic_copy, .flags = flags, .len = len};
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

static void mqtt_held_free(struct mqtt_held *held)
{
	free(held->topic);
	free(held);
}

void mqtt_backlog_deliver(struct mqtt_backlog *backlog, struct mqc_instance *inst,
                          const struct mqc_host *host)
{
	for (struct mqtt_held *held; (held = mqtt_backlog_pop(backlog));) {
		host->receive(inst, held->topic, held->payload, held->len, held->flags);
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
