/* SPDX-License-Identifier: MIT */
/*
 * What the server says, turned into the core's events: messages and
 * actions (CTCP ACTION), private messages, who comes and goes (JOIN, PART,
 * QUIT, KICK, NICK, NAMES), PING answered, PONG acknowledging our lines,
 * refusals.  Every string goes to the core, which sanitises it; mIRC
 * formatting is stripped here, since only IRC knows it.
 */
#include "irc_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* CTCP VERSION is answered at most this often: a channel full of
 * requests must not make us flood ourselves off the server. */
#define IRC_VERSION_EVERY_MS 2000
/* Room for a tag's value: msgid and time are short. */
#define IRC_TAG_MAX 128

static const char *last_param(const struct irc_line *line)
{
	return line->n_params ? line->params[line->n_params - 1] : "";
}

static bool is_us(const struct irc *self, const char *nick)
{
	return irc_name_eq(nick, self->nick, self->members.casemap);
}

/* Our channel `name`, only while we are in it. */
static struct irc_channel *joined(struct irc *self, const char *name)
{
	struct irc_channel *ch = irc_members_find(&self->members, name);
	return ch && ch->joined ? ch : NULL;
}

/* A JOIN or LEAVE of someone else, for the room's people to see. */
static void tell_arrival(struct irc *self, const struct irc_channel *ch, const char *nick,
                         bool here)
{
	self->host->presence(self->inst, ch->name, nick, here);
	struct mqc_message msg = {
		.type = here ? MQC_MSG_JOIN : MQC_MSG_LEAVE, .id = "", .nick = nick, .text = "",
		.topic = "", .sender_id = "", .network = "", .room = ch->name, .to = "",
		.origin = "",
	};
	self->host->receive_message(self->inst, &msg);
}

/* ---- messages ----------------------------------------------------------- */

static void answer_version(struct irc *self, const char *nick)
{
	uint64_t now = monotonic_ms();
	if (self->last_version_reply_ms && now - self->last_version_reply_ms < IRC_VERSION_EVERY_MS)
		return;
	self->last_version_reply_ms = now;
	irc_write(self, "NOTICE %s :\001VERSION mqchat %s\001", nick, MQC_VERSION);
}

/* A CTCP in `text`: true when it is no message to show (answered or
 * ignored); an ACTION turns `*type` and `*text`. */
static bool ctcp(struct irc *self, const char *nick, bool notice, char **text,
                 enum mqc_msg_type *type)
{
	const char *command, *args;
	if (**text != '\001' || !irc_ctcp_parse(*text, &command, &args))
		return false;
	if (strcmp(command, "ACTION") == 0 && !notice) {
		*type = MQC_MSG_ACTION;
		*text = (char *)args;
		return false;
	}
	if (strcmp(command, "VERSION") == 0 && !notice)
		answer_version(self, nick);
	return true;
}

/* Where a PRIVMSG or NOTICE goes, as the core names it: one of our
 * channels (a STATUSMSG "@#chan" counts as "#chan"), or "" for us. */
static const char *destination(struct irc *self, const char *target)
{
	while (*target && strchr(self->prefix_symbols, *target) && irc_is_channel(self, target + 1))
		target++;
	if (!irc_is_channel(self, target))
		return is_us(self, target) ? "" : NULL;
	const struct irc_channel *ch = joined(self, target);
	return ch ? ch->name : NULL;
}

static void on_privmsg(struct irc *self, struct irc_line *line, bool notice)
{
	if (line->n_params < 2)
		return;
	char *text = (char *)last_param(line);
	/* From the server itself: for the operator, not the room. */
	if (!*line->user && !*line->host) {
		if (notice) {
			irc_text_clean(text, irc_strip_format(text, strlen(text)));
			self->host->log(self->inst, MQC_LOG_INFO, "%s: %s", line->nick, text);
		}
		return;
	}
	/* Our own line as echo-message returns it: shown when we sent it. */
	if (is_us(self, line->nick))
		return;
	const char *room = destination(self, line->params[0]);
	enum mqc_msg_type type = MQC_MSG_MESSAGE;
	if (!room || ctcp(self, line->nick, notice, &text, &type))
		return;
	irc_strip_format(text, strlen(text));
	char id[IRC_TAG_MAX], when[IRC_TAG_MAX];
	const char *msgid = irc_line_tag(line, "msgid", id, sizeof(id));
	const char *time_tag = irc_line_tag(line, "time", when, sizeof(when));
	int64_t time_ms = time_tag ? irc_time_parse(time_tag) : -1;
	struct mqc_message msg = {
		.type = type, .id = msgid ? msgid : "", .nick = line->nick, .text = text,
		.topic = "", .sender_id = "", .time_ms = time_ms > 0 ? time_ms : 0,
		.network = "", .room = room, .to = *room ? "" : self->nick, .origin = "",
	};
	self->host->receive_message(self->inst, &msg);
}

