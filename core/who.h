/* SPDX-License-Identifier: MIT */
/*
 * mqchat --who [[NET:]ROOM] [--json]: which room is asked for, and the
 * list printed once the network says it is complete.  The chat joins the
 * room without a trace (no frontend, no announcement, no presence of its
 * own: host->quiet) and quits after printing.
 */
#ifndef MQC_WHO_H
#define MQC_WHO_H

#include <stdbool.h>
#include <stddef.h>

#include "network.h"

struct who_request {
	const char *room; /* as given; NULL: the default room */
	bool json;
	/* Set by who_prepare(): */
	struct network *net;
	char *room_name;
};

/* Resolves the room among `n` networks (named `names`) and adds it to its
 * network's rooms; 0, or an exit code after saying why. */
int who_prepare(struct who_request *who, struct network *nets, size_t n,
                const char *const *names);
/* Whether net:room is the room asked for. */
bool who_asked(const struct who_request *who, const struct network *net, const char *room);
/* Prints who is present there on standard output. */
void who_print(const struct who_request *who);
void who_free(struct who_request *who);

#endif
