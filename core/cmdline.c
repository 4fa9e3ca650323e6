/* SPDX-License-Identifier: MIT */
#include "cmdline.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "roomref.h"
#include "strbuf.h"

static const char usage[] =
	"usage: mqchat [-c FILE] [-o SECTION.KEY=VALUE]... [-n NICK] [-h HOST] [-p PORT]\n"
	"              [-t TOPIC] [-u USER] [-q QOS] [--check-config] [--list-plugins]\n"
	"              [--history N | --search WORDS [--room [NET:]ROOM] [--json]]\n"
	"              [--who [[NET:]ROOM] [--json]]\n"
	"              [--help] [-V] [URL]\n"
	"\n"
	"  -c, --config FILE          read FILE (default: $MQCHAT_CONFIG,\n"
	"                             $XDG_CONFIG_HOME/mqchat/mqchat.ini, /etc/mqchat/mqchat.ini)\n"
	"  -o, --set SECTION.KEY=VALUE  override one key; repeatable; wins over the file\n"
	"  -n, --nick NICK            same as -o core.nick=NICK\n"
	"  -h HOST, -p PORT, -t TOPIC, -u USER, -q QOS\n"
	"                             as mosquitto_sub has them: the broker, room, user\n"
	"                             and QoS of the default network (the first of\n"
	"                             [core] backends, else [core] backend, e.g. mqtt)\n"
	"  URL                        mqtt://[USER@]HOST[:PORT][/TOPIC], or mqtts://... with\n"
	"                             TLS on; options given with it win over it\n"
	"      --check-config         validate the configuration and its plugins, print it, exit\n"
	"      --list-plugins         list the plugins found, with kind, version and ABI\n"
	"      --history N            print the last N messages from history, exit\n"
	"      --search WORDS         print the messages of history matching WORDS, exit\n"
	"      --room [NET:]ROOM      with --history or --search: of that room only\n"
	"                             (NET: a network [core] names; default: the first)\n"
	"      --who [[NET:]ROOM]     print who is present in the room (default: the\n"
	"                             default room), one a line, \"~\" before a nick not\n"
	"                             proved, exit\n"
	"      --json                 with --history, --search or --who: one JSON object a line\n"
	"      --help                 this help\n"
	"  -V, --version              the version\n"
	"\n"
	"Type a line to send it; /help lists the commands.  With standard input not a\n"
	"terminal, every line read is sent, and mqchat exits once the broker has\n"
	"acknowledged them all.  A password never goes on the command line: name a\n"
	"file holding it with -o mqtt.password_file=FILE.  See mqchat(1) and mqchat.ini(5).\n";

enum {
	OPT_CHECK_CONFIG = 256,
	OPT_LIST_PLUGINS,
	OPT_HISTORY,
	OPT_SEARCH,
	OPT_ROOM,
	OPT_JSON,
	OPT_WHO,
	OPT_HELP
};

static const char shortopts[] = "c:o:n:h:p:t:u:q:V";
static const struct option longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"set", required_argument, NULL, 'o'},
	{"nick", required_argument, NULL, 'n'},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"list-plugins", no_argument, NULL, OPT_LIST_PLUGINS},
	{"history", required_argument, NULL, OPT_HISTORY},
	{"search", required_argument, NULL, OPT_SEARCH},
	{"room", required_argument, NULL, OPT_ROOM},
	{"json", no_argument, NULL, OPT_JSON},
	{"who", no_argument, NULL, OPT_WHO},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Appends one setting, copying its strings (`section` NULL: the default
 * network). */
static void add_setting(struct options *opt, const char *section, const char *key,
                        const char *value, const char *origin)
{
	opt->settings = xrealloc(opt->settings, (opt->n_settings + 1) * sizeof *opt->settings);
	opt->settings[opt->n_settings++] = (struct cmdline_setting){
		.section = section ? xstrdup(section) : NULL,
		.key = xstrdup(key),
		.value = xstrdup(value),
		.origin = xstrdup(origin),
	};
}

/* Says what is wrong with the command line; the exit code for it. */
static int usage_error(const char *fmt, ...) MQC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	struct strbuf what = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&what, fmt, ap);
	va_end(ap);
	fprintf(stderr, "mqchat: %s\n(mqchat --help lists the options)\n", what.data);
	strbuf_free(&what);
	return EX_USAGE;
}

/* "1".."65535", else false. */
static bool is_port(const char *text, size_t len)
{
	if (len == 0 || len > 5 || strspn(text, "0123456789") < len)
		return false;
	long port = strtol(text, NULL, 10);
	return port >= 1 && port <= 65535;
}

/* -h -p -t -u -q: a key of the default network, checked as far as the
 * command line can be; -1, or the exit code after saying what is wrong. */
