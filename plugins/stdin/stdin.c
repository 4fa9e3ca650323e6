/* SPDX-License-Identifier: MIT */
/* The `stdin` frontend: configuration, and the choice of terminal or batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdin.h"
#include "stdin_editline.h"
#include "where.h"

/* The words of `color`, in the order host->config_word() counts them. */
static const char *const color_words[] = {"auto", "always", "never", NULL};
enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

static const struct mqc_key stdin_keys[] = {
	{.name = "format", .def = "[{time}] {nick}: {text}",
	 .help = "template of each message printed"},
	{.name = "color", .def = "auto",
	 .help = "auto | always | never: colour nicks (auto: on a terminal, unless NO_COLOR "
	         "is set)",
	 .type = MQC_KEY_WORD, .words = color_words},
	{.name = "prompt", .def = "> ",
	 .help = "the terminal's input prompt; quote it (\"> \") to keep trailing spaces"},
	{.name = "history_file", .def = "", .flags = MQC_KEY_PATH,
	 .help = "recall history of typed lines; empty: $XDG_STATE_HOME/mqchat/input_history; "
	         "off: none"},
	{.name = NULL},
};

/* Standard input can feed only one instance. */
static bool stdin_taken;

/* Whether to colour: `color` as checked by the core. */
static bool use_color(struct stdin_frontend *fe, bool terminal)
{
	int color = fe->host->config_word(fe->inst, "color");
	/* Batch output is for scripts: plain unless asked. */
	const char *no_color = getenv("NO_COLOR");
	if (color == COLOR_AUTO)
		return terminal && isatty(STDOUT_FILENO) && !(no_color && *no_color);
	return color == COLOR_ALWAYS;
}

/* INI values lose their trailing spaces; a prompt wants them, so a value in
 * double quotes is taken as it is between them. */
static char *parse_prompt(const char *value)
{
	size_t len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		return strndup(value + 1, len - 2);
	return strdup(value);
}

/* NULL with *ok true: no history file (off, or nowhere to keep it). */
static char *history_path(struct stdin_frontend *fe, bool *ok)
{
	const char *value = fe->host->config(fe->inst, "history_file");
	*ok = true;
	if (strcmp(value, "off") == 0)
		return NULL;
	if (*value)
		return strdup(value);
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	const char *base = NULL, *rest = "/mqchat/input_history";
	if (state && state[0] == '/') {
		base = state;
	} else if (home && *home) {
		base = home;
		rest = "/.local/state/mqchat/input_history";
	} else {
		fe->host->log(fe->inst, MQC_LOG_INFO,
		              "no HOME nor XDG_STATE_HOME: input history not kept");
		return NULL;
	}
	char *path = malloc(strlen(base) + strlen(rest) + 1);
	if (path)
		strcat(strcpy(path, base), rest);
	else
		*ok = false;
	return path;
}

static void stdin_close(void *self);

static int stdin_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct mqc_template *format = host->template_new(inst, "format",
	                                                 host->config(inst, "format"));

	if (format)
		host->template_free(format);
	return format ? 0 : -1;
}

/* The line editor on a terminal; plain lines from a pipe or a file, or
 * from a terminal whose line editor cannot be loaded: a chat without
 * editing beats no chat. */
static bool open_input(struct stdin_frontend *fe, bool terminal, const char *prompt,
                       const char *history)
{
	const struct stdin_editline *ed = NULL;
	if (terminal) {
		const char *why;
		ed = stdin_editline_load(&why);
		if (!ed)
			fe->host->log(fe->inst, MQC_LOG_WARNING,
			              "cannot load the line editor: %s; reading plain lines "
			              "(no editing, prompt or input history)", why);
	}
	if (ed)
		return (fe->terminal = stdin_terminal_open(fe, ed, prompt, history)) != NULL;
	return (fe->batch = stdin_batch_open(fe, terminal)) != NULL;
}

static void *stdin_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	if (stdin_taken) {
		host->log(inst, MQC_LOG_ERROR,
		          "standard input is already read by another stdin instance");
		return NULL;
	}
	struct stdin_frontend *fe = calloc(1, sizeof *fe);
	if (!fe) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	fe->inst = inst;
	fe->host = host;
	bool terminal = isatty(STDIN_FILENO);

	fe->format = host->template_new(inst, "format", host->config(inst, "format"));
	fe->format_shows_where = where_in_template(host->config(inst, "format"));
	bool ok = fe->format != NULL;
	fe->color = use_color(fe, terminal);
	char *prompt = parse_prompt(host->config(inst, "prompt"));
	bool history_ok;
	char *history = history_path(fe, &history_ok);
	if (!prompt || !history_ok) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		ok = false;
	}

	if (ok)
		ok = open_input(fe, terminal, prompt, history);
	free(prompt);
	free(history);
	if (!ok) {
		stdin_close(fe);
		return NULL;
	}
	stdin_taken = true;
	return fe;
}

static void stdin_deliver(void *self, const struct mqc_message *msg)
{
	struct stdin_frontend *fe = self;
	if (fe->terminal)
		stdin_terminal_deliver(fe->terminal, msg);
	else if (fe->batch)
		stdin_batch_deliver(fe->batch, msg);
}

static void stdin_close(void *self)
{
	struct stdin_frontend *fe = self;
	if (fe->terminal || fe->batch)
		stdin_taken = false;
	stdin_terminal_close(fe->terminal);
	stdin_batch_close(fe->batch);
	if (fe->format)
		fe->host->template_free(fe->format);
	free(fe->render_buf);
	free(fe);
}

MQC_PLUGIN_DEFINE(
	.name = "stdin",
	.version = "1.0",
	.kind = MQC_PLUGIN_FRONTEND,
	.description = "the terminal (line editor), or a pipe of lines for scripts",
	.keys = stdin_keys,
	.open = stdin_open,
	.close = stdin_close,
	.deliver = stdin_deliver,
	.check = stdin_check,
	.flags = MQC_PLUGIN_OWNS_TERMINAL);
