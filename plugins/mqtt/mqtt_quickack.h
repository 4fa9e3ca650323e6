/* SPDX-License-Identifier: MIT */
/*
 * TCP's acknowledgement of a read, asked for at once (TCP_QUICKACK;
 * mqtt_cork.c and mqtt_ack_read say when it is wanted).  The kernel keeps
 * the ACK of what we read for our next packet only on a connection it
 * takes for an exchange: one that sent data soon after receiving some.
 * Asking for an ACK at once also ends that, and until we write again the
 * kernel ACKs a small segment as soon as it is read: asking again is a
 * system call for nothing.  In a calm room that was one a delivery, a
 * quarter of a receiver's system calls; skipped, its CPU a delivery fell
 * by 1-5 µs of about 50 in each of seven pairs of runs (bench/README.md,
 * "An ACK asked for once").  Over TLS, OpenSSL may write while it reads,
 * unseen: there it is asked at every read, as before.
 * The caller tells it of every write to the socket and of a new
 * connection, which starts as written to.
 */
#ifndef MQTT_QUICKACK_H
#define MQTT_QUICKACK_H

#include <stdbool.h>

struct mqtt_quickack {
	bool wrote; /* since the last ACK asked for at once */
};

/* We wrote to the connection (or it is new): the kernel may delay its
 * ACKs again. */
void mqtt_quickack_wrote(struct mqtt_quickack *q);
/* The ACK of what was just read on `fd` is wanted now; `tls`: OpenSSL
 * reads it.  Returns whether the kernel was asked. */
bool mqtt_quickack_now(struct mqtt_quickack *q, int fd, bool tls);

#endif
