/* SPDX-License-Identifier: MIT */
/* Publishing the core's messages: each answered to its token once; under
 * verify, on the sender's own topic level (mqtt_meta.h). */
#include "mqtt.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdlib.h>

/* Larger packets go through libmosquitto, which frees each once written:
 * a round of them would grow our buffer past what it keeps (common/outbuf.c),
 * to be freed and grown again round after round. */
#define MQTT_DIRECT_PACKET_MAX 65536

/* The largest packet we write ourselves. */
static size_t mqtt_direct_max(const struct mqtt *self)
{
	uint32_t broker = self->broker_packet_max;
	return broker && broker < MQTT_DIRECT_PACKET_MAX ? broker : MQTT_DIRECT_PACKET_MAX;
}

/* A QoS 0 message on plain TCP, when nothing of libmosquitto's waits to
 * leave before it: queued to be written by us (mqtt_direct.h) at the
 * round's end.  False if it is libmosquitto's to send. */
static bool mqtt_send_direct(struct mqtt *self, const char *topic, const char *payload,
                             size_t len, uint64_t token)
{
	if (self->cfg.qos != 0 || !self->guard.on || mosquitto_want_write(self->mosq))
		return false;
	bool was_waiting = mqtt_direct_waiting(&self->direct);
	if (!mqtt_direct_add(&self->direct, topic, payload, len,
	                     self->cfg.protocol == MQTT_PROTOCOL_V5, mqtt_direct_max(self), token))
		return false;
	/* Already waiting: for this round's end, or for the socket (OUT). */
	if (!was_waiting)
		self->host->timer_arm_now(self->uncork_timer);
	return true;
}

void mqtt_send_tracked(struct mqtt *self, const char *topic, const char *payload, size_t len,
                       const mosquitto_property *props, uint64_t token)
{
	if (!props && mqtt_send_direct(self, topic, payload, len, token))
		return;
	mqtt_cork(self); /* written at the round's end (mqtt_cork.c) */
	int mid = 0;
	int rc = mosquitto_publish_v5(self->mosq, &mid, topic, (int)len, payload, self->cfg.qos,
	                              false, props);
	int saved_errno = errno;

	bool connection_trouble = rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST ||
	                          rc == MOSQ_ERR_ERRNO;
	if (rc == MOSQ_ERR_SUCCESS || (connection_trouble && self->cfg.qos > 0 && mid)) {
		/* On trouble a QoS 1/2 message stays in libmosquitto's in-flight
		 * list and is sent again after the reconnect: it is still ours.
		 * Nothing is written inside the call (see mqtt_setup_client), so
		 * even a QoS 0 message is answered later, once written. */
		if (!mqtt_inflight_put(&self->inflight, mid, token)) {
			self->host->log(self->inst, MQC_LOG_ERROR, "out of memory tracking a message");
			self->host->acked(self->inst, token, MQC_ACK_REJECTED);
		}
	} else {
		self->host->log(self->inst, MQC_LOG_WARNING, "message not sent: %s",
		                mqtt_strerror(rc, saved_errno));
		self->host->acked(self->inst, token, MQC_ACK_REJECTED);
	}
}

/* The classroom's copy on `room`, marked with the proved topic so that
 * mqchat ignores it (mqtt_receive.c): nobody waits for its PUBACK. */
static void mqtt_send_copy(struct mqtt *self, const char *room, const char *proved_topic,
                           const char *payload, size_t len)
{
	mosquitto_property *props = NULL;
	int rc = mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "mqchat-copy",
	                                            proved_topic);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_publish_v5(self->mosq, NULL, room, (int)len, payload, self->cfg.qos,
		                          false, props);
	mosquitto_property_free_all(&props);
	if (rc != MOSQ_ERR_SUCCESS)
		self->host->log(self->inst, MQC_LOG_WARNING, "the copy for %s's plain readers was "
		                "not sent: %s", room, mosquitto_strerror(rc));
}

void mqtt_send_verified(struct mqtt *self, const char *room, const char *payload, size_t len,
                        uint64_t token)
{
	char *topic = mqtt_meta_topic(room, "u", self->presence.user, NULL);
	if (!topic) {
		self->host->log(self->inst, MQC_LOG_ERROR, "out of memory sending a message");
		self->host->acked(self->inst, token, MQC_ACK_REJECTED);
		return;
	}
	mqtt_send_tracked(self, topic, payload, len, NULL, token);
	if (self->cfg.protocol == MQTT_PROTOCOL_V5) {
		mqtt_send_copy(self, room, topic, payload, len);
	} else if (!self->warned_classroom) {
		self->warned_classroom = true;
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "verify = on under MQTT 3.1.1: our messages go to %s only, so "
		                "clients reading %s itself (the classroom) do not see them",
		                topic, room);
	}
	free(topic);
}
