/* SPDX-License-Identifier: MIT */
/* Private messages (/msg NICK): on R/pm/TO/U of a room where NICK is
 * present (mqtt_meta.h), TO its username, or its nick when it has none. */
#include "mqtt.h"

#include <stdlib.h>
#include <string.h>

/* The first joined room where `nick` is present: its entry, or NULL. */
static const struct mqtt_presence_entry *mqtt_private_find(const struct mqtt *self,
                                                          const char *nick)
{
	const struct mqtt_presence_table *t = &self->presence.table;
	for (size_t i = 0; i < self->rooms.n; i++) {
		long k = mqtt_presence_table_find_nick(t, self->rooms.v[i].name, nick);
		if (k >= 0)
			return &t->v[k];
	}
	return NULL;
}

void mqtt_send_private(struct mqtt *self, const struct mqc_message *msg, const char *payload,
                       size_t len, uint64_t token)
{
	const struct mqc_host *host = self->host;
	const struct mqtt_presence_entry *to = mqtt_private_find(self, msg->to);
	if (!to) {
		host->log(self->inst, MQC_LOG_WARNING, "%s is not here", msg->to);
		host->acked(self->inst, token, MQC_ACK_REJECTED);
		return;
	}
	if (!self->cfg.verify && !self->warned_private) {
		self->warned_private = true;
		host->log(self->inst, MQC_LOG_WARNING,
		          "private messages on %s are private only if the broker's ACLs let nobody "
		          "else read %s/pm/...: see README, Private messages",
		          host->name(self->inst), to->room);
	}
	char level[MQTT_META_LEVEL_SIZE];
	const char *recipient = strcmp(to->user, "_") ? to->user : mqtt_meta_level(level, to->nick);
	char *topic = mqtt_meta_topic(to->room, "pm", recipient, self->presence.user);
	if (!topic) {
		host->log(self->inst, MQC_LOG_ERROR, "out of memory sending a message");
		host->acked(self->inst, token, MQC_ACK_REJECTED);
		return;
	}
	mqtt_send_tracked(self, topic, payload, len, NULL, token);
	free(topic);
}
