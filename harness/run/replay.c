/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay - run a parsed transcript against a helper, as Postfix would
 * SYNOPSIS
 *	#include "harness/run/replay.h"
 * DESCRIPTION
 *	See replay.h. One transcript is one check in the report. Each op
 *	runs in turn; the first failing op ends the transcript with
 *	"file:line: why". Lines read from the helper are bounded by
 *	TCONN_MAX_LINE (a longer line is a failure that names the bound);
 *	every wait is bounded by a (scaled) Postfix timeout or by the
 *	transcript's own duration.
 * DIAGNOSTICS
 *	Failures and errors go into the report; nothing is printed here.
 */
#define _GNU_SOURCE		/* strsignal */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_sasl.h"
#include "harness/run/replay.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/policy.h"
#include "proto/sasl.h"
#include "util/escape.h"
#include "util/strnum.h"
#include "util/xmem.h"

#define RX_MAX_REPLY	(1024 * 1024)	/* policy reply block we keep */

struct rx {
	const struct replay_options *o;
	const struct transcript *t;
	struct report *r;
	const struct top *op;		/* running now */
	struct tconn c;
	int open;
	struct tvars v;
	unsigned next_id, cur_id;
	int in_flight;			/* an AUTH waits for its final reply */
	int wr_errno;			/* errno of the last failed write, or 0 */
	struct xbuf pend;		/* C: lines not yet written */
	struct xbuf back;		/* a line read but not used (S?) */
	int have_back;
	struct pf_auth_handshake hs;
	int hs_done;
	struct pf_auth_verdict verdict;
	int have_verdict;
	struct xbuf action;		/* policy: last action (or default) */
	int have_action;
	int action_default;
	unsigned pol_requests;		/* successful requests on this connection */
	int broken;			/* auth: Postfix saw EOF or a timeout */
	int crashed;
	char crash[300];
	enum check_result res;
	char why[1500];
};

void replay_options_init(struct replay_options *o)
{
	memset(o, 0, sizeof(*o));
	o->time_scale = 1.0;
	o->first_id = 1;
	o->lip = "127.0.0.1";
	o->rip = "127.0.0.1";
	o->policy_try_limit = REPLAY_POLICY_TRY_LIMIT;
	o->policy_default_action = REPLAY_POLICY_DEFAULT_ACTION;
	(void)pf_version_parse("3.7", &o->version);
}

/* scaled - a Postfix timeout under --time-scale, at least 1 ms */
static int scaled(const struct rx *x, int ms)
{
	double v = ms * x->o->time_scale;

	return v < 1 ? 1 : (int)v;
}

static int rx_timeout(const struct rx *x)
{
	return scaled(x, x->t->protocol == TPROTO_AUTH ? REPLAY_AUTH_TIMEOUT_MS :
		      REPLAY_POLICY_TIMEOUT_MS);
}

