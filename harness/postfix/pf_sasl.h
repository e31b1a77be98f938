/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_sasl - smtpd's side of SMTP AUTH around the Dovecot client, and
 *	Dovecot's own client request shapes
 * SYNOPSIS
 *	#include "harness/postfix/pf_sasl.h"
 *
 *	void pf_sasl_conf_init(struct pf_sasl_conf *c);
 *
 *	int pf_sasl_secopts(const char *opts, unsigned *require_r,
 *	                    unsigned *forbid_r, const char **bad_r);
 *	int pf_sasl_mech_filter(const struct pf_version *v, const char *filter,
 *	                        const char *const *mechs, size_t n,
 *	                        const char **out, size_t max, size_t *nout_r);
 *	void pf_sasl_offer(const struct pf_auth_handshake *h, const char *opts,
 *	                   const char *filter, struct pf_sasl_offer *o);
 *	void pf_sasl_first(const struct pf_version *v,
 *	                   const struct pf_sasl_offer *o, const char *mech,
 *	                   const char *init_resp, struct pf_sasl_step *s);
 *	void pf_sasl_next(const struct pf_version *v, const char *resp,
 *	                  size_t len, struct pf_sasl_step *s);
 *	void pf_sasl_no_mech_reply(const struct pf_version *v,
 *	                           const char *mech, char *buf, size_t size);
 *	int pf_sasl_valid_base64(const char *p, size_t len);
 *	int pf_auth_request_v(struct xbuf *out, const struct pf_version *v,
 *	                      unsigned id, const char *mech,
 *	                      const char *service, const char *lip,
 *	                      const char *rip, int secured, const char *resp);
 *	int pf_auth_cont(struct xbuf *out, unsigned id, const char *resp);
 *	void pf_auth_connect_failure(struct pf_auth_verdict *out);
 *
 *	void pf_dc_init(struct pf_dc_req *r, unsigned minor);
 *	int pf_dc_auth(struct xbuf *out, const struct pf_dc_req *r,
 *	               unsigned id, const char *mech, const char *resp);
 *	int pf_dc_handshake(struct xbuf *out, unsigned minor,
 *	                    unsigned long pid);
 *	int pf_dc_cont(struct xbuf *out, unsigned minor, unsigned id,
 *	               const char *data, const char *cbinding);
 *	int pf_dc_cancel(struct xbuf *out, unsigned id);
 * DESCRIPTION
 *	struct pf_sasl_conf holds the smtpd settings these functions read,
 *	as the user configured them: each NULL means the chosen version's
 *	default (pf_sasl_conf_init() sets them all NULL). Callers pass its
 *	fields on (security_options as opts, mech_filter as filter).
 *
 *	Postfix (src/smtpd/smtpd_sasl_glue.c, smtpd_sasl_proto.c,
 *	src/xsasl/xsasl_dovecot_server.c, src/global/sasl_mech_filter.c):
 *
 *	pf_sasl_secopts() reads smtpd_sasl_security_options (words
 *	separated by comma, space or TAB, case-insensitive: noanonymous,
 *	noplaintext, noactive, nodictionary, mutual_auth, forward_secrecy)
 *	into DVAUTH_MECH_* masks; NULL means the default "noanonymous".
 *	pf_sasl_mech_filter() applies smtpd_sasl_mechanism_filter (a
 *	string list: case-insensitive names, "!name" excludes, "static:all"
 *	and "static:rest" match every name, first match decides, no match
 *	drops) to the EHLO advertisement only; NULL means the default
 *	("!external, static:rest" since 3.6-20200830, no filter before).
 *	pf_sasl_offer() combines both over a finished handshake: o->usable
 *	(what AUTH accepts), o->ehlo (the 250-AUTH line's words), and
 *	o->fatal when the usable list is empty: smtpd's msg_fatal "no SASL
 *	authentication mechanisms", the SMTP client sees the connection drop
 *	after its 220 greeting.
 *
 *	pf_sasl_first() is what smtpd does with "AUTH mech [init]" before
 *	anything reaches the auth server: the mechanism must be in the
 *	usable list, case-insensitively (not in the EHLO filter), or 535
 *	"Invalid authentication mechanism" (": '<mech>'" made printable
 *	since 3.10-20241111); an initial response must pass the charset
 *	check (535 "Invalid base64 data in initial response"). Otherwise
 *	s->send is 1: the AUTH line goes out with the mechanism as typed and
 *	the response verbatim ("=" stays "=", sent as resp==).
 *	pf_sasl_no_mech_reply() writes that 535 line for mech into buf
 *	(cut to size), for callers that learn of the unknown mechanism
 *	elsewhere.
 *	pf_sasl_next() is one client response line after a 334 (len
 *	without the line end): len >= smtpd_sasl_response_limit (12288,
 *	since 3.4-20180826; the line end must fit in the bound) gives 500
 *	5.5.6 "SASL response limit exceeded"; before 3.4 the line is cut to
 *	its first line_length_limit (2048) bytes, the rest skipped, and the
 *	cut response goes on (s->send_len); "*" gives 501 5.7.0
 *	"Authentication aborted"; bad
 *	characters give 535 "Invalid base64 data in continued response";
 *	in each case nothing is sent and the request stays pending at the
 *	server (Postfix never sends CANCEL). Otherwise s->send is 1 and the
 *	CONT carries the line verbatim (empty allowed). The length is
 *	checked before "*", as smtpd does.
 *	pf_sasl_valid_base64() is xsasl_dovecot's is_valid_base64: only
 *	the characters [A-Za-z0-9+/=] are checked, nothing else.
 *
 *	pf_auth_request_v() is pf_auth_request() with the fields a given
 *	Postfix version sends: service= (always; configurable since 2.11),
 *	nologin since 2.5-20080107, lip=/rip= since 2.6-20090212, secured
 *	since 2.7-20090418. pf_auth_cont() writes "CONT\t<id>\t<resp>\n".
 *	pf_auth_connect_failure() is the 454 "Can't connect to
 *	authentication server" (connect failed twice, or the handshake
 *	failed on reconnect).
 *
 *	Dovecot's own client (src/lib-auth-client/auth-client-request.c in
 *	2.4, src/lib-auth/ in 2.3), beyond what Postfix does: the client
 *	announces minor 2 (2.3), 3 (2.4.0-2.4.3) or 4 (2.4.4+).
 *	pf_dc_auth() writes AUTH id mech, then service= (minor 2) or
 *	protocol= (minor >= 3), final-resp-ok (always from minor 3, on
 *	request for minor 2), secured[=tls], no-penalty,
 *	valid-client-cert, debug, session=, cert_username=, lip=, rip=,
 *	lport=, rport=, local_name=, client_id=, resp=: in that order, each
 *	only when set in r, values tab-escaped. pf_dc_cont() appends
 *	"\tchannel_binding=<b64>" when given and minor >= 3. pf_dc_cancel()
 *	writes "CANCEL\t<id>\n". pf_dc_handshake() writes
 *	"VERSION\t1\t<minor>\nCPID\t<pid>\n".
 * DIAGNOSTICS
 *	pf_sasl_secopts: 0, or -1 with *bad_r the unknown word (Postfix
 *	refuses to start). pf_sasl_mech_filter: 0, or -1 for a filter
 *	pattern that is a lookup table other than static: (not modelled).
 *	Formatters: 0, or -1 when the output bound is reached or a value
 *	would break the line (then nothing is appended).
 */
