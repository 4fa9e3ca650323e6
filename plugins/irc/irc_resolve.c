/* SPDX-License-Identifier: MIT */
/*
 * The resolver child.  It writes one record to its pipe and exits: 'A'
 * then the addresses (struct irc_address each), or 'E' then the reason in
 * words.  The whole record fits in PIPE_BUF, so one write() carries it and
 * the parent sees it complete at EOF.
 */
#include "irc_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { RESOLVE_ADDRS = 'A', RESOLVE_ERROR = 'E' };

_Static_assert(sizeof(((struct irc_resolve *)0)->buf) <= PIPE_BUF,
               "a record must fit one atomic pipe write");

void irc_resolve_init(struct irc_resolve *r)
{
	r->pid = 0;
	r->fd = -1;
	r->got = 0;
	r->n_addrs = 0;
}

/* Copies the TCP addresses of `ai` into `addrs`; how many. */
static size_t resolve_copy(const struct addrinfo *ai, struct irc_address *addrs)
{
	size_t n = 0;
	for (; ai && n < IRC_RESOLVE_MAX; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (ai->ai_addrlen > sizeof addrs[n].addr)
			continue;
		memset(&addrs[n], 0, sizeof addrs[n]);
		memcpy(&addrs[n].addr, ai->ai_addr, ai->ai_addrlen);
		addrs[n].len = ai->ai_addrlen;
		n++;
	}
	return n;
}

/* The resolver's failure `rc` for `host`, in words, into `err`. */
static void resolve_reason(int rc, int sys_errno, const char *host, char *err, size_t errlen)
{
	switch (rc) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		snprintf(err, errlen, "no such host '%s'", host);
		return;
	case EAI_SYSTEM:
		snprintf(err, errlen, "cannot resolve '%s': %s", host, strerror(sys_errno));
		return;
	default:
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
	}
}

static void resolve_hints(struct addrinfo *hints, int flags)
{
	memset(hints, 0, sizeof *hints);
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_flags = flags | AI_NUMERICSERV;
}

/* In the child: resolves, writes the record to `fd`, never returns.  Only
 * _exit(): the parent's atexit handlers and stdio buffers are not ours. */
static _Noreturn void resolve_child(int fd, const char *host, const char *port)
{
	/* Keep no descriptor but the pipe: another network's resolver pipe
	 * held open here would not see its EOF until this child ended. */
	if (dup2(fd, STDERR_FILENO + 1) < 0)
		_exit(1);
	fd = STDERR_FILENO + 1;
	close_range(fd + 1, ~0u, 0);

	struct addrinfo hints, *res = NULL;
	resolve_hints(&hints, 0);
	int rc = getaddrinfo(host, port, &hints, &res);
	struct irc_resolve rec;
	size_t len;
	if (rc == 0) {
		rec.buf[0] = RESOLVE_ADDRS;
		size_t n = resolve_copy(res, rec.addrs);
		memcpy(rec.buf + 1, rec.addrs, n * sizeof rec.addrs[0]);
		len = 1 + n * sizeof rec.addrs[0];
		freeaddrinfo(res);
	} else {
		rec.buf[0] = RESOLVE_ERROR;
		resolve_reason(rc, errno, host, (char *)rec.buf + 1, sizeof rec.buf - 1);
		len = 1 + strlen((char *)rec.buf + 1);
	}
	while (write(fd, rec.buf, len) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Closes the pipe, ends the child and reaps it.  Killing is harmless
 * after its answer: until reaped, the pid is still this child's; and the
 * wait never depends on the child finishing on its own. */
static void resolve_stop(struct irc_resolve *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	r->fd = -1;
	r->pid = 0;
	r->got = 0;
}

int irc_resolve_start(struct irc_resolve *r, const char *host, unsigned port, char *err,
                      size_t errlen)
{
	irc_resolve_cancel(r);
	r->n_addrs = 0;
	if (!host || !*host) {
		snprintf(err, errlen, "no host name given");
		return -1;
	}
	char service[16];
	snprintf(service, sizeof service, "%u", port);

	/* An address literal: the resolver answers without asking anyone. */
	struct addrinfo hints, *res = NULL;
	resolve_hints(&hints, AI_NUMERICHOST);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc == 0) {
		r->n_addrs = resolve_copy(res, r->addrs);
		freeaddrinfo(res);
		if (r->n_addrs)
			return 1;
		snprintf(err, errlen, "no IPv4 or IPv6 address in '%s'", host);
		return -1;
	}

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot resolve '%s': pipe: %s", host, strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		resolve_child(pipefd[1], host, service);
	}
	int fork_errno = errno;
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		snprintf(err, errlen, "cannot resolve '%s': fork: %s", host, strerror(fork_errno));
		return -1;
	}
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	r->pid = pid;
	r->fd = pipefd[0];
	return 0;
}

/* The record complete in r->buf: 1 with the addresses, -1 with why not. */
static int resolve_parse(struct irc_resolve *r, char *err, size_t errlen)
{
	size_t body = r->got ? r->got - 1 : 0;
	if (r->got && r->buf[0] == RESOLVE_ERROR) {
		snprintf(err, errlen, "%.*s", (int)body, (const char *)r->buf + 1);
		return -1;
	}
	if (!r->got || r->buf[0] != RESOLVE_ADDRS || body % sizeof r->addrs[0]) {
		snprintf(err, errlen, "the resolver stopped without an answer");
		return -1;
	}
	r->n_addrs = body / sizeof r->addrs[0];
	memcpy(r->addrs, r->buf + 1, body);
	if (!r->n_addrs) {
		snprintf(err, errlen, "no IPv4 or IPv6 address for the host");
		return -1;
	}
	return 1;
}

int irc_resolve_read(struct irc_resolve *r, char *err, size_t errlen)
{
	if (r->fd < 0) {
		snprintf(err, errlen, "no resolution under way");
		return -1;
	}
	for (;;) {
		size_t room = sizeof r->buf - r->got;
		unsigned char extra;
		/* A full buffer still reads one byte: EOF is expected there. */
		ssize_t n = room ? read(r->fd, r->buf + r->got, room) : read(r->fd, &extra, 1);
		if (n > 0 && room) {
			r->got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		int rc = n == 0 ? resolve_parse(r, err, errlen) : -1;
		if (n != 0)
			snprintf(err, errlen, "the resolver's answer is unreadable");
		resolve_stop(r);
		return rc;
	}
}

void irc_resolve_cancel(struct irc_resolve *r)
{
	resolve_stop(r);
}
