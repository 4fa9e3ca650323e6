/* SPDX-License-Identifier: MIT */
/*
 * Resolving the server's name without blocking the loop.  getaddrinfo()
 * blocks, and glibc's getaddrinfo_a() hides a thread; instead a child
 * process resolves and writes the addresses to a pipe the loop polls (as
 * irssi does).  An address literal is resolved at once, with no child.
 */
#ifndef MQCHAT_IRC_RESOLVE_H
#define MQCHAT_IRC_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define IRC_RESOLVE_MAX 16 /* addresses kept, tried in order */

struct irc_address {
	struct sockaddr_storage addr;
	socklen_t len;
};

struct irc_resolve {
	pid_t pid; /* the child; 0 when none */
	int fd;    /* its pipe, to poll for IN; -1 when none */
	size_t got; /* bytes of `buf` read so far */
	unsigned char buf[IRC_RESOLVE_MAX * sizeof(struct irc_address) + 64];
	struct irc_address addrs[IRC_RESOLVE_MAX];
	size_t n_addrs;
};

/* Clears `r` (no child, fd -1): call once before anything else. */
void irc_resolve_init(struct irc_resolve *r);

/* Starts resolving `host`, TCP `port`.  1: done at once (a literal), the
 * addresses in r->addrs; 0: under way, poll r->fd for IN and call
 * irc_resolve_read(); -1: failed, `err` says why. */
int irc_resolve_start(struct irc_resolve *r, const char *host, unsigned port, char *err,
                      size_t errlen);

/* After r->fd polled readable (or hung up): 1 done, addresses in
 * r->addrs, the child reaped and the pipe closed; 0 more to come; -1
 * failed ("no such host", the resolver's own words), all closed too. */
int irc_resolve_read(struct irc_resolve *r, char *err, size_t errlen);

/* Stops what is under way: kills and reaps the child, closes the pipe. */
void irc_resolve_cancel(struct irc_resolve *r);

#endif
