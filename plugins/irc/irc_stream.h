/* SPDX-License-Identifier: MIT */
/*
 * One connection to an IRC server, plain TCP or TLS (OpenSSL), never
 * blocking: a non-blocking connect, the TLS handshake with verification,
 * then lines in and bytes out.  The caller polls irc_stream_fd() for
 * irc_stream_events() and calls irc_stream_io() with what happened.
 */
#ifndef MQCHAT_IRC_STREAM_H
#define MQCHAT_IRC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct irc_stream;

struct irc_tls_options {
	const char *server_name; /* checked against the certificate, sent as
	                            SNI (not for an address literal) */
	const char *cafile;      /* NULL or "": the system's CAs (with capath) */
	const char *capath;
	const char *certfile;    /* client certificate (CertFP); NULL: none */
	const char *keyfile;
	bool insecure;           /* skip verification (the caller warns) */
};

enum irc_stream_state {
	IRC_STREAM_CONNECTING = 0, /* TCP connect or TLS handshake under way */
	IRC_STREAM_READY = 1,      /* lines flow */
	IRC_STREAM_CLOSED = 2,     /* the server closed it, or an error: see err */
};

/* Starts connecting to `addr`; `tls` NULL for plain TCP.  NULL with `err`
 * filled when even that fails (no socket, a bad certificate file). */
struct irc_stream *irc_stream_open(const struct sockaddr *addr, socklen_t len,
                                   const struct irc_tls_options *tls, char *err,
                                   size_t errlen);

int irc_stream_fd(const struct irc_stream *s);

/* What to poll for now: MQC_IO_IN, plus MQC_IO_OUT while connecting or
 * while written bytes wait (also when TLS needs it the other way). */
unsigned irc_stream_events(const struct irc_stream *s);

/* After poll() said `revents` (enum mqc_io bits): goes on connecting,
 * reads what came, writes what waits.  The state after; for CLOSED, `err`
 * says why in words for a person ("connection refused", "certificate
 * verify failed: unable to get local issuer certificate", "closed by the
 * server").  Lines read are then taken with irc_stream_line(). */
enum irc_stream_state irc_stream_io(struct irc_stream *s, unsigned revents, char *err,
                                    size_t errlen);

/* The next complete line read, without its CR LF (LF alone ends one too),
 * NUL-terminated, valid until the next call; NULL when none is complete.
 * A line longer than IRC_RECV_MAX is skipped and counted in
 * irc_stream_dropped(); a NUL byte inside a line ends it there. */
char *irc_stream_line(struct irc_stream *s);
size_t irc_stream_dropped(const struct irc_stream *s);

/* Queues `len` bytes (whole lines with CR LF) to write; written from
 * irc_stream_io() when the socket takes them.  False: out of memory. */
bool irc_stream_write(struct irc_stream *s, const char *data, size_t len);

/* Bytes queued and not yet handed to the kernel. */
size_t irc_stream_pending(const struct irc_stream *s);

/* Writes what it can of what waits without blocking, for a goodbye
 * (QUIT) at close. */
void irc_stream_flush(struct irc_stream *s);

/* Closes the socket (TLS close_notify attempted) and frees. */
void irc_stream_close(struct irc_stream *s);

#endif
