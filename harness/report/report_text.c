/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_text - the report for a terminal
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	extern const struct report_writer report_text_writer;
 *	void report_fold(struct xbuf *out, const char *log);
 * DESCRIPTION
 *	Per check: "TAG  ID  title" (TAG from report_result()); for a
 *	failure or an error "      severity: S - why it matters", the
 *	reason, and the log; for a skip (or any check with verbose) the
 *	reason; with verbose the log of every check. The log of a failure is
 *	folded unless verbose (report_fold()). At the end, when a check
 *	failed or could not run, a blank line, "short summary:" and one line
 *	per such check: "  TAG  ID [severity] reason" (the reason's first
 *	line, cut at 200 bytes); then the stats as "NAME: VALUE" lines.
 *	With r->color, ANSI colours: PASS green, FAIL red, ERROR magenta,
 *	SKIP yellow, notes in the log cyan; the summary line stays plain
 *	for scripts.
 *
 *	report_fold(): a line is a C: line when it starts, after blanks,
 *	with "C:". A run of more than FOLD_RUN C: lines (a policy request)
 *	keeps its first line, then the lines that are not in the run
 *	compared with (the long run before it, or for the first one the long
 *	run after it; at most FOLD_DIFF of them, and only when both runs
 *	have at most FOLD_CMP_MAX lines), or when there is no other long run
 *	its first FOLD_HEAD lines; then "... N more C: lines (-v shows
 *	them)". When more than FOLD_MAX lines remain, the first FOLD_TOP
 *	and the last FOLD_BOTTOM are kept, and of those between only the
 *	notes ("> " lines; one of equal notes in a row; at most FOLD_NOTES,
 *	half from each end) after a line saying how many lines are left out.
 * DIAGNOSTICS
 *	None: output errors show on the stream (ferror), as with stdio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report_int.h"
#include "util/xmem.h"

#define FOLD_RUN	8	/* longer C: runs are folded */
#define FOLD_HEAD	3	/* lines kept of a run with nothing to compare */
#define FOLD_DIFF	6	/* differing lines kept of a run */
#define FOLD_CMP_MAX	256	/* longer runs are not compared */
#define FOLD_MAX	60	/* longer logs keep top, notes and bottom */
#define FOLD_TOP	15
#define FOLD_BOTTOM	25
#define FOLD_NOTES	30
#define SUMMARY_REASON	200

#define COL_RESET	"\033[0m"
#define COL_BOLD	"\033[1m"
#define COL_NOTE	"\033[36m"

struct line {
	const char *p;
	size_t len;
};

/* tag_color - the colour of a result's class */
static const char *tag_color(enum report_class cls)
{
	switch (cls) {
	case REPORT_CLASS_PASS: return "\033[32m";
	case REPORT_CLASS_FAIL: return "\033[1;31m";
	case REPORT_CLASS_SKIP: return "\033[33m";
	case REPORT_CLASS_ERROR: return "\033[1;35m";
	}
	return "";
}

/* starts - does line l start, after blanks, with s */
static int starts(const struct line *l, const char *s)
{
	size_t i = 0, n = strlen(s);

	while (i < l->len && l->p[i] == ' ')
		i++;
	return l->len - i >= n && memcmp(l->p + i, s, n) == 0;
}

/* split - the lines of text (without their LF) */
static struct line *split(const char *text, size_t *n_r)
{
	size_t n = 0, cap = 16;
	struct line *v = xcalloc(cap, sizeof(*v));

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (n == cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].p = text;
		v[n++].len = len;
		text += len + (nl ? 1 : 0);
	}
	*n_r = n;
	return v;
}

/* in_run - is line l one of the n lines at run */
static int in_run(const struct line *l, const struct line *run, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (run[i].len == l->len && memcmp(run[i].p, l->p, l->len) == 0)
			return 1;
	return 0;
}

/* run_end - index after the C: run starting at i */
static size_t run_end(const struct line *v, size_t n, size_t i)
{
	while (i < n && starts(&v[i], "C:"))
		i++;
	return i;
}

/* next_long - the first long run at or after i: its start, or n */
static size_t next_long(const struct line *v, size_t n, size_t i, size_t *end_r)
{
	while (i < n) {
		size_t e = starts(&v[i], "C:") ? run_end(v, n, i) : i + 1;

		if (e - i > FOLD_RUN) {
			*end_r = e;
			return i;
		}
		i = e;
	}
	return n;
}

