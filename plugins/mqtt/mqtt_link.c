/* SPDX-License-Identifier: MIT */
/*
 * The connection: libmosquitto driven entirely by the core's poll() loop.
 *
 * No thread and no mosquitto_loop(): we watch mosquitto_socket() ourselves
 * (for OUT only while mosquitto_want_write()), call loop_read/loop_write
 * when it is ready and loop_misc from a timer while a connection exists
 * (every second while connecting, every keepalive/4 once up).
 * Connections are started by mqtt_connect.c (non-blocking but for one case
 * it explains) and ended attempts are retried on our own timer with capped
 * exponential backoff and jitter.
 *
 * libmosquitto calls us back from inside loop_read/loop_write/loop_misc.
 * Those callbacks only record what happened; mqtt_settle() acts on it once
 * libmosquitto has returned, so the core never sees a link change while
 * libmosquitto is in the middle of something.
 *
 * libmosquitto writes only when we call loop_write (mqtt_setup_client
 * sets it "threaded"): when the socket is ready for OUT, first thing in a
 * round, and at the end of a round that published (mqtt_cork.c).  So the
 * PUBACK of a message received at QoS 1 leaves only once the core says
 * the message is stored (the plugin's `stored`, mqtt_hold_acks): with what
 * the core made of it (a bridge's relay, in the outbox), at the end of
 * its round, or in a busy room a few milliseconds later with the rounds
 * since; only then may the broker forget it.  Killed before, the message
 * comes again.  While libmosquitto holds such a PUBACK it writes nothing,
 * so the core is asked to store soon; the claimed messages' PUBACKs wait
 * in the guard (mqtt_guard.h) while our publishes leave.  Not covered:
 * messages kept in the backlog
 * (mqtt_backlog.h) until the SUBACK, which libmosquitto acknowledges before
 * the core sees them; and QoS 2, whose PUBREC libmosquitto sends as the
 * message arrives, before handing it on at the PUBREL: from then on the
 * broker does not send it again, and libmosquitto keeps it only in memory
 * (holding the PUBCOMP, as done, changes nothing).
 */
#include "mqtt.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "clock.h"
#include "random.h"

/* loop_misc while connecting: cheap, and only for a few seconds. */
#define MQTT_MISC_INTERVAL_MS 1000
/* A connection must last this long before the backoff starts again from
 * 1 s: a broker that drops us right after accepting (another client with
 * our id: 2.0.11 reports that as a plain lost connection) is not hammered. */
#define MQTT_STABLE_MS 10000
/* Packets read per readiness at most, so that a flood from the broker
 * still lets the loop serve everything else. */
#define MQTT_READ_BURST 64

static void mqtt_settle(struct mqtt *self);
static void mqtt_connection_ended(struct mqtt *self);
static void mqtt_on_io(void *data, int fd, unsigned revents);

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

bool mqtt_active(const struct mqtt *self)
{
	return self->phase == MQTT_CONNECTING || self->phase == MQTT_SUBSCRIBING ||
	       self->phase == MQTT_UP;
}

static const char mqtt_broker_closed_text[] = "the broker closed the connection";

/* The broker dropped the connection.  Before CONNACK over TLS 1.3, that is
 * how a broker that wants a client certificate answers one without: its
 * alert saying so is often lost with the connection (see mqtt_on_log for
 * when it is not). */
static void mqtt_reason_dropped(struct mqtt *self, const char *what)
{
	bool no_cert = self->phase == MQTT_CONNECTING && self->cfg.tls && !self->cfg.certfile;
	if (!self->reason[0])
		self->closed_silently = !strcmp(what, mqtt_closed_text) ||
		                        !strcmp(what, mqtt_broker_closed_text);
	mqtt_reason(self, "%s%s", what,
	            no_cert ? " (if the broker requires a client certificate: set certfile and "
	                      "keyfile)"
	                    : "");
}

/* A socket error; those that end an established connection are drops. */
static void mqtt_reason_errno(struct mqtt *self, int err)
{
	const char *text = mqtt_strerror(MOSQ_ERR_ERRNO, err);
	if (err == 0 || err == EPROTO || err == ECONNRESET || err == EPIPE)
		mqtt_reason_dropped(self, text);
	else
		mqtt_reason(self, "%s", text);
}

/* Keep the socket watched exactly while a connection exists; poll for OUT
 * only while libmosquitto has something to write.  The socket changes on
 * every reconnect, and libmosquitto closes it itself on errors: so compare
 * after every call into it. */