static int fail(struct rx *x, const char *fmt, ...) ATTR_PRINTF(2, 3);
static int rx_error(struct rx *x, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void vset_why(struct rx *x, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

static void vset_why(struct rx *x, const char *fmt, va_list ap)
{
	const char *name = x->op ? transcript_op_name(x->op->kind) : "";
	size_t nl = strlen(name);
	int n;

	if (x->op)
		n = snprintf(x->why, sizeof(x->why), "%s:%u: %s%s ", x->t->file, x->op->line, name,
			     name[nl - 1] == ':' ? "" : ":");
	else
		n = snprintf(x->why, sizeof(x->why), "%s: ", x->t->file);
	if (n >= 0 && (size_t)n < sizeof(x->why))
		vsnprintf(x->why + n, sizeof(x->why) - (size_t)n, fmt, ap);
}

/* fail - the helper did something the transcript does not allow */
static int fail(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_why(x, fmt, ap);
	va_end(ap);
	x->res = CHECK_FAIL;
	return -1;
}

/* rx_error - the environment: the transcript could not be run */
static int rx_error(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_why(x, fmt, ap);
	va_end(ap);
	x->res = CHECK_ERROR;
	return -1;
}

/* show - bytes escaped for a message */
static const char *show(char *dst, size_t size, const char *p, size_t len)
{
	return escape_for_log(dst, size, p, len);
}

static const char *secs(int ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d s", ms / 1000);
	else
		snprintf(buf, size, "%d ms", ms);
	return buf;
}

/* note_exit - after EOF: did a spawned helper die, and how */
static void note_exit(struct rx *x)
{
	if (x->c.pid <= 0 || x->crashed)
		return;
	if (tconn_wait_exit(&x->c, 300) != 1)
		return;
	if (tconn_crashed(&x->c)) {
		x->crashed = 1;
		snprintf(x->crash, sizeof(x->crash), "helper crashed: %s", tconn_exit_text(&x->c));
		report_note(x->r, "%s", x->crash);
	} else {
		report_note(x->r, "helper ended: %s", tconn_exit_text(&x->c));
	}
}

static void rx_close(struct rx *x)
{
	if (!x->open)
		return;
	tconn_close(&x->c);
	if (!x->crashed && tconn_crashed(&x->c)) {
		x->crashed = 1;
		snprintf(x->crash, sizeof(x->crash), "helper crashed: %s", tconn_exit_text(&x->c));
		report_note(x->r, "%s", x->crash);
	}
	if (x->c.err.len > 0) {
		struct xbuf e;

		xbuf_init(&e, 8192);
		if (escape_append(&e, x->c.err.data, x->c.err.len, 2000) == 0)
			report_note(x->r, "helper stderr: %s", xbuf_cstr(&e));
		xbuf_free(&e);
	}
	xbuf_free(&x->c.err);
	x->open = 0;
	x->broken = 0;
	x->have_back = 0;
	x->hs_done = 0;
	x->in_flight = 0;
	x->pol_requests = 0;
}

static int rx_open(struct rx *x)
{
	struct tconn_options to;
	char err[700];

	if (x->open)
		return 0;
	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->o->stderr_apart;
	to.connect_timeout_ms = rx_timeout(x);
	if (tconn_open(x->o->target, &to, &x->c, err, sizeof(err)) < 0) {
		xbuf_free(&x->c.err);
		return rx_error(x, "cannot use the target: %s", err);
	}
	x->open = 1;
	return 0;
}

/* rx_send - write bytes as one write, log them line by line */
static int rx_send(struct rx *x, const char *p, size_t len)
{
	size_t i = 0;
	char tb[32];

	if (rx_open(x) < 0)
		return -1;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) : len - i;

		report_io(x->r, 'C', p + i, n);
		if (nl == NULL)
			report_note(x->r, "(no LF after this line)");
		i += n + (nl ? 1 : 0);
	}
	x->wr_errno = 0;
	if (tconn_write(&x->c, p, len, rx_timeout(x)) < 0) {
		int e = errno;

		x->wr_errno = e;
		if (e == EPIPE || e == ECONNRESET)
			note_exit(x);
		return fail(x, "write failed: %s%s", strerror(e),
			    e == ETIMEDOUT ? secs(rx_timeout(x), tb, sizeof(tb)) : "");
	}
	return 0;
}

/* judge - what Postfix makes of a reply while a request is in flight */
static void judge(struct rx *x, const char *line, size_t len)
{
	struct pf_auth_verdict v;

	if (x->t->protocol != TPROTO_AUTH || !x->in_flight)
		return;
	pf_auth_judge(&x->o->version, x->cur_id, line, len, &v);
	if (v.outcome == PF_AUTH_SKIP) {
		report_note(x->r, "%s", v.note[0] ? v.note : "Postfix skips this line");
		return;
	}
	x->verdict = v;
	x->have_verdict = 1;
	if (v.outcome != PF_AUTH_MORE)
		x->in_flight = 0;
	report_note(x->r, "Postfix %u.%u would answer: %s%s%s%s", x->o->version.major,
		    x->o->version.minor, v.smtp, v.note[0] ? " (" : "", v.note, v.note[0] ? ")" : "");
}

/* io_failure - Postfix's answer when the helper goes away or is late */
static void io_failure(struct rx *x, const char *what)
{
	struct pf_auth_verdict v;

	if (x->t->protocol != TPROTO_AUTH || !x->in_flight)
		return;
	pf_auth_io_failure(&x->o->version, &v);
	x->verdict = v;
	x->have_verdict = 1;
	x->in_flight = 0;
	x->broken = 1;
	report_note(x->r, "%s: Postfix %u.%u would answer: %s (%s)", what, x->o->version.major,
		    x->o->version.minor, v.smtp, v.note);
}

/*
 * rx_read - the next line within timeout_ms: 1 line, 0 timeout, -1 EOF,
 * -2 too long (the connection is closed then)
 */
static int rx_read(struct rx *x, int timeout_ms, const char **line_r, size_t *len_r)
{
	int rc;

	if (x->have_back) {
		x->have_back = 0;
		*line_r = x->back.data ? x->back.data : "";
		*len_r = x->back.len;
		return 1;
	}
	if (rx_open(x) < 0)
		return -3;
	rc = tconn_read_line(&x->c, timeout_ms, line_r, len_r);
	if (rc == 1) {
		report_io(x->r, 'S', *line_r, *len_r);
		judge(x, *line_r, *len_r);
		return 1;
	}
	if (rc == -2) {
		report_note(x->r, "line longer than %d bytes: the harness stops reading it",
			    TCONN_MAX_LINE);
		io_failure(x, "over-long line");
		rx_close(x);
		return -2;
	}
	if (rc < 0) {
		size_t pend = linebuf_pending(&x->c.lb);

		if (pend > 0) {
			char buf[200];

			report_note(x->r, "EOF after %zu bytes without LF: %s", pend,
				    show(buf, sizeof(buf), linebuf_pending_data(&x->c.lb), pend));
		}
		report_note(x->r, "connection closed by the helper");
		note_exit(x);
		io_failure(x, "EOF");
		return -1;
	}
	return 0;
}

