/* SPDX-License-Identifier: MIT */
#include "chat.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "arrival.h"
#include "clock.h"
#include "identity.h"
#include "roomref.h"
#include "sanitize.h"
#include "where.h"

/* A network's sources pause when this many messages wait for its window,
 * and resume once the backlog is down to QUEUE_LOW. */
#define QUEUE_HIGH 1024
#define QUEUE_LOW 256
/* Received payloads beyond this are refused, loudly: one huge message
 * must not cost the process (or a terminal) hundreds of megabytes. */
#define MAX_RECEIVED_PAYLOAD (1024 * 1024)

static struct mqc_message outgoing_message(const struct chat *chat, const struct network *net,
                                           const struct outgoing *m)
{
	return (struct mqc_message){
		.type = m->type, .flags = MQC_MSG_OWN, .id = m->id, .nick = m->nick,
		.text = m->text, .topic = "", .sender_id = chat->stable_id, .time_ms = m->time_ms,
		.network = net->name, .room = m->room, .to = m->to, .origin = m->origin,
		.hops = m->hops,
	};
}

size_t chat_room_count(const struct chat *chat)
{
	size_t n = 0;
	for (size_t i = 0; i < chat->n_networks; i++)
		n += chat->networks[i].n_rooms;
	return n;
}

/* --- delivery to frontends ----------------------------------------------- */

void chat_deliver(struct chat *chat, struct instance *only, const struct mqc_message *msg)
{
	const struct mqc_message *outer = chat->delivering;
	chat->delivering = msg;
	for (size_t i = 0; i < chat->instances.n_frontends; i++) {
		struct instance *inst = chat->instances.frontends[i];
		if (inst->self && (!only || only == inst))
			inst->plugin->desc.deliver(inst->self, msg);
	}
	chat->delivering = outer;
}

void chat_status(struct chat *chat, struct instance *to, unsigned flags, const char *fmt, ...)
{
	struct strbuf text = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	struct mqc_message msg = {
		.type = MQC_MSG_STATUS, .flags = flags, .id = "", .nick = "",
		.text = strbuf_str(&text), .topic = "", .sender_id = "", .time_ms = wall_ms(),
		.network = "", .room = "", .to = "", .origin = "",
	};
	chat_deliver(chat, to, &msg);
	strbuf_free(&text);
}

/* An event (connected, outbox news) for every frontend, and for stderr as
 * well when no stdin frontend shows it there or on the terminal already.
 * With several networks it says which. */
void chat_event(struct chat *chat, const struct network *net, enum mqc_log_level level,
                const char *text)
{
	struct strbuf line = STRBUF_INIT;
	if (net && chat->n_networks > 1)
		strbuf_printf(&line, "[%s] ", net->name);
	strbuf_appends(&line, text);
	if (!chat->stdin_shows_events)
		log_print(NULL, level, "%s", strbuf_str(&line));
	chat_status(chat, NULL, level <= MQC_LOG_WARNING ? MQC_MSG_ERROR : 0, "%s",
	            strbuf_str(&line));
	strbuf_free(&line);
}

/* --- sending ------------------------------------------------------------- */

/* Done quitting when everything said was acknowledged.  With a link down,
 * a join or leave announcement alone is not worth waiting for. */
static void check_quit_done(struct chat *chat)
{
	if (!chat->quitting)
		return;
	for (size_t i = 0; i < chat->n_networks; i++)
		if (!sendq_settled(&chat->networks[i].sendq, chat->networks[i].link_up))
			return;
	chat->done = true;
}

/* A network holds its sources back while its backlog is high (or the
 * outbox is full): a frontend whose lines go there waits, the others go on. */
static void update_backpressure(struct chat *chat)
{
	bool full = delivery_full(chat->delivery);
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		size_t backlog = sendq_backlog(&net->sendq);
		if (backlog >= QUEUE_HIGH || full)
			net->paused_input = true;
		else if (backlog <= QUEUE_LOW)
			net->paused_input = false;
	}
	for (size_t i = 0; i < chat->instances.n_frontends; i++) {
		const struct network *net = chat->rooms[i].net;
		loop_pause_source(chat->loop, chat->instances.frontends[i],
		                  chat->quitting || (net && net->paused_input));
	}
}

/* Hands `m` to the network's backend, while its link is up (it may go
 * down inside an earlier publish). */
