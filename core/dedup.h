/* SPDX-License-Identifier: MIT */
/*
 * Recognising a message seen before: a QoS 1 redelivery, our own message
 * echoed back by the broker, the same json message arriving twice.
 *
 * A repeat is the same message, not merely the same label.  A message's
 * identity (struct dedup_identity, computed once when it arrives or is
 * said, from what is shown and stored) is, when it has an id (json wire),
 * its id together with a digest of its time, nick, type and text: a copy
 * with the same id and other words is another message (a forgery, or a
 * sender reusing ids), shown and stored too, and reported as a conflict.
 * Without an id (plain wire) it is a digest of nick, type and text alone,
 * where two people may well say "hola" a minute apart: so such a digest
 * only counts as a repeat within a time window.  A retained message also
 * has a digest of its topic and payload, which never expires: the broker
 * sends it again at every reconnection.
 *
 * The set lives in memory and is bounded: past `capacity` messages the
 * oldest is forgotten (a message with an id, found by its id too, takes
 * one place like one without).  For repeats across a restart the core asks the history
 * store with the identity's `key` (history_has_message, history_has_key)
 * and, for a retained message, with its `retained_key`.
 */
#ifndef MQC_DEDUP_H
#define MQC_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

struct dedup;

/* What makes a message the same message.  Built by dedup_identify(), freed
 * by dedup_identity_free(). */
struct dedup_identity {
	/* The history store's dedup_key: for a message with an id
	 * "id:<16 hex: time><16 hex: content>:<id>" (fixed width first, so
	 * keys sort by time: an index on them grows at its end), else
	 * "dg:<16 hex: content>". */
	struct strbuf key;
	/* A retained message's "rt:<16 hex>" (digest of topic and payload);
	 * empty for others. */
	struct strbuf retained_key;
	uint64_t content;  /* digest of nick, type and text */
	uint64_t hash;     /* the in-memory set's key (without an id: the
	                      content and the room) */
	uint64_t id_hash;  /* the id alone (for conflicts); 0 without an id */
	uint64_t retained_digest;
	bool by_id;
	bool retained;
};

/*
 * The identity of `msg` as shown and stored (sanitised id, nick, type and
 * text; MQC_MSG_RETAINED in its flags), with `ts_ms` the sender's time when
 * the message carries one (json "ts"; 0 when absent).  `topic` and the
 * `len` payload bytes are digested for a retained message only.
 */
void dedup_identify(struct dedup_identity *out, const struct mqc_message *msg, int64_t ts_ms,
                    const char *topic, const void *payload, size_t len);
/* The same into an identity made before, whose buffers are used again. */
void dedup_identify_again(struct dedup_identity *out, const struct mqc_message *msg,
                          int64_t ts_ms, const char *topic, const void *payload, size_t len);
void dedup_identity_free(struct dedup_identity *ident);

/* The key dedup_identify() puts in `key`, appended to `out`: for the
 * history store, which rebuilds the keys of rows stored by older versions
 * with it.  `id` "" makes a "dg:" key. */
void dedup_message_key(struct strbuf *out, const char *id, int64_t ts_ms, const char *nick,
                       enum mqc_msg_type type, const char *text);

/* "dg:<16 hex>": the key of a message without an id whose content digest
 * is `content`, appended to `out`. */
void dedup_content_key(struct strbuf *out, uint64_t content);

/* The content digest inside a history key made by dedup_identify(): true
 * and *content set for an "id:" or "dg:" key, false for others. */
bool dedup_key_content(const char *key, uint64_t *content);

/* A set of at most `capacity` messages (0 means DEDUP_DEFAULT_CAPACITY),
 * 48 bytes each once held; a digest is a repeat only within
 * `digest_window_ms` of its first sighting.  Ids never expire: they go only
 * when evicted.  It takes room for DEDUP_FIRST_SLOTS messages at first and
 * doubles as it fills.  Free with dedup_free(). */
#define DEDUP_DEFAULT_CAPACITY 4096
#define DEDUP_FIRST_SLOTS 1024
/* Without history the set is the only memory of ids.  After a restart a
 * broker sends again every message it had in flight to a persistent
 * session, and mosquitto 2.0.11 lets that window grow past the Receive
 * Maximum asked for with each restart (2 775 in the session file the
 * fifth restart of delivery-broker-restarts saved, 20 asked).  As many
 * as 16-bit packet ids can keep in flight: 3 MB when full. */
#define DEDUP_NO_HISTORY_CAPACITY 65536
struct dedup *dedup_new(size_t capacity, uint32_t digest_window_ms);

enum dedup_verdict {
	DEDUP_NEW,      /* first sighting: recorded */
	DEDUP_REPEAT,   /* the same message again */
	DEDUP_CONFLICT, /* new, but another message had its id: recorded */
};

/*
 * Has this message been seen before?  The first time, records it at
 * `now_ms` and returns DEDUP_NEW (or DEDUP_CONFLICT when a different
 * message with the same id was recorded).  A digest (no id) last recorded
 * more than the window before `now_ms` is not a repeat: it is recorded
 * afresh.  A repeat does not extend the window.
 *
 * Call it for every message received and for every message said
 * (ignoring the result), so that the broker's echo of our own is known.
 */
enum dedup_verdict dedup_check(struct dedup *d, const struct dedup_identity *ident,
                               uint64_t now_ms);

/*
 * The same question for a retained message (MQC_MSG_RETAINED), which the
 * broker sends again at every subscription, however long after it was
 * published: its digest of topic and payload never expires (it goes only
 * when evicted).  Kept apart from dedup_check()'s keys, so a message may be
 * asked about with both.
 */
bool dedup_seen_retained(struct dedup *d, const struct dedup_identity *ident, uint64_t now_ms);

/* True for a message that dedup_check() would call a repeat at `now_ms`,
 * without recording anything. */
bool dedup_contains(const struct dedup *d, const struct dedup_identity *ident, uint64_t now_ms);

/* True for a message recorded at most `window_ms` before `now_ms` (a
 * digest's own window aside; an id at any age), without recording
 * anything: a copy the network marked as sent again may come later than
 * the digest window. */
bool dedup_seen_within(const struct dedup *d, const struct dedup_identity *ident,
                       uint64_t now_ms, uint64_t window_ms);

/* The 64-bit digest of topic + payload (a retained message's, our own
 * echoes'): stable across runs and processes. */
uint64_t dedup_digest(const char *topic, const void *payload, size_t len);

/* Number of messages (and retained digests) currently held (<= capacity). */
size_t dedup_count(const struct dedup *d);

void dedup_free(struct dedup *d);

#endif
