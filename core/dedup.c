/* SPDX-License-Identifier: MIT */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "fnv.h"

/*
 * Messages live in a ring, oldest first, one slot each, so forgetting the
 * oldest is O(1); an open-addressing index (linear probing, positions into
 * the ring) finds them.  A digest recorded afresh after its window moves
 * to the ring's head: its old slot is marked dead and simply falls off the
 * tail later.
 */

/* A retained digest is kept apart from a live one: it never expires.  A
 * message with an id is also found by its id alone, to tell a conflicting
 * copy: a second index entry for the same slot, so that it costs no place
 * in the ring (with a slot of its own, the set held half as many json
 * messages as plain ones, and a broker's redelivery of a few thousand
 * after a restart got past it). */
enum key_kind { KIND_ID = 1, KIND_DIGEST = 2, KIND_RETAINED = 3, KIND_ID_ALONE = 4 };

struct slot {
	uint64_t key;
	uint64_t id_key; /* the id alone, when id_indexed */
	uint64_t seen_ms;
	uint8_t kind; /* enum key_kind, of key */
	bool live;
	bool id_indexed;
};

#define NO_SLOT UINT32_MAX
/* In an index entry: the entry finds the slot by its id_key (ring
 * positions stay below 2^30). */
#define BY_ID_ALONE 0x80000000u

struct dedup {
	struct slot *ring;
	size_t capacity; /* most messages held */
	size_t slots;    /* the ring's size: grows to capacity as it fills */
	size_t head;     /* next slot to write */
	size_t used;     /* slots in the ring, live or dead */
	size_t live;     /* live slots */
	uint32_t *index; /* ring positions, NO_SLOT when empty */
	size_t index_mask;
	uint32_t window_ms;
};

uint64_t dedup_digest(const char *topic, const void *payload, size_t len)
{
	/* The NUL between them keeps ("ab", "c") and ("a", "bc") apart: an
	 * MQTT topic never contains one. */
	if (!topic)
		topic = "";
	uint64_t h = fnv1a64(FNV1A64_INIT, topic, strlen(topic) + 1);
	return fnv1a64(h, payload, len);
}

static uint64_t domain_hash(char domain, const char *text, size_t len)
{
	return fnv1a64(fnv1a64(FNV1A64_INIT, &domain, 1), text, len);
}

/* Nick and text are NUL-free (sanitised): the NUL after the nick keeps
 * ("ab", "c") and ("a", "bc") apart. */
static uint64_t content_digest(const char *nick, enum mqc_msg_type type, const char *text)
{
	unsigned char kind = (unsigned char)type;
	uint64_t h = fnv1a64(FNV1A64_INIT, nick, strlen(nick) + 1);
	h = fnv1a64(h, &kind, 1);
	return fnv1a64(h, text, strlen(text));
}

/* The in-memory key of a message without an id: its content, told apart
 * by its room (a message of no room keeps the content alone). */
static uint64_t in_room(uint64_t content, const struct mqc_message *msg)
{
	if (!msg->room || !*msg->room)
		return content;
	uint64_t h = fnv1a64(content, msg->network ? msg->network : "",
	                     strlen(msg->network ? msg->network : "") + 1);
	return fnv1a64(h, msg->room, strlen(msg->room));
}

/* Keys are made for every message stored: by hand, not printf. */
static void append_hex(struct strbuf *out, uint64_t value)
{
	static const char digits[] = "0123456789abcdef";
	char hex[16];
	for (int i = 15; i >= 0; i--, value >>= 4)
		hex[i] = digits[value & 15];
	strbuf_append(out, hex, sizeof hex);
}

static bool parse_hex(const char *s, uint64_t *value)
{
	*value = 0;
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		unsigned digit = c >= '0' && c <= '9' ? (unsigned)(c - '0')
		                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
		if (digit == 16)
			return false;
		*value = *value << 4 | digit;
	}
	return true;
}

static void id_key(struct strbuf *out, const char *id, int64_t ts_ms, uint64_t content)
{
	strbuf_appends(out, "id:");
	append_hex(out, (uint64_t)ts_ms);
	append_hex(out, content);
	strbuf_appendc(out, ':');
	strbuf_appends(out, id);
}

void dedup_content_key(struct strbuf *out, uint64_t content)
{
	strbuf_appends(out, "dg:");
	append_hex(out, content);
}

void dedup_message_key(struct strbuf *out, const char *id, int64_t ts_ms, const char *nick,
                       enum mqc_msg_type type, const char *text)
{
	uint64_t content = content_digest(nick, type, text);
	if (*id)
		id_key(out, id, ts_ms, content);
	else
		dedup_content_key(out, content);
}