static int publish(void *data, const struct outgoing *m, uint64_t token)
{
	struct network *net = data;
	struct instance *be = net->inst;
	if (!net->link_up)
		return -1;
	struct mqc_message msg = outgoing_message(be->chat, net, m);
	return be->plugin->desc.publish(be->self, &msg, token);
}

static void flush_queue(struct chat *chat, struct network *net)
{
	if (net->link_up)
		sendq_flush(&net->sendq, publish, net);
	update_backpressure(chat);
}

/* What was said in one loop round is sent; at the round's end, once the
 * backends have let it go (mqtt uncorks its socket then), what the
 * brokers have not acknowledged yet is saved, in one transaction: each
 * message is on the wire or on disk, and one written out at once (QoS 0)
 * never touches the disk, nor does the disk hold up one that is not. */
static void send_said(void *data)
{
	struct chat *chat = data;
	for (size_t i = 0; i < chat->n_networks; i++)
		if (chat->networks[i].link_up)
			sendq_flush(&chat->networks[i].sendq, publish, &chat->networks[i]);
	update_backpressure(chat);
	loop_timer_arm_now(chat->save_timer);
}

/* The backends that wait for the write (notify_stored), and whether one
 * of them may keep its peer waiting too (host->notify_peer_waiting). */
static struct archive_waiters waiters_of(const struct chat *chat)
{
	struct archive_waiters w = {0};
	for (size_t i = 0; i < chat->n_networks; i++) {
		const struct network *net = &chat->networks[i];
		if (!net->wants_stored)
			continue;
		w.alone = w.any ? NULL : net->name;
		w.any = true;
		w.peers_wait = w.peers_wait || net->peer_waiting;
	}
	return w;
}

/* Writes history, unless the rounds since the last write wait to share
 * one (archive.h); once nothing waits, the backends that hold something
 * until then (host->notify_stored) are told. */
static void write_history(struct chat *chat, bool may_wait)
{
	struct archive_waiters w = waiters_of(chat);
	uint32_t wait =
		archive_write_round(chat->archive, may_wait && chat->may_group && !chat->store_soon, &w);
	chat->store_soon = false;
	if (wait) {
		loop_timer_arm(chat->group_timer, wait);
		return;
	}
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		if (!net->wants_stored)
			continue;
		net->wants_stored = false;
		if (net->inst->self && net->inst->plugin->desc.stored)
			net->inst->plugin->desc.stored(net->inst->self);
	}
}

static void save_round(struct chat *chat, bool may_wait)
{
	struct delivery_queue *nets = chat->save_queues;
	for (size_t i = 0; i < chat->n_networks; i++)
		nets[i] = (struct delivery_queue){&chat->networks[i].sendq,
		                                  {chat->networks[i].name, chat->networks[i].broker}};
	delivery_save(chat->delivery, nets, chat->n_networks);
	write_history(chat, may_wait); /* after the relays: archive.h */
	update_backpressure(chat); /* the outbox may be full now */
}

static void save_said(void *data)
{
	save_round(data, true);
}

static void group_written(void *data)
{
	write_history(data, false);
}

void chat_notify_stored(struct chat *chat, struct network *net, bool soon)
{
	net->wants_stored = true;
	chat->store_soon = chat->store_soon || soon;
	loop_timer_arm_now(chat->save_timer);
}

void chat_notify_peer_waiting(struct network *net, bool waiting)
{
	net->peer_waiting = waiting;
}

static struct outgoing *outgoing_of_said(const struct said *s)
{
	struct outgoing *m = outgoing_new(&(struct outgoing_words){
		.nick = s->nick, .text = s->text, .room = s->to && *s->to ? "" : s->room,
		.to = s->to, .origin = s->origin});
	m->type = s->type;
	if (s->id && *s->id)
		memcpy(m->id, s->id, strnlen(s->id, sizeof m->id - 1));
	else
		identity_new_message_id(m->id);
	m->hops = s->hops;
	m->time_ms = s->time_ms ? s->time_ms : wall_ms();
	return m;
}

static void relay(struct chat *chat, const struct mqc_message *msg);

