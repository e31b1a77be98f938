/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_sasl - smtpd's side of SMTP AUTH around the Dovecot client, and
 *	Dovecot's own client request shapes
 * SYNOPSIS
 *	#include "harness/postfix/pf_sasl.h"
 * DESCRIPTION
 *	See pf_sasl.h. Sources: postfix/src/smtpd/smtpd_sasl_glue.c
 *	(smtpd_sasl_activate, smtpd_sasl_authenticate), smtpd_sasl_proto.c,
 *	src/xsasl/xsasl_dovecot_server.c (mech_filter, first, next,
 *	is_valid_base64), src/global/sasl_mech_filter.c, match_list.c;
 *	dovecot src/lib-auth-client/auth-client-request.c (2.4) and
 *	src/lib-auth/auth-client-request.c (2.3). Version gates:
 *	  2.5-20080107   nologin in AUTH
 *	  2.6-20090212   lip=, rip=
 *	  2.7-20090418   secured
 *	  3.4-20180826   smtpd_sasl_response_limit (else line_length_limit)
 *	  3.6-20200830   smtpd_sasl_mechanism_filter, "!external, static:rest"
 *	  3.10-20241111  "Invalid authentication mechanism: '<mech>'"
 * DIAGNOSTICS
 *	See pf_sasl.h. Library code: nothing is printed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_sasl.h"
#include "proto/dvauth.h"

#define SEPS	", \t\r\n"	/* CHARS_COMMA_SP */

/* next_word - the next word of s at *pos, split on seps; 0 at the end */
static int next_word(const char *s, size_t *pos, const char *seps, const char **w, size_t *wl)
{
	size_t i = *pos;

	while (s[i] && strchr(seps, s[i]))
		i++;
	if (s[i] == '\0') {
		*pos = i;
		return 0;
	}
	*w = s + i;
	while (s[i] && !strchr(seps, s[i]))
		i++;
	*wl = (size_t)(s + i - *w);
	*pos = i;
	return 1;
}

/* word_is - case-insensitive comparison of a word with a C string */
static int word_is(const char *w, size_t wl, const char *s)
{
	return strlen(s) == wl && strncasecmp(w, s, wl) == 0;
}

void pf_sasl_conf_init(struct pf_sasl_conf *c)
{
	memset(c, 0, sizeof(*c));
}

int pf_sasl_secopts(const char *opts, unsigned *require_r, unsigned *forbid_r,
		    const char **bad_r)
{
	static const struct {
		const char *name;
		unsigned req, forbid;
	} words[] = {
		{ "noplaintext", 0, DVAUTH_MECH_PLAINTEXT },
		{ "noactive", 0, DVAUTH_MECH_ACTIVE },
		{ "nodictionary", 0, DVAUTH_MECH_DICTIONARY },
		{ "noanonymous", 0, DVAUTH_MECH_ANONYMOUS },
		{ "forward_secrecy", DVAUTH_MECH_FORWARD_SECRECY, 0 },
		{ "mutual_auth", DVAUTH_MECH_MUTUAL_AUTH, 0 },
	};
	size_t pos = 0, wl, i;
	const char *w;

	*require_r = 0;
	*forbid_r = 0;
	if (opts == NULL)
		opts = "noanonymous";	/* DEF_SMTPD_SASL_OPTS */
	while (next_word(opts, &pos, SEPS, &w, &wl)) {
		int found = 0;

		for (i = 0; i < N_ELEMENTS(words); i++)
			if (word_is(w, wl, words[i].name)) {
				*require_r |= words[i].req;
				*forbid_r |= words[i].forbid;
				found = 1;
			}
		if (!found) {
			*bad_r = w;
			return -1;
		}
	}
	return 0;
}

