/* SPDX-License-Identifier: MIT */
/* Reading and checking the exec frontend's keys. */
#include "exec.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mqchat/msg_type.h>

/* What a desktop notifier (notify-send) needs to find the user's session,
 * plus the usual: everything else of mqchat's environment stays out. */
#define EXEC_PASS_ENV_DEFAULT                                                  \
	"PATH HOME USER LANG LC_ALL XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS "  \
	"DISPLAY WAYLAND_DISPLAY"

/* The words of `output`, in the order of enum exec_output. */
static const char *const output_words[] = {"discard", "stderr", NULL};

const struct mqc_key exec_keys[] = {
	{.name = "program", .def = "", .flags = MQC_KEY_PATH,
	 .help = "program to run: a path, or a name looked up in $PATH (required)"},
	{.name = "args", .def = "",
	 .help = "arguments, split on spaces; each may use {nick} {text} {topic} {type} "
	         "{id} {time} {date} {initial}"},
	{.name = "match", .def = "",
	 .help = "POSIX extended regex the text must match (empty: every message)"},
	{.name = "ignore_case", .def = "off", .help = "on: match without regard to case",
	 .type = MQC_KEY_BOOL},
	{.name = "types", .def = "message action",
	 .help = "message types that run the program: message action join leave status"},
	{.name = "own", .def = "off", .help = "on: also run for messages you sent yourself",
	 .type = MQC_KEY_BOOL},
	{.name = "max_running", .def = "4", .help = "programs running at once, 1 to 64",
	 .type = MQC_KEY_NUMBER, .min = 1, .max = 64},
	{.name = "max_queued", .def = "16",
	 .help = "runs waiting for a free slot, 0 to 1024; more are dropped",
	 .type = MQC_KEY_NUMBER, .min = 0, .max = 1024},
	{.name = "timeout", .def = "10",
	 .help = "seconds a run may take before it is killed; 0: no limit",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = 0, .max = 86400},
	{.name = "output", .def = "discard",
	 .help = "discard | stderr: where the program's output goes",
	 .type = MQC_KEY_WORD, .words = output_words},
	{.name = "pass_env", .def = EXEC_PASS_ENV_DEFAULT,
	 .help = "variables passed on from mqchat's environment, space separated"},
	{.name = NULL},
};

/* Splits `text` on spaces, tabs and commas into a malloc'd NULL-ended list of
 * malloc'd words. */
static char **split_words(const char *text, const char *separators, size_t *count)
{
	size_t n = 0;
	char **words = calloc(1, sizeof *words);
	for (const char *p = text; words && *p;) {
		p += strspn(p, separators);
		size_t len = strcspn(p, separators);
		if (!len)
			break;
		char **grown = realloc(words, (n + 2) * sizeof *words);
		if (!grown)
			break;
		words = grown;
		words[n] = strndup(p, len);
		words[++n] = NULL;
		p += len;
	}
	if (count)
		*count = n;
	return words;
}

