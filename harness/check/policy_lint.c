/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_lint - POLICY-LINT-*: actions that Postfix reads differently from how they look
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 *
 *	int pol_lint_kind(const char *action, size_t len,
 *	                  const struct pf_pol_verdict *v);
 *	void pol_lint_observe(struct pcx *x, const struct pf_pol_req *req,
 *	                      const struct pres *res);
 *	void pol_lint(struct check_run *cr, const struct check_def *d);
 * DESCRIPTION
 *	Every action the run receives (pcx_request() hands each to
 *	pol_lint_observe()) is put in the first of these kinds it shows
 *	(protocols.md B.5; smtpd_check.c check_table_result):
 *
 *	  LINT_DIGITS    all digits ("550"): Postfix reads OK, the client is
 *	                 permitted
 *	  LINT_EMPTY     empty or blank: an empty restriction list, OK
 *	  LINT_BARE      a code and blanks, no text ("550 "): "unknown smtpd
 *	                 restriction", 451 4.3.5
 *	  LINT_CODE      a word of digits (and dots) that is no 4xx/5xx code
 *	                 ("250 ok", "5.7.1 no", "5500 x"): the same 451
 *	  LINT_TABLE     a ':' where Postfix takes a lookup table: 451
 *	  LINT_WORD      any other word Postfix does not know, a blank
 *	                 before a keyword (" DUNNO") too: 451
 *	  LINT_DSN       a 4xx code with a 5.x.x DSN or the other way round:
 *	                 Postfix sends the code's class ("450 5.7.1" is
 *	                 450 4.7.1)
 *	  LINT_NOOP      PREPEND without "header: text", FILTER without
 *	                 transport:destination, REDIRECT or BCC without
 *	                 user@domain: a warning, and treated as DUNNO
 *	  LINT_HANGUP    a 421 or 521 reply: smtpd hangs up the whole
 *	                 session after it
 *
 *	pol_lint_kind() is that classification, pure; -1 for an action that
 *	looks like what it does. pol_lint_say() is what Postfix does with an
 *	action of a kind, and the fix. pol_lint() is the run function of the
 *	POLICY-LINT-* rows (d->arg points at the kind): it fails with the
 *	first action of its kind, the request's protocol_state and what
 *	Postfix answers; it passes when actions were judged and none was of
 *	its kind, and is not exercised without any. The first reply's empty,
 *	unknown (a bare or odd code too), table and all-digit actions are
 *	POLICY-REPLY-005 ... 008's: when one of them failed, the LINT rows
 *	of those kinds are blocked by it.
 * DIAGNOSTICS
 *	Into the report.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness/check/policy_int.h"

/* the POLICY-REPLY check that judges the first reply's action of a kind, or NULL */
static const char *const first_reply_check[LINT_KINDS] = {
	[LINT_DIGITS] = "POLICY-REPLY-008", [LINT_EMPTY] = "POLICY-REPLY-005",
	[LINT_TABLE] = "POLICY-REPLY-007", [LINT_WORD] = "POLICY-REPLY-006",
	[LINT_BARE] = "POLICY-REPLY-006", [LINT_CODE] = "POLICY-REPLY-006",
};

/* what each kind makes Postfix do, and the fix */
static const char *const lint_say[LINT_KINDS] = {
	[LINT_DIGITS] = "an all-digit action is OK to Postfix: the client is permitted. A reject "
		"needs text: \"550 5.7.1 text\"",
	[LINT_EMPTY] = "an empty action is an empty restriction list, OK to Postfix: permitted. "
		"Answer DUNNO to pass on",
	[LINT_BARE] = "a reply code with no text is read as a restriction name: Postfix logs "
		"\"unknown smtpd restriction\" and answers 451 4.3.5 Server configuration error. "
		"Write the text: \"550 5.7.1 text\"",
	[LINT_CODE] = "a word of digits that is no 4xx or 5xx code is read as a restriction name: "
		"451 4.3.5 Server configuration error. Use 4NN or 5NN, then text",
	[LINT_TABLE] = "a ':' makes Postfix refuse a lookup table inside an access map: 451 4.3.5 "
		"Server configuration error",
	[LINT_WORD] = "a word Postfix does not know (a blank before a keyword too) is read as a "
		"restriction name: 451 4.3.5 Server configuration error. Use OK, DUNNO, REJECT "
		"text, DEFER text, 4NN/5NN text, ...",
	[LINT_DSN] = "the DSN's class differs from the code's: Postfix sends the code's class "
		"(450 5.7.1 goes out as 450 4.7.1). Make them agree",
	[LINT_NOOP] = "Postfix ignores this action with a warning and treats it as DUNNO: the "
		"header, filter or redirection never happens. PREPEND needs \"Header: text\" "
		"and comes too late at END-OF-MESSAGE, FILTER needs transport:destination, "
		"REDIRECT and BCC user@domain",
	[LINT_HANGUP] = "421 and 521 make smtpd hang up the whole SMTP session after the reply, "
		"not just refuse this request. Use 450/550 unless the session must end",
};