/* keep_back - an S? line that did not match waits for the next op */
static void keep_back(struct rx *x, const char *line, size_t len)
{
	if (line == x->back.data) {
		x->have_back = 1;	/* the kept line again */
		return;
	}
	xbuf_reset(&x->back);
	if (xbuf_append(&x->back, line, len) == 0)
		x->have_back = 1;
}

/* expect_one - does the line match this S:/S?/S~ op */
static int expect_one(struct rx *x, const struct top *op, const char *line, size_t len)
{
	const char *why;
	int rc;

	if (op->is_regex) {
		char *s = xmemdup(line, len + 1);

		s[len] = '\0';
		rc = regexec(&op->re, s, 0, NULL, 0) == 0;
		free(s);
		return rc;
	}
	rc = tpat_match(&op->pat, &x->v, line, len, &why);
	if (rc < 0)
		return fail(x, "pattern %s: %s", op->pat.src, why);
	return rc;
}

static int read_failed(struct rx *x, int rc, const char *wanted)
{
	char tb[32];

	if (rc == 0)
		return fail(x, "no line within %s (expected %s)%s", secs(rx_timeout(x), tb, sizeof(tb)),
			    wanted, x->o->time_scale != 1.0 ? "; timeouts are scaled" : "");
	if (rc == -2)
		return fail(x, "line longer than %d bytes (expected %s)", TCONN_MAX_LINE, wanted);
	if (rc == -3)
		return -1;
	if (x->crashed)
		return fail(x, "%s (expected %s)", x->crash, wanted);
	return fail(x, "connection closed (expected %s)", wanted);
}

static int op_expect(struct rx *x, const struct top *op)
{
	const char *line;
	size_t len;
	char got[400];
	int rc, m;

	if (op->optional && !x->have_back && !(x->open && tconn_readable(&x->c))) {
		rc = rx_read(x, REPLAY_OPTIONAL_WAIT_MS, &line, &len);
		if (rc == 0) {
			report_note(x->r, "optional line %s did not come", op->pat.src);
			return 0;
		}
	} else {
		rc = rx_read(x, rx_timeout(x), &line, &len);
	}
	if (rc != 1)
		return op->optional && rc == -1 ? 0 : read_failed(x, rc, op->pat.src);
	if ((m = expect_one(x, op, line, len)) < 0)
		return -1;
	if (m == 1)
		return 0;
	if (op->optional) {
		keep_back(x, line, len);
		return 0;
	}
	return fail(x, "expected %s%s, got %s", op->is_regex ? "~" : "", op->pat.src,
		    show(got, sizeof(got), line, len));
}

static int op_anyorder(struct rx *x, const struct top *op)
{
	int done[TRANSCRIPT_MAX_GROUP] = { 0 };
	size_t i, left = 0;

	for (i = 0; i < op->nkids; i++)
		left += !op->kids[i].optional;
	while (left > 0) {
		const char *line;
		size_t len;
		char got[400];
		int rc = rx_read(x, rx_timeout(x), &line, &len), hit = 0;

		if (rc != 1)
			return read_failed(x, rc, "the rest of the anyorder block");
		for (i = 0; i < op->nkids && !hit; i++) {
			if (done[i])
				continue;
			if ((rc = expect_one(x, &op->kids[i], line, len)) < 0)
				return -1;
			if (rc == 1) {
				done[i] = hit = 1;
				left -= !op->kids[i].optional;
			}
		}
		if (!hit)
			return fail(x, "%s matches none of the anyorder lines still expected",
				    show(got, sizeof(got), line, len));
	}
	/* optional members still open: take the lines that match them */
	for (;;) {
		const char *line;
		size_t len;
		int rc, hit = 0, open_opt = 0;

		for (i = 0; i < op->nkids; i++)
			open_opt |= !done[i];
		if (!open_opt)
			return 0;
		if (!x->have_back && !tconn_readable(&x->c)) {
			rc = rx_read(x, REPLAY_OPTIONAL_WAIT_MS, &line, &len);
		} else {
			rc = rx_read(x, rx_timeout(x), &line, &len);
		}
		if (rc != 1)
			return rc == 0 || rc == -1 ? 0 : read_failed(x, rc, "an optional anyorder line");
		for (i = 0; i < op->nkids && !hit; i++) {
			if (done[i])
				continue;
			if ((rc = expect_one(x, &op->kids[i], line, len)) < 0)
				return -1;
			if (rc == 1)
				done[i] = hit = 1;
		}
		if (!hit) {
			keep_back(x, line, len);
			return 0;
		}
	}
}

