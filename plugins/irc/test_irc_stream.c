/* SPDX-License-Identifier: MIT */
/* The IRC transport: the resolver child (irc_resolve.c) and the stream
 * (irc_stream.c) against servers made here: a plain listening socket on
 * 127.0.0.1, and a forked TLS server with a CA and certificates the test
 * makes with OpenSSL. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <mqchat/plugin.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_net.h"
#include "check_run.h"
#include "irc_line.h"
#include "irc_resolve.h"
#include "irc_stream.h"

/* A bound on every wait, so that a broken stream fails instead of hanging;
 * the waits themselves are for events. */
#define WAIT_MS 10000

/* ---- the resolver ---------------------------------------------------- */

static unsigned port_of(const struct irc_address *a)
{
	if (a->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->addr)->sin6_port);
}

/* Polls the child's pipe until it has answered: irc_resolve_read()'s 1 or -1. */
static int resolve_wait(struct irc_resolve *r, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
		int rc = irc_resolve_read(r, err, errlen);
		if (rc != 0)
			return rc;
	}
}

/* Nothing of the resolution is left: no child, no pipe. */
static void expect_all_gone(const struct irc_resolve *r, pid_t child, int fd)
{
	ck_assert_int_eq(r->pid, 0);
	ck_assert_int_eq(r->fd, -1);
	ck_assert_int_eq(waitpid(child, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}

/* Starts resolving `host` through a child; the child and its pipe. */
static void resolve_begin(struct irc_resolve *r, const char *host, pid_t *child, int *fd)
{
	char err[256] = "";
	irc_resolve_init(r);
	ck_assert_msg(irc_resolve_start(r, host, 6667, err, sizeof err) == 0, "%s", err);
	*child = r->pid;
	*fd = r->fd;
	ck_assert_int_gt(*child, 0);
	ck_assert_int_ge(*fd, 0);
}

START_TEST(an_address_literal_is_resolved_at_once)
{
	struct irc_resolve r;
	char err[256] = "";
	irc_resolve_init(&r);
	ck_assert_int_eq(irc_resolve_start(&r, "127.0.0.1", 6667, err, sizeof err), 1);
	ck_assert_int_eq(r.pid, 0);
	ck_assert_int_eq(r.fd, -1);
	ck_assert_uint_eq(r.n_addrs, 1);
	ck_assert_int_eq(r.addrs[0].addr.ss_family, AF_INET);
	ck_assert_uint_eq(port_of(&r.addrs[0]), 6667);

	ck_assert_int_eq(irc_resolve_start(&r, "::1", 6697, err, sizeof err), 1);
	ck_assert_uint_eq(r.n_addrs, 1);
	ck_assert_int_eq(r.addrs[0].addr.ss_family, AF_INET6);
	ck_assert_uint_eq(r.addrs[0].len, sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(port_of(&r.addrs[0]), 6697);
}
END_TEST

START_TEST(a_name_is_resolved_by_a_child_that_is_reaped)
{
	struct irc_resolve r;
	char err[256] = "";
	pid_t child;
	int fd;
	resolve_begin(&r, "localhost", &child, &fd);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);

	ck_assert_msg(resolve_wait(&r, err, sizeof err) == 1, "localhost: %s", err);
	ck_assert_uint_ge(r.n_addrs, 1);
	for (size_t i = 0; i < r.n_addrs; i++) {
		int family = r.addrs[i].addr.ss_family;
		ck_assert(family == AF_INET || family == AF_INET6);
		ck_assert_uint_eq(port_of(&r.addrs[i]), 6667);
	}
	expect_all_gone(&r, child, fd);
}
END_TEST

START_TEST(a_name_that_does_not_exist_fails_saying_so)
{
	struct irc_resolve r;
	char err[256] = "";
	pid_t child;
	int fd;
	/* .invalid never exists (RFC 6761). */
	resolve_begin(&r, "no-such-host.invalid", &child, &fd);
	ck_assert_int_eq(resolve_wait(&r, err, sizeof err), -1);
	/* "no such host" where a resolver answers; without one, its words. */
	ck_assert_msg(strstr(err, "'no-such-host.invalid'") &&
	                  (!strncmp(err, "no such host ", 13) || !strncmp(err, "cannot resolve ", 15)),
	              "%s", err);
	expect_all_gone(&r, child, fd);
}
END_TEST

START_TEST(cancel_leaves_no_child_and_no_pipe)
{
	struct irc_resolve r;
	char err[256] = "";
	pid_t child;
	int fd;
	resolve_begin(&r, "localhost", &child, &fd);
	irc_resolve_cancel(&r);
	expect_all_gone(&r, child, fd);
	irc_resolve_cancel(&r); /* twice is harmless */

	/* Starting again while one is under way cancels the first. */
	resolve_begin(&r, "localhost", &child, &fd);
	ck_assert_int_eq(irc_resolve_start(&r, "127.0.0.1", 6667, err, sizeof err), 1);
	expect_all_gone(&r, child, fd);
}
END_TEST

START_TEST(no_host_name_is_an_error)
{
	struct irc_resolve r;
	char err[256] = "";
	irc_resolve_init(&r);
	ck_assert_int_eq(irc_resolve_start(&r, "", 6667, err, sizeof err), -1);
	ck_assert_str_eq(err, "no host name given");
	ck_assert_int_eq(r.pid, 0);
}
END_TEST

/* ---- a plain server ---------------------------------------------------- */

static int listener = -1;
static struct sockaddr_in server_addr;

static void listen_setup(void)
{
	listener = loopback_listener(&server_addr);
}

static void listen_teardown(void)
{
	close(listener);
}

static struct irc_stream *connect_to_server(const struct irc_tls_options *tls)
{
	char err[256] = "";
	struct irc_stream *s = irc_stream_open((struct sockaddr *)&server_addr,
	                                       sizeof server_addr, tls, err, sizeof err);
	ck_assert_msg(s != NULL, "open: %s", err);
	return s;
}

/* One poll() for what the stream wants, then irc_stream_io(). */
static enum irc_stream_state step(struct irc_stream *s, char *err, size_t errlen)
{
	struct pollfd p = {.fd = irc_stream_fd(s), .events = (short)irc_stream_events(s)};
	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "the stream waited in vain");
	return irc_stream_io(s, (unsigned)p.revents, err, errlen);
}

/* Drives `s` until it is no longer connecting; its state then. */
static enum irc_stream_state settle(struct irc_stream *s, char *err, size_t errlen)
{
	enum irc_stream_state st;
	while ((st = step(s, err, errlen)) == IRC_STREAM_CONNECTING)
		;
	return st;
}

/* The next line `s` reads, copied (free it); NULL when it closed first. */
static char *next_line(struct irc_stream *s)
{
	char err[256];
	for (;;) {
		char *line = irc_stream_line(s);
		if (line)
			return strdup(line);
		if (step(s, err, sizeof err) == IRC_STREAM_CLOSED) {
			line = irc_stream_line(s);
			return line ? strdup(line) : NULL;
		}
	}
}

static void expect_line(struct irc_stream *s, const char *want)
{
	char *got = next_line(s);
	ck_assert_msg(got != NULL, "closed before \"%s\"", want);
	ck_assert_str_eq(got, want);
	free(got);
}

static void send_all(int fd, const void *data, size_t len)
{
	ck_assert_int_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads from `fd` until `len` bytes came; they must be `want`. */
static void expect_bytes(int fd, const char *want, size_t len)
{
	char buf[512];
	ck_assert_uint_le(len, sizeof buf);
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(buf, want, len);
}

/* A plain stream READY, and the server's end of it. */
static struct irc_stream *plain_pair(int *server)
{
	struct irc_stream *s = connect_to_server(NULL);
	ck_assert_uint_eq(irc_stream_events(s) & MQC_IO_OUT, MQC_IO_OUT);
	char err[256] = "";
	ck_assert_msg(settle(s, err, sizeof err) == IRC_STREAM_READY, "%s", err);
	*server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(*server, 0);
	return s;
}

START_TEST(lines_flow_both_ways)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	ck_assert_uint_eq(irc_stream_events(s), MQC_IO_IN);

	static const char nick[] = "NICK ana\r\nUSER ana 0 * :mqchat\r\n";
	ck_assert(irc_stream_write(s, nick, sizeof nick - 1));
	ck_assert_uint_eq(irc_stream_pending(s), sizeof nick - 1);
	ck_assert_uint_eq(irc_stream_events(s) & MQC_IO_OUT, MQC_IO_OUT);
	char err[256];
	ck_assert_int_eq(step(s, err, sizeof err), IRC_STREAM_READY);
	ck_assert_uint_eq(irc_stream_pending(s), 0);
	expect_bytes(server, nick, sizeof nick - 1);

	static const char from_server[] = ":irc 001 ana :Welcome\r\nPING :x\n\r\n";
	send_all(server, from_server, sizeof from_server - 1);
	expect_line(s, ":irc 001 ana :Welcome");
	expect_line(s, "PING :x");
	expect_line(s, "");
	ck_assert_ptr_null(irc_stream_line(s));
	ck_assert_uint_eq(irc_stream_dropped(s), 0);
	irc_stream_close(s);
	close(server);
}
END_TEST

START_TEST(a_line_in_pieces_is_whole_once_its_end_came)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	send_all(server, "PRIVMSG #t :he", 14);
	char err[256];
	ck_assert_int_eq(step(s, err, sizeof err), IRC_STREAM_READY);
	ck_assert_ptr_null(irc_stream_line(s));
	send_all(server, "llo\r", 4);
	ck_assert_int_eq(step(s, err, sizeof err), IRC_STREAM_READY);
	ck_assert_ptr_null(irc_stream_line(s));
	send_all(server, "\n", 1);
	expect_line(s, "PRIVMSG #t :hello");
	irc_stream_close(s);
	close(server);
}
END_TEST