void chat_say(struct chat *chat, const struct said *s)
{
	struct network *net = s->net;
	struct outgoing *m = outgoing_of_said(s);
	delivery_track(chat->delivery, m, !outgoing_is_announcement(m));
	sendq_add(&net->sendq, m, s->first);
	struct mqc_message msg = outgoing_message(chat, net, m);
	/* A broker echo of a json message is known by its identity. */
	dedup_identify_again(&chat->said_identity, &msg, msg.time_ms, NULL, NULL, 0);
	archive_said(chat->archive, &msg, &chat->said_identity);
	chat_deliver(chat, NULL, &msg);
	if (!outgoing_is_announcement(m) && !*m->to)
		relay(chat, &msg);
	loop_timer_arm_now(chat->send_timer);
	/* Quitting waits for this one too (a relay of a message that came
	 * in after the quit), unless the wait is over. */
	if (chat->quitting && !chat->quit_expired)
		chat->done = false;
}

/* Says a join or leave in every room of `net` (`first`: ahead of what waits). */
static void announce(struct chat *chat, struct network *net, enum mqc_msg_type type,
                     bool first)
{
	for (size_t i = 0; i < net->n_rooms; i++)
		chat_say(chat, &(struct said){.net = net, .room = net->rooms[i], .type = type,
		                              .nick = chat->nick, .text = "", .first = first});
}

void chat_acked(struct chat *chat, struct network *net, uint64_t token, enum mqc_ack result)
{
	struct outgoing *m = sendq_acked(&net->sendq, token);
	if (!m) {
		log_print(net->name, MQC_LOG_WARNING,
		          "acknowledgement for unknown message %llu ignored (a backend bug)",
		          (unsigned long long)token);
		return;
	}
	if (result == MQC_ACK_REJECTED)
		chat_status(chat, NULL, MQC_MSG_ERROR, "the server refused your message \"%s\"",
		            m->text);
	delivery_done(chat->delivery, m);
	outgoing_free(m);
	if (chat->quit_timer)
		loop_timer_arm(chat->quit_timer, chat->set.quit_timeout_ms);
	flush_queue(chat, net);
	check_quit_done(chat);
}

void chat_note_published(struct chat *chat, struct network *net, const char *payload,
                         size_t len)
{
	(void)chat;
	echo_note(&net->echoes, dedup_digest("", payload, len), len, monotonic_ms());
}

/* --- bridges ------------------------------------------------------------- */

struct network *chat_network(struct chat *chat, const char *name)
{
	for (size_t i = 0; i < chat->n_networks; i++)
		if (strcmp(chat->networks[i].name, name) == 0)
			return &chat->networks[i];
	return NULL;
}

/* The copies bridges make of `msg`, each said in its room. */
static void relay(struct chat *chat, const struct mqc_message *msg)
{
	struct relay_plan plan = {0};
	if (!chat->bridges || !bridges_plan(chat->bridges, msg, monotonic_ms(), &plan))
		return;
	struct strbuf origin = STRBUF_INIT;
	if (*msg->origin)
		strbuf_appends(&origin, msg->origin);
	else
		strbuf_printf(&origin, "%s:%s", msg->network, msg->room);
	for (size_t i = 0; i < plan.n; i++) {
		const struct relay *r = &plan.copies[i];
		chat_say(chat, &(struct said){
			.net = chat_network(chat, r->network), .room = r->room, .type = msg->type,
			.nick = r->nick, .text = msg->text, .id = r->id, .origin = origin.data,
			.hops = msg->hops + 1, .time_ms = msg->time_ms});
	}
	strbuf_free(&origin);
	relay_plan_free(&plan);
}

/* --- from the backends --------------------------------------------------- */

/* Too big a payload is refused, loudly: one huge message must not cost
 * the process (or a terminal) hundreds of megabytes. */
static bool too_big(const struct chat *chat, const struct network *net, const char *topic,
                    size_t len)
{
	if (len <= MAX_RECEIVED_PAYLOAD)
		return false;
	struct strbuf where = STRBUF_INIT;
	sanitize_append(&where, topic, strlen(topic));
	log_print(chat->n_networks > 1 ? net->name : NULL, MQC_LOG_WARNING,
	          "a payload of %zu bytes on %s was not shown: "
	          "longer than %d", len, strbuf_str(&where), MAX_RECEIVED_PAYLOAD);
	strbuf_free(&where);
	return true;
}

/* Flood control ([core] rate_limit): says the counts of folded messages
 * now due (`all`: every one, at exit). */
static void say_folded(struct chat *chat, bool all)
{
	struct flood_reports due;
	flood_take_due(chat->flood, monotonic_ms(), all, &due);
	struct strbuf line = STRBUF_INIT;
	for (size_t i = 0; i < due.n; i++) {
		strbuf_reset(&line);
		flood_report_text(&due.items[i], chat_room_count(chat) > 1, &line);
		chat_status(chat, NULL, 0, "%s", strbuf_str(&line));
	}
	strbuf_free(&line);
	flood_reports_free(&due);
}

