/* SPDX-License-Identifier: MIT */
/*
 * The channels this network has joined and who the server says is in each.
 * The core keeps who is present for people to see (host->presence); this
 * copy is the protocol's own: a QUIT or NICK names no channel, so the
 * plugin must know which of its channels the nick was in.
 */
#include "irc_instance.h"

#include <stdlib.h>
#include <string.h>

struct irc_channel *irc_members_find(struct irc_members *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (irc_name_eq(m->channels[i].name, name, m->casemap))
			return &m->channels[i];
	return NULL;
}

struct irc_channel *irc_members_add(struct irc_members *m, const char *name)
{
	struct irc_channel *ch = irc_members_find(m, name);
	if (ch)
		return ch;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct irc_channel *grown = realloc(m->channels, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		m->channels = grown;
		m->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	ch = &m->channels[m->n++];
	*ch = (struct irc_channel){.name = copy};
	return ch;
}

void irc_channel_clear(struct irc_channel *ch)
{
	for (size_t i = 0; i < ch->n_nicks; i++)
		free(ch->nicks[i]);
	ch->n_nicks = 0;
}

void irc_members_remove(struct irc_members *m, const char *name)
{
	struct irc_channel *ch = irc_members_find(m, name);
	if (!ch)
		return;
	irc_channel_clear(ch);
	free(ch->nicks);
	free(ch->name);
	size_t i = (size_t)(ch - m->channels);
	memmove(ch, ch + 1, (m->n - i - 1) * sizeof(*ch));
	m->n--;
}

static size_t nick_index(const struct irc_channel *ch, const char *nick, enum irc_casemap map)
{
	for (size_t i = 0; i < ch->n_nicks; i++)
		if (irc_name_eq(ch->nicks[i], nick, map))
			return i;
	return SIZE_MAX;
}

bool irc_channel_has(const struct irc_channel *ch, const char *nick, enum irc_casemap map)
{
	return nick_index(ch, nick, map) != SIZE_MAX;
}

bool irc_channel_set(struct irc_channel *ch, const char *nick, bool here, enum irc_casemap map)
{
	size_t i = nick_index(ch, nick, map);
	if (!here) {
		if (i == SIZE_MAX)
			return false;
		free(ch->nicks[i]);
		ch->nicks[i] = ch->nicks[--ch->n_nicks];
		return true;
	}
	if (i != SIZE_MAX)
		return false;
	if (ch->n_nicks == ch->cap_nicks) {
		size_t cap = ch->cap_nicks ? ch->cap_nicks * 2 : 8;
		char **grown = realloc(ch->nicks, cap * sizeof(*grown));
		if (!grown)
			return false;
		ch->nicks = grown;
		ch->cap_nicks = cap;
	}
	char *copy = strdup(nick);
	if (!copy)
		return false;
	ch->nicks[ch->n_nicks++] = copy;
	return true;
}

void irc_members_free(struct irc_members *m)
{
	while (m->n)
		irc_members_remove(m, m->channels[m->n - 1].name);
	free(m->channels);
	m->channels = NULL;
	m->cap = 0;
}
