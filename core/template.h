/* SPDX-License-Identifier: MIT */
/*
 * `{field}` templates: "[{time}] {nick}: {text}".
 *
 * Fields: time date nick initial text topic id type, and network room to
 * (a message's network, room and private recipient; NULL reads as "").
 * "{{" and "}}" are literal braces.  A message without a known sender shows its topic as
 * {nick}.  For an action, a join, a leave or a status line the text that
 * separates {nick} from {text} becomes one space and {nick} gets a marker
 * ("* Ana waves", "-- connected"), so one template serves every kind.
 * A retained message (MQC_MSG_RETAINED) gets "(old) " before the first of
 * {nick}, {initial} and {text}, dim with MQC_RENDER_COLOR.
 */
#ifndef MQC_TEMPLATE_H
#define MQC_TEMPLATE_H

#include <stddef.h>

#include <mqchat/plugin.h>

#include "nick_color.h"
#include "strbuf.h"

struct template;

/* NULL on a malformed template, with the reason in `err`. */
struct template *template_compile(const char *text, const char *time_format,
                                  struct strbuf *err);
void template_free(struct template *tpl);

/* Appends the rendering of `msg` to `out`; `flags`: MQC_RENDER_COLOR. */
void template_render(const struct template *tpl, const struct mqc_message *msg,
                     unsigned flags, struct strbuf *out);

#endif
