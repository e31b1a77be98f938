/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	runner - conformance checks as data, and the one runner that walks them
 * SYNOPSIS
 *	#include "harness/check/runner.h"
 * DESCRIPTION
 *	See runner.h: selection by --only/--skip (id prefix or tag), the
 *	suite's enter hook, the shared first log of a stage, a skip with
 *	the suite's reason for a need that does not hold, then the row's
 *	own function; and the --list line of a row.
 * DIAGNOSTICS
 *	Interface violations (a row without a function, a function that
 *	does not end its check, ends it twice, or an unmet need the suite
 *	has no reason for) are msg_panic().
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/check/runner.h"
#include "harness/io/target.h"
#include "util/msg.h"
#include "util/xmem.h"

/* check_run_init - a run of suite s into report r */
void check_run_init(struct check_run *cr, const struct check_suite *s, struct report *r,
		    const char *only, const char *skip, void *ctx)
{
	memset(cr, 0, sizeof(*cr));
	cr->suite = s;
	cr->r = r;
	cr->only = only;
	cr->skip = skip;
	cr->ctx = ctx;
}

/* check_run_free - what the run kept */
void check_run_free(struct check_run *cr)
{
	free(cr->done);
	cr->done = NULL;
	cr->ndone = cr->cap = 0;
}

/* done_of - what the run kept of check id, or NULL */
static const struct check_done *done_of(const struct check_run *cr, const char *id)
{
	size_t i;

	for (i = cr->ndone; i-- > 0;)
		if (strcmp(cr->done[i].id, id) == 0)
			return &cr->done[i];
	return NULL;
}

/* check_result_of - the result of check id in this run, or -1 */
int check_result_of(const struct check_run *cr, const char *id)
{
	const struct check_done *k = done_of(cr, id);

	return k != NULL ? (int)k->res : -1;
}

/* check_root_of - the failed check at the root of a failed or blocked one, or NULL */
const char *check_root_of(const struct check_run *cr, const char *id)
{
	const struct check_done *k = done_of(cr, id);

	return k != NULL && (k->res == CHECK_FAIL || k->res == CHECK_BLOCKED) ? k->root : NULL;
}

/* finish - report the verdict of the current row and keep it (root: of a block) */
static void finish(struct check_run *cr, enum check_result res, const char *root,
		   const char *why)
{
	const char *id = cr->r->cur ? cr->r->cur->id : "?";
	struct check_done *k;

	report_end(cr->r, res, "%s", why);
	if (cr->ndone == cr->cap) {
		cr->cap = cr->cap ? 2 * cr->cap : 64;
		cr->done = xrealloc(cr->done, cr->cap * sizeof(*cr->done));
	}
	k = &cr->done[cr->ndone++];
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->res = res;
	snprintf(k->root, sizeof(k->root), "%s", res == CHECK_BLOCKED && root ? root : id);
}

/* blocked - end the current row as blocked by the root of check id */
static void blocked(struct check_run *cr, const char *id, const char *why)
{
	const char *root = check_root_of(cr, id);
	char text[CHECK_VERDICT_MAX], rootbuf[sizeof(cr->done[0].root)];

	/* a copy: root may point into cr->done, which finish() may move */
	snprintf(rootbuf, sizeof(rootbuf), "%s", root != NULL ? root : id);
	snprintf(text, sizeof(text), "blocked by %s: %s", rootbuf, why);
	finish(cr, CHECK_BLOCKED, rootbuf, text);
}

/* why_of - the reason of a verdict of the row being run (who: for the panic) */
static void why_of(const struct check_run *cr, const char *who, char *why, size_t size,
		   const char *fmt, va_list ap) ATTR_PRINTF(5, 0);

static void why_of(const struct check_run *cr, const char *who, char *why, size_t size,
		   const char *fmt, va_list ap)
{
	if (cr->cur == NULL)
		msg_panic("%s: no check is being run", who);
	vsnprintf(why, size, fmt, ap);
}

/* check_end - the verdict of the row being run, through the suite's leave hook */
void check_end(struct check_run *cr, enum check_result res, const char *fmt, ...)
{
	char why[CHECK_VERDICT_MAX];
	va_list ap;

	va_start(ap, fmt);
	why_of(cr, "check_end", why, sizeof(why), fmt, ap);
	va_end(ap);
	if (cr->suite->leave != NULL)
		cr->suite->leave(cr, cr->cur, &res, why, sizeof(why));
	if (res == CHECK_BLOCKED && cr->block_by != NULL) {
		blocked(cr, cr->block_by, why);
		return;
	}
	if (tconn_limit_hit() && !cr->limit_before) {
		/* a wait of this check was cut short: its verdict would be a guess */
		report_note(cr->r, "its own verdict: %s", why);
		res = CHECK_SKIP;
		snprintf(why, sizeof(why), "not finished: the run reached its --max-time during "
			 "this check");
	}
	if (cr->book != NULL)
		confirm_book_result(cr->book, cr->cur->ci.id, res == CHECK_FAIL,
				    cr->cur->stage == CHECK_STAGE_FIRST);
	finish(cr, res, NULL, why);
}