int pf_sasl_mech_filter(const struct pf_version *v, const char *filter, const char *const *mechs,
			size_t n, const char **out, size_t max, size_t *nout_r)
{
	size_t i, k = 0;

	if (filter == NULL)
		filter = pf_version_at_least(v, 3, 6, 20200830) ? "!external, static:rest" : "";
	if (!pf_version_at_least(v, 3, 6, 20200830))
		filter = "";	/* no such parameter: every mechanism is advertised */
	/* refuse patterns this oracle does not evaluate */
	{
		size_t pos = 0, wl;
		const char *w;

		while (next_word(filter, &pos, SEPS, &w, &wl)) {
			const char *p = w[0] == '!' ? w + 1 : w;
			size_t pl = w[0] == '!' ? wl - 1 : wl;
			const char *colon = memchr(p, ':', pl);

			if (p[0] == '/' || (colon != NULL && !(pl >= 7 && strncmp(p, "static:", 7) == 0)))
				return -1;
		}
	}
	for (i = 0; i < n; i++) {
		size_t pos = 0, wl;
		const char *w;
		int keep = filter[0] == '\0';

		/* match_list: the first matching pattern decides, "!" excludes */
		while (!keep && next_word(filter, &pos, SEPS, &w, &wl)) {
			int neg = w[0] == '!';
			const char *p = neg ? w + 1 : w;
			size_t pl = neg ? wl - 1 : wl;
			int match = (pl >= 7 && strncmp(p, "static:", 7) == 0) ||
			    word_is(p, pl, mechs[i]);

			if (match) {
				keep = !neg;
				break;
			}
		}
		if (keep && k < max)
			out[k++] = mechs[i];
	}
	*nout_r = k;
	return 0;
}

/* note_add - append to a "; "-separated list */
static void note_add(char *notes, size_t size, const char *text)
{
	size_t used = strlen(notes);

	if (used + 3 >= size)
		return;
	if (used > 0) {
		memcpy(notes + used, "; ", 3);
		used += 2;
	}
	snprintf(notes + used, size - used, "%s", text);
}

void pf_sasl_offer(const struct pf_auth_handshake *h, const char *opts, const char *filter,
		   struct pf_sasl_offer *o)
{
	unsigned req = 0, forbid = 0;
	const char *bad = NULL;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (pf_sasl_secopts(opts, &req, &forbid, &bad) < 0) {
		o->fatal = 1;
		snprintf(o->notes, sizeof(o->notes),
			 "fatal: smtpd_sasl_security_options: unknown word \"%.40s\"", bad);
		return;
	}
	o->nusable = pf_auth_filter(h, req, forbid, o->usable, N_ELEMENTS(o->usable));
	if (o->nusable == 0) {
		o->fatal = 1;
		snprintf(o->notes, sizeof(o->notes),
			 "fatal: no SASL authentication mechanisms (smtpd exits after the 220 "
			 "greeting: the SMTP client sees the connection drop)");
		return;
	}
	for (i = 0; i < o->nusable; i++)
		if (strpbrk(o->usable[i], " \t") != NULL) {
			note_add(o->notes, sizeof(o->notes),
				 "a mechanism name holds a space: the EHLO AUTH line shows it as "
				 "two words");
			break;
		}
	if (pf_sasl_mech_filter(&h->v, filter, o->usable, o->nusable, o->ehlo,
				N_ELEMENTS(o->ehlo), &o->nehlo) < 0) {
		note_add(o->notes, sizeof(o->notes),
			 "smtpd_sasl_mechanism_filter uses a file or table: not modelled, "
			 "EHLO shows every usable mechanism");
		memcpy(o->ehlo, o->usable, o->nusable * sizeof(o->usable[0]));
		o->nehlo = o->nusable;
	}
	if (o->nehlo == 0) {
		o->fatal = 1;
		note_add(o->notes, sizeof(o->notes),
			 "fatal: smtpd_sasl_mechanism_filter discards all mechanisms (smtpd exits "
			 "after the 220 greeting: the SMTP client sees the connection drop)");
	} else if (o->nehlo < o->nusable) {
		note_add(o->notes, sizeof(o->notes),
			 "mechanisms hidden from EHLO by smtpd_sasl_mechanism_filter are still "
			 "accepted by AUTH");
	}
}

