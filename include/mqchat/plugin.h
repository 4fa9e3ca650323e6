/* SPDX-License-Identifier: MIT */
/*
 * mqchat plugin interface.
 *
 * This header is the whole manual for writing an mqchat plugin: a frontend
 * (something people or programs chat through: a terminal, a FIFO, a log) or a
 * backend (the transport that carries messages to everyone else: MQTT).
 *
 * A plugin is a shared object that exports exactly one symbol,
 * MQC_PLUGIN_SYMBOL, a `const struct mqc_plugin` filled with
 * MQC_PLUGIN_DEFINE().  The core dlopen()s it, checks the ABI, validates the
 * instance's configuration against `keys`, then calls `open` once per
 * instance (one INI section = one instance).  Everything afterwards happens on
 * the core's single thread, inside its poll() loop: a plugin never blocks,
 * never starts a thread of its own unless it hides it completely, and talks to
 * the outside world only through descriptors and timers it registers with the
 * host.
 *
 * Minimal frontend:
 *
 *     #include <mqchat/plugin.h>
 *     #include <stdio.h>
 *
 *     static void *hello_open(struct mqc_instance *inst, const struct mqc_host *host)
 *     {
 *         (void)inst; (void)host;
 *         static int self;
 *         return &self;
 *     }
 *     static void hello_deliver(void *self, const struct mqc_message *msg)
 *     {
 *         (void)self;
 *         // Not the room speaking now: status lines, history replayed.
 *         if (msg->type == MQC_MSG_STATUS || (msg->flags & MQC_MSG_HISTORY))
 *             return;
 *         const char *who = *msg->nick ? msg->nick : msg->topic;
 *         if (msg->type == MQC_MSG_MESSAGE)
 *             printf("%s says %s\n", who, msg->text);
 *         else if (msg->type == MQC_MSG_ACTION)
 *             printf("* %s %s\n", who, msg->text);
 *         else
 *             printf("%s %s\n", who, msg->type == MQC_MSG_JOIN ? "joined" : "left");
 *     }
 *     static void hello_close(void *self) { (void)self; }
 *
 *     MQC_PLUGIN_DEFINE(
 *         .name = "hello", .version = "1.0", .kind = MQC_PLUGIN_FRONTEND,
 *         .description = "prints every message",
 *         .open = hello_open, .deliver = hello_deliver, .close = hello_close);
 *
 * Build it with `cc -shared -fPIC $(pkg-config --cflags mqchat-plugin)
 * hello.c -o hello.so` and name it in the INI file:
 * `[core] frontends = hello` and `[hello] plugin = /path/to/hello.so`.
 *
 * ABI rules
 * ---------
 * MQC_ABI_MAJOR changes when anything existing changes meaning, size or
 * place; a plugin built for another major is refused ("rebuild against ABI
 * N").  MQC_ABI_MINOR grows when something is appended: a field at the end of
 * struct mqc_plugin, struct mqc_host, struct mqc_message or struct mqc_key,
 * or a new enum value.  Nothing is ever removed or reordered within a major.
 * So:
 *   - the core accepts any plugin whose major equals its own and whose minor
 *     is not newer than its own; it reads only the part of struct mqc_plugin
 *     that the plugin's `size` covers (later members count as NULL), and the
 *     plugin's `keys` with the stride struct mqc_key had in its minor;
 *   - a plugin that wants a host function added in a later minor checks
 *     MQC_HOST_HAS(host, member) first, so it still runs on an older core.
 */
#ifndef MQCHAT_PLUGIN_H
#define MQCHAT_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MQC_ABI_MAJOR 1
#define MQC_ABI_MINOR 7

/* The exported symbol carries the major, so a plugin built for another major
 * is recognised as such rather than as "not a plugin". */
#define MQC_PLUGIN_SYMBOL "mqchat_plugin_v1"

#if defined(__GNUC__)
#define MQC_EXPORT __attribute__((visibility("default")))
#define MQC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MQC_EXPORT
#define MQC_PRINTF(fmt, args)
#endif

struct mqc_instance; /* opaque: the core's record of one INI section */
struct mqc_watch;    /* opaque: a descriptor registered with the loop */
struct mqc_timer;    /* opaque: a timer registered with the loop */

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

