/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record_file - where a recording goes, and which upstreams look live
 * SYNOPSIS
 *	#include "harness/record/record_file.h"
 * DESCRIPTION
 *	See record_file.h. The file is written whole at each save
 *	(ftruncate, then pwrite from offset 0): a recording is rewritten
 *	after each connection.
 * DIAGNOSTICS
 *	Texts in err name the path and the system's reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/record/record_file.h"
#include "util/xmem.h"

/* record_file_open - refuse what is there unless forced; start in a private temporary */
int record_file_open(struct record_file *f, const char *path, int force, char *err,
		     size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (!force && lstat(path, &sb) == 0) {
		snprintf(err, errlen, "%s: exists (--force replaces it)", path);
		return -1;
	}
	if (path[dl] == '\0') {
		snprintf(err, errlen, "%s: not a file name", path);
		return -1;
	}
	f->tmp = xmalloc(dl + strlen(path + dl) + 9);
	snprintf(f->tmp, dl + strlen(path + dl) + 9, "%.*s.%s.XXXXXX", (int)dl, path, path + dl);
	f->fd = mkstemp(f->tmp);	/* mode 0600, O_EXCL */
	if (f->fd < 0) {
		snprintf(err, errlen, "%s: %s", f->tmp, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		return -1;
	}
	(void)fcntl(f->fd, F_SETFD, FD_CLOEXEC);
	f->path = xstrdup(path);
	f->force = force;
	return 0;
}

/* write_whole - data as the whole content of fd */
static int write_whole(int fd, const void *data, size_t len)
{
	const char *p = data;
	off_t off = 0;

	if (ftruncate(fd, 0) < 0)
		return -1;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* place_new - no hard links here: the name itself, created exclusively */
static int place_new(struct record_file *f, const void *data, size_t len)
{
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (write_whole(fd, data, len) < 0) {
		int e = errno;

		close(fd);
		(void)unlink(f->path);
		errno = e;
		return -1;
	}
	close(f->fd);
	f->fd = fd;
	return 0;
}

/* record_file_save - data as the whole file; the first save puts it in place */
int record_file_save(struct record_file *f, const void *data, size_t len, char *err,
		     size_t errlen)
{
	int rc;

	if (write_whole(f->fd, data, len) < 0) {
		snprintf(err, errlen, "%s: %s", f->placed ? f->path : f->tmp, strerror(errno));
		return -1;
	}
	if (f->placed)
		return 0;
	if (f->force) {
		rc = rename(f->tmp, f->path);
	} else if ((rc = link(f->tmp, f->path)) < 0 && errno != EEXIST) {
		rc = place_new(f, data, len);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", f->path, errno == EEXIST ?
			 "exists now (--force replaces it)" : strerror(errno));
		return -1;
	}
	if (!f->force)
		(void)unlink(f->tmp);	/* the name stays linked at path */
	free(f->tmp);
	f->tmp = NULL;
	f->placed = 1;
	return 0;
}

/* record_file_close - a recording never placed leaves nothing behind */
void record_file_close(struct record_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp != NULL)
		(void)unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* loopback - 127.0.0.0/8, ::1, localhost */
static int loopback(const char *host)
{
	unsigned char a[16];

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}

/* record_live_upstream - why this upstream looks like a live server, or NULL */
const char *record_live_upstream(const struct target *t)
{
	static const char *const dirs[] = {
		"/var/spool/postfix/", "/run/dovecot/", "/var/run/dovecot/", "/var/lib/dovecot/",
	};
	size_t i;

	if (t->kind == TARGET_INET && !loopback(t->host))
		return "inet: to an address that is not loopback";
	if (t->kind == TARGET_UNIX)
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (strncmp(t->path, dirs[i], strlen(dirs[i])) == 0)
				return "a socket where Postfix or Dovecot keep theirs";
	return NULL;
}
