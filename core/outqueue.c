/* SPDX-License-Identifier: MIT */
#include "outqueue.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define N_WORDS 5

struct outgoing *outgoing_new(const struct outgoing_words *words)
{
	const char *from[N_WORDS] = {words->nick, words->text, words->room, words->to,
	                             words->origin};
	size_t len[N_WORDS], total = 0;
	for (int i = 0; i < N_WORDS; i++) {
		from[i] = from[i] ? from[i] : "";
		len[i] = strlen(from[i]) + 1;
		total += len[i];
	}
	struct outgoing *m = xmalloc(sizeof *m + total);
	*m = (struct outgoing){0};
	const char **into[N_WORDS] = {&m->nick, &m->text, &m->room, &m->to, &m->origin};
	char *at = m->words;
	for (int i = 0; i < N_WORDS; i++) {
		*into[i] = memcpy(at, from[i], len[i]);
		at += len[i];
	}
	return m;
}

void outqueue_push(struct outqueue *q, struct outgoing *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->len++;
}

void outqueue_push_front(struct outqueue *q, struct outgoing *m)
{
	m->next = q->head;
	q->head = m;
	if (!q->tail)
		q->tail = m;
	q->len++;
}

struct outgoing *outqueue_pop(struct outqueue *q)
{
	struct outgoing *m = q->head;
	if (!m)
		return NULL;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	return m;
}

/* Acknowledgements mostly come in order, so the search rarely goes past
 * the head. */
struct outgoing *outqueue_take(struct outqueue *q, uint64_t token)
{
	struct outgoing *prev = NULL;
	for (struct outgoing *m = q->head; m; prev = m, m = m->next) {
		if (m->token != token)
			continue;
		if (prev)
			prev->next = m->next;
		else
			q->head = m->next;
		if (q->tail == m)
			q->tail = prev;
		q->len--;
		return m;
	}
	return NULL;
}

void outgoing_free(struct outgoing *m)
{
	free(m);
}

bool outgoing_is_announcement(const struct outgoing *m)
{
	return m->type == MQC_MSG_JOIN || m->type == MQC_MSG_LEAVE;
}
