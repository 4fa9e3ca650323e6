/* SPDX-License-Identifier: MIT */
/*
 * History for late joiners (MQTT 5 only): a joining mqchat asks the room's
 * history services for the messages said before it came; a service
 * (history_service = on) answers from the core's history.
 *
 *   R/history/req                  requests, {"v":1,"last":N} or
 *                                  {"v":1,"since":MS}, with a response topic
 *                                  and correlation data; services read it as
 *                                  $share/mqchat-history/R/history/req, so
 *                                  each request is answered once
 *   R/history/ans/U/CID            the answers to CID's requests: one json
 *                                  message each (the last N said: joins
 *                                  and leaves are left out), then
 *                                  {"v":1,"end":true,"count":K}, all with
 *                                  the request's correlation data
 *
 * Sources: mqtt_history.c (subscriptions, requests, answers, time limits)
 * and mqtt_history_wire.c (the payloads and topics, pure:
 * mqtt_history_wire.h); both need jansson (jansson_dep).  Unit tests (check,
 * libmosquitto, jansson): test_history.c with mqtt_history_wire.c, and
 * test_history_flow.c with mqtt_history.c, mqtt_history_wire.c and
 * mqtt_rooms.c (it fakes the core and libmosquitto's sending).
 * mqtt.c calls init and free; the link and join code call the others
 * where their comments say.
 */
#ifndef MQTT_HISTORY_H
#define MQTT_HISTORY_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mqtt;
struct mqc_timer;

/* A room whose history topics are subscribed on this connection, and our
 * request there while it awaits its end. */
struct mqtt_history_room {
	struct mqtt_history_room *next;
	char *room;
	char *answer_topic; /* R/history/ans/U/CID; NULL when we ask nothing */
	int sub_mid;        /* the SUBSCRIBE of its answer topic */
	int serve_mid;      /* the SUBSCRIBE of its requests, as a service */
	bool serving;       /* its requests are subscribed (history_service) */
	bool waiting;       /* our request awaits its end marker */
	unsigned char correlation[16];
	size_t answers, bytes, max_answers; /* taken so far, and the cap */
	size_t ignored;      /* answers over the caps */
	uint64_t deadline_ms; /* monotonic_ms(): forgotten after */
};

/* Member `history` of struct mqtt. */
struct mqtt_history {
	struct mqtt_history_room *rooms;
	struct mqc_timer *timer; /* the next request's deadline; NULL until needed */
};

void mqtt_history_init(struct mqtt *self);
/* Before mosquitto_destroy(): removes the timer, frees the rest. */
void mqtt_history_free(struct mqtt *self);

/* A message arrived: true when it was a history request or answer
 * (consumed).  Call it first for every message of an active connection,
 * before the topic is looked up as a room (history topics are none). */
bool mqtt_history_message(struct mqtt *self, const struct mosquitto_message *msg,
                          const mosquitto_property *props);

/* Room `room`'s subscriptions are acknowledged on this connection:
 * subscribe the history topics, send our request. */
void mqtt_history_room_ready(struct mqtt *self, const char *room);

/* Room `room` was parted: its history topics are unsubscribed (a service
 * must not take a share of requests for a room it has left) and our
 * request there forgotten. */
void mqtt_history_room_parted(struct mqtt *self, const char *room);

/* Whether a SUBACK's mid is one of ours (the join code skips it). */
bool mqtt_history_owns_mid(const struct mqtt *self, int mid);

/* The connection ended: pending requests forgotten. */
void mqtt_history_link_down(struct mqtt *self);

#endif
