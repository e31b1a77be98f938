/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay - run a parsed transcript against a helper, as Postfix would
 * SYNOPSIS
 *	#include "harness/replay/replay.h"
 * DESCRIPTION
 *	See replay.h. One transcript is one check in the report. Each op
 *	runs in turn; the first failing op ends the transcript with
 *	"file:line: why". Lines read from the helper are bounded by
 *	TCONN_MAX_LINE (a longer line is a failure that names the bound);
 *	every wait is bounded by a (scaled) Postfix timeout or by the
 *	transcript's own duration.
 *
 *	This file is the engine: the connection, the S:/C:/anyorder and
 *	expect close/silence steps, reconnect and sleep, the variables and
 *	the driver. The auth steps are replay_auth.c, the policy steps
 *	replay_policy.c (replay_int.h).
 * DIAGNOSTICS
 *	Failures and errors go into the report; nothing is printed here.
 *	An op kind the engine does not know is our bug: msg_panic().
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/replay/replay_int.h"
#include "proto/dvauth.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

/* replay_options_init - Postfix 3.7's client with its real limits */
void replay_options_init(struct replay_options *o)
{
	memset(o, 0, sizeof(*o));
	o->time_scale = 1.0;
	o->first_id = 1;
	o->lip = "127.0.0.1";
	o->rip = "127.0.0.1";
	o->policy_try_limit = REPLAY_POLICY_TRY_LIMIT;
	o->policy_default_action = REPLAY_POLICY_DEFAULT_ACTION;
	pf_sasl_conf_init(&o->sasl);
	(void)pf_version_parse("3.7", &o->version);
}

/* rx_scaled - a Postfix time under --time-scale, at least 1 ms */
int rx_scaled(const struct rx *x, int ms)
{
	double v = ms * x->o->time_scale;

	return v < 1 ? 1 : (int)v;
}

/* rx_timeout - the protocol's read timeout, scaled */
int rx_timeout(const struct rx *x)
{
	return rx_scaled(x, x->t->protocol == TPROTO_AUTH ? REPLAY_AUTH_TIMEOUT_MS :
			 REPLAY_POLICY_TIMEOUT_MS);
}

static void vset_why(struct rx *x, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

/* vset_why - "file:line: step: " and the text */
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

/* rx_fail - the helper did something the transcript does not allow */
int rx_fail(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_why(x, fmt, ap);
	va_end(ap);
	x->res = CHECK_FAIL;
	return -1;
}

/* rx_error - the environment: the transcript could not be run */
int rx_error(struct rx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_why(x, fmt, ap);
	va_end(ap);
	x->res = CHECK_ERROR;
	return -1;
}

/* rx_show - bytes escaped for a message */
const char *rx_show(char *dst, size_t size, const char *p, size_t len)
{
	return report_shown(dst, size, p, len);
}

/* rx_secs - a time as "N s" or "N ms" */
const char *rx_secs(int ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d s", ms / 1000);
	else
		snprintf(buf, size, "%d ms", ms);
	return buf;
}

/* rx_note_exit - after EOF: did a spawned helper die, and how */
static void rx_note_exit(struct rx *x)
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

/* rx_close - close, note a crash and the helper's stderr, forget the connection's state */
void rx_close(struct rx *x)
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
		if (report_escape(&e, x->c.err.data, x->c.err.len, 2000) == 0)
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

/* rx_open - connect (or spawn) unless open; rx_error() when the target cannot be used */
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

/*
 * drop_unread - what Postfix's auth stream drops when it writes: the
 * bytes its last read brought beyond the line it used. The stream is
 * single-buffered (vstream_fdopen O_RDWR); vstream_buf_put_ready()
 * discards unread input before the write. The linebuf reads as vstream
 * fills: only when no complete line is left, so what it holds now came
 * with the last read. Bytes in a later read stay in the socket and are
 * read as replies.
 */
static void drop_unread(struct rx *x)
{
	const char *p;
	size_t n = x->open ? tconn_drop_unread(&x->c, &p) : 0;
	char buf[400];

	if (n > 0)
		report_note(x->r, "Postfix drops %zu unread byte%s that came in the same read as the "
			    "last line it used (its stream discards unread input when it writes): %s",
			    n, n == 1 ? "" : "s", rx_show(buf, sizeof(buf), p, n));
}

/* rx_send - write bytes as one write, log them line by line */
int rx_send(struct rx *x, const char *p, size_t len)
{
	size_t i = 0;
	char tb[32];

	if (rx_open(x) < 0)
		return -1;
	if (x->t->protocol == TPROTO_AUTH)
		drop_unread(x);
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
			rx_note_exit(x);
		return rx_fail(x, "write failed: %s%s", strerror(e),
			       e == ETIMEDOUT ? rx_secs(rx_timeout(x), tb, sizeof(tb)) : "");
	}
	return 0;
}