START_TEST(a_nul_ends_a_line_there)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	static const char smuggled[] = "PRIVMSG #t :a\0QUIT\r\nPING :y\r\n";
	send_all(server, smuggled, sizeof smuggled - 1);
	expect_line(s, "PRIVMSG #t :a");
	expect_line(s, "PING :y");
	irc_stream_close(s);
	close(server);
}
END_TEST

/* `n` bytes of 'x'. */
static char *filler(size_t n)
{
	char *buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', n);
	return buf;
}

START_TEST(an_overlong_line_is_skipped_whole_and_counted)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	char *x = filler(3 * IRC_RECV_MAX);
	/* The longest line kept: IRC_RECV_MAX bytes with its CR LF. */
	send_all(server, x, IRC_RECV_MAX - 2);
	send_all(server, "\r\n", 2);
	char *got = next_line(s);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(strlen(got), IRC_RECV_MAX - 2);
	free(got);
	/* One byte more, arriving at once; then one far longer, in pieces. */
	send_all(server, x, IRC_RECV_MAX - 1);
	send_all(server, "\r\nPING :a\r\n", 11);
	expect_line(s, "PING :a");
	ck_assert_uint_eq(irc_stream_dropped(s), 1);
	char err[256];
	for (int i = 0; i < 3; i++) {
		send_all(server, x, IRC_RECV_MAX);
		ck_assert_int_eq(step(s, err, sizeof err), IRC_STREAM_READY);
		ck_assert_ptr_null(irc_stream_line(s));
	}
	send_all(server, "tail\r\nPING :b\r\n", 15);
	expect_line(s, "PING :b");
	ck_assert_uint_eq(irc_stream_dropped(s), 2);
	free(x);
	irc_stream_close(s);
	close(server);
}
END_TEST

