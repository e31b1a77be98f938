/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon - event loop, connections, listeners, worker queue
 * DESCRIPTION
 *	Behaviour tests over socketpair(2) and loopback sockets: lines split
 *	across writes and many lines in one write, the line bound, CR modes,
 *	EOF inside a line, close from inside a handler, output throttling,
 *	timers (order, cancel, stale ids), deferred calls, signals through
 *	the loop, worker jobs coming back to the loop, and the listen-spec
 *	grammar with its error texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/conn.h"
#include "reference/common/listen.h"
#include "reference/common/workq.h"
#include "util/xbuf.h"

struct rec {
	struct xbuf lines;	/* received lines joined with '|' */
	int nlines;
	int closed;
	char reason[128];
	int overflow;
	int close_on;		/* close when this line number arrives (1-based) */
	int echo;
	struct ev_loop *loop;
};

static void rec_line(struct conn *c, const char *line, size_t len)
{
	struct rec *r = conn_ctx(c);

	r->nlines++;
	assert_int_equal(xbuf_append(&r->lines, line, len), 0);
	assert_int_equal(xbuf_append_char(&r->lines, '|'), 0);
	if (r->echo) {
		assert_int_equal(conn_write(c, line, len), 0);
		assert_int_equal(conn_write(c, "\n", 1), 0);
	}
	if (r->close_on == r->nlines)
		conn_close(c, "handler closed");
}

static void rec_overflow(struct conn *c)
{
	struct rec *r = conn_ctx(c);

	r->overflow++;
}

static void rec_close(struct conn *c, const char *reason)
{
	struct rec *r = conn_ctx(c);

	r->closed++;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	ev_stop(r->loop);
}

static const struct conn_ops rec_ops = { rec_line, rec_overflow, rec_close, NULL };

/* stop_soon - a timer that ends ev_run */
static void stop_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

/* run_with - feed bytes into one end of a socketpair, run until close or 2 s */
static void run_with(struct rec *r, const struct conn_settings *set, const char *const *chunks,
		     size_t nchunks, int shut)
{
	int sv[2];
	struct ev_loop *loop = ev_loop_create();
	struct conn *c;
	size_t i;

	assert_non_null(loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	xbuf_init(&r->lines, 0);
	r->loop = loop;
	c = conn_create(loop, sv[0], sv[0], set, &rec_ops, r, "test");
	assert_non_null(c);
	for (i = 0; i < nchunks; i++)
		assert_int_equal(write(sv[1], chunks[i], strlen(chunks[i])), (ssize_t)strlen(chunks[i]));
	if (shut)
		shutdown(sv[1], SHUT_WR);
	ev_timer_add(loop, 2000, stop_cb, NULL);
	assert_int_equal(ev_run(loop), 0);
	if (!r->closed) {
		conn_close(c, "test end");
		ev_timer_add(loop, 0, stop_cb, NULL);
		ev_run(loop);	/* runs the deferred close */
	}
	close(sv[1]);
	ev_loop_destroy(&loop);
}

static void test_refcommon_lines_and_eof(void **state)
{
	const struct conn_settings set = { 16, LINEBUF_CR_KEEP, 0, 0, 0 };
	const char *chunks[] = { "one\ntw", "o\nthree\nfour\r\n", "tail" };
	struct rec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	run_with(&r, &set, chunks, 3, 1);
	assert_string_equal(xbuf_cstr(&r.lines), "one|two|three|four\r|");
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "EOF inside a line (4 bytes pending)");
	xbuf_free(&r.lines);
}

static void test_refcommon_cr_strip_and_bound(void **state)
{
	const struct conn_settings set = { 8, LINEBUF_CR_STRIP, 0, 0, 0 };
	const char *chunks[] = { "abc\r\n1234567\n12345678\n" };
	struct rec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	run_with(&r, &set, chunks, 1, 0);
	/* 7 bytes + LF fit in 8; 8 bytes + LF do not */
	assert_string_equal(xbuf_cstr(&r.lines), "abc|1234567|");
	assert_int_equal(r.overflow, 1);
	assert_string_equal(r.reason, "line too long");
	xbuf_free(&r.lines);
}

