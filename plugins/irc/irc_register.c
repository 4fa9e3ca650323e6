/* SPDX-License-Identifier: MIT */
/*
 * Registration: PASS, CAP LS 302 and REQ of the capabilities we use, SASL
 * PLAIN, NICK and USER, until the server's 001 welcome.  A nick in use
 * gets a recognisable alternative ("Ana_"); the wanted one is asked for
 * again later (irc_link.c, irc_recv.c).
 */
#include "irc_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Alternatives tried before a nick in use makes registration fail. */
#define IRC_NICK_TRIES 8
/* SASL's AUTHENTICATE carries base64 in pieces of at most 400 bytes. */
#define SASL_PIECE 400
/* CAP LS continues over as many lines as the server likes: a bound, so a
 * hostile one cannot grow our memory without end (real lists: < 1 KiB). */
#define IRC_CAPS_MAX (64 * 1024)

void irc_register_begin(struct irc *self)
{
	const struct irc_config *cfg = &self->cfg;
	if (cfg->password && !cfg->sasl)
		irc_write(self, "PASS :%s", cfg->password);
	irc_write(self, "CAP LS 302");
	snprintf(self->nick, sizeof(self->nick), "%s", cfg->nick);
	self->nick_tries = 0;
	irc_write(self, "NICK %s", self->nick);
	irc_write(self, "USER %s 0 * :%s", cfg->username, cfg->realname);
}

/* The nick after `tries` refusals: the wanted one with as many '_' after
 * it, its end given up to stay within the server's NICKLEN. */
static void alternative_nick(const struct irc *self, unsigned tries, char *out, size_t size)
{
	size_t max = self->nicklen && self->nicklen < size ? self->nicklen : size - 1;
	size_t keep = strlen(self->cfg.nick);
	if (keep + tries > max)
		keep = max > tries ? max - tries : 1;
	snprintf(out, size, "%.*s%.*s", (int)keep, self->cfg.nick, (int)tries, "________");
}

/* Whether the space separated `list` holds capability `name`, bare or
 * with "=value"; its value in *value ("" when none). */
static bool cap_listed(const char *list, const char *name, const char **value)
{
	size_t len = strlen(name);
	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		if (strncmp(p, name, len) == 0 && (p[len] == ' ' || p[len] == '=' || !p[len])) {
			*value = p[len] == '=' ? p + len + 1 : "";
			return true;
		}
		p = strchr(p, ' ');
	}
	return false;
}

static bool append_caps(struct irc *self, const char *more)
{
	size_t had = self->caps_offered ? strlen(self->caps_offered) : 0;
	if (had + strlen(more) > IRC_CAPS_MAX)
		return false;
	char *grown = realloc(self->caps_offered, had + strlen(more) + 2);
	if (!grown)
		return false;
	snprintf(grown + had, strlen(more) + 2, "%s%s", had ? " " : "", more);
	self->caps_offered = grown;
	return true;
}

/* After the whole CAP LS: REQ what we use of what is offered. */
static void request_caps(struct irc *self)
{
	static const char *const wanted[] = {"server-time", "echo-message", "message-tags",
	                                     "multi-prefix"};
	char req[256] = "";
	const char *value;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (cap_listed(self->caps_offered, wanted[i], &value))
			snprintf(req + strlen(req), sizeof(req) - strlen(req), "%s%s", *req ? " " : "",
			         wanted[i]);
	if (self->cfg.sasl) {
		bool plain = cap_listed(self->caps_offered, "sasl", &value) &&
		             (!*value || strstr(value, "PLAIN"));
		if (!plain) {
			irc_fail(self, "the server offers no SASL PLAIN login");
			return;
		}
		snprintf(req + strlen(req), sizeof(req) - strlen(req), "%ssasl", *req ? " " : "");
	}
	if (*req)
		irc_write(self, "CAP REQ :%s", req);
	else
		irc_write(self, "CAP END");
}

static void caps_acked(struct irc *self, const char *list)
{
	const char *value;
	/* The others need no flag: their tags and prefixes are read whenever
	 * they come, and our own echo is known by its nick. */
	bool sasl = cap_listed(list, "sasl", &value);
	if (self->cfg.sasl && sasl)
		irc_write(self, "AUTHENTICATE PLAIN");
	else if (self->cfg.sasl)
		irc_fail(self, "the server did not grant SASL");
	else
		irc_write(self, "CAP END");
}

/* "CAP * LS [*] :list", "CAP * ACK :list", "CAP * NAK :list". */
static void on_cap(struct irc *self, const struct irc_line *line)
{
	if (line->n_params < 3 || self->phase != IRC_REGISTERING)
		return;
	const char *sub = line->params[1];
	const char *list = line->params[line->n_params - 1];
	if (strcmp(sub, "LS") == 0) {
		bool more = line->n_params >= 4 && strcmp(line->params[2], "*") == 0;
		if (!append_caps(self, list)) {
			irc_fail(self, "the server's capability list is too long (or out of memory)");
			return;
		}
		if (!more)
			request_caps(self);
	} else if (strcmp(sub, "ACK") == 0) {
		caps_acked(self, list);
	} else if (strcmp(sub, "NAK") == 0) {
		if (self->cfg.sasl)
			irc_fail(self, "the server refused the capabilities asked, SASL among them");
		else
			irc_write(self, "CAP END");
	}
}

