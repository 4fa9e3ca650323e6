/* SPDX-License-Identifier: MIT */
/*
 * The publishes of one loop round leave in as few TCP segments as the
 * kernel can make of them: the socket is corked before the round's second
 * publish; at the round's end (host->timer_arm_now: mqtt_on_uncork_timer
 * in mqtt_link.c) libmosquitto writes
 * them, a send() each (mqtt_write), and the socket is uncorked.  With
 * TCP_NODELAY, so that a lone chat line is not held back, a flood meant a
 * segment per message, and a broker wakeup for each.  A lone message
 * leaves at the end of its round, microseconds later.  A room's lines at
 * QoS 0 over plain TCP are not libmosquitto's to write: mqtt_direct.h
 * sends a round's in one send() at the same moment, with nothing to cork.
 *
 * The other way, a segment that brought the broker's answers to our
 * requests (acknowledgements of our publishes, of our subscriptions), and
 * nothing we answer, is ACKed at once.  The kernel would delay that ACK
 * (up to 40 ms) to ride on our next packet, and a broker with Nagle on
 * (mosquitto's default) holds our next delivery until it comes: a member
 * of a busy room who also spoke saw the room 40 ms late after its own
 * lines, one delivery in two (bench/README.md), and a room just joined
 * could show its first lines as late.
 * A read that brought messages is left alone in a busy room: our PUBACKs
 * carry the ACK, and while they wait for history the broker gathers what
 * follows; but in a calm room, a message every few ms, that wait made
 * each next message wait too (mqtt_ack_read in mqtt_link.c).  The ACK is
 * asked for only when the kernel would not send it by itself
 * (mqtt_quickack.h).
 */
#include "mqtt.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

void mqtt_uncork(struct mqtt *self)
{
	/* Unless the connection it belongs to has ended meanwhile; through the
	 * guard's descriptor if libmosquitto is reading (a goodbye said from
	 * one of its callbacks), as mqtt_cork corked it. */
	if (self->corked_fd >= 0 && self->corked_fd == mosquitto_socket(self->mosq)) {
		int off = 0;
		(void)setsockopt(mqtt_guard_socket(&self->guard, self->corked_fd), IPPROTO_TCP,
		                 TCP_CORK, &off, sizeof off);
	}
	self->corked_fd = -1;
	self->publishing_fd = -1;
}

void mqtt_cork(struct mqtt *self)
{
	int fd = mosquitto_socket(self->mosq);
	/* libmosquitto holds an acknowledgement of a message not stored yet:
	 * it writes nothing until then (mqtt_stored), all at once. */
	if (fd < 0 || self->corked_fd == fd || self->acks_held)
		return;
	/* A round's first publish leaves alone at its end, uncorked: a cork
	 * and its end, two system calls, pay only from the second on (a chat
	 * line typed or piped alone; bench/README.md, "a lone line uncorked"). */
	if (self->publishing_fd != fd) {
		self->publishing_fd = fd;
		self->host->timer_arm_now(self->uncork_timer);
		return;
	}
	int on = 1;
	/* While libmosquitto reads, `fd` is the packet check's end standing in
	 * for the socket: what its callbacks publish (a QoS 1 stream sent as
	 * acknowledgements come in) is corked through the guard's own
	 * descriptor of the socket.  A Unix socket fails: tried once a round,
	 * not once a publish, and the round's end undoes nothing. */
	(void)setsockopt(mqtt_guard_socket(&self->guard, fd), IPPROTO_TCP, TCP_CORK, &on,
	                 sizeof on);
	self->corked_fd = fd;
}
