/* SPDX-License-Identifier: MIT */
/* The host table: what plugins may ask of the core, mapped onto chat.c,
 * loop.c and template.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "identity.h"
#include "sanitize.h"
#include "template.h"
#include "wire_json.h"
#include "wire_plain.h"

static const char *host_config(struct mqc_instance *mi, const char *key)
{
	return instance_value((struct instance *)mi, key);
}

MQC_PRINTF(3, 4) static void host_config_error(struct mqc_instance *mi, const char *key,
                                                 const char *fmt, ...)
{
	struct instance *inst = (struct instance *)mi;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	const char *origin = instance_origin(inst, key);
	log_print(NULL, MQC_LOG_ERROR, "%s: [%s] %s: %s", origin ? origin : "(unknown key)",
	         inst->name, key, strbuf_str(&sb));
	strbuf_free(&sb);
	inst->config_failed = true;
}

static const char *host_name(struct mqc_instance *mi)
{
	return ((struct instance *)mi)->name;
}

MQC_PRINTF(3, 4) static void host_log(struct mqc_instance *mi, enum mqc_log_level level,
                                        const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (level < MQC_LOG_DEBUG || getenv("MQCHAT_DEBUG"))
		log_print(((struct instance *)mi)->name, level, "%s", strbuf_str(&sb));
	strbuf_free(&sb);
}

static struct mqc_watch *host_watch_add(struct mqc_instance *mi, int fd, unsigned events,
                                        unsigned flags, mqc_io_fn fn, void *data)
{
	struct instance *inst = (struct instance *)mi;
	return (struct mqc_watch *)loop_watch_add(inst->chat->loop, fd, events,
	                                          (flags & MQC_WATCH_SOURCE) ? inst : NULL, fn,
	                                          data);
}

static void host_watch_update(struct mqc_watch *w, unsigned events)
{
	loop_watch_update((struct loop_watch *)w, events);
}

static void host_watch_remove(struct mqc_watch *w)
{
	loop_watch_remove((struct loop_watch *)w);
}

static struct mqc_timer *host_timer_add(struct mqc_instance *mi, uint32_t ms, bool repeat,
                                        mqc_timer_fn fn, void *data)
{
	struct instance *inst = (struct instance *)mi;
	return (struct mqc_timer *)loop_timer_add(inst->chat->loop, ms, repeat, fn, data);
}

static void host_timer_arm(struct mqc_timer *t, uint32_t ms)
{
	loop_timer_arm((struct loop_timer *)t, ms);
}

static void host_timer_arm_now(struct mqc_timer *t)
{
	loop_timer_arm_now((struct loop_timer *)t);
}

static void host_timer_remove(struct mqc_timer *t)
{
	loop_timer_remove((struct loop_timer *)t);
}

static void host_submit_line(struct mqc_instance *mi, const char *line, size_t len,
                             unsigned flags, const char *nick)
{
	struct instance *inst = (struct instance *)mi;
	chat_submit_line(inst->chat, inst, line, len, flags, nick);
}

static void host_quit(struct mqc_instance *mi, int code)
{
	chat_quit(((struct instance *)mi)->chat, code);
}

static const char *host_nick(struct mqc_instance *mi)
{
	return ((struct instance *)mi)->chat->nick;
}

/* A plugin's template, and whether the plugin's messages are read in
 * full (see message_for). */
struct host_template {
	struct template *t;
	const struct instance *inst;
	struct strbuf out; /* each render's, kept for the next */
};

/* `msg` as the core may read it: a message of a plugin built before ABI
 * 1.3 ends at time_ms, unless it is the one the core is delivering. */
static struct mqc_message message_for(const struct instance *inst,
                                      const struct mqc_message *msg)
{
	if (inst->plugin->desc.abi_minor >= 3 || msg == inst->chat->delivering)
		return *msg;
	struct mqc_message m = {.network = "", .room = "", .to = "", .origin = ""};
	memcpy(&m, msg, offsetof(struct mqc_message, network));
	return m;
}

static struct mqc_template *host_template_new(struct mqc_instance *mi, const char *key,
                                              const char *text)
{
	struct instance *inst = (struct instance *)mi;
	struct strbuf err = STRBUF_INIT;
	struct template *t = template_compile(text, inst->chat->set.time_format, &err);
	if (!t)
		host_config_error(mi, key, "%s", strbuf_str(&err));
	strbuf_free(&err);
	if (!t)
		return NULL;
	struct host_template *ht = xcalloc(1, sizeof *ht);
	*ht = (struct host_template){t, inst, STRBUF_INIT};
	return (struct mqc_template *)ht;
}

