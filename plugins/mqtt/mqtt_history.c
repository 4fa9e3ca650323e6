/* SPDX-License-Identifier: MIT */
/*
 * History for late joiners (mqtt_history.h): the history topics of each
 * room, subscribed once its own subscriptions are acknowledged; our one
 * request per room and connection, its answers handed to the core and its
 * time limit; and, as a service, the answers to others' requests.
 *
 * Everything a peer sends is hostile: a request is answered only when its
 * payload, response topic and correlation data are all as they must be,
 * and an answer is taken only for a request still waiting, with its
 * correlation data, within the caps.
 */
#include "mqtt.h"

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "mqtt_history_wire.h"
#include "random.h"

/* A request with no end marker by then is forgotten. */
#define HISTORY_WAIT_MS 10000
/* The most bytes of answers taken for one request. */
#define HISTORY_MAX_TAKEN_BYTES (512 * 1024)
/* Services share the requests of a room: each is answered once. */
#define HISTORY_SHARE "$share/mqchat-history/"

static struct mqtt_history_room *history_find(struct mqtt_history *h, const char *room)
{
	struct mqtt_history_room *r = h->rooms;
	while (r && strcmp(r->room, room))
		r = r->next;
	return r;
}

/* Unlinks and frees `r`. */
static void history_remove(struct mqtt_history *h, struct mqtt_history_room *r)
{
	struct mqtt_history_room **at = &h->rooms;
	while (*at != r)
		at = &(*at)->next;
	*at = r->next;
	free(r->room);
	free(r->answer_topic);
	free(r);
}

/* A new entry for `room`, zeroed but for its name; NULL when out of memory. */
static struct mqtt_history_room *history_add(struct mqtt_history *h, const char *room)
{
	struct mqtt_history_room *r = calloc(1, sizeof(*r));
	if (!r || !(r->room = strdup(room))) {
		free(r);
		return NULL;
	}
	r->next = h->rooms;
	h->rooms = r;
	return r;
}

/* $share/mqchat-history/ROOM/history/req, malloc'd; NULL when out of
 * memory. */
static char *history_share_topic(const char *room)
{
	char *topic;
	return asprintf(&topic, HISTORY_SHARE "%s/history/req", room) >= 0 ? topic : NULL;
}

/* Subscribes `topic` (NULL: out of memory) at QoS 1, its SUBACK's mid in
 * *mid: false after a warning. */
static bool history_subscribe(struct mqtt *self, const char *room, char *topic, int *mid)
{
	int rc = topic ? mosquitto_subscribe_multiple(self->mosq, mid, 1, &topic, 1, 0, NULL)
	               : MOSQ_ERR_NOMEM;
	if (rc == MOSQ_ERR_SUCCESS) {
		mqtt_cork(self); /* written at the round's end (mqtt_cork.c) */
		return true;
	}
	self->host->log(self->inst, MQC_LOG_WARNING, "no history in %s on this connection: %s",
	                room, mqtt_strerror(rc, errno));
	return false;
}

/* Takes our share of `r`'s requests, as a service.  Our own request may
 * come to us too: we then answer it from what we know, as the only
 * service of a room must (waiting for it to end first would leave the
 * room without one for as long). */
static void history_serve_start(struct mqtt *self, struct mqtt_history_room *r)
{
	if (!self->cfg.history_service || r->serving)
		return;
	char *share = history_share_topic(r->room);
	r->serving = history_subscribe(self, r->room, share, &r->serve_mid);
	free(share);
}

void mqtt_history_init(struct mqtt *self)
{
	self->history = (struct mqtt_history){0};
}

void mqtt_history_free(struct mqtt *self)
{
	struct mqtt_history *h = &self->history;
	if (h->timer)
		self->host->timer_remove(h->timer);
	while (h->rooms)
		history_remove(h, h->rooms);
	h->timer = NULL;
}

/* ------------------------------------------------------------------------
 * Our requests
 * ------------------------------------------------------------------------ */

