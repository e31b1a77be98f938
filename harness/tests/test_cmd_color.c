/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_cmd_color - unit tests for --color and the report's header data
 * DESCRIPTION
 *	cmd_parse() with --color auto, always, never, both spellings
 *	("--color=X", "--color X"), a bad word refused, and no --color for a
 *	spec that does not take it; cmd_color() over a table of (--color,
 *	$NO_COLOR, $TERM, a terminal or a file): always wins over
 *	$NO_COLOR, auto needs a terminal (a pseudo-terminal made here; the
 *	rows that need one are skipped without /dev/ptmx); cmd_report_start()
 *	giving the report its target (--auth, --policy, or the first
 *	argument) and Postfix version, and cmd_report_catalogue() the
 *	catalogue id of a directory made here; --postfix-version: a known
 *	version taken and said to be given, unknown ones (2.0, 9.9, 3.7.99,
 *	3.12) refused, and without it the spec's default.
 */
#define _XOPEN_SOURCE 700	/* posix_openpt, grantpt, unlockpt, ptsname */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "util/compiler.h"

struct parse_case {
	const char *args[4];		/* after argv[0] */
	unsigned shared;
	int rc;
	enum cmd_color color;
};

static const struct parse_case parse_cases[] = {
	{ { NULL }, CMD_OPT_COLOR, 0, CMD_COLOR_AUTO },
	{ { "--color=auto" }, CMD_OPT_COLOR, 0, CMD_COLOR_AUTO },
	{ { "--color=always" }, CMD_OPT_COLOR, 0, CMD_COLOR_ALWAYS },
	{ { "--color=never" }, CMD_OPT_COLOR, 0, CMD_COLOR_NEVER },
	{ { "--color", "always" }, CMD_OPT_COLOR, 0, CMD_COLOR_ALWAYS },
	{ { "--color=yes" }, CMD_OPT_COLOR, -1, CMD_COLOR_AUTO },
	{ { "--color=" }, CMD_OPT_COLOR, -1, CMD_COLOR_AUTO },
	{ { "--color" }, CMD_OPT_COLOR, -1, CMD_COLOR_AUTO },
	{ { "--color=always" }, CMD_OPT_VERBOSE, -1, CMD_COLOR_AUTO },
};

static void test_color_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *pc = &parse_cases[i];
		char buf[4][32], a0[] = "x";
		char *argv[6] = { a0 };
		struct cmd_spec s;
		struct cmd_common c;
		int argc = 1, rc;

		while (argc <= 4 && pc->args[argc - 1] != NULL) {
			snprintf(buf[argc - 1], sizeof(buf[0]), "%s", pc->args[argc - 1]);
			argv[argc] = buf[argc - 1];
			argc++;
		}
		memset(&s, 0, sizeof(s));
		s.name = "test";
		s.usage = "usage: test\n";
		s.shared = pc->shared;
		s.shortopts = "";
		cmd_common_init(&c);
		opterr = 0;
		rc = cmd_parse(&s, &c, argc, argv);
		if (rc != pc->rc || (rc == 0 && c.color != pc->color))
			fail_msg("row %zu (%s): rc %d color %d, want rc %d color %d", i,
				 pc->args[0] ? pc->args[0] : "-", rc, (int)c.color, pc->rc,
				 (int)pc->color);
		cmd_common_free(&c);
	}
}

struct color_case {
	enum cmd_color color;
	const char *no_color;		/* NULL: unset */
	const char *term;		/* NULL: unset */
	int tty;
	int want;
};

static const struct color_case color_cases[] = {
	{ CMD_COLOR_AUTO, NULL, "xterm", 1, 1 },
	{ CMD_COLOR_AUTO, NULL, NULL, 1, 1 },
	{ CMD_COLOR_AUTO, "", "xterm", 1, 1 },
	{ CMD_COLOR_AUTO, "1", "xterm", 1, 0 },
	{ CMD_COLOR_AUTO, NULL, "dumb", 1, 0 },
	{ CMD_COLOR_AUTO, NULL, "xterm", 0, 0 },
	{ CMD_COLOR_ALWAYS, "1", "dumb", 0, 1 },
	{ CMD_COLOR_ALWAYS, NULL, "xterm", 1, 1 },
	{ CMD_COLOR_NEVER, NULL, "xterm", 1, 0 },
	{ CMD_COLOR_NEVER, NULL, "xterm", 0, 0 },
};

/* open_tty - a pseudo-terminal's slave side as a stream, or NULL */
static FILE *open_tty(int *master_r)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	const char *name;

	*master_r = m;
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || (name = ptsname(m)) == NULL)
		return NULL;
	if ((s = open(name, O_RDWR | O_NOCTTY)) < 0)
		return NULL;
	return fdopen(s, "w");
}

static void set_env(const char *name, const char *value)
{
	if (value == NULL)
		assert_int_equal(unsetenv(name), 0);
	else
		assert_int_equal(setenv(name, value, 1), 0);
}

