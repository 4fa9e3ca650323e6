/* SPDX-License-Identifier: MIT */
/* common/: the helpers the core and the in-tree plugins share (FNV-1a,
 * mkdir -p, file kinds, the runtime directory). */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "file_kind.h"
#include "fnv.h"
#include "mkdirs.h"
#include "outbuf.h"
#include "random.h"
#include "runtime_dir.h"
#include "check_run.h"

static char dir[] = "/tmp/mqchat-common-XXXXXX";

static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	umask(022);
}

static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* <dir>/<name>, in a static buffer. */
static const char *in_dir(const char *name)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static bool is_dir(const char *path, mode_t mode)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode;
}

/* --- FNV-1a: the published test values; stored digests depend on them. */

START_TEST(fnv_known_values)
{
	ck_assert_uint_eq(fnv1a32(FNV1A32_INIT, "", 0), 0x811c9dc5u);
	ck_assert_uint_eq(fnv1a32(FNV1A32_INIT, "a", 1), 0xe40c292cu);
	ck_assert_uint_eq(fnv1a32(FNV1A32_INIT, "foobar", 6), 0xbf9cf968u);
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "", 0), UINT64_C(0xcbf29ce484222325));
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "a", 1), UINT64_C(0xaf63dc4c8601ec8c));
	ck_assert_uint_eq(fnv1a64(FNV1A64_INIT, "foobar", 6), UINT64_C(0x85944171f73967e8));
}
END_TEST

START_TEST(fnv_continues_where_it_stopped)
{
	ck_assert_uint_eq(fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3),
	                  fnv1a64(FNV1A64_INIT, "foobar", 6));
	ck_assert_uint_eq(fnv1a32(fnv1a32(FNV1A32_INIT, "foo", 3), "bar", 3),
	                  fnv1a32(FNV1A32_INIT, "foobar", 6));
}
END_TEST

/* --- mkdir -p ---------------------------------------------------------- */

START_TEST(mkdirs_makes_every_level)
{
	size_t failed_len = 99;
	ck_assert_int_eq(mkdirs(in_dir("a/b/c"), 0700, &failed_len), 0);
	ck_assert(is_dir(in_dir("a"), 0700));
	ck_assert(is_dir(in_dir("a/b"), 0700));
	ck_assert(is_dir(in_dir("a/b/c"), 0700));
	ck_assert_uint_eq(failed_len, 99); /* untouched on success */
	/* Again: what exists is fine, and keeps its mode. */
	ck_assert_int_eq(chmod(in_dir("a/b"), 0750), 0);
	ck_assert_int_eq(mkdirs(in_dir("a/b/c/"), 0700, NULL), 0);
	ck_assert(is_dir(in_dir("a/b"), 0750));
}
END_TEST

