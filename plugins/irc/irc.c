/* SPDX-License-Identifier: MIT */
/*
 * The irc backend plugin: its keys, open, close, publish, join and part.
 * The connection lives in irc_link.c and irc_register.c, what the server
 * says in irc_recv.c, what we say in irc_send.c.
 */
#include "irc_instance.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before ISUPPORT says otherwise (RFC 2812). */
#define IRC_DEFAULT_CHANTYPES "#&"
/* Mode prefixes stripped from NAMES before PREFIX says which the server
 * uses: the common ones, so a server that never says is still read. */
#define IRC_DEFAULT_PREFIXES "~&@%+"

static void irc_free(struct irc *self)
{
	const struct mqc_host *host = self->host;
	irc_link_free(self);
	struct mqc_timer *timers[] = {self->retry_timer, self->connect_timer,
	                              self->keepalive_timer, self->nick_timer, self->pump_timer};
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		if (timers[i])
			host->timer_remove(timers[i]);
	irc_send_free(self);
	irc_members_free(&self->members);
	irc_config_free(&self->cfg);
	free(self->core_nick);
	free(self->away);
	free(self);
}

/* The timers, disarmed but for the first attempt's, due from the loop
 * once every instance is open. */
static bool add_timers(struct irc *self)
{
	const struct mqc_host *host = self->host;
	self->retry_timer = host->timer_add(self->inst, 1, false, irc_on_retry_timer, self);
	self->connect_timer = host->timer_add(self->inst, 1000, false, irc_on_connect_timer, self);
	self->keepalive_timer = host->timer_add(self->inst, 1000, true, irc_on_keepalive_timer, self);
	self->nick_timer = host->timer_add(self->inst, 1000, true, irc_on_nick_timer, self);
	self->pump_timer = host->timer_add(self->inst, 1000, false, irc_on_pump_timer, self);
	if (!self->retry_timer || !self->connect_timer || !self->keepalive_timer ||
	    !self->nick_timer || !self->pump_timer)
		return false;
	host->timer_arm(self->connect_timer, 0);
	host->timer_arm(self->keepalive_timer, 0);
	host->timer_arm(self->nick_timer, 0);
	host->timer_arm(self->pump_timer, 0);
	return true;
}

static void *irc_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	/* A server that vanishes mid-write must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	struct irc *self = calloc(1, sizeof(*self));
	if (!self) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	self->inst = inst;
	self->host = host;
	self->watch_fd = -1;
	self->on_io = irc_link_on_io;
	self->phase = IRC_IDLE;
	self->backoff_ms = 1000;
	irc_resolve_init(&self->resolve);
	snprintf(self->chantypes, sizeof(self->chantypes), "%s", IRC_DEFAULT_CHANTYPES);
	snprintf(self->prefix_symbols, sizeof(self->prefix_symbols), "%s", IRC_DEFAULT_PREFIXES);
	if (!irc_config_load(&self->cfg, inst, host, false)) {
		irc_config_free(&self->cfg);
		free(self);
		return NULL;
	}
	const char *core_nick = host->nick(inst);
	self->core_nick = strdup(core_nick ? core_nick : "");
	if (!self->core_nick || !add_timers(self)) {
		host->log(inst, MQC_LOG_ERROR, "cannot add timers");
		irc_free(self);
		return NULL;
	}
	if (self->cfg.tls && self->cfg.tls_options.insecure)
		host->log(inst, MQC_LOG_WARNING,
		          "tls_insecure = on: the server's certificate is not verified; anyone "
		          "between here and %s can read and change what is said",
		          self->cfg.host);
	return self;
}

/* QUIT, so the channel reads a goodbye rather than a lost connection. */
static void irc_close(void *data)
{
	struct irc *self = data;
	if (self->stream && (self->phase == IRC_UP || self->phase == IRC_REGISTERING)) {
		irc_write(self, "QUIT :mqchat");
		irc_stream_flush(self->stream);
	}
	self->phase = IRC_CLOSING;
	irc_free(self);
}

static int irc_publish(void *data, const struct mqc_message *msg, uint64_t token)
{
	struct irc *self = data;
	if (self->phase != IRC_UP)
		return -1;
	irc_link_follow_nick(self);
	return irc_send_message(self, msg, token);
}

static int irc_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct irc_config cfg;
	bool ok = irc_config_load(&cfg, inst, host, true);
	irc_config_free(&cfg);
	return ok ? 0 : -1;
}

static int irc_join(void *data, const char *room)
{
	struct irc *self = data;
	if (!irc_channel_valid(room, self->chantypes)) {
		self->host->log(self->inst, MQC_LOG_ERROR,
		                "'%s' is no IRC channel: it starts with one of %s, has no space, "
		                "comma or control character, at most 50 bytes",
		                room, self->chantypes);
		return -1;
	}
	if (irc_members_find(&self->members, room))
		return 0;
	if (!irc_members_add(&self->members, room)) {
		self->host->log(self->inst, MQC_LOG_ERROR, "out of memory");
		return -1;
	}
	if (self->phase == IRC_UP)
		irc_write(self, "JOIN %s", room);
	return 0;
}

static void irc_part(void *data, const char *room)
{
	struct irc *self = data;
	struct irc_channel *ch = irc_members_find(&self->members, room);
	if (!ch)
		return;
	if (ch->joined && self->phase == IRC_UP)
		irc_write(self, "PART %s", ch->name);
	self->host->presence(self->inst, ch->name, NULL, false);
	irc_members_remove(&self->members, room);
}

/* /away TEXT or /away: AWAY now if registered, else at registration. */
static void irc_set_away(void *data, const char *text)
{
	struct irc *self = data;
	free(self->away);
	self->away = text ? strdup(text) : NULL;
	if (self->phase == IRC_UP)
		irc_link_say_away(self);
}

MQC_PLUGIN_DEFINE(
	.name = "irc",
	.version = MQC_VERSION,
	.description = "IRC backend (RFC 1459/2812 with IRCv3 capabilities, TLS, SASL)",
	.kind = MQC_PLUGIN_BACKEND,
	.keys = irc_config_keys,
	.open = irc_open,
	.close = irc_close,
	.publish = irc_publish,
	.check = irc_check,
	.flags = MQC_PLUGIN_PRIVATE | MQC_PLUGIN_PRESENCE,
	.join = irc_join,
	.part = irc_part,
	.set_away = irc_set_away);
