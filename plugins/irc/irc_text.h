/* SPDX-License-Identifier: MIT */
/*
 * IRC text: what a PRIVMSG carries, both ways.  Pure functions, fuzzed.
 */
#ifndef MQCHAT_IRC_TEXT_H
#define MQCHAT_IRC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Removes mIRC formatting in place: bold \x02, colour \x03[N[N]][,N[N]],
 * hex colour \x04[RRGGBB[,RRGGBB]], reset \x0f, monospace \x11, reverse
 * \x16, italic \x1d, strikethrough \x1e, underline \x1f.  Returns the new
 * length (the text stays NUL-terminated). */
size_t irc_strip_format(char *text, size_t len);

/* A CTCP request or reply "\x01COMMAND[ ARGS][\x01]": true, with
 * `*command` (upper-cased in place) and `*args` ("" when none) pointing
 * into `text`, the \x01 bytes cut off.  False for ordinary text. */
bool irc_ctcp_parse(char *text, const char **command, const char **args);

/* Text we send goes on one line: every byte below 0x20 (CR, LF, NUL
 * aside, also TAB and \x01, which would open a CTCP) and DEL becomes a
 * space, in place.  So no text smuggles a second command. */
void irc_text_clean(char *text, size_t len);

/* The length of the next piece of `text` (`len` bytes of valid UTF-8)
 * that fits in `max` bytes: all of it when it fits, else cut after the
 * last space within `max` when that leaves a piece of at least max/2,
 * else at the last character boundary.  Never 0 while len > 0 and
 * max >= 4.  The caller skips one space where a piece ended before one.
 * Nothing is lost: the pieces put back together are the text. */
size_t irc_split_next(const char *text, size_t len, size_t max);

/* The IRCv3 server-time tag ("2026-12-03T09:08:30.123Z") as Unix ms;
 * -1 when malformed. */
int64_t irc_time_parse(const char *value);

/* ISUPPORT CASEMAPPING: how nicks and channel names compare. */
enum irc_casemap {
	IRC_CASEMAP_RFC1459 = 0, /* the default: A-Z [ ] \ ~ fold to a-z { } | ^ */
	IRC_CASEMAP_STRICT,      /* strict-rfc1459: without ~ ^ */
	IRC_CASEMAP_ASCII,       /* A-Z only */
};

/* The CASEMAPPING token's value; RFC1459 for an unknown one. */
enum irc_casemap irc_casemap_of(const char *value);

/* Whether two nicks or channel names are the same under `map`. */
bool irc_name_eq(const char *a, const char *b, enum irc_casemap map);

/* Whether `nick` may be sent as a nick (RFC 2812 letters, digits and
 * []\`_^{|}-, not starting with a digit or '-', 1 to `max` bytes). */
bool irc_nick_valid(const char *nick, size_t max);

/* Whether `name` may be a channel: starts with one of `prefixes` (the
 * server's CHANTYPES, "#&" before it says), no space, comma, BEL or
 * control byte, at most 50 bytes. */
bool irc_channel_valid(const char *name, const char *prefixes);

#endif
