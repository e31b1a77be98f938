/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_xmem - unit tests for util/xmem
 * DESCRIPTION
 *	Allocation results, copies and their terminating NUL, wiping, and
 *	the abort on an xcalloc size overflow (checked in a child process
 *	that the test waits for by PID).
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
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xmem.h"

static void test_xmem_alloc(void **state)
{
	unsigned char *p, *z;
	size_t i;

	(void)state;
	p = xmalloc(0);
	assert_non_null(p);
	free(p);
	z = xcalloc(16, 4);
	for (i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);
	z = xrealloc(z, 128);
	z[127] = 1;
	free(z);
	z = xcalloc(0, 0);
	assert_non_null(z);
	free(z);
	p = xrealloc(NULL, 0);
	assert_non_null(p);
	free(p);
}

static void test_xmem_copies(void **state)
{
	char *s;

	(void)state;
	s = xstrdup("hello");
	assert_string_equal(s, "hello");
	free(s);
	s = xstrndup("hello", 3);
	assert_string_equal(s, "hel");
	free(s);
	s = xstrndup("hi", 10);
	assert_string_equal(s, "hi");
	free(s);
	s = xstrndup("hi", 0);
	assert_string_equal(s, "");
	free(s);
	s = xmemdup("a\0b", 3);
	assert_memory_equal(s, "a\0b\0", 4);
	free(s);
	s = xmemdup(NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_xmem_wipe(void **state)
{
	char buf[8];

	(void)state;
	memcpy(buf, "secret!", 8);
	xmem_wipe(buf, 4);
	assert_memory_equal(buf, "\0\0\0\0et!", 8);
	xmem_wipe(buf, sizeof(buf));
	assert_memory_equal(buf, "\0\0\0\0\0\0\0\0", 8);
	xmem_wipe(NULL, 8);		/* allowed, does nothing */
}

static void test_xmem_xcalloc_overflow_aborts(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* no core file, no noise on stderr */
		struct rlimit rl = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &rl);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		(void)xcalloc((size_t)-1 / 2, 4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmem_alloc),
		cmocka_unit_test(test_xmem_copies),
		cmocka_unit_test(test_xmem_wipe),
		cmocka_unit_test(test_xmem_xcalloc_overflow_aborts),
	};

	return cmocka_run_group_tests_name("xmem", tests, NULL, NULL);
}