/* is_auth_line - text starts with AUTH TAB, and refers to {id} */
static int refers_to_id(const struct tpat *p)
{
	size_t i;

	for (i = 0; i < p->nseg; i++)
		if ((p->seg[i].kind == TSEG_VAR || p->seg[i].kind == TSEG_REF) &&
		    strcmp(p->seg[i].text, "id") == 0)
			return 1;
	return 0;
}

static int set_id(struct rx *x, unsigned id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	return tvars_set(&x->v, "id", buf, strlen(buf));
}

static int op_send(struct rx *x, const struct top *op)
{
	struct xbuf out;
	const char *why;
	int rc = -1;

	if (x->t->protocol == TPROTO_AUTH && op->pat.nseg > 0 && op->pat.seg[0].kind == TSEG_LIT &&
	    strncmp(op->pat.seg[0].text, "AUTH\t", 5) == 0 && refers_to_id(&op->pat)) {
		x->cur_id = x->next_id++;
		if (set_id(x, x->cur_id) < 0)
			return fail(x, "too many variables");
	}
	xbuf_init(&out, TRANSCRIPT_MAX_LINE + 2);
	if (tpat_expand(&op->pat, &x->v, &out, &why) < 0) {
		fail(x, "%s in %s", why, op->pat.src);
		goto out;
	}
	if (x->t->protocol == TPROTO_AUTH) {
		struct dvauth_fields f;
		const char *e;

		if (dvauth_split(out.data ? out.data : "", out.len, &f, &e) == 0 && f.n >= 2 &&
		    (strview_eq(f.f[0], "AUTH") || strview_eq(f.f[0], "CONT"))) {
			x->cur_id = (unsigned)str_strtoul_loose(f.f[1].p, f.f[1].len);
			x->in_flight = 1;
			x->have_verdict = 0;
		}
	}
	if (!op->nolf && xbuf_append_char(&out, '\n') < 0) {
		fail(x, "line too long");
		goto out;
	}
	if (xbuf_append(&x->pend, out.data ? out.data : "", out.len) < 0)
		fail(x, "too much to send at once");
	else
		rc = 0;
out:
	xbuf_free_wipe(&out);
	return rc;
}

/* rx_flush - consecutive C: lines leave in one write, as Postfix flushes */
static int rx_flush(struct rx *x)
{
	int rc;

	if (x->pend.len == 0)
		return 0;
	rc = rx_send(x, x->pend.data, x->pend.len);
	xbuf_reset(&x->pend);
	return rc;
}

static int op_expect_close(struct rx *x)
{
	const char *line;
	size_t len;
	char got[400];
	int rc = rx_read(x, rx_timeout(x), &line, &len);

	if (rc == -1)
		return 0;
	if (rc == 1)
		return fail(x, "expected the helper to close, got %s", show(got, sizeof(got), line, len));
	return read_failed(x, rc, "a close");
}

static int op_expect_silence(struct rx *x, const struct top *op)
{
	const char *line;
	size_t len;
	char got[400], tb[32];
	int rc = rx_read(x, (int)op->ms, &line, &len);

	if (rc == 0)
		return 0;
	if (rc == 1)
		return fail(x, "expected silence for %s, got %s", secs((int)op->ms, tb, sizeof(tb)),
			    show(got, sizeof(got), line, len));
	if (rc == -1)
		return fail(x, "expected silence for %s, the connection was closed%s%s",
			    secs((int)op->ms, tb, sizeof(tb)), x->crashed ? ": " : "",
			    x->crashed ? x->crash : "");
	return read_failed(x, rc, "silence");
}

/* wait_verdict - read replies until Postfix would answer the SMTP client */
static int wait_verdict(struct rx *x)
{
	while (x->in_flight && !x->have_verdict) {
		const char *line;
		size_t len;
		int rc = rx_read(x, rx_timeout(x), &line, &len);
		char tb[32];

		if (rc == 0) {
			report_note(x->r, "no reply within %s%s", secs(rx_timeout(x), tb, sizeof(tb)),
				    x->o->time_scale != 1.0 ? " (scaled; Postfix waits 10 s)" : "");
			io_failure(x, "read timeout");
		}
		if (rc == -3)
			return -1;
		if (rc < 0 && x->in_flight)
			io_failure(x, "no reply");
	}
	return 0;
}

static int code_of(const char *smtp)
{
	return (smtp[0] - '0') * 100 + (smtp[1] - '0') * 10 + (smtp[2] - '0');
}

