/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime_dir.h"

const struct mqc_key config_core_keys[] = {
	{.name = "nick", .def = "",
	 .help = "your nick; asked for on a terminal when missing, else $USER"},
	{.name = "frontends", .def = "stdin",
	 .help = "frontend instances, comma or space separated"},
	{.name = "backend", .def = "mqtt",
	 .help = "the backend instance (a list of one; backends names several)"},
	{.name = "backends", .def = "",
	 .help = "the networks: backend instances, comma or space separated (default: backend)"},
	{.name = "bridges", .def = "",
	 .help = "bridge sections, each linking rooms of different networks"},
	{.name = "history", .def = "on", .flags = MQC_KEY_PATH,
	 .help = "on | off | a path to the history database"},
	{.name = "history_replay", .def = "20", .help = "messages shown from history at start",
	 .type = MQC_KEY_NUMBER, .min = 0, .max = 1000000},
	{.name = "history_max_messages", .def = "1000000",
	 .help = "messages kept in history; 0: no limit",
	 .type = MQC_KEY_NUMBER, .min = 0, .max = 1000000000000},
	{.name = "history_max_days", .def = "0",
	 .help = "days messages are kept in history; 0: no limit",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_DAYS, .min = 0, .max = 1000000},
	{.name = "dedup_window", .def = "10",
	 .help = "seconds within which a plain payload seen twice is a duplicate (json: by id)",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = 0, .max = 86400},
	{.name = "plugin_dir", .def = "", .flags = MQC_KEY_PATH,
	 .help = "where plugins are looked up"},
	{.name = "announce", .def = "on",
	 .help = "send a join message on connecting (again after a lost connection) and a "
	         "leave message on exit",
	 .type = MQC_KEY_BOOL},
	{.name = "time_format", .def = "%H:%M", .help = "strftime format of {time}"},
	{.name = "quit_timeout", .def = "10",
	 .help = "seconds to wait for acknowledgements when quitting",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = 0, .max = 86400},
	{.name = "rate_limit", .def = "off",
	 .help = "MESSAGES/PERIOD (20/10s): past it, a sender's received messages are folded "
	         "into a count of those suppressed; off: no limit"},
	{.name = "outbox_max", .def = "10000",
	 .help = "messages kept on disk until the broker acknowledges them; 0: no outbox",
	 .type = MQC_KEY_NUMBER, .min = 0, .max = 10000000},
	{.name = NULL},
};

const struct mqc_key config_bridge_keys[] = {
	{.name = "rooms", .def = "",
	 .help = "the rooms linked, NETWORK:ROOM, at least two, space or comma separated"},
	{.name = "nick_format", .def = "{nick}@{network}",
	 .help = "how a relayed sender is named in the other rooms ({nick} {network} {room})"},
	{.name = "events", .def = "message action",
	 .help = "what crosses: message action join leave"},
	{.name = NULL},
};

/* State of one ini_parse_stream() run.  inih (as Debian builds it) does not
 * tell the handler the line number, so the reader counts lines itself. */
struct parse {
	struct config *cfg;
	const char *path;
	FILE *file;
	int line;
	char *section; /* current section, from the reader's own look */
	struct strbuf *err;
	bool failed;
};

static char *origin_at(const char *path, int line)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s:%d", path, line);
	return strbuf_take(&sb);
}

