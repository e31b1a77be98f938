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
	char *s = NULL;
	size_t n = 0;
	FILE *o = open_memstream(&s, &n);

	assert_non_null(o);
	report_init(&r, f, o, 0);
	r.suite = "fake-smtpd check --auth";
	report_begin(&r, &ci);
	report_end(&r, CHECK_FAIL, "differs");
	report_confirm(&r, "AUTH-REP-008", &c);
	report_confirm(&r, "NO-SUCH-CHECK", &c);	/* ignored where entries are kept */
	assert_int_equal(report_finish(&r), 1);	/* JUnit, JSON: the summary line on stderr */
	assert_int_equal(fclose(o), 0);
	return s;
}

/* what each format must and must not write */
static const struct {
	enum report_format f;
	int disagree;
	const char *has[3];
	const char *hasnt;
} rows[] = {
	{ REPORT_TEXT, 1, { "CONFIRM  AUTH-REP-008  !! DISAGREE",
	  "        predicted:    535 x\n        real Postfix: 535 y\\x01   <== DISAGREE\n",
	  "      files: /tmp/a.smtp, /tmp/a.helper.tr\n" }, "a\n   <== DISAGREE" },
	{ REPORT_TAP, 0, { "# CONFIRM  AUTH-REP-008  agree\n", "#         real Postfix: 535 x\n",
	  NULL }, "DISAGREE" },
	{ REPORT_JSON, 1, { "\"confirmed\": {", "\"status\": \"disagree\"",
	  "\"real\": \"535 y\\\\x01\"" }, "NO-SUCH-CHECK" },
	{ REPORT_JSON, 0, { "\"agree\": true", "\"command\": \"AUTH PLAIN AB==\"", NULL },
	  "\"status\": \"disagree\"" },
	{ REPORT_JUNIT, 0, { "<property name=\"confirm.status\" value=\"agree\"/>",
	  "<property name=\"confirm.2.real\" value=\"535 x\"/>",
	  "<property name=\"confirm.agree\" value=\"true\"/>" }, "NO-SUCH-CHECK" },
};

static void test_report_confirm_formats(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = run(rows[i].f, rows[i].disagree);

		for (k = 0; k < 3 && rows[i].has[k]; k++)
			if (strstr(out, rows[i].has[k]) == NULL)
				fail_msg("row %zu: no \"%s\" in\n%s", i, rows[i].has[k], out);
		if (strstr(out, rows[i].hasnt) != NULL)
			fail_msg("row %zu: \"%s\" in\n%s", i, rows[i].hasnt, out);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_confirm_formats),
	};

	return cmocka_run_group_tests_name("report_confirm", tests, NULL, NULL);
}
