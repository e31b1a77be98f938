/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_report - unit tests for the report and its four writers
 * DESCRIPTION
 *	report_clean(): a table of bytes in, text out (valid UTF-8 through,
 *	Latin-1 and other invalid bytes, control characters, C1, U+FFFE,
 *	overlong forms, surrogates, cut sequences as \xNN), its bound, and
 *	report_clean_str() cutting on a character boundary. report_escape():
 *	a table of wire bytes and their transcript notation (the same rule,
 *	backslash and LF named too, the bound on a character boundary); one
 *	run through every writer with the same bytes in an auth S: line, a
 *	policy C: line and a note, shown the same way. report_fold():
 *	a table of logs and their folded form. Then one scripted run (a
 *	pass, a failure with a Latin-1 title and a control character, a
 *	skip, an error, a result value with no row, three stats) through
 *	every writer: text and TAP by the substrings they must and must not
 *	hold (with and without -v and colour); JUnit parsed by libxml2 (no
 *	error, as xmllint --noout) and read with XPath; JSON parsed by
 *	jansson, read by path, and validated against docs/report.schema.json
 *	with /usr/bin/python3's jsonschema (skipped when that is missing,
 *	or when the test does not run from the source tree); the schema
 *	must also refuse a control character.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "harness/report/report.h"
#include "harness/report/report_int.h"
#include "util/compiler.h"
#include "util/version.h"

#define SCHEMA	"docs/report.schema.json"

/* --- report_clean ----------------------------------------------------- */

struct clean_case {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	unsigned flags;
	const char *want;
};

static const struct clean_case clean_cases[] = {
	{ "ascii", "abc def", 0, 0, "abc def" },
	{ "empty", "", 0, 0, "" },
	{ "utf-8 umlaut", "Pr\xc3\xbc" "fung", 0, 0, "Pr\xc3\xbc" "fung" },
	{ "utf-8 4 bytes", "a\xf0\x9f\x98\x80z", 0, 0, "a\xf0\x9f\x98\x80z" },
	{ "U+FFFD kept", "\xef\xbf\xbd", 0, 0, "\xef\xbf\xbd" },
	{ "U+10FFFF kept", "\xf4\x8f\xbf\xbf", 0, 0, "\xf4\x8f\xbf\xbf" },
	{ "latin-1", "Pr\xfc" "fung", 0, 0, "Pr\\xfcfung" },
	{ "tab shown, lf kept", "a\tb\nc", 0, 0, "a\\tb\nc" },
	{ "lf on one line", "a\nb", 0, REPORT_CLEAN_LINE, "a\\nb" },
	{ "cr", "a\rb", 0, 0, "a\\rb" },
	{ "escape sequence", "\x1b[31mred", 0, 0, "\\x1b[31mred" },
	{ "nul inside", "a\0b", 3, 0, "a\\x00b" },
	{ "del", "a\x7f", 0, 0, "a\\x7f" },
	{ "C1 U+0085", "\xc2\x85", 0, 0, "\\xc2\\x85" },
	{ "C1 U+009B (CSI)", "\xc2\x9b" "2J", 0, 0, "\\xc2\\x9b2J" },
	{ "U+00A0 kept", "\xc2\xa0", 0, 0, "\xc2\xa0" },
	{ "U+FFFE", "\xef\xbf\xbe", 0, 0, "\\xef\\xbf\\xbe" },
	{ "U+FFFF", "\xef\xbf\xbf", 0, 0, "\\xef\\xbf\\xbf" },
	{ "overlong slash", "\xc0\xaf", 0, 0, "\\xc0\\xaf" },
	{ "overlong 3 bytes", "\xe0\x80\xaf", 0, 0, "\\xe0\\x80\\xaf" },
	{ "surrogate", "\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 0, 0, "\\xf4\\x90\\x80\\x80" },
	{ "f5", "\xf5", 0, 0, "\\xf5" },
	{ "lone continuation", "a\x80z", 0, 0, "a\\x80z" },
	{ "cut at the end", "ab\xe2\x82", 0, 0, "ab\\xe2\\x82" },
	{ "cut by ascii", "\xe2(\xa1", 0, 0, "\\xe2(\\xa1" },
	{ "backslash kept", "a\\xb", 0, 0, "a\\xb" },
};

static void test_report_clean_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(clean_cases); i++) {
		const struct clean_case *c = &clean_cases[i];
		struct xbuf b;

		xbuf_init(&b, 0);
		assert_int_equal(report_clean(&b, c->in, c->len ? c->len : strlen(c->in), c->flags), 0);
		if (strcmp(xbuf_cstr(&b), c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, xbuf_cstr(&b), c->want);
		xbuf_free(&b);
	}
}

