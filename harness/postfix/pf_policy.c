/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy - Postfix's SMTPD policy client as pure functions (the oracle)
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy.h"
 * DESCRIPTION
 *	See pf_policy.h. This file: the attribute table, protocol_state,
 *	the request builder and reply reading; the action evaluation is
 *	pf_policy_eval.c. The behaviour follows Postfix 3.12-20260821
 *	(postfix/src/smtpd/smtpd_check.c, smtpd_dsn_fix.c,
 *	src/global/dsn_util.c, src/util/attr_clnt.c, attr_scan_plain.c,
 *	printable.c), with the version gates found by "git log -S":
 *	  DEFER keyword          2.6-20090109
 *	  HANGUP keyword         2.12-20140209 (3.0)
 *	  INFO keyword           2.12-20140618 (3.0)
 *	  BCC keyword            3.0 (under #ifdef SNAPSHOT before that)
 *	  REDIRECT, PREPEND      2.1 (older than the policy protocol)
 *	Postfix works on C strings: an action is cut at its first NUL
 *	before it is evaluated, as here.
 *
 *	Simplifications, stated: access maps and the
 *	DNS/RBL/address-verification restrictions are not evaluated (they
 *	need tables or the network: PF_POL_UNMODELLED); permit_*
 *	restrictions that depend on the client use flags of the context;
 *	warn_if_reject is honoured inside one action's restriction list;
 *	smtpd_reject_filter_maps and reject footers are not applied.
 * BOUNDS
 *	Actions longer than PF_POL_ACTION_MAX bytes are evaluated on their
 *	first PF_POL_ACTION_MAX bytes; at most PF_POL_MAX_WORDS restriction
 *	words; restriction classes (pf_pol_ctx.classes) at most
 *	PF_POL_CLASS_DEPTH deep, deeper names read as unknown restrictions;
 *	every text output is cut to its buffer.
 * DIAGNOSTICS
 *	None: every input maps to a verdict; see pf_policy.h for the
 *	builder's -1 returns.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_policy_int.h"
#include "proto/policy.h"

/* --- attribute table (protocols.md B.2) ----------------------------- */

static const struct pf_pol_attr_info attrs[] = {
	{ "request", 2, 1, 0, 0 },
	{ "protocol_state", 2, 1, 0, 0 },
	{ "protocol_name", 2, 1, 0, 0 },
	{ "client_address", 2, 1, 0, 0 },
	{ "client_name", 2, 1, 0, 0 },
	{ "client_port", 2, 12, 20140507, 0 },
	{ "reverse_client_name", 2, 3, 20060629, 0 },
	{ "server_address", 3, 2, 20160611, 0 },
	{ "server_port", 3, 2, 20160611, 0 },
	{ "helo_name", 2, 1, 0, 0 },
	{ "sender", 2, 1, 0, 0 },
	{ "recipient", 2, 1, 0, 0 },
	{ "recipient_count", 2, 3, 20060123, 0 },
	{ "queue_id", 2, 1, 0, 0 },
	{ "instance", 2, 1, 0, 0 },
	{ "size", 2, 2, 0, 0 },
	{ "etrn_domain", 2, 3, 20060601, 0 },
	{ "stress", 2, 5, 20071212, 0 },
	{ "sasl_method", 2, 2, 0, PF_POL_ATTR_SASL },
	{ "sasl_username", 2, 2, 0, PF_POL_ATTR_SASL },
	{ "sasl_sender", 2, 2, 0, PF_POL_ATTR_SASL },
	{ "ccert_subject", 2, 2, 0, PF_POL_ATTR_TLS },
	{ "ccert_issuer", 2, 2, 0, PF_POL_ATTR_TLS },
	{ "ccert_fingerprint", 2, 2, 0, PF_POL_ATTR_TLS },
	{ "ccert_pubkey_fingerprint", 2, 9, 20111205, PF_POL_ATTR_TLS },
	{ "encryption_protocol", 2, 3, 20051220, PF_POL_ATTR_TLS },
	{ "encryption_cipher", 2, 3, 20051220, PF_POL_ATTR_TLS },
	{ "encryption_keysize", 2, 3, 20051220, PF_POL_ATTR_TLS },
	{ "tls_sni", 3, 12, 20260716, PF_POL_ATTR_TLS },
	{ "policy_context", 3, 1, 20150913, 0 },
	{ "compatibility_level", 3, 8, 20220415, 0 },
	{ "mail_version", 3, 8, 20220816, 0 },
};

size_t pf_pol_attr_count(void)
{
	return N_ELEMENTS(attrs);
}

const struct pf_pol_attr_info *pf_pol_attr_at(size_t i)
{
	return i < N_ELEMENTS(attrs) ? &attrs[i] : NULL;
}

int pf_pol_attr_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(attrs); i++)
		if (strcmp(attrs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pf_pol_attr_sent(const struct pf_version *v, size_t i)
{
	if (i >= N_ELEMENTS(attrs))
		return 0;
	return pf_version_at_least(v, attrs[i].major, attrs[i].minor, attrs[i].snapshot);
}

/* --- protocol_state --------------------------------------------------- */

static const char *const state_names[] = {
	"CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE", "VRFY", "ETRN",
};

int pf_pol_state_parse(const char *s, enum pf_pol_state *st_r)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(state_names); i++)
		if (strcmp(state_names[i], s) == 0) {
			*st_r = (enum pf_pol_state)i;
			return 0;
		}
	return -1;
}

