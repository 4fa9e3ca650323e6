/* SPDX-License-Identifier: MIT */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dbfile.h"
#include "dedup.h"
#include "keyfilter.h"
#include "random.h"
#include "sanitize.h"
#include "search_words.h"
#include "walwrite.h"

/* "MQCH": marks the file as ours, so that a history path pointing at some
 * other program's database is refused instead of altered. */
#define HISTORY_APPLICATION_ID 0x4D514348

/* How long a flush waits for another mqchat holding the write lock.  Short:
 * this runs on the poll loop, and a failed flush is simply retried. */
#define HISTORY_BUSY_TIMEOUT_MS 50

#define MS_PER_DAY INT64_C(86400000)

/* Two rows with the same content (nick, type, text) received this close
 * together by two processes sharing the file are one message, unless both
 * carry an id (then their keys say whether they are the same): the
 * duplicate window's default (dedup_window). */
#define COPY_WINDOW_MS 10000
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define COPY_WINDOW_SQL STRINGIFY(COPY_WINDOW_MS)

/* Index pages (4 KiB) merged at most per flush: enough to keep pace with
 * a busy room at a million stored messages, small enough that no flush
 * spends long on it.  32, not 64, since a merge reads sixteen segments
 * (INDEX_MERGE_SEGMENTS): with 64 a flush's p99 at a million stored rose
 * by a fifth (bench/README.md, "Merging sixteen segments"). */
#define MERGE_PAGES_PER_FLUSH 32

/* SQLite's page cache, in KiB (its default is 2 MiB).  Writes append to
 * the table, the time index and new index segments, so a small cache costs
 * them little, and it keeps the process small (bench/README.md). */
#define HISTORY_CACHE_KIB 128

/* Pages (4 KiB) the log may hold before a calm flush copies it back into
 * the file (SQLite's default is 1000): a copy of 1 MiB, not 4, rides on
 * the flush that does it, which bounds the longest flushes.  A flush during
 * a flood leaves the copy for later (it slowed the flood down) until the
 * log holds WAL_MAX_PAGES; the log file is cut back to WAL_KEPT_BYTES once
 * copied (bench/README.md).  Each store draws its lengths anew after each
 * copy, from half to one and a half CHECKPOINT_PAGES and from half to all
 * of WAL_MAX_PAGES: the mqchats of one room receive the same messages, so
 * their logs grow in step, and at one length they all copied back, and
 * synced, at the same moment: in a room of 40 on one machine, one
 * delivery in 80 then waited 30 ms or more for the disk. */
#define CHECKPOINT_PAGES 250
#define WAL_MAX_PAGES 4096
#define WAL_KEPT_BYTES (1024 * 1024)

/* Retained messages' keys (dedup_retained_key: "rt:" and a digest) are
 * looked up at any age, anywhere in the file: only they are indexed, so
 * live messages (the flood) pay two string comparisons for it, not an
 * index update (bench/README.md).  A query uses the index only when it
 * repeats this condition word for word.  "rt;" is the first string past every "rt:...". */
#define RETAINED_KEY_CONDITION "dedup_key >= 'rt:' AND dedup_key < 'rt;'"
#define RETAINED_KEY_INDEX_SQL                                                             \
	"CREATE INDEX messages_by_retained_key ON messages(dedup_key)"                     \
	" WHERE " RETAINED_KEY_CONDITION ";"

/* Keys of messages with an id (dedup.h: "id:", the sender's time, a digest
 * of the content, the id) are unique: two processes sharing the file store
 * one row for the same message (INSERT OR IGNORE).  They begin with the
 * time, so the index grows at its end like the table (a random key's
 * place cost more than the rest of an insert, bench/README.md). */
#define ID_KEY_CONDITION "dedup_key >= 'id:' AND dedup_key < 'id;'"
#define ID_KEY_INDEX_SQL                                                                   \
	"CREATE UNIQUE INDEX messages_by_id_key ON messages(dedup_key)"                    \
	" WHERE " ID_KEY_CONDITION ";"
/* The filter of stored id keys (keyfilter.h) as the last process to close
 * the file left it, with the newest row it covers: the next start reads it
 * and the keys of later rows, not every key, which grows long with the
 * file (bench/README.md). */
#define KEY_FILTER_SQL                                                                     \
	"CREATE TABLE key_filter (covered_upto INTEGER NOT NULL, filter BLOB NOT NULL);"

/* The full-text index may lag behind the table: rows up to
 * search_progress.indexed_upto are in it, later ones are indexed by
 * index_rows(), in the flush that writes them or, after a flood, in slices
 * of their own (see history_flush_some).  Never by a trigger: a trigger's
 * statement savepoint makes FTS5 write out a segment for every single row,
 * which then all have to be merged.  A row not indexed yet must not be
 * taken out of the index when it is deleted or changed: hence the WHEN. */
#define FTS_UPDATE_TRIGGER_SQL                                                             \
	"CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages"                      \
	"  WHEN old.seq <= (SELECT indexed_upto FROM search_progress) BEGIN"               \
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"                      \
	"    VALUES ('delete', old.seq, old.text, old.nick);"                              \
	"  INSERT INTO messages_fts(rowid, text, nick) VALUES (new.seq, new.text, new.nick);" \
	"END;"
#define SEARCH_PROGRESS_SQL                                                                \
	"CREATE TABLE search_progress (indexed_upto INTEGER NOT NULL);"                    \
	"INSERT INTO search_progress SELECT coalesce(max(seq), 0) FROM messages;"          \
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"                      \
	"  WHEN old.seq <= (SELECT indexed_upto FROM search_progress) BEGIN"               \
	"  INSERT INTO messages_fts(messages_fts, rowid, text, nick)"                      \
	"    VALUES ('delete', old.seq, old.text, old.nick);"                              \
	"END;" FTS_UPDATE_TRIGGER_SQL

/* The full-text index.  columnsize=0: no per-row token counts (only
 * ranking by relevance needs them; a search lists the newest first), one
 * write less per message.  detail=none (since schema 9): no token's
 * position either, which only phrases need, and the words searched for
 * are ANDed (search_words.h).  How it merges its segments is set at open
 * (tune_index). */
#define FTS_SQL                                                                            \
	"CREATE VIRTUAL TABLE messages_fts USING fts5(text, nick,"                         \
	"  content='messages', content_rowid='seq', columnsize=0, detail=none,"           \
	"  tokenize='" SEARCH_WORDS_TOKENIZER "');"

/* Where a message was said (since schema 7): its network and room, and
 * a private message's recipient ("" for a room's, whose room is set).
 * Rows of an older file have "" in all three. */
#define PLACE_COLUMN(name) name " TEXT NOT NULL DEFAULT ''"
#define PLACE_COLUMNS_SQL                                                                  \
	"  " PLACE_COLUMN("network") ", " PLACE_COLUMN("room") ", " PLACE_COLUMN("recipient")
/* Since schema 8: 1 when the network proves senders and did not prove
 * this one (MQC_MSG_UNVERIFIED). */
#define UNVERIFIED_COLUMN "unverified INTEGER NOT NULL DEFAULT 0"

static const char SCHEMA_SQL[] =
	"CREATE TABLE messages ("
	/* An explicit INTEGER PRIMARY KEY: the full-text index refers to
	 * rows by rowid, which VACUUM could renumber if it were implicit. */
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL,"
	"  topic TEXT NOT NULL,"
	"  nick TEXT NOT NULL,"
	"  sender_id TEXT NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  sent_ms INTEGER,"          /* the sender's time; NULL if unknown */
	"  received_ms INTEGER NOT NULL,"
	"  own INTEGER NOT NULL,"
	"  dedup_key TEXT,"           /* dedup.h's key; NULL if none */
	PLACE_COLUMNS_SQL ", " UNVERIFIED_COLUMN
	");"
	/* No index on the other keys: a digest lands at a random place in
	 * it, and keeping it cost more than the rest of an insert
	 * (bench/README.md); history_has_key() reads the newest keys once
	 * instead.  None on
	 * received_ms either: rows come in the order received, so pruning by
	 * age walks from the oldest (PRUNE_AGE_SQL), and the index slowed a
	 * flood down (bench/README.md). */
	RETAINED_KEY_INDEX_SQL
	ID_KEY_INDEX_SQL
	KEY_FILTER_SQL
	FTS_SQL
	SEARCH_PROGRESS_SQL;

