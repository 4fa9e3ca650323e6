/* SPDX-License-Identifier: MIT */
/*
 * Rooms: join and part, the rooms' subscriptions on every connection, and
 * messages on topics that are no room of ours.
 *
 * Every room is subscribed again on every connection, in one SUBSCRIBE,
 * also to a session the broker kept (it may have lost it, and the qos
 * asked may have changed); the link is up once its SUBACK came.  A room
 * joined while connected is subscribed at once, in a SUBACK of its own.
 */
#include "mqtt.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_meta.h"
#include "mqtt_presence.h"
#include "mqtt_topic.h"

/* The filters of the `count` rooms from `first` on into `topics` (room
 * for MQTT_META_FILTERS_MAX each), each room's place noted; how many, 0
 * when out of memory. */
static size_t mqtt_room_filters(struct mqtt *self, size_t first, size_t count, char **topics)
{
	bool pm = self->cfg.presence && !self->host->quiet(self->inst);
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		struct mqtt_room *room = &self->rooms.v[first + i];
		size_t k = mqtt_meta_filters(room->name, self->cfg.share, self->cfg.verify,
		                             pm ? self->presence.pm_me : NULL, topics + n);
		if (!k) {
			mqtt_meta_filters_free(topics, n);
			return 0;
		}
		room->sub_index = (int)n;
		room->sub_count = (int)k;
		n += k;
	}
	return n;
}

/* One SUBSCRIBE for the `count` rooms from `first` on, then their
 * presence's: a libmosquitto result, errno kept. */
static int mqtt_subscribe(struct mqtt *self, size_t first, size_t count)
{
	char **topics = calloc(count * MQTT_META_FILTERS_MAX, sizeof(*topics));
	size_t n = topics ? mqtt_room_filters(self, first, count, topics) : 0;
	if (!n) {
		free(topics);
		return MOSQ_ERR_NOMEM;
	}
	/* No Local keeps our own messages from coming back (v5 only; the core
	 * filters echoes too); a shared subscription may not have it. */
	int options = self->cfg.protocol == MQTT_PROTOCOL_V5 && !self->cfg.share
	                      ? MQTT_SUB_OPT_NO_LOCAL
	                      : 0;
	int mid = 0;
	int rc = mosquitto_subscribe_multiple(self->mosq, &mid, (int)n, topics, self->cfg.qos,
	                                      options, NULL);
	int saved_errno = errno;
	mqtt_meta_filters_free(topics, n);
	free(topics);
	for (size_t i = 0; rc == MOSQ_ERR_SUCCESS && i < count; i++) {
		self->rooms.v[first + i].sub_mid = mid;
		mqtt_presence_subscribe(self, first + i);
	}
	errno = saved_errno;
	return rc;
}

void mqtt_subscribe_rooms(struct mqtt *self)
{
	mqtt_rooms_free(&self->strays); /* the session may hold them again */
	if (self->cfg.presence)
		mqtt_meta_level(self->presence.pm_me, self->cfg.username ? self->cfg.username
		                                                         : self->host->nick(self->inst));
	for (size_t i = 0; i < self->rooms.n; i++)
		self->rooms.v[i].sub_mid = 0;
	if (!self->rooms.n) {
		self->phase = MQTT_UP; /* every room was parted: nothing to wait for */
		self->became_up = true;
		return;
	}
	int rc = mqtt_subscribe(self, 0, self->rooms.n);
	if (rc != MOSQ_ERR_SUCCESS) {
		mqtt_reason(self, "cannot subscribe to %s: %s", self->rooms.v[0].name,
		            mqtt_strerror(rc, errno));
		self->lost = true;
		return;
	}
	self->phase = MQTT_SUBSCRIBING;
}

/* A SUBACK code that need not be an ACL's: MQTT 3.1.1 has one code for
 * "not allowed" and "it failed" (a node of a NATS cluster has said it), and
 * MQTT 5's unspecified, implementation-specific and quota errors may pass. */
