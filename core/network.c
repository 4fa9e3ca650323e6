/* SPDX-License-Identifier: MIT */
#include "network.h"

#include <stdlib.h>
#include <string.h>

#include "roomref.h"
#include "sanitize.h"

/* Where the outbox says this network sends: by the keys a backend names
 * its broker with (mqtt's); a backend without them by its instance alone. */
static char *broker_of(const struct instance *inst)
{
	struct strbuf broker = STRBUF_INIT;
	const char *hosts = instance_value(inst, "hosts");
	const char *host = instance_value(inst, "host");
	const char *port = instance_value(inst, "port");
	if (hosts && *hosts)
		strbuf_appends(&broker, hosts);
	else if (host)
		strbuf_printf(&broker, "%s:%s", host, port ? port : "");
	char *taken = strbuf_take(&broker);
	return taken ? taken : xstrdup("");
}

void network_init(struct network *net, struct instance *inst, const char *rooms)
{
	*net = (struct network){.inst = inst, .name = inst->name, .peer_waiting = true};
	net->broker = broker_of(inst);
	net->has_rooms = inst->plugin->desc.join != NULL;
	const char *topic = instance_value(inst, "topic");
	if (topic && *topic)
		network_add_room(net, topic);
	for (char *room; (room = namelist_next(&rooms)); free(room))
		network_add_room(net, room);
	if (!net->n_rooms)
		network_add_room(net, inst->name);
	inst->network = net;
}

void network_free(struct network *net)
{
	for (size_t i = 0; i < net->n_rooms; i++)
		free(net->rooms[i]);
	free(net->rooms);
	network_presence(net, NULL, NULL, false);
	free(net->present);
	free(net->broker);
}

void network_link_down(struct network *net, uint64_t now_ms, uint64_t repeat_window_ms)
{
	bool same_move = net->link_down_ms && now_ms - net->link_up_ms <= repeat_window_ms &&
	                 now_ms - net->link_down_ms <= 2 * repeat_window_ms;
	if (!same_move)
		net->link_down_ms = now_ms;
}

int network_room_index(const struct network *net, const char *room)
{
	for (size_t i = 0; i < net->n_rooms; i++)
		if (strcmp(net->rooms[i], room) == 0)
			return (int)i;
	return -1;
}

void network_add_room(struct network *net, const char *room)
{
	if (network_room_index(net, room) >= 0)
		return;
	net->rooms = xrealloc(net->rooms, (net->n_rooms + 1) * sizeof *net->rooms);
	net->rooms[net->n_rooms++] = xstrdup(room);
}

bool network_remove_room(struct network *net, const char *room)
{
	int i = network_room_index(net, room);
	if (i < 0)
		return false;
	free(net->rooms[i]);
	memmove(&net->rooms[i], &net->rooms[i + 1], (net->n_rooms - (size_t)i - 1) * sizeof *net->rooms);
	net->n_rooms--;
	network_presence(net, room, NULL, false);
	return true;
}

const char *network_room_of(const struct network *net, const char *topic)
{
	int i = topic ? network_room_index(net, topic) : -1;
	return i >= 0 ? net->rooms[i] : net->n_rooms ? net->rooms[0] : "";
}

static bool matches(const struct presence *p, const char *room, const char *nick)
{
	return (!room || strcmp(p->room, room) == 0) && (!nick || strcmp(p->nick, nick) == 0);
}

/* Forgets those matching room and nick (NULL: any). */
static void forget(struct network *net, const char *room, const char *nick)
{
	size_t kept = 0;
	for (size_t i = 0; i < net->n_present; i++) {
		struct presence *p = &net->present[i];
		if (matches(p, room, nick)) {
			free(p->room);
			free(p->nick);
			continue;
		}
		net->present[kept++] = *p;
	}
	net->n_present = kept;
}

void network_presence_state(struct network *net, const char *room, const char *nick,
                            enum mqc_presence state, bool verified)
{
	struct strbuf clean = STRBUF_INIT;
	sanitize_name_append(&clean, nick, strlen(nick));
	if (!clean.len) {
		strbuf_free(&clean);
		return;
	}
	/* A proved Ana and someone only claiming to be Ana are two people. */
	size_t i = 0;
	while (i < net->n_present && !(matches(&net->present[i], room, strbuf_str(&clean)) &&
	                               net->present[i].verified == verified))
		i++;
	if (state == MQC_PRESENCE_OFFLINE && i < net->n_present) {
		free(net->present[i].room);
		free(net->present[i].nick);
		net->n_present--;
		memmove(&net->present[i], &net->present[i + 1],
		        (net->n_present - i) * sizeof *net->present);
	} else if (state != MQC_PRESENCE_OFFLINE) {
		if (i == net->n_present) {
			net->present = xrealloc(net->present, (net->n_present + 1) * sizeof *net->present);
			net->present[net->n_present++] = (struct presence){
				.room = xstrdup(room), .nick = strbuf_take(&clean), .verified = verified};
		}
		net->present[i].state = state;
	}
	strbuf_free(&clean);
}

void network_presence(struct network *net, const char *room, const char *nick, bool here)
{
	if (here) {
		if (room && nick)
			network_presence_state(net, room, nick, MQC_PRESENCE_ONLINE, true);
		return;
	}
	struct strbuf clean = STRBUF_INIT;
	if (nick)
		sanitize_name_append(&clean, nick, strlen(nick));
	forget(net, room, nick ? strbuf_str(&clean) : NULL);
	strbuf_free(&clean);
}

const struct presence *network_present(const struct network *net, const char *room, size_t i)
{
	for (size_t k = 0; k < net->n_present; k++)
		if (strcmp(net->present[k].room, room) == 0 && i-- == 0)
			return &net->present[k];
	return NULL;
}

size_t network_who(const struct network *net, const char *room, struct strbuf *out)
{
	size_t n = 0;
	for (const struct presence *p; (p = network_present(net, room, n)); n++)
		strbuf_printf(out, "%s%s%s%s", n ? ", " : "", p->verified ? "" : "~", p->nick,
		              p->state == MQC_PRESENCE_AWAY ? " (away)" : "");
	return n;
}
