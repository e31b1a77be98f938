/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_junit - the report as JUnit XML, written with libxml2's
 *	xmlTextWriter
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	extern const struct report_writer report_junit_writer;
 * DESCRIPTION
 *	Written whole by report_finish(), from the checks kept in
 *	r->entries:
 *
 *	  <testsuites name="fake-smtpd" tests failures errors skipped time>
 *	    <testsuite name="SUITE" tests failures errors skipped time
 *	               timestamp="YYYY-MM-DDTHH:MM:SS" (UTC)>
 *	      <properties> version, commit, and when set target,
 *	        postfix.version, catalogue.id, catalogue.checks,
 *	        catalogue.dir, stat.NAME for each stat </properties>
 *	      <testcase classname="SUITE" name="TITLE (or the id when the
 *	                title is empty)" time="SECONDS">
 *	        <properties> id, severity (breaks-postfix, security,
 *	          diverges-dovecot, advisory), result (report_result()'s
 *	          name), why-it-matters when the check has one </properties>
 *	        failure class: <failure type="SEVERITY" message="REASON">
 *	          the reason, the severity and why it matters, the wire log
 *	        error class: <error type="error" message="REASON"> the same
 *	        skip class: <skipped message="REASON"/>
 *	        pass class, verbose only: <system-out> the wire log
 *
 *	Times are seconds with three decimals; the suite's is the run's,
 *	from report_init() to report_finish(). Every text is cleaned first
 *	(report_clean(); message attributes on one line); libxml2 escapes
 *	the markup. The document goes to r->out.
 * DIAGNOSTICS
 *	A document libxml2 could not write: msg_warn(), and what was
 *	written so far goes out.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "harness/report/report_int.h"
#include "util/msg.h"
#include "util/version.h"

struct jw {
	xmlTextWriterPtr w;
	struct xbuf s;		/* the cleaned text of one field */
	int failed;
};

#define X(s)	((const xmlChar *)(s))

/* start, end - an element */
static void start(struct jw *j, const char *name)
{
	if (xmlTextWriterStartElement(j->w, X(name)) < 0)
		j->failed = 1;
}

static void end(struct jw *j)
{
	if (xmlTextWriterEndElement(j->w) < 0)
		j->failed = 1;
}

/* attr - an attribute, its value cleaned to one line */
static void attr(struct jw *j, const char *name, const char *value)
{
	value = report_clean_str(&j->s, value, REPORT_CLEAN_LINE);
	if (xmlTextWriterWriteAttribute(j->w, X(name), X(value)) < 0)
		j->failed = 1;
}

/* attr_uint, attr_secs - an attribute from a number */
static void attr_uint(struct jw *j, const char *name, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	attr(j, name, buf);
}

static void attr_secs(struct jw *j, const char *name, double secs)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", secs);
	attr(j, name, buf);
}

/* text - element content, cleaned */
static void text(struct jw *j, const char *s)
{
	if (xmlTextWriterWriteString(j->w, X(report_clean_str(&j->s, s, 0))) < 0)
		j->failed = 1;
}

/* property - <property name value/> */
static void property(struct jw *j, const char *name, const char *value)
{
	start(j, "property");
	attr(j, "name", name);
	attr(j, "value", value);
	end(j);
}

/* counts - tests, failures, errors, skipped, time */
static void counts(struct jw *j, const struct report *r, double secs)
{
	attr_uint(j, "tests", r->n);
	attr_uint(j, "failures", r->failed);
	attr_uint(j, "errors", r->errors);
	attr_uint(j, "skipped", r->skipped + r->blocked);
	attr_secs(j, "time", secs);
}

/* suite_properties - what the run was */
static void suite_properties(struct jw *j, const struct report *r)
{
	char buf[REPORT_STAT_NAME_MAX + 16], num[64];
	unsigned i;

	start(j, "properties");
	property(j, "version", version_release());
	property(j, "commit", version_commit());
	if (r->target != NULL)
		property(j, "target", r->target);
	if (r->postfix != NULL)
		property(j, "postfix.version", r->postfix);
	if (r->cat_id != NULL) {
		property(j, "catalogue.id", r->cat_id);
		snprintf(num, sizeof(num), "%u", r->cat_checks);
		property(j, "catalogue.checks", num);
		if (r->cat_dir != NULL)
			property(j, "catalogue.dir", r->cat_dir);
	}
	for (i = 0; i < r->nstats; i++) {
		const struct report_stat *st = &r->stats[i];

		snprintf(buf, sizeof(buf), "stat.%s", st->name);
		if (st->type == REPORT_STAT_UINT)
			snprintf(num, sizeof(num), "%llu", st->u);
		else if (st->type == REPORT_STAT_REAL)
			snprintf(num, sizeof(num), "%g", st->d);
		property(j, buf, st->type == REPORT_STAT_TEXT ? st->text : num);
	}
	end(j);
}

