/* SPDX-License-Identifier: MIT */
/*
 * Presence: ours published, others' followed (mqtt_presence.h).
 *
 * The list of who is in a room is complete once the broker has sent every
 * retained presence of the room.  No timer says when that is: right after
 * the SUBSCRIBE of R/presence/+/+ we send an UNSUBSCRIBE of a topic we
 * never subscribed (R/presence/U/CID/sync).  The broker handles a client's
 * packets in order and sends a subscription's retained messages right
 * after its SUBACK, so when that UNSUBACK arrives every retained presence
 * of R has arrived before it: the room is synced then.  The presence
 * topics are subscribed at QoS 0, so that no in-flight window lets the
 * broker hold some of them back behind the UNSUBACK.
 */
#include "mqtt_presence.h"

#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "mqtt.h"
#include "mqtt_presence_wire.h"

/* How long a lost client's offline presence is kept, in seconds. */
#define MQTT_PRESENCE_WILL_EXPIRY 86400

void mqtt_presence_init(struct mqtt *self)
{
	struct mqtt_presence *p = &self->presence;
	mqtt_meta_level(p->user, self->cfg.username);
	mqtt_meta_level(p->cid, self->client_id);
}

void mqtt_presence_free(struct mqtt *self)
{
	mqtt_presence_table_free(&self->presence.table);
	free(self->presence.nick);
	free(self->presence.away);
	mqtt_lost_leaves_free(&self->presence.lost_leaves);
}

static bool mqtt_presence_quiet(const struct mqtt *self)
{
	return self->host->quiet(self->inst);
}

/* Our presence payload, malloc'd; NULL when out of memory.  With `lost`
 * (our will's), offline, carrying `leave` when there is one. */
static char *mqtt_presence_own(struct mqtt *self, bool lost, const char *leave, size_t leave_len)
{
	const struct mqtt_presence *p = &self->presence;
	struct mqtt_presence_info info = {
		.state = lost ? MQC_PRESENCE_OFFLINE : p->away ? MQC_PRESENCE_AWAY : MQC_PRESENCE_ONLINE,
		.ts = wall_ms(),
		.announce = p->announces, .lost = lost,
	};
	const char *nick = self->host->nick(self->inst);
	mqtt_meta_clean(info.nick, sizeof(info.nick), nick, strlen(nick));
	if (p->away)
		mqtt_meta_clean(info.away, sizeof(info.away), p->away, strlen(p->away));
	if (lost && leave && leave_len <= sizeof(info.leave)) {
		memcpy(info.leave, leave, leave_len);
		info.leave_len = leave_len;
	}
	return mqtt_presence_build(&info);
}

/* Our presence in `room`, retained, at QoS 1; deleted when `remove`, at
 * QoS 0: that is done on the way out, and an acknowledgement arriving as
 * we close the socket would make it a reset. */
static void mqtt_presence_publish(struct mqtt *self, const char *room, bool remove)
{
	char *topic = mqtt_meta_topic(room, "presence", self->presence.user, self->presence.cid);
	char *payload = remove ? NULL : mqtt_presence_own(self, false, NULL, 0);
	int rc = MOSQ_ERR_NOMEM;
	if (topic && (remove || payload))
		rc = mosquitto_publish_v5(self->mosq, NULL, topic, payload ? (int)strlen(payload) : 0,
		                          payload, remove ? 0 : 1, true, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING, "cannot publish our presence in %s: %s",
		                room, mosquitto_strerror(rc));
	free(topic);
	free(payload);
}

void mqtt_presence_subscribe(struct mqtt *self, size_t i)
{
	struct mqtt_room *room = &self->rooms.v[i];
	room->presence_mid = room->sync_mid = 0;
	room->presence_due = room->presence_sent = false;
	if (!self->cfg.presence)
		return;
	char sync_level[MQTT_META_LEVEL_SIZE + 5];
	snprintf(sync_level, sizeof(sync_level), "%s/sync", self->presence.cid);
	char *filter = mqtt_meta_topic(room->name, "presence", "+", "+");
	char *sync = mqtt_meta_topic(room->name, "presence", self->presence.user, sync_level);
	int rc = MOSQ_ERR_NOMEM;
	if (filter && sync)
		rc = mosquitto_subscribe_v5(self->mosq, &room->presence_mid, filter, 0, 0, NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_unsubscribe_v5(self->mosq, &room->sync_mid, sync, NULL);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING, "cannot follow who is in %s: %s",
		                room->name, mosquitto_strerror(rc));
	else /* those not sent again by the sync are gone */
		mqtt_presence_table_mark(&self->presence.table, room->name);
	free(filter);
	free(sync);
}

