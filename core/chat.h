/* SPDX-License-Identifier: MIT */
/*
 * The chat: the instances (one per INI section in use), the user's identity,
 * and the path of every message: from a frontend through the send queue to
 * the backend, and from the backend to every frontend.
 */
#ifndef MQC_CHAT_H
#define MQC_CHAT_H

#include <stdbool.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "config.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "outqueue.h"
#include "strbuf.h"

#define ECHO_FILTER_SIZE 256

struct chat {
	struct config *cfg;
	struct loop *loop;
	struct instances instances; /* frontends and backend */

	char *nick;
	char *stable_id;
	char *state_dir;
	char *time_format;
	bool announce;
	uint32_t quit_timeout_ms;

	struct outqueue waiting;  /* not yet handed to the backend */
	struct outqueue inflight; /* handed over, not yet acknowledged */
	uint64_t next_token;
	bool publishing; /* inside the backend's publish() */
	struct loop_timer *send_timer; /* sends what was said */
	struct loop_timer *save_timer; /* then keeps what is unacknowledged */
	bool link_up;
	uint64_t link_up_ms; /* monotonic time of the last MQC_LINK_UP */
	bool announced;
	bool was_connected; /* an MQC_LINK_UP came before: the next is a return */

	/* Digests of payloads we published: the broker may echo them back
	 * (MQTT 3.1.1 has no No Local; mosquitto ignores it at times). */
	struct {
		uint64_t digest;
		uint64_t expires_ms;
	} echoes[ECHO_FILTER_SIZE];
	size_t echo_next;
	uint64_t echoes_until_ms; /* when the newest of them expires */

	bool interactive; /* a person watches a terminal: events shown inline */
	bool stdin_shows_events; /* a stdin frontend prints status messages */
	int signal_fd;
	/* archive.c */
	struct history *history; /* NULL: history off */
	struct dedup *dedup;
	struct loop_timer *history_flush_timer;
	/* delivery.c */
	struct outbox *outbox; /* NULL: none */
	size_t outbox_max;     /* [core] outbox_max; 0: no outbox */
	struct loop_timer *outbox_timer;
	size_t unsaved; /* messages in the queues not saved yet */
	bool outbox_failing;
	bool outbox_full;
	size_t history_replay;        /* [core] keys, read by main.c */
	int64_t history_max_messages; /* 0: no limit */
	int64_t history_max_days;     /* 0: no limit */
	uint32_t dedup_window_ms;
	uint64_t history_dropped_told; /* history_dropped() when last reported */
	bool history_failing; /* flushes fail: said once, until one works */
	char *history_unavailable; /* why history could not be opened; NULL: it was, or is off */

	bool quitting;
	bool done;
	int exit_code;
	struct loop_timer *quit_timer;
};

/* host.c: the table handed to plugins. */
extern const struct mqc_host chat_host;

/* chat.c */
int chat_open(struct chat *chat);   /* open every instance: 0 or exit code */
int chat_run(struct chat *chat);    /* until done: the exit code */
void chat_close(struct chat *chat);
void chat_submit_line(struct chat *chat, struct instance *from, const char *line,
                      size_t len, unsigned flags, const char *nick);
void chat_receive(struct chat *chat, const char *topic, const void *payload, size_t len,
                  unsigned flags);
void chat_acked(struct chat *chat, uint64_t token, enum mqc_ack result);
void chat_link_state(struct chat *chat, enum mqc_link state, const char *detail);
void chat_quit(struct chat *chat, int code);
void chat_status(struct chat *chat, struct instance *to, unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An event (connected, outbox news) for every frontend, and for stderr as
 * well when no stdin frontend shows it there or on the terminal already. */
void chat_event(struct chat *chat, enum mqc_log_level level, const char *text);
void chat_note_published(struct chat *chat, const char *payload, size_t len);
/* Shows `msg` to one frontend, or to all with `to` NULL. */
void chat_deliver(struct chat *chat, struct instance *to, const struct mqc_message *msg);

#endif
