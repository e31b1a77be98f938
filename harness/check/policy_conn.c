/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_conn - POLICY-CONN-002..004 and POLICY-LAT-001: how the service uses connections and time
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 * DESCRIPTION
 *	POLICY-CONN-002 sends two SMTP sessions' requests on one connection,
 *	003 the same request again on a new connection (as after a failed
 *	try) and once more, 004 a request cut in half by a disconnect and
 *	then the same request on the next connection, compared with the
 *	run's first reply. POLICY-LAT-001 (stage CHECK_STAGE_RUN: it runs
 *	even after stalls, being the check that reports them) sends
 *	Postfix's RCPT request up to three times and judges the slowest
 *	reply of the whole run.
 * DIAGNOSTICS
 *	Into the report.
 */
#include <stdio.h>
#include <string.h>

#include "harness/check/policy_int.h"

/* pol_conn_many - POLICY-CONN-002: several requests and sessions on one connection */
void pol_conn_many(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	static const enum pf_pol_state seq[] = {
		PF_POL_CONNECT, PF_POL_EHLO, PF_POL_MAIL, PF_POL_RCPT, PF_POL_RCPT, PF_POL_DATA,
		PF_POL_EOM, PF_POL_RCPT, PF_POL_RCPT,
	};
	char bad[600] = "";
	size_t i;

	(void)d;
	pcx_disconnect(x);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct pf_pol_req req;
		struct pres res;
		char cnt[16];

		if (i == 0 || i == 7)
			pcx_next_instance(x);	/* a new SMTP session */
		pf_pol_req_init(&req, &x->o->version, seq[i]);
		if (seq[i] != PF_POL_CONNECT && seq[i] != PF_POL_EHLO && pf_pol_req_get(&req, "instance"))
			(void)!pf_pol_req_set(&req, "instance", x->instance);
		if (i == 4)
			(void)!pf_pol_req_set(&req, "recipient", "second@example.com");
		if (i >= 7) {
			(void)!pf_pol_req_set(&req, "client_address", i == 7 ? "192.0.2.10" : "::1");
			(void)!pf_pol_req_set(&req, "client_name", "unknown");
		}
		if (seq[i] == PF_POL_DATA || seq[i] == PF_POL_EOM) {
			snprintf(cnt, sizeof(cnt), "2");
			(void)!pf_pol_req_set(&req, "recipient_count", cnt);
			(void)!pf_pol_req_set(&req, "recipient", "");
		}
		if (pcx_request(x, &req, &res) < 0)
			break;
		if (res.readable_before || !res.ok)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%srequest %zu (%s): %s",
				 bad[0] ? "; " : "", i + 1, pf_pol_state_name(seq[i]),
				 res.readable_before ? "stream readable before it" : res.rd.why);
	}
	if (x->fatal)
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (bad[0])
		check_end(x->cr, CHECK_FAIL, "%s. Keep reading requests on the same connection "
			   "and answer each with exactly one reply", bad);
	else
		check_end(x->cr, CHECK_PASS, "9 requests, 2 sessions, one connection");
}

