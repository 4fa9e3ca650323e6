/* SPDX-License-Identifier: MIT */
#include "mqtt_rooms.h"

#include <stdlib.h>
#include <string.h>

long mqtt_rooms_find(const struct mqtt_rooms *rooms, const char *name)
{
	for (size_t i = 0; i < rooms->n; i++)
		if (!strcmp(rooms->v[i].name, name))
			return (long)i;
	return -1;
}

bool mqtt_rooms_add(struct mqtt_rooms *rooms, const char *name)
{
	if (rooms->n == rooms->cap) {
		size_t cap = rooms->cap ? rooms->cap * 2 : 4;
		struct mqtt_room *v = realloc(rooms->v, cap * sizeof(*v));
		if (!v)
			return false;
		rooms->v = v;
		rooms->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return false;
	rooms->v[rooms->n++] = (struct mqtt_room){.name = copy};
	return true;
}

void mqtt_rooms_remove(struct mqtt_rooms *rooms, size_t i)
{
	free(rooms->v[i].name);
	memmove(&rooms->v[i], &rooms->v[i + 1], (rooms->n - i - 1) * sizeof(rooms->v[0]));
	rooms->n--;
}

bool mqtt_rooms_pending(const struct mqtt_rooms *rooms)
{
	for (size_t i = 0; i < rooms->n; i++)
		if (rooms->v[i].sub_mid)
			return true;
	return false;
}

void mqtt_rooms_free(struct mqtt_rooms *rooms)
{
	for (size_t i = 0; i < rooms->n; i++)
		free(rooms->v[i].name);
	free(rooms->v);
	*rooms = (struct mqtt_rooms){0};
}
