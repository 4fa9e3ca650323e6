/* SPDX-License-Identifier: MIT */
/*
 * What a user searches history for (/search, --search): the words made an
 * FTS5 query by search_words_query().  The input is the words, read up to
 * their first NUL.  Checked: whatever the words, the query is no syntax
 * FTS5 refuses, and runs on an index like history's (detail=none, the
 * same tokenizer); words without a token make no query.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fuzz_util.h"
#include "search_words.h"
#include "strbuf.h"

static sqlite3 *db;
static sqlite3_stmt *match;
static struct search_words *words;

static void open_index(void)
{
	fuzz_require(sqlite3_open(":memory:", &db) == SQLITE_OK, "no in-memory database");
	fuzz_require(sqlite3_exec(db,
	                          "CREATE VIRTUAL TABLE t USING fts5(text, nick, detail=none,"
	                          " tokenize='" SEARCH_WORDS_TOKENIZER "');"
	                          "INSERT INTO t VALUES ('qué tal, don''t panic', 'Ana');",
	                          NULL, NULL, NULL) == SQLITE_OK,
	             "no index to search");
	fuzz_require(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &match,
	                                NULL) == SQLITE_OK,
	             "no query");
	struct strbuf err = STRBUF_INIT;
	words = search_words_new(db, &err);
	fuzz_require(words != NULL, "no tokenizer");
	strbuf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		open_index();
	char *text = fuzz_take_string(&data, &size);
	struct strbuf query = STRBUF_INIT;
	if (search_words_query(words, text, &query)) {
		sqlite3_bind_text(match, 1, strbuf_str(&query), (int)query.len, SQLITE_STATIC);
		fuzz_require(sqlite3_step(match) == SQLITE_ROW, "FTS5 refused the query");
		sqlite3_reset(match);
	} else {
		fuzz_require(query.len == 0, "a query left behind for words without a token");
	}
	strbuf_free(&query);
	free(text);
	return 0;
}
