/* SPDX-License-Identifier: MIT */
/*
 * The exec frontend: runs a program for each message that matches.
 *
 *     [core]
 *     frontends = stdin, mentions
 *     [mentions]
 *     plugin = exec
 *     program = notify-send
 *     args = -- {nick} {text}
 *     match = (^|[^[:alnum:]])ana([^[:alnum:]]|$)
 *
 * `args` is split on spaces once, at start; each word is a template rendered
 * into exactly one argument, whatever the message holds.  Nothing a sender
 * writes becomes an option of the program: an argument that is not an
 * option the user wrote, nor after "--", and would start with '-' gets a
 * space before it (exec_config.c).  Values are cut at a character boundary
 * to the kernel's 128 KiB per argument or variable.
 *
 * Everything runs on the core's one thread, so nothing here may wait for a
 * child: each child gets a pidfd watched by the loop (readable once it has
 * exited), and is reaped then with waitpid(WNOHANG) on its own pid only.  A
 * kernel without pidfd_open gets a short repeating timer per child instead.
 * At most `max_running` children run at once; up to `max_queued` runs wait
 * for a slot, and beyond that messages are dropped with a warning, so a
 * flood of messages can never fork-bomb the machine.  A child running longer
 * than `timeout` gets SIGTERM, then SIGKILL after a grace period.
 */
#include "exec.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* From SIGTERM to SIGKILL for a child that overstays its timeout. */
#define EXEC_KILL_GRACE_MS 2000
/* How often a child is polled when the kernel offers no pidfd. */
#define EXEC_POLL_MS 100

struct exec;

struct exec_child {
	struct exec *owner;
	pid_t pid;
	int pidfd;                 /* -1: polled by `poll` instead */
	struct mqc_watch *watch;
	struct mqc_timer *poll;
	struct mqc_timer *deadline;
	bool terminated;           /* SIGTERM sent; SIGKILL next */
	struct exec_child *next;
};

struct exec {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct exec_config cfg;
	struct exec_child *running;
	unsigned n_running;
	struct exec_job *queue_head, *queue_tail;
	unsigned n_queued;
	unsigned long dropped;     /* since the queue last had room */
};

static void exec_start_queued(struct exec *e);

