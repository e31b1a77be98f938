/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_daemon - privilege drop, pid file, SIGPIPE
 * DESCRIPTION
 *	Privileges are dropped in forked children (each is waited for by
 *	PID): by name and by number, with every id checked and uid 0 not
 *	regainable; the user one already is; an unknown user. The pid file
 *	holds the daemon's pid, is refused to a second process while the
 *	first holds it (naming the holder), is reused once released, never
 *	follows a symlink, and is removed.
 */
#define _GNU_SOURCE		/* getresuid */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reference/common/daemon.h"

/* in_child - run fn in a child, its exit status; the message it left in msg */
static int in_child(int (*fn)(const char *arg, char *msg, size_t len), const char *arg,
		    char *msg, size_t len)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[512] = "";
		int rc;

		close(p[0]);
		rc = fn(arg, buf, sizeof(buf));
		if (write(p[1], buf, strlen(buf)) < 0)
			_exit(99);
		_exit(rc);
	}
	close(p[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* child: drop to arg and report what the kernel says */
static int drop_child(const char *user, char *msg, size_t len)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	gid_t groups[64];
	int ng;

	if (daemon_drop_privileges(user, msg, len) < 0)
		return 1;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&gr, &ge, &gs) < 0)
		return 2;
	ng = getgroups(64, groups);
	snprintf(msg, len, "uid=%ld,%ld,%ld gid=%ld,%ld,%ld groups=%d root-again=%d",
		 (long)r, (long)e, (long)s, (long)gr, (long)ge, (long)gs, ng,
		 setuid(0) == 0);
	return 0;
}

static void test_refcommon_daemon_drop(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char msg[512], want[256];
	int rc;

	(void)state;
	if (pw == NULL)
		skip();
	rc = in_child(drop_child, "nobody", msg, sizeof(msg));
	if (geteuid() != 0) {
		assert_int_equal(rc, 1);
		assert_string_equal(msg, "initgroups(nobody): Operation not permitted");
		return;
	}
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want), "uid=%ld,%ld,%ld gid=%ld,%ld,%ld", (long)pw->pw_uid,
		 (long)pw->pw_uid, (long)pw->pw_uid, (long)pw->pw_gid, (long)pw->pw_gid,
		 (long)pw->pw_gid);
	assert_memory_equal(msg, want, strlen(want));
	assert_non_null(strstr(msg, "root-again=0"));
	/* root's supplementary groups are gone */
	assert_null(strstr(msg, "groups=0 "));
	/* by number */
	{
		char num[32];

		snprintf(num, sizeof(num), "%ld", (long)pw->pw_uid);
		assert_int_equal(in_child(drop_child, num, msg, sizeof(msg)), 0);
		assert_memory_equal(msg, want, strlen(want));
	}
}

static void test_refcommon_daemon_same_user(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	char msg[512];

	(void)state;
	assert_non_null(pw);
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		skip();
	/* already that user: nothing to do, not an error, even without root */
	assert_int_equal(in_child(drop_child, pw->pw_name, msg, sizeof(msg)), 0);
}

static void test_refcommon_daemon_unknown_user(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(daemon_drop_privileges("no-such-user-xq7", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown user \"no-such-user-xq7\"");
	assert_int_equal(daemon_drop_privileges("4294967294", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown user \"4294967294\"");
}

/* child: try to take the pid file, report */
static int pid_child(const char *path, char *msg, size_t len)
{
	int fd = daemon_pidfile_open(path, msg, len);

	if (fd < 0)
		return 1;
	snprintf(msg, len, "%ld", (long)getpid());
	daemon_pidfile_remove(path, fd);
	return 0;
}

static void test_refcommon_daemon_pidfile(void **state)
{
	char dir[] = "/tmp/refcommon-daemon.XXXXXX";
	char path[128], link[128], err[256], want[256], text[64];
	ssize_t n;
	int fd, tfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.pid", dir);
	fd = daemon_pidfile_open(path, err, sizeof(err));
	assert_true(fd >= 0);
	tfd = open(path, O_RDONLY);
	n = read(tfd, text, sizeof(text) - 1);
	close(tfd);
	assert_true(n > 0);
	text[n] = '\0';
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want);
	/* a second daemon is refused while we hold it */
	assert_int_equal(in_child(pid_child, path, err, sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s: locked by process %ld", path, (long)getpid());
	assert_string_equal(err, want);
	/* the refused attempt did not clobber our pid */
	tfd = open(path, O_RDONLY);
	n = read(tfd, text, sizeof(text) - 1);
	close(tfd);
	text[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(text, want);
	/* released without unlink (a crash): the file is reused */
	close(fd);
	assert_int_equal(in_child(pid_child, path, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), -1);	/* the child removed it */
	/* a symlink is not followed */
	snprintf(link, sizeof(link), "%s/l.pid", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(daemon_pidfile_open(link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", link, strerror(ELOOP));
	assert_string_equal(err, want);
	assert_int_equal(access(path, F_OK), -1);	/* nothing created behind it */
	unlink(link);
	/* no such directory */
	snprintf(link, sizeof(link), "%s/missing/x.pid", dir);
	assert_int_equal(daemon_pidfile_open(link, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", link);
	assert_string_equal(err, want);
	daemon_pidfile_remove(path, -1);	/* no fd: no-op */
	assert_int_equal(rmdir(dir), 0);
}

static void test_refcommon_daemon_sigpipe(void **state)
{
	struct sigaction old, now;
	int sv[2];

	(void)state;
	assert_int_equal(sigaction(SIGPIPE, NULL, &old), 0);
	assert_int_equal(daemon_ignore_sigpipe(), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(write(sv[0], "x", 1), -1);	/* alive, with EPIPE */
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	assert_int_equal(sigaction(SIGPIPE, NULL, &now), 0);
	assert_true(now.sa_handler == SIG_IGN);
	sigaction(SIGPIPE, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_daemon_drop),
		cmocka_unit_test(test_refcommon_daemon_same_user),
		cmocka_unit_test(test_refcommon_daemon_unknown_user),
		cmocka_unit_test(test_refcommon_daemon_pidfile),
		cmocka_unit_test(test_refcommon_daemon_sigpipe),
	};

	return cmocka_run_group_tests_name("refcommon_daemon", tests, NULL, NULL);
}
