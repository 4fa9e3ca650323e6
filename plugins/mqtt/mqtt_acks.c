/* SPDX-License-Identifier: MIT */
/* Acknowledgements: each accepted publish is answered to the core exactly
 * once, never from inside the core's own call to publish. */
#include "mqtt.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------
 * Acknowledgements
 * ------------------------------------------------------------------------ */

void mqtt_flush_owed(void *data)
{
	struct mqtt *self = data;
	/* acked() may lead the core to publish again, which may append here:
	 * re-read the array and the count on every turn. */
	for (size_t i = 0; i < self->owed_count; i++) {
		struct mqtt_owed_ack ack = self->owed[i];
		self->host->acked(self->inst, ack.token, ack.result);
	}
	self->owed_count = 0;
}

/* The core must not be told about an ack while it is calling our publish():
 * "later" means after publish returned.  Owe it and pay from a timer. */
void mqtt_owe(struct mqtt *self, uint64_t token, enum mqc_ack result)
{
	if (self->owed_count == self->owed_cap) {
		size_t cap = self->owed_cap ? self->owed_cap * 2 : 16;
		struct mqtt_owed_ack *owed = realloc(self->owed, cap * sizeof(*owed));
		if (!owed) {
			/* Out of memory: answering now beats never answering. */
			self->host->acked(self->inst, token, result);
			return;
		}
		self->owed = owed;
		self->owed_cap = cap;
	}
	self->owed[self->owed_count++] = (struct mqtt_owed_ack){token, result};
	self->host->timer_arm(self->flush_timer, 1);
}

/* QoS 0 publishes still queued when a connection ends are dropped by
 * libmosquitto without a callback; QoS 1/2 ones it sends again itself. */
void mqtt_reject_unsent_qos0(struct mqtt *self)
{
	if (self->cfg.qos != 0)
		return;
	int mid;
	uint64_t token;
	unsigned lost = 0;
	while (mqtt_inflight_take_any(&self->inflight, &mid, &token)) {
		mqtt_owe(self, token, MQC_ACK_REJECTED);
		lost++;
	}
	if (lost)
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "%u message(s) at qos 0 lost with the connection", lost);
}

void mqtt_on_publish(struct mosquitto *mosq, void *data, int mid, int reason,
                            const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct mqtt *self = data;
	enum mqc_ack result = MQC_ACK_DELIVERED;
	if (reason >= 0x80) {
		self->host->log(self->inst, MQC_LOG_WARNING, "the broker rejected a message: %s",
		                mosquitto_reason_string(reason));
		result = MQC_ACK_REJECTED;
	}
	uint64_t token;
	if (mqtt_inflight_take(&self->inflight, mid, &token)) {
		if (self->publishing)
			mqtt_owe(self, token, result);
		else
			self->host->acked(self->inst, token, result);
	} else if (self->publishing) {
		/* A QoS 0 publish is "acked" once written, which can happen inside
		 * the mosquitto_publish() call that has not told us its mid yet. */
		self->early_ack = true;
		self->early_result = result;
	}
	/* Otherwise a repeat for an id already answered: each token once. */
}