static void free_words(char **words)
{
	for (size_t i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
}

/* The executable `program` names: itself when it has a '/', else the first
 * match in $PATH, as execvp would find it (but once, at start, so a typo is
 * a configuration error rather than a failure per message). */
static char *resolve_program(const char *program)
{
	if (strchr(program, '/'))
		return access(program, X_OK) == 0 ? strdup(program) : NULL;
	const char *path = getenv("PATH");
	char **dirs = split_words(path && *path ? path : "/usr/bin:/bin", ":", NULL);
	char *found = NULL;
	for (size_t i = 0; dirs && dirs[i] && !found; i++) {
		char candidate[PATH_MAX];
		int n = snprintf(candidate, sizeof candidate, "%s/%s", dirs[i], program);
		if (n > 0 && (size_t)n < sizeof candidate && access(candidate, X_OK) == 0)
			found = strdup(candidate);
	}
	free_words(dirs);
	return found;
}

static bool load_program(struct exec_config *cfg, struct mqc_instance *inst,
                         const struct mqc_host *host)
{
	const char *program = host->config(inst, "program");
	if (!*program) {
		host->config_error(inst, "program", "required: the program to run for each "
		                   "matching message (e.g. program = notify-send)");
		return false;
	}
	cfg->program = strdup(program);
	cfg->program_path = resolve_program(program);
	if (!cfg->program_path) {
		host->config_error(inst, "program", "'%s' is not an executable file%s", program,
		                   strchr(program, '/') ? "" : " found in $PATH");
		return false;
	}
	return true;
}

/* A remote nick or text such as "-f/home/ana/.ssh/id_rsa" must not become
 * an option of the program.  An argument is an operand unless its word in
 * `args` starts with '-' itself (an option the user wrote) or comes after a
 * word "--" (the program takes nothing after it as an option); an operand
 * that renders with a leading '-' gets a space put before it. */
static bool load_args(struct exec_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host)
{
	char **words = split_words(host->config(inst, "args"), " \t", &cfg->n_args);
	cfg->args = calloc(cfg->n_args + 1, sizeof *cfg->args);
	cfg->arg_is_operand = calloc(cfg->n_args + 1, sizeof *cfg->arg_is_operand);
	bool ok = words && cfg->args && cfg->arg_is_operand;
	bool after_dashes = false;
	for (size_t i = 0; ok && i < cfg->n_args; i++) {
		cfg->arg_is_operand[i] = !after_dashes && words[i][0] != '-';
		after_dashes = after_dashes || strcmp(words[i], "--") == 0;
		ok = (cfg->args[i] = host->template_new(inst, "args", words[i])) != NULL;
	}
	free_words(words);
	return ok;
}

static bool load_match(struct exec_config *cfg, struct mqc_instance *inst,
                       const struct mqc_host *host)
{
	const char *pattern = host->config(inst, "match");
	bool icase = host->config_bool(inst, "ignore_case");
	if (!*pattern)
		return true;
	int rc = regcomp(&cfg->match, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
	if (rc != 0) {
		char why[256];
		regerror(rc, &cfg->match, why, sizeof why);
		host->config_error(inst, "match", "'%s' is not a POSIX extended regex: %s",
		                   pattern, why);
		return false;
	}
	cfg->has_match = true;
	return true;
}

static bool load_types(struct exec_config *cfg, struct mqc_instance *inst,
                       const struct mqc_host *host)
{
	char **words = split_words(host->config(inst, "types"), " \t,", NULL);
	bool ok = words != NULL;
	for (size_t i = 0; ok && words[i]; i++) {
		enum mqc_msg_type type;
		if (mqc_msg_type_from_name(words[i], &type)) {
			cfg->types |= 1u << type;
		} else {
			host->config_error(inst, "types", "unknown type '%s' (known: message action "
			                   "join leave status)", words[i]);
			ok = false;
		}
	}
	free_words(words);
	if (ok && !cfg->types) {
		host->config_error(inst, "types", "empty: name at least one of message action "
		                   "join leave status");
		ok = false;
	}
	return ok;
}

static void load_limits(struct exec_config *cfg, struct mqc_instance *inst,
                        const struct mqc_host *host)
{
	cfg->own = host->config_bool(inst, "own");
	cfg->max_running = (unsigned)host->config_number(inst, "max_running");
	cfg->max_queued = (unsigned)host->config_number(inst, "max_queued");
	cfg->timeout_ms = (unsigned)host->config_number(inst, "timeout") * 1000u;
	cfg->output = (enum exec_output)host->config_word(inst, "output");
}

/* Snapshot of the variables to pass on, taken once: the environment of a
 * run must not depend on when it happens. */
static bool load_pass_env(struct exec_config *cfg, struct mqc_instance *inst,
                          const struct mqc_host *host)
{
	size_t n;
	char **names = split_words(host->config(inst, "pass_env"), " \t,", &n);
	cfg->pass_env = calloc(n + 1, sizeof *cfg->pass_env);
	bool ok = names && cfg->pass_env;
	size_t kept = 0;
	for (size_t i = 0; ok && i < n; i++) {
		if (strchr(names[i], '=') || strncmp(names[i], "MQCHAT_", 7) == 0) {
			host->config_error(inst, "pass_env", "'%s': name variables only, and none "
			                   "starting with MQCHAT_ (those describe the message)",
			                   names[i]);
			ok = false;
			break;
		}
		const char *value = getenv(names[i]);
		if (value && asprintf(&cfg->pass_env[kept], "%s=%s", names[i], value) >= 0)
			kept++;
	}
	free_words(names);
	return ok;
}

bool exec_config_load(struct exec_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host)
{
	*cfg = (struct exec_config){0};
	load_limits(cfg, inst, host);
	bool ok = load_program(cfg, inst, host) && load_args(cfg, inst, host) &&
	          load_match(cfg, inst, host) && load_types(cfg, inst, host) &&
	          load_pass_env(cfg, inst, host);
	if (!ok)
		exec_config_free(cfg, host);
	return ok;
}

void exec_config_free(struct exec_config *cfg, const struct mqc_host *host)
{
	free(cfg->program);
	free(cfg->program_path);
	for (size_t i = 0; cfg->args && cfg->args[i]; i++)
		host->template_free(cfg->args[i]);
	free(cfg->args);
	free(cfg->arg_is_operand);
	if (cfg->has_match)
		regfree(&cfg->match);
	free_words(cfg->pass_env);
	*cfg = (struct exec_config){0};
}

bool exec_config_wants(const struct exec_config *cfg, const struct mqc_message *msg)
{
	if ((unsigned)msg->type >= 32 || !(cfg->types & (1u << msg->type)))
		return false;
	/* Replayed history already happened: running for it again would repeat
	 * every notification at each start. */
	if (msg->flags & MQC_MSG_HISTORY)
		return false;
	if ((msg->flags & MQC_MSG_OWN) && !cfg->own)
		return false;
	return !cfg->has_match || regexec(&cfg->match, msg->text, 0, NULL, 0) == 0;
}