static int op_expect_smtp(struct rx *x, const struct top *op)
{
	const char *reply, *why;
	int rc;

	if (x->t->protocol == TPROTO_AUTH) {
		if (wait_verdict(x) < 0)
			return -1;
		if (!x->have_verdict)
			return fail(x, "no AUTH exchange to judge");
		reply = x->verdict.smtp;
	} else {
		if (!x->have_action)
			return fail(x, "no policy reply to judge");
		return fail(x, "the SMTP reply for a policy action is not predicted yet "
			    "(use expect action)");
	}
	if (op->code) {
		if (strlen(reply) < 3 || code_of(reply) != op->code)
			return fail(x, "expected SMTP %d, Postfix would answer: %s", op->code, reply);
		return 0;
	}
	rc = tpat_match(&op->pat, &x->v, reply, strlen(reply), &why);
	if (rc < 0)
		return fail(x, "pattern %s: %s", op->pat.src, why);
	if (rc == 0)
		return fail(x, "expected SMTP reply %s, Postfix would answer: %s", op->pat.src, reply);
	return 0;
}

/* --- auth macros ------------------------------------------------------ */

static int op_handshake(struct rx *x, const struct top *op)
{
	const char *names[PF_AUTH_MAX_MECHS];
	size_t n;
	int rc = 0;

	if (!op->nosend) {
		struct xbuf out;
		unsigned minor = x->o->client == REPLAY_CLIENT_POSTFIX ? 0 :
				 x->o->client == REPLAY_CLIENT_DOVECOT_2 ? 2 :
				 x->o->client == REPLAY_CLIENT_DOVECOT_3 ? 3 : 4;

		xbuf_init(&out, 256);
		if (dvauth_format_version(&out, 1, minor) < 0 ||
		    dvauth_format_cpid(&out, (unsigned long)getpid()) < 0)
			rc = fail(x, "cannot format VERSION/CPID");
		else
			rc = rx_send(x, out.data, out.len);
		xbuf_free(&out);
		/* the helper closed before VERSION/CPID went out: Postfix's
		 * flush fails and its first handshake read returns EOF */
		if (rc < 0 && (x->wr_errno == EPIPE || x->wr_errno == ECONNRESET))
			report_note(x->r, "Postfix: the handshake fails (the helper closed before "
				    "VERSION and CPID were written); smtpd exits with \"fatal: no SASL "
				    "authentication mechanisms\" and the SMTP client sees the "
				    "connection drop after 220");
		if (rc < 0)
			return -1;
	}
	pf_auth_handshake_init(&x->hs, &x->o->version);
	for (;;) {
		const char *line;
		size_t len;

		rc = rx_read(x, rx_timeout(x), &line, &len);
		if (rc != 1) {
			report_note(x->r, "Postfix: the handshake fails (%s); smtpd exits with \"fatal: "
				    "no SASL authentication mechanisms\" and the SMTP client sees the "
				    "connection drop after 220", rc == 0 ? "10 s read timeout" : "EOF");
			return read_failed(x, rc, "the handshake up to DONE");
		}
		rc = pf_auth_handshake_line(&x->hs, line, len);
		if (rc == 1)
			break;
		if (rc == -1)
			return fail(x, "Postfix %u.%u refuses the handshake: %s; smtpd exits with "
				    "\"fatal: no SASL authentication mechanisms\"", x->o->version.major,
				    x->o->version.minor, x->hs.why);
		if (rc == -2)
			return fail(x, "Postfix %u.%u would crash on this line: %s",
				    x->o->version.major, x->o->version.minor, x->hs.why);
	}
	if (x->hs.notes[0])
		report_note(x->r, "handshake: %s", x->hs.notes);
	n = pf_auth_filter(&x->hs, 0, DVAUTH_MECH_ANONYMOUS, names, PF_AUTH_MAX_MECHS);
	if (n == 0)
		return fail(x, "no mechanism left after smtpd_sasl_security_options = noanonymous: "
			    "smtpd exits with \"fatal: no SASL authentication mechanisms\"");
	{
		struct xbuf l;
		size_t i;

		xbuf_init(&l, 4096);
		for (i = 0; i < n; i++)
			(void)!xbuf_printf(&l, "%s%s", i ? " " : "", names[i]);
		report_note(x->r, "EHLO would offer AUTH %s", xbuf_cstr(&l));
		xbuf_free(&l);
	}
	x->hs_done = 1;
	return 0;
}

