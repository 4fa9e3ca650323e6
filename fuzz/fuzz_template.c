/* SPDX-License-Identifier: MIT */
/*
 * `{field}` templates: the template and its time format come from the
 * configuration, the fields from the network.  The input is one byte of
 * type and flags, eight bytes of time, then NUL-separated pieces: template,
 * time format, nick, text, topic, id, sender id, network, room, to.
 * Checked: a template is either compiled or refused with a reason;
 * rendering never misbehaves whatever the time format; with a clean
 * template, what is rendered from sanitised fields is safe text (colour
 * adds only its own SGR codes); and so is the "where" prefix frontends put
 * before a message (common/where.c), whose count is what it writes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sanitize.h"
#include "strbuf.h"
#include "template.h"
#include "where.h"

enum { PIECES = 10 };

struct input {
	enum mqc_msg_type type;
	unsigned render_flags;
	unsigned msg_flags;
	int64_t time_ms;
	char *piece[PIECES]; /* template, time format, then the fields */
	/* nick text topic id sender_id network room to, sanitised */
	struct strbuf field[PIECES - 2];
};

static void parse_input(const uint8_t *data, size_t size, struct input *in)
{
	memset(in, 0, sizeof *in);
	if (size > 0) {
		in->type = (enum mqc_msg_type)(data[0] % 5);
		in->render_flags = data[0] & 0x80 ? MQC_RENDER_COLOR : 0;
		in->msg_flags = data[0] & 0x40 ? MQC_MSG_OWN : 0;
		data++, size--;
	}
	uint64_t t = 0;
	for (int i = 0; i < 8 && size > 0; i++, data++, size--)
		t = (t << 8) | data[0];
	memcpy(&in->time_ms, &t, sizeof t);
	for (int i = 0; i < PIECES; i++)
		in->piece[i] = fuzz_take_string(&data, &size);
	for (int i = 0; i < PIECES - 2; i++)
		sanitize_append(&in->field[i], in->piece[i + 2], strlen(in->piece[i + 2]));
}

static void free_input(struct input *in)
{
	for (int i = 0; i < PIECES; i++)
		free(in->piece[i]);
	for (int i = 0; i < PIECES - 2; i++)
		strbuf_free(&in->field[i]);
}

/* Removes the colour codes template_render writes ("ESC[38;5;Nm" and
 * "ESC[0m") and nothing else, so what is left can be judged as text. */
static void strip_colour(struct strbuf *sb)
{
	size_t w = 0;
	for (size_t r = 0; r < sb->len;) {
		const char *p = sb->data + r;
		size_t left = sb->len - r;
		if (left >= 4 && memcmp(p, "\033[0m", 4) == 0) {
			r += 4;
			continue;
		}
		if (left >= 8 && memcmp(p, "\033[38;5;", 7) == 0) {
			size_t k = 7;
			while (k < left && k < 10 && p[k] >= '0' && p[k] <= '9')
				k++;
			if (k > 7 && k < left && p[k] == 'm') {
				r += k + 1;
				continue;
			}
		}
		sb->data[w++] = sb->data[r++];
	}
	sb->len = w;
	if (sb->data)
		sb->data[w] = '\0';
}

static struct mqc_message message_of(struct input *in)
{
	return (struct mqc_message){
		.type = in->type, .flags = in->msg_flags, .nick = strbuf_str(&in->field[0]),
		.text = strbuf_str(&in->field[1]), .topic = strbuf_str(&in->field[2]),
		.id = strbuf_str(&in->field[3]), .sender_id = strbuf_str(&in->field[4]),
		.time_ms = in->time_ms, .network = strbuf_str(&in->field[5]),
		.room = strbuf_str(&in->field[6]), .to = strbuf_str(&in->field[7]),
	};
}

static void check_where(const struct mqc_message *msg, bool color)
{
	size_t n = where_prefix(msg, color, NULL);
	struct strbuf sb = {.data = xmalloc(n + 1), .len = n, .cap = n + 1};
	fuzz_require(where_prefix(msg, color, sb.data) == n && strlen(sb.data) == n,
	             "where_prefix must write what it counted");
	strip_colour(&sb);
	fuzz_require_safe(sb.data, sb.len, "where prefix of sanitised fields");
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	parse_input(data, size, &in);
	struct mqc_message msg = message_of(&in);
	struct strbuf err = STRBUF_INIT, line = STRBUF_INIT;

	struct template *tpl = template_compile(in.piece[0], in.piece[1], &err);
	fuzz_require((tpl == NULL) == (err.len > 0),
	             "template_compile must fail with a reason or succeed without one");
	(void)where_in_template(in.piece[0]);
	check_where(&msg, in.render_flags & MQC_RENDER_COLOR);
	if (tpl) {
		template_render(tpl, &msg, in.render_flags, &line);
		template_free(tpl);
	}

	/* The invariant needs a clean template and a time format that prints
	 * no control characters (%n and %t would). */
	if (tpl && !fuzz_unsafe_text(in.piece[0], strlen(in.piece[0]))) {
		struct strbuf err2 = STRBUF_INIT;
		struct template *clean = template_compile(in.piece[0], "%Y-%m-%d %H:%M:%S", &err2);
		fuzz_require(clean != NULL, "a template compiled once is refused with another time format");
		strbuf_reset(&line);
		template_render(clean, &msg, in.render_flags, &line);
		strip_colour(&line);
		fuzz_require_safe(line.data, line.len, "rendering of sanitised fields");
		template_free(clean);
		strbuf_free(&err2);
	}

	strbuf_free(&line);
	strbuf_free(&err);
	free_input(&in);
	return 0;
}
