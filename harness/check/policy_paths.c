/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_paths - the accept path and the reject path of a policy service
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 *
 *	size_t pol_paths(struct pcx *x, struct pol_path *p);
 *	void pol_verdict_set(struct pol_verdict *v, enum check_result res,
 *	                     const char *fmt, ...);
 *	void pol_paths_end(struct pcx *x, const struct pol_path *p,
 *	                   const struct pol_verdict *v, size_t n);
 *	void pol_on_paths(struct pcx *x, int (*on)(struct pcx *x,
 *	                  const struct pol_path *p, size_t k,
 *	                  struct pol_verdict *v));
 * DESCRIPTION
 *	A service that accepts Postfix's RCPT request from 127.0.0.1 may
 *	still break on the requests it refuses, and the other way round: an
 *	invariance check (a retry gets the same answer, a cut request does
 *	not leak into the next) runs on both paths. pol_paths() gives them:
 *	p[0] is the run's first request (Postfix's RCPT request), named the
 *	accept or the reject path by what Postfix did with its answer; p[1],
 *	found once per run, is the first of these requests whose answer
 *	goes the other way (refusing: a reject, a hangup, a configuration
 *	error or a pending defer_if_permit):
 *
 *	  the --expect rules' requests, in the order given;
 *	  an unknown user, authenticated from 127.0.0.1;
 *	  a client from a foreign network (198.51.100.7, no names);
 *	  --user, authenticated from 127.0.0.1.
 *
 *	It returns 2, or 1 when no request went the other way (then the
 *	check's report notes that the other path was not tried). Each path
 *	holds the request, its name and its first answer (p->first).
 *
 *	pol_verdict_set() writes one path's verdict; pol_paths_end() ends
 *	the check from the verdicts of its n paths (pol_on_paths() runs a
 *	check's function on each path, -1 from it: the service could not
 *	be asked, x->fatal_why, and then ends the check that way):
 *	the first failure (named by its path), else a pass naming each
 *	path's, else not exercised.
 * DIAGNOSTICS
 *	Into the report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/check/expect.h"
#include "harness/check/policy_int.h"

/* refusing - Postfix does not let the request through */
static int refusing(const struct pres *r)
{
	return !r->ok || r->v.kind == PF_POL_REJECT || r->v.kind == PF_POL_HANGUP ||
	       r->v.kind == PF_POL_CONFIG_ERROR || (r->v.effects & PF_POL_FX_DEFER_IF_PERMIT);
}

/* candidate - request i of the search, into req (store for a rule's text); 0: none more */
static int candidate(struct pcx *x, size_t i, struct pf_pol_req *req, char *store, size_t size)
{
	size_t nrules = x->o->nexpects;
	const char *pat;
	char err[200];

	if (i < nrules)
		return check_expect_parse(x->o->expects[i], req, &x->o->version, store, size, &pat,
					  err, sizeof(err)) == 0 ? 1 : -1;
	pcx_base_req(x, req, PF_POL_RCPT);
	switch (i - nrules) {
	case 0:
		(void)!pf_pol_req_set(req, "sasl_method", "PLAIN");
		(void)!pf_pol_req_set(req, "sasl_username", "no-such-user-zz");
		return 1;
	case 1:
		(void)!pf_pol_req_set(req, "client_address", "198.51.100.7");
		(void)!pf_pol_req_set(req, "client_name", "unknown");
		(void)!pf_pol_req_set(req, "reverse_client_name", "unknown");
		return 1;
	case 2:
		(void)!pf_pol_req_set(req, "sasl_method", "PLAIN");
		(void)!pf_pol_req_set(req, "sasl_username", x->o->user);
		return 1;
	}
	return 0;
}

/* explore - once per run: the first request whose answer goes the other way */
static void explore(struct pcx *x)
{
	int base_refuses = refusing(&x->base);
	size_t i;
	int rc;

	x->explored = 1;
	report_note(x->r, "looking for %s: requests the service may %s",
		    base_refuses ? "an accept path" : "a reject path",
		    base_refuses ? "let through" : "refuse");
	for (i = 0; (rc = candidate(x, i, &x->other.req, x->other_store,
				      sizeof(x->other_store))) != 0; i++) {
		if (rc < 0)
			continue;
		if (pcx_request(x, &x->other.req, &x->other.first) < 0)
			return;
		if (refusing(&x->other.first) != base_refuses) {
			x->other.name = base_refuses ? "the accept path" : "the reject path";
			x->have_other = 1;
			return;
		}
	}
}

/* pol_paths - the accept and the reject path; 1 when only the first reply's was found */
size_t pol_paths(struct pcx *x, struct pol_path *p)
{
	pcx_base_req(x, &p[0].req, PF_POL_RCPT);
	p[0].first = x->base;
	p[0].name = refusing(&x->base) ? "the reject path" : "the accept path";
	if (!x->explored && x->base.ok)
		explore(x);
	if (!x->have_other) {
		report_note(x->r, "no request went the other way (rules, an unknown user, a foreign "
			    "network, --user): only %s was tried", p[0].name);
		return 1;
	}
	p[1] = x->other;
	return 2;
}

/* pol_verdict_set - one path's verdict */
void pol_verdict_set(struct pol_verdict *v, enum check_result res, const char *fmt, ...)
{
	va_list ap;

	v->res = res;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* pol_on_paths - run on(x, path, index, verdict) on each path, then end the check */
void pol_on_paths(struct pcx *x, int (*on)(struct pcx *x, const struct pol_path *p, size_t k,
					   struct pol_verdict *v))
{
	struct pol_path p[2];
	struct pol_verdict v[2];
	size_t n = pol_paths(x, p), i;

	for (i = 0; i < n; i++)
		if (on(x, &p[i], i, &v[i]) < 0) {
			check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
			return;
		}
	pol_paths_end(x, p, v, n);
}

/* pol_paths_end - the check's verdict from its paths' */
void pol_paths_end(struct pcx *x, const struct pol_path *p, const struct pol_verdict *v,
		   size_t n)
{
	char all[CHECK_VERDICT_MAX] = "";
	size_t i, used = 0;
	int passed = 0;

	for (i = 0; i < n; i++)
		if (v[i].res != CHECK_PASS && v[i].res != CHECK_UNEXERCISED) {
			check_end(x->cr, v[i].res, "on %s: %s", p[i].name, v[i].why);
			return;
		}
	for (i = 0; i < n && used < sizeof(all); i++) {
		passed |= v[i].res == CHECK_PASS;
		used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s: %s%s",
					 i ? "; " : "", p[i].name,
					 v[i].res == CHECK_PASS ? "" : "not exercised, ", v[i].why);
	}
	check_end(x->cr, passed ? CHECK_PASS : CHECK_UNEXERCISED, "%s", all);
}
