/* SPDX-License-Identifier: MIT */
/*
 * The fifo frontend: a named pipe that scripts and bots write lines into.
 *
 * Each line becomes a chat message, sent as the instance's `nick` if it has
 * one.  "/me ACTION" is an action and "//" escapes a leading slash; no other
 * command runs from a pipe (the core does that when MQC_LINE_COMMANDS is not
 * given).  The pipe is read only as fast as the broker acknowledges: the
 * watch is a MQC_WATCH_SOURCE, so when the core's send queue is full the
 * pipe fills up and writers block instead of anything being dropped.
 */
#include "fifo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <mqchat/lines.h>

/* A line without its newline is sent once the pipe has been this quiet. */
#define FIFO_QUIET_MS 1000

/* One read() per wake-up, so other descriptors get their turn.  Shared by
 * every instance: everything runs on the core's one thread. */
#define FIFO_READ_SIZE (64 * 1024)
static char fifo_read_buf[FIFO_READ_SIZE];

struct fifo {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct fifo_config cfg;
	struct fifo_pipe pipe;
	struct mqc_lines lines;
	struct mqc_lines_sink sink;
	struct mqc_watch *watch;
	struct mqc_timer *quiet;
};

static void fifo_submit(void *ctx, size_t line_no, const char *line, size_t len)
{
	struct fifo *f = ctx;

	(void)line_no;
	if (len > 0) /* a blank line says nothing */
		f->host->submit_line(f->inst, line, len, 0, f->cfg.nick);
}

static void fifo_dropped(void *ctx, size_t line_no, unsigned long long len)
{
	struct fifo *f = ctx;

	(void)line_no;
	f->host->log(f->inst, MQC_LOG_WARNING,
	             "dropped a line of %llu bytes from %s: longer than "
	             "max_line (%zu bytes)", len, f->cfg.path, f->cfg.max_line);
}

/* Bytes written into the pipe that we have not read yet. */
static int fifo_unread(int fd)
{
	int unread = 0;

	if (ioctl(fd, FIONREAD, &unread) != 0)
		return 0;
	return unread;
}

/* One read(): true if it brought bytes. */
static bool fifo_read_once(struct fifo *f, int fd)
{
	ssize_t n;

	do
		n = read(fd, fifo_read_buf, sizeof fifo_read_buf);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		mqc_lines_feed(&f->lines, fifo_read_buf, (size_t)n, &f->sink);
		/* Quiet is measured from the last byte. */
		f->host->timer_arm(f->quiet,
		                   mqc_lines_pending(&f->lines) ? FIFO_QUIET_MS : 0);
		return true;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		/* Cannot happen to a pipe we hold open; stop rather than spin. */
		f->host->log(f->inst, MQC_LOG_ERROR, "reading %s failed (%s); no "
		             "longer reading it", f->cfg.path, strerror(errno));
		f->host->watch_remove(f->watch);
		f->watch = NULL;
	}
	/* n == 0 (end of file) cannot happen while we hold a write end. */
	return false;
}

static void fifo_on_readable(void *data, int fd, unsigned revents)
{
	(void)revents;
	fifo_read_once(data, fd);
}

static void fifo_on_quiet(void *data)
{
	struct fifo *f = data;

	/* Bytes still waiting in the pipe (we may be held back while the send
	 * queue is full): the line is not over, only unread. */
	if (fifo_unread(f->pipe.fd) > 0) {
		f->host->timer_arm(f->quiet, FIFO_QUIET_MS);
		return;
	}
	mqc_lines_finish(&f->lines, &f->sink);
}

static bool fifo_watch(struct fifo *f)
{
	f->watch = f->host->watch_add(f->inst, f->pipe.fd, MQC_IO_IN,
	                              MQC_WATCH_SOURCE, fifo_on_readable, f);
	return f->watch != NULL;
}

