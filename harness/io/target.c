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
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
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
#define TCONN_EXIT_GRACE_MS	2000	/* after EOF, for a helper to end by itself */
#define SPAWN_ENV_MAX		(TARGET_SPAWN_ENV_MAX + 8)

/* what spawn(8) passes by default (export_environment after import_environment) */
static const char *const spawn_env_default[] = {
	"LANG=C", "MAIL_CONFIG=/etc/postfix", "PATH=/usr/bin:/bin", "TZ",
};
#define N_SPAWN_DEFAULT	(sizeof(spawn_env_default) / sizeof(spawn_env_default[0]))

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

/* target_spawn_env - one NAME or NAME=VALUE more in a spawned helper's environment */
int target_spawn_env(struct target *t, const char *spec, char *err, size_t errlen)
{
	size_t n = strcspn(spec, "=");

	if (n == 0 || strspn(spec, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789_") != n || (spec[0] >= '0' && spec[0] <= '9'))
		return terr(err, errlen, spec, "want NAME or NAME=VALUE");
	if (t->nenv_add >= TARGET_SPAWN_ENV_MAX)
		return terr(err, errlen, spec, "too many environment variables");
	t->env_add[t->nenv_add++] = spec;
	return 0;
}

/* target_spawn_user - master.cf's user=USER[:GROUP] for a spawned helper */
int target_spawn_user(struct target *t, const char *spec, char *err, size_t errlen)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;

	if (n == 0 || n >= sizeof(user))
		return terr(err, errlen, spec, "want USER or USER:GROUP");
	memcpy(user, spec, n);
	user[n] = '\0';
	if ((pw = getpwnam(user)) == NULL)
		return terr(err, errlen, spec, "unknown user name");
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	if (colon != NULL && colon[1] != '\0') {
		struct group *gr = getgrnam(colon + 1);

		if (gr == NULL)
			return terr(err, errlen, spec, "unknown group name");
		t->gid = gr->gr_gid;
	}
	if (t->uid == 0 || t->gid == 0)
		return terr(err, errlen, spec, "spawn(8) refuses to run a command as root or "
			    "with group 0");
	if (geteuid() != 0 && t->uid != geteuid())
		return terr(err, errlen, spec, "running the helper as another user needs root");
	t->as_user = 1;
	return 0;
}

/*
 * spawn_path - where argv0 is: as given when it holds a '/', else the
 * first executable of that name on the caller's PATH (a convenience:
 * master.cf wants a path); argv0 itself when none is found
 */
static const char *spawn_path(const char *argv0, char *buf, size_t size)
{
	const char *p = getenv("PATH");

	if (strchr(argv0, '/') != NULL || p == NULL)
		return argv0;
	while (*p) {
		size_t n = strcspn(p, ":");
		int w = snprintf(buf, size, "%.*s/%s", (int)n, n ? p : ".", argv0);

		if (w > 0 && (size_t)w < size && access(buf, X_OK) == 0)
			return buf;
		p += n + (p[n] == ':');
	}
	return argv0;
}

/* spawn_env - the helper's environment, copied into store, into env[] (NULL-terminated) */
static void spawn_env(const struct target *t, char **env, size_t max, char *store, size_t size)
{
	const char *names[SPAWN_ENV_MAX];
	size_t n = 0, i, k, used = 0, nnames = 0;

	for (i = 0; i < N_SPAWN_DEFAULT + t->nenv_add && nnames < SPAWN_ENV_MAX; i++)
		names[nnames++] = i < N_SPAWN_DEFAULT ? spawn_env_default[i] :
				  t->env_add[i - N_SPAWN_DEFAULT];
	for (i = 0; i < nnames && n + 1 < max; i++) {
		size_t len = strcspn(names[i], "=");
		const char *v = names[i][len] == '=' ? names[i] + len + 1 : NULL;
		int w;

		/* a later entry of the same name wins */
		for (k = i + 1; k < nnames; k++)
			if (strcspn(names[k], "=") == len && strncmp(names[k], names[i], len) == 0)
				break;
		if (k < nnames)
			continue;
		if (v == NULL && (v = getenv(names[i])) == NULL)
			continue;
		w = snprintf(store + used, size - used, "%.*s=%s", (int)len, names[i], v);
		if (w < 0 || (size_t)w >= size - used)
			continue;	/* no room: left out */
		env[n++] = store + used;
		used += (size_t)w + 1;
	}
	env[n] = NULL;
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

/* the bound of the whole run, and who is told about long waits (target.h) */
static long long limit_at;		/* CLOCK_MONOTONIC ms; 0: none */
static int limit_hit;
static void (*progress_fn)(void *ctx, long long waited_ms);
static void *progress_ctx;

/* tconn_limit - every wait ends by at (monotonic ms, tconn_now_ms()); 0: no bound */
void tconn_limit(long long at)
{
	limit_at = at;
	limit_hit = 0;
}

/* tconn_limit_hit - a wait was cut short by the bound */
int tconn_limit_hit(void)
{
	return limit_hit;
}

/* tconn_progress - fn(ctx, ms) every second of a wait longer than one; ms -1: over */
void tconn_progress(void (*fn)(void *ctx, long long waited_ms), void *ctx)
{
	progress_fn = fn;
	progress_ctx = ctx;
}

/* tconn_now_ms - the clock of tconn_limit() */
long long tconn_now_ms(void)
{
	return now_ms();
}

/* past_limit - the bound is reached: a read that need not wait ends too (a helper that never stops talking) */
static int past_limit(void)
{
	if (limit_at > 0 && now_ms() >= limit_at) {
		limit_hit = 1;
		return 1;
	}
	return 0;
}

/* wait_poll - poll p (NULL: just wait) up to timeout_ms within the bound; 1 ready, 0 not, -1 error */
static int wait_poll(struct pollfd *p, int timeout_ms)
{
	long long start = now_ms(), deadline = start + timeout_ms;
	int cut = 0, shown = 0, rc;

	if (limit_at > 0 && deadline > limit_at) {
		deadline = limit_at;
		cut = 1;
	}
	for (;;) {
		long long now = now_ms(), left = deadline - now;

		if (left < 0)
			left = 0;
		if (progress_fn != NULL && left > 1000 - (now - start) % 1000)
			left = 1000 - (now - start) % 1000;	/* a second at a time */
		rc = poll(p, p != NULL, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc != 0)
			break;
		now = now_ms();
		if (now >= deadline) {
			limit_hit |= cut;
			break;
		}
		if (progress_fn != NULL && now - start >= 1000) {
			progress_fn(progress_ctx, now - start);
			shown = 1;
		}
	}
	if (shown)
		progress_fn(progress_ctx, -1);
	return rc > 0 ? 1 : rc;
}

/* wait_fd - poll one fd; 1 ready, 0 timeout, -1 error */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };

	return wait_poll(&p, timeout_ms);
}

