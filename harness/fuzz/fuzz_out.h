/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_out - files in the fuzzer's directories, never over another
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_out.h"
 *
 *	int fuzz_dir_open(const char *path, char *err, size_t errlen);
 *	int fuzz_dir_create(int dfd, const char *name, const void *data,
 *	                    size_t len);
 *	int fuzz_dir_replace(int dfd, const char *name, const void *data,
 *	                     size_t len);
 * DESCRIPTION
 *	fuzz_dir_open() makes path a directory when nothing is there
 *	(mode 0777 less the umask) and opens it; a path that is there and
 *	is not a directory (a regular file, a dangling symbolic link) is
 *	refused. The descriptor names the directory for the whole run,
 *	whatever happens to path later.
 *
 *	fuzz_dir_create() creates name in that directory with
 *	O_CREAT|O_EXCL|O_NOFOLLOW (mode 0666 less the umask) and writes
 *	data: it never writes over a file that is there, nor through a
 *	symbolic link planted under that name (both are EEXIST).
 *
 *	fuzz_dir_replace() puts data in place of name, a file this run
 *	created: it is written to a fresh temporary name first and renamed
 *	over name, so a symbolic link put there since is replaced, not
 *	followed.
 * DIAGNOSTICS
 *	fuzz_dir_open: a descriptor, or -1 with the reason in err.
 *	fuzz_dir_create, fuzz_dir_replace: 0, or -1 with errno set (a
 *	partial file is removed).
 */
#ifndef HARNESS_FUZZ_FUZZ_OUT_H
#define HARNESS_FUZZ_FUZZ_OUT_H

#include <stddef.h>

int fuzz_dir_open(const char *path, char *err, size_t errlen);
int fuzz_dir_create(int dfd, const char *name, const void *data, size_t len);
int fuzz_dir_replace(int dfd, const char *name, const void *data, size_t len);

#endif
