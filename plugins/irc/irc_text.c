/* SPDX-License-Identifier: MIT */
#include "irc_text.h"

#include <mqchat/plugin.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* How many bytes of the colour numbers after \x03 at text[i]: N[N][,N[N]].
 * A comma not followed by a digit is text, and a background needs a
 * foreground. */
static size_t colour_length(const char *text, size_t i, size_t len)
{
	size_t start = i;
	for (size_t d = 0; d < 2 && i < len && is_digit(text[i]); d++)
		i++;
	if (i == start || i + 1 >= len || text[i] != ',' || !is_digit(text[i + 1]))
		return i - start;
	i += 2;
	if (i < len && is_digit(text[i]))
		i++;
	return i - start;
}

static bool is_hex6(const char *text, size_t i, size_t len)
{
	if (len - i < 6)
		return false;
	for (size_t k = 0; k < 6; k++)
		if (!is_hex(text[i + k]))
			return false;
	return true;
}

/* The same for \x04's RRGGBB[,RRGGBB]. */
static size_t hex_colour_length(const char *text, size_t i, size_t len)
{
	if (!is_hex6(text, i, len))
		return 0;
	if (i + 7 <= len && text[i + 6] == ',' && is_hex6(text, i + 7, len))
		return 13;
	return 6;
}

size_t irc_strip_format(char *text, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		switch (text[i]) {
		case '\x03': i += colour_length(text, i + 1, len); break;
		case '\x04': i += hex_colour_length(text, i + 1, len); break;
		case '\x02': case '\x0f': case '\x11': case '\x16':
		case '\x1d': case '\x1e': case '\x1f': break;
		default: text[w++] = text[i];
		}
	}
	text[w] = '\0';
	return w;
}

bool irc_ctcp_parse(char *text, const char **command, const char **args)
{
	if (text[0] != '\x01')
		return false;
	char *cmd = text + 1;
	size_t cmd_len = strcspn(cmd, " \x01");
	if (cmd_len == 0)
		return false;
	char *end = strchr(cmd, '\x01');
	if (end)
		*end = '\0';
	char *rest = cmd + cmd_len;
	*args = *rest == ' ' ? rest + 1 : "";
	*rest = '\0';
	for (char *c = cmd; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	*command = cmd;
	return true;
}

void irc_text_clean(char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			text[i] = ' ';
}

size_t irc_split_next(const char *text, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* The last space at or before `max`: the piece ends before it. */
	for (size_t s = max; s > 0 && s >= max / 2; s--)
		if (text[s] == ' ')
			return s;
	size_t cut = mqc_utf8_prefix(text, len, max);
	if (cut > 0)
		return cut;
	/* `max` is smaller than the first character: it goes whole, as a
	 * piece of nothing would never end. */
	for (cut = 1; cut < len && ((unsigned char)text[cut] & 0xC0) == 0x80; cut++)
		;
	return cut;
}

/* `n` digits at *p, after the separator `before` (none when NUL), into
 * *value, advancing *p; false when they are not there. */
static bool take_field(const char **p, char before, int n, int *value)
{
	if (before) {
		if (**p != before)
			return false;
		(*p)++;
	}
	*value = 0;
	for (int k = 0; k < n; k++, (*p)++) {
		if (!is_digit(**p))
			return false;
		*value = *value * 10 + (**p - '0');
	}
	return true;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days from 1970-01-01 to the valid date year-month-day, 1970 or later. */
static int64_t days_since_epoch(int year, int month, int day)
{
	static const int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int y = year - 1; /* leap days of the years before this one */
	int64_t leap_days = (y / 4 - y / 100 + y / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
	int64_t days = (int64_t)(year - 1970) * 365 + leap_days + before_month[month - 1] + day - 1;
	return days + (month > 2 && is_leap(year));
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[month - 1] + (month == 2 && is_leap(year));
}

/* ".sss" (1 to 9 digits) as milliseconds, advancing *p: 0 when absent,
 * -1 for a dot without digits. */
static int take_millis(const char **p)
{
	if (**p != '.')
		return 0;
	(*p)++;
	int ms = 0, digits = 0;
	for (; is_digit(**p) && digits < 9; (*p)++, digits++)
		if (digits < 3)
			ms = ms * 10 + (**p - '0');
	for (int k = digits; k < 3; k++)
		ms *= 10;
	return digits ? ms : -1;
}

int64_t irc_time_parse(const char *value)
{
	const char *p = value;
	int year, month, day, hour, minute, second;
	if (!take_field(&p, '\0', 4, &year) || !take_field(&p, '-', 2, &month) ||
	    !take_field(&p, '-', 2, &day) || !take_field(&p, 'T', 2, &hour) ||
	    !take_field(&p, ':', 2, &minute) || !take_field(&p, ':', 2, &second))
		return -1;
	int ms = take_millis(&p);
	if (ms < 0 || strcmp(p, "Z") != 0 || year < 1970 || month < 1 || month > 12 ||
	    day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
	    second > 60)
		return -1;
	int64_t seconds = days_since_epoch(year, month, day) * 86400 + hour * 3600 +
	                  minute * 60 + second;
	return seconds * 1000 + ms;
}

enum irc_casemap irc_casemap_of(const char *value)
{
	if (value && strcmp(value, "strict-rfc1459") == 0)
		return IRC_CASEMAP_STRICT;
	if (value && strcmp(value, "ascii") == 0)
		return IRC_CASEMAP_ASCII;
	return IRC_CASEMAP_RFC1459;
}

static unsigned char fold(unsigned char c, enum irc_casemap map)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A' + 'a');
	if (map == IRC_CASEMAP_ASCII)
		return c;
	if (c == '[' || c == ']' || c == '\\')
		return (unsigned char)(c + 0x20); /* { } | */
	if (c == '~' && map == IRC_CASEMAP_RFC1459)
		return '^';
	return c;
}

bool irc_name_eq(const char *a, const char *b, enum irc_casemap map)
{
	for (; *a && *b; a++, b++)
		if (fold((unsigned char)*a, map) != fold((unsigned char)*b, map))
			return false;
	return *a == *b;
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool irc_nick_valid(const char *nick, size_t max)
{
	size_t len = strlen(nick);
	if (len == 0 || len > max || is_digit(nick[0]) || nick[0] == '-')
		return false;
	for (const char *c = nick; *c; c++)
		if (!is_letter(*c) && !is_digit(*c) && !strchr("[]\\`_^{|}-", *c))
			return false;
	return true;
}

bool irc_channel_valid(const char *name, const char *prefixes)
{
	size_t len = strlen(name);
	if (len < 2 || len > 50 || !strchr(prefixes ? prefixes : "#&", name[0]))
		return false;
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == ' ' || *c == ',')
			return false;
	return true;
}