/* "AUTHENTICATE +": the PLAIN credentials, "\0user\0password" in base64. */
static void sasl_send(struct irc *self)
{
	const struct irc_config *cfg = &self->cfg;
	size_t ulen = strlen(cfg->username), plen = strlen(cfg->password);
	size_t raw_len = 1 + ulen + 1 + plen;
	unsigned char *raw = malloc(raw_len);
	char *b64 = malloc(4 * ((raw_len + 2) / 3) + 1);
	if (!raw || !b64) {
		free(raw);
		free(b64);
		irc_fail(self, "out of memory");
		return;
	}
	raw[0] = '\0';
	memcpy(raw + 1, cfg->username, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, cfg->password, plen);
	size_t len = (size_t)EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_len);
	size_t at = 0;
	do {
		size_t piece = len - at < SASL_PIECE ? len - at : SASL_PIECE;
		irc_write(self, "AUTHENTICATE %.*s", (int)piece, b64 + at);
		at += piece;
		if (at == len && piece == SASL_PIECE)
			irc_write(self, "AUTHENTICATE +");
	} while (at < len);
	explicit_bzero(raw, raw_len);
	explicit_bzero(b64, len);
	free(raw);
	free(b64);
}

/* A 432 for a nick we checked ourselves means too long: the server's
 * NICKLEN (which ISUPPORT says only after 001) is below its length.
 * True when the alternatives became shorter for it. */
static bool learn_nick_length(struct irc *self)
{
	size_t len = strlen(self->nick);
	if (len <= 1 || (self->nicklen && self->nicklen < len))
		return false;
	self->nicklen = len - 1;
	return true;
}

/* 433 and its kin before 001: the next alternative. */
static void nick_refused(struct irc *self, const struct irc_line *line)
{
	bool too_long = strcmp(line->command, "432") == 0 && learn_nick_length(self);
	if (self->nick_tries == 0 || !too_long)
		self->nick_tries++;
	if (self->nick_tries > IRC_NICK_TRIES) {
		char why[128];
		snprintf(why, sizeof(why), "the server refused the nick %s and %u alternatives",
		         self->cfg.nick, IRC_NICK_TRIES);
		irc_fail(self, why);
		return;
	}
	char refused[IRC_NICK_MAX + 1];
	snprintf(refused, sizeof(refused), "%s", self->nick);
	alternative_nick(self, self->nick_tries, self->nick, sizeof(self->nick));
	self->host->log(self->inst, MQC_LOG_INFO, "the nick %s is %s (%s): trying %s", refused,
	                too_long ? "too long for the server" : "taken", line->command,
	                self->nick);
	irc_write(self, "NICK %s", self->nick);
}

/* Replies that fail registration, with their meaning. */
static const char *refusal(const char *command)
{
	if (strcmp(command, "464") == 0)
		return "the server refused the password";
	if (strcmp(command, "465") == 0)
		return "the server has banned us";
	if (strcmp(command, "902") == 0 || strcmp(command, "904") == 0 ||
	    strcmp(command, "905") == 0 || strcmp(command, "906") == 0)
		return "SASL authentication failed";
	return NULL;
}

bool irc_register_handle(struct irc *self, const struct irc_line *line)
{
	const char *cmd = line->command;
	if (strcmp(cmd, "CAP") == 0) {
		on_cap(self, line);
	} else if (strcmp(cmd, "AUTHENTICATE") == 0) {
		if (self->cfg.sasl && line->n_params && strcmp(line->params[0], "+") == 0)
			sasl_send(self);
	} else if (strcmp(cmd, "903") == 0) {
		irc_write(self, "CAP END");
	} else if (self->phase == IRC_REGISTERING && refusal(cmd)) {
		char why[256];
		snprintf(why, sizeof(why), "%s: %.200s", refusal(cmd),
		         line->n_params ? line->params[line->n_params - 1] : "");
		irc_text_clean(why, strlen(why));
		irc_fail(self, why);
	} else if (self->phase == IRC_REGISTERING &&
	           (!strcmp(cmd, "432") || !strcmp(cmd, "433") || !strcmp(cmd, "436") ||
	            !strcmp(cmd, "437"))) {
		nick_refused(self, line);
	} else if (strcmp(cmd, "001") == 0 && self->phase == IRC_REGISTERING) {
		if (line->n_params && irc_nick_valid(line->params[0], IRC_NICK_MAX))
			snprintf(self->nick, sizeof(self->nick), "%s", line->params[0]);
		self->welcomed = true;
	} else {
		return false;
	}
	return true;
}
