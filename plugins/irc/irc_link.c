/* SPDX-License-Identifier: MIT */
/*
 * The connection's life: resolve, connect (each address in turn), hand
 * the stream to registration, notice a silent server, and reconnect with
 * a doubling wait after any loss.  A first connection that fails is fatal
 * for the network unless `retry` is on; once registered, the network is
 * always reconnected.
 */
#include "irc_instance.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

#define IRC_FIRST_BACKOFF_MS 1000
/* How often the nick we wanted is asked for again while another has it. */
#define IRC_NICK_RETRY_MS 30000

/* Everything of one attempt undone: watches, stream, child, timers. */
static void teardown(struct irc *self)
{
	const struct mqc_host *host = self->host;
	if (self->watch)
		host->watch_remove(self->watch);
	self->watch = NULL;
	self->watch_fd = -1;
	if (self->resolve_watch)
		host->watch_remove(self->resolve_watch);
	self->resolve_watch = NULL;
	irc_resolve_cancel(&self->resolve);
	if (self->stream)
		irc_stream_close(self->stream);
	self->stream = NULL;
	host->timer_arm(self->connect_timer, 0);
	host->timer_arm(self->keepalive_timer, 0);
	host->timer_arm(self->nick_timer, 0);
	free(self->caps_offered);
	self->caps_offered = NULL;
	self->failure[0] = '\0';
	self->welcomed = false;
	self->cap_listing = false;
}

/* Every channel is left as far as people can see: the server forgot us. */
static void forget_channels(struct irc *self)
{
	for (size_t i = 0; i < self->members.n; i++) {
		struct irc_channel *ch = &self->members.channels[i];
		if (ch->joined)
			self->host->presence(self->inst, ch->name, NULL, false);
		ch->joined = false;
		ch->names_fresh = false;
		irc_channel_clear(ch);
	}
}

void irc_link_lost(struct irc *self, const char *why)
{
	if (self->phase == IRC_CLOSING)
		return;
	bool was_up = self->phase == IRC_UP;
	teardown(self);
	forget_channels(self);
	irc_send_rewind(self);
	self->phase = IRC_IDLE;
	char detail[512];
	if (!self->ever_up && !self->cfg.retry) {
		snprintf(detail, sizeof(detail), "cannot connect to %s:%u: %s", self->cfg.host,
		         self->cfg.port, why);
		self->host->link_state(self->inst, MQC_LINK_FAILED, detail);
		self->host->log(self->inst, MQC_LOG_INFO,
		                "set retry = on in [%s] to keep trying instead",
		                self->host->name(self->inst));
		return;
	}
	snprintf(detail, sizeof(detail), "%s %s:%u: %s; trying again in %u s",
	         was_up ? "lost" : "cannot connect to", self->cfg.host, self->cfg.port, why,
	         (unsigned)(self->backoff_ms / 1000));
	self->host->link_state(self->inst, MQC_LINK_DOWN, detail);
	self->host->timer_arm(self->retry_timer, self->backoff_ms);
	self->backoff_ms = self->backoff_ms * 2 < self->cfg.reconnect_max_ms
	                       ? self->backoff_ms * 2
	                       : self->cfg.reconnect_max_ms;
}

/* Opens a stream to the next address; when none is left, the attempt
 * failed with `why`. */
static void connect_next(struct irc *self, const char *why)
{
	char err[256];
	while (self->next_address < self->resolve.n_addrs) {
		const struct irc_address *a = &self->resolve.addrs[self->next_address++];
		self->stream = irc_stream_open((const struct sockaddr *)&a->addr, a->len,
		                               self->cfg.tls ? &self->cfg.tls_options : NULL, err,
		                               sizeof(err));
		if (self->stream) {
			self->phase = IRC_CONNECTING;
			irc_sync_watch(self);
			return;
		}
		why = err;
	}
	irc_link_lost(self, why);
}

static void on_resolve_io(void *data, int fd, unsigned revents)
{
	(void)fd;
	(void)revents;
	struct irc *self = data;
	char err[256];
	int rc = irc_resolve_read(&self->resolve, err, sizeof(err));
	if (rc == 0)
		return;
	self->host->watch_remove(self->resolve_watch);
	self->resolve_watch = NULL;
	self->next_address = 0;
	if (rc < 0)
		irc_link_lost(self, err);
	else
		connect_next(self, "no address");
}

void irc_link_start(struct irc *self)
{
	char err[256];
	self->phase = IRC_RESOLVING;
	self->host->timer_arm(self->connect_timer, self->cfg.connect_timeout_ms);
	int rc = irc_resolve_start(&self->resolve, self->cfg.host, self->cfg.port, err,
	                           sizeof(err));
	self->next_address = 0;
	if (rc < 0) {
		irc_link_lost(self, err);
	} else if (rc > 0) {
		connect_next(self, "no address");
	} else {
		self->resolve_watch = self->host->watch_add(self->inst, self->resolve.fd, MQC_IO_IN,
		                                            0, on_resolve_io, self);
		if (!self->resolve_watch)
			irc_link_lost(self, "cannot watch the resolver");
	}
}

/* What the parts below asked for while handling a line or a timer: the
 * connection ended (irc_fail), registration done (001).  True when the
 * connection ended. */
