/* SPDX-License-Identifier: MIT */
/* Lines from frontends: what is said, and the commands a person types. */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "command.h"
#include "identity.h"
#include "roomref.h"
#include "sanitize.h"

static size_t frontend_index(const struct chat *chat, const struct instance *from)
{
	for (size_t i = 0; i < chat->instances.n_frontends; i++)
		if (chat->instances.frontends[i] == from)
			return i;
	return 0;
}

/* `text` sanitised into `clean`; false when nothing is left to say. */
static bool clean_text(struct strbuf *clean, const char *text, size_t len)
{
	sanitize_append(clean, text, len);
	return clean->len > 0 && strspn(clean->data, " ") != clean->len;
}

/* A frontend's override of the sender's nick, when it is one; NULL: the
 * user's. */
static char *other_nick(struct chat *chat, struct instance *from, const char *override)
{
	if (!override || !*override)
		return NULL;
	struct strbuf err = STRBUF_INIT;
	char *other = identity_clean_nick(override, strlen(override), &err);
	if (!other)
		log_print(from->name, MQC_LOG_WARNING, "nick '%s' refused (%s); sending as %s",
		          override, strbuf_str(&err), chat->nick);
	strbuf_free(&err);
	return other;
}

static void say(struct chat *chat, struct instance *from, enum mqc_msg_type type,
                const char *text, size_t len, const char *nick_override)
{
	struct strbuf clean = STRBUF_INIT;
	if (clean_text(&clean, text, len)) {
		const struct frontend_room *fr = &chat->rooms[frontend_index(chat, from)];
		char *other = other_nick(chat, from, nick_override);
		chat_say(chat, &(struct said){.net = fr->net, .room = fr->room, .type = type,
		                              .nick = other ? other : chat->nick,
		                              .text = clean.data});
		free(other);
	}
	strbuf_free(&clean);
}

/* Every room is told, as an action of the old nick ("* Ana ahora es Bea"),
 * which every client shows and the plain wire carries as it is. */
static void change_nick(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct strbuf err = STRBUF_INIT;
	char *nick = identity_clean_nick(arg, len, &err);
	if (!nick) {
		chat_status(chat, from, MQC_MSG_ERROR, "/nick: %s", strbuf_str(&err));
		strbuf_free(&err);
		return;
	}
	strbuf_free(&err);
	if (strcmp(nick, chat->nick) == 0) {
		chat_status(chat, from, 0, "you are already known as %s", nick);
		free(nick);
		return;
	}
	char *old = chat->nick;
	chat->nick = nick;
	struct strbuf text = STRBUF_INIT;
	strbuf_printf(&text, "ahora es %s", nick);
	for (size_t i = 0; chat->set.announce && i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		for (size_t r = 0; r < net->n_rooms; r++)
			chat_say(chat, &(struct said){.net = net, .room = net->rooms[r],
			                              .type = MQC_MSG_ACTION, .nick = old,
			                              .text = text.data});
	}
	strbuf_free(&text);
	chat_status(chat, from, 0, "you are now known as %s", nick);
	free(old);
}

/* One row a command, the descriptions aligned. */
static void show_help(struct chat *chat, struct instance *to)
{
	int width = 0;
	for (const struct command_help *h = command_help; h->usage; h++)
		if ((int)strlen(h->usage) > width)
			width = (int)strlen(h->usage);
	chat_status(chat, to, 0, "commands:");
	for (const struct command_help *h = command_help; h->usage; h++)
		chat_status(chat, to, 0, "  %-*s  %s", width, h->usage, h->what);
}

/* --- rooms ---------------------------------------------------------------- */

/* A room argument: "NET:ROOM", or a room of the current room's network
 * (`from`'s).  False for an empty one. */
static bool parse_room(struct chat *chat, struct instance *from, const char *arg, size_t len,
                       struct roomref *out)
{
	const struct frontend_room *fr = &chat->rooms[frontend_index(chat, from)];
	const char **names = xcalloc(chat->n_networks + 1, sizeof *names);
	names[0] = fr->net->name; /* a bare room: the current network's */
	size_t n = 1;
	for (size_t i = 0; i < chat->n_networks; i++)
		if (&chat->networks[i] != fr->net)
			names[n++] = chat->networks[i].name;
	bool ok = roomref_parse(arg, len, names, n, out);
	free(names);
	return ok;
}