/* The columns every read returns, in the order row_to_message expects. */
#define MESSAGE_COLUMNS                                                                    \
	"id, topic, nick, sender_id, type, text, sent_ms, received_ms, own, network, room,"   \
	" recipient, unverified"

/* Schema 8's index kept each token's positions: it is made again without
 * them, empty, and fills in slices as after a flood (a search first
 * indexes what waits).  Its triggers name it and stay. */
#define UPGRADE_FROM_8_SQL                                                                 \
	"DROP TABLE messages_fts;" FTS_SQL "UPDATE search_progress SET indexed_upto = 0;"
/* Schema 7 did not say whether a sender was proved. */
#define UPGRADE_FROM_7_SQL                                                                 \
	"ALTER TABLE messages ADD COLUMN " UNVERIFIED_COLUMN ";" UPGRADE_FROM_8_SQL
/* Schema 6 did not say where a message was said.  Adding a column with a
 * constant default rewrites no row: instant at any size. */
#define UPGRADE_FROM_6_SQL                                                                 \
	"ALTER TABLE messages ADD COLUMN " PLACE_COLUMN("network") ";"                     \
	"ALTER TABLE messages ADD COLUMN " PLACE_COLUMN("room") ";"                        \
	"ALTER TABLE messages ADD COLUMN " PLACE_COLUMN("recipient") ";" UPGRADE_FROM_7_SQL
/* Schema 5 keyed a json message by its id alone, and a plain one by a
 * digest of its topic and payload: keys are made again from what the rows
 * hold (mqc_message_key, dedup_message_key), then copies of one message
 * are deleted, the oldest kept: rows with the same key, and rows with the
 * same content stored within COPY_WINDOW_MS of each other (by two
 * processes sharing the file), unless both carry an id. */
#define UPGRADE_FROM_5_SQL                                                                 \
	/* The words do not change: the search index is left alone. */                    \
	"DROP TRIGGER messages_fts_update;"                                                \
	"UPDATE messages SET dedup_key = mqc_message_key(id, sent_ms, nick, type, text)"   \
	" WHERE " ID_KEY_CONDITION " OR (dedup_key >= 'dg:' AND dedup_key < 'dg;');"       \
	FTS_UPDATE_TRIGGER_SQL                                                             \
	"DELETE FROM messages WHERE " ID_KEY_CONDITION " AND seq NOT IN"                   \
	" (SELECT min(seq) FROM messages WHERE " ID_KEY_CONDITION " GROUP BY dedup_key);" \
	"CREATE TEMP TABLE upgrade_copies AS SELECT seq, received_ms,"                     \
	" mqc_key_content(dedup_key) AS content, " ID_KEY_CONDITION " AS by_id"           \
	" FROM messages WHERE mqc_key_content(dedup_key) IS NOT NULL;"                     \
	"CREATE INDEX temp.upgrade_copies_by_content ON upgrade_copies(content, received_ms);" \
	"DELETE FROM messages WHERE seq IN (SELECT later.seq FROM upgrade_copies later"    \
	" JOIN upgrade_copies earlier ON earlier.content = later.content"                  \
	" AND earlier.received_ms BETWEEN later.received_ms - " COPY_WINDOW_SQL            \
	" AND later.received_ms + " COPY_WINDOW_SQL                                        \
	" AND earlier.seq < later.seq AND NOT (earlier.by_id AND later.by_id));"           \
	"DROP TABLE temp.upgrade_copies;" ID_KEY_INDEX_SQL KEY_FILTER_SQL UPGRADE_FROM_6_SQL
/* Schema 4 had an index on received_ms. */
#define UPGRADE_FROM_4_SQL "DROP INDEX messages_by_received;" UPGRADE_FROM_5_SQL
/* Schema 3 indexed each row as it was written: all of it is indexed, and
 * the triggers get their WHEN. */
#define UPGRADE_FROM_3_SQL                                                                 \
	"DROP TRIGGER messages_fts_delete;"                                                \
	"DROP TRIGGER messages_fts_update;" SEARCH_PROGRESS_SQL UPGRADE_FROM_4_SQL
/* Schema 2 lacked the index of retained keys.  Creating it reads the
 * table once, at the first start. */
#define UPGRADE_FROM_2_SQL RETAINED_KEY_INDEX_SQL UPGRADE_FROM_3_SQL
/* Schema 1 had a dedup_key index and an insert trigger; opening such a
 * file drops both (see SCHEMA_SQL for why). */
#define UPGRADE_FROM_1_SQL                                                                 \
	"DROP INDEX IF EXISTS messages_by_dedup_key;"                                      \
	"DROP TRIGGER IF EXISTS messages_fts_insert;" UPGRADE_FROM_2_SQL

#define INSERT_HEAD_SQL                                                                    \
	"INSERT OR IGNORE INTO messages(id, topic, nick, sender_id, type, text, sent_ms, received_ms," \
	" own, dedup_key, network, room, recipient, unverified) VALUES "
/* The columns of a row, bound in this order (bind_row). */
#define INSERT_COLUMNS 14
#define INSERT_ROW_SQL "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
static const char INSERT_SQL[] = INSERT_HEAD_SQL INSERT_ROW_SQL;
/* A group's rows go in statements of INSERT_ROWS, the rest one by one: a
 * statement's own work (its cursors opened and closed, its halt) is then
 * shared by eight rows (bench/README.md, "Eight rows a statement"). */
#define INSERT_ROWS 8
#define ROW_TAIL_SQL ", " INSERT_ROW_SQL
static const char INSERT_ROWS_SQL[] = INSERT_HEAD_SQL INSERT_ROW_SQL ROW_TAIL_SQL ROW_TAIL_SQL
	ROW_TAIL_SQL ROW_TAIL_SQL ROW_TAIL_SQL ROW_TAIL_SQL ROW_TAIL_SQL;
static const char SEARCH_PROGRESS_QUERY_SQL[] =
	"SELECT indexed_upto, (SELECT coalesce(max(seq), 0) FROM messages) FROM search_progress";
/* One statement for many rows: FTS5 writes them out as one segment. */
static const char INDEX_ROWS_SQL[] =
	"INSERT INTO messages_fts(rowid, text, nick)"
	" SELECT seq, text, nick FROM messages WHERE seq > ?1 AND seq <= ?2";
static const char SET_INDEXED_UPTO_SQL[] = "UPDATE search_progress SET indexed_upto = ?1";
static const char RECALL_KEYS_SQL[] =
	"SELECT dedup_key, received_ms, own FROM messages WHERE seq <= ?1 AND dedup_key IS NOT NULL"
	" ORDER BY seq DESC LIMIT ?2";
static const char HAS_ID_KEY_SQL[] =
	"SELECT 1 FROM messages WHERE dedup_key = ?1 AND " ID_KEY_CONDITION " LIMIT 1";
static const char ID_KEYS_SQL[] =
	"SELECT dedup_key FROM messages WHERE " ID_KEY_CONDITION;
/* Rows after a saved filter's: walked by seq, not through the index. */
static const char ID_KEYS_AFTER_SQL[] =
	"SELECT dedup_key FROM messages NOT INDEXED WHERE seq > ?1 AND " ID_KEY_CONDITION;
static const char SAVED_FILTER_SQL[] = "SELECT covered_upto, filter FROM key_filter";
static const char SAVE_FILTER_SQL[] =
	"INSERT OR REPLACE INTO key_filter(rowid, covered_upto, filter) VALUES (1, ?1, ?2)";
/* How many rows the table can hold at most, without reading them. */
static const char ROW_SPAN_SQL[] =
	"SELECT (SELECT coalesce(max(seq), 0) FROM messages)"
	" - (SELECT coalesce(min(seq), 1) FROM messages) + 1"; /* each one a lookup */
static const char LAST_SEQ_SQL[] = "SELECT coalesce(max(seq), 0) FROM messages";
/* What other processes stored since this one last looked. */
static const char KEYS_SINCE_SQL[] =
	"SELECT dedup_key, received_ms FROM messages WHERE seq > ?1 AND dedup_key IS NOT NULL";
