/* SPDX-License-Identifier: MIT */
/*
 * The mqtt backend plugin: its keys, open, close and publish.  The
 * connection itself lives in mqtt_link.c, rooms in mqtt_join.c,
 * acknowledgements in mqtt_acks.c.
 */
#include "mqtt.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mqtt_protocol.h>

#include "clock.h"
#include "random.h"
#include "mqtt_client_id.h"

/* How long close() may spend pushing out the DISCONNECT packet. */
#define MQTT_CLOSE_FLUSH_MS 200

/* ------------------------------------------------------------------------
 * The plugin interface
 * ------------------------------------------------------------------------ */

/* Creates the libmosquitto client with its options, TLS and the guard;
 * false after saying why. */
static bool mqtt_setup_client(struct mqtt *self)
{
	const struct mqc_host *host = self->host;
	struct mqtt_config *cfg = &self->cfg;
	self->mosq = mosquitto_new(self->client_id, cfg->session_clean, self);
	if (!self->mosq) {
		host->log(self->inst, MQC_LOG_ERROR, "cannot create an MQTT client: %s",
		          strerror(errno));
		return false;
	}
	mosquitto_int_option(self->mosq, MOSQ_OPT_PROTOCOL_VERSION, cfg->protocol);
	/* Nagle would hold a small chat message back until the broker
	 * acknowledges the one before, which its delayed ACK puts off
	 * (bench/README.md). */
	mosquitto_int_option(self->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	/* MQTT 5: what the broker may send before our acknowledgements
	 * (mqtt.h). */
	mosquitto_int_option(self->mosq, MOSQ_OPT_RECEIVE_MAXIMUM, MQTT_RECEIVE_MAXIMUM);
	/* libmosquitto then writes only when we call mosquitto_loop_write()
	 * (mqtt_link.c says when): not inside a publish, and not the
	 * acknowledgements of what it reads inside the read. */
	mosquitto_threaded_set(self->mosq, true);
	if (cfg->username || cfg->password) {
		int rc = mosquitto_username_pw_set(self->mosq, cfg->username, cfg->password);
		if (rc != MOSQ_ERR_SUCCESS) {
			host->config_error(self->inst, "username", "%s", mosquitto_strerror(rc));
			return false;
		}
	}
	if (!mqtt_tls_setup(self))
		return false;
	if (!mqtt_guard_init(&self->guard, !cfg->tls, cfg->protocol == MQTT_PROTOCOL_V5)) {
		host->log(self->inst, MQC_LOG_ERROR, "cannot make a socket pair: %s", strerror(errno));
		return false;
	}
	mqtt_link_callbacks_set(self);
	mosquitto_publish_v5_callback_set(self->mosq, mqtt_on_publish);
	return true;
}

/* Adds the link's timers, disarmed but for the first attempt's; false
 * after saying why. */
static bool mqtt_setup_timers(struct mqtt *self)
{
	const struct mqc_host *host = self->host;
	/* Added armed (the only way), disarmed below until mqtt_link.c needs
	 * them; the misc timer repeats at whatever period it is armed with. */
	self->misc_timer = host->timer_add(self->inst, 1000, true, mqtt_on_misc_timer, self);
	self->connect_timer = host->timer_add(self->inst, 1000, false, mqtt_on_connect_timer, self);
	/* The first attempt starts from the loop, once every instance is open. */
	self->retry_timer = host->timer_add(self->inst, 1, false, mqtt_on_retry_timer, self);
	/* Fired by mqtt_cork() at the end of a round that published. */
	self->uncork_timer = host->timer_add(self->inst, 0, false, mqtt_on_uncork_timer, self);
	self->rest_timer = host->timer_add(self->inst, 0, false, mqtt_on_rest_timer, self);
	if (!self->misc_timer || !self->connect_timer || !self->retry_timer || !self->uncork_timer ||
	    !self->rest_timer) {
		host->log(self->inst, MQC_LOG_ERROR, "cannot add timers");
		return false;
	}
	host->timer_arm(self->misc_timer, 0);
	host->timer_arm(self->connect_timer, 0);
	return true;
}

/* Frees the instance, also one open() left half made. */
static void mqtt_free(struct mqtt *self)
{
	const struct mqc_host *host = self->host;
	if (self->watch)
		host->watch_remove(self->watch);
	struct mqc_timer *timers[] = {self->misc_timer, self->connect_timer, self->retry_timer,
	                              self->uncork_timer, self->rest_timer};
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		if (timers[i])
			host->timer_remove(timers[i]);
	mqtt_history_free(self);
	mqtt_share_free(self);
	if (self->mosq)
		mosquitto_destroy(self->mosq); /* closes the socket, after the watch went */
	if (self->lock_fd >= 0)
		close(self->lock_fd);
	size_t unshown = mqtt_backlog_drop(&self->backlog);
	if (unshown)
		host->log(self->inst, MQC_LOG_WARNING,
		          "%zu message(s) that arrived while subscribing were not shown: exiting",
		          unshown);
	mqtt_inflight_free(&self->inflight);
	mqtt_presence_free(self);
	mqtt_rooms_free(&self->rooms);
	mqtt_rooms_free(&self->strays);
	mqtt_guard_free(&self->guard);
	mqtt_direct_free(&self->direct);
	free(self->claimed_topic);
	free(self->client_id);
	mqtt_config_free(&self->cfg);
	free(self);
}

/* Under verify, a nick other than the username is shown to others as
 * claimed ("~Nick"): said once, at start. */
static void mqtt_verify_warn(struct mqtt *self)
{
	const char *nick = self->host->nick(self->inst);
	if (self->cfg.verify && self->cfg.username && !self->host->quiet(self->inst) &&
	    strcasecmp(nick, self->cfg.username) != 0)
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "verify = on: the broker proves you are %s, so others see your nick "
		                "%s as ~%s (unproved); use the nick %s to be shown as proved",
		                self->cfg.username, nick, nick, self->cfg.username);
}

