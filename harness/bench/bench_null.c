/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench_null - a responder that does no work: the load generator's
 *	own ceiling
 * SYNOPSIS
 *	#include "harness/bench/bench_null.h"
 *
 *	void bench_null_reply(struct bench_null_conn *c, int kind,
 *	                      const char *in, size_t len, struct xbuf *out);
 *	int bench_null_start(const char *spec, int kind, int batching,
 *	                     pid_t *pid_r, char *err, size_t errlen);
 *	void bench_null_stop(pid_t pid, const char *spec);
 * DESCRIPTION
 *	See bench_null.h. The responder is a child process (fork) serving
 *	a listening socket opened by the parent before the fork, so the
 *	generator can connect at once; it ends on SIGTERM or when its parent
 *	dies. Its loop is its own small epoll loop: per iteration the reads
 *	of every ready connection, then the replies, each in one
 *	io_uring_enter where there is a ring (batching), else one call each.
 * DIAGNOSTICS
 *	bench_null_start: 0, or -1 with a reason in err (cannot listen,
 *	fork). The child reports nothing: a connection it cannot serve is
 *	closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/bench/bench.h"
#include "harness/bench/bench_null.h"
#include "harness/io/listen.h"
#include "io/uring.h"
#include "util/xmem.h"

static const char null_hello[] =
	"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\n"
	"COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n";

/* null_auth_line - CPID ends the handshake (send ours); AUTH gets OK */
static void null_auth_line(struct bench_null_conn *c, const char *l, size_t len,
			   struct xbuf *out)
{
	const char *tab;

	if (!c->hs_done) {
		if (len >= 5 && memcmp(l, "CPID\t", 5) == 0) {
			c->hs_done = 1;
			if (xbuf_append(out, null_hello, sizeof(null_hello) - 1) < 0)
				return;
		}
		return;
	}
	if (len < 5 || memcmp(l, "AUTH\t", 5) != 0)
		return;
	tab = memchr(l + 5, '\t', len - 5);
	if (tab == NULL)
		return;
	if (xbuf_append_str(out, "OK\t") < 0 || xbuf_append(out, l + 5, (size_t)(tab - l - 5)) < 0 ||
	    xbuf_append_str(out, "\tuser=null\n") < 0)
		return;
}

/* bench_null_reply - the replies due for bytes read on one connection */
void bench_null_reply(struct bench_null_conn *c, int kind, const char *in, size_t len,
		      struct xbuf *out)
{
	static const char dunno[] = "action=DUNNO\n\n";
	const char *p = in, *end = in + len, *nl;

	if (kind == BENCH_POLICY) {
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (nl == p ? c->last_nl : 0) {
				if (xbuf_append(out, dunno, sizeof(dunno) - 1) < 0)
					return;
				c->last_nl = 0;
			} else {
				c->last_nl = 1;
			}
			p = nl + 1;
		}
		if (p < end)
			c->last_nl = 0;
		return;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			size_t n = (size_t)(end - p);

			if (c->linelen + n > sizeof(c->line))
				n = sizeof(c->line) - c->linelen;	/* over-long: cut */
			memcpy(c->line + c->linelen, p, n);
			c->linelen += n;
			return;
		}
		if (c->linelen > 0) {
			size_t n = (size_t)(nl - p);

			if (c->linelen + n > sizeof(c->line))
				n = sizeof(c->line) - c->linelen;
			memcpy(c->line + c->linelen, p, n);
			null_auth_line(c, c->line, c->linelen + n, out);
			c->linelen = 0;
		} else {
			null_auth_line(c, p, (size_t)(nl - p), out);
		}
		p = nl + 1;
	}
}

static volatile sig_atomic_t null_stop;

/* null_on_term - SIGTERM, SIGINT: leave the loop */
static void null_on_term(int sig)
{
	(void)sig;
	null_stop = 1;
}

#define NULL_EVENTS	256
#define NULL_RECV	16384

/* the child's state */
struct null_srv {
	int lfd, ep, kind;
	struct uring *ring;			/* NULL: one read/send each */
	struct bench_null_conn **conns;		/* by descriptor */
	size_t nconns;
	char *in;				/* NULL_EVENTS buffers of NULL_RECV */
	struct xbuf out;			/* this iteration's replies */
	struct uring_send rv[NULL_EVENTS], sv[NULL_EVENTS];
	size_t soff[NULL_EVENTS];
};

/* null_drop - forget a connection of the null responder */
static void null_drop(struct null_srv *s, int fd)
{
	close(fd);
	free(s->conns[fd]);
	s->conns[fd] = NULL;
}

