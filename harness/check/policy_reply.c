/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_reply - the POLICY-REPLY-* checks and POLICY-CONN-001
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 * DESCRIPTION
 *	pol_first_reply() sends the run's first request, Postfix's RCPT
 *	request, on the persistent connection, and looks for bytes after
 *	the reply and for a close. The checks of stage CHECK_STAGE_FIRST
 *	judge that one reply (its shape, its action, the connection after
 *	it), each showing its wire log; those that judge the action need
 *	one (POLICY_NEED_ACTION, the first reply carried an action).
 *	POLICY-REPLY-010 sends a request without its empty line on a
 *	connection of its own: nothing may come back before it.
 * DIAGNOSTICS
 *	pol_first_reply: 0, or -1 when the target cannot be used
 *	(x->fatal).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness/check/policy_int.h"

/* pol_first_reply - the run's first request and what follows its reply */
int pol_first_reply(struct pcx *x)
{
	struct pf_pol_req req;
	struct pres res;

	pcx_base_req(x, &req, PF_POL_RCPT);
	if (pcx_request(x, &req, &res) < 0)
		return -1;
	x->base = res;
	if (res.ok && x->open) {
		char chunk[4096];
		int n = tconn_read_some(&x->c, POLICY_SETTLE_MS, chunk, sizeof(chunk));

		if (n > 0) {
			x->base_extra = 1;
			pcx_log_bytes(x, 'S', chunk, (size_t)n);
			report_note(x->r, "bytes after the reply's empty line");
			n = tconn_read_some(&x->c, POLICY_SETTLE_MS, chunk, sizeof(chunk));
		}
		if (n < 0) {
			x->base_closed = 1;
			report_note(x->r, "the service closed the connection after its reply");
		}
		if (x->base_extra || x->base_closed)
			pcx_disconnect(x);
	}
	x->base_cr = x->rbuf.len > 0 && memchr(x->rbuf.data, '\r', x->rbuf.len) != NULL;
	x->base_bytes = x->rbuf.len;
	return 0;
}

/* has_colon - the first reply's action names a table */
static int has_colon(const struct pres *res)
{
	return res->ok && memchr(res->action, ':', res->alen) != NULL;
}

/* pol_reply_action - POLICY-REPLY-001 */
void pol_reply_action(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;
	char sa[400];

	(void)d;
	if (res->ok)
		check_end(x->cr, CHECK_PASS, "action=%s", pcx_shown_action(res, sa, sizeof(sa)));
	else
		check_end(x->cr, CHECK_FAIL, "%s; Postfix answers %s. Reply "
			   "\"action=<ACTION>\" LF and an empty line LF", res->rd.why, res->v.smtp);
}

