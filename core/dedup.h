/* SPDX-License-Identifier: MIT */
/*
 * Recognising a message seen before: a QoS 1 redelivery, our own message
 * echoed back by the broker, the same json message arriving twice.
 *
 * A message's key is its id when it has one (json wire), else a 64-bit
 * digest of its topic and payload (plain wire, where two people may well
 * say "hola" a minute apart: so a digest only counts as a repeat within a
 * time window, except a retained message's, which the broker sends again
 * at every reconnection).  The set lives in memory and is bounded: past `capacity`
 * keys the oldest is forgotten.  For repeats across a restart the core asks
 * the history store (history_has_key) with the key from dedup_key(), and for
 * a retained message also with the one from dedup_retained_key().
 */
#ifndef MQC_DEDUP_H
#define MQC_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct dedup;

/* A set of at most `capacity` keys (0 means DEDUP_DEFAULT_CAPACITY); a
 * digest is a repeat only within `digest_window_ms` of its first sighting.
 * Ids never expire: they go only when evicted.  Free with dedup_free(). */
#define DEDUP_DEFAULT_CAPACITY 4096
struct dedup *dedup_new(size_t capacity, uint32_t digest_window_ms);

/*
 * Has this message been seen before?  `id` may be NULL or "" (no id); then
 * `topic` (NULL = "") and the `len` payload bytes are digested.  The first
 * time, records the key at `now_ms` and returns false; for a repeat returns
 * true.  A digest last recorded more than the window before `now_ms` is
 * not a repeat: it is recorded afresh and false is returned.  A repeat does
 * not extend the window.
 *
 * Call it for every message received and for every message published
 * (ignoring the result), so that the broker's echo of our own is known.
 */
bool dedup_seen(struct dedup *d, const char *id, const char *topic, const void *payload,
                size_t len, uint64_t now_ms);

/*
 * The same question for a retained message (MQC_MSG_RETAINED), which the
 * broker sends again at every subscription, however long after it was
 * published: its digest of `topic` and `payload` never expires (it goes
 * only when evicted).  Kept apart from dedup_seen()'s keys, so a message
 * may be asked about with both.
 */
bool dedup_seen_retained(struct dedup *d, const char *topic, const void *payload, size_t len,
                         uint64_t now_ms);

/* True for a key that dedup_seen() would recognise at `now_ms`, without
 * recording anything. */
bool dedup_contains(const struct dedup *d, const char *id, const char *topic,
                    const void *payload, size_t len, uint64_t now_ms);

/*
 * The key as text, for the history store's dedup_key column: "id:<id>"
 * for a message with an id, "dg:<16 hex digits>" for a digest.  Appended to
 * `out`.  Returns true for an id key (ask history_has_key with since_ms 0)
 * and false for a digest (ask with since_ms = now - window).
 */
bool dedup_key(struct strbuf *out, const char *id, const char *topic, const void *payload,
               size_t len);

/*
 * The key a retained message is stored under, "rt:<16 hex digits>" (the
 * digest of `topic` and `payload`, whether or not it has an id), appended
 * to `out`.  The history store indexes the keys with this prefix (they are
 * rare), so that a retained message is recognised at a later start however
 * long ago it was stored (history_has_retained_key).
 */
void dedup_retained_key(struct strbuf *out, const char *topic, const void *payload, size_t len);

/* The 64-bit digest of topic + payload used for messages without an id. */
uint64_t dedup_digest(const char *topic, const void *payload, size_t len);

/* Number of keys currently held (<= capacity). */
size_t dedup_count(const struct dedup *d);

void dedup_free(struct dedup *d);

#endif
