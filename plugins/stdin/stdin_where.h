/* SPDX-License-Identifier: MIT */
/* The terminal's prompt while more than one room is joined: it says where
 * a line typed now goes, as the "[one:ops] " before each message says where
 * that one was said (common/where.h). */
#ifndef MQC_STDIN_WHERE_H
#define MQC_STDIN_WHERE_H

/* "[ROOM] PROMPT", or PROMPT itself when `room` is NULL or ""; malloc'd,
 * NULL when out of memory.  `room` is "NETWORK:ROOM". */
char *stdin_where_prompt(const char *prompt, const char *room);

#endif
