/* SPDX-License-Identifier: MIT */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

/*
 * Keys live in a ring, oldest first, so forgetting the oldest is O(1); an
 * open-addressing index (linear probing, positions into the ring) finds
 * them.  A digest recorded afresh after its window moves to the ring's
 * head: its old slot is marked dead and simply falls off the tail later.
 */

/* A retained digest is kept apart from a live one: it never expires. */
enum key_kind { KIND_ID = 1, KIND_DIGEST = 2, KIND_RETAINED = 3 };

struct slot {
	uint64_t key;
	uint64_t seen_ms;
	uint8_t kind; /* enum key_kind */
	bool live;
};

#define NO_SLOT UINT32_MAX

struct dedup {
	struct slot *ring;
	size_t capacity; /* ring size */
	size_t head;     /* next slot to write */
	size_t used;     /* slots in the ring, live or dead */
	size_t live;     /* keys in the index */
	uint32_t *index; /* ring positions, NO_SLOT when empty */
	size_t index_mask;
	uint32_t window_ms;
};

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325u;
static const uint64_t FNV_PRIME = 0x100000001b3u;

static uint64_t fnv1a(uint64_t h, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t dedup_digest(const char *topic, const void *payload, size_t len)
{
	/* The NUL between them keeps ("ab", "c") and ("a", "bc") apart: an
	 * MQTT topic never contains one. */
	if (!topic)
		topic = "";
	uint64_t h = fnv1a(FNV_OFFSET, topic, strlen(topic) + 1);
	return fnv1a(h, payload, len);
}

static uint64_t id_hash(const char *id)
{
	static const char domain = 'i';
	return fnv1a(fnv1a(FNV_OFFSET, &domain, 1), id, strlen(id));
}

/* FNV's low bits are weak; the index uses them, so stir first. */
static size_t index_start(const struct dedup *d, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdu;
	key ^= key >> 33;
	return (size_t)key & d->index_mask;
}

struct dedup *dedup_new(size_t capacity, uint32_t digest_window_ms)
{
	if (capacity == 0)
		capacity = DEDUP_DEFAULT_CAPACITY;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	struct dedup *d = xcalloc(1, sizeof *d);
	d->capacity = capacity;
	d->ring = xcalloc(capacity, sizeof *d->ring);
	size_t index_size = 8;
	while (index_size < capacity * 2) /* load factor <= 1/2 */
		index_size *= 2;
	d->index = xmalloc(index_size * sizeof *d->index);
	for (size_t i = 0; i < index_size; i++)
		d->index[i] = NO_SLOT;
	d->index_mask = index_size - 1;
	d->window_ms = digest_window_ms;
	return d;
}

void dedup_free(struct dedup *d)
{
	if (!d)
		return;
	free(d->ring);
	free(d->index);
	free(d);
}

size_t dedup_count(const struct dedup *d)
{
	return d->live;
}

/* Position in the index of the key, or of the empty cell ending its
 * probe sequence. */
static size_t index_find(const struct dedup *d, uint64_t key, uint8_t kind)
{
	size_t i = index_start(d, key);
	while (d->index[i] != NO_SLOT) {
		const struct slot *s = &d->ring[d->index[i]];
		if (s->key == key && s->kind == kind)
			return i;
		i = (i + 1) & d->index_mask;
	}
	return i;
}

/* Linear-probing deletion without tombstones: pull later members of the
 * cluster back into the hole when their home allows it. */
static void index_delete(struct dedup *d, size_t hole)
{
	d->index[hole] = NO_SLOT;
	size_t i = hole;
	for (;;) {
		i = (i + 1) & d->index_mask;
		if (d->index[i] == NO_SLOT)
			return;
		size_t home = index_start(d, d->ring[d->index[i]].key);
		/* Movable unless its home lies cyclically in (hole, i]. */
		bool home_after_hole = hole <= i ? (home > hole && home <= i)
		                                 : (home > hole || home <= i);
		if (!home_after_hole) {
			d->index[hole] = d->index[i];
			d->index[i] = NO_SLOT;
			hole = i;
		}
	}
}

static void forget_oldest(struct dedup *d)
{
	size_t tail = (d->head + d->capacity - d->used) % d->capacity;
	struct slot *s = &d->ring[tail];
	if (s->live) {
		index_delete(d, index_find(d, s->key, s->kind));
		s->live = false;
		d->live--;
	}
	d->used--;
}

static void record(struct dedup *d, uint64_t key, uint8_t kind, uint64_t now_ms)
{
	if (d->used == d->capacity)
		forget_oldest(d);
	size_t pos = d->head;
	d->ring[pos] = (struct slot){key, now_ms, kind, true};
	d->head = (d->head + 1) % d->capacity;
	d->used++;
	d->live++;
	d->index[index_find(d, key, kind)] = (uint32_t)pos;
}

static bool within_window(const struct dedup *d, const struct slot *s, uint64_t now_ms)
{
	/* A clock that stepped back counts as "just now". */
	return s->kind != KIND_DIGEST || now_ms < s->seen_ms || now_ms - s->seen_ms <= d->window_ms;
}

static void key_of(const char *id, const char *topic, const void *payload, size_t len,
                   uint64_t *key, uint8_t *kind)
{
	if (id && *id) {
		*key = id_hash(id);
		*kind = KIND_ID;
	} else {
		*key = dedup_digest(topic, payload, len);
		*kind = KIND_DIGEST;
	}
}

bool dedup_contains(const struct dedup *d, const char *id, const char *topic,
                    const void *payload, size_t len, uint64_t now_ms)
{
	uint64_t key;
	uint8_t kind;
	key_of(id, topic, payload, len, &key, &kind);
	size_t i = index_find(d, key, kind);
	return d->index[i] != NO_SLOT && within_window(d, &d->ring[d->index[i]], now_ms);
}

static bool seen(struct dedup *d, uint64_t key, uint8_t kind, uint64_t now_ms)
{
	size_t i = index_find(d, key, kind);
	if (d->index[i] != NO_SLOT) {
		struct slot *s = &d->ring[d->index[i]];
		if (within_window(d, s, now_ms))
			return true;
		/* Expired: the same words said again.  Record afresh. */
		s->live = false;
		d->live--;
		index_delete(d, i);
	}
	record(d, key, kind, now_ms);
	return false;
}

bool dedup_seen(struct dedup *d, const char *id, const char *topic, const void *payload,
                size_t len, uint64_t now_ms)
{
	uint64_t key;
	uint8_t kind;
	key_of(id, topic, payload, len, &key, &kind);
	return seen(d, key, kind, now_ms);
}

bool dedup_seen_retained(struct dedup *d, const char *topic, const void *payload, size_t len,
                         uint64_t now_ms)
{
	return seen(d, dedup_digest(topic, payload, len), KIND_RETAINED, now_ms);
}

/* Keys are made for every message stored: by hand, not printf. */
static void digest_key(struct strbuf *out, const char *prefix, const char *topic,
                       const void *payload, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t digest = dedup_digest(topic, payload, len);
	char hex[16];
	for (int i = 15; i >= 0; i--, digest >>= 4)
		hex[i] = digits[digest & 15];
	strbuf_appends(out, prefix);
	strbuf_append(out, hex, sizeof hex);
}

bool dedup_key(struct strbuf *out, const char *id, const char *topic, const void *payload,
               size_t len)
{
	if (id && *id) {
		strbuf_appends(out, "id:");
		strbuf_appends(out, id);
		return true;
	}
	digest_key(out, "dg:", topic, payload, len);
	return false;
}

void dedup_retained_key(struct strbuf *out, const char *topic, const void *payload, size_t len)
{
	digest_key(out, "rt:", topic, payload, len); /* history.c indexes "rt:" */
}
