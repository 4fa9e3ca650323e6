/* SPDX-License-Identifier: MIT */
#include "runtime_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

size_t runtime_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	/* The effective uid: the user whose rights the files are made with. */
	if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/mqchat", xdg);
	else
		n = snprintf(buf, size, "/tmp/mqchat-%u", (unsigned)geteuid());
	return n < 0 ? size : (size_t)n;
}
