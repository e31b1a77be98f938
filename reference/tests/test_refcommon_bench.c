/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_bench - request/reply throughput through the layer
 * DESCRIPTION
 *	A child process serves a unix socket (in a temp dir) and a
 *	127.0.0.1 port with the listener and connection layer and answers
 *	every line "N <text>" with "N ok". The parent opens 64 client
 *	connections, also on the layer, keeps one request in flight on each
 *	(as Postfix does) for a fixed time, and checks every reply against
 *	its request. It prints requests per second and checks that each
 *	connection made progress and no reply was wrong; the child is
 *	stopped by its PID with SIGTERM and must exit 0 after closing its
 *	listeners (the socket file is gone).
 *
 *	The figure printed depends on the build (ASan is several times
 *	slower) and the machine; nothing asserts on it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/conn.h"
#include "reference/common/daemon.h"
#include "reference/common/listen.h"

#define NCLIENTS	64
#define BENCH_MS	1000

/* --- the server (child) --------------------------------------------------- */

static const struct conn_settings srv_set = { 16384, LINEBUF_CR_STRIP, 50 * 1024, 1 << 20, 0 };

static void srv_line(struct conn *c, const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && line[n] != ' ')
		n++;
	if (conn_write(c, line, n) < 0 || conn_write(c, " ok\n", 4) < 0)
		conn_close(c, "output queue full");
}

static void srv_close(struct conn *c, const char *reason)
{
	(void)c;
	(void)reason;
}

static const struct conn_ops srv_ops = { srv_line, NULL, srv_close, NULL };

static void srv_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	(void)ctx;
	if (conn_create(loop, fd, fd, &srv_set, &srv_ops, NULL, peer) == NULL)
		close(fd);
}

static void srv_term(struct ev_loop *loop, int signo, void *ctx)
{
	(void)signo;
	(void)ctx;
	ev_stop(loop);
}

/* serve - the child's main; writes "ready\n" to ready_fd when listening */
static int serve(const char *unix_spec, const char *inet_spec, int ready_fd)
{
	struct ev_loop *loop = ev_loop_create();
	struct listen_spec us, is;
	struct listener *lu, *li;
	char err[256];

	if (loop == NULL || daemon_ignore_sigpipe() < 0 ||
	    listen_spec_parse(unix_spec, &us, err, sizeof(err)) < 0 ||
	    listen_spec_parse(inet_spec, &is, err, sizeof(err)) < 0)
		return 2;
	lu = listener_add(loop, &us, NULL, srv_accept, NULL, err, sizeof(err));
	li = listener_add(loop, &is, NULL, srv_accept, NULL, err, sizeof(err));
	if (lu == NULL || li == NULL || ev_signal(loop, SIGTERM, srv_term, NULL) < 0)
		return 3;
	if (write(ready_fd, "ready\n", 6) != 6)
		return 4;
	close(ready_fd);
	if (ev_run(loop) < 0)
		return 5;
	listener_close(&lu);
	listener_close(&li);
	/* open connections are left to exit(2): the process ends here */
	return 0;
}

/* --- the clients (parent) ------------------------------------------------- */

struct bench {
	struct ev_loop *loop;
	int running;
	unsigned long done, wrong;
	int closed;
};

struct client {
	struct bench *b;
	unsigned long seq;
	unsigned long done;
	struct conn *c;
};

static void cli_send(struct client *cl)
{
	char req[96];
	int n = snprintf(req, sizeof(req),
			 "%lu request=smtpd_access_policy protocol_state=RCPT\n", cl->seq);

	assert_int_equal(conn_write(cl->c, req, (size_t)n), 0);
}

static void cli_line(struct conn *c, const char *line, size_t len)
{
	struct client *cl = conn_ctx(c);
	char want[32];
	int n = snprintf(want, sizeof(want), "%lu ok", cl->seq);

	if (len != (size_t)n || memcmp(line, want, len) != 0)
		cl->b->wrong++;
	cl->done++;
	cl->b->done++;
	cl->seq++;
	if (cl->b->running)
		cli_send(cl);
	else
		conn_close(c, "done");
}

static void cli_close(struct conn *c, const char *reason)
{
	struct client *cl = conn_ctx(c);

	(void)reason;
	cl->c = NULL;
	if (++cl->b->closed == NCLIENTS)
		ev_stop(cl->b->loop);
}

static const struct conn_ops cli_ops = { cli_line, NULL, cli_close, NULL };

static void bench_end(struct ev_loop *loop, void *ctx)
{
	struct bench *b = ctx;

	(void)loop;
	b->running = 0;	/* each client closes after its outstanding reply */
}

static void give_up(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

static int connect_to(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, sa, len), 0);
	if (sa->sa_family == AF_INET) {
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void run_clients(const struct sockaddr *sa, socklen_t salen, const char *what)
{
	const struct conn_settings set = { 16384, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct bench b;
	struct client *cls = calloc(NCLIENTS, sizeof(*cls));
	uint64_t t0, t1;
	int i;

	memset(&b, 0, sizeof(b));
	b.loop = loop;
	b.running = 1;
	for (i = 0; i < NCLIENTS; i++) {
		int fd = connect_to(sa, salen);

		cls[i].b = &b;
		cls[i].seq = (unsigned long)i * 1000000000ul;
		cls[i].c = conn_create(loop, fd, fd, &set, &cli_ops, &cls[i], what);
		assert_non_null(cls[i].c);
		cli_send(&cls[i]);
	}
	t0 = mono_ms();
	ev_timer_add(loop, BENCH_MS, bench_end, &b);
	ev_timer_add(loop, BENCH_MS + 5000, give_up, NULL);
	ev_run(loop);
	t1 = mono_ms();
	assert_int_equal(b.closed, NCLIENTS);
	assert_int_equal(b.wrong, 0);
	for (i = 0; i < NCLIENTS; i++)
		assert_true(cls[i].done > 0);
	print_message("%s: %d connections, one request in flight each: %lu replies in %llu ms = "
		      "%.0f/s\n", what, NCLIENTS, b.done, (unsigned long long)(t1 - t0),
		      (double)b.done * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1));
	free(cls);
	ev_loop_destroy(&loop);
}

static void test_refcommon_bench_echo(void **state)
{
	char dir[] = "/tmp/refcommon-bench.XXXXXX";
	char unix_spec[128], inet_spec[64];
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int p[2], status, probe;
	char ready[8];
	pid_t pid;
	unsigned port;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* a free loopback port */
	probe = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(probe);
	snprintf(unix_spec, sizeof(unix_spec), "unix:%s/s", dir);
	snprintf(inet_spec, sizeof(inet_spec), "inet:127.0.0.1:%u", port);

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(serve(unix_spec, inet_spec, p[1]));
	}
	close(p[1]);
	if (read(p[0], ready, 6) != 6) {
		waitpid(pid, &status, 0);
		fail_msg("server did not start (exit %d)", WEXITSTATUS(status));
	}
	close(p[0]);
	assert_int_equal(daemon_ignore_sigpipe(), 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	run_clients((struct sockaddr *)&sun, sizeof(sun), "unix");
	run_clients((struct sockaddr *)&sin, sizeof(sin), "inet");

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the listener removed its socket file */
	assert_int_equal(access(sun.sun_path, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_bench_echo),
	};

	return cmocka_run_group_tests_name("refcommon_bench", tests, NULL, NULL);
}
