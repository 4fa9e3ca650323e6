/* SPDX-License-Identifier: MIT */
#include "stdin_wrap.h"

#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#define INDENT 4

unsigned stdin_wrap_indent(unsigned width)
{
	/* A window too narrow for the indent still gets one blank. */
	return width > 6 * INDENT ? INDENT : width > 2 ? 1 : 0;
}

/* Length of the SGR (or other CSI) sequence at `s`, 1 for a lone ESC. */
static size_t escape_length(const char *s, size_t len)
{
	if (len < 2 || s[1] != '[')
		return 1;
	size_t n = 2;
	while (n < len && !((unsigned char)s[n] >= 0x40 && (unsigned char)s[n] <= 0x7E))
		n++;
	return n < len ? n + 1 : n;
}

/* Length of the character at `s` and, in *columns, how many it takes. */
static size_t char_length(const char *s, size_t len, mbstate_t *state, unsigned *columns)
{
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, len, state);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(state, 0, sizeof *state);
		*columns = 1; /* shown as a replacement character */
		return 1;
	}
	int w = wcwidth(wc);
	*columns = w < 0 ? 1 : (unsigned)w;
	return n;
}

bool stdin_wrap_starts_with(const char *text, size_t len, const char *mark)
{
	mbstate_t state;
	memset(&state, 0, sizeof state);
	size_t i = 0;
	while (i < len) {
		unsigned columns = 0;
		size_t n = text[i] == '\033' ? escape_length(text + i, len - i)
		                             : char_length(text + i, len - i, &state, &columns);
		if (columns > 0)
			break;
		i += n;
	}
	size_t m = strlen(mark);
	return len - i >= m && memcmp(text + i, mark, m) == 0;
}

static size_t put(char *out, size_t at, const char *s, size_t n)
{
	if (out)
		memcpy(out + at, s, n);
	return at + n;
}

size_t stdin_wrap(const char *in, size_t len, unsigned width, unsigned indent, char *out)
{
	mbstate_t state;
	memset(&state, 0, sizeof state);
	size_t at = 0, i = 0;
	unsigned column = 0, row_start = 0;
	while (i < len) {
		unsigned columns = 0;
		size_t n = in[i] == '\033' ? escape_length(in + i, len - i)
		                           : char_length(in + i, len - i, &state, &columns);
		if (width > 1 && column + columns > width && column > row_start) {
			at = put(out, at, "\r\n", 2);
			for (unsigned k = 0; k < indent; k++)
				at = put(out, at, " ", 1);
			column = row_start = indent;
		}
		at = put(out, at, in + i, n);
		column += columns;
		i += n;
	}
	return at;
}