/* retry_verdict - POLICY-CONN-003 on r1, r2 (new connections); wavers: pol_wavers() after r2 */
static void retry_verdict(struct pcx *x, const struct pres *r1, const struct pres *r2,
			  const struct pres *again, int wavers, struct pol_verdict *v)
{
	char sa[400], sb[400], oa[120], ob[120], oc[120];

	if (!r1->ok || !r2->ok) {
		pol_verdict_set(v, CHECK_FAIL, "a repeated request was not answered");
		return;
	}
	if (pol_same_outcome(r1, r2)) {
		if (r1->alen != r2->alen || memcmp(r1->action, r2->action, r1->alen) != 0)
			report_note(x->r, "the texts differ (action=%s, then action=%s); what Postfix "
				    "does is the same", pcx_shown_action(r1, sa, sizeof(sa)),
				    pcx_shown_action(r2, sb, sizeof(sb)));
		pol_verdict_set(v, CHECK_PASS, "%s on both connections",
			  pol_outcome_name(r1, oa, sizeof(oa)));
		return;
	}
	pol_outcome_name(r1, oa, sizeof(oa));
	pol_outcome_name(r2, ob, sizeof(ob));
	pol_outcome_name(&again[0], oc, sizeof(oc));
	if (!wavers)
		pol_verdict_set(v, CHECK_FAIL, "the same request got %s (action=%s) first and %s "
			  "(action=%s) when sent again on a new connection, and %s from then on: "
			  "the service counted the first sending. Postfix re-sends a request after "
			  "every failed try, so the answer to a retry must not count the first (key "
			  "on instance, not on arrival)", oa, pcx_shown_action(r1, sa, sizeof(sa)), ob,
			  pcx_shown_action(r2, sb, sizeof(sb)), ob);
	else
		pol_verdict_set(v, CHECK_FAIL, "the service is nondeterministic: the same request got "
			  "%s, then %s on a new connection, then %s and %s. Postfix re-sends a "
			  "request after every failed try and gets whichever comes; decide from the "
			  "request and stored state only", oa, ob, oc,
			  pol_outcome_name(&again[1], sa, sizeof(sa)));
}

/* retry_on - POLICY-CONN-003 on one path: its request, made new, sent three times */
static int retry_on(struct pcx *x, const struct pol_path *p, size_t k, struct pol_verdict *v)
{
	char sb[400], sender[64];
	struct pf_pol_req req = p->req;
	struct pres r1, r2, r3, again[2];
	int wavers = 0;

	/* a request the service has not seen yet, on this path */
	snprintf(sender, sizeof(sender), "retry%zu@example.org", k + 1);
	(void)!pf_pol_req_set(&req, "sender", sender);
	report_note(x->r, "-- %s", p->name);
	pcx_disconnect(x);
	if (pcx_request(x, &req, &r1) < 0)
		return -1;
	report_note(x->r, "Postfix's try failed after sending (say, a timeout): it reconnects and "
		    "sends the same request");
	pcx_disconnect(x);
	if (pcx_request(x, &req, &r2) < 0 || pcx_request(x, &req, &r3) < 0)
		return -1;
	/* the same message asking twice on one connection may differ (a header added
	   once per instance): a note, not a failure */
	if (r2.ok && r3.ok && !pol_same_outcome(&r2, &r3))
		report_note(x->r, "on the same connection the repeat got action=%s; fine for "
			    "per-message state, but a retry after a lost reply to a long-running "
			    "daemon would see this answer", pcx_shown_action(&r3, sb, sizeof(sb)));
	memset(again, 0, sizeof(again));
	if (r1.ok && r2.ok && !pol_same_outcome(&r1, &r2)) {
		/* before blaming the retry: does the service answer the retry steadily */
		pcx_disconnect(x);
		if ((wavers = pol_wavers(x, &req, &r2, again)) < 0)
			return -1;
	}
	retry_verdict(x, &r1, &r2, again, wavers, v);
	return 0;
}

/* pol_conn_retry - POLICY-CONN-003: the same request again on a new connection, on each path */
void pol_conn_retry(struct check_run *cr, const struct check_def *d)
{
	(void)d;
	pol_on_paths(cr->ctx, retry_on);
}

