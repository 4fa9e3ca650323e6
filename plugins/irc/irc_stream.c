/* SPDX-License-Identifier: MIT */
/*
 * The connection: a non-blocking socket, OpenSSL on it when TLS is on, an
 * input buffer cut into lines and an output buffer that grows.  Every call
 * returns at once; what the socket or TLS waits for is said by
 * irc_stream_events().
 */
#include "irc_stream.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <mqchat/plugin.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irc_line.h"
#include "outbuf.h"

/* The input buffer: a partial line and 80 KiB, which bounds what one
 * irc_stream_io() reads, so that a chatty server cannot keep the loop
 * from everything else. */
#define STREAM_IN_CAP (IRC_RECV_MAX + 80 * 1024)
/* Reading stops when less than this is free: an SSL_read() into that much
 * takes a whole record, so OpenSSL never keeps decrypted bytes that no
 * poll() would report. */
#define STREAM_READ_MIN SSL3_RT_MAX_PLAIN_LENGTH

struct irc_stream {
	int fd;
	enum irc_stream_state state;
	bool tcp_up;           /* connect() has finished */
	SSL_CTX *ctx;          /* both NULL for plain TCP */
	SSL *ssl;
	bool verify;           /* the peer's certificate is checked */
	bool tls_wants_write;  /* the last TLS call waits for OUT */
	bool write_wants_read; /* SSL_write waits for IN: polling OUT would spin */
	char why[256];         /* CLOSED: the reason */

	char *in;              /* STREAM_IN_CAP bytes */
	size_t in_start;       /* taken by irc_stream_line() up to here */
	size_t in_len;
	bool in_skipping;      /* inside an overlong line: dropped up to its LF */
	size_t dropped;

	struct outbuf out;     /* written, not yet handed to the kernel */
};

/* strerror()'s words inside a sentence: "Connection refused" → "connection
 * refused" (an acronym such as "TLS" keeps its capitals). */
static void stream_lower_first(char *s)
{
	if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
}

/* Marks `s` closed, `why` the reason; -1, for the callers to return. */
static int stream_close_with(struct irc_stream *s, const char *why)
{
	s->state = IRC_STREAM_CLOSED;
	snprintf(s->why, sizeof s->why, "%s", why);
	stream_lower_first(s->why);
	return -1;
}

static int stream_close_errno(struct irc_stream *s, int err)
{
	return stream_close_with(s, strerror(err));
}

/* The server ended the connection; during the handshake, a server that
 * may not speak TLS at all. */
static int stream_closed_by_server(struct irc_stream *s)
{
	return stream_close_with(s, s->tcp_up && s->state == IRC_STREAM_CONNECTING
	                                ? "closed by the server during the TLS handshake"
	                                : "closed by the server");
}

/* The oldest error OpenSSL queued, in words (a system error as strerror()
 * says it, with the decoder's own detail when it gave one); the queue is
 * emptied. */
static void stream_openssl_reason(char *out, size_t size)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	const char *reason = ERR_GET_LIB(e) == ERR_LIB_SYS ? strerror(ERR_GET_REASON(e))
	                                                   : ERR_reason_error_string(e);
	if (!e || !reason)
		reason = "unknown OpenSSL error";
	if (ERR_GET_LIB(e) != ERR_LIB_SYS && (flags & ERR_TXT_STRING) && data && *data)
		snprintf(out, size, "%s (%s)", reason, data);
	else
		snprintf(out, size, "%s", reason);
	stream_lower_first(out);
	ERR_clear_error();
}

/* A TLS call failed with SSL_get_error() `code` (`ret` its return). */
static int stream_tls_failed(struct irc_stream *s, int ret, int code)
{
	char reason[160];
	long verdict = SSL_get_verify_result(s->ssl);
	if (s->state == IRC_STREAM_CONNECTING && s->verify && verdict != X509_V_OK) {
		snprintf(reason, sizeof reason, "certificate verify failed: %s",
		         X509_verify_cert_error_string(verdict));
		ERR_clear_error();
		return stream_close_with(s, reason);
	}
	if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		ERR_clear_error();
		if (ret < 0 && errno)
			return stream_close_errno(s, errno);
		return stream_closed_by_server(s);
	}
	char full[200];
	stream_openssl_reason(reason, sizeof reason);
	snprintf(full, sizeof full, "TLS %s: %s",
	         s->state == IRC_STREAM_CONNECTING ? "handshake failed" : "error", reason);
	return stream_close_with(s, full);
}

