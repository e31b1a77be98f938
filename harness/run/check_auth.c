/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check_auth - conformance checks for a Dovecot-protocol auth helper
 * SYNOPSIS
 *	#include "harness/run/check_auth.h"
 * DESCRIPTION
 *	See check_auth.h. Each check opens its own connection(s) so that one
 *	broken exchange cannot spoil the next, except where a check is about
 *	a reused connection. Request ids come from one counter for the whole
 *	run, as in one smtpd process.
 * DIAGNOSTICS
 *	Target problems (cannot connect, helper cannot start) end the run
 *	with -1; everything the helper does wrong is a failed check.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/run/check_auth.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "util/escape.h"
#include "util/xmem.h"

struct cx {
	const struct check_auth_options *o;
	struct report *r;
	unsigned next_id;
	int timeout_ms;
	int fatal;
	char fatal_why[700];
	/* what the first handshake showed */
	struct pf_auth_handshake hs;
	int hs_rc;
	char *hslog;		/* wire log of the first handshake */
};

static const struct check_info checks[] = {
	{ "AUTH-HANDSHAKE-001", "handshake completes as Postfix reads it", SEV_BREAKS_POSTFIX,
	  "Postfix reads VERSION/MECH/SPID/DONE; on failure smtpd exits with \"no SASL "
	  "authentication mechanisms\" and the SMTP client sees the connection drop" },
	{ "AUTH-HANDSHAKE-002", "MECH lines come before SPID", SEV_BREAKS_POSTFIX,
	  "Postfix >= 3.0 takes SPID before any MECH for the auth-master socket and refuses "
	  "it (the documented order SPID, CUID, COOKIE, MECH is wrong)" },
	{ "AUTH-HANDSHAKE-003", "lines end in LF, not CRLF", SEV_BREAKS_POSTFIX,
	  "Postfix keeps a CR as data: DONE\\r never ends the handshake, user=bob\\r becomes bob?" },
	{ "AUTH-HANDSHAKE-004", "a mechanism remains after smtpd_sasl_security_options = noanonymous",
	  SEV_BREAKS_POSTFIX, "with an empty list smtpd exits: no SASL authentication mechanisms" },
	{ "AUTH-HANDSHAKE-005", "nothing is sent after DONE", SEV_ADVISORY,
	  "Postfix reads stray lines later as replies: an unsolicited OK for id 1 would be taken "
	  "as the answer to request 1" },
	{ "AUTH-MECH-001", "every advertised mechanism succeeds with the right password",
	  SEV_BREAKS_POSTFIX, "a mechanism that can never succeed is still offered in EHLO" },
	{ "AUTH-MECH-002", "every advertised mechanism fails with a wrong password", SEV_SECURITY,
	  "fail-open: a helper that accepts any password lets anyone relay" },
	{ "AUTH-REQ-001", "mechanism name in lower case is accepted", SEV_BREAKS_POSTFIX,
	  "Postfix passes the mechanism exactly as the SMTP client typed it" },
	{ "AUTH-REQ-002", "request ids that do not start at 1", SEV_BREAKS_POSTFIX,
	  "one id counter lives as long as the smtpd process; after a reconnect ids go on" },
	{ "AUTH-REQ-003", "an abandoned request does not block the next one", SEV_BREAKS_POSTFIX,
	  "Postfix never sends CANCEL: after '*' or a client disconnect the request stays "
	  "pending and the next AUTH uses a new id on the same connection" },
	{ "AUTH-REQ-004", "invalid base64 gets FAIL code=invalid_base64, connection kept",
	  SEV_DIVERGES_DOVECOT, "Postfix checks only the base64 alphabet; Dovecot answers "
	  "FAIL code=invalid_base64 and keeps the connection" },
	{ "AUTH-REQ-005", "Postfix's exact AUTH fields are accepted", SEV_BREAKS_POSTFIX,
	  "Postfix sends service= (not protocol=), bare nologin, lip=/rip= and secured" },
	{ "AUTH-REP-001", "a failed password is not reported as a temporary failure", SEV_ADVISORY,
	  "Postfix ignores code=temp_fail and answers 535 5.7.8 (permanent), not 454: a helper "
	  "that means \"try later\" is not heard" },
	{ "AUTH-REP-002", "user names are tab-escaped in replies", SEV_BREAKS_POSTFIX,
	  "a raw TAB or LF in user= splits Postfix's parse of the reply; Dovecot writes \\001t" },
	{ "AUTH-LAT-001", "replies arrive well within Postfix's 10 s read timeout",
	  SEV_BREAKS_POSTFIX, "past 10 s Postfix drops the connection and answers 454 4.7.0" },
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

void check_auth_list(FILE *out)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		fprintf(out, "%-18s [%s] %s\n", checks[i].id, report_severity_name(checks[i].severity),
			checks[i].title);
}

