/* SPDX-License-Identifier: MIT */
/* Reads one number from a database file through a connection of the
 * test's own, as another process would. */
#ifndef MQC_CHECK_SQL_H
#define MQC_CHECK_SQL_H

#include <check.h>
#include <sqlite3.h>
#include <stdint.h>

/* The first column of the first row `sql` returns from the file at `path`. */
static inline int64_t sql_number(const char *path, const char *sql)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

#endif