static int add_shortcut(struct options *opt, int c, const char *arg)
{
	static const char *const keys[] = {['h'] = "host", ['p'] = "port", ['t'] = "topic",
	                                   ['u'] = "username", ['q'] = "qos"};
	if ((c == 'h' || c == 't') && !*arg)
		return usage_error("-%c '': an empty %s", c, keys[c]);
	if (c == 'p' && !is_port(arg, strlen(arg)))
		return usage_error("-p '%s': not a port number (1 to 65535)", arg);
	if (c == 'q' && (strlen(arg) != 1 || !strchr("012", arg[0])))
		return usage_error("-q '%s': the QoS is 0, 1 or 2", arg);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "-%c %s", c, arg);
	add_setting(opt, NULL, keys[c], arg, sb.data);
	strbuf_free(&sb);
	return -1;
}

/* -o SECTION.KEY=VALUE, or -n NICK; -1, or the exit code after saying what
 * is wrong. */
static int add_assignment(struct options *opt, int c, const char *arg)
{
	struct strbuf err = STRBUF_INIT, origin = STRBUF_INIT;
	char *section = NULL, *key = NULL;
	const char *value = arg;
	if (c == 'n') {
		section = xstrdup("core");
		key = xstrdup("nick");
		strbuf_printf(&origin, "-n %s", arg);
	} else {
		value = config_split(arg, &section, &key, &err);
		strbuf_printf(&origin, "-o %s", arg);
	}
	int rc = -1;
	if (value)
		add_setting(opt, section, key, value, origin.data);
	else
		rc = usage_error("%s", strbuf_str(&err));
	free(section);
	free(key);
	strbuf_free(&err);
	strbuf_free(&origin);
	return rc;
}

/* Splits HOST[:PORT] (HOST may be [IPv6]) into `host` and `port`;
 * false when malformed. */
static bool split_host_port(const char *start, size_t len, struct strbuf *host,
                            struct strbuf *port)
{
	const char *colon = NULL;
	if (len && start[0] == '[') {
		const char *close = memchr(start, ']', len);
		if (!close || close == start + 1)
			return false;
		strbuf_append(host, start + 1, (size_t)(close - start - 1));
		size_t used = (size_t)(close + 1 - start);
		if (used < len && start[used] != ':')
			return false;
		colon = used < len ? start + used : NULL;
	} else {
		colon = memchr(start, ':', len);
		strbuf_append(host, start, colon ? (size_t)(colon - start) : len);
		if (!host->len)
			return false;
	}
	if (colon)
		strbuf_append(port, colon + 1, len - (size_t)(colon + 1 - start));
	return !colon || is_port(strbuf_str(port), port->len);
}

/* Moves the settings from index `from` on before all the others. */
static void move_to_front(struct options *opt, size_t from)
{
	size_t added = opt->n_settings - from;
	struct cmdline_setting *moved = xcalloc(added, sizeof *moved);
	memcpy(moved, opt->settings + from, added * sizeof *moved);
	memmove(opt->settings + added, opt->settings, from * sizeof *moved);
	memcpy(opt->settings, moved, added * sizeof *moved);
	free(moved);
}

/* The settings an mqtt:// URL names: host, port, tls, username and topic,
 * with the URL as their origin. */
static void add_url_settings(struct options *opt, const char *url, bool tls, const char *host,
                             const char *port, const char *user, size_t user_len,
                             const char *topic)
{
	add_setting(opt, NULL, "host", host, url);
	add_setting(opt, NULL, "port", *port ? port : tls ? "8883" : "1883", url);
	add_setting(opt, NULL, "tls", tls ? "on" : "off", url);
	if (user) {
		char *name = xstrndup(user, user_len);
		add_setting(opt, NULL, "username", name, url);
		free(name);
	}
	if (*topic)
		add_setting(opt, NULL, "topic", topic, url);
}

/* mqtt://[USER@]HOST[:PORT][/TOPIC] or mqtts://...: put before every
 * option's setting, so that the options win over it; -1, or the exit code
 * after saying what is wrong. */
static int add_url(struct options *opt, const char *url)
{
	bool tls = strncmp(url, "mqtts://", 8) == 0;
	if (!tls && strncmp(url, "mqtt://", 7) != 0)
		return usage_error("unexpected argument: only an mqtt://[USER@]HOST[:PORT][/TOPIC] "
		                   "or mqtts://... URL may follow the options");
	const char *authority = url + (tls ? 8 : 7);
	size_t len = strcspn(authority, "/");
	const char *at = memchr(authority, '@', len);
	const char *user = at ? authority : NULL;
	size_t user_len = at ? (size_t)(at - authority) : 0;
	const char *colon = user ? memchr(user, ':', user_len) : NULL;
	if (colon)
		return usage_error("URL '%.*s:***%s': a password never goes on the command line "
		                   "(anyone can read it there): put it alone in a file of mode 0600 "
		                   "and name that file with -o mqtt.password_file=FILE",
		                   (int)(colon - url), url, at);
	const char *hostport = at ? at + 1 : authority;
	struct strbuf host = STRBUF_INIT, port = STRBUF_INIT;
	int rc = -1;
	if (!split_host_port(hostport, len - (size_t)(hostport - authority), &host, &port) ||
	    (user && !user_len)) {
		rc = usage_error("URL '%s': expected mqtt://[USER@]HOST[:PORT][/TOPIC] "
		                 "(PORT 1 to 65535)", url);
	} else {
		size_t before = opt->n_settings;
		add_url_settings(opt, url, tls, host.data, strbuf_str(&port), user, user_len,
		                 authority[len] == '/' ? authority + len + 1 : "");
		move_to_front(opt, before);
	}
	strbuf_free(&host);
	strbuf_free(&port);
	return rc;
}

