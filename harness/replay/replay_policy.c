/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay_policy - the policy steps of the replay engine
 * SYNOPSIS
 *	#include "harness/replay/replay_int.h"
 *
 *	int rx_op_policy(struct rx *x, const struct top *op);
 *	int rx_op_expect_action(struct rx *x, const struct top *op);
 *	int rx_op_expect_smtp_policy(struct rx *x, const struct top *op);
 *	void rx_policy_free(struct rx *x);
 *	int rx_expect_reply(struct rx *x, const struct top *op,
 *	                    const char *reply);
 * DESCRIPTION
 *	Postfix's policy client (attr_clnt, replay.h): "policy" sends
 *	Postfix's request with the statement's overrides and reads the
 *	reply as attr_vscan_plain does; a failed try (the stream readable
 *	before the request, no connection, a write error, EOF, a timeout,
 *	a reply without action) closes, sleeps the retry delay and sends the
 *	same request again, up to the try limit, then applies the default
 *	action. "expect action" matches the last action. Each action (or
 *	default action) is judged as the configuration (o->policy_conf, or
 *	Postfix's defaults with the check the only restriction) makes smtpd
 *	answer the SMTP client (pf_pol_conf_smtp); "expect smtp" compares
 *	that reply, by code or pattern. A prediction the oracle cannot
 *	make fails "expect smtp" with the reason, never passes it.
 *	rx_policy_free() releases what the prediction kept.
 *	rx_expect_reply() is "expect smtp" over a predicted reply (auth
 *	and policy); replay_policy_settings() puts the settings used in
 *	the current check's log (replay.h).
 * DIAGNOSTICS
 *	Into the report, through rx_fail().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_policy_conf.h"
#include "harness/replay/replay_int.h"
#include "proto/policy.h"
#include "util/xmem.h"

/* --- policy ----------------------------------------------------------- */

/* what the SMTP prediction keeps between steps */
struct rx_pol {
	struct pf_pol_conf plain;	/* without o->policy_conf */
	struct pf_pol_req req;		/* the last request */
	struct xbuf *vals;		/* its override values (req points into them) */
	size_t nvals;
	struct pf_pol_ctx ctx;
	struct pf_pol_verdict v;
	struct pf_pol_smtp smtp;
	int have;			/* smtp holds the last prediction */
	int noted;			/* the settings are in the log */
};

/* pol - the prediction state, made on first use */
static struct rx_pol *pol(struct rx *x)
{
	if (x->pol == NULL) {
		x->pol = xcalloc(1, sizeof(*x->pol));
		pf_pol_conf_plain(&x->pol->plain, &x->o->version);
	}
	return x->pol;
}

/* conf - the configuration the oracle judges with */
static const struct pf_pol_conf *conf(struct rx *x)
{
	return x->o->policy_conf ? x->o->policy_conf : &pol(x)->plain;
}

/* free_vals - the override values of the last request */
static void free_vals(struct rx_pol *p)
{
	size_t k;

	for (k = 0; k < p->nvals; k++)
		xbuf_free(&p->vals[k]);
	free(p->vals);
	p->vals = NULL;
	p->nvals = 0;
}

void rx_policy_free(struct rx *x)
{
	if (x->pol != NULL)
		free_vals(x->pol);
	free(x->pol);
	x->pol = NULL;
}

/* predict - what smtpd answers the SMTP client for the last action */
static void predict(struct rx *x)
{
	struct rx_pol *p = pol(x);
	const struct pf_pol_conf *pc = conf(x);
	char shown[600];

	if (!p->noted) {
		replay_policy_settings(x->r, pc);
		p->noted = 1;
	}
	{
		const char *ps = pf_pol_req_get(&p->req, "protocol_state");
		enum pf_pol_state st;

		if (ps != NULL && pf_pol_state_parse(ps, &st) == 0)
			p->req.state = st;	/* "policy state=MAIL" */
	}
	pf_pol_conf_ctx(pc, &p->req, &p->ctx);
	if (x->action_default)
		pf_pol_eval_failure(&p->ctx, xbuf_cstr(&x->action), &p->v);
	else
		pf_pol_eval(&p->ctx, x->action.data ? x->action.data : "", x->action.len, &p->v);
	pf_pol_conf_smtp(pc, &p->ctx, &p->v, &p->smtp);
	p->have = 1;
	switch (p->smtp.what) {
	case PF_POL_SMTP_REPLY:
		report_note(x->r, "Postfix would answer the SMTP client (%s): %s%s%s",
			    pf_pol_state_name(p->ctx.state), rx_show(shown, sizeof(shown),
			    p->smtp.reply, strlen(p->smtp.reply)), p->smtp.notes[0] ? " - " : "",
			    p->smtp.notes);
		break;
	case PF_POL_SMTP_HANGUP:
		report_note(x->r, "Postfix would drop the SMTP connection without a reply (HANGUP)");
		break;
	case PF_POL_SMTP_UNMODELLED:
		report_note(x->r, "the SMTP reply is not predicted: %s", p->smtp.notes);
		break;
	}
}

/* pol_timeout - smtpd_policy_service_timeout (main.cf's or 100 s), scaled */
static int pol_timeout(struct rx *x)
{
	const struct pf_pol_conf *pc = x->o->policy_conf;

	return pc ? rx_scaled(x, pc->params.timeout_ms > INT_MAX ? INT_MAX :
			      (int)pc->params.timeout_ms) : rx_timeout(x);
}

/* retry_ms - smtpd_policy_service_retry_delay (main.cf's or 1 s) */
static int retry_ms(struct rx *x)
{
	const struct pf_pol_conf *pc = x->o->policy_conf;

	return pc ? (pc->params.retry_ms > INT_MAX ? INT_MAX : (int)pc->params.retry_ms) :
		REPLAY_POLICY_RETRY_MS;
}

/* rx_op_expect_smtp_policy - the SMTP reply for the last action, by code or pattern */
int rx_op_expect_smtp_policy(struct rx *x, const struct top *op)
{
	const struct rx_pol *p = x->pol;

	if (!x->have_action || p == NULL || !p->have)
		return rx_fail(x, "no policy reply to judge");
	if (p->smtp.what == PF_POL_SMTP_UNMODELLED)
		return rx_fail(x, "the SMTP reply is not predicted: %s", p->smtp.notes);
	if (p->smtp.what == PF_POL_SMTP_HANGUP)
		return rx_fail(x, "expected SMTP %s, Postfix would drop the connection (HANGUP)",
			       op->pat.src ? op->pat.src : "");
	return rx_expect_reply(x, op, p->smtp.reply);
}

/* rx_expect_reply - "expect smtp": the predicted reply by code or pattern */
int rx_expect_reply(struct rx *x, const struct top *op, const char *reply)
{
	const char *why;
	int rc;

	if (op->code) {
		if (strlen(reply) < 3 || (reply[0] - '0') * 100 + (reply[1] - '0') * 10 +
		    (reply[2] - '0') != op->code)
			return rx_fail(x, "expected SMTP %d, Postfix would answer: %s", op->code, reply);
		return 0;
	}
	rc = tpat_match(&op->pat, &x->v, reply, strlen(reply), &why);
	if (rc < 0)
		return rx_fail(x, "pattern %s: %s", op->pat.src, why);
	if (rc == 0)
		return rx_fail(x, "expected SMTP reply %s, Postfix would answer: %s", op->pat.src, reply);
	return 0;
}

void replay_policy_settings(struct report *r, const struct pf_pol_conf *pc)
{
	char line[1200];
	size_t i;

	for (i = 0; pf_pol_conf_line(pc, i, line, sizeof(line)); i++)
		report_note(r, "%s%s", i ? "  " : "Postfix settings used: ", line);
}

/* rx_op_expect_action - the last action (or the default one) matches */
int rx_op_expect_action(struct rx *x, const struct top *op)
{
	const char *why;
	int rc;

	if (!x->have_action)
		return rx_fail(x, "no policy reply yet");
	rc = tpat_match(&op->pat, &x->v, x->action.data ? x->action.data : "", x->action.len, &why);
	if (rc < 0)
		return rx_fail(x, "pattern %s: %s", op->pat.src, why);
	if (rc == 0) {
		char got[400];

		return rx_fail(x, "expected action %s, %s %s", op->pat.src,
			       x->action_default ? "Postfix applies the default action" : "got",
			       rx_show(got, sizeof(got), x->action.data ? x->action.data : "", x->action.len));
	}
	return 0;
}

/*
 * build_request - the request Postfix (o->version) sends at RCPT time, with
 * the statement's overrides. The attribute set, its order and the default
 * values are the oracle's (pf_pol_req_init, protocols.md B.2): one table for
 * replay, check --policy and bench --policy. An override replaces a present
 * attribute in place, puts back one this version does not send at its
 * Postfix position, or goes at the end (an unknown name); "-NAME" leaves one
 * out; the last statement argument for a name wins.
 */
static int build_request(struct rx *x, const struct top *op, struct xbuf *out)
{
	struct rx_pol *p = pol(x);
	struct pf_pol_req *req = &p->req;
	struct xbuf *vals;
	const char *why;
	size_t k;
	int rc = 0;

	free_vals(p);
	p->have = 0;
	vals = p->vals = xcalloc(op->npol ? op->npol : 1, sizeof(*vals));
	p->nvals = op->npol;
	pf_pol_req_init(req, &x->o->version, PF_POL_RCPT);
	if (x->o->policy_conf != NULL && pf_pol_req_get(req, "policy_context") != NULL &&
	    pf_pol_req_set(req, "policy_context", x->o->policy_conf->policy_context) < 0)
		rc = rx_fail(x, "policy_context: too many attributes");
	for (k = 0; k < op->npol && rc == 0; k++) {
		const struct tpolicy_arg *pa = &op->pol[k];

		xbuf_init(&vals[k], TVARS_MAX_VALUE);
		if (pa->remove) {
			(void)!pf_pol_req_delete(req, pa->name);	/* absent: nothing to leave out */
			continue;
		}
		if (tpat_expand(&pa->value, &x->v, &vals[k], &why) < 0)
			rc = rx_fail(x, "%s: %s", pa->name, why);
		else if (memchr(vals[k].data ? vals[k].data : "", '\0', vals[k].len) != NULL)
			rc = rx_fail(x, "%s: a value with NUL cannot be sent", pa->name);
		else if (pf_pol_req_set(req, pa->name, xbuf_cstr(&vals[k])) < 0)
			rc = rx_fail(x, "%s: too many attributes", pa->name);
	}
	if (rc == 0 && pf_pol_req_format(req, out, &why) < 0)
		rc = rx_fail(x, "request: %s", why);
	return rc;		/* the values live until the next request */
}

/* policy_try - one attempt: 1 an action arrived, 0 a failed try (why set), -1 error */
static int policy_try(struct rx *x, const struct xbuf *req, char *why, size_t wlen)
{
	struct xbuf reply;
	char tb[32];
	int rc = 0;

	if (x->open && tconn_readable(&x->c)) {
		snprintf(why, wlen, "the connection was readable before the request (unsolicited "
			 "bytes or EOF): Postfix counts the try as failed");
		return 0;
	}
	if (!x->open) {
		struct tconn_options to;
		char err[512];

		memset(&to, 0, sizeof(to));
		to.stderr_apart = x->o->stderr_apart;
		to.connect_timeout_ms = pol_timeout(x);
		if (tconn_open(x->o->target, &to, &x->c, err, sizeof(err)) < 0) {
			xbuf_free(&x->c.err);
			snprintf(why, wlen, "cannot connect: %.400s", err);
			return 0;
		}
		x->open = 1;
	}
	if (rx_send(x, req->data, req->len) < 0) {
		x->res = CHECK_PASS;	/* a write error is a failed try here */
		snprintf(why, wlen, "write failed");
		return 0;
	}
	xbuf_init(&reply, RX_MAX_REPLY);
	for (;;) {
		struct policy_reply rep;
		const char *line, *e;
		size_t len, used;
		int rr = rx_read(x, pol_timeout(x), &line, &len);

		if (rr == 0) {
			char full[32];

			snprintf(why, wlen, "no complete reply within %s%s%s%s", rx_secs(pol_timeout(x), tb,
				 sizeof(tb)), x->o->time_scale != 1.0 ? " (scaled: Postfix would have "
				 "waited " : "", x->o->time_scale != 1.0 ? rx_secs(x->o->policy_conf ?
				 (int)x->o->policy_conf->params.timeout_ms : REPLAY_POLICY_TIMEOUT_MS, full,
				 sizeof(full)) : "", x->o->time_scale != 1.0 ? ")" : "");
			break;
		}
		if (rr == -1) {
			snprintf(why, wlen, reply.len ? "premature end of input" :
				 "the helper closed without answering");
			break;
		}
		if (rr < 0) {
			snprintf(why, wlen, "a reply line longer than %d bytes (Postfix has no bound and "
				 "would keep reading)", TCONN_MAX_LINE);
			break;
		}
		if (xbuf_append(&reply, line, len) < 0 || xbuf_append_char(&reply, '\n') < 0) {
			snprintf(why, wlen, "reply longer than %d bytes", RX_MAX_REPLY);
			break;
		}
		if (policy_parse_reply(reply.data, reply.len, &rep, &used, &e) != 1)
			continue;
		if (rep.status == POLICY_REPLY_OK) {
			size_t alen = rep.action.len;

			if (rep.action_nul) {
				const char *nul = memchr(rep.action.p, '\0', alen);

				alen = (size_t)(nul - rep.action.p);
				report_note(x->r, "the action holds a NUL byte: Postfix cuts it there");
			}
			xbuf_reset(&x->action);
			(void)!xbuf_append(&x->action, rep.action.p, alen);
			if (rep.nactions > 1)
				report_note(x->r, "%zu action lines: Postfix uses the first", rep.nactions);
			if (rep.ncase)
				report_note(x->r, "a name like \"Action\": Postfix compares names "
					    "case-sensitively and skips it");
			if (used < reply.len)
				report_note(x->r, "bytes after the reply's empty line: Postfix finds the "
					    "stream readable before the next request and reconnects");
			rc = 1;
			break;
		}
		snprintf(why, wlen, rep.status == POLICY_REPLY_MISSING_ACTION ?
			 "the reply ended without an action (Postfix: missing attribute action)" :
			 "an \"action\" line without \"=\" (Postfix: missing value for string attribute)");
		break;
	}
	xbuf_free(&reply);
	return rc;
}

/* rx_op_policy - one request, tried as attr_clnt tries it */
int rx_op_policy(struct rx *x, const struct top *op)
{
	struct xbuf req;
	unsigned tries = 0, limit = x->o->policy_try_limit ? x->o->policy_try_limit : 1;
	char why[1024], tb[32];
	int rc;

	x->have_action = 0;
	x->action_default = 0;
	xbuf_init(&req, TRANSCRIPT_MAX_FILE);
	if (build_request(x, op, &req) < 0) {
		xbuf_free(&req);
		return -1;
	}
	for (;;) {
		why[0] = '\0';
		rc = policy_try(x, &req, why, sizeof(why));
		if (rc < 0 || x->res != CHECK_PASS)
			break;
		if (rc == 1) {
			char a[400];
			const char *ap = x->action.data ? x->action.data : "";

			x->have_action = 1;
			x->pol_requests++;
			rx_show(a, sizeof(a), ap, x->action.len);
			if (conf(x)->smtputf8 && !pf_pol_valid_utf8(ap, x->action.len)) {
				/* smtpd_check.c check_policy_service: valid_utf8_action() */
				report_note(x->r, "action %s is malformed UTF-8 (smtputf8_enable=yes): "
					    "Postfix applies smtpd_policy_service_default_action without "
					    "retrying: %s", a, x->o->policy_default_action);
				xbuf_reset(&x->action);
				(void)!xbuf_append_str(&x->action, x->o->policy_default_action);
				x->action_default = 1;
			} else {
				report_note(x->r, "action: %s", a);
			}
			if (x->o->policy_request_limit && x->pol_requests >= x->o->policy_request_limit) {
				report_note(x->r, "request limit %u reached: Postfix closes the connection",
					    x->o->policy_request_limit);
				rx_close(x);
			}
			predict(x);
			rc = 0;
			break;
		}
		tries++;
		report_note(x->r, "try %u of %u failed: %s", tries, limit, why);
		rx_close(x);
		if (tries >= limit) {
			xbuf_reset(&x->action);
			(void)!xbuf_append_str(&x->action, x->o->policy_default_action);
			x->have_action = 1;
			x->action_default = 1;
			report_note(x->r, "Postfix logs \"problem talking to server\" and applies "
				    "smtpd_policy_service_default_action: %s", x->o->policy_default_action);
			predict(x);
			rc = 0;
			break;
		}
		report_note(x->r, "Postfix sleeps %s (smtpd_policy_service_retry_delay %lu ms), "
			    "reconnects and sends the same request again",
			    rx_secs(rx_scaled(x, retry_ms(x)), tb, sizeof(tb)), (unsigned long)retry_ms(x));
		{
			int ms = rx_scaled(x, retry_ms(x));
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	xbuf_free(&req);
	return x->res == CHECK_PASS ? rc : -1;
}
