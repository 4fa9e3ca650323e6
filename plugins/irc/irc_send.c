/* SPDX-License-Identifier: MIT */
/*
 * Messages out: each split into PRIVMSG lines that fit, written no faster
 * than the server reads them, and acknowledged by PING.
 *
 * IRC acknowledges nothing, and a line written to the socket is not yet
 * delivered: servers read a client slowly on purpose (ngircd about three
 * lines a second).  But a server handles one client's lines in order, so
 * its PONG to a PING written after some lines says every one of them was
 * processed: that PONG acknowledges them, for the outbox and batch mode's
 * exit status.  Not more than IRC_WINDOW bytes are written unanswered at
 * a time, so a throttling server is waited for instead of flooded: the
 * rest waits here, and the core's window (acknowledgements, not writes)
 * carries the back-pressure up to whoever types.
 */
#include "irc_instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written and unanswered at most: below the receive queues servers allow
 * a client (InspIRCd's 8 KiB, Solanum's classes' few KiB) before an
 * "Excess Flood". */
#define IRC_WINDOW 2048
/* A PING after this many lines or bytes written: at ngircd's three lines
 * a second an acknowledgement comes every few seconds, well within the
 * core's quit_timeout, for one command in nine more. */
#define IRC_PING_LINES 8
#define IRC_PING_BYTES (IRC_WINDOW / 4)
/* "user@host" as we assume it before the server shows ours: a user name
 * of 10 with its '~', a host name of 63. */
#define IRC_USERHOST_GUESS (11 + 1 + 63)

/* ---- the queues --------------------------------------------------------- */

static struct irc_out_line *queue_at(struct irc_queue *q, size_t i)
{
	return &q->lines[q->head + i];
}

static bool queue_push(struct irc_queue *q, struct irc_out_line line)
{
	if (q->head + q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->lines, q->lines + q->head, q->n * sizeof(*q->lines));
			q->head = 0;
		}
		if (q->n == q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 16;
			struct irc_out_line *grown = realloc(q->lines, cap * sizeof(*grown));
			if (!grown)
				return false;
			q->lines = grown;
			q->cap = cap;
		}
	}
	q->lines[q->head + q->n++] = line;
	return true;
}

static struct irc_out_line queue_pop(struct irc_queue *q)
{
	struct irc_out_line line = q->lines[q->head++];
	if (--q->n == 0)
		q->head = 0;
	return line;
}

static void line_free(struct irc_out_line *line)
{
	free(line->data);
	free(line->target);
}

static void queue_free(struct irc_queue *q)
{
	while (q->n) {
		struct irc_out_line line = queue_pop(q);
		line_free(&line);
	}
	free(q->lines);
	*q = (struct irc_queue){0};
}

/* ---- composing ---------------------------------------------------------- */

/* How many bytes of text one PRIVMSG to `target` may carry, so that the
 * line as the server relays it (with ":nick!user@host " in front) stays
 * within 512 bytes. */
static size_t text_budget(const struct irc *self, const char *target, size_t wrapper)
{
	size_t userhost = self->userhost_len ? self->userhost_len : IRC_USERHOST_GUESS;
	size_t relay_prefix = 1 + strlen(self->nick) + 1 + userhost + 1;
	size_t fixed = relay_prefix + strlen("PRIVMSG ") + strlen(target) + strlen(" :") +
	               wrapper + strlen("\r\n");
	/* The core bounds names far below this; the floor keeps a piece whole. */
	return fixed + 64 < IRC_LINE_MAX ? IRC_LINE_MAX - fixed : 64;
}

/* Queues one PRIVMSG line "PRIVMSG target :<lead>piece" (an ACTION
 * wrapped in \x01). */
static bool queue_line(struct irc *self, const char *target, bool action, const char *lead,
                       const char *piece, size_t len, uint32_t message)
{
	size_t cap = strlen(target) + strlen(lead) + len + 32;
	char *data = malloc(cap);
	char *copy = strdup(target);
	if (!data || !copy) {
		free(data);
		free(copy);
		return false;
	}
	int n = snprintf(data, cap, "PRIVMSG %s :%s%s%.*s%s\r\n", target, action ? "\x01" "ACTION " : "",
	                 lead, (int)len, piece, action ? "\x01" : "");
	struct irc_out_line line = {.data = data, .len = (size_t)n, .message = message,
	                            .target = copy};
	if (!queue_push(&self->out.waiting, line)) {
		line_free(&line);
		return false;
	}
	return true;
}

