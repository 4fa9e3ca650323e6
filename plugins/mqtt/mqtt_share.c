/* SPDX-License-Identifier: MIT */
#include "mqtt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_meta.h"

static void share_on_timer(void *data);

bool mqtt_share_init(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	memset(s, 0, sizeof(*s));
	if (!self->cfg.share || self->host->quiet(self->inst))
		return true;
	char cid[MQTT_META_LEVEL_SIZE];
	mqtt_meta_level(cid, self->client_id);
	s->topic = mqtt_meta_topic(self->cfg.topic, "probe", cid, NULL);
	if (s->topic && asprintf(&s->filter, "$share/mqchat-probe-%s/%s", cid, s->topic) < 0)
		s->filter = NULL;
	s->timer = self->host->timer_add(self->inst, 0, false, share_on_timer, self);
	if (s->topic && s->filter && s->timer)
		return true;
	self->host->log(self->inst, MQC_LOG_ERROR, "out of memory");
	return false;
}

void mqtt_share_free(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	if (s->timer)
		self->host->timer_remove(s->timer);
	free(s->topic);
	free(s->filter);
	memset(s, 0, sizeof(*s));
}

/* No answer to the question: said, and not asked again. */
static void share_unknown(struct mqtt *self, const char *why)
{
	self->share_probe.settled = true;
	self->host->log(self->inst, MQC_LOG_INFO,
	                "cannot check that the broker delivers through $share/%s/ (%s): if "
	                "this mqchat shows nothing, remove share", self->cfg.share, why);
}

void mqtt_share_link_up(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	if (!s->topic || s->settled || s->sub_mid || s->pub_mid)
		return;
	int rc = mosquitto_subscribe(self->mosq, &s->sub_mid, s->filter, 1);
	if (rc != MOSQ_ERR_SUCCESS) {
		s->sub_mid = 0;
		share_unknown(self, mosquitto_strerror(rc));
	}
}

void mqtt_share_link_down(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	s->sub_mid = s->pub_mid = 0;
	if (s->timer)
		self->host->timer_arm(s->timer, 0);
}

/* The probe is over: its subscription goes. */
static void share_done(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	s->settled = true;
	s->sub_mid = s->pub_mid = 0;
	self->host->timer_arm(s->timer, 0);
	(void)mosquitto_unsubscribe(self->mosq, NULL, s->filter);
}

bool mqtt_share_suback(struct mqtt *self, int mid, int count, const int *granted)
{
	struct mqtt_share *s = &self->share_probe;
	if (!mid || mid != s->sub_mid)
		return false;
	s->sub_mid = 0;
	if (s->settled) { /* the rooms' own topics, after the broker ignored $share */
		if (count < 1 || granted[0] >= 0x80)
			self->host->log(self->inst, MQC_LOG_ERROR,
			                "the broker refused the rooms' own topics too: nothing said "
			                "there will be shown");
		return true;
	}
	if (count < 1 || granted[0] >= 0x80) {
		share_unknown(self, "the broker refused its probe's subscription");
		return true;
	}
	int rc = mosquitto_publish(self->mosq, &s->pub_mid, s->topic, 0, NULL, 1, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		s->pub_mid = 0;
		share_unknown(self, mosquitto_strerror(rc));
	}
	return true;
}

bool mqtt_share_puback(struct mqtt *self, int mid, int reason)
{
	struct mqtt_share *s = &self->share_probe;
	if (!mid || mid != s->pub_mid)
		return false;
	s->pub_mid = 0;
	if (reason >= 0x80)
		share_unknown(self, "the broker refused its probe message");
	else if (!s->settled) /* the probe may have come back before its PUBACK */
		self->host->timer_arm(s->timer, MQTT_SHARE_WAIT_MS);
	return true;
}

bool mqtt_share_message(struct mqtt *self, const struct mosquitto_message *msg)
{
	struct mqtt_share *s = &self->share_probe;
	if (!s->topic || strcmp(msg->topic, s->topic) != 0)
		return false;
	if (!s->settled) {
		self->host->log(self->inst, MQC_LOG_DEBUG,
		                "the broker delivers through $share/%s/", self->cfg.share);
		share_done(self);
	}
	return true; /* also a late copy, from an earlier connection */
}

/* The rooms' own topics, by themselves, from now on (and on the next
 * connections: share is gone). */
static void share_give_up(struct mqtt *self)
{
	struct mqtt_share *s = &self->share_probe;
	self->host->log(self->inst, MQC_LOG_ERROR,
	                "the broker does not deliver through shared subscriptions ($share/%s/%s: "
	                "accepted, yet our probe did not come back in %d s; NATS does so): "
	                "subscribed to the rooms themselves instead, so this mqchat gets every "
	                "message, not a share of them",
	                self->cfg.share, self->cfg.topic, MQTT_SHARE_WAIT_MS / 1000);
	share_done(self);
	free(self->cfg.share);
	self->cfg.share = NULL;
	char **names = calloc(self->rooms.n ? self->rooms.n : 1, sizeof(*names));
	for (size_t i = 0; names && i < self->rooms.n; i++)
		names[i] = self->rooms.v[i].name;
	int rc = names && self->rooms.n
	                 ? mosquitto_subscribe_multiple(self->mosq, &s->sub_mid, (int)self->rooms.n,
	                                                names, self->cfg.qos, 0, NULL)
	                 : MOSQ_ERR_SUCCESS;
	free(names);
	if (rc != MOSQ_ERR_SUCCESS) {
		s->sub_mid = 0;
		mqtt_reason(self, "cannot subscribe to the rooms: %s", mosquitto_strerror(rc));
		self->lost = true; /* the next connection subscribes them */
	}
}

static void share_on_timer(void *data)
{
	struct mqtt *self = data;
	if (self->phase == MQTT_UP && !self->share_probe.settled)
		share_give_up(self);
	mqtt_cork(self); /* written, and a loss acted on, at the round's end (mqtt_cork.c) */
}
