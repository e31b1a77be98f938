/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_request - POLICY-REQ-001, POLICY-STATE-* and POLICY-VERSION-*: every request Postfix sends
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 * DESCRIPTION
 *	POLICY-REQ-001 sends blocks without request=smtpd_access_policy (or
 *	with another type) on connections of their own, then Postfix's
 *	request: the service must still serve. POLICY-STATE-* send
 *	Postfix's request at each protocol_state (the row's arg names it),
 *	POLICY-VERSION-* the request of each Postfix version from 2.1 on
 *	(the row's arg), compared with the same session from the version
 *	under test. Each must get an action Postfix takes there.
 * DIAGNOSTICS
 *	A row whose arg is no protocol_state is our bug: msg_panic().
 */
#include <stdio.h>
#include <string.h>

#include "harness/check/policy_int.h"
#include "util/msg.h"

/* pol_req_type - POLICY-REQ-001: blocks of no or another request type, then a real one */
void pol_req_type(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	static const char *const blocks[] = {
		"protocol_state=RCPT\nclient_address=127.0.0.1\nrecipient=rcpt@example.com\n\n",
		"request=other_type\nprotocol_state=RCPT\nclient_address=127.0.0.1\n\n",
	};
	struct pf_pol_req req;
	struct pres res;
	size_t i;
	char notes[300] = "";

	(void)d;
	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		struct tconn c;
		char chunk[4096];
		int n;

		if (pcx_open(x, &c) < 0)
			break;
		if (pcx_send(x, &c, blocks[i], strlen(blocks[i])) == 0) {
			n = tconn_read_some(&c, POLICY_EARLY_MS, chunk, sizeof(chunk));
			if (n > 0)
				pcx_log_bytes(x, 'S', chunk, (size_t)n);
			else if (n < 0)
				death_dropped(&x->life, &c, 0);	/* not Postfix's: closing is fine */
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%sblock %zu: %s",
				 notes[0] ? "; " : "", i + 1, n > 0 ? "answered" : n < 0 ? "closed" :
				 "no answer yet");
		}
		pcx_close(x, &c);
	}
	if (x->fatal) {
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	report_note(x->r, "%s", notes);
	pcx_disconnect(x);
	pcx_base_req(x, &req, PF_POL_RCPT);
	if (pcx_request(x, &req, &res) < 0)
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (!res.ok)
		check_end(x->cr, CHECK_FAIL, "after blocks without request=smtpd_access_policy a normal "
			   "request got no action (%s): the service stopped serving", res.rd.why);
	else
		check_end(x->cr, CHECK_PASS, "%s", notes);
}

/* finish_answered - the request got an action Postfix takes (base: the version under test) */
static void finish_answered(struct pcx *x, const struct pres *res, const struct pres *base,
			    const char *what)
{
	char sa[400], sb[400];

	if (x->fatal)
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (!res->ok)
		check_end(x->cr, CHECK_FAIL, "%s: no action (%s); Postfix answers %s. Answer every "
			   "request Postfix can send", what, res->rd.why, res->v.smtp);
	else if (res->v.kind == PF_POL_CONFIG_ERROR)
		check_end(x->cr, CHECK_FAIL, "%s: action=%s, which Postfix rejects here: %s", what,
			   pcx_shown_action(res, sa, sizeof(sa)), res->v.smtp);
	else if (res->v.kind == PF_POL_UNMODELLED)
		check_end(x->cr, CHECK_UNEXERCISED, "%s: action=%s, whose outcome this oracle does "
			  "not predict (it depends on state Postfix looks up: DNS, tables, the "
			  "client); unpredicted is not a pass", what,
			  pcx_shown_action(res, sa, sizeof(sa)));
	else {
		if (base != NULL && base->ok &&
		    (base->alen != res->alen || memcmp(base->action, res->action, res->alen) != 0)) {
			char vb[32];

			if (pf_version_format(&x->o->version, vb, sizeof(vb)) < 0)
				snprintf(vb, sizeof(vb), "?");
			report_note(x->r, "the same session as Postfix %s (--postfix-version) got "
				    "action=%s", vb, pcx_shown_action(base, sb, sizeof(sb)));
		}
		check_end(x->cr, CHECK_PASS, "action=%s (%s)", pcx_shown_action(res, sa, sizeof(sa)),
			   pf_pol_kind_name(res->v.kind));
	}
}

/* pol_state - POLICY-STATE-*: a request at the protocol state d->arg names */
void pol_state(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	struct pf_pol_req req;
	struct pres res;
	enum pf_pol_state st;

	if (pf_pol_state_parse(d->arg, &st) < 0)
		msg_panic("pol_state: %s: no protocol_state %s", d->ci.id, (const char *)d->arg);
	pcx_base_req(x, &req, st);
	if (st == PF_POL_HELO)
		(void)!pf_pol_req_set(&req, "protocol_name", "SMTP");
	if (pcx_request(x, &req, &res) < 0) {
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	finish_answered(x, &res, NULL, pf_pol_state_name(st));
}

/* pol_version - POLICY-VERSION-*: the request of the Postfix version d->arg names */
void pol_version(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const char *vers = d->arg;
	struct pf_version v;
	struct pf_pol_req req;
	struct pres res;

	if (!x->have_vbase) {
		/* the same session from the version under test, for comparison */
		struct pf_pol_req b;

		pf_pol_req_init(&b, &x->o->version, PF_POL_RCPT);
		if (pcx_request(x, &b, &x->vbase) < 0) {
			check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
			return;
		}
		x->have_vbase = 1;
		xbuf_reset(&x->r->log);
	}
	if (pf_version_parse(vers, &v) < 0) {
		check_end(x->cr, CHECK_ERROR, "bad version %s", vers);
		return;
	}
	pf_pol_req_init(&req, &v, PF_POL_RCPT);
	if (pcx_request(x, &req, &res) < 0) {
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	finish_answered(x, &res, &x->vbase, vers);
}