int pf_sasl_valid_base64(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && p[i] != '\0'; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* printable_q - printable(s, '?') into dst */
static void printable_q(char *dst, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/*
 * pf_sasl_no_mech_reply - the 535 for a mechanism the helper did not
 * offer; the mechanism is named only since 3.10-20241111 (not in any
 * stable 3.9 or older patch level)
 */
void pf_sasl_no_mech_reply(const struct pf_version *v, const char *mech, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (pf_version_at_least(v, 3, 10, 20241111)) {
		char m[200];

		printable_q(m, sizeof(m), mech);
		snprintf(buf, size, "535 5.7.8 Error: authentication failed: Invalid authentication "
			 "mechanism: '%s'", m);
	} else {
		snprintf(buf, size, "535 5.7.8 Error: authentication failed: Invalid authentication "
			 "mechanism");
	}
}

void pf_sasl_first(const struct pf_version *v, const struct pf_sasl_offer *o, const char *mech,
		   const char *init_resp, struct pf_sasl_step *s)
{
	size_t i;
	int found = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < o->nusable && !found; i++)
		found = strcasecmp(mech, o->usable[i]) == 0;
	if (!found) {
		pf_sasl_no_mech_reply(v, mech, s->smtp, sizeof(s->smtp));
		snprintf(s->note, sizeof(s->note), "not in the usable mechanism list: nothing sent");
		return;
	}
	if (init_resp != NULL && !pf_sasl_valid_base64(init_resp, strlen(init_resp))) {
		snprintf(s->smtp, sizeof(s->smtp),
			 "535 5.7.8 Error: authentication failed: Invalid base64 data in initial "
			 "response");
		snprintf(s->note, sizeof(s->note), "charset check failed: nothing sent");
		return;
	}
	s->send = 1;
	if (init_resp != NULL && strcmp(init_resp, "=") == 0)
		snprintf(s->note, sizeof(s->note),
			 "\"=\" (empty initial response) goes out verbatim as resp==");
	else if (init_resp != NULL && strlen(init_resp) % 4 != 0)
		snprintf(s->note, sizeof(s->note),
			 "unpadded base64 passes Postfix's charset check; Dovecot requires padding");
}

void pf_sasl_next(const struct pf_version *v, const char *resp, size_t len,
		  struct pf_sasl_step *s)
{
	memset(s, 0, sizeof(*s));
	if (pf_version_at_least(v, 3, 4, 20180826)) {
		if (len >= PF_SASL_RESP_LIMIT) {
			s->abandoned = 1;
			snprintf(s->smtp, sizeof(s->smtp), "500 5.5.6 SASL response limit exceeded");
			snprintf(s->note, sizeof(s->note),
				 "response of %zu bytes reaches smtpd_sasl_response_limit %d: "
				 "nothing sent, the request stays pending at the server", len,
				 PF_SASL_RESP_LIMIT);
			return;
		}
	} else if (len >= PF_SASL_LINE_LIMIT) {
		/* smtpd_chat_query: smtp_get() bound, the rest of the line skipped */
		len = PF_SASL_LINE_LIMIT;
		snprintf(s->note, sizeof(s->note),
			 "response cut to its first %d bytes (line_length_limit, Postfix before "
			 "3.4); the cut response is what goes on", PF_SASL_LINE_LIMIT);
	}
	if ((len == 1 || (len > 1 && resp[1] == '\0')) && resp[0] == '*') {	/* strcmp(buf, "*") */
		s->abandoned = 1;
		snprintf(s->smtp, sizeof(s->smtp), "501 5.7.0 Authentication aborted");
		snprintf(s->note, sizeof(s->note),
			 "client abort: nothing sent (no CANCEL), the request stays pending");
		return;
	}
	if (!pf_sasl_valid_base64(resp, len)) {
		s->abandoned = 1;
		snprintf(s->smtp, sizeof(s->smtp),
			 "535 5.7.8 Error: authentication failed: Invalid base64 data in continued "
			 "response");
		snprintf(s->note, sizeof(s->note),
			 "charset check failed: nothing sent, the request stays pending");
		return;
	}
	s->send = 1;
	s->send_len = len;
}

/* bad_value - a value that would break a protocol line */
static int bad_value(const char *s)
{
	return s != NULL && strpbrk(s, "\t\n") != NULL;
}

int pf_auth_request_v(struct xbuf *out, const struct pf_version *v, unsigned id,
		      const char *mech, const char *service, const char *lip, const char *rip,
		      int secured, const char *resp)
{
	size_t old = out->len;

	if (bad_value(mech) || bad_value(service) || bad_value(lip) || bad_value(rip) ||
	    bad_value(resp))
		return -1;
	if (xbuf_printf(out, "AUTH\t%u\t%s\tservice=%s", id, mech, service) < 0 ||
	    (pf_version_at_least(v, 2, 5, 20080107) && xbuf_append_str(out, "\tnologin") < 0) ||
	    (pf_version_at_least(v, 2, 6, 20090212) &&
	     xbuf_printf(out, "\tlip=%s\trip=%s", lip ? lip : "", rip ? rip : "") < 0) ||
	    (secured && pf_version_at_least(v, 2, 7, 20090418) &&
	     xbuf_append_str(out, "\tsecured") < 0) ||
	    (resp != NULL && xbuf_printf(out, "\tresp=%s", resp) < 0) ||
	    xbuf_append_char(out, '\n') < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

int pf_auth_cont(struct xbuf *out, unsigned id, const char *resp)
{
	size_t old = out->len;

	if (strchr(resp, '\n') != NULL)
		return -1;
	if (xbuf_printf(out, "CONT\t%u\t%s\n", id, resp) < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

void pf_auth_connect_failure(struct pf_auth_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->outcome = PF_AUTH_TEMP;
	snprintf(out->smtp, sizeof(out->smtp),
		 "454 4.7.0 Temporary authentication failure: Can't connect to authentication "
		 "server");
	snprintf(out->note, sizeof(out->note),
		 "Postfix tries to connect (and handshake) twice within one AUTH, 10 s each");
}

/* --- Dovecot's own client --------------------------------------------- */

void pf_dc_init(struct pf_dc_req *r, unsigned minor)
{
	memset(r, 0, sizeof(*r));
	r->minor = minor;
	r->service = "smtp";
}

int pf_dc_handshake(struct xbuf *out, unsigned minor, unsigned long pid)
{
	size_t old = out->len;

	if (xbuf_printf(out, "VERSION\t1\t%u\nCPID\t%lu\n", minor, pid) < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* field - "\t<name>=<tab-escaped value>" when value is set */
static int field(struct xbuf *out, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	if (xbuf_printf(out, "\t%s=", name) < 0)
		return -1;
	return dvauth_escape(value, strlen(value), out);
}

int pf_dc_auth(struct xbuf *out, const struct pf_dc_req *r, unsigned id, const char *mech,
	       const char *resp)
{
	size_t old = out->len;
	int final = r->minor >= 3 || (r->flags & PF_DC_FINAL_RESP);
	int ok;

	ok = xbuf_printf(out, "AUTH\t%u\t", id) == 0 &&
	    dvauth_escape(mech, strlen(mech), out) == 0 &&
	    field(out, r->minor >= 3 ? "protocol" : "service", r->service ? r->service : "") == 0 &&
	    (!final || xbuf_append_str(out, "\tfinal-resp-ok") == 0) &&
	    (!(r->flags & PF_DC_SECURED) ||
	     xbuf_append_str(out, (r->flags & PF_DC_SECURED_TLS) ? "\tsecured=tls" :
			     "\tsecured") == 0) &&
	    (!(r->flags & PF_DC_NO_PENALTY) || xbuf_append_str(out, "\tno-penalty") == 0) &&
	    (!(r->flags & PF_DC_VALID_CERT) || xbuf_append_str(out, "\tvalid-client-cert") == 0) &&
	    (!(r->flags & PF_DC_DEBUG) || xbuf_append_str(out, "\tdebug") == 0) &&
	    field(out, "session", r->session) == 0 &&
	    field(out, "cert_username", r->cert_username) == 0 &&
	    field(out, "lip", r->lip) == 0 && field(out, "rip", r->rip) == 0 &&
	    (r->lport == 0 || xbuf_printf(out, "\tlport=%u", r->lport) == 0) &&
	    (r->rport == 0 || xbuf_printf(out, "\trport=%u", r->rport) == 0) &&
	    (r->local_name == NULL || r->local_name[0] == '\0' ||
	     field(out, "local_name", r->local_name) == 0) &&
	    (r->client_id == NULL || r->client_id[0] == '\0' ||
	     field(out, "client_id", r->client_id) == 0) &&
	    field(out, "resp", resp) == 0 &&
	    xbuf_append_char(out, '\n') == 0;
	if (!ok) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

int pf_dc_cont(struct xbuf *out, unsigned minor, unsigned id, const char *data,
	       const char *cbinding)
{
	size_t old = out->len;

	if (strpbrk(data, "\t\n") != NULL || (cbinding && strpbrk(cbinding, "\t\n") != NULL))
		return -1;
	if (xbuf_printf(out, "CONT\t%u\t%s", id, data) < 0 ||
	    (cbinding != NULL && minor >= 3 &&
	     xbuf_printf(out, "\tchannel_binding=%s", cbinding) < 0) ||
	    xbuf_append_char(out, '\n') < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

int pf_dc_cancel(struct xbuf *out, unsigned id)
{
	size_t old = out->len;

	if (xbuf_printf(out, "CANCEL\t%u\n", id) < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}