enum mqc_msg_type {
	MQC_MSG_MESSAGE = 0, /* someone said `text` */
	MQC_MSG_ACTION = 1,  /* "/me waves": `text` is "waves" */
	MQC_MSG_JOIN = 2,    /* someone entered the room (`text` usually "") */
	MQC_MSG_LEAVE = 3,   /* someone left the room (`text` usually "") */
	MQC_MSG_STATUS = 4,  /* the core speaking to this user only: connection
	                        state, command output, warnings; never sent */
};

enum mqc_msg_flags {
	MQC_MSG_OWN = 1u << 0,      /* sent by this process */
	MQC_MSG_HISTORY = 1u << 1,  /* replayed from history, not live */
	MQC_MSG_RETAINED = 1u << 2, /* a retained (stale) message from the broker */
	MQC_MSG_ERROR = 1u << 3,    /* STATUS that reports a problem */
	/* Since ABI 1.4.  The network proves its senders (an mqtt network
	 * with verify = on) and did not prove this one: the nick is only
	 * claimed.  Templates show it as "~nick". */
	MQC_MSG_UNVERIFIED = 1u << 4,
	/* Since ABI 1.7.  From a backend: the network marked this copy as
	 * sent again (MQTT's DUP flag), as NATS does when an acknowledgement
	 * was lost.  The core drops it when the same words came lately
	 * (mqchat-plugin(7), "receive"); frontends never see the flag. */
	MQC_MSG_RESENT = 1u << 5,
};

/* Someone's state in a room, for host->presence_state() (since ABI 1.4). */
enum mqc_presence {
	MQC_PRESENCE_OFFLINE = 0,
	MQC_PRESENCE_ONLINE = 1,
	MQC_PRESENCE_AWAY = 2,
};

/*
 * One message, as frontends see it and as backends are asked to send it.
 * Always allocated by the core; valid only during the call it is passed to
 * (copy what you keep).  All strings are NUL-terminated valid UTF-8 with no
 * control characters: received text has been sanitised before any plugin sees
 * it.  Fields are only ever appended (see ABI rules).
 */
struct mqc_message {
	enum mqc_msg_type type;
	unsigned flags;    /* enum mqc_msg_flags */
	const char *id;    /* unique message id; "" when the sender gave none */
	const char *nick;  /* sender; "" when unknown (then show `topic`) */
	const char *text;  /* what was said; may be "" (e.g. a JOIN) */
	const char *topic; /* where it came from or goes to; "" when none */
	const char *sender_id; /* sender's stable id; "" when unknown */
	int64_t time_ms;   /* Unix time in ms: when sent if known, else received */
	/* --- since ABI 1.3 (see "Networks and rooms" below) ----------------- */
	const char *network; /* the network (backend instance) it was said on
	                        or goes to; "" for STATUS */
	const char *room;    /* its room on that network (an MQTT topic, an IRC
	                        channel); "" for a private message */
	const char *to;      /* a private message's recipient; "" for a room's */
	const char *origin;  /* a relayed message's first room, "NETWORK:ROOM";
	                        "" when not relayed */
	unsigned hops;       /* how many bridges relayed it; 0: not relayed */
};

/*
 * Networks and rooms (since ABI 1.3)
 * ----------------------------------
 * A network is one backend instance; a room is a place on it where several
 * people read the same messages (an MQTT topic, an IRC channel), written
 * "NETWORK:ROOM" to people.  Every message the core hands a plugin says its
 * network and room, and `to` for a private message.  A backend with `join`
 * carries any number of rooms: the core joins those the configuration
 * names (the section's `rooms`, the bridges') and those people /join; its
 * first room is its `topic` key's value when it declares one (mqtt), else
 * the first of `rooms`.  A backend without `join` (any built before 1.3)
 * has one room, that first one, and is sent only that room's messages.
 *
 * The core reads the members after `time_ms` of a message a plugin hands
 * it (host->encode, host->template_render) only from a plugin built
 * against 1.3 or later; for an older one they count as "" and 0.
 */

/* Room for a message id the core makes: 16 hex digits and the NUL. */
#define MQC_MESSAGE_ID_SIZE 17

/* For cutting a string of the core's (valid UTF-8) to `max` bytes: the
 * length of its longest prefix of at most `max` bytes that does not end
 * inside a character.  `len` is strlen(s).  Inline, so it adds nothing to
 * the ABI: a plugin built with it runs on any core of this major. */
static inline size_t mqc_utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* ------------------------------------------------------------------------
 * Configuration keys a plugin accepts
 * ------------------------------------------------------------------------ */

