/* SPDX-License-Identifier: MIT */
#include "roomref.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

char *namelist_next(const char **p)
{
	while (is_separator(**p))
		(*p)++;
	size_t len = 0;
	while ((*p)[len] && !is_separator((*p)[len]))
		len++;
	if (!len)
		return NULL;
	char *name = xstrndup(*p, len);
	*p += len;
	return name;
}

size_t namelist_count(const char *list)
{
	size_t n = 0;
	for (char *name; (name = namelist_next(&list)); free(name))
		n++;
	return n;
}

void namelist_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

bool roomref_parse(const char *text, size_t len, const char *const *networks, size_t n,
                   struct roomref *out)
{
	if (n == 0 || len == 0)
		return false;
	const char *colon = memchr(text, ':', len);
	size_t net_len = colon ? (size_t)(colon - text) : 0;
	for (size_t i = 0; colon && i < n; i++) {
		if (strlen(networks[i]) != net_len || memcmp(networks[i], text, net_len) != 0)
			continue;
		if (net_len + 1 == len)
			return false; /* "NET:": a network, no room */
		out->network = xstrdup(networks[i]);
		out->room = xstrndup(colon + 1, len - net_len - 1);
		return true;
	}
	out->network = xstrdup(networks[0]);
	out->room = xstrndup(text, len);
	return true;
}

void roomref_free(struct roomref *r)
{
	free(r->network);
	free(r->room);
	r->network = r->room = NULL;
}