/* Runs while counts are left to say. */
static void flood_tick(void *data)
{
	struct chat *chat = data;
	say_folded(chat, false);
	if (flood_pending(chat->flood))
		loop_timer_arm(chat->flood_timer, flood_check_interval_ms(chat->flood));
}

/* Whether `msg` may be shown: a sender past the rate limit is folded
 * (counted, said later); one back under has its count said first. */
static bool flood_admits(struct chat *chat, const struct mqc_message *msg, uint64_t now)
{
	if (!chat->set.rate_limit.count)
		return true;
	if (!chat->flood) {
		chat->flood = flood_new(&chat->set.rate_limit, 0);
		chat->flood_timer = loop_timer_add(chat->loop, 0, false, flood_tick, chat);
	}
	bool was_pending = flood_pending(chat->flood) > 0;
	bool shown = flood_admit(chat->flood, msg, now);
	if (shown && was_pending)
		say_folded(chat, false);
	else if (!was_pending && flood_pending(chat->flood))
		loop_timer_arm(chat->flood_timer, flood_check_interval_ms(chat->flood));
	return shown;
}

/* A message received, made and identified (`resent`: the network marked
 * it as sent again): stored unless it is a repeat, then shown and relayed
 * by the bridges unless the rate limit folds it (a flood relayed would
 * only flood the other rooms). */
static void take(struct chat *chat, struct network *net, const struct mqc_message *msg,
                 const struct dedup_identity *ident, bool resent, uint64_t now)
{
	enum dedup_verdict verdict = archive_check(chat->archive, ident, now - net->link_up_ms,
	                                           net->link_down_ms, resent);
	if (verdict == DEDUP_REPEAT)
		return;
	archive_store(chat->archive, msg, ident);
	loop_timer_arm_now(chat->save_timer); /* written at the round's end */
	if (!flood_admits(chat, msg, now))
		return;
	chat_deliver(chat, NULL, msg);
	if (verdict == DEDUP_CONFLICT)
		chat_status(chat, NULL, MQC_MSG_ERROR, "the message above reuses the id of an "
		            "earlier message with other content: one of the two is not genuine");
	relay(chat, msg);
}

/* The arrival to make a payload into: the chat's own, whose buffers the
 * last payload left, unless a plugin hands over a payload while one is
 * being taken (then `fresh`). */
static struct arrival *arrival_begin(struct chat *chat, struct arrival *fresh)
{
	if (chat->arrival_busy)
		return fresh;
	chat->arrival_busy = true;
	return &chat->arrival;
}

static void arrival_end(struct chat *chat, struct arrival *a)
{
	if (a != &chat->arrival) {
		arrival_free(a);
		return;
	}
	arrival_trim(a);
	chat->arrival_busy = false;
}

void chat_receive(struct chat *chat, struct network *net, const char *topic,
                  const void *payload, size_t len, unsigned flags)
{
	if (too_big(chat, net, topic, len))
		return;
	uint64_t now = monotonic_ms();
	struct arrival fresh = ARRIVAL_INIT, *a = arrival_begin(chat, &fresh);
	struct arrival_place at = {net->name, network_room_of(net, topic), NULL};
	arrival_make(a, topic, payload, len, &at, flags, echo_expected(&net->echoes, len, now));
	if (!a->payload_digest || !echo_take(&net->echoes, a->payload_digest, len, now))
		take(chat, net, &a->msg, &a->ident, flags & MQC_MSG_RESENT, now);
	arrival_end(chat, a);
}

/* Whether `nick` is the sender the network proved, ASCII case aside. */
static bool proved_is(const char *nick, const char *proved)
{
	return *proved && strcasecmp(nick, proved) == 0;
}

/* An answer to our history request: stored and shown as history unless
 * it is known (already here, live or from our own history: by its id, or
 * a plain message's by its words); never relayed, never shown twice. */
static void take_history(struct chat *chat, const struct arrival *a)
{
	if (archive_check_answer(chat->archive, &a->ident) == DEDUP_REPEAT)
		return;
	struct mqc_message stored = a->msg; /* kept as received: history skips replays */
	stored.flags &= ~(unsigned)MQC_MSG_HISTORY;
	archive_store(chat->archive, &stored, &a->ident);
	loop_timer_arm_now(chat->save_timer); /* written at the round's end */
	chat_deliver(chat, NULL, &a->msg);
}

