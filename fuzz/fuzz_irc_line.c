/* SPDX-License-Identifier: MIT */
/*
 * What an IRC server sends and what we send it (plugins/irc/irc_line.c,
 * irc_text.c).  The input is one received line, read up to its first NUL
 * by the parser and whole by the text functions.  Checked: a parsed line
 * has a command of upper-case words, at most 15 parameters, all inside
 * the line, and a line is refused only when it has no command; a tag's
 * value fits any buffer, NUL-terminated, as a prefix of the whole value
 * cut at a character boundary; formatting stripped leaves no formatting
 * byte and only bytes of the text, in order; a CTCP's command and
 * arguments hold no \x01; cleaned text holds no control byte; split text
 * comes back whole, in pieces that are never empty and, for valid UTF-8,
 * fit and never end inside a character; a server-time accepted is the
 * moment it names.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_util.h"
#include "irc_line.h"
#include "irc_text.h"

/* The input and a NUL after it: a malloc'd string; free() it. */
static char *terminated(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	fuzz_require(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static bool valid_utf8(const char *s, size_t len)
{
	unsigned cp;
	const char *why;
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = fuzz_utf8_sequence(s + i, len - i, &cp, &why)))
			return false;
	return true;
}

static bool is_continuation(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

/* Whether `line` (no NUL inside) holds a command: a word left once a
 * first word "@..." and then a word ":..." are taken away. */
static bool has_command(const char *line)
{
	const char *p = line + strspn(line, " ");
	if (*p == '@')
		p += strcspn(p, " "), p += strspn(p, " ");
	if (*p == ':')
		p += strcspn(p, " "), p += strspn(p, " ");
	return *p != '\0';
}

static bool inside(const char *s, const char *buf, size_t size)
{
	return s >= buf && s + strlen(s) < buf + size;
}

static void check_tag(const struct irc_line *line, const char *key, size_t len)
{
	char *whole = malloc(len + 1);
	fuzz_require(whole != NULL, "out of memory");
	const char *full = irc_line_tag(line, key, whole, len + 1);
	size_t full_len = full ? strlen(full) : 0;
	static const size_t sizes[] = {1, 2, 3, 4, 5, 8, 64};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char out[64];
		const char *v = irc_line_tag(line, key, out, sizes[i]);
		fuzz_require((v == NULL) == (full == NULL), "a tag found in one size only");
		if (!v)
			continue;
		size_t n = strlen(v);
		fuzz_require(n < sizes[i], "a tag's value overflows its buffer");
		fuzz_require(n <= full_len && memcmp(v, full, n) == 0,
		             "a tag's value cut is no prefix of the whole");
		if (n < full_len && valid_utf8(full, full_len)) {
			fuzz_require(!is_continuation(full[n]), "a tag's value cut inside a character");
			fuzz_require(n + 4 > sizes[i] - 1, "a tag's value cut shorter than needed");
		}
	}
	free(whole);
}

static void check_line(const char *text)
{
	size_t size = strlen(text) + 1;
	char *buf = fuzz_copy((const uint8_t *)text, size);
	struct irc_line line;
	if (!irc_line_parse(&line, buf)) {
		fuzz_require(!has_command(text), "a line with a command refused");
		free(buf);
		return;
	}
	fuzz_require(has_command(text), "a line without a command parsed");
	fuzz_require(*line.command && !strpbrk(line.command, " abcdefghijklmnopqrstuvwxyz"),
	             "a command empty, lower-case or with a space");
	fuzz_require(inside(line.command, buf, size), "a command outside the line");
	fuzz_require(!*line.nick || inside(line.nick, buf, size), "a nick outside the line");
	fuzz_require(line.n_params <= IRC_MAX_PARAMS, "too many parameters");
	for (size_t i = 0; i < line.n_params; i++) {
		fuzz_require(inside(line.params[i], buf, size), "a parameter outside the line");
		fuzz_require(i + 1 == line.n_params || (*line.params[i] && !strchr(line.params[i], ' ')),
		             "a middle parameter empty or with a space");
	}
	fuzz_require(!line.tags || inside(line.tags, buf, size), "tags outside the line");
	static const char *const keys[] = {"time", "msgid", "a", "+draft/reply", ""};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		check_tag(&line, keys[i], size);
	free(buf);
}

