/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	daemon - privilege drop, pid file, SIGPIPE
 * SYNOPSIS
 *	#include "reference/common/daemon.h"
 * DESCRIPTION
 *	See daemon.h. The user is looked up with getpwnam_r/getpwuid_r
 *	into a bounded buffer (64 KiB at most); a numeric user must exist
 *	in the password database too, for its groups.
 * DIAGNOSTICS
 *	See daemon.h.
 */
#define _GNU_SOURCE		/* initgroups */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "reference/common/daemon.h"
#include "util/strnum.h"

#define DAEMON_PWBUF_MAX	65536

/* daemon_err - format an error, return -1 */
static int daemon_err(char *err, size_t errlen, const char *what, const char *arg, int errnum)
{
	if (errnum != 0)
		snprintf(err, errlen, "%s(%s): %s", what, arg, strerror(errnum));
	else
		snprintf(err, errlen, "%s", what);
	return -1;
}

/* daemon_drop_privileges - become user for good */
int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	size_t buflen = 4096;
	char *buf = NULL;
	unsigned int num;
	char idtext[32];
	uid_t uid;
	gid_t gid;
	int rc;

	for (;;) {
		char *nbuf = realloc(buf, buflen);

		if (nbuf == NULL) {
			free(buf);
			return daemon_err(err, errlen, "getpwnam", user, ENOMEM);
		}
		buf = nbuf;
		if (str_to_uint(user, strlen(user), &num) == 0)
			rc = getpwuid_r((uid_t)num, &pw, buf, buflen, &res);
		else
			rc = getpwnam_r(user, &pw, buf, buflen, &res);
		if (rc != ERANGE || buflen >= DAEMON_PWBUF_MAX)
			break;
		buflen *= 2;
	}
	if (res == NULL) {
		free(buf);
		if (rc != 0 && rc != ENOENT && rc != ESRCH)
			return daemon_err(err, errlen, "getpwnam", user, rc);
		snprintf(err, errlen, "unknown user \"%s\"", user);
		return -1;
	}
	uid = pw.pw_uid;
	gid = pw.pw_gid;
	if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid) {
		free(buf);
		return 0;	/* already that user */
	}
	if (initgroups(pw.pw_name, gid) < 0) {
		rc = errno;
		daemon_err(err, errlen, "initgroups", pw.pw_name, rc);
		free(buf);
		return -1;
	}
	free(buf);
	snprintf(idtext, sizeof(idtext), "%ld", (long)gid);
	if (setgid(gid) < 0)
		return daemon_err(err, errlen, "setgid", idtext, errno);
	snprintf(idtext, sizeof(idtext), "%ld", (long)uid);
	if (setuid(uid) < 0)
		return daemon_err(err, errlen, "setuid", idtext, errno);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    (uid != 0 && setuid(0) == 0))
		return daemon_err(err, errlen, "privileges were not dropped", NULL, 0);
	return 0;
}

/* daemon_pidfile_open - create, lock and fill the pid file */
int daemon_pidfile_open(const char *path, char *err, size_t errlen)
{
	struct flock fl;
	char text[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/*
	 * An open-file-description lock: unlike a classic fcntl lock it is
	 * not lost when the process closes some other fd of the same file.
	 */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int e = errno;
		unsigned long holder;
		ssize_t got;

		if (e == EAGAIN || e == EACCES) {
			/* the holder wrote its pid; F_OFD_GETLK cannot tell it */
			got = pread(fd, text, sizeof(text) - 1, 0);
			text[got > 0 ? got : 0] = '\0';
			got = (ssize_t)strcspn(text, "\n");
			if (got > 0 && str_to_ulong(text, (size_t)got, &holder) == 0)
				snprintf(err, errlen, "%s: locked by process %lu", path, holder);
			else
				snprintf(err, errlen, "%s: locked by another process", path);
		} else {
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		}
		close(fd);
		return -1;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != (ssize_t)n) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* daemon_pidfile_remove - unlink and release */
void daemon_pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	(void)unlink(path);
	close(fd);
}

/* daemon_ignore_sigpipe - EPIPE instead of death */
int daemon_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPIPE, &sa, NULL);
}
