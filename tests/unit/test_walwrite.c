/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "walwrite.h"

/* The default VFS's pwrite, counted (and failed when asked) when it
 * writes a log, through the VFS's own hook for its system calls. */
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
static pwrite_fn real_pwrite;
static unsigned log_writes;
static int log_write_errno; /* 0: log writes succeed */

static bool is_log(int fd)
{
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 4)
		return false;
	path[n] = '\0';
	return strcmp(path + n - 4, "-wal") == 0;
}

static ssize_t counting_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (is_log(fd)) {
		log_writes++;
		if (log_write_errno) {
			errno = log_write_errno;
			return -1;
		}
	}
	return real_pwrite(fd, buf, n, off);
}

static void count_log_writes(void)
{
	sqlite3_vfs *os = sqlite3_vfs_find(NULL);
	const char *names[] = {"pwrite64", "pwrite"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		sqlite3_syscall_ptr p = os->xGetSystemCall(os, names[i]);
		if (p) {
			real_pwrite = (pwrite_fn)p;
			ck_assert_int_eq(os->xSetSystemCall(os, names[i],
			                                    (sqlite3_syscall_ptr)counting_pwrite),
			                 SQLITE_OK);
			return;
		}
	}
	ck_abort_msg("the default VFS writes with neither pwrite64 nor pwrite");
}

static char dir[] = "/tmp/mqchat-walwrite-XXXXXX";
static char path[sizeof dir + 16];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/db", dir);
	count_log_writes();
}

static void teardown(void)
{
	char cmd[sizeof dir + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

/* A connection in WAL mode, as history.c and outbox.c open theirs
 * (vfs NULL: SQLite's default). */
static sqlite3 *open_db(const char *vfs)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
	                 SQLITE_OK);
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
	return db;
}

static const char *text_of(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *s = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	int rc = sqlite3_step(s);
	ck_assert_msg(rc == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static int64_t int_of(sqlite3 *db, const char *sql)
{
	char text[32];
	return strtoll(text_of(db, sql, text, sizeof text), NULL, 10);
}

/* A fresh connection of SQLite's own finds the file whole. */
static void assert_whole(void)
{
	sqlite3 *db = open_db(NULL);
	char result[256];
	ck_assert_str_eq(text_of(db, "PRAGMA integrity_check", result, sizeof result), "ok");
	sqlite3_close(db);
}

static off_t log_size(void)
{
	char log[sizeof path + 4];
	snprintf(log, sizeof log, "%s-wal", path);
	struct stat st;
	ck_assert_int_eq(stat(log, &st), 0);
	return st.st_size;
}

#define ROWS(n) "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " #n ")"

START_TEST(a_commit_reaches_the_log_in_one_write)
{
	sqlite3 *db = open_db(walwrite_vfs(NULL));
	exec(db, "CREATE TABLE t(x TEXT)");
	log_writes = 0; /* a burst's transaction: a dozen lines */
	exec(db, ROWS(12) " INSERT INTO t SELECT 'a line of a burst, number ' || i FROM n");
	ck_assert_uint_eq(log_writes, 1);
	log_writes = 0; /* dozens of pages: writes of 64 KiB at most, less a frame at least */
	off_t before = log_size();
	exec(db, ROWS(8000) " INSERT INTO t SELECT printf('%0100d', i) FROM n");
	off_t grown = log_size() - before;
	ck_assert_int_gt(grown, 10 * 65536);
	ck_assert_uint_ge(log_writes, (grown + 65535) / 65536);
	ck_assert_uint_le(log_writes, grown / (65536 - 4096 - 24) + 1);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM t"), 8012);
	sqlite3_close(db);

	db = open_db(NULL); /* SQLite's own: a header and a page a frame */
	log_writes = 0;
	exec(db, ROWS(12) " INSERT INTO t SELECT 'a line of a burst, number ' || i FROM n");
	ck_assert_uint_ge(log_writes, 2);
	sqlite3_close(db);
	assert_whole();
}
END_TEST

START_TEST(every_commit_is_seen_at_once_by_another_connection)
{
	sqlite3 *ours = open_db(walwrite_vfs(NULL));
	sqlite3 *other = open_db(NULL);
	exec(ours, "CREATE TABLE t(x TEXT)");
	for (int i = 1; i <= 60; i++) {
		/* The other writes too now and then: our next frames do not
		 * follow our last. */
		exec(i % 10 ? ours : other, "INSERT INTO t VALUES ('a line')");
		ck_assert_int_eq(int_of(other, "SELECT count(*) FROM t"), i);
		ck_assert_int_eq(int_of(ours, "SELECT count(*) FROM t"), i);
	}
	sqlite3_close(ours);
	sqlite3_close(other);
	assert_whole();
}
END_TEST

/* Pages spilled to the log by a transaction rolled back are written while
 * it still holds the log, not later over what another commits there.  The
 * pages it changes are read from the database, not the log (a read of the
 * log would write them first): the log is emptied before. */
START_TEST(a_rolled_back_spill_lands_on_nothing_committed)
{
	sqlite3 *ours = open_db(walwrite_vfs(NULL));
	sqlite3 *other = open_db(NULL);
	exec(ours, "PRAGMA cache_size = 8; CREATE TABLE t(x BLOB); " ROWS(30)
	           " INSERT INTO t SELECT randomblob(2000) FROM n; PRAGMA wal_checkpoint(TRUNCATE)");
	exec(ours, "BEGIN; UPDATE t SET x = randomblob(2000)");
	exec(ours, "ROLLBACK");
	exec(other, "CREATE TABLE kept(y TEXT); " ROWS(100)
	            " INSERT INTO kept SELECT 'committed by the other' FROM n");
	sqlite3_close(ours);
	sqlite3 *third = open_db(NULL);
	ck_assert_int_eq(int_of(third, "SELECT count(*) FROM kept"), 100);
	ck_assert_int_eq(int_of(third, "SELECT count(*) FROM t"), 30);
	sqlite3_close(third);
	sqlite3_close(other);
	assert_whole();
}
END_TEST

START_TEST(a_failed_log_write_fails_its_commit)
{
	sqlite3 *db = open_db(walwrite_vfs(NULL));
	exec(db, "CREATE TABLE t(x TEXT)");
	log_write_errno = ENOSPC;
	ck_assert_int_ne(sqlite3_exec(db, "INSERT INTO t VALUES ('lost')", NULL, NULL, NULL),
	                 SQLITE_OK);
	log_write_errno = 0;
	exec(db, "INSERT INTO t VALUES ('kept')");
	sqlite3_close(db);
	db = open_db(NULL);
	char text[32];
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM t"), 1);
	ck_assert_str_eq(text_of(db, "SELECT x FROM t", text, sizeof text), "kept");
	sqlite3_close(db);
	assert_whole();
}
END_TEST

static Suite *walwrite_suite(void)
{
	Suite *s = suite_create("walwrite");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_commit_reaches_the_log_in_one_write);
	tcase_add_test(tc, every_commit_is_seen_at_once_by_another_connection);
	tcase_add_test(tc, a_rolled_back_spill_lands_on_nothing_committed);
	tcase_add_test(tc, a_failed_log_write_fails_its_commit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(walwrite_suite());
}
