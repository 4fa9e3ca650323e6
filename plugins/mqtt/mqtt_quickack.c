/* SPDX-License-Identifier: MIT */
/* TCP's ACK of a read, asked for at once only when needed (mqtt_quickack.h). */
#include "mqtt_quickack.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

void mqtt_quickack_wrote(struct mqtt_quickack *q)
{
	q->wrote = true;
}

bool mqtt_quickack_now(struct mqtt_quickack *q, int fd, bool tls)
{
	if (!q->wrote && !tls)
		return false;
	int on = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
	q->wrote = false;
	return true;
}
