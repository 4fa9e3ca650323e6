/* SPDX-License-Identifier: MIT */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keytype.h"
#include "safepath.h"

#ifndef MQC_PLUGINDIR
#error "MQC_PLUGINDIR must name the install directory of plugins"
#endif

const char *loader_kind_name(enum mqc_plugin_kind kind)
{
	switch (kind) {
	case MQC_PLUGIN_FRONTEND: return "frontend";
	case MQC_PLUGIN_BACKEND: return "backend";
	}
	return "unknown";
}

bool loader_owns_terminal(const struct plugin *p)
{
	return p->desc.abi_minor >= 2 && (p->desc.flags & MQC_PLUGIN_OWNS_TERMINAL);
}

/* struct mqc_key as ABI 1.0 and 1.1 lay it out: an array of these has a
 * shorter stride than one of today's. */
struct key_before_1_2 {
	const char *name;
	const char *def;
	unsigned flags;
	const char *help;
};

struct mqc_key *loader_copy_keys(const void *keys, unsigned abi_minor)
{
	const struct key_before_1_2 *old = keys;
	const struct mqc_key *now = keys;
	size_t n = 0;
	while (keys && (abi_minor < 2 ? old[n].name : now[n].name))
		n++;
	struct mqc_key *copy = xcalloc(n + 1, sizeof *copy);
	for (size_t i = 0; i < n; i++) {
		if (abi_minor >= 2)
			copy[i] = now[i];
		else
			copy[i] = (struct mqc_key){.name = old[i].name, .def = old[i].def,
			                           .flags = old[i].flags, .help = old[i].help};
	}
	return copy;
}

/* Every key declaration usable (a default that does not fit its type is
 * said for each instance, as "built-in default"). */
static int check_keys(const struct mqc_key *keys, const char *path, const char *name,
                      struct strbuf *err)
{
	for (const struct mqc_key *k = keys; k->name; k++) {
		struct strbuf why = STRBUF_INIT;
		bool ok = keytype_declaration_ok(k, &why);
		if (!ok)
			strbuf_printf(err, "%s: plugin '%s': %s: rebuild it fixed", path, name,
			              strbuf_str(&why));
		strbuf_free(&why);
		if (!ok)
			return -1;
	}
	return 0;
}

char *loader_default_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "%s/plugins", dirname(exe));
		struct stat st;
		if (stat(sb.data, &st) == 0 && S_ISDIR(st.st_mode))
			return strbuf_take(&sb);
		strbuf_free(&sb);
	}
	return xstrdup(MQC_PLUGINDIR);
}

char *loader_resolve(const char *dir, const char *name)
{
	if (strchr(name, '/'))
		return xstrdup(name);
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s/%s.so", dir, name);
	return strbuf_take(&sb);
}

/* Explains a missing entry symbol: built for another ABI, or no plugin. */
static void explain_missing_symbol(void *handle, const char *path, struct strbuf *err)
{
	for (int major = 0; major < 100; major++) {
		char sym[32];
		snprintf(sym, sizeof sym, "mqchat_plugin_v%d", major);
		if (major != MQC_ABI_MAJOR && dlsym(handle, sym)) {
			strbuf_printf(err, "%s: built for plugin ABI %d, this mqchat has ABI %d.%d: "
			              "rebuild it against this mqchat's <mqchat/plugin.h>",
			              path, major, MQC_ABI_MAJOR, MQC_ABI_MINOR);
			return;
		}
	}
	strbuf_printf(err, "%s: not an mqchat plugin: it exports no '%s' symbol "
	              "(was it built with MQC_PLUGIN_DEFINE?)", path, MQC_PLUGIN_SYMBOL);
}

static const char *missing_method(const struct mqc_plugin *d)
{
	if (!d->open)
		return "open";
	if (!d->close)
		return "close";
	if (d->kind == MQC_PLUGIN_FRONTEND && !d->deliver)
		return "deliver";
	if (d->kind == MQC_PLUGIN_BACKEND && !d->publish)
		return "publish";
	return NULL;
}

