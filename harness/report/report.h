/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks, for a terminal or for CI (TAP, JUnit
 *	XML, JSON)
 * SYNOPSIS
 *	#include "harness/report/report.h"
 *
 *	int report_escape(struct xbuf *out, const char *p, size_t len,
 *	                  size_t max_in);
 *	const char *report_shown(char *dst, size_t size, const char *p,
 *	                         size_t len);
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
 *
 *	const char *report_severity_key(enum check_severity s);
 *	const struct report_result_desc *report_result(enum check_result res);
 *	void report_set_target(struct report *r, const char *target,
 *	                       const char *postfix_version);
 *	void report_set_catalogue(struct report *r, const char *id,
 *	                          const char *dir, unsigned nchecks);
 *	void report_stat_uint(struct report *r, const char *name,
 *	                      unsigned long long v);
 *	void report_stat_real(struct report *r, const char *name, double v);
 *	void report_stat_text(struct report *r, const char *name,
 *	                      const char *v);
 *	void report_confirm(struct report *r, const char *id,
 *	                    const struct report_confirmed *c);
 * DESCRIPTION
 *	A check is reported with its id, title, severity and "why it
 *	matters"; the bytes sent (C:) and received (S:) during it, escaped
 *	by report_escape() (report_clean.c: valid UTF-8 as text; TAB, CR,
 *	LF, backslash as \t \r \n \\; other control characters and
 *	invalid bytes as \xNN; the same rule in auth and policy); notes
 *	such as what Postfix would answer; and the verdict with its reason.
 *	r->log holds the current check's log as text, one "    C: ",
 *	"    S: " or "    > " (note) line each; checks may read it.
 *
 *	Formats (one file each: report_text.c, report_tap.c, report_junit.c,
 *	report_json.c; docs/report.md describes them for users):
 *	  text   "PASS  ID  title" per check; for a failure the severity,
 *	         the reason and the wire log, folded when long (runs of more
 *	         than 8 C: lines show what differs from the run before; a
 *	         log of more than 60 lines keeps its head, its notes and its
 *	         tail); every line of every log with verbose. Then a summary
 *	         of the failures, one line each. Colour when r->color.
 *	  TAP    "ok N - ID title" / "not ok N - ...", details as "# " lines,
 *	         "# SKIP" for skipped checks, the plan at the end.
 *	  JUnit  one <testsuite> written whole by report_finish(): the
 *	         version and target as properties, a <testcase> per check
 *	         named by its title (id and severity as properties, its time),
 *	         <failure type="SEVERITY"> with the reason and log as body;
 *	         the log of a passing check only when verbose.
 *	  JSON   one object written whole by report_finish(), as the schema
 *	         docs/report.schema.json says.
 *	With JUnit and JSON the summary line goes to stderr, so that stdout
 *	stays parseable. Every text a report writes is valid UTF-8 with no
 *	control character but TAB and LF: a byte that is not part of valid
 *	UTF-8, and each byte of a control character (C0 but TAB and LF,
 *	DEL, C1) or of U+FFFE/U+FFFF, is written as the four characters
 *	\xNN (lower-case hex).
 *
 *	A check that could not run because of the environment (target
 *	unreachable, helper cannot be started) ends with CHECK_ERROR.
 *	Every enum check_result value has a row in report_result()'s table:
 *	its name in JSON ("pass"), its tag in text ("PASS") and its class,
 *	which decides how every format shows it and which count it adds to;
 *	a value without a row is shown as an error.
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
 *
 *	report_severity_name() is the severity for people ("breaks
 *	Postfix"), report_severity_key() for programs and --fail-on
 *	("breaks-postfix").
 *
 *	What a report says about the run (every format but text, whose
 *	header the command writes): the version and commit of the program
 *	(always), and what the command sets before report_finish():
 *	report_set_target() the TARGET as given and the Postfix version
 *	the checks judge as; report_set_catalogue() the catalogue's id
 *	("sha256:0123456789ab"), directory and number of data checks.
 *	The strings are copied. Summary-style reports (a fuzz run) add
 *	figures with report_stat_*(): at most REPORT_MAX_STATS, each name
 *	once (a second call replaces the value), names up to 31 bytes,
 *	text values up to 127; they appear in JSON as "stats", in JUnit as
 *	"stat.NAME" properties, in TAP and text as "NAME: VALUE" lines
 *	before the summary line. Findings are checks: report_begin(),
 *	report_io(), report_end().
 *
 *	report_confirm() (report_confirm.c) adds what check --confirm
 *	found for a failed check: each SMTP command of the sessions run
 *	through real Postfix, the reply the oracle predicted and the one
 *	Postfix gave, a status ("agree", "disagree", "not confirmable",
 *	"error") and a note (the files, how to file a disagreement).
 *
 *	report_finish() frees what the report holds. A text report that
 *	is not finished holds nothing but r->log and r->doc (which the
 *	caller frees with xbuf_free()).
 * DIAGNOSTICS
 *	report_end() without a report_begin(), too many stats or a name
 *	too long: our bug, msg_panic(). A JUnit or JSON document that the
 *	library could not write is reported with msg_warn().
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

/* how every format shows a result, and which count it adds to */
enum report_class {
	REPORT_CLASS_PASS,
	REPORT_CLASS_FAIL,
	REPORT_CLASS_SKIP,
	REPORT_CLASS_ERROR,
};

struct report_result_desc {
	const char *name;		/* JSON "result": "pass" */
	const char *tag;		/* text: "PASS" */
	enum report_class cls;
};

#define REPORT_MAX_STATS	32
#define REPORT_STAT_NAME_MAX	32
#define REPORT_STAT_TEXT_MAX	128

struct report_stat {
	char name[REPORT_STAT_NAME_MAX];
	enum { REPORT_STAT_UINT, REPORT_STAT_REAL, REPORT_STAT_TEXT } type;
	unsigned long long u;
	double d;
	char text[REPORT_STAT_TEXT_MAX];
};

struct report_entry;			/* report_int.h */

/* check --confirm on one failed check */
struct report_confirmed {
	const char *status;		/* agree, disagree, not confirmable, error */
	int agree;			/* every reply compared agreed */
	size_t n;			/* replies compared */
	const char *const *command;	/* the SMTP command each answers */
	const char *const *predicted;
	const char *const *real;
	const char *note;
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
	struct xbuf doc;	/* text: the failures, listed at the end */
	const char *suite;	/* JUnit testsuite name */
	/* what follows is report/'s own: set through the functions above */
	int color;		/* text: ANSI colours */
	double t_start;		/* monotonic seconds at report_init() */
	double t_check;		/* at report_begin() */
	long long started;	/* time(NULL) at report_init() */
	char *target, *postfix, *cat_id, *cat_dir;
	unsigned cat_checks;
	struct report_stat stats[REPORT_MAX_STATS];
	unsigned nstats;
	struct report_entry *entries;	/* JUnit, JSON: every check, for the end */
	size_t nentries, centries;
	int headed;		/* TAP: the header comment is written */
};

void report_init(struct report *r, enum report_format f, FILE *out, int verbose);
int report_format_parse(const char *s, enum report_format *f_r);
void report_begin(struct report *r, const struct check_info *ci);
void report_io(struct report *r, char dir, const char *p, size_t len);
int report_escape(struct xbuf *out, const char *p, size_t len, size_t max_in) ATTR_WUR;
const char *report_shown(char *dst, size_t size, const char *p, size_t len);
void report_note(struct report *r, const char *fmt, ...) ATTR_PRINTF(2, 3);
void report_notice(struct report *r, const char *fmt, ...) ATTR_PRINTF(2, 3);
void report_end(struct report *r, enum check_result res, const char *fmt, ...) ATTR_PRINTF(3, 4);
int report_finish(struct report *r);
const char *report_severity_name(enum check_severity s);

const char *report_severity_key(enum check_severity s);
const struct report_result_desc *report_result(enum check_result res);
void report_set_target(struct report *r, const char *target, const char *postfix_version);
void report_set_catalogue(struct report *r, const char *id, const char *dir, unsigned nchecks);
void report_stat_uint(struct report *r, const char *name, unsigned long long v);
void report_stat_real(struct report *r, const char *name, double v);
void report_stat_text(struct report *r, const char *name, const char *v);
void report_confirm(struct report *r, const char *id, const struct report_confirmed *c);

#endif