START_TEST(the_server_closing_is_said_after_its_last_lines)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	send_all(server, "ERROR :Closing link\r\n", 21);
	close(server);
	char err[256] = "";
	while (step(s, err, sizeof err) != IRC_STREAM_CLOSED)
		;
	ck_assert_str_eq(err, "closed by the server");
	ck_assert_str_eq(irc_stream_line(s), "ERROR :Closing link");
	ck_assert_uint_eq(irc_stream_events(s), 0);
	/* Asked again, it says the same. */
	err[0] = '\0';
	ck_assert_int_eq(irc_stream_io(s, MQC_IO_IN, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_str_eq(err, "closed by the server");
	irc_stream_close(s);
}
END_TEST

/* Much more than the socket takes at once: the stream keeps it and asks
 * for OUT until the server has read every byte, in order. */
START_TEST(a_large_output_is_written_as_the_socket_takes_it)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	enum { LINES = 40000 };
	char line[32];
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof line, "PRIVMSG #t :%d\r\n", i);
		ck_assert(irc_stream_write(s, line, (size_t)n));
	}
	size_t total = irc_stream_pending(s);
	char *seen = malloc(total);
	ck_assert_ptr_nonnull(seen);
	size_t got = 0;
	char err[256];
	while (got < total) {
		struct pollfd p[2] = {
			{.fd = irc_stream_fd(s), .events = (short)irc_stream_events(s)},
			{.fd = server, .events = POLLIN},
		};
		ck_assert_int_gt(poll(p, 2, WAIT_MS), 0);
		if (p[0].revents)
			ck_assert_int_eq(irc_stream_io(s, (unsigned)p[0].revents, err, sizeof err),
			                 IRC_STREAM_READY);
		if (p[1].revents) {
			ssize_t n = recv(server, seen + got, total - got, 0);
			ck_assert_int_gt(n, 0);
			got += (size_t)n;
		}
	}
	ck_assert_uint_eq(irc_stream_pending(s), 0);
	ck_assert_uint_eq(irc_stream_events(s), MQC_IO_IN);
	size_t at = 0;
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof line, "PRIVMSG #t :%d\r\n", i);
		ck_assert_mem_eq(seen + at, line, (size_t)n);
		at += (size_t)n;
	}
	free(seen);
	irc_stream_close(s);
	close(server);
}
END_TEST