/* The timer set for the earliest deadline of a request still waiting. */
static void history_arm(struct mqtt *self)
{
	struct mqtt_history *h = &self->history;
	uint64_t next = 0;
	for (const struct mqtt_history_room *r = h->rooms; r; r = r->next)
		if (r->waiting && (!next || r->deadline_ms < next))
			next = r->deadline_ms;
	if (!h->timer)
		return;
	uint64_t now = monotonic_ms();
	self->host->timer_arm(h->timer, !next ? 0 : next <= now ? 1 : (uint32_t)(next - now));
}

/* No end marker in time: the services are gone, busy, or there are none.
 * Quietly: history is a courtesy, and the core replays its own. */
static void history_on_timer(void *data)
{
	struct mqtt *self = data;
	uint64_t now = monotonic_ms();
	for (struct mqtt_history_room *r = self->history.rooms; r; r = r->next) {
		if (!r->waiting || r->deadline_ms > now)
			continue;
		r->waiting = false;
		self->host->log(self->inst, MQC_LOG_DEBUG,
		                "no end to the history request in %s within %d s (%zu answer(s) "
		                "taken): forgotten", r->room, HISTORY_WAIT_MS / 1000, r->answers);
	}
	history_arm(self);
}

/* Publishes our request for room `r`, answers to its answer topic: false
 * after saying why in the debug log. */
static bool history_ask(struct mqtt *self, struct mqtt_history_room *r, size_t last)
{
	const struct mqc_host *host = self->host;
	if (!self->history.timer)
		self->history.timer = host->timer_add(self->inst, 0, false, history_on_timer, self);
	char payload[MQTT_HISTORY_PAYLOAD_SIZE];
	size_t len = mqtt_history_request_payload(payload, last);
	char *topic = NULL;
	mosquitto_property *props = NULL;
	int rc = MOSQ_ERR_NOMEM;
	random_bytes(r->correlation, sizeof r->correlation);
	if (self->history.timer &&
	    asprintf(&topic, "%s/history/req", r->room) >= 0 &&
	    mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, r->answer_topic) ==
	            MOSQ_ERR_SUCCESS &&
	    mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, r->correlation,
	                                  sizeof r->correlation) == MOSQ_ERR_SUCCESS)
		rc = mosquitto_publish_v5(self->mosq, NULL, topic, (int)len, payload, 1, false, props);
	int saved_errno = errno;
	mosquitto_property_free_all(&props);
	free(topic);
	if (rc != MOSQ_ERR_SUCCESS) {
		host->log(self->inst, MQC_LOG_DEBUG, "cannot ask for the history of %s: %s", r->room,
		          mqtt_strerror(rc, saved_errno));
		return false;
	}
	r->waiting = true;
	r->answers = r->bytes = r->ignored = 0;
	r->max_answers = last < SIZE_MAX ? last + 1 : last;
	r->deadline_ms = monotonic_ms() + HISTORY_WAIT_MS;
	history_arm(self);
	host->log(self->inst, MQC_LOG_DEBUG, "asked for the last %zu messages of %s", last,
	          r->room);
	return true;
}

/* Whether the correlation data of `props` is that of `r`'s request. */
static bool history_ours(const struct mqtt_history_room *r, const mosquitto_property *props)
{
	void *data = NULL;
	uint16_t len = 0;
	if (!mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &len, false))
		return false;
	bool ours = len == sizeof r->correlation && !memcmp(data, r->correlation, len);
	free(data);
	return ours;
}

/* A message on our answer topic of room `r`: a message of the history for
 * the core, or the end marker; anything else is dropped. */