/* --- report_escape: the wire lines of every protocol ---------------------- */

static const struct {
	const char *name;
	const char *in;
	size_t len, max;		/* len 0: strlen(in) */
	const char *want;
} escape_cases[] = {
	{ "ascii", "OK\t1\tuser=a", 0, 0, "OK\\t1\\tuser=a" },
	{ "utf-8 as text", "user=J\xc3\xbcrgen", 0, 0, "user=J\xc3\xbcrgen" },
	{ "cr lf", "a\r\n", 0, 0, "a\\r\\n" },
	{ "backslash", "a\\b", 0, 0, "a\\\\b" },
	{ "control and del", "\x01\x1b[\x7f", 0, 0, "\\x01\\x1b[\\x7f" },
	{ "latin-1", "caf\xe9", 0, 0, "caf\\xe9" },
	{ "nul", "a\0b", 3, 0, "a\\x00b" },
	{ "C1", "\xc2\x9b", 0, 0, "\\xc2\\x9b" },
	{ "bound", "abcdef", 0, 3, "abc...(3 more bytes)" },
	{ "bound inside a character", "ab\xc3\xbcz", 0, 3, "ab...(3 more bytes)" },
};

static void test_report_escape_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(escape_cases); i++) {
		struct xbuf b;
		const char *in = escape_cases[i].in;

		xbuf_init(&b, 0);
		assert_int_equal(report_escape(&b, in, escape_cases[i].len ? escape_cases[i].len :
					       strlen(in), escape_cases[i].max), 0);
		if (strcmp(xbuf_cstr(&b), escape_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", escape_cases[i].name, xbuf_cstr(&b),
				 escape_cases[i].want);
		xbuf_free(&b);
	}
	{
		/* report_shown: the same into a fixed buffer, cut on a character */
		char small[9], big[64];

		assert_string_equal(report_shown(big, sizeof(big), "f\xc3\xbcr\t\xff", 6),
				    "f\xc3\xbcr\\t\\xff");
		assert_string_equal(report_shown(small, sizeof(small), "abcdefgh", 8), "abcdefgh");
		assert_string_equal(report_shown(small, sizeof(small), "abcdefghi", 9), "abcde...");
		/* the cut would split the u-umlaut: it goes whole */
		assert_string_equal(report_shown(small, sizeof(small), "abcd\xc3\xbcxyz", 9),
				    "abcd...");
	}
	{
		struct xbuf b;

		xbuf_init(&b, 8);	/* the bound: nothing of this call is kept */
		assert_int_equal(report_escape(&b, "\x01\x02\x03", 3, 0), -1);
		assert_int_equal(b.len, 0);
		xbuf_free(&b);
	}
}

static void test_report_clean_bound(void **state)
{
	struct xbuf b;
	const char *s;

	(void)state;
	/* an escape is added whole or not at all */
	xbuf_init(&b, 6);
	assert_int_equal(report_clean(&b, "ab\xff\xff", 4, 0), -1);
	assert_string_equal(xbuf_cstr(&b), "ab\\xff");
	xbuf_free(&b);
	/* report_clean_str cuts on a character boundary and says so */
	xbuf_init(&b, 8);
	s = report_clean_str(&b, "abcde\xc3\xbc\xc3\xbc\xc3\xbc", 0);
	assert_string_equal(s, "abcd...");
	xbuf_free(&b);
	xbuf_init(&b, 9);
	s = report_clean_str(&b, "abc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", 0);
	assert_string_equal(s, "abc\xc3\xbc...");
	assert_string_equal(report_clean_str(&b, NULL, 0), "");
	xbuf_free(&b);
}

/* --- report_fold ------------------------------------------------------ */

/* c_run - n "    C: k=v" lines into b, line i of them "C: x=<x>" */
static void c_run(struct xbuf *b, int n, int i, const char *x)
{
	int k;

	for (k = 0; k < n; k++)
		if (k == i)
			assert_int_equal(xbuf_printf(b, "    C: x=%s\n", x), 0);
		else
			assert_int_equal(xbuf_printf(b, "    C: a%d=\n", k), 0);
}

