/* SPDX-License-Identifier: MIT */
#include "bridge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "fnv.h"
#include "log.h"
#include "nick.h"
#include "roomref.h"
#include "strbuf.h"
#include "template.h"

/* Copies relayed into a room are remembered this long, this many at most. */
#define RECENT_MS 60000
#define RECENT_SIZE 1024
/* Stands for the sender in nick_format when finding the relayed shape. */
#define SHAPE_NICK "\x01"

/* What a relayed sender looks like on one network: prefix NICK suffix. */
struct shape {
	char *prefix, *suffix;
};

struct bridge {
	char *name;
	struct roomref *rooms;
	size_t n_rooms;
	struct template *nick_format;
	unsigned events; /* 1 << enum mqc_msg_type */
	struct shape *shapes; /* one per room */
};

struct bridges {
	struct bridge *v;
	size_t n;
	struct {
		uint64_t digest, expires_ms;
	} recent[RECENT_SIZE];
	size_t next;
};

static const char *const event_names[] = {"message", "action", "join", "leave", NULL};

/* Where [section] key's value came from, for an error. */
static const char *origin_of(const struct config *cfg, const char *section, const char *key)
{
	const struct config_value *v = config_find(cfg, section, key);
	return v ? v->origin : "built-in default";
}

static const char *value_of(const struct config *cfg, const char *section, const char *key)
{
	const struct config_value *v = config_find(cfg, section, key);
	if (v)
		return v->value;
	for (const struct mqc_key *k = config_bridge_keys; k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->def;
	return "";
}

static int parse_events(struct bridge *br, const struct config *cfg)
{
	const char *p = value_of(cfg, br->name, "events");
	int failures = 0;
	for (char *word; (word = namelist_next(&p)); free(word)) {
		size_t i = 0;
		while (event_names[i] && strcasecmp(event_names[i], word) != 0)
			i++;
		if (event_names[i]) {
			br->events |= 1u << i;
			continue;
		}
		log_print(NULL, MQC_LOG_ERROR, "%s: [%s] events: '%s' is not one of: message, "
		          "action, join, leave", origin_of(cfg, br->name, "events"), br->name, word);
		failures++;
	}
	return failures;
}

static bool has_room(const struct bridge *br, const struct roomref *r)
{
	for (size_t i = 0; i < br->n_rooms; i++)
		if (strcmp(br->rooms[i].network, r->network) == 0 &&
		    strcmp(br->rooms[i].room, r->room) == 0)
			return true;
	return false;
}

/* Whether `word` starts with "NETWORK:". */
static bool names_network(const char *word, const char *network)
{
	size_t len = strlen(network);
	return strncmp(word, network, len) == 0 && word[len] == ':';
}

static int parse_rooms(struct bridge *br, const struct config *cfg,
                       const char *const *networks, size_t n)
{
	const char *p = value_of(cfg, br->name, "rooms");
	const char *origin = origin_of(cfg, br->name, "rooms");
	int failures = 0;
	for (char *word; (word = namelist_next(&p)); free(word)) {
		struct roomref r;
		if (!roomref_parse(word, strlen(word), networks, n, &r))
			continue;
		if (!names_network(word, r.network)) {
			log_print(NULL, MQC_LOG_ERROR, "%s: [%s] rooms: '%s' names no network: write "
			          "NETWORK:ROOM, NETWORK one of [core] backends", origin, br->name, word);
			roomref_free(&r);
			failures++;
			continue;
		}
		if (has_room(br, &r)) {
			roomref_free(&r);
			continue;
		}
		br->rooms = xrealloc(br->rooms, (br->n_rooms + 1) * sizeof *br->rooms);
		br->rooms[br->n_rooms++] = r;
	}
	if (failures || br->n_rooms >= 2)
		return failures;
	log_print(NULL, MQC_LOG_ERROR, "%s: [%s] rooms: a bridge links at least two rooms "
	          "(NETWORK:ROOM NETWORK:ROOM; networks: [core] backends)", origin, br->name);
	return 1;
}

/* ':' becomes '_' in a relayed sender's name (see relay_nick()). */
static void no_colons(struct strbuf *name)
{
	for (char *colon; name->len && (colon = memchr(name->data, ':', name->len));)
		*colon = '_';
}

/* The nick_format around a sender, for each room's network. */
static void find_shapes(struct bridge *br)
{
	br->shapes = xcalloc(br->n_rooms, sizeof *br->shapes);
	for (size_t i = 0; i < br->n_rooms; i++) {
		struct mqc_message msg = {.nick = SHAPE_NICK, .text = "", .topic = "", .id = "",
		                          .sender_id = "", .network = br->rooms[i].network,
		                          .room = br->rooms[i].room, .to = "", .origin = ""};
		struct strbuf sb = STRBUF_INIT;
		template_render(br->nick_format, &msg, 0, &sb);
		no_colons(&sb); /* as relay_nick() makes a copy's */
		const char *s = strbuf_str(&sb);
		const char *mark = strstr(s, SHAPE_NICK);
		br->shapes[i].prefix = xstrndup(s, mark ? (size_t)(mark - s) : 0);
		br->shapes[i].suffix = xstrdup(mark ? mark + 1 : "");
		strbuf_free(&sb);
	}
}

static int bridge_read(struct bridge *br, const struct config *cfg, const char *const *networks,
                       size_t n, const char *time_format)
{
	if (!config_find_section(cfg, br->name)) {
		log_print(NULL, MQC_LOG_ERROR, "%s: [core] bridges names '%s', which has no section",
		          origin_of(cfg, "core", "bridges"), br->name);
		return 1;
	}
	int failures = parse_rooms(br, cfg, networks, n) + parse_events(br, cfg);
	struct strbuf err = STRBUF_INIT;
	br->nick_format = template_compile(value_of(cfg, br->name, "nick_format"), time_format,
	                                   &err);
	if (!br->nick_format) {
		log_print(NULL, MQC_LOG_ERROR, "%s: [%s] nick_format: %s",
		          origin_of(cfg, br->name, "nick_format"), br->name, strbuf_str(&err));
		failures++;
	}
	strbuf_free(&err);
	if (!failures)
		find_shapes(br);
	return failures;
}

int bridges_open(struct bridges **out, const struct config *cfg, const char *const *networks,
                 size_t n, const char *time_format)
{
	*out = NULL;
	const char *p = config_core_value(cfg, "bridges");
	if (!namelist_count(p))
		return 0;
	struct bridges *b = xcalloc(1, sizeof *b);
	int failures = 0;
	for (char *name; (name = namelist_next(&p));) {
		b->v = xrealloc(b->v, (b->n + 1) * sizeof *b->v);
		b->v[b->n] = (struct bridge){.name = name};
		failures += bridge_read(&b->v[b->n++], cfg, networks, n, time_format);
	}
	if (failures) {
		bridges_close(b);
		return EX_CONFIG;
	}
	*out = b;
	return 0;
}

void bridges_close(struct bridges *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct bridge *br = &b->v[i];
		for (size_t k = 0; k < br->n_rooms; k++) {
			roomref_free(&br->rooms[k]);
			if (br->shapes) {
				free(br->shapes[k].prefix);
				free(br->shapes[k].suffix);
			}
		}
		free(br->rooms);
		free(br->shapes);
		if (br->nick_format)
			template_free(br->nick_format);
		free(br->name);
	}
	free(b->v);
	free(b);
}