void mqtt_sync_watch(struct mqtt *self)
{
	int fd = mqtt_active(self) || self->phase == MQTT_CLOSING ? mosquitto_socket(self->mosq) : -1;
	if (self->watch && self->watch_fd != fd) {
		self->host->watch_remove(self->watch);
		self->watch = NULL;
		mqtt_guard_forget(&self->guard);
	}
	if (fd < 0)
		return;
	bool writing = mqtt_may_write(self);
	bool reading = !(writing && self->out_full) && !self->resting;
	reading = reading || self->phase == MQTT_CONNECTING;
	unsigned events = (reading ? MQC_IO_IN : 0) | (writing ? MQC_IO_OUT : 0);
	if (!self->watch) {
		self->watch = self->host->watch_add(self->inst, fd, events, 0, mqtt_on_io, self);
		self->watch_fd = fd;
		self->watch_events = events;
	} else if (events != self->watch_events) {
		self->host->watch_update(self->watch, events);
		self->watch_events = events;
	}
}

/* ------------------------------------------------------------------------
 * libmosquitto callbacks: record, do not act (see the top of the file)
 * ------------------------------------------------------------------------ */

/* CONNACK refusals that retrying will not cure. */
static bool mqtt_refusal_is_permanent(const struct mqtt *self, int rc)
{
	if (self->cfg.protocol == MQTT_PROTOCOL_V311)
		return rc == CONNACK_REFUSED_PROTOCOL_VERSION ||
		       rc == CONNACK_REFUSED_IDENTIFIER_REJECTED ||
		       rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD ||
		       rc == CONNACK_REFUSED_NOT_AUTHORIZED;
	switch (rc) {
	case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
	case MQTT_RC_CLIENTID_NOT_VALID:
	case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
	case MQTT_RC_NOT_AUTHORIZED:
	case MQTT_RC_BANNED:
	case MQTT_RC_BAD_AUTHENTICATION_METHOD:
		return true;
	default:
		return false;
	}
}

/* OpenSSL's reason in libmosquitto's "OpenSSL Error[0]: error:0A000086:SSL
 * routines::certificate verify failed"; NULL for any other line. */
