/* SPDX-License-Identifier: MIT */
/*
 * The chat: the instances (one per INI section in use), the networks and
 * their rooms, the bridges, the user's identity, and the path of every
 * message: from a frontend through its network's send queue to the
 * backend, and from a backend to every frontend and, through bridges, to
 * other rooms.
 */
#ifndef MQC_CHAT_H
#define MQC_CHAT_H

#include <stdbool.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "archive.h"
#include "arrival.h"
#include "bridge.h"
#include "config.h"
#include "delivery.h"
#include "flood.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "outqueue.h"
#include "network.h"
#include "sendq.h"
#include "strbuf.h"
#include "who.h"

/* [core] keys the chat works by, read by main.c. */
struct chat_settings {
	bool announce;
	uint32_t quit_timeout_ms;
	char *time_format;
	size_t outbox_max; /* 0: no outbox */
	struct archive_settings archive;
	struct flood_rate rate_limit; /* count 0: no limit */
};

/* A frontend's current room: where its lines go. */
struct frontend_room {
	struct network *net;
	char *room; /* "" for none yet */
	char *text; /* "NETWORK:ROOM", for host->current_room */
};

struct chat {
	const struct config *cfg;
	const struct mqc_host *host; /* what plugins are handed: host.c's table */
	struct loop *loop;
	struct chat_settings set;
	struct instances instances; /* frontends and networks */
	struct network *networks;   /* one per backend instance, in order */
	size_t n_networks;
	const char **network_names; /* theirs, for roomref_parse */
	struct delivery_queue *save_queues; /* theirs, filled at each save */
	struct frontend_room *rooms; /* one per frontend, in order */
	struct bridges *bridges;
	struct archive *archive;    /* history and repeats */
	struct delivery *delivery;  /* the outbox */
	struct flood *flood;        /* rate_limit's senders; NULL until one is heard */
	struct loop_timer *flood_timer; /* says what it folded */

	char *nick;
	char *stable_id;
	char *state_dir;

	struct loop_timer *send_timer; /* sends what was said */
	struct loop_timer *save_timer; /* then keeps what is unacknowledged */
	struct loop_timer *group_timer; /* writes the history a busy room's rounds left */
	bool may_group; /* history may wait to write several rounds at once */
	bool store_soon; /* a backend's output waits for this round's write */
	bool announced;
	/* The message being shown to frontends now: what a plugin of any ABI
	 * hands back to host->template_render in full. */
	const struct mqc_message *delivering;
	/* The payload being taken, made in the buffers of the one before
	 * (arrival_begin). */
	struct arrival arrival;
	bool arrival_busy;
	/* A line said: its identity, made in the buffers of the one before
	 * (chat_say is done with it before anything can say another). */
	struct dedup_identity said_identity;

	struct who_request *who; /* mqchat --who; NULL: a chat */
	struct loop_timer *who_timer; /* its deadline */

	bool interactive; /* a person watches a terminal: events shown inline */
	bool stdin_shows_events; /* a stdin frontend prints status messages */
	int signal_fd;

	bool quitting;
	bool quit_expired; /* no more waiting for acknowledgements */
	bool done;
	int exit_code;
	struct loop_timer *quit_timer;
};

/* Something to say: where, who, what; a relayed copy's id, origin, hops. */
struct said {
	struct network *net;
	const char *room, *to; /* one of them "" */
	enum mqc_msg_type type;
	const char *nick, *text;
	bool first; /* ahead of whatever waits (a join said again on reconnecting) */
	const char *id; /* NULL: a fresh one */
	const char *origin;
	unsigned hops;
	int64_t time_ms; /* 0: now */
};

/* host.c: the table handed to plugins. */
extern const struct mqc_host chat_host;

/* chat.c */
int chat_open(struct chat *chat);   /* open every instance: 0 or exit code */
int chat_run(struct chat *chat);    /* until done: the exit code */
void chat_close(struct chat *chat);
void chat_receive(struct chat *chat, struct network *net, const char *topic,
                  const void *payload, size_t len, unsigned flags);
void chat_receive_message(struct chat *chat, struct network *net,
                          const struct mqc_message *msg);
/* Where a backend placed a payload (host->receive_payload). */
struct chat_place {
	const char *room, *to; /* one of them "" */
	const char *proved;    /* NULL: the network proves no sender */
};
void chat_receive_payload(struct chat *chat, struct network *net, const struct chat_place *at,
                          const void *payload, size_t len, unsigned flags);
void chat_presence(struct chat *chat, struct network *net, const char *room, const char *nick,
                   bool here);
/* The network says `room`'s list of who is present is complete. */
void chat_presence_synced(struct chat *chat, struct network *net, const char *room);
/* The backend of `net` waits to hear when what it handed over is stored
 * (host->notify_stored), `soon` when it can send nothing meanwhile. */
void chat_notify_stored(struct chat *chat, struct network *net, bool soon);
/* Whether the peer of `net` waits for that (host->notify_peer_waiting). */
void chat_notify_peer_waiting(struct network *net, bool waiting);
void chat_acked(struct chat *chat, struct network *net, uint64_t token, enum mqc_ack result);
void chat_link_state(struct chat *chat, struct network *net, enum mqc_link state,
                     const char *detail);
void chat_quit(struct chat *chat, int code);
/* The backend is publishing this payload (its echo is not shown). */
void chat_note_published(struct chat *chat, struct network *net, const char *payload,
                         size_t len);
/* Rooms joined over every network. */
size_t chat_room_count(const struct chat *chat);
/* The network called `name`, or NULL. */
struct network *chat_network(struct chat *chat, const char *name);
/* An event (connected, outbox news) for every frontend, and for stderr as
 * well when no frontend shows it on the terminal; with several networks
 * it says which (`net` NULL: none). */
void chat_event(struct chat *chat, const struct network *net, enum mqc_log_level level,
                const char *text);

/* Shared by chat.c and chat_command.c. */
void chat_say(struct chat *chat, const struct said *s);
void chat_status(struct chat *chat, struct instance *to, unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void chat_deliver(struct chat *chat, struct instance *only, const struct mqc_message *msg);
/* chat_rooms.c */
/* Networks, their rooms, bridges and where each frontend speaks, from the
 * configuration, nothing opened: 0 or 78 after saying why (also for
 * --check-config). */
int chat_prepare(struct chat *chat);
/* Frees what chat_prepare made. */
void chat_free_rooms(struct chat *chat);
/* Joins `room` on `net` (the plugin's join): false after saying why to
 * `to` (NULL: the log). */
bool chat_join(struct chat *chat, struct network *net, const char *room, struct instance *to);
/* Forgets `room` of `net` (parted, or left by the backend; a string of
 * the caller's); frontends speaking there go to the default room.  False
 * when it was not joined, or is the network's last. */
bool chat_leave_room(struct chat *chat, struct network *net, const char *room);
/* The backend left `room` by itself (host->room_left). */
void chat_room_left(struct chat *chat, struct network *net, const char *room, const char *why);
/* Points frontend `i` at net:room. */
void chat_set_room(struct chat *chat, size_t i, struct network *net, const char *room);

/* chat_command.c: a line from a frontend. */
void chat_submit_line(struct chat *chat, struct instance *from, const char *line,
                      size_t len, unsigned flags, const char *nick);

#endif
