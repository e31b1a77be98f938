/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_client - Postfix's side of the auth protocol, for the auth checks
 * SYNOPSIS
 *	#include "harness/check/auth_int.h"
 * DESCRIPTION
 *	What the auth checks talk through (auth_int.h): a connection to the
 *	helper (or a spawned one), Postfix's handshake (VERSION 1 0 and
 *	CPID in one write, the lines read up to DONE), Postfix's AUTH and
 *	CONT lines, one whole SMTP AUTH through the SASL client with every
 *	reply judged by the Postfix oracle (harness/postfix/pf_auth.h), and
 *	the reads that wait for the answer Postfix takes for an id. Every
 *	line read while a request is in flight is observed for the
 *	AUTH-REP-* checks (auth_replies.c). Request ids come from one
 *	counter for the whole run, as in one smtpd process.
 * DIAGNOSTICS
 *	What went wrong on the wire is a note in the report; a target that
 *	cannot be used sets x->fatal (auth_open).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/check/auth_int.h"
#include "harness/postfix/pf_sasl.h"
#include "proto/base64.h"
#include "util/escape.h"
#include "util/xmem.h"

/* auth_ms_now - a monotonic clock in ms */
long long auth_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * auth_open - connect (or spawn). Before any connection worked, a failure
 * ends the run (x->fatal); after, the service is gone: a death, found
 * during the current check.
 */
int auth_open(struct cx *x, struct tconn *c)
{
	struct tconn_options to = { x->o->stderr_apart, x->timeout_ms };
	char err[600];

	if (tconn_open(x->o->target, &to, c, err, sizeof(err)) < 0) {
		if (!x->connected) {
			x->fatal = 1;
			snprintf(x->fatal_why, sizeof(x->fatal_why), "%s", err);
			return -1;
		}
		report_note(x->r, "cannot connect: %s", err);
		death_gone(&x->life, x->r->cur ? x->r->cur->id : "?");
		return -1;
	}
	x->connected = 1;
	if (!x->probing)
		death_opened(&x->life);
	return 0;
}

/* auth_lost - the connection ended while a reply was awaited (postfix: to Postfix's lines) */
void auth_lost(struct cx *x, struct tconn *c, int postfix)
{
	if (!x->probing)
		death_dropped(&x->life, c, postfix && !x->odd);
}

/* auth_read - the next line of a reply to Postfix's request; EOF is a drop */
int auth_read(struct cx *x, struct tconn *c, const char **line_r, size_t *len_r)
{
	int rc;

	if (x->heard > AUTH_MAX_HEARD) {
		if (x->heard != (size_t)-1)
			report_note(x->r, "more than %d bytes of lines since the last request, without "
				    "the answer Postfix waits for: Postfix would read on (its 10 s "
				    "timeout is per read) and the SMTP session hang; reading stops "
				    "here", AUTH_MAX_HEARD);
		x->heard = (size_t)-1;
		return 0;
	}
	rc = tconn_read_line(c, x->timeout_ms, line_r, len_r);
	if (rc == 1)
		x->heard += *len_r + 1;
	if (rc == -1)
		auth_lost(x, c, 1);
	return rc;
}

/* auth_close - close and report what a spawned helper did */
void auth_close(struct cx *x, struct tconn *c)
{
	tconn_close(c);
	if (!x->probing)
		death_closed(&x->life, x->r, c);
	if (c->pid > 0 && WIFSIGNALED(c->exit_status))
		report_note(x->r, "the helper process was %s", tconn_exit_text(c));
	if (c->err.len > 0) {
		report_note(x->r, "the helper wrote to stderr (kept apart):");
		report_io(x->r, 'E', c->err.data, c->err.len > 2000 ? 2000 : c->err.len);
	}
	xbuf_free(&c->err);
}

