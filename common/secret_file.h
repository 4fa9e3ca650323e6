/* SPDX-License-Identifier: MIT */
/* Files a plugin's configuration names: a password's, a certificate's. */
#ifndef MQC_COMMON_SECRET_FILE_H
#define MQC_COMMON_SECRET_FILE_H

#include <stdbool.h>

/* The first line of the file at `path`, its line end stripped; NULL with
 * `*why` saying what went wrong ("No such file or directory", "it is
 * empty").  `*others_read` tells whether users other than the owner's
 * group may read it (checked on the descriptor read, not the path). */
char *secret_file_read(const char *path, bool *others_read, const char **why);

/* NULL when `path` is a file (with `dir`, a directory) we can open for
 * reading, else what is wrong, in words. */
const char *readable_problem(const char *path, bool dir);

#endif