static bool settle(struct irc *self)
{
	if (self->failure[0]) {
		char why[sizeof(self->failure)];
		snprintf(why, sizeof(why), "%s", self->failure);
		irc_link_lost(self, why);
		return true;
	}
	if (self->welcomed && self->phase == IRC_REGISTERING) {
		self->welcomed = false;
		irc_link_registered(self);
		return settle(self);
	}
	return false;
}

/* Lines the server sent, one at a time: any of them may end the
 * connection.  False when one did. */
static bool read_lines(struct irc *self)
{
	char *line;
	while ((line = irc_stream_line(self->stream))) {
		self->last_heard_ms = monotonic_ms();
		self->keepalive_sent = false;
		irc_recv_line(self, line);
		if (settle(self))
			return false;
	}
	return true;
}

void irc_link_on_io(void *data, int fd, unsigned revents)
{
	(void)fd;
	struct irc *self = data;
	char err[256] = "";
	enum irc_stream_state state = irc_stream_io(self->stream, revents, err, sizeof(err));
	if (state == IRC_STREAM_READY && self->phase == IRC_CONNECTING) {
		self->phase = IRC_REGISTERING;
		self->last_heard_ms = monotonic_ms();
		irc_register_begin(self);
		if (settle(self))
			return;
	}
	if (!read_lines(self))
		return;
	if (state == IRC_STREAM_CLOSED) {
		if (self->phase == IRC_CONNECTING && self->next_address < self->resolve.n_addrs) {
			irc_stream_close(self->stream);
			self->stream = NULL;
			connect_next(self, err);
			return;
		}
		irc_link_lost(self, err);
		return;
	}
	irc_sync_watch(self);
}

void irc_link_say_away(struct irc *self)
{
	if (self->away && *self->away)
		irc_write(self, "AWAY :%s", self->away);
	else
		irc_write(self, "AWAY");
}

void irc_link_registered(struct irc *self)
{
	self->phase = IRC_UP;
	self->ever_up = true;
	self->backoff_ms = IRC_FIRST_BACKOFF_MS;
	self->host->timer_arm(self->connect_timer, 0);
	self->host->timer_arm(self->keepalive_timer,
	                      self->cfg.keepalive_ms / 4 ? self->cfg.keepalive_ms / 4 : 1000);
	/* Written before anything queued, so the server has us in each channel
	 * when our messages to it arrive. */
	for (size_t i = 0; i < self->members.n; i++)
		irc_write(self, "JOIN %s", self->members.channels[i].name);
	if (self->away)
		irc_link_say_away(self);
	if (!irc_name_eq(self->nick, self->cfg.nick, self->members.casemap))
		self->host->timer_arm(self->nick_timer, IRC_NICK_RETRY_MS);
	char detail[300];
	snprintf(detail, sizeof(detail), "connected to %s:%u as %s", self->cfg.host,
	         self->cfg.port, self->nick);
	self->host->link_state(self->inst, MQC_LINK_UP, detail);
	irc_send_pump(self);
}

/* At the end of a round in which publish() queued lines: written at once. */
void irc_on_pump_timer(void *data)
{
	struct irc *self = data;
	irc_send_pump(self);
	settle(self);
}

void irc_on_retry_timer(void *data)
{
	irc_link_start(data);
}

void irc_on_connect_timer(void *data)
{
	struct irc *self = data;
	char why[64];
	snprintf(why, sizeof(why), "no answer within %u s",
	         (unsigned)(self->cfg.connect_timeout_ms / 1000));
	irc_link_lost(self, why);
}

/* A PING after `keepalive` of silence; as long again without a word from
 * the server, and it is gone. */
void irc_on_keepalive_timer(void *data)
{
	struct irc *self = data;
	uint64_t silent = monotonic_ms() - self->last_heard_ms;
	if (self->keepalive_sent && silent >= 2 * (uint64_t)self->cfg.keepalive_ms) {
		char why[64];
		snprintf(why, sizeof(why), "no answer for %u s",
		         (unsigned)(silent / 1000));
		irc_link_lost(self, why);
	} else if (!self->keepalive_sent && silent >= (uint64_t)self->cfg.keepalive_ms) {
		irc_write(self, "PING :keepalive");
		self->keepalive_sent = true;
	}
	irc_link_follow_nick(self);
}

void irc_link_follow_nick(struct irc *self)
{
	const char *now = self->host->nick(self->inst);
	if (!self->cfg.nick_from_core || !now || !strcmp(now, self->core_nick))
		return;
	char *copy = strdup(now);
	char *nick = irc_nick_from(now);
	if (!copy || !nick) {
		free(copy);
		free(nick);
		return;
	}
	free(self->core_nick);
	self->core_nick = copy;
	free(self->cfg.nick);
	self->cfg.nick = nick;
	irc_write(self, "NICK %s", nick);
}

void irc_on_nick_timer(void *data)
{
	struct irc *self = data;
	if (self->phase == IRC_UP && !irc_name_eq(self->nick, self->cfg.nick, self->members.casemap))
		irc_write(self, "NICK %s", self->cfg.nick);
	else
		self->host->timer_arm(self->nick_timer, 0);
}

void irc_link_free(struct irc *self)
{
	teardown(self);
}
