/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_confirm_plan - a check's exchange to SMTP sessions (confirm.h)
 * DESCRIPTION
 *	Table-driven: AUTH and CONT lines with their predictions to SMTP
 *	commands, and what is not confirmable; policy requests to EHLO,
 *	XCLIENT, MAIL, RCPT; verdicts to the reply the default main.cf
 *	gives; the settings and the comparison.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness/confirm/confirm.h"

struct auth_case {
	const char *name;
	const char *ev[6];		/* "L<line>", "O<line>", "W<id> <smtp>" */
	size_t nsessions;
	const char *cmd0, *want0;	/* first session's first step */
	const char *cmd1;		/* its second step, or NULL */
	const char *why;		/* substring of p.why or p.skip_why, or NULL */
};

static const struct auth_case auth_cases[] = {
	{ "initial response", { "LAUTH\t4\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=AHQAcA==",
	  "W4 235 2.7.0 Authentication successful" }, 1, "AUTH PLAIN AHQAcA==",
	  "235 2.7.0 Authentication successful", NULL, NULL },
	{ "no initial response, then CONT", { "LAUTH\t5\tPLAIN\tservice=smtp\tnologin\tlip=1\trip=1",
	  "W5 334 ", "LCONT\t5\tAHQAcA==", "W5 535 5.7.8 Error: authentication failed: x" }, 1,
	  "AUTH PLAIN", "334 ", "AHQAcA==", NULL },
	{ "empty resp= is '='", { "LAUTH\t6\tLOGIN\tservice=smtp\tlip=1\trip=1\tresp=",
	  "W6 334 VXNlcm5hbWU6" }, 1, "AUTH LOGIN =", "334 VXNlcm5hbWU6", NULL, NULL },
	{ "lower-case mechanism as typed", { "LAUTH\t7\tplain\tservice=smtp\tlip=1\trip=1\tresp=AA==",
	  "W7 535 5.7.8 Error: authentication failed: no" }, 1, "AUTH plain AA==", NULL, NULL, NULL },
	{ "a field Postfix never writes", { "LAUTH\t8\tPLAIN\tservice=imap\tresp=AA==", "W8 235 x" },
	  0, NULL, NULL, NULL, "service=imap" },
	{ "odd handshake", { "OAUTH\t9\tPLAIN\tservice=smtp\tresp=AA==", "W9 235 x" }, 0, NULL, NULL,
	  NULL, "handshake" },
	{ "abandoned", { "LAUTH\t10\tPLAIN\tservice=smtp" }, 0, NULL, NULL, NULL, "abandoned" },
	{ "challenge-response", { "LAUTH\t11\tCRAM-MD5\tservice=smtp", "W11 334 PDE+",
	  "LCONT\t11\tdXNlciBhYmM=", "W11 235 x" }, 0, NULL, NULL, NULL, "challenge" },
	{ "two alike, once", { "LAUTH\t1\tPLAIN\tservice=smtp\tresp=AA==", "W1 535 a",
	  "LAUTH\t2\tPLAIN\tservice=smtp\tresp=AA==", "W2 535 a" }, 1, "AUTH PLAIN AA==", "535 a",
	  NULL, NULL },
	{ "the first prediction counts", { "LAUTH\t3\tPLAIN\tservice=smtp\tresp=AA==", "W3 454 4.7.0 t",
	  "W3 235 x" }, 1, "AUTH PLAIN AA==", "454 4.7.0 t", NULL, NULL },
	{ "no exchange", { NULL }, 0, NULL, NULL, NULL, "no AUTH exchange" },
};

/* book - the events of a case under check "T" */
static void book(struct confirm_book *b, const char *const *ev, size_t n)
{
	size_t i;

	confirm_book_init(b);
	confirm_book_result(b, "T", 1, 0);
	for (i = 0; i < n && ev[i]; i++) {
		if (ev[i][0] == 'W') {
			unsigned id = 0;
			int k = 0;

			sscanf(ev[i] + 1, "%u %n", &id, &k);
			confirm_book_want(b, "T", id, ev[i] + 1 + k);
		} else {
			confirm_book_line(b, "T", ev[i] + 1, strlen(ev[i] + 1), ev[i][0] == 'O');
		}
	}
}