static void test_report_fold_runs(void **state)
{
	struct xbuf in, out, want;

	(void)state;
	xbuf_init(&in, 0);
	xbuf_init(&out, 0);
	xbuf_init(&want, 0);
	/* a short log goes through */
	assert_int_equal(xbuf_append_str(&in, "    C: AUTH\n    S: OK\n    > fine\n"), 0);
	report_fold(&out, xbuf_cstr(&in));
	assert_string_equal(xbuf_cstr(&out), xbuf_cstr(&in));
	/* one long run, nothing to compare with: its first 3 lines */
	xbuf_reset(&in);
	xbuf_reset(&out);
	c_run(&in, 12, 5, "one");
	report_fold(&out, xbuf_cstr(&in));
	assert_string_equal(xbuf_cstr(&out), "    C: a0=\n    C: a1=\n    C: a2=\n"
			    "    ... 9 more C: lines (-v shows them)\n");
	/* two runs: the first shows what the second changes, the second what it changed */
	xbuf_reset(&in);
	xbuf_reset(&out);
	c_run(&in, 12, 5, "one");
	assert_int_equal(xbuf_append_str(&in, "    S: action=DUNNO\n"), 0);
	c_run(&in, 12, 5, "two");
	report_fold(&out, xbuf_cstr(&in));
	assert_string_equal(xbuf_cstr(&out),
			    "    C: a0=\n    C: x=one\n    ... 10 more C: lines (-v shows them)\n"
			    "    S: action=DUNNO\n"
			    "    C: a0=\n    C: x=two\n    ... 10 more C: lines (-v shows them)\n");
	/* runs too long to compare: the first 3 lines each */
	xbuf_reset(&in);
	xbuf_reset(&out);
	c_run(&in, 300, 5, "one");
	assert_int_equal(xbuf_append_str(&in, "    S: x\n"), 0);
	c_run(&in, 300, 5, "two");
	report_fold(&out, xbuf_cstr(&in));
	assert_string_equal(xbuf_cstr(&out), "    C: a0=\n    C: a1=\n    C: a2=\n"
			    "    ... 297 more C: lines (-v shows them)\n    S: x\n"
			    "    C: a0=\n    C: a1=\n    C: a2=\n"
			    "    ... 297 more C: lines (-v shows them)\n");
	xbuf_free(&in);
	xbuf_free(&out);
	xbuf_free(&want);
}

static void test_report_fold_long(void **state)
{
	struct xbuf in, out;
	const char *p;
	int i, lines = 0;

	(void)state;
	xbuf_init(&in, 0);
	xbuf_init(&out, 0);
	/* 100 exchanges of C:, S: and a note; every note twice in a row */
	for (i = 0; i < 100; i++)
		assert_int_equal(xbuf_printf(&in, "    C: q%d\n    S: r%d\n    > n%d\n    > n%d\n",
					     i, i, i, i), 0);
	report_fold(&out, xbuf_cstr(&in));
	for (p = xbuf_cstr(&out); *p; p++)
		lines += *p == '\n';
	/* top 15, a marker, 30 notes, a marker, bottom 25 */
	assert_int_equal(lines, 15 + 1 + 30 + 1 + 25);
	assert_non_null(strstr(xbuf_cstr(&out), "    C: q0\n    S: r0\n    > n0\n"));
	assert_non_null(strstr(xbuf_cstr(&out),
			       "    ... 330 lines left out (-v shows all); the notes among them, "
			       "the first and the last:\n    > n3\n    > n4\n"));
	/* equal notes in a row are shown once; the end of the log is whole */
	assert_null(strstr(xbuf_cstr(&out), "    > n4\n    > n4\n    ... and"));
	assert_non_null(strstr(xbuf_cstr(&out), "    ... and the last lines:\n"));
	assert_non_null(strstr(xbuf_cstr(&out), "    S: r99\n    > n99\n    > n99\n"));
	assert_null(strstr(xbuf_cstr(&out), "    > n50\n"));
	xbuf_free(&in);
	xbuf_free(&out);
}

/* --- one scripted run through every writer ----------------------------- */

