/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_input - AUTH-INPUT-*: what Postfix really sends, at its real limits
 * SYNOPSIS
 *	#include "harness/check/auth_int.h"
 *
 *	void auth_input_8bit(struct check_run *cr, const struct check_def *d);
 *	void auth_input_long(struct check_run *cr, const struct check_def *d);
 * DESCRIPTION
 *	AUTH-INPUT-001 sends PLAIN credentials that are not ASCII: a UTF-8
 *	user name and password (an SMTPUTF8 client's), then Latin-1 bytes
 *	(Postfix checks only the base64 alphabet): each must get an answer.
 *	AUTH-INPUT-002 sends AUTH lines of about 1,030, 4,100 and 8,200
 *	bytes (a long resp=, as an SMTP client may send up to
 *	smtpd_sasl_response_limit, 12,288 characters): a helper that reads
 *	in fixed pieces breaks across 1,024, 4,096 or 8,192. In both, every
 *	odd request is followed on the same connection by the next one a
 *	Postfix would send: a login with the account (or, without one, an
 *	AUTH PLAIN that must get any answer).
 * DIAGNOSTICS
 *	Into the report.
 */
#include <stdio.h>
#include <string.h>

#include "harness/check/auth_int.h"
#include "proto/base64.h"

/* next_ok - the request after an odd one, on the same connection: answered (and logged in) */
static int next_ok(struct cx *x, struct tconn *c, char *why, size_t size)
{
	struct pf_auth_verdict v;
	char s[300];

	if (x->o->user != NULL && x->o->password != NULL) {
		auth_exchange(x, c, "PLAIN", SASL_MECH_PLAIN, x->o->user, x->o->password,
			      ++x->next_id, &v, NULL);
		if (v.outcome == PF_AUTH_DONE)
			return 1;
		snprintf(why, size, "the login after it got %s", auth_say(&v, s, sizeof(s)));
		return 0;
	}
	if (auth_send_request(x, c, ++x->next_id, "PLAIN", "127.0.0.1", NULL) == 0 &&
	    auth_await(x, c, x->next_id, &v, NULL) == 1)
		return 1;
	snprintf(why, size, "the request after it got no answer");
	return 0;
}

/* odd_then_next - one odd AUTH (resp given, base64 already), then the next; 1 both answered */
static int odd_then_next(struct cx *x, const char *resp, char *why, size_t size)
{
	struct pf_auth_verdict v;
	struct tconn c;
	int ok = 0;

	if (auth_fresh(x, &c) < 0) {
		snprintf(why, size, "could not open a connection");
		return 0;
	}
	if (auth_send_request(x, &c, ++x->next_id, "PLAIN", "127.0.0.1", resp) < 0 ||
	    auth_await(x, &c, x->next_id, &v, NULL) != 1)
		snprintf(why, size, "no answer (Postfix: 454 4.7.0)");
	else
		ok = next_ok(x, &c, why, size);
	auth_close(x, &c);
	return ok;
}

/* plain_of - base64 of "\0user\0password" with raw bytes */
static const char *plain_of(const char *user, const char *password, struct xbuf *b64)
{
	struct xbuf msg;
	int rc;

	xbuf_init(&msg, 16384);
	xbuf_reset(b64);
	rc = xbuf_append_char(&msg, '\0') == 0 && xbuf_append_str(&msg, user) == 0 &&
	     xbuf_append_char(&msg, '\0') == 0 && xbuf_append_str(&msg, password) == 0 &&
	     base64_encode(msg.data, msg.len, b64) == 0;
	xbuf_free_wipe(&msg);
	return rc ? xbuf_cstr(b64) : "=";
}

/* auth_input_8bit - AUTH-INPUT-001 */
void auth_input_8bit(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	static const struct {
		const char *label, *user, *password;
	} rows[] = {
		{ "a UTF-8 user name and password", "j\xc3\xb6rg", "p\xc3\xa4sswort" },
		{ "Latin-1 bytes in the credentials", "j\xf6rg", "caf\xe9" },
	};
	struct xbuf b64;
	char bad[700] = "", why[300];
	size_t i;

	(void)d;
	xbuf_init(&b64, 4096);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		report_note(x->r, "-- %s, then the next request on the connection", rows[i].label);
		if (!odd_then_next(x, plain_of(rows[i].user, rows[i].password, &b64), why, sizeof(why)))
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s: %s",
				 bad[0] ? "; " : "", rows[i].label, why);
	}
	xbuf_free_wipe(&b64);
	if (bad[0])
		check_end(cr, CHECK_FAIL, "%s. SMTP clients send such credentials; read the decoded "
			  "message as bytes and answer FAIL when it names no account", bad);
	else
		check_end(cr, CHECK_PASS, "%zu odd credentials answered", i);
}

/* auth_input_long - AUTH-INPUT-002 */
void auth_input_long(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	static const size_t sizes[] = { 1030, 4100, 8200 };
	char pw[8192], bad[700] = "", why[300];
	struct xbuf b64;
	size_t i;

	(void)d;
	xbuf_init(&b64, 16384);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* the line around resp= is about 80 bytes; base64 is 4/3 of the message */
		size_t n = (sizes[i] - 80) * 3 / 4;

		memset(pw, 'x', n);
		pw[n] = '\0';
		report_note(x->r, "-- an AUTH line of about %zu bytes (a wrong password), then the "
			    "next request", sizes[i]);
		x->quiet = 1;
		if (!odd_then_next(x, plain_of("nobody", pw, &b64), why, sizeof(why)))
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sabout %zu bytes: %s",
				 bad[0] ? "; " : "", sizes[i], why);
		x->quiet = 0;
	}
	xbuf_free_wipe(&b64);
	if (bad[0])
		check_end(cr, CHECK_FAIL, "%s. Postfix relays responses of up to 12,288 characters: "
			  "read whole lines of at least 16,384 bytes (Dovecot's limit), however they "
			  "arrive", bad);
	else
		check_end(cr, CHECK_PASS, "lines across 1,024, 4,096 and 8,192 bytes answered");
}
