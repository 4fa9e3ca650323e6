/* SPDX-License-Identifier: MIT */
/*
 * Private interfaces between the files of the fifo frontend.
 *
 *   fifo.c         the plugin: open/close/reopen, the read watch, the timer
 *   fifo_config.c  parsing and checking `mode`, `max_line`, `nick`, `path`
 *   fifo_path.c    creating, checking and opening the named pipe safely
 *
 * Lines are cut with <mqchat/lines.h>, in bounded memory.
 */
#ifndef MQCHAT_FIFO_H
#define MQCHAT_FIFO_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --- fifo_config.c ------------------------------------------------------ */

#define FIFO_MAX_LINE_DEFAULT ((size_t)64 * 1024)
/* The line buffer is allocated up front, so this bounds the memory an
 * instance can ever take; MQTT payloads are far smaller in practice. */
#define FIFO_MAX_LINE_LIMIT ((size_t)16 * 1024 * 1024)

struct fifo_config {
	char *path;     /* absolute, owned */
	mode_t mode;    /* permission bits only */
	size_t max_line;
	char *nick;     /* owned; NULL: the user's nick */
};

/* The keys an instance accepts (the plugin's `keys`). */
extern const struct mqc_key fifo_keys[];

/* Read and check the instance's keys.  Returns false after
 * host->config_error() named the bad key. */
bool fifo_config_load(struct fifo_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host);
void fifo_config_free(struct fifo_config *cfg);

/* --- fifo_path.c -------------------------------------------------------- */

/* An opened named pipe and what we know of it. */
struct fifo_pipe {
	int fd;        /* O_RDWR|O_NONBLOCK: we are also a writer, so no EOF */
	dev_t dev;     /* identity of the pipe we opened, to recognise it */
	ino_t ino;
	bool created;  /* we made it (said in the log) */
};

/* Create `path` (and missing parent directories, 0700) as a FIFO of `mode`
 * if it does not exist, or accept an existing FIFO that is ours; open it for
 * reading without ever blocking.  On refusal returns false and writes the
 * reason, meant for config_error() on `path`, into `why`. */
/* What fifo_path_open() would refuse about an existing `path`, without
 * creating or opening anything (--check-config). */
bool fifo_path_check(const char *path, char *why, size_t why_size);
bool fifo_path_open(const char *path, mode_t mode, struct fifo_pipe *pipe,
                    char *why, size_t why_size);

/* True while `path` still names the very pipe behind `pipe->fd`. */
bool fifo_path_is_current(const char *path, const struct fifo_pipe *pipe);

/* Close the descriptor.  The FIFO stays: a writer that comes while mqchat
 * is down then blocks until the next run reads it, where a missing path
 * would have let it create a regular file and lose its line. */
void fifo_path_close(struct fifo_pipe *pipe);

#endif /* MQCHAT_FIFO_H */