/* What a relayed message says in front of its text: the bridge's name for
 * its sender, since every line we send shows our own nick ("<Ana@mqtt> "). */
static void relay_lead(const struct mqc_message *msg, char *lead, size_t size)
{
	const char *nick = *msg->nick ? msg->nick : "?";
	if (msg->type == MQC_MSG_ACTION)
		snprintf(lead, size, "* %s ", nick);
	else if (msg->type == MQC_MSG_JOIN || msg->type == MQC_MSG_LEAVE)
		snprintf(lead, size, "* %s %s", nick, msg->type == MQC_MSG_JOIN ? "joined" : "left");
	else
		snprintf(lead, size, "<%s> ", nick);
	irc_text_clean(lead, strlen(lead));
}

/* Queues `text` to `target` as many lines as it takes, the token on the
 * last; false when out of memory (nothing of it is then queued). */
static bool queue_text(struct irc *self, const char *target, bool action, const char *lead,
                       char *text, uint64_t token)
{
	size_t len = strlen(text);
	irc_text_clean(text, len);
	size_t room = text_budget(self, target, action ? strlen("\x01" "ACTION \x01") : 0);
	room = room > strlen(lead) + 16 ? room - strlen(lead) : 16;
	uint32_t message = ++self->out.next_message;
	size_t before = self->out.waiting.n;
	size_t at = 0;
	do {
		size_t piece = irc_split_next(text + at, len - at, room);
		if (!queue_line(self, target, action, lead, text + at, piece, message))
			goto undo;
		at += piece;
		if (at < len && text[at] == ' ')
			at++;
	} while (at < len);
	queue_at(&self->out.waiting, self->out.waiting.n - 1)->token = token;
	return true;
undo:
	while (self->out.waiting.n > before)
		line_free(queue_at(&self->out.waiting, --self->out.waiting.n));
	return false;
}

/* A target that is one word of the line: "/msg :bob hi" or a name with a
 * space would make PRIVMSG's text its target, or the other way round. */