/* The room `arg` names, else `from`'s current room, in `r`; its network. */
static struct network *room_or_current(struct chat *chat, struct instance *from,
                                       const char *arg, size_t len, struct roomref *r)
{
	const struct frontend_room *fr = &chat->rooms[frontend_index(chat, from)];
	if (!len || !parse_room(chat, from, arg, len, r))
		*r = (struct roomref){xstrdup(fr->net->name), xstrdup(fr->room)};
	return chat_network(chat, r->network);
}

static void go_to(struct chat *chat, struct instance *from, struct network *net,
                  const char *room, const char *said)
{
	chat_set_room(chat, frontend_index(chat, from), net, room);
	chat_status(chat, from, 0, "%syour lines go to %s:%s now", said, net->name, room);
}

static void join_room(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct roomref r;
	if (!parse_room(chat, from, arg, len, &r))
		return;
	struct network *net = chat_network(chat, r.network);
	if (!net->has_rooms && network_room_index(net, r.room) < 0)
		chat_status(chat, from, MQC_MSG_ERROR, "/join: network %s (plugin %s) has one "
		            "room, %s", net->name, net->inst->plugin->desc.name, net->rooms[0]);
	else if (network_room_index(net, r.room) >= 0 || chat_join(chat, net, r.room, from)) {
		struct strbuf said = STRBUF_INIT;
		strbuf_printf(&said, "joined %s:%s; ", net->name, r.room);
		go_to(chat, from, net, r.room, said.data);
		strbuf_free(&said);
	}
	roomref_free(&r);
}

static void part_room(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct roomref r;
	struct network *net = room_or_current(chat, from, arg, len, &r);
	if (network_room_index(net, r.room) < 0)
		chat_status(chat, from, MQC_MSG_ERROR, "/part: %s:%s is not joined", r.network, r.room);
	else if (net->n_rooms == 1)
		chat_status(chat, from, MQC_MSG_ERROR, "/part: %s:%s is network %s's last room",
		            r.network, r.room, r.network);
	else {
		if (net->has_rooms && net->inst->self && net->inst->plugin->desc.part)
			net->inst->plugin->desc.part(net->inst->self, r.room);
		chat_leave_room(chat, net, r.room);
		const struct frontend_room *now = &chat->rooms[frontend_index(chat, from)];
		chat_status(chat, from, 0, "left %s:%s; your lines go to %s now", r.network, r.room,
		            now->text);
	}
	roomref_free(&r);
}

static void list_rooms(struct chat *chat, struct instance *from)
{
	const struct frontend_room *fr = &chat->rooms[frontend_index(chat, from)];
	chat_status(chat, from, 0, "rooms (your lines go to the one marked *):");
	size_t n = 0;
	for (size_t i = 0; i < chat->n_networks; i++) {
		const struct network *net = &chat->networks[i];
		for (size_t r = 0; r < net->n_rooms; r++) {
			bool current = fr->net == net && strcmp(fr->room, net->rooms[r]) == 0;
			chat_status(chat, from, 0, "%c %zu %s:%s%s", current ? '*' : ' ', ++n, net->name,
			            net->rooms[r], net->link_up ? "" : " (not connected)");
		}
	}
}

/* The room numbered `n` in /rooms' list: true with *net and *room set. */
static bool numbered_room(struct chat *chat, size_t n, struct network **net, const char **room)
{
	for (size_t i = 0; n >= 1 && i < chat->n_networks; i++) {
		struct network *at = &chat->networks[i];
		if (n <= at->n_rooms) {
			*net = at;
			*room = at->rooms[n - 1];
			return true;
		}
		n -= at->n_rooms;
	}
	return false;
}

