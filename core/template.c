/* SPDX-License-Identifier: MIT */
#include "template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mqchat/msg_type.h>
#include <mqchat/utf8.h>

#include "nick_color.h"

enum field {
	F_LITERAL,
	F_TIME,
	F_DATE,
	F_NICK,
	F_INITIAL,
	F_TEXT,
	F_TOPIC,
	F_ID,
	F_TYPE,
	F_NETWORK,
	F_ROOM,
	F_TO,
};

static const char *const field_names[] = {
	[F_TIME] = "time", [F_DATE] = "date", [F_NICK] = "nick",
	[F_INITIAL] = "initial", [F_TEXT] = "text", [F_TOPIC] = "topic",
	[F_ID] = "id", [F_TYPE] = "type", [F_NETWORK] = "network", [F_ROOM] = "room",
	[F_TO] = "to",
};

struct segment {
	enum field field;
	char *literal; /* F_LITERAL only */
};

struct template {
	struct segment *segs;
	size_t n;
	size_t old_mark_at; /* the segment a retained message's mark precedes; n: none */
	char *time_format;
};

static void add_segment(struct template *t, enum field f, const char *lit, size_t len)
{
	if (f == F_LITERAL && len == 0)
		return;
	t->segs = xrealloc(t->segs, (t->n + 1) * sizeof *t->segs);
	t->segs[t->n++] = (struct segment){f, f == F_LITERAL ? xstrndup(lit, len) : NULL};
}

static enum field lookup_field(const char *name, size_t len)
{
	for (size_t f = F_TIME; f <= F_TO; f++)
		if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
			return (enum field)f;
	return F_LITERAL;
}

struct template *template_compile(const char *text, const char *time_format,
                                  struct strbuf *err)
{
	struct template *t = xcalloc(1, sizeof *t);
	t->time_format = xstrdup(time_format ? time_format : "%H:%M");
	struct strbuf lit = STRBUF_INIT;
	for (const char *p = text; *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			strbuf_appendc(&lit, *p++);
		} else if (*p == '{') {
			const char *end = strchr(p, '}');
			if (!end) {
				strbuf_printf(err, "unclosed '{' at column %zu", (size_t)(p - text) + 1);
				goto fail;
			}
			enum field f = lookup_field(p + 1, (size_t)(end - p - 1));
			if (f == F_LITERAL) {
				strbuf_printf(err, "unknown field {%.*s} at column %zu (known: {time} "
				              "{date} {nick} {initial} {text} {topic} {id} {type} "
				              "{network} {room} {to})",
				              (int)(end - p - 1), p + 1, (size_t)(p - text) + 1);
				goto fail;
			}
			add_segment(t, F_LITERAL, strbuf_str(&lit), lit.len);
			strbuf_reset(&lit);
			add_segment(t, f, NULL, 0);
			p = end;
		} else if (*p == '}') {
			strbuf_printf(err, "lone '}' at column %zu (write }} for a brace)",
			              (size_t)(p - text) + 1);
			goto fail;
		} else {
			strbuf_appendc(&lit, *p);
		}
	}
	add_segment(t, F_LITERAL, strbuf_str(&lit), lit.len);
	strbuf_free(&lit);
	t->old_mark_at = t->n;
	for (size_t i = t->n; i-- > 0;)
		if (t->segs[i].field == F_NICK || t->segs[i].field == F_INITIAL ||
		    t->segs[i].field == F_TEXT)
			t->old_mark_at = i;
	return t;
fail:
	strbuf_free(&lit);
	template_free(t);
	return NULL;
}

void template_free(struct template *tpl)
{
	if (!tpl)
		return;
	for (size_t i = 0; i < tpl->n; i++)
		free(tpl->segs[i].literal);
	free(tpl->segs);
	free(tpl->time_format);
	free(tpl);
}