/* What a TLS call's return `ret` means: itself when positive, 0 when it
 * waits for the socket (which way is noted), -1 when the stream closed. */
static ssize_t stream_tls_outcome(struct irc_stream *s, int ret, bool writing)
{
	if (ret > 0)
		return ret;
	int code = SSL_get_error(s->ssl, ret);
	if (code == SSL_ERROR_WANT_WRITE) {
		s->tls_wants_write = true;
		return 0;
	}
	if (code == SSL_ERROR_WANT_READ) {
		if (writing)
			s->write_wants_read = true;
		return 0;
	}
	if (code == SSL_ERROR_ZERO_RETURN)
		return stream_closed_by_server(s);
	return stream_tls_failed(s, ret, code);
}

/* Reads into `buf`: bytes read, 0 when nothing is there now, -1 closed. */
static ssize_t stream_recv(struct irc_stream *s, char *buf, size_t len)
{
	if (!s->ssl) {
		for (;;) {
			ssize_t n = recv(s->fd, buf, len, 0);
			if (n > 0)
				return n;
			if (n == 0)
				return stream_closed_by_server(s);
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EINTR)
				return stream_close_errno(s, errno);
		}
	}
	ERR_clear_error();
	return stream_tls_outcome(s, SSL_read(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len),
	                          false);
}

/* Writes from `buf`: bytes written, 0 when the socket takes none now, -1
 * closed.  MSG_NOSIGNAL: a closed peer is an error here, not SIGPIPE. */
static ssize_t stream_send(struct irc_stream *s, const void *buf, size_t len)
{
	if (!s->ssl) {
		for (;;) {
			ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);
			if (n >= 0)
				return n;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EINTR)
				return stream_close_errno(s, errno);
		}
	}
	ERR_clear_error();
	return stream_tls_outcome(s, SSL_write(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len),
	                          true);
}

/* New bytes arrived at in[old_len..in_len): the rest of a line being
 * skipped goes, and an unfinished line grown past IRC_RECV_MAX starts
 * being skipped. */
static void stream_take_in(struct irc_stream *s, size_t old_len)
{
	if (s->in_skipping) {
		char *lf = memchr(s->in + old_len, '\n', s->in_len - old_len);
		if (!lf) {
			s->in_len = old_len;
			return;
		}
		size_t after = (size_t)(lf + 1 - s->in);
		memmove(s->in + old_len, s->in + after, s->in_len - after);
		s->in_len -= after - old_len;
		s->in_skipping = false;
	}
	char *last = memrchr(s->in + s->in_start, '\n', s->in_len - s->in_start);
	size_t tail = last ? (size_t)(last + 1 - s->in) : s->in_start;
	if (s->in_len - tail >= IRC_RECV_MAX) {
		s->in_len = tail;
		s->in_skipping = true;
		s->dropped++;
	}
}

/* Reads what came, as much as the buffer takes; -1 when the stream
 * closed.  The lines of the last call are expected taken. */
static int stream_read(struct irc_stream *s)
{
	if (s->in_start) {
		memmove(s->in, s->in + s->in_start, s->in_len - s->in_start);
		s->in_len -= s->in_start;
		s->in_start = 0;
	}
	while (STREAM_IN_CAP - s->in_len >= STREAM_READ_MIN) {
		size_t old_len = s->in_len;
		ssize_t n = stream_recv(s, s->in + s->in_len, STREAM_IN_CAP - s->in_len);
		if (n <= 0)
			return (int)n;
		s->in_len += (size_t)n;
		stream_take_in(s, old_len);
	}
	return 0;
}

/* Writes what waits, as far as the socket takes it; -1 when closed. */
static int stream_write_out(struct irc_stream *s)
{
	while (outbuf_waiting(&s->out)) {
		ssize_t n = stream_send(s, outbuf_head(&s->out), outbuf_waiting(&s->out));
		if (n <= 0)
			return (int)n;
		outbuf_consume(&s->out, (size_t)n);
	}
	return 0;
}

