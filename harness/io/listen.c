/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	listen - a listening socket for the record proxy
 * SYNOPSIS
 *	#include "harness/io/listen.h"
 * DESCRIPTION
 *	See listen.h. The address is parsed by target_parse(); spawn: is
 *	refused (a proxy listens, it does not start its client).
 * DIAGNOSTICS
 *	Errors name the address: "unix:/x: bind: Address already in use".
 */
#define _GNU_SOURCE		/* accept4 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness/io/listen.h"
#include "harness/io/target.h"

/* tlisten_open - bind and listen */
int tlisten_open(const char *spec, char *err, size_t errlen)
{
	struct target t;
	int fd = -1, on = 1;

	if (target_parse(spec, &t, err, errlen) < 0) {
		target_free(&t);
		return -1;
	}
	if (t.kind == TARGET_SPAWN) {
		target_free(&t);
		snprintf(err, errlen, "%s: a listen address is unix:/path or inet:host:port", spec);
		return -1;
	}
	if (t.kind == TARGET_UNIX) {
		struct sockaddr_un sun;
		struct stat st;

		if (lstat(t.path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				snprintf(err, errlen, "%s: exists and is not a socket", spec);
				return -1;
			}
			(void)unlink(t.path);
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
			snprintf(err, errlen, "%s: bind: %s", spec, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	} else {
		struct addrinfo hints, *res = NULL;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
		rc = getaddrinfo(t.host, t.port, &hints, &res);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
			return -1;
		}
		fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
		if (fd >= 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
			snprintf(err, errlen, "%s: bind: %s", spec, strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		return fd;
	}
}

/* tlisten_accept - one connection within timeout_ms */
int tlisten_accept(int lfd, int timeout_ms)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -2;
	if (rc < 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void tlisten_close(int lfd, const char *spec)
{
	if (lfd >= 0)
		close(lfd);
	if (strncmp(spec, "unix:", 5) == 0)
		(void)unlink(spec + 5);
}
