/* SPDX-License-Identifier: MIT */
/* Which paths are safe to trust.  Other owners are played with a made-up
 * struct stat here; real files of another user are in the integration
 * tests (sdk/test_loader_trust.py, history/test_history_trust.py). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"
#include "check_run.h"

static char dir[] = "/tmp/mqchat-safepath-XXXXXX";

static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* <dir>/<name>, written into `buf`. */
static const char *at(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

/* A group that is not this user's own private one (which the rules trust
 * like the user): nogroup for root, else a supplementary group. */
static gid_t shared_group(void)
{
	if (geteuid() == 0)
		return 65534;
	gid_t groups[64];
	int n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] != getegid())
			return groups[i];
	ck_abort_msg("a group-writable case needs root or a supplementary group");
	return 0;
}

/* Group-writable test files belong to a group others share. */
static void share_if_group_writable(const char *path, mode_t mode)
{
	if (mode & S_IWGRP)
		ck_assert_int_eq(chown(path, (uid_t)-1, shared_group()), 0);
}

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	share_if_group_writable(path, mode);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void make_subdir(const char *path, mode_t mode)
{
	ck_assert_int_eq(mkdir(path, 0700), 0);
	share_if_group_writable(path, mode);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Runs the route check; returns whether it passed, the reason in `why`. */
static bool route(const char *path, struct strbuf *why)
{
	strbuf_reset(why);
	return safepath_check_route(path, why);
}

static bool opened(const char *path, struct strbuf *why)
{
	strbuf_reset(why);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	bool ok = safepath_check_open(fd, path, why);
	close(fd);
	return ok;
}

START_TEST(own_private_directories_and_files_pass)
{
	char d[300], f[300];
	make_subdir(at(d, sizeof d, "a"), 0755);
	make_file(at(f, sizeof f, "a/f"), 0644);
	struct strbuf why = STRBUF_INIT;
	ck_assert_msg(route(f, &why), "%s", strbuf_str(&why));
	ck_assert_msg(opened(f, &why), "%s", strbuf_str(&why));
	/* Doubled and trailing slashes name the same directories. */
	char odd[320];
	snprintf(odd, sizeof odd, "%s//a//f", dir);
	ck_assert_msg(route(odd, &why), "%s", strbuf_str(&why));
	snprintf(odd, sizeof odd, "%s/a/", dir);
	ck_assert_msg(route(odd, &why), "%s", strbuf_str(&why));
	/* What does not exist yet stops the check quietly: opening says why. */
	ck_assert(route(at(f, sizeof f, "a/missing/x"), &why));
	strbuf_free(&why);
}
END_TEST

START_TEST(a_directory_others_may_write_is_refused_unless_sticky)
{
	char d[300], f[320];
	struct strbuf why = STRBUF_INIT;
	static const mode_t open_modes[] = {0757, 0770};
	for (size_t i = 0; i < 2; i++) {
		snprintf(d, sizeof d, "%s/open%o", dir, (unsigned)open_modes[i]);
		make_subdir(d, open_modes[i]);
		snprintf(f, sizeof f, "%s/f", d);
		make_file(f, 0600);
		ck_assert(!route(f, &why));
		ck_assert_msg(strstr(why.data, d) && strstr(why.data, "may be written by others") &&
		              strstr(why.data, "chmod go-w"), "%s", why.data);
	}
	make_subdir(at(d, sizeof d, "sticky"), 01777);
	make_file(at(f, sizeof f, "sticky/f"), 0600);
	ck_assert_msg(route(f, &why), "%s", strbuf_str(&why));
	strbuf_free(&why);
}
END_TEST

START_TEST(the_real_directories_are_checked_through_the_descriptor)
{
	/* The path given passes (our own link, in our own directory), but
	 * the file it leads to sits in a directory others may write. */
	char d[300], f[300], link[300];
	make_subdir(at(d, sizeof d, "open"), 0777);
	make_file(at(f, sizeof f, "open/f"), 0600);
	ck_assert_int_eq(symlink(f, at(link, sizeof link, "link")), 0);
	struct strbuf why = STRBUF_INIT;
	ck_assert_msg(route(link, &why), "%s", strbuf_str(&why));
	ck_assert(!opened(link, &why));
	ck_assert_msg(strstr(why.data, d) && strstr(why.data, "may be written by others"),
	              "%s", why.data);
	strbuf_free(&why);
}
END_TEST

START_TEST(root_group_of_its_own_may_write)
{
	/* Debian's user private groups: root's group "root" has no other
	 * member, so 0664 root:root lets nobody else in. */
	if (geteuid() != 0)
		ck_abort_msg("this case plays root's private group: run as root, as CI does");
	char f[300];
	struct strbuf why = STRBUF_INIT;
	make_file(at(f, sizeof f, "own-group"), 0600);
	ck_assert_int_eq(chown(f, 0, 0), 0);
	ck_assert_int_eq(chmod(f, 0664), 0);
	ck_assert_msg(opened(f, &why), "%s", strbuf_str(&why));
	strbuf_free(&why);
}
END_TEST

START_TEST(only_regular_files_nobody_else_may_write_pass)
{
	char f[300];
	struct strbuf why = STRBUF_INIT;
	make_file(at(f, sizeof f, "gw"), 0664);
	ck_assert(!opened(f, &why));
	ck_assert_msg(strstr(why.data, "others may write it (mode 0664): chmod go-w") != NULL,
	              "%s", why.data);
	ck_assert(!opened(dir, &why));
	ck_assert_str_eq(why.data, "not a regular file (a directory)");
	ck_assert_int_eq(mkfifo(at(f, sizeof f, "fifo"), 0600), 0);
	ck_assert(!opened(f, &why));
	ck_assert_str_eq(why.data, "not a regular file (a FIFO)");
	strbuf_free(&why);
}
END_TEST

START_TEST(a_file_of_another_user_is_refused_and_roots_passes)
{
	struct stat st = {.st_mode = S_IFREG | 0644, .st_uid = geteuid() + 1};
	struct strbuf why = STRBUF_INIT;
	ck_assert(!safepath_check_file(&st, "/x", &why));
	char expected[80];
	snprintf(expected, sizeof expected, "owned by another user (uid %u, mode 0644)",
	         (unsigned)st.st_uid);
	ck_assert_msg(strstr(why.data, expected) != NULL, "%s", why.data);
	strbuf_reset(&why);
	st.st_uid = 0;
	ck_assert_msg(safepath_check_file(&st, "/x", &why), "%s", strbuf_str(&why));
	strbuf_free(&why);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("safepath");
	TCase *tc = tcase_create("safepath");
	tcase_add_checked_fixture(tc, make_dir, remove_dir);
	tcase_add_test(tc, own_private_directories_and_files_pass);
	tcase_add_test(tc, a_directory_others_may_write_is_refused_unless_sticky);
	tcase_add_test(tc, the_real_directories_are_checked_through_the_descriptor);
	tcase_add_test(tc, root_group_of_its_own_may_write);
	tcase_add_test(tc, only_regular_files_nobody_else_may_write_pass);
	tcase_add_test(tc, a_file_of_another_user_is_refused_and_roots_passes);
	suite_add_tcase(s, tc);
	return check_run(s);
}