const char *pf_pol_state_name(enum pf_pol_state st)
{
	return (size_t)st < N_ELEMENTS(state_names) ? state_names[st] : "?";
}

/* --- request builder -------------------------------------------------- */

/* pf_pol_after_mail - MAIL has been accepted in this state (a transaction) */
int pf_pol_after_mail(enum pf_pol_state st)
{
	return st == PF_POL_MAIL || st == PF_POL_RCPT || st == PF_POL_DATA || st == PF_POL_EOM;
}

/* default_value - what Postfix sends for attribute i in state st */
static const char *default_value(const struct pf_pol_req *r, size_t i)
{
	const char *name = attrs[i].name;
	enum pf_pol_state st = r->state;

	if (strcmp(name, "request") == 0)
		return "smtpd_access_policy";
	if (strcmp(name, "protocol_state") == 0)
		return pf_pol_state_name(st);
	if (strcmp(name, "protocol_name") == 0)	/* "SMTP" until EHLO */
		return st == PF_POL_CONNECT || st == PF_POL_HELO ? "SMTP" : "ESMTP";
	if (strcmp(name, "client_address") == 0 || strcmp(name, "server_address") == 0)
		return DEF_CLIENT;
	if (strcmp(name, "client_name") == 0 || strcmp(name, "reverse_client_name") == 0)
		return "localhost";
	if (strcmp(name, "client_port") == 0)
		return "36952";
	if (strcmp(name, "server_port") == 0)
		return "25";
	if (strcmp(name, "helo_name") == 0)
		return st == PF_POL_CONNECT ? "" : DEF_HELO;
	if (strcmp(name, "sender") == 0)
		return pf_pol_after_mail(st) ? DEF_SENDER : "";
	if (strcmp(name, "recipient") == 0)
		return st == PF_POL_RCPT || st == PF_POL_DATA || st == PF_POL_EOM ||
		    st == PF_POL_VRFY ? DEF_RCPT : "";
	if (strcmp(name, "recipient_count") == 0)
		return st == PF_POL_DATA || st == PF_POL_EOM ? "1" : "0";
	if (strcmp(name, "queue_id") == 0)
		return st == PF_POL_DATA || st == PF_POL_EOM ? DEF_QUEUE_ID : "";
	if (strcmp(name, "instance") == 0)
		return pf_pol_after_mail(st) ? DEF_INSTANCE : "";
	if (strcmp(name, "size") == 0)
		return st == PF_POL_EOM ? "312" : "0";
	if (strcmp(name, "etrn_domain") == 0)
		return st == PF_POL_ETRN ? DEF_ETRN : "";
	if (strcmp(name, "encryption_keysize") == 0)
		return "0";
	if (strcmp(name, "compatibility_level") == 0)
		return "3.6";
	if (strcmp(name, "mail_version") == 0)
		return r->mail_version;
	return "";
}

void pf_pol_req_init(struct pf_pol_req *r, const struct pf_version *v, enum pf_pol_state st)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->v = *v;
	r->state = st;
	/* var_mail_version: "3.8.0" for a release, "3.12-20260821" for a snapshot */
	if (v->snapshot)
		snprintf(r->mail_version, sizeof(r->mail_version), "%u.%u-%08lu", v->major,
			 v->minor, v->snapshot);
	else
		snprintf(r->mail_version, sizeof(r->mail_version), "%u.%u.%u", v->major, v->minor,
			 v->patch);
	for (i = 0; i < N_ELEMENTS(attrs); i++) {
		if (!pf_pol_attr_sent(v, i))
			continue;
		r->a[r->n].name = attrs[i].name;
		r->a[r->n].value = default_value(r, i);
		r->n++;
	}
}

