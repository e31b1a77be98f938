/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_listen - listeners on loopback and UNIX sockets
 * DESCRIPTION
 *	Accepting over inet:127.0.0.1, inet:[::1] (when the host has IPv6)
 *	and inet:PORT (every address) with the peer names handed to the
 *	owner; a stale unix socket file replaced, the socket mode applied;
 *	pause/resume with a connection waiting in the backlog; running out
 *	of fds does not make the loop spin, and accepting resumes once an fd
 *	is free; listener_add() error texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/listen.h"

struct acc {
	int n;
	int fds[8];
	char peer[8][128];
};

static void on_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	struct acc *a = ctx;

	if (a->n < 8) {
		a->fds[a->n] = fd;
		snprintf(a->peer[a->n], sizeof(a->peer[0]), "%s", peer);
		a->n++;
	} else {
		close(fd);
	}
	ev_stop(loop);
}

static void acc_close(struct acc *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		close(a->fds[i]);
	a->n = 0;
}

static void stop_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

static void run(struct ev_loop *loop, uint64_t ms)
{
	uint64_t id = ev_timer_add(loop, ms, stop_cb, NULL);

	ev_run(loop);
	ev_timer_cancel(loop, id);
}

/* free_port - a TCP port nobody listens on right now */
static unsigned free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static struct listener *add(struct ev_loop *loop, const char *text, const struct listen_options *o,
			    struct acc *a)
{
	struct listen_spec spec;
	char err[256];
	struct listener *l;

	assert_int_equal(listen_spec_parse(text, &spec, err, sizeof(err)), 0);
	l = listener_add(loop, &spec, o, on_accept, a, err, sizeof(err));
	if (l == NULL)
		fail_msg("%s", err);
	return l;
}

/* connect_v4 - a client socket; its local port in *port_r */
static int connect_v4(unsigned port, unsigned *port_r)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port_r = ntohs(sin.sin_port);
	return fd;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_refcommon_listen_inet4(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct acc a;
	char text[64], want[64];
	unsigned port = free_port(), cport;
	struct listener *l;
	int cfd, fl;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(text, sizeof(text), "inet:127.0.0.1:%u", port);
	l = add(loop, text, NULL, &a);
	assert_string_equal(listener_name(l), text);
	cfd = connect_v4(port, &cport);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	snprintf(want, sizeof(want), "127.0.0.1:%u", cport);
	assert_string_equal(a.peer[0], want);
	fl = fcntl(a.fds[0], F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(a.fds[0], F_GETFD) & FD_CLOEXEC);
	acc_close(&a);
	close(cfd);
	listener_close(&l);
	assert_null(l);
	ev_loop_destroy(&loop);
}

static void test_refcommon_listen_inet_any(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct acc a;
	char text[64], want[64];
	unsigned port = free_port(), cport;
	struct listener *l;
	int cfd;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(text, sizeof(text), "inet:%u", port);
	l = add(loop, text, NULL, &a);
	cfd = connect_v4(port, &cport);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	/* an IPv4 client of a dual-stack socket, or of an IPv4-only one */
	snprintf(want, sizeof(want), ":%u", cport);
	assert_true(strcmp(a.peer[0] + strlen(a.peer[0]) - strlen(want), want) == 0);
	assert_true(strstr(a.peer[0], "127.0.0.1") != NULL);
	acc_close(&a);
	close(cfd);
	listener_close(&l);
	ev_loop_destroy(&loop);
}

