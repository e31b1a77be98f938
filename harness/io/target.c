/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	target - connect to a helper the way Postfix does, read with deadlines
 * SYNOPSIS
 *	#include "harness/io/target.h"
 * DESCRIPTION
 *	See target.h. All sockets are non-blocking; every wait is a poll(2)
 *	with a deadline computed from CLOCK_MONOTONIC.
 * DIAGNOSTICS
 *	Error texts name the target: "unix:/x: connect: No such file or
 *	directory".
 */
#define _GNU_SOURCE		/* strsignal, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/target.h"
#include "util/xmem.h"

#define TCONN_MAX_STDERR	(64 * 1024)

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int terr(char *err, size_t errlen, const char *spec, const char *what)
{
	snprintf(err, errlen, "%s: %s", spec, what);
	return -1;
}

/* target_parse - unix:, inet:, spawn: */
int target_parse(const char *spec, struct target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (strlen(spec) >= sizeof(t->text))
		return terr(err, errlen, "target", "too long");
	strcpy(t->text, spec);
	if (strncmp(spec, "unix:", 5) == 0) {
		t->kind = TARGET_UNIX;
		if (spec[5] == '\0' || strlen(spec + 5) >= sizeof(t->path))
			return terr(err, errlen, spec, "bad socket path");
		strcpy(t->path, spec + 5);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		const char *rest = spec + 5, *port;
		char *end;
		unsigned long pn;

		t->kind = TARGET_INET;
		if (rest[0] == '[') {
			const char *close = strchr(rest, ']');

			if (close == NULL || close[1] != ':' || close == rest + 1 ||
			    (size_t)(close - rest - 1) >= sizeof(t->host))
				return terr(err, errlen, spec, "expected inet:[ipv6]:port");
			memcpy(t->host, rest + 1, (size_t)(close - rest - 1));
			port = close + 2;
		} else {
			const char *colon = strrchr(rest, ':');

			if (colon == NULL || colon == rest || (size_t)(colon - rest) >= sizeof(t->host))
				return terr(err, errlen, spec, "expected inet:host:port");
			memcpy(t->host, rest, (size_t)(colon - rest));
			if (strchr(t->host, ':'))
				return terr(err, errlen, spec, "IPv6 addresses are written inet:[addr]:port");
			port = colon + 1;
		}
		errno = 0;
		pn = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end || errno || pn == 0 || pn > 65535)
			return terr(err, errlen, spec, "port must be 1-65535");
		snprintf(t->port, sizeof(t->port), "%lu", pn);
		return 0;
	}
	if (strncmp(spec, "spawn:", 6) == 0) {
		char *copy = xstrdup(spec + 6), *tok, *save = NULL;
		size_t n = 0;

		t->kind = TARGET_SPAWN;
		t->argv = xcalloc(strlen(copy) / 2 + 2, sizeof(char *));
		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			t->argv[n++] = xstrdup(tok);
		free(copy);
		if (n == 0)
			return terr(err, errlen, spec, "spawn: needs a command");
		return 0;
	}
	return terr(err, errlen, spec, "expected unix:/path, inet:host:port or spawn:COMMAND");
}

void target_free(struct target *t)
{
	size_t i;

	if (t->argv) {
		for (i = 0; t->argv[i]; i++)
			free(t->argv[i]);
		free(t->argv);
		t->argv = NULL;
	}
}

