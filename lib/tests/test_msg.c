/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_msg - unit tests for util/msg
 * DESCRIPTION
 *	Each message is one line "progname: [level: ]text" on stderr,
 *	captured here in a temporary file; debug messages obey the
 *	verbose level; over-long text is cut to the 2048-byte line;
 *	msg_fatal exits 2 and msg_panic aborts (both in child processes
 *	waited for by PID).
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

#include "util/msg.h"

struct capture {
	char path[64];
	int fd;
	int saved;
};

/* capture_start - send stderr to a fresh temporary file */
static void capture_start(struct capture *c)
{
	(void)snprintf(c->path, sizeof(c->path), "/tmp/test_msg.XXXXXX");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
}

/* capture_end - restore stderr, return what was written (malloc'd) */
static char *capture_end(struct capture *c, size_t *len_r)
{
	char *buf = malloc(8192);
	ssize_t n;

	assert_non_null(buf);
	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	n = pread(c->fd, buf, 8191, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	*len_r = (size_t)n;
	close(c->fd);
	unlink(c->path);
	return buf;
}

static void test_msg_levels(void **state)
{
	struct capture c;
	size_t len;
	char *out;

	(void)state;
	msg_init("prog");
	msg_set_verbose(1);
	assert_int_equal(msg_verbose(), 1);
	capture_start(&c);
	msg_info("hello %d", 42);
	msg_warn("careful: %s", "x");
	msg_error("--x: bad %s", "y");
	msg_debug(1, "shown");
	msg_debug(2, "hidden");
	out = capture_end(&c, &len);
	assert_string_equal(out, "prog: hello 42\n"
			    "prog: warning: careful: x\n"
			    "prog: --x: bad y\n"
			    "prog: debug: shown\n");
	free(out);
	msg_set_verbose(0);
}

static void test_msg_long_line(void **state)
{
	char *big = malloc(5001);
	struct capture c;
	size_t len;
	char *out;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	msg_init("p");
	capture_start(&c);
	msg_info("%s", big);
	out = capture_end(&c, &len);
	assert_int_equal(len, 2047);
	assert_memory_equal(out, "p: xxx", 6);
	assert_int_equal(out[2046], '\n');
	assert_null(memchr(out, '\n', 2046));
	free(out);
	/* a prefix that leaves no room on the line is dropped; the
	 * text stays. 2045 + ": " is 2047 bytes, the longest that
	 * would leave no room at all. */
	for (len = 2044; len <= 2100; len += 1) {
		size_t got;

		memset(big, 'p', len);
		big[len] = '\0';
		msg_init(big);
		capture_start(&c);
		msg_info("text");
		out = capture_end(&c, &got);
		assert_int_equal(out[got - 1], '\n');
		assert_true(got <= 2047);
		if (len >= 2045)
			assert_string_equal(out, "text\n");
		else
			assert_memory_equal(out + len, ": \n", 3);
		free(out);
	}
	msg_init("prog");
	free(big);
}

/* run_child - run fn in a child with stderr discarded; its status */
static int run_child(void (*fn)(void))
{
	struct rlimit rl = { 0, 0 };
	int status = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)setrlimit(RLIMIT_CORE, &rl);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void call_fatal(void)
{
	msg_fatal("cannot %s", "continue");
}

static void call_panic(void)
{
	msg_panic("bug %d", 1);
}

static void test_msg_fatal_panic(void **state)
{
	int status;

	(void)state;
	status = run_child(call_fatal);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	status = run_child(call_panic);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_levels),
		cmocka_unit_test(test_msg_long_line),
		cmocka_unit_test(test_msg_fatal_panic),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
