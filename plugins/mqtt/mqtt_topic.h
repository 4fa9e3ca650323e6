/* SPDX-License-Identifier: MIT */
/* Whether a topic can be a room: mqchat publishes to its rooms, so a room
 * names one topic, with no wildcard.  Said in the same words for the
 * `topic` key and for a room joined later. */
#ifndef MQTT_TOPIC_H
#define MQTT_TOPIC_H

#include <stdbool.h>

/* Why `topic` cannot be a room ("is empty; ...", "has a wildcard ..."),
 * or NULL when it can.  `*quotable` is set to whether the topic is valid
 * UTF-8, and so may be shown next to the reason. */
const char *mqtt_topic_problem(const char *topic, bool *quotable);

#endif