static const char HAS_RETAINED_KEY_SQL[] =
	"SELECT 1 FROM messages WHERE dedup_key = ?1 AND " RETAINED_KEY_CONDITION
	" AND seq <= ?2 LIMIT 1";
static const char LAST_SQL[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN"
	" (SELECT seq FROM messages ORDER BY seq DESC LIMIT ?1) ORDER BY seq";
/* One room's: the table is walked from its newest row until ?1 of them
 * are found.  No index on the room: one on (network, room) made storing a
 * message cost 24 % more instructions (callgrind), for a command people
 * type now and then; without it, the last 20 of a room that has one
 * message in 10 000 take ~90 ms in 300 000 rows, of a busy room 0.1 ms. */
static const char LAST_IN_ROOM_SQL[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN"
	" (SELECT seq FROM messages WHERE network = ?2 AND room = ?3"
	"  ORDER BY seq DESC LIMIT ?1) ORDER BY seq";
/* What a room's people said (no joins or leaves), after a time, for
 * another client's history request: as LAST_IN_ROOM_SQL. */
static const char SAID_IN_ROOM_SQL[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN"
	" (SELECT seq FROM messages WHERE network = ?2 AND room = ?3 AND type IN (0, 1)"
	"  AND coalesce(sent_ms, received_ms) > ?4 ORDER BY seq DESC LIMIT ?1) ORDER BY seq";
/* The full-text index walks its matches newest first and stops at the
 * limit, so a common word costs no more than a rare one. */
static const char SEARCH_SQL[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN"
	" (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1"
	"  ORDER BY rowid DESC LIMIT ?2) ORDER BY seq";
/* One room's: each match, newest first, is looked up by its row until ?2
 * of them are in the room (a word said everywhere, asked of a room that
 * has one message in 10 000: ~0.3 s in 300 000 rows; of a busy room as
 * quick as SEARCH_SQL). */
static const char SEARCH_IN_ROOM_SQL[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN"
	" (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1"
	"  AND (SELECT network = ?3 AND room = ?4 FROM messages WHERE seq = messages_fts.rowid)"
	"  ORDER BY rowid DESC LIMIT ?2) ORDER BY seq";
static const char PRUNE_COUNT_SQL[] =
	"DELETE FROM messages WHERE seq <"
	" (SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?1)";
/* Merges up to ?1 pages of index segments, and only when some level has
 * enough segments to be worth it: nearly free when there is nothing to do. */
static const char MERGE_SQL[] =
	"INSERT INTO messages_fts(messages_fts, rank) VALUES ('merge', ?1)";
/* No merging of index segments inside a commit as FTS5 does by default
 * (automerge; it made one flush in a hundred stall the loop for up to a
 * second at 1M messages): each flush merges a bounded amount instead, see
 * MERGE_SQL.  A level's segments are merged once it holds
 * INDEX_MERGE_SEGMENTS: with FTS5's default, 4, each row's entries were
 * written again more often, and a sender's flood spent half as much again
 * on its index (bench/README.md, "Merging sixteen segments"); searches
 * read more segments, and stay around a millisecond at a million stored.
 * All of a level's segments are merged at once, inside a commit, only
 * past INDEX_CRISIS_SEGMENTS, which the merges of MERGE_SQL keep ahead
 * of.  All three are FTS5's settings, kept in the file: set at open when
 * missing, so that a file made before takes them, and a new index (a new
 * file, an upgrade) too; an older mqchat reads such an index as any
 * other. */
#define INDEX_MERGE_SEGMENTS 16
#define INDEX_CRISIS_SEGMENTS 64
#define INDEX_SETTINGS 3
static const char INDEX_TUNED_SQL[] =
	"SELECT count(*) FROM messages_fts_config WHERE (k = 'automerge' AND v = 0) OR"
	" (k = 'usermerge' AND v = " STRINGIFY(INDEX_MERGE_SEGMENTS) ") OR"
	" (k = 'crisismerge' AND v = " STRINGIFY(INDEX_CRISIS_SEGMENTS) ")";
static const char TUNE_INDEX_SQL[] =
	"INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0);"
	"INSERT INTO messages_fts(messages_fts, rank) VALUES"
	" ('usermerge', " STRINGIFY(INDEX_MERGE_SEGMENTS) ");"
	"INSERT INTO messages_fts(messages_fts, rank) VALUES"
	" ('crisismerge', " STRINGIFY(INDEX_CRISIS_SEGMENTS) ");";
/* Deletes from the oldest row up to the first received at or after ?1,
 * reading no further (rows are stored as they arrive; one received before
 * a clock was set back stays a little longer than its age says). */
static const char PRUNE_AGE_SQL[] =
	"DELETE FROM messages WHERE seq < coalesce("
	" (SELECT seq FROM messages WHERE received_ms >= ?1 ORDER BY seq LIMIT 1),"
	" (SELECT coalesce(max(seq), 0) + 1 FROM messages))";

/* A message another process sharing the file stored: its content digest
 * and when it was received (for mark_stored_by_others). */
struct copy {
	uint64_t content;
	int64_t received_ms;
	bool by_id;
};

/* One message waiting for the next flush.  Its strings share one block. */
struct pending {
	const char *id, *topic, *nick, *sender_id, *text, *dedup_key; /* key: NULL */
	const char *network, *room, *to;
	char *block;
	int type;
	bool own;
	bool unverified;
	bool stored_by_another; /* another process sharing the file has it */
	int64_t sent_ms; /* 0: unknown */
	int64_t received_ms;
};

/* A dedup key of an earlier run: a 64-bit hash of its text (0: empty).
 * INT64_MAX as the time: recognised at any age. */
struct recalled_key {
	uint64_t hash;
	int64_t received_ms;
};

struct history {
	sqlite3 *db;
	sqlite3_stmt *insert, *insert_rows, *progress, *index_rows, *set_indexed_upto, *merge,
		*begin, *commit, *rollback, *recall_keys, *has_retained_key, *last, *search, *last_in_room,
		*search_in_room, *said_in_room, *prune_count, *prune_age,
		*has_id_key, *id_keys, *id_keys_after, *saved_filter, *save_filter, *last_seq,
		*keys_since;
	struct search_words *words; /* made at the first search */
	/* Waiting to be written, oldest first: pending[first .. first + n_pending). */
	struct pending *pending;
	size_t first, n_pending, cap_pending;
	uint64_t dropped;
	size_t unindexed; /* rows not in the full-text index yet, last we looked */
	int log_pages;    /* in the write-ahead log after our last commit */
	/* The log's lengths at which it is copied back next (CHECKPOINT_PAGES). */
	int calm_checkpoint_pages, flood_checkpoint_pages;
	/* The newest row when the store was opened: history_has_key() looks
	 * no further, at what earlier runs (or other processes) stored. */
	int64_t opened_at_seq;
	struct recalled_key *keys; /* NULL until the first history_has_key() */
	size_t keys_mask;
	int64_t recalled_newest_ms; /* the newest received_ms among them */
	/* The newest row when this store last wrote (or opened): what other
	 * processes sharing the file stored since is past it. */
	int64_t seen_upto;
	/* The data version right after this store's last commit (-1: none). */
	int64_t committed_version;
	/* What other processes stored lately (rows read past seen_upto), kept
	 * COPY_WINDOW_MS: a copy of ours may come after their row was read. */
	struct copy *others;
	size_t n_others, cap_others;
	/* The keys of every stored message with an id (history_load_ids);
	 * NULL until loaded.  It holds every row up to ids_upto. */
	struct keyfilter *stored_ids;
	int64_t ids_upto;
	struct strbuf error;
};

static void set_error(struct history *h, const char *what)
{
	strbuf_reset(&h->error);
	strbuf_printf(&h->error, "%s: %s", what, sqlite3_errmsg(h->db));
}

const char *history_error(const struct history *h)
{
	return h->error.data ? h->error.data : "";
}

uint64_t history_dropped(const struct history *h)
{
	return h->dropped;
}

size_t history_pending(const struct history *h)
{
	return h->n_pending;
}

struct sqlite3 *history_connection(struct history *h)
{
	return h->db;
}

/* --- opening ------------------------------------------------------------ */

static bool exec(struct history *h, const char *sql, const char *what)
{
	if (sqlite3_exec(h->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return true;
	set_error(h, what);
	return false;
}

/* Runs a statement returning one integer (a PRAGMA, a count). */
static bool query_int(struct history *h, const char *sql, int64_t *value)
{
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(h->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		set_error(h, "reading the database");
		return false;
	}
	bool ok = sqlite3_step(stmt) == SQLITE_ROW;
	if (ok)
		*value = sqlite3_column_int64(stmt, 0);
	else
		set_error(h, "reading the database");
	sqlite3_finalize(stmt);
	return ok;
}

/* Reads how far the full-text index is (in a transaction: exact; outside
 * one: what another process may change at any time). */
static bool read_progress(struct history *h, int64_t *indexed_upto, int64_t *last_seq)
{
	sqlite3_stmt *s = h->progress;
	bool ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok) {
		*indexed_upto = sqlite3_column_int64(s, 0);
		*last_seq = sqlite3_column_int64(s, 1);
		h->unindexed = *last_seq > *indexed_upto ? (size_t)(*last_seq - *indexed_upto) : 0;
	} else {
		set_error(h, "reading how far the search index is");
	}
	sqlite3_reset(s);
	return ok;
}

/* Runs `sql` and stamps the file with this schema version, in one
 * transaction. */
static bool change_schema(struct history *h, const char *sql, const char *what)
{
	char version_sql[128];
	snprintf(version_sql, sizeof version_sql,
	         "PRAGMA application_id = %d; PRAGMA user_version = %d;",
	         HISTORY_APPLICATION_ID, HISTORY_SCHEMA_VERSION);
	if (!exec(h, "BEGIN IMMEDIATE", what))
		return false;
	if (exec(h, sql, what) && exec(h, version_sql, what) && exec(h, "COMMIT", what))
		return true;
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

/* Creates the schema in a new file, upgrades an older one, or checks that
 * an existing file is an mqchat history this version understands. */
static bool check_or_create_schema(struct history *h)
{
	int64_t version, app_id, tables;
	if (!query_int(h, "PRAGMA user_version", &version) ||
	    !query_int(h, "PRAGMA application_id", &app_id) ||
	    !query_int(h, "SELECT count(*) FROM sqlite_master", &tables))
		return false;
	if (version == 0 && tables == 0)
		return change_schema(h, SCHEMA_SQL, "creating the tables");
	strbuf_reset(&h->error);
	if (app_id != HISTORY_APPLICATION_ID)
		strbuf_appends(&h->error, "not an mqchat history database; "
		                          "set [core] history to another path");
	else if (version > HISTORY_SCHEMA_VERSION)
		strbuf_printf(&h->error,
		              "written by a newer mqchat (schema %lld, this one knows %d); "
		              "upgrade mqchat or use another history path",
		              (long long)version, HISTORY_SCHEMA_VERSION);
	else if (version == 1)
		return change_schema(h, UPGRADE_FROM_1_SQL, "upgrading the tables");
	else if (version == 2)
		return change_schema(h, UPGRADE_FROM_2_SQL, "upgrading the tables");
	else if (version == 3)
		return change_schema(h, UPGRADE_FROM_3_SQL, "upgrading the tables");
	else if (version == 4)
		return change_schema(h, UPGRADE_FROM_4_SQL, "upgrading the tables");
	else if (version == 5)
		return change_schema(h, UPGRADE_FROM_5_SQL, "upgrading the tables");
	else if (version == 6)
		return change_schema(h, UPGRADE_FROM_6_SQL, "upgrading the tables");
	else if (version == 7)
		return change_schema(h, UPGRADE_FROM_7_SQL, "upgrading the tables");
	else if (version == 8)
		return change_schema(h, UPGRADE_FROM_8_SQL, "upgrading the tables");
	else
		return true;
	return false;
}

/* mqc_message_key(id, sent_ms, nick, type, text): dedup_message_key() in
 * SQL, for upgrades. */
static void message_key_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *text[5];
	for (int i = 0; i < 5; i++) {
		text[i] = (const char *)sqlite3_value_text(argv[i]);
		text[i] = text[i] ? text[i] : "";
	}
	struct strbuf key = STRBUF_INIT;
	dedup_message_key(&key, text[0], sqlite3_value_int64(argv[1]), text[2],
	                  (enum mqc_msg_type)sqlite3_value_int(argv[3]), text[4]);
	sqlite3_result_text(ctx, strbuf_str(&key), (int)key.len, SQLITE_TRANSIENT);
	strbuf_free(&key);
}

/* mqc_key_content(key): the content digest in a key, or NULL. */
static void key_content_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *key = (const char *)sqlite3_value_text(argv[0]);
	uint64_t content;
	if (key && dedup_key_content(key, &content))
		sqlite3_result_int64(ctx, (sqlite3_int64)content);
	else
		sqlite3_result_null(ctx);
}

static bool add_key_functions(struct history *h)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
	if (sqlite3_create_function(h->db, "mqc_message_key", 5, flags, NULL, message_key_sql,
	                            NULL, NULL) == SQLITE_OK &&
	    sqlite3_create_function(h->db, "mqc_key_content", 1, flags, NULL, key_content_sql,
	                            NULL, NULL) == SQLITE_OK)
		return true;
	set_error(h, "preparing the database");
	return false;
}

static bool prepare(struct history *h, const char *sql, sqlite3_stmt **stmt)
{
	/* PERSISTENT: these live as long as the connection. */
	if (sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) ==
	    SQLITE_OK)
		return true;
	set_error(h, "preparing a statement");
	return false;
}

/* A statement most processes never run (a replay, a search, pruning: 6-11
 * KiB each, 63 KiB for the seven): prepared at its first use, not at open.
 * NULL after set_error(). */
static sqlite3_stmt *prepared(struct history *h, sqlite3_stmt **stmt, const char *sql)
{
	return *stmt || prepare(h, sql, stmt) ? *stmt : NULL;
}

/* Where the log is copied back next: see CHECKPOINT_PAGES. */
static void draw_checkpoint_pages(struct history *h)
{
	h->calm_checkpoint_pages = (int)random_spread(CHECKPOINT_PAGES);
	h->flood_checkpoint_pages = WAL_MAX_PAGES / 2 + (int)random_below(WAL_MAX_PAGES / 2);
}

/* After each commit: how many pages the log holds now. */
static int note_log_size(void *data, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	((struct history *)data)->log_pages = pages;
	return SQLITE_OK;
}

/* The index's merge settings, written once per index. */
static bool tune_index(struct history *h)
{
	int64_t tuned;
	if (!query_int(h, INDEX_TUNED_SQL, &tuned))
		return false;
	return tuned == INDEX_SETTINGS || exec(h, TUNE_INDEX_SQL, "configuring the search index");
}

static bool setup(struct history *h)
{
	sqlite3_extended_result_codes(h->db, 1);
	/* Creating or upgrading the schema may wait a little longer for
	 * another mqchat's write than a flush does. */
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS * 20);
	int64_t ignored;
	char tuning_sql[160];
	snprintf(tuning_sql, sizeof tuning_sql,
	         "PRAGMA cache_size = -%d; PRAGMA journal_size_limit = %d;", HISTORY_CACHE_KIB,
	         WAL_KEPT_BYTES);
	sqlite3_wal_hook(h->db, note_log_size, h); /* no automatic checkpoints: see copy_log_back */
	/* The first read tells a file that is not a database at all.  WAL with
	 * synchronous=NORMAL: a commit is a write to the log, no fsync; the
	 * log is synced when it is copied back (a power cut may lose the
	 * last commits, never the file). */
	if (!query_int(h, "PRAGMA journal_mode = WAL", &ignored) ||
	    !exec(h, "PRAGMA synchronous = NORMAL", "configuring the database") ||
	    !exec(h, tuning_sql, "configuring the database") || !add_key_functions(h) ||
	    !check_or_create_schema(h) || !tune_index(h) ||
	    !query_int(h, LAST_SEQ_SQL, &h->opened_at_seq))
		return false;
	h->seen_upto = h->opened_at_seq;
	h->committed_version = -1;
	draw_checkpoint_pages(h);
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS);
	int64_t indexed_upto, last_seq;
	return prepare(h, INSERT_SQL, &h->insert) && prepare(h, INSERT_ROWS_SQL, &h->insert_rows) &&
	       prepare(h, SEARCH_PROGRESS_QUERY_SQL, &h->progress) &&
	       prepare(h, INDEX_ROWS_SQL, &h->index_rows) &&
	       prepare(h, SET_INDEXED_UPTO_SQL, &h->set_indexed_upto) &&
	       prepare(h, MERGE_SQL, &h->merge) && prepare(h, "BEGIN IMMEDIATE", &h->begin) &&
	       prepare(h, "COMMIT", &h->commit) && prepare(h, "ROLLBACK", &h->rollback) &&
	       prepare(h, RECALL_KEYS_SQL, &h->recall_keys) &&
	       prepare(h, HAS_RETAINED_KEY_SQL, &h->has_retained_key) &&
	       prepare(h, HAS_ID_KEY_SQL, &h->has_id_key) && prepare(h, ID_KEYS_SQL, &h->id_keys) &&
	       prepare(h, ID_KEYS_AFTER_SQL, &h->id_keys_after) &&
	       prepare(h, SAVED_FILTER_SQL, &h->saved_filter) &&
	       prepare(h, SAVE_FILTER_SQL, &h->save_filter) &&
	       prepare(h, LAST_SEQ_SQL, &h->last_seq) &&
	       prepare(h, KEYS_SINCE_SQL, &h->keys_since) &&
	       read_progress(h, &indexed_upto, &last_seq);
}

static void finalize_all(struct history *h)
{
	sqlite3_stmt **stmts[] = {
		&h->insert,        &h->insert_rows,  &h->progress,         &h->index_rows,
		&h->set_indexed_upto, &h->merge,     &h->begin,            &h->commit,
		&h->rollback,      &h->recall_keys,  &h->has_retained_key, &h->last,
		&h->search,        &h->prune_count,  &h->prune_age,        &h->has_id_key,
		&h->id_keys,       &h->last_seq,     &h->keys_since,       &h->id_keys_after,
		&h->saved_filter,  &h->save_filter,  &h->last_in_room,     &h->search_in_room,
		&h->said_in_room};
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
		sqlite3_finalize(*stmts[i]);
		*stmts[i] = NULL;
	}
}

