/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	listen - Postfix-style listen specs and accepting listeners
 * SYNOPSIS
 *	#include "reference/common/listen.h"
 * DESCRIPTION
 *	See listen.h. listen_spec_parse() is pure; listener_add() does the
 *	socket work. Grammar:
 *	  spec := "unix:" abs-path | "inet:" [host ":"] port | "spawn"
 *	  host := name | ipv4 | "[" ipv6 "]" | "*"
 *	A unix path is at most 107 bytes; a port is 1-65535 in decimal.
 * DIAGNOSTICS
 *	Error texts name the spec: "inet:x:0: port must be 1-65535".
 */
#define _GNU_SOURCE		/* accept4, struct ucred */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "reference/common/listen.h"
#include "util/msg.h"
#include "util/xmem.h"

#define LISTEN_BACKOFF_MS	100

struct listener {
	struct ev_loop *loop;
	int fd;
	int paused;		/* by the owner */
	int backoff;		/* out of fds or memory: accept again later */
	int short_logged;	/* the shortage is logged: not again until an accept works */
	uint64_t backoff_timer;
	int unlink_path;
	struct listen_spec spec;
	listener_accept_fn *fn;
	void *ctx;
};

/* listen_err - format an error about a spec */
static int listen_err(char *err, size_t errlen, const char *spec, const char *what)
{
	snprintf(err, errlen, "%s: %s", spec, what);
	return -1;
}

/* listen_spec_parse - Postfix-style endpoint */
int listen_spec_parse(const char *spec, struct listen_spec *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (strlen(spec) >= sizeof(r->text))
		return listen_err(err, errlen, "listen spec", "too long");
	strcpy(r->text, spec);
	if (strcmp(spec, "spawn") == 0) {
		r->kind = LISTEN_SPAWN;
		return 0;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		const char *path = spec + 5;

		r->kind = LISTEN_UNIX;
		if (path[0] != '/')
			return listen_err(err, errlen, spec, "unix socket path must be absolute");
		if (strlen(path) >= sizeof(r->path))
			return listen_err(err, errlen, spec, "unix socket path longer than 107 bytes");
		strcpy(r->path, path);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		const char *rest = spec + 5;
		const char *colon;
		const char *port;
		unsigned long pn;
		char *end;

		r->kind = LISTEN_INET;
		if (rest[0] == '[') {
			const char *close = strchr(rest, ']');

			if (close == NULL || close[1] != ':')
				return listen_err(err, errlen, spec, "expected [ipv6]:port");
			if ((size_t)(close - rest - 1) >= sizeof(r->host) || close == rest + 1)
				return listen_err(err, errlen, spec, "bad IPv6 address");
			memcpy(r->host, rest + 1, (size_t)(close - rest - 1));
			port = close + 2;
		} else if ((colon = strrchr(rest, ':')) != NULL) {
			if ((size_t)(colon - rest) >= sizeof(r->host))
				return listen_err(err, errlen, spec, "host name too long");
			memcpy(r->host, rest, (size_t)(colon - rest));
			if (strchr(r->host, ':') != NULL)
				return listen_err(err, errlen, spec,
						  "IPv6 addresses must be written [addr]:port");
			if (strcmp(r->host, "*") == 0)
				r->host[0] = '\0';
			port = colon + 1;
		} else {
			port = rest;
		}
		errno = 0;
		pn = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || pn == 0 ||
		    pn > 65535)
			return listen_err(err, errlen, spec, "port must be 1-65535");
		snprintf(r->port, sizeof(r->port), "%lu", pn);
		return 0;
	}
	return listen_err(err, errlen, spec, "expected unix:/path, inet:host:port or spawn");
}

/* listener_peer - printable peer name */
static void listener_peer(int fd, const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
			snprintf(buf, len, "unix:pid=%ld,uid=%ld", (long)cr.pid, (long)cr.uid);
		else
			snprintf(buf, len, "unix");
	}
}

/* listener_backoff_end - try accepting again after a resource shortage */
static void listener_backoff_end(struct ev_loop *loop, void *ctx)
{
	struct listener *l = ctx;

	l->backoff_timer = 0;
	l->backoff = 0;
	if (!l->paused)
		(void)ev_fd_mod(loop, l->fd, EV_READ);
}

