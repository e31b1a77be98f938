/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	keeper - remove a server's unix sockets and pid file after it has
 *	given up the privileges to do so
 * SYNOPSIS
 *	#include "reference/common/keeper.h"
 *
 *	int keeper_start(const char *const *paths, size_t n, const char *pid_path,
 *	                 int pid_fd, struct keeper *k, char *err, size_t errlen);
 *	void keeper_finish(struct keeper *k);
 * DESCRIPTION
 *	A server that binds its unix sockets as root and then runs as
 *	another user can no longer unlink them from a directory only root
 *	may write. keeper_start(), called after binding and before the
 *	privileges are dropped, forks a keeper that keeps them: it holds
 *	each path's inode (the pid file's through pid_fd, and with it the
 *	pid file's lock) and notes its device and number, closes every
 *	other descriptor (so that it holds no listening socket and no
 *	connection open), ignores SIGINT, SIGTERM and SIGHUP, and waits
 *	for the server to end: keeper_finish(), or the server's death of
 *	any kind (the end of a pipe). Then it unlinks each path that is
 *	still the file it noted, never a socket or pid file a later
 *	server put there, and exits; keeper_finish() waits for that. As
 *	Dovecot's master, which keeps root while its children drop it,
 *	removes the sockets at shutdown; the keeper does nothing else,
 *	and runs nothing but read(2), lstat(2), unlink(2), _exit(2)
 *	and open(2), fstat(2) and fcntl(2) on its own fds after fork().
 *
 *	pid_path NULL (pid_fd -1): no pid file. At most KEEPER_MAX paths,
 *	each shorter than KEEPER_PATH_MAX bytes.
 * DIAGNOSTICS
 *	keeper_start: 0, or -1 with the reason in err (pipe or fork
 *	failed, too many paths); nothing started then.
 */
#ifndef REFERENCE_COMMON_KEEPER_H
#define REFERENCE_COMMON_KEEPER_H

#include <stddef.h>
#include <sys/types.h>

#define KEEPER_MAX	17	/* the listeners and the pid file */
#define KEEPER_PATH_MAX	4096

struct keeper {
	pid_t pid;		/* 0: none */
	int fd;			/* the pipe's write end */
};

int keeper_start(const char *const *paths, size_t n, const char *pid_path, int pid_fd,
		 struct keeper *k, char *err, size_t errlen);
void keeper_finish(struct keeper *k);

#endif
