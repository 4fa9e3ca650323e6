/* SPDX-License-Identifier: MIT */
/* Random numbers from the kernel, drawn a pool at a time. */
#ifndef MQC_COMMON_RANDOM_H
#define MQC_COMMON_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills `out` with `n` random bytes; aborts when the kernel has none. */
void random_bytes(unsigned char *out, size_t n);
/* Any 32-bit number, each as likely. */
uint32_t random_word(void);
/* A random number in [0, bound); bound > 0, small beside 2^32 (the
 * remainder's bias is then negligible). */
uint32_t random_below(uint32_t bound);
/* A random number in [middle / 2, middle / 2 + middle): around `middle`,
 * so that processes that would all act at once (the members of a room,
 * which receive the same messages) do not act in step; middle > 0. */
uint32_t random_spread(uint32_t middle);

#endif
