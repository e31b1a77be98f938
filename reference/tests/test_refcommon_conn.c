/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_conn - connections: modes, bounds, flow control
 * DESCRIPTION
 *	Over socketpair(2) and pipes: CR handling in both modes (table),
 *	the exact line bound fed one byte per write, spawn mode on two
 *	pipes, pausing input from a handler and resuming from a timer,
 *	output throttling that stops reading while the peer does not read
 *	and resumes when it does (every byte accounted for), the hard
 *	output bound, a counter of queued output shared by connections,
 *	close after flush, the idle timeout, a write to a
 *	peer that went away, block mode (pieces and pipelined blocks, the
 *	owner writing into what it takes, the bound at N and N+1, an owner
 *	taking one byte per call, the EOF reason), and 1,000 connections
 *	at once (with the
 *	resident memory per idle connection when not built with ASan).
 */
#define _GNU_SOURCE		/* pipe2 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/conn.h"
#include "util/xbuf.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

struct rec {
	struct ev_loop *loop;
	struct xbuf lines;	/* lines joined with '|' */
	int nlines;
	int closed;
	char reason[128];
	int overflow;
	size_t reply;		/* bytes written per line */
	int pause_on;		/* pause when this line arrives */
	int bye_on;		/* "bye" + close_after_flush on this line */
	int write_rc;		/* last conn_write result */
	int stop_on_close;
	uint64_t closed_at;
	uint64_t resumed_at, line2_at;
	struct conn *c;
};

static void rec_line(struct conn *c, const char *line, size_t len)
{
	struct rec *r = conn_ctx(c);

	r->nlines++;
	if (r->nlines == 2)
		r->line2_at = ev_now_ms(r->loop);
	assert_int_equal(xbuf_append(&r->lines, line, len), 0);
	assert_int_equal(xbuf_append_char(&r->lines, '|'), 0);
	if (r->reply > 0) {
		char *p = malloc(r->reply);

		memset(p, 'r', r->reply);
		p[r->reply - 1] = '\n';
		r->write_rc = conn_write(c, p, r->reply);
		free(p);
	}
	if (r->pause_on == r->nlines)
		conn_pause_input(c);
	if (r->bye_on == r->nlines) {
		assert_int_equal(conn_write(c, "bye\n", 4), 0);
		conn_close_after_flush(c, "said bye");
	}
}

static void rec_overflow(struct conn *c)
{
	((struct rec *)conn_ctx(c))->overflow++;
}

static void rec_close(struct conn *c, const char *reason)
{
	struct rec *r = conn_ctx(c);

	r->closed++;
	r->closed_at = ev_now_ms(r->loop);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	if (r->stop_on_close)
		ev_stop(r->loop);
}

static const struct conn_ops rec_ops = { rec_line, rec_overflow, rec_close, NULL };

static void stop_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

/* run - the loop for ms milliseconds (or until a callback stops it) */
static void run(struct ev_loop *loop, uint64_t ms)
{
	uint64_t id = ev_timer_add(loop, ms, stop_cb, NULL);

	assert_int_equal(ev_run(loop), 0);
	ev_timer_cancel(loop, id);
}

static void rec_init(struct rec *r, struct ev_loop *loop)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->stop_on_close = 1;
	xbuf_init(&r->lines, 0);
}

/* finish - close if still open and let the deferred free run */
static void finish(struct rec *r)
{
	if (!r->closed && r->c != NULL) {
		conn_close(r->c, "test end");
		run(r->loop, 1);
	}
	assert_int_equal(r->closed, 1);
	xbuf_free(&r->lines);
}

/* --- CR handling, table -------------------------------------------------- */

struct cr_case {
	enum linebuf_cr mode;
	const char *in;
	const char *lines;
};

