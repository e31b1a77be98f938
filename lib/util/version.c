/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	version - the programs' version, as fixed at build time
 * SYNOPSIS
 *	#include "util/version.h"
 * DESCRIPTION
 *	See version.h. Builds that do not pass SMTPDH_VERSION or
 *	SMTPDH_COMMIT (the fuzz targets) say "unknown".
 * DIAGNOSTICS
 *	See version.h.
 */
#include <stdio.h>
#include <string.h>

#include "util/version.h"

#ifndef SMTPDH_VERSION
#define SMTPDH_VERSION	"unknown"
#endif
#ifndef SMTPDH_COMMIT
#define SMTPDH_COMMIT	"unknown"
#endif

const char *version_release(void)
{
	return SMTPDH_VERSION;
}

const char *version_commit(void)
{
	return SMTPDH_COMMIT;
}

/* version_asked - "--version" among the options */
int version_asked(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i] != NULL; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--version") == 0)
			return 1;
	}
	return 0;
}

/* version_print - "progname RELEASE (commit COMMIT)" */
int version_print(FILE *fp, const char *progname)
{
	fprintf(fp, "%s %s (commit %s)\n", progname, version_release(), version_commit());
	return fflush(fp) == 0 && !ferror(fp) ? 0 : 2;
}