/* listener_ready - accept until EAGAIN */
static void listener_ready(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct listener *l = ctx;
	int i;

	(void)events;
	for (i = 0; i < 256 && !l->paused; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[128];
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/*
				 * The pending connection stays in the backlog and
				 * the fd stays readable: watching it now would spin.
				 */
				if (!l->short_logged)
					msg_warn("%s: cannot accept connections: %s (a file "
						 "descriptor or memory limit); retrying every %d ms",
						 l->spec.text, strerror(errno), LISTEN_BACKOFF_MS);
				l->short_logged = 1;
				l->backoff = 1;
				(void)ev_fd_mod(loop, fd, 0);
				l->backoff_timer = ev_timer_add(loop, LISTEN_BACKOFF_MS,
								listener_backoff_end, l);
			}
			return;
		}
		if (l->short_logged) {
			msg_info("%s: accepting connections again", l->spec.text);
			l->short_logged = 0;
		}
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
			int one = 1;

			(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		listener_peer(cfd, &ss, peer, sizeof(peer));
		l->fn(loop, cfd, peer, l->ctx);
	}
}

/* listener_unix - bind a unix stream socket */
static int listener_unix(const struct listen_spec *spec, const struct listen_options *opt,
			 char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t mode = opt->mode ? opt->mode : 0600, old;
	int fd, rc;

	if (lstat(spec->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return listen_err(err, errlen, spec->text, "path exists and is not a socket");
		if (unlink(spec->path) < 0)
			return listen_err(err, errlen, spec->text, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return listen_err(err, errlen, spec->text, strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, spec->path);
	/* born with its mode: no moment in which the umask's mode shows */
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (rc < 0) {
		listen_err(err, errlen, spec->text, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(spec->path, mode) < 0 ||
	    ((opt->uid != (uid_t)-1 || opt->gid != (gid_t)-1) &&
	     chown(spec->path, opt->uid, opt->gid) < 0)) {
		listen_err(err, errlen, spec->text, strerror(errno));
		close(fd);
		unlink(spec->path);
		return -1;
	}
	return fd;
}

/* listener_inet - bind a TCP socket */
static int listener_inet(const struct listen_spec *spec, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1;
	int rc;
	char why[256] = "no usable address";

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	hints.ai_family = spec->host[0] ? AF_UNSPEC : AF_INET6;
	rc = getaddrinfo(spec->host[0] ? spec->host : NULL, spec->port, &hints, &res);
	if (rc != 0)
		return listen_err(err, errlen, spec->text, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int one = 1, zero = 0;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !spec->host[0])
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0 && !spec->host[0] && hints.ai_family == AF_INET6 &&
	    (fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0) {
		/* the kernel has no IPv6: every IPv4 address */
		struct sockaddr_in sin;
		int one = 1;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons((uint16_t)atoi(spec->port));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return listen_err(err, errlen, spec->text, why);
	return fd;
}

/* listener_add - bind, listen and accept on the loop */
struct listener *listener_add(struct ev_loop *loop, const struct listen_spec *spec,
			      const struct listen_options *opt, listener_accept_fn *fn,
			      void *ctx, char *err, size_t errlen)
{
	struct listen_options def = { 0, (uid_t)-1, (gid_t)-1, 0 };
	struct listener *l;
	int fd;

	if (opt == NULL)
		opt = &def;
	if (spec->kind == LISTEN_SPAWN) {
		listen_err(err, errlen, spec->text, "spawn has no listener");
		return NULL;
	}
	fd = spec->kind == LISTEN_UNIX ? listener_unix(spec, opt, err, errlen) :
					 listener_inet(spec, err, errlen);
	if (fd < 0)
		return NULL;
	if (listen(fd, opt->backlog ? opt->backlog : SOMAXCONN) < 0) {
		listen_err(err, errlen, spec->text, strerror(errno));
		close(fd);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->fd = fd;
	l->spec = *spec;
	l->fn = fn;
	l->ctx = ctx;
	l->unlink_path = spec->kind == LISTEN_UNIX;
	if (ev_fd_add(loop, fd, EV_READ, listener_ready, l) < 0) {
		listen_err(err, errlen, spec->text, strerror(errno));
		listener_close(&l);
		return NULL;
	}
	return l;
}

void listener_pause(struct listener *l)
{
	if (l->paused)
		return;
	l->paused = 1;
	(void)ev_fd_mod(l->loop, l->fd, 0);
}

void listener_resume(struct listener *l)
{
	if (!l->paused)
		return;
	l->paused = 0;
	if (!l->backoff)
		(void)ev_fd_mod(l->loop, l->fd, EV_READ);
}

const char *listener_name(const struct listener *l)
{
	return l->spec.text;
}

const char *listener_path(const struct listener *l)
{
	return l->spec.kind == LISTEN_UNIX ? l->spec.path : NULL;
}

/* listener_close - stop and remove the socket */
void listener_close(struct listener **lp)
{
	struct listener *l = *lp;

	if (l == NULL)
		return;
	*lp = NULL;
	if (l->backoff_timer)
		ev_timer_cancel(l->loop, l->backoff_timer);
	ev_fd_del(l->loop, l->fd);
	close(l->fd);
	if (l->unlink_path)
		unlink(l->spec.path);
	free(l);
}
