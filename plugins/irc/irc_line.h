/* SPDX-License-Identifier: MIT */
/*
 * One received IRC line taken apart (RFC 1459/2812 with IRCv3 message
 * tags): "@tags :nick!user@host COMMAND param ... :trailing".  Pure: no
 * state, no I/O, so it is fuzzed on its own (fuzz/fuzz_irc_line.c).
 */
#ifndef MQCHAT_IRC_LINE_H
#define MQCHAT_IRC_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 1459: 15 parameters at most; a server sending more has the rest
 * folded into the last one, as the RFC's grammar reads. */
#define IRC_MAX_PARAMS 15
/* A line we send or the server's without tags: 512 bytes with CR LF. */
#define IRC_LINE_MAX 512
/* A received line with tags: 8191 bytes of tags (IRCv3) and the rest. */
#define IRC_RECV_MAX (8191 + IRC_LINE_MAX)

struct irc_line {
	const char *tags;    /* after '@', up to the space, raw; NULL when none */
	const char *nick;    /* the prefix's nick or server name; "" when none */
	const char *user;    /* after '!'; "" when none */
	const char *host;    /* after '@'; "" when none */
	const char *command; /* as sent, upper-cased in place: "PRIVMSG", "001" */
	const char *params[IRC_MAX_PARAMS];
	size_t n_params;     /* the trailing parameter counts as one */
};

/* Takes apart `buf`, one line without its CR LF, NUL-terminated,
 * modifying it in place (the result points into it).  False when it is no
 * IRC line: empty, or no command. */
bool irc_line_parse(struct irc_line *out, char *buf);

/* The value of tag `key` of `line`, unescaped (\: \s \\ \r \n) into `out`
 * (`size` bytes, always NUL-terminated, cut at a character boundary);
 * "" for a tag without a value; NULL when the line has no such tag. */
const char *irc_line_tag(const struct irc_line *line, const char *key, char *out,
                         size_t size);

#endif