static void check_strip(const uint8_t *data, size_t len)
{
	char *text = terminated(data, len);
	size_t n = irc_strip_format(text, len);
	fuzz_require(n <= len && text[n] == '\0', "stripped text longer or unterminated");
	fuzz_require(!memchr(text, '\x02', n) && !memchr(text, '\x03', n) &&
	             !memchr(text, '\x04', n) && !memchr(text, '\x0f', n) &&
	             !memchr(text, '\x11', n) && !memchr(text, '\x16', n) &&
	             !memchr(text, '\x1d', n) && !memchr(text, '\x1e', n) &&
	             !memchr(text, '\x1f', n),
	             "a formatting byte left");
	/* What is left are bytes of the text, in order. */
	size_t j = 0;
	for (size_t i = 0; i < n; i++, j++)
		while (j < len && (char)data[j] != text[i])
			j++;
	fuzz_require(j <= len, "stripped text holds what the text does not");
	free(text);
}

static void check_ctcp(const char *text)
{
	char *copy = terminated((const uint8_t *)text, strlen(text));
	const char *command = NULL, *args = NULL;
	if (irc_ctcp_parse(copy, &command, &args)) {
		fuzz_require(text[0] == '\x01' && command == copy + 1, "a CTCP not at the \\x01");
		fuzz_require(*command && !strpbrk(command, " \x01" "abcdefghijklmnopqrstuvwxyz"),
		             "a CTCP command empty, lower-case or with a space or \\x01");
		fuzz_require(!strchr(args, '\x01'), "a CTCP's arguments hold \\x01");
	} else {
		fuzz_require(text[0] != '\x01' || strchr(" \x01", text[1]),
		             "a CTCP with a command refused");
		fuzz_require(strcmp(copy, text) == 0 && !command && !args, "a refusal changed something");
	}
	free(copy);
}

static void check_clean(const uint8_t *data, size_t len)
{
	char *text = fuzz_copy(data, len);
	irc_text_clean(text, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = data[i];
		bool control = c < 0x20 || c == 0x7f;
		fuzz_require(text[i] == (control ? ' ' : (char)c), "cleaned wrongly");
	}
	free(text);
}

static void check_split(const char *text, size_t len, size_t max)
{
	bool valid = valid_utf8(text, len);
	size_t pos = 0, total = 0;
	while (pos < len) {
		size_t n = irc_split_next(text + pos, len - pos, max);
		fuzz_require(n > 0 && n <= len - pos, "a piece empty or past the end");
		if (valid && max >= 4) {
			fuzz_require(n <= max, "a piece longer than max");
			fuzz_require(pos + n == len || !is_continuation(text[pos + n]),
			             "a piece ends inside a character");
		}
		pos += n;
		total += n;
		if (pos < len && text[pos] == ' ')
			pos++, total++;
	}
	fuzz_require(total == len, "pieces and spaces do not add up to the text");
}

static void check_time(const char *text)
{
	int64_t ms = irc_time_parse(text);
	if (ms < 0) {
		fuzz_require(ms == -1, "a time before 1970");
		return;
	}
	fuzz_require(strlen(text) >= 20 && text[strlen(text) - 1] == 'Z', "a time without its Z");
	if (text[17] == '6') /* a leap second: it is the next minute's first */
		return;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char again[32];
	fuzz_require(gmtime_r(&t, &tm) && strftime(again, sizeof again, "%Y-%m-%dT%H:%M:%S", &tm),
	             "a time gmtime cannot show");
	fuzz_require(memcmp(again, text, 19) == 0, "a time read as another moment");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = terminated(data, size);

	check_line(text);
	check_strip(data, size);
	check_ctcp(text);
	check_clean(data, size);
	static const size_t maxes[] = {1, 3, 4, 5, 9, 64, 400};
	for (size_t i = 0; i < sizeof maxes / sizeof *maxes; i++)
		check_split(text, size, maxes[i]);
	check_time(text);
	free(text);
	return 0;
}