/* auth_send_line - write and log; Postfix's stream drops what it read but did not use */
int auth_send_line(struct cx *x, struct tconn *c, const char *p, size_t len)
{
	size_t i, start = 0;
	const char *unread;
	size_t nunread = tconn_drop_unread(c, &unread);

	if (nunread > 0 && !x->quiet) {
		char shown[400];

		escape_for_log(shown, sizeof(shown), unread, nunread);
		report_note(x->r, "Postfix drops %zu unread byte%s that came in the same read as the "
			    "last line it used (its stream discards unread input when it writes): %s",
			    nunread, nunread == 1 ? "" : "s", shown);
	}

	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			size_t n = i - start;

			if (!x->quiet)
				report_io(x->r, 'C', p + start, n);
			if (x->o->book != NULL && x->r->cur != NULL && !x->probing &&
			    n > 5 && (memcmp(p + start, "AUTH\t", 5) == 0 ||
				      memcmp(p + start, "CONT\t", 5) == 0))
				confirm_book_line(x->o->book, x->r->cur->id, p + start, n, x->odd);
			if (n > sizeof(x->last_sent))
				n = sizeof(x->last_sent);
			memcpy(x->last_sent, p + start, n);
			x->last_sent_len = n;
			start = i + 1;
		}
	/* the requests a failure may show: AUTH and CONT, not the handshake */
	if (!x->probing && len > 5 && (memcmp(p, "AUTH\t", 5) == 0 || memcmp(p, "CONT\t", 5) == 0))
		death_sent(&x->life, p, len);
	x->heard = 0;
	if (tconn_write(c, p, len, x->timeout_ms) < 0) {
		report_note(x->r, "write failed: %s", strerror(errno));
		auth_lost(x, c, 1);
		return -1;
	}
	return 0;
}

/* book_want - the SMTP reply predicted for request id, for check --confirm */
static void book_want(struct cx *x, unsigned id, const struct pf_auth_verdict *v)
{
	if (x->o->book != NULL && x->r->cur != NULL && !x->probing && v->smtp[0])
		confirm_book_want(x->o->book, x->r->cur->id, id, v->smtp);
}

/* wire - a line read, into the report unless the probe is a bulk one */
static void wire(struct cx *x, char dir, const char *p, size_t len)
{
	if (!x->quiet)
		report_io(x->r, dir, p, len);
}

/*
 * auth_await - read until Postfix takes a line as the answer to id (or
 * the timeout, EOF); every line is observed. Returns the read code of the
 * last read (1 a line was taken).
 */
int auth_await(struct cx *x, struct tconn *c, unsigned id, struct pf_auth_verdict *v,
	       long long *ms_r)
{
	long long t0 = auth_ms_now();
	char skipped[300];
	size_t nskipped = 0;
	int rc;

	x->n_waits++;
	for (;;) {
		const char *l;
		size_t len;

		rc = auth_read(x, c, &l, &len);
		if (rc == -1 && tconn_read_last(c, &l, &len)) {
			/* Postfix reads the bytes before EOF as a last line */
			report_note(x->r, "no LF before EOF: Postfix reads these bytes as a last line");
			rc = 1;
		}
		if (rc != 1) {
			if (!x->quiet)
				report_note(x->r, "%s", rc == 0 ? "no reply within the timeout" :
					    rc == -2 ? "reply line too long" :
					    "the helper closed the connection");
			if (rc == 0 && nskipped > 0)
				auth_stalled(x, skipped, nskipped);
			pf_auth_io_failure(&x->o->version, v);
			book_want(x, id, v);
			break;
		}
		wire(x, 'S', l, len);
		pf_auth_judge(&x->o->version, id, l, len, v);
		auth_observe(x, id, l, len, v);
		if (v->outcome != PF_AUTH_SKIP) {
			book_want(x, id, v);
			break;
		}
		if (nskipped == 0) {
			nskipped = len < sizeof(skipped) ? len : sizeof(skipped);
			memcpy(skipped, l, nskipped);
		}
	}
	if (ms_r)
		*ms_r = auth_ms_now() - t0;
	return rc;
}

/*
 * auth_handshake - Postfix's side; returns pf_auth_handshake_line's final
 * code, -3 on I/O, -4 when lines came without end and no DONE
 */