static size_t host_template_render(const struct mqc_template *tpl,
                                   const struct mqc_message *msg, unsigned flags, char *buf,
                                   size_t size)
{
	if (size == 0)
		return 0;
	/* The plugin's template is const to it; its buffer is ours. */
	struct host_template *ht = (struct host_template *)tpl;
	struct mqc_message m = message_for(ht->inst, msg);
	struct strbuf *sb = &ht->out;
	strbuf_reset(sb);
	template_render(ht->t, &m, flags, sb);
	/* Cut at a character boundary: never leave half a UTF-8 sequence. */
	size_t n = mqc_utf8_prefix(strbuf_str(sb), sb->len, size - 1);
	if (n)
		memcpy(buf, sb->data, n);
	buf[n] = '\0';
	strbuf_free_if_big(sb);
	return n;
}

static void host_template_free(struct mqc_template *tpl)
{
	struct host_template *ht = (struct host_template *)tpl;
	if (!ht)
		return;
	template_free(ht->t);
	strbuf_free(&ht->out);
	free(ht);
}

/* The network a backend's call is about; NULL (said in the log) when a
 * frontend calls what only a backend may. */
static struct network *network_of(struct mqc_instance *mi, const char *what)
{
	struct instance *inst = (struct instance *)mi;
	if (!inst->network)
		log_print(inst->name, MQC_LOG_ERROR, "%s is for backends: ignored (a plugin bug)",
		          what);
	return inst->network;
}

static void host_receive(struct mqc_instance *mi, const char *topic, const void *payload,
                         size_t len, unsigned flags)
{
	struct network *net = network_of(mi, "receive");
	if (net)
		chat_receive(((struct instance *)mi)->chat, net, topic, payload, len, flags);
}

static void host_receive_message(struct mqc_instance *mi, const struct mqc_message *msg)
{
	struct network *net = network_of(mi, "receive_message");
	if (net)
		chat_receive_message(((struct instance *)mi)->chat, net, msg);
}

static void host_presence(struct mqc_instance *mi, const char *room, const char *nick,
                          bool here)
{
	struct network *net = network_of(mi, "presence");
	if (net && (room || !nick))
		chat_presence(((struct instance *)mi)->chat, net, room, nick, here);
}

static void host_acked(struct mqc_instance *mi, uint64_t token, enum mqc_ack result)
{
	struct network *net = network_of(mi, "acked");
	if (net)
		chat_acked(((struct instance *)mi)->chat, net, token, result);
}

static void host_link_state(struct mqc_instance *mi, enum mqc_link state, const char *detail)
{
	struct network *net = network_of(mi, "link_state");
	if (net)
		chat_link_state(((struct instance *)mi)->chat, net, state, detail);
}

static void host_room_left(struct mqc_instance *mi, const char *room, const char *why)
{
	struct network *net = network_of(mi, "room_left");
	if (net && room)
		chat_room_left(((struct instance *)mi)->chat, net, room, why ? why : "");
}

static void host_receive_payload(struct mqc_instance *mi, const char *room, const char *to,
                                 const char *proved, const void *payload, size_t len,
                                 unsigned flags)
{
	struct network *net = network_of(mi, "receive_payload");
	if (net && room && to && (payload || !len))
		chat_receive_payload(((struct instance *)mi)->chat, net,
		                     &(struct chat_place){room, to, proved}, payload, len, flags);
}

static void host_presence_state(struct mqc_instance *mi, const char *room, const char *nick,
                                enum mqc_presence state, bool verified)
{
	struct network *net = network_of(mi, "presence_state");
	if (net && room && nick)
		network_presence_state(net, room, nick, state, verified);
}

static void host_presence_synced(struct mqc_instance *mi, const char *room)
{
	struct network *net = network_of(mi, "presence_synced");
	if (net && room)
		chat_presence_synced(((struct instance *)mi)->chat, net, room);
}

static void host_notify_stored(struct mqc_instance *mi, bool soon)
{
	struct network *net = network_of(mi, "notify_stored");
	if (net)
		chat_notify_stored(((struct instance *)mi)->chat, net, soon);
}

static void host_notify_peer_waiting(struct mqc_instance *mi, bool waiting)
{
	struct network *net = network_of(mi, "notify_peer_waiting");
	if (net)
		chat_notify_peer_waiting(net, waiting);
}

static bool host_quiet(struct mqc_instance *mi)
{
	return ((struct instance *)mi)->chat->who != NULL;
}

