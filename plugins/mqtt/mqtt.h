/* SPDX-License-Identifier: MIT */
/*
 * The mqtt backend's shared state.  Files:
 *   mqtt.c          the plugin interface: open, close, publish
 *   mqtt_link.c     the connection: attempts, backoff, socket watch, callbacks
 *   mqtt_reason.c   why an attempt or a connection ends, in words
 *   mqtt_join.c     rooms: join, part, their subscriptions on each connection
 *   mqtt_rooms.c    a list of rooms;  mqtt_topic.c  what a room's topic must be
 *   mqtt_connect.c  one attempt's CONNECT: Last Will, session, opening the socket
 *   mqtt_hosts.c    the brokers (`hosts`): which one now, the next on failure
 *   mqtt_tls.c      TLS options
 *   mqtt_backlog.c  messages held until the subscription is confirmed
 *   mqtt_acks.c     which publish is which token, and telling the core
 *   mqtt_cork.c     a round's publishes corked into few TCP segments; the
 *                   broker's acknowledgements ACKed at once
 *   mqtt_quickack.c that ACK asked of the kernel only when it would wait
 *   mqtt_inflight.c which message id is which core token
 *   mqtt_direct.c   a room's QoS 0 publishes, written without libmosquitto
 *   mqtt_guard.c    what the broker sends, checked before libmosquitto reads it;
 *                   plain messages claimed, and their acknowledgements
 *   mqtt_packet_check.c  the check of one packet
 *   mqtt_publish_wire.c  a room's plain PUBLISH, read without libmosquitto
 *   mqtt_config.c   the [mqtt] keys; mqtt_client_id.c  the default client id
 *   mqtt_receive.c  a message from the broker, placed by its topic
 *   mqtt_meta.c     a room's other topics (presence, verified, private), built and read
 *   mqtt_presence.c ours and others' presence; its payload mqtt_presence_wire.c, its
 *                   list mqtt_presence_table.c
 *   mqtt_send.c     publishing: tracked, and under verify;  mqtt_private.c  /msg
 *   mqtt_history.c  history for late joiners: requests and the service
 *   mqtt_share.c    whether the broker delivers through $share (share = GROUP)
 *
 * Everything runs on the core's one thread.  libmosquitto is driven by the
 * core's poll() loop: no thread, no mosquitto_loop() (see mqtt_link.c).
 */
#ifndef MQTT_H
#define MQTT_H

#include <mqchat/plugin.h>

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt_backlog.h"
#include "mqtt_config.h"
#include "mqtt_direct.h"
#include "mqtt_guard.h"
#include "mqtt_history.h"
#include "mqtt_inflight.h"
#include "mqtt_pace.h"
#include "mqtt_presence.h"
#include "mqtt_quickack.h"
#include "mqtt_rooms.h"
#include "mqtt_share.h"

enum mqtt_phase {
	MQTT_IDLE,        /* no connection: waiting for the retry timer */
	MQTT_CONNECTING,  /* socket (being) opened, CONNECT sent, awaiting CONNACK */
	MQTT_SUBSCRIBING, /* CONNACK accepted, awaiting the rooms' SUBACKs */
	MQTT_UP,          /* subscribed: messages flow */
	MQTT_FAILED,      /* gave up: the core is exiting */
	MQTT_CLOSING,     /* inside close() */
};

struct mqtt {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct mqtt_config cfg;
	char *client_id;
	int lock_fd; /* holds the client id's slot; -1 if none */
	struct mosquitto *mosq;

	struct mqc_watch *watch;
	int watch_fd;
	unsigned watch_events;
	struct mqc_timer *misc_timer;    /* loop_misc: keepalive, retries */
	struct mqc_timer *connect_timer; /* bounds one attempt */
	struct mqc_timer *retry_timer;   /* next attempt */
	struct mqc_timer *uncork_timer;  /* at the end of a round of publishes */
	struct mqc_timer *rest_timer;    /* ends a rest of the socket (mqtt_pace.h) */
	int corked_fd;                   /* -1: not corked */
	int publishing_fd;               /* -1: nothing published this round */

	enum mqtt_phase phase;
	bool ever_up;         /* retry=off only concerns the first connection */
	unsigned failures;    /* rounds of attempts since the last stable connection */
	size_t hosts_failed;  /* brokers failed in a row in this round (mqtt_hosts.h) */
	size_t up_broker;     /* the broker of the last connection up */
	uint64_t up_since_ms; /* when the link last came up */
	struct mqtt_rooms rooms;  /* joined; the first is cfg.topic until parted */
	struct mqtt_rooms strays; /* topics unsubscribed on this connection */

