/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_json - the report as one JSON object, written with jansson
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	extern const struct report_writer report_json_writer;
 * DESCRIPTION
 *	Written whole by report_finish(), from the checks kept in
 *	r->entries (every log kept). The members, in this order, are those
 *	of docs/report.schema.json (REPORT_JSON_VERSION is its
 *	"report_version"):
 *
 *	  report_version, tool, version, commit, suite, target,
 *	  postfix_version, catalogue {id, checks, dir} or null, started
 *	  (UTC, RFC 3339), time, verbose, results [ {id, title, result,
 *	  class, severity, why_it_matters, why, time, log} ], stats {},
 *	  total, passed, failed, skipped, errors, failed_by_severity {}
 *
 *	Strings are cleaned first (report_clean(): valid UTF-8 goes through
 *	as it is, the rest as \xNN); jansson escapes what JSON asks (quote,
 *	backslash, control characters). Times are seconds, rounded to the
 *	millisecond. Indented by two blanks; a line feed ends the document.
 * DIAGNOSTICS
 *	A value jansson could not make or a document it could not write:
 *	msg_warn().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "harness/report/report_int.h"
#include "util/msg.h"
#include "util/version.h"

#define REPORT_JSON_VERSION	1

struct jj {
	struct xbuf s;		/* the cleaned text of one field */
	int failed;
};

/* set - o[key] = v (a NULL v: jansson could not make it) */
static void set(struct jj *j, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		j->failed = 1;
}

/* str - a cleaned string, or null */
static json_t *str(struct jj *j, const char *s)
{
	return s != NULL ? json_string(report_clean_str(&j->s, s, 0)) : json_null();
}

/* secs - seconds rounded to the millisecond */
static json_t *secs(double t)
{
	return json_real((double)(long long)(t * 1000 + 0.5) / 1000);
}

/* class_name - how a result counts */
static const char *class_name(enum report_class cls)
{
	switch (cls) {
	case REPORT_CLASS_PASS: return "pass";
	case REPORT_CLASS_FAIL: return "fail";
	case REPORT_CLASS_SKIP: return "skip";
	case REPORT_CLASS_ERROR: return "error";
	}
	return "error";
}

/* confirmed - check --confirm's finding on a check */
static json_t *confirmed(struct jj *j, const struct report_confirmed *c)
{
	json_t *o = json_object(), *list = json_array();
	size_t i;

	if (o == NULL || list == NULL) {
		json_decref(o);
		json_decref(list);
		return NULL;
	}
	set(j, o, "status", json_string(c->status));
	set(j, o, "agree", json_boolean(c->agree));
	for (i = 0; i < c->n; i++) {
		json_t *p = json_object();

		if (p == NULL || json_array_append_new(list, p) < 0) {
			j->failed = 1;
			continue;
		}
		set(j, p, "command", str(j, c->command[i]));
		set(j, p, "predicted", str(j, c->predicted[i]));
		set(j, p, "real", str(j, c->real[i]));
		set(j, p, "agree", json_boolean(strcmp(c->predicted[i], c->real[i]) == 0));
	}
	set(j, o, "replies", list);
	set(j, o, "note", str(j, c->note));
	return o;
}

/* result - one check */
static json_t *result(struct jj *j, const struct report_entry *e)
{
	const struct report_result_desc *d = report_result(e->res);
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(j, o, "id", str(j, e->id));
	set(j, o, "title", str(j, e->title));
	set(j, o, "result", json_string(d->name));
	set(j, o, "class", json_string(class_name(d->cls)));
	set(j, o, "severity", json_string(report_severity_key(e->severity)));
	set(j, o, "why_it_matters", str(j, e->matters));
	set(j, o, "why", str(j, e->reason));
	set(j, o, "time", secs(e->secs));
	set(j, o, "log", str(j, e->log != NULL ? e->log : ""));
	if (e->confirmed != NULL)
		set(j, o, "confirmed", confirmed(j, e->confirmed));
	return o;
}

