/* SPDX-License-Identifier: MIT */
/*
 * A commit's log in one write (walwrite.h).
 *
 * Why nobody sees the gathered frames before they are written: another
 * connection reads only the frames the log's index (the database's shared
 * memory) says are committed, and SQLite publishes a commit there after
 * writing its last frame, whose write carries the others and returns
 * their error as the commit's.  This connection reads its log through
 * this file: any other operation on it (read, sync, size, truncation,
 * file control, close), or a write that does not follow the gathered
 * bytes, writes them first.  A transaction rolled back after SQLite
 * spilled pages to the log leaves frames no commit follows: they are
 * written before the database's shared memory is next locked, unlocked or
 * published (xShmLock, xShmBarrier), while this connection still holds
 * the log's write lock, never later over frames another connection has
 * committed in their place.
 *
 * Only a database and its log are wrapped; journals and temporary files
 * are the parent's own.  The other VFS methods are the parent's, called
 * with this VFS's copy of its data, as SQLite's own unix VFSes share them.
 */
#include "walwrite.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "strbuf.h"

/* The log's layout (SQLite's file format): a 32-byte header, then frames
 * of a 24-byte header and a page.  Bytes 4-7 of a frame's header are the
 * database's size in pages after a commit, in its last frame; 0 in the
 * others. */
#define LOG_HEADER_BYTES 32
#define FRAME_HEADER_BYTES 24
/* Beyond this much, what is gathered is written and gathering starts
 * over: SQLite's unix VFS takes less than 128 KiB a write (it keeps 17
 * bits of the size: a write of 200 KiB failed as a full disk). */
#define GATHER_MAX_BYTES (64 * 1024)

struct vfile {
	sqlite3_file base;
	sqlite3_file *real; /* the parent's file, right after this struct */
	/* A database: the name SQLite opened it by, its open log (NULL: none),
	 * the next open database. */
	sqlite3_filename db_name;
	struct vfile *log;
	struct vfile *next_db;
	/* A log: its database (NULL: not gathered), the bytes gathered for
	 * [at, at + gathered.len). */
	struct vfile *db;
	struct strbuf gathered;
	sqlite3_int64 at;
	bool commit_page_next; /* a commit frame's header is gathered: its page ends the commit */
};

static sqlite3_vfs *parent;
static sqlite3_vfs vfs;
static struct vfile *open_dbs;

static struct vfile *vf(sqlite3_file *file)
{
	return (struct vfile *)file;
}

static const sqlite3_io_methods *real_io(const struct vfile *f)
{
	return f->real->pMethods;
}

/* Writes what is gathered (nothing for a database or a log not gathered). */
static int write_gathered(struct vfile *f)
{
	if (!f->gathered.len)
		return SQLITE_OK;
	int rc = real_io(f)->xWrite(f->real, f->gathered.data, (int)f->gathered.len, f->at);
	strbuf_reset(&f->gathered);
	f->commit_page_next = false;
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int log_write(struct vfile *f, const void *data, int n, sqlite3_int64 off)
{
	size_t len = f->gathered.len;
	bool follows = off == f->at + (sqlite3_int64)len;
	if (len && (!follows || len + (size_t)n > GATHER_MAX_BYTES)) {
		int rc = write_gathered(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (!f->gathered.len)
		f->at = off;
	strbuf_append(&f->gathered, data, (size_t)n);
	/* A frame's header, then its page: the commit's page ends the commit. */
	if (n == FRAME_HEADER_BYTES && off >= LOG_HEADER_BYTES) {
		f->commit_page_next = be32((const uint8_t *)data + 4) != 0;
		return SQLITE_OK;
	}
	return f->commit_page_next ? write_gathered(f) : SQLITE_OK;
}

/* --- the files' methods: the parent's, after what is gathered ---------- */

static void forget_db(struct vfile *f)
{
	for (struct vfile **p = &open_dbs; *p; p = &(*p)->next_db) {
		if (*p == f) {
			*p = f->next_db;
			break;
		}
	}
	if (f->log) {
		(void)write_gathered(f->log);
		f->log->db = NULL;
	}
}

static int vf_close(sqlite3_file *file)
{
	struct vfile *f = vf(file);
	int gathered = write_gathered(f);
	if (f->db)
		f->db->log = NULL;
	else
		forget_db(f);
	strbuf_free(&f->gathered);
	int rc = real_io(f)->xClose(f->real);
	return gathered != SQLITE_OK ? gathered : rc;
}

static int vf_read(sqlite3_file *file, void *buf, int n, sqlite3_int64 off)
{
	struct vfile *f = vf(file);
	int rc = write_gathered(f);
	return rc != SQLITE_OK ? rc : real_io(f)->xRead(f->real, buf, n, off);
}

static int vf_write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 off)
{
	struct vfile *f = vf(file);
	return f->db ? log_write(f, buf, n, off) : real_io(f)->xWrite(f->real, buf, n, off);
}

static int vf_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfile *f = vf(file);
	int rc = write_gathered(f);
	return rc != SQLITE_OK ? rc : real_io(f)->xTruncate(f->real, size);
}

static int vf_sync(sqlite3_file *file, int flags)
{
	struct vfile *f = vf(file);
	int rc = write_gathered(f);
	return rc != SQLITE_OK ? rc : real_io(f)->xSync(f->real, flags);
}

static int vf_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfile *f = vf(file);
	int rc = write_gathered(f);
	return rc != SQLITE_OK ? rc : real_io(f)->xFileSize(f->real, size);
}

