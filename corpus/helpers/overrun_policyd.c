/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	overrun_policyd - a small Postfix policy daemon in C with a buffer overrun
 * SYNOPSIS
 *	overrun_policyd unix:/path | inet:host:port | -
 * DESCRIPTION
 *	The kind of policy service people write in an afternoon: one
 *	process, poll(2) over every connection, requests of name=value
 *	lines up to an empty line, each answered with action=... and an
 *	empty line. Senders of the domain spam.example get REJECT, the
 *	rest DUNNO. With "-" it serves one connection on stdin/stdout, as
 *	under master.cf spawn.
 *
 *	Its bug: the sender is copied into a 1024-byte buffer of the
 *	connection's state without a bound. A longer sender runs over the
 *	pointer that follows the buffer; the request itself is still
 *	answered, and the next request through that pointer crashes the
 *	whole daemon (SIGSEGV). The overrun is modelled, not performed, so
 *	that the crash is the same under every compiler and sanitizer: the
 *	state remembers that the pointer was overwritten, and the next
 *	request raises SIGSEGV.
 * DIAGNOSTICS
 *	Exit 2 on a bad argument or a socket that cannot be set up.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONN	64
#define SENDER_BUF	1024
#define LINE_MAX_LEN	65536

struct conn {
	int fd;
	char line[LINE_MAX_LEN];
	size_t len;
	char sender[SENDER_BUF];
	int overrun;		/* this request's sender ran over the buffer */
	int clobbered;		/* the pointer after sender[] was overwritten */
};

static struct conn conns[MAX_CONN];
static int clobbered_global;	/* daemons share the heap: so does the damage */

/* answer - one request ended by its empty line */
static int answer(struct conn *c, int out)
{
	const char *act = "DUNNO";
	char reply[256];
	size_t n;

	if (c->clobbered || clobbered_global)
		raise(SIGSEGV);	/* the request reads through the overwritten pointer */
	n = strlen(c->sender);
	if (n > 13 && strcmp(c->sender + n - 13, "@spam.example") == 0)
		act = "REJECT sender not accepted";
	n = (size_t)snprintf(reply, sizeof(reply), "action=%s\n\n", act);
	c->sender[0] = '\0';
	if (c->overrun)
		c->clobbered = clobbered_global = 1;	/* seen only by the next request */
	c->overrun = 0;
	return write(out, reply, n) == (ssize_t)n ? 0 : -1;
}

/* attribute - one name=value line */
static void attribute(struct conn *c, const char *l, size_t n)
{
	if (n >= 7 && memcmp(l, "sender=", 7) == 0) {
		size_t v = n - 7;

		if (v >= SENDER_BUF) {
			/* strcpy(c->sender, value): runs over the pointer after it */
			c->overrun = 1;
			v = SENDER_BUF - 1;
		}
		memcpy(c->sender, l + 7, v);
		c->sender[v] = '\0';
	}
}

/* feed - bytes of one connection; -1 when it should be closed */
static int feed(struct conn *c, const char *p, size_t n, int out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n') {
			if (c->len < sizeof(c->line))
				c->line[c->len++] = p[i];
			continue;
		}
		if (c->len == 0) {
			if (answer(c, out) < 0)
				return -1;
		} else {
			attribute(c, c->line, c->len);
		}
		c->len = 0;
	}
	return 0;
}

/* listener - a listening socket for unix:/path or inet:host:port */
static int listener(const char *spec)
{
	int fd = -1, one = 1;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			return -1;
	} else if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *colon = strrchr(spec + 5, ':');
		struct addrinfo hints, *ai = NULL;

		if (colon == NULL || (size_t)(colon - spec - 5) >= sizeof(host))
			return -1;
		memcpy(host, spec + 5, (size_t)(colon - spec - 5));
		host[colon - spec - 5] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			freeaddrinfo(ai);
			return -1;
		}
		freeaddrinfo(ai);
	} else {
		return -1;
	}
	return listen(fd, 16) == 0 ? fd : -1;
}

/* serve - poll over the listener and every connection, forever */
static void serve(int lfd)
{
	struct pollfd pfd[MAX_CONN + 1];
	char buf[8192];
	int i;

	for (i = 0; i < MAX_CONN; i++)
		conns[i].fd = -1;
	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < MAX_CONN; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, MAX_CONN + 1, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			for (i = 0; fd >= 0 && i < MAX_CONN && conns[i].fd >= 0; i++)
				;
			if (fd >= 0 && i == MAX_CONN)
				close(fd);
			else if (fd >= 0) {
				memset(&conns[i], 0, sizeof(conns[i]));
				conns[i].fd = fd;
			}
		}
		for (i = 0; i < MAX_CONN; i++) {
			ssize_t n;

			if (conns[i].fd < 0 || !(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(conns[i].fd, buf, sizeof(buf));
			if (n <= 0 || feed(&conns[i], buf, (size_t)n, conns[i].fd) < 0) {
				close(conns[i].fd);
				conns[i].fd = -1;
			}
		}
	}
}

int main(int argc, char **argv)
{
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: overrun_policyd unix:/path | inet:host:port | -\n");
		return 2;
	}
	if (strcmp(argv[1], "-") == 0) {
		char buf[8192];
		ssize_t n;

		memset(&conns[0], 0, sizeof(conns[0]));
		while ((n = read(0, buf, sizeof(buf))) > 0)
			if (feed(&conns[0], buf, (size_t)n, 1) < 0)
				break;
		return 0;
	}
	if ((lfd = listener(argv[1])) < 0) {
		perror(argv[1]);
		return 2;
	}
	serve(lfd);
	return 0;
}
