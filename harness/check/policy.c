/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy - the checks of check --policy: one table, one run
 * SYNOPSIS
 *	#include "harness/check/policy.h"
 * DESCRIPTION
 *	See policy.h. policy_checks[] is the table of the built-in checks,
 *	in --list order, each with its tags, what it needs (POLICY_NEED_*,
 *	policy_int.h) and when it runs; the runner (check/runner.h) walks
 *	it:
 *
 *	  CHECK_STAGE_FIRST  POLICY-REPLY-* (not 010) and POLICY-CONN-001,
 *	                     judged from the run's first reply (its wire log
 *	                     shown with each), which is sent only when one
 *	                     of them is selected;
 *	  CHECK_STAGE_MAIN   the probes, each with its own requests;
 *	  then the --expect rules and the data checks, as rows of their own;
 *	  CHECK_STAGE_RUN    POLICY-LAT-001, over every request of the run.
 *
 *	The probes share one persistent connection, as one smtpd process
 *	does, except where a check is about a fresh one (early reply,
 *	retry, a cut request). A death of the service during a check
 *	(check/death.h) is that check's failure: the leave hook, after a
 *	look whether a daemon is still there. Before each check, the user's
 *	rules too, the enter hook skips it when the service is gone, stalls
 *	or answers nothing.
 *	Data checks run through catalogue_replay(); a failed try that
 *	Postfix would retry fails the data check even when the transcript's
 *	pattern accepts the default action.
 * DIAGNOSTICS
 *	An unreachable target or an unreadable catalogue ends the run with
 *	-1 and msg_error(); everything the service does wrong is a failed
 *	check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/catalogue.h"
#include "harness/check/expect.h"
#include "harness/check/policy_int.h"
#include "harness/replay/replay.h"
#include "util/compiler.h"
#include "util/msg.h"
#include "util/xmem.h"

/* the fields of the injection checks */
static const struct pol_inj_field inj_fields[] = {
	{ "sasl_username", "" },
	{ "sender", "@example.com" },
	{ "helo_name", ".example.com" },
};

/* the kinds of the input rows (policy_input.c) */
static const int input_kind[INPUT_KINDS] = { INPUT_8BIT, INPUT_SPLIT, INPUT_LIMIT, INPUT_UNKNOWN };

/* the kinds of the lint rows (policy_lint.c) */
static const int lint_kind[LINT_KINDS] = {
	LINT_DIGITS, LINT_EMPTY, LINT_BARE, LINT_CODE, LINT_TABLE, LINT_WORD, LINT_DSN,
	LINT_NOOP, LINT_HANGUP,
};

#define B	SEV_BREAKS_POSTFIX
#define S	SEV_SECURITY
#define A	SEV_ADVISORY
#define ACTION	POLICY_NEED_ACTION
#define EIGHT	POLICY_NEED_8BIT

