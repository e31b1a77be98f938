/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_check_runner - the one runner of the conformance checks
 * DESCRIPTION
 *	A small table of rows whose run functions record their id: the
 *	walk runs the rows of the stages asked for, in table order, each
 *	once; --only/--skip by id prefix and tag leave rows out silently;
 *	an unmet need skips the row with the suite's reason (the first
 *	entry whose bits are all needs of the row, a group entry before a
 *	single one, a row-dependent test), and a met one runs it; the enter
 *	hook's reason skips before the needs are looked at; the first log
 *	goes to the rows of CHECK_STAGE_FIRST only; a row that stops the
 *	run ends the walk; check_run_any() and check_list(); the selection
 *	table of check_wanted(); and blocking: a need whose establishing
 *	check failed blocks the rows that need it, by the root check also
 *	through a blocked one, counted apart, and check_block() from inside.
 */
#define _GNU_SOURCE		/* open_memstream is POSIX 2008 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/runner.h"

#define NEED_A	(1u << 0)
#define NEED_B	(1u << 1)
#define NEED_T	(1u << 2)	/* the row-dependent one */

/* what the rows of a test run saw */
struct seen {
	char order[512];		/* the ids run, blank-separated */
	const char *gate;		/* the enter hook's reason, or NULL */
	int stop_at_c;			/* row "T-C-1" stops the run */
	unsigned enters;
};

/* record - a run function: note the id, pass (or stop the run) */
static void record(struct check_run *cr, const struct check_def *d)
{
	struct seen *s = cr->ctx;

	snprintf(s->order + strlen(s->order), sizeof(s->order) - strlen(s->order), "%s%s",
		 s->order[0] ? " " : "", d->ci.id);
	if (s->stop_at_c && strcmp(d->ci.id, "T-C-1") == 0) {
		cr->stop = 1;
		return;
	}
	check_end(cr, CHECK_PASS, "log [%s]", xbuf_cstr(&cr->r->log));
}

/* tagged - the test need: the row's tags hold "ok" */
static const char *tagged(struct check_run *cr, const struct check_def *d, char *buf, size_t size)
{
	(void)cr;
	if (d->tags != NULL && strstr(d->tags, "ok") != NULL)
		return NULL;
	snprintf(buf, size, "%s is not tagged ok", d->ci.id);
	return buf;
}

/* gate - the enter hook: count, and the reason the test set */
static const char *gate(struct check_run *cr, const struct check_def *d, char *buf, size_t size)
{
	struct seen *s = cr->ctx;

	(void)d;
	s->enters++;
	if (s->gate == NULL)
		return NULL;
	snprintf(buf, size, "%s", s->gate);
	return buf;
}

static const struct check_need needs[] = {
	{ NEED_A | NEED_B, "needs A and B", NULL, NULL, "A and B" },
	{ NEED_A, "needs A", NULL, "N-A", "A" },
	{ NEED_B, "needs B", NULL, NULL, "B" },
	{ NEED_T, NULL, tagged, NULL, "ok tagged" },
};

static const struct check_suite suite = { needs, 4, gate, NULL };
static const struct check_suite plain_suite = { needs, 4, NULL, NULL };

#define RX(id, tags, nd, st, ex)	{ { id, "title " id, SEV_ADVISORY, "why" }, tags, nd, st, \
					  record, NULL, ex }
#define R(id, tags, nd, st)	RX(id, tags, nd, st, NULL)
static const struct check_def table[] = {
	R("T-A-1", "alpha", 0, CHECK_STAGE_FIRST),
	R("T-B-1", NULL, 0, CHECK_STAGE_RUN),
	R("T-A-2", "alpha,beta", 0, CHECK_STAGE_MAIN),
	R("T-C-1", NULL, 0, CHECK_STAGE_PROBE),
	R("T-B-2", " beta ", 0, CHECK_STAGE_MAIN),
};
static const struct check_def needy[] = {
	R("N-AB", NULL, NEED_A | NEED_B, CHECK_STAGE_MAIN),
	R("N-A", NULL, NEED_A, CHECK_STAGE_MAIN),
	RX("N-B", NULL, NEED_B, CHECK_STAGE_MAIN, "a B was seen"),
	R("N-T", "no", NEED_T, CHECK_STAGE_MAIN),
	R("N-TOK", "ok", NEED_T | NEED_A, CHECK_STAGE_MAIN),
	R("N-0", NULL, 0, CHECK_STAGE_MAIN),
};
#undef R
#undef RX

/* a report into memory */
struct mem {
	struct report r;
	char *text;
	size_t len;
	FILE *fp;
};

