/* SPDX-License-Identifier: MIT */
#include "mqtt_publish_wire.h"

#include <mosquitto.h>
#include <string.h>

/* The largest remaining length four bytes can say (MQTT 2.2.3). */
#define MQTT_BODY_MAX 268435455u

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

/* Printable ASCII but the wildcards, which libmosquitto's UTF-8 rules
 * always accept. */
static bool plain_topic_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '+' && c != '#';
}

/* Every line sent and received is checked: the common topic in one pass,
 * any other left whole to libmosquitto (bench/README.md, "A line's own
 * work, before history"). */
bool mqtt_publish_topic_ok(const char *topic, size_t len)
{
	if (len == 0 || len > UINT16_MAX)
		return false;
	size_t plain = 0;
	while (plain < len && plain_topic_byte((unsigned char)topic[plain]))
		plain++;
	return plain == len || (!memchr(topic, '+', len) && !memchr(topic, '#', len) &&
	                        mosquitto_validate_utf8(topic, (int)len) == MOSQ_ERR_SUCCESS);
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
	return (!p->qos || p->mid) && mqtt_publish_topic_ok((const char *)p->topic, p->topic_len);
}

/* The remaining length of a QoS 0 PUBLISH: topic length, topic, MQTT 5's
 * property length (0), payload. */
static size_t qos0_body(size_t topic_len, size_t payload_len, bool v5)
{
	return 2 + topic_len + (v5 ? 1 : 0) + payload_len;
}

/* Bytes the remaining length `body` takes in the fixed header. */
static size_t length_bytes(size_t body)
{
	size_t n = 1;
	for (; body >= 0x80; body >>= 7)
		n++;
	return n;
}

size_t mqtt_publish_qos0_size(size_t topic_len, size_t payload_len, bool v5, size_t max)
{
	if (topic_len > UINT16_MAX || payload_len > MQTT_BODY_MAX - 3 - topic_len)
		return 0;
	size_t body = qos0_body(topic_len, payload_len, v5);
	size_t size = 1 + length_bytes(body) + body;
	return size <= max ? size : 0;
}

void mqtt_publish_qos0(const char *topic, size_t topic_len, const void *payload,
                       size_t payload_len, bool v5, uint8_t *out)
{
	size_t body = qos0_body(topic_len, payload_len, v5);
	*out++ = 0x30;
	do {
		*out = body & 0x7f;
		body >>= 7;
		*out++ |= body ? 0x80 : 0;
	} while (body);
	*out++ = (uint8_t)(topic_len >> 8);
	*out++ = (uint8_t)topic_len;
	memcpy(out, topic, topic_len);
	out += topic_len;
	if (v5)
		*out++ = 0; /* no properties */
	if (payload_len)
		memcpy(out, payload, payload_len);
}

void mqtt_puback(uint16_t mid, uint8_t out[MQTT_PUBACK_SIZE])
{
	out[0] = 0x40;
	out[1] = 2;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
}