enum mqc_key_flags {
	MQC_KEY_PATH = 1u << 0,   /* value is a path: "~" and "$VAR" are expanded */
	MQC_KEY_SECRET = 1u << 1, /* masked by --check-config */
};

/* What a key's value must be (since ABI 1.2).  The core checks every value
 * of a typed key, the user's and the default, before the plugin sees the
 * instance (before `check`, `open`, and for a section no instance uses),
 * and refuses a bad one naming file, line, section and key, in the same
 * words for every plugin:
 *   FILE:LINE: [section] key: 'VALUE' is not on or off
 *   FILE:LINE: [section] key: 'VALUE' is not a number from 1 to 64
 *   FILE:LINE: [section] key: 'VALUE' is not one of: plain, json
 * so a plugin reads a typed value already parsed (host->config_bool,
 * config_number, config_word) and reports only what the type cannot say
 * (a file that does not exist, keys that contradict each other). */
enum mqc_key_type {
	MQC_KEY_STRING = 0, /* any text; what every key of an older plugin is */
	MQC_KEY_BOOL = 1,   /* on/off, yes/no, true/false, 1/0, any case */
	MQC_KEY_NUMBER = 2, /* a whole number from `min` to `max`, see `unit` */
	MQC_KEY_WORD = 3,   /* one of `words`, any case */
	MQC_KEY_PATHNAME = 4, /* a path: "~" and "$VAR" expanded, as the
	                       MQC_KEY_PATH flag (which still works) */
};

/* The unit of an MQC_KEY_NUMBER: the one a bare number is in and the one
 * host->config_number() returns.  A value may carry a suffix of the same
 * family, converted to the key's unit; it must come out whole ("1500ms"
 * is no number of seconds). */
enum mqc_key_unit {
	MQC_UNIT_NONE = 0,    /* a bare number, no suffix */
	MQC_UNIT_MS = 1,      /* a duration: 500ms, 30s, 5m, 2h, 1d */
	MQC_UNIT_SECONDS = 2, /* the same suffixes */
	MQC_UNIT_DAYS = 3,    /* the same suffixes */
	MQC_UNIT_BYTES = 4,   /* a size: 64k, 1M, 1G (1024-based; "KiB", "KB"
	                         are read the same) */
};

/*
 * One key of the instance's INI section.  The core refuses, naming the file
 * and line, any key of the section that the plugin does not declare (`plugin`
 * is always accepted).  `def` is the value when the user gives none (NULL
 * means "").  A typed key's value is checked by the core (see enum
 * mqc_key_type); a string's, by the plugin, which reports a bad one with
 * host->config_error().
 *
 * Since ABI 1.2 the members after `help` exist.  The core reads an older
 * plugin's array with that plugin's own (shorter) stride: its keys are all
 * strings.  Positional initialisers ({"name", "def", 0, "help"}) stay
 * valid; typed keys read best with designated ones:
 *
 *     {.name = "qos", .def = "1", .type = MQC_KEY_NUMBER, .min = 0, .max = 2},
 *     {.name = "timeout", .def = "10", .type = MQC_KEY_NUMBER,
 *      .unit = MQC_UNIT_SECONDS, .min = 0, .max = 86400},
 *     {.name = "wire", .def = "plain", .type = MQC_KEY_WORD,
 *      .words = (const char *const[]){"plain", "json", NULL}},
 */
struct mqc_key {
	const char *name;
	const char *def;
	unsigned flags; /* enum mqc_key_flags */
	const char *help; /* one line, shown by --check-config -v and docs */
	/* --- since ABI 1.2 --------------------------------------------------- */
	enum mqc_key_type type;
	enum mqc_key_unit unit; /* MQC_KEY_NUMBER only */
	int64_t min, max;       /* MQC_KEY_NUMBER: the range, in `unit`, ends
	                           included; min <= max */
	/* MQC_KEY_WORD: the words accepted, NULL-terminated; a word that means
	 * the same as another may follow it ("5", "5.0").  An empty value is
	 * accepted only when `def` is empty (config_word() says -1). */
	const char *const *words;
};

/* ------------------------------------------------------------------------
 * The host: what the core offers a plugin
 * ------------------------------------------------------------------------ */

enum mqc_log_level {
	MQC_LOG_ERROR = 0,
	MQC_LOG_WARNING = 1,
	MQC_LOG_INFO = 2,
	MQC_LOG_DEBUG = 3,
};

