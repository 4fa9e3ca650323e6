/* SPDX-License-Identifier: MIT */
/*
 * A message from the broker, placed by its topic (mqtt_meta.h): a room's,
 * a verified sender's, a private message, a presence; held until the link
 * is reported up (mqtt_backlog.h), then handed to the core.
 */
#include "mqtt.h"

#include <mqtt_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_meta.h"
#include "mqtt_presence.h"

/* The user property a verified sender's copy for the classroom carries:
 * the message's proved twin arrives on R/u/U. */
static const char mqtt_copy_property[] = "mqchat-copy";

/* Whether `props` hold a user property called `wanted`. */
static bool mqtt_receive_has(const mosquitto_property *props, const char *wanted)
{
	bool copy = false;
	char *name = NULL, *value = NULL;
	const mosquitto_property *p =
		mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &name, &value, false);
	while (p && !copy) {
		copy = name && !strcmp(name, wanted);
		free(name);
		free(value);
		name = value = NULL;
		p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, true);
	}
	free(name);
	free(value);
	return copy;
}

/* Where message `msg` at `at` goes; false to drop it. */
static bool mqtt_receive_route(struct mqtt *self, const struct mqtt_meta_place *at,
                               const struct mosquitto_message *msg,
                               const mosquitto_property *props, struct mqtt_route *route)
{
	const char *room = self->rooms.v[at->room].name;
	switch (at->kind) {
	case MQTT_META_ROOM:
		/* A lost mqchat's leave, for plain readers: we show its presence. */
		if (self->cfg.presence &&
		    (mqtt_receive_has(props, MQTT_PRESENCE_RELAY_PROPERTY) ||
		     mqtt_presence_relayed_leave(self, room, msg->payload, (size_t)msg->payloadlen)))
			return false;
		if (!self->cfg.verify)
			return true; /* by its topic, as ever */
		route->room = room;
		route->proved = "";
		return !mqtt_receive_has(props, mqtt_copy_property);
	case MQTT_META_VERIFIED:
		route->room = room;
		route->proved = at->a;
		return self->cfg.verify;
	case MQTT_META_PRIVATE:
		route->room = "";
		route->proved = self->cfg.verify ? at->b : NULL;
		return self->cfg.presence && !strcmp(at->a, self->presence.pm_me);
	default:
		return false;
	}
}

void mqtt_receive(struct mqtt *self, const struct mosquitto_message *msg,
                  const mosquitto_property *props, bool resent)
{
	self->messages_read++;
	if (mqtt_history_message(self, msg, props) || mqtt_share_message(self, msg))
		return;
	struct mqtt_meta_place at;
	if (!mqtt_meta_classify(msg->topic, &self->rooms, &at)) {
		(void)mqtt_room_wanted(self, msg->topic); /* dropped, and said why */
		return;
	}
	if (at.kind == MQTT_META_PRESENCE) {
		mqtt_presence_received(self, &at, msg);
		return;
	}
	struct mqtt_route route = {.topic = msg->topic};
	if (!mqtt_receive_route(self, &at, msg, props, &route)) {
		self->host->log(self->inst, MQC_LOG_DEBUG, "a message on %s: not for us, dropped",
		                msg->topic);
		return;
	}
	unsigned flags = (msg->retain ? MQC_MSG_RETAINED : 0) | (resent ? MQC_MSG_RESENT : 0);
	bool reported_up = self->phase == MQTT_UP && !self->became_up;
	if (!reported_up && mqtt_backlog_hold(&self->backlog, &route, msg->payload,
	                                      (size_t)msg->payloadlen, flags))
		return;
	/* Decoding and sanitising are the core's job. */
	mqtt_backlog_deliver(&self->backlog, self->inst, self->host);
	mqtt_route_deliver(&route, msg->payload, (size_t)msg->payloadlen, flags, self->inst,
	                   self->host);
}

bool mqtt_receive_plain(struct mqtt *self, const struct mqtt_publish *p)
{
	if (p->topic_len >= self->claimed_topic_cap) {
		char *bigger = realloc(self->claimed_topic, p->topic_len + 1);
		if (!bigger)
			return false;
		self->claimed_topic = bigger;
		self->claimed_topic_cap = p->topic_len + 1;
	}
	memcpy(self->claimed_topic, p->topic, p->topic_len);
	self->claimed_topic[p->topic_len] = '\0';
	struct mosquitto_message msg = {
		.mid = p->mid,
		.topic = self->claimed_topic,
		.payload = (void *)p->payload,
		.payloadlen = (int)p->payload_len,
		.qos = p->qos,
		.retain = p->retain,
	};
	/* DUP only means something at QoS 1 (MQTT says 0 at QoS 0). */
	mqtt_receive(self, &msg, NULL, p->qos && p->dup);
	return true;
}
