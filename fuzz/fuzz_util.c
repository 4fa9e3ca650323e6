/* SPDX-License-Identifier: MIT */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	return copy;
}

void fuzz_require(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* Length of the UTF-8 sequence led by byte `b` and the smallest code point
 * it may encode; 0 for a byte that cannot lead one. */
static size_t sequence_length(unsigned char b, unsigned *min)
{
	if (b < 0x80)
		return *min = 0, 1;
	if ((b & 0xE0) == 0xC0)
		return *min = 0x80, 2;
	if ((b & 0xF0) == 0xE0)
		return *min = 0x800, 3;
	if ((b & 0xF8) == 0xF0)
		return *min = 0x10000, 4;
	return 0;
}

static const char *unsafe_code_point(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7F)
		return "C0 control character or DEL";
	if (cp >= 0x80 && cp <= 0x9F)
		return "C1 control character";
	if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
		return "bidi override or isolate";
	if (cp == 0x2028 || cp == 0x2029)
		return "line or paragraph separator";
	return NULL;
}

size_t fuzz_utf8_sequence(const char *s, size_t len, unsigned *cp, const char **why)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned min;
	size_t n = sequence_length(u[0], &min);
	if (n == 0)
		return *why = "byte that cannot start a UTF-8 sequence", 0;
	if (n > len)
		return *why = "truncated UTF-8 sequence", 0;
	unsigned c = n == 1 ? u[0] : u[0] & (0x7Fu >> n);
	for (size_t k = 1; k < n; k++) {
		if ((u[k] & 0xC0) != 0x80)
			return *why = "missing UTF-8 continuation byte", 0;
		c = (c << 6) | (u[k] & 0x3F);
	}
	if (c < min)
		return *why = "overlong UTF-8 form", 0;
	if (c >= 0xD800 && c <= 0xDFFF)
		return *why = "UTF-16 surrogate in UTF-8", 0;
	if (c > 0x10FFFF)
		return *why = "code point beyond U+10FFFF", 0;
	*cp = c;
	return n;
}

const char *fuzz_unsafe_text(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned cp;
		const char *why = NULL;
		size_t n = fuzz_utf8_sequence(s + i, len - i, &cp, &why);
		if (n == 0)
			return why;
		why = unsafe_code_point(cp);
		if (why)
			return why;
		i += n;
	}
	return NULL;
}

void fuzz_require_safe(const char *s, size_t len, const char *what)
{
	const char *why = fuzz_unsafe_text(s, len);
	if (!why)
		return;
	fprintf(stderr, "fuzz invariant broken: %s is not safe text (%s):\n", what, why);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%02x%c", (unsigned char)s[i], i + 1 == len ? '\n' : ' ');
	abort();
}

char *fuzz_take_string(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = *size ? memchr(*data, '\0', *size) : NULL;
	size_t len = nul ? (size_t)(nul - *data) : *size;
	char *s = malloc(len + 1);
	if (!s)
		abort();
	if (len)
		memcpy(s, *data, len);
	s[len] = '\0';
	size_t used = nul ? len + 1 : len;
	*data += used;
	*size -= used;
	return s;
}