struct history *history_open(const char *path, struct strbuf *err)
{
	if (!dbfile_make_private(path, "history", err))
		return NULL;
	struct history *h = xcalloc(1, sizeof *h);
	/* One thread uses the connection (the loop's), so SQLite's locking of
	 * it, and its count of memory in use, which nothing reads, are work
	 * for nothing: with them, two mutex pairs per call and per allocation
	 * cost ~2,000 instructions per message stored (callgrind).  The count
	 * can only be switched off before SQLite's first use; later, the call
	 * fails and changes nothing. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &h->db, flags, walwrite_vfs(NULL)) != SQLITE_OK || !setup(h)) {
		if (h->error.len == 0)
			set_error(h, "opening the database");
		if (err)
			strbuf_printf(err, "history %s: %s", path, strbuf_str(&h->error));
		finalize_all(h);
		sqlite3_close(h->db);
		strbuf_free(&h->error);
		free(h);
		return NULL;
	}
	return h;
}

/* --- writing ------------------------------------------------------------ */

static const char *column_text(sqlite3_stmt *s, int col)
{
	const unsigned char *text = sqlite3_column_text(s, col);
	return text ? (const char *)text : "";
}

static uint64_t key_hash(const char *key)
{
	uint64_t hash = dedup_digest("", key, strlen(key));
	return hash ? hash : 1; /* 0 marks a free slot */
}

static bool is_id_key(const char *key)
{
	return strncmp(key, "id:", 3) == 0;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static struct pending *oldest_pending(struct history *h)
{
	return h->pending + h->first;
}

/* Frees the `n` oldest pending messages (written or given up). */
static void forget_oldest_pending(struct history *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h->pending[h->first + i].block);
	h->first += n;
	h->n_pending -= n;
	if (h->n_pending == 0)
		h->first = 0;
}

/* Room for one more at the end: reuse the space of what was written, or
 * grow. */
static void make_room(struct history *h)
{
	if (h->first + h->n_pending < h->cap_pending)
		return;
	if (h->first > 0) {
		memmove(h->pending, oldest_pending(h), h->n_pending * sizeof *h->pending);
		h->first = 0;
		return;
	}
	h->cap_pending = h->cap_pending ? h->cap_pending * 2 : 64;
	h->pending = xrealloc(h->pending, h->cap_pending * sizeof *h->pending);
}

/* The strings a pending message copies into its block. */
#define N_PENDING_STRINGS 9

void history_add(struct history *h, const struct mqc_message *msg, const char *dedup_key,
                 int64_t received_ms)
{
	if (msg->type == MQC_MSG_STATUS || (msg->flags & MQC_MSG_HISTORY))
		return;
	if (h->n_pending == HISTORY_MAX_PENDING) {
		forget_oldest_pending(h, HISTORY_MAX_PENDING / 10);
		h->dropped += HISTORY_MAX_PENDING / 10;
	}
	make_room(h);

	const char *fields[N_PENDING_STRINGS] = {
		or_empty(msg->id),   or_empty(msg->topic),   or_empty(msg->nick),
		or_empty(msg->sender_id), or_empty(msg->text), dedup_key ? dedup_key : "",
		or_empty(msg->network), or_empty(msg->room), or_empty(msg->to)};
	const char *copies[N_PENDING_STRINGS];
	char *block = xpack_strings(0, N_PENDING_STRINGS, fields, copies);
	h->pending[h->first + h->n_pending++] = (struct pending){
		.id = copies[0], .topic = copies[1], .nick = copies[2], .sender_id = copies[3],
		.text = copies[4], .dedup_key = dedup_key ? copies[5] : NULL, .network = copies[6],
		.room = copies[7], .to = copies[8], .block = block,
		.type = (int)msg->type, .own = (msg->flags & MQC_MSG_OWN) != 0,
		.unverified = (msg->flags & MQC_MSG_UNVERIFIED) != 0, .sent_ms = msg->time_ms,
		.received_ms = received_ms ? received_ms : msg->time_ms};
	if (h->stored_ids && dedup_key && is_id_key(dedup_key))
		keyfilter_add(h->stored_ids, key_hash(dedup_key));
}

/* Steps a statement that returns no row, and resets it. */
static bool run(struct history *h, sqlite3_stmt *s, const char *what)
{
	bool ok = sqlite3_step(s) == SQLITE_DONE;
	if (!ok)
		set_error(h, what);
	sqlite3_reset(s);
	return ok;
}

/* Binds row `p` as the statement's row number `row` (from 0).  The row
 * alone: index_rows() puts its words in the full-text index.  Every
 * parameter is bound each time, so bindings need no clearing; STATIC: the
 * strings outlive the steps, and the statements are reset before they are
 * freed. */
static void bind_row(sqlite3_stmt *s, int row, const struct pending *p)
{
	int at = row * INSERT_COLUMNS;
	sqlite3_bind_text(s, at + 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 2, p->topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 3, p->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 4, p->sender_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, at + 5, p->type);
	sqlite3_bind_text(s, at + 6, p->text, -1, SQLITE_STATIC);
	if (p->sent_ms)
		sqlite3_bind_int64(s, at + 7, p->sent_ms);
	else
		sqlite3_bind_null(s, at + 7);
	sqlite3_bind_int64(s, at + 8, p->received_ms);
	sqlite3_bind_int(s, at + 9, p->own);
	if (p->dedup_key)
		sqlite3_bind_text(s, at + 10, p->dedup_key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, at + 10);
	sqlite3_bind_text(s, at + 11, p->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 12, p->room, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 13, p->to, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, at + 14, p->unverified);
}

/* Inserts the `n` oldest pending messages, but those another process
 * stored, in their order: INSERT_ROWS a statement, the rest one by one. */
static bool insert_oldest(struct history *h, size_t n)
{
	const struct pending *rows[INSERT_ROWS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pending *p = oldest_pending(h) + i;
		if (p->stored_by_another)
			continue;
		rows[k++] = p;
		if (k < INSERT_ROWS)
			continue;
		for (size_t r = 0; r < k; r++)
			bind_row(h->insert_rows, (int)r, rows[r]);
		if (!run(h, h->insert_rows, "storing messages"))
			return false;
		k = 0;
	}
	for (size_t r = 0; r < k; r++) {
		bind_row(h->insert, 0, rows[r]);
		if (!run(h, h->insert, "storing a message"))
			return false;
	}
	return true;
}

/* Quietly: the error that made us give up is the one worth keeping (and
 * SQLite may have rolled back already). */
static void roll_back(struct history *h)
{
	sqlite3_step(h->rollback);
	sqlite3_reset(h->rollback);
}

static bool merge_some(struct history *h)
{
	sqlite3_bind_int(h->merge, 1, MERGE_PAGES_PER_FLUSH);
	return run(h, h->merge, "merging the search index");
}

/* Indexes the oldest `max_rows` rows not in the full-text index yet,
 * inside the caller's transaction. */
static bool index_rows(struct history *h, size_t max_rows)
{
	int64_t upto, last;
	if (!read_progress(h, &upto, &last))
		return false;
	if (h->unindexed == 0)
		return true;
	int64_t target = h->unindexed > max_rows ? upto + (int64_t)max_rows : last;
	sqlite3_bind_int64(h->index_rows, 1, upto);
	sqlite3_bind_int64(h->index_rows, 2, target);
	sqlite3_bind_int64(h->set_indexed_upto, 1, target);
	if (!run(h, h->index_rows, "indexing messages") ||
	    !run(h, h->set_indexed_upto, "indexing messages") || !merge_some(h))
		return false;
	h->unindexed = (size_t)(last - target); /* kept if the commit fails: a guess */
	return true;
}

/* Copies the log back into the file (a checkpoint) once it is long: a
 * calm flush at about CHECKPOINT_PAGES, one during a flood only at about
 * WAL_MAX_PAGES.  PASSIVE: what another process still reads stays. */
static void copy_log_back(struct history *h, bool flood)
{
	if (h->log_pages < (flood ? h->flood_checkpoint_pages : h->calm_checkpoint_pages))
		return;
	/* One try: what a reader (another process) still holds, or a busy
	 * lock, waits for the next flush that commits, not for an idle loop
	 * to try again every few milliseconds. */
	(void)sqlite3_wal_checkpoint_v2(h->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	h->log_pages = 0; /* the next commit counts again */
	draw_checkpoint_pages(h);
}

/* Steps a statement returning one integer, and resets it. */
static bool step_int(struct history *h, sqlite3_stmt *s, int64_t *value)
{
	bool ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*value = sqlite3_column_int64(s, 0);
	else
		set_error(h, "reading the database");
	sqlite3_reset(s);
	return ok;
}

/* A row another process stored: what it says, when. */
static int by_content(const void *a, const void *b)
{
	uint64_t x = ((const struct copy *)a)->content, y = ((const struct copy *)b)->content;
	return x < y ? -1 : x > y;
}

/* Is pending `p` one of the `n` copies (sorted by content)? */
static bool among_copies(const struct pending *p, const struct copy *copies, size_t n)
{
	uint64_t content;
	if (!p->dedup_key || !dedup_key_content(p->dedup_key, &content))
		return false;
	size_t lo = 0, hi = n;
	while (lo < hi) { /* the first copy with this content */
		size_t mid = lo + (hi - lo) / 2;
		if (copies[mid].content < content)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool by_id = is_id_key(p->dedup_key);
	for (size_t i = lo; i < n && copies[i].content == content; i++) {
		int64_t apart = copies[i].received_ms - p->received_ms;
		if (apart >= -COPY_WINDOW_MS && apart <= COPY_WINDOW_MS && !(by_id && copies[i].by_id))
			return true;
	}
	return false;
}

/* Adds to h->others the keys other processes sharing the file stored
 * since this one last wrote (rows after seen_upto); keys with an id join
 * the filter of stored ones.  False on an error. */
static bool read_others_keys(struct history *h)
{
	sqlite3_stmt *s = h->keys_since;
	sqlite3_bind_int64(s, 1, h->seen_upto);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = column_text(s, 0);
		uint64_t content;
		if (h->stored_ids && is_id_key(key))
			keyfilter_add(h->stored_ids, key_hash(key));
		if (!dedup_key_content(key, &content))
			continue;
		if (h->n_others == h->cap_others) {
			h->cap_others = h->cap_others ? h->cap_others * 2 : 64;
			h->others = xrealloc(h->others, h->cap_others * sizeof *h->others);
		}
		h->others[h->n_others++] =
			(struct copy){content, sqlite3_column_int64(s, 1), is_id_key(key)};
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		set_error(h, "reading what other processes stored");
	return rc == SQLITE_DONE;
}

/* Forgets the copies received before `before_ms`: none of ours can be
 * one of them any more.  Those kept stay in their order. */
static void forget_old_copies(struct history *h, int64_t before_ms)
{
	size_t j = 0;
	for (size_t i = 0; i < h->n_others; i++)
		if (h->others[i].received_ms >= before_ms)
			h->others[j++] = h->others[i];
	h->n_others = j;
}

/* The pager's data version: it moves with every commit to the file, this
 * connection's and others' (seen when a transaction begins).  -1 if this
 * SQLite cannot tell. */
static int64_t data_version(struct history *h)
{
	unsigned v;
	return sqlite3_file_control(h->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) == SQLITE_OK
		? (int64_t)v : -1;
}

/* Inside a transaction, before it writes: whether anything but this
 * store's own writes committed since its last one (another process, the
 * outbox on this connection, a prune), when its newest row is no longer
 * seen_upto for sure.  Asked of the data version, not of the table
 * (bench/README.md, "The newest row without a query"). */
static bool others_committed(struct history *h)
{
	int64_t now = data_version(h);
	return now < 0 || now != h->committed_version;
}

/* Inside the flush's transaction: marks the `n` oldest pending messages
 * that another process sharing the file has stored (each process stores
 * what it receives, and its own messages: two participants under one user
 * store the same messages), in rows written since this one last wrote or
 * read before, within COPY_WINDOW_MS: our copy may come after theirs was
 * read.  Copies with an id are left to the unique index.  Nothing to read
 * while no other process writes (`unseen`: others_committed()).  Sets
 * *newest to the newest row's number (rows we have not read are past
 * seen_upto). */
static bool mark_stored_by_others(struct history *h, size_t n, bool unseen, int64_t *newest)
{
	*newest = h->seen_upto;
	if (unseen && !step_int(h, h->last_seq, newest))
		return false;
	size_t known = h->n_others;
	if (*newest > h->seen_upto && !read_others_keys(h))
		return false;
	/* Sorted once when rows are read; forgetting keeps the order. */
	if (h->n_others > known)
		qsort(h->others, h->n_others, sizeof *h->others, by_content);
	forget_old_copies(h, oldest_pending(h)->received_ms - COPY_WINDOW_MS);
	if (!h->n_others)
		return true;
	for (size_t i = 0; i < n; i++) {
		struct pending *p = oldest_pending(h) + i;
		p->stored_by_another = among_copies(p, h->others, h->n_others);
	}
	return true;
}

/* Writes the `n` oldest pending messages, and indexes up to `index_max`
 * rows, in one transaction. */
static int write_oldest(struct history *h, size_t n, size_t index_max, bool flood)
{
	if (n == 0 && (index_max == 0 || h->unindexed == 0)) {
		copy_log_back(h, flood);
		return 0;
	}
	/* The outbox shares this connection and waits longer for locks. */
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS);
	if (!run(h, h->begin, "starting to store messages"))
		return -1;
	bool unseen = others_committed(h);
	int64_t last = h->seen_upto;
	if (n && !mark_stored_by_others(h, n, unseen, &last)) {
		roll_back(h);
		return -1;
	}
	int changes = sqlite3_total_changes(h->db);
	if (!insert_oldest(h, n)) {
		roll_back(h);
		return -1;
	}
	/* Each row is numbered after the newest, which we hold the lock on. */
	if (sqlite3_total_changes(h->db) != changes)
		last = sqlite3_last_insert_rowid(h->db);
	if ((index_max && !index_rows(h, index_max)) || !run(h, h->commit, "storing messages")) {
		roll_back(h);
		return -1;
	}
	/* A commit of another's that this transaction did not read (an index
	 * pass alone reads none) stays to be read by the next write. */
	if (n || !unseen)
		h->committed_version = data_version(h);
	/* Rows up to `last` are ours (in the filter when added) or were read
	 * by mark_stored_by_others(). */
	if (h->stored_ids && h->ids_upto >= h->seen_upto && last > h->ids_upto)
		h->ids_upto = last;
	h->seen_upto = last;
	if (!index_max)
		h->unindexed += n; /* index_rows() counts them otherwise */
	forget_oldest_pending(h, n);
	copy_log_back(h, flood);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* Rows to index along with `n` written when the index is left behind:
 * none, unless it is past its bound; then at least as many as written, so
 * that the bound holds. */
static size_t lagging_index_max(const struct history *h, size_t n)
{
	if (h->unindexed + n < HISTORY_INDEX_LAG_MAX)
		return 0;
	return n > HISTORY_INDEX_SLICE ? n : HISTORY_INDEX_SLICE;
}

int history_flush_some(struct history *h, size_t max_messages, bool flood)
{
	size_t n = h->n_pending < max_messages ? h->n_pending : max_messages;
	size_t index_max = flood ? lagging_index_max(h, n) : n + HISTORY_INDEX_SLICE;
	return write_oldest(h, n, index_max, flood);
}

int history_store_pending(struct history *h)
{
	/* As a flood's: the log is copied back only once very long. */
	return write_oldest(h, h->n_pending, lagging_index_max(h, h->n_pending), true);
}

int history_flush(struct history *h)
{
	return history_flush_some(h, h->n_pending, false);
}

bool history_has_idle_work(const struct history *h)
{
	return h->unindexed > 0 || h->log_pages >= h->calm_checkpoint_pages;
}

/* --- reading ------------------------------------------------------------ */

static struct recalled_key *find_key(const struct history *h, uint64_t hash)
{
	size_t i = (size_t)(hash ^ hash >> 32) & h->keys_mask;
	while (h->keys[i].hash && h->keys[i].hash != hash)
		i = (i + 1) & h->keys_mask;
	return &h->keys[i];
}

static void recall(struct history *h, uint64_t hash, int64_t received_ms)
{
	struct recalled_key *k = find_key(h, hash);
	if (!k->hash || received_ms > k->received_ms)
		*k = (struct recalled_key){hash, received_ms};
}

/* Our own message as a plain receiver keys it ("dg:" and its content),
 * at any age: the broker hands it back after a restart (the echo of our
 * own, queued in our session), as it does another participant's message
 * stored by a process sharing the file, and both were shown already. */
static void recall_own_content(struct history *h, const char *key)
{
	uint64_t content;
	if (!is_id_key(key) || !dedup_key_content(key, &content))
		return;
	struct strbuf plain = STRBUF_INIT;
	dedup_content_key(&plain, content);
	recall(h, key_hash(plain.data), INT64_MAX);
	strbuf_free(&plain);
}

/* Reads the newest keys stored before the store was opened, once. */
static void recall_keys(struct history *h)
{
	size_t size = 2;
	while (size < HISTORY_KEYS_RECALLED * 2) /* half full at most */
		size *= 2;
	h->keys = xcalloc(size, sizeof *h->keys);
	h->keys_mask = size - 1;
	sqlite3_stmt *s = h->recall_keys;
	sqlite3_bind_int64(s, 1, h->opened_at_seq);
	sqlite3_bind_int(s, 2, HISTORY_KEYS_RECALLED);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = column_text(s, 0);
		int64_t received_ms = sqlite3_column_int64(s, 1);
		recall(h, key_hash(key), received_ms);
		if (received_ms > h->recalled_newest_ms)
			h->recalled_newest_ms = received_ms;
		if (sqlite3_column_int(s, 2))
			recall_own_content(h, key);
	}
	if (rc != SQLITE_DONE)
		set_error(h, "reading the keys of earlier messages");
	sqlite3_reset(s);
}

int64_t history_earlier_end_ms(struct history *h)
{
	if (h->opened_at_seq == 0)
		return 0;
	if (!h->keys)
		recall_keys(h);
	return h->recalled_newest_ms;
}

bool history_has_key(struct history *h, const char *dedup_key, int64_t since_ms)
{
	if (!dedup_key || !*dedup_key || h->opened_at_seq == 0)
		return false;
	if (!h->keys)
		recall_keys(h);
	const struct recalled_key *k = find_key(h, key_hash(dedup_key));
	return k->hash && k->received_ms >= since_ms;
}

/* The filter the last process to close the file saved, if it is sound
 * and not much larger than the table (pruned rows stay in a filter):
 * *covered is the newest row it holds. */
static struct keyfilter *saved_filter(struct history *h, int64_t last, int64_t rows,
                                      int64_t *covered)
{
	struct keyfilter *f = NULL;
	sqlite3_stmt *s = h->saved_filter;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*covered = sqlite3_column_int64(s, 0);
		f = keyfilter_load(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
	}
	sqlite3_reset(s);
	if (f && (*covered > last || *covered < 0 ||
	          keyfilter_count(f) > 2 * (size_t)rows + HISTORY_KEYS_RECALLED)) {
		keyfilter_free(f);
		f = NULL;
	}
	return f;
}

void history_load_ids(struct history *h)
{
	if (h->stored_ids)
		return;
	int64_t last = 0, rows = 0, covered = 0;
	(void)query_int(h, LAST_SEQ_SQL, &last);
	(void)query_int(h, ROW_SPAN_SQL, &rows);
	rows = rows > 0 ? rows : 0;
	h->stored_ids = saved_filter(h, last, rows, &covered);
	if (!h->stored_ids) {
		covered = 0;
		h->stored_ids = keyfilter_new((size_t)rows + (size_t)rows / 2);
	}
	sqlite3_stmt *s = covered ? h->id_keys_after : h->id_keys;
	if (covered)
		sqlite3_bind_int64(s, 1, covered);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		keyfilter_add(h->stored_ids, key_hash(column_text(s, 0)));
	if (rc != SQLITE_DONE)
		set_error(h, "reading the keys of stored messages");
	sqlite3_reset(s);
	h->ids_upto = last;
	for (size_t i = 0; i < h->n_pending; i++) {
		const char *key = oldest_pending(h)[i].dedup_key;
		if (key && is_id_key(key))
			keyfilter_add(h->stored_ids, key_hash(key));
	}
}

/* Leaves the filter in the file for the next start (quietly: without it
 * the next start reads every key). */
static void save_filter(struct history *h)
{
	struct strbuf bytes = STRBUF_INIT;
	keyfilter_save(h->stored_ids, &bytes);
	sqlite3_stmt *s = h->save_filter;
	sqlite3_bind_int64(s, 1, h->ids_upto);
	sqlite3_bind_blob64(s, 2, bytes.data, bytes.len, SQLITE_STATIC);
	(void)sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	strbuf_free(&bytes);
}

static bool pending_has(struct history *h, const char *key)
{
	for (size_t i = 0; i < h->n_pending; i++) {
		const char *other = oldest_pending(h)[i].dedup_key;
		if (other && strcmp(other, key) == 0)
			return true;
	}
	return false;
}

bool history_has_message(struct history *h, const char *key)
{
	if (!key || !is_id_key(key))
		return false;
	history_load_ids(h);
	if (!keyfilter_may_contain(h->stored_ids, key_hash(key)))
		return false;
	if (pending_has(h, key))
		return true;
	sqlite3_stmt *s = h->has_id_key;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		set_error(h, "looking for a stored message");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW;
}

bool history_has_retained_key(struct history *h, const char *retained_key)
{
	if (!retained_key || h->opened_at_seq == 0)
		return false;
	sqlite3_stmt *s = h->has_retained_key;
	sqlite3_bind_text(s, 1, retained_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, h->opened_at_seq);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		set_error(h, "looking for a retained message");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW;
}

/* The text columns a read returns (MESSAGE_COLUMNS' positions). */
enum {
	COL_ID = 0, COL_TOPIC = 1, COL_NICK = 2, COL_SENDER = 3, COL_TEXT = 5,
	COL_NETWORK = 9, COL_ROOM = 10, COL_RECIPIENT = 11
};
static const int TEXT_COLUMNS[] = {COL_ID,   COL_TOPIC,   COL_NICK, COL_SENDER,
                                   COL_TEXT, COL_NETWORK, COL_ROOM, COL_RECIPIENT};
#define N_TEXT_COLUMNS (sizeof TEXT_COLUMNS / sizeof TEXT_COLUMNS[0])

/* A row's text, sanitised like anything received: the file may have been
 * written by something else than mqchat (another user, a hand, an older
 * bug), and rows go to terminals and logs. */
static const char *clean_column(sqlite3_stmt *s, int col, struct strbuf *out)
{
	strbuf_reset(out);
	const char *text = (const char *)sqlite3_column_blob(s, col);
	sanitize_append(out, text ? text : "", (size_t)sqlite3_column_bytes(s, col));
	return strbuf_str(out);
}

/* Runs a bound read statement: each row, in order, goes to `fn`. */
static int deliver_rows(struct history *h, sqlite3_stmt *s, history_fn fn, void *data)
{
	int count = 0, rc;
	struct strbuf clean[N_TEXT_COLUMNS] = {0};
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *text[N_TEXT_COLUMNS];
		for (size_t i = 0; i < N_TEXT_COLUMNS; i++)
			text[i] = clean_column(s, TEXT_COLUMNS[i], &clean[i]);
		int type = sqlite3_column_int(s, 4);
		bool sent_known = sqlite3_column_type(s, 6) != SQLITE_NULL;
		struct mqc_message msg = {
			.type = type >= MQC_MSG_MESSAGE && type <= MQC_MSG_LEAVE
			                ? (enum mqc_msg_type)type
			                : MQC_MSG_MESSAGE,
			.flags = MQC_MSG_HISTORY | (sqlite3_column_int(s, 8) ? MQC_MSG_OWN : 0u) |
			         (sqlite3_column_int(s, 12) ? MQC_MSG_UNVERIFIED : 0u),
			.id = text[0], .topic = text[1], .nick = text[2], .sender_id = text[3],
			.text = text[4], .network = text[5], .room = text[6], .to = text[7],
			.time_ms = sqlite3_column_int64(s, sent_known ? 6 : 7),
		};
		fn(data, &msg);
		count++;
	}
	for (size_t i = 0; i < N_TEXT_COLUMNS; i++)
		strbuf_free(&clean[i]);
	if (rc != SQLITE_DONE) {
		set_error(h, "reading messages");
		count = -1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return count;
}

static sqlite3_int64 as_sql_limit(size_t n)
{
	return n > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)n;
}

/* Reads show what was added so far; when another mqchat holds the write
 * lock for a moment they still show what is on disk rather than nothing. */
static void flush_before_reading(struct history *h)
{
	(void)history_flush(h);
}

int history_last_in(struct history *h, const struct roomref *where, size_t n, history_fn fn,
                    void *data)
{
	flush_before_reading(h);
	if (n == 0)
		return 0;
	sqlite3_stmt *s = where ? prepared(h, &h->last_in_room, LAST_IN_ROOM_SQL)
	                        : prepared(h, &h->last, LAST_SQL);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, as_sql_limit(n));
	if (where) {
		sqlite3_bind_text(s, 2, where->network, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, where->room, -1, SQLITE_STATIC);
	}
	return deliver_rows(h, s, fn, data);
}

