/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_policy_conf - the user's main.cf drives the policy oracle
 * DESCRIPTION
 *	Table-driven: a main.cf, a request state and the policy service's
 *	action, and the SMTP reply smtpd gives: which list holds the
 *	check (with smtpd_delay_reject = yes the client and sender lists
 *	answer at RCPT time with their own words), what follows DUNNO
 *	(permit, reject, defer, permit_mynetworks,
 *	reject_unauth_destination, a restriction not modelled), the
 *	relay/recipient order, a pending DEFER_IF_PERMIT, soft_bounce,
 *	the policy service settings and the per-service { } form.
 *	The replies with real Postfix 3.7.11 behind them are also in
 *	integration/test_fidelity_postconf.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness/postfix/pf_policy_conf.h"

#define BASE	"compatibility_level = 3.6\nmydestination =\nrelay_domains = test.invalid\n" \
		"mynetworks = 192.0.2.1/32\n"
#define SVC	"check_policy_service unix:private/policy"

/* predict - main.cf text, state and action -> the SMTP prediction */
static void predict(const char *maincf, enum pf_pol_state st, const char *rcpt,
		    const char *action, struct pf_pol_smtp *out)
{
	struct pf_conf *c = malloc(sizeof(*c));
	struct pf_pol_conf *pc = malloc(sizeof(*pc));
	struct pf_pol_req req;
	struct pf_pol_ctx ctx;
	struct pf_pol_verdict *pv = malloc(sizeof(*pv));
	struct pf_version v;
	char err[300];

	assert_non_null(c);
	assert_non_null(pc);
	assert_non_null(pv);
	assert_int_equal(pf_version_parse("3.7.11", &v), 0);
	pf_conf_init(c, &v);
	if (pf_conf_parse(c, maincf, strlen(maincf), err, sizeof(err)) < 0 ||
	    pf_pol_conf_load(pc, c, err, sizeof(err)) < 0)
		fail_msg("main.cf: %s", err);
	pf_pol_req_init(&req, &v, st);
	if (st != PF_POL_CONNECT)
		assert_int_equal(pf_pol_req_set(&req, "sender", "a@test.invalid"), 0);
	if (rcpt)
		assert_int_equal(pf_pol_req_set(&req, "recipient", rcpt), 0);
	pf_pol_conf_ctx(pc, &req, &ctx);
	if (action)
		pf_pol_eval(&ctx, action, strlen(action), pv);
	else
		pf_pol_eval_failure(&ctx, pc->params.default_action, pv);
	pf_pol_conf_smtp(pc, &ctx, pv, out);
	free(pv);
	free(pc);
	free(c);
}

