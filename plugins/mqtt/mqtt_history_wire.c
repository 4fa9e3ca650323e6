/* SPDX-License-Identifier: MIT */
/* History payloads and topics (mqtt_history_wire.h), read with jansson. */
#include "mqtt_history_wire.h"

#include <jansson.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char request_level[] = "/history/req";
static const char answer_levels[] = "/history/ans/";

/* The payload as a JSON object of version 1; NULL for anything else. */
static json_t *load_v1(const void *payload, size_t len)
{
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *v = json_object_get(root, "v");
	if (json_is_object(root) && json_is_integer(v) && json_integer_value(v) == 1)
		return root;
	json_decref(root);
	return NULL;
}

/* A member that is absent (true, *out untouched) or a whole number of at
 * least `min` (true, in *out); false for anything else. */
static bool whole_member(const json_t *obj, const char *key, json_int_t min, json_int_t *out)
{
	const json_t *value = json_object_get(obj, key);
	if (!value)
		return true;
	if (!json_is_integer(value) || json_integer_value(value) < min)
		return false;
	*out = json_integer_value(value);
	return true;
}

bool mqtt_history_parse_request(const void *payload, size_t len, struct mqtt_history_ask *ask)
{
	json_t *root = load_v1(payload, len);
	if (!root)
		return false;
	json_int_t last = 0, since = -1;
	bool ok = whole_member(root, "last", 1, &last) && whole_member(root, "since", 0, &since) &&
	          (last > 0 || since >= 0);
	json_decref(root);
	if (!ok)
		return false;
	ask->since_ms = since > 0 ? (int64_t)since : 0;
	ask->max = last > 0 && last < MQTT_HISTORY_MAX_MESSAGES ? (size_t)last
	                                                        : MQTT_HISTORY_MAX_MESSAGES;
	return true;
}

bool mqtt_history_parse_end(const void *payload, size_t len, uint64_t *count)
{
	json_t *root = load_v1(payload, len);
	if (!root)
		return false;
	json_int_t k = -1;
	bool ok = json_is_true(json_object_get(root, "end")) &&
	          json_object_get(root, "count") && whole_member(root, "count", 0, &k);
	json_decref(root);
	if (ok)
		*count = (uint64_t)k;
	return ok;
}

size_t mqtt_history_request_payload(char buf[MQTT_HISTORY_PAYLOAD_SIZE], size_t n)
{
	return (size_t)snprintf(buf, MQTT_HISTORY_PAYLOAD_SIZE, "{\"v\":1,\"last\":%zu}", n);
}

size_t mqtt_history_end_payload(char buf[MQTT_HISTORY_PAYLOAD_SIZE], size_t count)
{
	return (size_t)snprintf(buf, MQTT_HISTORY_PAYLOAD_SIZE,
	                        "{\"v\":1,\"end\":true,\"count\":%zu}", count);
}

enum mqtt_history_topic mqtt_history_topic_kind(const char *room, const char *topic)
{
	size_t n = strlen(room);
	if (strncmp(topic, room, n) != 0)
		return MQTT_HISTORY_OTHER;
	if (!strcmp(topic + n, request_level))
		return MQTT_HISTORY_REQUEST;
	if (!strncmp(topic + n, answer_levels, sizeof(answer_levels) - 1))
		return MQTT_HISTORY_ANSWER;
	return MQTT_HISTORY_OTHER;
}

bool mqtt_history_response_topic_ok(const char *room, const char *topic)
{
	return mqtt_history_topic_kind(room, topic) == MQTT_HISTORY_ANSWER &&
	       strlen(topic) > strlen(room) + sizeof(answer_levels) - 1 &&
	       mosquitto_pub_topic_check2(topic, strlen(topic)) == MOSQ_ERR_SUCCESS;
}

/* Appends `level` to `out` as one topic level. */
static char *append_level(char *out, const char *level)
{
	for (; *level; level++)
		*out++ = strchr("/+#", *level) ? '_' : *level;
	return out;
}

char *mqtt_history_answer_topic(const char *room, const char *username, const char *client_id)
{
	const char *user = username && *username ? username : "_";
	size_t room_len = strlen(room);
	char *topic = malloc(room_len + sizeof(answer_levels) + strlen(user) + strlen(client_id) + 1);
	if (!topic)
		return NULL;
	memcpy(topic, room, room_len);
	char *end = stpcpy(topic + room_len, answer_levels);
	end = append_level(end, user);
	*end++ = '/';
	*append_level(end, client_id) = '\0';
	return topic;
}