/* selected - --only / --skip by id prefix */
static int list_match(const char *list, const char *id)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n > 0 && strncasecmp(id, p, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int selected(const struct cx *x, const char *id)
{
	if (x->o->only && !list_match(x->o->only, id))
		return 0;
	if (x->o->skip && list_match(x->o->skip, id))
		return 0;
	return 1;
}

static const struct check_info *begin(struct cx *x, const char *id)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].id, id) == 0) {
			if (!selected(x, id))
				return NULL;
			report_begin(x->r, &checks[i]);
			if (x->hslog != NULL && strncmp(id, "AUTH-HANDSHAKE-", 15) == 0 &&
			    xbuf_append_str(&x->r->log, x->hslog) < 0)
				xbuf_reset(&x->r->log);
			return &checks[i];
		}
	return NULL;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* cx_open - connect (or spawn); on failure the run cannot go on */
static int cx_open(struct cx *x, struct tconn *c)
{
	struct tconn_options to = { x->o->stderr_apart, x->timeout_ms };
	char err[600];

	if (tconn_open(x->o->target, &to, c, err, sizeof(err)) < 0) {
		x->fatal = 1;
		snprintf(x->fatal_why, sizeof(x->fatal_why), "%s", err);
		return -1;
	}
	return 0;
}

/* cx_close - close and report what a spawned helper did */
static void cx_close(struct cx *x, struct tconn *c)
{
	tconn_close(c);
	if (c->pid > 0 && WIFSIGNALED(c->exit_status))
		report_note(x->r, "the helper process was %s", tconn_exit_text(c));
	if (c->err.len > 0) {
		report_note(x->r, "the helper wrote to stderr (kept apart):");
		report_io(x->r, 'E', c->err.data, c->err.len > 2000 ? 2000 : c->err.len);
	}
	xbuf_free(&c->err);
}

