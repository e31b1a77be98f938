/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_inject - POLICY-INJ-*: injection payloads in fields the SMTP client chooses
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 * DESCRIPTION
 *	For one field (the row's arg: sasl_username, sender or helo_name),
 *	each payload (SQL quotes and comments, LIKE and glob wildcards,
 *	regex, TAB, CR, control and 8-bit bytes, shell) is sent after a
 *	control value of the same shape, both in Postfix's RCPT request;
 *	the payload must not get more access than its control (rank: what
 *	Postfix's verdict grants). A payload left without an answer within
 *	the timeout fails; one the service closes on is a note (Postfix's
 *	default action denies). A 4096-byte value ends the list. For
 *	sasl_username the reference is --user (allowed from 127.0.0.1)
 *	against an unknown user.
 * DIAGNOSTICS
 *	Into the report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/policy_int.h"
#include "util/xmem.h"

/* rank - how much access a verdict grants: -1 unknown */
static int rank(const struct pf_pol_verdict *v)
{
	switch (v->kind) {
	case PF_POL_REJECT:
	case PF_POL_HANGUP:
	case PF_POL_CONFIG_ERROR:
		return 0;
	case PF_POL_DUNNO:
		return (v->effects & (PF_POL_FX_DEFER_IF_PERMIT)) ? 0 : 1;
	case PF_POL_PERMIT:
		return (v->effects & (PF_POL_FX_DEFER_IF_PERMIT | PF_POL_FX_HOLD | PF_POL_FX_DISCARD))
		       ? 1 : 2;
	case PF_POL_UNMODELLED:
		return -1;
	}
	return -1;
}

/* one payload and the control value of its shape (%u: the field's known value) */
struct inj_row {
	const char *label;
	const char *control;		/* %u: the field's known value */
	const char *payload;
};

static const struct inj_row inj_rows[] = {
	{ "SQL quote", "nosuch' OR 'a'='b", "nosuch' OR 'a'='a" },
	{ "SQL comment", "%uz--", "%u'--" },
	{ "SQL quote, other user", "nosuchz OR user=z%uz", "nosuch' OR user='%u" },
	{ "SQL LIKE %", "z", "%" },
	{ "SQL LIKE _", "%u~", "%u_" },
	{ "glob *", "z", "*" },
	{ "regex .*", "zz", ".*" },
	{ "TAB", "%uzz", "%u\tz" },
	{ "space", "%uzz", "%u z" },
	{ "CR", "%uz", "%u\r" },
	{ "control byte 0x01", "%uz", "%u\001" },
	{ "DEL", "%uz", "%u\177" },
	{ "byte 0xff", "%uz", "%u\377" },
	{ "percent-encoded NUL", "%uz00", "%u%00" },
	{ "shell $()", "$(echo zz)", "$(echo %u)" },
	{ "shell backquote and ;", "zzecho zz", "`echo %u`;" },
	{ "trailing blanks", "%uzzz", "%u   " },
};

/* expand_row - a row's value with %u replaced by the known value */
static void expand_row(char *dst, size_t size, const char *tpl, const char *known)
{
	size_t n = 0;

	for (; *tpl && n + 1 < size; tpl++) {
		if (tpl[0] == '%' && tpl[1] == 'u') {
			n += (size_t)snprintf(dst + n, size - n, "%s", known);
			if (n >= size)
				n = size - 1;
			tpl++;
		} else {
			dst[n++] = *tpl;
		}
	}
	dst[n] = '\0';
}

/* inj_context - Postfix's RCPT request with value in field (authenticated, or from outside) */
static void inj_context(struct pcx *x, struct pf_pol_req *req, const char *field, const char *value)
{
	pcx_base_req(x, req, PF_POL_RCPT);
	if (strcmp(field, "sasl_username") == 0) {
		(void)!pf_pol_req_set(req, "sasl_method", "PLAIN");
		(void)!pf_pol_req_set(req, "sasl_username", value);
	} else {
		/* an unauthenticated client from outside */
		(void)!pf_pol_req_set(req, "client_address", "198.51.100.7");
		(void)!pf_pol_req_set(req, "client_name", "unknown");
		(void)!pf_pol_req_set(req, "reverse_client_name", "unknown");
		(void)!pf_pol_req_set(req, field, value);
	}
}

/* utf8_seq - the length of a valid UTF-8 sequence at p (n bytes left), 0 when none */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	size_t i;

	if (len == 0 || len > n || p[0] >= 0xf5)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * postfix_form - a value as Postfix passes it in field: a SASL user name
 * and a HELO name are made printable (printable(..., '?'): control bytes
 * and bytes that are no valid UTF-8 become '?'), a HELO name is neutered
 * too ("<>()\\\";:@" become '?'); a sender goes as it came. 1 when the
 * value changed (the report says so)
 */
static int postfix_form(struct pcx *x, const char *field, char *v, const char *label)
{
	int helo = strcmp(field, "helo_name") == 0, changed = 0;
	unsigned char *p = (unsigned char *)v;
	size_t n = strlen(v), i = 0, k;

	if (!helo && strcmp(field, "sasl_username") != 0)
		return 0;
	while (i < n) {
		if (p[i] >= 0x80 && (k = utf8_seq(p + i, n - i)) > 0) {
			i += k;
			continue;
		}
		if (p[i] < 0x20 || p[i] >= 0x7f || (helo && strchr("<>()\\\";:@", p[i]) != NULL)) {
			p[i] = '?';
			changed = 1;
		}
		i++;
	}
	if (changed)
		report_note(x->r, "-- %s: as Postfix passes it in %s (made printable)", label, field);
	return changed;
}

/* has_8bit - a byte over 0x7f */
static int has_8bit(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v >= 0x80)
			return 1;
	return 0;
}

/* widened - one payload that got more than its control, into the list bad */
static void widened(char *bad, size_t size, const char *label, const struct pres *c,
		    const struct pres *p)
{
	char sa[200], sb[200];
	size_t n = strlen(bad);

	snprintf(bad + n, size - n, "%s%s: control %s, payload %s", n ? "; " : "", label,
		 pcx_shown_action(c, sa, sizeof(sa)), pcx_shown_action(p, sb, sizeof(sb)));
}

/*
 * control_again - before blaming the payload p: the control request rc twice
 * more. 1 when the service answers it with other outcomes than c (it is
 * nondeterministic: the difference is not the payload's doing)
 */
static int control_again(struct pcx *x, const struct pf_pol_req *rc, const struct pres *c,
			 const struct pres *p)
{
	struct pres again[2];
	char oa[120], ob[120], oc[120];

	(void)p;
	if (pol_wavers(x, rc, c, again) != 1)
		return 0;
	report_note(x->r, "the same control got %s, then %s and %s: the service is "
		    "nondeterministic, the payload is not blamed", pol_outcome_name(c, oa, sizeof(oa)),
		    pol_outcome_name(&again[0], ob, sizeof(ob)),
		    pol_outcome_name(&again[1], oc, sizeof(oc)));
	return 1;
}

/* pol_inject - POLICY-INJ-*: payloads in one field, each against a control of its shape */
void pol_inject(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pol_inj_field *fld = d->arg;
	char bad[900] = "";
	char noanswer[300] = "";
	char hung[300] = "";
	char unranked[300] = "";	/* verdicts the oracle does not predict */
	size_t n = 0, i;
	int lowest = 3;		/* the lowest rank a control got: below 2, widening shows */
	const char *known = strcmp(fld->field, "sasl_username") == 0 ? x->o->user :
			    strcmp(fld->field, "sender") == 0 ? "sender" : "client";

	if (strcmp(fld->field, "sasl_username") == 0) {
		/* the reference: the known user, and an unknown one */
		struct pf_pol_req rk, ru;
		struct pres k, u;

		report_note(x->r, "-- reference: user %s (--user), then an unknown user", known);
		inj_context(x, &rk, fld->field, known);
		inj_context(x, &ru, fld->field, "no-such-user-zz");
		if (pcx_request(x, &rk, &k) == 0 && pcx_request(x, &ru, &u) == 0 && k.ok && u.ok &&
		    rank(&k.v) <= rank(&u.v))
			report_note(x->r, "the known user gets no more access than an unknown one "
				    "here: payloads that reach the known user's rights cannot be told "
				    "apart (give --user a user allowed from 127.0.0.1)");
	}
	for (i = 0; i < sizeof(inj_rows) / sizeof(inj_rows[0]) && !x->fatal && !x->life.gone; i++) {
		char cv[8192], pv[8192];
		struct pf_pol_req rc, rp;
		struct pres c, p;
		size_t cl;

		expand_row(cv, sizeof(cv) - 64, inj_rows[i].control, known);
		cl = strlen(cv);
		snprintf(cv + cl, sizeof(cv) - cl, "%s", fld->suffix);
		expand_row(pv, sizeof(pv) - 64, inj_rows[i].payload, known);
		cl = strlen(pv);
		snprintf(pv + cl, sizeof(pv) - cl, "%s", fld->suffix);
		(void)postfix_form(x, fld->field, cv, inj_rows[i].label);
		(void)postfix_form(x, fld->field, pv, inj_rows[i].label);
		if (!(x->cr->have & POLICY_NEED_8BIT) && has_8bit(pv)) {
			report_note(x->r, "-- %s: left out, 8-bit values go unanswered (POLICY-INPUT-001)",
				    inj_rows[i].label);
			continue;
		}
		report_note(x->r, "-- %s: control, then payload", inj_rows[i].label);
		inj_context(x, &rc, fld->field, cv);
		inj_context(x, &rp, fld->field, pv);
		if (pcx_request(x, &rc, &c) < 0 || pcx_request(x, &rp, &p) < 0)
			break;
		n++;
		if (c.ok && rank(&c.v) >= 0 && rank(&c.v) < lowest)
			lowest = rank(&c.v);
		if (!p.ok && p.end == PF_POL_END_TIMEOUT && strlen(hung) + 40 < sizeof(hung))
			snprintf(hung + strlen(hung), sizeof(hung) - strlen(hung), "%s%s",
				 hung[0] ? ", " : "", inj_rows[i].label);
		else if (!p.ok && strlen(noanswer) + 40 < sizeof(noanswer))
			snprintf(noanswer + strlen(noanswer), sizeof(noanswer) - strlen(noanswer),
				 "%s%s", noanswer[0] ? ", " : "", inj_rows[i].label);
		if (c.ok && p.ok && (rank(&c.v) < 0 || rank(&p.v) < 0) &&
		    strlen(unranked) + 40 < sizeof(unranked))
			snprintf(unranked + strlen(unranked), sizeof(unranked) - strlen(unranked),
				 "%s%s", unranked[0] ? ", " : "", inj_rows[i].label);
		if (c.ok && p.ok && rank(&c.v) >= 0 && rank(&p.v) > rank(&c.v) &&
		    !control_again(x, &rc, &c, &p))
			widened(bad, sizeof(bad), inj_rows[i].label, &c, &p);
	}
	/* a very long value, as Postfix has no bound */
	if (!x->fatal && !x->life.gone) {
		char *lv = xmalloc(4097);
		struct pf_pol_req rp;
		struct pres p;

		memset(lv, 'a', 4096);
		lv[4096] = '\0';
		report_note(x->r, "-- a 4096-byte value");
		inj_context(x, &rp, fld->field, lv);
		if (pcx_request(x, &rp, &p) == 0 && !p.ok && p.end == PF_POL_END_TIMEOUT)
			snprintf(hung + strlen(hung), sizeof(hung) - strlen(hung),
				 "%s4096-byte value", hung[0] ? ", " : "");
		else if (!p.ok)
			snprintf(noanswer + strlen(noanswer), sizeof(noanswer) - strlen(noanswer),
				 "%s4096-byte value", noanswer[0] ? ", " : "");
		free(lv);
	}
	if (x->fatal)
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (hung[0])
		check_end(x->cr, CHECK_FAIL, "no answer within the timeout for payloads in %s: "
			   "%s; Postfix waits 100 s per try and then applies its default action. "
			   "Answer or close at once on input you refuse", fld->field, hung);
	else if (bad[0])
		check_end(x->cr, CHECK_FAIL, "a payload in %s got more access than a plain value "
			   "of the same shape: %s. Compare values exactly, bind them as SQL "
			   "parameters, never split or unquote them", fld->field, bad);
	else if (unranked[0])
		check_end(x->cr, CHECK_UNEXERCISED, "the oracle does not predict Postfix's verdict "
			  "(an unmodelled restriction as action) for control or payload of: %s; "
			  "unpredicted is not a pass", unranked);
	else if (lowest >= 2)
		check_end(x->cr, CHECK_UNEXERCISED, "every control value %s, so no payload could "
			  "get more", lowest == 2 ? "was already permitted" : "went unanswered or "
			  "unranked");
	else {
		if (noanswer[0])
			report_note(x->r, "no answer (the service closed; Postfix applies its default "
				    "action, which denies) for: %s", noanswer);
		check_end(x->cr, CHECK_PASS, "%zu payload(s), none widened access", n);
	}
}
