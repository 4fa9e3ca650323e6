/* SPDX-License-Identifier: MIT */
#include "outqueue.h"

#include <stdlib.h>

#include "strbuf.h"

struct outgoing *outgoing_new(const struct outgoing_words *words)
{
	const char *from[] = {words->nick, words->text, words->room, words->to, words->origin};
	const char *copies[sizeof from / sizeof *from];
	struct outgoing *m = xpack_strings(sizeof *m, sizeof from / sizeof *from, from, copies);
	*m = (struct outgoing){.nick = copies[0], .text = copies[1], .room = copies[2],
	                       .to = copies[3], .origin = copies[4]};
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
