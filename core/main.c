/* SPDX-License-Identifier: MIT */
/* mqchat: command line, configuration, identity, then the chat's loop. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "archive.h"
#include "chat.h"
#include "identity.h"

static const char usage[] =
	"usage: mqchat [-c FILE] [-o SECTION.KEY=VALUE]... [-n NICK] [--check-config]\n"
	"              [--list-plugins] [--history N | --search WORDS [--json]] [-h] [-V]\n"
	"\n"
	"  -c, --config FILE          read FILE (default: $MQCHAT_CONFIG,\n"
	"                             $XDG_CONFIG_HOME/mqchat/mqchat.ini, /etc/mqchat/mqchat.ini)\n"
	"  -o, --set SECTION.KEY=VALUE  override one key; repeatable; wins over the file\n"
	"  -n, --nick NICK            same as -o core.nick=NICK\n"
	"      --check-config         validate the configuration and its plugins, print it, exit\n"
	"      --list-plugins         list the plugins found, with kind, version and ABI\n"
	"      --history N            print the last N messages from history, exit\n"
	"      --search WORDS         print the messages of history matching WORDS, exit\n"
	"      --json                 with --history or --search: one JSON object a line\n"
	"  -h, --help                 this help\n"
	"  -V, --version              the version\n"
	"\n"
	"Type a line to send it; /help lists the commands.  With standard input not a\n"
	"terminal, every line read is sent, and mqchat exits once the broker has\n"
	"acknowledged them all.  See mqchat(1) and mqchat.ini(5).\n";

struct options {
	const char *config_path;
	bool check_config;
	bool list_plugins;
	const char *history;
	const char *search;
	bool json;
};

enum { OPT_CHECK_CONFIG = 256, OPT_LIST_PLUGINS, OPT_HISTORY, OPT_SEARCH, OPT_JSON };

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *opt, struct config *overrides)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 'o'},
		{"nick", required_argument, NULL, 'n'},
		{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
		{"list-plugins", no_argument, NULL, OPT_LIST_PLUGINS},
		{"history", required_argument, NULL, OPT_HISTORY},
		{"search", required_argument, NULL, OPT_SEARCH},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct strbuf err = STRBUF_INIT;
	int c;
	while ((c = getopt_long(argc, argv, "c:o:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt->config_path = optarg;
			break;
		case 'o':
		case 'n': {
			struct strbuf set = STRBUF_INIT;
			if (c == 'n')
				strbuf_printf(&set, "core.nick=%s", optarg);
			int rc = config_override(overrides, c == 'n' ? set.data : optarg, &err);
			strbuf_free(&set);
			if (rc != 0) {
				fprintf(stderr, "mqchat: %s\n%s", strbuf_str(&err), usage);
				strbuf_free(&err);
				return EX_USAGE;
			}
			break;
		}
		case OPT_CHECK_CONFIG:
			opt->check_config = true;
			break;
		case OPT_LIST_PLUGINS:
			opt->list_plugins = true;
			break;
		case OPT_HISTORY:
			opt->history = optarg;
			break;
		case OPT_SEARCH:
			opt->search = optarg;
			break;
		case OPT_JSON:
			opt->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("mqchat %s (plugin ABI %d.%d)\n", MQC_VERSION, MQC_ABI_MAJOR, MQC_ABI_MINOR);
			return 0;
		default:
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mqchat: unexpected argument '%s'\n%s", argv[optind], usage);
		return EX_USAGE;
	}
	if ((opt->history && opt->search) || (opt->json && !opt->history && !opt->search)) {
		fprintf(stderr, "mqchat: --json goes with one of --history and --search\n%s", usage);
		return EX_USAGE;
	}
	return -1;
}

/* Overrides are parsed before the file is read, then replayed onto it. */
static void apply_overrides(struct config *cfg, struct config *overrides)
{
	struct config_value *list = NULL;
	for (struct config_value *v = overrides->values, *next; v; v = next) {
		next = v->next;
		v->next = list;
		list = v;
	}
	for (struct config_value *v = list; v; v = v->next) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "%s.%s=%s", v->section, v->key, v->value);
		config_override(cfg, sb.data, &sb);
		strbuf_free(&sb);
	}
	overrides->values = list;
}

/* The configuration chooses which plugins run: a file anyone may change
 * hands them the user's account.  (Readable is fine: a password is never
 * written in it.) */
