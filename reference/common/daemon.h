/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	daemon - process set-up for the reference daemons
 * SYNOPSIS
 *	#include "reference/common/daemon.h"
 *
 *	int daemon_drop_privileges(const char *user, char *err, size_t errlen);
 *	int daemon_pidfile_open(const char *path, char *err, size_t errlen);
 *	void daemon_pidfile_remove(const char *path, int fd);
 *	int daemon_ignore_sigpipe(void);
 * DESCRIPTION
 *	daemon_drop_privileges() makes the process run as user (a name, or
 *	a decimal uid): supplementary groups from the group database
 *	(initgroups), then the user's primary gid, then the uid, and then
 *	checks that real and effective ids all changed and that uid 0
 *	cannot be regained. Asking for the user the process already runs
 *	as is not an error, so a daemon started without root may still
 *	say --user. Call it before the event loop starts its threads.
 *
 *	daemon_pidfile_open() creates or truncates path (mode 0644, no
 *	symlink followed), takes an exclusive lock on it (an fcntl(2)
 *	open-file-description lock, F_OFD_SETLK) and
 *	writes "PID\n". The returned fd holds the lock for the life of
 *	the process: a second daemon with the same pid file is refused
 *	while the first lives, and a file left by a dead one is reused.
 *	daemon_pidfile_remove() unlinks it and closes fd.
 *
 *	daemon_ignore_sigpipe() sets SIGPIPE to SIG_IGN: a write to a
 *	peer that went away returns EPIPE instead of killing the daemon.
 * DIAGNOSTICS
 *	-1 with a message in err: 'unknown user "x"',
 *	'initgroups(x): Operation not permitted', 'setuid(65534): ...',
 *	'privileges were not dropped', 'PATH: locked by process 123',
 *	'PATH: <errno text>'. daemon_pidfile_open returns the fd (>= 0).
 */
#ifndef REFERENCE_COMMON_DAEMON_H
#define REFERENCE_COMMON_DAEMON_H

#include <stddef.h>

int daemon_drop_privileges(const char *user, char *err, size_t errlen);
int daemon_pidfile_open(const char *path, char *err, size_t errlen);
void daemon_pidfile_remove(const char *path, int fd);
int daemon_ignore_sigpipe(void);

#endif
