/* SPDX-License-Identifier: MIT */
/*
 * One connection attempt's CONNECT: the Last Will, the session, and the
 * call that opens the socket.
 *
 * libmosquitto 2.0 sends CONNECT properties only from its blocking
 * connect, mosquitto_connect_bind_v5().  An MQTT 5 persistent session
 * needs one, the Session Expiry Interval (without it the broker ends the
 * session with the connection), so that case uses the blocking call (and
 * so do the 3.1.1 attempts after a broker refused 5: mqtt_connect_blocking),
 * with its connect() bounded by connect_timeout: an interval timer's
 * SIGALRM, caught without SA_RESTART, interrupts a connect() that hangs.
 * Only the TCP handshake waits: the socket no longer blocks once it is
 * connected, so TLS (which may start inside the call) and CONNACK go
 * through the loop as with mosquitto_connect_async(), which every other
 * case uses.
 */
#include "mqtt.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <sys/time.h>

/* Our leave message, encoded into the core's buffer (valid until its next
 * encode); NULL when it cannot be.  Made anew before every attempt: the nick
 * may have changed since the last one. */
static const char *mqtt_leave_encode(struct mqtt *self, size_t *len)
{
	const struct mqc_host *host = self->host;
	const char *stable_id = host->stable_id(self->inst);
	char id[MQC_MESSAGE_ID_SIZE];
	host->new_message_id(self->inst, id);
	struct mqc_message leave = {
		.type = MQC_MSG_LEAVE, .flags = MQC_MSG_OWN, .id = id,
		.nick = host->nick(self->inst), .text = "", .topic = "",
		.sender_id = stable_id ? stable_id : "",
		.time_ms = 0, /* when the broker sends it is unknown: readers use arrival */
		.network = host->name(self->inst), .room = self->cfg.topic, .to = "", .origin = "",
	};
	const char *payload = host->encode(self->inst, self->cfg.wire, &leave, len);
	if (!payload)
		host->log(self->inst, MQC_LOG_WARNING, "no Last Will for this connection: %s",
		          "cannot encode the leave message");
	return payload;
}

/* With presence = off, our Last Will is the leave message itself, which
 * the broker publishes for us if this connection ends without a
 * DISCONNECT, in the first room (also once parted: the room the
 * configuration names). */
static void mqtt_will_set_leave(struct mqtt *self, const char *payload, size_t len)
{
	int rc = mosquitto_will_set_v5(self->mosq, self->cfg.topic, (int)len, payload,
	                               self->cfg.qos, false, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		mosquitto_will_clear(self->mosq);
		self->host->log(self->inst, MQC_LOG_WARNING, "no Last Will for this connection: %s",
		                mosquitto_strerror(rc));
	}
}

static void mqtt_on_alarm(int sig)
{
	(void)sig; /* only here to interrupt connect() */
}

/* Connects with the blocking call, its connect() bounded by
 * connect_timeout: a libmosquitto result, errno kept (EINTR: the time ran
 * out).  With `expiry` it carries the Session Expiry Interval; without,
 * it only drops the CONNECT properties libmosquitto keeps from an MQTT 5
 * attempt, which make it refuse to connect with 3.1.1 ("not supported")
 * after the fall back. */
static int mqtt_connect_blocking(struct mqtt *self, bool expiry)
{
	mosquitto_property *props = NULL;
	int rc = expiry ? mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
	                                               self->cfg.session_expiry)
	                : MOSQ_ERR_SUCCESS;
	if (rc != MOSQ_ERR_SUCCESS)
		return rc;

	struct sigaction interrupt = {.sa_handler = mqtt_on_alarm}, saved_action;
	sigemptyset(&interrupt.sa_mask);
	sigaction(SIGALRM, &interrupt, &saved_action);
	sigset_t alarm_only, saved_mask;
	sigemptyset(&alarm_only);
	sigaddset(&alarm_only, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &alarm_only, &saved_mask);
	/* Repeating: libmosquitto tries each address of the host in turn. */
	struct timeval period = {.tv_sec = self->cfg.connect_timeout};
	struct itimerval bound = {.it_interval = period, .it_value = period}, saved_timer;
	setitimer(ITIMER_REAL, &bound, &saved_timer);

	const struct mqtt_broker *broker = mqtt_hosts_current(&self->cfg.brokers);
	rc = mosquitto_connect_bind_v5(self->mosq, broker->host, broker->port,
	                               self->cfg.keepalive, NULL, props);
	int saved_errno = errno;

	setitimer(ITIMER_REAL, &saved_timer, NULL);
	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
	sigaction(SIGALRM, &saved_action, NULL);
	mosquitto_property_free_all(&props);
	errno = saved_errno;
	return rc;
}

bool mqtt_session_kept(const struct mqtt_config *cfg)
{
	return !cfg->session_clean && (cfg->protocol != MQTT_PROTOCOL_V5 || cfg->session_expiry > 0);
}

int mqtt_connect_start(struct mqtt *self)
{
	size_t len = 0;
	const char *leave = self->cfg.will ? mqtt_leave_encode(self, &len) : NULL;
	/* Looking only (mqchat --who) leaves no trace, not even a will. */
	if (self->host->quiet(self->inst))
		mosquitto_will_clear(self->mosq);
	else if (!mqtt_presence_will(self, leave, len) && leave)
		mqtt_will_set_leave(self, leave, len);
	if (self->cfg.protocol == MQTT_PROTOCOL_V5 && mqtt_session_kept(&self->cfg))
		return mqtt_connect_blocking(self, true);
	if (self->fell_back)
		return mqtt_connect_blocking(self, false);
	const struct mqtt_broker *broker = mqtt_hosts_current(&self->cfg.brokers);
	return mosquitto_connect_async(self->mosq, broker->host, broker->port,
	                               self->cfg.keepalive);
}