/* poll() event bits, as in <poll.h>, repeated so this header stands alone. */
enum mqc_io {
	MQC_IO_IN = 0x001,  /* POLLIN */
	MQC_IO_OUT = 0x004, /* POLLOUT */
	MQC_IO_ERR = 0x008, /* POLLERR: always reported */
	MQC_IO_HUP = 0x010, /* POLLHUP: always reported */
};

enum mqc_watch_flags {
	/* This descriptor feeds messages into the chat (a terminal, a FIFO).
	 * The core stops polling it for MQC_IO_IN while its send queue is full
	 * and resumes when the backend has caught up, so a fast writer is read
	 * only as fast as the broker acknowledges: nothing piles up, nothing is
	 * dropped. */
	MQC_WATCH_SOURCE = 1u << 0,
};

/* `revents` holds the enum mqc_io bits that happened. */
typedef void (*mqc_io_fn)(void *data, int fd, unsigned revents);
typedef void (*mqc_timer_fn)(void *data);

/* Ways to submit a line typed or written by a user (host->submit_line). */
enum mqc_line_flags {
	/* Run every command (/nick, /me, /quit, /help, ...).  Without it only
	 * "/me ACTION" and the "//" escape are understood and any other line
	 * starting with "/" is sent as it is: right for FIFOs and pipes. */
	MQC_LINE_COMMANDS = 1u << 0,
};

/* Link state a backend reports with host->link_state(). */
enum mqc_link {
	MQC_LINK_DOWN = 0, /* lost or not yet up; `detail` says why */
	MQC_LINK_UP = 1,   /* connected and subscribed: the core starts sending */
	MQC_LINK_FAILED = 2, /* gave up: the core exits EX_UNAVAILABLE (69) */
};

/* Outcome of one publish, for host->acked(). */
enum mqc_ack {
	MQC_ACK_DELIVERED = 0, /* the broker acknowledged (QoS 0: written out) */
	MQC_ACK_REJECTED = 1,  /* the broker refused it; it will not be retried */
};

/* A compiled template; see host->template_new(). */
struct mqc_template;

enum mqc_render_flags {
	MQC_RENDER_COLOR = 1u << 0, /* colour the nick with ANSI 256-colour codes */
};

/*
 * Every function takes the calling instance first.  None of them blocks.
 * Strings passed in are copied; strings returned are owned by the core and
 * valid until the instance is closed unless said otherwise.
 */
struct mqc_host {
	uint32_t size; /* sizeof(struct mqc_host) in the core: see MQC_HOST_HAS */
	uint16_t abi_major, abi_minor;

	/* --- configuration -------------------------------------------------- */

	/* Value of one of the keys the plugin declared: the user's value, else
	 * the declared default, else "" (a path expanded).  NULL only for an
	 * undeclared key.  A typed key's parsed value comes from config_bool,
	 * config_number or config_word (ABI 1.2). */
	const char *(*config)(struct mqc_instance *inst, const char *key);

	/* Report a bad value: prints "FILE:LINE: [section] key: <message>"
	 * (or where the value came from: built-in default, -o).  After it,
	 * `open` returns NULL and mqchat exits EX_CONFIG (78). */
	void (*config_error)(struct mqc_instance *inst, const char *key,
	                     const char *fmt, ...) MQC_PRINTF(3, 4);

	/* The instance's name: its INI section. */
	const char *(*name)(struct mqc_instance *inst);

	/* --- logging -------------------------------------------------------- */

	/* To standard error, prefixed with the instance name.  No newline
	 * needed.  For the operator, not the room: no frontend sees it, but
	 * while a person watches the terminal that is also standard error,
	 * the stdin frontend prints it above its prompt. */
	void (*log)(struct mqc_instance *inst, enum mqc_log_level level,
	            const char *fmt, ...) MQC_PRINTF(3, 4);

	/* --- the loop ------------------------------------------------------- */

	/* Call `fn` whenever `fd` has any of `events` (enum mqc_io).  The fd
	 * stays the plugin's: remove the watch before closing it. */
	struct mqc_watch *(*watch_add)(struct mqc_instance *inst, int fd,
	                               unsigned events, unsigned flags,
	                               mqc_io_fn fn, void *data);
	/* Change the events polled for (e.g. add MQC_IO_OUT while there is
	 * something to write). */
	void (*watch_update)(struct mqc_watch *watch, unsigned events);
	/* Forget the watch.  Safe inside any callback, including its own. */
	void (*watch_remove)(struct mqc_watch *watch);

