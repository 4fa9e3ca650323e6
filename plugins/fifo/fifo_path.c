/* SPDX-License-Identifier: MIT */
/*
 * Creating and opening the named pipe without trusting the file system.
 *
 * Whoever writes into the pipe speaks as the user, so we only ever read a
 * FIFO that we own, reached without a symbolic link.  The path is examined
 * with lstat(), opened with O_NOFOLLOW, and the descriptor itself is checked
 * with fstat() afterwards, so a file swapped in between is still caught.
 * Opening is O_RDWR|O_NONBLOCK: never blocks waiting for a writer, and since
 * we are a writer too, the last writer leaving is not an end of file.
 */
#include "fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_kind.h"
#include "mkdirs.h"

static const char *user_name(uid_t uid)
{
	const struct passwd *pw = getpwuid(uid);

	return pw ? pw->pw_name : "?";
}

/* Refuse anything but a FIFO of ours; `st` comes from lstat() or fstat(). */
static bool acceptable(const char *path, const struct stat *st, char *why,
                       size_t why_size)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, why_size, "%s is a symbolic link; refusing to follow "
		         "it: name the FIFO itself", path);
		return false;
	}
	if (!S_ISFIFO(st->st_mode)) {
		snprintf(why, why_size, "%s exists and is %s, not a FIFO; remove it "
		         "or choose another path", path, file_kind(st->st_mode));
		return false;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, why_size, "%s is a FIFO owned by uid %u (%s), not by "
		         "us (uid %u): anyone who owns it could speak for us",
		         path, (unsigned)st->st_uid, user_name(st->st_uid),
		         (unsigned)geteuid());
		return false;
	}
	return true;
}

/* mkdir -p of the directory holding `path`; created directories get 0700. */
static bool make_parents(const char *path, char *why, size_t why_size)
{
	size_t failed_len = 0;

	if (mkdirs_parent(path, 0700, &failed_len) == 0)
		return true;
	if (failed_len == 0)
		snprintf(why, why_size, "out of memory");
	else
		snprintf(why, why_size, "cannot create directory %.*s: %s",
		         (int)failed_len, path, strerror(errno));
	return false;
}

/* Another user owning the directory could replace our FIFO at will. */
static bool parent_is_safe(const char *path, char *why, size_t why_size)
{
	char *dir = strdup(path);
	struct stat st;
	bool ok = true;

	if (dir == NULL) {
		snprintf(why, why_size, "out of memory");
		return false;
	}
	*strrchr(dir, '/') = '\0';
	if (stat(dir[0] ? dir : "/", &st) != 0) {
		snprintf(why, why_size, "cannot examine directory %s: %s", dir,
		         strerror(errno));
		ok = false;
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, why_size, "directory %s belongs to uid %u (%s), who "
		         "could replace the FIFO: choose a directory of ours", dir,
		         (unsigned)st.st_uid, user_name(st.st_uid));
		ok = false;
	}
	free(dir);
	return ok;
}

/* Make sure a FIFO is at `path`.  *created tells whether we made it. */
static bool ensure_fifo(const char *path, mode_t mode, bool *created,
                        char *why, size_t why_size)
{
	struct stat st;

	*created = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (lstat(path, &st) == 0)
			return acceptable(path, &st, why, why_size) &&
			       parent_is_safe(path, why, why_size);
		if (errno != ENOENT) {
			snprintf(why, why_size, "cannot examine %s: %s", path,
			         strerror(errno));
			return false;
		}
		if (!make_parents(path, why, why_size) ||
		    !parent_is_safe(path, why, why_size))
			return false;
		if (mkfifo(path, mode) == 0) {
			*created = true;
			return true;
		}
		if (errno != EEXIST)
			break;
		/* Someone made it meanwhile: examine what they made. */
	}
	snprintf(why, why_size, "cannot create FIFO %s: %s", path, strerror(errno));
	return false;
}

bool fifo_path_check(const char *path, char *why, size_t why_size)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return true; /* created at start, in a directory checked then */
	return acceptable(path, &st, why, why_size) && parent_is_safe(path, why, why_size);
}

bool fifo_path_open(const char *path, mode_t mode, struct fifo_pipe *pipe,
                    char *why, size_t why_size)
{
	struct stat st;
	bool created;
	int fd;

	pipe->fd = -1;
	if (!ensure_fifo(path, mode, &created, why, why_size))
		return false;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
		if (created)
			unlink(path);
		return false;
	}
	if (fstat(fd, &st) != 0 || !acceptable(path, &st, why, why_size)) {
		/* Swapped under us: whatever is there now is not ours to remove. */
		close(fd);
		return false;
	}
	/* mkfifo() is subject to the umask, and an existing pipe may have been
	 * left with wider permissions: the configured mode is the one wanted. */
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0) {
		snprintf(why, why_size, "cannot set mode %04o on %s: %s",
		         (unsigned)mode, path, strerror(errno));
		close(fd);
		if (created)
			unlink(path);
		return false;
	}
	*pipe = (struct fifo_pipe){
		.fd = fd, .dev = st.st_dev, .ino = st.st_ino, .created = created};
	return true;
}

bool fifo_path_is_current(const char *path, const struct fifo_pipe *pipe)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       st.st_dev == pipe->dev && st.st_ino == pipe->ino;
}

void fifo_path_close(struct fifo_pipe *pipe)
{
	if (pipe->fd < 0)
		return;
	close(pipe->fd);
	pipe->fd = -1;
}
