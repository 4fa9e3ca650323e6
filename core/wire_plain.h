/* SPDX-License-Identifier: MIT */
/*
 * The `plain` wire format, the classroom client's: "<nick>: <text>" for a
 * message, "<nick> ha entrado al chat" when joining, "<nick> ha salido del
 * chat" when leaving, and "* <nick> <text>" for an action.
 */
#ifndef MQC_WIRE_PLAIN_H
#define MQC_WIRE_PLAIN_H

#include <stddef.h>

#include <mqchat/plugin.h>

#include "nick.h"
#include "strbuf.h"

void plain_encode(struct strbuf *out, const struct mqc_message *msg);

/* A decoded payload: spans into the payload, not yet sanitised. */
struct plain_decoded {
	enum mqc_msg_type type;
	const char *nick; /* NULL when the payload names no sender; else a
	                     nick nick_is_clean() accepts (1..NICK_MAX bytes) */
	size_t nick_len;
	const char *text;
	size_t text_len;
};

void plain_decode(const char *payload, size_t len, struct plain_decoded *out);

#endif
