/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policy_scan - policy_scan_block with a server's own bounds
 * DESCRIPTION
 *	A table over policy_scan_init_bounds(): each bound at N (accepted)
 *	and N + 1 (the exact error), the order of the checks on one line
 *	(line length before the attribute count before the byte count), a
 *	long line refused before its LF, the byte bound counting the empty
 *	line, bounds above the defaults cut to them, and the accepted
 *	lines counted in s->lines. Every row is fed whole and then one
 *	byte at a time, with the same result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/policy.h"
#include "util/compiler.h"

struct scan_case {
	const char *name;
	const char *in;
	size_t max_line, max_attrs, max_bytes;
	int rc;			/* 1 complete, 0 more, -1 error */
	size_t used;		/* rc 1 */
	size_t lines;		/* accepted lines when the scan stopped */
	const char *err;	/* rc -1 */
};

static const struct scan_case cases[] = {
	{ "line at bound", "a=1234\n\n", 6, 10, 100, 1, 8, 1, NULL },
	{ "line over bound", "a=12345\n\n", 6, 10, 100, -1, 0, 0, "line too long" },
	{ "long line before its LF", "a=1\na=12345", 6, 10, 100, -1, 0, 1, "line too long" },
	{ "unfinished line at bound", "a=1\na=1234", 6, 10, 100, 0, 0, 1, NULL },
	{ "attrs at bound", "a=1\nb=2\n\n", 6, 2, 100, 1, 9, 2, NULL },
	{ "attrs over bound", "a=1\nb=2\nc=3\n\n", 6, 2, 100, -1, 0, 2, "too many attributes" },
	{ "bad lines count", "a=1\nxx\nc=3\n\n", 6, 2, 100, -1, 0, 2, "too many attributes" },
	{ "bytes at bound", "a=1\nb=2\n\n", 6, 10, 9, 1, 9, 2, NULL },
	{ "bytes over bound at the empty line", "a=1\nb=2\n\n", 6, 10, 8, -1, 0, 2,
	  "request too large" },
	{ "bytes over bound at a line", "a=1\nb=2\n\n", 6, 10, 7, -1, 0, 1, "request too large" },
	{ "length before count", "a=1\nb=2\nc=345678\n", 6, 2, 100, -1, 0, 2, "line too long" },
	{ "count before bytes", "a=1\nb=2\nc=3\n", 6, 2, 10, -1, 0, 2, "too many attributes" },
	{ "bounds cut to the defaults", "a=1\n\n", POLICY_MAX_LINE * 2, POLICY_MAX_ATTRS * 2,
	  (size_t)-1, 1, 5, 1, NULL },
	{ "empty request", "\n", 6, 1, 1, 1, 1, 0, NULL },
	{ "cr is data", "a=1234\r\n\n", 6, 10, 100, -1, 0, 0, "line too long" },
};

static void check(const struct scan_case *c, int bytewise)
{
	struct policy_scan s;
	const char *err = NULL;
	size_t len = strlen(c->in), have, used = 0;
	int rc = 0;

	policy_scan_init_bounds(&s, c->max_line, c->max_attrs, c->max_bytes);
	for (have = bytewise ? 1 : len; have <= len; have++) {
		rc = policy_scan_block(&s, c->in, have, &used, &err);
		if (rc != 0)
			break;
	}
	if (rc != c->rc)
		fail_msg("%s%s: rc %d, want %d (%s)", c->name, bytewise ? " bytewise" : "", rc, c->rc,
			 err ? err : "");
	if (rc == 1 && used != c->used)
		fail_msg("%s: used %zu, want %zu", c->name, used, c->used);
	if (rc == -1 && strcmp(err, c->err) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", c->name, err, c->err);
	if (s.lines != c->lines)
		fail_msg("%s%s: %zu lines, want %zu", c->name, bytewise ? " bytewise" : "", s.lines,
			 c->lines);
}

static void test_policy_scan_bounds_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		check(&cases[i], 0);
		check(&cases[i], 1);
	}
}

/* policy_scan_init: the defaults, and no byte bound */
static void test_policy_scan_defaults(void **state)
{
	struct policy_scan s;
	const char *err;
	size_t used = 0;
	char *big = malloc(POLICY_MAX_LINE + 3);

	(void)state;
	assert_non_null(big);
	policy_scan_init(&s);
	assert_int_equal(s.max_line, POLICY_MAX_LINE);
	assert_int_equal(s.max_attrs, POLICY_MAX_ATTRS);
	memset(big, 'x', POLICY_MAX_LINE + 3);
	big[0] = 'a';
	big[1] = '=';
	big[POLICY_MAX_LINE] = '\n';
	big[POLICY_MAX_LINE + 1] = '\n';
	assert_int_equal(policy_scan_block(&s, big, POLICY_MAX_LINE + 2, &used, &err), 1);
	assert_int_equal(used, POLICY_MAX_LINE + 2);
	policy_scan_init(&s);
	big[POLICY_MAX_LINE] = 'x';
	assert_int_equal(policy_scan_block(&s, big, POLICY_MAX_LINE + 1, &used, &err), -1);
	assert_string_equal(err, "line too long");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_scan_bounds_table),
		cmocka_unit_test(test_policy_scan_defaults),
	};

	return cmocka_run_group_tests_name("policy_scan", tests, NULL, NULL);
}