void chat_receive_payload(struct chat *chat, struct network *net, const struct chat_place *at,
                          const void *payload, size_t len, unsigned flags)
{
	const char *where = *at->room ? at->room : at->to;
	if (too_big(chat, net, where, len))
		return;
	uint64_t now = monotonic_ms();
	struct arrival fresh = ARRIVAL_INIT, *a = arrival_begin(chat, &fresh);
	struct arrival_place place = {net->name, *at->room ? network_room_of(net, at->room) : "",
	                              at->to};
	arrival_make(a, where, payload, len, &place, flags, echo_expected(&net->echoes, len, now));
	if (at->proved && !proved_is(a->msg.nick, at->proved))
		a->msg.flags |= MQC_MSG_UNVERIFIED;
	bool our_echo = a->payload_digest && echo_take(&net->echoes, a->payload_digest, len, now);
	if (!our_echo && (flags & MQC_MSG_HISTORY))
		take_history(chat, a);
	else if (!our_echo)
		take(chat, net, &a->msg, &a->ident, flags & MQC_MSG_RESENT, now);
	arrival_end(chat, a);
}

void chat_receive_message(struct chat *chat, struct network *net,
                          const struct mqc_message *in)
{
	if (too_big(chat, net, in->room ? in->room : "", in->text ? strlen(in->text) : 0))
		return;
	struct strbuf s[6] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
	                      STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	const char *parts[6] = {in->id, in->nick, in->text, in->sender_id, in->room, in->to};
	for (size_t i = 0; i < 6; i++)
		if (parts[i])
			sanitize_append(&s[i], parts[i], strlen(parts[i]));
	bool private = s[5].len > 0;
	struct mqc_message msg = {
		.type = in->type <= MQC_MSG_LEAVE ? in->type : MQC_MSG_MESSAGE,
		.flags = in->flags & MQC_MSG_RETAINED, .id = strbuf_str(&s[0]),
		.nick = strbuf_str(&s[1]), .text = strbuf_str(&s[2]), .topic = "",
		.sender_id = strbuf_str(&s[3]), .time_ms = in->time_ms > 0 ? in->time_ms : wall_ms(),
		.network = net->name, .room = private ? "" : network_room_of(net, strbuf_str(&s[4])),
		.to = strbuf_str(&s[5]), .origin = "",
	};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, in->time_ms > 0 ? in->time_ms : 0, NULL, NULL, 0);
	take(chat, net, &msg, &ident, in->flags & MQC_MSG_RESENT, monotonic_ms());
	dedup_identity_free(&ident);
	for (size_t i = 0; i < 6; i++)
		strbuf_free(&s[i]);
}

void chat_presence(struct chat *chat, struct network *net, const char *room, const char *nick,
                   bool here)
{
	(void)chat;
	network_presence(net, room, nick, here);
}

/* --who: how long the network may take to connect and say who is there. */
#define WHO_DEADLINE_MS 30000

static void who_timed_out(void *data)
{
	struct chat *chat = data;
	log_print(NULL, MQC_LOG_ERROR, "--who: %s did not say who is in %s within %d s",
	          chat->who->net->name, chat->who->room_name, WHO_DEADLINE_MS / 1000);
	chat_quit(chat, EX_UNAVAILABLE);
}

void chat_presence_synced(struct chat *chat, struct network *net, const char *room)
{
	if (!chat->who || !who_asked(chat->who, net, room) || chat->quitting)
		return;
	who_print(chat->who);
	chat_quit(chat, 0);
}

/* Whether every network has given up. */
static bool all_failed(const struct chat *chat)
{
	for (size_t i = 0; i < chat->n_networks; i++)
		if (!chat->networks[i].failed)
			return false;
	return true;
}

void chat_link_state(struct chat *chat, struct network *net, enum mqc_link state,
                     const char *detail)
{
	detail = detail ? detail : "";
	switch (state) {
	case MQC_LINK_UP:
		net->link_up = true;
		net->failed = false;
		net->link_up_ms = monotonic_ms();
		chat_event(chat, net, MQC_LOG_INFO, detail);
		/* The broker may have published our Last Will while we were
		 * away: the room is told we are back. */
		if (net->was_connected && chat->announced && !chat->quitting)
			announce(chat, net, MQC_MSG_JOIN, true);
		net->was_connected = true;
		flush_queue(chat, net);
		check_quit_done(chat);
		break;
	case MQC_LINK_DOWN:
		if (net->link_up || !chat->interactive)
			chat_event(chat, net, MQC_LOG_WARNING, detail);
		if (net->link_up)
			network_link_down(net, monotonic_ms(), ARCHIVE_REPEAT_WINDOW_MS);
		net->link_up = false;
		check_quit_done(chat);
		break;
	case MQC_LINK_FAILED:
		net->link_up = false;
		net->failed = true;
		chat_event(chat, net, MQC_LOG_ERROR, detail);
		if (all_failed(chat)) {
			chat->exit_code = EX_UNAVAILABLE;
			chat->quit_expired = true;
			chat->done = true;
		}
		break;
	}
}