void mqtt_presence_room_acked(struct mqtt *self, size_t i)
{
	if (!self->cfg.presence) {
		self->host->presence_synced(self->inst, self->rooms.v[i].name);
		return;
	}
	self->rooms.v[i].presence_due = !mqtt_presence_quiet(self);
}

bool mqtt_presence_suback(struct mqtt *self, int mid, int count, const int *granted)
{
	for (size_t i = 0; i < self->rooms.n; i++) {
		struct mqtt_room *room = &self->rooms.v[i];
		if (room->presence_mid != mid || !mid)
			continue;
		room->presence_mid = 0;
		if (count < 1 || granted[0] >= 0x80)
			self->host->log(self->inst, MQC_LOG_WARNING,
			                "the broker refused the subscription to %s/presence/+/+: who is "
			                "there is not known", room->name);
		return true;
	}
	return false;
}

/* Tells the core `nick`'s state in `room`, proved and claimed: who left
 * first, so that the one still there is said last. */
static void mqtt_presence_report(struct mqtt *self, const char *room, const char *nick)
{
	enum mqc_presence state[2];
	for (int v = 0; v < 2; v++)
		state[v] = mqtt_presence_table_state(&self->presence.table, room, nick, v);
	for (int pass = 0; pass < 2; pass++)
		for (int v = 0; v < 2; v++)
			if ((state[v] == MQC_PRESENCE_OFFLINE) == (pass == 0))
				self->host->presence_state(self->inst, room, nick, state[v], v);
}

/* Removes entry `i`, telling the core. */
static void mqtt_presence_forget(struct mqtt *self, size_t i)
{
	struct mqtt_presence_entry *e = &self->presence.table.v[i];
	char *room = e->room, *nick = e->nick;
	e->room = e->nick = NULL;
	mqtt_presence_table_remove(&self->presence.table, i);
	if (*nick)
		mqtt_presence_report(self, room, nick);
	free(room);
	free(nick);
}

void mqtt_on_unsubscribe(struct mosquitto *mosq, void *data, int mid,
                         const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct mqtt *self = data;
	self->heard_answers = true;
	for (size_t i = 0; mid && i < self->rooms.n; i++) {
		if (self->rooms.v[i].sync_mid != mid)
			continue;
		self->rooms.v[i].sync_mid = 0;
		const char *room = self->rooms.v[i].name;
		for (long k; (k = mqtt_presence_table_stale(&self->presence.table, room)) >= 0;)
			mqtt_presence_forget(self, (size_t)k);
		self->host->presence_synced(self->inst, room);
		return;
	}
}

/* A join or leave seen in presence, shown in `room`. */
static void mqtt_presence_show(struct mqtt *self, const char *room, const char *nick,
                               enum mqc_msg_type type, const char *text)
{
	struct mqc_message m = {
		.type = type, .id = "", .nick = nick, .text = text, .topic = "", .sender_id = "",
		.network = "", .room = room, .to = "", .origin = "",
	};
	self->host->receive_message(self->inst, &m);
}

/* Whether this mqchat is the one to relay lost entry `gone`'s leave in its
 * room: the entry of the room that sorts first but `gone` is ours.  Every
 * mqchat there has the same list, so one of them relays it. */
static bool mqtt_presence_relayer(const struct mqtt *self, size_t gone)
{
	const struct mqtt_presence_table *t = &self->presence.table;
	const struct mqtt_presence_entry *first = NULL;
	for (size_t k = 0; k < t->n; k++) {
		const struct mqtt_presence_entry *e = &t->v[k];
		if (k == gone || strcmp(e->room, t->v[gone].room) != 0)
			continue;
		int order = first ? strcmp(e->user, first->user) : -1;
		if (!order)
			order = strcmp(e->cid, first->cid);
		if (order < 0)
			first = e;
	}
	return first && !strcmp(first->user, self->presence.user) &&
	       !strcmp(first->cid, self->presence.cid);
}

