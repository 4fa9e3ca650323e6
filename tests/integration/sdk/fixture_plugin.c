/* SPDX-License-Identifier: MIT */
/*
 * Fixture plugins for the loader tests: one source, one variant per -D.
 *
 * Without any FIXTURE_* macro this is a well-formed frontend that appends
 * "nick: text" for each message to the file named by its `file` key, and
 * that fails its `open` on request (`fail = log` or `fail = config`).  The
 * variants break exactly one thing each, the way a stale or careless build
 * would; FIXTURE_BACKEND and FIXTURE_BACKEND_PRESENCE make it a backend
 * whose link never comes up, one that does not say who is present and one
 * that says it does and never tells.
 */
#include <mqchat/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FIXTURE_NO_SYMBOL
/* A shared object, but nobody's plugin: no mqchat_plugin_v1. */
int fixture_something_else = 1;
#else

#ifdef FIXTURE_ABI_1_1
/* struct mqc_key as ABI 1.1 laid it out, before typed keys: an older
 * plugin's key array has this shorter stride. */
static const struct {
	const char *name, *def;
	unsigned flags;
	const char *help;
} fixture_keys_1_1[] = {
	{"file", "", MQC_KEY_PATH, "where received messages are appended"},
	{"fail", "none", 0, "none | log | config: make open fail"},
	{"tag", "", 0, "written before each message received"},
	{NULL, NULL, 0, NULL},
};
#define fixture_keys ((const struct mqc_key *)fixture_keys_1_1)
#else
static const struct mqc_key fixture_keys[] = {
	{.name = "file", .def = "", .flags = MQC_KEY_PATH,
	 .help = "where received messages are appended"},
	{.name = "fail", .def = "none", .help = "none | log | config: make open fail"},
	{.name = "tag", .def = "", .help = "written before each message received"},
	{.name = NULL},
};
#endif

#ifdef FIXTURE_ABI_1_2
static const struct mqc_host *fixture_host;
static struct mqc_template *fixture_tpl;
#endif

static void *fixture_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	const char *fail = host->config(inst, "fail");
	if (strcmp(fail, "config") == 0) {
		host->config_error(inst, "fail", "the fixture was told to refuse its configuration");
		return NULL;
	}
	if (strcmp(fail, "log") == 0) {
		host->log(inst, MQC_LOG_ERROR, "cannot reach the fixture's device: %s",
		          strerror(ENODEV));
		return NULL;
	}
	const char *path = host->config(inst, "file");
#ifdef FIXTURE_ABI_1_2
	fixture_host = host;
	fixture_tpl = host->template_new(inst, "tag", "{nick}|{network}|{room}|{text}");
#endif
	FILE *out = fopen(*path ? path : "/dev/null", "a");
	if (!out)
		host->config_error(inst, "file", "cannot open %s: %s", path, strerror(errno));
	else
		fprintf(out, "%s", host->config(inst, "tag"));
	return out;
}

#ifdef FIXTURE_ABI_1_2
/* A 1.2 plugin's own messages end at time_ms.  Each message it is handed
 * is copied into one of exactly that size and rendered with a template
 * that names the 1.3 fields: the core must not read past its end. */
static void fixture_render_own_copy(FILE *out, const struct mqc_message *msg)
{
	size_t size = offsetof(struct mqc_message, network);
	struct mqc_message *own = malloc(size);
	char line[256];
	if (!own)
		return;
	memcpy(own, msg, size);
	fixture_host->template_render(fixture_tpl, own, 0, line, sizeof line);
	fprintf(out, "own copy: %s\n", line);
	free(own);
}
#endif

static void fixture_deliver(void *self, const struct mqc_message *msg)
{
	fprintf(self, "%s: %s\n", msg->nick, msg->text);
#ifdef FIXTURE_ABI_1_2
	if (*msg->nick)
		fixture_render_own_copy(self, msg);
#endif
	fflush(self);
}

static void fixture_close(void *self)
{
#ifdef FIXTURE_ABI_1_2
	fixture_host->template_free(fixture_tpl);
#endif
	fclose(self);
}