/*
 * rx_read - the next line within timeout_ms: 1 line, 0 timeout, -1 EOF,
 * -2 too long (the connection is closed then)
 */
int rx_read(struct rx *x, int timeout_ms, const char **line_r, size_t *len_r)
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
		rx_auth_judge(x, *line_r, *len_r);
		return 1;
	}
	if (rc == -2) {
		report_note(x->r, "line longer than %d bytes: the harness stops reading it",
			    TCONN_MAX_LINE);
		rx_auth_io_failure(x, "over-long line");
		rx_close(x);
		return -2;
	}
	if (rc == -1 && x->t->protocol == TPROTO_AUTH && tconn_read_last(&x->c, line_r, len_r)) {
		/*
		 * vstring_get_nonl() returns the bytes before EOF (or a read
		 * error) as a line: Postfix uses them; the next read sees EOF
		 */
		report_io(x->r, 'S', *line_r, *len_r);
		report_note(x->r, "(no LF: the connection ended after this line; Postfix reads the "
			    "bytes before EOF as a last line)");
		rx_auth_judge(x, *line_r, *len_r);
		return 1;
	}
	if (rc < 0) {
		size_t pend = linebuf_pending(&x->c.lb);

		if (pend > 0) {
			char buf[200];

			report_note(x->r, "EOF after %zu bytes without LF: %s", pend,
				    rx_show(buf, sizeof(buf), linebuf_pending_data(&x->c.lb), pend));
		}
		report_note(x->r, "connection closed by the helper");
		rx_note_exit(x);
		rx_auth_io_failure(x, "EOF");
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
		return rx_fail(x, "pattern %s: %s", op->pat.src, why);
	return rc;
}

/* rx_read_failed - the failure for a read that brought no line */
int rx_read_failed(struct rx *x, int rc, const char *wanted)
{
	char tb[32];

	if (rc == 0)
		return rx_fail(x, "no line within %s (expected %s)%s", rx_secs(rx_timeout(x), tb, sizeof(tb)),
			       wanted, x->o->time_scale != 1.0 ? "; timeouts are scaled" : "");
	if (rc == -2)
		return rx_fail(x, "line longer than %d bytes (expected %s)", TCONN_MAX_LINE, wanted);
	if (rc == -3)
		return -1;
	if (x->crashed)
		return rx_fail(x, "%s (expected %s)", x->crash, wanted);
	return rx_fail(x, "connection closed (expected %s)", wanted);
}

/* op_expect - S:, S? and S~: the next line matches, or an optional one waits */
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
		return op->optional && rc == -1 ? 0 : rx_read_failed(x, rc, op->pat.src);
	if ((m = expect_one(x, op, line, len)) < 0)
		return -1;
	if (m == 1)
		return 0;
	if (op->optional) {
		keep_back(x, line, len);
		return 0;
	}
	return rx_fail(x, "expected %s%s, got %s", op->is_regex ? "~" : "", op->pat.src,
		       rx_show(got, sizeof(got), line, len));
}

/* op_anyorder - every required line of the block in any order, then the optional ones */
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
			return rx_read_failed(x, rc, "the rest of the anyorder block");
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
			return rx_fail(x, "%s matches none of the anyorder lines still expected",
				       rx_show(got, sizeof(got), line, len));
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
			return rc == 0 || rc == -1 ? 0 : rx_read_failed(x, rc, "an optional anyorder line");
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

