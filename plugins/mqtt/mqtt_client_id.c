/* SPDX-License-Identifier: MIT */
#include "mqtt_client_id.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnv.h"
#include "mkdirs.h"
#include "runtime_dir.h"

/* How many instances of one configuration may run at once. */
#define CLIENT_ID_MAX_SLOTS 256

/* `s` and its terminating NUL, so ("ab","c") != ("a","bc"). */
static uint32_t client_id_fnv1a(uint32_t h, const char *s)
{
	return fnv1a32(h, s, strlen(s) + 1);
}

/* Everything that makes two configurations different conversations. */
static uint32_t client_id_hash(struct mqc_instance *inst, const struct mqc_host *host,
                               const struct mqtt_config *cfg)
{
	const char *stable = host->stable_id(inst);
	uint32_t h = FNV1A32_INIT;
	h = client_id_fnv1a(h, stable ? stable : "");
	/* In the order listed: one id on every broker of the list. */
	for (size_t i = 0; i < cfg->brokers.count; i++) {
		char port[16];
		snprintf(port, sizeof(port), "%d", cfg->brokers.list[i].port);
		h = client_id_fnv1a(h, cfg->brokers.list[i].host);
		h = client_id_fnv1a(h, port);
	}
	h = client_id_fnv1a(h, cfg->topic);
	h = client_id_fnv1a(h, host->name(inst));
	return h;
}

/* A private directory for the lock files; false if there is none we trust. */
static bool client_id_lock_dir(char *dir, size_t size)
{
	if (runtime_dir(dir, size) >= size || mkdirs(dir, 0700, NULL) != 0)
		return false;
	/* In /tmp anyone could have created it first: insist it is ours alone. */
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return false;
	return true;
}

/* Lock the lowest free slot; its number, or -1. */
static int client_id_lock_slot(const char *dir, uint32_t hash, int *lock_fd)
{
	for (int slot = 0; slot < CLIENT_ID_MAX_SLOTS; slot++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/client-%08x-%d.lock", dir, hash, slot);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -1;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -1;
		/* flock dies with the process, so a crash frees the slot. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			*lock_fd = fd;
			return slot;
		}
		int err = errno;
		close(fd);
		if (err != EWOULDBLOCK)
			return -1;
	}
	return -1;
}

char *mqtt_client_id_default(struct mqc_instance *inst, const struct mqc_host *host,
                             const struct mqtt_config *cfg, int *lock_fd)
{
	uint32_t hash = client_id_hash(inst, host, cfg);
	char dir[PATH_MAX];
	char id[64];
	int slot = -1;
	*lock_fd = -1;
	if (client_id_lock_dir(dir, sizeof(dir)))
		slot = client_id_lock_slot(dir, hash, lock_fd);
	if (slot >= 0) {
		snprintf(id, sizeof(id), "mqchat-%08x-%d", hash, slot);
	} else {
		/* Two processes with one id would knock each other off the broker
		 * forever; a per-process id is the lesser evil. */
		host->log(inst, MQC_LOG_WARNING,
		          "cannot lock a client id slot (XDG_RUNTIME_DIR=%s): "
		          "using a per-process client id; set client_id to choose one",
		          getenv("XDG_RUNTIME_DIR") ? getenv("XDG_RUNTIME_DIR") : "unset");
		snprintf(id, sizeof(id), "mqchat-%08x-p%ld", hash, (long)getpid());
	}
	return strdup(id);
}