/* The leave a lost mqchat's will carries, published on `room` for its plain
 * readers (before presence, the will itself said it there), marked so that
 * mqchats, who show the presence, ignore it (mqtt_receive.c). */
static void mqtt_presence_relay(struct mqtt *self, const char *room,
                                const struct mqtt_presence_info *info)
{
	mosquitto_property *props = NULL;
	int rc = MOSQ_ERR_SUCCESS;
	if (self->cfg.protocol == MQTT_PROTOCOL_V5)
		rc = mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY,
		                                        MQTT_PRESENCE_RELAY_PROPERTY, "leave");
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_publish_v5(self->mosq, NULL, room, (int)info->leave_len, info->leave,
		                          self->cfg.qos, false, props);
	mosquitto_property_free_all(&props);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING, "cannot tell %s that %s left: %s", room,
		                info->nick, mosquitto_strerror(rc));
}

/* Entry `i` (-1: none known) is gone: offline (`info`), or deleted by a
 * clean quit (`info` NULL). */
static void mqtt_presence_gone(struct mqtt *self, long i, bool show,
                               const struct mqtt_presence_info *info)
{
	if (i < 0)
		return;
	const struct mqtt_presence_entry *e = &self->presence.table.v[i];
	bool lost = info && info->lost;
	if (show && *e->nick && (lost || !e->announce))
		mqtt_presence_show(self, e->room, e->nick, MQC_MSG_LEAVE, lost ? "connection lost" : "");
	if (show && lost && info->leave_len)
		mqtt_lost_leaves_add(&self->presence.lost_leaves, e->room, info->leave,
		                     info->leave_len, monotonic_ms());
	if (show && lost && info->leave_len && self->phase == MQTT_UP &&
	    mqtt_presence_relayer(self, (size_t)i))
		mqtt_presence_relay(self, e->room, info);
	mqtt_presence_forget(self, (size_t)i);
}

/* Entry `i` now says `info`, proved by username level `user` or not. */
static void mqtt_presence_update(struct mqtt *self, size_t i, const char *user,
                                 const struct mqtt_presence_info *info)
{
	struct mqtt_presence_entry *e = &self->presence.table.v[i];
	char *old = strcmp(e->nick, info->nick) != 0 ? strdup(e->nick) : NULL;
	if (old && !mqtt_presence_table_set_nick(&self->presence.table, i, info->nick)) {
		free(old); /* out of memory: the entry stays as it was */
		return;
	}
	e->state = info->state;
	/* A network that proves nobody marks nobody (~ means "not proved where
	 * senders are"). */
	e->verified = !self->cfg.verify || !strcasecmp(user, info->nick);
	e->announce = info->announce;
	e->stale = false;
	char *room = e->room;
	if (old && *old)
		mqtt_presence_report(self, room, old);
	free(old);
	mqtt_presence_report(self, room, e->nick);
}

void mqtt_presence_received(struct mqtt *self, const struct mqtt_meta_place *at,
                            const struct mosquitto_message *msg)
{
	struct mqtt_presence *p = &self->presence;
	const char *room = self->rooms.v[at->room].name;
	struct mqtt_presence_info info;
	bool removed = msg->payloadlen == 0;
	if (!removed && !mqtt_presence_parse(msg->payload, (size_t)msg->payloadlen, &info)) {
		self->host->log(self->inst, MQC_LOG_DEBUG, "no presence on %s: ignored", msg->topic);
		return;
	}
	bool own = !strcmp(at->a, p->user) && !strcmp(at->b, p->cid);
	bool show = !msg->retain && !own;
	long i = mqtt_presence_table_find(&p->table, room, at->a, at->b);
	if (removed || info.state == MQC_PRESENCE_OFFLINE) {
		mqtt_presence_gone(self, i, show, removed ? NULL : &info);
		return;
	}
	bool added = i < 0;
	if (added && (i = mqtt_presence_table_add(&p->table, room, at->a, at->b)) < 0) {
		if (!p->full_logged)
			self->host->log(self->inst, MQC_LOG_WARNING,
			                "more than %d present in %s (or out of memory): the others are "
			                "not listed", MQTT_PRESENCE_MAX_PER_ROOM, room);
		p->full_logged = true;
		return;
	}
	mqtt_presence_update(self, (size_t)i, at->a, &info);
	if (added && show && !info.announce)
		mqtt_presence_show(self, room, info.nick, MQC_MSG_JOIN, "");
}