	/* Call `fn` after `ms` milliseconds, then every `ms` if `repeat`. */
	struct mqc_timer *(*timer_add)(struct mqc_instance *inst, uint32_t ms,
	                               bool repeat, mqc_timer_fn fn, void *data);
	/* Re-arm from now with a new delay; 0 disarms until re-armed. */
	void (*timer_arm)(struct mqc_timer *timer, uint32_t ms);
	/* Forget the timer.  Safe inside any callback, including its own. */
	void (*timer_remove)(struct mqc_timer *timer);

	/* --- frontends ------------------------------------------------------ */

	/* A line from a person or a program: `len` bytes, no newline needed,
	 * need not be valid UTF-8 (the core sanitises).  `nick` overrides the
	 * sender's nick for this line (NULL: the user's nick).  Never drops:
	 * the core queues it and applies back-pressure to MQC_WATCH_SOURCE
	 * watches instead. */
	void (*submit_line)(struct mqc_instance *inst, const char *line,
	                    size_t len, unsigned flags, const char *nick);

	/* Ask mqchat to end.  The core stops reading sources, waits (bounded)
	 * until the backend has acknowledged everything queued, closes every
	 * instance, and exits with `code`, or 75 if something stayed
	 * unacknowledged.  Batch input calls it at end of file with 0. */
	void (*quit)(struct mqc_instance *inst, int code);

	/* The user's current nick. */
	const char *(*nick)(struct mqc_instance *inst);

	/* Compile a template ("{time} {nick}: {text}"); NULL and a
	 * config_error() on `key` if it is malformed.  Fields: {time} {date}
	 * {nick} {initial} {text} {topic} {id} {type}; "{{" and "}}" are
	 * literal braces; since ABI 1.3 also {network} {room} {to}.  Freed
	 * with template_free(). */
	struct mqc_template *(*template_new)(struct mqc_instance *inst,
	                                     const char *key, const char *text);
	/* Render into `buf` (always NUL-terminated, cut at a character
	 * boundary when it does not fit); returns the length written. */
	size_t (*template_render)(const struct mqc_template *tpl,
	                          const struct mqc_message *msg, unsigned flags,
	                          char *buf, size_t size);
	void (*template_free)(struct mqc_template *tpl);

	/* --- backends ------------------------------------------------------- */

	/* A payload arrived on `topic`.  The core decodes it (plain or JSON,
	 * whatever the configuration says is sent), sanitises it and hands it
	 * to every frontend.  `flags`: MQC_MSG_RETAINED if stale, and since
	 * ABI 1.7 MQC_MSG_RESENT for a copy marked as sent again.  The room
	 * is `topic` when the network has joined a room of that name, else
	 * the network's first room (a backend without rooms). */
	void (*receive)(struct mqc_instance *inst, const char *topic,
	                const void *payload, size_t len, unsigned flags);

	/* The publish with this `token` (from the backend's `publish`) is
	 * done.  Call exactly once per accepted publish, from `publish`
	 * itself if it is done at once (QoS 0 written out; since ABI 1.1:
	 * an older core wants it later, from a timer or a watch). */
	void (*acked)(struct mqc_instance *inst, uint64_t token,
	              enum mqc_ack result);

	/* The link changed.  DOWN with a reason while retrying; UP once
	 * messages can flow; FAILED to give up.  Frontends are told. */
	void (*link_state)(struct mqc_instance *inst, enum mqc_link state,
	                   const char *detail);

	/* Encode `msg` as the wire payload of `wire` ("plain" or "json") into
	 * a buffer owned by the core, valid until the next call.  NULL for an
	 * unknown wire name. */
	const char *(*encode)(struct mqc_instance *inst, const char *wire,
	                      const struct mqc_message *msg, size_t *len);

	/* The user's stable id (hex), the same across restarts. */
	const char *(*stable_id)(struct mqc_instance *inst);

	/* --- since ABI 1.1 --------------------------------------------------- */

	/* Writes a fresh message id, made as the core makes its own, for a
	 * message a backend composes itself (a Last Will). */
	void (*new_message_id)(struct mqc_instance *inst, char id[MQC_MESSAGE_ID_SIZE]);

	/* Fire `timer` once at the end of this loop round: after the
	 * callbacks running now, before the loop waits again.  For work
	 * gathered over many calls and done once, such as output written
	 * in one piece. */
	void (*timer_arm_now)(struct mqc_timer *timer);

