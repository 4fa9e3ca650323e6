/* SPDX-License-Identifier: MIT */
/*
 * Terminal mode: libedit's readline-compatible callback interface, fed one
 * keystroke at a time from the core's loop.
 *
 * Messages arrive while the user types.  To print one above the input line
 * we erase the prompt and the typed text ourselves (we know how many screen
 * rows they take), print, and ask libedit for a full redraw.  libedit's own
 * helpers do not fit: its rl_redisplay() pushes the "reprint" key, which the
 * readline layer binds to incremental search, and its rl_replace_line("")
 * does nothing.  A full redraw (EL_REFRESH, behind rl_forced_update_display)
 * draws prompt, text and cursor afresh from the cursor's row, keeping the
 * line buffer and point untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "mkdirs.h"
#include "stdin.h"
#include "stdin_editline.h"
#include "stdin_where.h"
#include "stdin_wrap.h"

#define HISTORY_ENTRIES 1000

struct stdin_terminal {
	struct stdin_frontend *fe;
	const struct stdin_editline *ed;
	struct mqc_watch *watch;    /* NULL once input has ended */
	struct stdin_jobctl *jobctl;
	char *base_prompt;          /* as configured */
	char *prompt;               /* shown: with the current room, see update_prompt() */
	size_t prompt_columns;
	char *history_path;         /* NULL: no recall history kept on disk */
	struct termios saved_tty;   /* as we found it, restored on close */
	bool have_saved_tty;
	bool prompt_shown;          /* prompt and typed text are on screen */
	bool input_ended;           /* Ctrl-D: no more lines */
	/* Inside the line handler, after the fresh prompt is shown: libedit
	 * updates rl_point and rl_line_buffer only once the handler returns,
	 * so until then they still describe the line just entered. */
	bool prompt_empty;
	/* While the line just entered is being submitted: the screen rows it
	 * takes right above the cursor, which the core's formatted echo of it
	 * replaces.  0 otherwise. */
	unsigned entered_rows;
	bool in_history;            /* the last message shown was from history */
	bool set_aside;             /* terminal handed back for a Ctrl-Z */
};

/* libedit's callback interface passes no user data, and its readline layer
 * holds a single editor per process anyway. */
static struct stdin_terminal *active_terminal;

/* --- screen geometry ------------------------------------------------- */

static unsigned terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Columns libedit uses to show `len` bytes of `s`: control characters as
 * ^X, undecodable bytes as \ooo. */
static size_t text_columns(const char *s, size_t len)
{
	mbstate_t state;
	memset(&state, 0, sizeof state);
	size_t columns = 0;
	while (len > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &state);
		if (n == (size_t)-1 || n == (size_t)-2) {
			columns += 4;
			n = 1;
			memset(&state, 0, sizeof state);
		} else {
			if (n == 0)
				n = 1;
			int w = wcwidth(wc);
			if (w >= 0)
				columns += (size_t)w;
			else if (wc < 0x20 || wc == 0x7f)
				columns += 2;
		}
		s += n;
		len -= n;
	}
	return columns;
}

/* Row of the cursor, counted from the prompt's first row.  libedit wraps
 * the cursor to the next row as soon as a row is full. */
static unsigned cursor_row(const struct stdin_terminal *t)
{
	size_t used = t->prompt_columns;
	if (!t->prompt_empty && *t->ed->line_buffer && *t->ed->point > 0)
		used += text_columns(*t->ed->line_buffer, (size_t)*t->ed->point);
	return (unsigned)(used / terminal_width());
}

/* Row and column just after the last character typed, counted from the
 * prompt's first row. */
static unsigned input_end(const struct stdin_terminal *t, unsigned *column)
{
	size_t used = t->prompt_columns;
	if (*t->ed->line_buffer && *t->ed->end > 0)
		used += text_columns(*t->ed->line_buffer, (size_t)*t->ed->end);
	*column = (unsigned)(used % terminal_width());
	return (unsigned)(used / terminal_width());
}