static void test_color_decide(void **state)
{
	int master = -1;
	FILE *tty = open_tty(&master), *file = tmpfile();
	size_t i, skipped = 0;

	(void)state;
	assert_non_null(file);
	for (i = 0; i < N_ELEMENTS(color_cases); i++) {
		const struct color_case *cc = &color_cases[i];
		struct cmd_common c;
		int got;

		if (cc->tty && tty == NULL) {
			skipped++;
			continue;
		}
		cmd_common_init(&c);
		c.color = cc->color;
		set_env("NO_COLOR", cc->no_color);
		set_env("TERM", cc->term);
		got = cmd_color(&c, cc->tty ? tty : file);
		if (got != cc->want)
			fail_msg("row %zu: got %d, want %d", i, got, cc->want);
		cmd_common_free(&c);
	}
	unsetenv("NO_COLOR");
	if (tty != NULL)
		fclose(tty);
	if (master >= 0)
		close(master);
	fclose(file);
	if (skipped > 0)
		skip();
}

/* finish_quietly - report_finish() with stdout (its summary line) on /dev/null */
static void finish_quietly(struct report *r)
{
	int saved, null = open("/dev/null", O_WRONLY);

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(null >= 0 && saved >= 0 && dup2(null, STDOUT_FILENO) >= 0);
	(void)report_finish(r);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(null);
}

static void test_report_start_meta(void **state)
{
	char a0[] = "x", a1[] = "--auth", a2[] = "unix:/tmp/a.sock", r0[] = "x", r1[] = "inet:[::1]:9";
	char r2[] = "t.tr", dir[] = "/tmp/test_cmd_color.XXXXXX", path[64];
	char *argv[] = { a0, a1, a2, NULL }, *rargv[] = { r0, r1, r2, NULL };
	struct cmd_spec s;
	struct cmd_common c;
	struct report r;
	FILE *fp;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.name = "test";
	s.usage = "usage: test\n";
	s.shared = CMD_OPT_AUTH | CMD_OPT_VERSION;
	s.version = "3.5";
	s.shortopts = "";
	cmd_common_init(&c);
	assert_int_equal(cmd_parse(&s, &c, 3, argv), 0);
	cmd_report_start(&c, &r, "suite");
	assert_string_equal(r.target, "unix:/tmp/a.sock");
	assert_string_equal(r.postfix, "3.5");
	assert_string_equal(r.suite, "suite");
	/* a catalogue directory: its id and number of files */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.tr", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("# id: X\n", fp);
	fclose(fp);
	cmd_report_catalogue(&r, dir);
	assert_int_equal(strncmp(r.cat_id, "sha256:", 7), 0);
	assert_int_equal(strlen(r.cat_id), 7 + 12);
	assert_int_equal(r.cat_checks, 1);
	assert_string_equal(r.cat_dir, dir);
	unlink(path);
	rmdir(dir);
	finish_quietly(&r);
	cmd_common_free(&c);
	/* no --auth or --policy: the first argument (replay's TARGET) */
	s.shared = CMD_OPT_VERSION;
	cmd_common_init(&c);
	assert_int_equal(cmd_parse(&s, &c, 3, rargv), 0);
	cmd_report_start(&c, &r, "replay");
	assert_string_equal(r.target, "inet:[::1]:9");
	assert_null(r.cat_id);
	finish_quietly(&r);
	cmd_common_free(&c);
}

static void test_postfix_version(void **state)
{
	static const struct {
		const char *arg;
		int rc;
	} cases[] = {
		{ "3.7.11", 0 }, { "3.7", 0 }, { "2.1", 0 }, { "3.11.7", 0 }, { "3.12-20260710", 0 },
		{ "2.0", -1 }, { "9.9", -1 }, { "3.7.99", -1 }, { "3.12", -1 }, { "x", -1 },
	};
	struct cmd_spec s;
	struct cmd_common c;
	char buf[200];
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.name = "test";
	s.usage = "usage: test\n";
	s.shared = CMD_OPT_VERSION;
	s.shortopts = "";
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		char a0[] = "x", a1[] = "--postfix-version", a2[32];
		char *argv[] = { a0, a1, a2, NULL };

		snprintf(a2, sizeof(a2), "%s", cases[i].arg);
		cmd_common_init(&c);
		if (cmd_parse(&s, &c, 3, argv) != cases[i].rc)
			fail_msg("--postfix-version %s: want %d", cases[i].arg, cases[i].rc);
		if (cases[i].rc == 0) {
			assert_true(c.version_given);
			snprintf(buf, sizeof(buf), "%s (--postfix-version)", cases[i].arg);
			assert_string_equal(cmd_version_text(&c, buf + 100, 100), buf);
		}
		cmd_common_free(&c);
	}
	/* not given: the spec's default, said so */
	{
		char a0[] = "x";
		char *argv[] = { a0, NULL };

		s.version = "3.5.25";
		cmd_common_init(&c);
		assert_int_equal(cmd_parse(&s, &c, 1, argv), 0);
		assert_false(c.version_given);
		assert_string_equal(cmd_version_text(&c, buf, sizeof(buf)),
				    "3.5.25 (the default of fake-smtpd)");
		cmd_common_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_color_parse),
		cmocka_unit_test(test_color_decide),
		cmocka_unit_test(test_report_start_meta),
		cmocka_unit_test(test_postfix_version),
	};

	return cmocka_run_group_tests_name("cmd_color", tests, NULL, NULL);
}
