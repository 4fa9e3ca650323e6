/* SPDX-License-Identifier: MIT */
/*
 * A commit's log in one write: an SQLite VFS, stacked on another, that
 * gathers the frames a transaction appends to its write-ahead log and
 * writes them with one call when the commit's last frame is written.
 * SQLite writes each frame with two (its header, then its page): a room
 * member's transaction of a dozen messages made eight, 11 % of its CPU in
 * a burst (bench/README.md, "A commit's log in one write").  The files
 * are SQLite's own, readable by any SQLite.  Its files are used on one
 * thread, the loop's, as mqchat uses SQLite.
 */
#ifndef MQC_WALWRITE_H
#define MQC_WALWRITE_H

/* The VFS's name for sqlite3_open_v2(), registered at the first call on
 * top of `parent` (a registered VFS's name; NULL: SQLite's default); later
 * calls return it whatever they name.  NULL if it cannot be registered
 * (open with SQLite's default then). */
const char *walwrite_vfs(const char *parent);

#endif