static void test_refcommon_conn_cr_modes(void **state)
{
	static const struct cr_case cases[] = {
		{ LINEBUF_CR_KEEP, "a\r\nb\n", "a\r|b|" },
		{ LINEBUF_CR_STRIP, "a\r\nb\n", "a|b|" },
		{ LINEBUF_CR_STRIP, "a\r\r\n", "a\r|" },
		{ LINEBUF_CR_STRIP, "\r\n\n", "||" },
		{ LINEBUF_CR_KEEP, "\r\n\n", "\r||" },
		{ LINEBUF_CR_STRIP, "a\rb\n", "a\rb|" },
		{ LINEBUF_CR_KEEP, "x\ty\n", "x\ty|" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conn_settings set = { 64, cases[i].mode, 0, 0, 0 };
		struct ev_loop *loop = ev_loop_create();
		struct rec r;
		int sv[2];

		rec_init(&r, loop);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
		assert_non_null(r.c);
		assert_int_equal(write(sv[1], cases[i].in, strlen(cases[i].in)),
				 (ssize_t)strlen(cases[i].in));
		shutdown(sv[1], SHUT_WR);
		run(loop, 2000);
		if (strcmp(xbuf_cstr(&r.lines), cases[i].lines) != 0)
			fail_msg("case %zu: lines \"%s\"", i, xbuf_cstr(&r.lines));
		finish(&r);
		close(sv[1]);
		ev_loop_destroy(&loop);
	}
}

/* NUL bytes are data: the handler gets the full length */
static void nul_line(struct conn *c, const char *line, size_t len)
{
	struct rec *r = conn_ctx(c);

	r->nlines++;
	assert_int_equal(len, 5);
	assert_memory_equal(line, "x\0y\0z", 5);
}

static void test_refcommon_conn_nul_bytes(void **state)
{
	static const struct conn_ops ops = { nul_line, rec_overflow, rec_close, NULL };
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];

	(void)state;
	rec_init(&r, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &ops, &r, "t");
	assert_int_equal(write(sv[1], "x\0y\0z\n", 6), 6);
	shutdown(sv[1], SHUT_WR);
	run(loop, 2000);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.reason, "EOF");
	finish(&r);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* --- the exact bound, one byte per write ----------------------------------- */

