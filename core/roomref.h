/* SPDX-License-Identifier: MIT */
/*
 * How people write where a message goes: "NETWORK:ROOM", or a bare "ROOM"
 * on the first network; and the "a, b c" lists [core] names things with.
 */
#ifndef MQC_ROOMREF_H
#define MQC_ROOMREF_H

#include <stdbool.h>
#include <stddef.h>

/* A room of a network; both strings malloc'd (roomref_free). */
struct roomref {
	char *network;
	char *room;
};

/* The next name of a list ("a, b c": commas, spaces or tabs between) at
 * *p, malloc'd, and *p moved past it; NULL at the end. */
char *namelist_next(const char **p);
/* How many names `list` holds. */
size_t namelist_count(const char *list);

/*
 * Reads `len` bytes of `text` as a room.  "NET:ROOM" names network NET
 * when NET is one of the `n` `networks`; otherwise the whole text is a
 * room of networks[0] (an MQTT topic may hold a ':').  False, with `out`
 * untouched, for an empty room ("" or "NET:") or no network at all.
 */
bool roomref_parse(const char *text, size_t len, const char *const *networks, size_t n,
                   struct roomref *out);
void roomref_free(struct roomref *r);
/* Frees a NULL-terminated array of names and the array. */
void namelist_free(char **names);

#endif