static int vf_lock(sqlite3_file *file, int lock)
{
	struct vfile *f = vf(file);
	return real_io(f)->xLock(f->real, lock);
}

static int vf_unlock(sqlite3_file *file, int lock)
{
	struct vfile *f = vf(file);
	return real_io(f)->xUnlock(f->real, lock);
}

static int vf_check_reserved_lock(sqlite3_file *file, int *out)
{
	struct vfile *f = vf(file);
	return real_io(f)->xCheckReservedLock(f->real, out);
}

static int vf_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfile *f = vf(file);
	int rc = write_gathered(f);
	return rc != SQLITE_OK ? rc : real_io(f)->xFileControl(f->real, op, arg);
}

static int vf_sector_size(sqlite3_file *file)
{
	struct vfile *f = vf(file);
	return real_io(f)->xSectorSize(f->real);
}

static int vf_device_characteristics(sqlite3_file *file)
{
	struct vfile *f = vf(file);
	return real_io(f)->xDeviceCharacteristics(f->real);
}

static int vf_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **p)
{
	struct vfile *f = vf(file);
	return real_io(f)->xShmMap(f->real, page, size, extend, p);
}

static int vf_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfile *f = vf(file);
	int rc = f->log ? write_gathered(f->log) : SQLITE_OK;
	return rc != SQLITE_OK ? rc : real_io(f)->xShmLock(f->real, offset, n, flags);
}

static void vf_shm_barrier(sqlite3_file *file)
{
	struct vfile *f = vf(file);
	/* A commit's frames were written with its last one: nothing waits
	 * here but a rolled-back spill's, whose error nothing could use. */
	if (f->log)
		(void)write_gathered(f->log);
	real_io(f)->xShmBarrier(f->real);
}

static int vf_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct vfile *f = vf(file);
	return real_io(f)->xShmUnmap(f->real, delete_flag);
}

static int vf_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p)
{
	struct vfile *f = vf(file);
	return real_io(f)->xFetch(f->real, off, n, p);
}

static int vf_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfile *f = vf(file);
	return real_io(f)->xUnfetch(f->real, off, p);
}

/* One table for each version the parent's files may have: SQLite calls
 * only the methods of the version a table says. */
#define VFILE_METHODS(version)                                                             \
	{                                                                                  \
		version, vf_close, vf_read, vf_write, vf_truncate, vf_sync, vf_file_size,  \
		vf_lock, vf_unlock, vf_check_reserved_lock, vf_file_control,               \
		vf_sector_size, vf_device_characteristics, vf_shm_map, vf_shm_lock,        \
		vf_shm_barrier, vf_shm_unmap, vf_fetch, vf_unfetch                         \
	}
static const sqlite3_io_methods vfile_methods[] = {VFILE_METHODS(1), VFILE_METHODS(2),
                                                   VFILE_METHODS(3)};

static const sqlite3_io_methods *methods_like(const sqlite3_io_methods *real)
{
	int version = real->iVersion < 1 ? 1 : real->iVersion > 3 ? 3 : real->iVersion;
	return &vfile_methods[version - 1];
}

/* The open database whose log `log_name` is (NULL: none). */
static struct vfile *database_of(sqlite3_filename log_name)
{
	const char *db_name = sqlite3_filename_database(log_name);
	for (struct vfile *f = open_dbs; f; f = f->next_db)
		if (f->db_name == db_name)
			return f;
	return NULL;
}

static int vfs_open(sqlite3_vfs *self, sqlite3_filename name, sqlite3_file *file, int flags,
                    int *out_flags)
{
	(void)self;
	if (!(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
		return parent->xOpen(parent, name, file, flags, out_flags);
	struct vfile *f = vf(file);
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	int rc = parent->xOpen(parent, name, f->real, flags, out_flags);
	if (!f->real->pMethods) {
		f->base.pMethods = NULL; /* nothing to close */
		return rc;
	}
	f->base.pMethods = methods_like(f->real->pMethods);
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->db_name = name;
		f->next_db = open_dbs;
		open_dbs = f;
	} else if (name && (f->db = database_of(name)) != NULL) {
		f->db->log = f;
	}
	return rc;
}

const char *walwrite_vfs(const char *parent_name)
{
	if (vfs.zName)
		return vfs.zName;
	sqlite3_vfs *p = sqlite3_vfs_find(parent_name);
	if (!p)
		return NULL;
	parent = p;
	vfs = *p;
	vfs.pNext = NULL;
	vfs.zName = "mqchat-walwrite";
	vfs.szOsFile = (int)sizeof(struct vfile) + p->szOsFile;
	vfs.xOpen = vfs_open;
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) {
		vfs.zName = NULL;
		return NULL;
	}
	return vfs.zName;
}
