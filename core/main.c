/* SPDX-License-Identifier: MIT */
/* mqchat: command line, configuration, identity, then the chat's loop. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "archive.h"
#include "chat.h"
#include "cmdline.h"
#include "identity.h"
#include "keytype.h"

/* Started with descriptor 0, 1 or 2 closed, the first thing opened would
 * take its place and be read as input, or written as output: /dev/null
 * holds each such place.  False when even that cannot be opened. */
static bool occupy_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR | O_NOCTTY);
		if (null != fd) {
			if (null >= 0)
				close(null);
			return false;
		}
	}
	return true;
}

/* The configuration chooses which plugins run: a file anyone may change
 * hands them the user's account.  (Readable is fine: a password is never
 * written in it.) */
static void warn_if_others_can_write(const struct config *cfg)
{
	if (cfg->path && (cfg->file_mode & (S_IWGRP | S_IWOTH)))
		log_print(NULL, MQC_LOG_WARNING, "%s is writable by %s: whoever can change it "
		         "chooses the plugins mqchat runs (chmod go-w %s)", cfg->path,
		         (cfg->file_mode & S_IWOTH) ? "others" : "its group", cfg->path);
}

/* The parsed value of a typed [core] key, once read_core_settings() has
 * found every one valid. */
static int64_t parse_number(const struct config *cfg, const char *key)
{
	struct strbuf err = STRBUF_INIT;
	int64_t value = 0;
	keytype_core_value(cfg, key, &value, &err);
	strbuf_free(&err);
	return value;
}

/* [core] rate_limit: 0, or 78 after saying where and why it is wrong. */
static int read_rate_limit(const struct config *cfg, struct flood_rate *rate)
{
	struct strbuf err = STRBUF_INIT;
	bool ok = flood_parse_rate(config_core_value(cfg, "rate_limit"), rate, &err);
	if (!ok) {
		const struct config_value *v = config_find(cfg, "core", "rate_limit");
		log_print(NULL, MQC_LOG_ERROR, "%s: [core] rate_limit: %s",
		          v ? v->origin : "built-in default", strbuf_str(&err));
	}
	strbuf_free(&err);
	return ok ? 0 : EX_CONFIG;
}

