/* SPDX-License-Identifier: MIT */
/* mkdir -p. */
#ifndef MQC_COMMON_MKDIRS_H
#define MQC_COMMON_MKDIRS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates the directory `path` and every missing one above it, each with
 * `mode`; one that exists already is left as it is.  0, or -1 with errno
 * set and, when `failed_len` is not NULL, *failed_len the length of the
 * prefix of `path` naming the directory that could not be made. */
int mkdirs(const char *path, mode_t mode, size_t *failed_len);

/* mkdirs() of the directory holding `path`: all of it before the last
 * '/'.  A path without one has nothing to make: 0. */
int mkdirs_parent(const char *path, mode_t mode, size_t *failed_len);

#endif
