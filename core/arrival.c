/* SPDX-License-Identifier: MIT */
#include "arrival.h"

#include <string.h>

#include "clock.h"
#include "sanitize.h"
#include "wire_json.h"
#include "wire_plain.h"

/* The buffers of an arrival's own parts (its identity has its own). */
#define N_PARTS 5
static void parts_of(struct arrival *a, struct strbuf *parts[N_PARTS])
{
	struct strbuf *all[N_PARTS] = {&a->nick, &a->text, &a->topic, &a->id, &a->origin};
	memcpy(parts, all, sizeof all);
}

/* The sanitised parts of a json payload; its sender's time (0: none). */
static int64_t take_json(struct arrival *a, const struct json_decoded *j)
{
	sanitize_append(&a->nick, j->nick, j->nick_len);
	sanitize_append(&a->text, j->text, j->text_len);
	sanitize_append(&a->id, j->id, j->id_len);
	if (j->hops)
		sanitize_append(&a->origin, j->origin, j->origin_len);
	a->msg.hops = j->hops;
	a->msg.type = j->type;
	return j->ts_ms;
}

static void take_plain(struct arrival *a, const char *payload, size_t len)
{
	struct plain_decoded p;
	plain_decode(payload, len, &p);
	if (p.nick)
		sanitize_append(&a->nick, p.nick, p.nick_len);
	sanitize_append(&a->text, p.text, p.text_len);
	a->msg.type = p.type;
}

void arrival_make(struct arrival *a, const char *topic, const void *payload, size_t len,
                  const struct arrival_place *at, unsigned flags, bool digest_payload)
{
	struct strbuf *parts[N_PARTS];
	parts_of(a, parts);
	for (size_t i = 0; i < N_PARTS; i++)
		strbuf_reset(parts[i]);
	a->msg = (struct mqc_message){0};
	a->payload_digest = 0;
	struct json_decoded j;
	int64_t ts_ms = 0;
	if (json_decode(payload, len, &j)) {
		ts_ms = take_json(a, &j);
		json_decoded_free(&j);
	} else {
		take_plain(a, payload, len);
	}
	sanitize_append(&a->topic, topic, strlen(topic));
	a->msg.flags = flags & (MQC_MSG_RETAINED | MQC_MSG_HISTORY);
	a->msg.id = strbuf_str(&a->id);
	a->msg.nick = strbuf_str(&a->nick);
	a->msg.text = strbuf_str(&a->text);
	a->msg.topic = strbuf_str(&a->topic);
	a->msg.sender_id = "";
	a->msg.time_ms = ts_ms ? ts_ms : wall_ms();
	a->msg.network = at->network;
	a->msg.room = at->room;
	a->msg.to = at->to ? at->to : "";
	a->msg.origin = strbuf_str(&a->origin);
	/* Whether it is a repeat is asked of what is shown and stored. */
	dedup_identify_again(&a->ident, &a->msg, ts_ms, topic, payload, len);
	if (digest_payload)
		a->payload_digest = dedup_digest("", payload, len);
}

void arrival_trim(struct arrival *a)
{
	struct strbuf *parts[N_PARTS];
	parts_of(a, parts);
	for (size_t i = 0; i < N_PARTS; i++)
		strbuf_free_if_big(parts[i]);
	strbuf_free_if_big(&a->ident.key);
	strbuf_free_if_big(&a->ident.retained_key);
}

void arrival_free(struct arrival *a)
{
	struct strbuf *parts[N_PARTS];
	parts_of(a, parts);
	for (size_t i = 0; i < N_PARTS; i++)
		strbuf_free(parts[i]);
	dedup_identity_free(&a->ident);
}