/* Rows taken by the prompt and `line` once entered (libedit then moves
 * below the last of them). */
static unsigned entered_line_rows(const struct stdin_terminal *t, const char *line)
{
	size_t used = t->prompt_columns + text_columns(line, strlen(line));
	return (unsigned)(used / terminal_width()) + 1;
}

/* Moves `rows` up to column 0 and erases everything from there down. */
static void erase_rows_above(struct stdin_terminal *t, unsigned rows)
{
	char seq[32];
	int n = rows ? snprintf(seq, sizeof seq, "\r\033[%uA\033[J", rows)
	             : snprintf(seq, sizeof seq, "\r\033[J");
	stdin_write_stdout(t->fe, seq, (size_t)n);
}

/* --- printing above the input line ----------------------------------- */

static void show_prompt(const struct stdin_terminal *t)
{
	fflush(stdout);
	t->ed->forced_update_display();
	fflush(stdout);
}

/* With more than one room joined the prompt names the current one (the
 * core's /join, /go and /part change it).  Call with the prompt off the
 * screen; true when it changed. */
static bool update_prompt(struct stdin_terminal *t)
{
	const struct mqc_host *host = t->fe->host;
	const char *room = NULL;
	if (stdin_many_rooms(t->fe) && MQC_HOST_HAS(host, current_room))
		room = host->current_room(t->fe->inst);
	char *wanted = stdin_where_prompt(t->base_prompt, room);
	if (!wanted || strcmp(wanted, t->prompt) == 0) {
		free(wanted);
		return false;
	}
	free(t->prompt);
	t->prompt = wanted;
	t->prompt_columns = text_columns(wanted, strlen(wanted));
	(void)t->ed->set_prompt(wanted);
	return true;
}

/* After a command: the current room may have changed without a message
 * shown (one is, as a rule: "your lines go to one:ops now"). */
static void refresh_prompt(struct stdin_terminal *t)
{
	unsigned up = cursor_row(t);
	if (!t->prompt_shown || !update_prompt(t))
		return;
	erase_rows_above(t, up);
	show_prompt(t);
}

/* `text` wrapped with a hanging indent (stdin_wrap.h), a newline after it;
 * NULL when out of memory.  The terminal's own wrapping is off meanwhile:
 * should it count a character wider than wcwidth() did, the row is cut
 * short rather than continued at the left edge. */
static char *wrapped(const char *text, size_t len, size_t *out_len)
{
	static const char autowrap_off[] = "\033[?7l", end[] = "\r\n\033[?7h";
	unsigned width = terminal_width(), indent = stdin_wrap_indent(width);
	size_t head = sizeof autowrap_off - 1, tail = sizeof end - 1;
	size_t n = stdin_wrap(text, len, width, indent, NULL);
	char *rows = malloc(head + n + tail);
	if (!rows)
		return NULL;
	memcpy(rows, autowrap_off, head);
	stdin_wrap(text, len, width, indent, rows + head);
	memcpy(rows + head + n, end, tail); /* raw mode: no newline translation */
	*out_len = head + n + tail;
	return rows;
}

static void print_above_input(struct stdin_terminal *t, const char *text,
                              size_t len, bool replaces_entered_line)
{
	size_t rows_len;
	char *rows = wrapped(text, len, &rows_len);
	if (!rows) {
		t->fe->host->log(t->fe->inst, MQC_LOG_ERROR, "out of memory: a line not shown");
		return;
	}
	fflush(stdout); /* whatever libedit still holds goes first */
	unsigned up = t->prompt_shown ? cursor_row(t) : 0;
	if (replaces_entered_line)
		up += t->entered_rows;
	t->entered_rows = 0;
	erase_rows_above(t, up);
	stdin_write_stdout(t->fe, rows, rows_len);
	free(rows);
	if (t->prompt_shown) {
		(void)update_prompt(t);
		t->ed->resize_terminal(); /* redraw for the current width */
		show_prompt(t);
	}
}

/* A line of our own (status, history frame, a replayed message): dim in
 * colour, after an optional prefix. */
