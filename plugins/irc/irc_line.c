/* SPDX-License-Identifier: MIT */
#include "irc_line.h"

#include <mqchat/plugin.h>
#include <string.h>

static char *skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Ends the word at `p` with a NUL; the text after it, or its NUL when it
 * was the last word. */
static char *end_word(char *p)
{
	char *space = strchr(p, ' ');
	if (!space)
		return p + strlen(p);
	*space = '\0';
	return space + 1;
}

/* "nick!user@host", "nick@host" or "server.name": the part after the
 * first '@' is the host, '!' before it starts the user. */
static void split_prefix(struct irc_line *out, char *prefix)
{
	out->nick = prefix;
	char *at = strchr(prefix, '@');
	if (at) {
		*at = '\0';
		out->host = at + 1;
	}
	char *bang = strchr(prefix, '!');
	if (bang) {
		*bang = '\0';
		out->user = bang + 1;
	}
}

static void parse_params(struct irc_line *out, char *p)
{
	for (p = skip_spaces(p); *p; p = skip_spaces(p)) {
		/* The trailing parameter, or the last one the RFC allows: the
		 * rest of the line, spaces and all. */
		if (*p == ':' || out->n_params == IRC_MAX_PARAMS - 1) {
			out->params[out->n_params++] = *p == ':' ? p + 1 : p;
			return;
		}
		out->params[out->n_params++] = p;
		p = end_word(p);
	}
}

bool irc_line_parse(struct irc_line *out, char *buf)
{
	*out = (struct irc_line){.nick = "", .user = "", .host = ""};
	char *p = skip_spaces(buf);
	if (*p == '@') {
		out->tags = p + 1;
		p = skip_spaces(end_word(p + 1));
	}
	if (*p == ':') {
		char *prefix = p + 1;
		p = skip_spaces(end_word(prefix));
		split_prefix(out, prefix);
	}
	if (!*p)
		return false;
	char *command = p;
	p = end_word(p);
	for (char *c = command; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	out->command = command;
	parse_params(out, p);
	return true;
}

/* The next byte of a tag value's unescaped form, advancing *v; -1 at the
 * value's end (';' or NUL). */
static int unescaped_byte(const char **v)
{
	const char *p = *v;
	if (*p == ';' || *p == '\0')
		return -1;
	if (*p != '\\') {
		*v = p + 1;
		return (unsigned char)*p;
	}
	/* A lone backslash at the end is dropped. */
	if (p[1] == ';' || p[1] == '\0') {
		*v = p + 1;
		return -1;
	}
	*v = p + 2;
	switch (p[1]) {
	case ':': return ';';
	case 's': return ' ';
	case 'r': return '\r';
	case 'n': return '\n';
	default: return (unsigned char)p[1]; /* "\\" and an unknown escape alike */
	}
}

/* Where the value of tag `key` starts in `tags` (the last one when the
 * key comes more than once), "" for a tag without '='; NULL when none. */
static const char *tag_value(const char *tags, const char *key)
{
	size_t key_len = strlen(key);
	const char *found = NULL;
	for (const char *t = tags; *t;) {
		size_t len = strcspn(t, "=;");
		if (len == key_len && memcmp(t, key, len) == 0)
			found = t[len] == '=' ? t + len + 1 : "";
		t += strcspn(t, ";");
		if (*t == ';')
			t++;
	}
	return found;
}

const char *irc_line_tag(const struct irc_line *line, const char *key, char *out,
                         size_t size)
{
	const char *v = line->tags ? tag_value(line->tags, key) : NULL;
	if (!v || size == 0)
		return v ? "" : NULL;
	/* One byte more than fits, when there is one, tells where a
	 * character was cut. */
	size_t n = 0;
	for (int c; n < size && (c = unescaped_byte(&v)) >= 0;)
		out[n++] = (char)c;
	out[mqc_utf8_prefix(out, n, size - 1)] = '\0';
	return out;
}
