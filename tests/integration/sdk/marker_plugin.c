/* SPDX-License-Identifier: MIT */
/* Another user's code, for the loader's trust tests: the moment any of it
 * runs in mqchat (its constructor, at dlopen), it leaves the file MARKER. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <unistd.h>

#ifndef MARKER
#error "build with -DMARKER='\"/path/of/the/marker\"'"
#endif

__attribute__((constructor)) static void leave_marker(void)
{
	int fd = open(MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}
