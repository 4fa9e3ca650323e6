/* SPDX-License-Identifier: MIT */
#include "outbox.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbfile.h"
#include "sanitize.h"
#include "walwrite.h"

/* A write waits this long for a lock held by another mqchat process: a
 * message's copy is worth a longer wait than a history flush. */
#define OUTBOX_BUSY_TIMEOUT_MS 1000

/* A row's destination: the network (the backend's instance), the broker
 * and the room, or the recipient of a private message; and, for a message
 * a bridge relays, where it was first said and how many bridges relayed
 * it.  Tables made before they were kept get them empty: such rows match
 * no destination and are never sent. */
#define DESTINATION_COLUMNS                                                          \
	" network TEXT NOT NULL DEFAULT '', broker TEXT NOT NULL DEFAULT '',"        \
	" room TEXT NOT NULL DEFAULT ''"
#define RELAY_COLUMNS                                                                \
	" recipient TEXT NOT NULL DEFAULT '', origin TEXT NOT NULL DEFAULT '',"      \
	" hops INTEGER NOT NULL DEFAULT 0"
#define SCHEMA_SQL                                                                   \
	"CREATE TABLE IF NOT EXISTS outbox ("                                        \
	" seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type INTEGER NOT NULL,"         \
	" nick TEXT NOT NULL, text TEXT NOT NULL, sent_ms INTEGER NOT NULL,"         \
	" owner TEXT NOT NULL," DESTINATION_COLUMNS "," RELAY_COLUMNS ")"
#define UPGRADE_DESTINATION_SQL                                                      \
	"ALTER TABLE outbox ADD COLUMN network TEXT NOT NULL DEFAULT '';"            \
	"ALTER TABLE outbox ADD COLUMN broker TEXT NOT NULL DEFAULT '';"             \
	"ALTER TABLE outbox ADD COLUMN room TEXT NOT NULL DEFAULT ''"
#define UPGRADE_RELAY_SQL                                                            \
	"ALTER TABLE outbox ADD COLUMN recipient TEXT NOT NULL DEFAULT '';"          \
	"ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT '';"             \
	"ALTER TABLE outbox ADD COLUMN hops INTEGER NOT NULL DEFAULT 0"
#define INSERT_SQL                                                                   \
	"INSERT INTO outbox (id, type, nick, text, sent_ms, owner, network, broker, room," \
	" recipient, origin, hops) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
/* By row number: no index to keep up besides the table's own.  A run of
 * consecutive numbers at once: a stream's acknowledgements free rows in
 * the order they were saved, so a batch is mostly one run (outbox_flush). */
#define DELETE_SQL "DELETE FROM outbox WHERE seq BETWEEN ?1 AND ?2"
#define OWNERS_SQL "SELECT DISTINCT owner FROM outbox WHERE owner <> ?"
/* A gone process's rows for a network of ours (on the same broker) become
 * ours; the rest are nobody's ('' is never a live process) until a run
 * for theirs starts. */
#define ADOPT_SQL                                                                    \
	"UPDATE outbox SET owner = ?1 WHERE owner = ?2 AND network = ?3 AND broker = ?4"
#define SET_ASIDE_SQL "UPDATE outbox SET owner = '' WHERE owner = ?"
#define ELSEWHERE_SQL                                                                \
	"SELECT network, broker, room, count(*) FROM outbox WHERE owner = ''"        \
	" GROUP BY network, broker, room ORDER BY min(seq)"
#define MINE_SQL                                                                     \
	"SELECT id, type, nick, text, sent_ms, seq, room, recipient, origin, hops"    \
	" FROM outbox WHERE owner = ?1 AND network = ?2 AND broker = ?3 ORDER BY seq"

struct outbox {
	sqlite3 *db;
	bool owns_db; /* false: the history store's connection */
	sqlite3_stmt *insert, *delete, *owners, *adopt, *set_aside, *elsewhere, *mine;
	char owner[64]; /* "<pid>:<start time>" of this process */
	size_t count;  /* saved, not yet acknowledged */
	size_t saving; /* put in the open transaction */
	int64_t *forgotten; /* row numbers */
	size_t n_forgotten, cap_forgotten;
	struct strbuf error;
};

static void set_error(struct outbox *ob, const char *what)
{
	strbuf_reset(&ob->error);
	strbuf_printf(&ob->error, "%s: %s", what, sqlite3_errmsg(ob->db));
}

/* "<pid>:<start time in clock ticks since boot>": a pid alone may be
 * reused by an unrelated process.  False when the process does not exist. */
static bool process_token(pid_t pid, char *out, size_t size)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields are
	 * counted from the last ')'.  Start time is field 22. */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	unsigned long long start = strtoull(p + 1, NULL, 10);
	snprintf(out, size, "%ld:%llu", (long)pid, start);
	return true;
}