#define FIXTURE_FIELDS                                                         \
	.name = "fixture", .version = "0.1", .kind = MQC_PLUGIN_FRONTEND,      \
	.description = "loader test fixture", .keys = fixture_keys,            \
	.open = fixture_open, .close = fixture_close

#if defined(FIXTURE_BACKEND) || defined(FIXTURE_BACKEND_PRESENCE)
/* Never called: the link never comes up.  Were it, the message could not
 * be taken now. */
static int fixture_publish(void *self, const struct mqc_message *msg, uint64_t token)
{
	(void)self;
	(void)msg;
	(void)token;
	return -1;
}

#define FIXTURE_BACKEND_FIELDS                                                 \
	.name = "fixture", .version = "0.1", .kind = MQC_PLUGIN_BACKEND,       \
	.description = "loader test fixture, a backend", .keys = fixture_keys, \
	.open = fixture_open, .close = fixture_close, .publish = fixture_publish
#endif

#if defined(FIXTURE_SYMBOL_V2)
/* What a build against a future ABI 2 header would export. */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v2;
const struct mqc_plugin mqchat_plugin_v2 = {
	.abi_major = 2, .abi_minor = 0, .size = sizeof(struct mqc_plugin),
	FIXTURE_FIELDS, .deliver = fixture_deliver};
#elif defined(FIXTURE_DESCRIPTOR_MAJOR)
/* The right symbol, but the descriptor says another major. */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;
const struct mqc_plugin mqchat_plugin_v1 = {
	.abi_major = MQC_ABI_MAJOR + 1, .abi_minor = 0, .size = sizeof(struct mqc_plugin),
	FIXTURE_FIELDS, .deliver = fixture_deliver};
#elif defined(FIXTURE_NEWER_MINOR)
/* Built against a newer minor than this mqchat knows. */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;
const struct mqc_plugin mqchat_plugin_v1 = {
	.abi_major = MQC_ABI_MAJOR, .abi_minor = MQC_ABI_MINOR + 1,
	.size = sizeof(struct mqc_plugin), FIXTURE_FIELDS, .deliver = fixture_deliver};
#elif defined(FIXTURE_SHORT)
/* A descriptor that ends before members every 1.x plugin has. */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;
const struct mqc_plugin mqchat_plugin_v1 = {
	.abi_major = MQC_ABI_MAJOR, .abi_minor = 0,
	.size = offsetof(struct mqc_plugin, deliver), FIXTURE_FIELDS};
#elif defined(FIXTURE_ABI_1_1)
/* What a build against the ABI 1.1 header exported: its descriptor ends
 * before `flags`, and its keys have the old stride. */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;
const struct mqc_plugin mqchat_plugin_v1 = {
	.abi_major = MQC_ABI_MAJOR, .abi_minor = 1,
	.size = offsetof(struct mqc_plugin, flags), FIXTURE_FIELDS,
	.deliver = fixture_deliver};
#elif defined(FIXTURE_ABI_1_2)
/* What a build against the ABI 1.2 header exported: its descriptor ends
 * before `join` (its keys have today's stride). */
MQC_EXPORT extern const struct mqc_plugin mqchat_plugin_v1;
const struct mqc_plugin mqchat_plugin_v1 = {
	.abi_major = MQC_ABI_MAJOR, .abi_minor = 2,
	.size = offsetof(struct mqc_plugin, join), FIXTURE_FIELDS,
	.deliver = fixture_deliver};
#elif defined(FIXTURE_BACKEND)
MQC_PLUGIN_DEFINE(FIXTURE_BACKEND_FIELDS);
#elif defined(FIXTURE_BACKEND_PRESENCE)
MQC_PLUGIN_DEFINE(FIXTURE_BACKEND_FIELDS, .flags = MQC_PLUGIN_PRESENCE);
#elif defined(FIXTURE_NO_DELIVER)
/* A frontend without its mandatory `deliver`. */
MQC_PLUGIN_DEFINE(FIXTURE_FIELDS);
#else
MQC_PLUGIN_DEFINE(FIXTURE_FIELDS, .deliver = fixture_deliver);
#endif

#endif /* FIXTURE_NO_SYMBOL */
