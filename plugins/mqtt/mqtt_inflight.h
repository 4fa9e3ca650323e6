/* SPDX-License-Identifier: MIT */
/* Publishes the broker has not acknowledged yet: MQTT message id -> the
 * core's token.  Small open-addressing table; ids are 16-bit and the core
 * keeps at most a few hundred in flight. */
#ifndef MQTT_INFLIGHT_H
#define MQTT_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mqtt_inflight {
	struct mqtt_inflight_slot *slots;
	size_t capacity; /* a power of two, or 0 */
	size_t count;
};

/* false only when out of memory. */
bool mqtt_inflight_put(struct mqtt_inflight *map, int mid, uint64_t token);
/* Removes `mid`; true and *token if it was there. */
bool mqtt_inflight_take(struct mqtt_inflight *map, int mid, uint64_t *token);
/* Removes any one entry; false when empty. */
bool mqtt_inflight_take_any(struct mqtt_inflight *map, int *mid, uint64_t *token);
void mqtt_inflight_free(struct mqtt_inflight *map);

#endif