/* fold_run - the lines of one long run worth showing, into out (v[]) */
static size_t fold_run(const struct line *run, size_t len, const struct line *ref, size_t rlen,
		       struct line *out, size_t *hidden_r)
{
	size_t i, k = 0;

	out[k++] = run[0];
	for (i = 1; i < len; i++) {
		int show = ref == NULL ? i < FOLD_HEAD : k <= FOLD_DIFF && !in_run(&run[i], ref, rlen);

		if (show)
			out[k++] = run[i];
	}
	*hidden_r = len - k;
	return k;
}

/* fold_runs - step one: long C: runs folded; the lines kept, in v[] order */
static struct line *fold_runs(const struct line *v, size_t n, struct xbuf *marks, size_t *n_r)
{
	struct line *o = xcalloc(n + 1, sizeof(*o));
	size_t i = 0, k = 0, pe = 0, ps = n;

	while (i < n) {
		size_t e = 0, s = next_long(v, n, i, &e), ne = 0, hidden;
		const struct line *ref = NULL;
		size_t rlen = 0, ns;

		for (; i < s; i++)
			o[k++] = v[i];
		if (s == n)
			break;
		ns = next_long(v, n, e, &ne);
		if (ps < n) {
			ref = &v[ps], rlen = pe - ps;
		} else if (ns < n) {
			ref = &v[ns], rlen = ne - ns;
		}
		if (ref != NULL && (rlen > FOLD_CMP_MAX || e - s > FOLD_CMP_MAX))
			ref = NULL;
		k += fold_run(&v[s], e - s, ref, rlen, &o[k], &hidden);
		if (hidden > 0) {
			/* the marker's text lives in marks; its offset is fixed up below */
			o[k].p = NULL;
			o[k++].len = marks->len;
			(void)!xbuf_printf(marks, "    ... %zu more C: lines (-v shows them)%c", hidden, 0);
		}
		ps = s, pe = e, i = e;
	}
	for (i = 0; i < k; i++)
		if (o[i].p == NULL) {
			o[i].p = marks->data + o[i].len;
			o[i].len = strlen(o[i].p);
		}
	*n_r = k;
	return o;
}

/* put - one line and its LF */
static void put(struct xbuf *out, const struct line *l)
{
	(void)!xbuf_append(out, l->p, l->len);
	(void)!xbuf_append_char(out, '\n');
}

