/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_cfg - the "key = value" configuration parser
 * DESCRIPTION
 *	Entries, comments, blanks and CR; every error with its file:line
 *	text; and cfg_argv: the file's settings come first as long options
 *	(flags with an empty value or "yes"), the command line follows
 *	without --config in any of its three spellings, listen entries
 *	come last; unknown and command-line-only names and a value on a
 *	flag are refused naming file:line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "reference/common/cfgfile.h"

static void test_refcommon_cfg_entries(void **state)
{
	const char *text = "# comment\n\n  passwd-file = /etc/users  \r\nfault=crlf,delay=5\n"
			   "hostname = mx # not a comment\nempty =\n   # indented comment\nlast=x";
	struct cfg_iter it;
	struct cfg_entry e;
	char err[256];

	(void)state;
	cfg_init(&it, text, strlen(text), "a.conf");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "passwd-file");
	assert_string_equal(e.value, "/etc/users");
	assert_int_equal(e.line, 3);
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "fault");
	assert_string_equal(e.value, "crlf,delay=5");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.value, "mx # not a comment");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "empty");
	assert_string_equal(e.value, "");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "last");
	assert_int_equal(e.line, 8);
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 0);
}

struct bad {
	const char *text;
	size_t len;
	const char *err;
};

static void test_refcommon_cfg_errors(void **state)
{
	static char longline[CFG_MAX_LINE + 10];
	static const struct bad rows[] = {
		{ "ok = 1\nnovalue\n", 0, "b.conf:2: missing '=' after novalue" },
		{ "= 1\n", 0, "b.conf:1: bad key" },
		{ "k!ey = 1\n", 0, "b.conf:1: missing '=' after k" },
		{ "k = a\0b\n", 8, "b.conf:1: NUL byte in value" },
		{ "0123456789012345678901234567890123456789012345678901234567890123 = 1\n", 0,
		  "b.conf:1: bad key" },
	};
	struct cfg_iter it;
	struct cfg_entry e;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cfg_init(&it, rows[i].text, rows[i].len ? rows[i].len : strlen(rows[i].text), "b.conf");
		while ((rc = cfg_next(&it, &e, err, sizeof(err))) == 1)
			;
		if (rc != -1 || strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: rc %d err \"%s\", want \"%s\"", i, rc, err, rows[i].err);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[1] = '=';
	cfg_init(&it, longline, sizeof(longline) - 1, "c.conf");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "c.conf:1: line too long");
}

/* key - cfg_key_fn for the argv tests: passwd-file takes a value, penalty is a flag */
static int key(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "passwd-file") == 0 || strcmp(name, "fault") == 0)
		return 1;
	if (strcmp(name, "penalty") == 0)
		return 0;
	return -1;
}

/* joined - argv as one string, "|" between the arguments */
static const char *joined(const struct cfg_args *a)
{
	static char buf[512];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < a->argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "|" : "", a->argv[i]);
	assert_null(a->argv[a->argc]);
	return buf;
}

static void test_refcommon_cfg_argv(void **state)
{
	const char *text = "passwd-file = /etc/u\nlisten = unix:/a\npenalty = yes\n"
			   "fault = crlf\nlisten = spawn\npenalty =\n";
	char a0[] = "prog", a1[] = "-c", a2[] = "x.conf", a3[] = "-d", a4[] = "0",
	     a5[] = "--config=x.conf", a6[] = "--config", a7[] = "x.conf", a8[] = "inet:1";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	struct cfg_args a;
	char err[256];

	(void)state;
	assert_int_equal(cfg_argv(text, strlen(text), "x.conf", 9, argv, key, NULL, &a, err,
				  sizeof(err)), 0);
	assert_string_equal(joined(&a), "prog|--passwd-file|/etc/u|--penalty|--fault|crlf|"
			    "--penalty|-d|0|inet:1|unix:/a|spawn");
	assert_int_equal(a.argc, 12);
	cfg_args_free(&a);
	assert_null(a.argv);
	/* no file entries: the command line without --config */
	assert_int_equal(cfg_argv("", 0, "x.conf", 3, argv, key, NULL, &a, err, sizeof(err)), 0);
	assert_string_equal(joined(&a), "prog");
	cfg_args_free(&a);
}

static void test_refcommon_cfg_argv_errors(void **state)
{
	static const struct bad rows[] = {
		{ "passwd-file = x\nbogus = 1\n", 0, "y.conf:2: unknown setting bogus" },
		{ "penalty = no\n", 0, "y.conf:1: penalty takes no value (or \"yes\")" },
		{ "fault = a\nnovalue\n", 0, "y.conf:2: missing '=' after novalue" },
	};
	char a0[] = "prog", a1[] = "--config", a2[] = "y.conf";
	char *argv[] = { a0, a1, a2, NULL };
	struct cfg_args a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&a, 0, sizeof(a));
		if (cfg_argv(rows[i].text, strlen(rows[i].text), "y.conf", 3, argv, key, NULL, &a,
			     err, sizeof(err)) != -1 || strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: err \"%s\", want \"%s\"", i, err, rows[i].err);
		assert_null(a.argv);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_cfg_entries),
		cmocka_unit_test(test_refcommon_cfg_errors),
		cmocka_unit_test(test_refcommon_cfg_argv),
		cmocka_unit_test(test_refcommon_cfg_argv_errors),
	};

	return cmocka_run_group_tests_name("refcommon_cfg", tests, NULL, NULL);
}
