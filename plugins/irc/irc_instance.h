/* SPDX-License-Identifier: MIT */
/*
 * The irc backend: one connection to an IRC server, its channels as rooms.
 * Written for the core's poll loop: the name resolved in a child
 * (irc_resolve.c), a non-blocking stream with TLS (irc_stream.c), lines
 * taken apart by irc_line.c.  This header is the plugin's own: the state
 * of one instance and the functions its files share.
 *
 *   irc.c          the plugin interface: open, close, publish, join, part
 *   irc_config.c   the keys and their checks
 *   irc_link.c     connecting, keepalive, reconnecting
 *   irc_register.c registering: PASS, CAP, SASL, NICK/USER until 001
 *   irc_recv.c     what the server says, turned into the core's events
 *   irc_members.c  channels joined and who is in them
 *   irc_send.c     messages out: split, paced, acknowledged by PING
 *   irc_wire.c     writing lines and ending the connection, for them all
 *
 * Calls go down, never up: irc_link.c calls irc_recv.c, irc_register.c
 * and irc_send.c, irc_recv.c the other two, and they tell irc_link.c the
 * connection must end (irc_fail) or registration is done (welcomed) by
 * state it reads once each line or timer is handled.
 */
#ifndef MQCHAT_IRC_INSTANCE_H
#define MQCHAT_IRC_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mqchat/plugin.h>

#include "irc_line.h"
#include "irc_resolve.h"
#include "irc_stream.h"
#include "irc_text.h"

/* RFC 2812 allows 9; servers say more in ISUPPORT NICKLEN. */
#define IRC_NICK_MAX 64

struct irc_config {
	char *host;
	unsigned port;
	bool tls;
	struct irc_tls_options tls_options; /* server_name is `host` */
	char *nick;          /* the wanted nick: the key's, else [core] nick */
	bool nick_from_core; /* no key: the nick follows [core] nick and /nick */
	char *username;
	char *realname;
	char *password;      /* PASS, or SASL's with `sasl` */
	bool sasl;
	uint32_t keepalive_ms;
	uint32_t connect_timeout_ms;
	uint32_t reconnect_max_ms;
	bool retry;          /* a first connection that fails is retried */
};

bool irc_config_load(struct irc_config *cfg, struct mqc_instance *inst,
                     const struct mqc_host *host, bool checking);
void irc_config_free(struct irc_config *cfg);
/* An IRC nick made of [core] nick, which may be anything ("Ana María"):
 * each byte IRC does not take becomes '_'.  Allocated. */
char *irc_nick_from(const char *core);
extern const struct mqc_key irc_config_keys[];

/* ---- channels and who is in them (irc_members.c) ---------------------- */

struct irc_channel {
	char *name;        /* as the core knows it */
	bool joined;       /* the server confirmed our JOIN */
	bool names_fresh;  /* a NAMES reply (353) is being received */
	char **nicks;      /* who the server says is there */
	size_t n_nicks, cap_nicks;
};

struct irc_members {
	struct irc_channel *channels;
	size_t n, cap;
	enum irc_casemap casemap;
};

struct irc_channel *irc_members_find(struct irc_members *m, const char *name);
struct irc_channel *irc_members_add(struct irc_members *m, const char *name);
void irc_members_remove(struct irc_members *m, const char *name);
/* Adds or removes `nick` in `ch`; false when it was already so. */
bool irc_channel_set(struct irc_channel *ch, const char *nick, bool here, enum irc_casemap map);
bool irc_channel_has(const struct irc_channel *ch, const char *nick, enum irc_casemap map);
void irc_channel_clear(struct irc_channel *ch);
void irc_members_free(struct irc_members *m);

/* ---- messages out (irc_send.c) ------------------------------------------ */

/* One line waiting or written and not yet acknowledged. */
struct irc_out_line {
	char *data;        /* with CR LF */
	size_t len;
	uint64_t token;    /* on a message's last line; 0 on the others */
	uint32_t message;  /* which message it belongs to: its lines share it */
	uint32_t ping;     /* a PING's number, 0 for other lines */
	char *target;      /* where it goes: for 401/404; NULL for a PING */
	bool rejected;     /* the server refused it (401, 404) */
};

/* Lines in order; taken from the front. */
struct irc_queue {
	struct irc_out_line *lines;
	size_t head, n, cap;
};

struct irc_out {
	struct irc_queue waiting; /* not written yet */
	struct irc_queue written; /* written, the server's PONG not yet seen */
	size_t written_bytes;     /* of `written` */
	size_t unpinged_bytes;    /* written since the last PING */
	size_t unpinged_lines;
	uint32_t next_message, next_ping;
	uint32_t rejected_message; /* the last message a line of which was refused */
};

