/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_handshake - the AUTH-HANDSHAKE-* checks of check --auth
 * SYNOPSIS
 *	#include "harness/check/auth_int.h"
 * DESCRIPTION
 *	AUTH-HANDSHAKE-001..009 are judged from the run's first handshake
 *	(stage CHECK_STAGE_FIRST: its lines, their order and timing, and
 *	the read after DONE, all kept in struct cx by check_auth_run());
 *	010 and 011 are probes on connections of their own: VERSION and
 *	CPID sent apart, and a CPID that is 0 or not a number.
 * DIAGNOSTICS
 *	Into the report.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness/check/auth_int.h"
#include "harness/postfix/pf_sasl.h"
#include "proto/dvauth.h"
#include "util/strnum.h"

/* next_hs_line - iterate over the captured handshake lines */
static int next_hs_line(const struct xbuf *cap, size_t *pos, const char **line, size_t *len)
{
	const char *nl;

	if (cap == NULL || *pos >= cap->len)
		return 0;
	*line = cap->data + *pos;
	nl = memchr(*line, '\n', cap->len - *pos);
	*len = nl ? (size_t)(nl - *line) : cap->len - *pos;
	*pos += *len + 1;
	return 1;
}

/* --- handshake judged from the first connection ------------------------- */

/* auth_hs_done - AUTH-HANDSHAKE-001 */
void auth_hs_done(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->hs_rc == 1)
		check_end(x->cr, CHECK_PASS, "DONE after %zu mechanism(s)", x->hs.nmechs);
	else if (x->hs_rc == -2)
		check_end(x->cr, CHECK_FAIL, "%s", x->hs.why);
	else if (x->hs_rc == -4)
		check_end(x->cr, CHECK_FAIL, "no DONE: more than %d bytes of lines that the handshake "
			   "skips, and no end to them. Postfix reads on (its 10 s timeout is per read): "
			   "the SMTP session hangs. Send VERSION, MECH, SPID, CUID, COOKIE and DONE, "
			   "nothing else", AUTH_MAX_HEARD);
	else
		check_end(x->cr, CHECK_FAIL, "%s; Postfix: smtpd fatal \"no SASL authentication "
			   "mechanisms\", the SMTP client's connection drops after 220",
			   x->hs_rc == -1 ? x->hs.why : "no DONE");
}

/* auth_hs_order - AUTH-HANDSHAKE-002 */
void auth_hs_order(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const char *m = strchr(x->order, 'M'), *s = strchr(x->order, 'S');

	(void)d;
	if (s != NULL && (m == NULL || s < m))
		check_end(x->cr, CHECK_FAIL, "SPID arrived before the first MECH line; Postfix >= 3.0: "
			   "\"SASL: Connected to wrong auth socket\". Send MECH lines, then "
			   "SPID, CUID, COOKIE, DONE (what Dovecot really does)");
	else if (s == NULL)
		check_end(x->cr, CHECK_UNEXERCISED, "the handshake has no SPID line: nothing to put "
			  "in order (Postfix does not need one)");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* auth_hs_crlf - AUTH-HANDSHAKE-003 */
void auth_hs_crlf(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->hs_cr)
		check_end(x->cr, CHECK_FAIL, "handshake lines end in CR LF; end lines with LF only");
	else if (x->hs_lines.len == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no handshake line was read");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* auth_hs_usable - AUTH-HANDSHAKE-004 */
void auth_hs_usable(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->nnames == 0)
		check_end(x->cr, CHECK_FAIL, "no usable mechanism: smtpd exits with \"no SASL "
			   "authentication mechanisms\"");
	else
		check_end(x->cr, CHECK_PASS, "%zu mechanism(s) usable", x->nnames);
}

/* auth_hs_quiet - AUTH-HANDSHAKE-005: the line read after DONE, if any */
void auth_hs_quiet(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->after_rc == 1 && x->after_same_read) {
		report_io(x->r, 'S', x->after, x->after_len);
		check_end(x->cr, CHECK_FAIL, "a line came after DONE, in the same read as DONE: "
			   "Postfix drops it unread when it writes its first request (its stream "
			   "discards unread input), but a client that keeps what it read takes it as "
			   "the reply to its next request. Send nothing after DONE until a request "
			   "comes");
	} else if (x->after_rc == 1) {
		report_io(x->r, 'S', x->after, x->after_len);
		check_end(x->cr, CHECK_FAIL, "a line arrived after DONE before any request, in a "
			   "read of its own: Postfix will read it as the reply to its next request");
	} else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* auth_hs_time - AUTH-HANDSHAKE-006 */
void auth_hs_time(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->hs_ms >= x->timeout_ms)
		check_end(x->cr, CHECK_FAIL, "DONE came %lld ms after the connect (the longest wait "
			   "for one line %lld ms); Postfix's limit is %d ms per line (10 s x %.2f): "
			   "a helper this slow is close to making smtpd exit with \"no SASL "
			   "authentication mechanisms\". Send the whole handshake at once, before any "
			   "slow start-up work (database connections, password files)", x->hs_ms,
			   x->hs_gap_ms, x->timeout_ms,
			   x->o->time_scale > 0 ? x->o->time_scale : 1.0);
	else
		check_end(x->cr, CHECK_PASS, "DONE after %lld ms", x->hs_ms);
}

