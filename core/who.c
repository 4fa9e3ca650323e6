/* SPDX-License-Identifier: MIT */
#include "who.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "roomref.h"

static struct network *find_network(struct network *nets, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(nets[i].name, name) == 0)
			return &nets[i];
	return NULL;
}

/* The room joined for the asking: a network of one room has no other. */
static int join_asked(struct who_request *who)
{
	struct network *net = who->net;
	if (!(net->inst->plugin->desc.flags & MQC_PLUGIN_PRESENCE)) {
		log_print(NULL, MQC_LOG_ERROR, "--who: network %s (plugin %s) does not say who is "
		         "present", net->name, net->inst->plugin->desc.name);
		return EX_UNAVAILABLE;
	}
	if (net->has_rooms) {
		network_add_room(net, who->room_name);
	} else if (strcmp(who->room_name, net->rooms[0]) != 0) {
		log_print(NULL, MQC_LOG_ERROR, "--who: network %s has one room, %s", net->name,
		         net->rooms[0]);
		return EX_USAGE;
	}
	return 0;
}

int who_prepare(struct who_request *who, struct network *nets, size_t n,
                const char *const *names)
{
	struct roomref r = {0};
	if (!who->room) {
		r.network = xstrdup(nets[0].name);
		r.room = xstrdup(nets[0].rooms[0]);
	} else if (!roomref_parse(who->room, strlen(who->room), names, n, &r)) {
		log_print(NULL, MQC_LOG_ERROR, "--who '%s': not a room ([NET:]ROOM)", who->room);
		return EX_USAGE;
	}
	who->net = find_network(nets, n, r.network);
	who->room_name = r.room;
	r.room = NULL;
	roomref_free(&r);
	return join_asked(who);
}

bool who_asked(const struct who_request *who, const struct network *net, const char *room)
{
	return who->net == net && strcmp(room, who->room_name) == 0;
}

/* One line: "Ana", "~eve" (not proved), "Bea (away)"; or a JSON object. */
static void print_one(const struct who_request *who, const struct presence *p)
{
	bool away = p->state == MQC_PRESENCE_AWAY;
	if (!who->json) {
		printf("%s%s%s\n", p->verified ? "" : "~", p->nick, away ? " (away)" : "");
		return;
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "network", who->net->name, "room",
	                      who->room_name, "nick", p->nick, "state", away ? "away" : "online",
	                      "verified", p->verified);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		puts(line);
	free(line);
	json_decref(o);
}

void who_print(const struct who_request *who)
{
	const struct presence *p;
	for (size_t i = 0; (p = network_present(who->net, who->room_name, i)); i++)
		print_one(who, p);
	fflush(stdout);
}

void who_free(struct who_request *who)
{
	free(who->room_name);
	who->room_name = NULL;
}