static const struct check_info ci_pass = {
	"T-PASS-1", "Pr\xc3\xbc" "fung passes", SEV_BREAKS_POSTFIX, "it matters"
};
static const struct check_info ci_fail = {
	"T-FAIL-1", "Pr\xfc" "fung \x1b[31mred", SEV_SECURITY, "a why with \xff"
};
static const struct check_info ci_skip = { "T-SKIP-1", "skipped # not a directive", SEV_ADVISORY, NULL };
static const struct check_info ci_err = { "T-ERR-1", "cannot run", SEV_DIVERGES_DOVECOT, NULL };
static const struct check_info ci_odd = { "T-ODD-1", "a result with no row", SEV_ADVISORY, NULL };

struct run {
	char *out;		/* what went to the report's stream */
	char *err;		/* what went to stderr */
};

/* slurp - the whole of fp from its start */
static char *slurp(FILE *fp)
{
	long n;
	char *s;

	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	return s;
}

/* scripted - the run, in format f; stderr captured */
static struct run scripted(enum report_format f, int verbose, int color)
{
	struct report r;
	struct run out;
	FILE *o = tmpfile(), *e = tmpfile();
	int saved;

	assert_non_null(o);
	assert_non_null(e);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0 && dup2(fileno(e), STDERR_FILENO) >= 0);
	report_init(&r, f, o, verbose);
	r.color = color;
	r.suite = "fake-smtpd check --auth";
	report_set_target(&r, "unix:/tmp/x\xe9.sock", "3.7");
	report_set_catalogue(&r, "sha256:0123456789ab", "/data/cat", 42);
	report_begin(&r, &ci_pass);
	report_io(&r, 'C', "AUTH\t1", 6);
	report_io(&r, 'S', "OK\t1", 4);
	report_end(&r, CHECK_PASS, "%s", "fine");
	report_begin(&r, &ci_fail);
	report_io(&r, 'S', "FAIL\t1\"<&>", 10);
	report_note(&r, "note \xfe bytes");
	report_end(&r, CHECK_FAIL, "expected OK, got %s", "\x01" "FAIL");
	report_begin(&r, &ci_skip);
	report_end(&r, CHECK_SKIP, "needs --user");
	report_begin(&r, &ci_err);
	report_end(&r, CHECK_ERROR, "connect: refused");
	report_begin(&r, &ci_odd);
	report_end(&r, (enum check_result)77, "odd");
	report_stat_uint(&r, "execs", 12345);
	report_stat_real(&r, "secs", 1.5);
	report_stat_text(&r, "seed", "0x1\x02");
	report_stat_uint(&r, "execs", 12346);	/* replaces */
	assert_int_equal(report_finish(&r), 1);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	out.out = slurp(o);
	out.err = slurp(e);
	fclose(o);
	fclose(e);
	return out;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#define SUMMARY	"1 passed, 1 failed, 1 skipped, 2 errors\n"

struct writer_case {
	const char *name;
	enum report_format f;
	int verbose, color;
	const char *want[16];		/* in the output, NULL-terminated */
	const char *absent[6];		/* not in it */
};

