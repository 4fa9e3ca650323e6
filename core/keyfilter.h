/* SPDX-License-Identifier: MIT */
/*
 * A compact, growing set of 64-bit key hashes that may answer "maybe" for
 * a key it never saw (about 1 % of the time) but never "no" for one it
 * did: a Bloom filter, in layers, each twice the size of the last, so that
 * it grows with what is added without being rebuilt.  About 10 bits a key.
 *
 * The history store keeps one over the keys of every stored json message,
 * so that a message arriving can be told new without asking SQLite, which
 * is asked only on a "maybe".
 */
#ifndef MQC_KEYFILTER_H
#define MQC_KEYFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct keyfilter;

/* Sized for `expected` keys at first (at least a few thousand). */
struct keyfilter *keyfilter_new(size_t expected);
void keyfilter_add(struct keyfilter *f, uint64_t hash);
/* False: never added.  True: added, or (rarely) a false alarm. */
bool keyfilter_may_contain(const struct keyfilter *f, uint64_t hash);
/* Keys added (an upper bound on the distinct ones). */
size_t keyfilter_count(const struct keyfilter *f);

/* The filter as bytes (a versioned, byte-order-independent format),
 * appended to `out`: the history store keeps it in the file at exit, so
 * that the next start reads it instead of every key. */
void keyfilter_save(const struct keyfilter *f, struct strbuf *out);
/* A filter from what keyfilter_save() wrote; NULL for anything else
 * (another version, a truncated or altered blob). */
struct keyfilter *keyfilter_load(const void *bytes, size_t len);

void keyfilter_free(struct keyfilter *f);

#endif
