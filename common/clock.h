/* SPDX-License-Identifier: MIT */
/* The clocks in milliseconds (and one in microseconds). */
#ifndef MQC_COMMON_CLOCK_H
#define MQC_COMMON_CLOCK_H

#include <stdint.h>

/* Monotonic: for deadlines and intervals, which a change of the wall
 * clock must not move. */
uint64_t monotonic_ms(void);
/* The same in microseconds: for spacings shorter than a millisecond. */
uint64_t monotonic_us(void);
/* The wall clock since the epoch: for what is shown, stored and sent. */
int64_t wall_ms(void);

#endif