/* mech_offered - Postfix's strcasecmp against the filtered list */
static int mech_offered(struct rx *x, const char *mech)
{
	const char *names[PF_AUTH_MAX_MECHS];
	size_t i, n;

	if (!x->hs_done)
		return 1;	/* no handshake seen: the transcript drives it raw */
	n = pf_auth_filter(&x->hs, 0, DVAUTH_MECH_ANONYMOUS, names, PF_AUTH_MAX_MECHS);
	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], mech) == 0)
			return 1;
	return 0;
}

static int check_code(struct rx *x, int want)
{
	if (want && (strlen(x->verdict.smtp) < 3 || code_of(x->verdict.smtp) != want))
		return fail(x, "expected SMTP %d, Postfix would answer: %s", want, x->verdict.smtp);
	return 0;
}

static int op_auth(struct rx *x, const struct top *op)
{
	const struct sasl_mech_info *mi = sasl_mech_by_name(op->mech, strlen(op->mech));
	struct sasl_client_params cp;
	struct sasl_client *sc = NULL;
	struct xbuf a[2], out, raw, b64;
	const char *why;
	size_t i;
	int rc = -1, rounds;

	memset(&cp, 0, sizeof(cp));
	for (i = 0; i < 2; i++)
		xbuf_init(&a[i], TVARS_MAX_VALUE);
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&b64, SASL_MAX_MESSAGE * 2);
	for (i = 0; i < op->nargs; i++) {
		if (tpat_expand(&op->args[i], &x->v, &a[i], &why) < 0) {
			fail(x, "%s in %s", why, op->args[i].src);
			goto out;
		}
		(void)!xbuf_append_char(&a[i], '\0');
	}
	if (mi->mech == SASL_MECH_ANONYMOUS)
		cp.trace = op->nargs ? a[0].data : NULL;
	else if (mi->mech == SASL_MECH_EXTERNAL)
		cp.authzid = op->nargs ? a[0].data : NULL;
	else {
		cp.authcid = a[0].data;
		cp.password = a[1].data;
	}
	x->have_verdict = 0;
	if (x->broken && x->open) {
		/* the same threshold as pf_auth_io_failure(): 3.11 reconnects */
		if (pf_version_cmp(&x->o->version, 3, 11, 20250304) < 0) {
			pf_auth_io_failure(&x->o->version, &x->verdict);
			x->have_verdict = 1;
			report_note(x->r, "the connection broke earlier: %s; Postfix %u.%u answers %s",
				    x->verdict.note, x->o->version.major, x->o->version.minor,
				    x->verdict.smtp);
			rc = check_code(x, op->code);
			goto out;
		}
		report_note(x->r, "the connection broke earlier: Postfix %u.%u reconnects",
			    x->o->version.major, x->o->version.minor);
		rx_close(x);
	}
	if (!x->open) {
		/* Postfix connects and reads the handshake before its first AUTH */
		static const struct top hs = { .kind = TOP_HANDSHAKE };

		report_note(x->r, "not connected: Postfix connects and does the handshake first");
		if (op_handshake(x, &hs) < 0)
			goto out;
		x->op = op;
	}
	if (!mech_offered(x, op->mech)) {
		memset(&x->verdict, 0, sizeof(x->verdict));
		x->verdict.outcome = PF_AUTH_FAIL;
		pf_sasl_no_mech_reply(&x->o->version, op->mech, x->verdict.smtp,
				      sizeof(x->verdict.smtp));
		x->have_verdict = 1;
		report_note(x->r, "%s is not in the helper's mechanism list: Postfix sends nothing and "
			    "answers %s", op->mech, x->verdict.smtp);
		rc = check_code(x, op->code);
		goto out;
	}
	if ((sc = sasl_client_create(mi->mech, &cp)) == NULL) {
		fail(x, "cannot run %s with these arguments", mi->name);
		goto out;
	}
	x->cur_id = x->next_id++;
	if (set_id(x, x->cur_id) < 0) {
		fail(x, "too many variables");
		goto out;
	}
	if (mi->client_first && op->resp != TAUTH_RESP_NO) {
		if (sasl_client_initial(sc, &raw) < 0) {
			fail(x, "%s: no initial response", mi->name);
			goto out;
		}
		int brc;

		if (raw.len == 0)
			brc = xbuf_append_str(&b64, "=");	/* the SMTP empty response */
		else
			brc = base64_encode(raw.data, raw.len, &b64);
		if (brc < 0) {
			fail(x, "initial response too long");
			goto out;
		}
	}
	if (pf_auth_request(&out, x->cur_id, op->mech, "smtp", x->o->lip, x->o->rip, op->secured,
			    b64.len ? xbuf_cstr(&b64) : NULL) < 0) {
		fail(x, "AUTH line longer than the bound");
		goto out;
	}
	x->in_flight = 1;
	x->have_verdict = 0;
	if (rx_send(x, out.data, out.len) < 0)
		goto out;
	for (rounds = 0; rounds < REPLAY_MAX_ROUNDS; rounds++) {
		const char *chal;
		size_t clen;

		if (wait_verdict(x) < 0)
			goto out;
		if (x->verdict.outcome != PF_AUTH_MORE)
			break;
		/* 334 <challenge>: the SMTP client decodes it and answers */
		chal = x->verdict.smtp + 4;
		clen = strlen(chal);
		xbuf_reset(&raw);
		if (base64_decode(chal, clen, 0, &raw, &why) < 0) {
			fail(x, "the challenge is not base64 (%s): an SMTP client would abort with '*', "
			     "Postfix answers 501 5.7.0 and leaves the request pending", why);
			goto out;
		}
		xbuf_reset(&b64);
		xbuf_reset(&out);
		{
			struct xbuf resp;
			int src;

			xbuf_init(&resp, SASL_MAX_MESSAGE);
			src = sasl_client_step(sc, raw.data ? raw.data : "", raw.len, &resp, &why);
			if (src == 0 && base64_encode(resp.data ? resp.data : "", resp.len, &b64) < 0)
				src = -1, why = "response too long";
			xbuf_free_wipe(&resp);
			if (src < 0) {
				fail(x, "%s client step: %s", mi->name, why);
				goto out;
			}
		}
		if (dvauth_format_cont(&out, x->cur_id, b64.data ? b64.data : "", b64.len) < 0) {
			fail(x, "CONT line too long");
			goto out;
		}
		x->in_flight = 1;
		x->have_verdict = 0;
		if (rx_send(x, out.data, out.len) < 0)
			goto out;
	}
	if (x->verdict.outcome == PF_AUTH_MORE) {
		fail(x, "more than %d CONT rounds", REPLAY_MAX_ROUNDS);
		goto out;
	}
	if (x->verdict.outcome == PF_AUTH_DONE && (mi->mech == SASL_MECH_SCRAM_SHA_1 ||
	    mi->mech == SASL_MECH_SCRAM_SHA_256) && !sasl_client_verified(sc))
		report_note(x->r, "the server signature was never checked (no server-final round)");
	rc = check_code(x, op->code);