/* pol_reply_case - POLICY-REPLY-002 */
void pol_reply_case(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;

	(void)d;
	if (x->base.rd.ncase)
		check_end(x->cr, CHECK_FAIL, "the reply names the attribute in another "
			   "case (e.g. Action=); Postfix skips it as unknown. Write "
			   "\"action=\" in lower case");
	else if (x->base_bytes == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no reply came to look at (POLICY-REPLY-001)");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_crlf - POLICY-REPLY-003 */
void pol_reply_crlf(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;

	(void)d;
	if (res->rd.crlf || x->base_cr)
		check_end(x->cr, CHECK_FAIL, "the reply holds CR%s; Postfix keeps CR as "
			   "data and never sees \\r\\n as the empty line (%s). End lines "
			   "with LF only", res->rd.crlf ? " LF line ends" : "",
			   res->ok ? "the action keeps its CR" :
			   "it waits 100 s per try, then answers the default action");
	else if (x->base_bytes == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no reply came to look at (POLICY-REPLY-001)");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_end - POLICY-REPLY-004 */
void pol_reply_end(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;

	(void)d;
	if (!res->ok && res->action_line && res->end == PF_POL_END_TIMEOUT)
		check_end(x->cr, CHECK_FAIL, "an action line arrived but no empty line "
			   "within %d ms; Postfix waits %s, then retries and answers %s. "
			   "End the reply with an empty line", x->timeout_ms,
			   x->o->time_scale != 1.0 ? "100 s (scaled here)" : "100 s", res->v.smtp);
	else if (!res->ok && res->action_line)
		check_end(x->cr, CHECK_FAIL, "the reply was cut before its empty line (%s)",
			   res->rd.why);
	else if (!res->ok)
		check_end(x->cr, CHECK_UNEXERCISED, "no action line arrived (POLICY-REPLY-001)");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_empty - POLICY-REPLY-005 */
void pol_reply_empty(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;
	size_t k;
	int blank = 1;

	(void)d;
	for (k = 0; k < res->alen; k++)
		if (res->action[k] != ' ' && res->action[k] != '\t')
			blank = 0;
	if (blank)
		check_end(x->cr, CHECK_FAIL, "the action is empty: Postfix treats an empty "
			   "restriction list as OK and permits. Answer DUNNO to pass on");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_word - POLICY-REPLY-006 */
void pol_reply_word(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;
	char sa[400];

	(void)d;
	if (res->v.kind == PF_POL_CONFIG_ERROR && !has_colon(res))
		check_end(x->cr, CHECK_FAIL, "action=%s is no access(5) keyword and no "
			   "restriction Postfix knows; Postfix answers %s. %s",
			   pcx_shown_action(res, sa, sizeof(sa)), res->v.smtp,
			   pol_lint_say(pol_lint_kind(res->action, res->alen, &res->v)));
	else
		check_end(x->cr, CHECK_PASS, "%s", pf_pol_kind_name(res->v.kind));
}

/* pol_reply_table - POLICY-REPLY-007 */
void pol_reply_table(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;
	char sa[400];

	(void)d;
	if (res->v.kind == PF_POL_CONFIG_ERROR && has_colon(res))
		check_end(x->cr, CHECK_FAIL, "action=%s names a lookup table; Postfix "
			   "logs \"do not specify lookup tables inside SMTPD access maps\" "
			   "and answers %s. Decide in the service and answer the result",
			   pcx_shown_action(res, sa, sizeof(sa)), res->v.smtp);
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_digits - POLICY-REPLY-008 */
void pol_reply_digits(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;
	size_t k;
	int digits = res->alen > 0;

	(void)d;
	for (k = 0; k < res->alen; k++)
		if (!isdigit((unsigned char)res->action[k]))
			digits = 0;
	if (digits)
		check_end(x->cr, CHECK_FAIL, "action=%s is all digits: Postfix reads it "
			   "as OK and permits. A reject needs text: \"%.3s 5.7.1 text\"",
			   res->action, res->action);
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_trailing - POLICY-REPLY-009 */
void pol_reply_trailing(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;

	(void)d;
	if (x->base.rd.trailing || x->base_extra)
		check_end(x->cr, CHECK_FAIL, "bytes followed the reply's empty line; "
			   "before the next request Postfix finds the stream readable, "
			   "counts a failed try and reconnects (1 s). Send exactly "
			   "\"action=...\\n\\n\"");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_reply_one - POLICY-REPLY-011 */
void pol_reply_one(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	const struct pres *res = &x->base;

	(void)d;
	if (res->rd.nactions > 1)
		check_end(x->cr, CHECK_FAIL, "%zu action lines in one reply; Postfix "
			   "uses the first", res->rd.nactions);
	else if (!res->ok)
		check_end(x->cr, CHECK_UNEXERCISED, "no action (POLICY-REPLY-001)");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* pol_conn_kept - POLICY-CONN-001 */
void pol_conn_kept(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;

	(void)d;
	if (x->base_closed)
		check_end(x->cr, CHECK_FAIL, "the service closed the connection after "
			   "its reply; Postfix finds EOF before the next request, counts a "
			   "failed try and reconnects after 1 s. Keep the connection open "
			   "(or set smtpd_policy_service_request_limit = 1 in main.cf)");
	else
		check_end(x->cr, CHECK_PASS, "still open %d ms after the reply", POLICY_SETTLE_MS);
}

/* pol_reply_early - POLICY-REPLY-010: the request without its empty line, and nothing back */
void pol_reply_early(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	struct pf_pol_req req;
	struct tconn c;
	struct xbuf out;
	const char *err;
	char chunk[4096];
	int n;

	(void)d;
	pcx_base_req(x, &req, PF_POL_RCPT);
	if (pcx_open(x, &c) < 0) {
		check_end(x->cr, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	xbuf_init(&out, 1 << 20);
	if (pf_pol_req_format(&req, &out, &err) < 0 || out.len < 2) {
		check_end(x->cr, CHECK_ERROR, "cannot format the request");
		goto out;
	}
	if (pcx_send(x, &c, out.data, out.len - 1) < 0) {
		check_end(x->cr, CHECK_FAIL, "the service closed before the request was complete");
		goto out;
	}
	n = tconn_read_some(&c, POLICY_EARLY_MS, chunk, sizeof(chunk));
	if (n > 0) {
		pcx_log_bytes(x, 'S', chunk, (size_t)n);
		check_end(x->cr, CHECK_FAIL, "%d byte(s) arrived before the request's empty line; "
			   "Postfix takes them as the reply to this request and finds the real reply "
			   "before the next one (a failed try, reconnect). Read up to the empty line "
			   "before answering", n);
		goto out;
	}
	if (n < 0) {
		death_dropped(&x->life, &c, 0);
		check_end(x->cr, CHECK_FAIL, "the service closed the connection before the request's "
			   "empty line");
		goto out;
	}
	report_note(x->r, "nothing within %d ms before the empty line", POLICY_EARLY_MS);
	if (pcx_send(x, &c, "\n", 1) == 0) {
		struct pres res;

		memset(&res, 0, sizeof(res));
		pcx_read_reply(x, &c, &res, pf_version_at_least(&x->o->version, 3, 0, 0));
	}
	check_end(x->cr, CHECK_PASS, "%s", "");
out:
	xbuf_free(&out);
	pcx_close(x, &c);
}
