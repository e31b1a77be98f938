/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_conn_uring - line connections whose sends and
 *	receives go through io_uring batches
 * DESCRIPTION
 *	Many connections answered in one iteration get every byte, in
 *	order; when io_uring_enter fails (a stand-in for it, taking part
 *	of a batch or nothing) the connections send and read the rest
 *	themselves, every byte exactly once. (io_uring itself: lib/tests
 *	test_uring.)
 *	conn with conn_batch_sends(): every test of test_refcommon_conn.c
 *	runs again with batching switched on for each loop it creates
 *	(the file is included with ev_loop_create wrapped), so modes,
 *	bounds, throttling, partial writes, pipes (spawn mode), closes
 *	and 1,000 connections are checked on the batched paths too.
 *	Where io_uring is not available the batched tests are skipped and
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

#include "io/ev.h"
#include "io/uring.h"
#include "reference/common/conn.h"
#include "tests/uring_fault.h"

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

static const struct conn_ops echo_ops = { echo_line, NULL, echo_close, NULL };

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

/* the same with io_uring_enter failing: part taken, or nothing at all */
static void test_uring_conn_enter_fails(void **state)
{
	if (!have_uring)
		skip();
	uring_test_enter(enter_failing);
	fail_all = 1;
	test_uring_conn_many(state);
	fail_all = 0;
	fail_calls = 0;
	fail_take = 1;
	test_uring_conn_many(state);
	uring_test_enter(NULL);
	fail_take = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uring_conn_many),
		cmocka_unit_test(test_uring_conn_enter_fails),
	};
	int rc;

	have_uring = uring_available();
	if (have_uring < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rc |= conn_tests_main();
	(void)conn_batch_sends(NULL);
	return rc;
}