static void mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->fp = open_memstream(&m->text, &m->len);
	assert_non_null(m->fp);
	report_init(&m->r, REPORT_TEXT, m->fp, 1);
}

static void mem_close(struct mem *m)
{
	(void)report_finish(&m->r);
	fclose(m->fp);
	free(m->text);
}

/* walk - run table's rows of stages with only/skip; the ids run */
static void walk(const char *only, const char *skip, unsigned stages, struct seen *s,
		 struct mem *m)
{
	struct check_run cr;

	memset(s, 0, sizeof(*s));
	mem_open(m);
	check_run_init(&cr, &suite, &m->r, only, skip, s);
	check_run_walk(&cr, table, 5, stages);
	check_run_free(&cr);
	fflush(m->fp);
}

static void test_check_run_walk_stages(void **state)
{
	struct seen s;
	struct mem m;

	(void)state;
	walk(NULL, NULL, CHECK_STAGES_ALL, &s, &m);
	assert_string_equal(s.order, "T-A-1 T-B-1 T-A-2 T-C-1 T-B-2");
	assert_int_equal(m.r.passed, 5);
	assert_int_equal(s.enters, 5);
	mem_close(&m);
	walk(NULL, NULL, CHECK_STAGE_BIT(CHECK_STAGE_MAIN), &s, &m);
	assert_string_equal(s.order, "T-A-2 T-B-2");
	mem_close(&m);
	walk(NULL, NULL, CHECK_STAGE_BIT(CHECK_STAGE_RUN) | CHECK_STAGE_BIT(CHECK_STAGE_FIRST), &s,
	     &m);
	assert_string_equal(s.order, "T-A-1 T-B-1");
	assert_int_equal(m.r.n, 2);
	mem_close(&m);
}

static void test_check_run_select(void **state)
{
	struct seen s;
	struct mem m;

	(void)state;
	/* an id prefix and a tag (blanks around it ignored); left out silently */
	walk("T-C,beta", NULL, CHECK_STAGES_ALL, &s, &m);
	assert_string_equal(s.order, "T-A-2 T-C-1 T-B-2");
	assert_int_equal(m.r.n, 3);
	assert_int_equal(m.r.skipped, 0);
	assert_int_equal(s.enters, 3);
	mem_close(&m);
	walk(NULL, "alpha,t-b-2", CHECK_STAGES_ALL, &s, &m);
	assert_string_equal(s.order, "T-B-1 T-C-1");
	mem_close(&m);
	/* a selection that names nothing runs nothing */
	walk("NOPE", NULL, CHECK_STAGES_ALL, &s, &m);
	assert_string_equal(s.order, "");
	assert_int_equal(m.r.n, 0);
	mem_close(&m);
}

static void test_check_run_needs(void **state)
{
	static const struct {
		unsigned have;
		const char *ran;
		const char *why[6];	/* per row of needy[]: the skip reason, NULL ran */
	} t[] = {
		{ 0, "N-0", { "needs A and B", "needs A", "needs B", "N-T is not tagged ok",
			      "needs A", NULL } },
		{ NEED_A, "N-A N-TOK N-0", { "needs A and B", NULL, "needs B",
					     "N-T is not tagged ok", NULL, NULL } },
		{ NEED_B, "N-B N-0", { "needs A and B", "needs A", NULL, "N-T is not tagged ok",
				       "needs A", NULL } },
		{ NEED_A | NEED_B | NEED_T, "N-AB N-A N-B N-TOK N-0",
		  { NULL, NULL, NULL, "N-T is not tagged ok", NULL, NULL } },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct check_run cr;
		struct seen s;
		struct mem m;

		memset(&s, 0, sizeof(s));
		mem_open(&m);
		check_run_init(&cr, &plain_suite, &m.r, NULL, NULL, &s);
		cr.have = t[i].have;
		check_run_walk(&cr, needy, 6, CHECK_STAGES_ALL);
		check_run_free(&cr);
		fflush(m.fp);
		if (strcmp(s.order, t[i].ran) != 0)
			fail_msg("have 0x%x: ran \"%s\", want \"%s\"", t[i].have, s.order, t[i].ran);
		for (k = 0; k < 6; k++) {
			char line[200];

			if (t[i].why[k] == NULL)
				snprintf(line, sizeof(line), "PASS  %-18s title %s\n", needy[k].ci.id,
					 needy[k].ci.id);
			else
				snprintf(line, sizeof(line), "SKIP  %-18s title %s\n      %s\n",
					 needy[k].ci.id, needy[k].ci.id, t[i].why[k]);
			if (strstr(m.text, line) == NULL)
				fail_msg("have 0x%x: no \"%s\" in:\n%s", t[i].have, line, m.text);
		}
		mem_close(&m);
	}
}