static void test_refcommon_close_inside_handler(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	const char *chunks[] = { "a\nb\nc\nd\n" };
	struct rec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.close_on = 2;
	run_with(&r, &set, chunks, 1, 0);
	assert_string_equal(xbuf_cstr(&r.lines), "a|b|");
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "handler closed");
	xbuf_free(&r.lines);
}

/* echo through the connection; the client reads it back */
static void test_refcommon_echo_and_throttle(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 32, 4096, 0 };
	int sv[2];
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	struct conn *c;
	char buf[8192];
	size_t got = 0;
	int i;

	(void)state;
	memset(&r, 0, sizeof(r));
	xbuf_init(&r.lines, 0);
	r.loop = loop;
	r.echo = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "test");
	assert_non_null(c);
	/* 100 lines of 10 bytes: far more than the 32-byte throttle mark */
	for (i = 0; i < 100; i++)
		assert_int_equal(write(sv[1], "123456789\n", 10), 10);
	shutdown(sv[1], SHUT_WR);
	for (i = 0; i < 200 && got < 1000; i++) {
		ssize_t n;

		ev_timer_add(loop, 5, stop_cb, NULL);
		ev_run(loop);
		while ((n = recv(sv[1], buf + got, sizeof(buf) - got, MSG_DONTWAIT)) > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, 1000);
	assert_int_equal(r.nlines, 100);
	if (!r.closed) {
		ev_timer_add(loop, 50, stop_cb, NULL);
		ev_run(loop);
	}
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "EOF");
	close(sv[1]);
	ev_loop_destroy(&loop);
	xbuf_free(&r.lines);
}