static const struct writer_case writer_cases[] = {
	{ "text", REPORT_TEXT, 0, 0, {
		  "PASS  T-PASS-1           Pr\xc3\xbc" "fung passes\n",
		  "FAIL  T-FAIL-1           Pr\\xfcfung \\x1b[31mred\n"
		  "      severity: security - a why with \\xff\n"
		  "      expected OK, got \\x01FAIL\n"
		  "      S: FAIL\\t1\"<&>\n      > note \\xfe bytes\n",
		  "SKIP  T-SKIP-1           skipped # not a directive\n      needs --user\n",
		  "ERROR  T-ERR-1            cannot run\n      connect: refused\n",
		  "?  T-ODD-1            a result with no row\n      odd\n",
		  "\nshort summary:\n  FAIL  T-FAIL-1 [security] expected OK, got \\x01FAIL\n"
		  "  ERROR T-ERR-1 connect: refused\n  ?     T-ODD-1 odd\n"
		  "execs: 12346\nsecs: 1.5\nseed: 0x1\\x02\n" SUMMARY, NULL },
	  { "\x1b", "C: AUTH", "fine", "\xfc", NULL } },
	{ "text -v", REPORT_TEXT, 1, 0, {
		  "PASS  T-PASS-1           Pr\xc3\xbc" "fung passes\n      fine\n"
		  "      C: AUTH\\t1\n      S: OK\\t1\n", SUMMARY, NULL },
	  { "\x1b", NULL } },
	{ "text, colour", REPORT_TEXT, 0, 1, {
		  "\x1b[32mPASS\x1b[0m  T-PASS-1 ", "\x1b[1;31mFAIL\x1b[0m  T-FAIL-1 ",
		  "\x1b[33mSKIP\x1b[0m", "\x1b[1;35mERROR\x1b[0m", "  \x1b[36m    > note \\xfe bytes\x1b[0m\n",
		  "\x1b[1mshort summary:\x1b[0m\n  \x1b[1;31mFAIL \x1b[0m T-FAIL-1 ",
		  "\n" SUMMARY, NULL },
	  { "\x1b[31mred", NULL } },
	{ "tap", REPORT_TAP, 0, 0, {
		  "# fake-smtpd ", "; target unix:/tmp/x\\xe9.sock; Postfix 3.7; "
		  "catalogue sha256:0123456789ab (42 data checks)\n",
		  "ok 1 - T-PASS-1 Pr\xc3\xbc" "fung passes\n",
		  "not ok 2 - T-FAIL-1 Pr\\xfcfung \\x1b[31mred\n#   severity: security\n"
		  "#   why it matters: a why with \\xff\n#   expected OK, got \\x01FAIL\n"
		  "#    S: FAIL\\t1\"<&>\n#    > note \\xfe bytes\n",
		  "ok 3 - T-SKIP-1 skipped \\# not a directive # SKIP needs --user\n",
		  "not ok 4 - T-ERR-1 cannot run\n#   connect: refused\n",
		  "not ok 5 - T-ODD-1 a result with no row\n",
		  "# execs: 12346\n# secs: 1.5\n# seed: 0x1\\x02\n1..5\n" SUMMARY, NULL },
	  { "\x1b", "C: AUTH", NULL } },
};

/*
 * The same bytes in an auth reply (S:), a policy request (C:) and a
 * note: every writer shows them the same way (UTF-8 as text; TAB, CR,
 * a control byte and an invalid byte visible), never raw.
 */
#define SAME_BYTES	"Pr\xc3\xbc\tx\ry\x01z\xfe"

static void test_report_one_rule(void **state)
{
	static const enum report_format fs[] = { REPORT_TEXT, REPORT_TAP, REPORT_JSON,
						 REPORT_JUNIT };
	static const struct check_info ci = { "T-SAME-1", "same bytes", SEV_ADVISORY, NULL };
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(fs); i++) {
		struct report r;
		FILE *o = tmpfile(), *e = tmpfile();
		char *out;
		int saved;
		const char *p;
		unsigned n = 0;

		assert_non_null(o);
		assert_non_null(e);
		fflush(stderr);
		saved = dup(STDERR_FILENO);
		assert_true(saved >= 0 && dup2(fileno(e), STDERR_FILENO) >= 0);
		report_init(&r, fs[i], o, 1);
		report_begin(&r, &ci);
		report_io(&r, 'S', "FAIL\t1\treason=" SAME_BYTES, strlen("FAIL\t1\treason=" SAME_BYTES));
		report_io(&r, 'C', "sender=" SAME_BYTES, strlen("sender=" SAME_BYTES));
		report_note(&r, "would answer: 535 %s", SAME_BYTES);
		report_end(&r, CHECK_FAIL, "why: %s", SAME_BYTES);
		(void)report_finish(&r);
		fflush(stderr);
		assert_true(dup2(saved, STDERR_FILENO) >= 0);
		close(saved);
		out = slurp(o);
		fclose(o);
		fclose(e);
		/* JSON writes a backslash as \\: the same text, one level deeper */
		for (p = out; (p = strstr(p, fs[i] == REPORT_JSON ?
					  "Pr\xc3\xbc\\\\tx\\\\ry\\\\x01z\\\\xfe" :
					  "Pr\xc3\xbc\\tx\\ry\\x01z\\xfe")) != NULL; p++)
			n++;
		if (n < 4)
			fail_msg("format %d: the bytes shown %u times the one way, not 4:\n%s",
				 (int)fs[i], n, out);
		if (strchr(out, '\r') != NULL || strchr(out, '\x01') != NULL ||
		    strstr(out, "\xfe") != NULL || strstr(out, "\xc3\xbc\t") != NULL)
			fail_msg("format %d: a raw byte in:\n%s", (int)fs[i], out);
		free(out);
	}
}

