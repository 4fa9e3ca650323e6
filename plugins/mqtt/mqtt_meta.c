/* SPDX-License-Identifier: MIT */
#include "mqtt_meta.h"

#include <mqchat/plugin.h>
#include <mqchat/utf8.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What never goes into a name kept or shown: control characters, and the
 * bidi overrides, isolates and separators that make text read otherwise
 * than it is. */
static bool mqtt_meta_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

size_t mqtt_meta_clean(char *out, size_t size, const char *in, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t step = mqc_utf8_decode(in + i, len - i, &cp);
		if (!step)
			return out[0] = '\0', 0;
		if (!mqtt_meta_unsafe(cp) && n + step < size) {
			memcpy(out + n, in + i, step);
			n += step;
		}
		i += step;
	}
	out[n] = '\0';
	return n;
}

const char *mqtt_meta_level(char out[MQTT_META_LEVEL_SIZE], const char *name)
{
	size_t len = name ? strlen(name) : 0;
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < MQTT_META_LEVEL_SIZE;) {
		uint32_t cp;
		size_t step = mqc_utf8_decode(name + i, len - i, &cp);
		bool replace = !step || mqtt_meta_unsafe(cp) || cp == '/' || cp == '+' || cp == '#';
		if (replace)
			step = step ? step : 1;
		if (!replace && n + step >= MQTT_META_LEVEL_SIZE)
			break;
		if (replace)
			out[n++] = '_';
		else
			memcpy(out + n, name + i, step), n += step;
		i += step;
	}
	if (!n)
		out[n++] = '_';
	out[n] = '\0';
	return out;
}

char *mqtt_meta_topic(const char *room, const char *kind, const char *a, const char *b)
{
	size_t size = strlen(room) + strlen(kind) + strlen(a) + (b ? strlen(b) + 1 : 0) + 3;
	char *topic = malloc(size);
	if (topic)
		snprintf(topic, size, "%s/%s/%s%s%s", room, kind, a, b ? "/" : "", b ? b : "");
	return topic;
}

size_t mqtt_meta_filters(const char *room, const char *share, bool verify, const char *pm_me,
                         char *out[MQTT_META_FILTERS_MAX])
{
	size_t n = 0;
	if (share) {
		size_t size = strlen(share) + strlen(room) + sizeof("$share//");
		if ((out[n] = malloc(size)))
			snprintf(out[n], size, "$share/%s/%s", share, room);
	} else {
		out[n] = strdup(room);
	}
	bool ok = out[n++] != NULL;
	if (ok && verify)
		ok = (out[n++] = mqtt_meta_topic(room, "u", "+", NULL)) != NULL;
	if (ok && pm_me)
		ok = (out[n++] = mqtt_meta_topic(room, "pm", pm_me, "+")) != NULL;
	if (ok)
		return n;
	mqtt_meta_filters_free(out, n);
	return 0;
}

void mqtt_meta_filters_free(char **filters, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(filters[i]);
}

/* The next level of `*rest` into `out`; false when it is empty, too long,
 * not UTF-8 or has a wildcard or a control character. */
static bool mqtt_meta_take_level(const char **rest, char out[MQTT_META_LEVEL_SIZE])
{
	const char *end = strchr(*rest, '/');
	size_t len = end ? (size_t)(end - *rest) : strlen(*rest);
	if (!len || len >= MQTT_META_LEVEL_SIZE || memchr(*rest, '+', len) ||
	    memchr(*rest, '#', len) || mqtt_meta_clean(out, MQTT_META_LEVEL_SIZE, *rest, len) != len)
		return false;
	*rest += len + (end ? 1 : 0);
	return end == NULL || end[1] != '\0';
}

/* `rest`, what follows "R/", as one of R's topics. */
static enum mqtt_meta_kind mqtt_meta_parse(const char *rest, struct mqtt_meta_place *out)
{
	static const struct {
		const char *prefix;
		enum mqtt_meta_kind kind;
		int levels;
	} kinds[] = {
		{"u/", MQTT_META_VERIFIED, 1},
		{"presence/", MQTT_META_PRESENCE, 2},
		{"pm/", MQTT_META_PRIVATE, 2},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t plen = strlen(kinds[k].prefix);
		if (strncmp(rest, kinds[k].prefix, plen) != 0)
			continue;
		rest += plen;
		if (!mqtt_meta_take_level(&rest, out->a))
			return MQTT_META_NONE;
		if (kinds[k].levels == 2 && (!*rest || !mqtt_meta_take_level(&rest, out->b)))
			return MQTT_META_NONE;
		return *rest ? MQTT_META_NONE : kinds[k].kind; /* no level more */
	}
	return MQTT_META_NONE;
}

bool mqtt_meta_classify(const char *topic, const struct mqtt_rooms *rooms,
                        struct mqtt_meta_place *out)
{
	*out = (struct mqtt_meta_place){.kind = MQTT_META_NONE};
	long exact = mqtt_rooms_find(rooms, topic);
	if (exact >= 0) {
		out->kind = MQTT_META_ROOM;
		out->room = (size_t)exact;
		return true;
	}
	size_t best_len = 0;
	struct mqtt_meta_place found;
	for (size_t i = 0; i < rooms->n; i++) {
		size_t len = strlen(rooms->v[i].name);
		if (len <= best_len || strncmp(topic, rooms->v[i].name, len) != 0 || topic[len] != '/')
			continue;
		found = (struct mqtt_meta_place){.room = i};
		found.kind = mqtt_meta_parse(topic + len + 1, &found);
		if (found.kind != MQTT_META_NONE) {
			*out = found;
			best_len = len;
		}
	}
	return out->kind != MQTT_META_NONE;
}