static bool owner_alive(const char *owner)
{
	char *end;
	long pid = strtol(owner, &end, 10);
	char now[64];
	if (*end != ':' || pid <= 0 || !process_token((pid_t)pid, now, sizeof now))
		return false;
	return strcmp(now, owner) == 0;
}

static bool exec(struct outbox *ob, const char *sql, const char *what)
{
	if (sqlite3_exec(ob->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return true;
	set_error(ob, what);
	return false;
}

static bool prepare(struct outbox *ob, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v3(ob->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) ==
	    SQLITE_OK)
		return true;
	set_error(ob, "preparing a statement");
	return false;
}

/* Starts a write transaction, waiting for another process's lock as long
 * as the outbox does (the connection may be shared with history, whose
 * flushes wait less). */
static bool begin_write(struct outbox *ob, const char *what)
{
	sqlite3_busy_timeout(ob->db, OUTBOX_BUSY_TIMEOUT_MS);
	return exec(ob, "BEGIN IMMEDIATE", what);
}

/* WAL: a commit is an append, and readers never block the writer.  NORMAL
 * survives a crash of the process, which is what the outbox is for; only a
 * power cut may take the last commits.  (The history store configures its
 * connection the same way.) */
static bool configure_own_file(struct outbox *ob)
{
	sqlite3_extended_result_codes(ob->db, 1);
	return exec(ob, "PRAGMA journal_mode = WAL", "opening the database") &&
	       exec(ob, "PRAGMA synchronous = NORMAL", "configuring the database");
}

/* Whether the table has `column` (a table from before it does not). */
static bool has_column(struct outbox *ob, const char *column)
{
	char sql[64];
	snprintf(sql, sizeof sql, "SELECT %s FROM outbox LIMIT 0", column);
	sqlite3_stmt *probe = NULL;
	int rc = sqlite3_prepare_v2(ob->db, sql, -1, &probe, NULL);
	sqlite3_finalize(probe);
	return rc == SQLITE_OK;
}

/* Adds the columns of `upgrade` unless `probe` is there already. */
static bool upgrade(struct outbox *ob, const char *probe, const char *upgrade)
{
	return has_column(ob, probe) || exec(ob, upgrade, "upgrading the outbox table");
}

/* Creates the table, or gives an older one the columns it lacks: in a
 * write transaction, so that two processes starting together do it once. */
static bool create_or_upgrade(struct outbox *ob)
{
	if (!exec(ob, SCHEMA_SQL, "creating the outbox table"))
		return false;
	if (has_column(ob, "hops"))
		return true;
	if (!begin_write(ob, "upgrading the outbox table"))
		return false;
	if (upgrade(ob, "room", UPGRADE_DESTINATION_SQL) && upgrade(ob, "hops", UPGRADE_RELAY_SQL) &&
	    exec(ob, "COMMIT", "upgrading the outbox table"))
		return true;
	sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

static bool setup(struct outbox *ob)
{
	return create_or_upgrade(ob) && prepare(ob, INSERT_SQL, &ob->insert) &&
	       prepare(ob, DELETE_SQL, &ob->delete) && prepare(ob, OWNERS_SQL, &ob->owners) &&
	       prepare(ob, ADOPT_SQL, &ob->adopt) && prepare(ob, SET_ASIDE_SQL, &ob->set_aside) &&
	       prepare(ob, ELSEWHERE_SQL, &ob->elsewhere) && prepare(ob, MINE_SQL, &ob->mine);
}

static void finalize_all(struct outbox *ob)
{
	sqlite3_stmt *stmts[] = {ob->insert,    ob->delete,    ob->owners, ob->adopt,
	                         ob->set_aside, ob->elsewhere, ob->mine};
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		sqlite3_finalize(stmts[i]);
}

static struct outbox *outbox_new(sqlite3 *db, bool owns_db)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	ob->db = db;
	ob->owns_db = owns_db;
	process_token(getpid(), ob->owner, sizeof ob->owner);
	return ob;
}

static struct outbox *failed(struct outbox *ob, const char *path, struct strbuf *err)
{
	if (!ob->error.len)
		set_error(ob, "opening the database");
	strbuf_printf(err, "outbox %s: %s", path, strbuf_str(&ob->error));
	outbox_close(ob);
	return NULL;
}

struct outbox *outbox_open(const char *path, struct strbuf *err)
{
	if (!dbfile_make_private(path, "outbox", err))
		return NULL;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, walwrite_vfs(NULL));
	struct outbox *ob = outbox_new(db, true);
	if (rc != SQLITE_OK || !configure_own_file(ob) || !setup(ob))
		return failed(ob, path, err);
	return ob;
}

struct outbox *outbox_open_in(struct sqlite3 *db, const char *path, struct strbuf *err)
{
	struct outbox *ob = outbox_new(db, false);
	if (!setup(ob))
		return failed(ob, path, err);
	return ob;
}