static void test_report_writers_text_tap(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < N_ELEMENTS(writer_cases); i++) {
		const struct writer_case *c = &writer_cases[i];
		struct run r = scripted(c->f, c->verbose, c->color);

		for (k = 0; c->want[k] != NULL; k++)
			if (strstr(r.out, c->want[k]) == NULL)
				fail_msg("%s: no \"%s\" in:\n%s", c->name, c->want[k], r.out);
		for (k = 0; c->absent[k] != NULL; k++)
			if (strstr(r.out, c->absent[k]) != NULL)
				fail_msg("%s: \"%s\" in:\n%s", c->name, c->absent[k], r.out);
		/* the summary line is the output's last line */
		k = strlen(r.out);
		assert_true(k >= strlen(SUMMARY));
		assert_string_equal(r.out + k - strlen(SUMMARY), SUMMARY);
		assert_string_equal(r.err, "");
		run_free(&r);
	}
}

/* --- JUnit --------------------------------------------------------------- */

static int xml_errors;

static void count_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
	xml_errors++;
}

struct xpath_case {
	const char *expr;
	const char *want;
};

static const struct xpath_case junit_cases[] = {
	{ "string(/testsuites/@tests)", "5" },
	{ "string(/testsuites/testsuite/@name)", "fake-smtpd check --auth" },
	{ "string(/testsuites/testsuite/@failures)", "1" },
	{ "string(/testsuites/testsuite/@errors)", "2" },
	{ "string(/testsuites/testsuite/@skipped)", "1" },
	{ "boolean(/testsuites/testsuite/@time)", "true" },
	{ "boolean(/testsuites/testsuite/@timestamp)", "true" },
	{ "string(//testsuite/properties/property[@name='target']/@value)", "unix:/tmp/x\\xe9.sock" },
	{ "string(//testsuite/properties/property[@name='postfix.version']/@value)", "3.7" },
	{ "string(//testsuite/properties/property[@name='catalogue.id']/@value)",
	  "sha256:0123456789ab" },
	{ "string(//testsuite/properties/property[@name='catalogue.checks']/@value)", "42" },
	{ "string(//testsuite/properties/property[@name='stat.execs']/@value)", "12346" },
	{ "string(//testsuite/properties/property[@name='stat.seed']/@value)", "0x1\\x02" },
	{ "count(//testcase)", "5" },
	{ "string(//testcase[1]/@name)", "Pr\xc3\xbc" "fung passes" },
	{ "string(//testcase[1]/@classname)", "fake-smtpd check --auth" },
	{ "boolean(//testcase[1]/@time)", "true" },
	{ "string(//testcase[1]/properties/property[@name='id']/@value)", "T-PASS-1" },
	{ "string(//testcase[1]/properties/property[@name='severity']/@value)", "breaks-postfix" },
	{ "count(//testcase[1]/*)", "1" },	/* properties only: no log without -v */
	{ "string(//testcase[2]/@name)", "Pr\\xfcfung \\x1b[31mred" },
	{ "string(//testcase[2]/properties/property[@name='id']/@value)", "T-FAIL-1" },
	{ "string(//testcase[2]/properties/property[@name='why-it-matters']/@value)",
	  "a why with \\xff" },
	{ "string(//testcase[2]/failure/@type)", "security" },
	{ "string(//testcase[2]/failure/@message)", "expected OK, got \\x01FAIL" },
	{ "contains(//testcase[2]/failure, 'S: FAIL\\t1\"<&>')", "true" },
	{ "contains(//testcase[2]/failure, '> note \\xfe bytes')", "true" },
	{ "string(//testcase[3]/skipped/@message)", "needs --user" },
	{ "string(//testcase[4]/error/@type)", "error" },
	{ "string(//testcase[5]/properties/property[@name='result']/@value)", "unknown" },
	{ "count(//testcase[5]/error)", "1" },
};

/* xpath - the expression's value as a string */
static char *xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	xmlChar *s;
	char *copy;

	assert_non_null(ctx);
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	if (o == NULL)
		fail_msg("bad XPath %s", expr);
	s = xmlXPathCastToString(o);
	copy = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return copy;
}

