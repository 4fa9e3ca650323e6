/* SPDX-License-Identifier: MIT */
/*
 * What the broker sends on a room's other topics (plugins/mqtt/mqtt_meta.c,
 * mqtt_presence_wire.c).  The input is a topic, a NUL, then a presence
 * payload.  Checked: a topic placed under a room has levels that are
 * non-empty, hold no '/', '+', '#' and are safe text; a payload accepted
 * has a known state and a nick that is non-empty safe text of at most 64
 * bytes (an away text likewise), and built again it reads back the same; a
 * level made of any name is one safe, non-empty level.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "mqtt_meta.h"
#include "mqtt_presence_wire.h"

static void check_level(const char *level, const char *what)
{
	size_t len = strlen(level);
	fuzz_require(len > 0 && len < MQTT_META_LEVEL_SIZE, what);
	fuzz_require(!strpbrk(level, "/+#"), what);
	fuzz_require_safe(level, len, what);
}

static void check_topic(const char *topic)
{
	static struct mqtt_rooms rooms;
	if (!rooms.n) {
		fuzz_require(mqtt_rooms_add(&rooms, "lobby"), "out of memory");
		fuzz_require(mqtt_rooms_add(&rooms, "a/b"), "out of memory");
	}
	struct mqtt_meta_place at;
	bool placed = mqtt_meta_classify(topic, &rooms, &at);
	fuzz_require(placed == (at.kind != MQTT_META_NONE), "classify's result is its kind");
	if (!placed || at.kind == MQTT_META_ROOM)
		return;
	fuzz_require(at.room < rooms.n, "a room of the list");
	check_level(at.a, "first level");
	if (at.kind != MQTT_META_VERIFIED)
		check_level(at.b, "second level");
	char level[MQTT_META_LEVEL_SIZE];
	check_level(mqtt_meta_level(level, topic), "a level made of the topic");
}

static void check_payload(const uint8_t *data, size_t size)
{
	struct mqtt_presence_info info;
	if (!mqtt_presence_parse(data, size, &info))
		return;
	fuzz_require(size <= MQTT_PRESENCE_MAX_PAYLOAD, "no big payload accepted");
	fuzz_require(info.state <= MQC_PRESENCE_AWAY, "a known state");
	size_t nick_len = strlen(info.nick);
	fuzz_require(nick_len > 0 && nick_len < MQTT_PRESENCE_NICK_SIZE, "a nick that fits");
	fuzz_require_safe(info.nick, nick_len, "nick");
	fuzz_require_safe(info.away, strlen(info.away), "away text");
	char *again = mqtt_presence_build(&info);
	fuzz_require(again != NULL, "built again");
	struct mqtt_presence_info back;
	fuzz_require(mqtt_presence_parse(again, strlen(again), &back), "read back");
	fuzz_require(!strcmp(back.nick, info.nick) && back.state == info.state &&
	                     back.lost == info.lost && back.announce == info.announce,
	             "the same presence");
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *topic = fuzz_take_string(&data, &size);
	check_topic(topic);
	free(topic);
	check_payload(data, size);
	return 0;
}
