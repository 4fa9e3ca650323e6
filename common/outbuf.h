/* SPDX-License-Identifier: MIT */
/* Bytes waiting for a non-blocking socket: added at the end, taken from
 * the start as the socket takes them.  Out of memory is the caller's to
 * answer (a connection can be dropped), so nothing here aborts. */
#ifndef MQC_COMMON_OUTBUF_H
#define MQC_COMMON_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct outbuf {
	uint8_t *data;
	size_t start, len, cap; /* waiting: [start, len) */
};

/* `n` bytes more at the end, for the caller to fill at once: where they
 * start, or NULL (nothing added) if out of memory. */
uint8_t *outbuf_extend(struct outbuf *b, size_t n);
/* Adds `n` bytes; 0, or -1 (nothing added) if out of memory. */
int outbuf_append(struct outbuf *b, const void *bytes, size_t n);
/* The bytes waiting, and how many. */
const uint8_t *outbuf_head(const struct outbuf *b);
size_t outbuf_waiting(const struct outbuf *b);
/* The first `n` waiting bytes were taken.  Emptied, a buffer grown big
 * (64 KiB) is freed, as by outbuf_clear. */
void outbuf_consume(struct outbuf *b, size_t n);
/* Drops what waits (and the buffer itself if it grew big). */
void outbuf_clear(struct outbuf *b);
/* Sends what waits to socket `fd` (send(), no SIGPIPE): the bytes it took,
 * 0 if it had no room (or was interrupted), -1 with errno if it failed. */
ssize_t outbuf_send(struct outbuf *b, int fd);
void outbuf_free(struct outbuf *b);

#endif