/* ---- who is where ------------------------------------------------------- */

static void on_join(struct irc *self, struct irc_line *line)
{
	if (!line->n_params)
		return;
	struct irc_channel *ch = irc_members_find(&self->members, line->params[0]);
	if (!ch)
		return; /* a channel the core never asked for */
	if (is_us(self, line->nick)) {
		ch->joined = true;
		if (*line->user && *line->host)
			self->userhost_len = strlen(line->user) + 1 + strlen(line->host);
		return; /* NAMES follows: who is there */
	}
	if (ch->joined && irc_channel_set(ch, line->nick, true, self->members.casemap))
		tell_arrival(self, ch, line->nick, true);
}

/* We are out of `ch`, not by our asking: the core is told and sends
 * nothing more there. */
static void thrown_out(struct irc *self, struct irc_channel *ch, const char *why)
{
	self->host->presence(self->inst, ch->name, NULL, false);
	self->host->room_left(self->inst, ch->name, why);
	irc_members_remove(&self->members, ch->name);
}

static void on_part(struct irc *self, struct irc_line *line)
{
	struct irc_channel *ch = line->n_params ? joined(self, line->params[0]) : NULL;
	if (!ch)
		return; /* ours, asked for: part() forgot the channel already */
	if (is_us(self, line->nick))
		thrown_out(self, ch, "the server parted us");
	else if (irc_channel_set(ch, line->nick, false, self->members.casemap))
		tell_arrival(self, ch, line->nick, false);
}

static void on_kick(struct irc *self, struct irc_line *line)
{
	struct irc_channel *ch = line->n_params >= 2 ? joined(self, line->params[0]) : NULL;
	if (!ch)
		return;
	const char *victim = line->params[1];
	if (is_us(self, victim)) {
		char why[300];
		snprintf(why, sizeof(why), "kicked by %s: %.200s", line->nick,
		         line->n_params >= 3 ? last_param(line) : "");
		irc_text_clean(why, irc_strip_format(why, strlen(why)));
		thrown_out(self, ch, why);
	} else if (irc_channel_set(ch, victim, false, self->members.casemap)) {
		tell_arrival(self, ch, victim, false);
	}
}

/* The nick we wanted is free again: ask for it. */
static void wanted_nick_freed(struct irc *self, const char *nick)
{
	if (irc_name_eq(nick, self->cfg.nick, self->members.casemap) &&
	    !is_us(self, self->cfg.nick))
		irc_write(self, "NICK %s", self->cfg.nick);
}

static void on_quit(struct irc *self, struct irc_line *line)
{
	for (size_t i = 0; i < self->members.n; i++) {
		struct irc_channel *ch = &self->members.channels[i];
		if (ch->joined && irc_channel_set(ch, line->nick, false, self->members.casemap))
			tell_arrival(self, ch, line->nick, false);
	}
	wanted_nick_freed(self, line->nick);
}

static void on_nick(struct irc *self, struct irc_line *line)
{
	const char *to = last_param(line);
	if (!line->n_params || !irc_nick_valid(to, IRC_NICK_MAX))
		return;
	for (size_t i = 0; i < self->members.n; i++) {
		struct irc_channel *ch = &self->members.channels[i];
		if (!ch->joined || !irc_channel_set(ch, line->nick, false, self->members.casemap))
			continue;
		self->host->presence(self->inst, ch->name, line->nick, false);
		if (irc_channel_set(ch, to, true, self->members.casemap))
			self->host->presence(self->inst, ch->name, to, true);
	}
	if (is_us(self, line->nick)) {
		snprintf(self->nick, sizeof(self->nick), "%s", to);
		self->host->log(self->inst, MQC_LOG_INFO, "our nick is now %s", to);
	} else {
		wanted_nick_freed(self, line->nick);
	}
}

/* 353 "me = #chan :@alice +bob carol" (the "=" may be missing). */
static void on_names(struct irc *self, struct irc_line *line)
{
	if (line->n_params < 3)
		return;
	struct irc_channel *ch = joined(self, line->params[line->n_params - 2]);
	if (!ch)
		return;
	if (!ch->names_fresh) {
		irc_channel_clear(ch);
		self->host->presence(self->inst, ch->name, NULL, false);
		ch->names_fresh = true;
	}
	char *names = (char *)last_param(line);
	for (char *save = NULL, *name = strtok_r(names, " ", &save); name;
	     name = strtok_r(NULL, " ", &save)) {
		name += strspn(name, self->prefix_symbols);
		name[strcspn(name, "!")] = '\0'; /* userhost-in-names */
		if (irc_nick_valid(name, IRC_NICK_MAX) &&
		    irc_channel_set(ch, name, true, self->members.casemap))
			self->host->presence(self->inst, ch->name, name, true);
	}
}