static void print_dim(struct stdin_terminal *t, const char *prefix, const char *text,
                      size_t len)
{
	const char *dim = t->fe->color ? "\033[2m" : "";
	const char *undim = t->fe->color ? "\033[0m" : "";
	size_t size = strlen(prefix) + len + 16;
	char *line = malloc(size);
	if (!line)
		return;
	int n = snprintf(line, size, "%s%s%.*s%s", dim, prefix, (int)len, text, undim);
	print_above_input(t, line, n > 0 ? (size_t)n : 0, false);
	free(line);
}

/* Replayed messages (at start, /history, /search) come framed, so they
 * are never taken for what is being said now. */
static void frame_history(struct stdin_terminal *t, bool from_history)
{
	if (from_history == t->in_history)
		return;
	t->in_history = from_history;
	const char *text = from_history ? "history" : "end of history";
	print_dim(t, "-- ", text, strlen(text));
}

void stdin_terminal_deliver(struct stdin_terminal *t, const struct mqc_message *msg)
{
	struct stdin_frontend *fe = t->fe;
	bool from_history = (msg->flags & MQC_MSG_HISTORY) != 0;
	frame_history(t, from_history);
	if (msg->type == MQC_MSG_STATUS) {
		print_dim(t, "-- ", msg->text, strlen(msg->text));
		return;
	}
	size_t len;
	/* Old lines are dim as a whole: no nick colours inside. */
	const char *text = stdin_render(fe, msg, fe->color && !from_history, &len);
	if (!text)
		return;
	if (stdin_wrap_starts_with(text, len, "--")) {
		/* Only our own lines start with "--" at the left edge: this one
		 * moves one column right (the rendering has room for it). */
		memmove(fe->render_buf + 1, fe->render_buf, len);
		fe->render_buf[0] = ' ';
		text = fe->render_buf;
		len++;
	}
	if (from_history && fe->color)
		print_dim(t, "", text, len);
	else
		/* Our own message comes back formatted at once: it takes the
		 * place of the raw line the editor left on screen. */
		print_above_input(t, text, len, (msg->flags & MQC_MSG_OWN) && !from_history);
}

/* --- input ------------------------------------------------------------ */

static void end_input(struct stdin_terminal *t)
{
	t->input_ended = true;
	if (t->watch) {
		t->fe->host->watch_remove(t->watch);
		t->watch = NULL;
	}
}

/* libedit's line handler: a whole line after Enter, NULL after Ctrl-D on an
 * empty line.  The line is ours to free. */
static void terminal_line(char *line)
{
	struct stdin_terminal *t = active_terminal;
	if (!t) {
		free(line);
		return;
	}
	t->prompt_shown = false; /* libedit left it behind, cursor below */
	if (!line) {
		/* Ctrl-D on an empty line, which libedit shows as "^D" after
		 * the prompt, cursor still on that row: wipe it. */
		erase_rows_above(t, (unsigned)((t->prompt_columns + 2) / terminal_width()));
		end_input(t);
		t->fe->host->quit(t->fe->inst, 0);
		return;
	}
	t->entered_rows = entered_line_rows(t, line);
	size_t len = strlen(line);
	bool blank = strspn(line, " \t") == len;
	if (blank) {
		/* Nothing to send: leave no trace of the empty prompt. */
		erase_rows_above(t, t->entered_rows);
		t->entered_rows = 0;
	}
	/* To hand us the line libedit left keystroke mode, putting the
	 * terminal back in its cooked mode, where keys typed now would be
	 * taken by the line discipline (a Ctrl-D lost as an end of file).
	 * Installing the handler again returns to keystroke mode at once and
	 * shows a fresh prompt below the entered line. */
	t->ed->callback_handler_install(t->prompt, terminal_line);
	t->prompt_shown = true;
	t->prompt_empty = true;
	if (!blank) {
		t->ed->add_history(line);
		/* The core echoes a message back, formatted, during this call;
		 * a command may print status lines or nothing. */
		t->fe->host->submit_line(t->fe->inst, line, len, MQC_LINE_COMMANDS, NULL);
	}
	free(line);
	if (active_terminal == t) {
		refresh_prompt(t);
		t->entered_rows = 0;
		t->prompt_empty = false;
	}
	fflush(stdout);
}

