/* SPDX-License-Identifier: MIT */
/* The database files mqchat keeps (history, outbox). */
#ifndef MQC_DBFILE_H
#define MQC_DBFILE_H

#include <stdbool.h>

#include "strbuf.h"

/*
 * Makes sure the SQLite file at `path` exists with mode 0600 before SQLite
 * opens it: SQLite would create it 0644 and give its -wal and -shm files
 * the same mode, and a conversation is private.  ":memory:" is left alone.
 * On failure appends "<what> <path>: cannot open: <reason>" to `err` (if
 * not NULL) and returns false.
 */
bool dbfile_make_private(const char *path, const char *what, struct strbuf *err);

#endif