static void on_names_end(struct irc *self, struct irc_line *line)
{
	struct irc_channel *ch = line->n_params >= 2 ? joined(self, line->params[1]) : NULL;
	if (!ch)
		return;
	ch->names_fresh = false;
	if (MQC_HOST_HAS(self->host, presence_synced))
		self->host->presence_synced(self->inst, ch->name);
}

/* ---- the server's words ------------------------------------------------- */

/* 005: the tokens we use, "CASEMAPPING=ascii NICKLEN=30 PREFIX=(ov)@+". */
static void on_isupport(struct irc *self, struct irc_line *line)
{
	for (size_t i = 1; i + 1 < line->n_params; i++) {
		const char *tok = line->params[i];
		if (strncmp(tok, "CASEMAPPING=", 12) == 0) {
			self->members.casemap = irc_casemap_of(tok + 12);
		} else if (strncmp(tok, "NICKLEN=", 8) == 0) {
			long n = strtol(tok + 8, NULL, 10);
			self->nicklen = n > 0 && n <= IRC_NICK_MAX ? (size_t)n : IRC_NICK_MAX;
		} else if (strncmp(tok, "CHANTYPES=", 10) == 0 && tok[10]) {
			snprintf(self->chantypes, sizeof(self->chantypes), "%s", tok + 10);
		} else if (strncmp(tok, "PREFIX=", 7) == 0 && strchr(tok, ')')) {
			snprintf(self->prefix_symbols, sizeof(self->prefix_symbols), "%s",
			         strchr(tok, ')') + 1);
		}
	}
}

/* 401 403 404: a target refused our message.  403 and the join
 * refusals (471 473 474 475 477 405 479): a channel refused us. */
static void on_refusal(struct irc *self, struct irc_line *line)
{
	if (line->n_params < 2)
		return;
	const char *target = line->params[1];
	const char *cmd = line->command;
	if (!strcmp(cmd, "401") || !strcmp(cmd, "403") || !strcmp(cmd, "404"))
		irc_send_reject(self, target);
	if (!strcmp(cmd, "404") || !strcmp(cmd, "401"))
		return;
	struct irc_channel *ch = irc_members_find(&self->members, target);
	if (!ch || ch->joined)
		return;
	char why[300];
	snprintf(why, sizeof(why), "the server refused to let us in: %.200s", last_param(line));
	irc_text_clean(why, irc_strip_format(why, strlen(why)));
	thrown_out(self, ch, why);
}

static void on_error(struct irc *self, struct irc_line *line)
{
	char why[300];
	snprintf(why, sizeof(why), "the server closed the link: %.200s", last_param(line));
	irc_text_clean(why, irc_strip_format(why, strlen(why)));
	irc_fail(self, why);
}

static void on_ping(struct irc *self, struct irc_line *line)
{
	irc_write(self, "PONG :%s", last_param(line));
}

static void on_pong(struct irc *self, struct irc_line *line)
{
	irc_send_answered(self, last_param(line));
}

struct handler {
	const char *command;
	void (*fn)(struct irc *self, struct irc_line *line);
};

static void on_privmsg_line(struct irc *self, struct irc_line *line)
{
	on_privmsg(self, line, false);
}

static void on_notice_line(struct irc *self, struct irc_line *line)
{
	on_privmsg(self, line, true);
}

static const struct handler handlers[] = {
	{"PING", on_ping}, {"PONG", on_pong}, {"ERROR", on_error},
	{"PRIVMSG", on_privmsg_line}, {"NOTICE", on_notice_line},
	{"JOIN", on_join}, {"PART", on_part}, {"KICK", on_kick}, {"QUIT", on_quit},
	{"NICK", on_nick}, {"353", on_names}, {"366", on_names_end}, {"005", on_isupport},
	{"401", on_refusal}, {"403", on_refusal}, {"404", on_refusal}, {"405", on_refusal},
	{"471", on_refusal}, {"473", on_refusal}, {"474", on_refusal}, {"475", on_refusal},
	{"477", on_refusal}, {"479", on_refusal},
};

void irc_recv_line(struct irc *self, char *text)
{
	struct irc_line line;
	if (!irc_line_parse(&line, text))
		return;
	if (irc_register_handle(self, &line))
		return;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(line.command, handlers[i].command) == 0) {
			handlers[i].fn(self, &line);
			return;
		}
}
