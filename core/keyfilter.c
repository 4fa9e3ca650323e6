/* SPDX-License-Identifier: MIT */
#include "keyfilter.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* 10 bits and 7 probes a key: about 1 % false alarms per layer. */
#define BITS_PER_KEY 10
#define PROBES 7
#define MIN_KEYS 4096
#define MAX_LAYERS 40

struct layer {
	uint64_t *bits;
	uint64_t mask; /* number of bits - 1 (a power of two) */
	size_t capacity, count;
};

struct keyfilter {
	struct layer layers[MAX_LAYERS];
	size_t n_layers;
};

static void add_layer(struct keyfilter *f, size_t capacity)
{
	uint64_t n_bits = 64;
	while (n_bits < (uint64_t)capacity * BITS_PER_KEY)
		n_bits *= 2;
	struct layer *l = &f->layers[f->n_layers++];
	l->bits = xcalloc((size_t)(n_bits / 64), sizeof *l->bits);
	l->mask = n_bits - 1;
	l->capacity = capacity;
	l->count = 0;
}

struct keyfilter *keyfilter_new(size_t expected)
{
	struct keyfilter *f = xcalloc(1, sizeof *f);
	add_layer(f, expected > MIN_KEYS ? expected : MIN_KEYS);
	return f;
}

/* Two halves of a stirred hash give the probe positions (double hashing):
 * the callers' hashes are FNV, whose low bits are weak. */
static void probes_of(uint64_t hash, uint64_t *h1, uint64_t *h2)
{
	hash ^= hash >> 33;
	hash *= 0xff51afd7ed558ccdu;
	hash ^= hash >> 33;
	hash *= 0xc4ceb9fe1a85ec53u;
	hash ^= hash >> 33;
	*h1 = hash;
	*h2 = (hash >> 32 | hash << 32) | 1;
}

static bool layer_has(const struct layer *l, uint64_t h1, uint64_t h2)
{
	for (uint64_t i = 0; i < PROBES; i++) {
		uint64_t bit = (h1 + i * h2) & l->mask;
		if (!(l->bits[bit / 64] >> (bit % 64) & 1))
			return false;
	}
	return true;
}

void keyfilter_add(struct keyfilter *f, uint64_t hash)
{
	struct layer *l = &f->layers[f->n_layers - 1];
	if (l->count >= l->capacity && f->n_layers < MAX_LAYERS) {
		add_layer(f, l->capacity * 2);
		l = &f->layers[f->n_layers - 1];
	}
	uint64_t h1, h2;
	probes_of(hash, &h1, &h2);
	for (uint64_t i = 0; i < PROBES; i++) {
		uint64_t bit = (h1 + i * h2) & l->mask;
		l->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
	}
	l->count++;
}

bool keyfilter_may_contain(const struct keyfilter *f, uint64_t hash)
{
	uint64_t h1, h2;
	probes_of(hash, &h1, &h2);
	for (size_t i = f->n_layers; i-- > 0;)
		if (layer_has(&f->layers[i], h1, h2))
			return true;
	return false;
}

size_t keyfilter_count(const struct keyfilter *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_layers; i++)
		n += f->layers[i].count;
	return n;
}

/* --- as bytes: "MQKF" 1, the number of layers, then per layer its
 * capacity, count, number of bits and bits; every number 64-bit
 * little-endian. */

static const char MAGIC[8] = {'M', 'Q', 'K', 'F', 1, 0, 0, 0};
#define MAX_BITS (UINT64_C(1) << 36)

static void put64(struct strbuf *out, uint64_t v)
{
	char bytes[8];
	for (int i = 0; i < 8; i++)
		bytes[i] = (char)(v >> (8 * i) & 0xff);
	strbuf_append(out, bytes, sizeof bytes);
}

void keyfilter_save(const struct keyfilter *f, struct strbuf *out)
{
	strbuf_append(out, MAGIC, sizeof MAGIC);
	put64(out, f->n_layers);
	for (size_t i = 0; i < f->n_layers; i++) {
		const struct layer *l = &f->layers[i];
		put64(out, l->capacity);
		put64(out, l->count);
		put64(out, l->mask + 1);
		for (uint64_t w = 0; w < (l->mask + 1) / 64; w++)
			put64(out, l->bits[w]);
	}
}

/* Reads the next number; false past the end. */
static bool get64(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	if (end - *p < 8)
		return false;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | (*p)[i];
	*p += 8;
	return true;
}

static bool load_layer(struct keyfilter *f, const unsigned char **p, const unsigned char *end)
{
	uint64_t capacity, count, n_bits;
	if (!get64(p, end, &capacity) || !get64(p, end, &count) || !get64(p, end, &n_bits) ||
	    capacity == 0 || capacity > MAX_BITS || n_bits < 64 || n_bits > MAX_BITS ||
	    (n_bits & (n_bits - 1)) || (uint64_t)(end - *p) / 8 < n_bits / 64)
		return false;
	struct layer *l = &f->layers[f->n_layers++];
	l->bits = xmalloc((size_t)(n_bits / 64) * sizeof *l->bits);
	l->mask = n_bits - 1;
	l->capacity = (size_t)capacity;
	l->count = (size_t)count;
	for (uint64_t w = 0; w < n_bits / 64; w++)
		get64(p, end, &l->bits[w]);
	return true;
}

struct keyfilter *keyfilter_load(const void *bytes, size_t len)
{
	const unsigned char *p = bytes, *end = p + len;
	uint64_t n_layers;
	if (!bytes || len < sizeof MAGIC || memcmp(p, MAGIC, sizeof MAGIC) != 0)
		return NULL;
	p += sizeof MAGIC;
	if (!get64(&p, end, &n_layers) || n_layers == 0 || n_layers > MAX_LAYERS)
		return NULL;
	struct keyfilter *f = xcalloc(1, sizeof *f);
	for (uint64_t i = 0; i < n_layers; i++) {
		if (!load_layer(f, &p, end)) {
			keyfilter_free(f);
			return NULL;
		}
	}
	if (p != end) {
		keyfilter_free(f);
		return NULL;
	}
	return f;
}

void keyfilter_free(struct keyfilter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_layers; i++)
		free(f->layers[i].bits);
	free(f);
}