bool dedup_key_content(const char *key, uint64_t *content)
{
	if (strncmp(key, "dg:", 3) == 0 && strlen(key) == 3 + 16)
		return parse_hex(key + 3, content);
	if (strncmp(key, "id:", 3) == 0 && strlen(key) > 3 + 32 && key[3 + 32] == ':')
		return parse_hex(key + 3 + 16, content);
	return false;
}

void dedup_identify(struct dedup_identity *out, const struct mqc_message *msg, int64_t ts_ms,
                    const char *topic, const void *payload, size_t len)
{
	*out = (struct dedup_identity){STRBUF_INIT, STRBUF_INIT, 0, 0, 0, 0, false, false};
	dedup_identify_again(out, msg, ts_ms, topic, payload, len);
}

void dedup_identify_again(struct dedup_identity *out, const struct mqc_message *msg,
                          int64_t ts_ms, const char *topic, const void *payload, size_t len)
{
	const char *id = msg->id ? msg->id : "";
	struct strbuf key = out->key, retained_key = out->retained_key;
	strbuf_reset(&key);
	strbuf_reset(&retained_key);
	*out = (struct dedup_identity){key, retained_key, 0, 0, 0, 0, false, false};
	out->content = content_digest(msg->nick ? msg->nick : "", msg->type,
	                              msg->text ? msg->text : "");
	out->by_id = *id != '\0';
	if (out->by_id) {
		id_key(&out->key, id, ts_ms, out->content);
		out->id_hash = domain_hash('i', id, strlen(id));
		/* In memory only: from the key's parts, not its text again
		 * (hashing the text cost a sixth of identifying a line). */
		const uint64_t parts[2] = {(uint64_t)ts_ms, out->content};
		out->hash = fnv1a64(fnv1a64(out->id_hash, "m", 1), parts, sizeof parts);
	} else {
		/* "ok" said in two rooms is two messages; an id is the same
		 * message wherever it arrives.  The stored key stays the
		 * content's alone: a process sharing the file, and the run
		 * after a restart, know our own message by it (history.c). */
		dedup_content_key(&out->key, out->content);
		out->hash = in_room(out->content, msg);
	}
	out->retained = (msg->flags & MQC_MSG_RETAINED) != 0;
	if (out->retained) {
		out->retained_digest = dedup_digest(topic, payload, len);
		strbuf_appends(&out->retained_key, "rt:"); /* history.c indexes "rt:" */
		append_hex(&out->retained_key, out->retained_digest);
	}
}

void dedup_identity_free(struct dedup_identity *ident)
{
	strbuf_free(&ident->key);
	strbuf_free(&ident->retained_key);
}

/* FNV's low bits are weak; the index uses them, so stir first. */
static size_t index_start(const struct dedup *d, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdu;
	key ^= key >> 33;
	return (size_t)key & d->index_mask;
}

/* An empty index for a ring of `slots`: up to 2 entries a slot, so that
 * its load stays at most 1/2. */
static void index_make(struct dedup *d, size_t slots)
{
	size_t index_size = 8;
	while (index_size < slots * 4)
		index_size *= 2;
	d->index = xmalloc(index_size * sizeof *d->index);
	for (size_t i = 0; i < index_size; i++)
		d->index[i] = NO_SLOT;
	d->index_mask = index_size - 1;
}