static void test_confirm_plan_auth_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
		const struct auth_case *c = &auth_cases[i];
		struct confirm_book b;
		struct confirm_plan p;

		book(&b, c->ev, 6);
		confirm_plan_auth(&b.e[0], &p);
		if (p.n != c->nsessions)
			fail_msg("%s: %zu sessions, want %zu (%s)", c->name, p.n, c->nsessions, p.why);
		if (c->cmd0 && strcmp(p.s[0].step[0].cmd, c->cmd0) != 0)
			fail_msg("%s: command \"%s\", want \"%s\"", c->name, p.s[0].step[0].cmd, c->cmd0);
		if (c->want0 && strcmp(p.s[0].step[0].want, c->want0) != 0)
			fail_msg("%s: want \"%s\", want \"%s\"", c->name, p.s[0].step[0].want, c->want0);
		if (c->cmd1 && (p.s[0].n < 2 || strcmp(p.s[0].step[1].cmd, c->cmd1) != 0))
			fail_msg("%s: no second step \"%s\"", c->name, c->cmd1);
		if (c->why && strstr(p.why, c->why) == NULL && strstr(p.skip_why, c->why) == NULL)
			fail_msg("%s: why \"%s\", want it to name \"%s\"", c->name, p.why, c->why);
		confirm_plan_free(&p);
		confirm_book_free(&b);
	}
}

/* policy_request - Postfix 3.7's RCPT request with name=value changed (NULL: as is) */
static void policy_request(char *buf, size_t size, const char *name, const char *value,
			   const char *drop)
{
	struct pf_version v = { 3, 7, 11, 0 };
	struct pf_pol_req r;
	struct xbuf out;
	const char *err;

	pf_pol_req_init(&r, &v, PF_POL_RCPT);
	if (name)
		assert_int_equal(pf_pol_req_set(&r, name, value), 0);
	if (drop)
		assert_int_equal(pf_pol_req_delete(&r, drop), 0);
	xbuf_init(&out, 1 << 16);
	assert_int_equal(pf_pol_req_format(&r, &out, &err), 0);
	snprintf(buf, size, "%s", xbuf_cstr(&out));
	xbuf_free(&out);
}

struct pol_case {
	const char *name, *attr, *value, *drop;
	int confirmable;
	const char *step;		/* a step of the session, or the reason's word */
};

static const struct pol_case pol_cases[] = {
	{ "Postfix's own request", NULL, NULL, NULL, 1, "RCPT TO:<rcpt@example.com>" },
	{ "sender", "sender", "sender'--@example.com", NULL, 1, "MAIL FROM:<sender'--@example.com>" },
	{ "helo", "helo_name", "client'--", NULL, 1, "EHLO client'--" },
	{ "client from outside", "client_address", "198.51.100.7", NULL, 1, "XCLIENT ADDR=198.51.100.7" },
	{ "unknown name", "client_name", "unknown", NULL, 1, "XCLIENT NAME=[UNAVAILABLE]" },
	{ "login in xtext", "sasl_username", "a b=c", NULL, 1, "XCLIENT LOGIN=a+20b+3Dc" },
	{ "blank in sender", "sender", "a b@example.com", NULL, 0, "sender" },
	{ "another state", "protocol_state", "MAIL", NULL, 0, "protocol_state" },
	{ "TLS attribute", "ccert_subject", "CN=x", NULL, 0, "ccert_subject" },
	{ "attribute missing", NULL, NULL, "policy_context", 0, "policy_context" },
	{ "varying attribute", "instance", "1.2.3.4", NULL, 1, "RCPT TO:<rcpt@example.com>" },
};

