/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay_auth - the Dovecot auth steps of the replay engine
 * SYNOPSIS
 *	#include "harness/replay/replay_int.h"
 *
 *	int rx_op_handshake(struct rx *x, const struct top *op);
 *	int rx_op_auth(struct rx *x, const struct top *op);
 *	int rx_op_cont(struct rx *x, const struct top *op);
 *	int rx_op_session(struct rx *x);
 *	int rx_op_expect_smtp(struct rx *x, const struct top *op);
 *	void rx_auth_judge(struct rx *x, const char *line, size_t len);
 *	void rx_auth_io_failure(struct rx *x, const char *what);
 * DESCRIPTION
 *	Postfix's side of the auth protocol (replay.h): "handshake" writes
 *	VERSION and CPID in one write and reads to DONE as
 *	xsasl_dovecot_server_connect does; "auth" runs a whole exchange
 *	through the SASL client, connecting and doing the handshake first
 *	when not connected; after a broken connection the next AUTH does
 *	what o->version does (pf_auth_link_after, pf_auth_next_request:
 *	reconnect; or a failed write, then reconnect under the next id;
 *	or, after EOF over TCP before the fix, 454 again); "cont" sends one CONT; "expect smtp" waits for
 *	Postfix's verdict and compares its SMTP reply. "session" begins an
 *	SMTP session (rx_op_session): until the next one, an AUTH after a
 *	successful one is answered 503 5.5.1 without reaching the helper
 *	(smtpd_sasl_proto.c: state->sasl_username is set). Without it each
 *	AUTH is judged as a session of its own, since one helper
 *	connection serves many SMTP sessions.
 *	rx_auth_judge() is what Postfix makes of a line read while an AUTH
 *	is in flight, rx_auth_io_failure() its answer when the helper goes
 *	away or is late.
 * DIAGNOSTICS
 *	Into the report, through rx_fail().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness/postfix/pf_sasl.h"
#include "harness/replay/replay_int.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "util/xmem.h"

/* pfv - the version judged, as text ("3.7.11") */
static const char *pfv(const struct rx *x, char *buf, size_t size)
{
	if (pf_version_format(&x->o->version, buf, size) < 0)
		snprintf(buf, size, "?");
	return buf;
}

/* rx_auth_judge - what Postfix makes of a reply while a request is in flight */
void rx_auth_judge(struct rx *x, const char *line, size_t len)
{
	struct pf_auth_verdict v;
	char vb[40];

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
	if (v.outcome == PF_AUTH_DONE && x->session)
		x->session_authed = 1;
	report_note(x->r, "Postfix %s would answer: %s%s%s%s", pfv(x, vb, sizeof(vb)), v.smtp, v.note[0] ? " (" : "", v.note, v.note[0] ? ")" : "");
}

/* rx_auth_io_failure - Postfix's answer when the helper goes away or is late */
void rx_auth_io_failure(struct rx *x, const char *what)
{
	struct pf_auth_verdict v;
	char vb[40];

	if (x->t->protocol != TPROTO_AUTH || !x->in_flight)
		return;
	pf_auth_io_failure(&x->o->version, &v);
	x->verdict = v;
	x->have_verdict = 1;
	x->in_flight = 0;
	x->broken = 1;
	x->broke_how = strcmp(what, "EOF") == 0 ? PF_AUTH_LINK_EOF : PF_AUTH_LINK_ERROR;
	report_note(x->r, "%s: Postfix %s would answer: %s (%s)", what, pfv(x, vb, sizeof(vb)),
		    v.smtp, v.note);
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
			report_note(x->r, "no reply within %s%s", rx_secs(rx_timeout(x), tb, sizeof(tb)),
				    x->o->time_scale != 1.0 ? " (scaled; Postfix waits 10 s)" : "");
			rx_auth_io_failure(x, "read timeout");
		}
		if (rc == -3)
			return -1;
		if (rc < 0 && x->in_flight)
			rx_auth_io_failure(x, "no reply");
	}
	return 0;
}

/* code_of - the three digits of an SMTP reply */
static int code_of(const char *smtp)
{
	return (smtp[0] - '0') * 100 + (smtp[1] - '0') * 10 + (smtp[2] - '0');
}