/* auth_hs_version - AUTH-HANDSHAKE-007 */
void auth_hs_version(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const struct xbuf *cap = &x->hs_lines;
	size_t pos = 0, len;
	const char *line;
	int seen = 0;

	(void)d;
	while (next_hs_line(cap, &pos, &line, &len)) {
		const char *tab, *tab2, *end;
		unsigned major, minor;
		struct pf_auth_handshake h;
		struct pf_version v = x->o->version;
		int rc;

		if (len > 0 && line[len - 1] == '\r')
			len--;		/* AUTH-HANDSHAKE-003 reports the CR */
		if (len < 7 || memcmp(line, "VERSION", 7) != 0 || (len > 7 && line[7] != '\t'))
			continue;
		seen = 1;
		if (len == 7) {
			char vt[64];

			pf_auth_handshake_init(&h, &x->o->version);
			rc = pf_auth_handshake_line(&h, line, len);
			report_io(x->r, 'S', line, len);
			if (pf_version_format(&x->o->version, vt, sizeof(vt)) < 0)
				snprintf(vt, sizeof(vt), "(as chosen)");
			report_note(x->r, "Postfix %s: %s", vt,
				    rc == -2 ? "crashes (NULL pointer read)" : "ignores the line");
			check_end(x->cr, CHECK_FAIL, "a bare VERSION line without TAB: every Postfix "
				   "before 3.12-20260710 crashes on it (xsasl_dovecot_server_connect "
				   "reads a NULL pointer); send VERSION<TAB>1<TAB><minor>");
			return;
		}
		end = line + len;
		tab = memchr(line + 8, '\t', len - 8);
		tab2 = tab ? memchr(tab + 1, '\t', (size_t)(end - tab - 1)) : NULL;
		if (tab == NULL || str_to_uint(line + 8, (size_t)(tab - line - 8), &major) < 0 ||
		    str_to_uint(tab + 1, (size_t)((tab2 ? tab2 : end) - tab - 1), &minor) < 0 ||
		    major != 1) {
			pf_auth_handshake_init(&h, &v);
			rc = pf_auth_handshake_line(&h, line, len);
			report_io(x->r, 'S', line, len);
			report_note(x->r, "Postfix: %s", rc == -1 ? h.why :
				    "reads it with sscanf and goes on, by luck of the bytes");
			check_end(x->cr, CHECK_FAIL, "VERSION must carry two decimal numbers, major 1 "
				   "(Postfix speaks protocol 1.x only); send VERSION<TAB>1<TAB>2 as "
				   "Dovecot 2.3 does");
			return;
		}
	}
	if (seen)
		check_end(x->cr, CHECK_PASS, "%s", "");
	else
		check_end(x->cr, CHECK_UNEXERCISED, "no VERSION line: Postfix does not need one "
			  "(Dovecot's own client does)");
}

