/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_report_confirm - check --confirm's findings in every report
 *	format (report_confirm.c)
 * DESCRIPTION
 *	One failed check, confirmed with one agreeing and one disagreeing
 *	reply: text and TAP mark the disagreement loudly, JSON carries the
 *	"confirmed" member, JUnit the confirm.* properties; a reply with a
 *	control byte is cleaned as every text is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report.h"

static const struct check_info ci = { "AUTH-REP-008", "the same FAIL", SEV_SECURITY, "why" };

/* run - one failed check and its confirmation in format f; what was written */
static char *run(enum report_format f, int disagree)
{
	const char *cmd[] = { "AUTH PLAIN AA==", "AUTH PLAIN AB==" };
	const char *want[] = { "535 5.7.8 Error: authentication failed: a", "535 x" };
	const char *real[] = { "535 5.7.8 Error: authentication failed: a",
			       disagree ? "535 y\001" : "535 x" };
	struct report_confirmed c = { disagree ? "disagree" : "agree", !disagree, 2, cmd, want,
				      real, "files: /tmp/a.smtp, /tmp/a.helper.tr" };
	struct report r;
	FILE *o = tmpfile();
	long n;
	char *s;

	assert_non_null(o);
	report_init(&r, f, o, 0);
	r.suite = "fake-smtpd check --auth";
	report_begin(&r, &ci);
	report_end(&r, CHECK_FAIL, "differs");
	report_confirm(&r, "AUTH-REP-008", &c);
	report_confirm(&r, "NO-SUCH-CHECK", &c);	/* ignored where entries are kept */
	assert_int_equal(report_finish(&r), 1);	/* JUnit, JSON: the summary line on stderr */
	n = ftell(o);
	assert_true(n >= 0);
	rewind(o);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, o), (size_t)n);
	fclose(o);
	return s;
}

static void test_report_confirm_text_tap(void **state)
{
	char *t = run(REPORT_TEXT, 1), *a = run(REPORT_TAP, 0);

	(void)state;
	assert_non_null(strstr(t, "CONFIRM  AUTH-REP-008  !! DISAGREE"));
	assert_non_null(strstr(t, "        predicted:    535 x\n        real Postfix: 535 y\\x01"
				  "   <== DISAGREE\n"));
	assert_null(strstr(t, "a\n   <== DISAGREE"));
	assert_non_null(strstr(t, "      files: /tmp/a.smtp, /tmp/a.helper.tr\n"));
	assert_non_null(strstr(a, "# CONFIRM  AUTH-REP-008  agree\n"));
	assert_non_null(strstr(a, "#         real Postfix: 535 x\n"));
	assert_null(strstr(a, "DISAGREE"));
	free(t);
	free(a);
}

static void test_report_confirm_json_junit(void **state)
{
	char *j = run(REPORT_JSON, 1), *x = run(REPORT_JUNIT, 0);

	(void)state;
	assert_non_null(strstr(j, "\"confirmed\": {"));
	assert_non_null(strstr(j, "\"status\": \"disagree\""));
	assert_non_null(strstr(j, "\"agree\": false"));
	assert_non_null(strstr(j, "\"real\": \"535 y\\\\x01\""));
	assert_null(strstr(j, "NO-SUCH-CHECK"));
	assert_non_null(strstr(x, "<property name=\"confirm.status\" value=\"agree\"/>"));
	assert_non_null(strstr(x, "<property name=\"confirm.2.real\" value=\"535 x\"/>"));
	assert_non_null(strstr(x, "<property name=\"confirm.agree\" value=\"true\"/>"));
	free(j);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_confirm_text_tap),
		cmocka_unit_test(test_report_confirm_json_junit),
	};

	return cmocka_run_group_tests_name("report_confirm", tests, NULL, NULL);
}
