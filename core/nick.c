/* SPDX-License-Identifier: MIT */
#include "nick.h"

#include <string.h>

#include "sanitize.h"

const char *nick_clean(struct strbuf *out, const char *in, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	sanitize_name_append(&sb, in, len);
	const char *s = strbuf_str(&sb);
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	const char *why = n == 0          ? "a nick cannot be empty"
	                  : n > NICK_MAX  ? "a nick is at most 64 bytes long"
	                  : memchr(s, ':', n) ? "a nick cannot contain ':'"
	                                      : NULL;
	if (!why)
		strbuf_append(out, s, n);
	strbuf_free(&sb);
	return why;
}

bool nick_is_clean(const char *in, size_t len)
{
	if (len == 0 || len > NICK_MAX)
		return false; /* what nick_clean would refuse, without the work */
	struct strbuf sb = STRBUF_INIT;
	bool same = !nick_clean(&sb, in, len) && sb.len == len && memcmp(sb.data, in, len) == 0;
	strbuf_free(&sb);
	return same;
}
