/* SPDX-License-Identifier: MIT */
/*
 * One run of the program, built from one message.
 *
 * The message reaches the program only as separate argv strings and
 * environment variables handed to the kernel: no shell ever parses them, so
 * a nick such as "$(rm -rf ~)" or "`id`; reboot" is just text.
 */
#include "exec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mqchat/msg_type.h>

/* Linux refuses a single argument or variable longer than 32 pages
 * (MAX_ARG_STRLEN): longer renderings are cut there. */
#define EXEC_ARG_MAX (128u * 1024u)

static void free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Renders `tpl` whole, growing the buffer until it fits (or the limit). */
static char *render(const struct mqc_host *host, const struct mqc_template *tpl,
                    const struct mqc_message *msg)
{
	size_t size = 256;
	for (;;) {
		char *buf = malloc(size);
		if (!buf)
			return NULL;
		size_t len = host->template_render(tpl, msg, 0, buf, size);
		/* Shorter than size - 4 means nothing was cut, even at a
		 * character boundary (a UTF-8 character is at most 4 bytes). */
		if (len + 4 < size || size >= EXEC_ARG_MAX)
			return buf;
		free(buf);
		size *= 2;
	}
}

/* An operand that would start with '-' starts with " -" instead: the
 * program reads it as text, not as an option (exec_config.c). */
static char *as_operand(char *arg)
{
	if (!arg || arg[0] != '-')
		return arg;
	/* room for the space and the NUL within the kernel's limit */
	size_t n = mqc_utf8_prefix(arg, strlen(arg), EXEC_ARG_MAX - 2);
	char *spaced = malloc(n + 2);
	if (spaced) {
		spaced[0] = ' ';
		memcpy(spaced + 1, arg, n);
		spaced[n + 1] = '\0';
	}
	free(arg);
	return spaced;
}

static char **build_argv(const struct exec_config *cfg, const struct mqc_host *host,
                         const struct mqc_message *msg)
{
	char **argv = calloc(cfg->n_args + 2, sizeof *argv);
	if (!argv || !(argv[0] = strdup(cfg->program))) {
		free(argv);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_args; i++) {
		char *arg = render(host, cfg->args[i], msg);
		if (cfg->arg_is_operand[i])
			arg = as_operand(arg);
		if (!(argv[i + 1] = arg)) {
			free_list(argv);
			return NULL;
		}
	}
	return argv;
}

/* "NAME=value", with the value cut to what the kernel accepts, at a
 * character boundary. */
static char *variable(const char *name, const char *value)
{
	char *var;
	value = value ? value : "";
	size_t n = mqc_utf8_prefix(value, strlen(value), EXEC_ARG_MAX - strlen(name) - 2);
	return asprintf(&var, "%s=%.*s", name, (int)n, value) < 0 ? NULL : var;
}

/* A message member since ABI 1.3: "" from an older core, which lacks it. */
static const char *since_1_2(const struct mqc_host *host, const char *const *member)
{
	return MQC_HOST_HAS(host, room_count) ? *member : "";
}

static char **build_envp(const struct exec_config *cfg, const struct mqc_host *host,
                         const struct mqc_message *msg)
{
	char time_s[24], time_ms[24];
	snprintf(time_s, sizeof time_s, "%" PRId64, msg->time_ms / 1000);
	snprintf(time_ms, sizeof time_ms, "%" PRId64, msg->time_ms);
	const char *const fields[][2] = {
		{"MQCHAT_TYPE", mqc_msg_type_name(msg->type)},
		{"MQCHAT_NICK", msg->nick},
		{"MQCHAT_TEXT", msg->text},
		{"MQCHAT_TOPIC", msg->topic},
		{"MQCHAT_ID", msg->id},
		{"MQCHAT_SENDER_ID", msg->sender_id},
		{"MQCHAT_TIME", time_s},
		{"MQCHAT_TIME_MS", time_ms},
		{"MQCHAT_OWN", msg->flags & MQC_MSG_OWN ? "1" : "0"},
		{"MQCHAT_NETWORK", since_1_2(host, &msg->network)},
		{"MQCHAT_ROOM", since_1_2(host, &msg->room)},
		{"MQCHAT_TO", since_1_2(host, &msg->to)},
	};
	size_t n_fields = sizeof fields / sizeof fields[0];
	size_t n_pass = 0;
	while (cfg->pass_env[n_pass])
		n_pass++;
	char **envp = calloc(n_fields + n_pass + 1, sizeof *envp);
	if (!envp)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < n_fields; i++) {
		if (!(envp[n++] = variable(fields[i][0], fields[i][1]))) {
			free_list(envp);
			return NULL;
		}
	}
	for (size_t i = 0; i < n_pass; i++) {
		if (!(envp[n++] = strdup(cfg->pass_env[i]))) {
			free_list(envp);
			return NULL;
		}
	}
	return envp;
}

struct exec_job *exec_job_new(const struct exec_config *cfg, const struct mqc_host *host,
                              const struct mqc_message *msg)
{
	struct exec_job *job = calloc(1, sizeof *job);
	if (!job)
		return NULL;
	job->argv = build_argv(cfg, host, msg);
	job->envp = build_envp(cfg, host, msg);
	if (!job->argv || !job->envp) {
		exec_job_free(job);
		return NULL;
	}
	return job;
}

void exec_job_free(struct exec_job *job)
{
	if (!job)
		return;
	free_list(job->argv);
	free_list(job->envp);
	free(job);
}