static void go_room(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	char *end;
	char *text = xstrndup(arg, len);
	unsigned long n = strtoul(text, &end, 10);
	struct network *net = NULL;
	const char *room = NULL;
	struct roomref r = {0};
	if (!*end && *text >= '0' && *text <= '9')
		numbered_room(chat, n, &net, &room);
	else if (parse_room(chat, from, arg, len, &r) && (net = chat_network(chat, r.network)) &&
	         network_room_index(net, r.room) >= 0)
		room = net->rooms[network_room_index(net, r.room)];
	if (room)
		go_to(chat, from, net, room, "");
	else
		chat_status(chat, from, MQC_MSG_ERROR, "/go: %s is no joined room (see /rooms; "
		            "/join joins one)", text);
	roomref_free(&r);
	free(text);
}

/* /msg NICK TEXT, on the current room's network. */
static void private_message(struct chat *chat, struct instance *from, const char *arg,
                            size_t len)
{
	const struct frontend_room *fr = &chat->rooms[frontend_index(chat, from)];
	struct network *net = fr->net;
	size_t nick_len = 0;
	while (nick_len < len && arg[nick_len] != ' ')
		nick_len++;
	struct strbuf clean = STRBUF_INIT, to = STRBUF_INIT;
	sanitize_append(&to, arg, nick_len);
	if (!(net->inst->plugin->desc.flags & MQC_PLUGIN_PRIVATE))
		chat_status(chat, from, MQC_MSG_ERROR, "/msg: network %s (plugin %s) has no private "
		            "messages yet", net->name, net->inst->plugin->desc.name);
	else if (!clean_text(&clean, arg + nick_len, len - nick_len))
		chat_status(chat, from, MQC_MSG_ERROR, "/msg: say something to %s (/msg NICK TEXT)",
		            strbuf_str(&to));
	else
		chat_say(chat, &(struct said){.net = net, .room = "", .to = to.data,
		                              .type = MQC_MSG_MESSAGE, .nick = chat->nick,
		                              .text = clean.data + strspn(clean.data, " ")});
	strbuf_free(&clean);
	strbuf_free(&to);
}

static void who(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct roomref r;
	struct network *net = room_or_current(chat, from, arg, len, &r);
	struct strbuf names = STRBUF_INIT;
	if (!(net->inst->plugin->desc.flags & MQC_PLUGIN_PRESENCE))
		chat_status(chat, from, MQC_MSG_ERROR, "/who: network %s (plugin %s) does not say "
		            "who is present", net->name, net->inst->plugin->desc.name);
	else if (network_who(net, r.room, &names))
		chat_status(chat, from, 0, "in %s:%s: %s", r.network, r.room, names.data);
	else
		chat_status(chat, from, 0, "nobody is known to be in %s:%s", r.network, r.room);
	strbuf_free(&names);
	roomref_free(&r);
}

/* The longest away text passed on: a reason, not a letter. */
#define AWAY_TEXT_MAX 200

/* /away TEXT, /away: every network that says who is away is told. */
static void away(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct strbuf text = STRBUF_INIT, told = STRBUF_INIT;
	sanitize_append(&text, arg, len);
	text.len = mqc_utf8_prefix(strbuf_str(&text), text.len, AWAY_TEXT_MAX);
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		if (!net->inst->plugin->desc.set_away || !net->inst->self)
			continue;
		net->inst->plugin->desc.set_away(net->inst->self, text.len ? strbuf_str(&text) : NULL);
		strbuf_printf(&told, "%s%s", told.len ? ", " : "", net->name);
	}
	if (!told.len)
		chat_status(chat, from, MQC_MSG_ERROR, "/away: no network here says who is away");
	else if (text.len)
		chat_status(chat, from, 0, "you are away (%s): %s", told.data, text.data);
	else
		chat_status(chat, from, 0, "you are back (%s)", told.data);
	strbuf_free(&text);
	strbuf_free(&told);
}

/* --- history ------------------------------------------------------------- */

static void show_one(void *data, const struct mqc_message *msg)
{
	struct instance *to = data;
	to->plugin->desc.deliver(to->self, msg);
}

/* Whether the word at `arg` names a joined room ("NET:ROOM" of a known
 * network, or a joined room of the current network), in `out`. */
static bool room_word(struct chat *chat, struct instance *from, const char *arg, size_t len,
                      struct roomref *out)
{
	if (!len || !parse_room(chat, from, arg, len, out))
		return false;
	struct network *net = chat_network(chat, out->network);
	bool named = memchr(arg, ':', len) && strncmp(arg, out->network, strlen(out->network)) == 0;
	if (named || network_room_index(net, out->room) >= 0)
		return true;
	roomref_free(out);
	return false;
}

