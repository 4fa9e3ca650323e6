/* SPDX-License-Identifier: MIT */
/*
 * The publishes of one loop round leave in as few TCP segments as the
 * kernel can make of them: the socket is corked before the round's first
 * publish; at the round's end (host->timer_arm_now: mqtt_on_uncork_timer
 * in mqtt_link.c) libmosquitto writes
 * them, a send() each (mqtt_write), and the socket is uncorked.  With
 * TCP_NODELAY, so that a lone chat line is not held back, a flood meant a
 * segment per message, and a broker wakeup for each.  A lone message
 * leaves at the end of its round, microseconds later.
 */
#include "mqtt.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

void mqtt_uncork(struct mqtt *self)
{
	/* Unless the connection it belongs to has ended meanwhile. */
	if (self->corked_fd >= 0 && self->corked_fd == mosquitto_socket(self->mosq)) {
		int off = 0;
		(void)setsockopt(self->corked_fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
	}
	self->corked_fd = -1;
}

void mqtt_cork(struct mqtt *self)
{
	int fd = mosquitto_socket(self->mosq);
	/* libmosquitto holds an acknowledgement of a message not stored yet:
	 * it writes nothing until then (mqtt_stored), all at once. */
	if (fd < 0 || self->corked_fd == fd || self->acks_held)
		return;
	int on = 1;
	/* Not a TCP socket now: a Unix one, or the packet check's end, which
	 * stands in for the socket while libmosquitto reads (what its
	 * callbacks publish, a QoS 1 stream sent as acknowledgements come in,
	 * is then written uncorked).  Tried once a round, not once a publish,
	 * and the round's end undoes nothing. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
	self->corked_fd = fd;
	self->host->timer_arm_now(self->uncork_timer);
}
