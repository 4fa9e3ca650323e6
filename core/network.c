/* SPDX-License-Identifier: MIT */
#include "network.h"

#include <stdlib.h>
#include <string.h>

#include "roomref.h"

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
	*net = (struct network){.inst = inst, .name = inst->name};
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

void network_presence(struct network *net, const char *room, const char *nick, bool here)
{
	size_t kept = 0;
	bool found = false;
	for (size_t i = 0; i < net->n_present; i++) {
		struct presence *p = &net->present[i];
		if (matches(p, room, nick) && !here) {
			free(p->room);
			free(p->nick);
			continue;
		}
		found |= matches(p, room, nick);
		net->present[kept++] = *p;
	}
	net->n_present = kept;
	if (!here || found || !room || !nick)
		return;
	net->present = xrealloc(net->present, (net->n_present + 1) * sizeof *net->present);
	net->present[net->n_present++] = (struct presence){xstrdup(room), xstrdup(nick)};
}

size_t network_who(const struct network *net, const char *room, struct strbuf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < net->n_present; i++) {
		if (strcmp(net->present[i].room, room) != 0)
			continue;
		strbuf_printf(out, "%s%s", n ? ", " : "", net->present[i].nick);
		n++;
	}
	return n;
}
