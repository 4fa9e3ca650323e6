/* SPDX-License-Identifier: MIT */
/* From configuration to instances: which plugins, which keys, which values. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "instance.h"

#include "keytype.h"
#include "log.h"
#include "roomref.h"

/* What building the instances needs at hand. */
struct build {
	struct instances *all;
	const struct config *cfg;
	struct chat *chat;
	const struct mqc_host *host;
};

static const struct mqc_key *find_key(const struct mqc_key *keys, const char *name)
{
	for (const struct mqc_key *k = keys; k && k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* core.plugin_dir, a relative one taken from the file's directory. */
static char *plugin_dir(const struct config *cfg)
{
	const char *dir = config_core_value(cfg, "plugin_dir");
	if (!*dir)
		return loader_default_dir();
	char *expanded = config_expand_path(dir);
	char *resolved = config_relative_path(cfg, config_find(cfg, "core", "plugin_dir")->origin,
	                                      expanded);
	free(expanded);
	return resolved;
}

/* The plugin `name` (written at `origin`), opened once per file; NULL
 * with the reason in `err`. */
static struct plugin *find_plugin(struct build *b, const char *name, const char *origin,
                                  struct strbuf *err)
{
	char *dir = plugin_dir(b->cfg);
	char *found = loader_resolve(dir, name);
	free(dir);
	/* A path written in the file is relative to the file's directory. */
	char *path = strchr(name, '/') && origin ? config_relative_path(b->cfg, origin, found)
	                                         : xstrdup(found);
	free(found);
	for (struct plugin *p = b->all->plugins; p; p = p->next) {
		if (strcmp(p->path, path) == 0) {
			free(path);
			return p;
		}
	}
	struct plugin *p = loader_open(path, err);
	if (p) {
		p->next = b->all->plugins;
		b->all->plugins = p;
	}
	free(path);
	return p;
}

static struct plugin *load_plugin(struct build *b, const char *name, const char *origin)
{
	struct strbuf err = STRBUF_INIT;
	struct plugin *p = find_plugin(b, name, origin, &err);
	if (!p)
		log_print(NULL, MQC_LOG_ERROR, "%s: plugin '%s': %s", origin, name, strbuf_str(&err));
	strbuf_free(&err);
	return p;
}

/* The plugin a section names: its `plugin =` key, else its own name. */
static const char *section_plugin_name(const struct config *cfg, const char *section,
                                       const char **origin)
{
	const struct config_value *v = config_find(cfg, section, "plugin");
	if (v) {
		*origin = v->origin;
		return v->value;
	}
	const struct config_section *s = config_find_section(cfg, section);
	*origin = s ? s->origin : NULL;
	return section;
}

static void instance_free(struct instance *inst);

/* Resolves and checks the value of every key of `name`: the instance, or
 * NULL after saying what is wrong with each bad value. */
static struct instance *instance_new(struct build *b, const char *name,
                                     const struct plugin *p)
{
	struct instance *inst = xcalloc(1, sizeof *inst);
	inst->chat = b->chat;
	inst->name = xstrdup(name);
	inst->plugin = p;
	size_t n = 0;
	while (p->desc.keys[n].name)
		n++;
	inst->values = xcalloc(n + 1, sizeof *inst->values);
	inst->origins = xcalloc(n + 1, sizeof *inst->origins);
	inst->parsed = xcalloc(n + 1, sizeof *inst->parsed);
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		const struct mqc_key *k = &p->desc.keys[i];
		const struct config_value *v = config_find(b->cfg, name, k->name);
		const char *raw = v ? v->value : k->def ? k->def : "";
		inst->values[i] = keytype_is_path(k) ? config_expand_path(raw) : xstrdup(raw);
		inst->origins[i] = v ? v->origin : "built-in default";
		struct strbuf why = STRBUF_INIT;
		if (!keytype_parse(k, inst->values[i], &inst->parsed[i], &why)) {
			log_print(NULL, MQC_LOG_ERROR, "%s: [%s] %s: %s", inst->origins[i], name,
			          k->name, strbuf_str(&why));
			ok = false;
		}
		strbuf_free(&why);
	}
	if (!ok) {
		instance_free(inst);
		return NULL;
	}
	return inst;
}

static void instance_free(struct instance *inst)
{
	if (!inst)
		return;
	for (size_t i = 0; inst->plugin->desc.keys[i].name; i++)
		free((char *)inst->values[i]);
	free(inst->values);
	free(inst->origins);
	free(inst->parsed);
	free(inst->name);
	strbuf_free(&inst->scratch);
	free(inst);
}

static size_t key_index(const struct instance *inst, const char *key)
{
	const struct mqc_key *keys = inst->plugin->desc.keys;
	for (size_t i = 0; keys && keys[i].name; i++)
		if (strcmp(keys[i].name, key) == 0)
			return i;
	return (size_t)-1;
}

const char *instance_value(const struct instance *inst, const char *key)
{
	size_t i = key_index(inst, key);
	return i == (size_t)-1 ? NULL : inst->values[i];
}

const char *instance_origin(const struct instance *inst, const char *key)
{
	size_t i = key_index(inst, key);
	return i == (size_t)-1 ? NULL : inst->origins[i];
}

bool instance_typed(const struct instance *inst, const char *key, enum mqc_key_type type,
                    int64_t *out)
{
	size_t i = key_index(inst, key);
	if (i == (size_t)-1 || inst->plugin->desc.keys[i].type != type)
		return false;
	*out = inst->parsed[i];
	return true;
}

/* Creates the instance `name` for `role`; NULL after printing why. */
static struct instance *create_one(struct build *b, const char *name,
                                   enum mqc_plugin_kind role, const char *listed_at)
{
	const char *origin;
	const char *pname = section_plugin_name(b->cfg, name, &origin);
	struct plugin *p = load_plugin(b, pname, origin ? origin : listed_at);
	if (!p)
		return NULL;
	if (p->desc.kind != role) {
		log_print(NULL, MQC_LOG_ERROR, "%s: '%s' is a %s plugin, listed here as a %s",
		         listed_at, name, loader_kind_name(p->desc.kind), loader_kind_name(role));
		return NULL;
	}
	return instance_new(b, name, p);
}

/* Whether the list [core] `key` holds names `section`. */
static bool in_core_list(const struct config *cfg, const char *key, const char *section)
{
	const char *p = config_core_value(cfg, key);
	bool found = false;
	for (char *name; !found && (name = namelist_next(&p)); free(name))
		found = strcmp(name, section) == 0;
	return found;
}

const char *instances_network_list(const struct config *cfg, const char **origin)
{
	const char *key = *config_core_value(cfg, "backends") ? "backends" : "backend";
	const struct config_value *v = config_find(cfg, "core", key);
	if (origin)
		*origin = v ? v->origin : "[core] backend (built-in default)";
	return config_core_value(cfg, key);
}

/* Whether [core] lists `section` as a frontend or a network. */
static bool is_listed(const struct config *cfg, const char *section)
{
	const char *p = instances_network_list(cfg, NULL);
	bool found = false;
	for (char *name; !found && (name = namelist_next(&p)); free(name))
		found = strcmp(name, section) == 0;
	return found || in_core_list(cfg, "frontends", section);
}

static int create_frontends(struct build *b)
{
	const char *p = config_core_value(b->cfg, "frontends");
	const struct config_value *v = config_find(b->cfg, "core", "frontends");
	const char *origin = v ? v->origin : "[core] frontends (built-in default)";
	int failures = 0;
	for (char *name; (name = namelist_next(&p)); free(name)) {
		bool dup = false;
		for (size_t i = 0; i < b->all->n_frontends; i++)
			dup = dup || strcmp(b->all->frontends[i]->name, name) == 0;
		struct instance *inst = NULL;
		if (dup)
			log_print(NULL, MQC_LOG_ERROR, "%s: frontend '%s' is listed twice", origin, name);
		else if (strcmp(name, "core") == 0)
			log_print(NULL, MQC_LOG_ERROR, "%s: 'core' cannot be an instance", origin);
		else
			inst = create_one(b, name, MQC_PLUGIN_FRONTEND, origin);
		if (!inst) {
			failures++;
			continue;
		}
		b->all->frontends = xrealloc(b->all->frontends,
		                           (b->all->n_frontends + 1) * sizeof *b->all->frontends);
		b->all->frontends[b->all->n_frontends++] = inst;
	}
	return failures;
}

static struct instance *find_instance(const struct build *b, const char *name)
{
	for (size_t i = 0; i < b->all->n_frontends; i++)
		if (strcmp(b->all->frontends[i]->name, name) == 0)
			return b->all->frontends[i];
	for (size_t i = 0; i < b->all->n_backends; i++)
		if (strcmp(b->all->backends[i]->name, name) == 0)
			return b->all->backends[i];
	return NULL;
}

/* The key the core reads in a plugin's section besides the plugin's own:
 * `plugin`, a network's `rooms`, a frontend's `room`. */
static bool is_core_key(const char *key, const struct plugin *p)
{
	if (!p)
		return false;
	if (strcmp(key, "plugin") == 0)
		return true;
	return strcmp(key, p->desc.kind == MQC_PLUGIN_BACKEND ? "rooms" : "room") == 0;
}

static int check_keys(const struct config *cfg, const char *section,
                      const struct mqc_key *keys, const struct plugin *p)
{
	int failures = 0;
	for (const struct config_value *v = cfg->values; v; v = v->next) {
		if (strcmp(v->section, section) != 0)
			continue;
		if (find_key(keys, v->key) || is_core_key(v->key, p))
			continue;
		struct strbuf known = STRBUF_INIT;
		for (const struct mqc_key *k = keys; k && k->name; k++)
			strbuf_printf(&known, "%s%s", known.len ? ", " : "", k->name);
		log_print(NULL, MQC_LOG_ERROR, "%s: unknown key '%s' in [%s] (known keys: %s)%s",
		         v->origin, v->key, section, strbuf_str(&known),
		         strcmp(v->key, "password") == 0
		                 ? "; a password is never written in the INI file: put it "
		                   "alone in a file of mode 0600 and name that file with "
		                   "password_file"
		                 : "");
		strbuf_free(&known);
		failures++;
	}
	return failures;
}

/* A section that is no instance but names a plugin (its `plugin =` or its
 * own name) is checked as that plugin checks an instance, keys and values,
 * so a file may keep settings for frontends it does not use right now and
 * a mistake there is still found before the day they are used. */
static int check_spare_section(struct build *b, const struct config_section *s)
{
	const char *origin;
	const char *pname = section_plugin_name(b->cfg, s->name, &origin);
	struct strbuf err = STRBUF_INIT;
	const struct plugin *p = find_plugin(b, pname, origin, &err);
	if (!p) {
		log_print(NULL, MQC_LOG_ERROR,
		         "%s: unknown section [%s]: not [core], not an instance listed in "
		         "core.frontends or core.backend, and no plugin %s",
		         s->origin, s->name, strbuf_str(&err));
		strbuf_free(&err);
		return 1;
	}
	strbuf_free(&err);
	int failures = check_keys(b->cfg, s->name, p->desc.keys, p);
	if (failures)
		return failures;
	struct instance *spare = instance_new(b, s->name, p);
	if (!spare)
		return 1;
	failures = instance_check(spare, b->host) ? 1 : 0;
	instance_free(spare);
	return failures;
}

/* Every value must be a key its section's owner declared. */
static int check_values(struct build *b)
{
	int failures = 0;
	for (const struct config_section *s = b->cfg->sections; s; s = s->next) {
		if (strcmp(s->name, "core") == 0) {
			failures += check_keys(b->cfg, s->name, config_core_keys, NULL);
			continue;
		}
		if (in_core_list(b->cfg, "bridges", s->name)) {
			failures += check_keys(b->cfg, s->name, config_bridge_keys, NULL);
			continue;
		}
		struct instance *inst = find_instance(b, s->name);
		if (inst)
			failures += check_keys(b->cfg, s->name, inst->plugin->desc.keys, inst->plugin);
		else if (!is_listed(b->cfg, s->name)) /* listed: its plugin failed, said */
			failures += check_spare_section(b, s);
	}
	return failures;
}

/* One network of [core] backends (or backend), which no frontend or
 * other network may also be: 0 or 1 failure. */
static int create_backend(struct build *b, const char *name, const char *origin)
{
	struct instance *inst = NULL;
	if (find_instance(b, name))
		log_print(NULL, MQC_LOG_ERROR, "%s: '%s' is listed twice, or as a frontend and a "
		         "network", origin, name);
	else if (strcmp(name, "core") == 0 || in_core_list(b->cfg, "bridges", name))
		log_print(NULL, MQC_LOG_ERROR, "%s: '%s' cannot be a network: it is [core] or a "
		         "bridge", origin, name);
	else
		inst = create_one(b, name, MQC_PLUGIN_BACKEND, origin);
	if (!inst)
		return 1;
	b->all->backends = xrealloc(b->all->backends,
	                            (b->all->n_backends + 1) * sizeof *b->all->backends);
	b->all->backends[b->all->n_backends++] = inst;
	return 0;
}

static int create_backends(struct build *b)
{
	const char *origin;
	const char *p = instances_network_list(b->cfg, &origin);
	int failures = 0;
	for (char *name; (name = namelist_next(&p)); free(name))
		failures += create_backend(b, name, origin);
	if (!failures && !b->all->n_backends) {
		log_print(NULL, MQC_LOG_ERROR, "%s: no network: name the backend instances", origin);
		failures++;
	}
	return failures;
}

/* After a mistake, the plugins' own checks of every instance built, so
 * that one run names every mistake (without one, they run before `open`,
 * or for --check-config). */
static void check_built(struct build *b)
{
	for (size_t i = 0; i < b->all->n_frontends; i++)
		instance_check(b->all->frontends[i], b->host);
	for (size_t i = 0; i < b->all->n_backends; i++)
		instance_check(b->all->backends[i], b->host);
}

int instances_create(struct instances *all, const struct config *cfg, struct chat *chat,
                     const struct mqc_host *host)
{
	struct build b = {all, cfg, chat, host};
	int failures = create_frontends(&b);
	failures += create_backends(&b);
	failures += check_values(&b);
	if (failures)
		check_built(&b);
	return failures ? EX_CONFIG : 0;
}

int instance_check(struct instance *inst, const struct mqc_host *host)
{
	if (inst->plugin->desc.check &&
	    (inst->plugin->desc.check((struct mqc_instance *)inst, host) != 0 ||
	     inst->config_failed))
		return EX_CONFIG;
	return 0;
}

void instances_destroy(struct instances *all)
{
	for (size_t i = 0; i < all->n_frontends; i++)
		instance_free(all->frontends[i]);
	free(all->frontends);
	all->frontends = NULL;
	all->n_frontends = 0;
	for (size_t i = 0; i < all->n_backends; i++)
		instance_free(all->backends[i]);
	free(all->backends);
	all->backends = NULL;
	all->n_backends = 0;
	for (struct plugin *p = all->plugins, *next; p; p = next) {
		next = p->next;
		loader_close(p);
	}
	all->plugins = NULL;
}

/* "key = value" padded to a column, then where the value came from. */
static void print_value(const char *key, const char *value, const char *origin)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_printf(&line, "%s = %s", key, value);
	printf("%-40s ; %s\n", strbuf_str(&line), origin);
	strbuf_free(&line);
}

