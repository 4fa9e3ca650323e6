/* SPDX-License-Identifier: MIT */
/*
 * The INI file, read through config_parse_file (inih plus our own line
 * reader).  The configuration is trusted, but a typo or a mangled file must
 * give an error naming the file and line, never a crash, a leak or a value
 * filed under the wrong section.  The input is written to a memfd and read
 * back through /proc/self/fd/N, the path config_parse_file wants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_util.h"
#include "strbuf.h"

static int input_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	static int fd = -1;
	if (fd < 0) {
		fd = memfd_create("mqchat-fuzz.ini", MFD_CLOEXEC);
		fuzz_require(fd >= 0, "memfd_create failed");
	}
	fuzz_require(ftruncate(fd, 0) == 0, "ftruncate failed");
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
		fuzz_require(n > 0, "pwrite failed");
		done += (size_t)n;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_loaded(const struct config *cfg, const char *path)
{
	struct strbuf at = STRBUF_INIT;
	strbuf_printf(&at, "%s:", path);
	fuzz_require(cfg->path && strcmp(cfg->path, path) == 0, "cfg->path is not the file read");
	for (const struct config_value *v = cfg->values; v; v = v->next) {
		fuzz_require(v->section && v->key && v->value && v->origin, "a value has a NULL member");
		fuzz_require(*v->section != '\0', "a value outside any section was accepted");
		fuzz_require(starts_with(v->origin, strbuf_str(&at)), "a value's origin is not FILE:LINE");
		fuzz_require(config_find(cfg, v->section, v->key) == v,
		             "a key of one section is stored twice");
		fuzz_require(config_find_section(cfg, v->section) != NULL,
		             "a value's section is missing from the section list");
		/* What instance.c does with values: neither may misbehave. */
		bool flag;
		(void)config_parse_bool(v->value, &flag);
		free(config_expand_path(v->value));
	}
	for (const struct config_section *s = cfg->sections; s; s = s->next)
		fuzz_require(s->name && s->origin && starts_with(s->origin, strbuf_str(&at)),
		             "a section's origin is not FILE:LINE");
	strbuf_free(&at);
}

/* -o SECTION.KEY=VALUE must win over the file for every key it holds. */
static void check_overrides(struct config *cfg)
{
	struct strbuf assignment = STRBUF_INIT, err = STRBUF_INIT;
	for (const struct config_value *v = cfg->values; v; v = v->next) {
		/* -o cannot name a section holding "." or "=", nor a key holding "=". */
		if (strpbrk(v->section, ".=") || strchr(v->key, '=') || !*v->key)
			continue;
		strbuf_reset(&assignment);
		strbuf_printf(&assignment, "%s.%s=overridden", v->section, v->key);
		fuzz_require(config_override(cfg, strbuf_str(&assignment), &err) == 0,
		             "a well-formed -o was refused");
		const struct config_value *now = config_find(cfg, v->section, v->key);
		fuzz_require(now && strcmp(now->value, "overridden") == 0, "-o did not win");
	}
	strbuf_free(&err);
	strbuf_free(&assignment);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	input_file(data, size, path, sizeof path);
	struct config cfg = {0};
	struct strbuf err = STRBUF_INIT;
	int rc = config_parse_file(&cfg, path, &err);
	if (rc == 0) {
		fuzz_require(err.len == 0, "success with an error message");
		check_loaded(&cfg, path);
		check_overrides(&cfg);
	} else {
		fuzz_require(rc == -1, "config_parse_file returned neither 0 nor -1");
		fuzz_require(starts_with(strbuf_str(&err), path),
		             "the error message does not name the file");
	}
	config_free(&cfg);
	strbuf_free(&err);
	return 0;
}
