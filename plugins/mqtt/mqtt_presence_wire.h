/* SPDX-License-Identifier: MIT */
/*
 * A presence payload, retained on R/presence/U/CID (mqtt_meta.h):
 *   {"v":1,"nick":"Ana","state":"online"|"away"|"offline","ts":<unix ms>,
 *    "away":"TEXT" (only when away),"announce":true|false,
 *    "lost":true (only in the Last Will),
 *    "leave":"PAYLOAD" (only in the Last Will: the leave message the room's
 *    plain readers were told of a crash before presence; one mqchat still
 *    there publishes it on R for them, see mqtt_presence.c)}
 * Pure: read and written here, acted on in mqtt_presence.c.
 */
#ifndef MQTT_PRESENCE_WIRE_H
#define MQTT_PRESENCE_WIRE_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Payloads larger than this are no presence. */
#define MQTT_PRESENCE_MAX_PAYLOAD 4096
/* A nick kept: at most 64 bytes (the core's limit), NUL included. */
#define MQTT_PRESENCE_NICK_SIZE 65
#define MQTT_PRESENCE_AWAY_SIZE 257
/* A leave payload longer than this is not carried. */
#define MQTT_PRESENCE_LEAVE_MAX 1024

struct mqtt_presence_info {
	char nick[MQTT_PRESENCE_NICK_SIZE];
	enum mqc_presence state;
	char away[MQTT_PRESENCE_AWAY_SIZE]; /* "" unless away with a text */
	int64_t ts;    /* Unix ms; 0 when not given */
	bool announce; /* that mqchat says its joins and leaves in the room too */
	bool lost;     /* the Last Will: the connection was lost */
	char leave[MQTT_PRESENCE_LEAVE_MAX]; /* any bytes, as received; not a string */
	size_t leave_len; /* 0: none */
};

/* Reads a payload from the broker (any bytes).  False when it is no
 * presence: too big, not JSON, no v >= 1, no state known, or a nick that
 * is empty or not UTF-8 once control characters are dropped. */
bool mqtt_presence_parse(const void *payload, size_t len, struct mqtt_presence_info *out);

/* The payload for `info`: malloc'd, NUL-terminated, NULL when out of
 * memory. */
char *mqtt_presence_build(const struct mqtt_presence_info *info);

#endif
