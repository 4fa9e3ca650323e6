/* SPDX-License-Identifier: MIT */
/* Starting the program: posix_spawn, never a shell, as an ordinary process. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

static int setup_files(posix_spawn_file_actions_t *fa, enum exec_output output)
{
	int rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!rc && output == EXEC_OUTPUT_DISCARD) {
		rc = posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
		if (!rc)
			rc = posix_spawn_file_actions_adddup2(fa, STDOUT_FILENO, STDERR_FILENO);
	} else if (!rc) {
		/* Our stdout is the chat itself (batch mode prints it): the
		 * program's output belongs with the log on stderr. */
		rc = posix_spawn_file_actions_adddup2(fa, STDERR_FILENO, STDOUT_FILENO);
	}
	/* The broker socket, the signalfd, FIFOs, pidfds: nothing of ours may
	 * outlive us in a child that runs longer. */
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);
	return rc;
}

/* The core blocks SIGINT, SIGTERM and SIGHUP (it reads them from a
 * signalfd) and ignores SIGPIPE; both survive exec, so without this the
 * program could not be interrupted and would not die of a broken pipe. */
static int setup_signals(posix_spawnattr_t *attr)
{
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	int rc = posix_spawnattr_setsigmask(attr, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(attr, &all);
	if (!rc)
		rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	return rc;
}

int exec_spawn(const char *path, const struct exec_job *job, enum exec_output output,
               pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	rc = posix_spawnattr_init(&attr);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	rc = setup_files(&fa, output);
	if (!rc)
		rc = setup_signals(&attr);
	/* glibc's posix_spawn reports a failed exec (ENOENT, EACCES) here. */
	if (!rc)
		rc = posix_spawn(pid, path, &fa, &attr, job->argv, job->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int exec_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	/* Close-on-exec by default. */
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}
