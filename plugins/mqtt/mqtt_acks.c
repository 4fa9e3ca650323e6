/* SPDX-License-Identifier: MIT */
/* Acknowledgements: each accepted publish is answered to the core exactly
 * once, when the broker acknowledges it (QoS 0: once written). */
#include "mqtt.h"

/* QoS 0 publishes still queued when a connection ends are dropped by
 * libmosquitto without a callback; QoS 1/2 ones it sends again itself. */
void mqtt_reject_unsent_qos0(struct mqtt *self)
{
	if (self->cfg.qos != 0)
		return;
	int mid;
	uint64_t token;
	unsigned lost = 0;
	mqtt_answer_written(self); /* any written whole are not lost */
	while (mqtt_direct_take_unwritten(&self->direct, &token) ||
	       mqtt_inflight_take_any(&self->inflight, &mid, &token)) {
		self->host->acked(self->inst, token, MQC_ACK_REJECTED);
		lost++;
	}
	if (lost)
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "%u message(s) at qos 0 lost with the connection", lost);
}

void mqtt_answer_written(struct mqtt *self)
{
	uint64_t token;
	while (mqtt_direct_take_written(&self->direct, &token))
		self->host->acked(self->inst, token, MQC_ACK_DELIVERED);
}

void mqtt_on_publish(struct mosquitto *mosq, void *data, int mid, int reason,
                     const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct mqtt *self = data;
	self->heard_answers = true;
	if (mqtt_share_puback(self, mid, reason))
		return;
	enum mqc_ack result = MQC_ACK_DELIVERED;
	if (reason >= 0x80) {
		self->host->log(self->inst, MQC_LOG_WARNING, "the broker rejected a message: %s",
		                mosquitto_reason_string(reason));
		result = MQC_ACK_REJECTED;
	}
	uint64_t token;
	/* Not there: a repeat for an id already answered (each token once). */
	if (mqtt_inflight_take(&self->inflight, mid, &token))
		self->host->acked(self->inst, token, result);
}