/* check_block - the row being run is blocked by check id, which failed */
void check_block(struct check_run *cr, const char *id, const char *fmt, ...)
{
	char why[CHECK_VERDICT_MAX];
	va_list ap;

	va_start(ap, fmt);
	why_of(cr, "check_block", why, sizeof(why), fmt, ap);
	va_end(ap);
	blocked(cr, id, why);
}

/* check_tag_next - the next blank-trimmed tag of a comma-separated list */
const char *check_tag_next(const char *p, const char **tag_r, size_t *len_r)
{
	const char *comma = strchr(p, ',');
	size_t n = comma ? (size_t)(comma - p) : strlen(p);

	while (n > 0 && *p == ' ')
		p++, n--;
	while (n > 0 && p[n - 1] == ' ')
		n--;
	*tag_r = p;
	*len_r = n;
	return comma ? comma + 1 : NULL;
}

/* check_match - an id prefix or a whole tag of the comma-separated list matches */
int check_match(const char *list, const char *id, const char *tags)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n > 0 && strncasecmp(id, p, n) == 0)
			return 1;
		if (n > 0) {
			const char *t, *next = tags;
			size_t tn;

			while (next != NULL && *next) {
				next = check_tag_next(next, &t, &tn);
				if (tn == n && strncasecmp(t, p, n) == 0)
					return 1;
			}
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* check_wanted - --only, then --skip */
int check_wanted(const char *only, const char *skip, const char *id, const char *tags)
{
	if (only && !check_match(only, id, tags))
		return 0;
	if (skip && check_match(skip, id, tags))
		return 0;
	return 1;
}

/* unmatched - the first element of list that names no row of t, into buf; NULL: none */
static const char *unmatched(const char *list, const struct check_def *t, size_t n, char *buf,
			     size_t size)
{
	const char *p = list;

	while (p != NULL && *p) {
		const char *e = p, *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p), i;

		p = comma ? comma + 1 : NULL;
		if (len == 0 || len >= size)
			continue;
		memcpy(buf, e, len);
		buf[len] = '\0';
		for (i = 0; i < n; i++)
			if (check_match(buf, t[i].ci.id, t[i].tags))
				break;
		if (i == n)
			return buf;
	}
	return NULL;
}

/* check_selection_error - --only/--skip elements that name nothing, or an empty selection */
const char *check_selection_error(const char *only, const char *skip, const struct check_def *t,
				  size_t n, char *buf, size_t size)
{
	char elem[200];
	size_t i;

	if (only != NULL && unmatched(only, t, n, elem, sizeof(elem)) != NULL) {
		snprintf(buf, size, "--only %s names no check (ids, id prefixes and tags: --list)",
			 elem);
		return buf;
	}
	if (skip != NULL && unmatched(skip, t, n, elem, sizeof(elem)) != NULL) {
		snprintf(buf, size, "--skip %s names no check (ids, id prefixes and tags: --list)",
			 elem);
		return buf;
	}
	for (i = 0; i < n; i++)
		if (check_wanted(only, skip, t[i].ci.id, t[i].tags))
			return NULL;
	snprintf(buf, size, "--only and --skip leave no check to run");
	return buf;
}

/* check_selected - the run's --only/--skip for one row */
int check_selected(const struct check_run *cr, const struct check_def *d)
{
	return check_wanted(cr->only, cr->skip, d->ci.id, d->tags);
}

/*
 * unmet - the suite's reason for the first need of d that does not hold,
 * or NULL; cr->block_by is the check at fault when the row is blocked
 */
static const char *unmet(struct check_run *cr, const struct check_def *d, char *buf,
			 size_t size)
{
	const struct check_suite *s = cr->suite;
	unsigned missing = d->needs & ~cr->have, tested = 0;
	size_t i;

	for (i = 0; i < s->nneeds; i++) {
		const struct check_need *e = &s->needs[i];
		const char *why;

		if (e->test != NULL) {
			tested |= e->bits;
			if ((d->needs & e->bits) != 0 && (why = e->test(cr, d, buf, size)) != NULL)
				return why;
		} else if ((e->bits & ~d->needs) == 0) {
			int by = e->by != NULL ? check_result_of(cr, e->by) : -1;

			/* not established: its check was blocked, or failed and the need is gone */
			if (by == CHECK_BLOCKED || (by == CHECK_FAIL && (e->bits & missing) != 0)) {
				cr->block_by = e->by;
				return e->why;
			}
			if ((e->bits & missing) != 0)
				return e->why;
		}
	}
	if ((missing & ~tested) != 0)
		msg_panic("check_run_one: %s needs 0x%x, and the suite has no reason for it",
			  d->ci.id, missing & ~tested);
	return NULL;
}

