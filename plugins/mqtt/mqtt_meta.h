/* SPDX-License-Identifier: MIT */
/*
 * The topics of a room R besides R itself (issue 16), built and told
 * apart.  U is a broker username, CID a client id, TO a recipient, each
 * made one safe topic level by mqtt_meta_level():
 *
 *   R/u/U                a message whose sender U the broker's ACL proves
 *   R/presence/U/CID     one running mqchat's presence (retained)
 *   R/presence/U/CID/sync  never subscribed: its UNSUBACK is a barrier
 *   R/pm/TO/U            a private message to TO from U
 *
 * (R/history/... is mqtt_history.h's.)  Pure: no connection, no host.
 */
#ifndef MQTT_META_H
#define MQTT_META_H

#include <stdbool.h>
#include <stddef.h>

#include "mqtt_rooms.h"

/* Room for one level we build or accept, NUL included. */
#define MQTT_META_LEVEL_SIZE 129

enum mqtt_meta_kind {
	MQTT_META_NONE,     /* no topic of a joined room */
	MQTT_META_ROOM,     /* R */
	MQTT_META_VERIFIED, /* R/u/U: a = U */
	MQTT_META_PRESENCE, /* R/presence/U/CID: a = U, b = CID */
	MQTT_META_PRIVATE,  /* R/pm/TO/U: a = TO, b = U */
};

struct mqtt_meta_place {
	enum mqtt_meta_kind kind;
	size_t room; /* index in the rooms given */
	char a[MQTT_META_LEVEL_SIZE], b[MQTT_META_LEVEL_SIZE];
};

/* Copies the `len` bytes at `in` into `out` (`size` bytes, NUL added)
 * without control characters, bidi overrides and isolates, or line and
 * paragraph separators, cut at a character boundary to fit.  Returns
 * the length written; 0 when `in` is not valid UTF-8 or nothing is left. */
size_t mqtt_meta_clean(char *out, size_t size, const char *in, size_t len);

/* `name` made one topic level we may publish under: '/', '+', '#' and
 * what mqtt_meta_clean() leaves out become '_', invalid UTF-8 too, cut to fit; "_" when
 * nothing is left (no username).  Returns `out`. */
const char *mqtt_meta_level(char out[MQTT_META_LEVEL_SIZE], const char *name);

/* "R/kind/a" or, with `b`, "R/kind/a/b": malloc'd, NULL when out of
 * memory.  `a` and `b` are levels made by mqtt_meta_level(). */
char *mqtt_meta_topic(const char *room, const char *kind, const char *a, const char *b);

/* The filters room `room` is subscribed with, but its presence's: the
 * room itself ("$share/GROUP/R" with `share`), R/u/+ with `verify`, and
 * R/pm/ME/+ when `pm_me` (a level) is not NULL.  Each malloc'd into `out`;
 * the count, 0 when out of memory (nothing left allocated). */
#define MQTT_META_FILTERS_MAX 3
size_t mqtt_meta_filters(const char *room, const char *share, bool verify, const char *pm_me,
                         char *out[MQTT_META_FILTERS_MAX]);
void mqtt_meta_filters_free(char **filters, size_t n);

/* Which topic of which room `topic` is: false (kind NONE) when none of
 * `rooms`'.  A room's own name wins; else the longest room that the rest
 * parses under.  Levels that are empty, too long, hold a wildcard or are
 * not UTF-8 make the topic none. */
bool mqtt_meta_classify(const char *topic, const struct mqtt_rooms *rooms,
                        struct mqtt_meta_place *out);

#endif