static void bound_case(size_t linelen, int want_overflow)
{
	const struct conn_settings set = { 16384, LINEBUF_CR_STRIP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	size_t i;
	char *line = malloc(linelen + 1);

	rec_init(&r, loop);
	memset(line, 'a', linelen);
	line[linelen] = '\n';
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	/* 256-byte writes, with the loop running in between */
	for (i = 0; i <= linelen; i += 256) {
		size_t n = linelen + 1 - i < 256 ? linelen + 1 - i : 256;

		if (r.closed)
			break;
		assert_int_equal(write(sv[1], line + i, n), (ssize_t)n);
		run(loop, 1);
	}
	if (!r.closed) {
		assert_int_equal(write(sv[1], "end\n", 4), 4);
		shutdown(sv[1], SHUT_WR);
		run(loop, 2000);
	}
	if (want_overflow) {
		assert_int_equal(r.overflow, 1);
		assert_int_equal(r.nlines, 0);
		assert_string_equal(r.reason, "line too long");
	} else {
		assert_int_equal(r.overflow, 0);
		assert_int_equal(r.nlines, 2);
		assert_int_equal(r.lines.len, linelen + 1 + 4);
		assert_string_equal(r.reason, "EOF");
	}
	finish(&r);
	close(sv[1]);
	free(line);
	ev_loop_destroy(&loop);
}

static void test_refcommon_conn_bound(void **state)
{
	(void)state;
	bound_case(16383, 0);	/* 16383 bytes + LF = 16384: fits */
	bound_case(16384, 1);	/* one more: over */
	bound_case(100000, 1);
}

/* --- block mode: the owner takes what it wants of the pending input ------- */

/* blk_input - takes one "\n\n"-ended block per call (or one byte with bytewise) */
static size_t blk_input(struct conn *c, char *buf, size_t len)
{
	struct rec *r = conn_ctx(c);
	const char *end;
	size_t n;

	if (r->pause_on == -1) {	/* bytewise */
		assert_int_equal(xbuf_append(&r->lines, buf, 1), 0);
		return 1;
	}
	for (end = buf; (end = memchr(end, '\n', len - (size_t)(end - buf))) != NULL; end++)
		if ((size_t)(end - buf) + 1 < len && end[1] == '\n')
			break;
	if (end == NULL)
		return 0;
	n = (size_t)(end - buf) + 2;
	buf[0] = '#';		/* the owner may write into what it consumes */
	r->nlines++;
	assert_int_equal(xbuf_append(&r->lines, buf, n - 2), 0);
	assert_int_equal(xbuf_append_char(&r->lines, '|'), 0);
	return n;
}

static const struct conn_ops blk_ops = { NULL, rec_overflow, rec_close, blk_input };

/* blk_run - chunks written with a loop iteration between them, then EOF */
static void blk_run(struct rec *r, size_t bound, int bytewise, const char *const *chunks,
		    size_t n)
{
	const struct conn_settings set = { bound, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	int sv[2];
	size_t i;

	rec_init(r, loop);
	r->pause_on = bytewise ? -1 : 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r->c = conn_create(loop, sv[0], sv[0], &set, &blk_ops, r, "t");
	assert_non_null(r->c);
	for (i = 0; i < n && !r->closed; i++) {
		assert_int_equal(write(sv[1], chunks[i], strlen(chunks[i])),
				 (ssize_t)strlen(chunks[i]));
		run(loop, 5);
	}
	shutdown(sv[1], SHUT_WR);
	if (!r->closed)
		run(loop, 2000);
	assert_int_equal(r->closed, 1);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

static void test_refcommon_conn_blocks(void **state)
{
	const char *split[] = { "a=1\nb", "=2\n", "\nc=3\n\nd=4\n\ne=5\r\n\n", "tail\nx" };
	const char *exact[] = { "0123456789abc\n\n" };		/* 15 bytes: bound 15 */
	const char *over[] = { "0123456789abcde", "f\n\n" };	/* 16 pending at bound 16 */
	const char *lines[] = { "u=1\nv=2\n" };
	struct rec r;

	(void)state;
	/* split, pipelined, CR as data; EOF counts the bytes after the last LF */
	blk_run(&r, 64, 0, split, 4);
	assert_string_equal(xbuf_cstr(&r.lines), "#=1\nb=2|#=3|#=4|#=5\r|");
	assert_string_equal(r.reason, "EOF inside a line (1 bytes pending)");
	assert_int_equal(r.overflow, 0);
	xbuf_free(&r.lines);
	/* complete lines but no block at EOF: nothing partial */
	blk_run(&r, 64, 0, lines, 1);
	assert_string_equal(r.reason, "EOF");
	assert_int_equal(r.nlines, 0);
	xbuf_free(&r.lines);
	/* the bound: a block of exactly bound bytes is taken, bound pending untaken is over */
	blk_run(&r, 15, 0, exact, 1);
	assert_string_equal(xbuf_cstr(&r.lines), "#123456789abc|");
	assert_int_equal(r.overflow, 0);
	xbuf_free(&r.lines);
	blk_run(&r, 16, 0, over, 2);
	assert_int_equal(r.overflow, 1);
	assert_string_equal(r.reason, "line too long");
	assert_int_equal(r.nlines, 0);
	xbuf_free(&r.lines);
	/* an owner that takes one byte per call gets every byte once, in order */
	blk_run(&r, 8, 1, split, 4);
	assert_string_equal(xbuf_cstr(&r.lines), "a=1\nb=2\n\nc=3\n\nd=4\n\ne=5\r\n\ntail\nx");
	assert_string_equal(r.reason, "EOF");
	xbuf_free(&r.lines);
}

/* --- spawn mode: stdin and stdout are two pipes ----------------------------- */

static void test_refcommon_conn_spawn_pipes(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int in[2], out[2];
	char buf[256];
	ssize_t n;

	(void)state;
	rec_init(&r, loop);
	r.reply = 3;		/* "rr\n" per line */
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	r.c = conn_create(loop, in[0], out[1], &set, &rec_ops, &r, "spawn");
	assert_non_null(r.c);
	assert_string_equal(conn_peer(r.c), "spawn");
	assert_int_equal(write(in[1], "one\ntwo\n", 8), 8);
	run(loop, 20);
	n = read(out[0], buf, sizeof(buf) - 1);
	assert_int_equal(n, 6);
	buf[n] = '\0';
	assert_string_equal(buf, "rr\nrr\n");
	close(in[1]);
	run(loop, 2000);
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "EOF");
	assert_string_equal(xbuf_cstr(&r.lines), "one|two|");
	/* both fds were closed by the connection: the reader sees EOF */
	assert_int_equal(read(out[0], buf, sizeof(buf)), 0);
	close(out[0]);
	xbuf_free(&r.lines);
	ev_loop_destroy(&loop);
}

/* --- pause in a handler, resume from a timer ------------------------------- */

static void resume_cb(struct ev_loop *loop, void *ctx)
{
	struct rec *r = ctx;

	r->resumed_at = ev_now_ms(loop);
	conn_resume_input(r->c);
}

static void test_refcommon_conn_pause_resume(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];

	(void)state;
	rec_init(&r, loop);
	r.pause_on = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	/* three pipelined lines in one segment, then EOF */
	assert_int_equal(write(sv[1], "a\nb\nc\n", 6), 6);
	shutdown(sv[1], SHUT_WR);
	run(loop, 30);
	assert_int_equal(r.nlines, 1);	/* paused after the first */
	assert_int_equal(r.closed, 0);	/* EOF not seen while paused */
	ev_timer_add(loop, 10, resume_cb, &r);
	run(loop, 2000);
	assert_string_equal(xbuf_cstr(&r.lines), "a|b|c|");
	assert_true(r.line2_at >= r.resumed_at);
	assert_string_equal(r.reason, "EOF");
	finish(&r);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* --- output throttling ------------------------------------------------------ */

static void test_refcommon_conn_throttle(void **state)
{
	/* every line gets 4,000 bytes back; reading stops above 8,000 queued */
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 8000, 1 << 20, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2], i, small = 4096;
	size_t got = 0;
	char buf[65536];

	(void)state;
	rec_init(&r, loop);
	r.reply = 4000;
	r.stop_on_close = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	for (i = 0; i < 200; i++)
		assert_int_equal(write(sv[1], "q\n", 2), 2);
	/* the peer does not read: the server must stop taking lines */
	run(loop, 50);
	assert_true(r.nlines > 0);
	assert_true(r.nlines < 200);
	assert_int_equal(r.write_rc, 0);
	{
		int before = r.nlines;

		run(loop, 50);
		assert_int_equal(r.nlines, before);	/* still stalled, no progress */
	}
	/* now read everything: all 200 lines get their 4,000 bytes */
	for (i = 0; i < 2000 && got < 200u * 4000u; i++) {
		ssize_t n;

		run(loop, 2);
		while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			got += (size_t)n;
	}
	assert_int_equal(r.nlines, 200);
	assert_int_equal(got, 200u * 4000u);
	assert_int_equal(r.closed, 0);
	finish(&r);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* the hard bound: conn_write refuses and queues nothing */
static void test_refcommon_conn_out_max(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 100, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	char big[101];
	char buf[256];

	(void)state;
	rec_init(&r, loop);
	memset(big, 'x', sizeof(big));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	assert_int_equal(conn_write(r.c, big, 101), -1);
	assert_int_equal(conn_write(r.c, big, 60), 0);
	assert_int_equal(conn_write(r.c, big, 41), -1);	/* 101 queued */
	assert_int_equal(conn_write(r.c, big, 40), 0);	/* exactly 100 */
	run(loop, 10);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 100);
	finish(&r);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* conn_count_output: a shared counter follows two queues as they fill, drain and close */
static void test_refcommon_conn_count_output(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 4096, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r1, r2;
	int a[2], b[2];
	size_t total = 0;
	char buf[256];

	(void)state;
	rec_init(&r1, loop);
	rec_init(&r2, loop);
	r2.stop_on_close = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	r1.c = conn_create(loop, a[0], a[0], &set, &rec_ops, &r1, "a");
	r2.c = conn_create(loop, b[0], b[0], &set, &rec_ops, &r2, "b");
	assert_int_equal(conn_write(r1.c, "x", 1), 0);	/* queued before counting: counted */
	conn_count_output(r1.c, &total);
	conn_count_output(r2.c, &total);
	assert_int_equal(total, 1);
	assert_int_equal(conn_write(r1.c, "0123456789", 10), 0);
	assert_int_equal(conn_printf(r2.c, "%s", "abcdef"), 0);
	assert_int_equal(xbuf_append(conn_outbuf(r2.c), "ghi", 3), 0);	/* then flush_later */
	assert_int_equal(conn_flush_later(r2.c), 0);
	assert_int_equal(total, 11 + 9);
	assert_int_equal(conn_output_queued(r1.c), 11);
	conn_close(r2.c, "gone");	/* its queue leaves the count at once */
	assert_int_equal(conn_output_queued(r2.c), 0);
	assert_int_equal(total, 11);
	run(loop, 10);			/* r1's queue is written */
	assert_int_equal(recv(a[1], buf, sizeof(buf), MSG_DONTWAIT), 11);
	assert_int_equal(total, 0);
	assert_int_equal(r2.closed, 1);
	finish(&r1);
	xbuf_free(&r2.lines);
	close(a[1]);
	close(b[1]);
	ev_loop_destroy(&loop);
}

/* conn_printf: formatted, bounded all or nothing, refused once closing */
static void test_refcommon_conn_printf(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 16, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	char buf[64];
	ssize_t n;

	(void)state;
	rec_init(&r, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	assert_int_equal(conn_printf(r.c, "OK\t%u\t%s\n", 42u, "user=abc"), 0);	/* 15 bytes */
	assert_int_equal(conn_printf(r.c, "%s", "xy"), -1);	/* 17 > 16 */
	assert_int_equal(conn_printf(r.c, "%c", 'z'), 0);	/* exactly 16 */
	run(loop, 10);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 16);
	assert_memory_equal(buf, "OK\t42\tuser=abc\nz", 16);
	conn_close(r.c, "done");
	assert_int_equal(conn_printf(r.c, "late\n"), -1);
	assert_int_equal(conn_write(r.c, "late\n", 5), -1);
	run(loop, 10);
	assert_int_equal(r.closed, 1);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 0);	/* nothing late, EOF */
	xbuf_free(&r.lines);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* --- close after flush -------------------------------------------------------- */

static void test_refcommon_conn_close_after_flush(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	char buf[64];
	ssize_t n;

	(void)state;
	rec_init(&r, loop);
	r.bye_on = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	assert_int_equal(write(sv[1], "quit\nmore\n", 10), 10);
	run(loop, 2000);
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "said bye");
	assert_int_equal(r.nlines, 1);	/* "more" was not delivered */
	n = recv(sv[1], buf, sizeof(buf), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "bye\n", 4);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 0);	/* then EOF */
	xbuf_free(&r.lines);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* --- idle timeout ---------------------------------------------------------------- */

static void poke_cb(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	assert_int_equal(write(*(int *)ctx, "x\n", 2), 2);
}

static void test_refcommon_conn_idle(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 400 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	uint64_t t0;

	(void)state;
	/* silent peer: closed after 400 ms */
	rec_init(&r, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t0 = ev_now_ms(loop);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	run(loop, 2000);
	assert_string_equal(r.reason, "idle timeout");
	assert_true(r.closed_at - t0 >= 400);
	assert_true(r.closed_at - t0 < 1900);
	xbuf_free(&r.lines);
	close(sv[1]);

	/*
	 * input at 50 ms moves the deadline to 450 ms (wide margins: on a
	 * loaded machine a short idle timer and the poke can expire in the
	 * same loop iteration, before the poke's bytes are read)
	 */
	rec_init(&r, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	run(loop, 1);
	t0 = ev_now_ms(loop);
	r.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r, "t");
	ev_timer_add(loop, 50, poke_cb, &sv[1]);
	run(loop, 2000);
	assert_string_equal(r.reason, "idle timeout");
	assert_int_equal(r.nlines, 1);
	assert_true(r.closed_at - t0 >= 450);
	xbuf_free(&r.lines);
	close(sv[1]);
	ev_loop_destroy(&loop);
}

/* --- the peer went away: a write error, not a signal -------------------------- */

static void test_refcommon_conn_peer_gone(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r;
	int sv[2];
	struct sigaction sa, old;

	(void)state;
	/* SIGPIPE at its default action: a send without MSG_NOSIGNAL would kill us */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, &old);
	rec_init(&r, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* spawn style: the same socket as two different fds */
	r.c = conn_create(loop, sv[0], dup(sv[0]), &set, &rec_ops, &r, "t");
	conn_pause_input(r.c);	/* so that the write, not the EOF, notices */
	close(sv[1]);
	assert_int_equal(conn_write(r.c, "late\n", 5), 0);
	run(loop, 2000);
	assert_int_equal(r.closed, 1);
	assert_string_equal(r.reason, "write: Broken pipe");
	sigaction(SIGPIPE, &old, NULL);
	xbuf_free(&r.lines);
	ev_loop_destroy(&loop);
}

/* --- no spinning on a hangup nobody is watching for ------------------------ */

static long cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/* a paused connection whose peer is gone, and a spawn connection whose
 * stdout reader is gone while nothing is queued: epoll reports HUP/ERR
 * whatever the interest, so the loop must not keep the fd registered */
static void test_refcommon_conn_no_hup_spin(void **state)
{
	const struct conn_settings set = { 64, LINEBUF_CR_KEEP, 0, 0, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct rec r1, r2;
	int sv[2], in[2], out[2];
	long c0, used;

	(void)state;
	rec_init(&r1, loop);
	rec_init(&r2, loop);
	r1.stop_on_close = r2.stop_on_close = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r1.c = conn_create(loop, sv[0], sv[0], &set, &rec_ops, &r1, "paused");
	conn_pause_input(r1.c);
	close(sv[1]);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	r2.c = conn_create(loop, in[0], out[1], &set, &rec_ops, &r2, "spawn");
	close(out[0]);
	c0 = cpu_ms();
	run(loop, 300);
	used = cpu_ms() - c0;
	if (used > 30)
		fail_msg("%ld ms of CPU in 300 ms with nothing to do", used);
	assert_int_equal(r1.closed, 0);
	/* resuming notices the EOF */
	conn_resume_input(r1.c);
	run(loop, 100);
	assert_int_equal(r1.closed, 1);
	assert_string_equal(r1.reason, "EOF");
	/* a write notices the gone reader */
	assert_int_equal(conn_write(r2.c, "x\n", 2), 0);
	run(loop, 100);
	assert_int_equal(r2.closed, 1);
	assert_string_equal(r2.reason, "write: Broken pipe");
	close(in[1]);
	xbuf_free(&r1.lines);
	xbuf_free(&r2.lines);
	ev_loop_destroy(&loop);
}

/* --- random streams in random pieces against a reference splitter --------- */

struct model {
	struct xbuf out;	/* each line as "<len>:<bytes>;" */
	int overflow;
	char reason[128];
	int closed;
};

static void model_append(struct xbuf *b, const char *p, size_t len)
{
	assert_int_equal(xbuf_printf(b, "%zu:", len), 0);
	assert_int_equal(xbuf_append(b, p, len), 0);
	assert_int_equal(xbuf_append_char(b, ';'), 0);
}

/* model_run - what the connection must deliver for stream s */
static void model_run(struct model *m, const char *s, size_t n, size_t max, enum linebuf_cr cr)
{
	size_t pos = 0;

	while (pos < n) {
		const char *lf = memchr(s + pos, '\n', n - pos);
		size_t len;

		if (lf == NULL) {
			if (n - pos >= max) {
				m->overflow = 1;
				snprintf(m->reason, sizeof(m->reason), "line too long");
			} else {
				snprintf(m->reason, sizeof(m->reason),
					 "EOF inside a line (%zu bytes pending)", n - pos);
			}
			return;
		}
		len = (size_t)(lf - (s + pos));
		if (len >= max) {
			m->overflow = 1;
			snprintf(m->reason, sizeof(m->reason), "line too long");
			return;
		}
		model_append(&m->out, s + pos, cr == LINEBUF_CR_STRIP && len > 0 &&
			     s[pos + len - 1] == '\r' ? len - 1 : len);
		pos += len + 1;
	}
	snprintf(m->reason, sizeof(m->reason), "EOF");
}

static void mod_line(struct conn *c, const char *line, size_t len)
{
	model_append(&((struct model *)conn_ctx(c))->out, line, len);
}

static void mod_overflow(struct conn *c)
{
	((struct model *)conn_ctx(c))->overflow++;
}

static void mod_close(struct conn *c, const char *reason)
{
	struct model *m = conn_ctx(c);

	m->closed++;
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
}

static void test_refcommon_conn_random_streams(void **state)
{
	static const struct conn_ops ops = { mod_line, mod_overflow, mod_close, NULL };
	static const char alphabet[] = "aaaaaaab\r\n\n\t";
	struct ev_loop *loop = ev_loop_create();
	char stream[4096];
	int iter;

	(void)state;
	srand(4242);
	for (iter = 0; iter < 300; iter++) {
		struct conn_settings set = { 0, LINEBUF_CR_KEEP, 0, 0, 0 };
		size_t n = (size_t)(rand() % (int)sizeof(stream)), i, pos;
		struct model want, got;
		int sv[2], k;

		set.max_line = 2 + (size_t)(rand() % 80);
		set.cr = rand() % 2 ? LINEBUF_CR_STRIP : LINEBUF_CR_KEEP;
		for (i = 0; i < n; i++)
			stream[i] = rand() % 50 == 0 ? '\0' : alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		memset(&want, 0, sizeof(want));
		memset(&got, 0, sizeof(got));
		xbuf_init(&want.out, 0);
		xbuf_init(&got.out, 0);
		model_run(&want, stream, n, set.max_line, set.cr);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_non_null(conn_create(loop, sv[0], sv[0], &set, &ops, &got, "t"));
		for (pos = 0; pos < n && !got.closed;) {
			size_t piece = 1 + (size_t)(rand() % 200);

			if (piece > n - pos)
				piece = n - pos;
			assert_int_equal(write(sv[1], stream + pos, piece), (ssize_t)piece);
			pos += piece;
			if (rand() % 3 == 0)
				run(loop, 0);
		}
		shutdown(sv[1], SHUT_WR);
		for (k = 0; k < 1000 && !got.closed; k++)
			run(loop, 1);
		assert_int_equal(got.closed, 1);
		if (got.out.len != want.out.len ||
		    (want.out.len > 0 && memcmp(got.out.data, want.out.data, want.out.len) != 0) ||
		    strcmp(got.reason, want.reason) != 0 || got.overflow != want.overflow)
			fail_msg("stream %d (%zu bytes, max %zu, %s): got %zu bytes of lines, \"%s\", "
				 "overflow %d; want %zu bytes, \"%s\", overflow %d", iter, n,
				 set.max_line, set.cr == LINEBUF_CR_STRIP ? "strip" : "keep",
				 got.out.len, got.reason, got.overflow, want.out.len, want.reason,
				 want.overflow);
		close(sv[1]);
		xbuf_free(&want.out);
		xbuf_free(&got.out);
	}
	ev_loop_destroy(&loop);
}

/* --- 1,000 connections at once ---------------------------------------------- */

#define NCONN 1000

struct many {
	struct ev_loop *loop;
	int lines, closed;
};

static void many_line(struct conn *c, const char *line, size_t len)
{
	struct many *m = conn_ctx(c);

	m->lines++;
	assert_int_equal(conn_write(c, line, len), 0);
	assert_int_equal(conn_write(c, "\n", 1), 0);
}

static void many_close(struct conn *c, const char *reason)
{
	struct many *m = conn_ctx(c);

	assert_string_equal(reason, "EOF");
	if (++m->closed == NCONN)
		ev_stop(m->loop);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_refcommon_conn_many(void **state)
{
	static const struct conn_ops ops = { many_line, NULL, many_close, NULL };
	const struct conn_settings set = { 16384, LINEBUF_CR_STRIP, 50 * 1024, 1 << 20, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct many m = { loop, 0, 0 };
	static int peer[NCONN];
	struct rlimit rl;
	long rss0, rss1;
	int i;
	char buf[64];

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * NCONN + 64) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * NCONN + 64)
			skip();
	}
	rss0 = rss_kib();
	for (i = 0; i < NCONN; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		peer[i] = sv[1];
		assert_non_null(conn_create(loop, sv[0], sv[0], &set, &ops, &m, "t"));
		assert_int_equal(write(sv[1], "hello\n", 6), 6);
	}
	for (i = 0; i < 500 && m.lines < NCONN; i++)
		run(loop, 10);
	assert_int_equal(m.lines, NCONN);
	/* every connection answered, and is now idle */
	for (i = 0; i < NCONN; i++) {
		assert_int_equal(recv(peer[i], buf, sizeof(buf), MSG_DONTWAIT), 6);
		assert_memory_equal(buf, "hello\n", 6);
	}
	rss1 = rss_kib();
	if (!UNDER_ASAN && rss0 > 0 && rss1 > 0) {
		long per = (rss1 - rss0) * 1024 / NCONN;

		print_message("resident memory per idle connection: %ld bytes\n", per);
		/* the 16 KiB line buffer is not kept while idle */
		assert_true(per < 4096);
	}
	for (i = 0; i < NCONN; i++)
		close(peer[i]);
	for (i = 0; i < 500 && m.closed < NCONN; i++)
		run(loop, 10);
	assert_int_equal(m.closed, NCONN);
	ev_loop_destroy(&loop);
}

/*
 * 200 connections readable in the same iteration (one batch when batched):
 * a second round of one request each allocates no line buffer
 */
#define NWARM 200

static void test_refcommon_conn_lb_reuse(void **state)
{
	static const struct conn_ops ops = { many_line, NULL, many_close, NULL };
	const struct conn_settings set = { 16384, LINEBUF_CR_STRIP, 50 * 1024, 1 << 20, 0 };
	struct ev_loop *loop = ev_loop_create();
	struct many m = { loop, 0, 0 };
	static int peer[NWARM];
	unsigned long warm = 0;
	int i, round;
	char buf[64];

	(void)state;
	for (i = 0; i < NWARM; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		peer[i] = sv[1];
		assert_non_null(conn_create(loop, sv[0], sv[0], &set, &ops, &m, "t"));
	}
	for (round = 1; round <= 2; round++) {
		for (i = 0; i < NWARM; i++)
			assert_int_equal(write(peer[i], "hello\n", 6), 6);
		for (i = 0; i < 500 && m.lines < round * NWARM; i++)
			run(loop, 10);
		assert_int_equal(m.lines, round * NWARM);
		for (i = 0; i < NWARM; i++)
			assert_int_equal(recv(peer[i], buf, sizeof(buf), MSG_DONTWAIT), 6);
		if (round == 1)
			warm = conn_lb_allocs();
	}
	assert_int_equal(conn_lb_allocs(), warm);
	m.closed = NCONN - NWARM;	/* many_close stops the loop at NCONN */
	for (i = 0; i < NWARM; i++)
		close(peer[i]);
	for (i = 0; i < 500 && m.closed < NCONN; i++)
		run(loop, 10);
	assert_int_equal(m.closed, NCONN);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_conn_cr_modes),
		cmocka_unit_test(test_refcommon_conn_nul_bytes),
		cmocka_unit_test(test_refcommon_conn_bound),
		cmocka_unit_test(test_refcommon_conn_blocks),
		cmocka_unit_test(test_refcommon_conn_spawn_pipes),
		cmocka_unit_test(test_refcommon_conn_pause_resume),
		cmocka_unit_test(test_refcommon_conn_throttle),
		cmocka_unit_test(test_refcommon_conn_out_max),
		cmocka_unit_test(test_refcommon_conn_printf),
		cmocka_unit_test(test_refcommon_conn_count_output),
		cmocka_unit_test(test_refcommon_conn_close_after_flush),
		cmocka_unit_test(test_refcommon_conn_idle),
		cmocka_unit_test(test_refcommon_conn_peer_gone),
		cmocka_unit_test(test_refcommon_conn_no_hup_spin),
		cmocka_unit_test(test_refcommon_conn_random_streams),
		cmocka_unit_test(test_refcommon_conn_many),
		cmocka_unit_test(test_refcommon_conn_lb_reuse),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("refcommon_conn", tests, NULL, NULL);
}