static void terminal_readable(void *data, int fd, unsigned revents)
{
	(void)fd;
	struct stdin_terminal *t = data;
	if (revents & (MQC_IO_HUP | MQC_IO_ERR)) {
		/* The terminal hung up: nobody is left to type, and libedit
		 * would read nothing forever. */
		end_input(t);
		t->fe->host->quit(t->fe->inst, 0);
		return;
	}
	t->ed->callback_read_char();
	if (active_terminal != t)
		return;
	if (t->input_ended) {
		/* Ctrl-D: no more keystrokes; back to the terminal's own mode
		 * while the core finishes. */
		t->ed->callback_handler_remove();
		if (t->have_saved_tty)
			(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved_tty);
		if (t->prompt_shown)
			erase_rows_above(t, cursor_row(t));
		t->prompt_shown = false;
	}
	fflush(stdout);
}

/* --- Ctrl-Z and fg ------------------------------------------------------ */

/* Moves the cursor just after the last character typed. */
static void move_to_input_end(struct stdin_terminal *t)
{
	unsigned column, down = input_end(t, &column) - cursor_row(t);
	char seq[48] = "\r";
	size_t n = 1;
	/* A count of 0 would still move by one. */
	if (down)
		n += (size_t)snprintf(seq + n, sizeof seq - n, "\033[%uB", down);
	if (column)
		n += (size_t)snprintf(seq + n, sizeof seq - n, "\033[%uC", column);
	stdin_write_stdout(t->fe, seq, n);
}

/* Before the process stops: the typed line stays on screen with the cursor
 * after it, where a shell expects it (it reports the stopped job on the
 * next row), and the terminal goes back to the mode the shell knows. */
static void terminal_stopping(void *data)
{
	struct stdin_terminal *t = data;
	if (!t->watch)
		return; /* input ended: the terminal is already as we found it */
	move_to_input_end(t);
	fflush(stdout);
	t->ed->deprep_terminal();
	t->set_aside = true;
}

/* The process runs again.  In the background, taking the terminal stops it
 * (SIGTTOU) until it is brought to the foreground: so modes first, then
 * the screen. */
static void terminal_continued(void *data, bool stopped)
{
	struct stdin_terminal *t = data;
	if (!t->watch)
		return;
	if (!t->set_aside) {
		/* Someone else's SIGSTOP (or the SIGCONT that ended our own
		 * stop, already handled).  Keystroke mode still on: nobody
		 * took the terminal, the screen is as we left it.  Otherwise a
		 * shell did, and libedit must be told it left its mode. */
		struct termios now;
		if (tcgetattr(STDIN_FILENO, &now) != 0 || !(now.c_lflag & ICANON))
			return;
		t->ed->deprep_terminal();
	}
	t->ed->prep_terminal(1);
	t->set_aside = false;
	if (stopped) {
		/* A shell wrote below the line: start afresh. */
		stdin_write_stdout(t->fe, "\r", 1);
	} else {
		unsigned column;
		erase_rows_above(t, input_end(t, &column));
	}
	t->ed->resize_terminal(); /* the window may have changed meanwhile */
	show_prompt(t);
}

/* --- recall history ---------------------------------------------------- */

static void history_load(struct stdin_terminal *t)
{
	t->ed->stifle_history(HISTORY_ENTRIES);
	struct stat st;
	/* libedit cannot read back an empty file (no header): nothing to load. */
	if (!t->history_path || stat(t->history_path, &st) != 0 || st.st_size == 0)
		return;
	if (t->ed->read_history(t->history_path) != 0)
		t->fe->host->log(t->fe->inst, MQC_LOG_WARNING,
		                 "cannot read input history %s", t->history_path);
}

