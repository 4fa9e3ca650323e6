/* SPDX-License-Identifier: MIT */
/*
 * Where a message goes, as people write it (/join, /go, `room =`, a
 * bridge's `rooms =`): roomref_parse() and the name lists namelist_next()
 * splits.  The input is one byte (how many networks, 0 to 3), the
 * networks' names NUL-separated, then the text, read up to its first NUL.
 * Checked: a room is on one of the networks and is never empty; it is the
 * part after "NET:" exactly when NET is a known network, else the whole
 * text on the first network; a refusal leaves the result untouched; every
 * name of a list is non-empty, holds no separator, and is the text between
 * separators, in order, and namelist_count() agrees.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "roomref.h"
#include "strbuf.h"

enum { MAX_NETWORKS = 3 };

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

/* The index of the network `text` names before its first ':', or -1. */
static int named_network(const char *text, size_t len, char *const *networks, size_t n)
{
	const char *colon = memchr(text, ':', len);
	if (!colon)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strlen(networks[i]) == (size_t)(colon - text) &&
		    memcmp(networks[i], text, (size_t)(colon - text)) == 0)
			return (int)i;
	return -1;
}

static void check_parsed(const char *text, size_t len, char *const *networks, size_t n,
                         const struct roomref *r)
{
	fuzz_require(*r->room != '\0', "an empty room accepted");
	int named = named_network(text, len, networks, n);
	size_t net_len = named >= 0 ? strlen(networks[named]) : 0;
	if (named >= 0 && len > net_len + 1) {
		fuzz_require(strcmp(r->network, networks[named]) == 0,
		             "NET:ROOM with a known NET put on another network");
		fuzz_require(strlen(r->room) == len - net_len - 1 &&
		             memcmp(r->room, text + net_len + 1, len - net_len - 1) == 0,
		             "NET:ROOM's room is not what follows the ':'");
		return;
	}
	fuzz_require(strcmp(r->network, networks[0]) == 0,
	             "a room without a known NET not on the first network");
	fuzz_require(strlen(r->room) == len && memcmp(r->room, text, len) == 0,
	             "a room without a known NET is not the whole text");
}

static void check_roomref(const char *text, size_t len, char *const *networks, size_t n)
{
	/* An exact-size copy: a read past `len` is AddressSanitizer's. */
	char *copy = fuzz_copy((const uint8_t *)text, len);
	char untouched[] = "untouched";
	struct roomref r = {.network = untouched, .room = untouched};
	if (roomref_parse(copy, len, (const char *const *)networks, n, &r)) {
		check_parsed(text, len, networks, n, &r);
		roomref_free(&r);
	} else {
		fuzz_require(r.network == untouched && r.room == untouched,
		             "a refusal changed the result");
		int named = named_network(text, len, networks, n);
		/* "NET:" alone: a known network, no room (refused or not). */
		bool net_only = named >= 0 && strlen(networks[named]) + 1 == len;
		fuzz_require(n == 0 || len == 0 || net_only, "a room refused");
	}
	free(copy);
}

/* Splits `text` as a list: each name checked against where it was. */
static void check_namelist(const char *text)
{
	size_t count = 0;
	const char *p = text;
	for (;;) {
		const char *before = p;
		char *name = namelist_next(&p);
		if (!name) {
			for (const char *s = before; *s; s++)
				fuzz_require(is_separator(*s), "a name left at the end of a list");
			break;
		}
		size_t len = strlen(name);
		fuzz_require(len > 0, "an empty name");
		fuzz_require(p >= before + len && p <= text + strlen(text), "moved out of the list");
		fuzz_require(memcmp(p - len, name, len) == 0, "a name not where it was");
		fuzz_require(!*p || is_separator(*p), "a name cut inside");
		for (const char *s = before; s < p - len; s++)
			fuzz_require(is_separator(*s), "a name skipped");
		for (size_t i = 0; i < len; i++)
			fuzz_require(!is_separator(name[i]), "a separator inside a name");
		free(name);
		count++;
	}
	fuzz_require(namelist_count(text) == count, "namelist_count disagrees");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t n = data[0] % (MAX_NETWORKS + 1);
	data++;
	size--;
	char *networks[MAX_NETWORKS];
	for (size_t i = 0; i < n; i++)
		networks[i] = fuzz_take_string(&data, &size);
	char *text = fuzz_take_string(&data, &size);
	size_t len = strlen(text);

	check_roomref(text, len, networks, n);
	check_namelist(text);
	/* Each name of a list as a room, as a bridge's `rooms =` is read. */
	const char *p = text;
	for (char *name; (name = namelist_next(&p)); free(name))
		check_roomref(name, strlen(name), networks, n);

	free(text);
	for (size_t i = 0; i < n; i++)
		free(networks[i]);
	return 0;
}
