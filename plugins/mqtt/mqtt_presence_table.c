/* SPDX-License-Identifier: MIT */
#include "mqtt_presence_table.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

long mqtt_presence_table_find(const struct mqtt_presence_table *t, const char *room,
                              const char *user, const char *cid)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].cid, cid) && !strcmp(t->v[i].user, user) &&
		    !strcmp(t->v[i].room, room))
			return (long)i;
	return -1;
}

static size_t mqtt_presence_table_count(const struct mqtt_presence_table *t, const char *room)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += !strcmp(t->v[i].room, room);
	return n;
}

static void mqtt_presence_entry_free(struct mqtt_presence_entry *e)
{
	free(e->room);
	free(e->user);
	free(e->cid);
	free(e->nick);
}

long mqtt_presence_table_add(struct mqtt_presence_table *t, const char *room, const char *user,
                             const char *cid)
{
	if (mqtt_presence_table_count(t, room) >= MQTT_PRESENCE_MAX_PER_ROOM)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct mqtt_presence_entry *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	struct mqtt_presence_entry e = {.room = strdup(room), .user = strdup(user),
	                                .cid = strdup(cid), .nick = strdup(""),
	                                .state = MQC_PRESENCE_ONLINE};
	if (!e.room || !e.user || !e.cid || !e.nick) {
		mqtt_presence_entry_free(&e);
		return -1;
	}
	t->v[t->n] = e;
	return (long)t->n++;
}

bool mqtt_presence_table_set_nick(struct mqtt_presence_table *t, size_t i, const char *nick)
{
	char *copy = strdup(nick);
	if (!copy)
		return false;
	free(t->v[i].nick);
	t->v[i].nick = copy;
	return true;
}

void mqtt_presence_table_remove(struct mqtt_presence_table *t, size_t i)
{
	mqtt_presence_entry_free(&t->v[i]);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}

enum mqc_presence mqtt_presence_table_state(const struct mqtt_presence_table *t,
                                            const char *room, const char *nick, bool verified)
{
	enum mqc_presence state = MQC_PRESENCE_OFFLINE;
	for (size_t i = 0; i < t->n; i++) {
		const struct mqtt_presence_entry *e = &t->v[i];
		if (e->verified != verified || strcmp(e->nick, nick) != 0 || strcmp(e->room, room) != 0)
			continue;
		if (state == MQC_PRESENCE_OFFLINE || e->state == MQC_PRESENCE_ONLINE)
			state = e->state;
	}
	return state;
}

long mqtt_presence_table_find_nick(const struct mqtt_presence_table *t, const char *room,
                                   const char *nick)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcasecmp(t->v[i].nick, nick) && !strcmp(t->v[i].room, room))
			return (long)i;
	return -1;
}

void mqtt_presence_table_mark(struct mqtt_presence_table *t, const char *room)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].room, room))
			t->v[i].stale = true;
}

long mqtt_presence_table_stale(const struct mqtt_presence_table *t, const char *room)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].stale && (!room || !strcmp(t->v[i].room, room)))
			return (long)i;
	return -1;
}

void mqtt_presence_table_free(struct mqtt_presence_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		mqtt_presence_entry_free(&t->v[i]);
	free(t->v);
	*t = (struct mqtt_presence_table){0};
}