/* stats - {NAME: number or string} */
static json_t *stats(struct jj *j, const struct report *r)
{
	json_t *o = json_object();
	unsigned i;

	for (i = 0; o != NULL && i < r->nstats; i++) {
		const struct report_stat *st = &r->stats[i];
		json_t *v = st->type == REPORT_STAT_UINT ? json_integer((json_int_t)st->u) :
			    st->type == REPORT_STAT_REAL ? json_real(st->d) : str(j, st->text);

		set(j, o, report_clean_str(&j->s, st->name, REPORT_CLEAN_LINE), v);
	}
	return o;
}

/* catalogue - {id, checks, dir} or null */
static json_t *catalogue(struct jj *j, const struct report *r)
{
	json_t *o;

	if (r->cat_id == NULL)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	set(j, o, "id", str(j, r->cat_id));
	set(j, o, "checks", json_integer(r->cat_checks));
	set(j, o, "dir", str(j, r->cat_dir));
	return o;
}

/* header - what the run was */
static void header(struct jj *j, json_t *root, const struct report *r)
{
	char stamp[32];
	time_t t = (time_t)r->started;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "1970-01-01T00:00:00Z");
	set(j, root, "report_version", json_integer(REPORT_JSON_VERSION));
	set(j, root, "tool", json_string("fake-smtpd"));
	set(j, root, "version", str(j, version_release()));
	set(j, root, "commit", str(j, version_commit()));
	set(j, root, "suite", str(j, r->suite));
	set(j, root, "target", str(j, r->target));
	set(j, root, "postfix_version", str(j, r->postfix));
	set(j, root, "catalogue", catalogue(j, r));
	set(j, root, "started", json_string(stamp));
	set(j, root, "time", secs(report_now() - r->t_start));
	set(j, root, "verbose", json_boolean(r->verbose));
}

/* counts - the totals */
static void counts(struct jj *j, json_t *root, const struct report *r)
{
	json_t *sev = json_object();
	int s;

	set(j, root, "total", json_integer(r->n));
	set(j, root, "passed", json_integer(r->passed));
	set(j, root, "failed", json_integer(r->failed));
	set(j, root, "skipped", json_integer(r->skipped));
	set(j, root, "errors", json_integer(r->errors));
	set(j, root, "blocked", json_integer(r->blocked));
	set(j, root, "not_exercised", json_integer(r->unexercised));
	set(j, root, "notes", json_integer(r->notes));
	for (s = SEV_BREAKS_POSTFIX; sev != NULL && s <= SEV_ADVISORY; s++)
		set(j, sev, report_severity_key((enum check_severity)s), json_integer(r->failed_sev[s]));
	set(j, root, "failed_by_severity", sev);
}

static void json_finish(struct report *r)
{
	json_t *root = json_object(), *list = json_array();
	struct jj j;
	size_t i;

	memset(&j, 0, sizeof(j));
	xbuf_init(&j.s, REPORT_MAX_FIELD);
	if (root == NULL || list == NULL) {
		msg_warn("report: jansson cannot start a JSON document");
		json_decref(root);
		json_decref(list);
		xbuf_free(&j.s);
		return;
	}
	header(&j, root, r);
	for (i = 0; i < r->nentries; i++) {
		json_t *o = result(&j, &r->entries[i]);

		if (o == NULL || json_array_append_new(list, o) < 0)
			j.failed = 1;
	}
	set(&j, root, "results", list);
	set(&j, root, "stats", stats(&j, r));
	counts(&j, root, r);
	if (json_dumpf(root, r->out, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) < 0)
		j.failed = 1;
	fputc('\n', r->out);
	if (j.failed)
		msg_warn("report: jansson could not write the whole JSON document");
	json_decref(root);
	xbuf_free(&j.s);
}

const struct report_writer report_json_writer = { REPORT_KEEP_ALL_LOGS, NULL, json_finish };