static void test_confirm_plan_policy_table(void **state)
{
	struct pf_version v = { 3, 7, 11, 0 };
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(pol_cases) / sizeof(pol_cases[0]); i++) {
		const struct pol_case *c = &pol_cases[i];
		struct confirm_book b;
		struct confirm_plan p;
		char req[8192];
		int found = 0;

		policy_request(req, sizeof(req), c->attr, c->value, c->drop);
		confirm_book_init(&b);
		confirm_book_request(&b, "T", req, "250 2.1.5 Ok");
		confirm_plan_policy(&b.e[0], &v, &p);
		if ((p.n == 1) != c->confirmable)
			fail_msg("%s: %zu sessions (%s)", c->name, p.n, p.why);
		for (k = 0; p.n == 1 && k < p.s[0].n; k++)
			found |= strcmp(p.s[0].step[k].cmd, c->step) == 0 ||
				 strncmp(p.s[0].step[k].cmd, c->step, strlen(c->step)) == 0;
		if (p.n == 0)
			found = strstr(p.why, c->step) != NULL;
		if (!found)
			fail_msg("%s: no \"%s\" (%s)", c->name, c->step, p.why);
		if (p.n == 1 && strcmp(p.s[0].step[p.s[0].n - 1].want, "250 2.1.5 Ok") != 0)
			fail_msg("%s: the RCPT step carries no prediction", c->name);
		confirm_plan_free(&p);
		confirm_book_free(&b);
	}
}

static void test_confirm_policy_want_kinds(void **state)
{
	struct pf_pol_verdict v;
	char buf[PF_POL_TEXT_MAX];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.kind = PF_POL_PERMIT;
	assert_string_equal(confirm_policy_want(&v, 1, buf, sizeof(buf)), "250 2.1.5 Ok");
	v.kind = PF_POL_DUNNO;
	assert_string_equal(confirm_policy_want(&v, 1, buf, sizeof(buf)), "250 2.1.5 Ok");
	assert_null(confirm_policy_want(&v, 0, buf, sizeof(buf)));
	v.effects = PF_POL_FX_DEFER_IF_PERMIT;
	snprintf(v.pending, sizeof(v.pending), "450 4.7.1 later");
	assert_string_equal(confirm_policy_want(&v, 1, buf, sizeof(buf)), "450 4.7.1 later");
	v.kind = PF_POL_REJECT;
	snprintf(v.smtp, sizeof(v.smtp), "554 5.7.1 no");
	assert_string_equal(confirm_policy_want(&v, 1, buf, sizeof(buf)), "554 5.7.1 no");
	v.kind = PF_POL_HANGUP;
	assert_string_equal(confirm_policy_want(&v, 1, buf, sizeof(buf)), CONFIRM_CLOSED);
	v.kind = PF_POL_UNMODELLED;
	assert_null(confirm_policy_want(&v, 1, buf, sizeof(buf)));
}

static void test_confirm_settings_and_same(void **state)
{
	struct xbuf out;

	(void)state;
	xbuf_init(&out, 4096);
	assert_int_equal(confirm_settings(CONFIRM_AUTH, "/d/h.sock", 1.0, &out), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "smtpd_sasl_path = unix:/d/h.sock\n"));
	xbuf_reset(&out);
	assert_int_equal(confirm_settings(CONFIRM_POLICY, "/d/h.sock", 0.05, &out), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "check_policy_service unix:/d/h.sock, permit\n"));
	assert_non_null(strstr(xbuf_cstr(&out), "smtpd_policy_service_timeout = 5s\n"));
	xbuf_reset(&out);
	assert_int_equal(confirm_settings(CONFIRM_POLICY, "/d/h.sock", 0.001, &out), 0);
	assert_non_null(strstr(xbuf_cstr(&out), "smtpd_policy_service_timeout = 1s\n"));
	xbuf_free(&out);
	assert_true(confirm_same("250 2.1.5 Ok", "250 2.1.5 Ok\r"));
	assert_true(confirm_same("250 2.1.5 Ok", "250 2.1.5 Ok"));
	assert_false(confirm_same("250 2.1.5 Ok", "250 2.1.5 Ok "));
	assert_false(confirm_same("535 5.7.8 a", "535 5.7.8 b"));
}