static int read_core_settings(const struct config *cfg, struct chat_settings *set)
{
	int rc = 0;
	for (const struct mqc_key *k = config_core_keys; k->name; k++) {
		struct strbuf err = STRBUF_INIT;
		int64_t value;
		if (!keytype_core_value(cfg, k->name, &value, &err)) {
			log_print(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
			rc = EX_CONFIG;
		}
		strbuf_free(&err);
	}
	if (read_rate_limit(cfg, &set->rate_limit))
		rc = EX_CONFIG;
	if (rc)
		return rc;
	set->quit_timeout_ms = (uint32_t)parse_number(cfg, "quit_timeout") * 1000u;
	set->outbox_max = (size_t)parse_number(cfg, "outbox_max");
	set->archive.replay = (size_t)parse_number(cfg, "history_replay");
	set->archive.max_messages = parse_number(cfg, "history_max_messages");
	set->archive.max_days = parse_number(cfg, "history_max_days");
	set->archive.dedup_window_ms = (uint32_t)parse_number(cfg, "dedup_window") * 1000u;
	set->announce = parse_number(cfg, "announce") != 0;
	set->time_format = xstrdup(config_core_value(cfg, "time_format"));
	return 0;
}

/* Whether a frontend owns the terminal (the stdin plugin): it shows
 * status messages, so events need not go to standard error too. */
static bool has_terminal_frontend(const struct chat *chat)
{
	for (size_t i = 0; i < chat->instances.n_frontends; i++)
		if (loader_owns_terminal(chat->instances.frontends[i]->plugin))
			return true;
	return false;
}

/* The nick a run uses: core.nick, else asked for on a terminal, else
 * $USER, else "anonymous"; --check-config (`may_ask` false) checks the
 * same one, so that what it accepts a run accepts. */
static int set_nick(struct chat *chat, bool may_ask)
{
	const char *given = config_core_value(chat->cfg, "nick");
	const struct config_value *v = config_find(chat->cfg, "core", "nick");
	const char *origin = v ? v->origin : "built-in default";
	char *asked = NULL;
	if (!*given && may_ask)
		given = asked = identity_ask_nick();
	if (!given || !*given) {
		given = getenv("USER");
		origin = "$USER";
	}
	if (!given || !*given)
		given = "anonymous";
	struct strbuf err = STRBUF_INIT;
	chat->nick = identity_clean_nick(given, strlen(given), &err);
	if (!chat->nick)
		log_print(NULL, MQC_LOG_ERROR, "%s: [core] nick '%s': %s", origin, given,
		         strbuf_str(&err));
	free(asked);
	strbuf_free(&err);
	return chat->nick ? 0 : EX_CONFIG;
}

/* Whether the configuration keeps files in the state directory: the
 * history at its default place, or the outbox. */
static bool needs_state_dir(const struct chat *chat)
{
	bool on = false;
	return chat->set.outbox_max > 0 ||
	       (config_parse_bool(config_core_value(chat->cfg, "history"), &on) && on);
}

/* The state directory and the stable id.  A disk that is full or
 * read-only costs only what needs it: without a stored id the persistent
 * session is lost at exit, which is said once; without the directory a
 * configuration that keeps files there cannot work. */
static int set_identity(struct chat *chat)
{
	struct strbuf err = STRBUF_INIT;
	chat->state_dir = identity_state_dir(&err);
	if (!chat->state_dir && needs_state_dir(chat)) {
		log_print(NULL, MQC_LOG_ERROR, "%s (needed for %s)", strbuf_str(&err),
		         chat->set.outbox_max ? "the outbox; outbox_max = 0 goes without"
		                          : "the history; history = off goes without");
		strbuf_free(&err);
		return EX_CANTCREAT;
	}
	bool lasting;
	chat->stable_id = identity_stable_id(chat->state_dir, &lasting, &err);
	if (!chat->stable_id) {
		log_print(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
		strbuf_free(&err);
		return EX_CANTCREAT;
	}
	if (!lasting)
		log_print(NULL, MQC_LOG_WARNING, "%s; using an identity for this run only: the "
		         "broker's persistent session (what the room says while mqchat is away) "
		         "will not survive a restart", strbuf_str(&err));
	strbuf_free(&err);
	return set_nick(chat, chat->interactive);
}

/* --check-config: every plugin's own checks, all reported at once. */
static int check_every_instance(struct chat *chat)
{
	int rc = 0;
	for (size_t i = 0; i < chat->instances.n_backends; i++)
		rc |= instance_check(chat->instances.backends[i], &chat_host);
	for (size_t i = 0; i < chat->instances.n_frontends; i++)
		rc |= instance_check(chat->instances.frontends[i], &chat_host);
	return rc ? EX_CONFIG : 0;
}

static void chat_free(struct chat *chat)
{
	chat_free_rooms(chat);
	instances_destroy(&chat->instances);
	loop_free(chat->loop);
	free(chat->nick);
	free(chat->stable_id);
	free(chat->state_dir);
	free(chat->set.time_format);
}

/* --check-config, or a run. */
static int run(struct config *cfg, const struct options *opt)
{
	bool check_only = opt->check_config;
	struct who_request who = {.room = opt->who_room, .json = opt->json};
	struct chat chat = {.cfg = cfg, .host = &chat_host, .loop = loop_new(), .signal_fd = -1,
	                    .who = opt->who ? &who : NULL};
	int rc = read_core_settings(cfg, &chat.set);
	if (!rc)
		rc = instances_create(&chat.instances, cfg, &chat, &chat_host);
	if (!rc)
		rc = chat_prepare(&chat);
	if (!rc && chat.who)
		rc = who_prepare(chat.who, chat.networks, chat.n_networks, chat.network_names);
	if (!rc && check_only) {
		rc = check_every_instance(&chat);
		if (!rc)
			rc = set_nick(&chat, false);
		if (!rc)
			instances_print(&chat.instances, cfg);
	}
	if (!rc && !check_only) {
		chat.stdin_shows_events = has_terminal_frontend(&chat);
		chat.interactive = chat.stdin_shows_events && isatty(STDIN_FILENO) &&
		                   isatty(STDERR_FILENO);
		rc = set_identity(&chat);
		if (!rc)
			rc = chat_open(&chat);
		if (!rc)
			rc = chat_run(&chat);
		chat_close(&chat);
	}
	chat_free(&chat);
	who_free(&who);
	return rc;
}

int main(int argc, char **argv)
{
	if (!occupy_standard_fds())
		return EX_OSERR; /* not even stderr to say so */
	struct options opt = {0};
	struct config cfg = {0};
	/* Frontends measure and edit text in the user's character set. */
	setlocale(LC_CTYPE, "");
	int rc = cmdline_parse(argc, argv, &opt);
	if (rc >= 0) {
		cmdline_free(&opt);
		return rc;
	}
	struct strbuf err = STRBUF_INIT;
	rc = config_load(&cfg, opt.config_path, &err) != 0 ? EX_CONFIG : -1;
	if (rc < 0) {
		cmdline_apply(&opt, &cfg);
		warn_if_others_can_write(&cfg);
	} else {
		log_print(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
	}
	strbuf_free(&err);
	if (rc < 0 && (opt.list_plugins || opt.history || opt.search))
		rc = opt.list_plugins ? instances_list_plugins(&cfg)
		                      : archive_print(&cfg, opt.history, opt.search, opt.room, opt.json);
	if (rc < 0)
		rc = run(&cfg, &opt);
	cmdline_free(&opt);
	config_free(&cfg);
	return rc;
}