/* same - are two lines equal */
static int same(const struct line *a, const struct line *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* middle_notes - the notes between top and bottom worth showing, into
 * keep[] (each a note not equal to the one before; at most FOLD_NOTES,
 * half from each end); how many */
static size_t middle_notes(const struct line *o, size_t from, size_t to, size_t *keep)
{
	size_t i, n = 0, last = to, k, cut;

	for (i = from; i < to; i++) {
		if (!starts(&o[i], ">") || (last < to && same(&o[last], &o[i])))
			continue;
		keep[n++] = i;
		last = i;
	}
	if (n <= FOLD_NOTES)
		return n;
	cut = n - FOLD_NOTES;
	for (k = FOLD_NOTES / 2; k < FOLD_NOTES; k++)
		keep[k] = keep[k + cut];
	return FOLD_NOTES;
}

/* report_fold - the lines of a long log that matter (see DESCRIPTION) */
void report_fold(struct xbuf *out, const char *log)
{
	struct xbuf marks;
	size_t n, k, i, nkeep, *keep;
	struct line *v = split(log, &n), *o;

	xbuf_init(&marks, 0);
	o = fold_runs(v, n, &marks, &k);
	if (k <= FOLD_MAX) {
		for (i = 0; i < k; i++)
			put(out, &o[i]);
		goto done;
	}
	keep = xcalloc(k, sizeof(*keep));
	nkeep = middle_notes(o, FOLD_TOP, k - FOLD_BOTTOM, keep);
	for (i = 0; i < FOLD_TOP; i++)
		put(out, &o[i]);
	(void)!xbuf_printf(out, "    ... %zu lines left out (-v shows all); the notes among them%s:\n",
			   k - FOLD_TOP - FOLD_BOTTOM - nkeep, nkeep < FOLD_NOTES ? "" : ", the first and the last");
	for (i = 0; i < nkeep; i++)
		put(out, &o[keep[i]]);
	(void)!xbuf_append_str(out, "    ... and the last lines:\n");
	for (i = k - FOLD_BOTTOM; i < k; i++)
		put(out, &o[i]);
	free(keep);
done:
	free(o);
	free(v);
	xbuf_free(&marks);
}

/* print_log - the log, each line behind two blanks, notes coloured */
static void print_log(struct report *r, const char *log)
{
	size_t n, i;
	struct line *v = split(log, &n);

	for (i = 0; i < n; i++) {
		int note = r->color && starts(&v[i], ">");

		fprintf(r->out, "  %s%.*s%s\n", note ? COL_NOTE : "", (int)v[i].len, v[i].p,
			note ? COL_RESET : "");
	}
	free(v);
}

/* remember - a summary line for the end, in r->doc: class digit, tag NUL, rest NUL */
static void remember(struct report *r, const struct report_entry *e, const char *tag,
		     struct xbuf *s)
{
	size_t nl = strcspn(e->reason, "\n"), old = r->doc.len;
	char reason[SUMMARY_REASON + 4];

	snprintf(reason, sizeof(reason), "%.*s%s", (int)(nl > SUMMARY_REASON ? SUMMARY_REASON : nl),
		 e->reason, nl > SUMMARY_REASON ? "..." : "");
	if (xbuf_printf(&r->doc, "%c%s%c%s", '0' + (int)report_result(e->res)->cls, tag, 0,
			report_clean_str(s, e->id, REPORT_CLEAN_LINE)) < 0 ||
	    (report_result(e->res)->cls == REPORT_CLASS_FAIL &&
	     xbuf_printf(&r->doc, " [%s]", report_severity_name(e->severity)) < 0) ||
	    xbuf_printf(&r->doc, " %s%c", report_clean_str(s, reason, REPORT_CLEAN_LINE), 0) < 0)
		xbuf_truncate(&r->doc, old);
}

static void text_end(struct report *r, const struct report_entry *e)
{
	const struct report_result_desc *d = report_result(e->res);
	int bad = d->cls == REPORT_CLASS_FAIL || d->cls == REPORT_CLASS_ERROR;
	struct xbuf s, t;

	xbuf_init(&s, REPORT_MAX_FIELD);
	xbuf_init(&t, REPORT_MAX_FIELD);
	fprintf(r->out, "%s%s%s  %-18s %s\n", r->color ? tag_color(d->cls) : "", d->tag,
		r->color ? COL_RESET : "", report_clean_str(&s, e->id, REPORT_CLEAN_LINE),
		report_clean_str(&t, e->title, REPORT_CLEAN_LINE));
	if (bad) {
		if (e->matters != NULL)
			fprintf(r->out, "      severity: %s - %s\n", report_severity_name(e->severity),
				report_clean_str(&s, e->matters, REPORT_CLEAN_LINE));
		fprintf(r->out, "      %s\n", report_clean_str(&s, e->reason, 0));
		remember(r, e, d->tag, &s);
	} else if ((d->cls == REPORT_CLASS_SKIP || r->verbose) && e->reason[0]) {
		fprintf(r->out, "      %s\n", report_clean_str(&s, e->reason, 0));
	}
	if (bad && !r->verbose) {
		xbuf_reset(&t);
		report_fold(&t, report_clean_str(&s, e->log, 0));
		print_log(r, xbuf_cstr(&t));
	} else if (bad || r->verbose) {
		print_log(r, report_clean_str(&s, e->log, 0));
	} else if (e->notice != NULL && e->notice[0]) {
		print_log(r, report_clean_str(&s, e->notice, 0));
	}
	xbuf_free(&s);
	xbuf_free(&t);
	fflush(r->out);
}

static void text_finish(struct report *r)
{
	size_t pos = 0;

	if (r->doc.len > 0)
		fprintf(r->out, "\n%sshort summary:%s\n", r->color ? COL_BOLD : "",
			r->color ? COL_RESET : "");
	while (pos < r->doc.len) {
		const char *tag = r->doc.data + pos + 1, *rest = tag + strlen(tag) + 1;
		enum report_class cls = (enum report_class)(r->doc.data[pos] - '0');

		fprintf(r->out, "  %s%-5s%s %s\n", r->color ? tag_color(cls) : "", tag,
			r->color ? COL_RESET : "", rest);
		pos = (size_t)(rest - r->doc.data) + strlen(rest) + 1;
	}
	report_print_stats(r, "");
}

const struct report_writer report_text_writer = { REPORT_KEEP_NONE, text_end, text_finish };