out:
	sasl_client_destroy(&sc);
	for (i = 0; i < 2; i++)
		xbuf_free_wipe(&a[i]);
	xbuf_free_wipe(&out);
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&b64);
	return rc;
}

static int op_cont(struct rx *x, const struct top *op)
{
	struct xbuf raw, out;
	const char *why;
	int rc = -1;

	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	if (tpat_expand(&op->pat, &x->v, &raw, &why) < 0) {
		fail(x, "%s in %s", why, op->pat.src);
	} else if (xbuf_printf(&out, "CONT\t%u\t", x->cur_id) < 0 ||
		   base64_encode(raw.data ? raw.data : "", raw.len, &out) < 0 ||
		   xbuf_append_char(&out, '\n') < 0) {
		fail(x, "CONT line too long");
	} else {
		x->in_flight = 1;
		x->have_verdict = 0;
		rc = rx_send(x, out.data, out.len);
	}
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&out);
	return rc;
}

/* --- policy ----------------------------------------------------------- */

static int op_expect_action(struct rx *x, const struct top *op)
{
	const char *why;
	int rc;

	if (!x->have_action)
		return fail(x, "no policy reply yet");
	rc = tpat_match(&op->pat, &x->v, x->action.data ? x->action.data : "", x->action.len, &why);
	if (rc < 0)
		return fail(x, "pattern %s: %s", op->pat.src, why);
	if (rc == 0) {
		char got[400];

		return fail(x, "expected action %s, %s %s", op->pat.src,
			    x->action_default ? "Postfix applies the default action" : "got",
			    show(got, sizeof(got), x->action.data ? x->action.data : "", x->action.len));
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
			rc = fail(x, "%s: %s", pa->name, why);
		else if (memchr(vals[k].data ? vals[k].data : "", '\0', vals[k].len) != NULL)
			rc = fail(x, "%s: a value with NUL cannot be sent", pa->name);
		else if (pf_pol_req_set(req, pa->name, xbuf_cstr(&vals[k])) < 0)
			rc = fail(x, "%s: too many attributes", pa->name);
	}
	if (rc == 0 && pf_pol_req_format(req, out, &why) < 0)
		rc = fail(x, "request: %s", why);
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
			snprintf(why, wlen, "no complete reply within %s%s", secs(rx_timeout(x), tb, sizeof(tb)),
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

static int op_policy(struct rx *x, const struct top *op)
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
			report_note(x->r, "action: %s", show(a, sizeof(a), x->action.data ? x->action.data : "",
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
			    "and sends the same request again", secs(scaled(x, REPLAY_POLICY_RETRY_MS), tb,
									sizeof(tb)));
		{
			int ms = scaled(x, REPLAY_POLICY_RETRY_MS);
			struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	xbuf_free(&req);
	return x->res == CHECK_PASS ? rc : -1;
}

/* --- driver ------------------------------------------------------------ */

static int run_op(struct rx *x, const struct top *op)
{
	if (op->kind != TOP_SEND) {
		if (rx_flush(x) < 0)
			return -1;
	}
	x->op = op;
	switch (op->kind) {
	case TOP_SEND:
		return op_send(x, op);
	case TOP_EXPECT:
		return op_expect(x, op);
	case TOP_ANYORDER:
		return op_anyorder(x, op);
	case TOP_EXPECT_CLOSE:
		return op_expect_close(x);
	case TOP_EXPECT_SILENCE:
		return op_expect_silence(x, op);
	case TOP_EXPECT_SMTP:
		return op_expect_smtp(x, op);
	case TOP_EXPECT_ACTION:
		return op_expect_action(x, op);
	case TOP_HANDSHAKE:
		return op_handshake(x, op);
	case TOP_AUTH:
		return op_auth(x, op);
	case TOP_CONT:
		return op_cont(x, op);
	case TOP_POLICY:
		return op_policy(x, op);
	case TOP_RECONNECT:
		report_note(x->r, "reconnect");
		rx_close(x);
		return 0;
	case TOP_SLEEP: {
		struct timespec ts;

		ts.tv_sec = op->ms / 1000;
		ts.tv_nsec = (long)(op->ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		return 0;
	}
	}
	return fail(x, "unknown op");
}

/* init_vars - -D first, then the transcript's defaults, then pid */
static int init_vars(struct rx *x)
{
	const char *why;
	char buf[32];
	size_t i;

	tvars_init(&x->v);
	if (x->o->defines)
		for (i = 0; i < x->o->defines->n; i++) {
			const struct tvar *d = &x->o->defines->v[i];

			if (tvars_set(&x->v, d->name, d->value, d->len) < 0)
				return rx_error(x, "cannot set %s", d->name);
		}
	for (i = 0; i < x->t->ndefaults; i++) {
		struct xbuf val;
		int rc = 0;

		if (tvars_get(&x->v, x->t->defaults[i].name))
			continue;
		xbuf_init(&val, TVARS_MAX_VALUE);
		if (tpat_expand(&x->t->defaults[i].value, &x->v, &val, &why) < 0 ||
		    tvars_set(&x->v, x->t->defaults[i].name, val.data ? val.data : "", val.len) < 0)
			rc = rx_error(x, "default %s: cannot set", x->t->defaults[i].name);
		xbuf_free_wipe(&val);
		if (rc < 0)
			return -1;
	}
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	if (tvars_set(&x->v, "pid", buf, strlen(buf)) < 0)
		return rx_error(x, "cannot set pid");
	return 0;
}

enum check_result replay_run(const struct replay_options *o, const struct transcript *t,
			     struct report *r)
{
	struct check_info ci;
	struct rx x;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.t = t;
	x.r = r;
	x.res = CHECK_PASS;
	x.next_id = o->first_id ? o->first_id : 1;
	x.c.fd = -1;
	xbuf_init(&x.back, TCONN_MAX_LINE);
	xbuf_init(&x.action, RX_MAX_REPLY);
	memset(&ci, 0, sizeof(ci));
	ci.id = t->file;
	ci.title = t->title[0] ? t->title : (t->protocol == TPROTO_AUTH ? "auth transcript" :
					     "policy transcript");
	report_begin(r, &ci);
	xbuf_init(&x.pend, TRANSCRIPT_MAX_FILE);
	if (init_vars(&x) == 0) {
		for (i = 0; i < t->nops; i++)
			if (run_op(&x, &t->ops[i]) < 0)
				break;
		if (i == t->nops)
			(void)rx_flush(&x);
	}
	rx_close(&x);
	if (x.crashed && x.res == CHECK_PASS) {
		x.op = NULL;
		fail(&x, "%s", x.crash);
	}
	if (x.res == CHECK_FAIL && x.crashed && strstr(x.why, x.crash) == NULL) {
		size_t n = strlen(x.why);

		snprintf(x.why + n, sizeof(x.why) - n, "; %s", x.crash);
	}
	if (x.crashed && !o->stderr_apart && o->target->kind == TARGET_SPAWN)
		report_note(r, "the helper's stderr is the connection (as under spawn(8)): its "
			    "messages are among the S: lines; --stderr-apart shows them apart");
	report_end(r, x.res, "%s", x.res == CHECK_PASS ? "" : x.why);
	tvars_free(&x.v);
	xbuf_free_wipe(&x.pend);
	xbuf_free(&x.back);
	xbuf_free(&x.action);
	return x.res;
}