static bool is_number(const char *s, size_t len)
{
	return len && strspn(s, "0123456789") >= len;
}

/* /history [N] [ROOM] or /search [ROOM] WORDS, to the frontend that
 * asked, framed by the line that says what was found. */
static void show_history(struct chat *chat, struct instance *to, const struct command *cmd)
{
	const char *arg = cmd->arg, *rest = cmd->arg;
	size_t first = 0;
	while (first < cmd->arg_len && arg[first] != ' ')
		first++;
	rest = arg + first + (first < cmd->arg_len);
	size_t rest_len = cmd->arg_len - (size_t)(rest - arg);
	bool history = cmd->kind == CMD_HISTORY;
	struct roomref where = {0};
	const char *what = arg;
	size_t what_len = cmd->arg_len;
	if (history && is_number(arg, first)) {
		what_len = first; /* /history N [ROOM] */
		if (rest_len && !room_word(chat, to, rest, rest_len, &where))
			what_len = cmd->arg_len; /* archive says what is wrong */
	} else if ((history || rest_len) && room_word(chat, to, arg, first, &where)) {
		what = rest; /* /history ROOM [N], /search ROOM WORDS */
		what_len = rest_len;
	}
	struct strbuf reply = STRBUF_INIT;
	const struct roomref *w = where.room ? &where : NULL;
	bool ok = history ? archive_show_last(chat->archive, what, what_len, w, show_one, to, &reply)
	                  : archive_search(chat->archive, what, what_len, w, show_one, to, &reply);
	chat_status(chat, to, ok ? 0 : MQC_MSG_ERROR, "%s", strbuf_str(&reply));
	strbuf_free(&reply);
	roomref_free(&where);
}

static void unknown(struct chat *chat, struct instance *from, const struct command *cmd)
{
	struct strbuf shown = STRBUF_INIT;
	sanitize_append(&shown, cmd->arg, cmd->arg_len);
	chat_status(chat, from, MQC_MSG_ERROR, "unknown command or missing argument: %s (try "
	            "/help; start the line with // to send it as text)", strbuf_str(&shown));
	strbuf_free(&shown);
}

/* The commands about rooms: true when `cmd` was one. */
static bool room_command(struct chat *chat, struct instance *from, const struct command *cmd)
{
	switch (cmd->kind) {
	case CMD_JOIN: join_room(chat, from, cmd->arg, cmd->arg_len); return true;
	case CMD_PART: part_room(chat, from, cmd->arg, cmd->arg_len); return true;
	case CMD_ROOMS: list_rooms(chat, from); return true;
	case CMD_GO: go_room(chat, from, cmd->arg, cmd->arg_len); return true;
	case CMD_MSG: private_message(chat, from, cmd->arg, cmd->arg_len); return true;
	case CMD_WHO: who(chat, from, cmd->arg, cmd->arg_len); return true;
	case CMD_AWAY: away(chat, from, cmd->arg, cmd->arg_len); return true;
	default: return false;
	}
}

void chat_submit_line(struct chat *chat, struct instance *from, const char *line, size_t len,
                      unsigned flags, const char *nick)
{
	struct command cmd = command_parse(line, len, flags & MQC_LINE_COMMANDS);
	if (room_command(chat, from, &cmd))
		return;
	switch (cmd.kind) {
	case CMD_SAY: say(chat, from, MQC_MSG_MESSAGE, cmd.arg, cmd.arg_len, nick); break;
	case CMD_ACTION: say(chat, from, MQC_MSG_ACTION, cmd.arg, cmd.arg_len, nick); break;
	case CMD_NICK: change_nick(chat, from, cmd.arg, cmd.arg_len); break;
	case CMD_QUIT: chat_quit(chat, 0); break;
	case CMD_HELP: show_help(chat, from); break;
	case CMD_HISTORY:
	case CMD_SEARCH: show_history(chat, from, &cmd); break;
	case CMD_UNKNOWN: unknown(chat, from, &cmd); break;
	default: break;
	}
}
