/* SPDX-License-Identifier: MIT */
/* A list of topics in the order they were added, each with the SUBSCRIBE
 * that awaits its SUBACK: the rooms joined, and the stray topics
 * unsubscribed on this connection (mqtt_join.c). */
#ifndef MQTT_ROOMS_H
#define MQTT_ROOMS_H

#include <stdbool.h>
#include <stddef.h>

struct mqtt_room {
	char *name;
	int sub_mid;   /* the SUBSCRIBE awaiting its SUBACK; 0: none */
	int sub_index; /* the room's place among that SUBSCRIBE's topics */
	int sub_count; /* its topics there, from sub_index on (mqtt_meta_filters) */
	int presence_mid; /* the SUBSCRIBE of its presence topics; 0: none */
	int sync_mid;     /* the barrier's UNSUBSCRIBE (mqtt_presence.c); 0: none */
	bool presence_due;  /* our presence is to be published there */
	bool presence_sent; /* our presence was published there on this connection */
};

struct mqtt_rooms {
	struct mqtt_room *v;
	size_t n, cap;
};

/* The index of `name`, or -1. */
long mqtt_rooms_find(const struct mqtt_rooms *rooms, const char *name);
/* Appends `name` (copied), with no SUBSCRIBE pending; false only when out
 * of memory. */
bool mqtt_rooms_add(struct mqtt_rooms *rooms, const char *name);
/* Removes the room at `i`; those after it move up one place. */
void mqtt_rooms_remove(struct mqtt_rooms *rooms, size_t i);
/* Whether any room awaits a SUBACK. */
bool mqtt_rooms_pending(const struct mqtt_rooms *rooms);
/* Empties the list and frees it; it can be used again after. */
void mqtt_rooms_free(struct mqtt_rooms *rooms);

#endif