/* --- quitting ------------------------------------------------------------ */

static void quit_timed_out(void *data)
{
	struct chat *chat = data;
	chat->quit_expired = true;
	chat->done = true;
}

void chat_quit(struct chat *chat, int code)
{
	if (chat->quitting)
		return;
	chat->quitting = true;
	chat->exit_code = code;
	for (size_t i = 0; chat->set.announce && chat->announced && i < chat->n_networks; i++)
		announce(chat, &chat->networks[i], MQC_MSG_LEAVE, false);
	update_backpressure(chat);
	chat->quit_timer = loop_timer_add(chat->loop, chat->set.quit_timeout_ms, false,
	                                  quit_timed_out, chat);
	check_quit_done(chat);
}

/* Lists, on stderr, what `net` never got acknowledged, and frees it;
 * counts the join and leave announcements among it in `joined`/`left`. */
static void list_unacknowledged(struct chat *chat, struct network *net, bool *joined,
                                bool *left)
{
	struct outqueue unacked = {0};
	sendq_take_all(&net->sendq, &unacked);
	bool many_rooms = chat_room_count(chat) > 1;
	for (struct outgoing *m; (m = outqueue_pop(&unacked)); outgoing_free(m)) {
		*joined |= m->type == MQC_MSG_JOIN;
		*left |= m->type == MQC_MSG_LEAVE;
		if (outgoing_is_announcement(m))
			continue;
		/* Where it belongs, as frontends say it (common/where.h). */
		struct mqc_message msg = outgoing_message(chat, net, m);
		bool where = many_rooms || *m->to;
		char *prefix = xmalloc(where ? where_prefix(&msg, false, NULL) + 1 : 1);
		*prefix = '\0';
		if (where)
			where_prefix(&msg, false, prefix);
		log_print(NULL, MQC_LOG_ERROR, "not acknowledged: %s%s%s: %s", prefix,
		          m->type == MQC_MSG_ACTION ? "* " : "", m->nick, m->text);
		free(prefix);
	}
}

/* The messages of `q` that are no join or leave announcement. */
static size_t count_said(const struct outqueue *q)
{
	size_t n = 0;
	for (const struct outgoing *m = q->head; m; m = m->next)
		n += !outgoing_is_announcement(m);
	return n;
}

/* Reports, on stderr, every message that never got its acknowledgement:
 * nothing leaves silently.  The count is of what is listed; a join or leave
 * announcement (never kept in the outbox) is said apart. */
static int report_unacknowledged(struct chat *chat)
{
	size_t lost = 0, queued = 0, holding = 0;
	for (size_t i = 0; i < chat->n_networks; i++) {
		const struct sendq *q = &chat->networks[i].sendq;
		size_t here = q->inflight.len + q->waiting.len;
		queued += here;
		holding += here > 0;
		lost += count_said(&q->inflight) + count_said(&q->waiting);
	}
	if (!queued)
		return 0;
	/* "Server" as the MQTT specification says for a broker; IRC's too. */
	const char *server = holding > 1 ? "servers" : "server";
	if (lost)
		log_print(NULL, MQC_LOG_ERROR, "%zu message%s never acknowledged by the %s%s:",
		          lost, lost == 1 ? " was" : "s were", server,
		          delivery_keeps(chat->delivery)
		                  ? " (kept in the outbox: the next start sends them)" : "");
	bool joined = false, left = false;
	for (size_t i = 0; i < chat->n_networks; i++)
		list_unacknowledged(chat, &chat->networks[i], &joined, &left);
	if (joined || left)
		log_print(NULL, MQC_LOG_ERROR, "the %s never acknowledged the announcement "
		          "that you %s the room (not kept: it is not sent again)", server,
		          joined && left ? "joined and left" : joined ? "joined" : "left");
	return 1;
}