/* pol_lint_say - what Postfix does with an action of a kind, and the fix */
const char *pol_lint_say(int kind)
{
	return kind >= 0 && kind < LINT_KINDS ? lint_say[kind] : "";
}

/* word_end - the length of the first word of the action */
static size_t word_len(const char *a, size_t len)
{
	size_t n = 0;

	while (n < len && a[n] != ' ' && a[n] != '\t')
		n++;
	return n;
}

/* pol_lint_kind - the kind of an action that Postfix reads differently, or -1 */
int pol_lint_kind(const char *a, size_t len, const struct pf_pol_verdict *v)
{
	size_t w = word_len(a, len), i, rest;
	int digits = w > 0, codey = w > 0;

	for (i = 0; i < w; i++) {
		digits &= isdigit((unsigned char)a[i]) != 0;
		codey &= isdigit((unsigned char)a[i]) || a[i] == '.';
	}
	for (rest = w; rest < len && (a[rest] == ' ' || a[rest] == '\t'); rest++)
		;
	if (digits && w == len)
		return LINT_DIGITS;
	if (rest == len && w == 0)
		return LINT_EMPTY;
	if (v->kind == PF_POL_CONFIG_ERROR) {
		if (digits && w == 3 && rest == len)
			return LINT_BARE;
		if (codey)
			return LINT_CODE;
		return memchr(a, ':', len) != NULL ? LINT_TABLE : LINT_WORD;
	}
	if (v->kind == PF_POL_REJECT && digits && w == 3 && rest + 1 < len &&
	    isdigit((unsigned char)a[rest]) && a[rest + 1] == '.' && a[rest] != a[0])
		return LINT_DSN;
	if (v->notes[0] != '\0' && strstr(v->notes, "(treated as DUNNO)") != NULL)
		return LINT_NOOP;
	if (v->kind == PF_POL_REJECT && v->disconnect)
		return LINT_HANGUP;
	return -1;
}

/* pol_lint_observe - one action of the run */
void pol_lint_observe(struct pcx *x, const struct pf_pol_req *req, const struct pres *res)
{
	int k;
	struct pol_lint_seen *s;
	const char *smtp;
	size_t n;

	if (!res->ok)
		return;
	x->lint_n++;
	if ((k = pol_lint_kind(res->action, res->alen, &res->v)) < 0)
		return;
	s = &x->lint[k];
	if (s->count++ > 0)
		return;
	snprintf(s->check, sizeof(s->check), "%s", x->r->cur ? x->r->cur->id : "the first reply");
	s->state = req->state;
	s->alen = res->alen;
	memcpy(s->action, res->action, res->alen);
	/* what Postfix answers, cut to what the note shows (a reject text may be 16 KB) */
	smtp = res->v.kind == PF_POL_REJECT || res->v.kind == PF_POL_CONFIG_ERROR ? res->v.smtp :
	       pf_pol_kind_name(res->v.kind);
	n = strnlen(smtp, sizeof(s->smtp) - 1);
	memcpy(s->smtp, smtp, n);
	s->smtp[n] = '\0';
}

/* pol_lint - POLICY-LINT-*: d->arg is the kind */
void pol_lint(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	int k = *(const int *)d->arg;
	const struct pol_lint_seen *s = &x->lint[k];
	char shown[400], line[PF_POL_ACTION_MAX + 8];

	if (first_reply_check[k] != NULL && check_result_of(cr, first_reply_check[k]) == CHECK_FAIL) {
		check_block(cr, first_reply_check[k], "the first reply showed it already");
		return;
	}
	if (x->lint_n == 0) {
		check_end(cr, CHECK_UNEXERCISED, "no action came in this run");
		return;
	}
	if (s->count == 0) {
		check_end(cr, CHECK_PASS, "%u action(s) judged", x->lint_n);
		return;
	}
	report_note(x->r, "seen %u time(s) in this run, first during %s, at protocol_state %s:",
		    s->count, s->check, pf_pol_state_name(s->state));
	memcpy(line, "action=", 7);
	memcpy(line + 7, s->action, s->alen);
	report_io(x->r, 'S', line, 7 + s->alen);
	report_note(x->r, "Postfix: %s", s->smtp);
	(void)report_shown(shown, sizeof(shown), s->action, s->alen);
	check_end(cr, CHECK_FAIL, "action=%s: %s", shown, lint_say[k]);
}