	/* --- since ABI 1.2 --------------------------------------------------- */

	/* The value of a typed key, parsed and checked by the core before the
	 * plugin's `check` or `open` runs (so valid whenever the plugin asks):
	 * an MQC_KEY_BOOL's on or off; an MQC_KEY_NUMBER's number in the
	 * key's unit; an MQC_KEY_WORD's index in `words`, or -1 for an empty
	 * value.  A key not declared with that type gives false, 0 or -1 and
	 * an error in the log: a bug of the plugin's. */
	bool (*config_bool)(struct mqc_instance *inst, const char *key);
	int64_t (*config_number)(struct mqc_instance *inst, const char *key);
	int (*config_word)(struct mqc_instance *inst, const char *key);

	/* --- since ABI 1.3 --------------------------------------------------- */

	/* A message a backend has parsed itself, for a protocol whose lines
	 * are not payloads for the core to decode (IRC).  Set type, nick,
	 * text, room (or `to`, our nick, for a private message), and id,
	 * sender_id and time_ms when the network gives them ("" and 0 when
	 * not); flags may hold MQC_MSG_RETAINED.  The core fills `network`,
	 * sanitises every string and goes on as with receive(). */
	void (*receive_message)(struct mqc_instance *inst, const struct mqc_message *msg);

	/* Who is in a room, for a backend with MQC_PLUGIN_PRESENCE: `nick`
	 * arrived (`here` true) or left; a NULL `nick` with `here` false
	 * empties the room's list (before a fresh one, or on parting). */
	void (*presence)(struct mqc_instance *inst, const char *room, const char *nick,
	                 bool here);

	/* How many rooms are joined, over every network.  With more than one,
	 * a frontend shows where each message belongs ({network}, {room}). */
	size_t (*room_count)(struct mqc_instance *inst);

	/* Where a line this frontend submits goes: "NETWORK:ROOM".  The
	 * terminal's /go and /join change it; a section's `room =` sets it. */
	const char *(*current_room)(struct mqc_instance *inst);

	/* A backend is no longer in `room` though nobody asked it to part
	 * (the broker refused the subscription, a kick): the core says so,
	 * with `why`, and sends nothing more there. */
	void (*room_left)(struct mqc_instance *inst, const char *room, const char *why);

	/* --- since ABI 1.4 --------------------------------------------------- */

	/* A payload for the core to decode, as receive(), that the backend
	 * places itself: `room` (a room joined; "" for a private message,
	 * then `to` is our nick) and who sent it.  `proved`: NULL when this
	 * network proves no sender; else the sender the network proved (a
	 * broker username under verify), "" when it proved none.  A message
	 * whose decoded nick is not `proved` (ASCII case aside) is marked
	 * MQC_MSG_UNVERIFIED.  `flags`: MQC_MSG_RETAINED (and since ABI 1.7
	 * MQC_MSG_RESENT), or MQC_MSG_HISTORY for an answer to our history
	 * request: stored unless its id is known, and shown as history. */
	void (*receive_payload)(struct mqc_instance *inst, const char *room, const char *to,
	                        const char *proved, const void *payload, size_t len,
	                        unsigned flags);

	/* `nick`'s state in `room` (presence() says only here or not):
	 * `verified` when the network proved it is `nick`. */
	void (*presence_state)(struct mqc_instance *inst, const char *room, const char *nick,
	                       enum mqc_presence state, bool verified);
	/* `room`'s list of who is present is complete, as far as the network
	 * knows now (MQTT: the retained presence has arrived; IRC: the end of
	 * NAMES).  `mqchat --who` prints it then. */
	void (*presence_synced)(struct mqc_instance *inst, const char *room);

	/* True when this run only looks and must leave no trace (mqchat
	 * --who): publish no presence, announce nothing. */
	bool (*quiet)(struct mqc_instance *inst);

	/* The messages of `room` in the history, oldest first: those after
	 * `since_ms` (0: any), the last `max` of them.  `fn` is called for
	 * each, now; the count is returned (0 with history off). */
	size_t (*history_query)(struct mqc_instance *inst, const char *room, int64_t since_ms,
	                        size_t max, void (*fn)(void *data, const struct mqc_message *msg),
	                        void *data);
	/* How many messages a start replays from history ([core]
	 * history_replay; 0 with history off): what to ask others for. */
	size_t (*replay_count)(struct mqc_instance *inst);

