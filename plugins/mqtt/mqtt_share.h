/* SPDX-License-Identifier: MIT */
/*
 * Whether the broker delivers through shared subscriptions (`share =
 * GROUP`).  Some brokers accept "$share/GROUP/ROOM" and then deliver
 * nothing through it (NATS 2.9 does): a logger of a pool would sit deaf
 * without a word.  So, once the rooms are subscribed, a probe: ROOM/probe/CID
 * (the first room, our client id: nobody else reads it) subscribed through a
 * share group of our own, and one empty QoS 1 message published to it.  It
 * comes back on a broker that honours $share.  If it has not come within
 * MQTT_SHARE_WAIT_MS of its PUBACK, that is said once, as an error, and the
 * rooms are subscribed by themselves instead: every message reaches this
 * mqchat (no longer a share, but nothing lost).  A broker that refuses the
 * probe's subscription or message (an ACL) leaves the question open: said
 * in the log, nothing changed.
 *
 * mqtt.c calls init and free; the link, join, acks and receive code call
 * the others where their comments say.
 */
#ifndef MQTT_SHARE_H
#define MQTT_SHARE_H

#include <mosquitto.h>
#include <stdbool.h>

struct mqtt;
struct mqc_timer;

#define MQTT_SHARE_WAIT_MS 10000

/* Member `share_probe` of struct mqtt. */
struct mqtt_share {
	char *topic;    /* ROOM/probe/CID; NULL without share */
	char *filter;   /* $share/mqchat-probe-CID/ROOM/probe/CID */
	int sub_mid, pub_mid; /* this connection's probe packets; 0: none */
	bool settled;   /* the probe came back, or cannot tell: not again */
	struct mqc_timer *timer;
};

/* False when out of memory (said). */
bool mqtt_share_init(struct mqtt *self);
void mqtt_share_free(struct mqtt *self);

/* The link is up (rooms subscribed): probes, unless settled. */
void mqtt_share_link_up(struct mqtt *self);
/* The connection ended: the probe, if any, starts again on the next. */
void mqtt_share_link_down(struct mqtt *self);

/* The SUBACK, PUBACK and message of the probe: true when `mid` or `msg`
 * was the probe's (nothing else to do with it). */
bool mqtt_share_suback(struct mqtt *self, int mid, int count, const int *granted);
bool mqtt_share_puback(struct mqtt *self, int mid, int reason);
bool mqtt_share_message(struct mqtt *self, const struct mosquitto_message *msg);

#endif
