/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	keeper - remove a server's unix sockets and pid file after it has
 *	given up the privileges to do so
 * SYNOPSIS
 *	See keeper.h.
 * DESCRIPTION
 *	The paths are copied into one array before fork(); the child keeps
 *	the pipe's read end as fd 3, the pid file's fd as fd 4 and the
 *	ready pipe's write end as fd 5, closes
 *	the rest (close_range(2), else one by one up to the descriptor
 *	limit), points 0, 1 and 2 at /dev/null, and holds each socket's
 *	inode with an O_PATH descriptor (the pid file's with fd 4): a file
 *	made at the path later cannot have the same inode number, so
 *	device and inode tell it apart. keeper_start() returns when the child has closed them
 *	(the end of a second pipe, whose write end goes with them), so
 *	that from then on no listening socket lives on in the keeper. The
 *	server may have threads: after fork() the child calls only
 *	async-signal-safe functions.
 * DIAGNOSTICS
 *	See keeper.h.
 */
#define _GNU_SOURCE		/* close_range */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reference/common/keeper.h"

struct kept {
	char path[KEEPER_PATH_MAX];
	int fd;			/* O_PATH, or the pid file's: the inode stays ours */
	dev_t dev;
	ino_t ino;
};

static struct kept kept[KEEPER_MAX];	/* the child's copy is its own */

/* keeper_close_from - close every fd from lo up */
static void keeper_close_from(unsigned lo)
{
	long max;
	unsigned fd;

	if (close_range(lo, ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1048576)
		max = 1048576;
	for (fd = lo; fd < (unsigned)max; fd++)
		(void)close((int)fd);
}

/* keeper_run - the child: wait for the server's end, then remove */
static void keeper_run(int rfd, int pid_fd, int ready, size_t n)
{
	int null = open("/dev/null", O_RDWR);
	struct sigaction sa;
	char buf[64];
	ssize_t got;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (null >= 0) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
	}
	/* the pipe at 3, the pid file at 4, ready at 5 (by way of fds above
	   all three), nothing else */
	rfd = fcntl(rfd, F_DUPFD, 10);
	pid_fd = pid_fd >= 0 ? fcntl(pid_fd, F_DUPFD, 10) : open("/dev/null", O_RDONLY);
	ready = fcntl(ready, F_DUPFD, 10);
	if (rfd < 0 || pid_fd < 0 || ready < 0 || dup2(rfd, 3) < 0 || dup2(pid_fd, 4) < 0 ||
	    dup2(ready, 5) < 0)
		_exit(1);
	keeper_close_from(6);
	/* hold each inode: its number cannot go to a file made later */
	for (i = 0; i < n; i++) {
		struct stat st;

		kept[i].fd = kept[i].fd == -2 ? 4 :
			     open(kept[i].path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (kept[i].fd >= 0 && fstat(kept[i].fd, &st) == 0) {
			kept[i].dev = st.st_dev;
			kept[i].ino = st.st_ino;
		} else {
			kept[i].fd = -1;
		}
	}
	close(5);		/* keeper_start() returns */
	do
		got = read(3, buf, sizeof(buf));
	while (got > 0 || (got < 0 && errno == EINTR));
	for (i = 0; i < n; i++) {
		struct stat st;

		if (kept[i].fd >= 0 && lstat(kept[i].path, &st) == 0 &&
		    st.st_dev == kept[i].dev && st.st_ino == kept[i].ino)
			(void)unlink(kept[i].path);
	}
	_exit(0);
}

/* keeper_note - path into kept[i] (fd -2: the pid file's fd): 0, or -1 */
static int keeper_note(size_t i, const char *path, int fd)
{
	if (strlen(path) >= KEEPER_PATH_MAX)
		return -1;
	snprintf(kept[i].path, sizeof(kept[i].path), "%s", path);
	kept[i].fd = fd;
	return 0;
}

int keeper_start(const char *const *paths, size_t n, const char *pid_path, int pid_fd,
		 struct keeper *k, char *err, size_t errlen)
{
	size_t i, m = 0;
	int p[2], ready[2];
	char c;
	pid_t pid;

	k->pid = 0;
	k->fd = -1;
	if (n + (pid_path != NULL) > KEEPER_MAX) {
		snprintf(err, errlen, "more than %d paths to keep", KEEPER_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (keeper_note(m, paths[i], -1) == 0)
			m++;
	if (pid_path != NULL && pid_fd >= 0 && keeper_note(m, pid_path, -2) == 0)
		m++;
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		close(ready[0]);
		keeper_run(p[0], pid_fd, ready[1], m);
	}
	close(p[0]);
	close(ready[1]);
	/* the end of ready: the keeper has closed every fd it inherited */
	while (read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	k->pid = pid;
	k->fd = p[1];
	return 0;
}

void keeper_finish(struct keeper *k)
{
	if (k->pid <= 0)
		return;
	close(k->fd);
	while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
		;
	k->pid = 0;
	k->fd = -1;
}