void bridges_each_room(const struct bridges *b, void (*fn)(void *data, const char *network,
                                                            const char *room),
                       void *data)
{
	for (size_t i = 0; b && i < b->n; i++)
		for (size_t k = 0; k < b->v[i].n_rooms; k++)
			fn(data, b->v[i].rooms[k].network, b->v[i].rooms[k].room);
}

/* --- relaying ------------------------------------------------------------ */

static uint64_t copy_digest(const char *network, const char *room, enum mqc_msg_type type,
                            const char *nick, const char *text)
{
	const char *parts[] = {network, room, nick, text};
	uint64_t h = fnv1a64(FNV1A64_INIT, &type, sizeof type);
	for (size_t i = 0; i < 4; i++)
		h = fnv1a64(h, parts[i], strlen(parts[i]) + 1);
	return h;
}

static bool recently_relayed(const struct bridges *b, uint64_t digest, uint64_t now_ms)
{
	for (size_t i = 0; i < RECENT_SIZE; i++)
		if (b->recent[i].digest == digest && b->recent[i].expires_ms > now_ms)
			return true;
	return false;
}

static void remember(struct bridges *b, uint64_t digest, uint64_t now_ms)
{
	b->recent[b->next].digest = digest;
	b->recent[b->next].expires_ms = now_ms + RECENT_MS;
	b->next = (b->next + 1) % RECENT_SIZE;
}

static bool has_shape(const char *nick, const struct shape *s)
{
	size_t len = strlen(nick), pre = strlen(s->prefix), suf = strlen(s->suffix);
	if (!pre && !suf)
		return false; /* nick_format "{nick}": no shape to know a relay by */
	return len > pre + suf && strncmp(nick, s->prefix, pre) == 0 &&
	       strcmp(nick + len - suf, s->suffix) == 0;
}

/* The index of msg's room in `br`, or -1. */
static int room_of(const struct bridge *br, const struct mqc_message *msg)
{
	for (size_t i = 0; i < br->n_rooms; i++)
		if (strcmp(br->rooms[i].network, msg->network) == 0 &&
		    strcmp(br->rooms[i].room, msg->room) == 0)
			return (int)i;
	return -1;
}

