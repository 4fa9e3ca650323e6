/* SPDX-License-Identifier: MIT */
/*
 * One network: a backend instance and what the chat keeps for it alone,
 * so that a slow or dead network never holds up another: its send queue
 * and in-flight window, its link state, its echo filter, its rooms and who
 * is present in them.
 */
#ifndef MQC_NETWORK_H
#define MQC_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "echo.h"
#include "instance.h"
#include "sendq.h"
#include "strbuf.h"

/* Someone a backend says is in a room. */
struct presence {
	char *room, *nick; /* nick sanitised */
	enum mqc_presence state; /* online or away */
	bool verified;     /* false: the network proves senders and not this one */
};

struct network {
	struct instance *inst;
	const char *name;  /* the instance's */
	char *broker;      /* for the outbox: "host:port" or the list of hosts */
	bool has_rooms;    /* the plugin joins rooms (ABI 1.3 `join`) */
	char **rooms;      /* joined; rooms[0] is the first (never parted away) */
	size_t n_rooms;
	struct presence *present;
	size_t n_present;

	struct sendq sendq; /* what was said, until the backend acknowledges it */
	struct echo_filter echoes;
	bool link_up;
	bool was_connected; /* an MQC_LINK_UP came before: the next is a return */
	bool failed;        /* gave up (MQC_LINK_FAILED) */
	uint64_t link_up_ms; /* monotonic time of the last MQC_LINK_UP */
	/* Monotonic time the link's last move between servers began: its
	 * first drop (0: never; network_link_down). */
	uint64_t link_down_ms;
	bool paused_input;   /* its backlog holds sources back */
	bool wants_stored;   /* is told when history has what it handed over */
	bool peer_waiting;   /* its peer may wait for that (host->notify_peer_waiting) */
};

/* Sets up `net` for the backend `inst`: its first room is the `topic` key's
 * value when the plugin declares one, else the first of the section's
 * `rooms` (`rooms` the core key's value), else the network's name. */
void network_init(struct network *net, struct instance *inst, const char *rooms);
void network_free(struct network *net);

/* The link, up since link_up_ms, went down at `now_ms`.  A move between
 * servers counts from its first drop: a link that comes back and drops
 * again within `repeat_window_ms` (a cluster's node died, and the next
 * one dropped us too) is the same move, since what was in flight at its
 * first drop may still come again on the link after (archive_check).
 * Not for longer than twice that window: every plain message seen since
 * a move began is a repeat if it comes again soon after a reconnection,
 * and a link that keeps failing must not make that true of an afternoon. */
void network_link_down(struct network *net, uint64_t now_ms, uint64_t repeat_window_ms);

/* The index of `room` among the joined ones, or -1. */
int network_room_index(const struct network *net, const char *room);
/* Adds `room` to the joined ones (once). */
void network_add_room(struct network *net, const char *room);
/* Removes `room`; false when it was not joined. */
bool network_remove_room(struct network *net, const char *room);
/* The room a payload received on `topic` belongs to. */
const char *network_room_of(const struct network *net, const char *topic);

/* Who is present: `nick` came (`here`) or went; NULL `nick`, not here:
 * the room's list is emptied. */
void network_presence(struct network *net, const char *room, const char *nick, bool here);
/* `nick`'s state in `room`: offline removes it; online or away adds or
 * updates it. */
void network_presence_state(struct network *net, const char *room, const char *nick,
                            enum mqc_presence state, bool verified);
/* Appends "Ana, ~eve, Bea (away)" for `room` to `out`; returns how many. */
size_t network_who(const struct network *net, const char *room, struct strbuf *out);
/* The `i`th person present in `room`, or NULL past the last. */
const struct presence *network_present(const struct network *net, const char *room, size_t i);

#endif
