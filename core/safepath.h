/* SPDX-License-Identifier: MIT */
/* Whether a file is safe to trust: nobody but this user and root can
 * change it, or change what its path leads to.  The rules of OpenSSH's
 * safe_path(), plus a sticky directory (/tmp) on the way. */
#ifndef MQC_SAFEPATH_H
#define MQC_SAFEPATH_H

#include <stdbool.h>
#include <sys/stat.h>

#include "strbuf.h"

/*
 * Checks the way to `path` before it is opened: every symbolic link on it
 * is owned by this user or root, and every directory it passes through is
 * owned by this user or root and writable by nobody else (unless sticky).
 * Stops quietly where the path does not exist yet: opening it says why.
 * On refusal appends "<what is wrong>: <what to do>" to `why`.
 */
bool safepath_check_route(const char *path, struct strbuf *why);

/*
 * Checks an opened file through its descriptor: a regular file owned by
 * this user or root that nobody else may write, whose real directories
 * pass safepath_check_route().  `path` names the file in messages.
 */
bool safepath_check_open(int fd, const char *path, struct strbuf *why);

/* The file's rules alone, for a file already stat'ed. */
bool safepath_check_file(const struct stat *st, const char *path, struct strbuf *why);

/* The real path of the file open as `fd` (from /proc/self/fd), malloc'd;
 * NULL with the reason in `why`. */
char *safepath_real_path(int fd, struct strbuf *why);

#endif