#ifndef HARNESS_POSTFIX_PF_SASL_H
#define HARNESS_POSTFIX_PF_SASL_H

#include <stddef.h>

#include "harness/postfix/pf_auth.h"
#include "harness/postfix/pf_version.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define PF_SASL_RESP_LIMIT	12288	/* smtpd_sasl_response_limit, 3.4+ */
#define PF_SASL_LINE_LIMIT	2048	/* line_length_limit */

/* smtpd's SASL settings; NULL: the version's default */
struct pf_sasl_conf {
	const char *security_options;	/* smtpd_sasl_security_options */
	const char *mech_filter;	/* smtpd_sasl_mechanism_filter */
};

struct pf_sasl_offer {
	size_t nusable, nehlo;
	const char *usable[PF_AUTH_MAX_MECHS];	/* into the handshake */
	const char *ehlo[PF_AUTH_MAX_MECHS];
	int fatal;			/* "no SASL authentication mechanisms" */
	char notes[512];
};

struct pf_sasl_step {
	int send;			/* 1: a line goes to the auth server */
	size_t send_len;		/* pf_sasl_next: bytes of resp it carries */
	int abandoned;			/* 1: a request stays pending there */
	char smtp[1100];		/* the SMTP reply when send is 0 */
	char note[256];
};

void pf_sasl_conf_init(struct pf_sasl_conf *c);
int pf_sasl_secopts(const char *opts, unsigned *require_r, unsigned *forbid_r,
		    const char **bad_r);
int pf_sasl_mech_filter(const struct pf_version *v, const char *filter, const char *const *mechs,
			size_t n, const char **out, size_t max, size_t *nout_r);
void pf_sasl_offer(const struct pf_auth_handshake *h, const char *opts, const char *filter,
		   struct pf_sasl_offer *o);
void pf_sasl_first(const struct pf_version *v, const struct pf_sasl_offer *o, const char *mech,
		   const char *init_resp, struct pf_sasl_step *s);
void pf_sasl_next(const struct pf_version *v, const char *resp, size_t len,
		  struct pf_sasl_step *s);
void pf_sasl_no_mech_reply(const struct pf_version *v, const char *mech, char *buf,
			   size_t size);
int pf_sasl_valid_base64(const char *p, size_t len);
int pf_auth_request_v(struct xbuf *out, const struct pf_version *v, unsigned id,
		      const char *mech, const char *service, const char *lip, const char *rip,
		      int secured, const char *resp) ATTR_WUR;
int pf_auth_cont(struct xbuf *out, unsigned id, const char *resp) ATTR_WUR;
void pf_auth_connect_failure(struct pf_auth_verdict *out);

/* Dovecot's own client */
#define PF_DC_SECURED		0x01
#define PF_DC_SECURED_TLS	0x02	/* with PF_DC_SECURED: secured=tls */
#define PF_DC_NO_PENALTY	0x04
#define PF_DC_VALID_CERT	0x08
#define PF_DC_DEBUG		0x10
#define PF_DC_FINAL_RESP	0x20	/* minor 2 only: ask for final-resp-ok */

struct pf_dc_req {
	unsigned minor;			/* 2, 3 or 4 */
	const char *service;		/* protocol= / service= value */
	unsigned flags;			/* PF_DC_* */
	const char *session, *cert_username, *local_name, *client_id;
	const char *lip, *rip;		/* NULL: not sent */
	unsigned lport, rport;		/* 0: not sent */
};

void pf_dc_init(struct pf_dc_req *r, unsigned minor);
int pf_dc_handshake(struct xbuf *out, unsigned minor, unsigned long pid) ATTR_WUR;
int pf_dc_auth(struct xbuf *out, const struct pf_dc_req *r, unsigned id, const char *mech,
	       const char *resp) ATTR_WUR;
int pf_dc_cont(struct xbuf *out, unsigned minor, unsigned id, const char *data,
	       const char *cbinding) ATTR_WUR;
int pf_dc_cancel(struct xbuf *out, unsigned id) ATTR_WUR;

#endif