/* null_accept - every connection waiting on the listener */
static void null_accept(struct null_srv *s)
{
	struct epoll_event ev;
	int cfd;

	memset(&ev, 0, sizeof(ev));
	while ((cfd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((size_t)cfd >= s->nconns) {
			size_t nn = (size_t)cfd * 2 + 16;

			s->conns = xrealloc(s->conns, nn * sizeof(*s->conns));
			memset(s->conns + s->nconns, 0, (nn - s->nconns) * sizeof(*s->conns));
			s->nconns = nn;
		}
		s->conns[cfd] = xcalloc(1, sizeof(**s->conns));
		ev.events = EPOLLIN;
		ev.data.fd = cfd;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, cfd, &ev) < 0)
			null_drop(s, cfd);
	}
}

/* null_read - the nr reads (batched or not) and the replies they call for; their count */
static size_t null_read(struct null_srv *s, size_t nr)
{
	int batched = s->ring != NULL && nr > 1;
	size_t ns = 0, j;

	if (batched)	/* the reads not attempted are -ECANCELED */
		(void)uring_recv_batch(s->ring, nr, s->rv);
	xbuf_reset(&s->out);
	for (j = 0; j < nr; j++) {
		int fd = s->rv[j].fd;
		char *buf = s->in + j * NULL_RECV;
		ssize_t got = s->rv[j].res;
		size_t off = s->out.len;

		if (!batched || got == -ECANCELED) {
			got = read(fd, buf, NULL_RECV);
			if (got < 0)
				got = -errno;
		}
		if (got == -EAGAIN || got == -EINTR)
			continue;
		if (got <= 0) {
			null_drop(s, fd);
			continue;
		}
		bench_null_reply(s->conns[fd], s->kind, buf, (size_t)got, &s->out);
		if (s->out.len > off) {
			s->sv[ns].fd = fd;
			s->sv[ns].len = s->out.len - off;
			s->soff[ns++] = off;
		}
	}
	return ns;
}

/* null_send - the ns replies, batched or not; a slow reader is dropped */
static void null_send(struct null_srv *s, size_t ns)
{
	int batched = s->ring != NULL && ns > 1;
	size_t j;

	for (j = 0; j < ns; j++)
		s->sv[j].buf = s->out.data + s->soff[j];
	if (batched)	/* the sends not attempted are -ECANCELED */
		(void)uring_send_batch(s->ring, ns, s->sv);
	for (j = 0; j < ns; j++) {
		ssize_t w = s->sv[j].res;

		if (!batched || w == -ECANCELED)
			w = send(s->sv[j].fd, s->sv[j].buf, s->sv[j].len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w != (ssize_t)s->sv[j].len)	/* a slow reader is not what this */
			null_drop(s, s->sv[j].fd);	/* responder measures */
	}
}

/* null_serve - the child's loop; returns on SIGTERM */
static void null_serve(int lfd, int kind, int batching)
{
	struct null_srv *s = xcalloc(1, sizeof(*s));
	struct epoll_event ev, evs[NULL_EVENTS];
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = null_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	s->lfd = lfd;
	s->kind = kind;
	s->in = xmalloc((size_t)NULL_EVENTS * NULL_RECV);
	s->ring = batching ? uring_create(NULL_EVENTS) : NULL;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	xbuf_init(&s->out, 16 * 1024 * 1024);
	(void)fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		null_stop = 1;
	while (!null_stop) {
		int n = epoll_wait(s->ep, evs, NULL_EVENTS, 200), k;
		size_t nr = 0;

		for (k = 0; k < n; k++) {
			int fd = evs[k].data.fd;

			if (fd == lfd) {
				null_accept(s);
				continue;
			}
			s->rv[nr].fd = fd;
			s->rv[nr].buf = s->in + nr * NULL_RECV;
			s->rv[nr].len = NULL_RECV;
			s->rv[nr++].res = -EAGAIN;
		}
		null_send(s, null_read(s, nr));
	}
	xbuf_free(&s->out);
	free(s->in);
	uring_destroy(&s->ring);
	if (s->ep >= 0)
		close(s->ep);
	while (s->nconns > 0) {
		s->nconns--;
		if (s->conns[s->nconns] != NULL) {
			close((int)s->nconns);
			free(s->conns[s->nconns]);
		}
	}
	free(s->conns);
	free(s);
}

/* bench_null_start - listen on spec, serve it from a child process */
int bench_null_start(const char *spec, int kind, int batching, pid_t *pid_r, char *err,
		     size_t errlen)
{
	int lfd = tlisten_open(spec, err, errlen);
	pid_t parent = getpid(), pid;

	if (lfd < 0)
		return -1;
	(void)listen(lfd, 4096);	/* a burst of connections must not wait */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		tlisten_close(lfd, spec);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == parent)
			null_serve(lfd, kind, batching);
		_exit(0);	/* the forked child never returns into the caller */
	}
	close(lfd);
	*pid_r = pid;
	return 0;
}

/* bench_null_stop - SIGTERM, then SIGKILL after 2 s; the UNIX socket is removed */
void bench_null_stop(pid_t pid, const char *spec)
{
	int st, i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(20000);
	}
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	if (strncmp(spec, "unix:", 5) == 0)
		unlink(spec + 5);
}