/* send_line - write and log */
static int send_line(struct cx *x, struct tconn *c, const char *p, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			report_io(x->r, 'C', p + start, i - start);
			start = i + 1;
		}
	if (tconn_write(c, p, len, x->timeout_ms) < 0) {
		report_note(x->r, "write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* handshake - Postfix's side; returns pf_auth_handshake_line's final code, or -3 on I/O */
static int handshake(struct cx *x, struct tconn *c, struct pf_auth_handshake *h, char *order,
		     size_t order_size, int *cr_seen)
{
	char hello[64];
	int n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n", (long)getpid());
	size_t used = 0;

	pf_auth_handshake_init(h, &x->o->version);
	if (order_size)
		order[0] = '\0';
	if (send_line(x, c, hello, (size_t)n) < 0)
		return -3;
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(c, x->timeout_ms, &line, &len);

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

/* exchange - one AUTH as Postfix runs it; fills the final verdict */
static void exchange(struct cx *x, struct tconn *c, const char *mech_typed, enum sasl_mech mech,
		     const char *user, const char *password, unsigned id,
		     struct pf_auth_verdict *v, long long *max_latency)
{
	struct sasl_client_params cp = { user, NULL, password, "trace", NULL };
	struct sasl_client *cl = sasl_client_create(mech, &cp);
	struct xbuf msg, b64, line;
	int rc;

	xbuf_init(&msg, SASL_MAX_MESSAGE);
	xbuf_init(&b64, 2 * SASL_MAX_MESSAGE);
	xbuf_init(&line, 4 * SASL_MAX_MESSAGE);
	memset(v, 0, sizeof(*v));
	rc = cl ? sasl_client_initial(cl, &msg) : -1;
	if (rc < 0 || (rc == 1 && base64_encode(msg.data, msg.len, &b64) < 0) ||
	    pf_auth_request(&line, id, mech_typed, "smtp", "127.0.0.1", "127.0.0.1", 0,
			    rc == 1 ? (b64.len ? xbuf_cstr(&b64) : "=") : NULL) < 0 ||
	    send_line(x, c, line.data, line.len) < 0) {
		pf_auth_io_failure(&x->o->version, v);
		goto out;
	}
	for (;;) {
		const char *l;
		size_t len;
		long long t0 = ms_now();
		int r = tconn_read_line(c, x->timeout_ms, &l, &len);
		long long dt = ms_now() - t0;

		if (max_latency && dt > *max_latency)
			*max_latency = dt;
		if (r <= 0 || r == -2) {
			report_note(x->r, "%s", r == 0 ? "no reply within the timeout" :
				    r == -2 ? "reply line too long" : "the helper closed the connection");
			pf_auth_io_failure(&x->o->version, v);
			report_note(x->r, "Postfix would answer: %s (%s)", v->smtp, v->note);
			goto out;
		}
		report_io(x->r, 'S', l, len);
		pf_auth_judge(&x->o->version, id, l, len, v);
		if (v->note[0])
			report_note(x->r, "%s", v->note);
		if (v->outcome == PF_AUTH_SKIP)
			continue;
		{
			char shown[400];

			report_note(x->r, "Postfix would answer: %s",
				    escape_for_log(shown, sizeof(shown), v->smtp, strlen(v->smtp)));
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
			    send_line(x, c, line.data, line.len) < 0) {
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

/* fresh - a new connection with a completed handshake, or -1 */
static int fresh(struct cx *x, struct tconn *c)
{
	struct pf_auth_handshake h;

	if (cx_open(x, c) < 0)
		return -1;
	if (handshake(x, c, &h, NULL, 0, NULL) != 1) {
		report_note(x->r, "the handshake did not complete");
		cx_close(x, c);
		return -1;
	}
	return 0;
}

static const char *wrong_password(const char *pw, char *buf, size_t size)
{
	snprintf(buf, size, "%s-wrong", pw);
	return buf;
}

/* run_mech - right or wrong password through one mechanism; returns the outcome */
static enum pf_auth_outcome run_mech(struct cx *x, const char *typed, enum sasl_mech m, int right,
				     long long *lat)
{
	struct tconn c;
	struct pf_auth_verdict v;
	char wrong[300];

	if (fresh(x, &c) < 0)
		return PF_AUTH_TEMP;
	exchange(x, &c, typed, m, x->o->user,
		 right ? x->o->password : wrong_password(x->o->password, wrong, sizeof(wrong)),
		 ++x->next_id, &v, lat);
	cx_close(x, &c);
	return v.outcome;
}

/* data_checks - the catalogue's transcripts (harness/run/catalogue.c), after the C checks */
static void data_checks(const struct check_auth_options *o, struct report *r,
			const char *const *mechs, size_t nmechs, const char *skip_all)
{
	struct catalogue_run_options co;

	if (o->catalogue == NULL)
		return;
	memset(&co, 0, sizeof(co));
	co.target = o->target;
	co.version = o->version;
	co.time_scale = o->time_scale;
	co.stderr_apart = o->stderr_apart;
	co.only = o->only;
	co.skip = o->skip;
	co.defines = o->defines;
	co.user = o->user;
	co.password = o->password;
	co.mechs = mechs;
	co.nmechs = nmechs;
	co.skip_all = skip_all;
	catalogue_run_auth(o->catalogue, &co, r);
}

int check_auth_run(const struct check_auth_options *o, struct report *r)
{
	struct cx x;
	struct tconn c;
	char order[64];
	int cr = 0;
	const char *names[PF_AUTH_MAX_MECHS];
	size_t nnames, i;
	int have_account = o->user != NULL && o->password != NULL;
	long long max_latency = 0;
	enum sasl_mech runnable[SASL_MECH_COUNT];
	const char *runnable_names[SASL_MECH_COUNT];
	size_t nrun = 0;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.r = r;
	x.timeout_ms = (int)(PF_AUTH_TIMEOUT_MS * (o->time_scale > 0 ? o->time_scale : 1.0));
	if (x.timeout_ms < 50)
		x.timeout_ms = 50;

	/* the handshake checks share one connection and its wire log */
	report_begin(r, &checks[0]);
	if (cx_open(&x, &c) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", x.fatal_why);
		return -1;
	}
	x.hs_rc = handshake(&x, &c, &x.hs, order, sizeof(order), &cr);
	x.hslog = xstrdup(xbuf_cstr(&r->log));
	if (begin(&x, "AUTH-HANDSHAKE-001")) {
		if (x.hs_rc == 1)
			report_end(r, CHECK_PASS, "DONE after %zu mechanism(s)", x.hs.nmechs);
		else if (x.hs_rc == -2)
			report_end(r, CHECK_FAIL, "%s", x.hs.why);
		else
			report_end(r, CHECK_FAIL, "%s; Postfix: smtpd fatal \"no SASL authentication "
				   "mechanisms\", the SMTP client's connection drops after 220",
				   x.hs_rc == -1 ? x.hs.why : "no DONE");
	}
	if (begin(&x, "AUTH-HANDSHAKE-002")) {
		const char *m = strchr(order, 'M'), *s = strchr(order, 'S');

		if (s != NULL && (m == NULL || s < m))
			report_end(r, CHECK_FAIL, "SPID arrived before the first MECH line; Postfix >= 3.0: "
				   "\"SASL: Connected to wrong auth socket\". Send MECH lines, then "
				   "SPID, CUID, COOKIE, DONE (what Dovecot really does)");
		else
			report_end(r, CHECK_PASS, "%s", "");
	}
	if (begin(&x, "AUTH-HANDSHAKE-003")) {
		if (cr)
			report_end(r, CHECK_FAIL, "handshake lines end in CR LF; end lines with LF only");
		else
			report_end(r, CHECK_PASS, "%s", "");
	}
	nnames = pf_auth_filter(&x.hs, 0, DVAUTH_MECH_ANONYMOUS, names, PF_AUTH_MAX_MECHS);
	if (begin(&x, "AUTH-HANDSHAKE-004")) {
		if (x.hs_rc != 1)
			report_end(r, CHECK_SKIP, "the handshake did not complete");
		else if (nnames == 0)
			report_end(r, CHECK_FAIL, "no usable mechanism: smtpd exits with \"no SASL "
				   "authentication mechanisms\"");
		else
			report_end(r, CHECK_PASS, "%zu mechanism(s) usable", nnames);
	}
	if (begin(&x, "AUTH-HANDSHAKE-005")) {
		const char *line;
		size_t len;
		int rc = x.hs_rc == 1 ? tconn_read_line(&c, x.timeout_ms / 20 + 50, &line, &len) : -9;

		if (rc == -9)
			report_end(r, CHECK_SKIP, "the handshake did not complete");
		else if (rc == 1) {
			report_io(r, 'S', line, len);
			report_end(r, CHECK_FAIL, "a line arrived after DONE before any request; Postfix "
				   "will read it as a reply to its next request");
		} else
			report_end(r, CHECK_PASS, "%s", "");
	}
	cx_close(&x, &c);
	if (x.hs_rc != 1) {
		/* nothing else can be tested without a working handshake */
		for (i = 5; i < NCHECKS; i++)
			if (begin(&x, checks[i].id))
				report_end(r, CHECK_SKIP, "the handshake does not complete");
		data_checks(o, r, NULL, 0, "the handshake does not complete");
		free(x.hslog);
		return 0;
	}
	free(x.hslog);
	x.hslog = NULL;

	for (i = 0; i < nnames; i++) {
		const struct sasl_mech_info *mi = sasl_mech_by_name(names[i], strlen(names[i]));

		if (mi && mi->mech != SASL_MECH_ANONYMOUS && mi->mech != SASL_MECH_EXTERNAL &&
		    nrun < SASL_MECH_COUNT) {
			runnable[nrun] = mi->mech;
			runnable_names[nrun++] = names[i];
		}
	}

	if (begin(&x, "AUTH-MECH-001")) {
		char bad[512] = "";

		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (nrun == 0)
			report_end(r, CHECK_SKIP, "no advertised mechanism that fake-smtpd can run");
		else {
			for (i = 0; i < nrun; i++) {
				enum pf_auth_outcome oc = run_mech(&x, runnable_names[i], runnable[i], 1,
								   &max_latency);

				if (oc != PF_AUTH_DONE)
					snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s (%s)",
						 bad[0] ? ", " : "", runnable_names[i], pf_auth_outcome_name(oc));
			}
			if (bad[0])
				report_end(r, CHECK_FAIL, "no 235 for: %s", bad);
			else
				report_end(r, CHECK_PASS, "%zu mechanism(s) gave 235", nrun);
		}
	}
	if (begin(&x, "AUTH-MECH-002")) {
		char bad[512] = "";

		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (nrun == 0)
			report_end(r, CHECK_SKIP, "no advertised mechanism that fake-smtpd can run");
		else {
			for (i = 0; i < nrun; i++) {
				enum pf_auth_outcome oc = run_mech(&x, runnable_names[i], runnable[i], 0,
								   &max_latency);

				if (oc != PF_AUTH_FAIL)
					snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s (%s)",
						 bad[0] ? ", " : "", runnable_names[i], pf_auth_outcome_name(oc));
			}
			if (bad[0])
				report_end(r, CHECK_FAIL, "a wrong password did not give 535 for: %s%s", bad,
					   strstr(bad, "done") ? " - FAIL-OPEN: any password is accepted" : "");
			else
				report_end(r, CHECK_PASS, "%zu mechanism(s) gave 535", nrun);
		}
	}
	/* PLAIN-based checks: the simplest exchange Postfix sends */
	{
		int have_plain = 0;

		for (i = 0; i < nrun; i++)
			if (runnable[i] == SASL_MECH_PLAIN)
				have_plain = 1;
		if (begin(&x, "AUTH-REQ-001")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (run_mech(&x, "plain", SASL_MECH_PLAIN, 1, &max_latency) == PF_AUTH_DONE)
				report_end(r, CHECK_PASS, "%s", "");
			else
				report_end(r, CHECK_FAIL, "AUTH with mechanism \"plain\" did not succeed; "
					   "compare mechanism names case-insensitively");
		}
		if (begin(&x, "AUTH-REQ-002")) {
			unsigned saved = x.next_id;

			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else {
				enum pf_auth_outcome oc;

				x.next_id = 4294967000u;
				oc = run_mech(&x, "PLAIN", SASL_MECH_PLAIN, 1, &max_latency);
				x.next_id = saved + 1;
				if (oc == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "id 4294967001 on a fresh connection");
				else
					report_end(r, CHECK_FAIL, "a fresh connection whose first id is "
						   "4294967001 did not authenticate (%s)", pf_auth_outcome_name(oc));
			}
		}
		if (begin(&x, "AUTH-REQ-003")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l;
				struct pf_auth_verdict v;
				const char *line;
				size_t len;

				/* AUTH PLAIN without resp: the server asks; the SMTP client aborts */
				xbuf_init(&l, 1024);
				if (pf_auth_request(&l, ++x.next_id, "PLAIN", "smtp", "127.0.0.1",
						    "127.0.0.1", 0, NULL) == 0)
					(void)send_line(&x, &c, l.data, l.len);
				if (tconn_read_line(&c, x.timeout_ms, &line, &len) == 1)
					report_io(r, 'S', line, len);
				report_note(r, "the SMTP client sends '*': Postfix answers 501 5.7.0 and "
					    "sends nothing to the helper");
				xbuf_free(&l);
				exchange(&x, &c, "PLAIN", SASL_MECH_PLAIN, o->user, o->password,
					 ++x.next_id, &v, &max_latency);
				cx_close(&x, &c);
				if (v.outcome == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "%s", "");
				else
					report_end(r, CHECK_FAIL, "after an abandoned request the next AUTH "
						   "got %s; keep several pending ids per connection",
						   v.smtp[0] ? v.smtp : pf_auth_outcome_name(v.outcome));
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
		if (begin(&x, "AUTH-REQ-004")) {
			if (!have_plain)
				report_end(r, CHECK_SKIP, "needs PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l;
				const char *line;
				size_t len;
				int rc;
				unsigned id = ++x.next_id;
				int ok_fail = 0, kept = 0;

				xbuf_init(&l, 1024);
				/* charset-valid but unpadded: Postfix passes it on verbatim */
				if (pf_auth_request(&l, id, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
						    "AGFsaWNlAHNlY3JldA") == 0)
					(void)send_line(&x, &c, l.data, l.len);
				rc = tconn_read_line(&c, x.timeout_ms, &line, &len);
				if (rc == 1) {
					char want[64];

					report_io(r, 'S', line, len);
					snprintf(want, sizeof(want), "FAIL\t%u\t", id);
					ok_fail = len > strlen(want) && memcmp(line, want, strlen(want)) == 0 &&
						  memmem(line, len, "code=invalid_base64", 19) != NULL;
				}
				/* is the connection still usable? */
				xbuf_reset(&l);
				if (pf_auth_request(&l, ++x.next_id, "PLAIN", "smtp", "127.0.0.1",
						    "127.0.0.1", 0, NULL) == 0 &&
				    tconn_write(&c, l.data, l.len, x.timeout_ms) == 0) {
					report_io(r, 'C', l.data, l.len - 1);
					rc = tconn_read_line(&c, x.timeout_ms, &line, &len);
					if (rc == 1) {
						report_io(r, 'S', line, len);
						kept = 1;
					}
				}
				xbuf_free(&l);
				cx_close(&x, &c);
				if (ok_fail && kept)
					report_end(r, CHECK_PASS, "%s", "");
				else
					report_end(r, CHECK_FAIL, "%s%s", ok_fail ? "" :
						   "no \"FAIL <id> code=invalid_base64\" for unpadded base64; ",
						   kept ? "" : "the connection was not usable afterwards");
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
		if (begin(&x, "AUTH-REQ-005")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l, b;
				struct pf_auth_verdict v;
				const char *line;
				size_t len;
				unsigned id = ++x.next_id;

				xbuf_init(&l, 4096);
				xbuf_init(&b, 4096);
				if (xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, o->user) == 0 &&
				    xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, o->password) == 0) {
					struct xbuf e;

					xbuf_init(&e, 8192);
					if (base64_encode(b.data, b.len, &e) == 0 &&
					    pf_auth_request(&l, id, "PLAIN", "smtp", "", "::1", 1,
							    xbuf_cstr(&e)) == 0)
						(void)send_line(&x, &c, l.data, l.len);
					xbuf_free_wipe(&e);
				}
				memset(&v, 0, sizeof(v));
				while (tconn_read_line(&c, x.timeout_ms, &line, &len) == 1) {
					report_io(r, 'S', line, len);
					pf_auth_judge(&o->version, id, line, len, &v);
					if (v.outcome != PF_AUTH_SKIP)
						break;
				}
				cx_close(&x, &c);
				xbuf_free_wipe(&l);
				xbuf_free_wipe(&b);
				if (v.outcome == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "empty lip=, IPv6 rip=, secured accepted");
				else
					report_end(r, CHECK_FAIL, "AUTH with an empty lip=, rip=::1 and the bare "
						   "secured flag did not succeed (%s)",
						   v.smtp[0] ? v.smtp : "no reply");
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
	}
	/* reply shape checks over one raw PLAIN exchange each */
	{
		static const struct {
			const char *id;
			const char *user;
		} rows[] = { { "AUTH-REP-001", NULL }, { "AUTH-REP-002", "tab\tuser" } };
		int have_plain = 0;

		for (i = 0; i < nrun; i++)
			if (runnable[i] == SASL_MECH_PLAIN)
				have_plain = 1;
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			const char *user = rows[i].user ? rows[i].user : o->user;
			struct pf_auth_verdict v;
			char wrong[300];
			struct xbuf raw;

			if (!begin(&x, rows[i].id))
				continue;
			if (!have_plain || user == NULL || o->password == NULL) {
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
				continue;
			}
			if (fresh(&x, &c) < 0) {
				report_end(r, CHECK_FAIL, "could not open a connection");
				continue;
			}
			exchange(&x, &c, "PLAIN", SASL_MECH_PLAIN, user,
				 wrong_password(o->password, wrong, sizeof(wrong)), ++x.next_id, &v, &max_latency);
			cx_close(&x, &c);
			/* the wire log holds the reply lines: look at them raw */
			xbuf_init(&raw, 0);
			if (xbuf_append_str(&raw, xbuf_cstr(&r->log)) < 0)
				xbuf_reset(&raw);
			if (strcmp(rows[i].id, "AUTH-REP-001") == 0) {
				if (strstr(xbuf_cstr(&raw), "code=temp_fail") || strstr(xbuf_cstr(&raw), "\\ttemp\\t") ||
				    strstr(xbuf_cstr(&raw), "\\ttemp\n"))
					report_end(r, CHECK_FAIL, "a wrong password got FAIL with a temporary-failure "
						   "code; Postfix answers %s all the same", v.smtp);
				else
					report_end(r, CHECK_PASS, "%s", "");
			} else {
				/* the log shows TAB as \t: a raw one appears as "user=tab\tuser" */
				if (strstr(xbuf_cstr(&raw), "S: FAIL") && strstr(xbuf_cstr(&raw), "user=tab\\tuser"))
					report_end(r, CHECK_FAIL, "the user name \"tab<TAB>user\" came back with a raw "
						   "TAB; escape values as Dovecot does (TAB -> \\001t, LF -> \\001n, "
						   "\\001 -> \\0011)");
				else
					report_end(r, CHECK_PASS, "%s", "");
			}
			xbuf_free(&raw);
		}
	}
	if (begin(&x, "AUTH-LAT-001")) {
		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (max_latency >= x.timeout_ms)
			report_end(r, CHECK_FAIL, "a reply took %lld ms or more (Postfix's 10 s "
				   "timeout x %.2f); Postfix gives up and answers 454 4.7.0", max_latency,
				   o->time_scale > 0 ? o->time_scale : 1.0);
		else
			report_end(r, CHECK_PASS, "slowest reply %lld ms", max_latency);
	}
	if (!x.fatal)
		data_checks(o, r, names, nnames, NULL);
	if (x.fatal) {
		fprintf(stderr, "fake-smtpd: %s\n", x.fatal_why);
		return -1;
	}
	return 0;
}
