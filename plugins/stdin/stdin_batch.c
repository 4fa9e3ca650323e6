/* SPDX-License-Identifier: MIT */
/*
 * Batch mode: standard input is a pipe or a file.  Every line is sent; at end
 * of input mqchat is asked to finish (the core then waits for the broker's
 * acknowledgements).  The conversation of others goes to standard output,
 * status lines to standard error.  Also a terminal's plain lines when
 * libedit cannot be loaded (`typed`): then a line may be a command, and
 * the history replay is shown.
 *
 * Output is gathered over a loop round and written at its end, in one
 * write() (a receiver under a flood made one per message).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mqchat/lines.h>

#include "stdin.h"

/* Small reads: the core pauses this watch while its send queue is full, and
 * it can only do so between reads, so one read must not flood the queue. */
#define BATCH_READ_SIZE 4096

/* Output written at once when this much has gathered in a round. */
#define BATCH_OUTPUT_MAX (64 * 1024)

#ifndef EX_IOERR
#define EX_IOERR 74
#endif

struct stdin_batch {
	struct stdin_frontend *fe;
	bool typed;              /* a person at a terminal (stdin_batch_open) */
	struct mqc_watch *watch; /* NULL once input has ended */
	int saved_flags;         /* of standard input, restored on close */
	struct mqc_lines lines;   /* at most STDIN_MAX_LINE bytes kept */
	struct mqc_lines_sink sink;
	char chunk[BATCH_READ_SIZE];
	struct mqc_timer *output_timer; /* writes `output` at the round's end */
	char *output;
	size_t output_len, output_cap;
};

static void batch_write_output(void *data)
{
	struct stdin_batch *b = data;
	if (b->output_len)
		stdin_write_stdout(b->fe, b->output, b->output_len);
	b->output_len = 0;
	if (b->output_cap > BATCH_OUTPUT_MAX) { /* one huge message keeps no room */
		free(b->output);
		b->output = NULL;
		b->output_cap = 0;
	}
}

/* Appends `len` bytes and a newline; false when out of memory. */
static bool batch_gather(struct stdin_batch *b, const char *text, size_t len)
{
	if (b->output_len + len + 1 > b->output_cap) {
		size_t cap = b->output_cap ? b->output_cap : BATCH_OUTPUT_MAX;
		while (cap < b->output_len + len + 1)
			cap *= 2;
		char *grown = realloc(b->output, cap);
		if (!grown)
			return false;
		b->output = grown;
		b->output_cap = cap;
	}
	memcpy(b->output + b->output_len, text, len);
	b->output[b->output_len + len] = '\n';
	b->output_len += len + 1;
	return true;
}

static void batch_line(void *data, size_t line_no, const char *line, size_t len)
{
	(void)line_no;
	struct stdin_batch *b = data;
	if (len == 0)
		return; /* a blank line says nothing */
	b->fe->host->submit_line(b->fe->inst, line, len, b->typed ? MQC_LINE_COMMANDS : 0, NULL);
}

static void batch_overlong(void *data, size_t line_no, unsigned long long len)
{
	struct stdin_batch *b = data;
	b->fe->host->log(b->fe->inst, MQC_LOG_WARNING,
	                 "line %zu: %llu bytes, longer than %zu; not sent",
	                 line_no, len, STDIN_MAX_LINE);
}

static void batch_end(struct stdin_batch *b, int code)
{
	mqc_lines_finish(&b->lines, &b->sink);
	mqc_lines_free(&b->lines);
	b->fe->host->watch_remove(b->watch);
	b->watch = NULL;
	b->fe->host->quit(b->fe->inst, code);
}

static void batch_readable(void *data, int fd, unsigned revents)
{
	(void)revents; /* a hang-up still leaves data to read: read decides */
	struct stdin_batch *b = data;
	ssize_t n = read(fd, b->chunk, sizeof b->chunk);
	if (n > 0) {
		mqc_lines_feed(&b->lines, b->chunk, (size_t)n, &b->sink);
	} else if (n == 0) {
		batch_end(b, 0);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		b->fe->host->log(b->fe->inst, MQC_LOG_ERROR, "reading standard input: %s",
		                 strerror(errno));
		batch_end(b, EX_IOERR);
	}
}

struct stdin_batch *stdin_batch_open(struct stdin_frontend *fe, bool typed)
{
	int flags = fcntl(STDIN_FILENO, F_GETFL);
	if (flags < 0) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "standard input: %s", strerror(errno));
		return NULL;
	}
	struct stdin_batch *b = calloc(1, sizeof *b);
	if (!b || !mqc_lines_init(&b->lines, STDIN_MAX_LINE)) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "out of memory");
		free(b);
		return NULL;
	}
	b->sink = (struct mqc_lines_sink){.data = b, .line = batch_line, .overlong = batch_overlong};
	b->fe = fe;
	b->typed = typed;
	b->saved_flags = flags;
	b->output_timer = fe->host->timer_add(fe->inst, 0, false, batch_write_output, b);
	if (!b->output_timer) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "cannot add a timer");
		mqc_lines_free(&b->lines);
		free(b);
		return NULL;
	}
	/* A terminal's lines come whole (canonical mode) and its file is the
	 * shell's too: left blocking, as a crash would leave it. */
	if (!(flags & O_NONBLOCK) && !typed)
		(void)fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
	b->watch = fe->host->watch_add(fe->inst, STDIN_FILENO, MQC_IO_IN,
	                               MQC_WATCH_SOURCE, batch_readable, b);
	if (!b->watch) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "cannot watch standard input");
		stdin_batch_close(b);
		return NULL;
	}
	return b;
}

void stdin_batch_deliver(struct stdin_batch *b, const struct mqc_message *msg)
{
	struct stdin_frontend *fe = b->fe;
	if (msg->type == MQC_MSG_STATUS) {
		size_t len = strlen(msg->text);
		char *line = malloc(len + sizeof "mqchat: \n");
		if (!line)
			return;
		memcpy(line, "mqchat: ", 8);
		memcpy(line + 8, msg->text, len);
		line[8 + len] = '\n';
		(void)stdin_write_all(STDERR_FILENO, line, len + 9);
		free(line);
		return;
	}
	/* A script piping lines in wants the live conversation of others:
	 * neither its own lines nor a replay of history.  A person at a
	 * terminal saw their own line as typed, and wants the replay. */
	if (msg->flags & (b->typed ? MQC_MSG_OWN : MQC_MSG_OWN | MQC_MSG_HISTORY))
		return;
	size_t len;
	if (!stdin_render(fe, msg, fe->color, &len))
		return;
	bool first = b->output_len == 0;
	if (!batch_gather(b, fe->render_buf, len)) {
		batch_write_output(b); /* out of memory: the old way, one write */
		fe->render_buf[len] = '\n';
		stdin_write_stdout(fe, fe->render_buf, len + 1);
	} else if (b->output_len >= BATCH_OUTPUT_MAX) {
		batch_write_output(b);
	} else if (first) {
		fe->host->timer_arm_now(b->output_timer);
	}
}

void stdin_batch_close(struct stdin_batch *b)
{
	if (!b)
		return;
	if (b->watch)
		b->fe->host->watch_remove(b->watch);
	batch_write_output(b);
	b->fe->host->timer_remove(b->output_timer);
	free(b->output);
	mqc_lines_free(&b->lines);
	/* The descriptor's open file may be shared with whoever started us. */
	if (!(b->saved_flags & O_NONBLOCK))
		(void)fcntl(STDIN_FILENO, F_SETFL, b->saved_flags);
	free(b);
}