int history_said_in(struct history *h, const struct roomref *where, int64_t since_ms,
                    size_t n, history_fn fn, void *data)
{
	flush_before_reading(h);
	if (n == 0)
		return 0;
	sqlite3_stmt *s = prepared(h, &h->said_in_room, SAID_IN_ROOM_SQL);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, as_sql_limit(n));
	sqlite3_bind_text(s, 2, where->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, where->room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, since_ms);
	return deliver_rows(h, s, fn, data);
}

int history_last(struct history *h, size_t n, history_fn fn, void *data)
{
	return history_last_in(h, NULL, n, fn, data);
}

/* A search finds what was said so far: the index catches up first, at
 * most HISTORY_INDEX_LAG_MAX rows (bench/README.md), with what another
 * process sharing the file wrote and left for its own index timer. */
static void index_everything(struct history *h)
{
	int64_t indexed_upto, last_seq;
	if (!read_progress(h, &indexed_upto, &last_seq))
		return;
	while (h->unindexed && write_oldest(h, 0, HISTORY_INDEX_BEFORE_SEARCH, false) == 0)
		;
}

int history_search_in(struct history *h, const struct roomref *where, const char *words,
                      size_t limit, history_fn fn, void *data)
{
	flush_before_reading(h);
	index_everything(h);
	if (!h->words) {
		strbuf_reset(&h->error);
		if (!(h->words = search_words_new(h->db, &h->error)))
			return -1;
	}
	struct strbuf query = STRBUF_INIT;
	if (limit == 0 || !words || !search_words_query(h->words, words, &query)) {
		strbuf_free(&query);
		return 0;
	}
	sqlite3_stmt *s = where ? prepared(h, &h->search_in_room, SEARCH_IN_ROOM_SQL)
	                        : prepared(h, &h->search, SEARCH_SQL);
	if (!s) {
		strbuf_free(&query);
		return -1;
	}
	sqlite3_bind_text(s, 1, strbuf_str(&query), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, as_sql_limit(limit));
	if (where) {
		sqlite3_bind_text(s, 3, where->network, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, where->room, -1, SQLITE_STATIC);
	}
	int count = deliver_rows(h, s, fn, data);
	strbuf_free(&query);
	return count;
}