static bool target_ok(const char *target)
{
	if (!target || !*target || *target == ':')
		return false;
	for (const unsigned char *c = (const unsigned char *)target; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

int irc_send_message(struct irc *self, const struct mqc_message *msg, uint64_t token)
{
	bool relayed = msg->hops > 0;
	const char *target = msg->to && *msg->to ? msg->to : msg->room;
	bool join_leave = msg->type == MQC_MSG_JOIN || msg->type == MQC_MSG_LEAVE;
	/* Our own arrival and departure are IRC's JOIN and QUIT already. */
	if ((join_leave && !relayed) || !target_ok(target) ||
	    (!*msg->text && msg->type == MQC_MSG_MESSAGE && !relayed)) {
		self->host->acked(self->inst, token,
		                  join_leave ? MQC_ACK_DELIVERED : MQC_ACK_REJECTED);
		return 0;
	}
	char lead[IRC_NICK_MAX * 2 + 16] = "";
	if (relayed)
		relay_lead(msg, lead, sizeof(lead));
	char *text = strdup(msg->text);
	bool action = msg->type == MQC_MSG_ACTION && !relayed;
	if (!text || !queue_text(self, target, action, lead, text, token)) {
		self->host->log(self->inst, MQC_LOG_ERROR, "out of memory queueing a message");
		self->host->acked(self->inst, token, MQC_ACK_REJECTED);
	}
	free(text);
	self->host->timer_arm_now(self->pump_timer);
	return 0;
}

/* ---- writing and acknowledging ------------------------------------------ */

/* A PING after what was written since the last one: its PONG will
 * acknowledge them. */
static void ping_written(struct irc *self)
{
	char data[32];
	uint32_t ping = ++self->out.next_ping;
	if (ping == 0)
		ping = ++self->out.next_ping;
	int n = snprintf(data, sizeof(data), "PING :mqc%u\r\n", ping);
	struct irc_out_line line = {.data = strdup(data), .len = (size_t)n, .ping = ping};
	if (!line.data || !queue_push(&self->out.written, line)) {
		free(line.data);
		return; /* the next PING will answer for these lines too */
	}
	irc_stream_write(self->stream, data, (size_t)n);
	self->out.written_bytes += (size_t)n;
	self->out.unpinged_bytes = 0;
	self->out.unpinged_lines = 0;
}

void irc_send_pump(struct irc *self)
{
	struct irc_out *out = &self->out;
	if (self->phase != IRC_UP || !self->stream)
		return;
	while (out->waiting.n && out->written_bytes < IRC_WINDOW) {
		struct irc_out_line line = *queue_at(&out->waiting, 0);
		if (!queue_push(&out->written, line))
			break;
		queue_pop(&out->waiting);
		if (!irc_stream_write(self->stream, line.data, line.len)) {
			irc_fail(self, "out of memory");
			return;
		}
		out->written_bytes += line.len;
		out->unpinged_bytes += line.len;
		if (++out->unpinged_lines >= IRC_PING_LINES || out->unpinged_bytes >= IRC_PING_BYTES)
			ping_written(self);
	}
	if (out->unpinged_bytes > 0)
		ping_written(self);
	irc_sync_watch(self);
}

/* Whether `cookie` is "mqcN" and N one of our PINGs still written. */
static bool written_ping(struct irc_out *out, const char *cookie, uint32_t *ping)
{
	if (strncmp(cookie, "mqc", 3) != 0)
		return false;
	char *end;
	unsigned long n = strtoul(cookie + 3, &end, 10);
	if (*end || n == 0 || n > UINT32_MAX)
		return false;
	for (size_t i = 0; i < out->written.n; i++)
		if (queue_at(&out->written, i)->ping == n) {
			*ping = (uint32_t)n;
			return true;
		}
	return false;
}

bool irc_send_answered(struct irc *self, const char *cookie)
{
	struct irc_out *out = &self->out;
	uint32_t ping;
	if (!written_ping(out, cookie, &ping))
		return strncmp(cookie, "mqc", 3) == 0;
	for (;;) {
		struct irc_out_line line = queue_pop(&out->written);
		out->written_bytes -= line.len;
		if (line.rejected)
			out->rejected_message = line.message;
		if (line.token)
			self->host->acked(self->inst, line.token,
			                  out->rejected_message == line.message ? MQC_ACK_REJECTED
			                                                        : MQC_ACK_DELIVERED);
		bool last = line.ping == ping;
		line_free(&line);
		if (last)
			break;
	}
	irc_send_pump(self);
	return true;
}

void irc_send_reject(struct irc *self, const char *target)
{
	struct irc_out *out = &self->out;
	for (size_t i = 0; i < out->written.n; i++) {
		struct irc_out_line *line = queue_at(&out->written, i);
		if (line->target && !line->rejected &&
		    irc_name_eq(line->target, target, self->members.casemap)) {
			line->rejected = true;
			return;
		}
	}
}

void irc_send_rewind(struct irc *self)
{
	struct irc_out *out = &self->out;
	struct irc_queue again = {0};
	bool ok = true;
	while (out->written.n) {
		struct irc_out_line line = queue_pop(&out->written);
		if (line.ping || !ok || !(ok = queue_push(&again, line)))
			line_free(&line);
	}
	while (out->waiting.n) {
		struct irc_out_line line = queue_pop(&out->waiting);
		if (!ok || !(ok = queue_push(&again, line)))
			line_free(&line);
	}
	if (!ok)
		self->host->log(self->inst, MQC_LOG_ERROR,
		                "out of memory: messages waiting to be sent were lost");
	queue_free(&out->waiting);
	out->waiting = again;
	out->written_bytes = 0;
	out->unpinged_bytes = 0;
	out->unpinged_lines = 0;
}

void irc_send_free(struct irc *self)
{
	queue_free(&self->out.waiting);
	queue_free(&self->out.written);
}
