/* SPDX-License-Identifier: MIT */
#include "dbfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"

/* SQLite keeps -wal, -shm and -journal files beside the database's real
 * file and uses any it finds there: one that another user left before the
 * directory was safe would change the database as surely as the file. */
static bool companions_trusted(int fd, struct strbuf *why)
{
	static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
	char *real = safepath_real_path(fd, why);
	bool ok = real != NULL;
	for (size_t i = 0; ok && i < sizeof suffixes / sizeof suffixes[0]; i++) {
		struct strbuf name = STRBUF_INIT;
		strbuf_printf(&name, "%s%s", real, suffixes[i]);
		struct stat st;
		if (lstat(name.data, &st) == 0) {
			struct strbuf what = STRBUF_INIT;
			ok = safepath_check_file(&st, name.data, &what);
			if (!ok)
				strbuf_printf(why, "its companion %s: %s", name.data, strbuf_str(&what));
			strbuf_free(&what);
		}
		strbuf_free(&name);
	}
	free(real);
	return ok;
}

/* Opens (creating it 0600) the file at a path whose way was checked, and
 * checks what was opened: -1 with the reason in `err`. */
static int open_trusted(const char *path, const char *what, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	int fd = -1;
	if (safepath_check_route(path, &why)) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
		if (fd < 0) {
			strbuf_printf(err, "%s %s: cannot open: %s", what, path, strerror(errno));
			strbuf_free(&why);
			return -1;
		}
		if (safepath_check_open(fd, path, &why) && companions_trusted(fd, &why)) {
			strbuf_free(&why);
			return fd;
		}
		close(fd);
	}
	strbuf_printf(err, "%s %s: refusing the file: %s", what, path, strbuf_str(&why));
	strbuf_free(&why);
	return -1;
}

bool dbfile_make_private(const char *path, const char *what, struct strbuf *err)
{
	if (strcmp(path, ":memory:") == 0)
		return true;
	struct strbuf ignored = STRBUF_INIT;
	int fd = open_trusted(path, what, err ? err : &ignored);
	strbuf_free(&ignored);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
