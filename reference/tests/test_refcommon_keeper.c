/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_keeper - unix sockets and the pid file removed after
 *	the server could no longer do it
 * DESCRIPTION
 *	keeper_finish() removes the sockets and the pid file (and the pid
 *	file's lock lasts until then); a path replaced meanwhile by
 *	another file is left alone; a server that dies without
 *	keeper_finish() (its process exits) still has its paths removed;
 *	the keeper holds no listening socket open (a connect after the
 *	server closed it is refused).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reference/common/daemon.h"
#include "reference/common/keeper.h"

struct fixture {
	char dir[32], sock[64], pid[64];
	int lfd, pid_fd;
};

/* bind_at - a listening unix socket at path */
static int bind_at(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/keeper.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/s.sock", f->dir);
	snprintf(f->pid, sizeof(f->pid), "%s/pid", f->dir);
	f->lfd = bind_at(f->sock);
	f->pid_fd = daemon_pidfile_open(f->pid, err, sizeof(err));
	assert_true(f->pid_fd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->lfd >= 0)
		close(f->lfd);
	if (f->pid_fd >= 0)
		close(f->pid_fd);
	(void)unlink(f->sock);
	(void)unlink(f->pid);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void test_keeper_removes(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { f->sock };
	struct keeper k;
	char err[256];

	assert_int_equal(keeper_start(paths, 1, f->pid, f->pid_fd, &k, err, sizeof(err)), 0);
	assert_true(k.pid > 0);
	close(f->lfd);
	f->lfd = -1;
	close(f->pid_fd);	/* the server's copy: the keeper's still holds the lock */
	f->pid_fd = -1;
	assert_true(daemon_pidfile_open(f->pid, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "locked by process"));
	assert_true(exists(f->sock) && exists(f->pid));
	keeper_finish(&k);
	assert_int_equal(k.pid, 0);
	assert_false(exists(f->sock));
	assert_false(exists(f->pid));
}

static void test_keeper_leaves_a_new_file(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { f->sock };
	struct keeper k;
	char err[256];

	assert_int_equal(keeper_start(paths, 1, NULL, -1, &k, err, sizeof(err)), 0);
	close(f->lfd);
	assert_int_equal(unlink(f->sock), 0);
	f->lfd = bind_at(f->sock);	/* another server's socket at the same path */
	keeper_finish(&k);
	assert_true(exists(f->sock));
	assert_true(exists(f->pid));	/* not given to the keeper */
}

static void test_keeper_after_a_death(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { f->sock };
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status, i;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct keeper k;
		char err[256];

		_exit(keeper_start(paths, 1, f->pid, f->pid_fd, &k, err, sizeof(err)) == 0 ?
		      0 : 1);	/* dies with its keeper waiting */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(f->pid_fd);
	f->pid_fd = -1;
	for (i = 0; i < 300 && (exists(f->sock) || exists(f->pid)); i++)
		nanosleep(&ts, NULL);
	assert_false(exists(f->sock));
	assert_false(exists(f->pid));
}

static void test_keeper_holds_no_listener(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { f->sock };
	struct sockaddr_un sun;
	struct keeper k;
	char err[256];
	int c;

	assert_int_equal(keeper_start(paths, 1, NULL, -1, &k, err, sizeof(err)), 0);
	close(f->lfd);
	f->lfd = -1;
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(c >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	assert_int_equal(connect(c, (struct sockaddr *)&sun, sizeof(sun)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(c);
	keeper_finish(&k);
	assert_false(exists(f->sock));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeper_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_leaves_a_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_after_a_death, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keeper_holds_no_listener, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
