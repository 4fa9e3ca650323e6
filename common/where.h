/* SPDX-License-Identifier: MIT */
/*
 * Where a message belongs, as a frontend shows it before the message while
 * more than one room is joined (a private message: always):
 *   "[one:ops] "     a message of room ops on network one
 *   "[one -> you] "  a private message to us on network one
 *   "[one -> Bob] "  our private message to Bob
 *   ""               a message of no network (mqchat's STATUS lines)
 */
#ifndef MQC_COMMON_WHERE_H
#define MQC_COMMON_WHERE_H

#include <stdbool.h>
#include <stddef.h>

#include <mqchat/plugin.h>

/* True when the template text `format` shows {network} or {room} itself
 * ("{{room}}" is literal text): its messages say where they belong. */
bool where_in_template(const char *format);

/* Writes the prefix of `msg` into `out` (NUL-terminated), or with `out`
 * NULL only counts; returns its length without the NUL.  With `color` the
 * bracket is in the colour of the room (of the other person, for a
 * private message) the way nicks are coloured.  Reads `network`, `room`
 * and `to`: only for a message from a core of ABI 1.3 or later. */
size_t where_prefix(const struct mqc_message *msg, bool color, char *out);

#endif
