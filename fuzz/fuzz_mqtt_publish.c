/* SPDX-License-Identifier: MIT */
/*
 * The PUBLISH packets mqchat reads without libmosquitto
 * (plugins/mqtt/mqtt_publish_wire.c).  The input's first byte picks MQTT 5
 * (odd) or 3.1.1, the rest is what the broker sent.  Checked: a packet
 * read as plain lies whole within the input, its topic and payload inside
 * it and back to back; its topic is non-empty text without NUL or
 * wildcard that libmosquitto's UTF-8 check accepts; its QoS is 0 or 1,
 * with a packet id exactly at QoS 1; its DUP is the first byte's; and the
 * packet check (mqtt_packet_check.c), which sees every byte first, passes
 * it with the same size.
 */
#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "mqtt_packet_check.h"
#include "mqtt_publish_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool v5 = data[0] & 1;
	char *copy = fuzz_copy(data + 1, size - 1);
	const uint8_t *bytes = (const uint8_t *)copy;
	size_t len = size - 1;
	struct mqtt_publish p;
	if (mqtt_publish_plain(bytes, len, v5, &p)) {
		fuzz_require(p.size <= len, "the packet lies within the input");
		fuzz_require(p.topic > bytes && p.topic + p.topic_len <= p.payload,
		             "the topic comes before the payload");
		fuzz_require(p.payload + p.payload_len == bytes + p.size, "the payload ends the packet");
		fuzz_require(p.topic_len > 0 && !memchr(p.topic, '\0', p.topic_len) &&
		                     !memchr(p.topic, '+', p.topic_len) && !memchr(p.topic, '#', p.topic_len),
		             "a topic without NUL or wildcard");
		fuzz_require(mosquitto_validate_utf8((const char *)p.topic, (int)p.topic_len) ==
		                     MOSQ_ERR_SUCCESS,
		             "a topic libmosquitto accepts");
		fuzz_require(p.qos == 0 || p.qos == 1, "QoS 0 or 1");
		fuzz_require((p.qos == 1) == (p.mid != 0), "a packet id exactly at QoS 1");
		fuzz_require(p.dup == ((bytes[0] & 0x08) != 0), "DUP as the first byte says");
		size_t checked = 0;
		char why[192];
		fuzz_require(mqtt_packet_check(bytes, len, v5, &checked, why, sizeof why) == MQTT_CHECK_OK &&
		                     checked == p.size,
		             "the packet check passes it whole");
	}
	free(copy);
	return 0;
}
