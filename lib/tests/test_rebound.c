/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_rebound - unit tests for util/rebound
 * DESCRIPTION
 *	Real-world patterns (the corpus' S~ lines and rule files, the usual
 *	address, host name and IP shapes, bracket expressions with "]" "["
 *	and classes, patterns just inside each bound) are accepted and
 *	compile with regcomp(REG_EXTENDED). The fuzzing findings (a long
 *	run of "+", nested "+" groups, counted repetitions of optional
 *	groups) and a pattern just past each bound are refused with the
 *	reason and the offset of the byte where the bound was crossed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/rebound.h"

static const char *const accepted[] = {
	"^FAIL\\t[0-9]+(\\t.*)?$",
	"^MECH\\t[A-Za-z0-9_-]+(\\t[a-z-]+)*$",
	"^OK\\t[0-9]+\\tuser=",
	"^action=(DUNNO|OK)$",
	"^(localhost|\\[?127\\.)",
	"^mail[0-9]+\\.re\\.example$",
	"^[0-9]{1,3}(\\.[0-9]{1,3}){3}$",
	"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
	"^[^@]+@([a-z0-9-]+\\.)+[a-z]{2,}$",
	"(^|[^0-9])(dsl|dialup|ppp|dyn(amic)?|pool)[-.0-9]",
	"^[[:alnum:]._%+-]+@[[:alnum:].-]+$",
	"[]a-z]+",
	"[^]a]*x",
	"[[:space:][:punct:]]+",
	"[[.-.]a]+",
	"[[=e=]]?",
	"a{2,}",
	"a{,5}b",
	"x{1,255}",
	"((a+)+)+",
	"(a*)*",
	"a{",
	"a{x}+",
	"\\++",
	"\\{1\\}+",
	"",
	"^$",
};

/* reasons, by a word each contains */
#define WHY_STACK	"after a repetition operator"
#define WHY_COUNT	"count above"
#define WHY_DEPTH	"nested deeper"
#define WHY_NODES	"expands to more than"
#define WHY_LEN		"longer than"

struct refused {
	const char *re;		/* NULL: built by the test */
	const char *why;
	size_t off;
};

static const struct refused refused[] = {
	{ "e++", WHY_STACK, 2 },
	{ "a**", WHY_STACK, 2 },
	{ ".*?", WHY_STACK, 2 },
	{ "a+?", WHY_STACK, 2 },
	{ "a{2}+", WHY_STACK, 4 },
	{ "a*{2}", WHY_STACK, 2 },
	{ "a{2}{3}", WHY_STACK, 4 },
	{ "x{1001}", WHY_COUNT, 1 },
	{ "x{0,99999999999999999999}", WHY_COUNT, 1 },
	{ "x{1,}{", NULL, 0 },	/* accepted: a "{" that starts no interval */
	{ "(ab){100}{100}", WHY_STACK, 9 },
	{ "((ab){100}){100}", WHY_NODES, 11 },
	{ "((a?)*){1000}", WHY_NODES, 7 },
	{ "(()*){500}", WHY_NODES, 5 },
	{ "((((((((((a+)+)+)+)+)+)+)+)+)+)", WHY_NODES, 27 },
	{ "helo_name =~ /e++++++++++++++++++/", WHY_STACK, 16 },
};

/* the fuzzing findings, rebuilt: the S~ of fuzz_transcript and the rule of fuzz_policyd_rules */
static void build_finding(char *buf, size_t size, const char *head, size_t plus, const char *tail)
{
	size_t n = (size_t)snprintf(buf, size, "%s", head), i;

	for (i = 0; i < plus && n + 1 < size; i++)
		buf[n++] = '+';
	snprintf(buf + n, size - n, "%s", tail);
}

static void test_rebound_accepts_real_world(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(accepted); i++) {
		size_t off = 99;
		const char *why = rebound_check(accepted[i], strlen(accepted[i]), &off);
		regex_t re;

		if (why != NULL)
			fail_msg("\"%s\" refused at %zu: %s", accepted[i], off, why);
		assert_int_equal(off, 0);
		/* "a{" and "a{x}+" are regcomp's to refuse or not */
		if (strncmp(accepted[i], "a{", 2) == 0)
			continue;
		if (regcomp(&re, accepted[i], REG_EXTENDED | REG_NOSUB) != 0)
			fail_msg("\"%s\" does not compile", accepted[i]);
		regfree(&re);
	}
}

