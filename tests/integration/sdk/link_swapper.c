/* SPDX-License-Identifier: MIT */
/* The other user in the loader's trust test: swaps two symbolic links of
 * theirs, LINK and SPARE, as fast as it can, each swap one atomic
 * renameat2(RENAME_EXCHANGE), until killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: link_swapper LINK SPARE\n");
		return 2;
	}
	for (;;) {
		if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
			perror("link_swapper: renameat2");
			return 1;
		}
	}
}
