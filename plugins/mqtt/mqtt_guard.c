/* SPDX-License-Identifier: MIT */
#include "mqtt_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mqtt_packet_check.h"

/* Taken off the socket per readiness at most, so that a flood from the
 * broker still lets the loop serve everything else. */
#define GUARD_READ 32768
/* A packet larger than this is fed to libmosquitto as it arrives, not
 * held until whole: the buffer stays small. */
#define GUARD_HOLD 65536

/* Fills the buffer of libmosquitto's end: its writes then fail with
 * EAGAIN, and it keeps what it meant to send for the TCP socket. */
static bool jam(int fd)
{
	int smallest = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &smallest, sizeof smallest);
	static const char junk[1024];
	while (write(fd, junk, sizeof junk) > 0)
		;
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

void mqtt_guard_clear(struct mqtt_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->lib_end = g->feed_end = g->tcp = -1;
}

bool mqtt_guard_init(struct mqtt_guard *g, bool on, bool v5)
{
	mqtt_guard_clear(g);
	g->v5 = v5;
	if (!on)
		return true;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
		return false;
	g->lib_end = pair[0];
	g->feed_end = pair[1];
	g->on = jam(g->lib_end);
	return g->on;
}

/* Throws away what libmosquitto left unread in its end. */
static void drain(struct mqtt_guard *g)
{
	char sink[4096];
	while (read(g->lib_end, sink, sizeof sink) > 0)
		;
	g->unread = false;
}

void mqtt_guard_forget(struct mqtt_guard *g)
{
	if (g->tcp >= 0)
		close(g->tcp);
	g->tcp = -1;
	g->lent = false;
}

void mqtt_guard_reset(struct mqtt_guard *g)
{
	g->start = g->whole = g->ready = g->len = g->packet_left = 0;
	g->ends = 0;
	g->big = g->lib_mid = false;
	outbuf_clear(&g->acks);
	mqtt_guard_forget(g);
	if (g->on)
		drain(g);
}

void mqtt_guard_free(struct mqtt_guard *g)
{
	mqtt_guard_forget(g);
	if (g->lib_end >= 0)
		close(g->lib_end);
	if (g->feed_end >= 0)
		close(g->feed_end);
	free(g->buf);
	outbuf_free(&g->acks);
	mqtt_guard_clear(g);
}

/* Moves what is left to the buffer's start. */
static void compact(struct mqtt_guard *g)
{
	if (!g->start)
		return;
	memmove(g->buf, g->buf + g->start, g->len - g->start);
	g->len -= g->start;
	g->ready -= g->start;
	g->whole -= g->start;
	g->start = 0;
}

/* Takes what has arrived off the socket: bytes read, 0 at its end, -1
 * with errno (EAGAIN: nothing). */
static ssize_t take(struct mqtt_guard *g, int fd)
{
	compact(g);
	if (g->cap - g->len < GUARD_READ) {
		uint8_t *bigger = realloc(g->buf, g->len + GUARD_READ);
		if (!bigger)
			return -1; /* ENOMEM: the connection ends */
		g->buf = bigger;
		g->cap = g->len + GUARD_READ;
	}
	return recv(fd, g->buf + g->len, GUARD_READ, 0);
}

/* A packet ends at `at`. */
static void packet_ends(struct mqtt_guard *g, size_t at)
{
	g->whole = at;
	g->ends++;
}

/* Extends the checked part over the packets that have arrived whole
 * enough, up to a malformed one (described in `why`). */
static void check(struct mqtt_guard *g, char *why, size_t why_size)
{
	size_t more = g->len - g->ready;
	size_t n = more < g->packet_left ? more : g->packet_left;
	g->ready += n;
	g->packet_left -= n;
	if (n && !g->packet_left)
		packet_ends(g, g->ready);
	while (!g->packet_left && g->ready < g->len) {
		size_t size = 0;
		enum mqtt_check r = mqtt_packet_check(g->buf + g->ready, g->len - g->ready, g->v5,
		                                      &size, why, why_size);
		if (r == MQTT_CHECK_BAD)
			return;
		if (r == MQTT_CHECK_MORE)
			break;
		size_t here = g->len - g->ready;
		if (size <= here) {
			packet_ends(g, g->ready + size);
			g->ready += size;
		} else {
			g->ready = g->len;
			g->packet_left = size - here;
			g->big = size > GUARD_HOLD;
		}
	}
}

bool mqtt_guard_claim(struct mqtt_guard *g, struct mqtt_publish *p)
{
	if (g->lib_mid || g->unread || g->start == g->whole ||
	    !mqtt_publish_plain(g->buf + g->start, g->whole - g->start, g->v5, p))
		return false;
	g->start += p->size;
	g->ends -= g->ends > 0; /* exact while libmosquitto holds nothing (see feed) */
	return true;
}

/* Where the packets at the head that libmosquitto must read (all but
 * plain PUBLISHes) end: at the next plain one, which mqtt_guard_claim()
 * takes, or at `whole`; `*packets`: how many. */