static void test_check_run_enter_and_first_log(void **state)
{
	struct check_run cr;
	struct seen s;
	struct mem m;

	(void)state;
	memset(&s, 0, sizeof(s));
	mem_open(&m);
	check_run_init(&cr, &suite, &m.r, NULL, NULL, &s);
	cr.first_log = "    S: FIRST\n";
	check_run_walk(&cr, table, 5, CHECK_STAGES_ALL);
	check_run_free(&cr);
	fflush(m.fp);
	/* the first log goes with the row of CHECK_STAGE_FIRST, and only there */
	assert_non_null(strstr(m.text, "PASS  T-A-1              title T-A-1\n"
			       "      log [    S: FIRST\n]\n"));
	assert_non_null(strstr(m.text, "PASS  T-B-1              title T-B-1\n      log []\n"));
	mem_close(&m);
	/* the enter hook's reason skips every row, needs or not, and no row runs */
	memset(&s, 0, sizeof(s));
	s.gate = "the service is gone";
	mem_open(&m);
	check_run_init(&cr, &suite, &m.r, "T-A,N-", NULL, &s);
	check_run_walk(&cr, table, 5, CHECK_STAGES_ALL);
	check_run_walk(&cr, needy, 6, CHECK_STAGES_ALL);
	check_run_free(&cr);
	fflush(m.fp);
	assert_string_equal(s.order, "");
	assert_int_equal(m.r.skipped, 8);
	assert_int_equal(cr.selected, 8);
	assert_non_null(strstr(m.text, "SKIP  N-AB               title N-AB\n"
			       "      the service is gone\n"));
	mem_close(&m);
}

static void test_check_run_stop(void **state)
{
	struct check_run cr;
	struct seen s;
	struct mem m;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at_c = 1;
	mem_open(&m);
	check_run_init(&cr, &suite, &m.r, NULL, NULL, &s);
	check_run_walk(&cr, table, 5, CHECK_STAGES_ALL);
	/* T-C-1 stopped the run unreported: T-B-2 never ran */
	assert_string_equal(s.order, "T-A-1 T-B-1 T-A-2 T-C-1");
	assert_int_equal(m.r.n, 3);
	assert_true(cr.stop);
	assert_int_equal(check_run_one(&cr, &table[0]), 0);
	assert_string_equal(s.order, "T-A-1 T-B-1 T-A-2 T-C-1");
	check_run_free(&cr);
	mem_close(&m);
}

static void test_check_run_any(void **state)
{
	struct check_run cr;
	struct mem m;

	(void)state;
	mem_open(&m);
	check_run_init(&cr, &suite, &m.r, "T-B", NULL, NULL);
	assert_true(check_run_any(&cr, table, 5, CHECK_STAGE_BIT(CHECK_STAGE_RUN)));
	assert_false(check_run_any(&cr, table, 5, CHECK_STAGE_BIT(CHECK_STAGE_FIRST)));
	check_run_init(&cr, &suite, &m.r, NULL, "alpha", NULL);
	assert_false(check_run_any(&cr, table, 5, CHECK_STAGE_BIT(CHECK_STAGE_FIRST)));
	assert_true(check_run_any(&cr, table, 5, CHECK_STAGE_BIT(CHECK_STAGE_MAIN)));
	mem_close(&m);
}

/* --- one root cause, one failure ------------------------------------------------ */

#define NEED_E	(1u << 0)	/* established by B-E */
#define NEED_F	(1u << 1)	/* established by B-F, which needs E */

/* establish - B-E and B-F: fail, clearing the need they establish, unless it holds */
static void establish(struct check_run *cr, const struct check_def *d)
{
	unsigned bit = strcmp(d->ci.id, "B-E") == 0 ? NEED_E : NEED_F;
	const unsigned *fails = cr->ctx;

	if (*fails & bit) {
		cr->have &= ~bit;
		check_end(cr, CHECK_FAIL, "broken");
	} else
		check_end(cr, CHECK_PASS, "%s", "");
}

/* late - finds out on its way that what B-E establishes is missing */
static void late(struct check_run *cr, const struct check_def *d)
{
	(void)d;
	if (check_root_of(cr, "B-E") != NULL)
		check_block(cr, "B-E", "its exchange needs E");
	else
		check_end(cr, CHECK_PASS, "%s", "");
}

