/* SPDX-License-Identifier: MIT */
/* The networks of a chat and their rooms, the bridges' rooms, and where
 * each frontend speaks: from the configuration, then as rooms are joined,
 * parted and left. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "chat.h"
#include "roomref.h"

void chat_set_room(struct chat *chat, size_t i, struct network *net, const char *room)
{
	struct frontend_room *fr = &chat->rooms[i];
	free(fr->room);
	free(fr->text);
	fr->net = net;
	fr->room = xstrdup(room);
	struct strbuf text = STRBUF_INIT;
	strbuf_printf(&text, "%s:%s", net->name, room);
	fr->text = strbuf_take(&text);
}

/* Where `value` (a section's `room`, a bridge's) names, joined at start. */
static bool add_configured_room(struct chat *chat, const char *value, const char *origin,
                                struct roomref *out)
{
	if (!roomref_parse(value, strlen(value), chat->network_names, chat->n_networks, out)) {
		log_print(NULL, MQC_LOG_ERROR, "%s: '%s' is no room", origin, value);
		return false;
	}
	struct network *net = chat_network(chat, out->network);
	if (net->has_rooms || network_room_index(net, out->room) >= 0) {
		network_add_room(net, out->room);
		return true;
	}
	log_print(NULL, MQC_LOG_ERROR, "%s: network %s (plugin %s) has one room, %s: it cannot "
	          "join %s", origin, net->name, net->inst->plugin->desc.name, net->rooms[0],
	          out->room);
	roomref_free(out);
	return false;
}

static int prepare_networks(struct chat *chat)
{
	chat->n_networks = chat->instances.n_backends;
	chat->networks = xcalloc(chat->n_networks, sizeof *chat->networks);
	chat->network_names = xcalloc(chat->n_networks + 1, sizeof *chat->network_names);
	chat->save_queues = xcalloc(chat->n_networks, sizeof *chat->save_queues);
	int rc = 0;
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct instance *inst = chat->instances.backends[i];
		const struct config_value *rooms = config_find(chat->cfg, inst->name, "rooms");
		struct network *net = &chat->networks[i];
		network_init(net, inst, rooms ? rooms->value : "");
		chat->network_names[i] = net->name;
		if (rooms && net->n_rooms > 1 && !net->has_rooms) {
			log_print(NULL, MQC_LOG_ERROR, "%s: [%s] rooms: plugin %s (ABI %u.%u) has one "
			          "room, %s", rooms->origin, inst->name, inst->plugin->desc.name,
			          inst->plugin->desc.abi_major, inst->plugin->desc.abi_minor,
			          net->rooms[0]);
			rc = EX_CONFIG;
		}
	}
	return rc;
}

/* A bridge's room, joined at start: for chat_prepare, with its verdict. */
struct bridge_rooms {
	struct chat *chat;
	int rc;
};

static void join_bridge_room(void *data, const char *network, const char *room)
{
	struct bridge_rooms *b = data;
	struct network *net = chat_network(b->chat, network);
	if (net->has_rooms || network_room_index(net, room) >= 0) {
		network_add_room(net, room);
		return;
	}
	const struct config_value *v = config_find(b->chat->cfg, "core", "bridges");
	log_print(NULL, MQC_LOG_ERROR, "%s: a bridge links %s:%s, but network %s (plugin %s) "
	          "has one room, %s", v ? v->origin : "[core] bridges", network, room, net->name,
	          net->inst->plugin->desc.name, net->rooms[0]);
	b->rc = EX_CONFIG;
}

/* Where each frontend's lines go: its section's `room`, else the default
 * room (the first network's first). */
static int prepare_frontend_rooms(struct chat *chat)
{
	size_t n = chat->instances.n_frontends;
	chat->rooms = xcalloc(n ? n : 1, sizeof *chat->rooms);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct instance *inst = chat->instances.frontends[i];
		inst->room = &chat->rooms[i];
		const struct config_value *v = config_find(chat->cfg, inst->name, "room");
		if (v && !*v->value)
			v = NULL; /* empty: the default room */
		struct roomref r;
		if (v && !add_configured_room(chat, v->value, v->origin, &r)) {
			rc = EX_CONFIG;
			continue;
		}
		struct network *net = v ? chat_network(chat, r.network) : &chat->networks[0];
		chat_set_room(chat, i, net, v ? r.room : net->rooms[0]);
		if (v)
			roomref_free(&r);
	}
	return rc;
}

int chat_prepare(struct chat *chat)
{
	int rc = prepare_networks(chat);
	struct bridge_rooms joined = {chat, bridges_open(&chat->bridges, chat->cfg,
	                                                 chat->network_names, chat->n_networks,
	                                                 chat->set.time_format)};
	bridges_each_room(chat->bridges, join_bridge_room, &joined);
	if (!rc)
		rc = joined.rc;
	int rooms = prepare_frontend_rooms(chat);
	return rc ? rc : rooms;
}

bool chat_leave_room(struct chat *chat, struct network *net, const char *room)
{
	if (network_room_index(net, room) < 0 || net->n_rooms == 1 ||
	    !network_remove_room(net, room))
		return false;
	/* Frontends speaking in the room that is gone go to the default room
	 * (the first network's first, which this may have been). */
	for (size_t i = 0; i < chat->instances.n_frontends; i++) {
		struct frontend_room *fr = &chat->rooms[i];
		if (fr->net == net && strcmp(fr->room, room) == 0)
			chat_set_room(chat, i, &chat->networks[0], chat->networks[0].rooms[0]);
	}
	return true;
}

void chat_room_left(struct chat *chat, struct network *net, const char *room, const char *why)
{
	struct strbuf text = STRBUF_INIT;
	strbuf_printf(&text, "left room %s: %s", room, why);
	if (!chat_leave_room(chat, net, room))
		strbuf_appends(&text, " (its network's only room: nothing more is shown from it)");
	chat_event(chat, net, MQC_LOG_ERROR, strbuf_str(&text));
	strbuf_free(&text);
}

bool chat_join(struct chat *chat, struct network *net, const char *room, struct instance *to)
{
	if (net->has_rooms && net->inst->self &&
	    net->inst->plugin->desc.join(net->inst->self, room) != 0) {
		if (to)
			chat_status(chat, to, MQC_MSG_ERROR, "/join: %s cannot join %s (its log says "
			            "why)", net->name, room);
		return false;
	}
	network_add_room(net, room);
	return true;
}

void chat_free_rooms(struct chat *chat)
{
	for (size_t i = 0; chat->rooms && i < chat->instances.n_frontends; i++) {
		free(chat->rooms[i].room);
		free(chat->rooms[i].text);
	}
	free(chat->rooms);
	chat->rooms = NULL;
	for (size_t i = 0; i < chat->n_networks; i++)
		network_free(&chat->networks[i]);
	free(chat->networks);
	chat->networks = NULL;
	free(chat->network_names);
	chat->network_names = NULL;
	free(chat->save_queues);
	chat->save_queues = NULL;
	bridges_close(chat->bridges);
	chat->bridges = NULL;
}