static bool mqtt_refusal_may_pass(const struct mqtt *self, int code)
{
	if (self->cfg.protocol != MQTT_PROTOCOL_V5)
		return code == 0x80;
	return code == MQTT_RC_UNSPECIFIED || code == MQTT_RC_IMPLEMENTATION_SPECIFIC ||
	       code == MQTT_RC_QUOTA_EXCEEDED;
}

/* The broker will not let us read room `i` (`code` its SUBACK's, -1 for
 * none).  For the first room, and for any before the link was first up
 * (the configuration's rooms), the connection ends: a refusal that may
 * pass is asked again MQTT_REFUSALS_ASKED_AGAIN times in a row, then the
 * network fails, as an ACL says.  A room joined later is left, and the
 * others go on.  True if the room was left. */
static bool mqtt_refused(struct mqtt *self, size_t i, int code)
{
	const char *why = code < 0 ? "no answer"
	                  : self->cfg.protocol == MQTT_PROTOCOL_V5
	                          ? mosquitto_reason_string(code)
	                          : "return code 0x80 (not allowed, or it failed)";
	const char *name = self->rooms.v[i].name;
	if (!self->ever_up || !strcmp(name, self->cfg.topic)) {
		mqtt_reason(self, "the broker refused the subscription to %s: %s", name, why);
		self->ask_again = code >= 0 && mqtt_refusal_may_pass(self, code) &&
		                  self->refusals_asked_again < MQTT_REFUSALS_ASKED_AGAIN;
		self->refusals_asked_again += self->ask_again;
		self->permanent = !self->ask_again;
		self->lost = true;
		return false;
	}
	if (MQC_HOST_HAS(self->host, room_left)) {
		char text[256];
		snprintf(text, sizeof text, "the broker refused the subscription (%s)", why);
		self->host->room_left(self->inst, name, text);
	} else {
		self->host->log(self->inst, MQC_LOG_ERROR,
		                "the broker refused the subscription to %s: %s; nothing said "
		                "there will be shown", name, why);
	}
	mqtt_rooms_remove(&self->rooms, i);
	return true;
}

/* A room's topics but its own that the broker refused: said, the room
 * goes on without them. */
static void mqtt_refused_extra(struct mqtt *self, const struct mqtt_room *room, int count,
                               const int *granted)
{
	for (int k = room->sub_index + 1; k < room->sub_index + room->sub_count; k++)
		if (k >= count || granted[k] >= 0x80)
			self->host->log(self->inst, MQC_LOG_WARNING,
			                "the broker refused a subscription below %s (%s): the "
			                "broker's ACL must let us read it (README, MQTT rooms)",
			                room->name, self->cfg.verify && k == room->sub_index + 1
			                                    ? "verified messages"
			                                    : "private messages");
}

void mqtt_on_subscribe(struct mosquitto *mosq, void *data, int mid, int count,
                       const int *granted, const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct mqtt *self = data;
	self->heard_answers = true;
	if (self->phase != MQTT_SUBSCRIBING && self->phase != MQTT_UP)
		return;
	if (mqtt_history_owns_mid(self, mid) || mqtt_presence_suback(self, mid, count, granted) ||
	    mqtt_share_suback(self, mid, count, granted))
		return;
	for (size_t i = 0; i < self->rooms.n && !self->lost;) {
		struct mqtt_room *room = &self->rooms.v[i];
		if (room->sub_mid != mid) {
			i++;
			continue;
		}
		room->sub_mid = 0;
		int k = room->sub_index;
		if (k >= count || granted[k] >= 0x80) {
			i += !mqtt_refused(self, i, k >= count ? -1 : granted[k]);
			continue;
		}
		if (granted[k] < self->cfg.qos)
			self->host->log(self->inst, MQC_LOG_INFO,
			                "the broker granted qos %d (asked %d) on %s", granted[k],
			                self->cfg.qos, room->name);
		mqtt_refused_extra(self, room, count, granted);
		mqtt_presence_room_acked(self, i);
		mqtt_history_room_ready(self, room->name);
		i++;
	}
	/* Also when the rooms it answered were parted meanwhile. */
	if (self->phase == MQTT_SUBSCRIBING && !self->lost && !mqtt_rooms_pending(&self->rooms)) {
		self->phase = MQTT_UP;
		self->became_up = true;
	}
}