/* Whether `br` relays `msg` at all (wherever it would go). */
static bool crosses(const struct bridge *br, const struct mqc_message *msg, bool json)
{
	if (msg->type > MQC_MSG_LEAVE || !(br->events & (1u << msg->type)))
		return false;
	if (msg->hops >= BRIDGE_MAX_HOPS)
		return false;
	for (size_t i = 0; !json && i < br->n_rooms; i++)
		if (has_shape(msg->nick, &br->shapes[i]))
			return false;
	return true;
}

/* Whether `msg` came first from `r` (its origin, or where it is now). */
static bool came_from(const struct mqc_message *msg, const struct roomref *r)
{
	if (strcmp(msg->network, r->network) == 0 && strcmp(msg->room, r->room) == 0)
		return true;
	size_t net = strlen(r->network);
	return strncmp(msg->origin, r->network, net) == 0 && msg->origin[net] == ':' &&
	       strcmp(msg->origin + net + 1, r->room) == 0;
}

/* A copy's id: derived from the original's, so that every bridge relaying
 * one message into one room makes the same copy; fresh without one. */
static void copy_id(const struct mqc_message *msg, const struct roomref *to, char *out)
{
	*out = '\0';
	if (!*msg->id)
		return;
	uint64_t h = fnv1a64(FNV1A64_INIT, "relay", 6);
	h = fnv1a64(h, msg->id, strlen(msg->id) + 1);
	h = fnv1a64(h, to->network, strlen(to->network) + 1);
	h = fnv1a64(h, to->room, strlen(to->room) + 1);
	snprintf(out, MQC_MESSAGE_ID_SIZE, "%016" PRIx64, h);
}

/* The copy's sender: nick_format rendered, made a nick every receiver
 * takes (nick.h): a ':' (from a room's name, say) would split the plain
 * wire's "nick: text" elsewhere, and a name past NICK_MAX is refused; so
 * ':' becomes '_' and the name is cut. */
static void relay_nick(const struct bridge *br, const struct mqc_message *msg,
                       struct strbuf *out)
{
	/* Rendered as a message's: an action's "* " belongs to the text. */
	struct mqc_message as_said = *msg;
	as_said.type = MQC_MSG_MESSAGE;
	as_said.flags = 0;
	struct strbuf raw = STRBUF_INIT;
	template_render(br->nick_format, &as_said, 0, &raw);
	no_colons(&raw);
	size_t len = mqc_utf8_prefix(strbuf_str(&raw), raw.len, NICK_MAX);
	if (nick_clean(out, strbuf_str(&raw), len))
		strbuf_appends(out, msg->network); /* nothing left of it: say whence */
	strbuf_free(&raw);
}

/* Whether `plan` has a copy for `to` said by `nick` (two bridges linking
 * the same rooms make one). */
static bool planned(const struct relay_plan *plan, const struct roomref *to, const char *nick)
{
	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->copies[i].network, to->network) == 0 &&
		    strcmp(plan->copies[i].room, to->room) == 0 && strcmp(plan->copies[i].nick, nick) == 0)
			return true;
	return false;
}

static void plan_bridge(struct bridges *b, const struct bridge *br, const struct mqc_message *msg,
                        uint64_t now_ms, struct relay_plan *plan)
{
	if (room_of(br, msg) < 0 || !crosses(br, msg, msg->hops > 0 || *msg->origin))
		return;
	struct strbuf nick = STRBUF_INIT;
	relay_nick(br, msg, &nick);
	for (size_t i = 0; i < br->n_rooms; i++) {
		const struct roomref *to = &br->rooms[i];
		if (came_from(msg, to) || planned(plan, to, strbuf_str(&nick)))
			continue;
		remember(b, copy_digest(to->network, to->room, msg->type, strbuf_str(&nick),
		                        msg->text), now_ms);
		plan->copies = xrealloc(plan->copies, (plan->n + 1) * sizeof *plan->copies);
		struct relay *r = &plan->copies[plan->n++];
		*r = (struct relay){.network = to->network, .room = to->room,
		                    .nick = xstrdup(strbuf_str(&nick))};
		copy_id(msg, to, r->id);
	}
	strbuf_free(&nick);
}

size_t bridges_plan(struct bridges *b, const struct mqc_message *msg, uint64_t now_ms,
                    struct relay_plan *plan)
{
	relay_plan_free(plan);
	if (!b || msg->type == MQC_MSG_STATUS ||
	    (msg->flags & (MQC_MSG_HISTORY | MQC_MSG_RETAINED)))
		return 0;
	/* What arrives as a twin of a copy this process relayed goes no further. */
	if (recently_relayed(b, copy_digest(msg->network, msg->room, msg->type, msg->nick,
	                                    msg->text), now_ms))
		return 0;
	for (size_t i = 0; i < b->n; i++)
		plan_bridge(b, &b->v[i], msg, now_ms, plan);
	return plan->n;
}

void relay_plan_free(struct relay_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		free(plan->copies[i].nick);
	free(plan->copies);
	*plan = (struct relay_plan){0};
}