static const char *mqtt_openssl_reason(const char *text)
{
	static const char prefix[] = "OpenSSL Error";
	if (strncmp(text, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	const char *colon = strrchr(text, ':');
	return colon && colon[1] ? colon + 1 : text;
}

/* libmosquitto's warnings and errors: a TLS failure while connecting
 * becomes the attempt's reason, the rest goes to the log. */
static void mqtt_on_log(struct mosquitto *mosq, void *data, int level, const char *text)
{
	(void)mosq;
	struct mqtt *self = data;
	if (!(level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)))
		return;
	const char *tls_reason = mqtt_openssl_reason(text);
	if (tls_reason && self->phase == MQTT_CONNECTING) {
		/* Said in the line that reports the failed attempt instead. */
		bool wants_cert = strstr(tls_reason, "certificate required") && !self->cfg.certfile;
		mqtt_reason(self, "TLS: %s%s", tls_reason,
		            wants_cert ? " (the broker wants a client certificate: set certfile "
		                         "and keyfile)"
		                       : "");
		return;
	}
	self->host->log(self->inst, MQC_LOG_WARNING, "libmosquitto: %s", text);
}

/* libmosquitto 2.0 formats a debug line for every packet a client with a
 * log callback sends or receives (a malloc, a vsnprintf and a free: about
 * as many instructions as the rest of mosquitto_publish and our own path
 * to it together; bench/README.md),
 * and takes no level to format less.  Its warnings and errors are needed
 * while connecting (a TLS failure is the attempt's reason) and over TLS
 * (OpenSSL's reason when a session fails); a TCP session that fails says
 * why in the return code, so its callback goes once the broker accepted
 * us, until the next attempt. */
static void mqtt_log_while_needed(struct mqtt *self, bool connecting)
{
	bool needed = connecting || self->cfg.tls;
	mosquitto_log_callback_set(self->mosq, needed ? mqtt_on_log : NULL);
}

/* A broker that refuses MQTT 5 (as a 3.1.1 broker answers it: return
 * code 1) is tried again at once with 3.1.1, once.  True when so. */
static bool mqtt_fall_back(struct mqtt *self, int rc)
{
	if (self->cfg.protocol != MQTT_PROTOCOL_V5 || self->fell_back ||
	    (rc != MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION && rc != CONNACK_REFUSED_PROTOCOL_VERSION))
		return false;
	self->fell_back = true;
	self->cfg.protocol = MQTT_PROTOCOL_V311;
	mosquitto_int_option(self->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	self->guard.v5 = false;
	self->host->log(self->inst, MQC_LOG_WARNING,
	                "the broker refused MQTT 5; using 3.1.1 (no will delay, no history "
	                "service)");
	mqtt_reason(self, "the broker refused MQTT 5");
	self->retry_now = true;
	self->lost = true;
	return true;
}

/* CONNACK: subscribes the rooms, or records the refusal. */
static void mqtt_on_connect(struct mosquitto *mosq, void *data, int rc, int flags,
                            const mosquitto_property *props)
{
	(void)mosq;
	struct mqtt *self = data;
	if (self->phase != MQTT_CONNECTING)
		return;
	if (rc != 0 && mqtt_fall_back(self, rc))
		return;
	if (rc != 0) {
		mqtt_reason(self, "refused: %s",
		            self->cfg.protocol == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(rc)
		                                                  : mosquitto_connack_string(rc));
		self->permanent = mqtt_refusal_is_permanent(self, rc);
		self->lost = true;
		return;
	}
	self->session_present = flags & 1;
	self->broker_packet_max = 0;
	if (props)
		(void)mosquitto_property_read_int32(props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
		                                    &self->broker_packet_max, false);
	mqtt_log_while_needed(self, false);
	mqtt_subscribe_rooms(self);
}

/* The connection ended: records why, unless we ended it. */
static void mqtt_on_disconnect(struct mosquitto *mosq, void *data, int rc,
                               const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	int saved_errno = errno;
	struct mqtt *self = data;
	if (!mqtt_active(self))
		return; /* our own DISCONNECT in close(), or an abandoned attempt */
	if (rc == MQTT_RC_SESSION_TAKEN_OVER) {
		/* Two clients with one id knock each other off forever. */
		mqtt_reason(self, "another client connected with the same client id %s",
		            self->client_id);
		self->permanent = true;
	} else if (rc >= 0x80) {
		mqtt_reason(self, "the broker disconnected us: %s", mosquitto_reason_string(rc));
	} else if (rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_CONN_LOST) {
		mqtt_reason_dropped(self, mqtt_broker_closed_text);
	} else {
		mqtt_reason_dropped(self, mqtt_strerror(rc, saved_errno));
	}
	self->lost = true;
}

/* A message: placed by mqtt_receive.c. */
static void mqtt_on_message(struct mosquitto *mosq, void *data,
                            const struct mosquitto_message *msg,
                            const mosquitto_property *props)
{
	(void)mosq;
	struct mqtt *self = data;
	if (!mqtt_active(self))
		return;
	/* libmosquitto queued its acknowledgement: written once stored. */
	if (msg->qos > 0)
		mqtt_hold_acks(self, true);
	mqtt_receive(self, msg, props, false);
}

/* ------------------------------------------------------------------------
 * Connection life cycle
 * ------------------------------------------------------------------------ */

/* 1, 2, 4, ... reconnect_max seconds, minus up to a quarter of jitter so a
 * crowd of clients does not come back in lockstep after a broker restart. */
static uint32_t mqtt_backoff_ms(struct mqtt *self)
{
	unsigned step = self->failures < 20 ? self->failures : 20;
	uint32_t seconds = 1u << step;
	if (seconds > (uint32_t)self->cfg.reconnect_max)
		seconds = (uint32_t)self->cfg.reconnect_max;
	self->failures++;
	uint32_t ms = seconds * 1000u;
	return ms - random_below(ms / 4 + 1);
}

/* Starts connecting; an attempt that fails at once ends here (retried
 * or given up as mqtt_connection_ended() decides). */
static void mqtt_start_attempt(struct mqtt *self)
{
	self->reason[0] = '\0';
	self->closed_silently = false;
	self->permanent = false;
	self->lost = false;
	self->became_up = false;
	self->acks_held = false;
	self->claimed_acks_held = false;
	self->out_full = false;
	self->held_now = 0;
	self->lone_read = false;
	mqtt_quickack_wrote(&self->quickack);
	self->pace = (struct mqtt_pace){0};
	self->resting = false;
	self->host->timer_arm(self->rest_timer, 0);
	mqtt_guard_reset(&self->guard);
	char broker[MQTT_BROKER_NAME_SIZE];
	self->host->log(self->inst, MQC_LOG_DEBUG, "connecting to %s as %s",
	                mqtt_broker_name(broker, mqtt_hosts_current(&self->cfg.brokers)),
	                self->client_id);
	/* Already connecting for the callbacks: the TLS handshake may start,
	 * and fail, inside the call. */
	self->phase = MQTT_CONNECTING;
	mqtt_log_while_needed(self, true);
	/* Returns once connect() is under way or done (see mqtt_connect.c).
	 * It also closes the socket of any earlier attempt. */
	int rc = mqtt_connect_start(self);
	if (rc != MOSQ_ERR_SUCCESS) {
		int err = errno;
		if (rc == MOSQ_ERR_ERRNO && err == EINTR)
			mqtt_reason(self, "no answer within %d s (connect_timeout)",
			            self->cfg.connect_timeout);
		else if (rc == MOSQ_ERR_ERRNO) /* TLS may have run its course in the call */
			mqtt_reason_errno(self, err);
		else
			mqtt_reason(self, "%s", mosquitto_strerror(rc));
		mqtt_connection_ended(self);
		return;
	}
	self->host->timer_arm(self->connect_timer, (uint32_t)self->cfg.connect_timeout * 1000u);
	self->host->timer_arm(self->misc_timer, MQTT_MISC_INTERVAL_MS);
	mqtt_settle(self);
}

/* The attempt failed for good, or every broker did with retry = off. */
static void mqtt_give_up(struct mqtt *self, const char *broker)
{
	const struct mqc_host *host = self->host;
	char detail[1024];
	self->phase = MQTT_FAILED;
	if (self->cfg.brokers.count > 1 && !self->permanent)
		snprintf(detail, sizeof(detail), "cannot connect to any of the %zu brokers of hosts "
		         "(the last, %s: %s)", self->cfg.brokers.count, broker, self->reason);
	else
		snprintf(detail, sizeof(detail), "cannot connect to %s: %s", broker, self->reason);
	host->link_state(self->inst, MQC_LINK_FAILED, detail);
	if (!self->ever_up && !self->cfg.retry && !self->permanent)
		host->log(self->inst, MQC_LOG_INFO, "set retry = on in [%s] to keep trying instead",
		          host->name(self->inst));
}

/* Moves to the next broker: at once while this round has brokers left to
 * try, else after the backoff.  Says so with why the last one ended. */
static void mqtt_try_next(struct mqtt *self, const char *broker, bool was_up, bool was_brief)
{
	bool round_over = self->hosts_failed >= self->cfg.brokers.count;
	uint32_t delay = 1;
	if (round_over) {
		self->hosts_failed = 0;
		if (was_up && !was_brief)
			self->failures = 0;
		delay = mqtt_backoff_ms(self);
	}
	mqtt_hosts_advance(&self->cfg.brokers);
	char next[MQTT_BROKER_NAME_SIZE], when[64] = "";
	mqtt_broker_name(next, mqtt_hosts_current(&self->cfg.brokers));
	if (round_over)
		snprintf(when, sizeof(when), " in %u s", (unsigned)((delay + 500) / 1000));
	/* Only a silent close can be another client taking our id: MQTT 5
	 * brokers say so (SESSION_TAKEN_OVER), errors say what they are.  A
	 * cluster's node closes silently too while another node dies. */
	bool maybe_taken = was_brief && self->closed_silently && self->cfg.brokers.count == 1;
	char detail[1024];
	snprintf(detail, sizeof(detail), "%s %s%s: %s%s; %s%s%s",
	         was_up ? "connection to" : "cannot connect to", broker, was_up ? " lost" : "",
	         self->reason,
	         maybe_taken ? " (soon after connecting: another client with the same client id?)"
	                     : "",
	         self->cfg.brokers.count > 1 ? "trying " : "retrying",
	         self->cfg.brokers.count > 1 ? next : "", when);
	self->host->timer_arm(self->retry_timer, delay);
	self->host->link_state(self->inst, MQC_LINK_DOWN, detail);
}

/* The attempt or the connection is over: give up, or try again (the next
 * broker of hosts). */
static void mqtt_connection_ended(struct mqtt *self)
{
	bool was_up = self->phase == MQTT_UP;
	bool was_brief = was_up && monotonic_ms() - self->up_since_ms < MQTT_STABLE_MS;
	bool ask_again = self->ask_again;
	const struct mqc_host *host = self->host;

	/* libmosquitto acknowledged them: shown, even from an attempt that failed. */
	mqtt_backlog_deliver(&self->backlog, self->inst, host);
	self->phase = MQTT_IDLE; /* no watch from now on (an abandoned socket
	                            stays open until the next attempt closes it) */
	mqtt_sync_watch(self);
	host->timer_arm(self->connect_timer, 0);
	host->timer_arm(self->misc_timer, 0);
	mqtt_reject_unsent_qos0(self);
	mqtt_history_link_down(self);
	mqtt_share_link_down(self);
	if (!self->reason[0])
		snprintf(self->reason, sizeof(self->reason), "connection lost");
	self->ask_again = false;
	if (self->retry_now) { /* with 3.1.1, the same broker: not a failure */
		self->retry_now = false;
		host->timer_arm(self->retry_timer, 1);
		return;
	}
	char broker[MQTT_BROKER_NAME_SIZE];
	mqtt_broker_name(broker, mqtt_hosts_current(&self->cfg.brokers));
	self->hosts_failed++;
	if (self->permanent || (!self->ever_up && !self->cfg.retry && !ask_again &&
	                        self->hosts_failed >= self->cfg.brokers.count))
		mqtt_give_up(self, broker);
	else
		mqtt_try_next(self, broker, was_up, was_brief);
}

/* loop_misc only sends PINGREQ once `keepalive` has passed since the last
 * packet out or in, and drops the link when the PINGRESP is as late.  Checked
 * every keepalive/4, the ping leaves at most 1.25 x keepalive after the last
 * traffic, inside the broker's 1.5 x keepalive limit, and an idle process
 * wakes up a few times a minute instead of every second. */
static uint32_t mqtt_misc_interval_up(const struct mqtt *self)
{
	return (uint32_t)self->cfg.keepalive * 250u;
}

/* The link is up: says where, and whether the broker lost our session. */
static void mqtt_report_up(struct mqtt *self, bool reconnected)
{
	char broker[MQTT_BROKER_NAME_SIZE], detail[1024];
	mqtt_broker_name(broker, mqtt_hosts_current(&self->cfg.brokers));
	snprintf(detail, sizeof(detail), "connected to %s as %s", broker, self->client_id);
	self->host->link_state(self->inst, MQC_LINK_UP, detail);
	bool moved = self->up_broker != self->cfg.brokers.current;
	self->hosts_failed = 0;
	self->up_broker = self->cfg.brokers.current;
	mqtt_share_link_up(self);
	if (!reconnected || !mqtt_session_kept(&self->cfg) || self->session_present)
		return;
	if (moved)
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "%s had no session of ours (brokers that do not share sessions, "
		                "unlike a cluster's nodes): what the room said while we moved "
		                "may be missed", broker);
	else
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "the broker no longer had our session (restarted without "
		                "persistence?): what the room said while we were "
		                "disconnected is lost");
}

