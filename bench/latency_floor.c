/* SPDX-License-Identifier: MIT */
/*
 * Round-trip latency, one message at a time: send, wait until it arrives,
 * record the time, send the next.  Prints one sample (microseconds) a line.
 *
 * Either end can be the plain libmosquitto client (the floor) or mqchat:
 *
 *   latency_floor HOST PORT TOPIC QOS ROUNDS WARMUP [--send-fifo PATH] [--recv-stdin]
 *
 *   default        publisher and subscriber are two libmosquitto clients in
 *                  this process, driven by one poll() loop (nothing between
 *                  them but the broker: the floor)
 *   --send-fifo P  the line is written into mqchat's FIFO instead of published
 *   --recv-stdin   arrival is a line on standard input (mqchat's output)
 *                  instead of the subscriber's callback
 *
 * Built by bench/run with cc and -lmosquitto.
 */
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct probe {
	struct mosquitto *pub;  /* NULL with --send-fifo */
	struct mosquitto *sub;  /* NULL with --recv-stdin */
	int fifo_fd;
	bool connected, subscribed;
	long expected;          /* sequence number of the message in flight */
	bool arrived;
	char inbuf[4096];
	size_t inlen;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "latency_floor: %s\n", what);
	exit(1);
}

/* The payload ends with " <seq>": any arrival naming the expected sequence
 * number (mqchat prefixes "nick: ") counts, anything else is ignored. */
static bool names_expected(const struct probe *p, const char *text, size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	size_t start = len;
	while (start && text[start - 1] != ' ')
		start--;
	char num[32];
	if (len - start == 0 || len - start >= sizeof num)
		return false;
	memcpy(num, text + start, len - start);
	num[len - start] = '\0';
	return strtol(num, NULL, 10) == p->expected;
}

static void on_connect(struct mosquitto *m, void *data, int rc)
{
	(void)m;
	if (rc != 0)
		die("connection refused");
	((struct probe *)data)->connected = true;
}

static void on_subscribe(struct mosquitto *m, void *data, int mid, int n, const int *granted)
{
	(void)m; (void)mid; (void)n; (void)granted;
	((struct probe *)data)->subscribed = true;
}

static void on_message(struct mosquitto *m, void *data, const struct mosquitto_message *msg)
{
	(void)m;
	struct probe *p = data;
	if (names_expected(p, msg->payload, (size_t)msg->payloadlen))
		p->arrived = true;
}

static struct mosquitto *client(struct probe *p, const char *host, int port)
{
	struct mosquitto *m = mosquitto_new(NULL, true, p);
	if (!m)
		die("mosquitto_new");
	mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	p->connected = false;
	if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS)
		die("cannot connect");
	return m;
}

/* Line-oriented arrivals from standard input (mqchat's stdout). */
static void read_stdin(struct probe *p)
{
	ssize_t n = read(STDIN_FILENO, p->inbuf + p->inlen, sizeof p->inbuf - p->inlen);
	if (n == 0)
		die("standard input closed");
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("reading standard input");
	}
	p->inlen += (size_t)n;
	char *nl;
	while ((nl = memchr(p->inbuf, '\n', p->inlen)) != NULL) {
		size_t len = (size_t)(nl - p->inbuf) + 1;
		if (names_expected(p, p->inbuf, len))
			p->arrived = true;
		memmove(p->inbuf, p->inbuf + len, p->inlen - len);
		p->inlen -= len;
	}
	if (p->inlen == sizeof p->inbuf)
		p->inlen = 0; /* an absurd line: drop it */
}

/* One pass of the loop: whatever is readable or writable is served. */
static void step(struct probe *p, int timeout_ms)
{
	struct pollfd fds[3];
	struct mosquitto *owners[3] = {NULL, NULL, NULL};
	nfds_t n = 0;
	struct mosquitto *clients[2] = {p->pub, p->sub};
	for (int i = 0; i < 2; i++) {
		if (!clients[i])
			continue;
		fds[n] = (struct pollfd){.fd = mosquitto_socket(clients[i]), .events = POLLIN};
		if (mosquitto_want_write(clients[i]))
			fds[n].events |= POLLOUT;
		owners[n++] = clients[i];
	}
	if (!p->sub)
		fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
		die("poll");
	for (nfds_t i = 0; i < n; i++) {
		if (!owners[i]) {
			if (fds[i].revents)
				read_stdin(p);
			continue;
		}
		if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			if (mosquitto_loop_read(owners[i], 1) != MOSQ_ERR_SUCCESS)
				die("connection lost");
		if (fds[i].revents & POLLOUT)
			mosquitto_loop_write(owners[i], 1);
	}
}

static void wait_for(struct probe *p, bool *flag, const char *what)
{
	double deadline = now_us() + 10e6;
	while (!*flag) {
		if (now_us() > deadline) {
			fprintf(stderr, "latency_floor: timed out waiting for %s\n", what);
			exit(1);
		}
		step(p, 100);
	}
}

static void send_one(struct probe *p, const char *topic, int qos, long seq)
{
	char text[64];
	int len = snprintf(text, sizeof text, "ping %ld\n", seq);
	p->expected = seq;
	p->arrived = false;
	if (p->fifo_fd >= 0) {
		if (write(p->fifo_fd, text, (size_t)len) != len)
			die("writing the FIFO");
	} else if (mosquitto_publish(p->pub, NULL, topic, len - 1, text, qos, false) !=
	           MOSQ_ERR_SUCCESS) {
		die("publish");
	}
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: %s HOST PORT TOPIC QOS ROUNDS WARMUP "
		                "[--send-fifo PATH] [--recv-stdin]\n", argv[0]);
		return 2;
	}
	const char *host = argv[1], *topic = argv[3];
	int port = atoi(argv[2]), qos = atoi(argv[4]);
	long rounds = atol(argv[5]), warmup = atol(argv[6]);
	const char *fifo = NULL;
	bool recv_stdin = false;
	for (int i = 7; i < argc; i++) {
		if (strcmp(argv[i], "--send-fifo") == 0 && i + 1 < argc)
			fifo = argv[++i];
		else if (strcmp(argv[i], "--recv-stdin") == 0)
			recv_stdin = true;
		else
			die("unknown option");
	}

	mosquitto_lib_init();
	struct probe p = {.fifo_fd = -1};
	if (!recv_stdin) {
		p.sub = client(&p, host, port);
		wait_for(&p, &p.connected, "CONNACK");
		mosquitto_subscribe(p.sub, NULL, topic, qos);
		wait_for(&p, &p.subscribed, "SUBACK");
	} else {
		(void)fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	}
	if (fifo) {
		p.fifo_fd = open(fifo, O_WRONLY);
		if (p.fifo_fd < 0)
			die("cannot open the FIFO");
	} else {
		p.pub = client(&p, host, port);
		wait_for(&p, &p.connected, "CONNACK");
	}

	double *samples = calloc((size_t)rounds, sizeof *samples);
	if (!samples)
		die("out of memory");
	for (long i = 0; i < warmup + rounds; i++) {
		double start = now_us();
		send_one(&p, topic, qos, i);
		wait_for(&p, &p.arrived, "a round trip");
		if (i >= warmup)
			samples[i - warmup] = now_us() - start;
	}
	for (long i = 0; i < rounds; i++)
		printf("%.1f\n", samples[i]);
	free(samples);
	return 0;
}
