/* SPDX-License-Identifier: MIT */
#include "command.h"

#include <string.h>

const struct command_help command_help[] = {
	{"/nick NAME", "change your nick (the room is told)"},
	{"/me ACTION", "say what you do"},
	{"/history [N] [ROOM]", "the last N messages (default 20)"},
	{"/search [ROOM] WORDS", "the messages with all of WORDS"},
	{"/join [NET:]ROOM", "join a room; your lines go there"},
	{"/part [[NET:]ROOM]", "leave a room (default: this one)"},
	{"/rooms", "the rooms joined, this one marked"},
	{"/go [NET:]ROOM|N", "send your lines to another room"},
	{"/msg NICK TEXT", "a private message (this network)"},
	{"/who [[NET:]ROOM]", "who is in a room"},
	{"/away [TEXT]", "say you are away (alone: back)"},
	{"/quit", "leave"},
	{"/help", "this list"},
	{"//TEXT", "send /TEXT (the line with one / removed)"},
	{NULL, NULL},
};

static const struct {
	const char *name;
	enum command_kind kind;
	bool needs_arg;
} commands[] = {
	{"me", CMD_ACTION, true},       {"nick", CMD_NICK, true},
	{"quit", CMD_QUIT, false},      {"help", CMD_HELP, false},
	{"history", CMD_HISTORY, false}, {"search", CMD_SEARCH, true},
	{"join", CMD_JOIN, true},       {"part", CMD_PART, false},
	{"rooms", CMD_ROOMS, false},    {"go", CMD_GO, true},
	{"msg", CMD_MSG, true},         {"who", CMD_WHO, false},
	{"away", CMD_AWAY, false},
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct command trimmed(enum command_kind kind, const char *s, size_t len)
{
	while (len && is_blank(*s))
		s++, len--;
	while (len && is_blank(s[len - 1]))
		len--;
	return (struct command){kind, s, len};
}

struct command command_parse(const char *line, size_t len, bool all_commands)
{
	size_t blank = 0;
	while (blank < len && is_blank(line[blank]))
		blank++;
	if (blank == len)
		return (struct command){CMD_EMPTY, line, 0};
	if (line[0] != '/')
		return (struct command){CMD_SAY, line, len};
	if (len >= 2 && line[1] == '/')
		return (struct command){CMD_SAY, line + 1, len - 1};

	size_t name_len = 1;
	while (name_len < len && !is_blank(line[name_len]))
		name_len++;
	const char *name = line + 1;
	size_t n = name_len - 1;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strlen(commands[i].name) != n || memcmp(commands[i].name, name, n) != 0)
			continue;
		if (!all_commands && commands[i].kind != CMD_ACTION)
			break;
		struct command c = trimmed(commands[i].kind, line + name_len, len - name_len);
		if (commands[i].needs_arg && c.arg_len == 0)
			return (struct command){all_commands ? CMD_UNKNOWN : CMD_SAY, line, len};
		return c;
	}
	return (struct command){all_commands ? CMD_UNKNOWN : CMD_SAY, line, len};
}