/* After every call into libmosquitto: act on what its callbacks recorded. */
static void mqtt_settle(struct mqtt *self)
{
	if (self->became_up) {
		bool reconnected = self->ever_up;
		self->became_up = false;
		self->refusals_asked_again = 0;
		self->up_since_ms = monotonic_ms();
		self->ever_up = true;
		self->host->timer_arm(self->connect_timer, 0);
		self->host->timer_arm(self->misc_timer, mqtt_misc_interval_up(self));
		mqtt_report_up(self, reconnected);
		mqtt_backlog_deliver(&self->backlog, self->inst, self->host);
	}
	if (self->lost) {
		self->lost = false;
		if (mqtt_active(self))
			mqtt_connection_ended(self);
	}
	/* After the core heard we are up: it has sent its join by now, if it
	 * announces (mqtt_presence_saw). */
	mqtt_presence_settle(self);
	/* A callback may have queued packets; the socket may have changed. */
	mqtt_sync_watch(self);
}

/* The error pending on a socket, 0 if none. */
static int mqtt_socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}

/* A connect() that failed shows up as POLLERR/POLLHUP before libmosquitto
 * has anything to read; take the error from the socket itself. */
static bool mqtt_connect_failed(struct mqtt *self, int fd)
{
	int err = mqtt_socket_error(fd);
	if (err == 0)
		return false;
	mqtt_reason_errno(self, err);
	self->lost = true;
	return true;
}

