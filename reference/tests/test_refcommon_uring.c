/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_uring - batched sends and receives (io_uring) and
 *	line connections that use them
 * DESCRIPTION
 *	uring: sends to several sockets in one batch arrive whole; a full
 *	socket gives -EAGAIN, a pipe -ENOTSOCK, a closed peer -EPIPE;
 *	receives give the bytes, -EAGAIN when nothing is there and 0 at
 *	end of file; batches larger than the ring are split.
 *	conn with conn_batch_sends(): every test of test_refcommon_conn.c
 *	runs again with batching switched on for each loop it creates
 *	(the file is included with ev_loop_create wrapped), so modes,
 *	bounds, throttling, partial writes, pipes (spawn mode), closes
 *	and 1,000 connections are checked on the batched paths too.
 *	Where io_uring is not available the uring tests are skipped and
 *	the conn tests run unbatched.
 */
#define _GNU_SOURCE		/* pipe2, as the included file wants */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference/common/conn.h"
#include "reference/common/ev.h"
#include "reference/common/uring.h"

static int have_uring;

/* batched_loop_create - a loop whose connections batch their I/O */
static struct ev_loop *batched_loop_create(void)
{
	struct ev_loop *loop = ev_loop_create();

	(void)conn_batch_sends(NULL);	/* forget an earlier test's loop */
	if (loop != NULL && have_uring)
		assert_int_equal(conn_batch_sends(loop), 0);
	return loop;
}

int conn_tests_main(void);

#define ev_loop_create batched_loop_create
#define main conn_tests_main
#include "test_refcommon_conn.c"
#undef main
#undef ev_loop_create

static void nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

static void test_uring_send_recv(void **state)
{
	enum { N = 300 };	/* more than one ring of 256 */
	struct uring *u;
	int sv[N][2];
	static struct uring_send v[N];
	char msg[N][32], got[64];
	size_t i;

	(void)state;
	if (!have_uring)
		skip();
	u = uring_create(256);
	assert_non_null(u);
	for (i = 0; i < N; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		nonblock(sv[i][0]);
		nonblock(sv[i][1]);
		snprintf(msg[i], sizeof(msg[i]), "reply %zu\n", i);
		v[i].fd = sv[i][0];
		v[i].buf = msg[i];
		v[i].len = strlen(msg[i]);
	}
	assert_int_equal(uring_send_batch(u, N, v), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(v[i].res, (ssize_t)strlen(msg[i]));
		assert_int_equal(read(sv[i][1], got, sizeof(got)), (ssize_t)strlen(msg[i]));
		assert_memory_equal(got, msg[i], strlen(msg[i]));
	}
	/* receives: data, nothing yet, end of file */
	assert_int_equal(write(sv[0][1], "abc", 3), 3);
	close(sv[2][1]);
	for (i = 0; i < 3; i++) {
		v[i].fd = sv[i][0];
		v[i].buf = msg[i];
		v[i].len = sizeof(msg[i]);
	}
	assert_int_equal(uring_recv_batch(u, 3, v), 0);
	assert_int_equal(v[0].res, 3);
	assert_memory_equal(msg[0], "abc", 3);
	assert_int_equal(v[1].res, -EAGAIN);
	assert_int_equal(v[2].res, 0);
	/* a closed peer, a full socket, a pipe */
	{
		static char big[1 << 20];
		int p[2];
		ssize_t total = 0;

		assert_int_equal(pipe2(p, O_NONBLOCK), 0);
		v[0].fd = sv[2][0];
		v[0].buf = "x";
		v[0].len = 1;
		v[1].fd = p[1];
		v[1].buf = "x";
		v[1].len = 1;
		assert_int_equal(uring_send_batch(u, 2, v), 0);
		assert_int_equal(v[0].res, -EPIPE);
		assert_int_equal(v[1].res, -ENOTSOCK);
		for (;;) {
			v[0].fd = sv[3][0];
			v[0].buf = big;
			v[0].len = sizeof(big);
			assert_int_equal(uring_send_batch(u, 1, v), 0);
			if (v[0].res < 0)
				break;
			total += v[0].res;
			assert_true(total < 64 * (ssize_t)sizeof(big));
		}
		assert_int_equal(v[0].res, -EAGAIN);
		assert_true(total > 0);
		close(p[0]);
		close(p[1]);
	}
	for (i = 0; i < N; i++) {
		close(sv[i][0]);
		if (i != 2)
			close(sv[i][1]);
	}
	uring_destroy(&u);
	assert_null(u);
}

/* many connections answered in one iteration, in order, every byte */
struct echo {
	int lines;
};

static void echo_line(struct conn *c, const char *line, size_t len)
{
	struct echo *e = conn_ctx(c);

	e->lines++;
	assert_int_equal(conn_printf(c, "got %.*s\n", (int)len, line), 0);
}

static void echo_close(struct conn *c, const char *reason)
{
	(void)c;
	(void)reason;
}

static const struct conn_ops echo_ops = { echo_line, NULL, echo_close };

static void test_uring_conn_many(void **state)
{
	enum { N = 40, ROUNDS = 5 };
	struct ev_loop *loop = batched_loop_create();
	const struct conn_settings set = { 256, LINEBUF_CR_STRIP, 0, 0, 0 };
	struct echo e[N];
	int sv[N][2];
	size_t i;
	int round;

	(void)state;
	memset(e, 0, sizeof(e));
	for (i = 0; i < N; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		assert_non_null(conn_create(loop, sv[i][0], sv[i][0], &set, &echo_ops, &e[i], "t"));
	}
	for (round = 0; round < ROUNDS; round++) {
		char want[64], got[64];

		for (i = 0; i < N; i++) {
			char line[32];
			int n = snprintf(line, sizeof(line), "c%zu r%d\r\n", i, round);

			assert_int_equal(write(sv[i][1], line, (size_t)n), n);
		}
		for (i = 0; i < N; i++) {
			ssize_t n = 0;
			int spins = 0;

			snprintf(want, sizeof(want), "got c%zu r%d\n", i, round);
			while (n < (ssize_t)strlen(want)) {
				ssize_t k;

				assert_true(++spins < 100000);
				k = recv(sv[i][1], got + n, sizeof(got) - (size_t)n, MSG_DONTWAIT);
				if (k > 0)
					n += k;
				else
					run(loop, 1);
			}
			assert_int_equal(n, (ssize_t)strlen(want));
			assert_memory_equal(got, want, strlen(want));
		}
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(e[i].lines, ROUNDS);
		close(sv[i][1]);
	}
	run(loop, 20);	/* the EOFs: every connection closes and is freed */
	ev_loop_destroy(&loop);
	(void)conn_batch_sends(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uring_send_recv),
		cmocka_unit_test(test_uring_conn_many),
	};
	struct uring *u = uring_create(8);
	int rc;

	have_uring = u != NULL;
	uring_destroy(&u);
	if (!have_uring)
		printf("io_uring not available here: batched paths not tested\n");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rc |= conn_tests_main();
	(void)conn_batch_sends(NULL);
	return rc;
}
