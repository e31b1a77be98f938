/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_int - what the report's writers share (report/ only, and its
 *	tests)
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	int report_clean(struct xbuf *out, const char *s, size_t len,
 *	                 unsigned flags);
 *	const char *report_clean_str(struct xbuf *scratch, const char *s,
 *	                             unsigned flags);
 *	void report_fold(struct xbuf *out, const char *log);
 *	void report_header_line(const struct report *r, struct xbuf *out);
 *	int report_keeps_log(const struct report *r,
 *	                     const struct report_entry *e);
 *	void report_print_stats(const struct report *r, const char *prefix);
 *	double report_now(void);
double report_now(void);
 * DESCRIPTION
 *	A writer is a struct report_writer: end() is called for each
 *	check as it ends, finish() once by report_finish() before the
 *	summary line. A writer whose keep is not REPORT_KEEP_NONE gets
 *	every check as an entry in r->entries (copies) for its finish(),
 *	and the summary line goes to stderr.
 *
 *	report_clean() appends len bytes of s as report.h says every text
 *	is written: valid UTF-8 as text; TAB as \t, CR as \r, other
 *	control characters and invalid bytes as \xNN; LF a line break
 *	(REPORT_CLEAN_LINE: \n, for one-line fields). report_escape()
 *	(report.h) is the same rule for wire bytes. report_clean_str() does it into a scratch buffer (reset
 *	first) for a C string and returns the result; when the bound of the
 *	buffer is reached the text is cut and ends with "...".
 *
 *	report_fold() appends the folded form of a text report's log (the
 *	rules are in report_text.c). report_header_line() appends "fake-smtpd
 *	VERSION (commit C)" and what was set: "; target T; Postfix V;
 *	catalogue ID (N data checks)". report_keeps_log() says whether a
 *	check's log is kept in its entry (the writer's keep says: JUnit
 *	drops the logs of passing checks unless verbose, JSON keeps all).
 *	report_free_copy() frees a copy held in a const field.
 *	report_now() is the monotonic clock in seconds. report_print_stats()
 *	writes the stats as "NAME: VALUE" lines behind prefix on r->out.
 * DIAGNOSTICS
 *	report_clean: 0, or -1 when out's bound was reached (out then holds
 *	what fitted, whole characters only).
 */
#ifndef HARNESS_REPORT_REPORT_INT_H
#define HARNESS_REPORT_REPORT_INT_H

#include <stddef.h>

#include "harness/report/report.h"
#include "util/xbuf.h"

#define REPORT_CLEAN_LINE	1u	/* LF written as \x0a */

/* scratch buffers of the writers: a field cleaned is at most 4 times as long */
#define REPORT_MAX_FIELD	(1024 * 1024)

struct report_entry {
	const char *id, *title, *reason;
	const char *matters;	/* why it matters, or NULL */
	const char *log;	/* NULL: left out (report_keeps_log) */
	const char *notice;	/* report_notice() lines, shown whatever the verdict */
	enum check_severity severity;
	enum check_result res;
	double secs;
	struct report_confirmed *confirmed;	/* check --confirm, or NULL */
};

enum report_keep {
	REPORT_KEEP_NONE,		/* the writer writes each check as it ends */
	REPORT_KEEP_FAILED_LOGS,	/* entries; logs of passing checks only verbose */
	REPORT_KEEP_ALL_LOGS,		/* entries with every log */
};

struct report_writer {
	enum report_keep keep;
	void (*end)(struct report *r, const struct report_entry *e);
	void (*finish)(struct report *r);
};

extern const struct report_writer report_text_writer;
extern const struct report_writer report_tap_writer;
extern const struct report_writer report_junit_writer;
extern const struct report_writer report_json_writer;

int report_clean(struct xbuf *out, const char *s, size_t len, unsigned flags) ATTR_WUR;
const char *report_clean_str(struct xbuf *scratch, const char *s, unsigned flags);
void report_fold(struct xbuf *out, const char *log);
void report_header_line(const struct report *r, struct xbuf *out);
int report_keeps_log(const struct report *r, const struct report_entry *e);
void report_print_stats(const struct report *r, const char *prefix);
double report_now(void);
void report_confirm_free(struct report_confirmed *k);
void report_free_copy(const void *p);

#endif
