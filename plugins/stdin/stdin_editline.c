/* SPDX-License-Identifier: MIT */
#include "stdin_editline.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Given by meson.build, which checks at set-up that it loads. */
#ifndef STDIN_LIBEDIT_SONAME
#error "STDIN_LIBEDIT_SONAME must name libedit's shared object"
#endif

#define SYMBOL(field, name) {name, offsetof(struct stdin_editline, field)}

static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
	SYMBOL(initialize, "rl_initialize"),
	SYMBOL(callback_handler_install, "rl_callback_handler_install"),
	SYMBOL(callback_handler_remove, "rl_callback_handler_remove"),
	SYMBOL(callback_read_char, "rl_callback_read_char"),
	SYMBOL(prep_terminal, "rl_prep_terminal"),
	SYMBOL(deprep_terminal, "rl_deprep_terminal"),
	SYMBOL(forced_update_display, "rl_forced_update_display"),
	SYMBOL(resize_terminal, "rl_resize_terminal"),
	SYMBOL(set_prompt, "rl_set_prompt"),
	SYMBOL(add_history, "add_history"),
	SYMBOL(stifle_history, "stifle_history"),
	SYMBOL(read_history, "read_history"),
	SYMBOL(write_history, "write_history"),
	SYMBOL(catch_signals, "rl_catch_signals"),
	SYMBOL(catch_sigwinch, "rl_catch_sigwinch"),
	SYMBOL(readline_name, "rl_readline_name"),
	SYMBOL(instream, "rl_instream"),
	SYMBOL(outstream, "rl_outstream"),
	SYMBOL(line_buffer, "rl_line_buffer"),
	SYMBOL(point, "rl_point"),
	SYMBOL(end, "rl_end"),
	SYMBOL(history_length, "history_length"),
};

static struct stdin_editline editline;
static bool loaded;

const struct stdin_editline *stdin_editline_load(const char **why)
{
	if (loaded)
		return &editline;
	void *lib = dlopen(STDIN_LIBEDIT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *error = dlerror();
		*why = error ? error : STDIN_LIBEDIT_SONAME ": cannot be loaded";
		return NULL;
	}
	for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
		void *address = dlsym(lib, symbols[i].name);
		if (!address) {
			static char missing[80];
			snprintf(missing, sizeof missing, "%s: no %s", STDIN_LIBEDIT_SONAME,
			         symbols[i].name);
			*why = missing;
			dlclose(lib);
			return NULL;
		}
		/* POSIX gives functions and objects one pointer representation
		 * (dlsym depends on it); ISO C has no cast between them. */
		memcpy((char *)&editline + symbols[i].offset, &address, sizeof address);
	}
	loaded = true;
	return &editline;
}