static void history_take(struct mqtt *self, struct mqtt_history_room *r,
                         const struct mosquitto_message *msg, const mosquitto_property *props)
{
	const struct mqc_host *host = self->host;
	if (!r->waiting || !history_ours(r, props)) {
		host->log(self->inst, MQC_LOG_DEBUG, "an answer on %s to no request waiting: dropped",
		          msg->topic);
		return;
	}
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	uint64_t count;
	if (mqtt_history_parse_end(msg->payload, len, &count)) {
		r->waiting = false;
		history_arm(self);
		host->log(self->inst, MQC_LOG_DEBUG,
		          "the history of %s: %zu message(s) taken, %zu over the caps ignored; the "
		          "service said %llu", r->room, r->answers, r->ignored,
		          (unsigned long long)count);
		return;
	}
	if (r->answers >= r->max_answers || len > HISTORY_MAX_TAKEN_BYTES - r->bytes) {
		r->ignored++;
		return;
	}
	r->answers++;
	r->bytes += len;
	/* History is never proved: whoever answered, not its sender, sent it. */
	const char *proved = self->cfg.verify ? "" : NULL;
	if (MQC_HOST_HAS(host, receive_payload))
		host->receive_payload(self->inst, r->room, "", proved, msg->payload, len,
		                      MQC_MSG_HISTORY);
}

/* ------------------------------------------------------------------------
 * The service
 * ------------------------------------------------------------------------ */

/* One answer being sent: where, with what correlation, how much so far. */
struct history_answer {
	struct mqtt *self;
	const char *topic;
	const mosquitto_property *props; /* the correlation data */
	size_t count, bytes;
	bool stopped; /* the byte cap reached, or the client refused */
};

/* host->history_query()'s callback (messages and actions only, never
 * joins and leaves): one message of the answer. */
static void history_send_one(void *data, const struct mqc_message *msg)
{
	struct history_answer *a = data;
	struct mqtt *self = a->self;
	size_t len = 0;
	const char *payload = a->stopped ? NULL : self->host->encode(self->inst, "json", msg, &len);
	if (!payload)
		return;
	if (len > MQTT_HISTORY_MAX_ANSWER_BYTES - a->bytes ||
	    mosquitto_publish_v5(self->mosq, NULL, a->topic, (int)len, payload, 1, false,
	                         a->props) != MOSQ_ERR_SUCCESS) {
		a->stopped = true;
		return;
	}
	a->count++;
	a->bytes += len;
}

/* The request's response topic and correlation data, each checked: false
 * (nothing to free) when either is missing or not as it must be. */
static bool history_reply_to(const char *room, const mosquitto_property *props, char **topic,
                             mosquitto_property **corr)
{
	void *data = NULL;
	uint16_t len = 0;
	*topic = NULL;
	*corr = NULL;
	(void)mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, topic, false);
	(void)mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &len, false);
	bool ok = *topic && mqtt_history_response_topic_ok(room, *topic) && data && len > 0 &&
	          len <= MQTT_HISTORY_MAX_CORRELATION &&
	          mosquitto_property_add_binary(corr, MQTT_PROP_CORRELATION_DATA, data, len) ==
	                  MOSQ_ERR_SUCCESS;
	free(data);
	if (!ok) {
		free(*topic);
		mosquitto_property_free_all(corr);
	}
	return ok;
}

/* A request in `room`: the messages it asks for, then the end marker, all
 * at QoS 1 to its response topic with its correlation data. */
static void history_serve(struct mqtt *self, const char *room,
                          const struct mosquitto_message *msg, const mosquitto_property *props)
{
	const struct mqc_host *host = self->host;
	struct mqtt_history_ask ask;
	struct history_answer a = {.self = self};
	char *topic;
	mosquitto_property *corr;
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	if (!mqtt_history_parse_request(msg->payload, len, &ask) ||
	    !history_reply_to(room, props, &topic, &corr)) {
		host->log(self->inst, MQC_LOG_DEBUG,
		          "a history request in %s without a valid payload, response topic and "
		          "correlation data: ignored", room);
		return;
	}
	a.topic = topic;
	a.props = corr;
	mqtt_cork(self); /* written at the round's end (mqtt_cork.c) */
	if (MQC_HOST_HAS(host, history_query))
		host->history_query(self->inst, room, ask.since_ms, ask.max, history_send_one, &a);
	char end[MQTT_HISTORY_PAYLOAD_SIZE];
	size_t end_len = mqtt_history_end_payload(end, a.count);
	int rc = mosquitto_publish_v5(self->mosq, NULL, topic, (int)end_len, end, 1, false, corr);
	host->log(self->inst, MQC_LOG_DEBUG, "answered a history request in %s with %zu message(s)%s",
	          room, a.count, rc != MOSQ_ERR_SUCCESS ? " and no end" : "");
	free(topic);
	mosquitto_property_free_all(&corr);
}

