/* SPDX-License-Identifier: MIT */
#include "outbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define OUTBUF_FIRST_CAP 256
/* Emptied, a buffer grown past this is freed: one burst of big writes
 * does not stay in memory until the connection ends. */
#define OUTBUF_KEPT_BYTES (64 * 1024)

uint8_t *outbuf_extend(struct outbuf *b, size_t n)
{
	/* What was taken makes room before the buffer grows. */
	if (b->cap - b->len < n && b->start) {
		memmove(b->data, b->data + b->start, b->len - b->start);
		b->len -= b->start;
		b->start = 0;
	}
	if (b->cap - b->len < n) {
		if (n > SIZE_MAX / 2 - b->len)
			return NULL;
		size_t cap = b->cap ? b->cap : OUTBUF_FIRST_CAP;
		while (cap - b->len < n)
			cap *= 2;
		uint8_t *bigger = realloc(b->data, cap);
		if (!bigger)
			return NULL;
		b->data = bigger;
		b->cap = cap;
	}
	uint8_t *at = b->data + b->len;
	b->len += n;
	return at;
}

int outbuf_append(struct outbuf *b, const void *bytes, size_t n)
{
	uint8_t *at = outbuf_extend(b, n);
	if (!at)
		return -1;
	if (n)
		memcpy(at, bytes, n);
	return 0;
}

const uint8_t *outbuf_head(const struct outbuf *b)
{
	return b->data + b->start;
}

size_t outbuf_waiting(const struct outbuf *b)
{
	return b->len - b->start;
}

void outbuf_clear(struct outbuf *b)
{
	b->start = b->len = 0;
	if (b->cap > OUTBUF_KEPT_BYTES)
		outbuf_free(b);
}

void outbuf_consume(struct outbuf *b, size_t n)
{
	b->start += n;
	if (b->start == b->len)
		outbuf_clear(b);
}

ssize_t outbuf_send(struct outbuf *b, int fd)
{
	if (!outbuf_waiting(b))
		return 0;
	ssize_t n = send(fd, outbuf_head(b), outbuf_waiting(b), MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	outbuf_consume(b, (size_t)n);
	return n;
}

void outbuf_free(struct outbuf *b)
{
	free(b->data);
	*b = (struct outbuf){0};
}
