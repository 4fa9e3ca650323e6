/* SPDX-License-Identifier: MIT */
/*
 * The words a user searches history for, made an FTS5 query: cut into
 * tokens by the search index's own tokenizer, every token required.
 *
 * The index keeps no positions (detail=none: a fifth less work to index
 * a message, under half the index's size; bench/README.md, "A search
 * index without positions"), and such an index answers no phrase.  A word the
 * tokenizer cuts in two ("don't", "e-mail") therefore finds the messages
 * that hold both parts, wherever they stand.
 */
#ifndef MQC_SEARCH_WORDS_H
#define MQC_SEARCH_WORDS_H

#include <stdbool.h>

#include <sqlite3.h>

#include "strbuf.h"

/* The index's tokenizer and its arguments, as the CREATE VIRTUAL TABLE
 * names them (history.c): "que" finds "qué", as people type in a hurry. */
#define SEARCH_WORDS_TOKENIZER "unicode61 remove_diacritics 2"

struct search_words;

/* The tokenizer of `db`'s FTS5; NULL, with why in `err`, when it has none. */
struct search_words *search_words_new(sqlite3 *db, struct strbuf *err);
/* Appends the query for `words` to `query`; false when they hold no token
 * (nothing to look for) or the tokenizer failed. */
bool search_words_query(struct search_words *sw, const char *words, struct strbuf *query);
void search_words_free(struct search_words *sw);

#endif