/* req_index - position of name in r, or -1 */
static int req_index(const struct pf_pol_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->a[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pf_pol_req_set(struct pf_pol_req *r, const char *name, const char *value)
{
	int k = req_index(r, name);
	int t;
	size_t pos, i;

	if (name[0] == '\0' || strchr(name, '=') != NULL || strchr(name, '\n') != NULL ||
	    value == NULL)
		return -1;
	if (k >= 0) {
		r->a[k].value = value;
		return 0;
	}
	if (r->n >= PF_POL_MAX_REQ)
		return -1;
	pos = r->n;
	if ((t = pf_pol_attr_find(name)) >= 0) {
		/* a known attribute goes back to its Postfix position */
		for (i = 0; i < r->n; i++) {
			int u = pf_pol_attr_find(r->a[i].name);

			if (u < 0 || u > t) {
				pos = i;
				break;
			}
		}
	}
	memmove(&r->a[pos + 1], &r->a[pos], (r->n - pos) * sizeof(r->a[0]));
	r->a[pos].name = t >= 0 ? attrs[t].name : name;	/* unknown: caller's string */
	r->a[pos].value = value;
	r->n++;
	return 0;
}

int pf_pol_req_delete(struct pf_pol_req *r, const char *name)
{
	int k = req_index(r, name);

	if (k < 0)
		return -1;
	memmove(&r->a[k], &r->a[k + 1], (r->n - (size_t)k - 1) * sizeof(r->a[0]));
	r->n--;
	return 0;
}

const char *pf_pol_req_get(const struct pf_pol_req *r, const char *name)
{
	int k = req_index(r, name);

	return k < 0 ? NULL : r->a[k].value;
}

int pf_pol_req_format(const struct pf_pol_req *r, struct xbuf *out, const char **error_r)
{
	size_t old = out->len, i;

	for (i = 0; i < r->n; i++) {
		if (policy_format_attr(out, r->a[i].name, r->a[i].value, strlen(r->a[i].value)) < 0) {
			xbuf_truncate(out, old);
			*error_r = strchr(r->a[i].value, '\n') ? "a value contains LF" :
			    "output bound reached";
			return -1;
		}
	}
	if (xbuf_append_char(out, '\n') < 0) {
		xbuf_truncate(out, old);
		*error_r = "output bound reached";
		return -1;
	}
	return 0;
}

int pf_pol_instance(char *buf, size_t size, unsigned pid, unsigned long sec, unsigned long usec,
		    unsigned seq)
{
	int n = snprintf(buf, size, "%x.%lx.%lx.%x", pid, sec, usec, seq);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* --- small text helpers --------------------------------------------- */

/* pf_pol_note_add - append a formatted observation to a "; "-separated list */
void pf_pol_note_add(char *notes, size_t size, const char *fmt, ...)
{
	size_t used = strlen(notes);
	va_list ap;

	if (used + 3 >= size)
		return;
	if (used > 0) {
		memcpy(notes + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	(void)vsnprintf(notes + used, size - used, fmt, ap);
	va_end(ap);
}

/* pf_pol_copy_str - bounded copy that always terminates */
void pf_pol_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* utf8_len - length of the valid UTF-8 sequence at p (NUL-terminated), 0 if none */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c <= 0x7f)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c <= 0xdf)
		n = 2;
	else if (c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* over-long */
		if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* pf_pol_valid_utf8 - every byte of (p, len) is part of valid UTF-8 */
int pf_pol_valid_utf8(const char *p, size_t len)
{
	size_t i = 0;
	char tmp[5];

	while (i < len) {
		size_t k, n;

		memset(tmp, 0, sizeof(tmp));
		for (k = 0; k < 4 && i + k < len; k++)
			tmp[k] = p[i + k];
		n = utf8_len((const unsigned char *)tmp);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* pf_pol_printable - Postfix's printable(s, ' ') in place, UTF-8 kept if utf8 */
void pf_pol_printable(char *s, int utf8)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n;

		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			continue;
		}
		if (utf8 && *p >= 0x80 && (n = utf8_len(p)) > 0) {
			p += n;
			continue;
		}
		*p++ = ' ';
	}
}

/* --- reply reading (B.3, B.4) ---------------------------------------- */

int pf_pol_read_reply(const char *buf, size_t len, int end, int smtputf8, struct pf_pol_read *rd)
{
	struct policy_reply rep;
	size_t used = 0;
	const char *err = NULL;
	int rc;
	const char *what;

	memset(rd, 0, sizeof(*rd));
	if (len == 0 && end == PF_POL_END_NONE)
		return 0;
	if (len == 0) {
		/* attr_vscan_plain: EOF before the first byte returns 0, no warning */
		snprintf(rd->why, sizeof(rd->why), "%s",
			 end == PF_POL_END_EOF ?
			 "the server closed the connection without replying (no attributes)" :
			 end == PF_POL_END_TIMEOUT ?
			 "timeout while reading input attribute name (no reply)" :
			 "read error before any reply");
		return 1;
	}
	rc = policy_parse_reply(buf, len, &rep, &used, &err);
	rd->nactions = rep.nactions;
	rd->nunknown = rep.nunknown;
	rd->ncase = rep.ncase;
	if (rep.ncase)
		pf_pol_note_add(rd->notes, sizeof(rd->notes),
			 "attribute name \"Action\" in other case: Postfix skips it (names are "
			 "case-sensitive)");
	{
		/* CR LF where Postfix wants an empty line: never a terminator */
		const char *p = buf;
		size_t left = len;

		while (left >= 2) {
			const char *q = memchr(p, '\r', left - 1);

			if (q == NULL)
				break;
			if (q[1] == '\n' && (q == buf || q[-1] == '\n')) {
				rd->crlf = 1;
				break;
			}
			left -= (size_t)(q - p) + 1;
			p = q + 1;
		}
		if (!rd->crlf && len >= 1 && memchr(buf, '\r', len) != NULL)
			pf_pol_note_add(rd->notes, sizeof(rd->notes),
				 "CR in the reply: Postfix keeps it as data (action=DUNNO\\r is not "
				 "DUNNO)");
	}
	if (rc == 0) {
		if (end == PF_POL_END_NONE)
			return 0;
		what = end == PF_POL_END_TIMEOUT ? "timeout" : end == PF_POL_END_EOF ?
		    "premature end-of-input" : "read error";
		snprintf(rd->why, sizeof(rd->why), "%s while reading input attribute %s%s", what,
			 (len > 0 && buf[len - 1] != '\n') ? "name or value" : "name",
			 rd->crlf ? " (the reply uses CR LF: its \"\\r\\n\" line is an attribute "
			 "named \"\\r\", never the terminating empty line)" : "");
		return 1;
	}
	rd->used = used;
	/* after a failed try Postfix closes the stream: leftovers matter only on success */
	rd->trailing = rep.status == POLICY_REPLY_OK ? len - used : 0;
	if (rd->trailing)
		pf_pol_note_add(rd->notes, sizeof(rd->notes),
			 "%zu byte(s) after the terminating empty line: the next request finds "
			 "the stream readable, Postfix counts a failed try, sleeps retry_delay and "
			 "reconnects", rd->trailing);
	if (rep.status == POLICY_REPLY_MALFORMED) {
		snprintf(rd->why, sizeof(rd->why), "missing value for string attribute action");
		return 1;
	}
	if (rep.status == POLICY_REPLY_MISSING_ACTION) {
		snprintf(rd->why, sizeof(rd->why), "missing attribute action in input");
		return 1;
	}
	rd->action = rep.action;
	if (rep.action_nul) {
		const char *nul = memchr(rep.action.p, '\0', rep.action.len);

		rd->nul = 1;
		rd->action.len = (size_t)(nul - rep.action.p);
		pf_pol_note_add(rd->notes, sizeof(rd->notes),
			 "NUL byte in the action: Postfix reads it as a C string and cuts it there");
	}
	if (rep.nactions > 1)
		pf_pol_note_add(rd->notes, sizeof(rd->notes),
			 "%zu action attributes: Postfix uses the first and skips the rest",
			 rep.nactions);
	if (rep.nunknown)
		pf_pol_note_add(rd->notes, sizeof(rd->notes),
			 "%zu other attribute line(s): skipped", rep.nunknown);
	if (smtputf8 && !pf_pol_valid_utf8(rd->action.p, rd->action.len)) {
		snprintf(rd->why, sizeof(rd->why),
			 "malformed UTF-8 in policy server response (smtputf8_enable=yes): "
			 "Postfix applies the default action without retrying");
		rd->ok = 0;
		return 1;
	}
	rd->ok = 1;
	return 1;
}

void pf_pol_params_init(struct pf_pol_params *p)
{
	p->timeout_ms = PF_POL_TIMEOUT_MS;
	p->retry_ms = PF_POL_RETRY_MS;
	p->try_limit = PF_POL_TRY_LIMIT;
	p->request_limit = 0;
	p->default_action = PF_POL_DEFAULT_ACTION;
}

unsigned long pf_pol_failure_ms(const struct pf_pol_params *p, enum pf_pol_fail how)
{
	unsigned long per_try = how == PF_POL_FAIL_TIMEOUT ? p->timeout_ms : 0;
	unsigned long tries = p->try_limit;

	if (tries == 0)
		return ULONG_MAX;	/* Postfix retries forever */
	if (per_try > 0 && tries > ULONG_MAX / per_try / 2)
		return ULONG_MAX;
	if (p->retry_ms > 0 && tries - 1 > ULONG_MAX / p->retry_ms / 2)
		return ULONG_MAX;
	/* attr_clnt_request sleeps between tries, not after the last */
	return tries * per_try + (tries - 1) * p->retry_ms;
}