static void test_refcommon_listen_inet6(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct acc a;
	struct sockaddr_in6 sin6;
	char text[64], want[80], err[256];
	unsigned port = free_port();
	struct listen_spec spec;
	struct listener *l;
	socklen_t sl = sizeof(sin6);
	int cfd;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(text, sizeof(text), "inet:[::1]:%u", port);
	assert_int_equal(listen_spec_parse(text, &spec, err, sizeof(err)), 0);
	l = listener_add(loop, &spec, NULL, on_accept, &a, err, sizeof(err));
	if (l == NULL) {
		ev_loop_destroy(&loop);
		skip();		/* no IPv6 loopback on this host */
	}
	cfd = socket(AF_INET6, SOCK_STREAM, 0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_addr = in6addr_loopback;
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(getsockname(cfd, (struct sockaddr *)&sin6, &sl), 0);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	snprintf(want, sizeof(want), "[::1]:%u", ntohs(sin6.sin6_port));
	assert_string_equal(a.peer[0], want);
	acc_close(&a);
	close(cfd);
	listener_close(&l);
	ev_loop_destroy(&loop);
}

/* a socket file left by a dead daemon is replaced; the mode is applied */
static void test_refcommon_listen_unix_stale(void **state)
{
	char dir[] = "/tmp/refcommon-listen.XXXXXX";
	char path[96], text[160];
	struct ev_loop *loop = ev_loop_create();
	struct listen_options o = { 0600, (uid_t)-1, (gid_t)-1, 0 };
	struct sockaddr_un sun;
	struct listener *l;
	struct stat st;
	struct acc a;
	char want[64];
	int old, cfd;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth", dir);
	old = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(old, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(old);		/* the file stays: stale */
	assert_int_equal(connect_unix(path), -1);
	snprintf(text, sizeof(text), "unix:%s", path);
	l = add(loop, text, &o, &a);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	cfd = connect_unix(path);
	assert_true(cfd >= 0);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	snprintf(want, sizeof(want), "unix:pid=%ld,uid=%ld", (long)getpid(), (long)getuid());
	assert_string_equal(a.peer[0], want);
	acc_close(&a);
	close(cfd);
	listener_close(&l);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(rmdir(dir), 0);
	ev_loop_destroy(&loop);
}

/* paused: a waiting client is not accepted until resumed */
static void test_refcommon_listen_pause(void **state)
{
	char dir[] = "/tmp/refcommon-listen.XXXXXX";
	char path[128], text[160];
	struct ev_loop *loop = ev_loop_create();
	struct listener *l;
	struct acc a;
	int cfd;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p", dir);
	snprintf(text, sizeof(text), "unix:%s", path);
	l = add(loop, text, NULL, &a);
	listener_pause(l);
	listener_pause(l);	/* twice is harmless */
	cfd = connect_unix(path);
	assert_true(cfd >= 0);	/* waits in the backlog */
	run(loop, 30);
	assert_int_equal(a.n, 0);
	listener_resume(l);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	acc_close(&a);
	close(cfd);
	listener_close(&l);
	rmdir(dir);
	ev_loop_destroy(&loop);
}

static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/* out of fds: no busy loop; the waiting client is accepted later */
static void test_refcommon_listen_emfile(void **state)
{
	char dir[] = "/tmp/refcommon-listen.XXXXXX";
	char path[128], text[160];
	struct ev_loop *loop = ev_loop_create();
	struct listener *l;
	struct rlimit rl, old;
	struct acc a;
	int fillers[64];
	int nfill = 0, cfd, i;
	long c0, used;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/e", dir);
	snprintf(text, sizeof(text), "unix:%s", path);
	l = add(loop, text, NULL, &a);
	cfd = connect_unix(path);
	assert_true(cfd >= 0);
	/* no fd left for accept(2) */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)fcntl(0, F_DUPFD, 0);	/* lowest free fd */
	close((int)rl.rlim_cur);
	rl.rlim_cur += 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (nfill < 64) {
		int fd = dup(0);

		if (fd < 0) {
			assert_int_equal(errno, EMFILE);
			break;
		}
		fillers[nfill++] = fd;
	}
	assert_true(nfill < 64);
	c0 = cpu_ms();
	run(loop, 300);
	used = cpu_ms() - c0;
	assert_int_equal(a.n, 0);
	/* a level-triggered loop on the readable listener would burn ~300 ms */
	if (used > 30)
		fail_msg("%ld ms of CPU in 300 ms while out of fds", used);
	/* one fd free again: accepted within the backoff */
	close(fillers[--nfill]);
	run(loop, 2000);
	assert_int_equal(a.n, 1);
	acc_close(&a);
	for (i = 0; i < nfill; i++)
		close(fillers[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	close(cfd);
	listener_close(&l);
	rmdir(dir);
	ev_loop_destroy(&loop);
}

struct add_err {
	const char *spec;	/* @: the temp dir or a port in use */
	const char *err;
};

/* subst - tmpl with each "@" replaced by val */
static void subst(char *out, size_t outlen, const char *tmpl, const char *val)
{
	size_t o = 0;

	for (; *tmpl != '\0' && o + 1 < outlen; tmpl++) {
		if (*tmpl == '@') {
			size_t n = strlen(val);

			if (o + n >= outlen)
				break;
			memcpy(out + o, val, n);
			o += n;
		} else {
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

static void test_refcommon_listen_errors(void **state)
{
	static const struct add_err rows[] = {
		{ "unix:@/missing/s", "unix:@/missing/s: No such file or directory" },
		{ "unix:@/file", "unix:@/file: path exists and is not a socket" },
		{ "inet:127.0.0.1:@", "inet:127.0.0.1:@: Address already in use" },
		{ "spawn", "spawn: spawn has no listener" },
	};
	char dir[] = "/tmp/refcommon-listen.XXXXXX";
	struct ev_loop *loop = ev_loop_create();
	struct listener *busy;
	struct acc a;
	char fpath[160], busytext[64], portstr[16];
	unsigned port = free_port();
	size_t i;
	FILE *f;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_non_null(mkdtemp(dir));
	snprintf(fpath, sizeof(fpath), "%s/file", dir);
	f = fopen(fpath, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(portstr, sizeof(portstr), "%u", port);
	snprintf(busytext, sizeof(busytext), "inet:127.0.0.1:%u", port);
	busy = add(loop, busytext, NULL, &a);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[200], want[300], err[300];
		struct listen_spec spec;

		const char *val = strncmp(rows[i].spec, "inet:", 5) == 0 ? portstr : dir;

		subst(text, sizeof(text), rows[i].spec, val);
		subst(want, sizeof(want), rows[i].err, val);
		assert_int_equal(listen_spec_parse(text, &spec, err, sizeof(err)), 0);
		if (listener_add(loop, &spec, NULL, on_accept, &a, err, sizeof(err)) != NULL)
			fail_msg("%s: listener_add succeeded", text);
		assert_string_equal(err, want);
	}
	/* the regular file was left alone */
	assert_int_equal(access(fpath, F_OK), 0);
	unlink(fpath);
	rmdir(dir);
	listener_close(&busy);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_listen_inet4),
		cmocka_unit_test(test_refcommon_listen_inet_any),
		cmocka_unit_test(test_refcommon_listen_inet6),
		cmocka_unit_test(test_refcommon_listen_unix_stale),
		cmocka_unit_test(test_refcommon_listen_pause),
		cmocka_unit_test(test_refcommon_listen_emfile),
		cmocka_unit_test(test_refcommon_listen_errors),
	};

	return cmocka_run_group_tests_name("refcommon_listen", tests, NULL, NULL);
}
