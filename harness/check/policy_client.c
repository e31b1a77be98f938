/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_client - Postfix's policy client, for the policy checks
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
#include "harness/replay/replay.h"
 * DESCRIPTION
 *	Talks to a policy service the way Postfix's smtpd does (attr_clnt):
 *	one persistent connection, one request in flight, the stream must
 *	not be readable before a request, 100 s per read (times
 *	--time-scale). Replies are read as raw bytes and handed whole to
 *	pf_pol_read_reply(), so CR, NUL, trailing bytes and a missing
 *	terminator are seen exactly as Postfix sees them; every answer (or
 *	its absence) is judged by the Postfix oracle (pf_policy.h) and the
 *	report says what Postfix would answer the SMTP client. See
 *	policy_int.h for the functions.
 * DIAGNOSTICS
 *	Into the report; a target that cannot be used at all sets x->fatal
 *	and stops the run (x->cr->stop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/check/policy_int.h"
#include "harness/replay/replay.h"
#include "util/msg.h"
#include "util/xmem.h"

/* pcx_now - a monotonic clock in ms */
long long pcx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pcx_close - close; a crash of a spawned service is a death of this check */
void pcx_close(struct pcx *x, struct tconn *c)
{
	tconn_close(c);
	death_closed(&x->life, x->r, c);
	if (c->err.len > 0) {
		report_note(x->r, "the service wrote to stderr (kept apart):");
		report_io(x->r, 'E', c->err.data, c->err.len > 2000 ? 2000 : c->err.len);
	}
	xbuf_free(&c->err);
}

/* pcx_open - a connection of the check's own; a failure after one worked marks the service gone */
int pcx_open(struct pcx *x, struct tconn *c)
{
	struct tconn_options to;
	char err[600];

	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->o->stderr_apart;
	to.connect_timeout_ms = x->timeout_ms;
	if (tconn_open(x->o->target, &to, c, err, sizeof(err)) < 0) {
		report_note(x->r, "cannot connect: %s", err);
		if (x->connected) {
			/* it worked before: the service died or stopped listening */
			death_gone(&x->life, x->r->cur ? x->r->cur->id : "?");
			snprintf(x->fatal_why, sizeof(x->fatal_why), "the service no longer accepts "
				 "connections (%.500s); Postfix answers 451 4.3.5 Server configuration "
				 "problem to every request", err);
			return -1;
		}
		x->fatal = 1;
		x->cr->stop = 1;
		snprintf(x->fatal_why, sizeof(x->fatal_why), "%s", err);
		return -1;
	}
	x->connected = 1;
	death_opened(&x->life);
	return 0;
}

/* pcx_disconnect - close the persistent connection */
void pcx_disconnect(struct pcx *x)
{
	if (x->open)
		pcx_close(x, &x->c);
	x->open = 0;
}

/* pcx_connect - open the persistent connection unless it is open */
int pcx_connect(struct pcx *x)
{
	if (x->open)
		return 0;
	if (pcx_open(x, &x->c) < 0)
		return -1;
	x->open = 1;
	return 0;
}

/* pcx_log_bytes - the bytes as lines, a last unfinished line marked */
void pcx_log_bytes(struct pcx *x, char dir, const char *p, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			report_io(x->r, dir, p + start, i - start);
			start = i + 1;
		}
	if (start < len) {
		report_io(x->r, dir, p + start, len - start);
		report_note(x->r, "(the line above has no LF)");
	}
}