int auth_handshake(struct cx *x, struct tconn *c, struct pf_auth_handshake *h, char *order,
		   size_t order_size, int *cr_seen)
{
	char hello[64];
	int n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n", (long)getpid());
	size_t used = 0;

	long long t0 = auth_ms_now(), tl = t0;

	pf_auth_handshake_init(h, &x->o->version);
	if (order_size)
		order[0] = '\0';
	if (auth_send_line(x, c, hello, (size_t)n) < 0)
		return -3;
	for (;;) {
		const char *line;
		size_t len;
		int rc = auth_read(x, c, &line, &len);
		long long now = auth_ms_now();

		if (x->hs_capture != NULL) {
			if (now - tl > x->hs_gap_ms)
				x->hs_gap_ms = now - tl;
			tl = now;
			x->hs_ms = now - t0;
			if (rc == 1 && (xbuf_append(x->hs_capture, line, len) < 0 ||
					xbuf_append_char(x->hs_capture, '\n') < 0))
				xbuf_reset(x->hs_capture);
		}

		if (rc == 0 && x->heard == (size_t)-1)
			return -4;
		if (rc == 0) {
			report_note(x->r, "no DONE within %d ms: Postfix's 10 s read timeout ends the "
				    "handshake", x->timeout_ms);
			return -3;
		}
		if (rc == -2) {
			report_note(x->r, "a handshake line longer than %d bytes", TCONN_MAX_LINE);
			return -3;
		}
		if (rc < 0) {
			report_note(x->r, "the helper closed the connection during the handshake");
			return -3;
		}
		report_io(x->r, 'S', line, len);
		if (len > 0 && line[len - 1] == '\r' && cr_seen)
			*cr_seen = 1;
		if (order_size && used + 2 < order_size) {
			if (len >= 4 && memcmp(line, "MECH", 4) == 0)
				order[used++] = 'M';
			else if (len >= 4 && memcmp(line, "SPID", 4) == 0)
				order[used++] = 'S';
			order[used] = '\0';
		}
		rc = pf_auth_handshake_line(h, line, len);
		if (rc != 0)
			return rc;
	}
}

/* auth_exchange - one AUTH as Postfix runs it; fills the final verdict */
void auth_exchange(struct cx *x, struct tconn *c, const char *mech_typed, enum sasl_mech mech,
		   const char *user, const char *password, unsigned id,
		   struct pf_auth_verdict *v, long long *max_latency)
{
	struct sasl_client_params cp = { user, NULL, password, "trace", NULL };
	struct sasl_client *cl = sasl_client_create(mech, &cp);
	struct xbuf msg, b64, line;
	int rc;
	char skipped[300];
	size_t skipped_len = 0;

	xbuf_init(&msg, SASL_MAX_MESSAGE);
	xbuf_init(&b64, 2 * SASL_MAX_MESSAGE);
	xbuf_init(&line, 4 * SASL_MAX_MESSAGE);
	memset(v, 0, sizeof(*v));
	rc = cl ? sasl_client_initial(cl, &msg) : -1;
	if (rc < 0 || (rc == 1 && base64_encode(msg.data, msg.len, &b64) < 0) ||
	    pf_auth_request(&line, id, mech_typed, "smtp", "127.0.0.1", "127.0.0.1", 0,
			    rc == 1 ? (b64.len ? xbuf_cstr(&b64) : "=") : NULL) < 0 ||
	    auth_send_line(x, c, line.data, line.len) < 0) {
		pf_auth_io_failure(&x->o->version, v);
		goto out;
	}
	x->n_waits++;
	for (;;) {
		const char *l;
		size_t len;
		long long t0 = auth_ms_now();
		int r = auth_read(x, c, &l, &len);
		long long dt = auth_ms_now() - t0;

		if (max_latency && r >= 0)
			x->n_timed++;	/* a reply, or the timeout: both are times */
		if (max_latency && dt > *max_latency)
			*max_latency = dt;
		if (r <= 0 || r == -2) {
			report_note(x->r, "%s", r == 0 ? "no reply within the timeout" :
				    r == -2 ? "reply line too long" : "the helper closed the connection");
			if (r == 0 && skipped_len > 0)
				auth_stalled(x, skipped, skipped_len);
			pf_auth_io_failure(&x->o->version, v);
			book_want(x, id, v);
			report_note(x->r, "Postfix would answer: %s (%s)", v->smtp, v->note);
			goto out;
		}
		report_io(x->r, 'S', l, len);
		pf_auth_judge(&x->o->version, id, l, len, v);
		auth_observe(x, id, l, len, v);
		if (v->note[0])
			report_note(x->r, "%s", v->note);
		if (v->outcome == PF_AUTH_SKIP) {
			if (skipped_len == 0) {
				skipped_len = len < sizeof(skipped) ? len : sizeof(skipped);
				memcpy(skipped, l, skipped_len);
			}
			continue;
		}
		skipped_len = 0;
		book_want(x, id, v);
		{
			char shown[400];

			report_note(x->r, "Postfix would answer: %s",
				    report_shown(shown, sizeof(shown), v->smtp, strlen(v->smtp)));
		}
		if (v->outcome != PF_AUTH_MORE)
			goto out;
		/* the SMTP client answers the 334 challenge */
		{
			const char *text = v->smtp + 4;
			const char *err;

			xbuf_reset(&msg);
			xbuf_reset(&b64);
			xbuf_reset(&line);
			if (base64_decode(text, strlen(text), 0, &msg, &err) < 0) {
				report_note(x->r, "the 334 challenge is not valid base64 (%s): the SMTP "
					    "client gives up with '*' (Postfix: 501 5.7.0)", err);
				v->outcome = PF_AUTH_FAIL;
				snprintf(v->smtp, sizeof(v->smtp), "501 5.7.0 Authentication aborted");
				goto out;
			}
			if (sasl_client_step(cl, msg.data ? msg.data : "", msg.len, &b64, &err) < 0) {
				report_note(x->r, "the SMTP client cannot answer the challenge: %s", err);
				v->outcome = PF_AUTH_FAIL;
				snprintf(v->smtp, sizeof(v->smtp), "501 5.7.0 Authentication aborted");
				goto out;
			}
			xbuf_reset(&msg);
			if (base64_encode(b64.data, b64.len, &msg) < 0 ||
			    xbuf_printf(&line, "CONT\t%u\t%s\n", id, xbuf_cstr(&msg)) < 0 ||
			    auth_send_line(x, c, line.data, line.len) < 0) {
				pf_auth_io_failure(&x->o->version, v);
				goto out;
			}
		}
	}
out:
	sasl_client_destroy(&cl);
	xbuf_free_wipe(&msg);
	xbuf_free_wipe(&b64);
	xbuf_free_wipe(&line);
}