static size_t host_history_query(struct mqc_instance *mi, const char *room, int64_t since_ms,
                                 size_t max, void (*fn)(void *, const struct mqc_message *),
                                 void *data)
{
	struct network *net = network_of(mi, "history_query");
	if (!net || !room || !fn)
		return 0;
	return archive_query(((struct instance *)mi)->chat->archive, net->name, room, since_ms,
	                     max, fn, data);
}

static size_t host_replay_count(struct mqc_instance *mi)
{
	return archive_replay_count(((struct instance *)mi)->chat->archive);
}

static size_t host_room_count(struct mqc_instance *mi)
{
	return chat_room_count(((struct instance *)mi)->chat);
}

static const char *host_current_room(struct mqc_instance *mi)
{
	struct instance *inst = (struct instance *)mi;
	return inst->room && inst->room->text ? inst->room->text : "";
}

static const char *host_encode(struct mqc_instance *mi, const char *wire,
                               const struct mqc_message *msg, size_t *len)
{
	struct instance *inst = (struct instance *)mi;
	struct mqc_message m = message_for(inst, msg);
	strbuf_reset(&inst->scratch);
	if (strcmp(wire, "plain") == 0)
		plain_encode(&inst->scratch, &m);
	else if (strcmp(wire, "json") == 0)
		json_encode(&inst->scratch, &m);
	else
		return NULL;
	if (inst->network)
		chat_note_published(inst->chat, inst->network, inst->scratch.data,
		                    inst->scratch.len);
	*len = inst->scratch.len;
	return inst->scratch.data;
}

static const char *host_stable_id(struct mqc_instance *mi)
{
	return ((struct instance *)mi)->chat->stable_id;
}

static void host_new_message_id(struct mqc_instance *mi, char id[MQC_MESSAGE_ID_SIZE])
{
	(void)mi;
	identity_new_message_id(id);
}

/* A typed key's value for a plugin; a key not declared with `type` is
 * the plugin's bug, said in the log. */
static int64_t host_typed(struct mqc_instance *mi, const char *key, enum mqc_key_type type,
                          int64_t otherwise)
{
	struct instance *inst = (struct instance *)mi;
	int64_t value;
	if (instance_typed(inst, key, type, &value))
		return value;
	log_print(inst->name, MQC_LOG_ERROR, "the plugin asked for key '%s' as a type it "
	         "does not declare it with", key);
	return otherwise;
}

static bool host_config_bool(struct mqc_instance *mi, const char *key)
{
	return host_typed(mi, key, MQC_KEY_BOOL, 0) != 0;
}

static int64_t host_config_number(struct mqc_instance *mi, const char *key)
{
	return host_typed(mi, key, MQC_KEY_NUMBER, 0);
}

static int host_config_word(struct mqc_instance *mi, const char *key)
{
	return (int)host_typed(mi, key, MQC_KEY_WORD, -1);
}

const struct mqc_host chat_host = {
	.size = sizeof(struct mqc_host),
	.abi_major = MQC_ABI_MAJOR,
	.abi_minor = MQC_ABI_MINOR,
	.config = host_config,
	.config_error = host_config_error,
	.name = host_name,
	.log = host_log,
	.watch_add = host_watch_add,
	.watch_update = host_watch_update,
	.watch_remove = host_watch_remove,
	.timer_add = host_timer_add,
	.timer_arm = host_timer_arm,
	.timer_remove = host_timer_remove,
	.submit_line = host_submit_line,
	.quit = host_quit,
	.nick = host_nick,
	.template_new = host_template_new,
	.template_render = host_template_render,
	.template_free = host_template_free,
	.receive = host_receive,
	.acked = host_acked,
	.link_state = host_link_state,
	.encode = host_encode,
	.stable_id = host_stable_id,
	.new_message_id = host_new_message_id,
	.timer_arm_now = host_timer_arm_now,
	.config_bool = host_config_bool,
	.config_number = host_config_number,
	.config_word = host_config_word,
	.receive_message = host_receive_message,
	.presence = host_presence,
	.room_count = host_room_count,
	.current_room = host_current_room,
	.room_left = host_room_left,
	.receive_payload = host_receive_payload,
	.presence_state = host_presence_state,
	.presence_synced = host_presence_synced,
	.quiet = host_quiet,
	.history_query = host_history_query,
	.replay_count = host_replay_count,
	.notify_stored = host_notify_stored,
	.notify_peer_waiting = host_notify_peer_waiting,
};
