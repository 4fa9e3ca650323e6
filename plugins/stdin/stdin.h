/* SPDX-License-Identifier: MIT */
/*
 * The `stdin` frontend: the user's own terminal, or a pipe for scripts.
 *
 * One instance owns standard input and standard output.  When standard input
 * is a terminal it runs a line editor (stdin_terminal.c, on libedit loaded
 * then by stdin_editline.c, with Ctrl-Z and fg taken into the loop by
 * stdin_jobctl.c); otherwise, or when libedit cannot be loaded, it reads
 * lines in batch (stdin_batch.c).  Both print through stdin_output.c.
 */
#ifndef MQC_STDIN_H
#define MQC_STDIN_H

#include <stdbool.h>
#include <stddef.h>

#include <mqchat/plugin.h>

/* Longest line a pipe may send; longer ones are refused with a warning. */
#define STDIN_MAX_LINE ((size_t)256 * 1024)

struct stdin_terminal;
struct stdin_batch;
struct stdin_editline;

struct stdin_frontend {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct mqc_template *format;
	bool color;           /* render with MQC_RENDER_COLOR, dim STATUS */
	bool output_broken;   /* stdout went away: stop writing, say so once */
	bool format_shows_where; /* `format` has {network} or {room} */
	char *render_buf;     /* reused for every rendering */
	size_t render_cap;
	struct stdin_terminal *terminal; /* exactly one of these two is set */
	struct stdin_batch *batch;
};

/* --- stdin_output.c --------------------------------------------------- */

/* True while more than one room is joined (never on a core before 1.3). */
bool stdin_many_rooms(struct stdin_frontend *fe);

/* `msg` through the template (nick colours and a dim retained mark with
 * `color`), without a newline; NULL when out of memory.  While more than
 * one room is joined, and the template does not show it, where the
 * message belongs comes first ("[one:ops] ", common/where.h).  The result is
 * fe->render_buf, valid until the next call, with room for at least two
 * more bytes after `*len`. */
const char *stdin_render(struct stdin_frontend *fe,
                         const struct mqc_message *msg, bool color, size_t *len);

/* Writes all of `len` bytes to `fd`, waiting if the descriptor is
 * non-blocking and full: output is never dropped.  False on a real error
 * (e.g. EPIPE), with errno set. */
bool stdin_write_all(int fd, const char *buf, size_t len);

/* Writes to stdout; on a failure logs once and stops writing for good. */
void stdin_write_stdout(struct stdin_frontend *fe, const char *buf, size_t len);

/* --- stdin_terminal.c ------------------------------------------------- */

/* The line editor `ed` (stdin_editline_load) on standard input. */
struct stdin_terminal *stdin_terminal_open(struct stdin_frontend *fe,
                                           const struct stdin_editline *ed,
                                           const char *prompt,
                                           const char *history_path);
void stdin_terminal_deliver(struct stdin_terminal *t,
                            const struct mqc_message *msg);
void stdin_terminal_close(struct stdin_terminal *t);

/* --- stdin_jobctl.c --------------------------------------------------- */

/* Called from the loop on SIGTSTP, just before the process stops. */
typedef void stdin_jobctl_stopping_fn(void *data);
/* Called from the loop once the process runs again after that SIGTSTP
 * (`stopped` false when the kernel discarded the stop: nothing happened in
 * between), then with `stopped` true for every SIGCONT read: the one that
 * ended that stop, or one after someone else's SIGSTOP. */
typedef void stdin_jobctl_continued_fn(void *data, bool stopped);

struct stdin_jobctl;

/* NULL (logged) when the signals cannot be taken into the loop. */
struct stdin_jobctl *stdin_jobctl_open(struct stdin_frontend *fe,
                                       stdin_jobctl_stopping_fn *stopping,
                                       stdin_jobctl_continued_fn *continued,
                                       void *data);
/* Gives the signals back their default handling; NULL is fine. */
void stdin_jobctl_close(struct stdin_jobctl *j);

/* --- stdin_batch.c ---------------------------------------------------- */

/* `typed`: a person types on a terminal that has no line editor (libedit
 * could not be loaded): lines may be commands, the history replay is
 * shown, and the terminal's file stays blocking (the shell shares it). */
struct stdin_batch *stdin_batch_open(struct stdin_frontend *fe, bool typed);
void stdin_batch_deliver(struct stdin_batch *b, const struct mqc_message *msg);
void stdin_batch_close(struct stdin_batch *b);

#endif
