/* SPDX-License-Identifier: MIT */
/* Why a connection attempt or a connection ends, in words. */
#include <errno.h>
#include <mosquitto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mqtt.h"

const char mqtt_closed_text[] = "the connection was closed";

void mqtt_reason(struct mqtt *self, const char *fmt, ...)
{
	if (self->reason[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(self->reason, sizeof(self->reason), fmt, ap);
	va_end(ap);
}

const char *mqtt_strerror(int rc, int saved_errno)
{
	if (rc == MOSQ_ERR_ERRNO)
		/* libmosquitto reports a peer's close as an errno error, errno 0. */
		return saved_errno ? strerror(saved_errno) : mqtt_closed_text;
	if (rc == MOSQ_ERR_KEEPALIVE) /* 2.0.11 has no words for it: "Unknown error." */
		return "the broker stopped answering (no PINGRESP within keepalive)";
	return mosquitto_strerror(rc);
}