/* tconn_sleep - wait ms (within the bound, shown as a wait) */
void tconn_sleep(int ms)
{
	(void)wait_poll(NULL, ms);
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
		char buf[256], envstore[8192], pathbuf[4096];
		char *envp[SPAWN_ENV_MAX + 1];
		const char *path = spawn_path(t->argv[0], pathbuf, sizeof(pathbuf));
		ssize_t n;

		spawn_env(t, envp, SPAWN_ENV_MAX + 1, envstore, sizeof(envstore));
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
			/* as spawn(8): its environment, its user and group alone */
			if (t->as_user && (setgroups(1, &t->gid) < 0 || setgid(t->gid) < 0 ||
					   setuid(t->uid) < 0)) {
				n = snprintf(buf, sizeof(buf), "user %ld: %s", (long)t->uid,
					     strerror(errno));
			} else {
				execve(path, t->argv, envp);
				n = snprintf(buf, sizeof(buf), "exec %s: %s", t->argv[0],
					     strerror(errno));
			}
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
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			if (errno == EPIPE || errno == ECONNRESET)
				c->eof = 1;	/* the helper closed its end */
			return -1;
		}
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
		if (past_limit())
			return 0;
		drain_stderr(c);
		space = linebuf_space(&c->lb, &avail);
		n = read(c->fd, space, avail);
		if (n > 0) {
			linebuf_commit(&c->lb, (size_t)n);
			continue;
		}
		if (n == 0) {
			c->eof = 1;
			return -1;
		}
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

/*
 * set_exit - remember how a reaped helper ended, and whether it ended
 * with the connection open: the harness had not closed its end, or the
 * helper closed its own first (EOF seen). The kernel closes a dying
 * process's files before it can be reaped, and on a loaded machine the
 * reaping may come late: EOF before the close is what tells the order,
 * not the moment of waitpid(). A SIGPIPE after EOF came from a pipe the
 * harness closed (stderr apart): that is an end after the close.
 */
static void set_exit(struct tconn *c, int st)
{
	c->reaped = 1;
	c->ended_open = c->fd >= 0 ||
		(c->eof && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE));
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

/* ours - ended by the signal the harness sent at the end of its grace */
static int ours(const struct tconn *c)
{
	return c->killed && WIFSIGNALED(c->exit_status) &&
	       (WTERMSIG(c->exit_status) == SIGTERM || WTERMSIG(c->exit_status) == SIGKILL);
}

/* tconn_crashed - ended by a signal it was not sent, while the connection was open */
int tconn_crashed(const struct tconn *c)
{
	return c->pid > 0 && c->reaped && c->ended_open && !ours(c) &&
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

	if (past_limit())
		return 0;
	drain_stderr(c);
	rc = wait_fd(c->fd, POLLIN, timeout_ms);
	if (rc <= 0)
		return rc == 0 ? 0 : -1;
	n = read(c->fd, buf, size);
	if (n > 0)
		return (int)n;
	if (n == 0)
		c->eof = 1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

/* tconn_close - close, and reap a spawned helper */
void tconn_close(struct tconn *c)
{
	int st = 0;

	/*
	 * a helper already dead died with the connection open; after EOF it
	 * is probably on its way (the kernel closes its files before it
	 * can be reaped): wait for it, as spawn(8) would, before a signal
	 */
	if (c->pid > 0 && !c->reaped && c->fd >= 0) {
		if (c->eof)
			(void)tconn_wait_exit(c, TCONN_EXIT_GRACE_MS);
		else if (waitpid(c->pid, &st, WNOHANG) == c->pid)
			set_exit(c, st);
	}
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
