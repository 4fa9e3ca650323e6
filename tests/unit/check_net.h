/* SPDX-License-Identifier: MIT */
/* A TCP listener on a free loopback port, for tests that need a real
 * connection. */
#ifndef MQC_CHECK_NET_H
#define MQC_CHECK_NET_H

#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* Listens on 127.0.0.1, on a port the kernel picks; *addr says which. */
static inline int loopback_listener(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *addr;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, len), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

#endif