/* The TLS handshake, one step. */
static void stream_handshake(struct irc_stream *s)
{
	ERR_clear_error();
	if (stream_tls_outcome(s, SSL_connect(s->ssl), false) > 0)
		s->state = IRC_STREAM_READY;
}

/* The TCP connect finishing (OUT, or ERR/HUP when it failed), then TLS. */
static void stream_connecting(struct irc_stream *s, unsigned revents)
{
	if (!s->tcp_up) {
		if (!(revents & (MQC_IO_OUT | MQC_IO_ERR | MQC_IO_HUP)))
			return;
		int e = 0;
		socklen_t elen = sizeof e;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (e) {
			stream_close_errno(s, e);
			return;
		}
		if (!(revents & MQC_IO_OUT)) {
			stream_close_with(s, "connection failed");
			return;
		}
		s->tcp_up = true;
		if (!s->ssl) {
			s->state = IRC_STREAM_READY;
			return;
		}
	}
	stream_handshake(s);
}

enum irc_stream_state irc_stream_io(struct irc_stream *s, unsigned revents, char *err,
                                    size_t errlen)
{
	s->tls_wants_write = false;
	s->write_wants_read = false;
	if (s->state == IRC_STREAM_CONNECTING)
		stream_connecting(s, revents);
	/* Reading first: what the server said before it closed (ERROR) is kept
	 * even when writing then fails. */
	if (s->state == IRC_STREAM_READY && stream_read(s) == 0)
		stream_write_out(s);
	if (s->state == IRC_STREAM_CLOSED)
		snprintf(err, errlen, "%s", s->why);
	return s->state;
}

unsigned irc_stream_events(const struct irc_stream *s)
{
	if (s->state == IRC_STREAM_CLOSED)
		return 0;
	unsigned events = MQC_IO_IN;
	if (s->state == IRC_STREAM_CONNECTING && !s->tcp_up)
		events |= MQC_IO_OUT;
	if (s->tls_wants_write)
		events |= MQC_IO_OUT;
	if (s->state == IRC_STREAM_READY && outbuf_waiting(&s->out) && !s->write_wants_read)
		events |= MQC_IO_OUT;
	return events;
}

int irc_stream_fd(const struct irc_stream *s)
{
	return s->fd;
}

char *irc_stream_line(struct irc_stream *s)
{
	while (s->in_start < s->in_len) {
		char *line = s->in + s->in_start;
		char *lf = memchr(line, '\n', s->in_len - s->in_start);
		if (!lf)
			return NULL;
		size_t len = (size_t)(lf + 1 - line);
		s->in_start += len;
		if (len > IRC_RECV_MAX) {
			s->dropped++;
			continue;
		}
		*lf = '\0';
		if (lf > line && lf[-1] == '\r')
			lf[-1] = '\0';
		return line;
	}
	return NULL;
}

size_t irc_stream_dropped(const struct irc_stream *s)
{
	return s->dropped;
}

bool irc_stream_write(struct irc_stream *s, const char *data, size_t len)
{
	return outbuf_append(&s->out, data, len) == 0;
}

size_t irc_stream_pending(const struct irc_stream *s)
{
	return outbuf_waiting(&s->out);
}

void irc_stream_flush(struct irc_stream *s)
{
	if (s->state == IRC_STREAM_READY)
		stream_write_out(s);
}

/* Never let OpenSSL ask on the terminal for a key's passphrase: that
 * would block the loop.  Encrypted keys are not supported. */
static int stream_no_key_password(char *buf, int size, int rwflag, void *data)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)data;
	return 0;
}

/* `what` of `file` could not be loaded: false, `err` says why. */
static bool stream_load_failed(const char *what, const char *file, char *err, size_t errlen)
{
	char reason[160];
	stream_openssl_reason(reason, sizeof reason);
	snprintf(err, errlen, "cannot load the %s '%s': %s", what, file, reason);
	return false;
}

