/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks, for a terminal or for CI (TAP)
 * SYNOPSIS
 *	#include "harness/run/report.h"
 *
 *	void report_init(struct report *r, enum report_format f, FILE *out);
 *	void report_begin(struct report *r, const struct check_info *ci);
 *	void report_io(struct report *r, char dir, const char *p, size_t len);
 *	void report_note(struct report *r, const char *fmt, ...);
 *	void report_end(struct report *r, enum check_result res, const char *fmt, ...);
 *	int report_finish(struct report *r);
 * DESCRIPTION
 *	A check is reported with its id, title, severity and "why it
 *	matters"; the bytes sent (C:) and received (S:) during it, escaped
 *	so that TAB, CR and binary bytes are visible; notes such as what
 *	Postfix would answer; and the verdict with its reason. In the text
 *	format the wire log of a passing check is hidden unless verbose.
 *	TAP: "ok N - ID title" / "not ok N - ..." with the details as
 *	"# " comment lines, "# SKIP" for skipped checks, and the plan at the
 *	end. report_finish() prints "N passed, N failed[, N skipped]" and
 *	returns the number of failures.
 * DIAGNOSTICS
 *	None.
 */
#ifndef HARNESS_RUN_REPORT_H
#define HARNESS_RUN_REPORT_H

#include <stdio.h>

#include "util/compiler.h"
#include "util/xbuf.h"

enum report_format {
	REPORT_TEXT,
	REPORT_TAP,
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
	unsigned n, passed, failed, skipped;
	const struct check_info *cur;
	struct xbuf log;	/* wire log and notes of the current check */
};

void report_init(struct report *r, enum report_format f, FILE *out, int verbose);
void report_begin(struct report *r, const struct check_info *ci);
void report_io(struct report *r, char dir, const char *p, size_t len);
void report_note(struct report *r, const char *fmt, ...) ATTR_PRINTF(2, 3);
void report_end(struct report *r, enum check_result res, const char *fmt, ...) ATTR_PRINTF(3, 4);
int report_finish(struct report *r);
const char *report_severity_name(enum check_severity s);

#endif