static void test_rebound_refuses(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(refused); i++) {
		const struct refused *r = &refused[i];
		size_t off = 99;
		const char *why = rebound_check(r->re, strlen(r->re), &off);

		if (r->why == NULL) {
			if (why != NULL)
				fail_msg("\"%s\" refused: %s", r->re, why);
			continue;
		}
		if (why == NULL)
			fail_msg("\"%s\" accepted", r->re);
		if (strstr(why, r->why) == NULL)
			fail_msg("\"%s\": \"%s\", want \"%s\"", r->re, why, r->why);
		if (off != r->off)
			fail_msg("\"%s\": offset %zu, want %zu", r->re, off, r->off);
	}
}

static void test_rebound_findings(void **state)
{
	char buf[256];
	size_t off = 0;
	const char *why;

	(void)state;
	/* fuzz_transcript: S~ /^MECrene+++...+ctH\t+$/, about 110 "+" */
	build_finding(buf, sizeof(buf), "^MECrene", 110, "ctH\\t+$");
	why = rebound_check(buf, strlen(buf), &off);
	assert_non_null(why);
	assert_non_null(strstr(why, WHY_STACK));
	assert_int_equal(off, 9);
	/* fuzz_policyd_rules: helo_nam!~ /^2\.+++...+)/i, 53 "+" */
	build_finding(buf, sizeof(buf), "^2\\.", 53, ")");
	why = rebound_check(buf, strlen(buf), &off);
	assert_non_null(why);
	assert_non_null(strstr(why, WHY_STACK));
	assert_int_equal(off, 5);
}

static void test_rebound_bounds(void **state)
{
	char buf[REBOUND_MAX_LEN + 2];
	size_t off = 99, i;
	const char *why;

	(void)state;
	/* length: 1024 plain bytes are 1024 nodes, so over the node bound */
	memset(buf, 'a', sizeof(buf));
	why = rebound_check(buf, REBOUND_MAX_LEN + 1, &off);
	assert_non_null(why);
	assert_non_null(strstr(why, WHY_LEN));
	assert_int_equal(off, 0);
	/* a long bracket expression is one node: 1024 bytes pass */
	buf[0] = '[';
	buf[REBOUND_MAX_LEN - 1] = ']';
	assert_null(rebound_check(buf, REBOUND_MAX_LEN, NULL));
	/* nodes: 1000 atoms pass, 1001 do not (crossed at the 1001st) */
	memset(buf, 'a', sizeof(buf));
	assert_null(rebound_check(buf, REBOUND_MAX_NODES, NULL));
	why = rebound_check(buf, REBOUND_MAX_NODES + 1, &off);
	assert_non_null(why);
	assert_non_null(strstr(why, WHY_NODES));
	assert_int_equal(off, REBOUND_MAX_NODES);
	/* a{1000}: 1000 copies and the operator */
	assert_null(rebound_check("a{999}", 6, NULL));
	assert_non_null(rebound_check("a{1000}", 7, NULL));
	/* depth: 32 nested groups pass, 33 do not */
	for (i = 0; i < REBOUND_MAX_DEPTH + 1; i++) {
		buf[i] = '(';
		buf[2 * (REBOUND_MAX_DEPTH + 1) - 1 - i] = ')';
	}
	why = rebound_check(buf + 1, 2 * REBOUND_MAX_DEPTH, &off);
	assert_null(why);
	why = rebound_check(buf, 2 * (REBOUND_MAX_DEPTH + 1), &off);
	assert_non_null(why);
	assert_non_null(strstr(why, WHY_DEPTH));
	assert_int_equal(off, REBOUND_MAX_DEPTH);
	/* the bound is on bytes, not a C string: a NUL is one atom */
	assert_null(rebound_check("a\0+", 3, NULL));
	assert_null(rebound_check("a++", 2, NULL));
	assert_non_null(rebound_check("a++", 3, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebound_accepts_real_world),
		cmocka_unit_test(test_rebound_refuses),
		cmocka_unit_test(test_rebound_findings),
		cmocka_unit_test(test_rebound_bounds),
	};

	return cmocka_run_group_tests_name("rebound", tests, NULL, NULL);
}