/* --- signals ------------------------------------------------------------- */

static void on_signal(void *data, int fd, unsigned revents)
{
	struct chat *chat = data;
	struct signalfd_siginfo si;
	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			for (size_t i = 0; i < chat->instances.n_frontends; i++) {
				struct instance *inst = chat->instances.frontends[i];
				if (inst->self && inst->plugin->desc.reopen)
					inst->plugin->desc.reopen(inst->self);
			}
		} else if (chat->quitting) {
			log_print(NULL, MQC_LOG_WARNING, "interrupted again: not waiting any longer");
			chat->quit_expired = true;
			chat->done = true;
		} else {
			chat_quit(chat, 0);
		}
	}
}

static int watch_signals(struct chat *chat)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	chat->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (chat->signal_fd < 0)
		return -1;
	loop_watch_add(chat->loop, chat->signal_fd, MQC_IO_IN, NULL, on_signal, chat);
	return 0;
}

/* --- life cycle ---------------------------------------------------------- */

static int open_instance(struct chat *chat, struct instance *inst)
{
	int rc = instance_check(inst, chat->host);
	if (rc)
		return rc;
	inst->self = inst->plugin->desc.open((struct mqc_instance *)inst, chat->host);
	if (inst->self)
		return 0;
	if (!inst->config_failed)
		log_print(inst->name, MQC_LOG_ERROR, "could not start (plugin %s)",
		          inst->plugin->path);
	return inst->config_failed ? EX_CONFIG : EX_UNAVAILABLE;
}

/* A network's backend, then its rooms: a room it refuses is a mistake of
 * the configuration. */
static int open_network(struct chat *chat, struct network *net)
{
	int rc = open_instance(chat, net->inst);
	for (size_t i = 0; !rc && net->has_rooms && i < net->n_rooms; i++) {
		if (net->inst->plugin->desc.join(net->inst->self, net->rooms[i]) != 0) {
			log_print(net->name, MQC_LOG_ERROR, "cannot join room '%s' the configuration "
			          "names", net->rooms[i]);
			rc = EX_CONFIG;
		}
	}
	return rc;
}

/* As a STATUS line, "who: warning: text", to the frontend `data`. */
static void log_to_frontend(void *data, const char *line, enum mqc_log_level level)
{
	struct instance *inst = data;
	struct mqc_message msg = {
		.type = MQC_MSG_STATUS, .flags = level <= MQC_LOG_WARNING ? MQC_MSG_ERROR : 0,
		.id = "", .nick = "", .text = line, .topic = "", .sender_id = "",
		.time_ms = wall_ms(), .network = "", .room = "", .to = "", .origin = "",
	};
	inst->plugin->desc.deliver(inst->self, &msg);
}

/* The terminal a person watches is standard error as well as the
 * frontend's that owns it: that frontend then prints log lines, above its
 * prompt. */
static void log_to_terminal(struct chat *chat)
{
	struct stat out, err;
	if (!chat->interactive || fstat(STDOUT_FILENO, &out) != 0 ||
	    fstat(STDERR_FILENO, &err) != 0 || !S_ISCHR(out.st_mode) ||
	    out.st_rdev != err.st_rdev)
		return;
	for (size_t i = 0; i < chat->instances.n_frontends; i++)
		if (loader_owns_terminal(chat->instances.frontends[i]->plugin))
			log_set_sink(log_to_frontend, chat->instances.frontends[i]);
}

static void replay_one(void *data, const struct mqc_message *msg)
{
	chat_deliver(data, NULL, msg);
}

/* Queues what earlier runs left for each network; says what waits for
 * others. */
static void claim_leftovers(struct chat *chat)
{
	struct strbuf elsewhere = STRBUF_INIT, text = STRBUF_INIT;
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		struct outbox_dest dest = {net->name, net->broker};
		struct outqueue leftovers = {0};
		int n = delivery_claim(chat->delivery, &dest, &leftovers);
		for (struct outgoing *m; (m = outqueue_pop(&leftovers));)
			sendq_add(&net->sendq, m, false);
		if (n <= 0)
			continue;
		strbuf_reset(&text);
		strbuf_printf(&text, "sending again %d message%s an earlier run left "
		              "unacknowledged", n, n == 1 ? "" : "s");
		chat_event(chat, net, MQC_LOG_INFO, text.data);
	}
	delivery_elsewhere(chat->delivery, &elsewhere);
	if (elsewhere.len) {
		strbuf_reset(&text);
		strbuf_printf(&text, "the outbox keeps messages for other destinations, to be "
		              "sent only there: %s", strbuf_str(&elsewhere));
		chat_event(chat, NULL, MQC_LOG_INFO, text.data);
	}
	strbuf_free(&text);
	strbuf_free(&elsewhere);
}

