/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_out - files in the fuzzer's directories, never over another
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_out.h"
 * DESCRIPTION
 *	See fuzz_out.h. openat(), renameat() and unlinkat() relative to the
 *	directory's descriptor; every descriptor is close-on-exec (spawned
 *	helpers inherit none).
 * DIAGNOSTICS
 *	errno is kept across the clean-up of a failed write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/fuzz/fuzz_out.h"

/* fuzz_dir_open - the directory, made when absent; anything else there is refused */
int fuzz_dir_open(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode) && !S_ISLNK(sb.st_mode))
			snprintf(err, errlen, "%s: exists and is not a directory", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	return fd;
}

/* write_all - data to fd; 0 or -1 */
static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fuzz_dir_create - a new file, never an old one, never through a link */
int fuzz_dir_create(int dfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	int e;

	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) == 0 && close(fd) == 0)
		return 0;
	e = errno;
	(void)close(fd);
	(void)unlinkat(dfd, name, 0);
	errno = e;
	return -1;
}

/* fuzz_dir_replace - data in place of a file of ours: a fresh file renamed over it */
int fuzz_dir_replace(int dfd, const char *name, const void *data, size_t len)
{
	char tmp[300];
	unsigned i;
	int e;

	for (i = 0; i < 100; i++) {
		snprintf(tmp, sizeof(tmp), ".%s.%ld.%u", name, (long)getpid(), i);
		if (fuzz_dir_create(dfd, tmp, data, len) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	if (i == 100)
		return -1;
	if (renameat(dfd, tmp, dfd, name) == 0)
		return 0;
	e = errno;
	(void)unlinkat(dfd, tmp, 0);
	errno = e;
	return -1;
}