/* ------------------------------------------------------------------------
 * The link and join code's calls
 * ------------------------------------------------------------------------ */

bool mqtt_history_message(struct mqtt *self, const struct mosquitto_message *msg,
                          const mosquitto_property *props)
{
	/* A room's own topic is the room's, whatever its name. */
	if (!msg->topic || mqtt_rooms_find(&self->rooms, msg->topic) >= 0)
		return false;
	for (size_t i = 0; i < self->rooms.n; i++) {
		const char *room = self->rooms.v[i].name;
		enum mqtt_history_topic kind = mqtt_history_topic_kind(room, msg->topic);
		if (kind == MQTT_HISTORY_OTHER)
			continue;
		struct mqtt_history_room *r = history_find(&self->history, room);
		if (kind == MQTT_HISTORY_REQUEST && r && self->cfg.history_service)
			history_serve(self, room, msg, props);
		else if (kind == MQTT_HISTORY_ANSWER && r && r->answer_topic &&
		         !strcmp(r->answer_topic, msg->topic))
			history_take(self, r, msg, props);
		else
			self->host->log(self->inst, MQC_LOG_DEBUG,
			                "a message on %s, for no history request or service of ours: "
			                "dropped", msg->topic);
		return true;
	}
	return false;
}

/* What to do in a room on this connection: answer requests, ask (the last
 * `*last` messages). */
static bool history_roles(struct mqtt *self, bool *serve, size_t *last)
{
	const struct mqc_host *host = self->host;
	if (self->cfg.protocol != MQTT_PROTOCOL_V5 ||
	    (MQC_HOST_HAS(host, quiet) && host->quiet(self->inst)))
		return false;
	*serve = self->cfg.history_service;
	*last = MQC_HOST_HAS(host, replay_count) ? host->replay_count(self->inst) : 0;
	return *serve || *last;
}

void mqtt_history_room_ready(struct mqtt *self, const char *room)
{
	bool serve;
	size_t last;
	if (!history_roles(self, &serve, &last) || history_find(&self->history, room))
		return; /* once a room and connection */
	struct mqtt_history_room *r = history_add(&self->history, room);
	if (!r) {
		self->host->log(self->inst, MQC_LOG_WARNING,
		                "no history in %s on this connection: out of memory", room);
		return;
	}
	if (last) {
		r->answer_topic = mqtt_history_answer_topic(room, self->cfg.username, self->client_id);
		if (!history_subscribe(self, room, r->answer_topic, &r->sub_mid)) {
			history_remove(&self->history, r);
			return;
		}
		/* The broker reads a client's packets in order: the answer topic
		 * is subscribed before our request is routed to any service. */
		(void)history_ask(self, r, last);
	}
	history_serve_start(self, r);
}

void mqtt_history_room_parted(struct mqtt *self, const char *room)
{
	struct mqtt_history_room *r = history_find(&self->history, room);
	if (!r)
		return;
	char *share = r->serving ? history_share_topic(room) : NULL;
	char *topics[2];
	int n = 0;
	if (share)
		topics[n++] = share;
	if (r->answer_topic)
		topics[n++] = r->answer_topic;
	if (n)
		(void)mosquitto_unsubscribe_multiple(self->mosq, NULL, n, topics, NULL);
	free(share);
	history_remove(&self->history, r);
	history_arm(self);
}

bool mqtt_history_owns_mid(const struct mqtt *self, int mid)
{
	for (const struct mqtt_history_room *r = self->history.rooms; r; r = r->next)
		if ((r->sub_mid && r->sub_mid == mid) || (r->serve_mid && r->serve_mid == mid))
			return true;
	return false;
}

void mqtt_history_link_down(struct mqtt *self)
{
	while (self->history.rooms)
		history_remove(&self->history, self->history.rooms);
	history_arm(self);
}