static size_t lib_run_end(const struct mqtt_guard *g, size_t *packets)
{
	size_t at = g->start;
	struct mqtt_publish p;
	*packets = 0;
	while (at < g->whole && !mqtt_publish_plain(g->buf + at, g->whole - at, g->v5, &p)) {
		size_t size = 0;
		char why[1];
		if (mqtt_packet_check(g->buf + at, g->whole - at, g->v5, &size, why, sizeof why) !=
		        MQTT_CHECK_OK || size == 0)
			return g->whole; /* checked already: cannot happen */
		at += size;
		(*packets)++;
	}
	return at;
}

/* Writes the checked bytes meant for libmosquitto into its end; how many.
 * While it holds nothing, the packets up to the next plain PUBLISH: a
 * sender's PUBACKs among the room's messages then do not send the
 * messages after them through libmosquitto too (bench/README.md).  Else,
 * or when the caller left a plain one at the head unclaimed (it claims
 * only while subscribed: a broker's PUBLISH before its CONNACK), all the
 * whole packets, and of a big one what has come. */
static size_t feed(struct mqtt_guard *g, struct mqtt_guard_intake *in)
{
	size_t run_packets = 0;
	size_t run_end = g->lib_mid || g->unread ? g->start : lib_run_end(g, &run_packets);
	bool by_runs = run_end > g->start;
	if (!by_runs)
		run_end = g->whole;
	size_t limit = run_end == g->whole && g->packet_left && g->big ? g->ready : run_end;
	size_t want = limit - g->start;
	ssize_t n = want ? write(g->feed_end, g->buf + g->start, want) : 0;
	if (n <= 0)
		return 0;
	bool all = (size_t)n == want;
	/* Packets with bytes among those fed: one read of libmosquitto's takes
	 * them all if there is just one. */
	size_t packets = (by_runs ? run_packets : g->ends) + (limit > g->whole);
	in->one_packet = all && packets == 1 && !g->unread;
	g->lib_mid = !all || limit > g->whole;
	g->start += (size_t)n;
	if (g->start >= g->whole) {
		g->whole = g->start;
		g->ends = 0;
	} else if (all) {
		g->ends -= run_packets; /* exact: libmosquitto held nothing before */
	} else {
		g->ends = 2; /* some fed, some not: not one, at least */
	}
	return (size_t)n;
}

bool mqtt_guard_feed(struct mqtt_guard *g, struct mqtt_guard_intake *in)
{
	in->one_packet = false;
	in->fed = feed(g, in);
	return in->fed > 0;
}

void mqtt_guard_set_unread(struct mqtt_guard *g, bool unread)
{
	g->unread = unread;
}

bool mqtt_guard_lend(struct mqtt_guard *g, int fd)
{
	if (g->tcp < 0 || g->tcp_for != fd) {
		mqtt_guard_forget(g);
		g->tcp = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		g->tcp_for = fd;
		if (g->tcp < 0)
			return false;
	}
	g->lent = dup3(g->lib_end, fd, O_CLOEXEC) >= 0;
	return g->lent;
}

void mqtt_guard_give_back(struct mqtt_guard *g, int fd, bool closed, bool stopped)
{
	int saved_errno = errno;
	g->lent = false;
	if (!closed)
		(void)dup3(g->tcp, fd, O_CLOEXEC);
	else
		mqtt_guard_forget(g);
	if (stopped)
		drain(g);
	errno = saved_errno;
}

int mqtt_guard_socket(const struct mqtt_guard *g, int fd)
{
	return g->lent && g->tcp_for == fd ? g->tcp : fd;
}

bool mqtt_guard_take(struct mqtt_guard *g, int fd, struct mqtt_guard_intake *in)
{
	in->fed = 0;
	in->one_packet = false;
	in->ended = false;
	in->err = 0;
	in->why[0] = '\0';
	ssize_t got = take(g, fd);
	int take_errno = errno;
	if (got < 0 && take_errno == ENOMEM)
		return false;
	if (got > 0)
		g->len += (size_t)got;
	check(g, in->why, sizeof(in->why));
	/* The broker hung up, or the socket failed (what had arrived came
	 * first: it is there, for the caller to read before the end). */
	in->ended = got == 0 || (got < 0 && take_errno != EAGAIN && take_errno != EINTR);
	in->err = in->ended && got < 0 ? take_errno : 0;
	return true;
}

bool mqtt_guard_ack(struct mqtt_guard *g, uint16_t mid)
{
	uint8_t *at = outbuf_extend(&g->acks, MQTT_PUBACK_SIZE);
	if (!at)
		return false;
	mqtt_puback(mid, at);
	return true;
}

bool mqtt_guard_acks_waiting(const struct mqtt_guard *g)
{
	return outbuf_waiting(&g->acks) > 0;
}

bool mqtt_guard_acks_cut(const struct mqtt_guard *g)
{
	return outbuf_waiting(&g->acks) % MQTT_PUBACK_SIZE != 0;
}

bool mqtt_guard_write_acks(struct mqtt_guard *g, int fd)
{
	return outbuf_send(&g->acks, fd) >= 0;
}
