/* SPDX-License-Identifier: MIT */
#include "mqtt_lost_leaves.h"

#include <stdlib.h>
#include <string.h>

static void lost_leave_forget(struct mqtt_lost_leave *e)
{
	free(e->room);
	e->room = NULL;
}

void mqtt_lost_leaves_add(struct mqtt_lost_leaves *l, const char *room, const void *payload,
                          size_t len, uint64_t now_ms)
{
	if (len == 0 || len > MQTT_PRESENCE_LEAVE_MAX)
		return;
	struct mqtt_lost_leave *e = &l->v[l->next];
	lost_leave_forget(e);
	e->room = strdup(room);
	if (!e->room)
		return; /* out of memory: a copy may be shown twice */
	memcpy(e->payload, payload, len);
	e->len = len;
	e->at_ms = now_ms;
	l->next = (l->next + 1) % MQTT_LOST_LEAVES_MAX;
}

bool mqtt_lost_leaves_take(struct mqtt_lost_leaves *l, const char *room, const void *payload,
                           size_t len, uint64_t now_ms)
{
	for (size_t i = 0; i < MQTT_LOST_LEAVES_MAX; i++) {
		struct mqtt_lost_leave *e = &l->v[i];
		if (!e->room)
			continue;
		if (now_ms - e->at_ms > MQTT_LOST_LEAVES_MS) {
			lost_leave_forget(e);
			continue;
		}
		if (e->len == len && !memcmp(e->payload, payload, len) && !strcmp(e->room, room)) {
			lost_leave_forget(e);
			return true;
		}
	}
	return false;
}

void mqtt_lost_leaves_free(struct mqtt_lost_leaves *l)
{
	for (size_t i = 0; i < MQTT_LOST_LEAVES_MAX; i++)
		lost_leave_forget(&l->v[i]);
	l->next = 0;
}