/* --who looks without a trace: no frontend, bridge, announcement, history
 * or outbox. */
static void quiet_settings(struct options *opt)
{
	static const char *const keys[][2] = {
		{"frontends", ""}, {"bridges", ""}, {"announce", "off"}, {"history", "off"},
		{"outbox_max", "0"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		add_setting(opt, "core", keys[i][0], keys[i][1], "--who");
}

/* The checks that need every option seen; -1, or the exit code after
 * saying what is wrong. */
static int finish(int argc, char **argv, struct options *opt)
{
	/* --who's room is the argument that is not a URL. */
	if (opt->who && optind < argc && !strstr(argv[optind], "://"))
		opt->who_room = argv[optind++];
	if (optind < argc - 1)
		return usage_error("unexpected argument '%s': one URL at most", argv[optind + 1]);
	if (optind == argc - 1) {
		int rc = add_url(opt, argv[optind]);
		if (rc >= 0)
			return rc;
	}
	if (opt->history && opt->search)
		return usage_error("--history and --search: one or the other");
	if (opt->who && (opt->history || opt->search || opt->check_config))
		return usage_error("--who goes alone (not with --history, --search or "
		                   "--check-config)");
	if (opt->json && !opt->history && !opt->search && !opt->who)
		return usage_error("--json goes with one of --history, --search and --who");
	if (opt->who)
		quiet_settings(opt);
	if (opt->room && !opt->history && !opt->search)
		return usage_error("--room '%s' goes with one of --history and --search", opt->room);
	if (opt->room && !*opt->room)
		return usage_error("--room '': an empty room");
	return -1;
}

/* One option from getopt_long(): -1 to go on, or the exit code (0 after
 * --help or -V). */
static int take_option(struct options *opt, int c, const char *arg)
{
	switch (c) {
	case 'c':
		opt->config_path = arg;
		return -1;
	case 'o':
	case 'n':
		return add_assignment(opt, c, arg);
	case 'h':
	case 'p':
	case 't':
	case 'u':
	case 'q':
		return add_shortcut(opt, c, arg);
	case OPT_CHECK_CONFIG:
		opt->check_config = true;
		return -1;
	case OPT_LIST_PLUGINS:
		opt->list_plugins = true;
		return -1;
	case OPT_HISTORY:
		opt->history = arg;
		return -1;
	case OPT_SEARCH:
		opt->search = arg;
		return -1;
	case OPT_ROOM:
		opt->room = arg;
		return -1;
	case OPT_WHO:
		opt->who = true;
		return -1;
	case OPT_JSON:
		opt->json = true;
		return -1;
	case OPT_HELP:
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

int cmdline_parse(int argc, char **argv, struct options *opt)
{
	int c, rc = -1;
	while (rc < 0 && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		rc = take_option(opt, c, optarg);
	return rc >= 0 ? rc : finish(argc, argv, opt);
}

/* The network -h -p -t -u -q and a URL set keys of: the first of
 * core.backends when the file or -o names any, else core.backend. */
static char *default_network(const struct options *opt, const struct config *cfg)
{
	const char *backends = config_core_value(cfg, "backends");
	const char *backend = config_core_value(cfg, "backend");
	for (size_t i = 0; i < opt->n_settings; i++) {
		const struct cmdline_setting *s = &opt->settings[i];
		if (!s->section || strcmp(s->section, "core") != 0)
			continue;
		if (strcmp(s->key, "backends") == 0)
			backends = s->value;
		else if (strcmp(s->key, "backend") == 0)
			backend = s->value;
	}
	char *first = namelist_next(&backends);
	return first ? first : xstrdup(backend);
}

void cmdline_apply(const struct options *opt, struct config *cfg)
{
	char *network = default_network(opt, cfg);
	for (size_t i = 0; i < opt->n_settings; i++) {
		const struct cmdline_setting *s = &opt->settings[i];
		config_set(cfg, s->section ? s->section : network, s->key, s->value, s->origin);
	}
	free(network);
}

void cmdline_free(struct options *opt)
{
	for (size_t i = 0; i < opt->n_settings; i++) {
		free(opt->settings[i].section);
		free(opt->settings[i].key);
		free(opt->settings[i].value);
		free(opt->settings[i].origin);
	}
	free(opt->settings);
	opt->settings = NULL;
	opt->n_settings = 0;
}
