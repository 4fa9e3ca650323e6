/* SPDX-License-Identifier: MIT */
/* Who is present in each room: one entry per running mqchat (its presence
 * topic's U/CID levels), online or away; offline ones are removed.  Pure:
 * mqtt_presence.c tells the core what changes. */
#ifndef MQTT_PRESENCE_TABLE_H
#define MQTT_PRESENCE_TABLE_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stddef.h>

/* Entries a room holds at most: more are dropped. */
#define MQTT_PRESENCE_MAX_PER_ROOM 1000

struct mqtt_presence_entry {
	char *room;
	char *user, *cid; /* the topic's levels: "_" for no username */
	char *nick;
	enum mqc_presence state; /* ONLINE or AWAY */
	bool verified, announce;
	bool stale; /* not seen again since the room was subscribed anew */
};

struct mqtt_presence_table {
	struct mqtt_presence_entry *v;
	size_t n, cap;
};

/* The entry of `room` for user/cid, or -1. */
long mqtt_presence_table_find(const struct mqtt_presence_table *t, const char *room,
                              const char *user, const char *cid);
/* Adds an entry (state not OFFLINE): its index, or -1 when the room is full
 * or memory short. */
long mqtt_presence_table_add(struct mqtt_presence_table *t, const char *room, const char *user,
                             const char *cid);
/* Sets entry `i`'s nick (copied); false when out of memory. */
bool mqtt_presence_table_set_nick(struct mqtt_presence_table *t, size_t i, const char *nick);
void mqtt_presence_table_remove(struct mqtt_presence_table *t, size_t i);
/* The state in `room` of `nick` proved (`verified`) or claimed: the most
 * present of those entries, OFFLINE when none.  A proved Ana and one who
 * only claims the name are two people. */
enum mqc_presence mqtt_presence_table_state(const struct mqtt_presence_table *t,
                                            const char *room, const char *nick, bool verified);
/* The first entry of `room` whose nick is `nick` (ASCII case aside), or -1. */
long mqtt_presence_table_find_nick(const struct mqtt_presence_table *t, const char *room,
                                   const char *nick);
/* Marks every entry of `room` stale. */
void mqtt_presence_table_mark(struct mqtt_presence_table *t, const char *room);
/* A stale entry of `room` (NULL: any room), or -1. */
long mqtt_presence_table_stale(const struct mqtt_presence_table *t, const char *room);
void mqtt_presence_table_free(struct mqtt_presence_table *t);

#endif