/* refers_to_id - the pattern uses {id} */
static int refers_to_id(const struct tpat *p)
{
	size_t i;

	for (i = 0; i < p->nseg; i++)
		if ((p->seg[i].kind == TSEG_VAR || p->seg[i].kind == TSEG_REF) &&
		    strcmp(p->seg[i].text, "id") == 0)
			return 1;
	return 0;
}

/* rx_set_id - the variable {id} */
int rx_set_id(struct rx *x, unsigned id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", id);
	return tvars_set(&x->v, "id", buf, strlen(buf));
}

/* op_send - C: the expanded line waits in x->pend; an AUTH or CONT is now in flight */
static int op_send(struct rx *x, const struct top *op)
{
	struct xbuf out;
	const char *why;
	int rc = -1;

	if (x->t->protocol == TPROTO_AUTH && op->pat.nseg > 0 && op->pat.seg[0].kind == TSEG_LIT &&
	    strncmp(op->pat.seg[0].text, "AUTH\t", 5) == 0 && refers_to_id(&op->pat)) {
		x->cur_id = x->next_id++;
		if (rx_set_id(x, x->cur_id) < 0)
			return rx_fail(x, "too many variables");
	}
	xbuf_init(&out, TRANSCRIPT_MAX_LINE + 2);
	if (tpat_expand(&op->pat, &x->v, &out, &why) < 0) {
		rx_fail(x, "%s in %s", why, op->pat.src);
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
		rx_fail(x, "line too long");
		goto out;
	}
	if (xbuf_append(&x->pend, out.data ? out.data : "", out.len) < 0)
		rx_fail(x, "too much to send at once");
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

/* op_expect_close - the helper closes before it sends another line */
static int op_expect_close(struct rx *x)
{
	const char *line;
	size_t len;
	char got[400];
	int rc = rx_read(x, rx_timeout(x), &line, &len);

	if (rc == -1)
		return 0;
	if (rc == 1)
		return rx_fail(x, "expected the helper to close, got %s", rx_show(got, sizeof(got), line, len));
	return rx_read_failed(x, rc, "a close");
}

/* op_expect_silence - no line for op->ms */
static int op_expect_silence(struct rx *x, const struct top *op)
{
	const char *line;
	size_t len;
	char got[400], tb[32];
	int rc = rx_read(x, (int)op->ms, &line, &len);

	if (rc == 0)
		return 0;
	if (rc == 1)
		return rx_fail(x, "expected silence for %s, got %s", rx_secs((int)op->ms, tb, sizeof(tb)),
			       rx_show(got, sizeof(got), line, len));
	if (rc == -1)
		return rx_fail(x, "expected silence for %s, the connection was closed%s%s",
			       rx_secs((int)op->ms, tb, sizeof(tb)), x->crashed ? ": " : "",
			       x->crashed ? x->crash : "");
	return rx_read_failed(x, rc, "silence");
}

/* --- driver ------------------------------------------------------------ */

/* run_op - one step; pending C: lines leave before any other */
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
		if (x->t->protocol == TPROTO_POLICY)
			return rx_op_expect_smtp_policy(x, op);
		return rx_op_expect_smtp(x, op);
	case TOP_EXPECT_ACTION:
		return rx_op_expect_action(x, op);
	case TOP_HANDSHAKE:
		return rx_op_handshake(x, op);
	case TOP_AUTH:
		return rx_op_auth(x, op);
	case TOP_CONT:
		return rx_op_cont(x, op);
	case TOP_POLICY:
		return rx_op_policy(x, op);
	case TOP_SESSION:
		return rx_op_session(x);
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
	msg_panic("replay run_op: op kind %d", (int)op->kind);
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

/* replay_run - one transcript as one check */
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
		rx_fail(&x, "%s", x.crash);
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
	rx_policy_free(&x);
	return x.res;
}
