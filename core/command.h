/* SPDX-License-Identifier: MIT */
/* What a line typed or written by a user asks for. */
#ifndef MQC_COMMAND_H
#define MQC_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

enum command_kind {
	CMD_EMPTY,   /* nothing to send */
	CMD_SAY,     /* send `arg` as a message */
	CMD_ACTION,  /* /me ARG */
	CMD_NICK,    /* /nick ARG */
	CMD_QUIT,    /* /quit */
	CMD_HELP,    /* /help */
	CMD_HISTORY, /* /history [N] [[NET:]ROOM] */
	CMD_SEARCH,  /* /search [[NET:]ROOM] WORDS */
	CMD_JOIN,    /* /join [NET:]ROOM */
	CMD_PART,    /* /part [[NET:]ROOM] */
	CMD_ROOMS,   /* /rooms */
	CMD_GO,      /* /go [NET:]ROOM|N */
	CMD_MSG,     /* /msg NICK TEXT */
	CMD_WHO,     /* /who [[NET:]ROOM] */
	CMD_AWAY,    /* /away [TEXT] */
	CMD_UNKNOWN, /* /something else: `arg` is the whole line */
};

struct command {
	enum command_kind kind;
	const char *arg; /* points into the line; not NUL-terminated */
	size_t arg_len;
};

/* `all_commands` false (FIFOs, pipes): only /me and the // escape are
 * understood and any other line is said as it is. */
struct command command_parse(const char *line, size_t len, bool all_commands);

/* What /help lists, one command a row; ends with a NULL `usage`. */
struct command_help {
	const char *usage; /* "/nick NAME" */
	const char *what;  /* "change your nick" */
};
extern const struct command_help command_help[];

#endif
