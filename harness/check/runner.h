/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	runner - conformance checks as data, and the one runner that walks them
 * SYNOPSIS
 *	#include "harness/check/runner.h"
 *
 *	void check_run_init(struct check_run *cr, const struct check_suite *s,
 *	                    struct report *r, const char *only,
 *	                    const char *skip, void *ctx);
 *	void check_run_free(struct check_run *cr);
 *	void check_end(struct check_run *cr, enum check_result res,
 *	               const char *fmt, ...);
 *	void check_block(struct check_run *cr, const char *id,
 *	                 const char *fmt, ...);
 *	int check_result_of(const struct check_run *cr, const char *id);
 *	const char *check_root_of(const struct check_run *cr, const char *id);
 *	int check_selected(const struct check_run *cr,
 *	                   const struct check_def *d);
 *	int check_run_one(struct check_run *cr, const struct check_def *d);
 *	void check_run_walk(struct check_run *cr, const struct check_def *t,
 *	                    size_t n, unsigned stages);
 *	int check_run_any(const struct check_run *cr,
 *	                  const struct check_def *t, size_t n,
 *	                  unsigned stages);
 *	void check_list(FILE *out, const struct check_def *t, size_t n);
void check_list_needs(FILE *out, const struct check_suite *s, const struct check_def *t, size_t n,
		      const char *data);
 *	void check_list_needs(FILE *out, const struct check_suite *s,
 *	                      const struct check_def *t, size_t n,
 *	                      const char *data);
 *	int check_match(const char *list, const char *id, const char *tags);
 *	int check_wanted(const char *only, const char *skip, const char *id,
 *	                 const char *tags);
 *	const char *check_selection_error(const char *only, const char *skip,
 *	                                  const struct check_def *t, size_t n,
 *	                                  char *buf, size_t size);
 *	const char *check_tag_next(const char *p, const char **tag_r,
 *	                           size_t *len_r);
 * DESCRIPTION
 *	A check is one row of a table, a struct check_def: what the report
 *	prints (id, title, severity, why it matters), its tags, what it
 *	needs, when it runs, and the function that runs it. The auth checks
 *	(check/auth.c), the policy checks (check/policy.c), the --expect
 *	rules and the data checks of the catalogue (check/catalogue.c) are
 *	all such rows, and check_run_one() runs every one the same way:
 *
 *	  1. selection: a row --only does not name, or --skip names, is
 *	     left out silently (check_wanted(); 0 is returned);
 *	  2. report_begin(); once the run's bound (tconn_limit(),
 *	     harness/io/target.h) is reached, the row is skipped: "not run:
 *	     the run reached its --max-time"; a row during which it is
 *	     reached is skipped as "not finished" in check_end(), its own
 *	     verdict kept as a note;
 *	  3. the suite's enter hook, when it has one: it may add to the
 *	     check's log, and may give a reason why the run cannot give the
 *	     check a chance now (the service is gone, it stopped answering):
 *	     the check is then skipped with that reason;
 *	  4. a row of stage CHECK_STAGE_FIRST gets cr->first_log appended to
 *	     its log: the wire log of the run's first exchange, which all
 *	     the checks of that stage are judged from;
 *	  5. needs: when one of the row's needs does not hold, the check is
 *	     skipped with the suite's reason for it, or blocked (below);
 *	  6. d->run(): it ends the check with check_end(), unless it sets
 *	     cr->stop (the run cannot go on; a message says why) and leaves
 *	     the check unreported.
 *	Once cr->stop is set, check_run_one() and check_run_walk() do
 *	nothing more.
 *
 *	check_end() gives the verdict of the check being run: first to the
 *	suite's leave hook, when it has one, which may change it (the
 *	helper died during the check: whatever the check found, the death
 *	is its finding; or it died again: blocked by the check it died in
 *	first, which the hook names in cr->block_by), then to report_end(). The runner keeps the result
 *	of every check it reported (skips too); check_result_of() returns
 *	it, or -1 when no check of that id was reported in this run.
 *	check_run_free() frees what the run kept. When cr->book is set
 *	(check --confirm; the suite sets it after check_run_init()), the
 *	book is told whether each check that ended failed.
 *
 *	Needs are bits a suite defines (AUTH_NEED_* in check/auth_int.h,
 *	POLICY_NEED_* in check/policy_int.h). cr->have holds the bits that
 *	hold in this run. The suite's struct check_need list gives, in
 *	order, the reason for each need or group of needs: the first entry
 *	whose bits are all needs of the row, and one of which is not in
 *	cr->have, speaks. An entry with
 *	a test is a need that depends on the row (the SASL mechanisms a data
 *	check's tags name): it speaks when the row has one of its bits and
 *	the test returns a reason (written into buf, or static).
 *
 *	One root cause, one failure. An entry may name, in by, the check
 *	that establishes its need (AUTH-HANDSHAKE-001 the handshake,
 *	POLICY-REPLY-001 an action, ...). When that check failed in this
 *	run and the need does not hold, or when that check was itself
 *	blocked (so nothing established the need), the row is not skipped
 *	but blocked
 *	(CHECK_BLOCKED, "blocked by ROOT: reason") by the check whose
 *	failure is the root of it: counted apart, with no advice of its
 *	own. A test, or the enter hook, blocks by setting cr->block_by to
 *	the check at fault before it returns its reason. check_block() ends
 *	the check being run the same way from inside (a need found out only
 *	on the way). check_root_of() is the root of a failed or blocked
 *	check (id itself when it failed), or NULL.
 *
 *	Stages say when a row runs. A suite walks its table stage by stage
 *	(check_run_walk() with a mask of CHECK_STAGE_BIT()s: the rows of
 *	those stages, in table order), and runs its other checks (data
 *	checks, rules) between the walks. The table itself is in --list
 *	order. check_run_any() tells whether any row of those stages is
 *	selected (a stage's shared first exchange is made only then).
 *
 *	check_list() prints one line per row: "ID [severity] title", and
 *	" (tags: TAGS)" when the row has tags. check_list_needs() prints a
 *	Markdown table row per row: its id, what it needs (the names of the
 *	suite's need entries that its need bits cover, each with the check
 *	that establishes it in brackets), its stage, and when it counts as
 *	exercised (d->exercised; NULL: "always"); with data, a row whose
 *	exercised is NULL gets that text instead (a data check: "the
 *	transcript ran through").
 *
 *	check_match() is true when an element of the comma-separated list
 *	is a prefix of id (case-insensitive) or equals one of the
 *	comma-separated tags (case-insensitive, blanks around a tag
 *	ignored). check_wanted() applies --only (NULL: all), then --skip.
 *	check_selected() is check_wanted() with the run's --only/--skip.
 *	check_selection_error() checks a selection against every row a run
 *	has (t, n): each element of --only and of --skip must name at least
 *	one row (a typo must not run nothing, nor skip nothing, silently),
 *	and --only and --skip together must leave one; it returns NULL, or
 *	the reason in buf.
 *	check_tag_next() iterates over a comma-separated tag list: the tag
 *	at p, blanks around it cut, into (*tag_r, *len_r); it returns where
 *	the next one starts, or NULL after the last.
 * DIAGNOSTICS
 *	check_run_one: 1 the row was selected (and reported, unless it
 *	stopped the run), 0 it was not, or the run had stopped.
 *	A run function that neither ends its check nor stops the run, a row
 *	without a run function, a row whose unmet need no entry of the
 *	suite names, or check_end() outside a check, is our bug:
 *	msg_panic().
 */
#ifndef HARNESS_CHECK_RUNNER_H
#define HARNESS_CHECK_RUNNER_H

#include <stddef.h>
#include <stdio.h>

#include "harness/confirm/confirm.h"
#include "harness/report/report.h"

/* when a row runs; a suite walks its stages in this order */
enum check_stage {
	CHECK_STAGE_FIRST,	/* judged from the run's first exchange, which they share */
	CHECK_STAGE_MAIN,	/* each makes its own exchanges */
	CHECK_STAGE_PROBE,	/* long probes: many exchanges, idle or busy connections */
	CHECK_STAGE_RUN,	/* judged over everything the run has read */
};

#define CHECK_STAGE_BIT(s)	(1u << (s))
#define CHECK_STAGES_ALL	(CHECK_STAGE_BIT(CHECK_STAGE_FIRST) | \
				 CHECK_STAGE_BIT(CHECK_STAGE_MAIN) | \
				 CHECK_STAGE_BIT(CHECK_STAGE_PROBE) | \
				 CHECK_STAGE_BIT(CHECK_STAGE_RUN))

#define CHECK_WHY_MAX		300	/* a skip reason written by a hook or test */
#define CHECK_VERDICT_MAX	1024	/* a verdict's reason, as check_end() formats it */

struct check_run;

/* one check: a row of a suite's table */
struct check_def {
	struct check_info ci;		/* id, title, severity, why it matters */
	const char *tags;		/* comma-separated, for --only/--skip; NULL: none */
	unsigned needs;			/* the suite's need bits (AUTH_NEED_*, ...) */
	enum check_stage stage;		/* when it runs */
	void (*run)(struct check_run *cr, const struct check_def *d);
	const void *arg;		/* the row's own datum (a data check's entry), or NULL */
	const char *exercised;		/* when it counts as exercised; NULL: every run of it */
};

/* the reason a check is skipped when a need does not hold */
struct check_need {
	unsigned bits;			/* one need, or needs that share the reason */
	const char *why;
	/* a need that depends on the row: a reason, or NULL when it holds */
	const char *(*test)(struct check_run *cr, const struct check_def *d, char *buf,
			    size_t size);
	const char *by;			/* the check that establishes it, or NULL */
	const char *name;		/* what is needed, for --list --needs */
};

/* what a suite tells the runner */
struct check_suite {
	const struct check_need *needs;
	size_t nneeds;
	/* NULL, or after report_begin(): a reason the run cannot run the check now */
	const char *(*enter)(struct check_run *cr, const struct check_def *d, char *buf,
			     size_t size);
	/* NULL, or in check_end(): may change the verdict (*res, and why of size bytes) */
	void (*leave)(struct check_run *cr, const struct check_def *d, enum check_result *res,
		      char *why, size_t size);
};

/* the result of a check the run reported */
struct check_done {
	char id[64];
	enum check_result res;
	char root[64];			/* failed: the id; blocked: the root check */
};

/* one run of a suite */
struct check_run {
	const struct check_suite *suite;
	struct report *r;
	const char *only, *skip;	/* --only, --skip: NULL for none */
	unsigned have;			/* the need bits that hold */
	const char *first_log;		/* wire log of the first exchange, or NULL */
	void *ctx;			/* the suite's state, for its run functions */
	int stop;			/* set by a check: the run cannot go on */
	unsigned selected;		/* rows selected so far */
	const struct check_def *cur;	/* the row being run, or NULL */
	const char *block_by;		/* set by a test or the enter hook: blocked */
	int limit_before;		/* the run's bound was reached before this row */
	struct check_done *done;	/* every check reported, in order */
	struct confirm_book *book;	/* check --confirm: told how each check ended, or NULL */
	size_t ndone, cap;
};

void check_run_init(struct check_run *cr, const struct check_suite *s, struct report *r,
		    const char *only, const char *skip, void *ctx);
void check_run_free(struct check_run *cr);
void check_end(struct check_run *cr, enum check_result res, const char *fmt, ...)
	ATTR_PRINTF(3, 4);
void check_block(struct check_run *cr, const char *id, const char *fmt, ...) ATTR_PRINTF(3, 4);
int check_result_of(const struct check_run *cr, const char *id);
const char *check_root_of(const struct check_run *cr, const char *id);
int check_selected(const struct check_run *cr, const struct check_def *d);
int check_run_one(struct check_run *cr, const struct check_def *d);
void check_run_walk(struct check_run *cr, const struct check_def *t, size_t n, unsigned stages);
int check_run_any(const struct check_run *cr, const struct check_def *t, size_t n,
		  unsigned stages);
void check_list(FILE *out, const struct check_def *t, size_t n);
void check_list_needs(FILE *out, const struct check_suite *s, const struct check_def *t, size_t n,
		      const char *data);
int check_match(const char *list, const char *id, const char *tags);
int check_wanted(const char *only, const char *skip, const char *id, const char *tags);
const char *check_selection_error(const char *only, const char *skip, const struct check_def *t,
				  size_t n, char *buf, size_t size);
const char *check_tag_next(const char *p, const char **tag_r, size_t *len_r);

#endif
