/* SPDX-License-Identifier: MIT */
/* The database files mqchat keeps (history, outbox). */
#ifndef MQC_DBFILE_H
#define MQC_DBFILE_H

#include <stdbool.h>

#include "strbuf.h"

/*
 * Makes sure the SQLite file at `path` exists with mode 0600 before SQLite
 * opens it (SQLite would create it 0644 and give its -wal and -shm files
 * the same mode, and a conversation is private), and that it can be
 * trusted: a database another user can change could plant messages to
 * show or, in its outbox, to send as us.  Refused unless the file (and any
 * -wal, -shm or -journal beside it) is a regular file owned by this user
 * or root that nobody else may write, in directories nobody else may
 * change, reached through no one else's symbolic link (core/safepath.h).
 * Once every directory on the way is safe, nobody else can swap the path,
 * so SQLite may open it again by name.  ":memory:" is left alone.
 * On failure appends "<what> <path>: cannot open: <reason>" or "<what>
 * <path>: refusing the file: <reason and what to do>" to `err` (if not
 * NULL) and returns false.
 */
bool dbfile_make_private(const char *path, const char *what, struct strbuf *err);

#endif
