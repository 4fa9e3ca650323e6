/* SPDX-License-Identifier: MIT */
#include "where.h"

#include <stdio.h>
#include <string.h>

#include "nick_color.h"

bool where_in_template(const char *format)
{
	for (const char *p = format; *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		size_t len = strcspn(p + 1, "}");
		if ((len == 4 && memcmp(p + 1, "room", 4) == 0) ||
		    (len == 7 && memcmp(p + 1, "network", 7) == 0))
			return true;
		p += len;
		if (!*p)
			break;
	}
	return false;
}

/* Appends to `out` (NULL: only counts) at `*len`. */
static void put(char *out, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (out)
		memcpy(out + *len, s, n + 1);
	*len += n;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The colour of what the bracket names. */
static unsigned bracket_color(const struct mqc_message *msg, const char *room, const char *to)
{
	if (!*to)
		return room_color(msg->network, room);
	if (msg->flags & MQC_MSG_OWN)
		return nick_color(to);
	/* The sender's, as template.c colours the nick. */
	return nick_color(*msg->sender_id ? msg->sender_id : msg->nick);
}

size_t where_prefix(const struct mqc_message *msg, bool color, char *out)
{
	size_t len = 0;
	if (out)
		*out = '\0';
	if (!msg->network || !*msg->network)
		return 0;
	const char *room = or_empty(msg->room), *to = or_empty(msg->to);
	if (color) {
		char sgr[24];
		snprintf(sgr, sizeof sgr, "\033[38;5;%um", bracket_color(msg, room, to));
		put(out, &len, sgr);
	}
	put(out, &len, "[");
	put(out, &len, msg->network);
	if (*to) {
		put(out, &len, " -> ");
		put(out, &len, (msg->flags & MQC_MSG_OWN) ? to : "you");
	} else if (*room) {
		put(out, &len, ":");
		put(out, &len, room);
	}
	put(out, &len, "]");
	if (color)
		put(out, &len, "\033[0m");
	put(out, &len, " ");
	return len;
}
