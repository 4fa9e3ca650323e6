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

#include "archive.h"
#include "config.h"
#include "delivery.h"
#include "echo.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "outqueue.h"
#include "sendq.h"
#include "strbuf.h"

/* [core] keys the chat works by, read by main.c. */
struct chat_settings {
	bool announce;
	uint32_t quit_timeout_ms;
	char *time_format;
	size_t outbox_max; /* 0: no outbox */
	struct archive_settings archive;
};

struct chat {
	const struct config *cfg;
	struct loop *loop;
	struct chat_settings set;
	struct instances instances; /* frontends and backend */
	struct archive *archive;    /* history and repeats */
	struct delivery *delivery;  /* the outbox */

	char *nick;
	char *stable_id;
	char *state_dir;

	struct sendq sendq; /* what was said, until the backend acknowledges it */
	struct loop_timer *send_timer; /* sends what was said */
	struct loop_timer *save_timer; /* then keeps what is unacknowledged */
	bool link_up;
	uint64_t link_up_ms; /* monotonic time of the last MQC_LINK_UP */
	bool announced;
	bool was_connected; /* an MQC_LINK_UP came before: the next is a return */
	struct echo_filter echoes;

	bool interactive; /* a person watches a terminal: events shown inline */
	bool stdin_shows_events; /* a stdin frontend prints status messages */
	int signal_fd;

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
/* The backend is publishing this payload (its echo is not shown). */
void chat_note_published(struct chat *chat, const char *payload, size_t len);

#endif
