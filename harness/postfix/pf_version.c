/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_version - a Postfix version, parsed and compared
 * SYNOPSIS
 *	#include "harness/postfix/pf_version.h"
 * DESCRIPTION
 *	See pf_version.h for the grammar and the ordering. Pure functions:
 *	no allocation, no I/O.
 * DIAGNOSTICS
 *	pf_version_parse: -1 for text outside the grammar;
 *	pf_version_format: -1 when the buffer is too small.
 */
#include <stdio.h>
#include <string.h>

#include "harness/postfix/pf_version.h"

/* pf_version_parse - "3.7", "3.7.11", "3.12-20260710" */
int pf_version_parse(const char *s, struct pf_version *v_r)
{
	unsigned long n[3] = { 0, 0, 0 };
	int k = 0;
	const char *p = s;

	memset(v_r, 0, sizeof(*v_r));
	for (;;) {
		const char *start = p;
		unsigned long x = 0;

		while (*p >= '0' && *p <= '9' && p - start < 6)
			x = x * 10 + (unsigned long)(*p++ - '0');
		if (p == start)
			return -1;
		n[k++] = x;
		if (*p == '.' && k < 3) {
			p++;
			continue;
		}
		break;
	}
	if (k < 2)
		return -1;
	if (*p == '-') {
		const char *start = ++p;
		unsigned long x = 0;

		while (*p >= '0' && *p <= '9' && p - start < 8)
			x = x * 10 + (unsigned long)(*p++ - '0');
		if (p - start != 8)
			return -1;
		v_r->snapshot = x;
	}
	if (*p != '\0' || n[0] < 2 || n[0] > 9 || n[1] > 99)
		return -1;
	v_r->major = (unsigned)n[0];
	v_r->minor = (unsigned)n[1];
	v_r->patch = (unsigned)n[2];
	return 0;
}

/*
 * pf_version_cmp - compare with major.minor[-snapshot]: <0, 0, >0.
 * A stable release x.y (no snapshot) counts as later than every x.y
 * snapshot, which is how Postfix's development line works.
 */
int pf_version_cmp(const struct pf_version *a, unsigned major, unsigned minor,
		   unsigned long snapshot)
{
	unsigned long as = a->snapshot ? a->snapshot : 99999999UL;
	unsigned long bs = snapshot ? snapshot : 99999999UL;

	if (a->major != major)
		return a->major < major ? -1 : 1;
	if (a->minor != minor)
		return a->minor < minor ? -1 : 1;
	if (as != bs)
		return as < bs ? -1 : 1;
	return 0;
}

int pf_version_at_least(const struct pf_version *a, unsigned major, unsigned minor,
			unsigned long snapshot)
{
	return pf_version_cmp(a, major, minor, snapshot) >= 0;
}

/*
 * pf_version_has_fix - the change is in the development line from
 * fix's snapshot on, and in each listed stable x.y from its patch level.
 */
int pf_version_has_fix(const struct pf_version *a, const struct pf_version_fix *fix)
{
	size_t i;

	if (pf_version_cmp(a, fix->major, fix->minor, fix->snapshot) >= 0)
		return 1;
	if (a->snapshot != 0)
		return 0;
	for (i = 0; i < sizeof(fix->stable) / sizeof(fix->stable[0]) && fix->stable[i].major; i++) {
		if (fix->stable[i].major == a->major && fix->stable[i].minor == a->minor)
			return a->patch >= fix->stable[i].patch;
	}
	return 0;
}

/*
 * The stable lines and their newest patch level known here: the release
 * tags of Postfix's source history (2.1.6 ... 3.10.13), and 3.11.7, the
 * newest release the fidelity suite ran against (docs/fidelity.md).
 */
static const struct {
	unsigned major, minor, last;
} lines[] = {
	{ 2, 1, 6 }, { 2, 2, 12 }, { 2, 3, 19 }, { 2, 4, 16 }, { 2, 5, 17 }, { 2, 6, 19 },
	{ 2, 7, 16 }, { 2, 8, 20 }, { 2, 9, 15 }, { 2, 10, 10 }, { 2, 11, 11 }, { 3, 0, 15 },
	{ 3, 1, 15 }, { 3, 2, 22 }, { 3, 3, 22 }, { 3, 4, 29 }, { 3, 5, 27 }, { 3, 6, 20 },
	{ 3, 7, 22 }, { 3, 8, 20 }, { 3, 9, 14 }, { 3, 10, 13 }, { 3, 11, 7 },
};

#define SNAPSHOT_FIRST	20030101UL	/* before the first 2.1 snapshot */
#define SNAPSHOT_LAST	20260821UL	/* 3.12-20260821, the newest known */

/* snapshot_line - a development line's name: 2.1..2.12, 3.0..3.12 */
static int snapshot_line(unsigned major, unsigned minor)
{
	return (major == 2 && minor >= 1 && minor <= 12) || (major == 3 && minor <= 12);
}

int pf_version_known(const struct pf_version *v)
{
	size_t i;

	if (v->snapshot) {
		unsigned long m = v->snapshot / 100 % 100, d = v->snapshot % 100;

		return snapshot_line(v->major, v->minor) && v->patch == 0 &&
		    v->snapshot >= SNAPSHOT_FIRST && v->snapshot <= SNAPSHOT_LAST &&
		    m >= 1 && m <= 12 && d >= 1 && d <= 31;
	}
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (lines[i].major == v->major && lines[i].minor == v->minor)
			return v->patch <= lines[i].last;
	return 0;
}

int pf_version_known_list(char *buf, size_t size)
{
	size_t i, used = 0;
	int n;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		n = snprintf(buf + used, size - used, "%s%u.%u.0-%u.%u.%u", i ? ", " : "",
			     lines[i].major, lines[i].minor, lines[i].major, lines[i].minor,
			     lines[i].last);
		if (n < 0 || (size_t)n >= size - used)
			return -1;
		used += (size_t)n;
	}
	n = snprintf(buf + used, size - used, "; snapshots 2.1-YYYYMMDD to 2.12-YYYYMMDD and "
		     "3.0-YYYYMMDD to 3.12-YYYYMMDD, up to 3.12-%08lu", SNAPSHOT_LAST);
	if (n < 0 || (size_t)n >= size - used)
		return -1;
	return (int)(used + (size_t)n);
}

void pf_version_newest(struct pf_version *v_r)
{
	memset(v_r, 0, sizeof(*v_r));
	v_r->major = 3;
	v_r->minor = 11;
	v_r->patch = 7;
}

void pf_version_default(struct pf_version *v_r)
{
	memset(v_r, 0, sizeof(*v_r));
	v_r->major = 3;
	v_r->minor = 7;
	v_r->patch = 11;
}

int pf_version_format(const struct pf_version *v, char *buf, size_t size)
{
	int n;

	if (v->snapshot)
		n = snprintf(buf, size, "%u.%u-%08lu", v->major, v->minor, v->snapshot);
	else if (v->patch)
		n = snprintf(buf, size, "%u.%u.%u", v->major, v->minor, v->patch);
	else
		n = snprintf(buf, size, "%u.%u", v->major, v->minor);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}