/* rx_op_expect_smtp - Postfix's answer to the SMTP client, by code or pattern */
int rx_op_expect_smtp(struct rx *x, const struct top *op)
{
	const char *reply;

	if (x->t->protocol == TPROTO_AUTH) {
		if (wait_verdict(x) < 0)
			return -1;
		if (!x->have_verdict)
			return rx_fail(x, "no AUTH exchange to judge");
		reply = x->verdict.smtp;
	} else {
		if (!x->have_action)
			return rx_fail(x, "no policy reply to judge");
		return rx_fail(x, "the SMTP reply for a policy action is not predicted yet "
			       "(use expect action)");
	}
	return rx_expect_reply(x, op, reply);
}

/* --- auth macros ------------------------------------------------------ */

/* rx_op_handshake - VERSION and CPID in one write, then the lines up to DONE */
int rx_op_handshake(struct rx *x, const struct top *op)
{
	struct pf_sasl_offer off;
	char vb[40];
	int rc = 0;

	if (!op->nosend) {
		struct xbuf out;
		unsigned minor = x->o->client == REPLAY_CLIENT_POSTFIX ? 0 :
				 x->o->client == REPLAY_CLIENT_DOVECOT_2 ? 2 :
				 x->o->client == REPLAY_CLIENT_DOVECOT_3 ? 3 : 4;

		xbuf_init(&out, 256);
		if (dvauth_format_version(&out, 1, minor) < 0 ||
		    dvauth_format_cpid(&out, (unsigned long)getpid()) < 0)
			rc = rx_fail(x, "cannot format VERSION/CPID");
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
			return rx_read_failed(x, rc, "the handshake up to DONE");
		}
		rc = pf_auth_handshake_line(&x->hs, line, len);
		if (rc == 1)
			break;
		if (rc == -1)
			return rx_fail(x, "Postfix %s refuses the handshake: %s; smtpd exits with "
				       "\"fatal: no SASL authentication mechanisms\"", pfv(x, vb, sizeof(vb)),
				       x->hs.why);
		if (rc == -2)
			return rx_fail(x, "Postfix %s would crash on this line: %s",
				       pfv(x, vb, sizeof(vb)), x->hs.why);
	}
	if (x->hs.notes[0])
		report_note(x->r, "handshake: %s", x->hs.notes);
	pf_sasl_offer(&x->hs, x->o->sasl.security_options, x->o->sasl.mech_filter, &off);
	if (off.fatal)
		return rx_fail(x, "Postfix %s: %s", pfv(x, vb, sizeof(vb)),
			       off.notes);
	{
		struct xbuf l;
		size_t i;

		xbuf_init(&l, 4096);
		for (i = 0; i < off.nehlo; i++)
			(void)!xbuf_printf(&l, "%s%s", i ? " " : "", off.ehlo[i]);
		report_note(x->r, "EHLO would offer AUTH %s%s%s", xbuf_cstr(&l),
			    off.notes[0] ? "; " : "", off.notes);
		xbuf_free(&l);
	}
	x->hs_done = 1;
	return 0;
}

/*
 * mech_offered - Postfix's strcasecmp against the usable list: after
 * smtpd_sasl_security_options, not the EHLO filter (pf_sasl_first)
 */
static int mech_offered(struct rx *x, const char *mech)
{
	struct pf_sasl_offer off;
	size_t i;

	if (!x->hs_done)
		return 1;	/* no handshake seen: the transcript drives it raw */
	pf_sasl_offer(&x->hs, x->o->sasl.security_options, x->o->sasl.mech_filter, &off);
	for (i = 0; i < off.nusable; i++)
		if (strcasecmp(off.usable[i], mech) == 0)
			return 1;
	return 0;
}

/* check_code - the verdict's SMTP code is the statement's (0: any) */
static int check_code(struct rx *x, int want)
{
	if (want && (strlen(x->verdict.smtp) < 3 || code_of(x->verdict.smtp) != want))
		return rx_fail(x, "expected SMTP %d, Postfix would answer: %s", want, x->verdict.smtp);
	return 0;
}

/*
 * after_break - the next AUTH on a connection that broke (EOF or a read
 * error or timeout), as this version treats it (pf_auth_link_after,
 * pf_auth_next_request): 1 it goes on (closed, to be connected again),
 * 0 Postfix answers 454 without the helper (x->verdict set)
 */