static void append_time(struct strbuf *out, const char *fmt, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char buf[128];
	if (!localtime_r(&secs, &tm))
		return;
	/* The format is the user's time_format: not a literal by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t n = strftime(buf, sizeof buf, fmt, &tm);
#pragma GCC diagnostic pop
	strbuf_append(out, buf, n);
}

static void append_nick(struct strbuf *out, const struct mqc_message *msg,
                        const char *shown, size_t len, unsigned flags)
{
	bool color = (flags & MQC_RENDER_COLOR) && msg->type != MQC_MSG_STATUS;
	if (color) {
		const char *key = *msg->sender_id ? msg->sender_id : shown;
		strbuf_printf(out, "\033[38;5;%um", nick_color(key));
	}
	strbuf_append(out, shown, len);
	if (color)
		strbuf_appends(out, "\033[0m");
}

static void render_nick(struct strbuf *out, const struct mqc_message *msg, unsigned flags)
{
	switch (msg->type) {
	case MQC_MSG_STATUS:
		strbuf_appends(out, "--");
		return;
	case MQC_MSG_ACTION:
	case MQC_MSG_JOIN:
	case MQC_MSG_LEAVE:
		strbuf_appends(out, "* ");
		break;
	default:
		break;
	}
	/* A nick only claimed where senders are proved (verify = on). */
	if (msg->flags & MQC_MSG_UNVERIFIED)
		strbuf_appendc(out, '~');
	const char *nick = *msg->nick ? msg->nick : msg->topic;
	append_nick(out, msg, nick, strlen(nick), flags);
}

static void render_text(struct strbuf *out, const struct mqc_message *msg)
{
	if (*msg->text)
		strbuf_appends(out, msg->text);
	else if (msg->type == MQC_MSG_JOIN)
		strbuf_appends(out, "joined");
	else if (msg->type == MQC_MSG_LEAVE)
		strbuf_appends(out, "left");
}

/* The broker hands a topic's retained message to every new subscriber,
 * however long ago it was said (and a plain one's {time} is when it
 * arrived): it is marked as old news. */
static void append_old_mark(struct strbuf *out, unsigned flags)
{
	if (flags & MQC_RENDER_COLOR)
		strbuf_appends(out, "\033[2m(old)\033[0m ");
	else
		strbuf_appends(out, "(old) ");
}

/* A member since ABI 1.3: "" when NULL (a message made without it). */
static const char *optional(const char *member)
{
	return member ? member : "";
}

/* The fields shown as they are. */
static const char *plain_field(enum field f, const struct mqc_message *msg)
{
	switch (f) {
	case F_TOPIC:
		return msg->topic;
	case F_ID:
		return msg->id;
	case F_TYPE:
		return mqc_msg_type_name(msg->type);
	case F_NETWORK:
		return optional(msg->network);
	case F_ROOM:
		return optional(msg->room);
	case F_TO:
		return optional(msg->to);
	default:
		return "";
	}
}

/* True when segment i is the literal between {nick} and {text}. */
static bool is_nick_text_separator(const struct template *t, size_t i)
{
	return t->segs[i].field == F_LITERAL && i > 0 && i + 1 < t->n &&
	       t->segs[i - 1].field == F_NICK && t->segs[i + 1].field == F_TEXT;
}

void template_render(const struct template *t, const struct mqc_message *msg,
                     unsigned flags, struct strbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct segment *s = &t->segs[i];
		if (i == t->old_mark_at && (msg->flags & MQC_MSG_RETAINED))
			append_old_mark(out, flags);
		switch (s->field) {
		case F_LITERAL:
			if (msg->type != MQC_MSG_MESSAGE && is_nick_text_separator(t, i))
				strbuf_appendc(out, ' ');
			else
				strbuf_appends(out, s->literal);
			break;
		case F_TIME:
			append_time(out, t->time_format, msg->time_ms);
			break;
		case F_DATE:
			append_time(out, "%Y-%m-%d", msg->time_ms);
			break;
		case F_NICK:
			render_nick(out, msg, flags);
			break;
		case F_INITIAL: {
			const char *nick = *msg->nick ? msg->nick : msg->topic;
			uint32_t cp;
			size_t n = *nick ? mqc_utf8_decode(nick, strlen(nick), &cp) : 0;
			append_nick(out, msg, nick, n, flags);
			break;
		}
		case F_TEXT:
			render_text(out, msg);
			break;
		default:
			strbuf_appends(out, plain_field(s->field, msg));
			break;
		}
	}
}