/* the built-in checks, in --list order */
static const struct check_def policy_checks[] = {
	{ { "POLICY-REPLY-001", "the reply carries an action Postfix can read", B,
	    "without one Postfix counts a failed try, reconnects after 1 s, sends the request "
	    "again and then answers 451 4.3.5 Server configuration problem" },
	  "reply", 0, CHECK_STAGE_FIRST, pol_reply_action, NULL, NULL },
	{ { "POLICY-REPLY-002", "the attribute is spelled action= in lower case", B,
	    "Postfix compares names case-sensitively: Action= is an unknown attribute and the "
	    "action is missing" },
	  "reply,case", 0, CHECK_STAGE_FIRST, pol_reply_case, NULL,
	  "bytes of a reply came" },
	{ { "POLICY-REPLY-003", "reply lines end in LF, not CR LF", B,
	    "\\r\\n is never Postfix's empty line: it waits 100 s per try, then applies its "
	    "default action (451 4.3.5)" },
	  "reply,crlf", 0, CHECK_STAGE_FIRST, pol_reply_crlf, NULL,
	  "bytes of a reply came" },
	{ { "POLICY-REPLY-004", "the reply ends with an empty line", B,
	    "Postfix reads until the empty line: without it every request stalls for "
	    "smtpd_policy_service_timeout (100 s) per try" },
	  "reply,terminator", 0, CHECK_STAGE_FIRST, pol_reply_end, NULL,
	  "an action line came" },
	{ { "POLICY-REPLY-005", "the action is not empty", S,
	    "an empty action= is an empty restriction list, which Postfix treats as OK: the "
	    "client is permitted" },
	  "reply,action", ACTION, CHECK_STAGE_FIRST, pol_reply_empty, NULL, NULL },
	{ { "POLICY-REPLY-006", "the action is a word Postfix knows", B,
	    "an unknown word is read as a restriction name: \"unknown smtpd restriction\", "
	    "451 4.3.5 Server configuration error for every request" },
	  "reply,action", ACTION, CHECK_STAGE_FIRST, pol_reply_word, NULL, NULL },
	{ { "POLICY-REPLY-007", "the action names no lookup table (no ':')", B,
	    "\"do not specify lookup tables inside SMTPD access maps\": 451 4.3.5 Server "
	    "configuration error" },
	  "reply,action", ACTION, CHECK_STAGE_FIRST, pol_reply_table, NULL, NULL },
	{ { "POLICY-REPLY-008", "the action is not a bare number", S,
	    "an all-digit action (\"550\") is OK in check_table_result: the client is permitted, "
	    "not rejected" },
	  "reply,action", ACTION, CHECK_STAGE_FIRST, pol_reply_digits, NULL, NULL },
	{ { "POLICY-REPLY-009", "nothing follows the reply's empty line", B,
	    "Postfix finds the stream readable before its next request, counts a failed try and "
	    "reconnects after the 1 s retry delay" },
	  "reply,trailing", ACTION, CHECK_STAGE_FIRST, pol_reply_trailing, NULL, NULL },
	{ { "POLICY-REPLY-010", "no reply before the request's empty line", B,
	    "an early answer desynchronizes the connection: Postfix reads it as the reply to "
	    "this request and the real reply as unsolicited bytes before the next" },
	  "reply,early", 0, CHECK_STAGE_MAIN, pol_reply_early, NULL, NULL },
	{ { "POLICY-REPLY-011", "one action per reply", A,
	    "Postfix uses the first action and skips the others; a second one suggests the "
	    "service answers twice" },
	  "reply", 0, CHECK_STAGE_FIRST, pol_reply_one, NULL,
	  "an action came" },
	{ { "POLICY-CONN-001", "the connection stays open after a reply", A,
	    "a service that closes after each reply costs a failed try and the 1 s retry delay "
	    "per request unless smtpd_policy_service_request_limit = 1" },
	  "conn,persistent", ACTION, CHECK_STAGE_FIRST, pol_conn_kept, NULL, NULL },
	{ { "POLICY-CONN-002", "several requests and sessions on one connection", B,
	    "smtpd keeps one connection for all SMTP sessions of the process and sends the next "
	    "request as soon as the last was answered" },
	  "conn,persistent", ACTION, CHECK_STAGE_MAIN, pol_conn_many, NULL, NULL },
	{ { "POLICY-CONN-003", "the same request again after a retry gets the same action", B,
	    "after any failed try Postfix reconnects and sends the same request again: a service "
	    "that counts it twice (greylisting, rate limits) decides differently" },
	  "conn,retry,idempotence", ACTION, CHECK_STAGE_MAIN, pol_conn_retry, NULL,
	  "on each path found (accept, reject); not when the service wavers" },
	{ { "POLICY-CONN-004", "a request cut by a disconnect does not disturb the next", B,
	    "an smtpd process can die in the middle of a request; the service must drop the "
	    "half request and serve the next connection" },
	  "conn,retry", ACTION, CHECK_STAGE_MAIN, pol_conn_cut, NULL,
	  "on each path found (accept, reject); not when the service wavers" },
	{ { "POLICY-REQ-001", "a block without request=smtpd_access_policy does not break the service",
	    A, "Postfix always sends request=, but other clients and probes may not: the service "
	    "should answer or close, never crash, and go on serving" },
	  "request", ACTION, CHECK_STAGE_MAIN, pol_req_type, NULL, NULL },
	{ { "POLICY-STATE-001", "a request at protocol_state CONNECT", B,
	    "check_policy_service in smtpd_client_restrictions with smtpd_delay_reject = no" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "CONNECT", NULL },
	{ { "POLICY-STATE-002", "a request at protocol_state EHLO", B,
	    "check_policy_service in smtpd_helo_restrictions (smtpd_delay_reject = no)" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "EHLO", NULL },
	{ { "POLICY-STATE-003", "a request at protocol_state HELO (protocol_name SMTP)", B,
	    "an SMTP (not ESMTP) client sends HELO" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "HELO", NULL },
	{ { "POLICY-STATE-004", "a request at protocol_state MAIL", B,
	    "check_policy_service in smtpd_sender_restrictions (smtpd_delay_reject = no)" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "MAIL", NULL },
	{ { "POLICY-STATE-005", "a request at protocol_state RCPT", B,
	    "the usual place: smtpd_recipient_restrictions / smtpd_relay_restrictions" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "RCPT", NULL },
	{ { "POLICY-STATE-006", "a request at protocol_state DATA", B,
	    "smtpd_data_restrictions: recipient_count is set, recipient only with one" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "DATA", NULL },
	{ { "POLICY-STATE-007", "a request at protocol_state END-OF-MESSAGE", B,
	    "smtpd_end_of_data_restrictions: size is the real size; PREPEND is not valid here" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "END-OF-MESSAGE", NULL },
	{ { "POLICY-STATE-008", "a request at protocol_state VRFY", B,
	    "VRFY runs the recipient restrictions (without a sender)" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "VRFY", NULL },
	{ { "POLICY-STATE-009", "a request at protocol_state ETRN", B,
	    "smtpd_etrn_restrictions: etrn_domain is set, HOLD/FILTER/... are not valid" },
	  "state", ACTION, CHECK_STAGE_MAIN, pol_state, "ETRN", NULL },
	{ { "POLICY-VERSION-001", "Postfix 2.1's attribute set", B,
	    "the oldest request: no client_port, reverse_client_name, server_*, size, sasl_*, "
	    "ccert_*, encryption_*, policy_context, compatibility_level, mail_version" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "2.1", NULL },
	{ { "POLICY-VERSION-002", "Postfix 2.2's attribute set", B,
	    "size, sasl_* and ccert_* appear" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "2.2", NULL },
	{ { "POLICY-VERSION-003", "Postfix 2.3's attribute set", B,
	    "reverse_client_name, recipient_count, etrn_domain, encryption_* appear" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "2.3", NULL },
	{ { "POLICY-VERSION-004", "Postfix 2.5's attribute set (stress)", B, "stress appears" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "2.5", NULL },
	{ { "POLICY-VERSION-005", "Postfix 2.9's attribute set", B,
	    "ccert_pubkey_fingerprint appears" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "2.9", NULL },
	{ { "POLICY-VERSION-006", "Postfix 3.0's attribute set", B, "client_port appears" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "3.0", NULL },
	{ { "POLICY-VERSION-007", "Postfix 3.1's attribute set", B, "policy_context appears" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "3.1", NULL },
	{ { "POLICY-VERSION-008", "Postfix 3.2's attribute set", B,
	    "server_address and server_port appear" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "3.2", NULL },
	{ { "POLICY-VERSION-009", "Postfix 3.8's attribute set", B,
	    "compatibility_level and mail_version appear" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "3.8", NULL },
	{ { "POLICY-VERSION-010", "Postfix 3.12's attribute set (tls_sni)", B,
	    "tls_sni appears (3.12-20260716): a service that refuses unknown attributes breaks "
	    "on every Postfix upgrade" },
	  "version", ACTION, CHECK_STAGE_MAIN, pol_version, "3.12-20260716", NULL },
	{ { "POLICY-INPUT-001", "UTF-8 and 8-bit values are answered", B,
	    "with SMTPUTF8 Postfix passes UTF-8 addresses and HELO names on, and 8-bit local parts "
	    "without it: a service that cannot read them gives no answer, and Postfix answers 451 "
	    "4.3.5 to that client every time" },
	  "input,utf8", ACTION, CHECK_STAGE_MAIN, pol_input, &input_kind[INPUT_8BIT], NULL },
	{ { "POLICY-INPUT-002", "a multi-byte character across byte 1024, 4096 or 8192 of a "
	    "request", B, "requests of several KB come in several reads; a service that decodes "
	    "each read on its own breaks where a character is cut" },
	  "input,utf8,length", ACTION | EIGHT, CHECK_STAGE_MAIN, pol_input, &input_kind[INPUT_SPLIT], NULL },
	{ { "POLICY-INPUT-003", "sender, recipient and HELO at line_length_limit", B,
	    "Postfix accepts SMTP command lines of 2,048 bytes: addresses and HELO names of over "
	    "2,000 bytes reach the service" },
	  "input,length", ACTION, CHECK_STAGE_MAIN, pol_input, &input_kind[INPUT_LIMIT], NULL },
	{ { "POLICY-INPUT-004", "clients without address or name, and IPv6 clients", B,
	    "sendmail -bs and XCLIENT [UNAVAILABLE] give client_address=unknown; a service that "
	    "parses the address must not break on it" },
	  "input", ACTION, CHECK_STAGE_MAIN, pol_input, &input_kind[INPUT_UNKNOWN], NULL },
	{ { "POLICY-INJ-001", "injection payloads in sasl_username do not widen access", S,
	    "sasl_username comes from the SMTP client's AUTH: quotes, wildcards, TAB or odd bytes "
	    "must not select another user's rights" },
	  "injection,security", ACTION, CHECK_STAGE_MAIN, pol_inject, &inj_fields[0],
	  "a control value got less than full access, so a payload could get more" },
	{ { "POLICY-INJ-002", "injection payloads in sender do not widen access", S,
	    "the MAIL FROM address is chosen by the SMTP client" },
	  "injection,security", ACTION, CHECK_STAGE_MAIN, pol_inject, &inj_fields[1],
	  "a control value got less than full access, so a payload could get more" },
	{ { "POLICY-INJ-003", "injection payloads in helo_name do not widen access", S,
	    "the HELO name is chosen by the SMTP client; Postfix makes it printable and neuters "
	    "<>()\\\";:@ on the way" },
	  "injection,security", ACTION, CHECK_STAGE_MAIN, pol_inject, &inj_fields[2],
	  "a control value got less than full access, so a payload could get more" },
	{ { "POLICY-LAT-001", "replies arrive well within Postfix's 100 s timeout", B,
	    "past smtpd_policy_service_timeout Postfix gives up the try; after two tries it "
	    "answers the default action (451 4.3.5), and the SMTP client waited all along" },
	  "latency", ACTION, CHECK_STAGE_RUN, pol_latency, NULL, NULL },
	{ { "POLICY-LINT-001", "no action of the run is all digits", S,
	    "an all-digit action (\"550\") is OK to Postfix: the client is permitted, not "
	    "rejected" }, "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_DIGITS],
	  "an action came in the run" },
	{ { "POLICY-LINT-002", "no action of the run is empty", S,
	    "an empty action is an empty restriction list, which Postfix treats as OK" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_EMPTY],
	  "an action came in the run" },
	{ { "POLICY-LINT-003", "no reply code comes without its text", B,
	    "\"550 \" is not a reject to Postfix but an unknown restriction: 451 4.3.5 Server "
	    "configuration error, a temporary failure for every such request" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_BARE],
	  "an action came in the run" },
	{ { "POLICY-LINT-004", "every code-like action is a 4xx or 5xx code", B,
	    "\"250 ok\", \"5.7.1 no\" or \"5500 x\" are unknown restrictions to Postfix: 451 4.3.5 "
	    "Server configuration error" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_CODE],
	  "an action came in the run" },
	{ { "POLICY-LINT-005", "no action of the run names a lookup table", B,
	    "\"do not specify lookup tables inside SMTPD access maps\": 451 4.3.5 Server "
	    "configuration error" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_TABLE],
	  "an action came in the run" },
	{ { "POLICY-LINT-006", "every action of the run is a word Postfix knows", B,
	    "an unknown word, or a blank before a keyword (\" DUNNO\"), is an unknown restriction: "
	    "451 4.3.5 Server configuration error" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_WORD],
	  "an action came in the run" },
	{ { "POLICY-LINT-007", "reply codes and their DSN agree in class", A,
	    "Postfix forces the DSN class to the code's: \"450 5.7.1\" is sent as 450 4.7.1, "
	    "\"550 4.7.1\" as 550 5.7.1" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_DSN],
	  "an action came in the run" },
	{ { "POLICY-LINT-008", "no PREPEND, FILTER, REDIRECT or BCC that Postfix ignores", B,
	    "without \"Header: text\", transport:destination or user@domain Postfix logs a "
	    "warning and treats the action as DUNNO: the header, filter or redirection never "
	    "happens" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_NOOP],
	  "an action came in the run" },
	{ { "POLICY-LINT-009", "no 421 or 521 reply", A,
	    "after 421 or 521 smtpd hangs up the whole SMTP session, not just this request" },
	  "lint,action", ACTION, CHECK_STAGE_RUN, pol_lint, &lint_kind[LINT_HANGUP],
	  "an action came in the run" },
};

#undef B
#undef S
#undef A
#undef ACTION
#undef EIGHT

static const char *policy_enter(struct check_run *cr, const struct check_def *d, char *buf,
				size_t size);
static void run_expect(struct check_run *cr, const struct check_def *d);
static void policy_leave(struct check_run *cr, const struct check_def *d, enum check_result *res,
			 char *why, size_t size);
static void run_data(struct check_run *cr, const struct check_def *def);

/* the reasons a check is skipped (check/runner.h) */
static const struct check_need policy_needs[] = {
	{ POLICY_NEED_ACTION, "needs an action for Postfix's RCPT request", NULL, "POLICY-REPLY-001",
	  "an action for Postfix's RCPT request" },
	{ POLICY_NEED_8BIT, "needs UTF-8 and 8-bit values to be answered", NULL, "POLICY-INPUT-001",
	  "8-bit values answered" },
};

static const struct check_suite policy_suite = {
	policy_needs, N_ELEMENTS(policy_needs), policy_enter, policy_leave,
};

/* check_policy_options_init - Postfix's defaults, user test1 */
void check_policy_options_init(struct check_policy_options *o)
{
	memset(o, 0, sizeof(*o));
	pf_version_default(&o->version);
	o->time_scale = 1.0;
	o->user = "test1";
}

/* check_policy_list - the built-in checks' --list lines */
void check_policy_list(FILE *out)
{
	check_list(out, policy_checks, N_ELEMENTS(policy_checks));
}

/* check_policy_list_needs - what each check needs and when it counts as exercised */
void check_policy_list_needs(FILE *out, const struct catalogue *cat)
{
	size_t i;

	check_list_needs(out, &policy_suite, policy_checks, N_ELEMENTS(policy_checks), NULL);
	for (i = 0; i < cat->n; i++) {
		struct check_def d;

		catalogue_def(cat->v[i], &d);
		d.needs = POLICY_NEED_ACTION;
		check_list_needs(out, &policy_suite, &d, 1, "the transcript ran through; one that "
				 "compares with {base}: not when the service wavers");
	}
}

/* --- before each check ------------------------------------------------------------ */

/* policy_enter - why the run cannot give this check a chance */
static const char *policy_enter(struct check_run *cr, const struct check_def *d, char *buf,
				size_t size)
{
	struct pcx *x = cr->ctx;

	if (x->life.gone) {
		snprintf(buf, size, "not run, the service died there");
		cr->block_by = x->life.gone_id;
		return buf;
	}
	if (x->stalls >= POLICY_MAX_STALLS && d->stage != CHECK_STAGE_RUN) {
		snprintf(buf, size, "not run, the service let %u requests in a row run into the "
			 "timeout; Postfix would wait %lu s per try for each", x->stalls,
			 check_policy_timeout_ms(x->o) / 1000);
		cr->block_by = x->stall_id;
		return buf;
	}
	if (x->unanswered >= POLICY_MAX_UNANSWERED) {
		snprintf(buf, size, "not run, the service answered none of the last %u requests",
			 x->unanswered);
		cr->block_by = x->unanswered_id;
		return buf;
	}
	return NULL;
}

/* policy_leave - a death during the check is its finding */
static void policy_leave(struct check_run *cr, const struct check_def *d, enum check_result *res,
			 char *why, size_t size)
{
	struct pcx *x = cr->ctx;

	if (d->run == run_data)
		death_replayed(&x->life, *res, why);	/* the replay's own connections */
	if (death_probe_due(&x->life))
		pcx_probe(x);
	if (death_verdict(&x->life, x->r, d->ci.id, x->life.gone ? "no service: after a retry 1 s later it "
		      "applies smtpd_policy_service_default_action and answers 451 4.3.5 Server "
		      "configuration problem, to this request and every one after it until the "
		      "service is back" : "a failed try: after a retry 1 s later it applies "
		      "smtpd_policy_service_default_action and answers 451 4.3.5 Server "
		      "configuration problem", res, why, size))
		cr->block_by = x->life.first_id;
	death_begin(&x->life);
}

/* --- user rules ------------------------------------------------------------------- */

/* one --expect rule as a row */
struct expect_row {
	struct check_def def;
	char id[40];
	char title[300];
	const char *rule;
};

/* run_expect - POLICY-EXPECT-NNN: the rule's request gets an action matching its pattern */
static void run_expect(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct expect_row *e = d->arg;
	char *store = xmalloc(65536);
	struct pf_pol_req req;
	const char *pat;
	struct pres res;
	char err[200];

	if (check_expect_parse(e->rule, &req, &x->o->version, store, 65536, &pat, err,
			       sizeof(err)) < 0) {
		check_end(x->cr, CHECK_ERROR, "--expect: %s", err);
	} else if (pcx_request(x, &req, &res) < 0) {
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	} else {
		const char *got = res.ok ? res.action : PF_POL_DEFAULT_ACTION;
		size_t glen = res.ok ? res.alen : strlen(PF_POL_DEFAULT_ACTION);
		char sa[400];

		if (check_expect_glob(pat, got, glen))
			check_end(x->cr, CHECK_PASS, "action=%s",
				   report_shown(sa, sizeof(sa), got, glen));
		else
			check_end(x->cr, CHECK_FAIL, "expected an action matching %s, %s %s", pat,
				   res.ok ? "got" : "Postfix applies its default action",
				   report_shown(sa, sizeof(sa), got, glen));
	}
	free(store);
}

/* expects - the --expect rules, in the order given */
static void expects(struct pcx *x, struct check_run *cr)
{
	struct expect_row *rows;
	size_t i, n = x->o->nexpects;

	if (n == 0)
		return;
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < n; i++) {
		struct expect_row *e = &rows[i];

		snprintf(e->id, sizeof(e->id), "POLICY-EXPECT-%03zu", i + 1);
		snprintf(e->title, sizeof(e->title), "rule: %.280s", x->o->expects[i]);
		e->rule = x->o->expects[i];
		e->def.ci.id = e->id;
		e->def.ci.title = e->title;
		e->def.ci.severity = SEV_BREAKS_POSTFIX;
		e->def.ci.why = "the decision given with --expect";
		e->def.tags = "expect";
		e->def.needs = POLICY_NEED_ACTION;
		e->def.stage = CHECK_STAGE_MAIN;
		e->def.run = run_expect;
		e->def.arg = e;
		(void)check_run_one(cr, &e->def);
	}
	free(rows);
}

/* --- data checks ------------------------------------------------------------------ */

/*
 * base_outcome - a data check failed on "{base}": is the action that came
 * the same outcome as the first? 1 yes (the texts only differ), 0 no, -1
 * the failure is of another kind. base is the first "S: action=" line of
 * the log, the other the text after "got " in why (escaped as the log is).
 */
static int base_outcome(struct pcx *x, const char *log, const char *why)
{
	const char *got = strstr(why, "{base}, got "), *b = strstr(log, "S: action=");
	struct pres pa, pb;
	size_t bl;

	if (got == NULL || b == NULL)
		return -1;
	got += 12;
	if (strncmp(got, "action=", 7) == 0)
		got += 7;
	b += 10;
	bl = strcspn(b, "\n");
	pol_outcome_of(x, b, bl, PF_POL_RCPT, &pa);
	pol_outcome_of(x, got, strlen(got), PF_POL_RCPT, &pb);
	if (!pol_same_outcome(&pa, &pb))
		return 0;
	report_note(x->r, "the action text differs from the first (%.*s, then %s); what Postfix "
		    "does is the same", (int)(bl > 200 ? 200 : bl), b, got);
	return 1;
}

/*
 * data_outcome - a {base} failure judged by outcome; before the request's
 * shape is blamed, the control (Postfix's RCPT request, as the run's first
 * reply) is asked twice more: a service that wavers is nondeterministic
 */
static enum check_result data_outcome(struct pcx *x, enum check_result res, char *why,
				      size_t size)
{
	struct pf_pol_req req;
	struct pres again[2];
	int same = res == CHECK_FAIL ? base_outcome(x, xbuf_cstr(&x->r->log), why) : -1;

	if (same == 1)
		return CHECK_PASS;
	if (same < 0 || !x->base.ok)
		return res;
	pcx_base_req(x, &req, PF_POL_RCPT);
	if (pol_wavers(x, &req, &x->base, again) != 1)
		return res;
	pcx_disconnect(x);
	snprintf(why, size, "the service answers the same request with other outcomes when asked "
		 "again: it is nondeterministic, so a difference cannot be put on the request's "
		 "shape (POLICY-CONN-003 judges the repeat)");
	return CHECK_UNEXERCISED;
}

/* run_data - one transcript under its own id (catalogue_replay), judged as Postfix retries */
static void run_data(struct check_run *cr, const struct check_def *def)
{
	struct pcx *x = cr->ctx;
	const struct catalogue_entry *d = def->arg;
	struct replay_options ro;
	enum check_result res;
	char why[1024];
	const char *log;

	catalogue_replay_options(&ro, x->o->target, &x->o->version, x->o->time_scale,
				 x->o->stderr_apart, x->o->defines);
	ro.policy_conf = x->o->conf;
	res = catalogue_replay(d, &ro, x->r, why, sizeof(why));
	res = data_outcome(x, res, why, sizeof(why));
	log = xbuf_cstr(&x->r->log);
	if (res == CHECK_PASS && strstr(log, " failed: ") != NULL && strstr(log, "> try ") != NULL) {
		res = CHECK_FAIL;
		snprintf(why, sizeof(why), "a try failed, so Postfix reconnected after 1 s and sent "
			 "the request again (see the notes)%s%s", d->m.fix[0] ? ". Fix: " : "", d->m.fix);
	} else if (res == CHECK_FAIL && d->m.fix[0]) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, ". Fix: %s", d->m.fix);
	}
	check_end(x->cr, res, "%s", why);
}

/* data_checks - the catalogue's and the user's transcripts, in the catalogue's order */
static void data_checks(struct check_run *cr, const struct catalogue *cat)
{
	struct check_def *defs = xcalloc(cat->n ? cat->n : 1, sizeof(*defs));
	size_t i;

	for (i = 0; i < cat->n; i++) {
		catalogue_def(cat->v[i], &defs[i]);
		defs[i].needs = POLICY_NEED_ACTION;
		defs[i].run = run_data;
	}
	check_run_walk(cr, defs, cat->n, CHECK_STAGES_ALL);
	free(defs);
}

/* --- the run ---------------------------------------------------------------------- */

/* first_reply - the first reply, when a check of CHECK_STAGE_FIRST is selected; -1 stops */
static int first_reply(struct pcx *x, struct check_run *cr, char **log_r)
{
	const size_t n = N_ELEMENTS(policy_checks);

	if (!check_run_any(cr, policy_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_FIRST))) {
		cr->have |= POLICY_NEED_ACTION;	/* not asked: nothing blocks */
		return 0;
	}
	report_begin(x->r, &policy_checks[0].ci);
	if (x->o->book != NULL)	/* the first exchange, for the checks judged from it */
		confirm_book_result(x->o->book, policy_checks[0].ci.id, 0, 1);
	if (pol_first_reply(x) < 0)
		return -1;
	*log_r = xstrdup(xbuf_cstr(&x->r->log));
	cr->first_log = *log_r;
	if (x->base.ok)
		cr->have |= POLICY_NEED_ACTION;
	return 0;
}

/* selection - every element of --only/--skip names a check of the run; -1 said why */
static int selection(const struct check_policy_options *o, const struct catalogue *cat)
{
	size_t n = N_ELEMENTS(policy_checks), i;
	struct check_def *all = xcalloc(n + cat->n + o->nexpects, sizeof(*all));
	char (*ids)[40] = xcalloc(o->nexpects ? o->nexpects : 1, sizeof(*ids));
	char why[300];
	const char *err;

	memcpy(all, policy_checks, sizeof(policy_checks));
	for (i = 0; i < cat->n; i++)
		catalogue_def(cat->v[i], &all[n + i]);
	for (i = 0; i < o->nexpects; i++) {
		snprintf(ids[i], sizeof(ids[i]), "POLICY-EXPECT-%03zu", i + 1);
		all[n + cat->n + i].ci.id = ids[i];
		all[n + cat->n + i].tags = "expect";
	}
	err = check_selection_error(o->only, o->skip, all, n + cat->n + o->nexpects, why,
				    sizeof(why));
	free(all);
	free(ids);
	if (err != NULL)
		msg_error("%s", err);
	return err != NULL ? -1 : 0;
}

/* check_policy_timeout_ms - how long Postfix waits for a reply (unscaled) */
unsigned long check_policy_timeout_ms(const struct check_policy_options *o)
{
	if (o->conf != NULL && o->conf->params.timeout_ms > 0)
		return o->conf->params.timeout_ms;
	return PF_POL_TIMEOUT_MS;
}

/* check_policy_run - the built-in checks, the rules, the data checks, then latency */
int check_policy_run(const struct check_policy_options *o, struct report *r)
{
	const size_t n = N_ELEMENTS(policy_checks);
	struct check_run cr;
	struct catalogue cat;
	struct pcx x;
	char err[700], *log = NULL;

	if (catalogue_load(&cat, o->catalogue_dir, o->transcripts, o->ntranscripts, TPROTO_POLICY,
			   err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return -1;
	}
	if (selection(o, &cat) < 0) {
		catalogue_free(&cat);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.r = r;
	x.cr = &cr;
	x.timeout_ms = (int)((double)check_policy_timeout_ms(o) *
			     (o->time_scale > 0 ? o->time_scale : 1.0));
	if (x.timeout_ms < 50)
		x.timeout_ms = 50;
	xbuf_init(&x.rbuf, POLICY_MAX_REPLY);
	x.c.fd = -1;
	death_init(&x.life, o->target);
	check_run_init(&cr, &policy_suite, r, o->only, o->skip, &x);
	cr.have |= POLICY_NEED_8BIT;	/* until POLICY-INPUT-001 finds otherwise */
	cr.book = o->book;
	if (first_reply(&x, &cr, &log) < 0)
		cr.stop = 1;
	check_run_walk(&cr, policy_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_FIRST));
	check_run_walk(&cr, policy_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_MAIN) |
		       CHECK_STAGE_BIT(CHECK_STAGE_PROBE));
	expects(&x, &cr);
	pcx_disconnect(&x);
	data_checks(&cr, &cat);
	check_run_walk(&cr, policy_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_RUN));
	pcx_disconnect(&x);
	xbuf_free(&x.rbuf);
	catalogue_free(&cat);
	free(log);
	check_run_free(&cr);
	if (x.fatal) {
		msg_error("%s", x.fatal_why);
		return -1;
	}
	return 0;
}