/* Writing to a server that reset the connection is an error in words, not
 * SIGPIPE (which would end this test's process). */
START_TEST(writing_to_a_vanished_server_is_an_error_not_a_signal)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	struct linger reset = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(setsockopt(server, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
	close(server);
	char *x = filler(256 * 1024);
	ck_assert(irc_stream_write(s, x, 256 * 1024));
	free(x);
	char err[256] = "";
	ck_assert_int_eq(irc_stream_io(s, MQC_IO_OUT, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_msg(!strcmp(err, "connection reset by peer") || !strcmp(err, "broken pipe"),
	              "%s", err);
	irc_stream_close(s);
}
END_TEST

/* The server closed (we are in CLOSE_WAIT) and then reset the connection
 * our first write hit: the next write is EPIPE, the case MSG_NOSIGNAL is
 * for.  flush() only writes, so nothing read first hides it. */
START_TEST(writing_after_the_server_closed_is_broken_pipe_not_a_signal)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	close(server);
	ck_assert(irc_stream_write(s, "PING :1\r\n", 9));
	irc_stream_flush(s);
	ck_assert_uint_eq(irc_stream_pending(s), 0);
	struct pollfd p = {.fd = irc_stream_fd(s), .events = 0};
	ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1); /* the reset: ERR, HUP */
	ck_assert(irc_stream_write(s, "PING :2\r\n", 9));
	irc_stream_flush(s);
	char err[256] = "";
	ck_assert_int_eq(irc_stream_io(s, MQC_IO_OUT, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_str_eq(err, "broken pipe");
	irc_stream_close(s);
}
END_TEST

/* A server sending without pause: one irc_stream_io() reads a bounded
 * amount (a partial line and 80 KiB), the rest comes with the next ones. */
START_TEST(one_io_call_reads_a_bounded_amount)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	int big = 4 << 20;
	setsockopt(irc_stream_fd(s), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(server, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	ck_assert_int_eq(fcntl(server, F_SETFL, O_NONBLOCK), 0);
	char line[101];
	memset(line, 'x', 99);
	line[99] = '\n';
	size_t sent = 0;
	while (sent < (1u << 20) && send(server, line, 100, MSG_NOSIGNAL) == 100)
		sent += 100;
	ck_assert_uint_gt(sent, 256 * 1024);
	struct pollfd p = {.fd = irc_stream_fd(s), .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
	char err[256];
	ck_assert_int_eq(irc_stream_io(s, MQC_IO_IN, err, sizeof err), IRC_STREAM_READY);
	size_t lines = 0;
	while (irc_stream_line(s))
		lines++;
	ck_assert_uint_gt(lines, 0);
	ck_assert_uint_le(lines * 100, IRC_RECV_MAX + 80 * 1024);
	while (lines < sent / 100) {
		char *got = next_line(s);
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(strlen(got), 99);
		free(got);
		lines++;
	}
	ck_assert_uint_eq(irc_stream_dropped(s), 0);
	irc_stream_close(s);
	close(server);
}
END_TEST

START_TEST(flush_hands_a_goodbye_to_the_kernel)
{
	int server;
	struct irc_stream *s = plain_pair(&server);
	ck_assert(irc_stream_write(s, "QUIT :mqchat\r\n", 14));
	irc_stream_flush(s);
	ck_assert_uint_eq(irc_stream_pending(s), 0);
	irc_stream_close(s);
	expect_bytes(server, "QUIT :mqchat\r\n", 14);
	char c;
	ck_assert_int_eq(recv(server, &c, 1, 0), 0);
	close(server);
}
END_TEST

START_TEST(a_closed_port_is_connection_refused)
{
	/* The listener's port, once nobody listens there. */
	close(listener);
	listener = -1;
	struct irc_stream *s = connect_to_server(NULL);
	char err[256] = "";
	ck_assert_int_eq(settle(s, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_str_eq(err, "connection refused");
	irc_stream_close(s);
}
END_TEST

/* ---- TLS ----------------------------------------------------------------- */

static char tmpdir[64];
static EVP_PKEY *ca_key, *server_key, *client_key, *other_ca_key;
static X509 *ca_cert, *server_cert, *client_cert, *other_ca_cert;
static char ca_path[96], other_ca_path[96], client_cert_path[96], client_key_path[96];

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for `key` named `cn`, signed by `issuer` (NULL: itself,
 * a CA); `san` its subjectAltName, NULL for a CA. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
	static long serial = 1;
	X509 *cert = X509_new();
	ck_assert_ptr_nonnull(cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(issuer ? issuer : cert));
	if (san) {
		add_ext(cert, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(cert, issuer, NID_subject_alt_name, san);
	} else {
		add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	ck_assert_int_gt(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()), 0);
	return cert;
}

static void write_pem(char *path, size_t size, const char *name, X509 *cert, EVP_PKEY *key)
{
	snprintf(path, size, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	if (cert)
		ck_assert_int_eq(PEM_write_X509(f, cert), 1);
	if (key)
		ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void tls_setup(void)
{
	listen_setup();
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_irc_stream.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ca_key = EVP_EC_gen("P-256");
	other_ca_key = EVP_EC_gen("P-256");
	server_key = EVP_EC_gen("P-256");
	client_key = EVP_EC_gen("P-256");
	ck_assert(ca_key && other_ca_key && server_key && client_key);
	ca_cert = make_cert(ca_key, "test CA", NULL, NULL, NULL);
	other_ca_cert = make_cert(other_ca_key, "other CA", NULL, NULL, NULL);
	server_cert = make_cert(server_key, "irc server", ca_cert, ca_key,
	                        "DNS:localhost,IP:127.0.0.1");
	client_cert = make_cert(client_key, "ana", ca_cert, ca_key, "DNS:ana");
	write_pem(ca_path, sizeof ca_path, "ca.pem", ca_cert, NULL);
	write_pem(other_ca_path, sizeof other_ca_path, "other-ca.pem", other_ca_cert, NULL);
	write_pem(client_cert_path, sizeof client_cert_path, "client.pem", client_cert, NULL);
	write_pem(client_key_path, sizeof client_key_path, "client.key", NULL, client_key);
}

static void tls_teardown(void)
{
	unlink(ca_path);
	unlink(other_ca_path);
	unlink(client_cert_path);
	unlink(client_key_path);
	rmdir(tmpdir);
	X509_free(ca_cert);
	X509_free(other_ca_cert);
	X509_free(server_cert);
	X509_free(client_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_ca_key);
	EVP_PKEY_free(server_key);
	EVP_PKEY_free(client_key);
	listen_teardown();
}

/* Reads one line from `ssl` into `buf` without its CR LF; false at EOF. */
static bool tls_server_read_line(SSL *ssl, char *buf, size_t size)
{
	size_t len = 0;
	char c;
	while (len + 1 < size && SSL_read(ssl, &c, 1) == 1) {
		if (c == '\n') {
			buf[len && buf[len - 1] == '\r' ? len - 1 : len] = '\0';
			return true;
		}
		buf[len++] = c;
	}
	return false;
}

enum serve { SERVE_ECHO, SERVE_CLIENT_CERT, SERVE_FLOOD };
enum { FLOOD_LINES = 100000 };

/* "line N" FLOOD_LINES times, in full 16 KiB records (lines cut across
 * them), the largest OpenSSL hands over at once. */
static void tls_flood(SSL *ssl)
{
	static char buf[16384 + 32];
	size_t len = 0;
	for (int i = 0; i < FLOOD_LINES; i++) {
		len += (size_t)snprintf(buf + len, sizeof buf - len, "line %d\r\n", i);
		if (len >= 16384) {
			SSL_write(ssl, buf, 16384);
			memmove(buf, buf + 16384, len - 16384);
			len -= 16384;
		}
	}
	SSL_write(ssl, buf, (int)len);
}

/* In the server child: one client; says "hello <SNI or -> <cert|nocert>",
 * then answers its first line with "got <line>" (SERVE_FLOOD: sends
 * "line N" FLOOD_LINES times instead), and waits for its end. */
static _Noreturn void tls_serve(enum serve how)
{
	alarm(30); /* never outlive a test that failed */
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate(ctx, server_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, server_key) != 1)
		_exit(2);
	if (how == SERVE_CLIENT_CERT) {
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca_cert);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	int fd = accept(listener, NULL, NULL);
	SSL *ssl = SSL_new(ctx);
	if (fd < 0 || !ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		_exit(1);
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	X509 *peer = SSL_get1_peer_certificate(ssl);
	char buf[600];
	int n = snprintf(buf, sizeof buf, "hello %s %s\r\n", sni ? sni : "-",
	                 peer ? "cert" : "nocert");
	SSL_write(ssl, buf, n);
	if (how == SERVE_FLOOD)
		tls_flood(ssl);
	char line[512];
	if (how != SERVE_FLOOD && tls_server_read_line(ssl, line, sizeof line)) {
		n = snprintf(buf, sizeof buf, "got %s\r\n", line);
		SSL_write(ssl, buf, n);
	}
	while (SSL_read(ssl, buf, sizeof buf) > 0)
		;
	_exit(0);
}

static pid_t tls_server_start(enum serve how)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		tls_serve(how);
	return pid;
}

static void tls_server_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

static struct irc_tls_options tls_to(const char *name, const char *cafile)
{
	return (struct irc_tls_options){.server_name = name, .cafile = cafile};
}

/* Connects with `o`; expects READY and the lines to flow, SNI `sni`. */
static void expect_tls_ready(const struct irc_tls_options *o, const char *hello)
{
	pid_t server = tls_server_start(o->certfile ? SERVE_CLIENT_CERT : SERVE_ECHO);
	struct irc_stream *s = connect_to_server(o);
	char err[256] = "";
	ck_assert_msg(settle(s, err, sizeof err) == IRC_STREAM_READY, "%s", err);
	expect_line(s, hello);
	ck_assert(irc_stream_write(s, "PING :tls\r\n", 11));
	expect_line(s, "got PING :tls");
	irc_stream_close(s);
	tls_server_stop(server);
}

/* Connects with `o`; expects CLOSED with `why` at the start of the reason. */
static void expect_tls_refused(const struct irc_tls_options *o, const char *why)
{
	pid_t server = tls_server_start(SERVE_ECHO);
	struct irc_stream *s = connect_to_server(o);
	char err[256] = "";
	ck_assert_int_eq(settle(s, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_msg(!strncmp(err, why, strlen(why)), "\"%s\" is not \"%s...\"", err, why);
	irc_stream_close(s);
	tls_server_stop(server);
}

START_TEST(tls_with_the_right_ca_is_ready_and_lines_flow)
{
	struct irc_tls_options o = tls_to("127.0.0.1", ca_path);
	expect_tls_ready(&o, "hello - nocert"); /* no SNI for an address */
	o = tls_to("localhost", ca_path);
	expect_tls_ready(&o, "hello localhost nocert");
}
END_TEST

/* Many records in a row: each poll() and irc_stream_io() takes what it
 * can, and nothing stays inside OpenSSL where no poll() would see it. */
START_TEST(tls_delivers_a_flood_whole)
{
	pid_t server = tls_server_start(SERVE_FLOOD);
	struct irc_tls_options o = tls_to("localhost", ca_path);
	struct irc_stream *s = connect_to_server(&o);
	char err[256] = "";
	ck_assert_msg(settle(s, err, sizeof err) == IRC_STREAM_READY, "%s", err);
	expect_line(s, "hello localhost nocert");
	char want[32];
	for (int i = 0; i < FLOOD_LINES; i++) {
		snprintf(want, sizeof want, "line %d", i);
		expect_line(s, want);
	}
	irc_stream_close(s);
	tls_server_stop(server);
}
END_TEST

START_TEST(tls_with_the_wrong_ca_is_refused_saying_why)
{
	struct irc_tls_options o = tls_to("127.0.0.1", other_ca_path);
	expect_tls_refused(&o, "certificate verify failed: unable to get local issuer certificate");
}
END_TEST

START_TEST(tls_insecure_takes_any_certificate)
{
	struct irc_tls_options o = tls_to("irc.example.org", other_ca_path);
	o.insecure = true;
	expect_tls_ready(&o, "hello irc.example.org nocert");
}
END_TEST

START_TEST(tls_with_another_name_is_refused)
{
	struct irc_tls_options o = tls_to("irc.example.org", ca_path);
	expect_tls_refused(&o, "certificate verify failed: hostname mismatch");
	o = tls_to("127.0.0.2", ca_path);
	expect_tls_refused(&o, "certificate verify failed: IP address mismatch");
}
END_TEST

START_TEST(tls_shows_the_client_certificate)
{
	struct irc_tls_options o = tls_to("localhost", ca_path);
	o.certfile = client_cert_path;
	o.keyfile = client_key_path;
	expect_tls_ready(&o, "hello localhost cert");
}
END_TEST

START_TEST(tls_files_that_cannot_be_loaded_fail_at_open)
{
	char err[256] = "";
	struct irc_tls_options o = tls_to("localhost", "/nonexistent/ca.pem");
	ck_assert_ptr_null(irc_stream_open((struct sockaddr *)&server_addr, sizeof server_addr,
	                                   &o, err, sizeof err));
	ck_assert_str_eq(err, "cannot load the CA certificates '/nonexistent/ca.pem': "
	                      "no such file or directory");
	o = tls_to("localhost", ca_path);
	o.certfile = client_cert_path;
	o.keyfile = other_ca_path; /* no key in it */
	ck_assert_ptr_null(irc_stream_open((struct sockaddr *)&server_addr, sizeof server_addr,
	                                   &o, err, sizeof err));
	ck_assert_msg(strstr(err, "cannot load the client key") != NULL, "%s", err);
}
END_TEST

START_TEST(tls_to_a_plain_server_fails_in_words)
{
	struct irc_stream *s = connect_to_server(&(struct irc_tls_options){.cafile = ca_path});
	int server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(server, 0);
	send_all(server, "NOTICE * :hello, plain text here\r\n", 34);
	char err[256] = "";
	ck_assert_int_eq(settle(s, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_msg(!strncmp(err, "TLS handshake failed: ", 22), "%s", err);
	irc_stream_close(s);
	close(server);
}
END_TEST

START_TEST(tls_to_a_server_that_hangs_up_says_when)
{
	struct irc_stream *s = connect_to_server(&(struct irc_tls_options){.cafile = ca_path});
	int server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(server, 0);
	close(server);
	char err[256] = "";
	ck_assert_int_eq(settle(s, err, sizeof err), IRC_STREAM_CLOSED);
	ck_assert_str_eq(err, "closed by the server during the TLS handshake");
	irc_stream_close(s);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("irc_stream");
	TCase *resolve = tcase_create("resolve");
	tcase_add_test(resolve, an_address_literal_is_resolved_at_once);
	tcase_add_test(resolve, a_name_is_resolved_by_a_child_that_is_reaped);
	tcase_add_test(resolve, a_name_that_does_not_exist_fails_saying_so);
	tcase_add_test(resolve, cancel_leaves_no_child_and_no_pipe);
	tcase_add_test(resolve, no_host_name_is_an_error);
	suite_add_tcase(suite, resolve);

	TCase *plain = tcase_create("plain");
	tcase_add_checked_fixture(plain, listen_setup, listen_teardown);
	tcase_add_test(plain, lines_flow_both_ways);
	tcase_add_test(plain, a_line_in_pieces_is_whole_once_its_end_came);
	tcase_add_test(plain, a_nul_ends_a_line_there);
	tcase_add_test(plain, an_overlong_line_is_skipped_whole_and_counted);
	tcase_add_test(plain, the_server_closing_is_said_after_its_last_lines);
	tcase_add_test(plain, a_large_output_is_written_as_the_socket_takes_it);
	tcase_add_test(plain, writing_to_a_vanished_server_is_an_error_not_a_signal);
	tcase_add_test(plain, writing_after_the_server_closed_is_broken_pipe_not_a_signal);
	tcase_add_test(plain, one_io_call_reads_a_bounded_amount);
	tcase_add_test(plain, flush_hands_a_goodbye_to_the_kernel);
	tcase_add_test(plain, a_closed_port_is_connection_refused);
	suite_add_tcase(suite, plain);

	TCase *tls = tcase_create("tls");
	tcase_add_checked_fixture(tls, tls_setup, tls_teardown);
	tcase_add_test(tls, tls_with_the_right_ca_is_ready_and_lines_flow);
	tcase_add_test(tls, tls_delivers_a_flood_whole);
	tcase_add_test(tls, tls_with_the_wrong_ca_is_refused_saying_why);
	tcase_add_test(tls, tls_insecure_takes_any_certificate);
	tcase_add_test(tls, tls_with_another_name_is_refused);
	tcase_add_test(tls, tls_shows_the_client_certificate);
	tcase_add_test(tls, tls_files_that_cannot_be_loaded_fail_at_open);
	tcase_add_test(tls, tls_to_a_plain_server_fails_in_words);
	tcase_add_test(tls, tls_to_a_server_that_hangs_up_says_when);
	suite_add_tcase(suite, tls);
	return check_run(suite);
}