/* --- taking over --------------------------------------------------------- */

/* Binds a network and its broker from parameter `first` on. */
static void bind_destination(sqlite3_stmt *s, int first, const struct outbox_dest *dest)
{
	sqlite3_bind_text(s, first, dest->network ? dest->network : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 1, dest->broker ? dest->broker : "", -1, SQLITE_STATIC);
}

/* Takes over a gone process's rows for `dest` and sets the rest aside. */
static bool adopt_one(struct outbox *ob, const char *dead, const struct outbox_dest *dest)
{
	sqlite3_bind_text(ob->adopt, 1, ob->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(ob->adopt, 2, dead, -1, SQLITE_STATIC);
	bind_destination(ob->adopt, 3, dest);
	bool ok = sqlite3_step(ob->adopt) == SQLITE_DONE;
	sqlite3_reset(ob->adopt);
	if (ok && *dead) {
		sqlite3_bind_text(ob->set_aside, 1, dead, -1, SQLITE_STATIC);
		ok = sqlite3_step(ob->set_aside) == SQLITE_DONE;
		sqlite3_reset(ob->set_aside);
	}
	return ok;
}

static bool adopt_orphans(struct outbox *ob, const struct outbox_dest *dest)
{
	/* Owners are read and adopted in one write transaction, so two
	 * processes starting together never both take the same rows. */
	if (!begin_write(ob, "taking over the outbox"))
		return false;
	sqlite3_bind_text(ob->owners, 1, ob->owner, -1, SQLITE_STATIC);
	struct strbuf dead = STRBUF_INIT; /* owners, each followed by '\0' */
	int rc;
	while ((rc = sqlite3_step(ob->owners)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(ob->owners, 0);
		if (owner && !owner_alive(owner))
			strbuf_append(&dead, owner, strlen(owner) + 1);
	}
	sqlite3_reset(ob->owners);
	bool ok = rc == SQLITE_DONE;
	for (size_t at = 0; ok && at < dead.len; at += strlen(dead.data + at) + 1)
		ok = adopt_one(ob, dead.data + at, dest);
	strbuf_free(&dead);
	if (ok && exec(ob, "COMMIT", "taking over the outbox"))
		return true;
	if (!ok)
		set_error(ob, "taking over the outbox");
	sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

/* Column `i` of `s` as shown: sanitised, as it may come from anyone
 * who could write the file. */
static void append_column(struct strbuf *out, sqlite3_stmt *s, int i)
{
	const char *text = (const char *)sqlite3_column_text(s, i);
	if (text)
		sanitize_append(out, text, strlen(text));
}

bool outbox_elsewhere(struct outbox *ob, struct strbuf *out)
{
	int rc;
	while ((rc = sqlite3_step(ob->elsewhere)) == SQLITE_ROW) {
		const char *network = (const char *)sqlite3_column_text(ob->elsewhere, 0);
		strbuf_printf(out, "%s%lld ", out->len ? ", " : "",
		              (long long)sqlite3_column_int64(ob->elsewhere, 3));
		if (!network || !*network) {
			strbuf_appends(out, "saved by an older mqchat, without their destination");
			continue;
		}
		strbuf_appends(out, "for ");
		append_column(out, ob->elsewhere, 0);
		strbuf_appends(out, " (");
		append_column(out, ob->elsewhere, 1);
		strbuf_appends(out, ", room ");
		append_column(out, ob->elsewhere, 2);
		strbuf_appends(out, ")");
	}
	sqlite3_reset(ob->elsewhere);
	if (rc == SQLITE_DONE)
		return true;
	set_error(ob, "reading the outbox");
	return false;
}

/* Row `s` of MINE_SQL as a message of `dest`'s network. */
static struct mqc_message mine_message(sqlite3_stmt *s, const struct outbox_dest *dest)
{
	int type = sqlite3_column_int(s, 1);
	int64_t hops = sqlite3_column_int64(s, 9);
	return (struct mqc_message){
		.type = (enum mqc_msg_type)type,
		.flags = MQC_MSG_OWN,
		.id = (const char *)sqlite3_column_text(s, 0),
		.nick = (const char *)sqlite3_column_text(s, 2),
		.text = (const char *)sqlite3_column_text(s, 3),
		.topic = "",
		.sender_id = "",
		.time_ms = sqlite3_column_int64(s, 4),
		.network = dest->network,
		.room = (const char *)sqlite3_column_text(s, 6),
		.to = (const char *)sqlite3_column_text(s, 7),
		.origin = (const char *)sqlite3_column_text(s, 8),
		.hops = hops > 0 && hops < 256 ? (unsigned)hops : 0,
	};
}

int outbox_claim(struct outbox *ob, const struct outbox_dest *dest, outbox_fn fn, void *data)
{
	if (!adopt_orphans(ob, dest))
		return -1;
	sqlite3_bind_text(ob->mine, 1, ob->owner, -1, SQLITE_STATIC);
	bind_destination(ob->mine, 2, dest);
	int n = 0, rc;
	while ((rc = sqlite3_step(ob->mine)) == SQLITE_ROW) {
		struct mqc_message msg = mine_message(ob->mine, dest);
		if (msg.type != MQC_MSG_MESSAGE && msg.type != MQC_MSG_ACTION)
			continue; /* not written by this version: leave it */
		if (!msg.id || !msg.nick || !msg.text || !msg.room || !msg.to || !msg.origin)
			continue;
		fn(data, &msg, sqlite3_column_int64(ob->mine, 5));
		n++;
	}
	sqlite3_reset(ob->mine);
	if (rc != SQLITE_DONE) {
		set_error(ob, "reading the outbox");
		return -1;
	}
	ob->count += (size_t)n;
	return n;
}

/* --- saving and forgetting ----------------------------------------------- */

bool outbox_save_begin(struct outbox *ob)
{
	ob->saving = 0;
	return begin_write(ob, "saving to the outbox");
}

bool outbox_save_put(struct outbox *ob, const struct mqc_message *msg, const char *broker,
                     int64_t *seq)
{
	sqlite3_stmt *s = ob->insert;
	sqlite3_bind_text(s, 1, msg->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)msg->type);
	sqlite3_bind_text(s, 3, msg->nick, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, msg->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, msg->time_ms);
	sqlite3_bind_text(s, 6, ob->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, msg->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, broker, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, msg->room, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, msg->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, msg->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 12, (int)msg->hops);
	bool ok = sqlite3_step(s) == SQLITE_DONE;
	sqlite3_reset(s);
	ob->saving += ok;
	*seq = sqlite3_last_insert_rowid(ob->db);
	if (!ok) {
		set_error(ob, "saving to the outbox");
		sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ok;
}

bool outbox_save_commit(struct outbox *ob)
{
	if (!exec(ob, "COMMIT", "saving to the outbox")) {
		sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
		return false;
	}
	ob->count += ob->saving;
	return true;
}

size_t outbox_forget(struct outbox *ob, int64_t seq)
{
	if (ob->n_forgotten == ob->cap_forgotten) {
		ob->cap_forgotten = ob->cap_forgotten ? ob->cap_forgotten * 2 : 64;
		ob->forgotten = xrealloc(ob->forgotten, ob->cap_forgotten * sizeof *ob->forgotten);
	}
	ob->forgotten[ob->n_forgotten++] = seq;
	if (ob->count)
		ob->count--;
	return ob->n_forgotten;
}

static int compare_seq(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Whether `next` (sorted after `prev`) continues its run: row numbers come
 * from the file, which may hold any, up to INT64_MAX. */
static bool continues_run(int64_t prev, int64_t next)
{
	return next == prev || (prev < INT64_MAX && next == prev + 1);
}

/* Deletes rows first..last: every number between is one of ours, buffered
 * for removal (the runs of outbox_flush). */
static bool delete_run(struct outbox *ob, int64_t first, int64_t last)
{
	sqlite3_bind_int64(ob->delete, 1, first);
	sqlite3_bind_int64(ob->delete, 2, last);
	bool ok = sqlite3_step(ob->delete) == SQLITE_DONE;
	sqlite3_reset(ob->delete);
	return ok;
}

bool outbox_flush(struct outbox *ob)
{
	if (!ob->n_forgotten)
		return true;
	if (!begin_write(ob, "removing from the outbox"))
		return false;
	int64_t *seqs = ob->forgotten;
	size_t n = ob->n_forgotten;
	qsort(seqs, n, sizeof *seqs, compare_seq);
	bool ok = true;
	for (size_t i = 0, j; ok && i < n; i = j) {
		for (j = i + 1; j < n && continues_run(seqs[j - 1], seqs[j]); j++)
			;
		ok = delete_run(ob, seqs[i], seqs[j - 1]);
	}
	if (ok && exec(ob, "COMMIT", "removing from the outbox")) {
		ob->n_forgotten = 0;
		return true;
	}
	if (!ok)
		set_error(ob, "removing from the outbox");
	sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

size_t outbox_count(const struct outbox *ob)
{
	return ob->count;
}

const char *outbox_error(const struct outbox *ob)
{
	return ob->error.data ? ob->error.data : "";
}

void outbox_close(struct outbox *ob)
{
	if (!ob)
		return;
	if (ob->insert)
		outbox_flush(ob);
	finalize_all(ob);
	if (ob->owns_db)
		sqlite3_close(ob->db);
	free(ob->forgotten);
	strbuf_free(&ob->error);
	free(ob);
}