struct dedup *dedup_new(size_t capacity, uint32_t digest_window_ms)
{
	if (capacity == 0)
		capacity = DEDUP_DEFAULT_CAPACITY;
	if (capacity > UINT32_MAX / 16)
		capacity = UINT32_MAX / 16;
	struct dedup *d = xcalloc(1, sizeof *d);
	d->capacity = capacity;
	d->slots = capacity < DEDUP_FIRST_SLOTS ? capacity : DEDUP_FIRST_SLOTS;
	d->ring = xcalloc(d->slots, sizeof *d->ring);
	index_make(d, d->slots);
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

static struct slot *entry_slot(const struct dedup *d, uint32_t entry)
{
	return &d->ring[entry & ~BY_ID_ALONE];
}

static uint64_t entry_key(const struct dedup *d, uint32_t entry)
{
	const struct slot *s = entry_slot(d, entry);
	return entry & BY_ID_ALONE ? s->id_key : s->key;
}

/* Position in the index of the key, or of the empty cell ending its
 * probe sequence. */
static size_t index_find(const struct dedup *d, uint64_t key, uint8_t kind)
{
	size_t i = index_start(d, key);
	while (d->index[i] != NO_SLOT) {
		uint32_t entry = d->index[i];
		uint8_t entry_kind = entry & BY_ID_ALONE ? KIND_ID_ALONE : entry_slot(d, entry)->kind;
		if (entry_key(d, entry) == key && entry_kind == kind)
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
		size_t home = index_start(d, entry_key(d, d->index[i]));
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
	size_t tail = (d->head + d->slots - d->used) % d->slots;
	struct slot *s = &d->ring[tail];
	if (s->live) {
		index_delete(d, index_find(d, s->key, s->kind));
		if (s->id_indexed)
			index_delete(d, index_find(d, s->id_key, KIND_ID_ALONE));
		s->live = false;
		d->live--;
	}
	d->used--;
}

/* Doubles a full ring that may still grow.  Nothing is forgotten before
 * the ring reaches its capacity, so until then its oldest slot is the
 * first: the slots keep their positions, and only the index is built
 * again. */
static void grow(struct dedup *d)
{
	d->slots = d->slots * 2 < d->capacity ? d->slots * 2 : d->capacity;
	d->ring = xrealloc(d->ring, d->slots * sizeof *d->ring);
	d->head = d->used; /* it had wrapped to 0 */
	free(d->index);
	index_make(d, d->slots);
	for (size_t pos = 0; pos < d->used; pos++) {
		const struct slot *s = &d->ring[pos];
		if (!s->live)
			continue;
		d->index[index_find(d, s->key, s->kind)] = (uint32_t)pos;
		if (s->id_indexed)
			d->index[index_find(d, s->id_key, KIND_ID_ALONE)] = (uint32_t)pos | BY_ID_ALONE;
	}
}

/* Records a key in a slot of its own; returns the slot's position. */
static uint32_t record(struct dedup *d, uint64_t key, uint8_t kind, uint64_t now_ms)
{
	if (d->used == d->slots && d->slots < d->capacity)
		grow(d);
	if (d->used == d->slots)
		forget_oldest(d);
	size_t pos = d->head;
	d->ring[pos] = (struct slot){key, 0, now_ms, kind, true, false};
	d->head = (d->head + 1) % d->slots;
	d->used++;
	d->live++;
	d->index[index_find(d, key, kind)] = (uint32_t)pos;
	return (uint32_t)pos;
}

/* An id, or a digest recorded at most `window_ms` before `now_ms`. */
static bool seen_within(const struct slot *s, uint64_t now_ms, uint64_t window_ms)
{
	/* A clock that stepped back counts as "just now". */
	return s->kind != KIND_DIGEST || now_ms < s->seen_ms || now_ms - s->seen_ms <= window_ms;
}

static uint8_t kind_of(const struct dedup_identity *ident)
{
	return ident->by_id ? KIND_ID : KIND_DIGEST;
}

bool dedup_seen_within(const struct dedup *d, const struct dedup_identity *ident,
                       uint64_t now_ms, uint64_t window_ms)
{
	size_t i = index_find(d, ident->hash, kind_of(ident));
	return d->index[i] != NO_SLOT && seen_within(&d->ring[d->index[i]], now_ms, window_ms);
}

bool dedup_contains(const struct dedup *d, const struct dedup_identity *ident, uint64_t now_ms)
{
	return dedup_seen_within(d, ident, now_ms, d->window_ms);
}

/* True for a key held within its window; an expired one (a digest: the
 * same words said again) is dropped, to be recorded afresh. */
static bool recent(struct dedup *d, uint64_t key, uint8_t kind, uint64_t now_ms)
{
	size_t i = index_find(d, key, kind);
	if (d->index[i] == NO_SLOT)
		return false;
	struct slot *s = entry_slot(d, d->index[i]);
	if (seen_within(s, now_ms, d->window_ms))
		return true;
	s->live = false;
	d->live--;
	index_delete(d, i);
	return false;
}

enum dedup_verdict dedup_check(struct dedup *d, const struct dedup_identity *ident,
                               uint64_t now_ms)
{
	if (recent(d, ident->hash, kind_of(ident), now_ms))
		return DEDUP_REPEAT;
	uint32_t pos = record(d, ident->hash, kind_of(ident), now_ms);
	if (!ident->by_id)
		return DEDUP_NEW;
	/* The id stays with the first message that had it. */
	size_t i = index_find(d, ident->id_hash, KIND_ID_ALONE);
	if (d->index[i] != NO_SLOT)
		return DEDUP_CONFLICT;
	d->ring[pos].id_key = ident->id_hash;
	d->ring[pos].id_indexed = true;
	d->index[i] = pos | BY_ID_ALONE;
	return DEDUP_NEW;
}

bool dedup_seen_retained(struct dedup *d, const struct dedup_identity *ident, uint64_t now_ms)
{
	if (recent(d, ident->retained_digest, KIND_RETAINED, now_ms))
		return true;
	record(d, ident->retained_digest, KIND_RETAINED, now_ms);
	return false;
}
