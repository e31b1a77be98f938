/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay_policy - the policy steps of the replay engine
 * SYNOPSIS
 *	#include "harness/replay/replay_int.h"
 *
 *	int rx_op_policy(struct rx *x, const struct top *op);
 *	int rx_op_expect_action(struct rx *x, const struct top *op);
 * DESCRIPTION
 *	Postfix's policy client (attr_clnt, replay.h): "policy" sends
 *	Postfix's request with the statement's overrides and reads the
 *	reply as attr_vscan_plain does; a failed try (the stream readable
 *	before the request, no connection, a write error, EOF, a timeout,
 *	a reply without action) closes, sleeps the retry delay and sends the
 *	same request again, up to the try limit, then applies the default
 *	action. "expect action" matches the last action.
 * DIAGNOSTICS
 *	Into the report, through rx_fail().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/postfix/pf_policy.h"
#include "harness/replay/replay_int.h"
#include "proto/policy.h"
#include "util/xmem.h"

/* --- policy ----------------------------------------------------------- */

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
	struct pf_pol_req *req = xmalloc(sizeof(*req));
	struct xbuf *vals = xcalloc(op->npol ? op->npol : 1, sizeof(*vals));
	const char *why;
	size_t k;
	int rc = 0;

	pf_pol_req_init(req, &x->o->version, PF_POL_RCPT);
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
	for (k = 0; k < op->npol; k++)
		xbuf_free(&vals[k]);
	free(vals);
	free(req);
	return rc;
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
		to.connect_timeout_ms = rx_timeout(x);
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
		int rr = rx_read(x, rx_timeout(x), &line, &len);

		if (rr == 0) {
			snprintf(why, wlen, "no complete reply within %s%s", rx_secs(rx_timeout(x), tb, sizeof(tb)),
				 x->o->time_scale != 1.0 ? " (scaled: Postfix would have waited 100 s)" : "");
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

			x->have_action = 1;
			x->pol_requests++;
			report_note(x->r, "action: %s", rx_show(a, sizeof(a), x->action.data ? x->action.data : "",
							 x->action.len));
			if (x->o->policy_request_limit && x->pol_requests >= x->o->policy_request_limit) {
				report_note(x->r, "request limit %u reached: Postfix closes the connection",
					    x->o->policy_request_limit);
				rx_close(x);
			}
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
			rc = 0;
			break;
		}
		report_note(x->r, "Postfix sleeps %s (smtpd_policy_service_retry_delay 1 s), reconnects "
			    "and sends the same request again", rx_secs(rx_scaled(x, REPLAY_POLICY_RETRY_MS), tb,
									sizeof(tb)));
		{
			int ms = rx_scaled(x, REPLAY_POLICY_RETRY_MS);
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	xbuf_free(&req);
	return x->res == CHECK_PASS ? rc : -1;
}
