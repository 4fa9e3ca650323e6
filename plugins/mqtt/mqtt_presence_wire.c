/* SPDX-License-Identifier: MIT */
#include "mqtt_presence_wire.h"

#include <jansson.h>
#include <string.h>

#include "mqtt_meta.h"

static const char *const mqtt_presence_states[] = {
	[MQC_PRESENCE_OFFLINE] = "offline",
	[MQC_PRESENCE_ONLINE] = "online",
	[MQC_PRESENCE_AWAY] = "away",
};

/* `key`'s string cleaned into `out`; false when it is not a string or
 * nothing valid is left. */
static bool mqtt_presence_text(json_t *root, const char *key, char *out, size_t size)
{
	json_t *value = json_object_get(root, key);
	if (!json_is_string(value))
		return false;
	return mqtt_meta_clean(out, size, json_string_value(value), json_string_length(value)) > 0;
}

/* The payload's fields into `out`, once it is a JSON object. */
static bool mqtt_presence_fields(json_t *root, struct mqtt_presence_info *out)
{
	json_t *v = json_object_get(root, "v");
	json_t *state = json_object_get(root, "state");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || !json_is_string(state))
		return false;
	size_t n = sizeof(mqtt_presence_states) / sizeof(mqtt_presence_states[0]);
	size_t s = 0;
	while (s < n && strcmp(json_string_value(state), mqtt_presence_states[s]) != 0)
		s++;
	if (s == n || !mqtt_presence_text(root, "nick", out->nick, sizeof(out->nick)))
		return false;
	out->state = (enum mqc_presence)s;
	if (out->state == MQC_PRESENCE_AWAY)
		(void)mqtt_presence_text(root, "away", out->away, sizeof(out->away));
	json_t *ts = json_object_get(root, "ts");
	out->ts = json_is_integer(ts) && json_integer_value(ts) > 0 ? json_integer_value(ts) : 0;
	out->announce = json_is_true(json_object_get(root, "announce"));
	out->lost = json_is_true(json_object_get(root, "lost"));
	json_t *leave = json_object_get(root, "leave");
	if (json_is_string(leave) && json_string_length(leave) <= sizeof(out->leave)) {
		out->leave_len = json_string_length(leave);
		memcpy(out->leave, json_string_value(leave), out->leave_len);
	}
	return true;
}

bool mqtt_presence_parse(const void *payload, size_t len, struct mqtt_presence_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!len || len > MQTT_PRESENCE_MAX_PAYLOAD)
		return false;
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(root) && mqtt_presence_fields(root, out);
	json_decref(root);
	return ok;
}

char *mqtt_presence_build(const struct mqtt_presence_info *info)
{
	json_t *root = json_pack("{s:i, s:s, s:s, s:I, s:b}", "v", 1, "nick", info->nick, "state",
	                         mqtt_presence_states[info->state], "ts", (json_int_t)info->ts,
	                         "announce", info->announce);
	if (root && info->state == MQC_PRESENCE_AWAY && info->away[0])
		json_object_set_new(root, "away", json_string(info->away));
	if (root && info->lost)
		json_object_set_new(root, "lost", json_true());
	if (root && info->leave_len)
		json_object_set_new(root, "leave", json_stringn(info->leave, info->leave_len));
	char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	return text;
}
