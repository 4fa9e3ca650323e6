/* SPDX-License-Identifier: MIT */
#include "sendq.h"

void sendq_add(struct sendq *q, struct outgoing *m, bool first)
{
	if (first)
		outqueue_push_front(&q->waiting, m);
	else
		outqueue_push(&q->waiting, m);
}

void sendq_flush(struct sendq *q, sendq_publish_fn publish, void *data)
{
	if (q->publishing)
		return;
	q->publishing = true;
	while (q->waiting.len && q->inflight.len < SENDQ_WINDOW) {
		struct outgoing *m = outqueue_pop(&q->waiting);
		uint64_t token = m->token = ++q->next_token;
		outqueue_push(&q->inflight, m); /* before publish: it may be acked inside */
		if (publish(data, m, token) != 0) {
			if ((m = outqueue_take(&q->inflight, token)))
				outqueue_push_front(&q->waiting, m);
			break;
		}
	}
	q->publishing = false;
}

struct outgoing *sendq_acked(struct sendq *q, uint64_t token)
{
	return outqueue_take(&q->inflight, token);
}

size_t sendq_backlog(const struct sendq *q)
{
	return q->waiting.len;
}

bool sendq_settled(struct sendq *q, bool link_up)
{
	if (q->inflight.len)
		return false;
	for (struct outgoing *m = q->waiting.head; m; m = m->next)
		if (link_up || !outgoing_is_announcement(m))
			return false;
	for (struct outgoing *m; (m = outqueue_pop(&q->waiting));)
		outgoing_free(m);
	return true;
}

void sendq_take_all(struct sendq *q, struct outqueue *out)
{
	struct outqueue *const from[] = {&q->inflight, &q->waiting};
	for (size_t i = 0; i < 2; i++)
		for (struct outgoing *m; (m = outqueue_pop(from[i]));)
			outqueue_push(out, m);
}