static void test_lists(void **state)
{
	static const struct {
		const char *name, *maincf;
		enum pf_pol_state st;
		const char *rcpt, *action, *reply;
		int asked;
	} cases[] = {
		{ "sender list, delayed", BASE "smtpd_sender_restrictions = " SVC "\n", PF_POL_RCPT,
		  "r1@test.invalid", "REJECT no",
		  "554 5.7.1 <a@test.invalid>: Sender address rejected: no", 1 },
		{ "client list, delayed", BASE "smtpd_client_restrictions = " SVC "\n", PF_POL_RCPT,
		  "r1@test.invalid", "REJECT",
		  "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied", 1 },
		{ "helo list, delayed", BASE "smtpd_helo_restrictions = " SVC "\n", PF_POL_RCPT,
		  "r1@test.invalid", "450 4.7.1 later",
		  "450 4.7.1 <client.test>: Helo command rejected: later", 1 },
		{ "sender list, not delayed, at MAIL", BASE "smtpd_delay_reject = no\n"
		  "smtpd_sender_restrictions = " SVC "\n", PF_POL_MAIL, NULL, "REJECT",
		  "554 5.7.1 <a@test.invalid>: Sender address rejected: Access denied", 1 },
		{ "sender list, not delayed, MAIL accepted", BASE "smtpd_delay_reject = no\n"
		  "smtpd_sender_restrictions = " SVC "\n", PF_POL_MAIL, NULL, "DUNNO",
		  "250 2.1.0 Ok", 1 },
		{ "DUNNO then reject", BASE "smtpd_recipient_restrictions = " SVC ", reject\n",
		  PF_POL_RCPT, "r1@test.invalid", "DUNNO",
		  "554 5.7.1 <r1@test.invalid>: Recipient address rejected: Access denied", 1 },
		{ "OK ends its list only", BASE "smtpd_sender_restrictions = " SVC ", reject\n"
		  "smtpd_recipient_restrictions = reject\n", PF_POL_RCPT, "r1@test.invalid", "OK",
		  "554 5.7.1 <r1@test.invalid>: Recipient address rejected: Access denied", 1 },
		{ "DUNNO then defer", BASE "smtpd_recipient_restrictions = " SVC ", defer\n",
		  PF_POL_RCPT, "r1@test.invalid", "DUNNO",
		  "450 4.3.2 <r1@test.invalid>: Recipient address rejected: Try again later", 1 },
		{ "DUNNO then permit", BASE "smtpd_recipient_restrictions = " SVC ", permit, reject\n",
		  PF_POL_RCPT, "r1@test.invalid", "DUNNO", "250 2.1.5 Ok", 1 },
		{ "DUNNO, mynetworks", BASE "mynetworks = 127.0.0.0/8\nsmtpd_recipient_restrictions = "
		  SVC ", permit_mynetworks, reject\n", PF_POL_RCPT, "r1@test.invalid", "DUNNO",
		  "250 2.1.5 Ok", 1 },
		{ "DUNNO, not mynetworks", BASE "smtpd_recipient_restrictions = " SVC
		  ", permit_mynetworks, reject\n", PF_POL_RCPT, "r1@test.invalid", "DUNNO",
		  "554 5.7.1 <r1@test.invalid>: Recipient address rejected: Access denied", 1 },
		{ "relay list first", BASE "smtpd_relay_restrictions = reject_unauth_destination\n"
		  "smtpd_recipient_restrictions = " SVC "\n", PF_POL_RCPT, "x@elsewhere.example",
		  "REJECT", "554 5.7.1 <x@elsewhere.example>: Relay access denied", 0 },
		{ "relay list after (3.5 order)", BASE "smtpd_relay_before_recipient_restrictions = no\n"
		  "smtpd_relay_restrictions = reject_unauth_destination\n"
		  "smtpd_recipient_restrictions = " SVC "\n", PF_POL_RCPT, "x@elsewhere.example",
		  "REJECT", "554 5.7.1 <x@elsewhere.example>: Recipient address rejected: "
		  "Access denied", 1 },
		{ "relay domain passes", BASE "smtpd_relay_restrictions = reject_unauth_destination\n"
		  "smtpd_recipient_restrictions = " SVC "\n", PF_POL_RCPT, "x@sub.test.invalid",
		  "DUNNO", "250 2.1.5 Ok", 1 },
		{ "permit before the check", BASE "mynetworks = 127.0.0.1\n"
		  "smtpd_recipient_restrictions = permit_mynetworks, " SVC "\n", PF_POL_RCPT,
		  "r1@test.invalid", "REJECT", "250 2.1.5 Ok", 0 },
		{ "DEFER_IF_PERMIT fires at the end", BASE "smtpd_sender_restrictions = " SVC "\n",
		  PF_POL_RCPT, "r1@test.invalid", "DEFER_IF_PERMIT wait",
		  "450 4.7.1 <a@test.invalid>: Sender address rejected: wait", 1 },
		{ "DEFER_IF_REJECT softens the next reject", BASE "smtpd_recipient_restrictions = "
		  SVC ", reject\n", PF_POL_RCPT, "r1@test.invalid", "DEFER_IF_REJECT soft",
		  "450 4.7.1 <r1@test.invalid>: Recipient address rejected: soft", 1 },
		{ "soft_bounce", BASE "soft_bounce = yes\nsmtpd_recipient_restrictions = " SVC "\n",
		  PF_POL_RCPT, "r1@test.invalid", "REJECT 5.7.9 no",
		  "454 4.7.9 <r1@test.invalid>: Recipient address rejected: no", 1 },
		{ "default action", BASE "smtpd_policy_service_default_action = 421 4.3.0 down\n"
		  "smtpd_sender_restrictions = " SVC "\n", PF_POL_RCPT, "r1@test.invalid", NULL,
		  "421 4.3.0 <a@test.invalid>: Sender address rejected: down", 1 },
		{ "per-service default action", BASE "smtpd_recipient_restrictions = "
		  "check_policy_service { unix:private/policy, timeout=10s, default_action="
		  "{ 450 4.7.1 svc down } }\n", PF_POL_RCPT, "r1@test.invalid", NULL,
		  "450 4.7.1 <r1@test.invalid>: Recipient address rejected: svc down", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_pol_smtp *o = malloc(sizeof(*o));

		assert_non_null(o);
		predict(cases[i].maincf, cases[i].st, cases[i].rcpt, cases[i].action, o);
		if (o->what != PF_POL_SMTP_REPLY || strcmp(o->reply, cases[i].reply) != 0 ||
		    o->asked != cases[i].asked)
			fail_msg("%s: what %d asked %d reply \"%s\" (%s)", cases[i].name, o->what,
				 o->asked, o->reply, o->notes);
		free(o);
	}
}

static void test_unmodelled(void **state)
{
	struct pf_pol_smtp *o = malloc(sizeof(*o));

	(void)state;
	assert_non_null(o);
	predict(BASE "smtpd_recipient_restrictions = " SVC ", check_sender_access "
		"inline:{ a@test.invalid = REJECT }\n", PF_POL_RCPT, "r1@test.invalid", "DUNNO", o);
	assert_int_equal(o->what, PF_POL_SMTP_UNMODELLED);
	assert_non_null(strstr(o->notes, "check_sender_access"));
	/* a decision before it is still predicted */
	predict(BASE "smtpd_recipient_restrictions = " SVC ", check_sender_access "
		"inline:{ a@test.invalid = REJECT }\n", PF_POL_RCPT, "r1@test.invalid", "REJECT", o);
	assert_int_equal(o->what, PF_POL_SMTP_REPLY);
	/* mynetworks from a table is not known */
	predict(BASE "mynetworks = hash:/etc/postfix/net\nsmtpd_recipient_restrictions = " SVC
		", permit_mynetworks, reject\n", PF_POL_RCPT, "r1@test.invalid", "DUNNO", o);
	assert_int_equal(o->what, PF_POL_SMTP_UNMODELLED);
	assert_non_null(strstr(o->notes, "mynetworks"));
	/* the accept reply of EHLO is not predicted */
	predict(BASE "smtpd_delay_reject = no\nsmtpd_helo_restrictions = " SVC "\n", PF_POL_EHLO,
		NULL, "DUNNO", o);
	assert_int_equal(o->what, PF_POL_SMTP_UNMODELLED);
	/* a long text goes out whole (Postfix 3.7.11 sent 10,058 bytes) */
	{
		static char act[7 + 10000 + 1];

		memcpy(act, "REJECT ", 7);
		memset(act + 7, 'x', 10000);
		predict(BASE "smtpd_recipient_restrictions = " SVC "\n", PF_POL_RCPT,
			"r1@test.invalid", act, o);
		assert_int_equal(o->what, PF_POL_SMTP_REPLY);
		assert_int_equal(strlen(o->reply), strlen("554 5.7.1 <r1@test.invalid>: Recipient "
							  "address rejected: ") + 10000);
		assert_non_null(strstr(o->v.notes, "RFC 5321"));
		assert_non_null(strstr(o->notes, "FINDING: the reply line is "));
	}
	/* a list that does not run at the request's state */
	predict(BASE "smtpd_sender_restrictions = " SVC "\n", PF_POL_MAIL, NULL, "REJECT", o);
	assert_non_null(strstr(o->notes, "does not run at protocol_state=MAIL"));
	free(o);
}

static void test_settings(void **state)
{
	static const char maincf[] =
		BASE "smtpd_policy_service_timeout = 3s\nsmtpd_policy_service_try_limit = 3\n"
		"smtpd_policy_service_retry_delay = 2s\nsmtpd_policy_service_request_limit = 5\n"
		"smtpd_policy_service_policy_context = ctx1\nsmtpd_sasl_service = smtp2\n"
		"smtpd_sasl_security_options = noanonymous, noplaintext\n"
		"smtpd_sasl_mechanism_filter = plain, login\n"
		"smtpd_recipient_restrictions = check_policy_service { inet:127.0.0.1:9, "
		"timeout=1m, try_limit=1, policy_context={ a b } }, reject\n";
	struct pf_conf *c = malloc(sizeof(*c));
	struct pf_pol_conf *pc = malloc(sizeof(*pc));
	struct pf_version v;
	char err[300];
	size_t i;
	int seen = 0;

	(void)state;
	assert_non_null(c);
	assert_non_null(pc);
	assert_int_equal(pf_version_parse("3.7.11", &v), 0);
	pf_conf_init(c, &v);
	assert_int_equal(pf_conf_parse(c, maincf, strlen(maincf), err, sizeof(err)), 0);
	assert_int_equal(pf_pol_conf_load(pc, c, err, sizeof(err)), 0);
	assert_int_equal(pc->policy_list, PF_POL_L_RECIPIENT);
	assert_string_equal(pc->service, "inet:127.0.0.1:9");
	assert_int_equal(pc->params.timeout_ms, 60000);
	assert_int_equal(pc->params.try_limit, 1);
	assert_int_equal(pc->params.retry_ms, 2000);
	assert_int_equal(pc->params.request_limit, 5);
	assert_string_equal(pc->policy_context, "a b");
	assert_string_equal(pc->sasl_service, "smtp2");
	assert_string_equal(pc->sasl_security_options, "noanonymous, noplaintext");
	assert_string_equal(pc->sasl_mechanism_filter, "plain, login");
	assert_string_equal(pc->after, ", reject");
	assert_int_equal(pc->delay_reject, 1);
	for (i = 0; i < pc->nused; i++)
		if (strcmp(pc->used[i].name, "smtpd_policy_service_timeout") == 0 &&
		    strcmp(pc->used[i].origin, "{ } of the service") == 0)
			seen = 1;
	assert_int_equal(seen, 1);

	/* what Postfix refuses */
	pf_conf_init(c, &v);
	assert_int_equal(pf_conf_set(c, "smtpd_delay_reject=maybe", err, sizeof(err)), 0);
	assert_int_equal(pf_pol_conf_load(pc, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "yes or no"));
	pf_conf_init(c, &v);
	assert_int_equal(pf_conf_set(c, "smtpd_policy_service_timeout=10x", err, sizeof(err)), 0);
	assert_int_equal(pf_pol_conf_load(pc, c, err, sizeof(err)), -1);
	pf_conf_init(c, &v);
	assert_int_equal(pf_conf_set(c, "smtpd_client_restrictions=check_policy_service "
				     "{ unix:x, bogus=1 }", err, sizeof(err)), 0);
	assert_int_equal(pf_pol_conf_load(pc, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bogus"));
	free(pc);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_unmodelled),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
