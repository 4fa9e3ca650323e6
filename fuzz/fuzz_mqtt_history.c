/* SPDX-License-Identifier: MIT */
/*
 * History requests and answers (plugins/mqtt/mqtt_history_wire.c), as a
 * peer on the broker sends them.  The input is a room, a topic, a
 * username and a client id, NUL-separated, then the payload (the rest).
 * Checked: an accepted request asks for 1 to 200 messages from a time
 * not negative, and the request we would send for that many reads back
 * the same; an accepted end marker's count reads back from the marker we
 * would send; a response topic accepted lies below ROOM/history/ans/ with
 * more after it and no wildcard; a topic is a request or answer topic of
 * the room exactly when its name says so; our answer topic is the room's
 * answer prefix then two levels, adding no level and no wildcard of its
 * own.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "mqtt_history_wire.h"

static void check_payload(const uint8_t *data, size_t size)
{
	char *payload = fuzz_copy(data, size);
	char again[MQTT_HISTORY_PAYLOAD_SIZE];
	struct mqtt_history_ask ask, back;
	if (mqtt_history_parse_request(payload, size, &ask)) {
		fuzz_require(ask.max >= 1 && ask.max <= MQTT_HISTORY_MAX_MESSAGES, "request: max");
		fuzz_require(ask.since_ms >= 0, "request: since");
		size_t len = mqtt_history_request_payload(again, ask.max);
		fuzz_require(mqtt_history_parse_request(again, len, &back) && back.max == ask.max &&
		                     back.since_ms == 0,
		             "request: ours does not read back");
	}
	uint64_t count, count_back;
	if (mqtt_history_parse_end(payload, size, &count) && count <= SIZE_MAX) {
		size_t len = mqtt_history_end_payload(again, (size_t)count);
		fuzz_require(mqtt_history_parse_end(again, len, &count_back) && count_back == count,
		             "end: ours does not read back");
	}
	free(payload);
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "+#") != NULL;
}

static void check_topics(const char *room, const char *topic)
{
	static const char answers[] = "/history/ans/";
	size_t n = strlen(room);
	bool below = !strncmp(topic, room, n);
	enum mqtt_history_topic kind = mqtt_history_topic_kind(room, topic);
	fuzz_require((kind == MQTT_HISTORY_REQUEST) == (below && !strcmp(topic + n, "/history/req")),
	             "kind: request");
	fuzz_require((kind == MQTT_HISTORY_ANSWER) ==
	                     (below && !strncmp(topic + n, answers, sizeof answers - 1)),
	             "kind: answer");
	if (mqtt_history_response_topic_ok(room, topic))
		fuzz_require(kind == MQTT_HISTORY_ANSWER && strlen(topic) > n + sizeof answers - 1 &&
		                     !has_wildcard(topic),
		             "response topic accepted");
}

static void check_answer_topic(const char *room, const char *user, const char *cid)
{
	static const char answers[] = "/history/ans/";
	char *topic = mqtt_history_answer_topic(room, user, cid);
	fuzz_require(topic != NULL, "answer topic: out of memory");
	size_t n = strlen(room);
	fuzz_require(!strncmp(topic, room, n) && !strncmp(topic + n, answers, sizeof answers - 1),
	             "answer topic: prefix");
	const char *levels = topic + n + sizeof answers - 1;
	const char *slash = strchr(levels, '/');
	fuzz_require(slash && !strchr(slash + 1, '/') && !has_wildcard(levels) && slash > levels,
	             "answer topic: two levels, no wildcard");
	free(topic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *room = fuzz_take_string(&data, &size);
	char *topic = fuzz_take_string(&data, &size);
	char *user = fuzz_take_string(&data, &size);
	char *cid = fuzz_take_string(&data, &size);
	check_payload(data, size);
	check_topics(room, topic);
	check_answer_topic(room, user, cid);
	free(room);
	free(topic);
	free(user);
	free(cid);
	return 0;
}