static void history_save(struct stdin_terminal *t)
{
	if (!t->history_path || *t->ed->history_length == 0)
		return;
	(void)mkdirs_parent(t->history_path, 0700, NULL); /* open() says what fails */
	/* What the user typed is private: create the file 0600 before the
	 * library opens it with the default mode. */
	int fd = open(t->history_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || t->ed->write_history(t->history_path) != 0)
		t->fe->host->log(t->fe->inst, MQC_LOG_WARNING,
		                 "cannot write input history %s: %s", t->history_path,
		                 strerror(errno));
}

/* --- life cycle -------------------------------------------------------- */

/* The line editor decodes keystrokes with the C library's multibyte
 * functions; chat text is UTF-8, so a "C" character type would show every
 * accented letter as octal escapes. */
static void ensure_utf8_ctype(void)
{
	const char *current = setlocale(LC_CTYPE, NULL);
	if (current && strcmp(current, "C") != 0 && strcmp(current, "POSIX") != 0)
		return;
	current = setlocale(LC_CTYPE, "");
	if (!current || strcmp(current, "C") == 0 || strcmp(current, "POSIX") == 0)
		(void)setlocale(LC_CTYPE, "C.UTF-8");
}

struct stdin_terminal *stdin_terminal_open(struct stdin_frontend *fe,
                                           const struct stdin_editline *ed,
                                           const char *prompt,
                                           const char *history_path)
{
	struct stdin_terminal *t = calloc(1, sizeof *t);
	if (!t || !(t->prompt = strdup(prompt)) || !(t->base_prompt = strdup(prompt)) ||
	    (history_path && !(t->history_path = strdup(history_path)))) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "out of memory");
		if (t) {
			free(t->prompt);
			free(t->base_prompt);
		}
		free(t);
		return NULL;
	}
	t->fe = fe;
	t->ed = ed;
	t->have_saved_tty = tcgetattr(STDIN_FILENO, &t->saved_tty) == 0;
	ensure_utf8_ctype();
	t->prompt_columns = text_columns(prompt, strlen(prompt));

	/* The core owns signals: libedit's handlers would re-send them to the
	 * whole process group. */
	*t->ed->catch_signals = 0;
	*t->ed->catch_sigwinch = 0;
	*t->ed->readline_name = "mqchat"; /* for "mqchat:" lines in ~/.editrc */
	*t->ed->instream = stdin;
	*t->ed->outstream = stdout;
	if (t->ed->initialize() != 0) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "cannot start the line editor");
		free(t->history_path);
		free(t->prompt);
		free(t->base_prompt);
		free(t);
		return NULL;
	}
	active_terminal = t;
	history_load(t);

	t->watch = fe->host->watch_add(fe->inst, STDIN_FILENO, MQC_IO_IN,
	                               MQC_WATCH_SOURCE, terminal_readable, t);
	if (!t->watch) {
		fe->host->log(fe->inst, MQC_LOG_ERROR, "cannot watch the terminal");
		stdin_terminal_close(t);
		return NULL;
	}
	t->jobctl = stdin_jobctl_open(fe, terminal_stopping, terminal_continued, t);
	if (!t->jobctl) {
		stdin_terminal_close(t);
		return NULL;
	}
	(void)update_prompt(t);
	t->ed->callback_handler_install(t->prompt, terminal_line);
	t->prompt_shown = true;
	fflush(stdout);
	return t;
}

void stdin_terminal_close(struct stdin_terminal *t)
{
	if (!t)
		return;
	if (t->watch)
		t->fe->host->watch_remove(t->watch);
	if (t->prompt_shown)
		erase_rows_above(t, cursor_row(t));
	t->ed->callback_handler_remove();
	fflush(stdout);
	/* Whatever happened (a signal, a failed quit), hand the terminal back
	 * as we found it. */
	if (t->have_saved_tty)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved_tty);
	stdin_jobctl_close(t->jobctl);
	history_save(t);
	active_terminal = NULL;
	free(t->history_path);
	free(t->prompt);
	free(t->base_prompt);
	free(t);
}
