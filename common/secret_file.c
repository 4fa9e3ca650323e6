/* SPDX-License-Identifier: MIT */
#include "secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "file_kind.h"

char *secret_file_read(const char *path, bool *others_read, const char **why)
{
	*others_read = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		*why = strerror(errno);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = file_kind(st.st_mode);
		close(fd);
		return NULL;
	}
	*others_read = (st.st_mode & S_IROTH) != 0;
	FILE *f = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = f ? getline(&line, &cap, f) : -1;
	if (f)
		fclose(f);
	else
		close(fd);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len <= 0) {
		*why = "it is empty";
		free(line);
		return NULL;
	}
	return line;
}

const char *readable_problem(const char *path, bool dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (dir ? O_DIRECTORY : 0));
	struct stat st;
	const char *problem = NULL;
	if (fd < 0 || fstat(fd, &st) != 0)
		problem = strerror(errno);
	else if (!dir && !S_ISREG(st.st_mode))
		problem = S_ISDIR(st.st_mode) ? "a directory, not a file" : "not a regular file";
	if (fd >= 0)
		close(fd);
	return problem;
}
