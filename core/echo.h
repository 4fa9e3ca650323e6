/* SPDX-License-Identifier: MIT */
/*
 * Payloads we published a moment ago: the broker may hand them back (MQTT
 * 3.1.1 has no No Local; mosquitto ignores it at times).  Each is known by
 * its payload digest, once, for ECHO_WINDOW_MS.
 */
#ifndef MQC_ECHO_H
#define MQC_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECHO_FILTER_SIZE 256
#define ECHO_WINDOW_MS 60000

struct echo_filter {
	struct {
		uint64_t digest;
		uint64_t expires_ms;
	} recent[ECHO_FILTER_SIZE];
	size_t next;
	size_t used;
	uint64_t until_ms; /* when the newest expires */
};

/* Whether anything was published within the window: if not, no payload
 * can be an echo (most receivers never look). */
bool echo_expected(const struct echo_filter *f, uint64_t now_ms);
/* Remembers a payload published at `now_ms`. */
void echo_note(struct echo_filter *f, uint64_t digest, uint64_t now_ms);
/* True, once, for the digest of a payload noted within the window. */
bool echo_take(struct echo_filter *f, uint64_t digest, uint64_t now_ms);

#endif