static void exec_report_status(struct exec *e, pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		e->host->log(e->inst, MQC_LOG_WARNING, "%s (pid %ld) exited with status %d",
		             e->cfg.program, (long)pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		e->host->log(e->inst, MQC_LOG_WARNING, "%s (pid %ld) was killed by signal %d (%s)",
		             e->cfg.program, (long)pid, WTERMSIG(status),
		             strsignal(WTERMSIG(status)));
	else
		e->host->log(e->inst, MQC_LOG_DEBUG, "%s (pid %ld) done", e->cfg.program,
		             (long)pid);
}

/* Forgets a child that has been reaped, or that we leave to init. */
static void exec_child_free(struct exec_child *c)
{
	struct exec *e = c->owner;
	for (struct exec_child **p = &e->running; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	e->n_running--;
	if (c->watch)
		e->host->watch_remove(c->watch);
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->poll)
		e->host->timer_remove(c->poll);
	if (c->deadline)
		e->host->timer_remove(c->deadline);
	free(c);
}

/* Reaps the child if it has exited; true if it has. */
static bool exec_child_reap(struct exec_child *c)
{
	int status;
	pid_t got;
	do
		got = waitpid(c->pid, &status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return false;
	struct exec *e = c->owner;
	if (got == c->pid)
		exec_report_status(e, c->pid, status);
	else
		e->host->log(e->inst, MQC_LOG_WARNING, "waitpid(%ld): %s", (long)c->pid,
		             strerror(errno));
	exec_child_free(c);
	exec_start_queued(e);
	return true;
}

static void exec_on_pidfd(void *data, int fd, unsigned revents)
{
	(void)fd;
	(void)revents;
	exec_child_reap(data);
}

static void exec_on_poll(void *data)
{
	exec_child_reap(data);
}

static void exec_on_deadline(void *data)
{
	struct exec_child *c = data;
	struct exec *e = c->owner;
	/* The child has not been reaped, so its pid cannot have been reused. */
	if (!c->terminated) {
		e->host->log(e->inst, MQC_LOG_WARNING, "%s (pid %ld) still running after %u s: "
		             "terminating it (raise [%s] timeout if it needs longer)",
		             e->cfg.program, (long)c->pid, e->cfg.timeout_ms / 1000,
		             e->host->name(e->inst));
		kill(c->pid, SIGTERM);
		c->terminated = true;
		e->host->timer_arm(c->deadline, EXEC_KILL_GRACE_MS);
	} else {
		kill(c->pid, SIGKILL);
	}
}

/* Starts `job` now; the job is freed either way. */
static void exec_run(struct exec *e, struct exec_job *job)
{
	pid_t pid;
	int rc = exec_spawn(e->cfg.program_path, job, e->cfg.output, &pid);
	exec_job_free(job);
	if (rc != 0) {
		e->host->log(e->inst, MQC_LOG_ERROR, "cannot run %s: %s", e->cfg.program_path,
		             strerror(rc));
		return;
	}
	struct exec_child *c = calloc(1, sizeof *c);
	if (!c) {
		/* Cannot track it: init will reap it after we exit. */
		e->host->log(e->inst, MQC_LOG_ERROR, "out of memory tracking pid %ld", (long)pid);
		return;
	}
	*c = (struct exec_child){.owner = e, .pid = pid, .pidfd = exec_pidfd(pid)};
	c->next = e->running;
	e->running = c;
	e->n_running++;
	if (c->pidfd >= 0)
		c->watch = e->host->watch_add(e->inst, c->pidfd, MQC_IO_IN, 0, exec_on_pidfd, c);
	else
		c->poll = e->host->timer_add(e->inst, EXEC_POLL_MS, true, exec_on_poll, c);
	if (e->cfg.timeout_ms)
		c->deadline = e->host->timer_add(e->inst, e->cfg.timeout_ms, false,
		                                 exec_on_deadline, c);
}

static void exec_start_queued(struct exec *e)
{
	while (e->queue_head && e->n_running < e->cfg.max_running) {
		struct exec_job *job = e->queue_head;
		e->queue_head = job->next;
		if (!e->queue_head)
			e->queue_tail = NULL;
		e->n_queued--;
		exec_run(e, job);
	}
	bool room = e->n_running < e->cfg.max_running || e->n_queued < e->cfg.max_queued;
	if (e->dropped && room) {
		e->host->log(e->inst, MQC_LOG_WARNING, "%lu message%s dropped while %u runs were "
		             "queued", e->dropped, e->dropped == 1 ? " was" : "s were",
		             e->cfg.max_queued);
		e->dropped = 0;
	}
}

static void exec_deliver(void *self, const struct mqc_message *msg)
{
	struct exec *e = self;
	if (!exec_config_wants(&e->cfg, msg))
		return;
	if (e->n_running >= e->cfg.max_running && e->n_queued >= e->cfg.max_queued) {
		if (!e->dropped++)
			e->host->log(e->inst, MQC_LOG_WARNING, "%u runs of %s going and %u queued: "
			             "dropping messages until one ends (see max_running, "
			             "max_queued)", e->n_running, e->cfg.program, e->n_queued);
		return;
	}
	struct exec_job *job = exec_job_new(&e->cfg, e->host, msg);
	if (!job) {
		e->host->log(e->inst, MQC_LOG_ERROR, "out of memory: %s not run", e->cfg.program);
		return;
	}
	if (e->n_running < e->cfg.max_running) {
		exec_run(e, job);
		return;
	}
	if (e->queue_tail)
		e->queue_tail->next = job;
	else
		e->queue_head = job;
	e->queue_tail = job;
	e->n_queued++;
}

static void *exec_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct exec *e = calloc(1, sizeof *e);
	if (!e) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	e->inst = inst;
	e->host = host;
	if (!exec_config_load(&e->cfg, inst, host)) {
		free(e);
		return NULL;
	}
	host->log(inst, MQC_LOG_DEBUG, "runs %s for matching messages", e->cfg.program_path);
	return e;
}

/* At exit nothing may wait: children that already ended are reaped, the
 * others get SIGTERM (their timeout would not be enforced any more) and
 * are left to init. */
static void exec_close(void *self)
{
	struct exec *e = self;
	while (e->running) {
		struct exec_child *c = e->running;
		if (waitpid(c->pid, NULL, WNOHANG) == 0)
			kill(c->pid, SIGTERM);
		exec_child_free(c);
	}
	for (struct exec_job *job = e->queue_head, *next; job; job = next) {
		next = job->next;
		exec_job_free(job);
	}
	if (e->n_queued)
		e->host->log(e->inst, MQC_LOG_WARNING, "%u queued runs of %s not started: "
		             "mqchat is exiting", e->n_queued, e->cfg.program);
	exec_config_free(&e->cfg, e->host);
	free(e);
}

MQC_PLUGIN_DEFINE(
	.name = "exec",
	.version = "1.0",
	.description = "runs a program for each matching message (no shell)",
	.kind = MQC_PLUGIN_FRONTEND,
	.keys = exec_keys,
	.open = exec_open,
	.close = exec_close,
	.deliver = exec_deliver);
