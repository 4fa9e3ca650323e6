/* SPDX-License-Identifier: MIT */
/* The monotonic clock in milliseconds: for deadlines and intervals, which
 * a change of the wall clock must not move. */
#ifndef MQC_COMMON_CLOCK_H
#define MQC_COMMON_CLOCK_H

#include <stdint.h>

uint64_t monotonic_ms(void);

#endif
