/* SPDX-License-Identifier: MIT */
#include "search_words.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "strbuf.h"

#define TOKENIZER_ARGS_MAX 4

struct search_words {
	fts5_tokenizer api;
	Fts5Tokenizer *tokenizer;
};

/* FTS5's API of `db`, as SQLite documents getting it: a pointer bound to
 * the fts5() function. */
static fts5_api *fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	(void)sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

struct search_words *search_words_new(sqlite3 *db, struct strbuf *err)
{
	char spec[] = SEARCH_WORDS_TOKENIZER;
	const char *args[TOKENIZER_ARGS_MAX];
	int n = 0;
	char *save = NULL;
	for (char *w = strtok_r(spec, " ", &save); w && n < TOKENIZER_ARGS_MAX;
	     w = strtok_r(NULL, " ", &save))
		args[n++] = w;
	fts5_api *fts5 = fts5_of(db);
	void *context;
	struct search_words *sw = xcalloc(1, sizeof *sw);
	if (!fts5 || fts5->xFindTokenizer(fts5, args[0], &context, &sw->api) != SQLITE_OK ||
	    sw->api.xCreate(context, args + 1, n - 1, &sw->tokenizer) != SQLITE_OK) {
		strbuf_printf(err, "no FTS5 tokenizer %s in this SQLite", SEARCH_WORDS_TOKENIZER);
		free(sw);
		return NULL;
	}
	return sw;
}

/* Each token quoted (a quote inside written twice: nothing is syntax),
 * separated by spaces, which FTS5 reads as AND. */
static int add_token(void *data, int flags, const char *token, int len, int start, int end)
{
	(void)start;
	(void)end;
	struct strbuf *query = data;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK; /* a synonym of the token before */
	if (query->len)
		strbuf_appendc(query, ' ');
	strbuf_appendc(query, '"');
	for (int i = 0; i < len; i++) {
		if (token[i] == '"')
			strbuf_appendc(query, '"');
		strbuf_appendc(query, token[i]);
	}
	strbuf_appendc(query, '"');
	return SQLITE_OK;
}

bool search_words_query(struct search_words *sw, const char *words, struct strbuf *query)
{
	/* Sanitised as the stored text was: the same words meet, and the
	 * tokenizer sees valid UTF-8 only (a token it cut from invalid bytes
	 * could read as two once quoted, a phrase this index refuses). */
	struct strbuf clean = STRBUF_INIT;
	sanitize_append(&clean, words, strlen(words));
	size_t before = query->len;
	int rc = clean.len > INT32_MAX
	                 ? SQLITE_TOOBIG
	                 : sw->api.xTokenize(sw->tokenizer, query, FTS5_TOKENIZE_QUERY,
	                                     strbuf_str(&clean), (int)clean.len, add_token);
	strbuf_free(&clean);
	return rc == SQLITE_OK && query->len > before;
}

void search_words_free(struct search_words *sw)
{
	if (!sw)
		return;
	sw->api.xDelete(sw->tokenizer);
	free(sw);
}