/* junit_doc - the run as JUnit, parsed; NULL after a parse error */
static xmlDocPtr junit_doc(int verbose, struct run *r)
{
	xmlDocPtr doc;

	*r = scripted(REPORT_JUNIT, verbose, 0);
	xml_errors = 0;
	xmlSetGenericErrorFunc(NULL, count_error);
	doc = xmlReadMemory(r->out, (int)strlen(r->out), "report.xml", NULL, XML_PARSE_NONET);
	xmlSetGenericErrorFunc(NULL, NULL);
	assert_int_equal(xml_errors, 0);
	return doc;
}

static void test_report_junit(void **state)
{
	struct run r;
	xmlDocPtr doc = junit_doc(0, &r);
	size_t i;
	char *got;

	(void)state;
	assert_non_null(doc);
	for (i = 0; i < N_ELEMENTS(junit_cases); i++) {
		got = xpath(doc, junit_cases[i].expr);
		if (strcmp(got, junit_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", junit_cases[i].expr, got,
				 junit_cases[i].want);
		free(got);
	}
	got = xpath(doc, "string(//testsuite/properties/property[@name='version']/@value)");
	assert_string_equal(got, version_release());
	free(got);
	assert_non_null(strstr(r.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
	assert_null(strstr(r.out, "passed,"));
	assert_string_equal(r.err, SUMMARY);
	xmlFreeDoc(doc);
	run_free(&r);
	/* -v: the passing check's log as system-out */
	doc = junit_doc(1, &r);
	assert_non_null(doc);
	got = xpath(doc, "string(//testcase[1]/system-out)");
	assert_string_equal(got, "    C: AUTH\\t1\n    S: OK\\t1\n");
	free(got);
	xmlFreeDoc(doc);
	run_free(&r);
}

/* --- JSON ---------------------------------------------------------------- */

/* at - the value at a path such as "results/1/title" */
static json_t *at(json_t *v, const char *path)
{
	char key[64];

	while (v != NULL && *path) {
		size_t n = strcspn(path, "/");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		v = json_is_array(v) ? json_array_get(v, strtoul(key, NULL, 10)) : json_object_get(v, key);
		path += n + (path[n] == '/');
	}
	return v;
}

/* show - a scalar as text: strings as they are, null, true, numbers */
static const char *show(json_t *v, char *buf, size_t size)
{
	if (v == NULL)
		return "(missing)";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%g", json_real_value(v));
	else
		snprintf(buf, size, "%s", json_is_null(v) ? "null" : json_is_true(v) ? "true" :
			 json_is_false(v) ? "false" : "(object)");
	return buf;
}

struct json_case {
	const char *path;
	const char *want;
};

static const struct json_case json_cases[] = {
	{ "report_version", "1" },
	{ "tool", "fake-smtpd" },
	{ "suite", "fake-smtpd check --auth" },
	{ "target", "unix:/tmp/x\\xe9.sock" },
	{ "postfix_version", "3.7" },
	{ "catalogue/id", "sha256:0123456789ab" },
	{ "catalogue/checks", "42" },
	{ "catalogue/dir", "/data/cat" },
	{ "verbose", "false" },
	{ "results/0/id", "T-PASS-1" },
	{ "results/0/title", "Pr\xc3\xbc" "fung passes" },
	{ "results/0/result", "pass" },
	{ "results/0/class", "pass" },
	{ "results/0/severity", "breaks-postfix" },
	{ "results/0/why_it_matters", "it matters" },
	{ "results/0/why", "fine" },
	{ "results/0/log", "    C: AUTH\\t1\n    S: OK\\t1\n" },
	{ "results/1/title", "Pr\\xfcfung \\x1b[31mred" },
	{ "results/1/result", "fail" },
	{ "results/1/severity", "security" },
	{ "results/1/why_it_matters", "a why with \\xff" },
	{ "results/1/why", "expected OK, got \\x01FAIL" },
	{ "results/1/log", "    S: FAIL\\t1\"<&>\n    > note \\xfe bytes\n" },
	{ "results/2/class", "skip" },
	{ "results/2/why_it_matters", "null" },
	{ "results/3/class", "error" },
	{ "results/4/result", "unknown" },
	{ "results/4/class", "error" },
	{ "stats/execs", "12346" },
	{ "stats/secs", "1.5" },
	{ "stats/seed", "0x1\\x02" },
	{ "total", "5" },
	{ "passed", "1" },
	{ "failed", "1" },
	{ "skipped", "1" },
	{ "errors", "2" },
	{ "failed_by_severity/security", "1" },
	{ "failed_by_severity/advisory", "0" },
};

/* schema_check - 0 valid, 1 not (valid JSON the schema refuses), 2 not
 * JSON, -1 no validator or no schema here */
static int schema_check(const char *json_text, int quiet)
{
	static const char script[] =
		"import json, sys\n"
		"try:\n"
		"    import jsonschema\n"
		"except ImportError:\n"
		"    sys.exit(3)\n"
		"s = json.load(open(sys.argv[1]))\n"
		"v = jsonschema.Draft202012Validator(s)\n"
		"v.check_schema(s)\n"
		"try:\n"
		"    d = json.load(open(sys.argv[2]))\n"
		"except ValueError:\n"
		"    sys.exit(4)\n"
		"errs = list(v.iter_errors(d))\n"
		"for e in errs[:5]:\n"
		"    print('schema:', e.message[:200], file=sys.stderr)\n"
		"sys.exit(2 if errs else 0)\n";
	char path[] = "/tmp/test_report.XXXXXX", spath[] = "/tmp/test_report_py.XXXXXX", cmd[256];
	int fd, sfd, rc;

	if (access(SCHEMA, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0)
		return -1;
	fd = mkstemp(path);
	sfd = mkstemp(spath);
	assert_true(fd >= 0 && sfd >= 0);
	assert_int_equal(write(fd, json_text, strlen(json_text)), (ssize_t)strlen(json_text));
	assert_int_equal(write(sfd, script, strlen(script)), (ssize_t)strlen(script));
	close(fd);
	close(sfd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s%s", spath, SCHEMA, path,
		 quiet ? " 2>/dev/null" : "");
	rc = system(cmd);
	unlink(path);
	unlink(spath);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) == 3)
		return -1;
	return WEXITSTATUS(rc) == 0 ? 0 : WEXITSTATUS(rc) == 2 ? 1 : 2;
}

static void test_report_json(void **state)
{
	struct run r = scripted(REPORT_JSON, 0, 0);
	json_error_t err;
	json_t *root = json_loads(r.out, 0, &err);
	char buf[64];
	size_t i;

	(void)state;
	if (root == NULL)
		fail_msg("JSON does not parse: %s at line %d", err.text, err.line);
	for (i = 0; i < N_ELEMENTS(json_cases); i++) {
		const char *got = show(at(root, json_cases[i].path), buf, sizeof(buf));

		if (strcmp(got, json_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", json_cases[i].path, got, json_cases[i].want);
	}
	assert_string_equal(json_string_value(at(root, "version")), version_release());
	assert_int_equal(json_array_size(at(root, "results")), 5);
	assert_true(json_is_number(at(root, "results/1/time")));
	assert_true(json_is_number(at(root, "time")));
	/* valid UTF-8 goes out as it is, not as \u00XX */
	assert_non_null(strstr(r.out, "\"Pr\xc3\xbc" "fung passes\""));
	assert_string_equal(r.err, SUMMARY);
	json_decref(root);
	run_free(&r);
}

static void test_report_json_schema(void **state)
{
	struct run r = scripted(REPORT_JSON, 1, 0);
	int rc = schema_check(r.out, 0);

	(void)state;
	if (rc < 0) {
		run_free(&r);
		skip();
	}
	assert_int_equal(rc, 0);
	/* the schema can fail: members missing, a control character in an id */
	assert_int_equal(schema_check("{\"report_version\": 1}", 1), 1);
	{
		char *bad = strdup(r.out), *t = strstr(bad, "T-PASS-1");

		assert_non_null(t);
		memcpy(t, "\\u0001ab", 8);
		assert_int_equal(schema_check(bad, 1), 1);
		free(bad);
	}
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_clean_table),
		cmocka_unit_test(test_report_clean_bound),
		cmocka_unit_test(test_report_escape_table),
		cmocka_unit_test(test_report_one_rule),
		cmocka_unit_test(test_report_fold_runs),
		cmocka_unit_test(test_report_fold_long),
		cmocka_unit_test(test_report_writers_text_tap),
		cmocka_unit_test(test_report_junit),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_json_schema),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