int history_search(struct history *h, const char *words, size_t limit, history_fn fn,
                   void *data)
{
	return history_search_in(h, NULL, words, limit, fn, data);
}

/* --- retention ---------------------------------------------------------- */

/* Runs the deletion `sql` (its statement kept in `*stmt`) with its one
 * parameter, `bound`: how many rows went, or -1. */
static int64_t run_delete(struct history *h, sqlite3_stmt **stmt, const char *sql,
                          int64_t bound)
{
	sqlite3_stmt *s = prepared(h, stmt, sql);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, bound);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		set_error(h, "deleting old messages");
		return -1;
	}
	return sqlite3_changes64(h->db);
}

int64_t history_prune(struct history *h, int64_t max_messages, int64_t max_days, int64_t now_ms)
{
	if (history_flush(h) < 0)
		return -1;
	if (max_messages <= 0 && max_days <= 0)
		return 0;
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS);
	if (!exec(h, "BEGIN IMMEDIATE", "starting to delete old messages"))
		return -1;
	int64_t deleted = 0, n = 0;
	if (max_messages > 0) {
		n = run_delete(h, &h->prune_count, PRUNE_COUNT_SQL, max_messages - 1);
		deleted += n > 0 ? n : 0;
	}
	/* Days beyond what fits before now_ms simply delete nothing. */
	if (n >= 0 && max_days > 0 && max_days <= now_ms / MS_PER_DAY) {
		n = run_delete(h, &h->prune_age, PRUNE_AGE_SQL, now_ms - max_days * MS_PER_DAY);
		deleted += n > 0 ? n : 0;
	}
	if (n < 0 || !exec(h, "COMMIT", "deleting old messages")) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return deleted;
}

/* --- closing ------------------------------------------------------------ */

int history_close(struct history *h)
{
	if (!h)
		return 0;
	int rc = history_flush(h) < 0 ? -1 : 0;
	if (rc == 0 && h->stored_ids)
		save_filter(h);
	forget_oldest_pending(h, h->n_pending);
	free(h->pending);
	free(h->keys);
	free(h->others);
	keyfilter_free(h->stored_ids);
	search_words_free(h->words);
	finalize_all(h);
	sqlite3_close(h->db);
	strbuf_free(&h->error);
	free(h);
	return rc;
}
