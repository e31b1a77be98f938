/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	version - the programs' version, as fixed at build time
 * SYNOPSIS
 *	#include "util/version.h"
 *
 *	const char *version_release(void);
 *	const char *version_commit(void);
 *	int version_asked(int argc, char **argv);
 *	int version_print(FILE *fp, const char *progname);
 * DESCRIPTION
 *	version_release() is the release (the top-level VERSION file),
 *	version_commit() the source's `git describe --always --dirty` at
 *	build time, or "unknown" when the build had no git repository.
 *	The Makefile passes both as -DSMTPDH_VERSION and -DSMTPDH_COMMIT.
 *
 *	version_asked() is true when "--version" is among argv[1..argc-1],
 *	before any "--". version_print() writes "progname RELEASE (commit
 *	COMMIT)" and a line feed. A program's main() answers --version with
 *
 *	  if (version_asked(argc, argv))
 *	          return version_print(stdout, "progname");
 * DIAGNOSTICS
 *	version_print: 0, or 2 when the text could not be written (an exit
 *	status either way).
 */
#ifndef LIB_UTIL_VERSION_H
#define LIB_UTIL_VERSION_H

#include <stdio.h>

const char *version_release(void);
const char *version_commit(void);
int version_asked(int argc, char **argv);
int version_print(FILE *fp, const char *progname);

#endif
