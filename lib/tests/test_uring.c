/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_uring - batched sends and receives (io_uring)
 * DESCRIPTION
 *	Sends to several sockets in one batch arrive whole; a full socket
 *	gives -EAGAIN, a pipe -ENOTSOCK, a closed peer -EPIPE; receives
 *	give the bytes, -EAGAIN when nothing is there and 0 at end of
 *	file; batches larger than the ring are split. When io_uring_enter
 *	fails (a stand-in for it): after the kernel took part of a batch,
 *	the entries taken keep their results, the rest are -ECANCELED and
 *	never run later; a later chunk that fails keeps the earlier
 *	chunks' results. Where io_uring is not available the tests are
 *	skipped (and fail where the kernel should have offered it).
 */
#define _GNU_SOURCE		/* pipe2 */
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

#include "io/uring.h"
#include "tests/uring_fault.h"

static int have_uring;

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uring_send_recv),
		cmocka_unit_test(test_uring_enter_fails),
	};

	have_uring = uring_available();
	if (have_uring < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