/* History, then the outbox (in the history's file when it is open). */
static int open_storage(struct chat *chat)
{
	int rc = archive_open(&chat->archive, chat->cfg, chat->state_dir, &chat->set.archive,
	                      chat->loop);
	if (rc)
		return rc;
	struct history *store = archive_store_handle(chat->archive);
	char *path = store ? archive_database_path(chat->cfg, chat->state_dir) : NULL;
	chat->delivery = delivery_open(chat->loop, chat->set.outbox_max, chat->state_dir, store,
	                               path);
	free(path);
	return 0;
}

/* Whether history may be written for several rounds at once: every
 * backend knows to hold back its acknowledgements until `stored` (ABI 1.5). */
static bool backends_wait_for_stored(const struct chat *chat)
{
	for (size_t i = 0; i < chat->n_networks; i++)
		if (chat->networks[i].inst->plugin->desc.abi_minor < 5)
			return false;
	return true;
}

int chat_open(struct chat *chat)
{
	signal(SIGPIPE, SIG_IGN);
	if (watch_signals(chat) != 0) {
		log_print(NULL, MQC_LOG_ERROR, "cannot watch signals: %s", strerror(errno));
		return EX_OSERR;
	}
	int rc = open_storage(chat);
	for (size_t i = 0; !rc && i < chat->instances.n_frontends; i++)
		rc = open_instance(chat, chat->instances.frontends[i]);
	if (rc)
		return rc;
	log_to_terminal(chat);
	chat->send_timer = loop_timer_add(chat->loop, 0, false, send_said, chat);
	chat->save_timer = loop_timer_add(chat->loop, 0, false, save_said, chat);
	loop_timer_run_last(chat->save_timer);
	chat->group_timer = loop_timer_add(chat->loop, 0, false, group_written, chat);
	chat->may_group = backends_wait_for_stored(chat);
	if (chat->who) {
		chat->who_timer = loop_timer_add(chat->loop, WHO_DEADLINE_MS, false, who_timed_out,
		                                 chat);
	} else {
		archive_replay(chat->archive, replay_one, chat);
		claim_leftovers(chat);
	}
	for (size_t i = 0; chat->set.announce && i < chat->n_networks; i++)
		announce(chat, &chat->networks[i], MQC_MSG_JOIN, false);
	chat->announced = chat->set.announce;
	for (size_t i = 0; !rc && i < chat->n_networks; i++)
		rc = open_network(chat, &chat->networks[i]);
	return rc;
}

int chat_run(struct chat *chat)
{
	while (!chat->done) {
		if (loop_iterate(chat->loop) != 0) {
			log_print(NULL, MQC_LOG_ERROR, "poll: %s", strerror(errno));
			return EX_OSERR;
		}
	}
	save_round(chat, false); /* said and received in the last rounds */
	if (report_unacknowledged(chat) && chat->exit_code != EX_UNAVAILABLE)
		return EX_TEMPFAIL;
	return chat->exit_code;
}

static void close_instance(struct instance *inst)
{
	if (inst && inst->self)
		inst->plugin->desc.close(inst->self);
	if (inst)
		inst->self = NULL;
}

void chat_close(struct chat *chat)
{
	log_set_sink(NULL, NULL);
	if (chat->flood)
		say_folded(chat, true); /* nothing folded leaves unsaid */
	flood_free(chat->flood);
	chat->flood = NULL;
	for (size_t i = chat->instances.n_frontends; i-- > 0;)
		close_instance(chat->instances.frontends[i]);
	for (size_t i = 0; i < chat->n_networks; i++) {
		struct network *net = &chat->networks[i];
		close_instance(net->inst);
		struct outqueue unsent = {0};
		sendq_take_all(&net->sendq, &unsent);
		for (struct outgoing *m; (m = outqueue_pop(&unsent));)
			outgoing_free(m);
	}
	delivery_close(chat->delivery);
	chat->delivery = NULL;
	archive_close(chat->archive);
	chat->archive = NULL;
	arrival_free(&chat->arrival);
	dedup_identity_free(&chat->said_identity);
	if (chat->signal_fd > 0)
		close(chat->signal_fd);
}
