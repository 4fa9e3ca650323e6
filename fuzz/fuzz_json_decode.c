/* SPDX-License-Identifier: MIT */
/*
 * A json payload, as anyone on the topic may publish it: json_decode, then
 * what arrival_make() does with the result.  Checked: a refusal leaves the
 * struct zeroed, an acceptance gives NUL-terminated strings of the stated
 * lengths, a known type, a timestamp in range and a nick that obeys the
 * nick rule (or none); the sanitised fields are
 * safe text; and json_encode of the sanitised message decodes back to the
 * very same fields (what we send, we read the same way).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nick.h"
#include "sanitize.h"
#include "strbuf.h"
#include "wire_json.h"

static void check_refusal(const struct json_decoded *d)
{
	fuzz_require(!d->id && !d->nick && !d->text && !d->id_len && !d->nick_len &&
	                     !d->text_len && !d->ts_ms && d->type == MQC_MSG_MESSAGE,
	             "json_decode refused but left the struct dirty");
}

static void check_string(const char *s, size_t len, const char *what)
{
	fuzz_require(s != NULL, what);
	fuzz_require(s[len] == '\0', what);
}

static void check_fields(const struct json_decoded *d)
{
	check_string(d->id, d->id_len, "id is NULL or not terminated at id_len");
	check_string(d->nick, d->nick_len, "nick is NULL or not terminated at nick_len");
	check_string(d->text, d->text_len, "text is NULL or not terminated at text_len");
	fuzz_require(d->type == MQC_MSG_MESSAGE || d->type == MQC_MSG_ACTION ||
	                     d->type == MQC_MSG_JOIN || d->type == MQC_MSG_LEAVE,
	             "json_decode returned an impossible type");
	fuzz_require(d->ts_ms >= 0 && d->ts_ms <= JSON_MAX_TS_MS, "ts_ms out of range");
	fuzz_require(d->nick_len == 0 || nick_is_clean(d->nick, d->nick_len),
	             "nick breaks the nick rule");
}

static bool same(const struct strbuf *sb, const char *s, size_t len)
{
	return sb->len == len && (len == 0 || memcmp(sb->data, s, len) == 0);
}

static void check_round_trip(const struct json_decoded *d)
{
	struct strbuf id = STRBUF_INIT, nick = STRBUF_INIT, text = STRBUF_INIT,
	              wire = STRBUF_INIT;
	sanitize_append(&id, d->id, d->id_len);
	sanitize_append(&nick, d->nick, d->nick_len);
	sanitize_append(&text, d->text, d->text_len);
	fuzz_require_safe(id.data, id.len, "sanitised id");
	fuzz_require_safe(nick.data, nick.len, "sanitised nick");
	fuzz_require_safe(text.data, text.len, "sanitised text");

	struct mqc_message msg = {
		.type = d->type, .id = strbuf_str(&id), .nick = strbuf_str(&nick),
		.text = strbuf_str(&text), .topic = "", .sender_id = "", .time_ms = d->ts_ms,
	};
	json_encode(&wire, &msg);
	fuzz_require_safe(wire.data, wire.len, "json_encode output");

	struct json_decoded back;
	fuzz_require(json_decode(wire.data, wire.len, &back), "json_encode output is refused");
	fuzz_require(same(&id, back.id, back.id_len), "id changed on the round trip");
	fuzz_require(same(&nick, back.nick, back.nick_len), "nick changed on the round trip");
	fuzz_require(same(&text, back.text, back.text_len), "text changed on the round trip");
	fuzz_require(back.type == d->type, "type changed on the round trip");
	fuzz_require(back.ts_ms == d->ts_ms, "ts changed on the round trip");
	json_decoded_free(&back);

	strbuf_free(&wire);
	strbuf_free(&text);
	strbuf_free(&nick);
	strbuf_free(&id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *payload = fuzz_copy(data, size);
	struct json_decoded d;
	memset(&d, 0xA5, sizeof d); /* a refusal must still zero it */
	if (json_decode(payload, size, &d)) {
		check_fields(&d);
		check_round_trip(&d);
	} else {
		check_refusal(&d);
	}
	json_decoded_free(&d);
	check_refusal(&d);
	free(payload);
	return 0;
}