static int check_descriptor(const struct mqc_plugin *d, const char *path, struct strbuf *err)
{
	if (d->abi_major != MQC_ABI_MAJOR || d->abi_minor > MQC_ABI_MINOR) {
		strbuf_printf(err, "%s: built for plugin ABI %u.%u, this mqchat has ABI %d.%d: %s",
		              path, d->abi_major, d->abi_minor, MQC_ABI_MAJOR, MQC_ABI_MINOR,
		              d->abi_major != MQC_ABI_MAJOR ? "rebuild the plugin"
		                                            : "upgrade mqchat or rebuild the plugin");
		return -1;
	}
	if (d->size < offsetof(struct mqc_plugin, publish) + sizeof d->publish) {
		strbuf_printf(err, "%s: descriptor of %u bytes is too short for ABI %u.%u: "
		              "rebuild the plugin", path, d->size, d->abi_major, d->abi_minor);
		return -1;
	}
	if (!d->name || !*d->name || (d->kind != MQC_PLUGIN_FRONTEND && d->kind != MQC_PLUGIN_BACKEND)) {
		strbuf_printf(err, "%s: the plugin has no name or an unknown kind (%d)", path, d->kind);
		return -1;
	}
	const char *missing = missing_method(d);
	if (missing) {
		strbuf_printf(err, "%s: %s plugin '%s' lacks the mandatory method '%s'", path,
		              loader_kind_name(d->kind), d->name, missing);
		return -1;
	}
	return 0;
}

/* Refuses the plugin with the reason in `why`. */
static int refuse(const char *path, struct strbuf *why, struct strbuf *err)
{
	strbuf_printf(err, "%s: refusing the plugin: %s", path, strbuf_str(why));
	strbuf_free(why);
	return -1;
}

/* Code that others can replace must not run as this user: opens the plugin
 * once and checks the descriptor (owned by this user or root, writable by
 * nobody else, in directories nobody else may change, reached through no
 * one else's symbolic link), so that what is loaded is what was checked.
 * No plugin code has run yet.  -1 with the reason in `err`. */
static int open_checked(const char *path, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	if (!safepath_check_route(path, &why))
		return refuse(path, &why, err);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		strbuf_printf(err, "%s: cannot find the plugin: %s", path, strerror(errno));
		strbuf_free(&why);
		return -1;
	}
	if (!safepath_check_open(fd, path, &why)) {
		close(fd);
		return refuse(path, &why, err);
	}
	strbuf_free(&why);
	return fd;
}

/* Loads the file open as `fd`, never its path again: a path can be swapped
 * between the check and the load, a descriptor cannot.  Once loaded, the
 * descriptor stays open to the process's end: the object is known by the
 * name /proc/self/fd/N, and a later dlopen() of that name, for another
 * file given the same number, would be handed this object instead. */
static void *load_checked(int fd, const char *path, struct strbuf *err)
{
	char name[40];
	snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
	dlerror();
	void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (handle)
		return handle;
	const char *why = dlerror();
	size_t n = strlen(name);
	if (!why)
		why = "unknown error";
	else if (strncmp(why, name, n) == 0 && strncmp(why + n, ": ", 2) == 0)
		why += n + 2; /* the reason, not the /proc name */
	strbuf_printf(err, "%s: cannot load the plugin: %s (check its dependencies with "
	              "`ldd %s`)", path, why, path);
	close(fd);
	return NULL;
}

struct plugin *loader_open(const char *path, struct strbuf *err)
{
	int fd = open_checked(path, err);
	if (fd < 0)
		return NULL;
	void *handle = load_checked(fd, path, err);
	if (!handle)
		return NULL;
	/* From here on the plugin's constructors have run. */
	const struct mqc_plugin *d = dlsym(handle, MQC_PLUGIN_SYMBOL);
	if (!d) {
		explain_missing_symbol(handle, path, err);
		dlclose(handle);
		return NULL;
	}
	struct plugin *p = xcalloc(1, sizeof *p);
	/* Copy only what the plugin's own build defined: abi/size first. */
	size_t size = d->size < sizeof p->desc ? d->size : sizeof p->desc;
	if (d->abi_major == MQC_ABI_MAJOR && size >= offsetof(struct mqc_plugin, name))
		memcpy(&p->desc, d, size);
	else
		p->desc = (struct mqc_plugin){.abi_major = d->abi_major, .abi_minor = d->abi_minor};
	if (check_descriptor(&p->desc, path, err) == 0) {
		p->keys = loader_copy_keys(p->desc.keys, p->desc.abi_minor);
		p->desc.keys = p->keys;
		if (check_keys(p->keys, path, p->desc.name, err) == 0) {
			p->path = xstrdup(path);
			return p;
		}
	}
	free(p->keys);
	free(p);
	dlclose(handle);
	return NULL;
}

void loader_close(struct plugin *p)
{
	if (!p)
		return;
	/* Plugins may leave atexit handlers or thread-locals behind (libedit,
	 * libmosquitto): unmapping them early would crash at exit, so the
	 * handle is left to the process's end. */
	free(p->path);
	free(p->keys);
	free(p);
}
