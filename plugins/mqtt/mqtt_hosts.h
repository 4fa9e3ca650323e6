/* SPDX-License-Identifier: MIT */
/*
 * The brokers a network may connect to (`hosts`, else `host` and `port`),
 * and which one is tried now.  A network starts at the first; when an
 * attempt fails or a connection is lost it moves to the next, wrapping, so
 * a cluster's nodes (NATS) or bridged brokers take over from each other.
 * Pure: no connection, no host.
 */
#ifndef MQTT_HOSTS_H
#define MQTT_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More than any cluster a client should know of; the key says so. */
#define MQTT_HOSTS_MAX 16

struct mqtt_broker {
	char *host; /* name or address, IPv6 without its brackets */
	int port;
};

struct mqtt_hosts {
	struct mqtt_broker list[MQTT_HOSTS_MAX];
	size_t count;
	size_t current; /* index of the broker tried or connected now */
};

/*
 * Reads "a:1883 b [::1]:1884" (entries separated by spaces or commas,
 * HOST[:PORT] with `default_port` when none) into `out`.  NULL on success;
 * else what is wrong, written into `why` (`size` bytes), and nothing left
 * allocated.  An empty list is wrong too.
 */
const char *mqtt_hosts_parse(struct mqtt_hosts *out, const char *text, int default_port,
                             char *why, size_t size);

/* One broker, `host` and `port`: false when out of memory. */
bool mqtt_hosts_single(struct mqtt_hosts *out, const char *host, int port);

/* Puts the list in an order drawn from `seed` (hosts_order = random), so
 * that clients started together spread over the brokers. */
void mqtt_hosts_shuffle(struct mqtt_hosts *h, uint32_t seed);

/* The broker tried or connected now. */
const struct mqtt_broker *mqtt_hosts_current(const struct mqtt_hosts *h);

/* Moves to the next broker, the first after the last. */
void mqtt_hosts_advance(struct mqtt_hosts *h);

/* "host:port", or "[v6]:port", into `out`; returns `out`. */
#define MQTT_BROKER_NAME_SIZE 272
const char *mqtt_broker_name(char out[MQTT_BROKER_NAME_SIZE], const struct mqtt_broker *b);

void mqtt_hosts_free(struct mqtt_hosts *h);

#endif
