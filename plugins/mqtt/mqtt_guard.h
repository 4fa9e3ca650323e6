/* SPDX-License-Identifier: MIT */
/*
 * What the broker sends, checked before libmosquitto reads it (plain TCP).
 *
 * libmosquitto reads its socket itself and cannot be told to stop at a
 * given byte: once called it reads whatever has arrived, several packets
 * when messages of ours are in flight.  So the bytes are taken off the
 * socket here, each packet's head is checked (mqtt_packet_check.c), and
 * only checked bytes reach libmosquitto: for the length of the read calls
 * (made by the caller, between mqtt_guard_lend() and mqtt_guard_give_back())
 * its descriptor number is pointed (dup2) at one end of a socket pair that
 * holds exactly them, then back at the TCP socket.  libmosquitto writes
 * nothing during a read (mqtt_link.c: acknowledgements wait for the next
 * round); should it try, that end cannot be written (its buffer is filled
 * once): what it meant to send stays queued in it and goes out on the TCP
 * socket after.
 *
 * With TLS the bytes are encrypted until libmosquitto decrypts them: it
 * reads the socket itself, and only the broker that proved its identity
 * can send what it parses.
 */
#ifndef MQTT_GUARD_H
#define MQTT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mqtt_guard {
	bool on;       /* false: TLS (or it could not be set up) */
	bool v5;       /* MQTT 5 packets carry properties */
	int lib_end;   /* read by libmosquitto in place of the socket */
	int feed_end;  /* checked bytes are written here */
	int tcp;       /* a second descriptor of the connection's socket; -1 */
	int tcp_for;   /* the number libmosquitto knows that socket by */
	uint8_t *buf;  /* taken off the socket, not yet fed */
	size_t len, cap;
	size_t ready;       /* bytes at buf's start that are checked */
	size_t packet_left; /* of the last checked packet, bytes still to come */
	unsigned touched;   /* packets with bytes among the `ready` ones (2: maybe more) */
	bool unread;        /* libmosquitto's end may hold bytes fed earlier */
};

/* What one mqtt_guard_take() found on the socket. */
struct mqtt_guard_intake {
	size_t fed;   /* checked bytes now waiting for libmosquitto in its end */
	/* All that waits there is (part of) one packet: one read of
	 * libmosquitto's takes it all, no need to ask how much is left. */
	bool one_packet;
	bool ended;   /* the broker hung up (err 0) or the socket failed (err) */
	int err;      /* the socket's error when `ended`, else 0 */
	char why[192]; /* a malformed packet, described; else "" */
};

/* An unused guard: mqtt_guard_free() on it does nothing. */
void mqtt_guard_clear(struct mqtt_guard *g);
/* `on`: plain TCP.  False, with errno, if the socket pair cannot be made. */
bool mqtt_guard_init(struct mqtt_guard *g, bool on, bool v5);
/* Forgets what the last connection left. */
void mqtt_guard_reset(struct mqtt_guard *g);
/* libmosquitto's socket is gone (or changed): let go of ours, so that the
 * connection closes with it. */
void mqtt_guard_forget(struct mqtt_guard *g);
/* Closes the guard's descriptors and frees its buffer; then as cleared. */
void mqtt_guard_free(struct mqtt_guard *g);

/* Takes what has arrived on the broker's socket `fd` and feeds the packets
 * checked sound to libmosquitto's end; what it found in `*in`.  False, with
 * errno ENOMEM, if it could not (libmosquitto must not read the socket
 * itself then). */
bool mqtt_guard_take(struct mqtt_guard *g, int fd, struct mqtt_guard_intake *in);
/* Whether the caller's reads left bytes in libmosquitto's end (they wait
 * for the next feed, which then cannot be taken in one read). */
void mqtt_guard_set_unread(struct mqtt_guard *g, bool unread);
/* Points `fd`, libmosquitto's number for the socket, at its end of the pair,
 * so that its reads get the fed bytes; false with errno. */
bool mqtt_guard_lend(struct mqtt_guard *g, int fd);
/* Points `fd` back at the socket, unless libmosquitto closed it (`closed`:
 * the number may be another's now); `stopped`: the connection is ending and
 * what libmosquitto left unread goes.  Leaves errno as it was. */
void mqtt_guard_give_back(struct mqtt_guard *g, int fd, bool closed, bool stopped);

#endif
