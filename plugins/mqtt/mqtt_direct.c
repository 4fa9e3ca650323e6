/* SPDX-License-Identifier: MIT */
#include "mqtt_direct.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_publish_wire.h"

struct mqtt_direct_token {
	uint64_t end; /* bytes queued up to and with its packet */
	uint64_t token;
};

/* Room for one more token; the answered ones before it are dropped. */
static bool room_for_token(struct mqtt_direct *d)
{
	if (d->first) {
		memmove(d->tokens, d->tokens + d->first, (d->count - d->first) * sizeof *d->tokens);
		d->count -= d->first;
		d->first = 0;
	}
	if (d->count < d->tokens_cap)
		return true;
	size_t cap = d->tokens_cap ? 2 * d->tokens_cap : 64;
	struct mqtt_direct_token *bigger = realloc(d->tokens, cap * sizeof *bigger);
	if (!bigger)
		return false;
	d->tokens = bigger;
	d->tokens_cap = cap;
	return true;
}

bool mqtt_direct_add(struct mqtt_direct *d, const char *topic, const void *payload,
                     size_t len, bool v5, size_t max, uint64_t token)
{
	size_t topic_len = strlen(topic);
	size_t size = mqtt_publish_qos0_size(topic_len, len, v5, max);
	if (!size || !mqtt_publish_topic_ok(topic, topic_len))
		return false;
	uint8_t *at = room_for_token(d) ? outbuf_extend(&d->packets, size) : NULL;
	if (!at) {
		errno = ENOMEM;
		return false;
	}
	mqtt_publish_qos0(topic, topic_len, payload, len, v5, at);
	d->queued += size;
	d->tokens[d->count++] = (struct mqtt_direct_token){.end = d->queued, .token = token};
	return true;
}

bool mqtt_direct_waiting(const struct mqtt_direct *d)
{
	return outbuf_waiting(&d->packets) > 0;
}

bool mqtt_direct_write(struct mqtt_direct *d, int fd)
{
	return outbuf_send(&d->packets, fd) >= 0;
}

bool mqtt_direct_take_written(struct mqtt_direct *d, uint64_t *token)
{
	uint64_t written = d->queued - outbuf_waiting(&d->packets);
	if (d->first == d->count || d->tokens[d->first].end > written)
		return false;
	*token = d->tokens[d->first++].token;
	return true;
}

bool mqtt_direct_take_unwritten(struct mqtt_direct *d, uint64_t *token)
{
	if (d->first < d->count) {
		*token = d->tokens[d->first++].token;
		return true;
	}
	outbuf_clear(&d->packets); /* the stream is gone: nothing waits */
	return false;
}

void mqtt_direct_free(struct mqtt_direct *d)
{
	outbuf_free(&d->packets);
	free(d->tokens);
	*d = (struct mqtt_direct){0};
}
