/* SPDX-License-Identifier: MIT */
/*
 * Checks the head of each MQTT packet from the broker before libmosquitto
 * reads it: the fixed header, and in MQTT 5 the property section.
 * libmosquitto 2.0.11 aborts the process on a property identifier it does
 * not know (it logs it without a client: an assertion fails), and a
 * property length larger than the packet gets there by reading the
 * payload as properties.  What passes here it reads safely.
 */
#ifndef MQTT_PACKET_CHECK_H
#define MQTT_PACKET_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mqtt_check {
	MQTT_CHECK_OK,   /* the packet's head is sound: *size is its whole length */
	MQTT_CHECK_MORE, /* more bytes are needed to decide: at least *size in all */
	MQTT_CHECK_BAD,  /* malformed: `why` says how */
};

/* The packet starting at `data` (`len` bytes have arrived), from a broker
 * speaking MQTT 5 (`v5`) or 3.1.1. */
enum mqtt_check mqtt_packet_check(const uint8_t *data, size_t len, bool v5, size_t *size,
                                  char *why, size_t why_size);

#endif
