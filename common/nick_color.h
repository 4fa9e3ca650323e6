/* SPDX-License-Identifier: MIT */
/* The colour a nick (or a room) is shown in: the same one everywhere. */
#ifndef MQC_COMMON_NICK_COLOR_H
#define MQC_COMMON_NICK_COLOR_H

/* A 256-colour palette index chosen from a stable hash of `key`. */
unsigned nick_color(const char *key);

/* nick_color("NETWORK:ROOM"), without making that string. */
unsigned room_color(const char *network, const char *room);

#endif