/* ---- one instance ------------------------------------------------------- */

enum irc_phase {
	IRC_IDLE,        /* waiting to (re)connect */
	IRC_RESOLVING,   /* the child looks the name up */
	IRC_CONNECTING,  /* TCP, then TLS */
	IRC_REGISTERING, /* CAP, SASL, NICK/USER until 001 */
	IRC_UP,          /* registered: channels joined, messages flow */
	IRC_CLOSING,
};

struct irc {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct irc_config cfg;
	enum irc_phase phase;

	struct irc_resolve resolve;
	size_t next_address;       /* of resolve.addrs, tried in turn */
	struct irc_stream *stream;
	struct mqc_watch *watch;
	int watch_fd;
	mqc_io_fn on_io;           /* the watch's callback (irc_link.c's) */
	char failure[300];         /* irc_fail()'s reason; "" while all is well */
	bool welcomed;             /* 001 came: registration is done */
	struct mqc_watch *resolve_watch;

	struct mqc_timer *retry_timer, *connect_timer, *keepalive_timer, *nick_timer;
	struct mqc_timer *pump_timer; /* at the round's end: what publish queued */
	uint32_t backoff_ms;
	bool ever_up;              /* registered once: failures are retried */
	uint64_t last_heard_ms;     /* monotonic: when the server last spoke */
	bool keepalive_sent;

	/* registration */
	char nick[IRC_NICK_MAX + 1]; /* ours on the server now */
	unsigned nick_tries;
	char *core_nick;           /* [core] nick as last seen, for /nick */
	char *away;                /* /away's text, said again at each registration; NULL: here */
	bool cap_listing;          /* CAP LS lines still coming */
	char *caps_offered;        /* space separated, as the server listed */
	size_t userhost_len;       /* "user@host" of ours as the server relays it; 0: unknown */

	/* ISUPPORT */
	size_t nicklen;
	char chantypes[16];
	char prefix_symbols[16];   /* "@+" and what PREFIX says */

	struct irc_members members;
	struct irc_out out;
	uint64_t last_version_reply_ms;
};

/* irc_link.c */
void irc_link_start(struct irc *self);
void irc_link_lost(struct irc *self, const char *why);
void irc_link_registered(struct irc *self);
/* AWAY with /away's text, or back. */
void irc_link_say_away(struct irc *self);
void irc_link_free(struct irc *self);
void irc_link_on_io(void *data, int fd, unsigned revents);
void irc_on_retry_timer(void *data);
void irc_on_connect_timer(void *data);
void irc_on_keepalive_timer(void *data);
void irc_on_nick_timer(void *data);
/* The user typed /nick: with no nick key, this network follows (checked
 * at each message sent and each keepalive tick). */
void irc_link_follow_nick(struct irc *self);
/* At the end of a round in which publish() queued lines. */
void irc_on_pump_timer(void *data);

/* irc_wire.c: what every part may do to the connection */
/* Writes one protocol line now (printf-like, CR LF added), past the queue:
 * PONG, JOIN, NICK, CAP.  Text in it must be clean already. */
void irc_write(struct irc *self, const char *fmt, ...) MQC_PRINTF(2, 3);
/* Polls the stream's descriptor for what it waits for now. */
void irc_sync_watch(struct irc *self);
/* The connection must end, `why` (the first reason kept): irc_link.c ends
 * it when the line or timer at hand is done. */
void irc_fail(struct irc *self, const char *why);

/* irc_recv.c */
void irc_recv_line(struct irc *self, char *line);

/* irc_register.c: CAP, SASL, PASS, NICK and USER until 001 */
bool irc_register_handle(struct irc *self, const struct irc_line *line);
void irc_register_begin(struct irc *self);

/* irc_send.c */
int irc_send_message(struct irc *self, const struct mqc_message *msg, uint64_t token);
void irc_send_pump(struct irc *self);
/* The server answered PING `cookie`: true when it was one of ours. */
bool irc_send_answered(struct irc *self, const char *cookie);
void irc_send_reject(struct irc *self, const char *target);
/* The link went down: what was written unacknowledged is written again
 * after the reconnection, before what waits. */
void irc_send_rewind(struct irc *self);
void irc_send_free(struct irc *self);

static inline bool irc_is_channel(const struct irc *self, const char *name)
{
	return name && *name && strchr(self->chantypes, *name) != NULL;
}

#endif