const struct config_section *config_find_section(const struct config *cfg, const char *name)
{
	for (const struct config_section *s = cfg->sections; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void add_section(struct config *cfg, const char *name, char *origin)
{
	struct config_section **tail = &cfg->sections;
	while (*tail)
		tail = &(*tail)->next;
	*tail = xcalloc(1, sizeof **tail);
	(*tail)->name = xstrdup(name);
	(*tail)->origin = origin;
}

/* inih keeps section names in a buffer of this size (its MAX_SECTION) and
 * cuts longer ones short: such a name would no longer match its header. */
#define INIH_MAX_SECTION 50

/* Notes section headers as lines go by: inih calls the handler only for
 * keys, so an empty section would otherwise go unseen. */
static void note_section_header(struct parse *ps, const char *line)
{
	/* Skip what inih skips: a byte-order mark on the first line, and
	 * any white space. */
	if (ps->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	while (isspace((unsigned char)*line))
		line++;
	if (*line != '[')
		return;
	const char *end = strchr(line, ']');
	if (!end)
		return;
	size_t len = (size_t)(end - line - 1);
	if (len >= INIH_MAX_SECTION) {
		strbuf_printf(ps->err, "%s:%d: section name longer than %d characters", ps->path,
		              ps->line, INIH_MAX_SECTION - 1);
		ps->failed = true;
		return;
	}
	free(ps->section);
	ps->section = xstrndup(line + 1, len);
	if (config_find_section(ps->cfg, ps->section)) {
		strbuf_printf(ps->err, "%s:%d: section [%s] appears twice (first at %s)", ps->path,
		              ps->line, ps->section,
		              config_find_section(ps->cfg, ps->section)->origin);
		ps->failed = true;
		return;
	}
	add_section(ps->cfg, ps->section, origin_at(ps->path, ps->line));
}

/* An indented line is a continuation to inih's default build and to
 * Python's configparser, and an ordinary line to inih as we set it up: two
 * readings of one file, so neither is allowed.  Blank and comment lines
 * may be indented. */
static void refuse_indented(struct parse *ps, const char *line)
{
	if (ps->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3; /* a byte-order mark, skipped by inih */
	if (!isspace((unsigned char)*line))
		return;
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == ';' || *line == '#')
		return;
	strbuf_printf(ps->err, "%s:%d: indented line: there are no continuation lines; start "
	              "each key (and each [section]) at the beginning of its line, with its "
	              "whole value on that line", ps->path, ps->line);
	ps->failed = true;
}

static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	if (ps->failed || !fgets(str, num, ps->file))
		return NULL;
	ps->line++;
	size_t len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(ps->file)) {
		strbuf_printf(ps->err, "%s:%d: line longer than %d characters (inih's limit)",
		              ps->path, ps->line, num - 2);
		ps->failed = true;
		return NULL;
	}
	refuse_indented(ps, str);
	if (!ps->failed)
		note_section_header(ps, str);
	return ps->failed ? NULL : str;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
	struct parse *ps = user;
	if (!*section) {
		strbuf_printf(ps->err, "%s:%d: key '%s' outside any [section]", ps->path, ps->line, key);
		ps->failed = true;
		return 0;
	}
	const struct config_value *dup = config_find(ps->cfg, section, key);
	if (dup && strncmp(dup->origin, "-o ", 3) != 0) {
		strbuf_printf(ps->err, "%s:%d: [%s] %s is set twice (first at %s)", ps->path,
		              ps->line, section, key, dup->origin);
		ps->failed = true;
		return 0;
	}
	struct config_value *v = xcalloc(1, sizeof *v);
	v->section = xstrdup(section);
	v->key = xstrdup(key);
	v->value = xstrdup(value);
	v->origin = origin_at(ps->path, ps->line);
	struct config_value **tail = &ps->cfg->values;
	while (*tail)
		tail = &(*tail)->next;
	*tail = v;
	return 1;
}

/* Opens `path` for reading only if it is a regular file, judged on the
 * descriptor opened: a directory would read as an empty file, /dev/zero
 * never ends and a FIFO blocks.  O_NONBLOCK keeps the open itself from
 * waiting on a FIFO's writer. */
static FILE *open_regular(const char *path, unsigned *mode, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		strbuf_printf(err, "%s: cannot read the configuration: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_printf(err, "%s: cannot read the configuration: not a regular file (%s)",
		              path, S_ISDIR(st.st_mode)    ? "a directory"
		                    : S_ISFIFO(st.st_mode) ? "a named pipe"
		                    : S_ISCHR(st.st_mode)  ? "a character device"
		                    : S_ISBLK(st.st_mode)  ? "a block device"
		                                           : "a socket");
		close(fd);
		return NULL;
	}
	FILE *file = fdopen(fd, "r");
	if (!file) {
		strbuf_printf(err, "%s: cannot read the configuration: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	*mode = (unsigned)st.st_mode;
	return file;
}

int config_parse_file(struct config *cfg, const char *path, struct strbuf *err)
{
	struct parse ps = {.cfg = cfg, .path = path, .err = err};
	unsigned mode = 0;
	ps.file = open_regular(path, &mode, err);
	if (!ps.file)
		return -1;
	/* Indented lines are refused by the reader (refuse_indented). */
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	int rc = ini_parse_stream(read_line, &ps, on_value, &ps);
	fclose(ps.file);
	free(ps.section);
	if (ps.failed)
		return -1;
	if (rc != 0) {
		strbuf_printf(err, "%s:%d: not a [section] header nor a 'key = value' line", path,
		              rc > 0 ? rc : ps.line);
		return -1;
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	cfg->file_mode = mode;
	return 0;
}

static char *config_candidate(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/')
		strbuf_printf(&sb, "%s/mqchat/mqchat.ini", xdg);
	else if (home && *home)
		strbuf_printf(&sb, "%s/.config/mqchat/mqchat.ini", home);
	if (sb.len && access(sb.data, F_OK) == 0)
		return strbuf_take(&sb);
	strbuf_free(&sb);
	if (access("/etc/mqchat/mqchat.ini", F_OK) == 0)
		return xstrdup("/etc/mqchat/mqchat.ini");
	return NULL;
}

int config_load(struct config *cfg, const char *explicit_path, struct strbuf *err)
{
	const char *env = getenv("MQCHAT_CONFIG");
	char *path = explicit_path ? xstrdup(explicit_path)
	             : (env && *env) ? xstrdup(env)
	                             : config_candidate();
	int rc = path ? config_parse_file(cfg, path, err) : 0;
	free(path);
	return rc;
}

void config_set(struct config *cfg, const char *section, const char *key, const char *value,
                const char *origin)
{
	struct config_value *v = (struct config_value *)config_find(cfg, section, key);
	if (v) {
		free(v->value);
		free(v->origin);
	} else {
		v = xcalloc(1, sizeof *v);
		v->section = xstrdup(section);
		v->key = xstrdup(key);
		v->next = cfg->values;
		cfg->values = v;
	}
	v->value = xstrdup(value);
	v->origin = xstrdup(origin);
	if (!config_find_section(cfg, section))
		add_section(cfg, section, xstrdup(origin));
}

const char *config_split(const char *assignment, char **section, char **key,
                         struct strbuf *err)
{
	const char *dot = strchr(assignment, '.');
	const char *eq = strchr(assignment, '=');
	if (!dot || !eq || dot > eq || dot == assignment || eq == dot + 1) {
		strbuf_printf(err, "-o %s: expected SECTION.KEY=VALUE", assignment);
		return NULL;
	}
	*section = xstrndup(assignment, (size_t)(dot - assignment));
	*key = xstrndup(dot + 1, (size_t)(eq - dot - 1));
	return eq + 1;
}

int config_override(struct config *cfg, const char *assignment, struct strbuf *err)
{
	char *section, *key;
	const char *value = config_split(assignment, &section, &key, err);
	if (!value)
		return -1;
	struct strbuf origin = STRBUF_INIT;
	strbuf_printf(&origin, "-o %s", assignment);
	config_set(cfg, section, key, value, origin.data);
	strbuf_free(&origin);
	free(section);
	free(key);
	return 0;
}

char *config_relative_path(const struct config *cfg, const char *origin, const char *path)
{
	size_t n = cfg->path ? strlen(cfg->path) : 0;
	bool in_file = n && strncmp(origin, cfg->path, n) == 0 && origin[n] == ':';
	const char *slash = cfg->path ? strrchr(cfg->path, '/') : NULL;
	if (path[0] == '/' || !in_file || !slash)
		return xstrdup(path); /* from the command line, or a file in "." */
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%.*s/%s", (int)(slash - cfg->path), cfg->path, path);
	return strbuf_take(&sb);
}

const struct config_value *config_find(const struct config *cfg, const char *section,
                                       const char *key)
{
	for (const struct config_value *v = cfg->values; v; v = v->next)
		if (strcmp(v->section, section) == 0 && strcmp(v->key, key) == 0)
			return v;
	return NULL;
}

const char *config_core_value(const struct config *cfg, const char *key)
{
	const struct config_value *v = config_find(cfg, "core", key);
	if (v)
		return v->value;
	for (const struct mqc_key *k = config_core_keys; k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->def ? k->def : "";
	return "";
}

void config_free(struct config *cfg)
{
	for (struct config_value *v = cfg->values, *next; v; v = next) {
		next = v->next;
		free(v->section);
		free(v->key);
		free(v->value);
		free(v->origin);
		free(v);
	}
	for (struct config_section *s = cfg->sections, *next; s; s = next) {
		next = s->next;
		free(s->name);
		free(s->origin);
		free(s);
	}
	free(cfg->path);
	*cfg = (struct config){0};
}

bool config_parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(value, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

char *config_runtime_dir(void)
{
	size_t len = runtime_dir(NULL, 0);
	char *dir = xmalloc(len + 1);
	runtime_dir(dir, len + 1);
	return dir;
}

/* $XDG_RUNTIME_DIR without a usable value: mqchat's fallback runtime
 * directory, with the "/mqchat" that usually follows taken as part of it,
 * so that "$XDG_RUNTIME_DIR/mqchat/x" is config_runtime_dir() + "/x" either
 * way.  Returns the text after what it consumed. */
static const char *append_runtime_fallback(struct strbuf *sb, const char *rest)
{
	char *dir = config_runtime_dir();
	strbuf_appends(sb, dir);
	free(dir);
	if (strncmp(rest, "/mqchat", 7) == 0 && (rest[7] == '/' || rest[7] == '\0'))
		rest += 7;
	return rest;
}

char *config_expand_path(const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = value;
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		const char *home = getenv("HOME");
		strbuf_appends(&sb, home ? home : "");
		p++;
	}
	while (*p) {
		if (*p != '$') {
			strbuf_appendc(&sb, *p++);
			continue;
		}
		const char *name = p + 1;
		bool braced = *name == '{';
		if (braced)
			name++;
		size_t len = 0;
		while (name[len] == '_' || (name[len] >= 'A' && name[len] <= 'Z') ||
		       (name[len] >= 'a' && name[len] <= 'z') || (name[len] >= '0' && name[len] <= '9'))
			len++;
		if (len == 0 || (braced && name[len] != '}')) {
			strbuf_appendc(&sb, *p++);
			continue;
		}
		char *var = xstrndup(name, len);
		const char *val = getenv(var);
		bool runtime = strcmp(var, "XDG_RUNTIME_DIR") == 0 && (!val || *val != '/');
		free(var);
		p = name + len + (braced ? 1 : 0);
		if (runtime)
			p = append_runtime_fallback(&sb, p);
		else
			strbuf_appends(&sb, val ? val : "");
	}
	return strbuf_take(&sb);
}