/* mqchat --who looks without a trace: an id of its own for this run, and a
 * clean session, so that the user's own persistent session (its id, its
 * subscriptions, what the broker keeps for it) is neither taken over nor
 * ended. */
static void mqtt_quiet_identity(struct mqtt *self)
{
	char id[64];
	snprintf(id, sizeof id, "mqchat-who-%ld-%08x", (long)getpid(), random_word());
	self->client_id = strdup(id);
	self->cfg.session_clean = true;
	self->cfg.session_expiry = 0;
}

/* The plugin's open(): the instance, its first attempt due from the loop;
 * NULL after saying why. */
static void *mqtt_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	static bool lib_ready;
	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = true;
	}
	/* A broker that vanishes mid-write must not kill us (libmosquitto
	 * stopped ignoring SIGPIPE itself in 2.0.15). */
	signal(SIGPIPE, SIG_IGN);

	struct mqtt *self = calloc(1, sizeof(*self));
	if (!self) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	self->inst = inst;
	self->host = host;
	self->lock_fd = -1;
	self->watch_fd = -1;
	self->corked_fd = -1;
	self->publishing_fd = -1;
	mqtt_guard_clear(&self->guard);
	self->phase = MQTT_IDLE;
	if (!mqtt_config_load(&self->cfg, inst, host)) {
		free(self);
		return NULL;
	}
	if (host->quiet(inst))
		mqtt_quiet_identity(self);
	else
		self->client_id = self->cfg.client_id
		                      ? strdup(self->cfg.client_id)
		                      : mqtt_client_id_default(inst, host, &self->cfg, &self->lock_fd);
	if (!self->client_id) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		mqtt_free(self);
		return NULL;
	}
	/* After the client id, which follows the order listed. */
	if (self->cfg.hosts_random)
		mqtt_hosts_shuffle(&self->cfg.brokers, random_word());
	/* The first room; the core joins the others after open. */
	if (!mqtt_rooms_add(&self->rooms, self->cfg.topic)) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		mqtt_free(self);
		return NULL;
	}
	mqtt_presence_init(self);
	mqtt_history_init(self);
	if (!mqtt_share_init(self)) {
		mqtt_free(self);
		return NULL;
	}
	mqtt_verify_warn(self);
	if (!mqtt_setup_client(self) || !mqtt_setup_timers(self)) {
		mqtt_free(self);
		return NULL;
	}
	return self;
}

/* Say goodbye so the broker does not see a lost client, within a short,
 * bounded wait: close() must not hang on a dead network. */