/* auth_fresh - a new connection with a completed handshake, or -1 */
int auth_fresh(struct cx *x, struct tconn *c)
{
	struct pf_auth_handshake h;

	if (auth_open(x, c) < 0)
		return -1;
	if (auth_handshake(x, c, &h, NULL, 0, NULL) != 1) {
		report_note(x->r, "the handshake did not complete");
		auth_close(x, c);
		return -1;
	}
	return 0;
}

/* auth_fresh_or_fail - a new connection, or the check fails: "could not open a connection" */
int auth_fresh_or_fail(struct cx *x, struct tconn *c)
{
	if (auth_fresh(x, c) == 0)
		return 0;
	check_end(x->cr, CHECK_FAIL, "could not open a connection");
	return -1;
}

/* auth_wrong_password - the account's password made wrong */
const char *auth_wrong_password(const char *pw, char *buf, size_t size)
{
	snprintf(buf, size, "%s-wrong", pw);
	return buf;
}

/* auth_run_mech - right or wrong password through one mechanism; returns the outcome */
enum pf_auth_outcome auth_run_mech(struct cx *x, const char *typed, enum sasl_mech m, int right,
				   long long *lat)
{
	struct tconn c;
	struct pf_auth_verdict v;
	char wrong[300];

	if (auth_fresh(x, &c) < 0)
		return PF_AUTH_TEMP;
	auth_exchange(x, &c, typed, m, x->o->user,
		      right ? x->o->password : auth_wrong_password(x->o->password, wrong, sizeof(wrong)),
		      ++x->next_id, &v, lat);
	auth_close(x, &c);
	return v.outcome;
}

/* auth_plain_b64 - base64 of PLAIN's "\0user\0password" */
int auth_plain_b64(const char *user, const char *password, struct xbuf *out)
{
	struct xbuf b;
	int rc;

	xbuf_init(&b, 4096);
	rc = xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, user) == 0 &&
	     xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, password) == 0 &&
	     base64_encode(b.data, b.len, out) == 0 ? 0 : -1;
	xbuf_free_wipe(&b);
	return rc;
}

/* auth_send_request - Postfix's AUTH line (resp NULL: no initial response) */
int auth_send_request(struct cx *x, struct tconn *c, unsigned id, const char *mech,
		      const char *rip, const char *resp)
{
	struct xbuf l;
	int rc;

	xbuf_init(&l, 16384);
	rc = pf_auth_request(&l, id, mech, "smtp", "127.0.0.1", rip, 0, resp) < 0 ? -1 :
	     auth_send_line(x, c, l.data, l.len);
	xbuf_free_wipe(&l);
	return rc;
}

/* auth_send_cont - CONT id data */
int auth_send_cont(struct cx *x, struct tconn *c, unsigned id, const char *data)
{
	struct xbuf l;
	int rc;

	xbuf_init(&l, 16384);
	rc = pf_auth_cont(&l, id, data) < 0 ? -1 : auth_send_line(x, c, l.data, l.len);
	xbuf_free_wipe(&l);
	return rc;
}

/* auth_say - the verdict's SMTP reply as a printable text */
const char *auth_say(const struct pf_auth_verdict *v, char *buf, size_t size)
{
	return report_shown(buf, size, v->smtp, strlen(v->smtp));
}
