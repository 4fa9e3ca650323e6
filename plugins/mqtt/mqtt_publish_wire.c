/* SPDX-License-Identifier: MIT */
#include "mqtt_publish_wire.h"

#include <mosquitto.h>
#include <string.h>

/* The remaining length at `data` (1-4 bytes): its value and the header's
 * size, or false if it is cut short or too long. */
static bool read_length(const uint8_t *data, size_t len, size_t *value, size_t *header)
{
	*value = 0;
	for (size_t i = 1; i < len && i <= 4; i++) {
		*value |= (size_t)(data[i] & 0x7f) << (7 * (i - 1));
		if (!(data[i] & 0x80)) {
			*header = i + 1;
			return true;
		}
	}
	return false;
}

/* A topic a PUBLISH may carry: not empty, UTF-8 as MQTT allows it
 * (libmosquitto's own test), no wildcard. */
static bool topic_plain(const uint8_t *topic, size_t len)
{
	return len > 0 && !memchr(topic, '+', len) && !memchr(topic, '#', len) &&
	       mosquitto_validate_utf8((const char *)topic, (int)len) == MOSQ_ERR_SUCCESS;
}

bool mqtt_publish_plain(const uint8_t *data, size_t len, bool v5, struct mqtt_publish *p)
{
	size_t body_len, header;
	if (len < 2 || (data[0] >> 4) != 3 || !read_length(data, len, &body_len, &header) ||
	    body_len > len - header)
		return false;
	const uint8_t *body = data + header, *end = body + body_len;
	*p = (struct mqtt_publish){.qos = (data[0] >> 1) & 3, .retain = data[0] & 1,
	                           .dup = data[0] & 8, .size = header + body_len};
	if (p->qos > 1 || body_len < 2)
		return false;
	p->topic_len = (size_t)body[0] << 8 | body[1];
	p->topic = body + 2;
	const uint8_t *at = p->topic + p->topic_len;
	size_t after = (p->qos ? 2u : 0u) + (v5 ? 1u : 0u); /* packet id, property length */
	if (p->topic_len > body_len - 2 || (size_t)(end - at) < after)
		return false;
	if (p->qos) {
		p->mid = (uint16_t)(at[0] << 8 | at[1]);
		at += 2;
	}
	if (v5 && *at++ != 0)
		return false; /* properties: libmosquitto reads them */
	p->payload = at;
	p->payload_len = (size_t)(end - at);
	return (!p->qos || p->mid) && topic_plain(p->topic, p->topic_len);
}

void mqtt_puback(uint16_t mid, uint8_t out[MQTT_PUBACK_SIZE])
{
	out[0] = 0x40;
	out[1] = 2;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
}