struct cf_case {
	const char *name;
	enum confirm_proto proto;
	const char *in;
	const char *has, *hasnt;
};

static const struct cf_case cf_cases[] = {
	{ "policy target replaced", CONFIRM_POLICY,
	  "smtpd_recipient_restrictions = permit_mynetworks, check_policy_service inet:127.0.0.1:10031, reject\n",
	  "smtpd_recipient_restrictions = permit_mynetworks, check_policy_service unix:/d/h.sock, reject\n",
	  "10031" },
	{ "braces form keeps its options", CONFIRM_POLICY,
	  "smtpd_sender_restrictions = check_policy_service { unix:private/p, timeout=5s }\n",
	  "check_policy_service { unix:/d/h.sock, timeout=5s }", "private/p" },
	{ "continuation lines joined", CONFIRM_POLICY,
	  "smtpd_recipient_restrictions =\n  check_policy_service\n\tunix:private/policy\n",
	  "smtpd_recipient_restrictions = check_policy_service unix:/d/h.sock\n", "private/policy" },
	{ "comments and directories dropped", CONFIRM_POLICY,
	  "# a comment\nqueue_directory = /var/spool/postfix\nmyhostname = mx.example\n",
	  "myhostname = mx.example\n", "queue_directory" },
	{ "a word that only contains the keyword", CONFIRM_POLICY,
	  "x = my_check_policy_service_table\n", "x = my_check_policy_service_table\n", "/d/h.sock\nx" },
	{ "auth: the user's SASL path replaced", CONFIRM_AUTH,
	  "smtpd_sasl_path = private/auth\nsmtpd_sasl_type = cyrus\n",
	  "smtpd_sasl_type = dovecot\nsmtpd_sasl_path = unix:/d/h.sock\n", "cyrus" },
};

static void test_confirm_user_settings_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cf_cases) / sizeof(cf_cases[0]); i++) {
		const struct cf_case *c = &cf_cases[i];
		struct xbuf out;

		xbuf_init(&out, 1 << 16);
		assert_int_equal(confirm_user_settings(c->in, strlen(c->in), c->proto, "/d/h.sock",
						       1.0, &out), 0);
		if (strstr(xbuf_cstr(&out), c->has) == NULL)
			fail_msg("%s: no \"%s\" in\n%s", c->name, c->has, xbuf_cstr(&out));
		if (strstr(xbuf_cstr(&out), c->hasnt) != NULL)
			fail_msg("%s: \"%s\" left in\n%s", c->name, c->hasnt, xbuf_cstr(&out));
		if (strstr(xbuf_cstr(&out), "max_use = 1\n") == NULL)
			fail_msg("%s: no max_use = 1", c->name);
		xbuf_free(&out);
	}
}

static void test_confirm_book_shared_source(void **state)
{
	struct confirm_book b;

	(void)state;
	confirm_book_init(&b);
	confirm_book_result(&b, "FIRST", 0, 1);
	confirm_book_request(&b, "FIRST", "request=smtpd_access_policy\n\n", "250 2.1.5 Ok");
	confirm_book_result(&b, "LATER", 1, 1);
	confirm_book_result(&b, "OWN", 1, 0);
	assert_string_equal(confirm_book_source(&b, &b.e[1])->check, "FIRST");
	assert_string_equal(confirm_book_source(&b, &b.e[2])->check, "OWN");
	confirm_book_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirm_plan_auth_table),
		cmocka_unit_test(test_confirm_plan_policy_table),
		cmocka_unit_test(test_confirm_policy_want_kinds),
		cmocka_unit_test(test_confirm_settings_and_same),
		cmocka_unit_test(test_confirm_book_shared_source),
		cmocka_unit_test(test_confirm_user_settings_table),
	};

	return cmocka_run_group_tests_name("confirm_plan", tests, NULL, NULL);
}