/* What to trust and what to show: the CAs and the client certificate. */
static bool stream_tls_files(SSL_CTX *ctx, const struct irc_tls_options *o, char *err,
                             size_t errlen)
{
	const char *cafile = o->cafile && *o->cafile ? o->cafile : NULL;
	const char *capath = o->capath && *o->capath ? o->capath : NULL;
	if (cafile || capath) {
		if (!SSL_CTX_load_verify_locations(ctx, cafile, capath))
			return stream_load_failed("CA certificates", cafile ? cafile : capath, err,
			                          errlen);
	} else if (!SSL_CTX_set_default_verify_paths(ctx)) {
		return stream_load_failed("system's CA certificates", "default", err, errlen);
	}
	if (!o->certfile || !*o->certfile)
		return true;
	const char *keyfile = o->keyfile && *o->keyfile ? o->keyfile : o->certfile;
	SSL_CTX_set_default_passwd_cb(ctx, stream_no_key_password);
	if (SSL_CTX_use_certificate_chain_file(ctx, o->certfile) != 1)
		return stream_load_failed("client certificate", o->certfile, err, errlen);
	if (SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return stream_load_failed("client key", keyfile, err, errlen);
	return true;
}

static SSL_CTX *stream_tls_context(const struct irc_tls_options *o, char *err,
                                   size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		stream_load_failed("TLS library", "OpenSSL", err, errlen);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* Servers often close without close_notify: that is an end, not an
	 * attack on a line protocol whose lines end in LF. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (!stream_tls_files(ctx, o, err, errlen)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The name the certificate must carry: an address literal is checked as
 * an IP address and sent as no SNI (RFC 6066 forbids it). */
static bool stream_tls_name(SSL *ssl, const char *name)
{
	if (!name || !*name)
		return true;
	unsigned char addr[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return SSL_set1_host(ssl, name) == 1 && SSL_set_tlsext_host_name(ssl, name) == 1;
}

static bool stream_tls_setup(struct irc_stream *s, const struct irc_tls_options *o,
                             char *err, size_t errlen)
{
	/* OpenSSL writes to the socket with write(), which raises SIGPIPE when
	 * the server has gone; the process must live on and see EPIPE.  The
	 * core ignores it too; this does not rely on that. */
	signal(SIGPIPE, SIG_IGN);
	s->ctx = stream_tls_context(o, err, errlen);
	if (!s->ctx)
		return false;
	s->verify = !o->insecure;
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || !stream_tls_name(s->ssl, o->server_name))
		return stream_load_failed("server name", o->server_name ? o->server_name : "",
		                          err, errlen);
	SSL_set_connect_state(s->ssl);
	return true;
}

/* Starts the TCP connection; false with `err` when even that fails. */
static bool stream_connect(struct irc_stream *s, const struct sockaddr *addr,
                           socklen_t len, char *err, size_t errlen)
{
	s->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot open a socket: %s", strerror(errno));
		return false;
	}
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* Interrupted, it goes on all the same (POSIX), as EINPROGRESS. */
	if (connect(s->fd, addr, len) == 0 || errno == EINPROGRESS || errno == EINTR)
		return true;
	stream_close_errno(s, errno);
	snprintf(err, errlen, "%s", s->why);
	return false;
}

static void stream_free(struct irc_stream *s)
{
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	free(s->in);
	outbuf_free(&s->out);
	free(s);
}

struct irc_stream *irc_stream_open(const struct sockaddr *addr, socklen_t len,
                                   const struct irc_tls_options *tls, char *err,
                                   size_t errlen)
{
	struct irc_stream *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->in = malloc(STREAM_IN_CAP);
	if (!s->in) {
		snprintf(err, errlen, "out of memory");
		stream_free(s);
		return NULL;
	}
	if ((tls && !stream_tls_setup(s, tls, err, errlen)) ||
	    !stream_connect(s, addr, len, err, errlen)) {
		stream_free(s);
		return NULL;
	}
	if (s->ssl && SSL_set_fd(s->ssl, s->fd) != 1) {
		stream_load_failed("socket into", "OpenSSL", err, errlen);
		stream_free(s);
		return NULL;
	}
	return s;
}

void irc_stream_close(struct irc_stream *s)
{
	if (!s)
		return;
	if (s->ssl && s->state == IRC_STREAM_READY) {
		/* close_notify once, without waiting for the server's. */
		ERR_clear_error();
		SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
	stream_free(s);
}