	/* --- since ABI 1.5 --------------------------------------------------- */

	/* The backend holds something back until what it has handed the core
	 * so far is in history (MQTT: the acknowledgements of QoS 1 and 2
	 * messages, so that what the broker counts as delivered survives a
	 * kill -9).  The core calls the plugin's `stored` once it is: at the
	 * end of this loop round, or a few milliseconds later while messages
	 * keep coming (one write for many; up to 200 ms while its peer does
	 * not wait, a second when the messages come a few milliseconds apart:
	 * notify_peer_waiting).  With history off, after the same
	 * wait: what is held back lets the peer gather what follows.
	 * One call covers everything handed over before it.  `soon`: the backend
	 * can send nothing else meanwhile (its library queued the
	 * acknowledgement ahead of what is said next): the core writes at the
	 * end of this round, without waiting for more. */
	void (*notify_stored)(struct mqc_instance *inst, bool soon);

	/* --- since ABI 1.6 --------------------------------------------------- */

	/* Whether the peer waits for what the backend holds back until it is
	 * stored (notify_stored), said after each read that brought such
	 * messages.  `false`: the peer was told at once that they arrived
	 * (MQTT: the read was acknowledged at TCP level) and goes on sending,
	 * so the core may let a calm room's messages, one a round, share one
	 * write for up to a fifth of a second, or a second when they come a
	 * few milliseconds apart or more.  `true`, as for a backend that
	 * never says: the peer may be waiting, and the core writes within a
	 * few milliseconds. */
	void (*notify_peer_waiting)(struct mqc_instance *inst, bool waiting);
};

/* True when the core's host table has `member` (added in a later minor). */
#define MQC_HOST_HAS(host, member)                                             \
	((host)->size >= offsetof(struct mqc_host, member) +                   \
	                     sizeof(((struct mqc_host *)0)->member) &&          \
	 (host)->member != NULL)

/* ------------------------------------------------------------------------
 * The plugin
 * ------------------------------------------------------------------------ */

enum mqc_plugin_kind {
	MQC_PLUGIN_FRONTEND = 1,
	MQC_PLUGIN_BACKEND = 2,
};

/* What a plugin tells the core about itself (since ABI 1.2). */
enum mqc_plugin_flags {
	/* This frontend is the user's terminal (the stdin plugin): it shows
	 * the core's events (link state, warnings) as STATUS messages, so the
	 * core does not print them on standard error as well, and when
	 * standard input and error are a terminal the core asks there for a
	 * nick [core] does not give. */
	MQC_PLUGIN_OWNS_TERMINAL = 1u << 0,
	/* Since ABI 1.3.  This backend sends private messages: `publish` may get a message
	 * whose `to` is a nick (and `room` ""). */
	MQC_PLUGIN_PRIVATE = 1u << 1,
	/* This backend says who is present with host->presence(). */
	MQC_PLUGIN_PRESENCE = 1u << 2,
};

struct mqc_plugin {
	/* Filled by MQC_PLUGIN_DEFINE: the ABI the plugin was built against. */
	uint16_t abi_major, abi_minor;
	uint32_t size;

	const char *name;        /* short, e.g. "fifo" */
	const char *version;     /* the plugin's own version */
	const char *description; /* one line for --list-plugins */
	enum mqc_plugin_kind kind;
	const struct mqc_key *keys; /* ends with an entry whose name is NULL */

	/* MANDATORY.  Start one instance: read config, open descriptors,
	 * register watches and timers.  Return the instance's state (any
	 * non-NULL pointer), or NULL after host->config_error() or
	 * host->log(MQC_LOG_ERROR, ...) saying why: mqchat then exits 78 if
	 * config_error was called, else 69.  `inst` and `host` stay valid until
	 * `close` returns. */
	void *(*open)(struct mqc_instance *inst, const struct mqc_host *host);

	/* MANDATORY.  Undo `open`: remove watches and timers, close descriptors,
	 * free state.  Called once, at exit, also after a failed quit. */
	void (*close)(void *self);

	/* Optional.  SIGHUP: reopen what the instance holds open (log files,
	 * FIFOs) without losing anything. */
	void (*reopen)(void *self);

