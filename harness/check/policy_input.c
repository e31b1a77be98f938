/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_input - POLICY-INPUT-*: what Postfix really sends, at its real limits
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 *
 *	void pol_input(struct check_run *cr, const struct check_def *d);
 * DESCRIPTION
 *	Each row (d->arg: an enum pol_input_kind) sends Postfix's RCPT
 *	request with values Postfix passes on, each followed on the same
 *	connection by Postfix's plain RCPT request, as the next SMTP
 *	session would: both must get an action.
 *
 *	  INPUT_8BIT     SMTPUTF8 on: UTF-8 in sender, recipient, helo_name
 *	                 and sasl_username (Postfix makes a user name and a
 *	                 HELO name printable, but keeps valid UTF-8); SMTPUTF8
 *	                 off: a Latin-1 byte in the sender's local part
 *	                 (Postfix does not reject 8-bit local parts). Establishes
 *	                 POLICY_NEED_8BIT: when it fails, what needs 8-bit
 *	                 input is blocked by it.
 *	  INPUT_SPLIT    requests of 1 to 8 KB in which a two-byte UTF-8
 *	                 character straddles byte 1024, 4096 and 8192 of the
 *	                 request: a service that decodes each read on its own
 *	                 breaks there (helo_name, sender, recipient and
 *	                 sasl_username of up to 2040 bytes each)
 *	  INPUT_LIMIT    sender, recipient and helo_name at line_length_limit:
 *	                 the longest value an SMTP command line of 2,048 bytes
 *	                 leaves (2,034, 2,036 and 2,041 bytes)
 *	  INPUT_UNKNOWN  client_address, client_name, reverse_client_name and
 *	                 client_port "unknown" (sendmail -bs, XCLIENT with
 *	                 [UNAVAILABLE]), and an IPv6 client
 * DIAGNOSTICS
 *	A row whose arg is no kind is our bug: msg_panic().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/policy_int.h"
#include "util/msg.h"
#include "util/xmem.h"

#define INPUT_FIELD_MAX	2040		/* a value that fits a 2,048-byte command line */
#define UTF8_E_ACUTE	"\xc3\xa9"	/* e with acute: two bytes */

/* one odd request */
struct odd {
	char label[96];
	struct pf_pol_req req;
};

/* fill - a value of n bytes: a letter, or a two-byte character at byte at (-1: none) */
static char *fill(char *buf, size_t n, long at)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	if (at >= 0 && (size_t)at + 1 < n)
		memcpy(buf + at, UTF8_E_ACUTE, 2);
	buf[n] = '\0';
	return buf;
}

/* offset - where attribute name's value starts in the formatted request, or -1 */
static long offset(const struct pf_pol_req *req, const char *name)
{
	struct xbuf out;
	const char *err, *p;
	char key[64];
	long off = -1;

	xbuf_init(&out, 1 << 20);
	snprintf(key, sizeof(key), "\n%s=", name);
	if (pf_pol_req_format(req, &out, &err) == 0 && (p = strstr(xbuf_cstr(&out), key)) != NULL)
		off = (long)(p - out.data) + (long)strlen(key);
	xbuf_free(&out);
	return off;
}

/* split_req - Postfix's request with a two-byte character across byte edge; 0 ok, -1 too far */
static int split_req(struct pcx *x, struct pf_pol_req *req, size_t edge, char (*vals)[2048])
{
	static const char *const fields[] = { "helo_name", "sender", "recipient", "sasl_username" };
	size_t i;

	pcx_base_req(x, req, PF_POL_RCPT);
	(void)!pf_pol_req_set(req, "sasl_method", "PLAIN");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		long at;

		(void)!pf_pol_req_set(req, fields[i], fill(vals[i], 1, -1));
		at = offset(req, fields[i]);
		if (at < 0)
			return -1;
		if ((size_t)at + INPUT_FIELD_MAX > edge) {
			/* the character's first byte is the last one before the edge */
			long pos = (long)edge - 1 - at;

			if (pos < 0)
				return -1;
			(void)!pf_pol_req_set(req, fields[i], fill(vals[i], (size_t)pos + 8, pos));
			return 0;
		}
		(void)!pf_pol_req_set(req, fields[i], fill(vals[i], INPUT_FIELD_MAX, -1));
	}
	return -1;
}

