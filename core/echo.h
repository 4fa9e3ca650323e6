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
		uint64_t expires_ms; /* 0: taken */
		size_t len;
	} recent[ECHO_FILTER_SIZE];
	size_t next;
	size_t used;
	uint64_t until_ms; /* when the newest expires */
	/* Entries not taken yet by their length's low byte, expired ones
	 * too until overwritten: a payload of another length is no echo. */
	uint16_t lengths[256];
};

/* Whether a payload of `len` bytes may be one published within the
 * window: if not, it is no echo, and its digest need not be made (most
 * receivers never publish; most payloads differ in length). */
bool echo_expected(const struct echo_filter *f, size_t len, uint64_t now_ms);
/* Remembers a payload of `len` bytes published at `now_ms`. */
void echo_note(struct echo_filter *f, uint64_t digest, size_t len, uint64_t now_ms);
/* True, once, for the digest of a payload noted within the window. */
bool echo_take(struct echo_filter *f, uint64_t digest, size_t len, uint64_t now_ms);

#endif
