/* SPDX-License-Identifier: MIT */
/*
 * The brokers of an [mqtt] `hosts` key (mqtt_hosts.c): the input, read up
 * to its first NUL, is the key's value.  Checked: a refusal says why and
 * leaves no broker; an accepted list has 1 to MQTT_HOSTS_MAX brokers, each
 * a non-empty printable host without brackets or separators and a port of
 * 1 to 65535; written back as names and read again it is the same list;
 * shuffled, it holds the same brokers; walking it wraps after `count`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "mqtt_hosts.h"

static void check_broker(const struct mqtt_broker *b)
{
	size_t len = strlen(b->host);
	fuzz_require(len > 0, "an empty host accepted");
	for (size_t i = 0; i < len; i++)
		fuzz_require(b->host[i] > ' ' && b->host[i] <= '~' && !strchr("[], ", b->host[i]),
		             "a host with a space, separator, bracket or control byte");
	fuzz_require(b->port >= 1 && b->port <= 65535, "a port out of range");
}

/* Written as "name name ..." and read back: the same brokers in order. */
static void check_round_trip(const struct mqtt_hosts *h)
{
	char text[MQTT_HOSTS_MAX * (MQTT_BROKER_NAME_SIZE + 1)] = "";
	for (size_t i = 0; i < h->count; i++) {
		char name[MQTT_BROKER_NAME_SIZE];
		strcat(text, mqtt_broker_name(name, &h->list[i]));
		strcat(text, " ");
	}
	struct mqtt_hosts again;
	char why[160];
	fuzz_require(mqtt_hosts_parse(&again, text, 1, why, sizeof(why)) == NULL,
	             "a list written back is refused");
	fuzz_require(again.count == h->count, "a list written back has another length");
	for (size_t i = 0; i < h->count; i++)
		fuzz_require(!strcmp(again.list[i].host, h->list[i].host) &&
		                     again.list[i].port == h->list[i].port,
		             "a list written back reads as other brokers");
	mqtt_hosts_free(&again);
}

/* Shuffled: each broker still there (hosts are compared as pointers: the
 * shuffle moves them, never copies). */
static void check_shuffle(struct mqtt_hosts *h, uint32_t seed)
{
	char *before[MQTT_HOSTS_MAX];
	for (size_t i = 0; i < h->count; i++)
		before[i] = h->list[i].host;
	mqtt_hosts_shuffle(h, seed);
	fuzz_require(h->current == 0, "a shuffle does not start at the first");
	for (size_t i = 0; i < h->count; i++) {
		size_t found = 0;
		for (size_t j = 0; j < h->count; j++)
			found += h->list[j].host == before[i];
		fuzz_require(found == 1, "a shuffle lost or doubled a broker");
	}
	for (size_t i = 0; i < h->count; i++)
		mqtt_hosts_advance(h);
	fuzz_require(h->current == 0, "walking the list does not wrap after its length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_take_string(&data, &size);
	struct mqtt_hosts h;
	char why[160] = "";
	const char *problem = mqtt_hosts_parse(&h, text, 1883, why, sizeof(why));
	if (problem) {
		fuzz_require(problem == why && why[0], "a refusal without a reason");
		fuzz_require(h.count == 0, "a refusal left brokers");
	} else {
		fuzz_require(h.count >= 1 && h.count <= MQTT_HOSTS_MAX, "a list of the wrong length");
		for (size_t i = 0; i < h.count; i++)
			check_broker(&h.list[i]);
		check_round_trip(&h);
		check_shuffle(&h, (uint32_t)strlen(text) * 2654435761u);
		mqtt_hosts_free(&h);
	}
	free(text);
	return 0;
}
