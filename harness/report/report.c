/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - results of checks: the counts, the per-check log, and the
 *	dispatch to one writer per format
 * SYNOPSIS
 *	#include "harness/report/report.h"
 * DESCRIPTION
 *	See report.h. The per-check log is bounded (REPORT_MAX_LOG); a line
 *	that does not fit is left out. The writers are report_text.c,
 *	report_tap.c, report_junit.c and report_json.c (report_int.h).
 * DIAGNOSTICS
 *	report_end() of no check, too many stats, a stat name too long:
 *	msg_panic().
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/report/report.h"
#include "harness/report/report_int.h"
#include "util/msg.h"
#include "util/version.h"
#include "util/xmem.h"

#define REPORT_MAX_LOG	(64 * 1024)
#define REPORT_MAX_DOC	(64 * 1024 * 1024)

/* one row per enum check_result: how every format shows it */
static const struct report_result_desc results[] = {
	[CHECK_PASS] = { "pass", "PASS", REPORT_CLASS_PASS },
	[CHECK_FAIL] = { "fail", "FAIL", REPORT_CLASS_FAIL },
	[CHECK_SKIP] = { "skip", "SKIP", REPORT_CLASS_SKIP },
	[CHECK_ERROR] = { "error", "ERROR", REPORT_CLASS_ERROR },
	[CHECK_BLOCKED] = { "blocked", "BLOCKED", REPORT_CLASS_SKIP },
	[CHECK_UNEXERCISED] = { "skip", "SKIP", REPORT_CLASS_SKIP },
};

static const struct report_writer *const writers[] = {
	[REPORT_TEXT] = &report_text_writer,
	[REPORT_TAP] = &report_tap_writer,
	[REPORT_JUNIT] = &report_junit_writer,
	[REPORT_JSON] = &report_json_writer,
};

/* report_format_parse - text, tap, junit, json */
int report_format_parse(const char *s, enum report_format *f_r)
{
	static const struct {
		const char *name;
		enum report_format f;
	} formats[] = {
		{ "text", REPORT_TEXT }, { "tap", REPORT_TAP },
		{ "junit", REPORT_JUNIT }, { "json", REPORT_JSON },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(formats); i++)
		if (strcmp(s, formats[i].name) == 0) {
			*f_r = formats[i].f;
			return 0;
		}
	return -1;
}

/* report_result - the row of res; a value without one is an error */
const struct report_result_desc *report_result(enum check_result res)
{
	static const struct report_result_desc unknown = { "unknown", "?", REPORT_CLASS_ERROR };

	if ((unsigned)res < N_ELEMENTS(results) && results[res].name != NULL)
		return &results[res];
	return &unknown;
}

const char *report_severity_name(enum check_severity s)
{
	switch (s) {
	case SEV_BREAKS_POSTFIX: return "breaks Postfix";
	case SEV_SECURITY: return "security";
	case SEV_DIVERGES_DOVECOT: return "diverges from Dovecot";
	case SEV_ADVISORY: return "advisory";
	}
	return "?";
}

/* report_severity_key - the severity as --fail-on and JSON spell it */
const char *report_severity_key(enum check_severity s)
{
	switch (s) {
	case SEV_BREAKS_POSTFIX: return "breaks-postfix";
	case SEV_SECURITY: return "security";
	case SEV_DIVERGES_DOVECOT: return "diverges-dovecot";
	case SEV_ADVISORY: return "advisory";
	}
	return "unknown";
}

/* report_now - monotonic seconds */
double report_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void report_init(struct report *r, enum report_format f, FILE *out, int verbose)
{
	memset(r, 0, sizeof(*r));
	r->format = f;
	r->out = out;
	r->verbose = verbose;
	xbuf_init(&r->log, REPORT_MAX_LOG);
	xbuf_init(&r->doc, REPORT_MAX_DOC);
	xbuf_init(&r->notice, REPORT_MAX_LOG);
	r->suite = "fake-smtpd";
	r->t_start = r->t_check = report_now();
	r->started = (long long)time(NULL);
}

void report_begin(struct report *r, const struct check_info *ci)
{
	r->cur = ci;
	xbuf_reset(&r->log);
	xbuf_reset(&r->notice);
	r->t_check = report_now();
}

/* report_io - one line on the wire: dir 'C' (we sent) or 'S' (we got) */
void report_io(struct report *r, char dir, const char *p, size_t len)
{
	size_t old = r->log.len;

	if (xbuf_printf(&r->log, "    %c: ", dir) < 0 ||
	    report_escape(&r->log, p, len, 300) < 0 ||
	    xbuf_append_char(&r->log, '\n') < 0)
		xbuf_truncate(&r->log, old);	/* the log is full: leave the line out */
}