/* odd_requests - the requests of one row, into o; their number */
static size_t odd_requests(struct pcx *x, int kind, struct odd *o, char (*vals)[2048])
{
	static const size_t edges[] = { 1024, 4096, 8192 };
	size_t n = 0, i;

	switch (kind) {
	case INPUT_8BIT:
		pcx_base_req(x, &o[n].req, PF_POL_RCPT);
		(void)!pf_pol_req_set(&o[n].req, "sender", "j" UTF8_E_ACUTE "r" UTF8_E_ACUTE "me@exampl"
				       UTF8_E_ACUTE ".org");
		(void)!pf_pol_req_set(&o[n].req, "recipient", "\xe5\xbc\xa0\xe4\xbc\x9f@example.com");
		(void)!pf_pol_req_set(&o[n].req, "helo_name", "m\xc3\xbcnchen.example");
		(void)!pf_pol_req_set(&o[n].req, "sasl_method", "PLAIN");
		(void)!pf_pol_req_set(&o[n].req, "sasl_username", "j" "\xc3\xb6" "rg");
		snprintf(o[n++].label, sizeof(o[0].label), "UTF-8 sender, recipient, HELO and SASL "
			 "user (SMTPUTF8)");
		pcx_base_req(x, &o[n].req, PF_POL_RCPT);
		(void)!pf_pol_req_set(&o[n].req, "sender", "caf\xe9@example.org");
		snprintf(o[n++].label, sizeof(o[0].label), "a Latin-1 byte in the sender (SMTPUTF8 "
			 "off)");
		break;
	case INPUT_SPLIT:
		for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
			if (split_req(x, &o[n].req, edges[i], vals + 4 * n) < 0)
				continue;
			snprintf(o[n++].label, sizeof(o[0].label), "a two-byte character across byte "
				 "%zu", edges[i]);
		}
		break;
	case INPUT_LIMIT:
		for (i = 0; i < 3; i++) {
			static const char *const f[] = { "sender", "recipient", "helo_name" };
			/* "MAIL FROM:<" a ">" CRLF, "RCPT TO:<" a ">" CRLF, "HELO " a CRLF */
			static const size_t lens[] = { 2034, 2036, 2041 };
			size_t len = lens[i];

			pcx_base_req(x, &o[n].req, PF_POL_RCPT);
			fill(vals[n], len, -1);
			if (i < 2)
				memcpy(vals[n] + len - 12, "@example.com", 12);
			(void)!pf_pol_req_set(&o[n].req, f[i], vals[n]);
			snprintf(o[n++].label, sizeof(o[0].label), "%s of %zu bytes", f[i], len);
		}
		break;
	case INPUT_UNKNOWN:
		pcx_base_req(x, &o[n].req, PF_POL_RCPT);
		(void)!pf_pol_req_set(&o[n].req, "client_address", "unknown");
		(void)!pf_pol_req_set(&o[n].req, "client_name", "unknown");
		(void)!pf_pol_req_set(&o[n].req, "reverse_client_name", "unknown");
		(void)!pf_pol_req_set(&o[n].req, "client_port", "unknown");
		snprintf(o[n++].label, sizeof(o[0].label), "client unknown (sendmail -bs, XCLIENT)");
		pcx_base_req(x, &o[n].req, PF_POL_RCPT);
		(void)!pf_pol_req_set(&o[n].req, "client_address", "2001:db8::25");
		(void)!pf_pol_req_set(&o[n].req, "client_name", "unknown");
		snprintf(o[n++].label, sizeof(o[0].label), "an IPv6 client without a name");
		break;
	default:
		msg_panic("odd_requests: kind %d", kind);
	}
	return n;
}

/* pol_input - POLICY-INPUT-*: each odd request, then Postfix's plain one, both answered */
void pol_input(struct check_run *cr, const struct check_def *d)
{
	struct pcx *x = cr->ctx;
	int kind = *(const int *)d->arg;
	struct odd *o = xcalloc(6, sizeof(*o));
	char (*vals)[2048] = xcalloc(16, sizeof(*vals));
	char bad[600] = "";
	size_t n = odd_requests(x, kind, o, vals), i;

	for (i = 0; i < n; i++) {
		struct pf_pol_req next;
		struct pres r1, r2;

		report_note(x->r, "-- %s, then Postfix's plain request", o[i].label);
		pcx_base_req(x, &next, PF_POL_RCPT);
		if (pcx_request(x, &o[i].req, &r1) < 0 || pcx_request(x, &next, &r2) < 0)
			break;
		if (!r1.ok || !r2.ok)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s: %s", bad[0] ? "; " :
				 "", o[i].label, !r1.ok ? r1.rd.why : "the next request got no action");
	}
	if (i < n)
		check_end(cr, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (bad[0]) {
		if (kind == INPUT_8BIT)
			cr->have &= ~POLICY_NEED_8BIT;
		check_end(cr, CHECK_FAIL, "%s. Postfix sends these: it retries once, then answers 451 "
			  "4.3.5 Server configuration problem. Read bytes up to the empty line, and "
			  "decode (if at all) each whole value, not each read", bad);
	} else
		check_end(cr, CHECK_PASS, "%zu request(s), each followed by another, answered", n);
	free(o);
	free(vals);
}
