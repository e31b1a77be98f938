/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_version - a Postfix version, parsed and compared
 * SYNOPSIS
 *	#include "harness/postfix/pf_version.h"
 *
 *	int pf_version_parse(const char *s, struct pf_version *v_r);
 *	int pf_version_cmp(const struct pf_version *a, unsigned major,
 *	                   unsigned minor, unsigned long snapshot);
 *	int pf_version_at_least(const struct pf_version *a, unsigned major,
 *	                        unsigned minor, unsigned long snapshot);
 *	int pf_version_has_fix(const struct pf_version *a,
 *	                       const struct pf_version_fix *fix);
 *	void pf_version_default(struct pf_version *v_r);
 *	void pf_version_newest(struct pf_version *v_r);
 *	int pf_version_known(const struct pf_version *v);
 *	int pf_version_known_list(char *buf, size_t size);
 *	int pf_version_format(const struct pf_version *v, char *buf,
 *	                      size_t size);
 * DESCRIPTION
 *	Grammar: MAJOR "." MINOR ["." PATCH] ["-" YYYYMMDD], MAJOR 2..9,
 *	MINOR 0..99, PATCH up to 6 digits, the snapshot exactly 8 digits
 *	("3.7", "3.7.11", "3.12-20260710", "2.12-20140905").
 *
 *	pf_version_cmp() compares with major.minor[-snapshot] and returns
 *	<0, 0 or >0. The patch level is not compared; pf_version_has_fix()
 *	is the test for a change that stable patch levels also received. A
 *	release x.y (no snapshot) counts as later
 *	than every x.y snapshot, which is how Postfix's development line
 *	works: the code of "3.12-20260710" is in 3.12.0. Postfix names the
 *	snapshots that led to 3.0 "2.12-yyyymmdd"; pass them that way.
 *	pf_version_at_least() is pf_version_cmp() >= 0.
 *
 *	pf_version_has_fix() tells whether version a carries a change that
 *	entered the development line with snapshot fix->major.fix->minor-
 *	fix->snapshot (so every later x.y and snapshot has it) and was
 *	back-ported to the stable patch levels fix->stable[] (a list of
 *	{major, minor, patch}, ended by a zero major): a stable release
 *	(no snapshot) of a listed x.y has it from that patch level on. A
 *	version without a patch level ("3.7") is patch level 0, the x.y.0
 *	release.
 *
 *	pf_version_default() is 3.7.11, the version Debian 12 ships
 *	(and what feasibility.md 3a captured); the commands take the
 *	installed Postfix's version instead, or pf_version_newest(), the
 *	newest release the oracle was run against (3.11.7).
 *
 *	pf_version_known() tells whether v is a Postfix this oracle knows:
 *	a release x.y.z of a stable line from 2.1 (the first with policy
 *	delegation) to 3.11, up to the newest patch level known for that
 *	line ("3.7" is 3.7.0), or a development snapshot x.y-YYYYMMDD of a
 *	line from 2.1 to 2.12 (the snapshots before 3.0) or 3.0 to 3.12,
 *	dated from 2003 to the newest snapshot known (3.12-20260821).
 *	pf_version_known_list() writes that list for a message
 *	("2.1.0-2.1.6, 2.2.0-2.2.12, ...; snapshots ..."). pf_version_format() writes
 *	the version back in the grammar above ("3.7", "3.7.11",
 *	"3.12-20260710"; patch 0 is omitted).
 * DIAGNOSTICS
 *	pf_version_parse: 0, or -1 for anything outside the grammar.
 *	pf_version_format: the length written, or -1 if it does not fit.
 *	pf_version_known: 1 known, 0 not. pf_version_known_list: as
 *	pf_version_format.
 */
#ifndef HARNESS_POSTFIX_PF_VERSION_H
#define HARNESS_POSTFIX_PF_VERSION_H

#include <stddef.h>

struct pf_version {
	unsigned major, minor, patch;
	unsigned long snapshot;		/* yyyymmdd for snapshots, else 0 */
};

/* a change in the development line, and its stable back-ports */
struct pf_version_fix {
	unsigned major, minor;
	unsigned long snapshot;		/* the first snapshot with it */
	struct {
		unsigned major, minor, patch;
	} stable[8];			/* ended by major == 0 */
};

int pf_version_parse(const char *s, struct pf_version *v_r);
int pf_version_cmp(const struct pf_version *a, unsigned major, unsigned minor,
		   unsigned long snapshot);
int pf_version_at_least(const struct pf_version *a, unsigned major, unsigned minor,
			unsigned long snapshot);
int pf_version_has_fix(const struct pf_version *a, const struct pf_version_fix *fix);
void pf_version_default(struct pf_version *v_r);
int pf_version_format(const struct pf_version *v, char *buf, size_t size);
void pf_version_newest(struct pf_version *v_r);
int pf_version_known(const struct pf_version *v);
int pf_version_known_list(char *buf, size_t size);

#endif