static const struct check_need chain_needs[] = {
	{ NEED_E, "needs E", NULL, "B-E", "E" },
	{ NEED_F, "needs F", NULL, "B-F", "F" },
};
static const struct check_suite chain = { chain_needs, 2, NULL, NULL };

#define R(id, nd, fn)	{ { id, "title " id, SEV_ADVISORY, "why" }, NULL, nd, CHECK_STAGE_MAIN, fn, NULL, \
			  NULL }
static const struct check_def chained[] = {
	R("B-E", 0, establish),
	R("B-F", NEED_E, establish),
	R("B-USE-E", NEED_E, record),
	R("B-USE-F", NEED_F, record),
	R("B-LATE", 0, late),
};
#undef R

static void test_check_run_blocked(void **state)
{
	static const struct {
		unsigned fails;
		const char *why[5];	/* per row: "PASS", "FAIL", or the reason it is blocked */
		unsigned passed, failed, blocked;
	} t[] = {
		{ 0, { "PASS", "PASS", "PASS", "PASS", "PASS" }, 5, 0, 0 },
		/* B-E fails: everything that needs it, also through B-F, is blocked by B-E */
		{ NEED_E, { "FAIL", "blocked by B-E: needs E", "blocked by B-E: needs E",
			    "blocked by B-E: needs F", "blocked by B-E: its exchange needs E" },
		  0, 1, 4 },
		/* B-F alone fails: only what needs F */
		{ NEED_F, { "PASS", "FAIL", "PASS", "blocked by B-F: needs F", "PASS" }, 3, 1, 1 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct check_run cr;
		struct seen s;
		struct mem m;
		unsigned fails = t[i].fails;

		memset(&s, 0, sizeof(s));
		mem_open(&m);
		check_run_init(&cr, &chain, &m.r, NULL, NULL, &fails);
		cr.have = NEED_E | NEED_F;
		/* record() keeps its ids in a struct seen: give it one through a second run */
		check_run_walk(&cr, chained, 2, CHECK_STAGES_ALL);
		cr.ctx = &s;
		check_run_walk(&cr, chained + 2, 2, CHECK_STAGES_ALL);
		cr.ctx = &fails;
		check_run_walk(&cr, chained + 4, 1, CHECK_STAGES_ALL);
		fflush(m.fp);
		for (k = 0; k < 5; k++) {
			const char *w = t[i].why[k], *id = chained[k].ci.id;
			char line[200];

			if (strcmp(w, "PASS") == 0 || strcmp(w, "FAIL") == 0)
				snprintf(line, sizeof(line), "%s  %-18s title %s\n", w, id, id);
			else
				snprintf(line, sizeof(line), "BLOCKED  %-18s title %s\n      %s\n", id, id, w);
			if (strstr(m.text, line) == NULL)
				fail_msg("fails 0x%x: no \"%s\" in:\n%s", t[i].fails, line, m.text);
		}
		assert_int_equal(m.r.passed, t[i].passed);
		assert_int_equal(m.r.failed, t[i].failed);
		assert_int_equal(m.r.blocked, t[i].blocked);
		assert_int_equal(m.r.skipped, 0);
		assert_int_equal(check_result_of(&cr, "B-E"), fails & NEED_E ? CHECK_FAIL : CHECK_PASS);
		assert_int_equal(check_result_of(&cr, "NONE"), -1);
		if (fails & NEED_E)
			assert_string_equal(check_root_of(&cr, "B-USE-F"), "B-E");
		check_run_free(&cr);
		mem_close(&m);
	}
}

/* many rows blocked by one root: its name survives the results table growing under it */
static void test_check_run_blocked_many(void **state)
{
	struct check_run cr;
	struct seen s;
	struct mem m;
	unsigned fails = NEED_E;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	mem_open(&m);
	check_run_init(&cr, &chain, &m.r, NULL, NULL, &fails);
	cr.have = NEED_E | NEED_F;
	check_run_walk(&cr, chained, 2, CHECK_STAGES_ALL);
	cr.ctx = &s;
	for (i = 0; i < 200; i++)
		check_run_walk(&cr, chained + 3, 1, CHECK_STAGES_ALL);
	fflush(m.fp);
	assert_int_equal(m.r.blocked, 201);
	assert_string_equal(check_root_of(&cr, "B-USE-F"), "B-E");
	check_run_free(&cr);
	mem_close(&m);
}

static void test_check_selection_error(void **state)
{
	static const struct {
		const char *only, *skip, *want;	/* want: NULL, or the start of the error */
	} t[] = {
		{ NULL, NULL, NULL },
		{ "T-A,beta", "t-b-2", NULL },
		{ "alpha,T-C", NULL, NULL },
		{ "TYPO", NULL, "--only TYPO names no check" },
		{ "T-A,TYPO", NULL, "--only TYPO names no check" },
		{ NULL, "alpha,NOPE", "--skip NOPE names no check" },
		{ "alpha", "T-A", "--only and --skip leave no check to run" },
		{ "gamma", NULL, "--only gamma names no check" },
	};
	char buf[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *err = check_selection_error(t[i].only, t[i].skip, table, 5, buf,
							sizeof(buf));

		if (t[i].want == NULL && err != NULL)
			fail_msg("row %zu: unexpected \"%s\"", i, err);
		if (t[i].want != NULL && (err == NULL || strncmp(err, t[i].want, strlen(t[i].want))))
			fail_msg("row %zu: got \"%s\", want \"%s...\"", i, err ? err : "(null)",
				 t[i].want);
	}
}

static void test_check_list(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	assert_non_null(fp);
	check_list(fp, table, 3);
	fclose(fp);
	assert_string_equal(text, "T-A-1              [advisory] title T-A-1 (tags: alpha)\n"
			    "T-B-1              [advisory] title T-B-1\n"
			    "T-A-2              [advisory] title T-A-2 (tags: alpha,beta)\n");
	free(text);
}

/* the needs table: each need named once, the check that establishes it, the stage */
static void test_check_list_needs(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	assert_non_null(fp);
	check_list_needs(fp, &suite, needy, 6, NULL);
	check_list_needs(fp, &suite, table, 2, "the data ran");
	fclose(fp);
	assert_string_equal(text, "| N-AB | A and B | own exchanges | always |\n"
			    "| N-A | A [N-A] | own exchanges | always |\n"
			    "| N-B | B | own exchanges | a B was seen |\n"
			    "| N-T | ok tagged | own exchanges | always |\n"
			    "| N-TOK | A [N-A], ok tagged | own exchanges | always |\n"
			    "| N-0 | - | own exchanges | always |\n"
			    "| T-A-1 | - | first exchange | the data ran |\n"
			    "| T-B-1 | - | whole run | the data ran |\n");
	free(text);
}

static void test_check_wanted(void **state)
{
	static const struct {
		const char *only, *skip, *id, *tags;
		int want;
	} t[] = {
		{ NULL, NULL, "AUTH-REQ-101", "", 1 },
		{ "AUTH-REQ", NULL, "AUTH-REQ-101", "", 1 },
		{ "auth-req", NULL, "AUTH-REQ-101", "", 1 },
		{ "AUTH-REP", NULL, "AUTH-REQ-101", "", 0 },
		{ "AUTH-REP,AUTH-REQ-1", NULL, "AUTH-REQ-101", "", 1 },
		{ "base64", NULL, "AUTH-REQ-101", "ids, base64 ", 1 },
		{ "base", NULL, "AUTH-REQ-101", "base64", 0 },
		{ NULL, "base64", "AUTH-REQ-101", "x,base64", 0 },
		{ NULL, "AUTH-REQ-102", "AUTH-REQ-101", "", 1 },
		{ "AUTH", "AUTH-REQ-101", "AUTH-REQ-101", "", 0 },
		{ ",,", NULL, "AUTH-REQ-101", "", 0 },
		{ "", NULL, "AUTH-REQ-101", "", 0 },
		{ "base64", NULL, "AUTH-REQ-101", NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = check_wanted(t[i].only, t[i].skip, t[i].id, t[i].tags);

		if (got != t[i].want)
			fail_msg("row %zu: only %s skip %s id %s tags %s: got %d", i,
				 t[i].only ? t[i].only : "-", t[i].skip ? t[i].skip : "-", t[i].id,
				 t[i].tags ? t[i].tags : "-", got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_run_walk_stages),
		cmocka_unit_test(test_check_run_select),
		cmocka_unit_test(test_check_run_needs),
		cmocka_unit_test(test_check_run_enter_and_first_log),
		cmocka_unit_test(test_check_run_stop),
		cmocka_unit_test(test_check_run_any),
		cmocka_unit_test(test_check_run_blocked),
		cmocka_unit_test(test_check_run_blocked_many),
		cmocka_unit_test(test_check_selection_error),
		cmocka_unit_test(test_check_list),
		cmocka_unit_test(test_check_list_needs),
		cmocka_unit_test(test_check_wanted),
	};

	return cmocka_run_group_tests_name("check_runner", tests, NULL, NULL);
}