static int after_break(struct rx *x)
{
	const struct pf_version *v = &x->o->version;
	enum pf_auth_link link = pf_auth_link_after(v, x->broke_how);
	int inet = x->o->target->kind == TARGET_INET;
	char vb[40];

	switch (pf_auth_next_request(link, inet)) {
	case PF_AUTH_NEXT_SEND:
		return 1;
	case PF_AUTH_NEXT_CONNECT:
		report_note(x->r, "the connection broke earlier: Postfix %s closed it and "
			    "connects again", pfv(x, vb, sizeof(vb)));
		break;
	case PF_AUTH_NEXT_RETRY:
		report_note(x->r, "the connection broke earlier: Postfix %s kept it, so the "
			    "write of AUTH %u fails; Postfix closes, connects and sends the "
			    "request again as %u", pfv(x, vb, sizeof(vb)), x->next_id, x->next_id + 1);
		x->next_id++;
		break;
	case PF_AUTH_NEXT_DEAD:
		pf_auth_io_failure(v, &x->verdict);
		x->have_verdict = 1;
		report_note(x->r, "the connection broke earlier (EOF on inet:): Postfix %s "
			    "kept it, writes AUTH %u into it and its read fails: it answers %s "
			    "(%s)", pfv(x, vb, sizeof(vb)), x->next_id, x->verdict.smtp,
			    x->verdict.note);
		x->next_id++;
		x->broke_how = PF_AUTH_LINK_ERROR;
		return 0;
	}
	rx_close(x);
	return 1;
}

/*
 * auth_ready - a connection Postfix would send this AUTH on: 1 ready, 0
 * Postfix answers without asking the helper (x->verdict set), -1 failed
 */
static int auth_ready(struct rx *x, const struct top *op)
{
	if (x->broken && x->open && after_break(x) == 0)
		return 0;
	if (!x->open) {
		/* Postfix connects and reads the handshake before its first AUTH */
		static const struct top hs = { .kind = TOP_HANDSHAKE };

		report_note(x->r, "not connected: Postfix connects and does the handshake first");
		if (rx_op_handshake(x, &hs) < 0)
			return -1;
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
		return 0;
	}
	return 1;
}

/* send_in_flight - an AUTH or CONT line: its request waits for a verdict */
static int send_in_flight(struct rx *x, const struct xbuf *out)
{
	x->in_flight = 1;
	x->have_verdict = 0;
	return rx_send(x, out->data, out->len);
}

/* auth_send - the AUTH line with the initial response, as Postfix writes it */
static int auth_send(struct rx *x, const struct top *op, const struct sasl_mech_info *mi,
		     struct sasl_client *sc)
{
	struct xbuf raw, b64, out;
	int rc = -1;

	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&b64, SASL_MAX_MESSAGE * 2);
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	x->cur_id = x->next_id++;
	if (rx_set_id(x, x->cur_id) < 0) {
		rx_fail(x, "too many variables");
		goto out;
	}
	if (mi->client_first && op->resp != TAUTH_RESP_NO) {
		int brc;

		if (sasl_client_initial(sc, &raw) < 0) {
			rx_fail(x, "%s: no initial response", mi->name);
			goto out;
		}
		if (raw.len == 0)
			brc = xbuf_append_str(&b64, "=");	/* the SMTP empty response */
		else
			brc = base64_encode(raw.data, raw.len, &b64);
		if (brc < 0) {
			rx_fail(x, "initial response too long");
			goto out;
		}
	}
	if (pf_auth_request(&out, x->cur_id, op->mech, "smtp", x->o->lip, x->o->rip, op->secured,
			    b64.len ? xbuf_cstr(&b64) : NULL) < 0) {
		rx_fail(x, "AUTH line longer than the bound");
		goto out;
	}
	rc = send_in_flight(x, &out);
out:
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&b64);
	xbuf_free_wipe(&out);
	return rc;
}

