/* SPDX-License-Identifier: MIT */
#include "safepath.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_kind.h"

/* This user, and root (who can change anything anyway). */
static bool trusted_owner(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* Whether another account has `gid` as its primary group (such members are
 * not listed in the group entry). */
static bool other_user_in_group(gid_t gid, uid_t me)
{
	bool found = false;
	setpwent();
	for (const struct passwd *pw; !found && (pw = getpwent());)
		found = pw->pw_gid == gid && pw->pw_uid != me;
	endpwent();
	return found;
}

/* Debian gives each user a group of their own (USERGROUPS_ENAB), and a
 * umask of 002 is then the norm: a group with this user's name, this user as
 * its only member, lets nobody else in.  OpenSSH's Debian patch trusts it too. */
static bool private_group(gid_t gid)
{
	const struct passwd *pw = getpwuid(geteuid());
	if (!pw || pw->pw_gid != gid)
		return false;
	const struct group *gr = getgrgid(gid);
	if (!gr || strcmp(gr->gr_name, pw->pw_name) != 0)
		return false;
	for (char **member = gr->gr_mem; *member; member++)
		if (strcmp(*member, pw->pw_name) != 0)
			return false;
	return !other_user_in_group(gid, pw->pw_uid);
}

/* Whether anyone but the owner may write: others, or a group that is not
 * the owner's own. */
static bool others_may_write(const struct stat *st)
{
	if (st->st_mode & S_IWOTH)
		return true;
	return (st->st_mode & S_IWGRP) && !(st->st_uid == geteuid() && private_group(st->st_gid));
}

bool safepath_check_file(const struct stat *st, const char *path, struct strbuf *why)
{
	unsigned mode = st->st_mode & 07777;
	if (!S_ISREG(st->st_mode)) {
		strbuf_printf(why, "not a regular file (%s)", file_kind(st->st_mode));
		return false;
	}
	if (!trusted_owner(st->st_uid)) {
		strbuf_printf(why, "owned by another user (uid %u, mode %04o), who may change it: "
		              "only your own files and root's are trusted; use a file of your own",
		              (unsigned)st->st_uid, mode);
		return false;
	}
	if (others_may_write(st)) {
		strbuf_printf(why, "others may write it (mode %04o): chmod go-w %s", mode, path);
		return false;
	}
	return true;
}

/* Others may not add, remove or rename entries: a sticky directory (/tmp)
 * lets them add their own, but never touch ours. */
static bool check_dir(const char *dir, const struct stat *st, struct strbuf *why)
{
	if (!trusted_owner(st->st_uid)) {
		strbuf_printf(why, "%s, a directory on its path, belongs to another user (uid %u), "
		              "who may replace what is in it: move it into a directory of your own",
		              dir, (unsigned)st->st_uid);
		return false;
	}
	if (others_may_write(st) && !(st->st_mode & S_ISVTX)) {
		strbuf_printf(why, "%s, a directory on its path, may be written by others "
		              "(mode %04o), who may replace what is in it: chmod go-w %s, or move "
		              "it into a directory of your own",
		              dir, (unsigned)(st->st_mode & 07777), dir);
		return false;
	}
	return true;
}

/* One step of the way: 1 to go on, 0 where the path ends early (missing),
 * -1 refused. */
static int check_step(const char *prefix, struct strbuf *why)
{
	struct stat st;
	if (lstat(prefix, &st) != 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		if (!trusted_owner(st.st_uid)) {
			strbuf_printf(why, "%s is a symbolic link owned by another user (uid %u), "
			              "who may point it anywhere: name the file itself, or remove "
			              "the link", prefix, (unsigned)st.st_uid);
			return -1;
		}
		if (stat(prefix, &st) != 0)
			return 0;
	}
	return S_ISDIR(st.st_mode) && !check_dir(prefix, &st, why) ? -1 : 1;
}

bool safepath_check_route(const char *path, struct strbuf *why)
{
	size_t len = strlen(path);
	char *prefix = xmalloc(len + 2);
	int step = 1;
	/* Each prefix that ends a component: "/", "/a", "/a/b", ... */
	for (size_t i = 0; i <= len && step > 0; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i > 0 && path[i - 1] == '/')
			continue; /* "//", or a trailing '/' */
		size_t n = i ? i : 1; /* a leading '/': the root itself */
		memcpy(prefix, path, n);
		prefix[n] = '\0';
		step = check_step(prefix, why);
	}
	free(prefix);
	return step >= 0;
}

char *safepath_real_path(int fd, struct strbuf *why)
{
	char link[40], real[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real);
	if (n <= 0 || (size_t)n >= sizeof real || real[0] != '/') {
		strbuf_printf(why, "cannot tell which file it is through %s: %s (is /proc mounted?)",
		              link, n < 0 ? strerror(errno) : "not a path");
		return NULL;
	}
	return xstrndup(real, (size_t)n);
}

bool safepath_check_open(int fd, const char *path, struct strbuf *why)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		strbuf_printf(why, "cannot stat it: %s", strerror(errno));
		return false;
	}
	if (!safepath_check_file(&st, path, why))
		return false;
	/* The file's real directories: the way named may have gone through
	 * links into others. */
	char *real = safepath_real_path(fd, why);
	bool ok = real && safepath_check_route(real, why);
	free(real);
	return ok;
}