/* wait_fd - poll one fd; 1 ready, 0 timeout, -1 error */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		long long left = deadline - now_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* connect_fd - non-blocking connect with a timeout */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t sl, int timeout_ms)
{
	int soerr = 0;
	socklen_t el = sizeof(soerr);

	if (connect(fd, sa, sl) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (wait_fd(fd, POLLOUT, timeout_ms) <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* tconn_open - connect or spawn */
int tconn_open(const struct target *t, const struct tconn_options *o, struct tconn *c,
	       char *err, size_t errlen)
{
	int timeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
	char why[300];

	memset(c, 0, sizeof(*c));
	c->fd = c->errfd = -1;
	xbuf_init(&c->err, TCONN_MAX_STDERR);
	if (t->kind == TARGET_UNIX) {
		struct sockaddr_un sun;

		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->path);
		if (c->fd < 0 || connect_fd(c->fd, (struct sockaddr *)&sun, sizeof(sun), timeout) < 0) {
			snprintf(why, sizeof(why), "connect: %s", strerror(errno));
			goto fail;
		}
	} else if (t->kind == TARGET_INET) {
		struct addrinfo hints, *res = NULL, *ai;
		int rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(t->host, t->port, &hints, &res);
		if (rc != 0) {
			snprintf(why, sizeof(why), "%s", gai_strerror(rc));
			goto fail;
		}
		snprintf(why, sizeof(why), "no address");
		for (ai = res; ai; ai = ai->ai_next) {
			c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				       ai->ai_protocol);
			if (c->fd >= 0 && connect_fd(c->fd, ai->ai_addr, ai->ai_addrlen, timeout) == 0)
				break;
			snprintf(why, sizeof(why), "connect: %s", strerror(errno));
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
		}
		freeaddrinfo(res);
		if (c->fd < 0)
			goto fail;
	} else {
		int sv[2], ev[2] = { -1, -1 }, probe[2];
		char buf[256];
		ssize_t n;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
		    (o->stderr_apart && pipe2(ev, O_CLOEXEC) < 0) || pipe2(probe, O_CLOEXEC) < 0) {
			snprintf(why, sizeof(why), "socketpair: %s", strerror(errno));
			goto fail;
		}
		c->pid = fork();
		if (c->pid < 0) {
			snprintf(why, sizeof(why), "fork: %s", strerror(errno));
			goto fail;
		}
		if (c->pid == 0) {
			/* child: stdin, stdout (and stderr) are the connection */
			close(probe[0]);
			dup2(sv[1], 0);
			dup2(sv[1], 1);
			dup2(o->stderr_apart ? ev[1] : sv[1], 2);
			signal(SIGPIPE, SIG_DFL);
			execvp(t->argv[0], t->argv);
			n = snprintf(buf, sizeof(buf), "exec %s: %s", t->argv[0], strerror(errno));
			if (write(probe[1], buf, (size_t)n) < 0) {
				/* the parent will see EOF and no message */
			}
			_exit(127);
		}
		close(sv[1]);
		close(probe[1]);
		if (ev[1] >= 0)
			close(ev[1]);
		c->fd = sv[0];
		c->errfd = ev[0];
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		if (c->errfd >= 0)
			fcntl(c->errfd, F_SETFL, O_NONBLOCK);
		/* exec failure shows as a message on the close-on-exec pipe */
		n = read(probe[0], buf, sizeof(buf) - 1);
		close(probe[0]);
		if (n > 0) {
			buf[n] = '\0';
			snprintf(why, sizeof(why), "%s", buf);
			goto fail;
		}
	}
	linebuf_init(&c->lb, TCONN_MAX_LINE, LINEBUF_CR_KEEP);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", t->text, why);
	tconn_close(c);
	return -1;
}

/* drain_stderr - collect what a spawned helper wrote to a separate stderr */
static void drain_stderr(struct tconn *c)
{
	char buf[4096];
	ssize_t n;

	if (c->errfd < 0)
		return;
	while ((n = read(c->errfd, buf, sizeof(buf))) > 0)
		if (xbuf_append(&c->err, buf, (size_t)n) < 0)
			break;
}

/* tconn_write - all bytes or -1 */
int tconn_write(struct tconn *c, const void *p, size_t n, int timeout_ms)
{
	const char *s = p;
	long long deadline = now_ms() + timeout_ms;

	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);

		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (wait_fd(c->fd, POLLOUT, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0)) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* tconn_read_line - the next line within timeout_ms */
int tconn_read_line(struct tconn *c, int timeout_ms, const char **line_r, size_t *len_r)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		int rc = linebuf_next(&c->lb, line_r, len_r);
		char *space;
		size_t avail;
		ssize_t n;
		long long left;

		if (rc != 0)
			return rc < 0 ? -2 : 1;
		drain_stderr(c);
		space = linebuf_space(&c->lb, &avail);
		n = read(c->fd, space, avail);
		if (n > 0) {
			linebuf_commit(&c->lb, (size_t)n);
			continue;
		}
		if (n == 0)
			return -1;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		rc = wait_fd(c->fd, POLLIN, (int)left);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return -1;
	}
}

