/* SPDX-License-Identifier: MIT */
#include "mqtt_topic.h"

#include <mosquitto.h>
#include <string.h>

const char *mqtt_topic_problem(const char *topic, bool *quotable)
{
	*quotable = false;
	if (!*topic)
		return "is empty; name the room's topic, e.g. conversacionTeletubbies";
	if (mosquitto_validate_utf8(topic, (int)strlen(topic)))
		return "is not valid UTF-8";
	*quotable = true;
	if (strpbrk(topic, "+#"))
		return "has a wildcard (+ or #): mqchat publishes to its topic, which must name one";
	if (mosquitto_pub_topic_check(topic) != MOSQ_ERR_SUCCESS)
		return "is not a topic one can publish to (longer than 65535 bytes?)";
	return NULL;
}