	/* FRONTEND, MANDATORY.  Show one message.  Called, for every
	 * frontend, with (tell them apart by `type` and `flags`):
	 *  - each message received from the room, once (the broker's echo
	 *    of our own, redeliveries and a session's repeats are dropped
	 *    before): MESSAGE, ACTION ("/me waves": text "waves"), JOIN or
	 *    LEAVE (text usually ""); `nick` "" when a plain payload named
	 *    nobody (show `topic`); MQC_MSG_RETAINED if the broker kept it
	 *    for every new subscriber (it may be old);
	 *  - each message this process says, from any frontend, as soon as
	 *    it is queued (MQC_MSG_OWN, topic ""): messages, actions, the
	 *    JOIN at start and after a reconnection, the LEAVE at exit (the
	 *    last two with [core] announce on);
	 *  - history (MQC_MSG_HISTORY, plus MQC_MSG_OWN if ours), while
	 *    [core] history is on: at every start, after every frontend's
	 *    `open` and before anything live, the last [core] history_replay
	 *    messages (20 by default); /history and /search results go only
	 *    to the frontend that asked.  A plugin that records the room
	 *    skips them: it got them live;
	 *  - STATUS (nick "", topic "", MQC_MSG_ERROR for problems): mqchat
	 *    speaking to this user, never sent: link state, warnings, errors
	 *    and refused messages to every frontend; command replies (/help,
	 *    /nick, /search's count) to the frontend that typed the command. */
	void (*deliver)(void *self, const struct mqc_message *msg);

	/* BACKEND, MANDATORY.  Send `msg` to its room (`msg->room`, since
	 * ABI 1.3; a backend without `join` is sent only its own room's), or
	 * to `msg->to` with MQC_PLUGIN_PRIVATE.  A relayed message
	 * (`hops` > 0) carries its sender's nick as the bridge named it: a
	 * network whose sender is always this connection (IRC) puts it in
	 * the text ("<Ana@mqtt> hola").  Return 0 once the
	 * message is the backend's to deliver, and call host->acked(token)
	 * exactly once, now or later; return -1 if it cannot be taken now
	 * (link down): the core keeps it queued and tries again after the next
	 * MQC_LINK_UP.  Called only while the link is UP. */
	int (*publish)(void *self, const struct mqc_message *msg,
	               uint64_t token);

	/* Optional.  Validate the instance's configuration with no side
	 * effect (nothing created, opened or connected): report each bad value
	 * with host->config_error() and return -1, else 0.  The core calls it
	 * before `open`, and alone for `mqchat --check-config`.  Typed keys
	 * are checked already (enum mqc_key_type): what is left is what a
	 * type cannot say, such as a string's form, files, keys that must go
	 * together.  `open` may then take what check() found valid for
	 * granted. */
	int (*check)(struct mqc_instance *inst, const struct mqc_host *host);

	/* --- since ABI 1.2 --------------------------------------------------- */

	unsigned flags; /* enum mqc_plugin_flags */

	/* --- since ABI 1.3 --------------------------------------------------- */

	/* BACKEND, optional: rooms.  Start receiving `room`'s messages, now or
	 * as soon as the link is up (and again after every reconnection), and
	 * accept `publish` to it; return 0, or -1 after host->log() saying why
	 * (a name this network cannot have).  Called after `open` for every
	 * room the configuration names, then for each /join.  Joining a room
	 * already joined returns 0.  Without `join` the backend has one room. */
	int (*join)(void *self, const char *room);
	/* BACKEND, optional with `join`: stop receiving `room`'s messages. */
	void (*part)(void *self, const char *room);

	/* --- since ABI 1.4 --------------------------------------------------- */

	/* BACKEND, optional: the user is away, saying `text` (/away TEXT), or
	 * back when `text` is NULL (/away alone). */
	void (*set_away)(void *self, const char *text);

	/* --- since ABI 1.5 --------------------------------------------------- */

	/* BACKEND, optional: what this backend handed the core before its
	 * last host->notify_stored() is in history now.  A backend built
	 * against ABI 1.4 or older is not asked to wait: while one is loaded,
	 * the core writes history at the end of every round that received
	 * something, before the loop waits again, as it always did. */
	void (*stored)(void *self);
};

#define MQC_PLUGIN_DEFINE(...)                                                 \
	MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;            \
	const struct mqc_plugin mqchat_plugin_v1 = {                           \
		.abi_major = MQC_ABI_MAJOR,                                    \
		.abi_minor = MQC_ABI_MINOR,                                    \
		.size = sizeof(struct mqc_plugin),                             \
		__VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* MQCHAT_PLUGIN_H */