int mqtt_bytes_queued(int fd)
{
	int n = 0;
	return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

/* libmosquitto reads the `fed` bytes the guard checked, through its own
 * descriptor number lent to the guard's end for the time; `*drained`:
 * it read them all, and the connection goes on. */
static int mqtt_read_checked(struct mqtt *self, int fd, const struct mqtt_guard_intake *in,
                             bool *drained)
{
	*drained = false;
	if (!mqtt_guard_lend(&self->guard, fd))
		return MOSQ_ERR_ERRNO;
	int rc = MOSQ_ERR_SUCCESS;
	bool stopped = false; /* the connection is ending: what is left goes */
	int left = (int)in->fed;
	while (left > 0) {
		int before = left;
		rc = mosquitto_loop_read(self->mosq, 1); /* one packet, or what came of it */
		stopped = rc != MOSQ_ERR_SUCCESS || !mqtt_active(self) || self->lost ||
		          mosquitto_socket(self->mosq) != fd;
		if (stopped)
			break;
		/* A read of one packet took all of it: asking how much is left
		 * would cost a system call a message in a calm room. */
		left = in->one_packet ? 0 : mqtt_bytes_queued(fd);
		if (left >= before)
			break; /* reading nothing now: the rest waits in its end */
	}
	mqtt_guard_set_unread(&self->guard, !stopped && left > 0);
	*drained = !stopped && left <= 0;
	mqtt_guard_give_back(&self->guard, fd, mosquitto_socket(self->mosq) != fd, stopped);
	return rc;
}

/* A room's plain messages at the head of what arrived, delivered without
 * libmosquitto (mqtt_guard.h); those at QoS 1 acknowledged once stored. */
static void mqtt_receive_claimed(struct mqtt *self)
{
	struct mqtt_publish p;
	while ((self->phase == MQTT_SUBSCRIBING || self->phase == MQTT_UP) && !self->lost &&
	       mqtt_guard_claim(&self->guard, &p)) {
		if (!mqtt_receive_plain(self, &p) || (p.qos && !mqtt_guard_ack(&self->guard, p.mid))) {
			mqtt_reason_errno(self, ENOMEM);
			self->lost = true;
			return;
		}
		if (p.qos)
			mqtt_hold_acks(self, false);
	}
}

/* Over plain TCP, libmosquitto reads only what mqtt_guard.c checked and
 * did not deliver itself; the result of its reads. */
static int mqtt_read_guarded(struct mqtt *self, int fd)
{
	struct mqtt_guard_intake in;
	if (!mqtt_guard_take(&self->guard, fd, &in)) {
		mqtt_reason_errno(self, errno);
		self->lost = true;
		return MOSQ_ERR_NOMEM;
	}
	int rc = MOSQ_ERR_SUCCESS;
	/* Plain messages claimed, the packets between them read by
	 * libmosquitto, in turn; fed again while its end had no room for all
	 * (a big packet). */
	bool drained = true;
	mqtt_receive_claimed(self);
	while (drained && mqtt_active(self) && !self->lost && mosquitto_socket(self->mosq) == fd &&
	       mqtt_guard_feed(&self->guard, &in)) {
		rc = mqtt_read_checked(self, fd, &in, &drained);
		if (drained)
			mqtt_receive_claimed(self);
	}
	if (in.why[0]) {
		mqtt_reason(self, "the broker sent a %s", in.why);
		self->lost = true;
		return rc;
	}
	if (rc != MOSQ_ERR_SUCCESS || !in.ended || !mqtt_active(self) || self->lost)
		return rc;
	/* The broker hung up (or the socket failed): libmosquitto reads the
	 * end itself and reports the lost connection as always. */
	rc = mosquitto_loop_read(self->mosq, 1);
	if (in.err) {
		mqtt_reason_errno(self, in.err);
		self->lost = self->lost || rc == MOSQ_ERR_NOMEM;
	}
	return rc;
}

/* libmosquitto reads one packet per call at QoS 0: what has already
 * arrived is taken now, not after one more poll() per message. */
static int mqtt_read_arrived(struct mqtt *self, int fd)
{
	if (self->guard.on)
		return mqtt_read_guarded(self, fd);
	int rc = mosquitto_loop_read(self->mosq, 1);
	for (int i = 1; i < MQTT_READ_BURST && rc == MOSQ_ERR_SUCCESS && mqtt_active(self) &&
	                mosquitto_socket(self->mosq) == fd && mqtt_bytes_queued(fd) > 0;
	     i++)
		rc = mosquitto_loop_read(self->mosq, 1);
	return rc;
}

/* A read or write that failed with the socket gone, without a disconnect
 * callback: the connection was closed. */
static void mqtt_note_closed(struct mqtt *self, int rc)
{
	if (rc != MOSQ_ERR_SUCCESS && mqtt_active(self) && !self->lost &&
	    mosquitto_socket(self->mosq) < 0) {
		mqtt_reason_dropped(self, mqtt_strerror(rc, errno));
		self->lost = true;
	}
}

/*
 * Three queues share the socket: libmosquitto's, our QoS 0 publishes
 * (mqtt_direct.h) and the guard's acknowledgements.  Ours are queued only
 * while libmosquitto's is empty (mqtt_send.c), so they come before all it
 * queues after them, and leave first: libmosquitto writes only once they
 * are gone.  Acknowledgements may leave between any two packets, but a
 * packet cut short by a full socket must be finished before any other.
 */

/* Our publishes, unless an acknowledgement was cut short. */
static bool mqtt_direct_may_write(const struct mqtt *self)
{
	return mqtt_direct_waiting(&self->direct) && !mqtt_guard_acks_cut(&self->guard);
}

/* libmosquitto's queue, unless it holds an acknowledgement of a message
 * not stored yet, or ours wait: they go first. */
static bool mqtt_lib_may_write(const struct mqtt *self)
{
	return !self->acks_held && !mqtt_guard_acks_cut(&self->guard) &&
	       !mqtt_direct_waiting(&self->direct) && mosquitto_want_write(self->mosq);
}

/* The acknowledgements of claimed messages, once stored, and once the
 * other queues are empty (or when one of them was cut short). */
static bool mqtt_acks_may_write(const struct mqtt *self)
{
	return !self->claimed_acks_held && mqtt_guard_acks_waiting(&self->guard) &&
	       (mqtt_guard_acks_cut(&self->guard) ||
	        (!mosquitto_want_write(self->mosq) && !mqtt_direct_waiting(&self->direct)));
}

bool mqtt_may_write(const struct mqtt *self)
{
	return mqtt_direct_may_write(self) || mqtt_lib_may_write(self) ||
	       mqtt_acks_may_write(self);
}

static unsigned mqtt_ack_window(const struct mqtt *self)
{
	return self->cfg.protocol == MQTT_PROTOCOL_V5 ? MQTT_RECEIVE_MAXIMUM : MQTT_V311_WINDOW;
}

void mqtt_hold_acks(struct mqtt *self, bool by_libmosquitto)
{
	/* Once per wait, and again when it has to be soon: libmosquitto
	 * queued the acknowledgement ahead of what we say next, or half the
	 * broker's window waits for it (the core's groups may be larger than
	 * that: ARCHIVE_GROUP_MAX in core/archive.h). */
	bool asked = self->acks_held || (self->claimed_acks_held && !by_libmosquitto);
	self->held_now++;
	bool half_window = self->held_now == mqtt_ack_window(self) / 2;
	if (!asked || half_window)
		self->host->notify_stored(self->inst, by_libmosquitto || half_window);
	if (by_libmosquitto)
		self->acks_held = true;
	else
		self->claimed_acks_held = true;
}

void mqtt_stored(void *data)
{
	struct mqtt *self = data;
	self->acks_held = false;
	self->claimed_acks_held = false;
	self->held_now = 0;
	mqtt_write(self);
}

/* A write of ours to the socket failed: the connection is lost. */
static void mqtt_write_failed(struct mqtt *self)
{
	mqtt_reason_errno(self, errno);
	self->lost = true;
}

/* Writes what may leave (mqtt_may_write): our publishes, libmosquitto's
 * packets, then our acknowledgements.  The result of libmosquitto's
 * write. */
int mqtt_write_out(struct mqtt *self, int fd)
{
	int rc = MOSQ_ERR_SUCCESS;
	bool ours = fd >= 0 && mosquitto_socket(self->mosq) == fd;
	mqtt_quickack_wrote(&self->quickack); /* TCP may delay its ACKs again */
	if (ours && mqtt_direct_may_write(self)) {
		/* The socket itself, should libmosquitto be reading through `fd`. */
		if (!mqtt_direct_write(&self->direct, mqtt_guard_socket(&self->guard, fd)))
			mqtt_write_failed(self);
		mqtt_answer_written(self);
	}
	if (mqtt_lib_may_write(self))
		rc = mosquitto_loop_write(self->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && ours && mqtt_acks_may_write(self) &&
	    !mqtt_guard_write_acks(&self->guard, fd))
		mqtt_write_failed(self);
	self->out_full = mqtt_may_write(self);
	return rc;
}

void mqtt_write(struct mqtt *self)
{
	if (mqtt_active(self))
		mqtt_note_closed(self, mqtt_write_out(self, mosquitto_socket(self->mosq)));
	mqtt_settle(self);
}

/* After a read, when nothing of ours leaves this round to carry TCP's
 * ACK of it: the ACK leaves at once (mqtt_cork.c says why) if the read
 * brought the broker's answers to our requests (in a wait for history,
 * only in a calm room), or, in a calm room, a message whose
 * acknowledgement waits for history: the broker's Nagle would hold the
 * next message until the wait ends, and the wait goes on while messages
 * keep coming (archive.c).  Calm: this read and the last that brought
 * such messages brought one each.  In a busy room the broker gathers what
 * follows while we wait, and a read brings several; ACKed at each wait's
 * start whatever it brought, it sent each message alone and the room ran
 * at half its rate (bench/README.md, "A calm room's ACK").  A stream
 * answered one message at a time (a bot, the bench's latency rows) is
 * calm however fast: the broker has nothing to gather.  Such messages'
 * read ACKed, the broker does not wait for their write, which the core
 * may then put off longer (host->notify_peer_waiting), with MQTT 5 only:
 * our Receive Maximum binds the broker, while with 3.1.1 its own limit
 * on messages in flight (mosquitto's max_inflight_messages, 1 to keep
 * them in order) may make it wait for our PUBACKs whatever TCP says. */
static void mqtt_ack_read(struct mqtt *self, int fd, unsigned brought)
{
	bool waiting = self->acks_held || self->claimed_acks_held;
	bool ack;
	if (brought) {
		ack = brought == 1 && self->lone_read;
		self->lone_read = brought == 1;
		self->host->notify_peer_waiting(
			self->inst, !ack || self->cfg.protocol != MQTT_PROTOCOL_V5);
	} else {
		ack = self->heard_answers && (!waiting || self->lone_read);
	}
	if (ack && !mqtt_may_write(self))
		(void)mqtt_quickack_now(&self->quickack, fd, self->cfg.tls);
}

/* After a read that brought `brought` messages, `held` of them waiting
 * for the core's write to be acknowledged: the socket is left unread for
 * a while in a flood of held messages, which are stored and acknowledged
 * at once first, or when messages come close together (mqtt_pace.h). */
static void mqtt_pace_read(struct mqtt *self, unsigned brought, unsigned held)
{
	if (self->phase != MQTT_UP)
		return;
	uint64_t now_us = monotonic_us();
	uint32_t rest_ms = mqtt_pace_after_held_read(&self->pace, now_us, brought, held,
	                                             mqtt_ack_window(self) / 2);
	if (rest_ms) {
		self->host->notify_stored(self->inst, true);
	} else {
		unsigned target = self->cfg.qos ? mqtt_ack_window(self) / 4 : MQTT_READ_BURST;
		rest_ms = mqtt_pace_after_read(&self->pace, now_us, brought, target);
	}
	if (rest_ms) {
		self->resting = true;
		self->host->timer_arm(self->rest_timer, rest_ms);
	}
}

void mqtt_on_rest_timer(void *data)
{
	struct mqtt *self = data;
	self->resting = false;
	mqtt_settle(self);
}

/* The socket is ready: writes, reads, and notices a dead connection. */
static void mqtt_on_io(void *data, int fd, unsigned revents)
{
	struct mqtt *self = data;
	if (fd != self->watch_fd || !mqtt_active(self))
		return;
	if ((revents & (MQC_IO_ERR | MQC_IO_HUP)) && self->phase == MQTT_CONNECTING &&
	    mqtt_connect_failed(self, fd)) {
		mqtt_settle(self);
		return;
	}
	int rc = MOSQ_ERR_SUCCESS;
	/* Writes first: what this round's reads queue waits for the next. */
	if (revents & MQC_IO_OUT)
		rc = mqtt_write_out(self, fd);
	if (rc == MOSQ_ERR_SUCCESS && (revents & (MQC_IO_IN | MQC_IO_ERR | MQC_IO_HUP)) &&
	    mqtt_active(self) && mosquitto_socket(self->mosq) == fd) {
		unsigned held_before = self->held_now;
		unsigned read_before = self->messages_read;
		self->heard_answers = false;
		rc = mqtt_read_arrived(self, fd);
		if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(self->mosq) == fd) {
			unsigned held = self->held_now - held_before;
			mqtt_ack_read(self, fd, held);
			mqtt_pace_read(self, self->messages_read - read_before, held);
		}
	}
	mqtt_note_closed(self, rc);
	if ((revents & (MQC_IO_ERR | MQC_IO_HUP)) && mqtt_active(self) && !self->lost &&
	    mosquitto_socket(self->mosq) == fd) {
		/* Dead socket libmosquitto did not notice: a peer that hangs up
		 * during the TLS handshake leaves loop_read returning success,
		 * and poll() would report the hang-up again at once, forever. */
		int err = mqtt_socket_error(fd);
		if (err)
			mqtt_reason_errno(self, err);
		else
			mqtt_reason_dropped(self, mqtt_broker_closed_text);
		self->lost = true;
	}
	mqtt_settle(self);
}