void mqtt_presence_settle(struct mqtt *self)
{
	struct mqtt_presence *p = &self->presence;
	if (!self->cfg.presence || self->phase != MQTT_UP || mqtt_presence_quiet(self))
		return;
	const char *nick = self->host->nick(self->inst);
	bool renamed = p->nick && strcmp(p->nick, nick) != 0;
	if (!p->nick || renamed) {
		free(p->nick);
		p->nick = strdup(nick);
	}
	for (size_t i = 0; i < self->rooms.n; i++) {
		struct mqtt_room *room = &self->rooms.v[i];
		if (!room->presence_due && !(renamed && room->presence_sent))
			continue;
		mqtt_presence_publish(self, room->name, false);
		room->presence_due = false;
		room->presence_sent = true;
	}
}

bool mqtt_presence_will(struct mqtt *self, const char *leave, size_t leave_len)
{
	if (!self->cfg.presence)
		return false;
	const char *room = self->rooms.n ? self->rooms.v[0].name : self->cfg.topic;
	char *topic = mqtt_meta_topic(room, "presence", self->presence.user, self->presence.cid);
	char *payload = mqtt_presence_own(self, true, leave, leave_len);
	mosquitto_property *props = NULL;
	int rc = topic && payload ? MOSQ_ERR_SUCCESS : MOSQ_ERR_NOMEM;
	if (rc == MOSQ_ERR_SUCCESS && self->cfg.protocol == MQTT_PROTOCOL_V5)
		rc = mosquitto_property_add_int32(&props, MQTT_PROP_WILL_DELAY_INTERVAL,
		                                  self->cfg.will_delay);
	if (rc == MOSQ_ERR_SUCCESS && self->cfg.protocol == MQTT_PROTOCOL_V5)
		rc = mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
		                                  MQTT_PRESENCE_WILL_EXPIRY);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_will_set_v5(self->mosq, topic, (int)strlen(payload), payload, 1, true,
		                           props);
	if (rc != MOSQ_ERR_SUCCESS) {
		mosquitto_property_free_all(&props);
		mosquitto_will_clear(self->mosq);
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "no Last Will for this connection: %s", mosquitto_strerror(rc));
	}
	free(topic);
	free(payload);
	return true;
}

void mqtt_presence_goodbye(struct mqtt *self)
{
	for (size_t i = 0; self->cfg.presence && i < self->rooms.n; i++)
		if (self->rooms.v[i].presence_sent)
			mqtt_presence_publish(self, self->rooms.v[i].name, true);
}

void mqtt_presence_parted(struct mqtt *self, size_t i)
{
	const char *room = self->rooms.v[i].name;
	if (self->rooms.v[i].presence_sent && self->phase == MQTT_UP)
		mqtt_presence_publish(self, room, true);
	struct mqtt_presence_table *t = &self->presence.table;
	for (size_t k = 0; k < t->n;)
		if (!strcmp(t->v[k].room, room))
			mqtt_presence_table_remove(t, k);
		else
			k++;
	self->host->presence(self->inst, room, NULL, false);
}

void mqtt_presence_set_away(struct mqtt *self, const char *text)
{
	struct mqtt_presence *p = &self->presence;
	free(p->away);
	p->away = text ? strdup(text) : NULL;
	for (size_t i = 0; i < self->rooms.n; i++)
		self->rooms.v[i].presence_due = self->rooms.v[i].presence_sent;
	mqtt_presence_settle(self);
}

void mqtt_presence_saw(struct mqtt *self, const struct mqc_message *msg)
{
	/* Not a bridge's relay of someone else's. */
	if ((msg->type == MQC_MSG_JOIN || msg->type == MQC_MSG_LEAVE) && !*msg->to && !msg->hops)
		self->presence.announces = true;
}

bool mqtt_presence_relayed_leave(struct mqtt *self, const char *room, const void *payload,
                                 size_t len)
{
	return mqtt_lost_leaves_take(&self->presence.lost_leaves, room, payload, len,
	                             monotonic_ms());
}
