/* SPDX-License-Identifier: MIT */
/*
 * The payloads and topics of history for late joiners (mqtt_history.h),
 * pure: no connection, no core.  Every payload and topic a peer sends is
 * hostile: each is checked whole here before anything acts on it.
 */
#ifndef MQTT_HISTORY_WIRE_H
#define MQTT_HISTORY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most messages a service sends for one request, and the most bytes
 * of messages. */
#define MQTT_HISTORY_MAX_MESSAGES 200
#define MQTT_HISTORY_MAX_ANSWER_BYTES (256 * 1024)
/* The longest correlation data a service accepts. */
#define MQTT_HISTORY_MAX_CORRELATION 64
/* Room for a request's or an end marker's payload. */
#define MQTT_HISTORY_PAYLOAD_SIZE 64

/* What a request asks for, as host->history_query() takes it. */
struct mqtt_history_ask {
	int64_t since_ms; /* 0: any time */
	size_t max;       /* 1..MQTT_HISTORY_MAX_MESSAGES */
};

/* A request's payload, {"v":1,"last":N} and/or {"v":1,"since":MS} (other
 * members ignored): false unless it is one, with N >= 1 (capped) and
 * MS >= 0 whole numbers. */
bool mqtt_history_parse_request(const void *payload, size_t len, struct mqtt_history_ask *ask);

/* Whether an answer is the end marker {"v":1,"end":true,"count":K}; K (a
 * whole number >= 0) in *count. */
bool mqtt_history_parse_end(const void *payload, size_t len, uint64_t *count);

/* The payload asking for the last `n` messages, and the end marker after
 * `count` messages: their length, written into `buf`. */
size_t mqtt_history_request_payload(char buf[MQTT_HISTORY_PAYLOAD_SIZE], size_t n);
size_t mqtt_history_end_payload(char buf[MQTT_HISTORY_PAYLOAD_SIZE], size_t count);

/* Whether a request in `room` may name `topic` as its response topic:
 * below ROOM/history/ans/, a valid topic to publish to (no wildcard). */
bool mqtt_history_response_topic_ok(const char *room, const char *topic);

/* What `topic` is for room `room`, as far as history goes. */
enum mqtt_history_topic {
	MQTT_HISTORY_OTHER,   /* not a history topic of the room */
	MQTT_HISTORY_REQUEST, /* ROOM/history/req */
	MQTT_HISTORY_ANSWER,  /* ROOM/history/ans/... */
};
enum mqtt_history_topic mqtt_history_topic_kind(const char *room, const char *topic);

/* ROOM/history/ans/U/CID for our answers: U the broker username ("_"
 * when none), CID the client id, each with '/', '+' and '#' made '_' so
 * that each is one level.  Malloc'd; NULL when out of memory. */
char *mqtt_history_answer_topic(const char *room, const char *username, const char *client_id);

#endif
