/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	uring_fault - a failing io_uring_enter(2) for tests, and whether
 *	io_uring should work here
 * SYNOPSIS
 *	#include "tests/uring_fault.h"
 *
 *	static int fail_take, fail_after, fail_all, fail_calls;
 *	static long enter_failing(int fd, unsigned to_submit,
 *	                          unsigned min_complete, unsigned flags);
 *	static int uring_available(void);
 * DESCRIPTION
 *	For test programs only (each includes it once). enter_failing()
 *	stands in for io_uring_enter (uring_test_enter): fail_take > 0
 *	lets the kernel take that many entries of the next call (and
 *	complete them) before failing it with ENOMEM; fail_after lets that
 *	many calls through first; fail_all fails every call that would
 *	submit, taking nothing; fail_calls counts the calls.
 *
 *	uring_available() says whether uring_create() works here: 1 yes;
 *	0 no, and io_uring is not expected to (before Linux 5.6, which
 *	brought IORING_OP_SEND and _RECV, or io_uring_setup(2) itself
 *	refused: a seccomp filter, switched off); -1 no, where it should
 *	(a failure of the test program). It prints a line for 0 and -1.
 * DIAGNOSTICS
 *	enter_failing: what io_uring_enter returns, or -1 with errno.
 */
#ifndef LIB_TESTS_URING_FAULT_H
#define LIB_TESTS_URING_FAULT_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "io/uring.h"

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

static const char *kernel_release(void)
{
	static struct utsname un;

	return uname(&un) == 0 ? un.release : "?";
}

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

/* uring_available - 1 io_uring works, 0 it is not expected to, -1 it should and does not */
static int uring_available(void)
{
	struct uring *u = uring_create(8);
	int have = u != NULL;

	uring_destroy(&u);
	if (have)
		return 1;
	if (uring_expected()) {
		printf("io_uring refused on Linux %s where it should work\n", kernel_release());
		return -1;
	}
	printf("io_uring not available here: batched paths not tested\n");
	return 0;
}

#endif