static void fifo_close(void *self)
{
	struct fifo *f = self;
	int unread;

	if (f->watch)
		f->host->watch_remove(f->watch);
	if (f->quiet)
		f->host->timer_remove(f->quiet);
	if (mqc_lines_pending(&f->lines))
		f->host->log(f->inst, MQC_LOG_WARNING,
		             "an unfinished line (%zu bytes without a newline) read "
		             "from %s was not sent", f->lines.len, f->cfg.path);
	if (f->pipe.fd >= 0) {
		unread = fifo_unread(f->pipe.fd);
		/* They survive only while a writer keeps the pipe open; then
		 * the next run reads them. */
		if (unread > 0)
			f->host->log(f->inst, MQC_LOG_WARNING,
			             "%d bytes written to %s were left unread; the "
			             "next run reads them if their writer still "
			             "holds the pipe open", unread, f->cfg.path);
		fifo_path_close(&f->pipe);
	}
	mqc_lines_free(&f->lines);
	fifo_config_free(&f->cfg);
	free(f);
}

static int fifo_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct fifo_config cfg;
	char why[1024];

	if (!fifo_config_load(&cfg, inst, host))
		return -1;
	bool ok = fifo_path_check(cfg.path, why, sizeof why);
	if (!ok)
		host->config_error(inst, "path", "%s", why);
	fifo_config_free(&cfg);
	return ok ? 0 : -1;
}

static void *fifo_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct fifo *f = calloc(1, sizeof *f);
	char why[1024];

	if (f == NULL) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	*f = (struct fifo){.inst = inst, .host = host, .pipe = {.fd = -1}};
	if (!fifo_config_load(&f->cfg, inst, host)) {
		free(f);
		return NULL;
	}
	f->sink = (struct mqc_lines_sink){
		.data = f, .line = fifo_submit, .overlong = fifo_dropped};
	if (!mqc_lines_init(&f->lines, f->cfg.max_line)) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		goto fail;
	}
	if (!fifo_path_open(f->cfg.path, f->cfg.mode, &f->pipe, why, sizeof why)) {
		host->config_error(inst, "path", "%s", why);
		goto fail;
	}
	f->quiet = host->timer_add(inst, FIFO_QUIET_MS, false, fifo_on_quiet, f);
	if (f->quiet == NULL || !fifo_watch(f)) {
		host->log(inst, MQC_LOG_ERROR, "cannot watch %s", f->cfg.path);
		goto fail;
	}
	host->timer_arm(f->quiet, 0);
	host->log(inst, MQC_LOG_INFO, "reading lines from %s%s", f->cfg.path,
	          f->pipe.created ? " (created)" : "");
	return f;
fail:
	fifo_close(f);
	return NULL;
}

/* SIGHUP: if the FIFO was removed or replaced, make or open the new one,
 * after reading what is left in the old pipe so nothing written is lost. */
static void fifo_reopen(void *self)
{
	struct fifo *f = self;
	struct fifo_pipe fresh;
	char why[1024];

	if (fifo_path_is_current(f->cfg.path, &f->pipe))
		return;
	if (!fifo_path_open(f->cfg.path, f->cfg.mode, &fresh, why, sizeof why)) {
		f->host->log(f->inst, MQC_LOG_ERROR, "cannot reopen: %s; still "
		             "reading the previous pipe", why);
		return;
	}
	/* Bounded, in case writers of the old pipe never pause. */
	for (int i = 0; i < 64 && f->pipe.fd >= 0; i++)
		if (!fifo_read_once(f, f->pipe.fd))
			break;
	if (f->watch)
		f->host->watch_remove(f->watch);
	fifo_path_close(&f->pipe);
	f->pipe = fresh;
	if (!fifo_watch(f)) {
		f->host->log(f->inst, MQC_LOG_ERROR, "cannot watch %s",
		             f->cfg.path);
		return;
	}
	f->host->log(f->inst, MQC_LOG_INFO, "reopened %s%s", f->cfg.path,
	             fresh.created ? " (created)" : "");
}

/* Nothing is shown through a pipe that only carries lines in. */
static void fifo_deliver(void *self, const struct mqc_message *msg)
{
	(void)self;
	(void)msg;
}

MQC_PLUGIN_DEFINE(
	.name = "fifo",
	.version = "1.0",
	.description = "named pipes that scripts and bots write lines into",
	.kind = MQC_PLUGIN_FRONTEND,
	.keys = fifo_keys,
	.open = fifo_open,
	.close = fifo_close,
	.reopen = fifo_reopen,
	.deliver = fifo_deliver,
	.check = fifo_check);
