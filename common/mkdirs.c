/* SPDX-License-Identifier: MIT */
#include "mkdirs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The first `len` bytes of `path`, made as a directory with its parents. */
static int make_prefix(const char *path, size_t len, mode_t mode, size_t *failed_len)
{
	char *dir = malloc(len + 1);
	if (!dir)
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	int rc = 0;
	/* Each prefix that ends a component: "/a", "/a/b", ..., then the whole. */
	for (size_t i = 1; i <= len && rc == 0; i++) {
		if (i < len && dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, mode) != 0 && errno != EEXIST) {
			rc = -1;
			if (failed_len)
				*failed_len = i;
		}
		if (i < len)
			dir[i] = '/';
	}
	int saved = errno;
	free(dir);
	errno = saved;
	return rc;
}

int mkdirs(const char *path, mode_t mode, size_t *failed_len)
{
	return make_prefix(path, strlen(path), mode, failed_len);
}

int mkdirs_parent(const char *path, mode_t mode, size_t *failed_len)
{
	const char *slash = strrchr(path, '/');
	return slash && slash > path ? make_prefix(path, (size_t)(slash - path), mode, failed_len) : 0;
}