/* regression: output queued before a close still reaches the peer */
static void test_refcommon_output_before_close(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	int sv[2];
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	char buf[64];
	ssize_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	xbuf_init(&r.lines, 0);
	r.loop = loop;
	r.echo = 1;
	r.close_on = 2;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "test"));
	assert_int_equal(write(sv[1], "a\nb\nc\n", 6), 6);
	ev_timer_add(loop, 2000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(r.closed, 1);
	n = recv(sv[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, 4);
	buf[n] = '\0';
	assert_string_equal(buf, "a\nb\n");
	close(sv[1]);
	ev_loop_destroy(&loop);
	xbuf_free(&r.lines);
}

/* --- timers, defer, signals ------------------------------------------- */

struct tlog {
	char order[64];
	size_t n;
};

static void t_a(struct ev_loop *l, void *ctx) { struct tlog *t = ctx; (void)l; t->order[t->n++] = 'a'; }
static void t_b(struct ev_loop *l, void *ctx) { struct tlog *t = ctx; (void)l; t->order[t->n++] = 'b'; }
static void t_c(struct ev_loop *l, void *ctx) { struct tlog *t = ctx; (void)l; t->order[t->n++] = 'c'; }
static void t_d(struct ev_loop *l, void *ctx) { struct tlog *t = ctx; (void)l; t->order[t->n++] = 'd'; }

static void test_refcommon_timers(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct tlog t;
	uint64_t idb, ids[1000];
	int i;

	(void)state;
	memset(&t, 0, sizeof(t));
	ev_timer_add(loop, 30, t_c, &t);
	idb = ev_timer_add(loop, 20, t_b, &t);
	ev_timer_add(loop, 10, t_a, &t);
	ev_timer_add(loop, 10, t_d, &t);	/* same due time: after a */
	ev_timer_cancel(loop, idb);
	ev_timer_cancel(loop, idb);		/* twice is harmless */
	ev_timer_cancel(loop, 0);
	ev_timer_cancel(loop, 123456789ULL);
	for (i = 0; i < 1000; i++)
		ids[i] = ev_timer_add(loop, 5 + (uint64_t)(i % 7), t_b, &t);
	for (i = 0; i < 1000; i++)
		ev_timer_cancel(loop, ids[i]);
	ev_timer_add(loop, 60, stop_cb, NULL);
	ev_run(loop);
	t.order[t.n] = '\0';
	assert_string_equal(t.order, "adc");
	ev_loop_destroy(&loop);
}

static void d_second(struct ev_loop *l, void *ctx) { t_b(l, ctx); ev_stop(l); }
static void d_first(struct ev_loop *l, void *ctx) { t_a(l, ctx); ev_defer(l, d_second, ctx); }

static void test_refcommon_defer(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct tlog t;

	(void)state;
	memset(&t, 0, sizeof(t));
	ev_defer(loop, d_first, &t);
	ev_run(loop);
	t.order[t.n] = '\0';
	assert_string_equal(t.order, "ab");
	ev_loop_destroy(&loop);
}

static void on_usr1(struct ev_loop *loop, int signo, void *ctx)
{
	int *got = ctx;

	*got = signo;
	ev_stop(loop);
}

static void test_refcommon_signal(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	int got = 0;

	(void)state;
	assert_int_equal(ev_signal(loop, SIGUSR1, on_usr1, &got), 0);
	kill(getpid(), SIGUSR1);
	ev_timer_add(loop, 2000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(got, SIGUSR1);
	ev_loop_destroy(&loop);
}

/* --- workq -------------------------------------------------------------- */

struct job {
	int in, out;
	int *done_count;
	struct ev_loop *loop;
	int total;
};

static void job_work(void *arg)
{
	struct job *j = arg;

	j->out = j->in * j->in;
}

static void job_done(void *arg)
{
	struct job *j = arg;

	assert_int_equal(j->out, j->in * j->in);
	if (++*j->done_count == j->total)
		ev_stop(j->loop);
	free(j);
}

static void test_refcommon_workq(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 2, 2000);
	int done = 0;
	int i;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 1000; i++) {
		struct job *j = calloc(1, sizeof(*j));

		j->in = i;
		j->done_count = &done;
		j->loop = loop;
		j->total = 1000;
		assert_int_equal(workq_submit(q, job_work, job_done, j), 0);
	}
	ev_timer_add(loop, 5000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(done, 1000);
	workq_destroy(&q);
	assert_null(q);
	ev_loop_destroy(&loop);
}

/* --- listen specs ------------------------------------------------------- */

struct spec_case {
	const char *in;
	int rc;
	enum listen_kind kind;
	const char *host_or_path;
	const char *port;
	const char *err;
};

static void test_refcommon_listen_spec(void **state)
{
	static const struct spec_case cases[] = {
		{ "spawn", 0, LISTEN_SPAWN, "", "", NULL },
		{ "unix:/run/a.sock", 0, LISTEN_UNIX, "/run/a.sock", "", NULL },
		{ "inet:127.0.0.1:10025", 0, LISTEN_INET, "127.0.0.1", "10025", NULL },
		{ "inet:[::1]:12345", 0, LISTEN_INET, "::1", "12345", NULL },
		{ "inet:localhost:1", 0, LISTEN_INET, "localhost", "1", NULL },
		{ "inet:65535", 0, LISTEN_INET, "", "65535", NULL },
		{ "inet:*:25", 0, LISTEN_INET, "", "25", NULL },
		{ "unix:rel.sock", -1, LISTEN_UNIX, NULL, NULL,
		  "unix:rel.sock: unix socket path must be absolute" },
		{ "inet:127.0.0.1:0", -1, LISTEN_INET, NULL, NULL,
		  "inet:127.0.0.1:0: port must be 1-65535" },
		{ "inet:127.0.0.1:65536", -1, LISTEN_INET, NULL, NULL,
		  "inet:127.0.0.1:65536: port must be 1-65535" },
		{ "inet:127.0.0.1:x", -1, LISTEN_INET, NULL, NULL,
		  "inet:127.0.0.1:x: port must be 1-65535" },
		{ "inet:::1:25", -1, LISTEN_INET, NULL, NULL,
		  "inet:::1:25: IPv6 addresses must be written [addr]:port" },
		{ "inet:[::1]25", -1, LISTEN_INET, NULL, NULL, "inet:[::1]25: expected [ipv6]:port" },
		{ "tcp:1.2.3.4:5", -1, LISTEN_INET, NULL, NULL,
		  "tcp:1.2.3.4:5: expected unix:/path, inet:host:port or spawn" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct listen_spec s;
		char err[256] = "";
		int rc = listen_spec_parse(cases[i].in, &s, err, sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d (%s)", cases[i].in, rc, cases[i].rc, err);
		if (rc < 0) {
			assert_string_equal(err, cases[i].err);
			continue;
		}
		assert_int_equal(s.kind, cases[i].kind);
		if (s.kind == LISTEN_UNIX)
			assert_string_equal(s.path, cases[i].host_or_path);
		if (s.kind == LISTEN_INET) {
			assert_string_equal(s.host, cases[i].host_or_path);
			assert_string_equal(s.port, cases[i].port);
		}
	}
}

/* a real unix listener: accept, then the socket file is removed on close */
struct acc {
	int fd;
	char peer[128];
};

static void on_accept(struct ev_loop *loop, int fd, const char *peer, void *ctx)
{
	struct acc *a = ctx;

	a->fd = fd;
	snprintf(a->peer, sizeof(a->peer), "%s", peer);
	ev_stop(loop);
}

static void test_refcommon_unix_listener(void **state)
{
	char dir[] = "/tmp/refcommon.XXXXXX";
	char path[96], spec_text[160], err[256];
	struct listen_spec spec;
	struct ev_loop *loop = ev_loop_create();
	struct listener *l;
	struct acc a = { -1, "" };
	int cfd;
	struct sockaddr_un { sa_family_t f; char p[108]; } sun;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(spec_text, sizeof(spec_text), "unix:%s", path);
	assert_int_equal(listen_spec_parse(spec_text, &spec, err, sizeof(err)), 0);
	l = listener_add(loop, &spec, NULL, on_accept, &a, err, sizeof(err));
	assert_non_null(l);
	cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.f = AF_UNIX;
	snprintf(sun.p, sizeof(sun.p), "%s", path);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ev_timer_add(loop, 2000, stop_cb, NULL);
	ev_run(loop);
	assert_true(a.fd >= 0);
	assert_non_null(strstr(a.peer, "unix:pid="));
	close(a.fd);
	close(cfd);
	listener_close(&l);
	assert_int_equal(access(path, F_OK), -1);
	/* a regular file in the way is not removed */
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fclose(f);
		assert_null(listener_add(loop, &spec, NULL, on_accept, &a, err, sizeof(err)));
		assert_non_null(strstr(err, "path exists and is not a socket"));
		unlink(path);
	}
	rmdir(dir);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_lines_and_eof),
		cmocka_unit_test(test_refcommon_cr_strip_and_bound),
		cmocka_unit_test(test_refcommon_close_inside_handler),
		cmocka_unit_test(test_refcommon_echo_and_throttle),
		cmocka_unit_test(test_refcommon_output_before_close),
		cmocka_unit_test(test_refcommon_timers),
		cmocka_unit_test(test_refcommon_defer),
		cmocka_unit_test(test_refcommon_signal),
		cmocka_unit_test(test_refcommon_workq),
		cmocka_unit_test(test_refcommon_listen_spec),
		cmocka_unit_test(test_refcommon_unix_listener),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("refcommon", tests, NULL, NULL);
}