static void warn_if_others_can_write(const char *path)
{
	struct stat st;
	if (path && stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		chat_log(NULL, MQC_LOG_WARNING, "%s is writable by %s: whoever can change it "
		         "chooses the plugins mqchat runs (chmod go-w %s)", path,
		         (st.st_mode & S_IWOTH) ? "others" : "its group", path);
}

static int parse_number(const struct config *cfg, const char *key, long long min,
                        long long max, long long *out)
{
	const char *text = core_value(cfg, key);
	char *end;
	long long n = strtoll(text, &end, 10);
	if (*text && !*end && n >= min && n <= max) {
		*out = n;
		return 0;
	}
	const struct config_value *v = config_find(cfg, "core", key);
	chat_log(NULL, MQC_LOG_ERROR, "%s: [core] %s: '%s' is not a number from %lld to %lld",
	         v ? v->origin : "built-in default", key, text, min, max);
	return EX_CONFIG;
}

static int read_core_settings(struct chat *chat)
{
	const struct config *cfg = chat->cfg;
	long long timeout = 0;
	if (parse_number(cfg, "quit_timeout", 0, 86400, &timeout))
		return EX_CONFIG;
	chat->quit_timeout_ms = (uint32_t)timeout * 1000u;
	long long outbox_max = 0, replay = 0, max_messages = 0, max_days = 0, window = 0;
	if (parse_number(cfg, "outbox_max", 0, 10000000, &outbox_max) ||
	    parse_number(cfg, "history_replay", 0, 1000000, &replay) ||
	    parse_number(cfg, "history_max_messages", 0, 1000000000000LL, &max_messages) ||
	    parse_number(cfg, "history_max_days", 0, 1000000, &max_days) ||
	    parse_number(cfg, "dedup_window", 0, 86400, &window))
		return EX_CONFIG;
	chat->outbox_max = (size_t)outbox_max;
	chat->history_replay = (size_t)replay;
	chat->history_max_messages = max_messages;
	chat->history_max_days = max_days;
	chat->dedup_window_ms = (uint32_t)window * 1000u;
	if (!config_parse_bool(core_value(cfg, "announce"), &chat->announce)) {
		const struct config_value *v = config_find(cfg, "core", "announce");
		chat_log(NULL, MQC_LOG_ERROR, "%s: [core] announce: '%s' is not on or off",
		         v ? v->origin : "built-in default", core_value(cfg, "announce"));
		return EX_CONFIG;
	}
	chat->time_format = xstrdup(core_value(cfg, "time_format"));
	return 0;
}

static bool has_stdin_frontend(const struct chat *chat)
{
	for (size_t i = 0; i < chat->n_frontends; i++)
		if (strcmp(chat->frontends[i]->plugin->desc.name, "stdin") == 0)
			return true;
	return false;
}

static int set_identity(struct chat *chat)
{
	struct strbuf err = STRBUF_INIT;
	chat->state_dir = identity_state_dir(&err);
	chat->stable_id = chat->state_dir ? identity_stable_id(chat->state_dir, &err) : NULL;
	if (!chat->stable_id) {
		chat_log(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
		strbuf_free(&err);
		return EX_CANTCREAT;
	}
	const char *given = core_value(chat->cfg, "nick");
	const struct config_value *v = config_find(chat->cfg, "core", "nick");
	char *asked = NULL;
	if (!*given && chat->interactive)
		given = asked = identity_ask_nick();
	if (!given || !*given)
		given = getenv("USER");
	if (!given || !*given)
		given = "anonymous";
	chat->nick = identity_clean_nick(given, strlen(given), &err);
	free(asked);
	if (!chat->nick) {
		chat_log(NULL, MQC_LOG_ERROR, "%s: [core] nick '%s': %s",
		         v ? v->origin : "nick", given, strbuf_str(&err));
		strbuf_free(&err);
		return EX_CONFIG;
	}
	strbuf_free(&err);
	return 0;
}

/* --check-config: every plugin's own checks, all reported at once. */
static int check_every_instance(struct chat *chat)
{
	int rc = chat_check_instance(chat->backend);
	for (size_t i = 0; i < chat->n_frontends; i++)
		rc |= chat_check_instance(chat->frontends[i]);
	return rc ? EX_CONFIG : 0;
}

static void chat_free(struct chat *chat)
{
	instances_destroy(chat);
	loop_free(chat->loop);
	free(chat->nick);
	free(chat->stable_id);
	free(chat->state_dir);
	free(chat->time_format);
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct config overrides = {0}, cfg = {0};
	/* Frontends measure and edit text in the user's character set. */
	setlocale(LC_CTYPE, "");
	int rc = parse_args(argc, argv, &opt, &overrides);
	if (rc >= 0) {
		config_free(&overrides);
		return rc;
	}
	struct strbuf err = STRBUF_INIT;
	if (config_load(&cfg, opt.config_path, &err) != 0) {
		chat_log(NULL, MQC_LOG_ERROR, "%s", strbuf_str(&err));
		strbuf_free(&err);
		config_free(&overrides);
		config_free(&cfg);
		return EX_CONFIG;
	}
	apply_overrides(&cfg, &overrides);
	config_free(&overrides);
	warn_if_others_can_write(cfg.path);

	if (opt.list_plugins || opt.history || opt.search) {
		rc = opt.list_plugins ? instances_list_plugins(&cfg)
		                      : archive_print(&cfg, opt.history, opt.search, opt.json);
		config_free(&cfg);
		return rc;
	}

	struct chat chat = {.cfg = &cfg, .loop = loop_new(), .signal_fd = -1};
	rc = read_core_settings(&chat);
	if (!rc)
		rc = instances_create(&chat);
	if (!rc && opt.check_config) {
		rc = check_every_instance(&chat);
		if (!rc)
			instances_print(&chat);
	}
	if (!rc && !opt.check_config) {
		chat.stdin_shows_events = has_stdin_frontend(&chat);
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
	config_free(&cfg);
	return rc;
}