/* outcome - <failure>, <error> or <skipped> for a check that did not pass */
static void outcome(struct jw *j, const struct report_entry *e, enum report_class cls)
{
	if (cls == REPORT_CLASS_SKIP) {
		start(j, "skipped");
		attr(j, "message", e->reason);
		end(j);
		return;
	}
	start(j, cls == REPORT_CLASS_FAIL ? "failure" : "error");
	attr(j, "type", cls == REPORT_CLASS_FAIL ? report_severity_key(e->severity) : "error");
	attr(j, "message", e->reason);
	text(j, e->reason);
	text(j, "\n\nseverity: ");
	text(j, report_severity_name(e->severity));
	if (e->matters != NULL) {
		text(j, "\nwhy it matters: ");
		text(j, e->matters);
	}
	if (e->log != NULL && e->log[0]) {
		text(j, "\n\n");
		text(j, e->log);
	}
	end(j);
}

/* confirm_properties - check --confirm's finding: confirm.status, .agree, .note, and
 * confirm.N.command/.predicted/.real for each reply compared */
static void confirm_properties(struct jw *j, const struct report_confirmed *c)
{
	char name[64];
	size_t i;

	property(j, "confirm.status", c->status);
	property(j, "confirm.agree", c->agree ? "true" : "false");
	property(j, "confirm.note", c->note);
	for (i = 0; i < c->n; i++) {
		snprintf(name, sizeof(name), "confirm.%zu.command", i + 1);
		property(j, name, c->command[i]);
		snprintf(name, sizeof(name), "confirm.%zu.predicted", i + 1);
		property(j, name, c->predicted[i]);
		snprintf(name, sizeof(name), "confirm.%zu.real", i + 1);
		property(j, name, c->real[i]);
	}
}

/* testcase - one check */
static void testcase(struct jw *j, const struct report *r, const struct report_entry *e)
{
	const struct report_result_desc *d = report_result(e->res);

	start(j, "testcase");
	attr(j, "classname", r->suite);
	attr(j, "name", e->title[0] ? e->title : e->id);
	attr_secs(j, "time", e->secs);
	start(j, "properties");
	property(j, "id", e->id);
	property(j, "severity", report_severity_key(e->severity));
	property(j, "result", d->name);
	if (e->matters != NULL)
		property(j, "why-it-matters", e->matters);
	if (e->confirmed != NULL)
		confirm_properties(j, e->confirmed);
	end(j);
	if (d->cls != REPORT_CLASS_PASS) {
		outcome(j, e, d->cls);
	} else if (e->log != NULL && e->log[0]) {
		start(j, "system-out");
		text(j, e->log);
		end(j);
	}
	end(j);
}

/* document - the whole document into j */
static void document(struct jw *j, const struct report *r)
{
	char stamp[32];
	time_t t = (time_t)r->started;
	struct tm tm;
	double secs = report_now() - r->t_start;
	size_t i;

	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "1970-01-01T00:00:00");
	if (xmlTextWriterSetIndent(j->w, 1) < 0 || xmlTextWriterSetIndentString(j->w, X("  ")) < 0 ||
	    xmlTextWriterStartDocument(j->w, NULL, "UTF-8", NULL) < 0)
		j->failed = 1;
	start(j, "testsuites");
	attr(j, "name", "fake-smtpd");
	counts(j, r, secs);
	start(j, "testsuite");
	attr(j, "name", r->suite);
	counts(j, r, secs);
	attr(j, "timestamp", stamp);
	suite_properties(j, r);
	for (i = 0; i < r->nentries; i++)
		testcase(j, r, &r->entries[i]);
	end(j);
	end(j);
	if (xmlTextWriterEndDocument(j->w) < 0)
		j->failed = 1;
}

static void junit_finish(struct report *r)
{
	xmlBufferPtr buf = xmlBufferCreate();
	struct jw j;

	memset(&j, 0, sizeof(j));
	xbuf_init(&j.s, REPORT_MAX_FIELD);
	if (buf == NULL || (j.w = xmlNewTextWriterMemory(buf, 0)) == NULL) {
		msg_warn("report: libxml2 cannot start a JUnit document");
	} else {
		document(&j, r);
		xmlFreeTextWriter(j.w);	/* flushes into buf */
		if (j.failed)
			msg_warn("report: libxml2 could not write the whole JUnit document");
		fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), r->out);
	}
	if (buf != NULL)
		xmlBufferFree(buf);
	xbuf_free(&j.s);
}

const struct report_writer report_junit_writer = { REPORT_KEEP_FAILED_LOGS, NULL, junit_finish };
