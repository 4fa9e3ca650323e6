/* SPDX-License-Identifier: MIT */
/*
 * A plain payload, as anyone on the topic may publish it, on the path
 * arrival_make() gives it: plain_decode, sanitize_append of each span, a
 * template rendering.  Checked: the spans lie inside the payload and agree
 * with the classroom format, encoding the decoded message gives the payload
 * back, and what a frontend would print is safe text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nick.h"
#include "sanitize.h"
#include "strbuf.h"
#include "template.h"
#include "wire_plain.h"

static bool span_inside(const char *span, size_t span_len, const char *p, size_t len)
{
	return span >= p && span <= p + len && span_len <= (size_t)(p + len - span);
}

static void check_spans(const char *p, size_t len, const struct plain_decoded *d)
{
	fuzz_require(d->type == MQC_MSG_MESSAGE || d->type == MQC_MSG_ACTION ||
	                     d->type == MQC_MSG_JOIN || d->type == MQC_MSG_LEAVE,
	             "plain_decode returned an impossible type");
	fuzz_require(d->text != NULL, "plain_decode left text NULL");
	if (!d->nick) {
		fuzz_require(d->type == MQC_MSG_MESSAGE && d->text == p && d->text_len == len,
		             "a payload naming no sender must be shown whole");
		return;
	}
	fuzz_require(d->nick_len >= 1 && d->nick_len <= NICK_MAX,
	             "nick length out of 1..NICK_MAX");
	fuzz_require(span_inside(d->nick, d->nick_len, p, len), "nick span outside the payload");
	fuzz_require(memchr(d->nick, ':', d->nick_len) == NULL, "nick holds a colon");
	for (size_t i = 0; i < d->nick_len; i++)
		fuzz_require((unsigned char)d->nick[i] >= 0x20 && d->nick[i] != 0x7F,
		             "nick holds a control byte");
	fuzz_require(nick_is_clean(d->nick, d->nick_len), "nick needs cleaning: not shown as sent");
	if (d->type == MQC_MSG_JOIN || d->type == MQC_MSG_LEAVE)
		fuzz_require(d->text_len == 0, "a join or leave carries text");
	else
		fuzz_require(span_inside(d->text, d->text_len, p, len),
		             "text span outside the payload");
}

/* encode(decode(p)) == p whenever the payload names its sender (and holds
 * no NUL, which the %s of plain_encode would stop at). */
static void check_round_trip(const char *p, size_t len, const struct plain_decoded *d)
{
	if (!d->nick || memchr(p, '\0', len))
		return;
	char *nick = strndup(d->nick, d->nick_len);
	char *text = strndup(d->text, d->text_len);
	struct mqc_message msg = {.type = d->type, .id = "", .nick = nick, .text = text,
	                          .topic = "", .sender_id = ""};
	struct strbuf again = STRBUF_INIT;
	plain_encode(&again, &msg);
	fuzz_require(again.len == len && memcmp(again.data, p, len) == 0,
	             "plain_encode(plain_decode(payload)) is not the payload");
	strbuf_free(&again);
	free(text);
	free(nick);
}

static void check_rendering(const struct plain_decoded *d)
{
	struct strbuf nick = STRBUF_INIT, text = STRBUF_INIT, line = STRBUF_INIT, err = STRBUF_INIT;
	if (d->nick)
		sanitize_append(&nick, d->nick, d->nick_len);
	sanitize_append(&text, d->text, d->text_len);
	fuzz_require_safe(nick.data, nick.len, "sanitised nick");
	fuzz_require_safe(text.data, text.len, "sanitised text");

	struct template *tpl = template_compile("[{time}] {nick}: {text} ({type})", "%H:%M", &err);
	fuzz_require(tpl != NULL, "the default template does not compile");
	struct mqc_message msg = {
		.type = d->type, .id = "", .nick = strbuf_str(&nick), .text = strbuf_str(&text),
		.topic = "conversacionTeletubbies", .sender_id = "", .time_ms = 1700000000000,
	};
	template_render(tpl, &msg, 0, &line);
	fuzz_require_safe(line.data, line.len, "rendered line");
	template_free(tpl);
	strbuf_free(&err);
	strbuf_free(&line);
	strbuf_free(&text);
	strbuf_free(&nick);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *payload = fuzz_copy(data, size);
	struct plain_decoded d;
	memset(&d, 0xA5, sizeof d); /* every field must be written */
	plain_decode(payload, size, &d);
	check_spans(payload, size, &d);
	check_round_trip(payload, size, &d);
	check_rendering(&d);
	free(payload);
	return 0;
}