/* auth_hs_flags - AUTH-HANDSHAKE-008 */
void auth_hs_flags(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	static const char *const opts[] = {
		"noanonymous", "noplaintext", "noplaintext, noanonymous", "mutual_auth",
		"forward_secrecy",
	};
	static const struct {
		unsigned bit;
		const char *name;
	} neg[] = {
		{ DVAUTH_MECH_PLAINTEXT, "plaintext" }, { DVAUTH_MECH_ANONYMOUS, "anonymous" },
		{ DVAUTH_MECH_DICTIONARY, "dictionary" }, { DVAUTH_MECH_ACTIVE, "active" },
	};
	char bad[600] = "";
	size_t i, k, known = 0;

	(void)d;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *names[PF_AUTH_MAX_MECHS];
		unsigned req = 0, forbid = 0;
		const char *badword;
		char list[400] = "";
		size_t n, j;

		if (pf_sasl_secopts(opts[i], &req, &forbid, &badword) < 0)
			continue;
		n = pf_auth_filter(&x->hs, req, forbid, names, PF_AUTH_MAX_MECHS);
		for (j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 j ? " " : "", names[j]);
		report_note(x->r, "smtpd_sasl_security_options = %s: %s", opts[i],
			    n ? list : "nothing left - smtpd exits \"no SASL authentication mechanisms\"");
	}
	for (i = 0; i < x->hs.nmechs; i++) {
		const struct pf_auth_mech *m = &x->hs.mechs[i];
		const struct sasl_mech_info *mi = sasl_mech_by_name(m->name, strlen(m->name));

		if (mi == NULL)
			continue;
		known++;
		for (k = 0; k < sizeof(neg) / sizeof(neg[0]); k++)
			if ((mi->dvauth_flags & neg[k].bit) && !(m->props & neg[k].bit))
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s without '%s'",
					 bad[0] ? ", " : "", m->name, neg[k].name);
	}
	if (bad[0])
		check_end(x->cr, CHECK_FAIL, "%s: Postfix cannot filter these (%s keeps PLAIN on "
			   "sessions without TLS, noanonymous keeps ANONYMOUS). Send the flags "
			   "Dovecot sends: MECH<TAB>PLAIN<TAB>plaintext, MECH<TAB>ANONYMOUS<TAB>"
			   "anonymous, MECH<TAB>CRAM-MD5<TAB>dictionary<TAB>active", bad, "noplaintext");
	else if (known == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no MECH line names a mechanism whose flags are "
			  "known");
	else
		check_end(x->cr, CHECK_PASS, "%zu mechanism(s), flags as Dovecot's", x->hs.nmechs);
}

/* auth_hs_names - AUTH-HANDSHAKE-009 */
void auth_hs_names(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const struct xbuf *cap = &x->hs_lines;
	size_t pos = 0, len, i, n = 0;
	const char *line;
	const char *seen[PF_AUTH_MAX_MECHS];
	size_t seen_len[PF_AUTH_MAX_MECHS];
	char bad[600] = "";

	(void)d;
	while (next_hs_line(cap, &pos, &line, &len)) {
		const char *name, *tab;
		size_t nl;
		char shown[80];

		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 5 || memcmp(line, "MECH\t", 5) != 0)
			continue;
		name = line + 5;
		tab = memchr(name, '\t', len - 5);
		nl = tab ? (size_t)(tab - name) : len - 5;
		report_shown(shown, sizeof(shown), name, nl > 40 ? 40 : nl);
		if (nl == 0) {
			report_io(x->r, 'S', line, len);
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%san empty name",
				 bad[0] ? ", " : "");
		} else if (memchr(name, ' ', nl) != NULL) {
			report_io(x->r, 'S', line, len);
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s\"%s\" has a space",
				 bad[0] ? ", " : "", shown);
		}
		for (i = 0; i < n && nl > 0; i++)
			if (seen_len[i] == nl && strncasecmp(seen[i], name, nl) == 0) {
				report_io(x->r, 'S', line, len);
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s\"%s\" twice",
					 bad[0] ? ", " : "", shown);
				break;
			}
		if (n < PF_AUTH_MAX_MECHS) {
			seen[n] = name;
			seen_len[n++] = nl;
		}
	}
	if (bad[0]) {
		struct pf_sasl_offer offer;
		char ehlo[600] = "250-AUTH";
		size_t k;

		/* the oracle's EHLO line: the security options and mechanism filter */
		pf_sasl_offer(&x->hs, x->o->sasl.security_options, x->o->sasl.mech_filter, &offer);
		for (k = 0; k < offer.nehlo; k++)
			snprintf(ehlo + strlen(ehlo), sizeof(ehlo) - strlen(ehlo), " %s",
				 offer.ehlo[k]);
		report_note(x->r, "Postfix would advertise: %s", ehlo);
		check_end(x->cr, CHECK_FAIL, "MECH lines: %s. Postfix puts every name into "
			   "its EHLO line (250-AUTH ...) as it is; send each mechanism once, by its "
			   "SASL name (upper case letters, digits, '-' and '_')", bad);
	} else if (n == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no MECH line");
	else
		check_end(x->cr, CHECK_PASS, "%zu MECH line(s)", n);
}

/* --- handshake probes on their own connections -------------------------- */

/*
 * hs_read_until_done - read handshake lines for up to ms each; 1 DONE, 0
 * quiet, -1 EOF (a drop when postfix: the lines sent were Postfix's)
 */
static int hs_read_until_done(struct cx *x, struct tconn *c, int ms, int postfix)
{
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(c, ms, &line, &len);

		if (rc == 0)
			return 0;
		if (rc == -1)
			auth_lost(x, c, postfix);
		if (rc < 0)
			return -1;
		report_io(x->r, 'S', line, len);
		if (len == 4 && memcmp(line, "DONE", 4) == 0)
			return 1;
	}
}

