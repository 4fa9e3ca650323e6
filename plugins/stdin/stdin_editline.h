/* SPDX-License-Identifier: MIT */
/*
 * libedit, loaded when a terminal asks for it.  A pipe's mqchat (a script,
 * a bot, each receiver of a room) never maps libedit nor what it pulls in
 * (libtinfo, libbsd, libmd: some 400 KiB of each process's memory,
 * bench/README.md), so stdin.so is not linked against it: the terminal
 * reaches the readline-compatible interface it uses through this table.
 */
#ifndef MQC_STDIN_EDITLINE_H
#define MQC_STDIN_EDITLINE_H

#include <stdio.h>

#include <editline/readline.h>

/* The functions, and the addresses of the variables, of that interface,
 * typed as <editline/readline.h> declares them. */
struct stdin_editline {
	__typeof__(rl_initialize) *initialize;
	__typeof__(rl_callback_handler_install) *callback_handler_install;
	__typeof__(rl_callback_handler_remove) *callback_handler_remove;
	__typeof__(rl_callback_read_char) *callback_read_char;
	__typeof__(rl_prep_terminal) *prep_terminal;
	__typeof__(rl_deprep_terminal) *deprep_terminal;
	__typeof__(rl_forced_update_display) *forced_update_display;
	__typeof__(rl_resize_terminal) *resize_terminal;
	__typeof__(rl_set_prompt) *set_prompt;
	__typeof__(add_history) *add_history;
	__typeof__(stifle_history) *stifle_history;
	__typeof__(read_history) *read_history;
	__typeof__(write_history) *write_history;
	__typeof__(rl_catch_signals) *catch_signals;
	__typeof__(rl_catch_sigwinch) *catch_sigwinch;
	__typeof__(rl_readline_name) *readline_name;
	__typeof__(rl_instream) *instream;
	__typeof__(rl_outstream) *outstream;
	__typeof__(rl_line_buffer) *line_buffer;
	__typeof__(rl_point) *point;
	__typeof__(rl_end) *end;
	__typeof__(history_length) *history_length;
};

/* The library, loaded on the first call and kept to the process's end;
 * NULL with the reason (static text or dlerror()'s) in `*why`. */
const struct stdin_editline *stdin_editline_load(const char **why);

#endif
