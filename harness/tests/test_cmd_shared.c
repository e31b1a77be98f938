/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_cmd_shared - unit tests for --fail-on, the data directory, the
 *	catalogue id and --version detection
 * DESCRIPTION
 *	cmd_parse() with --fail-on lists (every severity name, all, none,
 *	repeated words; unknown words and an empty list refused) and
 *	cmd_failed() counting only the chosen severities of a report's
 *	failures; cmd_datadir() taking SMTPD_HARNESS_DATADIR first and
 *	cmd_catalogue_dir() refusing a missing directory; cmd_catalogue_id()
 *	over a directory made here (name order, dot files and other
 *	suffixes left out, a byte changed changes it, a rename too);
 *	version_asked() and version_print().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "util/compiler.h"
#include "util/version.h"

#define ALL_SEV	0xfu

struct fail_on_case {
	const char *arg;
	int rc;			/* cmd_parse */
	unsigned bits;
};

static const struct fail_on_case fail_on_cases[] = {
	{ "breaks-postfix", 0, 1u << SEV_BREAKS_POSTFIX },
	{ "security", 0, 1u << SEV_SECURITY },
	{ "diverges-dovecot", 0, 1u << SEV_DIVERGES_DOVECOT },
	{ "advisory", 0, 1u << SEV_ADVISORY },
	{ "breaks-postfix,security", 0, (1u << SEV_BREAKS_POSTFIX) | (1u << SEV_SECURITY) },
	{ "advisory,advisory", 0, 1u << SEV_ADVISORY },
	{ "all", 0, ALL_SEV },
	{ "none", 0, 0 },
	{ "none,security", 0, 1u << SEV_SECURITY },
	{ "", -1, ALL_SEV },
	{ "minor", -1, ALL_SEV },
	{ "security,", 0, 1u << SEV_SECURITY },
	{ ",security", -1, ALL_SEV },
	{ "Security", -1, ALL_SEV },
	{ "securit", -1, ALL_SEV },
	{ "security,bogus", -1, ALL_SEV },
};

/* parse - cmd_parse over "x --fail-on ARG" with a spec that takes it */
static int parse(const char *arg, struct cmd_common *c)
{
	char a0[] = "x", a1[] = "--fail-on", a2[64];
	char *argv[] = { a0, a1, a2, NULL };
	struct cmd_spec s;

	snprintf(a2, sizeof(a2), "%s", arg);
	memset(&s, 0, sizeof(s));
	s.name = "test";
	s.usage = "usage: test\n";
	s.shared = CMD_OPT_FAIL_ON;
	s.shortopts = "";
	cmd_common_init(c);
	return cmd_parse(&s, c, 3, argv);
}

static void test_fail_on_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(fail_on_cases); i++) {
		struct cmd_common c;
		int rc = parse(fail_on_cases[i].arg, &c);

		if (rc != fail_on_cases[i].rc || c.fail_on != fail_on_cases[i].bits)
			fail_msg("--fail-on \"%s\": rc %d bits %#x, want rc %d bits %#x",
				 fail_on_cases[i].arg, rc, c.fail_on, fail_on_cases[i].rc,
				 fail_on_cases[i].bits);
		cmd_common_free(&c);
	}
}

static void test_fail_on_default_all(void **state)
{
	struct cmd_common c;

	(void)state;
	cmd_common_init(&c);
	assert_int_equal(c.fail_on, ALL_SEV);
	cmd_common_free(&c);
}

static void test_failed_counts_chosen(void **state)
{
	struct cmd_common c;
	struct report r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.failed_sev[SEV_BREAKS_POSTFIX] = 2;
	r.failed_sev[SEV_ADVISORY] = 3;
	r.failed = 5;
	cmd_common_init(&c);
	assert_int_equal(cmd_failed(&c, &r), 5);
	c.fail_on = 1u << SEV_ADVISORY;
	assert_int_equal(cmd_failed(&c, &r), 3);
	c.fail_on = (1u << SEV_SECURITY) | (1u << SEV_DIVERGES_DOVECOT);
	assert_int_equal(cmd_failed(&c, &r), 0);
	c.fail_on = 0;
	assert_int_equal(cmd_failed(&c, &r), 0);
	cmd_common_free(&c);
}