	/* Recorded by libmosquitto callbacks, acted on by mqtt_settle(). */
	bool became_up;
	bool lost;
	bool permanent;   /* retrying cannot help (credentials, ACL, taken over) */
	bool session_present; /* the broker resumed our session (CONNACK) */
	bool closed_silently; /* the reason is a close without DISCONNECT or error */
	bool fell_back;   /* the broker refused MQTT 5: 3.1.1 from then on */
	bool retry_now;   /* the next attempt starts at once (the fall back) */
	bool ask_again;   /* a refusal that may pass: tried again, even with retry = off */
	unsigned refusals_asked_again; /* in a row since the link was last up (mqtt_join.c) */
	char reason[256]; /* why the current attempt or connection ended */

	struct mqtt_backlog backlog; /* received before the link was reported up */
	struct mqtt_inflight inflight;
	struct mqtt_guard guard;
	struct mqtt_direct direct; /* QoS 0 publishes we write ourselves */
	/* The broker's Maximum Packet Size (MQTT 5 CONNACK); 0: none said. */
	uint32_t broker_packet_max;
	/* Acknowledgements of messages handed to the core (QoS 1/2) wait
	 * until the core has stored them (plugin.h, `stored`): those
	 * libmosquitto queued (then it writes nothing), and the guard's of
	 * claimed messages (then libmosquitto's publishes still leave). */
	bool acks_held;
	bool claimed_acks_held;
	/* The socket took less than all we wrote: nothing more is read until
	 * it took the rest, so that a broker that does not read what we send
	 * cannot have us queue acknowledgements without end. */
	bool out_full;
	/* The broker answered requests of ours in this read (PUBACK, SUBACK,
	 * UNSUBACK): nothing of ours answers that, so the ACK waits. */
	bool heard_answers;
	struct mqtt_quickack quickack; /* when the ACK must be asked for */
	/* Messages whose acknowledgements wait for history, in this wait; the
	 * last read that brought such messages brought one (mqtt_ack_read). */
	unsigned held_now;
	bool lone_read;
	/* A busy stream read in batches (mqtt_pace.h): the messages handed
	 * on so far, and whether the socket is left unread for now. */
	struct mqtt_pace pace;
	unsigned messages_read;
	bool resting;
	char *claimed_topic; /* a claimed message's topic, with its NUL */
	size_t claimed_topic_cap;

	struct mqtt_presence presence; /* ours and others' (mqtt_presence.h) */
	struct mqtt_history history;   /* for late joiners (mqtt_history.h) */
	struct mqtt_share share_probe; /* does the broker honour $share? (mqtt_share.h) */
	bool warned_private;  /* private without verify: said once */
	bool warned_classroom; /* verify under 3.1.1: said once */
};

/* mqtt_cork.c (the timer `uncork_timer` at a round's end, added by
 * mqtt.c, calls mqtt_on_uncork_timer) */
/* Holds this round's publishes back until its end, to leave together. */
void mqtt_cork(struct mqtt *self);
/* Lets them go now (the round's end does it otherwise). */
void mqtt_uncork(struct mqtt *self);

/* mqtt_join.c */
/* CONNACK accepted: subscribes every room; the link is up at once with no
 * room.  Records why if it cannot (lost). */
void mqtt_subscribe_rooms(struct mqtt *self);
/* libmosquitto's subscribe callback: SUBACKs, the link up once every room
 * has one; refusals recorded, or logged (see mqtt_join.c). */
void mqtt_on_subscribe(struct mosquitto *mosq, void *data, int mid, int count,
                       const int *granted, const mosquitto_property *props);
/* Whether a message on `topic` is for a room joined; if not, it is to be
 * dropped (said in the debug log) and the topic is unsubscribed. */
bool mqtt_room_wanted(struct mqtt *self, const char *topic);
/* For the plugin's join() and part(); the caller syncs the watch after. */
int mqtt_join_room(struct mqtt *self, const char *room);
void mqtt_part_room(struct mqtt *self, const char *room);

/* mqtt_reason.c */
/* Records why the current attempt or connection ends, unless an earlier,
 * more precise reason is already there. */
void mqtt_reason(struct mqtt *self, const char *fmt, ...) MQC_PRINTF(2, 3);
/* Text for a libmosquitto error code, with errno resolved. */
const char *mqtt_strerror(int rc, int saved_errno);
/* What a connection closed without a word (no DISCONNECT, no error) is
 * called: all a 3.1.1 broker says when another client takes our id. */
extern const char mqtt_closed_text[];

/* mqtt_link.c */
/* Whether a connection exists or is being made (connecting, subscribing,
 * up). */
bool mqtt_active(const struct mqtt *self);
/* Bytes the kernel holds for us on a socket. */
int mqtt_bytes_queued(int fd);
/* Writes what libmosquitto has queued, and the acknowledgements of
 * claimed messages, except what waits for the core to store its messages;
 * acts on what the write found. */
void mqtt_write(struct mqtt *self);
/* Whether something may be written now (mqtt_write would write). */
bool mqtt_may_write(const struct mqtt *self);
/* A message at QoS 1/2 was handed to the core: its acknowledgement is held
 * until the core says it is stored, libmosquitto's (with all it would
 * write after it: asked for soon) or a claimed message's. */
