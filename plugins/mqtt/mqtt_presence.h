/* SPDX-License-Identifier: MIT */
/*
 * Presence (presence = on): ours, retained on each room's R/presence/U/CID
 * (mqtt_meta.h, payload: mqtt_presence_wire.h) with a Last Will that turns
 * it offline; others', followed on R/presence/+/+ and told to the core.
 * State: the `presence` member of struct mqtt; the rooms' mids in struct
 * mqtt_room.
 */
#ifndef MQTT_PRESENCE_H
#define MQTT_PRESENCE_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>

#include "mqtt_lost_leaves.h"
#include "mqtt_meta.h"
#include "mqtt_presence_table.h"

struct mqtt;
struct mqc_message;

struct mqtt_presence {
	struct mqtt_presence_table table;
	char user[MQTT_META_LEVEL_SIZE]; /* our U level: the username, "_" for none */
	char cid[MQTT_META_LEVEL_SIZE];  /* our CID level */
	/* ME in R/pm/ME/+: the username, else the nick at connection time */
	char pm_me[MQTT_META_LEVEL_SIZE];
	char *nick;     /* the nick last published; NULL before */
	char *away;     /* our away text; NULL when not away */
	bool announces; /* the core says our joins and leaves (seen in publish) */
	bool full_logged;
	struct mqtt_lost_leaves lost_leaves; /* to know their relayed copies */
};

/* After the client id and config are known. */
void mqtt_presence_init(struct mqtt *self);
void mqtt_presence_free(struct mqtt *self);

/* Right after room `i`'s SUBSCRIBE on a connection: subscribes its
 * presence topics and sends the barrier (see mqtt_presence.c). */
void mqtt_presence_subscribe(struct mqtt *self, size_t i);
/* Room `i`'s SUBSCRIBE was acknowledged: our presence is due there. */
void mqtt_presence_room_acked(struct mqtt *self, size_t i);
/* Whether SUBACK `mid` is a presence subscription's (then it is handled). */
bool mqtt_presence_suback(struct mqtt *self, int mid, int count, const int *granted);
/* libmosquitto's unsubscribe callback: the barrier's UNSUBACK. */
void mqtt_on_unsubscribe(struct mosquitto *mosq, void *data, int mid,
                         const mosquitto_property *props);
/* A message on R/presence/U/CID. */
void mqtt_presence_received(struct mqtt *self, const struct mqtt_meta_place *at,
                            const struct mosquitto_message *msg);
/* While up, after each call into libmosquitto: publishes our presence where
 * it is due or out of date (nick, away). */
void mqtt_presence_settle(struct mqtt *self);
/* The user property of a leave relayed for a lost mqchat. */
#define MQTT_PRESENCE_RELAY_PROPERTY "mqchat-relay"
/* Whether `payload` on `room` is a lost mqchat's leave relayed for the
 * room's plain readers, already shown from presence (the relay's mark
 * does not cross 3.1.1 links: see mqtt_lost_leaves.h). */
bool mqtt_presence_relayed_leave(struct mqtt *self, const char *room, const void *payload,
                                 size_t len);

/* Before CONNECT: our presence will, carrying `leave` (the leave message
 * the room's plain readers are to be told; NULL for none); false when
 * presence is off (the caller sets the old will then). */
bool mqtt_presence_will(struct mqtt *self, const char *leave, size_t leave_len);
/* Clean quit, before DISCONNECT: our presence deleted in every room. */
void mqtt_presence_goodbye(struct mqtt *self);
/* Room `i` is being parted: our presence there deleted, its list
 * forgotten.  Before it leaves the list. */
void mqtt_presence_parted(struct mqtt *self, size_t i);
/* /away TEXT, or back with NULL. */
void mqtt_presence_set_away(struct mqtt *self, const char *text);
/* A message the core asks us to send: its own joins and leaves say that
 * it announces them (put in our presence as "announce"). */
void mqtt_presence_saw(struct mqtt *self, const struct mqc_message *msg);

#endif