void report_note(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (xbuf_append_str(&r->log, "    > ") < 0)
		return;
	va_start(ap, fmt);
	if (xbuf_vprintf(&r->log, fmt, ap) < 0)
		xbuf_reset(&r->log);
	va_end(ap);
	if (xbuf_append_char(&r->log, '\n') < 0)
		xbuf_reset(&r->log);
}

/* report_notice - a note shown whatever the verdict, and counted */
void report_notice(struct report *r, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->notes++;
	report_note(r, "note: %s", text);
	if (xbuf_printf(&r->notice, "note: %s\n", text) < 0)
		return;
}

/* keep - a copy of e at the end of r->entries */
static void keep(struct report *r, const struct report_entry *e)
{
	struct report_entry *k;

	if (r->nentries == r->centries) {
		r->centries = r->centries ? 2 * r->centries : 64;
		r->entries = xrealloc(r->entries, r->centries * sizeof(*r->entries));
	}
	k = &r->entries[r->nentries++];
	*k = *e;
	k->confirmed = NULL;
	k->id = xstrdup(e->id);
	k->title = xstrdup(e->title);
	k->matters = e->matters != NULL ? xstrdup(e->matters) : NULL;
	k->reason = xstrdup(e->reason);
	k->log = report_keeps_log(r, e) ? xstrdup(e->log) : NULL;
	k->notice = xstrdup(e->notice != NULL ? e->notice : "");
}

/* count - add a result to the counts of its class */
static void count(struct report *r, const struct check_info *ci, enum check_result res)
{
	r->n++;
	switch (report_result(res)->cls) {
	case REPORT_CLASS_PASS:
		r->passed++;
		break;
	case REPORT_CLASS_FAIL:
		r->failed++;
		if ((unsigned)ci->severity <= SEV_ADVISORY)
			r->failed_sev[ci->severity]++;
		break;
	case REPORT_CLASS_SKIP:
		if (res == CHECK_BLOCKED)
			r->blocked++;
		else
			r->skipped++;
		if (res == CHECK_UNEXERCISED)
			r->unexercised++;
		break;
	case REPORT_CLASS_ERROR:
		r->errors++;
		break;
	}
}

void report_end(struct report *r, enum check_result res, const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	const struct check_info *ci = r->cur;
	const struct report_writer *w = writers[r->format];
	struct report_entry e;
	size_t pre = 0;

	if (ci == NULL)
		msg_panic("report_end: no check was begun");
	if (res == CHECK_UNEXERCISED)
		pre = (size_t)snprintf(why, sizeof(why), "not exercised: ");
	va_start(ap, fmt);
	vsnprintf(why + pre, sizeof(why) - pre, fmt, ap);
	va_end(ap);
	count(r, ci, res);
	e.id = ci->id != NULL ? ci->id : "";
	e.title = ci->title != NULL ? ci->title : "";
	e.matters = ci->why;
	e.reason = why;
	e.log = xbuf_cstr(&r->log);
	e.notice = xbuf_cstr(&r->notice);
	e.severity = ci->severity;
	e.res = res;
	e.secs = report_now() - r->t_check;
	if (e.secs < 0)
		e.secs = 0;
	if (w->keep != REPORT_KEEP_NONE)
		keep(r, &e);
	if (w->end != NULL)
		w->end(r, &e);
}

/* report_keeps_log - does the writer's document keep this check's log */
int report_keeps_log(const struct report *r, const struct report_entry *e)
{
	int keep = writers[r->format]->keep;

	return keep == REPORT_KEEP_ALL_LOGS || (keep == REPORT_KEEP_FAILED_LOGS &&
		(r->verbose || report_result(e->res)->cls != REPORT_CLASS_PASS));
}

/* report_header_line - "fake-smtpd V (commit C); target T; ..." */
void report_header_line(const struct report *r, struct xbuf *out)
{
	(void)!xbuf_printf(out, "fake-smtpd %s (commit %s)", version_release(), version_commit());
	if (r->target != NULL)
		(void)!xbuf_printf(out, "; target %s", r->target);
	if (r->postfix != NULL)
		(void)!xbuf_printf(out, "; Postfix %s", r->postfix);
	if (r->cat_id != NULL)
		(void)!xbuf_printf(out, "; catalogue %s (%u data checks)", r->cat_id, r->cat_checks);
}