void mqtt_hold_acks(struct mqtt *self, bool by_libmosquitto);
/* How many QoS 1 and 2 messages the broker sends before it waits for our
 * acknowledgements, which wait for history (mqtt_hold_acks).  MQTT 5: what
 * we ask for in CONNECT (Receive Maximum; libmosquitto's default, 20, kept
 * a busy room's writes small: with 100, and groups of up to 40 in the
 * core, a burst in a room of 50 ran 8 % faster, its receivers 12 % less
 * CPU a delivery; bench/README.md).  MQTT 3.1.1 has no such field:
 * mosquitto's default max_inflight_messages, 20, is assumed. */
#define MQTT_RECEIVE_MAXIMUM 100
#define MQTT_V311_WINDOW 20
/* How often a SUBACK refusal that may pass is asked again (reconnecting,
 * after the backoff: 1, 2, 4 s from a fresh start) before the network
 * fails as for an ACL. */
#define MQTT_REFUSALS_ASKED_AGAIN 3
/* The plugin's `stored`: what was handed to the core is in history; held
 * acknowledgements leave now. */
void mqtt_stored(void *data);
/* Writes what waits for socket `fd` (see mqtt_guard.h), libmosquitto's
 * result; a failed write of acknowledgements marks the connection lost. */
int mqtt_write_out(struct mqtt *self, int fd);
/* Watch the socket exactly while a connection exists, for OUT only while
 * something waits to be written, for IN unless the socket took less than
 * all of it (out_full).  Call after every call into libmosquitto. */
void mqtt_sync_watch(struct mqtt *self);
/* Points libmosquitto's connect, subscribe, disconnect, message and log
 * callbacks at mqtt_link.c. */
void mqtt_link_callbacks_set(struct mqtt *self);
/* Timer callbacks (`data`: the struct mqtt): keepalive and retries inside
 * libmosquitto; an attempt that took too long; the next attempt. */
void mqtt_on_misc_timer(void *data);
void mqtt_on_connect_timer(void *data);
void mqtt_on_retry_timer(void *data);
/* The round's end: the round's publishes are written, and leave. */
void mqtt_on_uncork_timer(void *data);
/* A rest of the socket is over: it is read again. */
void mqtt_on_rest_timer(void *data);

/* mqtt_connect.c */
/* Whether the broker keeps our session once we are gone. */
bool mqtt_session_kept(const struct mqtt_config *cfg);
/* Sets the Last Will, then starts connecting: a libmosquitto result, with
 * errno kept (EINTR: connect_timeout ran out). */
int mqtt_connect_start(struct mqtt *self);

/* mqtt_tls.c */
/* Applies the TLS keys to the client; false after host->config_error(). */
bool mqtt_tls_setup(struct mqtt *self);

/* mqtt_receive.c */
/* A message of an active connection (libmosquitto's message callback),
 * `resent` when the broker marked it as sent again (DUP: libmosquitto
 * does not say). */
void mqtt_receive(struct mqtt *self, const struct mosquitto_message *msg,
                  const mosquitto_property *props, bool resent);
/* A plain message the guard claimed (mqtt_guard.h), as libmosquitto would
 * have handed it over; false (ENOMEM) if it could not be. */
bool mqtt_receive_plain(struct mqtt *self, const struct mqtt_publish *p);

/* mqtt_send.c */
/* Publishes `payload` to `topic` (with `props`), its acknowledgement the
 * token's, answered exactly once. */
void mqtt_send_tracked(struct mqtt *self, const char *topic, const char *payload, size_t len,
                       const mosquitto_property *props, uint64_t token);
/* To room `room` under verify: on R/u/U, and a copy on R for the classroom
 * (MQTT 5: marked so that mqchat ignores it). */
void mqtt_send_verified(struct mqtt *self, const char *room, const char *payload, size_t len,
                        uint64_t token);

/* mqtt_private.c */
/* To `msg->to`, in the first room where that nick is present. */
void mqtt_send_private(struct mqtt *self, const struct mqc_message *msg, const char *payload,
                       size_t len, uint64_t token);

/* mqtt_acks.c */
/* libmosquitto's publish callback: answers the message's token to the core
 * (rejected when the broker's reason code says so), once. */
void mqtt_on_publish(struct mosquitto *mosq, void *data, int mid, int reason,
                     const mosquitto_property *props);
/* The connection ended: QoS 0 messages not yet written are rejected to the
 * core (libmosquitto drops them without a word; ours are dropped too). */
void mqtt_reject_unsent_qos0(struct mqtt *self);
/* Answers the QoS 0 messages we wrote ourselves (mqtt_direct.h) to the
 * core, once the socket took them whole. */
void mqtt_answer_written(struct mqtt *self);

#endif