/* tconn_read_last - the bytes before EOF without an LF, as a last line */
int tconn_read_last(struct tconn *c, const char **line_r, size_t *len_r)
{
	if (linebuf_pending(&c->lb) == 0)
		return 0;
	*len_r = linebuf_drain(&c->lb, line_r);
	return 1;
}

/* tconn_drop_unread - drop what was read but not returned as lines */
size_t tconn_drop_unread(struct tconn *c, const char **data_r)
{
	return linebuf_drain(&c->lb, data_r);
}

/* set_exit - remember how a reaped helper ended, and whether the connection was still open */
static void set_exit(struct tconn *c, int st)
{
	c->reaped = 1;
	c->ended_open = c->fd >= 0;
	c->exit_status = st;
	if (WIFSIGNALED(st))
		snprintf(c->exit_text, sizeof(c->exit_text), "killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(c->exit_text, sizeof(c->exit_text), "exit %d", WEXITSTATUS(st));
}

/* tconn_wait_exit - did a spawned helper end by itself within timeout_ms */
int tconn_wait_exit(struct tconn *c, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int st = 0;

	if (c->pid <= 0)
		return 0;
	if (c->reaped)
		return 1;
	for (;;) {
		pid_t r = waitpid(c->pid, &st, WNOHANG);

		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			set_exit(c, r == c->pid ? st : 0);
			drain_stderr(c);
			return 1;
		}
		if (now_ms() >= deadline)
			return 0;
		usleep(5000);
	}
}

/* tconn_crashed - ended by a signal it was not sent, while the connection was open */
int tconn_crashed(const struct tconn *c)
{
	return c->pid > 0 && c->reaped && c->ended_open && !c->killed &&
	       WIFSIGNALED(c->exit_status);
}

/* tconn_ended_after_close - ended badly (a signal, exit status not 0) after the close */
int tconn_ended_after_close(const struct tconn *c)
{
	return c->pid > 0 && c->reaped && !c->ended_open && !c->killed &&
	       (WIFSIGNALED(c->exit_status) || WEXITSTATUS(c->exit_status) != 0);
}

/* tconn_readable - bytes or EOF waiting, without blocking */
int tconn_readable(struct tconn *c)
{
	if (c->fd < 0)
		return 0;
	if (linebuf_pending(&c->lb) > 0)
		return 1;
	return wait_fd(c->fd, POLLIN, 0) > 0;
}

/* tconn_read_some - raw bytes for the proxy */
int tconn_read_some(struct tconn *c, int timeout_ms, char *buf, size_t size)
{
	ssize_t n;
	int rc;

	drain_stderr(c);
	rc = wait_fd(c->fd, POLLIN, timeout_ms);
	if (rc <= 0)
		return rc == 0 ? 0 : -1;
	n = read(c->fd, buf, size);
	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

/* tconn_close - close, and reap a spawned helper */
void tconn_close(struct tconn *c)
{
	int st = 0;

	/* a helper already dead died with the connection open */
	if (c->pid > 0 && !c->reaped && c->fd >= 0 && waitpid(c->pid, &st, WNOHANG) == c->pid)
		set_exit(c, st);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->pid > 0 && !c->reaped) {
		int i;
		pid_t r = 0;

		for (i = 0; i < 100; i++) {
			r = waitpid(c->pid, &st, WNOHANG);
			if (r != 0)
				break;
			if (i == 40) {
				kill(c->pid, SIGTERM);
				c->killed = 1;
			}
			if (i == 80)
				kill(c->pid, SIGKILL);
			usleep(10000);
		}
		if (r == 0) {
			kill(c->pid, SIGKILL);
			c->killed = 1;
			r = waitpid(c->pid, &st, 0);
		}
		set_exit(c, st);
	}
	drain_stderr(c);
	if (c->errfd >= 0)
		close(c->errfd);
	c->errfd = -1;
	if (c->lb.data)
		linebuf_free(&c->lb);
}

const char *tconn_exit_text(const struct tconn *c)
{
	return c->reaped ? c->exit_text : "";
}