/* auth_answer - the SMTP client answers one 334 challenge: the CONT line */
static int auth_answer(struct rx *x, const struct sasl_mech_info *mi, struct sasl_client *sc)
{
	const char *chal = x->verdict.smtp + 4, *why;
	struct xbuf raw, resp, b64, out;
	int rc = -1;

	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&resp, SASL_MAX_MESSAGE);
	xbuf_init(&b64, SASL_MAX_MESSAGE * 2);
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	if (base64_decode(chal, strlen(chal), 0, &raw, &why) < 0) {
		rx_fail(x, "the challenge is not base64 (%s): an SMTP client would abort with '*', "
			"Postfix answers 501 5.7.0 and leaves the request pending", why);
		goto out;
	}
	if (sasl_client_step(sc, raw.data ? raw.data : "", raw.len, &resp, &why) < 0) {
		rx_fail(x, "%s client step: %s", mi->name, why);
		goto out;
	}
	if (base64_encode(resp.data ? resp.data : "", resp.len, &b64) < 0) {
		rx_fail(x, "%s client step: %s", mi->name, "response too long");
		goto out;
	}
	if (dvauth_format_cont(&out, x->cur_id, b64.data ? b64.data : "", b64.len) < 0) {
		rx_fail(x, "CONT line too long");
		goto out;
	}
	rc = send_in_flight(x, &out);
out:
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&resp);
	xbuf_free_wipe(&b64);
	xbuf_free_wipe(&out);
	return rc;
}

/* rx_op_auth - a whole SMTP AUTH as Postfix runs it, through the SASL client */
int rx_op_auth(struct rx *x, const struct top *op)
{
	const struct sasl_mech_info *mi = sasl_mech_by_name(op->mech, strlen(op->mech));
	struct sasl_client_params cp;
	struct sasl_client *sc = NULL;
	struct xbuf a[2];
	const char *why;
	size_t i;
	int rc = -1, rounds;

	memset(&cp, 0, sizeof(cp));
	for (i = 0; i < 2; i++)
		xbuf_init(&a[i], TVARS_MAX_VALUE);
	for (i = 0; i < op->nargs; i++) {
		if (tpat_expand(&op->args[i], &x->v, &a[i], &why) < 0) {
			rx_fail(x, "%s in %s", why, op->args[i].src);
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
	if (x->session && x->session_authed) {
		memset(&x->verdict, 0, sizeof(x->verdict));
		x->verdict.outcome = PF_AUTH_FAIL;
		snprintf(x->verdict.smtp, sizeof(x->verdict.smtp),
			 "503 5.5.1 Error: already authenticated");
		x->have_verdict = 1;
		report_note(x->r, "this SMTP session is authenticated already: Postfix sends "
			    "nothing and answers %s", x->verdict.smtp);
		rc = check_code(x, op->code);
		goto out;
	}
	if ((rc = auth_ready(x, op)) <= 0) {
		rc = rc == 0 ? check_code(x, op->code) : -1;
		goto out;
	}
	rc = -1;
	if ((sc = sasl_client_create(mi->mech, &cp)) == NULL) {
		rx_fail(x, "cannot run %s with these arguments", mi->name);
		goto out;
	}
	if (auth_send(x, op, mi, sc) < 0)
		goto out;
	for (rounds = 0; rounds < REPLAY_MAX_ROUNDS; rounds++) {
		if (wait_verdict(x) < 0)
			goto out;
		if (x->verdict.outcome != PF_AUTH_MORE)
			break;
		if (auth_answer(x, mi, sc) < 0)
			goto out;
	}
	if (x->verdict.outcome == PF_AUTH_MORE) {
		rx_fail(x, "more than %d CONT rounds", REPLAY_MAX_ROUNDS);
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
	return rc;
}

/* rx_op_session - a new SMTP session: no AUTH of it has succeeded yet */
int rx_op_session(struct rx *x)
{
	report_note(x->r, "a new SMTP session");
	x->session = 1;
	x->session_authed = 0;
	return 0;
}

/* rx_op_cont - CONT with the expanded data, base64-encoded */
int rx_op_cont(struct rx *x, const struct top *op)
{
	struct xbuf raw, out;
	const char *why;
	int rc = -1;

	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	if (tpat_expand(&op->pat, &x->v, &raw, &why) < 0) {
		rx_fail(x, "%s in %s", why, op->pat.src);
	} else if (xbuf_printf(&out, "CONT\t%u\t", x->cur_id) < 0 ||
		   base64_encode(raw.data ? raw.data : "", raw.len, &out) < 0 ||
		   xbuf_append_char(&out, '\n') < 0) {
		rx_fail(x, "CONT line too long");
	} else {
		rc = send_in_flight(x, &out);
	}
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&out);
	return rc;
}