/* pcx_send - log and write */
int pcx_send(struct pcx *x, struct tconn *c, const char *p, size_t len)
{
	pcx_log_bytes(x, 'C', p, len);
	if (tconn_write(c, p, len, x->timeout_ms) < 0) {
		report_note(x->r, "write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* pcx_read_reply - read as attr_vscan_plain does until Postfix would decide */
void pcx_read_reply(struct pcx *x, struct tconn *c, struct pres *res, int smtputf8)
{
	char chunk[8192];
	long long t0 = pcx_now();
	int rc;

	xbuf_reset(&x->rbuf);
	for (;;) {
		int n = tconn_read_some(c, x->timeout_ms, chunk, sizeof(chunk));
		int end = n > 0 ? PF_POL_END_NONE : n == 0 ? PF_POL_END_TIMEOUT : PF_POL_END_EOF;

		if (n > 0 && xbuf_append(&x->rbuf, chunk, (size_t)n) < 0) {
			report_note(x->r, "more than %d bytes without a terminator: reading stops here",
				    POLICY_MAX_REPLY);
			end = PF_POL_END_ERROR;
		}
		rc = pf_pol_read_reply(x->rbuf.data ? x->rbuf.data : "", x->rbuf.len, end, smtputf8,
				       &res->rd);
		if (rc == 1 || end != PF_POL_END_NONE) {
			res->end = end;
			if (end == PF_POL_END_TIMEOUT && x->stalls++ == 0)
				snprintf(x->stall_id, sizeof(x->stall_id), "%s",
					 x->r->cur ? x->r->cur->id : "?");
			break;
		}
	}
	res->ms = pcx_now() - t0;
	if (!res->rd.ok && res->end == PF_POL_END_TIMEOUT)
		x->ntimeouts++;
	else if (res->rd.ok && res->ms > x->max_ms) {
		x->max_ms = res->ms;
		snprintf(x->slow_id, sizeof(x->slow_id), "%s", x->r->cur ? x->r->cur->id : "?");
	}
	pcx_log_bytes(x, 'S', x->rbuf.data ? x->rbuf.data : "", x->rbuf.len);
	{
		/* a complete action line, whatever followed */
		const char *p = x->rbuf.data ? x->rbuf.data : "";
		size_t len = x->rbuf.len, i, start = 0;

		for (i = 0; i < len; i++)
			if (p[i] == '\n') {
				if (i - start >= 7 && memcmp(p + start, "action=", 7) == 0)
					res->action_line = 1;
				start = i + 1;
			}
	}
	res->ok = res->rd.ok;
	if (res->ok) {
		res->alen = res->rd.action.len < PF_POL_ACTION_MAX ? res->rd.action.len :
			    PF_POL_ACTION_MAX;
		memcpy(res->action, res->rd.action.p, res->alen);
	}
	res->action[res->alen] = '\0';
	if (res->rd.notes[0])
		report_note(x->r, "%s", res->rd.notes);
	if (!res->ok) {
		char tb[40];

		if (res->end == PF_POL_END_TIMEOUT)
			snprintf(tb, sizeof(tb), " after %d ms", x->timeout_ms);
		else
			tb[0] = '\0';
		report_note(x->r, "Postfix: %s%s - a failed try", res->rd.why, tb);
	}
}

/* conf - the configuration the oracle judges with: the user's main.cf or Postfix's defaults */
static const struct pf_pol_conf *conf(struct pcx *x)
{
	if (x->o->conf != NULL)
		return x->o->conf;
	if (x->plain.v.major == 0)
		pf_pol_conf_plain(&x->plain, &x->o->version);
	return &x->plain;
}

/* smtp_reply - what the SMTP client gets, as the configuration makes smtpd answer */
static void smtp_reply(struct pcx *x, const struct pf_pol_ctx *ctx, const struct pres *res)
{
	const struct pf_pol_conf *pc = conf(x);
	struct pf_pol_smtp *s = xmalloc(sizeof(*s));
	char shown[600];

	if (!x->conf_noted) {
		replay_policy_settings(x->r, pc);
		x->conf_noted = 1;
	}
	pf_pol_conf_smtp(pc, ctx, &res->v, s);
	if (s->what == PF_POL_SMTP_REPLY)
		report_note(x->r, "Postfix would answer the SMTP client (%s): %s%s%s",
			    pf_pol_state_name(ctx->state), report_shown(shown, sizeof(shown),
			    s->reply, strlen(s->reply)), s->notes[0] ? " - " : "", s->notes);
	else if (s->what == PF_POL_SMTP_HANGUP)
		report_note(x->r, "Postfix would drop the SMTP connection without a reply (HANGUP)");
	else
		report_note(x->r, "the SMTP reply is not predicted: %s", s->notes);
	free(s);
}

/* judge - what Postfix does with the answer (or with its absence) */
static void judge(struct pcx *x, const struct pf_pol_req *req, struct pres *res)
{
	const struct pf_pol_conf *pc = conf(x);
	struct pf_pol_ctx ctx;
	char shown[600];

	pf_pol_conf_ctx(pc, req, &ctx);
	if (res->ok) {
		pf_pol_eval(&ctx, res->action, res->alen, &res->v);
		if (res->v.kind == PF_POL_REJECT || res->v.kind == PF_POL_CONFIG_ERROR)
			report_note(x->r, "Postfix would answer: %s",
				    report_shown(shown, sizeof(shown), res->v.smtp, strlen(res->v.smtp)));
		else {
			char oc[200];

			report_note(x->r, "Postfix: %s%s%s%s", pol_outcome_name(res, oc, sizeof(oc)),
				    (res->v.effects & PF_POL_FX_INFO) ? " +log" : "",
				    res->v.notes[0] ? " - " : "", res->v.notes);
		}
	} else {
		pf_pol_eval_failure(&ctx, pc->params.default_action, &res->v);
		report_note(x->r, "Postfix sleeps %lu ms, reconnects and sends the same request "
			    "again; after %u tries (%lu s in all) it applies "
			    "smtpd_policy_service_default_action and answers: %s",
			    pc->params.retry_ms, pc->params.try_limit,
			    pf_pol_failure_ms(&pc->params, res->end == PF_POL_END_TIMEOUT ?
					      PF_POL_FAIL_TIMEOUT : PF_POL_FAIL_FAST) / 1000,
			    report_shown(shown, sizeof(shown), res->v.smtp, strlen(res->v.smtp)));
	}
	smtp_reply(x, &ctx, res);
}

/* book_request - the request and the SMTP reply predicted for it, for check --confirm */
static void book_request(struct pcx *x, const struct xbuf *out, const struct pres *res)
{
	char want[PF_POL_TEXT_MAX];

	if (x->o->book == NULL || x->r->cur == NULL)
		return;
	confirm_book_request(x->o->book, x->r->cur->id, xbuf_cstr(out),
			     confirm_policy_want(&res->v, 1, want, sizeof(want)));
}

/* pcx_request - one request as Postfix sends it, on the persistent connection */
int pcx_request(struct pcx *x, const struct pf_pol_req *req, struct pres *res)
{
	struct xbuf out;
	const char *err;
	int rc = -1;

	int reused, tries = 0, readable = 0, retried = 0;

again:
	memset(res, 0, sizeof(*res));
	res->readable_before = readable;
	res->retried = retried;
	if (x->open && tconn_readable(&x->c)) {
		res->readable_before = readable = 1;
		report_note(x->r, "the connection was readable before the request (bytes or EOF): "
			    "Postfix counts a failed try, sleeps 1 s and reconnects");
		pcx_disconnect(x);
	}
	reused = x->open;
	if (x->life.gone) {
		snprintf(x->fatal_why, sizeof(x->fatal_why), "the service is gone");
		return -1;
	}
	if (pcx_connect(x) < 0)
		return -1;	/* x->fatal_why says why; a service gone is a death */
	tries++;
	xbuf_init(&out, 1 << 20);
	if (pf_pol_req_format(req, &out, &err) < 0) {
		report_note(x->r, "cannot format the request: %s", err);
		goto out;
	}
	death_sent(&x->life, out.data, out.len);
	if (pcx_send(x, &x->c, out.data, out.len) < 0) {
		death_dropped(&x->life, &x->c, 1);
		pcx_disconnect(x);
		res->end = PF_POL_END_ERROR;
		snprintf(res->rd.why, sizeof(res->rd.why), "write error");
		judge(x, req, res);
		book_request(x, &out, res);
		rc = 0;
		goto out;
	}
	pcx_read_reply(x, &x->c, res, pf_version_at_least(&x->o->version, 3, 0, 0));
	if (!res->ok)
		pcx_disconnect(x);	/* Postfix closes after a failed try */
	if (!res->ok && reused && tries == 1 && res->end == PF_POL_END_EOF && x->rbuf.len == 0) {
		/* the service closed the kept connection: Postfix's second try */
		report_note(x->r, "the service closed the reused connection without a reply: Postfix "
			    "counts a failed try, sleeps 1 s, reconnects and sends the request again");
		retried = 1;
		xbuf_free(&out);
		goto again;
	}
	if (!res->ok && res->end == PF_POL_END_EOF)
		death_dropped(&x->life, &x->c, 1);	/* the last try ended without a reply */
	judge(x, req, res);
	pol_lint_observe(x, req, res);
	book_request(x, &out, res);
	if (!res->ok && x->unanswered == 0)
		snprintf(x->unanswered_id, sizeof(x->unanswered_id), "%s",
			 x->r->cur ? x->r->cur->id : "?");
	x->unanswered = res->ok ? 0 : x->unanswered + 1;
	if (res->ok)
		x->stalls = 0;		/* only timeouts in a row stop the run */
	rc = 0;
out:
	xbuf_free(&out);
	return rc;
}

/*
 * pcx_probe - a connection ended during the check: is the daemon still
 * there? Up to three tries, 100 ms apart, of Postfix's RCPT request on a
 * new connection; a connection refused, or closed without a reply each
 * time (a dying daemon may accept one more), is a service gone.
 */
void pcx_probe(struct pcx *x)
{
	struct tconn_options to = { x->o->stderr_apart, x->timeout_ms };
	struct timespec ts = { 0, 100 * 1000000L };
	struct pf_pol_req req;
	struct xbuf out;
	const char *err;
	int i;

	report_note(x->r, "a connection ended during this check: is the service still there?");
	pcx_base_req(x, &req, PF_POL_RCPT);
	xbuf_init(&out, 1 << 20);
	if (pf_pol_req_format(&req, &out, &err) < 0)
		msg_panic("pcx_probe: %s", err);
	for (i = 0; i < 3; i++) {
		struct tconn c;
		char buf[600], chunk[4096];
		int n = 0;

		if (i > 0)
			nanosleep(&ts, NULL);
		if (tconn_open(x->o->target, &to, &c, buf, sizeof(buf)) < 0) {
			report_note(x->r, "no: %s", buf);
			continue;
		}
		if (tconn_write(&c, out.data, out.len, x->timeout_ms) == 0)
			n = tconn_read_some(&c, x->timeout_ms, chunk, sizeof(chunk));
		tconn_close(&c);
		xbuf_free(&c.err);
		if (n >= 0) {
			report_note(x->r, "it is: a new connection %s Postfix's RCPT request",
				    n > 0 ? "gets an answer to" : "is open, if slow, for");
			xbuf_free(&out);
			return;
		}
		report_note(x->r, "a new connection was closed without a reply");
	}
	xbuf_free(&out);
	death_gone(&x->life, x->r->cur ? x->r->cur->id : "?");
}

/* pcx_shown_action - the action as a printable text, or "(no action)" */
const char *pcx_shown_action(const struct pres *res, char *buf, size_t size)
{
	if (!res->ok)
		return "(no action)";
	return report_shown(buf, size, res->action, res->alen);
}

/* pcx_next_instance - a new SMTP session's instance attribute */
void pcx_next_instance(struct pcx *x)
{
	snprintf(x->instance, sizeof(x->instance), "%x.%lx.%lx.%x", (unsigned)getpid(),
		 (unsigned long)time(NULL), 1234UL + x->seq, x->seq);
	x->seq++;
}

/* pcx_base_req - Postfix's request at state st with a fresh instance where it has one */
void pcx_base_req(struct pcx *x, struct pf_pol_req *req, enum pf_pol_state st)
{
	pf_pol_req_init(req, &x->o->version, st);
	if (pf_pol_req_get(req, "instance") != NULL && pf_pol_req_get(req, "instance")[0]) {
		pcx_next_instance(x);
		(void)!pf_pol_req_set(req, "instance", x->instance);
	}
}