/* report_print_stats - "NAME: VALUE" lines behind prefix */
void report_print_stats(const struct report *r, const char *prefix)
{
	struct xbuf s;
	unsigned i;

	xbuf_init(&s, REPORT_MAX_FIELD);
	for (i = 0; i < r->nstats; i++) {
		const struct report_stat *st = &r->stats[i];

		fprintf(r->out, "%s%s: ", prefix, report_clean_str(&s, st->name, REPORT_CLEAN_LINE));
		if (st->type == REPORT_STAT_UINT)
			fprintf(r->out, "%llu\n", st->u);
		else if (st->type == REPORT_STAT_REAL)
			fprintf(r->out, "%g\n", st->d);
		else
			fprintf(r->out, "%s\n", report_clean_str(&s, st->text, REPORT_CLEAN_LINE));
	}
	xbuf_free(&s);
}

/* replace - *slot becomes a copy of s (or NULL) */
static void replace(char **slot, const char *s)
{
	free(*slot);
	*slot = s != NULL ? xstrdup(s) : NULL;
}

void report_set_target(struct report *r, const char *target, const char *postfix_version)
{
	replace(&r->target, target);
	replace(&r->postfix, postfix_version);
}

void report_set_catalogue(struct report *r, const char *id, const char *dir, unsigned nchecks)
{
	replace(&r->cat_id, id);
	replace(&r->cat_dir, dir);
	r->cat_checks = nchecks;
}

/* stat_slot - the stat called name, new or to be replaced */
static struct report_stat *stat_slot(struct report *r, const char *name)
{
	struct report_stat *s;
	unsigned i;

	if (strlen(name) >= REPORT_STAT_NAME_MAX)
		msg_panic("report_stat: name too long: %.40s", name);
	for (i = 0; i < r->nstats; i++)
		if (strcmp(r->stats[i].name, name) == 0)
			return &r->stats[i];
	if (r->nstats == REPORT_MAX_STATS)
		msg_panic("report_stat: more than %d stats", REPORT_MAX_STATS);
	s = &r->stats[r->nstats++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, strlen(name) + 1);
	return s;
}

void report_stat_uint(struct report *r, const char *name, unsigned long long v)
{
	struct report_stat *s = stat_slot(r, name);

	s->type = REPORT_STAT_UINT;
	s->u = v;
}

void report_stat_real(struct report *r, const char *name, double v)
{
	struct report_stat *s = stat_slot(r, name);

	s->type = REPORT_STAT_REAL;
	s->d = v;
}

void report_stat_text(struct report *r, const char *name, const char *v)
{
	struct report_stat *s = stat_slot(r, name);

	s->type = REPORT_STAT_TEXT;
	snprintf(s->text, sizeof(s->text), "%s", v);
}

/* report_free_copy - free what a writer copied into a const field */
void report_free_copy(const void *p)
{
	union {
		const void *c;
		void *m;
	} u;

	u.c = p;
	free(u.m);
}

/* release - what the report holds */
static void release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nentries; i++) {
		report_free_copy(r->entries[i].id);
		report_free_copy(r->entries[i].title);
		report_free_copy(r->entries[i].matters);
		report_free_copy(r->entries[i].reason);
		report_free_copy(r->entries[i].log);
		report_free_copy(r->entries[i].notice);
		report_confirm_free(r->entries[i].confirmed);
	}
	free(r->entries);
	r->entries = NULL;
	r->nentries = r->centries = 0;
	replace(&r->target, NULL);
	replace(&r->postfix, NULL);
	replace(&r->cat_id, NULL);
	replace(&r->cat_dir, NULL);
	xbuf_free(&r->log);
	xbuf_free(&r->doc);
	xbuf_free(&r->notice);
}

int report_finish(struct report *r)
{
	const struct report_writer *w = writers[r->format];
	FILE *sum = w->keep != REPORT_KEEP_NONE ? stderr : r->out;

	w->finish(r);
	fprintf(sum, "%u passed, %u failed", r->passed, r->failed);
	if (r->blocked)
		fprintf(sum, ", %u blocked", r->blocked);
	if (r->skipped)
		fprintf(sum, ", %u skipped", r->skipped);
	if (r->errors)
		fprintf(sum, ", %u errors", r->errors);
	if (r->notes)
		fprintf(sum, ", %u note%s", r->notes, r->notes == 1 ? "" : "s");
	fprintf(sum, "\n");
	fflush(r->out);
	fflush(sum);
	release(r);
	return (int)r->failed;
}