START_TEST(mkdirs_names_where_it_failed)
{
	FILE *f = fopen(in_dir("file"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	const char *path = in_dir("file/x/y");
	size_t failed_len = 0;
	ck_assert_int_eq(mkdirs(path, 0700, &failed_len), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_uint_eq(failed_len, strlen(in_dir("file/x")));
}
END_TEST

START_TEST(mkdirs_parent_leaves_the_last_name)
{
	ck_assert_int_eq(mkdirs_parent(in_dir("p/q/name"), 0700, NULL), 0);
	ck_assert(is_dir(in_dir("p/q"), 0700));
	struct stat st;
	ck_assert_int_eq(lstat(in_dir("p/q/name"), &st), -1);
	ck_assert_int_eq(mkdirs_parent("name", 0700, NULL), 0); /* nothing above it */
	ck_assert_int_eq(mkdirs_parent("/name", 0700, NULL), 0);
}
END_TEST

/* --- file kinds -------------------------------------------------------- */

static const char *kind_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	return file_kind(st.st_mode);
}

START_TEST(file_kinds_in_words)
{
	FILE *f = fopen(in_dir("regular"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(symlink("regular", in_dir("link")), 0);
	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	int sock = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *sock_path = in_dir("sock");
	ck_assert_uint_lt(strlen(sock_path), sizeof addr.sun_path);
	memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&addr, sizeof addr), 0);
	close(sock);

	ck_assert_str_eq(kind_of(in_dir("regular")), "a regular file");
	ck_assert_str_eq(kind_of(dir), "a directory");
	ck_assert_str_eq(kind_of(in_dir("link")), "a symbolic link");
	ck_assert_str_eq(kind_of(in_dir("fifo")), "a FIFO");
	ck_assert_str_eq(kind_of(in_dir("sock")), "a socket");
	ck_assert_str_eq(kind_of("/dev/null"), "a device");
}
END_TEST

/* --- the runtime directory --------------------------------------------- */

START_TEST(runtime_dir_under_xdg)
{
	char buf[256];
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	ck_assert_uint_eq(runtime_dir(buf, sizeof buf), strlen("/run/user/1234/mqchat"));
	ck_assert_str_eq(buf, "/run/user/1234/mqchat");
}
END_TEST

START_TEST(runtime_dir_falls_back_to_tmp_by_effective_uid)
{
	char buf[256], want[64];
	snprintf(want, sizeof want, "/tmp/mqchat-%u", (unsigned)geteuid());
	unsetenv("XDG_RUNTIME_DIR");
	runtime_dir(buf, sizeof buf);
	ck_assert_str_eq(buf, want);
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1); /* not trusted */
	runtime_dir(buf, sizeof buf);
	ck_assert_str_eq(buf, want);
	setenv("XDG_RUNTIME_DIR", "", 1);
	runtime_dir(buf, sizeof buf);
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(runtime_dir_says_when_it_does_not_fit)
{
	char buf[8];
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	ck_assert_uint_ge(runtime_dir(buf, sizeof buf), sizeof buf);
	ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
}
END_TEST

/* Around the middle, never outside [middle / 2, middle * 3 / 2), and not
 * always the same (10 000 draws of 10 values). */
/* Bytes come out in the order they went in, whatever the socket takes at
 * a time; what was taken makes room at the front. */
START_TEST(outbuf_sends_in_order_what_the_socket_takes)
{
	int pair[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
	int small = 4096;
	ck_assert_int_eq(setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	static char want[100000], got[sizeof want];
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = (char)('a' + i % 26);
	struct outbuf b = {0};
	size_t added = 0, got_len = 0;
	bool cut = false;
	while (got_len < sizeof want) {
		if (added < sizeof want) {
			size_t n = sizeof want - added < 30000 ? sizeof want - added : 30000;
			ck_assert_int_eq(outbuf_append(&b, want + added, n), 0);
			added += n;
		}
		size_t before = outbuf_waiting(&b);
		ssize_t sent = outbuf_send(&b, pair[0]);
		ck_assert_int_ge(sent, 0);
		ck_assert_uint_eq(outbuf_waiting(&b), before - (size_t)sent);
		cut = cut || (size_t)sent < before;
		ssize_t n;
		while ((n = read(pair[1], got + got_len, sizeof got - got_len)) > 0)
			got_len += (size_t)n;
	}
	ck_assert_msg(cut, "the socket always took everything: nothing was left waiting");
	ck_assert_mem_eq(got, want, sizeof want);
	ck_assert_uint_eq(outbuf_waiting(&b), 0);
	ck_assert_ptr_null(b.data); /* grown past 64 KiB, freed once empty */
	ck_assert_int_eq(outbuf_append(&b, "small", 5), 0);
	outbuf_consume(&b, 5);
	ck_assert_ptr_nonnull(b.data); /* a small one is kept */
	outbuf_free(&b);
	close(pair[0]);
	close(pair[1]);
}
END_TEST

START_TEST(outbuf_extends_in_place_and_reports_a_dead_socket)
{
	struct outbuf b = {0};
	uint8_t *at = outbuf_extend(&b, 3);
	ck_assert_ptr_nonnull(at);
	memcpy(at, "abc", 3);
	ck_assert_int_eq(outbuf_append(&b, "de", 2), 0);
	ck_assert_uint_eq(outbuf_waiting(&b), 5);
	ck_assert_mem_eq(outbuf_head(&b), "abcde", 5);
	outbuf_consume(&b, 2);
	ck_assert_mem_eq(outbuf_head(&b), "cde", 3);
	ck_assert_ptr_null(outbuf_extend(&b, SIZE_MAX / 2));
	ck_assert_uint_eq(outbuf_waiting(&b), 3);

	int pair[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	close(pair[1]);
	ck_assert_int_eq(outbuf_send(&b, pair[0]), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_uint_eq(outbuf_waiting(&b), 3);
	outbuf_clear(&b);
	ck_assert_uint_eq(outbuf_waiting(&b), 0);
	ck_assert_int_eq(outbuf_send(&b, pair[0]), 0);
	outbuf_free(&b);
	close(pair[0]);
}
END_TEST

START_TEST(random_spread_stays_around_the_middle)
{
	bool seen[15] = {false};
	for (int i = 0; i < 10000; i++) {
		uint32_t n = random_spread(10);
		ck_assert_uint_ge(n, 5);
		ck_assert_uint_lt(n, 15);
		seen[n] = true;
	}
	for (int n = 5; n < 15; n++)
		ck_assert_msg(seen[n], "%d never drawn", n);
	ck_assert_uint_eq(random_spread(1), 0);
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *fnv = tcase_create("fnv");
	tcase_add_test(fnv, fnv_known_values);
	tcase_add_test(fnv, fnv_continues_where_it_stopped);
	suite_add_tcase(s, fnv);
	TCase *files = tcase_create("files");
	tcase_add_checked_fixture(files, make_dir, remove_dir);
	tcase_add_test(files, mkdirs_makes_every_level);
	tcase_add_test(files, mkdirs_names_where_it_failed);
	tcase_add_test(files, mkdirs_parent_leaves_the_last_name);
	tcase_add_test(files, file_kinds_in_words);
	suite_add_tcase(s, files);
	TCase *runtime = tcase_create("runtime_dir");
	tcase_add_test(runtime, runtime_dir_under_xdg);
	tcase_add_test(runtime, runtime_dir_falls_back_to_tmp_by_effective_uid);
	tcase_add_test(runtime, runtime_dir_says_when_it_does_not_fit);
	suite_add_tcase(s, runtime);
	TCase *outbuf = tcase_create("outbuf");
	tcase_add_test(outbuf, outbuf_sends_in_order_what_the_socket_takes);
	tcase_add_test(outbuf, outbuf_extends_in_place_and_reports_a_dead_socket);
	suite_add_tcase(s, outbuf);
	TCase *random = tcase_create("random");
	tcase_add_test(random, random_spread_stays_around_the_middle);
	suite_add_tcase(s, random);
	return s;
}

int main(void)
{
	return check_run(common_suite());
}
