/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_outcome - Postfix's outcome of an answer, for the invariance checks
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 *
 *	int pol_same_outcome(const struct pres *a, const struct pres *b);
 *	const char *pol_outcome_name(const struct pres *r, char *buf,
 *	                             size_t size);
 *	void pol_outcome_of(const struct pcx *x, const char *action,
 *	                    size_t len, enum pf_pol_state st, struct pres *out);
 *	int pol_wavers(struct pcx *x, const struct pf_pol_req *req,
 *	               const struct pres *first, struct pres *again);
 * DESCRIPTION
 *	A service may word the same decision differently each time (a
 *	counter, a reference number, a time in a header): what counts is
 *	what Postfix does. The outcome of an answer is the oracle's verdict
 *	(pf_pol_eval) reduced to what the SMTP client and the mail see:
 *	permit, dunno, a reject by its code class (4xx or 5xx, and whether
 *	smtpd hangs up), hangup, a configuration error, and the side effects
 *	(hold, discard, filter, redirect, bcc, prepend, defer_if_permit,
 *	defer_if_reject; not the log-only INFO and WARN). No action at all
 *	(a failed try) is an outcome of its own.
 *
 *	pol_same_outcome() compares two answers that way. pol_outcome_name()
 *	writes one as text ("dunno +prepend", "reject 5xx"). pol_outcome_of()
 *	fills out->ok, action and v for an action text at protocol state st,
 *	as pcx_request() would have judged it.
 *
 *	pol_wavers() is the rerun of a control before anything is blamed on
 *	a difference: req sent twice more on the persistent connection
 *	(again[0], again[1]); 1 when the two do not agree with each other or
 *	with first (the service answers the same request with other
 *	outcomes: nondeterministic), 0 when they agree, -1 when the service
 *	could not be asked (pcx_request()).
 * DIAGNOSTICS
 *	None: pure over their arguments.
 */
#include <stdio.h>
#include <string.h>

#include "harness/check/policy_int.h"

#define OUTCOME_FX	(PF_POL_FX_HOLD | PF_POL_FX_DISCARD | PF_POL_FX_FILTER | \
			 PF_POL_FX_REDIRECT | PF_POL_FX_BCC | PF_POL_FX_PREPEND | \
			 PF_POL_FX_DEFER_IF_PERMIT | PF_POL_FX_DEFER_IF_REJECT)

/* pol_same_outcome - does Postfix do the same with both answers */
int pol_same_outcome(const struct pres *a, const struct pres *b)
{
	if (!a->ok || !b->ok)
		return !a->ok && !b->ok;
	if (a->v.kind != b->v.kind || (a->v.effects & OUTCOME_FX) != (b->v.effects & OUTCOME_FX))
		return 0;
	if (a->v.kind == PF_POL_REJECT)
		return a->v.smtp[0] == b->v.smtp[0] && a->v.disconnect == b->v.disconnect;
	return 1;
}

/* pol_outcome_name - an outcome as text */
const char *pol_outcome_name(const struct pres *r, char *buf, size_t size)
{
	static const struct {
		unsigned fx;
		const char *name;
	} fx[] = {
		{ PF_POL_FX_HOLD, "hold" }, { PF_POL_FX_DISCARD, "discard" },
		{ PF_POL_FX_FILTER, "filter" }, { PF_POL_FX_REDIRECT, "redirect" },
		{ PF_POL_FX_BCC, "bcc" }, { PF_POL_FX_PREPEND, "prepend" },
		{ PF_POL_FX_DEFER_IF_PERMIT, "defer_if_permit" },
		{ PF_POL_FX_DEFER_IF_REJECT, "defer_if_reject" },
	};
	size_t k, n;

	if (!r->ok) {
		snprintf(buf, size, "no action (the default action)");
		return buf;
	}
	if (r->v.kind == PF_POL_REJECT)
		snprintf(buf, size, "reject %cxx%s", r->v.smtp[0] ? r->v.smtp[0] : '?',
			 r->v.disconnect ? " and hang up" : "");
	else
		snprintf(buf, size, "%s", pf_pol_kind_name(r->v.kind));
	for (k = 0; k < sizeof(fx) / sizeof(fx[0]); k++)
		if ((r->v.effects & fx[k].fx) && (n = strlen(buf)) < size)
			snprintf(buf + n, size - n, " +%s", fx[k].name);
	return buf;
}

/* pol_wavers - req twice more: do the answers agree with first and with each other */
int pol_wavers(struct pcx *x, const struct pf_pol_req *req, const struct pres *first,
	       struct pres *again)
{
	report_note(x->r, "before blaming a difference: the same request twice more");
	if (pcx_request(x, req, &again[0]) < 0 || pcx_request(x, req, &again[1]) < 0)
		return -1;
	return !pol_same_outcome(&again[0], &again[1]) || !pol_same_outcome(first, &again[0]);
}

/* pol_outcome_of - an action text judged at state st, as pcx_request() would */
void pol_outcome_of(const struct pcx *x, const char *action, size_t len, enum pf_pol_state st,
		    struct pres *out)
{
	struct pf_pol_ctx ctx;

	memset(out, 0, sizeof(*out));
	out->ok = 1;
	out->alen = len < PF_POL_ACTION_MAX ? len : PF_POL_ACTION_MAX;
	memcpy(out->action, action, out->alen);
	pf_pol_ctx_init(&ctx, &x->o->version, st);
	pf_pol_eval(&ctx, out->action, out->alen, &out->v);
}
