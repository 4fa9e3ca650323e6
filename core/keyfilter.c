/* SPDX-License-Identifier: MIT */
#include "keyfilter.h"

#include <stdlib.h>

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

void keyfilter_free(struct keyfilter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_layers; i++)
		free(f->layers[i].bits);
	free(f);
}