static void mqtt_say_goodbye(struct mqtt *self)
{
	mqtt_uncork(self); /* what this round said leaves before the DISCONNECT */
	/* The core's last save came before close (or could not be made):
	 * nothing is held back any more, and the DISCONNECT queues behind. */
	self->acks_held = false;
	self->claimed_acks_held = false;
	int fd = mosquitto_socket(self->mosq);
	/* What libmosquitto holds, and our acknowledgements, before the
	 * DISCONNECT: the broker reads nothing after it. */
	if (fd >= 0)
		(void)mqtt_write_out(self, fd);
	if (fd < 0 || mosquitto_disconnect(self->mosq) != MOSQ_ERR_SUCCESS)
		return;
	uint64_t start = monotonic_ms();
	while (mosquitto_socket(self->mosq) >= 0 && mqtt_may_write(self)) {
		uint64_t spent = monotonic_ms() - start;
		if (spent >= MQTT_CLOSE_FLUSH_MS)
			break;
		struct pollfd pfd = {.fd = mosquitto_socket(self->mosq), .events = POLLOUT};
		if (poll(&pfd, 1, (int)(MQTT_CLOSE_FLUSH_MS - spent)) <= 0)
			break;
		if (mqtt_write_out(self, pfd.fd) != MOSQ_ERR_SUCCESS || self->lost)
			break;
	}
}

/* The plugin's close(): a DISCONNECT if CONNECT went out, then frees. */
static void mqtt_close(void *data)
{
	struct mqtt *self = data;
	/* From CONNECT on: the broker may hold our will before we see its
	 * CONNACK, and only a DISCONNECT keeps it from publishing it. */
	bool connect_sent = self->phase == MQTT_UP || self->phase == MQTT_SUBSCRIBING ||
	                    self->phase == MQTT_CONNECTING;
	if (self->phase == MQTT_UP)
		mqtt_presence_goodbye(self); /* before the DISCONNECT */
	self->phase = MQTT_CLOSING;
	/* Out of the poll set before libmosquitto closes the socket. */
	if (self->watch) {
		self->host->watch_remove(self->watch);
		self->watch = NULL;
	}
	if (connect_sent)
		mqtt_say_goodbye(self);
	mqtt_free(self);
}

/* The plugin's publish(): -1 while the link is not up, else 0, the token
 * answered now or once the broker acknowledges.  To the message's room
 * (the core names one for every message), else the first room's topic;
 * or to its recipient. */
static int mqtt_publish(void *data, const struct mqc_message *msg, uint64_t token)
{
	struct mqtt *self = data;
	if (self->phase != MQTT_UP)
		return -1;
	size_t len = 0;
	const char *payload = self->host->encode(self->inst, self->cfg.wire, msg, &len);
	if (!payload || len > MQTT_MAX_PAYLOAD) {
		self->host->log(self->inst, MQC_LOG_WARNING, "message not sent: %s",
		                payload ? "too large for MQTT" : "cannot encode it");
		self->host->acked(self->inst, token, MQC_ACK_REJECTED);
		return 0;
	}
	mqtt_presence_saw(self, msg);
	/* Our presence leaves before what we say: whoever saw our join has us
	 * listed, so our Last Will's leave is shown and relayed even if we
	 * are killed right after it, before the broker read what followed
	 * the join.  A /nick is announced as it happens. */
	mqtt_presence_settle(self);
	const char *room = msg->room && *msg->room ? msg->room : self->cfg.topic;
	if (msg->to && *msg->to)
		mqtt_send_private(self, msg, payload, len, token);
	else if (self->cfg.verify)
		mqtt_send_verified(self, room, payload, len, token);
	else
		mqtt_send_tracked(self, room, payload, len, NULL, token);
	return 0;
}

/* Before open, and for --check-config: the keys alone; nothing connects. */
static int mqtt_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	return mqtt_config_check(inst, host) ? 0 : -1;
}

/* join() and part(): a subscription to send, polled for OUT. */
static int mqtt_plugin_join(void *data, const char *room)
{
	struct mqtt *self = data;
	int rc = mqtt_join_room(self, room);
	mqtt_sync_watch(self);
	return rc;
}

static void mqtt_plugin_part(void *data, const char *room)
{
	struct mqtt *self = data;
	mqtt_part_room(self, room);
	mqtt_sync_watch(self);
}

/* set_away(): our presence says away (with `text`), or back. */
static void mqtt_plugin_set_away(void *data, const char *text)
{
	struct mqtt *self = data;
	mqtt_presence_set_away(self, text);
	mqtt_sync_watch(self);
}

MQC_PLUGIN_DEFINE(
	.name = "mqtt",
	.version = "1.0",
	.description = "MQTT backend (libmosquitto)",
	.kind = MQC_PLUGIN_BACKEND,
	.keys = mqtt_config_keys,
	.open = mqtt_open,
	.close = mqtt_close,
	.publish = mqtt_publish,
	.check = mqtt_check,
	.flags = MQC_PLUGIN_PRIVATE | MQC_PLUGIN_PRESENCE,
	.join = mqtt_plugin_join,
	.part = mqtt_plugin_part,
	.set_away = mqtt_plugin_set_away,
	.stored = mqtt_stored);