void mqtt_on_misc_timer(void *data)
{
	struct mqtt *self = data;
	if (!mqtt_active(self))
		return;
	/* Sends PINGREQ when due and notices an unanswered one. */
	mosquitto_loop_misc(self->mosq);
	mqtt_settle(self);
}

void mqtt_on_connect_timer(void *data)
{
	struct mqtt *self = data;
	if (self->phase != MQTT_CONNECTING && self->phase != MQTT_SUBSCRIBING)
		return;
	mqtt_reason(self, "no answer within %d s (connect_timeout)", self->cfg.connect_timeout);
	mqtt_connection_ended(self);
}

void mqtt_on_retry_timer(void *data)
{
	struct mqtt *self = data;
	if (self->phase == MQTT_IDLE)
		mqtt_start_attempt(self);
}

void mqtt_on_uncork_timer(void *data)
{
	mqtt_write(data);
	mqtt_uncork(data);
}

void mqtt_link_callbacks_set(struct mqtt *self)
{
	mosquitto_connect_v5_callback_set(self->mosq, mqtt_on_connect);
	mosquitto_subscribe_v5_callback_set(self->mosq, mqtt_on_subscribe);
	mosquitto_disconnect_v5_callback_set(self->mosq, mqtt_on_disconnect);
	mosquitto_message_v5_callback_set(self->mosq, mqtt_on_message);
	mosquitto_unsubscribe_v5_callback_set(self->mosq, mqtt_on_unsubscribe);
}