static void print_instance(const struct instance *inst, const char *role,
                           const struct config *cfg)
{
	const struct plugin *p = inst->plugin;
	printf("\n[%s]\n; %s, plugin %s %s (%s)\n", inst->name, role, p->desc.name,
	       p->desc.version ? p->desc.version : "", p->path);
	for (size_t i = 0; p->desc.keys && p->desc.keys[i].name; i++) {
		const struct mqc_key *k = &p->desc.keys[i];
		bool secret = (k->flags & MQC_KEY_SECRET) && *inst->values[i];
		print_value(k->name, secret ? "********" : inst->values[i], inst->origins[i]);
	}
	const char *core_key = p->desc.kind == MQC_PLUGIN_BACKEND ? "rooms" : "room";
	const struct config_value *v = config_find(cfg, inst->name, core_key);
	print_value(core_key, v ? v->value : "", v ? v->origin : "built-in default (core)");
}

/* A bridge section, every key with its value and origin. */
static void print_bridge(const struct config *cfg, const char *name)
{
	printf("\n[%s]\n; bridge\n", name);
	for (const struct mqc_key *k = config_bridge_keys; k->name; k++) {
		const struct config_value *v = config_find(cfg, name, k->name);
		print_value(k->name, v ? v->value : k->def, v ? v->origin : "built-in default");
	}
}

