/* SPDX-License-Identifier: MIT */
/*
 * The PUBLISH packets a room is made of, read without libmosquitto: QoS 0
 * or 1, no MQTT 5 properties, a topic that is valid UTF-8 without
 * wildcards, and at QoS 1 a packet id.  That is every chat line on a plain
 * room; anything else (QoS 2, properties, a topic alias) is not plain and
 * goes to libmosquitto as before, so this reader need not know it.  It
 * answers about bytes the packet check (mqtt_packet_check.h) has seen,
 * and checks every length again itself.
 */
#ifndef MQTT_PUBLISH_WIRE_H
#define MQTT_PUBLISH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A plain PUBLISH, pointing into the bytes it was read from. */
struct mqtt_publish {
	const uint8_t *topic;
	size_t topic_len;
	const uint8_t *payload;
	size_t payload_len;
	uint16_t mid;  /* 0 at QoS 0 */
	int qos;       /* 0 or 1 */
	bool retain;
	bool dup;      /* QoS 1 sent again (DUP): NATS after ack_wait */
	size_t size;   /* of the whole packet */
};

/* Bytes of the acknowledgement of a QoS 1 PUBLISH (MQTT 3.1.1 and 5). */
#define MQTT_PUBACK_SIZE 4

/* Whether the packet at `data` (`len` bytes, of which it may fill only a
 * part) is a whole, plain PUBLISH from a broker speaking MQTT 5 (`v5`) or
 * 3.1.1; if so, read into `*p`. */
bool mqtt_publish_plain(const uint8_t *data, size_t len, bool v5, struct mqtt_publish *p);

/* Bytes of the QoS 0 PUBLISH of a topic and a payload of these lengths
 * (MQTT 5: with no properties), at most `max`; 0 if it would be longer,
 * or the topic cannot be carried (64 KiB or more). */
size_t mqtt_publish_qos0_size(size_t topic_len, size_t payload_len, bool v5, size_t max);
/* Writes that PUBLISH, of mqtt_publish_qos0_size() bytes, to `out`.  The
 * topic must be one a PUBLISH may carry (mqtt_publish_topic_ok). */
void mqtt_publish_qos0(const char *topic, size_t topic_len, const void *payload,
                       size_t payload_len, bool v5, uint8_t *out);
/* Whether a PUBLISH may carry `topic`: not empty, UTF-8 as MQTT allows
 * it (libmosquitto's own test), no wildcard. */
bool mqtt_publish_topic_ok(const char *topic, size_t len);

/* The PUBACK of packet id `mid`. */
void mqtt_puback(uint16_t mid, uint8_t out[MQTT_PUBACK_SIZE]);

#endif
