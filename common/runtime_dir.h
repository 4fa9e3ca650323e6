/* SPDX-License-Identifier: MIT */
/* mqchat's runtime directory, for sockets, FIFOs and lock files. */
#ifndef MQC_COMMON_RUNTIME_DIR_H
#define MQC_COMMON_RUNTIME_DIR_H

#include <stddef.h>

/* Writes "$XDG_RUNTIME_DIR/mqchat", or "/tmp/mqchat-<euid>" when
 * XDG_RUNTIME_DIR is unset or not an absolute path, into `buf` (`size`
 * bytes, NUL-terminated).  Returns the length it has, as snprintf() does:
 * `size` or more means it did not fit.  Nothing is created. */
size_t runtime_dir(char *buf, size_t size);

#endif
