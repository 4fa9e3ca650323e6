/* SPDX-License-Identifier: MIT */
#include "dbfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

bool dbfile_make_private(const char *path, const char *what, struct strbuf *err)
{
	if (strcmp(path, ":memory:") == 0)
		return true;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (err)
			strbuf_printf(err, "%s %s: cannot open: %s", what, path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}
