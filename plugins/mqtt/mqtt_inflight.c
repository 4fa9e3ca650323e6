/* SPDX-License-Identifier: MIT */
#include "mqtt_inflight.h"

#include <stdlib.h>

struct mqtt_inflight_slot {
	int mid; /* 0: empty (MQTT never uses id 0) */
	uint64_t token;
};

/* The slot where a probe for `mid` starts. */
static size_t inflight_home(const struct mqtt_inflight *map, int mid)
{
	/* Ids are handed out sequentially: a multiplicative hash spreads them. */
	return ((uint32_t)mid * 2654435761u) & (map->capacity - 1);
}

/* Doubles the table, moving every entry; false when out of memory. */
static bool inflight_grow(struct mqtt_inflight *map)
{
	size_t capacity = map->capacity ? map->capacity * 2 : 64;
	struct mqtt_inflight_slot *old = map->slots;
	size_t old_capacity = map->capacity;
	struct mqtt_inflight_slot *slots = calloc(capacity, sizeof(*slots));
	if (!slots)
		return false;
	map->slots = slots;
	map->capacity = capacity;
	map->count = 0;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].mid)
			mqtt_inflight_put(map, old[i].mid, old[i].token);
	free(old);
	return true;
}

bool mqtt_inflight_put(struct mqtt_inflight *map, int mid, uint64_t token)
{
	/* Keep the load under 1/2 so probe chains stay short. */
	if ((map->count + 1) * 2 > map->capacity && !inflight_grow(map))
		return false;
	size_t i = inflight_home(map, mid);
	while (map->slots[i].mid && map->slots[i].mid != mid)
		i = (i + 1) & (map->capacity - 1);
	if (!map->slots[i].mid)
		map->count++;
	map->slots[i].mid = mid;
	map->slots[i].token = token;
	return true;
}

/* Empty slot `hole`, then move back any later entry of the same probe
 * chain that can no longer be reached past the hole (no tombstones). */
static void inflight_remove_at(struct mqtt_inflight *map, size_t hole)
{
	size_t mask = map->capacity - 1;
	size_t i = hole;
	map->slots[hole].mid = 0;
	map->count--;
	for (;;) {
		i = (i + 1) & mask;
		if (!map->slots[i].mid)
			return;
		size_t home = inflight_home(map, map->slots[i].mid);
		/* Entry i may stay if its home lies cyclically in (hole, i]. */
		bool reachable = hole <= i ? (home > hole && home <= i)
		                           : (home > hole || home <= i);
		if (!reachable) {
			map->slots[hole] = map->slots[i];
			map->slots[i].mid = 0;
			hole = i;
		}
	}
}

bool mqtt_inflight_take(struct mqtt_inflight *map, int mid, uint64_t *token)
{
	if (!map->capacity || mid == 0)
		return false;
	size_t i = inflight_home(map, mid);
	while (map->slots[i].mid) {
		if (map->slots[i].mid == mid) {
			*token = map->slots[i].token;
			inflight_remove_at(map, i);
			return true;
		}
		i = (i + 1) & (map->capacity - 1);
	}
	return false;
}

bool mqtt_inflight_take_any(struct mqtt_inflight *map, int *mid, uint64_t *token)
{
	for (size_t i = 0; map->count && i < map->capacity; i++) {
		if (map->slots[i].mid) {
			*mid = map->slots[i].mid;
			*token = map->slots[i].token;
			inflight_remove_at(map, i);
			return true;
		}
	}
	return false;
}

void mqtt_inflight_free(struct mqtt_inflight *map)
{
	free(map->slots);
	map->slots = NULL;
	map->capacity = map->count = 0;
}