/* auth_hs_split - AUTH-HANDSHAKE-010 */
void auth_hs_split(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const char *mech = x->probe_mech;
	struct tconn c;
	int quiet_ms = x->timeout_ms / 5 > 50 ? x->timeout_ms / 5 : 50;
	int rc;
	const char *style;
	char line[64];
	struct pf_auth_verdict v;

	(void)d;
	if (auth_open(x, &c) < 0) {
		check_end(x->cr, CHECK_ERROR, "could not open a connection");
		return;
	}
	report_note(x->r, "fake-smtpd sends nothing until DONE or %d ms without a line", quiet_ms);
	rc = hs_read_until_done(x, &c, quiet_ms, 1);
	style = "2.3 style: MECH..DONE at once, before the client's VERSION";
	snprintf(line, sizeof(line), "VERSION\t1\t0\n");
	if (rc >= 0 && auth_send_line(x, &c, line, strlen(line)) < 0)
		rc = -1;
	if (rc == 0) {
		report_note(x->r, "then VERSION alone, and %d ms more", quiet_ms);
		rc = hs_read_until_done(x, &c, quiet_ms, 1);
		style = "2.4 style: MECH..DONE after the client's VERSION";
	}
	snprintf(line, sizeof(line), "CPID\t%ld\n", (long)getpid());
	if (rc >= 0 && auth_send_line(x, &c, line, strlen(line)) < 0)
		rc = -1;
	if (rc == 0) {
		rc = hs_read_until_done(x, &c, x->timeout_ms, 1);
		style = "MECH..DONE after the client's CPID";
	}
	if (rc != 1) {
		auth_close(x, &c);
		check_end(x->cr, CHECK_FAIL, "with VERSION and CPID sent %d ms apart the handshake %s; "
			   "should a socket deliver Postfix's one write in two reads, smtpd exits with "
			   "\"no SASL authentication mechanisms\". Read the client's lines as a stream "
			   "(they may arrive in any pieces) and send MECH..DONE at once or after VERSION",
			   quiet_ms, rc < 0 ? "ended with a closed connection" : "never reached DONE");
		return;
	}
	rc = auth_send_request(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
	     auth_await(x, &c, x->next_id, &v, NULL);
	auth_close(x, &c);
	if (rc == 1)
		check_end(x->cr, CHECK_PASS, "%s", style);
	else
		check_end(x->cr, CHECK_FAIL, "the handshake completed (%s), but AUTH %s got no answer "
			   "afterwards (%s)", style, mech, rc < 0 ? "connection closed" : "timeout");
}

/* auth_hs_cpid - AUTH-HANDSHAKE-011 */
void auth_hs_cpid(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const char *mech = x->probe_mech;
	static const char *const cpids[] = { "0", "postfix" };
	char bad[400] = "", seen[400] = "";
	size_t i;

	(void)d;
	for (i = 0; i < sizeof(cpids) / sizeof(cpids[0]); i++) {
		struct tconn c;
		struct pf_auth_verdict v;
		char hello[64];
		int rc;
		const char *what;

		if (auth_open(x, &c) < 0) {
			check_end(x->cr, CHECK_ERROR, "could not open a connection");
			return;
		}
		snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%s\n", cpids[i]);
		x->odd = 1;	/* closing is the helper's right here; crashing is not */
		rc = auth_send_line(x, &c, hello, strlen(hello)) < 0 ? -1 :
		     hs_read_until_done(x, &c, x->timeout_ms, 0);
		if (rc == 1)
			rc = auth_send_request(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
			     auth_await(x, &c, x->next_id, &v, NULL);
		x->odd = 0;
		auth_close(x, &c);
		if (tconn_crashed(&c))
			rc = -9;
		what = rc == -9 ? "crashed" : rc == 1 ? "accepted it and answered AUTH" :
		       rc < 0 ? "closed the connection (as Dovecot does)" :
		       "went silent (no DONE or no answer)";
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%sCPID %s: %s",
			 seen[0] ? "; " : "", cpids[i], what);
		if (rc == 0 || rc == -9)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sCPID %s: %s (%s)",
				 bad[0] ? "; " : "", cpids[i], what,
				 rc == -9 ? tconn_exit_text(&c) : "timeout");
	}
	if (bad[0])
		check_end(x->cr, CHECK_FAIL, "%s. Refuse a bad CPID by closing the connection "
			   "(Dovecot: \"BUG: Authentication client said it's PID 0\") or ignore it; "
			   "never crash or hang", bad);
	else
		check_end(x->cr, CHECK_PASS, "%s", seen);
}
