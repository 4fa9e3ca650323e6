/* SPDX-License-Identifier: MIT */
/*
 * The program the exec plugin runs in tests: writes what it was given and
 * how it was started to $REC_DIR/<pid>.rec, one "what=value" per line:
 * arg=, env= (MQCHAT_* and REC_* only), parent= (the parent's comm),
 * sigblk=, sigign=, fd= (each open descriptor).  A first argument "sleep"
 * makes it sleep a minute first, to be killed by the plugin's timeout.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void copy_status(FILE *out)
{
	char line[256];
	FILE *st = fopen("/proc/self/status", "r");
	while (st && fgets(line, sizeof line, st)) {
		if (!strncmp(line, "SigBlk:\t", 8))
			fprintf(out, "sigblk=%s", line + 8);
		if (!strncmp(line, "SigIgn:\t", 8))
			fprintf(out, "sigign=%s", line + 8);
	}
	if (st)
		fclose(st);
}

static void list_fds(FILE *out, int own)
{
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.' && atoi(e->d_name) != own && atoi(e->d_name) != dirfd(d))
			fprintf(out, "fd=%s\n", e->d_name);
	if (d)
		closedir(d);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("REC_DIR");
	if (!dir)
		return 2;
	if (argc > 1 && !strcmp(argv[1], "sleep"))
		sleep(60);
	char tmp[4096], final[4096], comm[64] = "";
	snprintf(tmp, sizeof tmp, "%s/%ld.tmp", dir, (long)getpid());
	snprintf(final, sizeof final, "%s/%ld.rec", dir, (long)getpid());
	snprintf(comm, sizeof comm, "/proc/%ld/comm", (long)getppid());
	FILE *parent = fopen(comm, "r");
	if (!parent || !fgets(comm, sizeof comm, parent))
		strcpy(comm, "?\n");
	if (parent)
		fclose(parent);
	FILE *out = fopen(tmp, "w");
	if (!out)
		return 3;
	for (int i = 0; i < argc; i++)
		fprintf(out, "arg=%s\n", argv[i]);
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "MQCHAT_", 7) || !strncmp(*e, "REC_", 4))
			fprintf(out, "env=%s\n", *e);
	fprintf(out, "parent=%s", comm);
	copy_status(out);
	list_fds(out, fileno(out));
	fclose(out);
	return rename(tmp, final) == 0 ? 0 : 4;
}
