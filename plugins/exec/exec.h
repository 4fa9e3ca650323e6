/* SPDX-License-Identifier: MIT */
/*
 * Private interfaces between the files of the exec frontend.
 *
 *   exec.c         the plugin: deliver, the queue, children and their reaping
 *   exec_config.c  reading and checking the instance's keys
 *   exec_job.c     turning one message into an argument and environment list
 *   exec_spawn.c   starting a program with posix_spawn, as a normal process
 */
#ifndef MQCHAT_EXEC_H
#define MQCHAT_EXEC_H

#include <mqchat/plugin.h>

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --- exec_config.c ------------------------------------------------------- */

enum exec_output {
	EXEC_OUTPUT_DISCARD, /* the child's stdout and stderr go to /dev/null */
	EXEC_OUTPUT_STDERR,  /* both go to mqchat's stderr, with its log */
};

struct exec_config {
	char *program;            /* as configured: argv[0] */
	char *program_path;       /* resolved once at start, executable */
	struct mqc_template **args; /* one template per argument, NULL-ended */
	bool *arg_is_operand;     /* per argument: must never reach the program
	                             starting with '-' (see exec_config.c) */
	size_t n_args;
	regex_t match;
	bool has_match;           /* false: every message matches */
	unsigned types;           /* bit (1 << enum mqc_msg_type) per type */
	bool own;                 /* also run for messages this user sent */
	unsigned max_running;
	unsigned max_queued;
	unsigned timeout_ms;      /* 0: no limit */
	enum exec_output output;
	char **pass_env;          /* "NAME=value" copied from our environment */
};

extern const struct mqc_key exec_keys[];

/* Read and check every key.  Returns false after host->config_error()
 * named the bad one; `cfg` is then already freed. */
bool exec_config_load(struct exec_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host);
void exec_config_free(struct exec_config *cfg, const struct mqc_host *host);

/* True when `msg` should run the program. */
bool exec_config_wants(const struct exec_config *cfg, const struct mqc_message *msg);

/* --- exec_job.c ---------------------------------------------------------- */

/* One run of the program, prepared while the message is still valid. */
struct exec_job {
	char **argv; /* NULL-ended, owned */
	char **envp; /* NULL-ended, owned */
	struct exec_job *next;
};

struct exec_job *exec_job_new(const struct exec_config *cfg, const struct mqc_host *host,
                              const struct mqc_message *msg);
void exec_job_free(struct exec_job *job);

/* --- exec_spawn.c -------------------------------------------------------- */

/* Start `job`: no shell, stdin from /dev/null, output as `output` says, no
 * descriptor of ours inherited, signal mask and dispositions reset (the core
 * blocks SIGINT/SIGTERM/SIGHUP and ignores SIGPIPE; a child must not).
 * Returns 0 and the pid, or an errno value. */
int exec_spawn(const char *path, const struct exec_job *job, enum exec_output output,
               pid_t *pid);

/* A descriptor that becomes readable when `pid` exits (pidfd_open), or -1
 * when the kernel has none (then the caller polls with waitpid). */
int exec_pidfd(pid_t pid);

#endif
