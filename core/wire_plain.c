/* SPDX-License-Identifier: MIT */
#include "wire_plain.h"

#include <string.h>

#include "nick.h"

static const char JOIN_SUFFIX[] = " ha entrado al chat";
static const char LEAVE_SUFFIX[] = " ha salido del chat";

/* Appends, not printf: this runs for every message sent. */
void plain_encode(struct strbuf *out, const struct mqc_message *msg)
{
	switch (msg->type) {
	case MQC_MSG_JOIN:
		strbuf_appends(out, msg->nick);
		strbuf_appends(out, JOIN_SUFFIX);
		break;
	case MQC_MSG_LEAVE:
		strbuf_appends(out, msg->nick);
		strbuf_appends(out, LEAVE_SUFFIX);
		break;
	case MQC_MSG_ACTION:
		strbuf_appends(out, "* ");
		strbuf_appends(out, msg->nick);
		strbuf_appendc(out, ' ');
		strbuf_appends(out, msg->text);
		break;
	default:
		strbuf_appends(out, msg->nick);
		strbuf_appends(out, ": ");
		strbuf_appends(out, msg->text);
		break;
	}
}

/* A sender at the start of a payload: a nick that obeys the nick rule just
 * as it stands (nick.h), so that what is shown is what was sent; a prefix
 * that would need cleaning is not a nick, and the whole payload is text. */
static bool plausible_nick(const char *s, size_t len, bool allow_space)
{
	return nick_is_clean(s, len) && (allow_space || !memchr(s, ' ', len));
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t slen)
{
	return len > slen && memcmp(s + len - slen, suffix, slen) == 0;
}

static bool decode_event(const char *p, size_t len, const char *suffix,
                         enum mqc_msg_type type, struct plain_decoded *out)
{
	size_t slen = strlen(suffix);
	if (!ends_with(p, len, suffix, slen) || !plausible_nick(p, len - slen, true))
		return false;
	*out = (struct plain_decoded){type, p, len - slen, "", 0};
	return true;
}

void plain_decode(const char *p, size_t len, struct plain_decoded *out)
{
	if (decode_event(p, len, JOIN_SUFFIX, MQC_MSG_JOIN, out) ||
	    decode_event(p, len, LEAVE_SUFFIX, MQC_MSG_LEAVE, out))
		return;

	if (len > 2 && p[0] == '*' && p[1] == ' ') {
		const char *nick = p + 2;
		const char *space = memchr(nick, ' ', len - 2);
		if (space && plausible_nick(nick, (size_t)(space - nick), false)) {
			const char *text = space + 1;
			*out = (struct plain_decoded){MQC_MSG_ACTION, nick, (size_t)(space - nick),
			                              text, len - (size_t)(text - p)};
			return;
		}
	}

	size_t limit = len < NICK_MAX + 2 ? len : NICK_MAX + 2;
	for (size_t i = 1; i + 1 < limit; i++) {
		if (p[i] == ':' && p[i + 1] == ' ') {
			if (plausible_nick(p, i, true)) {
				*out = (struct plain_decoded){MQC_MSG_MESSAGE, p, i, p + i + 2,
				                              len - i - 2};
				return;
			}
			break;
		}
	}
	*out = (struct plain_decoded){MQC_MSG_MESSAGE, NULL, 0, p, len};
}
