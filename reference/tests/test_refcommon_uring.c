/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_uring - batched sends and receives (io_uring) and
 *	line connections that use them
 * DESCRIPTION
 *	uring: sends to several sockets in one batch arrive whole; a full
 *	socket gives -EAGAIN, a pipe -ENOTSOCK, a closed peer -EPIPE;
 *	receives give the bytes, -EAGAIN when nothing is there and 0 at
 *	end of file; batches larger than the ring are split. When
 *	io_uring_enter fails (a stand-in for it): after the kernel took
 *	part of a batch, the entries taken keep their results, the rest
 *	are -ECANCELED and never run later; a later chunk that fails keeps
 *	the earlier chunks' results; line connections then send and read
 *	the rest themselves, every byte exactly once.
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
#include <sys/syscall.h>
#include <sys/utsname.h>
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

/*
 * stand-ins for io_uring_enter: fail_take > 0 lets the kernel take that
 * many entries of the next call (and complete them) before failing it;
 * fail_after lets that many calls through first; fail_all fails every
 * call that would submit, taking nothing
 */
static int fail_take, fail_after, fail_all, fail_calls;

static long enter_failing(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	fail_calls++;
	if (to_submit == 0)
		return uring_sys_enter(fd, 0, min_complete, flags);
	if (fail_after > 0) {
		fail_after--;
		return uring_sys_enter(fd, to_submit, min_complete, flags);
	}
	if (fail_take > 0) {
		unsigned k = (unsigned)fail_take < to_submit ? (unsigned)fail_take : to_submit;

		fail_take = 0;
		if (uring_sys_enter(fd, k, k, flags) < 0)
			return -1;
		errno = ENOMEM;
		return -1;
	}
	if (fail_all) {
		errno = ENOMEM;
		return -1;
	}
	return uring_sys_enter(fd, to_submit, min_complete, flags);
}

/* every byte a peer has: exactly want, nothing more */
static void peer_has(int fd, const char *want)
{
	char got[256];
	ssize_t n = recv(fd, got, sizeof(got), MSG_DONTWAIT);

	if (want == NULL) {
		assert_int_equal(n, -1);
		assert_int_equal(errno, EAGAIN);
		return;
	}
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(got, want, strlen(want));
}

/* the first k of n sends went out whole, once; the rest are -ECANCELED, nothing sent */
static void first_sent(const struct uring_send *v, int (*sv)[2], size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i < k) {
			assert_int_equal(v[i].res, (ssize_t)v[i].len);
			peer_has(sv[i][1], v[i].buf);
		} else {
			assert_int_equal(v[i].res, -ECANCELED);
			peer_has(sv[i][1], NULL);
		}
	}
}

static void test_uring_enter_fails(void **state)
{
	enum { N = 20 };
	struct uring *u;
	int sv[N][2];
	struct uring_send v[N];
	char msg[N][32], again[N][32];
	size_t i;

	(void)state;
	if (!have_uring)
		skip();
	u = uring_create(8);	/* 20 sends: chunks of 8, 8 and 4 */
	assert_non_null(u);
	for (i = 0; i < N; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		nonblock(sv[i][0]);
		snprintf(msg[i], sizeof(msg[i]), "first %zu\n", i);
		snprintf(again[i], sizeof(again[i]), "second %zu\n", i);
	}
	/* the kernel takes 3 of the first chunk, then the call fails */
	uring_test_enter(enter_failing);
	fail_take = 3;
	for (i = 0; i < N; i++) {
		v[i].fd = sv[i][0];
		v[i].buf = msg[i];
		v[i].len = strlen(msg[i]);
	}
	errno = 0;
	assert_int_equal(uring_send_batch(u, N, v), -1);
	assert_int_equal(errno, ENOMEM);
	first_sent(v, sv, N, 3);
	/* the second chunk fails taking nothing: the first one's results stay */
	fail_after = 1;
	fail_all = 1;
	for (i = 0; i < N; i++)
		v[i].buf = again[i], v[i].len = strlen(again[i]);
	assert_int_equal(uring_send_batch(u, N, v), -1);
	first_sent(v, sv, N, 8);
	/* working again: each peer gets this batch once, no withdrawn entry runs */
	fail_all = 0;
	uring_test_enter(NULL);
	for (i = 0; i < N; i++)
		v[i].buf = msg[i], v[i].len = strlen(msg[i]);
	assert_int_equal(uring_send_batch(u, N, v), 0);
	first_sent(v, sv, N, N);
	/* receives: 2 taken, the rest -ECANCELED with their data still there */
	for (i = 0; i < 5; i++) {
		assert_int_equal(write(sv[i][1], "abc", 3), 3);
		v[i].buf = again[i];
		v[i].len = sizeof(again[i]);
	}
	uring_test_enter(enter_failing);
	fail_take = 2;
	assert_int_equal(uring_recv_batch(u, 5, v), -1);
	uring_test_enter(NULL);
	for (i = 0; i < 5; i++) {
		if (i < 2) {
			assert_int_equal(v[i].res, 3);
		} else {
			assert_int_equal(v[i].res, -ECANCELED);
			assert_int_equal(read(sv[i][0], again[i], sizeof(again[i])), 3);
		}
		assert_memory_equal(again[i], "abc", 3);
	}
	for (i = 0; i < N; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	uring_destroy(&u);
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

static const char *kernel_release(void)
{
	static struct utsname un;

	return uname(&un) == 0 ? un.release : "?";
}

/*
 * Linux 5.6 or later (IORING_OP_SEND and _RECV) where io_uring_setup(2)
 * itself works (no seccomp filter, not switched off): uring_create must
 * work too
 */
static int uring_expected(void)
{
	int major = 0, minor = 0;
	long fd = -1;

	if (sscanf(kernel_release(), "%d.%d", &major, &minor) != 2 ||
	    major < 5 || (major == 5 && minor < 6))
		return 0;
#ifdef __NR_io_uring_setup
	{
		unsigned char params[512];	/* struct io_uring_params and room */

		memset(params, 0, sizeof(params));
		fd = syscall(__NR_io_uring_setup, 8, params);
	}
#endif
	if (fd < 0)
		return 0;
	close((int)fd);
	return 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uring_send_recv),
		cmocka_unit_test(test_uring_conn_many),
		cmocka_unit_test(test_uring_enter_fails),
		cmocka_unit_test(test_uring_conn_enter_fails),
	};
	struct uring *u = uring_create(8);
	int rc;

	have_uring = u != NULL;
	uring_destroy(&u);
	if (!have_uring) {
		if (uring_expected()) {
			printf("io_uring refused on Linux %s where it should work\n", kernel_release());
			return 1;
		}
		printf("io_uring not available here: batched paths not tested\n");
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rc |= conn_tests_main();
	(void)conn_batch_sends(NULL);
	return rc;
}
