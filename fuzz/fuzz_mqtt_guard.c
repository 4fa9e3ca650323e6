/* SPDX-License-Identifier: MIT */
/*
 * What the broker sends, through the guard (plugins/mqtt/mqtt_guard.c):
 * a byte stream arriving in pieces of random sizes, the plain messages
 * claimed, the rest fed to libmosquitto's end, which reads all or part of
 * it, and claiming goes on after each read.  The input's first byte picks
 * MQTT 5 (odd) or 3.1.1 and seeds the pieces' sizes; the rest is the
 * stream.  Checked: what comes out, claimed
 * and fed in order, is the stream's start, each byte once; every claimed
 * packet is a plain PUBLISH read back the same.  A malformed packet, once
 * reported, ends the run as it ends the connection.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "mqtt_guard.h"

struct run {
	struct mqtt_guard g;
	int broker, conn;
	const uint8_t *in;
	size_t in_len, sent, out;
	uint32_t seed;
	bool bad;
};

static uint32_t next_random(struct run *r)
{
	r->seed = r->seed * 1103515245u + 12345u;
	return r->seed >> 16;
}

/* Bytes that came out must be the next ones of the stream. */
static void came_out(struct run *r, const uint8_t *bytes, size_t len)
{
	fuzz_require(r->out + len <= r->sent, "only what was sent comes out");
	fuzz_require(!memcmp(r->in + r->out, bytes, len), "the stream's bytes, in order, once");
	r->out += len;
}

/* libmosquitto reads all or (at random) part of what waits in its end. */
static void lib_reads(struct run *r)
{
	static uint8_t buf[1 << 16];
	size_t want = next_random(r) % 4 ? sizeof buf : 1 + next_random(r) % 64;
	ssize_t n = read(r->g.lib_end, buf, want);
	if (n > 0)
		came_out(r, buf, (size_t)n);
	n = recv(r->g.lib_end, buf, 1, MSG_PEEK | MSG_DONTWAIT);
	mqtt_guard_set_unread(&r->g, n > 0);
}

static void claims(struct run *r)
{
	struct mqtt_publish p;
	while (mqtt_guard_claim(&r->g, &p)) {
		const uint8_t *packet = p.payload + p.payload_len - p.size;
		struct mqtt_publish again;
		fuzz_require(mqtt_publish_plain(packet, p.size, r->g.v5, &again) &&
		                     again.size == p.size && again.mid == p.mid,
		             "a claimed packet is a plain PUBLISH");
		came_out(r, packet, p.size);
	}
}

static void one_round(struct run *r)
{
	size_t piece = 1 + next_random(r) % 300;
	if (piece > r->in_len - r->sent)
		piece = r->in_len - r->sent;
	if (piece && write(r->broker, r->in + r->sent, piece) == (ssize_t)piece)
		r->sent += piece;
	struct mqtt_guard_intake in;
	fuzz_require(mqtt_guard_take(&r->g, r->conn, &in), "take");
	/* As mqtt_link.c does: claimed, fed, claimed again after each read. */
	claims(r);
	while (mqtt_guard_feed(&r->g, &in)) {
		lib_reads(r);
		claims(r);
	}
	lib_reads(r);
	r->bad = r->bad || in.why[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct run r = {.in = data + 1, .in_len = size - 1, .seed = data[0]};
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0)
		return 0;
	r.broker = pair[0];
	r.conn = pair[1];
	fuzz_require(mqtt_guard_init(&r.g, true, data[0] & 1), "init");
	for (int round = 0; round < 1000 && !r.bad && (r.sent < r.in_len || round < 2); round++)
		one_round(&r);
	mqtt_guard_free(&r.g);
	close(r.broker);
	close(r.conn);
	return 0;
}
