/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	listen - Postfix-style listen specs and accepting listeners
 * SYNOPSIS
 *	#include "reference/common/listen.h"
 *
 *	int listen_spec_parse(const char *spec, struct listen_spec *r,
 *	                      char *err, size_t errlen);
 *	struct listener *listener_add(struct ev_loop *loop,
 *	                      const struct listen_spec *spec,
 *	                      const struct listen_options *opt,
 *	                      listener_accept_fn *fn, void *ctx,
 *	                      char *err, size_t errlen);
 *	void listener_pause(struct listener *l);
 *	void listener_resume(struct listener *l);
 *	void listener_close(struct listener **l);
 *	const char *listener_path(const struct listener *l);
 * DESCRIPTION
 *	Specs, in Postfix's spelling:
 *	  unix:/path            UNIX stream socket at an absolute path
 *	  inet:host:port        IPv4 address or host name, port 1-65535
 *	  inet:[v6addr]:port    IPv6 address
 *	  inet:port, inet:*:port  every address (IPv6 socket accepting v4)
 *	  spawn                 the connection is stdin/stdout (no listener)
 *	A unix socket path that exists is replaced only if it is a socket.
 *	opt->mode (0 = 0600) and opt->uid/gid (-1 = unchanged) apply to unix
 *	sockets. Accepted fds are non-blocking and close-on-exec; fn gets
 *	the fd and a printable peer name ("127.0.0.1:5555", "[::1]:5555",
 *	"unix:pid=123,uid=0" from SO_PEERCRED). listener_pause() stops
 *	accepting (a connection limit was reached) without busy-looping;
 *	listener_resume() starts again. When accept(2) fails for want of
 *	fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener stops
 *	watching for 100 ms by itself, and says so once per shortage: a
 *	warning "SPEC: cannot accept connections: REASON (a file descriptor
 *	or memory limit); retrying every 100 ms", and "SPEC: accepting
 *	connections again" at the next accept. listener_close() unlinks a unix
 *	socket it created. listener_path() is a unix listener's path (NULL
 *	for the others).
 * DIAGNOSTICS
 *	-1 / NULL with a message in err naming the spec and the reason.
 */
#ifndef REFERENCE_COMMON_LISTEN_H
#define REFERENCE_COMMON_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "io/ev.h"

enum listen_kind {
	LISTEN_UNIX,
	LISTEN_INET,
	LISTEN_SPAWN,
};

struct listen_spec {
	enum listen_kind kind;
	char path[108];		/* LISTEN_UNIX */
	char host[256];		/* LISTEN_INET: "" = any */
	char port[8];
	char text[400];		/* the spec as given, for messages */
};

struct listen_options {
	unsigned mode;		/* unix socket mode; 0 = 0600 */
	uid_t uid;		/* (uid_t)-1 = unchanged */
	gid_t gid;
	int backlog;		/* 0 = SOMAXCONN */
};

struct listener;
typedef void listener_accept_fn(struct ev_loop *loop, int fd, const char *peer, void *ctx);

int listen_spec_parse(const char *spec, struct listen_spec *r, char *err, size_t errlen);
struct listener *listener_add(struct ev_loop *loop, const struct listen_spec *spec,
			      const struct listen_options *opt, listener_accept_fn *fn,
			      void *ctx, char *err, size_t errlen);
void listener_pause(struct listener *l);
void listener_resume(struct listener *l);
void listener_close(struct listener **l);
const char *listener_name(const struct listener *l);
const char *listener_path(const struct listener *l);

#endif
