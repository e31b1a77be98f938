/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks, for a terminal or for CI (TAP)
 * SYNOPSIS
 *	#include "harness/report/report.h"
 *
 *	void report_init(struct report *r, enum report_format f, FILE *out,
 *	                 int verbose);
 *	int report_format_parse(const char *s, enum report_format *f_r);
 *	void report_begin(struct report *r, const struct check_info *ci);
 *	void report_io(struct report *r, char dir, const char *p, size_t len);
 *	void report_note(struct report *r, const char *fmt, ...);
 *	void report_notice(struct report *r, const char *fmt, ...);
 *	void report_end(struct report *r, enum check_result res, const char *fmt, ...);
 *	int report_finish(struct report *r);
 *	const char *report_severity_name(enum check_severity s);
 * DESCRIPTION
 *	A check is reported with its id, title, severity and "why it
 *	matters"; the bytes sent (C:) and received (S:) during it, escaped
 *	so that TAB, CR and binary bytes are visible; notes such as what
 *	Postfix would answer; and the verdict with its reason. In the text
 *	format the wire log of a passing check is hidden unless verbose.
 *	TAP: "ok N - ID title" / "not ok N - ..." with the details as
 *	"# " comment lines, "# SKIP" for skipped checks, and the plan at the
 *	end. JUnit XML and JSON are written whole by report_finish() (one
 *	testsuite / one object with a "results" array); with them the
 *	summary line goes to stderr so that stdout stays parseable.
 *	A check that could not run because of the environment (target
 *	unreachable, helper cannot be started) ends with CHECK_ERROR.
 *	report_notice() is a note shown whatever the verdict, in every
 *	format ("note: ..."), and counted: something the helper did that
 *	Postfix cannot see, but a log would show.
 *	CHECK_BLOCKED is a check not run because a check it needs failed
 *	(its reason names that check): shown like a skip, without severity
 *	or advice, and counted apart. CHECK_UNEXERCISED is a check that ran
 *	but never met what it is about (no reply of the kind it judges):
 *	a skip whose reason starts "not exercised: ".
 *	report_finish() prints "N passed, N failed[, N blocked][, N skipped]
 *	[, N errors][, N notes]" and returns the number of failures (errors
 *	are in r->errors, failures by severity in r->failed_sev).
 * DIAGNOSTICS
 *	report_end() without a report_begin() is our bug: msg_panic().
 */
#ifndef HARNESS_REPORT_REPORT_H
#define HARNESS_REPORT_REPORT_H

#include <stdio.h>

#include "util/compiler.h"
#include "util/xbuf.h"

enum report_format {
	REPORT_TEXT,
	REPORT_TAP,
	REPORT_JUNIT,
	REPORT_JSON,
};

enum check_severity {
	SEV_BREAKS_POSTFIX,
	SEV_SECURITY,
	SEV_DIVERGES_DOVECOT,
	SEV_ADVISORY,
};

enum check_result {
	CHECK_PASS,
	CHECK_FAIL,
	CHECK_SKIP,
	CHECK_ERROR,
	CHECK_BLOCKED,		/* a check it needs failed: counted apart, no advice */
	CHECK_UNEXERCISED,	/* ran, but never met what it is about: a skip */
};

struct check_info {
	const char *id;
	const char *title;
	enum check_severity severity;
	const char *why;
};

struct report {
	enum report_format format;
	FILE *out;
	int verbose;
	unsigned n, passed, failed, skipped, errors;
	unsigned blocked;	/* CHECK_BLOCKED */
	unsigned unexercised;	/* CHECK_UNEXERCISED, also counted in skipped */
	unsigned notes;		/* report_notice() calls */
	struct xbuf notice;	/* the current check's notices, one per line */
	unsigned failed_sev[SEV_ADVISORY + 1];	/* failures by severity */
	const struct check_info *cur;
	struct xbuf log;	/* wire log and notes of the current check */
	struct xbuf doc;	/* JUnit / JSON body, written at the end */
	const char *suite;	/* JUnit testsuite name */
};

void report_init(struct report *r, enum report_format f, FILE *out, int verbose);
int report_format_parse(const char *s, enum report_format *f_r);
void report_begin(struct report *r, const struct check_info *ci);
void report_io(struct report *r, char dir, const char *p, size_t len);
void report_note(struct report *r, const char *fmt, ...) ATTR_PRINTF(2, 3);
void report_notice(struct report *r, const char *fmt, ...) ATTR_PRINTF(2, 3);
void report_end(struct report *r, enum check_result res, const char *fmt, ...) ATTR_PRINTF(3, 4);
int report_finish(struct report *r);
const char *report_severity_name(enum check_severity s);

#endif