/* cut_verdict - POLICY-CONN-004: res (after the cut) against base, the control rerun first */
static void cut_verdict(struct pcx *x, const struct pf_pol_req *req, const struct pres *base,
			const struct pres *res, struct pol_verdict *v)
{
	char sa[400], sb[400], oa[120], ob[120];
	struct pres again[2];
	int wavers;

	if (!base->ok || pol_same_outcome(base, res)) {
		pol_verdict_set(v, CHECK_PASS, "%s", pol_outcome_name(res, oa, sizeof(oa)));
		return;
	}
	/* before blaming the cut: the same request again, with nothing cut before it */
	if ((wavers = pol_wavers(x, req, res, again)) < 0) {
		pol_verdict_set(v, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	pol_outcome_name(res, oa, sizeof(oa));
	pol_outcome_name(base, ob, sizeof(ob));
	if (wavers && !(pol_same_outcome(&again[0], &again[1]) && pol_same_outcome(&again[0], base)))
		pol_verdict_set(v, CHECK_UNEXERCISED, "the service answers the same request with "
			  "other outcomes each time (%s, then %s and %s): nondeterministic, so a "
			  "difference cannot be put on the cut (POLICY-CONN-003 judges the repeat)", oa,
			  pol_outcome_name(&again[0], sa, sizeof(sa)),
			  pol_outcome_name(&again[1], sb, sizeof(sb)));
	else if (!wavers)
		pol_verdict_set(v, CHECK_PASS, "%s after the cut, as without it now (the first reply "
			  "was %s: the service answers this request differently over time, not "
			  "because of the cut)", oa, ob);
	else
		pol_verdict_set(v, CHECK_FAIL, "after the cut request the next connection got %s "
			  "(action=%s); the same request gets %s (action=%s) without it: the half "
			  "request leaked into the next decision", oa,
			  pcx_shown_action(res, sa, sizeof(sa)), ob, pcx_shown_action(base, sb,
			  sizeof(sb)));
}

/* cut_on - POLICY-CONN-004 on one path: half of its request, a disconnect, then the whole */
static int cut_on(struct pcx *x, const struct pol_path *p, size_t k, struct pol_verdict *v)
{
	struct tconn c;
	struct xbuf out;
	const char *err;
	struct pres res;
	int rc = -1;

	(void)k;
	report_note(x->r, "-- %s", p->name);
	xbuf_init(&out, 1 << 20);
	if (pcx_open(x, &c) == 0) {
		if (pf_pol_req_format(&p->req, &out, &err) == 0)
			(void)pcx_send(x, &c, out.data, out.len / 2);
		report_note(x->r, "the client side closes in the middle of the request");
		pcx_close(x, &c);
		pcx_disconnect(x);
		if (pcx_request(x, &p->req, &res) == 0) {
			if (!res.ok)
				pol_verdict_set(v, CHECK_FAIL, "no action on the next connection after a "
						"cut request (%s)", res.rd.why);
			else
				cut_verdict(x, &p->req, &p->first, &res, v);
			rc = 0;
		}
	}
	xbuf_free(&out);
	return rc;
}

/* pol_conn_cut - POLICY-CONN-004: a request cut by a disconnect, then the next, on each path */
void pol_conn_cut(struct check_run *cr, const struct check_def *d)
{
	(void)d;
	pol_on_paths(cr->ctx, cut_on);
}

/* pol_latency - POLICY-LAT-001: Postfix's RCPT request, and the slowest reply of the run */
void pol_latency(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	struct pf_pol_req req;
	struct pres res;
	int i;
	unsigned before = x->ntimeouts;

	(void)d;
	if (before)
		report_note(x->r, "%u request(s) in other checks got no reply within the timeout "
			    "(reported there)", before);
	for (i = 0; i < 3 && !x->fatal && x->ntimeouts - before < 2; i++) {
		pcx_base_req(x, &req, PF_POL_RCPT);
		if (pcx_request(x, &req, &res) < 0)
			break;
	}
	if (x->fatal)
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (x->ntimeouts > before)
		check_end(x->cr, CHECK_FAIL, "Postfix's own RCPT request got no reply within %d ms "
			   "(100 s x %.3g); Postfix gives up the try, retries once and answers 451 4.3.5 "
			   "Server configuration problem. Answer within a second; do slow lookups "
			   "asynchronously or cache them", x->timeout_ms, x->o->time_scale);
	else if (x->max_ms >= x->timeout_ms / 2)
		check_end(x->cr, CHECK_FAIL, "the slowest reply took %lld ms, half or more of "
			   "Postfix's timeout (100 s x %.3g = %d ms); past it Postfix gives up the "
			   "try and finally answers 451 4.3.5 Server configuration problem. Answer "
			   "within a second; do slow lookups asynchronously or cache them (slowest "
			   "in %s)", x->max_ms, x->o->time_scale, x->timeout_ms, x->slow_id);
	else
		check_end(x->cr, CHECK_PASS, "slowest reply %lld ms of all requests in this run "
			   "(timeout %d ms)", x->max_ms, x->timeout_ms);
}