/* write_file - dir/name with text */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_catalogue_id(void **state)
{
	char dir[] = "/tmp/test_cmd_shared.XXXXXX", a[32], b[32], path[PATH_MAX], path2[PATH_MAX];
	unsigned n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.tr", "protocol auth\n");
	write_file(dir, "a.tr", "protocol policy\n");
	assert_int_equal(cmd_catalogue_id(dir, a, sizeof(a), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(a), 12);
	assert_int_equal(strspn(a, "0123456789abcdef"), 12);
	/* other files do not count */
	write_file(dir, ".hidden.tr", "x\n");
	write_file(dir, "notes.txt", "x\n");
	assert_int_equal(cmd_catalogue_id(dir, b, sizeof(b), &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a, b);
	/* one byte more changes it */
	write_file(dir, "a.tr", "protocol policy\n\n");
	assert_int_equal(cmd_catalogue_id(dir, b, sizeof(b), &n), 0);
	assert_string_not_equal(a, b);
	write_file(dir, "a.tr", "protocol policy\n");
	assert_int_equal(cmd_catalogue_id(dir, b, sizeof(b), &n), 0);
	assert_string_equal(a, b);
	/* the same bytes under another name change it too */
	snprintf(path, sizeof(path), "%s/a.tr", dir);
	snprintf(path2, sizeof(path2), "%s/c.tr", dir);
	assert_int_equal(rename(path, path2), 0);
	assert_int_equal(cmd_catalogue_id(dir, b, sizeof(b), &n), 0);
	assert_string_not_equal(a, b);
	/* a missing directory */
	assert_int_equal(cmd_catalogue_id("/nonexistent/dir", b, sizeof(b), &n), -1);
	assert_string_equal(b, "?");
	assert_int_equal(n, 0);
	unlink(path2);
	snprintf(path, sizeof(path), "%s/b.tr", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.hidden.tr", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_datadir_env(void **state)
{
	char dir[] = "/tmp/test_cmd_shared.XXXXXX", buf[PATH_MAX], sub[PATH_MAX + 32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(setenv("SMTPD_HARNESS_DATADIR", dir, 1), 0);
	assert_string_equal(cmd_datadir(buf, sizeof(buf)), dir);
	assert_null(cmd_catalogue_dir("auth", buf, sizeof(buf)));
	snprintf(sub, sizeof(sub), "%s/conformance", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/conformance/auth", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_non_null(cmd_catalogue_dir("auth", buf, sizeof(buf)));
	assert_string_equal(buf, sub);
	assert_null(cmd_catalogue_dir("policy", buf, sizeof(buf)));
	/* an empty value is as if unset: the build-time or installed one */
	assert_int_equal(setenv("SMTPD_HARNESS_DATADIR", "", 1), 0);
	assert_string_not_equal(cmd_datadir(buf, sizeof(buf)), "");
	assert_int_equal(unsetenv("SMTPD_HARNESS_DATADIR"), 0);
	assert_int_equal(rmdir(sub), 0);
	snprintf(sub, sizeof(sub), "%s/conformance", dir);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_version_asked(void **state)
{
	char p[] = "prog", v[] = "--version", dd[] = "--", x[] = "-x", vv[] = "--versions";
	char *a1[] = { p, v, NULL };
	char *a2[] = { p, x, v, NULL };
	char *a3[] = { p, dd, v, NULL };
	char *a4[] = { p, vv, NULL };
	char *a5[] = { p, NULL };

	(void)state;
	assert_true(version_asked(2, a1));
	assert_true(version_asked(3, a2));
	assert_false(version_asked(3, a3));
	assert_false(version_asked(2, a4));
	assert_false(version_asked(1, a5));
}

static void test_version_print(void **state)
{
	char buf[256], want[256];
	FILE *fp = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(fp);
	assert_int_equal(version_print(fp, "ref-authd"), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "ref-authd %s (commit %s)\n", version_release(), version_commit());
	assert_string_equal(buf, want);
	assert_true(strlen(version_release()) > 0);
	assert_true(strlen(version_commit()) > 0);
	fclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_on_parse),
		cmocka_unit_test(test_fail_on_default_all),
		cmocka_unit_test(test_failed_counts_chosen),
		cmocka_unit_test(test_catalogue_id),
		cmocka_unit_test(test_datadir_env),
		cmocka_unit_test(test_version_asked),
		cmocka_unit_test(test_version_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
