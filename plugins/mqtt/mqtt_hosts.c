/* SPDX-License-Identifier: MIT */
#include "mqtt_hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest host name DNS allows. */
#define HOST_NAME_MAX_LEN 253
static const char separators[] = " \t,";

/* A port number of 1 to 65535, digits only; 0 when `text` is none. */
static int hosts_port(const char *text, size_t len)
{
	if (len == 0 || len > 5)
		return 0;
	long port = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return 0;
		port = port * 10 + (text[i] - '0');
	}
	return port <= 65535 ? (int)port : 0;
}

/* A host part: printable ASCII, no brackets (an address in brackets has
 * lost them by now), not too long. */
static bool hosts_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > HOST_NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '[' || name[i] == ']')
			return false;
	return true;
}

/* Splits one entry into its host and the text of its port (NULL when
 * none).  NULL, or what is wrong with it. */
static const char *hosts_split(const char *entry, size_t len, const char **name,
                               size_t *name_len, const char **port, size_t *port_len)
{
	const char *end = entry + len;
	const char *colon;
	if (entry[0] == '[') {
		const char *close = memchr(entry, ']', len);
		if (!close)
			return "an address opened with [ is not closed with ]";
		*name = entry + 1;
		*name_len = (size_t)(close - entry - 1);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return "only :PORT may follow an address in brackets";
	} else {
		colon = memchr(entry, ':', len);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return "an IPv6 address goes in brackets, e.g. [::1]:1883";
		*name = entry;
		*name_len = colon ? (size_t)(colon - entry) : len;
	}
	*port = colon ? colon + 1 : NULL;
	*port_len = colon ? (size_t)(end - colon - 1) : 0;
	return NULL;
}

/* Adds the entry of `len` bytes at `entry`; NULL, or what is wrong. */
static const char *hosts_add(struct mqtt_hosts *out, const char *entry, size_t len,
                             int default_port)
{
	const char *name, *port_text;
	size_t name_len, port_len;
	const char *problem = hosts_split(entry, len, &name, &name_len, &port_text, &port_len);
	if (problem)
		return problem;
	if (!hosts_name_ok(name, name_len))
		return "no host name or address there";
	int port = port_text ? hosts_port(port_text, port_len) : default_port;
	if (port == 0)
		return "the port is not a number from 1 to 65535";
	for (size_t i = 0; i < out->count; i++)
		if (out->list[i].port == port && strlen(out->list[i].host) == name_len &&
		    !memcmp(out->list[i].host, name, name_len))
			return "listed twice";
	if (out->count == MQTT_HOSTS_MAX)
		return "more than 16 brokers";
	char *copy = strndup(name, name_len);
	if (!copy)
		return "out of memory";
	out->list[out->count++] = (struct mqtt_broker){.host = copy, .port = port};
	return NULL;
}

const char *mqtt_hosts_parse(struct mqtt_hosts *out, const char *text, int default_port,
                             char *why, size_t size)
{
	memset(out, 0, sizeof(*out));
	const char *p = text;
	while (*(p += strspn(p, separators))) {
		size_t len = strcspn(p, separators);
		const char *problem = hosts_add(out, p, len, default_port);
		if (problem) {
			snprintf(why, size, "'%.*s': %s", (int)(len < 80 ? len : 80), p, problem);
			mqtt_hosts_free(out);
			return why;
		}
		p += len;
	}
	if (out->count == 0) {
		snprintf(why, size, "names no broker; e.g. a:1883 b:1883");
		return why;
	}
	return NULL;
}

bool mqtt_hosts_single(struct mqtt_hosts *out, const char *host, int port)
{
	memset(out, 0, sizeof(*out));
	char *copy = strdup(host);
	if (!copy)
		return false;
	out->list[0] = (struct mqtt_broker){.host = copy, .port = port};
	out->count = 1;
	return true;
}

void mqtt_hosts_shuffle(struct mqtt_hosts *h, uint32_t seed)
{
	/* Fisher-Yates, drawing from xorshift32 (any spread will do). */
	uint32_t x = seed ? seed : 0x9e3779b9u;
	for (size_t i = h->count; i > 1; i--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t j = x % i;
		struct mqtt_broker swap = h->list[i - 1];
		h->list[i - 1] = h->list[j];
		h->list[j] = swap;
	}
	h->current = 0;
}

const struct mqtt_broker *mqtt_hosts_current(const struct mqtt_hosts *h)
{
	return &h->list[h->current];
}

void mqtt_hosts_advance(struct mqtt_hosts *h)
{
	h->current = (h->current + 1) % h->count;
}

const char *mqtt_broker_name(char out[MQTT_BROKER_NAME_SIZE], const struct mqtt_broker *b)
{
	bool v6 = strchr(b->host, ':') != NULL;
	snprintf(out, MQTT_BROKER_NAME_SIZE, v6 ? "[%s]:%d" : "%s:%d", b->host, b->port);
	return out;
}

void mqtt_hosts_free(struct mqtt_hosts *h)
{
	for (size_t i = 0; i < h->count; i++)
		free(h->list[i].host);
	memset(h, 0, sizeof(*h));
}
