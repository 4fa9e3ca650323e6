/* SPDX-License-Identifier: MIT */
/*
 * Job control for the terminal: Ctrl-Z (SIGTSTP) and fg or bg (SIGCONT).
 *
 * Both signals are blocked and read from a signalfd in the core's loop, so
 * all the work around a stop (terminal modes, the screen) is ordinary code.
 * Only the terminal frontend needs them, so it owns them; the core keeps
 * its own signalfd for SIGINT, SIGTERM and SIGHUP.  Blocking is process-wide
 * (mqchat runs one thread), and only what was blocked here is unblocked on
 * close, so the core's mask is left as it is.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "stdin.h"

struct stdin_jobctl {
	struct stdin_frontend *fe;
	int fd;
	struct mqc_watch *watch;
	sigset_t blocked_here;      /* the signals this module blocked */
	stdin_jobctl_stopping_fn *stopping;
	stdin_jobctl_continued_fn *continued;
	void *data;
};

/* Stops the process the way SIGTSTP's default action does, and returns once
 * it runs again: true if it was stopped, false if the kernel discarded the
 * stop (an orphaned process group: no shell to resume it) or SIGTSTP is
 * ignored. */
static bool stop_process(void)
{
	sigset_t tstp;
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	/* Raised while blocked, it waits; unblocking delivers it before
	 * sigprocmask returns, and the process stops there. */
	raise(SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
	/* Generating SIGTSTP discarded any pending SIGCONT, so one pending
	 * now is the one that resumed us (blocked, it is still to be read). */
	sigset_t pending;
	return sigpending(&pending) == 0 && sigismember(&pending, SIGCONT);
}

static void jobctl_readable(void *data, int fd, unsigned revents)
{
	struct stdin_jobctl *j = data;
	struct signalfd_siginfo si;
	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGTSTP) {
			j->stopping(j->data);
			j->continued(j->data, stop_process());
		} else {
			/* SIGCONT: after our own stop (already handled), or
			 * after a SIGSTOP someone else sent. */
			j->continued(j->data, true);
		}
	}
}

struct stdin_jobctl *stdin_jobctl_open(struct stdin_frontend *fe,
                                       stdin_jobctl_stopping_fn *stopping,
                                       stdin_jobctl_continued_fn *continued,
                                       void *data)
{
	struct stdin_jobctl *j = calloc(1, sizeof *j);
	if (!j) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	*j = (struct stdin_jobctl){.fe = fe, .fd = -1, .stopping = stopping,
	                           .continued = continued, .data = data};
	static const int job_signals[] = {SIGTSTP, SIGCONT};
	sigset_t set, before;
	sigemptyset(&set);
	sigemptyset(&j->blocked_here);
	for (size_t i = 0; i < sizeof job_signals / sizeof *job_signals; i++)
		sigaddset(&set, job_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, &before) == 0) {
		for (size_t i = 0; i < sizeof job_signals / sizeof *job_signals; i++)
			if (!sigismember(&before, job_signals[i]))
				sigaddset(&j->blocked_here, job_signals[i]);
		j->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	}
	if (j->fd < 0) {
		fe->host->log(fe->inst, MQC_LOG_ERROR,
		              "cannot take Ctrl-Z and fg (SIGTSTP, SIGCONT) into the loop: %s",
		              strerror(errno));
		stdin_jobctl_close(j);
		return NULL;
	}
	j->watch = fe->host->watch_add(fe->inst, j->fd, MQC_IO_IN, 0, jobctl_readable, j);
	if (!j->watch) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "cannot watch Ctrl-Z and fg");
		stdin_jobctl_close(j);
		return NULL;
	}
	return j;
}

void stdin_jobctl_close(struct stdin_jobctl *j)
{
	if (!j)
		return;
	if (j->watch)
		j->fe->host->watch_remove(j->watch);
	if (j->fd >= 0)
		close(j->fd);
	/* A Ctrl-Z not read yet stops the process now, with the terminal
	 * already handed back. */
	sigprocmask(SIG_UNBLOCK, &j->blocked_here, NULL);
	free(j);
}
