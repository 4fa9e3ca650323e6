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
 * nothing during a read (mqtt_link.c: acknowledgements wait until the
 * core has stored their messages); should it try, that end cannot be written (its buffer is filled
 * once): what it meant to send stays queued in it and goes out on the TCP
 * socket after.
 *
 * The plain PUBLISH packets of a room (mqtt_publish_wire.h) need no
 * libmosquitto: while it holds nothing, the caller claims them straight
 * from the buffer (mqtt_guard_claim) and queues their acknowledgements
 * here (mqtt_guard_ack), written once their messages are stored and
 * libmosquitto has nothing queued (mqtt_guard_write_acks).  The packets
 * between them (a sender's PUBACKs among the room's messages) go to
 * libmosquitto in their turn, and claiming goes on once it has read
 * them.  libmosquitto writes only when told to (mosquitto_loop_write:
 * mqtt.c sets it "threaded"), and is not told to while the socket took
 * only part of an acknowledgement.  A chat line then costs a poll(), one
 * recv() and, at QoS 1, a share of one send(): relaying it through the
 * pair cost six system calls more.
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

#include "mqtt_publish_wire.h"
#include "outbuf.h"

struct mqtt_guard {
	bool on;       /* false: TLS (or it could not be set up) */
	bool v5;       /* MQTT 5 packets carry properties */
	int lib_end;   /* read by libmosquitto in place of the socket */
	int feed_end;  /* checked bytes are written here */
	int tcp;       /* a second descriptor of the connection's socket; -1 */
	int tcp_for;   /* the number libmosquitto knows that socket by */
	bool lent;     /* tcp_for points at lib_end (mqtt_guard_lend) */
	/* Taken off the socket: [start, len).  Of it, [start, whole) are whole
	 * packets, checked; [start, ready) checked up to the head of one
	 * still arriving, of which `packet_left` bytes are still to come. */
	uint8_t *buf;
	size_t cap, start, whole, ready, len;
	size_t packet_left;
	bool big;        /* that packet is fed as it comes, not held whole */
	size_t ends;     /* packets that end in [start, whole) (exact unless lib_mid) */
	bool lib_mid;    /* libmosquitto holds part of a packet */
	bool unread;     /* libmosquitto's end may hold bytes fed earlier */
	struct outbuf acks; /* acknowledgements of claimed packets, not yet sent */
};

/* What one mqtt_guard_take() found on the socket, and one
 * mqtt_guard_feed() gave libmosquitto. */
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
/* Closes the guard's descriptors and frees its buffers; then as cleared. */
void mqtt_guard_free(struct mqtt_guard *g);

/* Takes what has arrived on the broker's socket `fd` and checks it; what
 * it found in `*in`.  False, with errno ENOMEM, if it could not
 * (libmosquitto must not read the socket itself then). */
bool mqtt_guard_take(struct mqtt_guard *g, int fd, struct mqtt_guard_intake *in);
/* The next packet, if it is a plain PUBLISH (mqtt_publish_wire.h) and
 * libmosquitto holds nothing it must read first: taken, and read into
 * `*p`, which points into the guard's buffer until its next call. */
bool mqtt_guard_claim(struct mqtt_guard *g, struct mqtt_publish *p);
/* Feeds checked packets to libmosquitto's end (in `in`): while it holds
 * nothing, those up to the next plain PUBLISH, for mqtt_guard_claim()
 * after it has read them; else all that are left.  Whether it fed any. */
bool mqtt_guard_feed(struct mqtt_guard *g, struct mqtt_guard_intake *in);
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
/* The connection's socket that libmosquitto's `fd` stands for: while it
 * is lent, the guard's own descriptor of it (for socket options). */
int mqtt_guard_socket(const struct mqtt_guard *g, int fd);

/* Queues the acknowledgement of a claimed QoS 1 packet; false (ENOMEM) if
 * it could not. */
bool mqtt_guard_ack(struct mqtt_guard *g, uint16_t mid);
/* Whether acknowledgements wait to be written. */
bool mqtt_guard_acks_waiting(const struct mqtt_guard *g);
/* Writes them to the connection's socket `fd`; call only while
 * libmosquitto has nothing queued (!mosquitto_want_write()) or the last
 * write was cut.  What the socket did not take waits.  False with errno
 * if the socket failed. */
bool mqtt_guard_write_acks(struct mqtt_guard *g, int fd);
/* The socket took part of an acknowledgement: its rest must come first. */
bool mqtt_guard_acks_cut(const struct mqtt_guard *g);

#endif