/* A topic none of our rooms has: a subscription an earlier session left
 * (the broker keeps a persistent session's), or a room parted whose
 * messages were already on their way.  Its messages are dropped, and it is
 * unsubscribed, once a connection: rooms are never wildcards, so the topic
 * is the subscription's filter. */
bool mqtt_room_wanted(struct mqtt *self, const char *topic)
{
	if (mqtt_rooms_find(&self->rooms, topic) >= 0)
		return true;
	bool known = mqtt_rooms_find(&self->strays, topic) >= 0;
	self->host->log(self->inst, MQC_LOG_DEBUG,
	                "a message on %s, which is no room joined: dropped%s", topic,
	                known ? "" : "; unsubscribing from it");
	if (!known && mqtt_rooms_add(&self->strays, topic))
		(void)mosquitto_unsubscribe(self->mosq, NULL, topic);
	return false;
}

int mqtt_join_room(struct mqtt *self, const char *room)
{
	bool quotable;
	const char *problem = mqtt_topic_problem(room, &quotable);
	if (problem) {
		if (quotable)
			self->host->log(self->inst, MQC_LOG_ERROR, "cannot join '%s': %s", room, problem);
		else
			self->host->log(self->inst, MQC_LOG_ERROR, "cannot join a room whose name %s",
			                problem);
		return -1;
	}
	if (mqtt_rooms_find(&self->rooms, room) >= 0)
		return 0;
	if (!mqtt_rooms_add(&self->rooms, room)) {
		self->host->log(self->inst, MQC_LOG_ERROR, "cannot join '%s': out of memory", room);
		return -1;
	}
	long stray = mqtt_rooms_find(&self->strays, room);
	if (stray >= 0)
		mqtt_rooms_remove(&self->strays, (size_t)stray);
	/* Otherwise subscribed with the others once connected. */
	if (self->phase != MQTT_SUBSCRIBING && self->phase != MQTT_UP)
		return 0;
	int rc = mqtt_subscribe(self, self->rooms.n - 1, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "cannot subscribe to %s now: %s; tried again on the next connection",
		                room, mqtt_strerror(rc, errno));
	return 0;
}

/* UNSUBSCRIBE of every filter of `room`: a libmosquitto result. */
static int mqtt_unsubscribe_room(struct mqtt *self, const char *room)
{
	bool pm = self->cfg.presence && !self->host->quiet(self->inst);
	char *topics[MQTT_META_FILTERS_MAX + 1];
	size_t n = mqtt_meta_filters(room, self->cfg.share, self->cfg.verify,
	                             pm ? self->presence.pm_me : NULL, topics);
	if (n && self->cfg.presence && !(topics[n] = mqtt_meta_topic(room, "presence", "+", "+")))
		mqtt_meta_filters_free(topics, n), n = 0;
	if (!n)
		return MOSQ_ERR_NOMEM;
	n += self->cfg.presence;
	int rc = mosquitto_unsubscribe_multiple(self->mosq, NULL, (int)n, topics, NULL);
	mqtt_meta_filters_free(topics, n);
	return rc;
}

void mqtt_part_room(struct mqtt *self, const char *room)
{
	long i = mqtt_rooms_find(&self->rooms, room);
	if (i < 0)
		return;
	mqtt_presence_parted(self, (size_t)i);
	mqtt_history_room_parted(self, room);
	mqtt_rooms_remove(&self->rooms, (size_t)i);
	if (self->phase != MQTT_SUBSCRIBING && self->phase != MQTT_UP)
		return; /* a session the broker kept unsubscribes at its first message */
	/* What is on its way already is dropped without a second UNSUBSCRIBE. */
	if (mqtt_rooms_find(&self->strays, room) < 0)
		(void)mqtt_rooms_add(&self->strays, room);
	int rc = mqtt_unsubscribe_room(self, room);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING, "cannot unsubscribe from %s now: %s",
		                room, mqtt_strerror(rc, errno));
}
