/* SPDX-License-Identifier: MIT */
/* What a file is, in words for a message. */
#ifndef MQC_COMMON_FILE_KIND_H
#define MQC_COMMON_FILE_KIND_H

#include <sys/types.h>

/* "a regular file", "a directory", "a symbolic link", "a FIFO", "a socket"
 * or "a device", from the st_mode of a struct stat. */
const char *file_kind(mode_t mode);

#endif