void instances_print(const struct instances *all, const struct config *cfg)
{
	printf("; mqchat %s, configuration from %s\n[core]\n", MQC_VERSION,
	       cfg->path ? cfg->path : "built-in defaults (no file found)");
	for (const struct mqc_key *k = config_core_keys; k->name; k++) {
		const struct config_value *v = config_find(cfg, "core", k->name);
		print_value(k->name, config_core_value(cfg, k->name), v ? v->origin : "built-in default");
	}
	for (size_t i = 0; i < all->n_frontends; i++)
		print_instance(all->frontends[i], "frontend", cfg);
	for (size_t i = 0; i < all->n_backends; i++)
		print_instance(all->backends[i], "network", cfg);
	const char *p = config_core_value(cfg, "bridges");
	for (char *name; (name = namelist_next(&p)); free(name))
		print_bridge(cfg, name);
}

static int select_plugin_file(const struct dirent *e)
{
	size_t len = strlen(e->d_name);
	return len > 3 && strcmp(e->d_name + len - 3, ".so") == 0;
}

int instances_list_plugins(const struct config *cfg)
{
	char *dir = plugin_dir(cfg);
	struct dirent **entries;
	int n = scandir(dir, &entries, select_plugin_file, alphasort);
	if (n < 0) {
		log_print(NULL, MQC_LOG_ERROR, "%s: cannot list plugins: %s", dir, strerror(errno));
		free(dir);
		return EX_CONFIG;
	}
	printf("%-10s %-9s %-9s %-5s %s\n", "NAME", "KIND", "VERSION", "ABI", "PATH");
	for (int i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
		strbuf_printf(&path, "%s/%s", dir, entries[i]->d_name);
		struct plugin *p = loader_open(path.data, &err);
		if (p) {
			char abi[16];
			snprintf(abi, sizeof abi, "%u.%u", p->desc.abi_major, p->desc.abi_minor);
			printf("%-10s %-9s %-9s %-5s %s\n%11s%s\n", p->desc.name,
			       loader_kind_name(p->desc.kind), p->desc.version ? p->desc.version : "?",
			       abi, path.data, "", p->desc.description ? p->desc.description : "");
			loader_close(p);
		} else {
			printf("%-10s %-9s %-9s %-5s %s\n%11srefused: %s\n", entries[i]->d_name, "-",
			       "-", "-", path.data, "", strbuf_str(&err));
		}
		strbuf_free(&path);
		strbuf_free(&err);
		free(entries[i]);
	}
	free(entries);
	free(dir);
	return 0;
}