/* check_run_one - one row: selection, begin, enter, needs, its function */
int check_run_one(struct check_run *cr, const struct check_def *d)
{
	char buf[CHECK_WHY_MAX];
	const char *why = NULL;
	unsigned before;

	if (cr->stop || !check_selected(cr, d))
		return 0;
	if (d->run == NULL)
		msg_panic("check_run_one: %s has no run function", d->ci.id);
	cr->selected++;
	report_begin(cr->r, &d->ci);
	cr->block_by = NULL;
	cr->limit_before = tconn_limit_hit();
	if (cr->limit_before) {
		finish(cr, CHECK_SKIP, NULL, "not run: the run reached its --max-time");
		return 1;
	}
	if (cr->suite->enter != NULL)
		why = cr->suite->enter(cr, d, buf, sizeof(buf));
	if (why == NULL && d->stage == CHECK_STAGE_FIRST && cr->first_log != NULL &&
	    xbuf_append_str(&cr->r->log, cr->first_log) < 0)
		xbuf_reset(&cr->r->log);
	if (why == NULL)
		why = unmet(cr, d, buf, sizeof(buf));
	if (why != NULL && cr->block_by != NULL)
		blocked(cr, cr->block_by, why);
	else if (why != NULL)
		finish(cr, CHECK_SKIP, NULL, why);
	if (why != NULL)
		return 1;
	before = cr->r->n;
	cr->cur = d;
	d->run(cr, d);
	cr->cur = NULL;
	if (cr->r->n == before && !cr->stop)
		msg_panic("check_run_one: %s ended without a verdict", d->ci.id);
	if (cr->r->n > before + 1)
		msg_panic("check_run_one: %s ended %u times", d->ci.id, cr->r->n - before);
	return 1;
}

/* check_run_walk - the rows of the given stages, in table order */
void check_run_walk(struct check_run *cr, const struct check_def *t, size_t n, unsigned stages)
{
	size_t i;

	for (i = 0; i < n && !cr->stop; i++)
		if (stages & CHECK_STAGE_BIT(t[i].stage))
			(void)check_run_one(cr, &t[i]);
}

/* check_run_any - is a row of these stages selected */
int check_run_any(const struct check_run *cr, const struct check_def *t, size_t n,
		  unsigned stages)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((stages & CHECK_STAGE_BIT(t[i].stage)) && check_selected(cr, &t[i]))
			return 1;
	return 0;
}

/* check_list - "ID [severity] title (tags: ...)" per row */
void check_list(FILE *out, const struct check_def *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int tagged = t[i].tags != NULL && t[i].tags[0] != '\0';

		fprintf(out, "%-18s [%s] %s%s%s%s\n", t[i].ci.id,
			report_severity_name(t[i].ci.severity), t[i].ci.title,
			tagged ? " (tags: " : "", tagged ? t[i].tags : "", tagged ? ")" : "");
	}
}

/* check_list_needs - "| ID | needs | stage | exercised when |" per row */
void check_list_needs(FILE *out, const struct check_suite *s, const struct check_def *t, size_t n,
		      const char *data)
{
	static const char *const stages[] = { "first exchange", "own exchanges", "probe", "whole run" };
	size_t i, k;

	for (i = 0; i < n; i++) {
		unsigned covered = 0;
		int any = 0;

		fprintf(out, "| %s | ", t[i].ci.id);
		for (k = 0; k < s->nneeds; k++) {
			const struct check_need *e = &s->needs[k];
			int applies = e->test != NULL ? (t[i].needs & e->bits) != 0 :
				      (e->bits & ~t[i].needs) == 0;

			/* an entry whose needs are all named already adds nothing */
			if (!applies || (e->bits & ~covered) == 0 || e->name == NULL)
				continue;
			covered |= e->bits;
			fprintf(out, "%s%s%s%s%s", any++ ? ", " : "", e->name, e->by ? " [" : "",
				e->by ? e->by : "", e->by ? "]" : "");
		}
		fprintf(out, "%s | %s | %s |\n", any ? "" : "-", stages[t[i].stage],
			t[i].exercised ? t[i].exercised : data ? data : "always");
	}
}
