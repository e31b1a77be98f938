/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy - Postfix's SMTPD policy client as pure functions (the oracle)
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy.h"
 * DESCRIPTION
 *	See pf_policy.h. The behaviour follows Postfix 3.12-20260821
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
 *	Simplifications, stated: restriction classes, access maps and the
 *	DNS/RBL/address-verification restrictions are not evaluated (they
 *	need tables or the network: PF_POL_UNMODELLED); permit_*
 *	restrictions that depend on the client use flags of the context;
 *	warn_if_reject is honoured inside one action's restriction list;
 *	smtpd_reject_filter_maps and reject footers are not applied.
 * BOUNDS
 *	Actions longer than PF_POL_ACTION_MAX bytes are evaluated on their
 *	first PF_POL_ACTION_MAX bytes; at most PF_POL_MAX_WORDS restriction
 *	words; every text output is cut to its buffer.
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

#define DEF_CLIENT	"127.0.0.1"
#define DEF_HELO	"client.test"
#define DEF_SENDER	"sender@test.invalid"
#define DEF_RCPT	"rcpt@example.com"
#define DEF_QUEUE_ID	"ED5A9A722DC"
#define DEF_INSTANCE	"419e.6b02af7b.eb52e.0"
#define DEF_ETRN	"example.com"

/* after_mail - MAIL has been accepted in this state (a transaction) */
static int after_mail(enum pf_pol_state st)
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
		return after_mail(st) ? DEF_SENDER : "";
	if (strcmp(name, "recipient") == 0)
		return st == PF_POL_RCPT || st == PF_POL_DATA || st == PF_POL_EOM ||
		    st == PF_POL_VRFY ? DEF_RCPT : "";
	if (strcmp(name, "recipient_count") == 0)
		return st == PF_POL_DATA || st == PF_POL_EOM ? "1" : "0";
	if (strcmp(name, "queue_id") == 0)
		return st == PF_POL_DATA || st == PF_POL_EOM ? DEF_QUEUE_ID : "";
	if (strcmp(name, "instance") == 0)
		return after_mail(st) ? DEF_INSTANCE : "";
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

/* note_add - append a formatted observation to a "; "-separated list */
static void ATTR_PRINTF(3, 4) note_add(char *notes, size_t size, const char *fmt, ...)
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

/* copy_str - bounded copy that always terminates */
static void copy_str(char *dst, size_t size, const char *src)
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

/* valid_utf8 - every byte of (p, len) is part of valid UTF-8 */
static int valid_utf8(const char *p, size_t len)
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

/* printable - Postfix printable(s, ' ') in place, UTF-8 kept if utf8 */
static void printable(char *s, int utf8)
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
		note_add(rd->notes, sizeof(rd->notes),
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
			note_add(rd->notes, sizeof(rd->notes),
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
		note_add(rd->notes, sizeof(rd->notes),
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
		note_add(rd->notes, sizeof(rd->notes),
			 "NUL byte in the action: Postfix reads it as a C string and cuts it there");
	}
	if (rep.nactions > 1)
		note_add(rd->notes, sizeof(rd->notes),
			 "%zu action attributes: Postfix uses the first and skips the rest",
			 rep.nactions);
	if (rep.nunknown)
		note_add(rd->notes, sizeof(rd->notes),
			 "%zu other attribute line(s): skipped", rep.nunknown);
	if (smtputf8 && !valid_utf8(rd->action.p, rd->action.len)) {
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

/* --- action evaluation (B.5) ----------------------------------------- */

static const char *const stage_class[] = {
	"Client host", "Helo command", "Sender address", "Recipient address",
	"Etrn command", "Data command", "End-of-data",
};

void pf_pol_ctx_init(struct pf_pol_ctx *c, const struct pf_version *v, enum pf_pol_state st)
{
	memset(c, 0, sizeof(*c));
	c->v = *v;
	c->state = st;
	switch (st) {
	case PF_POL_CONNECT:
		c->stage = PF_POL_STAGE_CLIENT;
		break;
	case PF_POL_EHLO:
	case PF_POL_HELO:
		c->stage = PF_POL_STAGE_HELO;
		break;
	case PF_POL_MAIL:
		c->stage = PF_POL_STAGE_SENDER;
		break;
	case PF_POL_RCPT:
	case PF_POL_VRFY:
		c->stage = PF_POL_STAGE_RECIPIENT;
		break;
	case PF_POL_ETRN:
		c->stage = PF_POL_STAGE_ETRN;
		break;
	case PF_POL_DATA:
		c->stage = PF_POL_STAGE_DATA;
		break;
	case PF_POL_EOM:
		c->stage = PF_POL_STAGE_EOD;
		break;
	}
	c->client = "localhost[" DEF_CLIENT "]";
	c->helo = st == PF_POL_CONNECT ? NULL : DEF_HELO;
	c->sender = after_mail(st) ? DEF_SENDER : NULL;
	c->recipient = st == PF_POL_RCPT || st == PF_POL_DATA || st == PF_POL_EOM ||
	    st == PF_POL_VRFY ? DEF_RCPT : NULL;
	c->etrn_domain = st == PF_POL_ETRN ? DEF_ETRN : NULL;
	c->smtputf8 = pf_version_at_least(v, 3, 0, 0);
	c->sasl_user = "";
	c->access_map_reject_code = 554;
	c->access_map_defer_code = 450;
	c->reject_code = 554;
	c->defer_code = 450;
	c->relay_code = 554;
	c->plaintext_code = 450;
}

const char *pf_pol_kind_name(enum pf_pol_kind k)
{
	switch (k) {
	case PF_POL_PERMIT: return "permit";
	case PF_POL_DUNNO: return "dunno";
	case PF_POL_REJECT: return "reject";
	case PF_POL_HANGUP: return "hangup";
	case PF_POL_CONFIG_ERROR: return "config-error";
	case PF_POL_UNMODELLED: return "unmodelled";
	}
	return "?";
}

/* evaluation state: one check_table_result call and what it nests */
struct ev {
	const struct pf_pol_ctx *c;
	struct pf_pol_verdict *out;
	const char *name;		/* reply_name */
	const char *cls;		/* reply_class */
	int warn_if_reject;
	int defer_if_reject;		/* out->pending holds its reply */
	unsigned defer_code;
	char defer_dsn[16];
	char defer_text[PF_POL_TEXT_MAX];
};

#define ISSPACE(ch)	((ch) == ' ' || ((ch) >= '\t' && (ch) <= '\r'))
#define ISDIGIT(ch)	((ch) >= '0' && (ch) <= '9')

/* dsn_valid - Postfix dsn_valid(): length of "D.DDD.DDD" at text, or 0 */
static size_t dsn_valid(const char *text)
{
	const char *cp = text;
	size_t len;

	if ((cp[0] != '2' && cp[0] != '4' && cp[0] != '5') || cp[1] != '.')
		return 0;
	cp += 2;
	if ((len = strspn(cp, "0123456789")) < 1 || len > 3 || cp[len] != '.')
		return 0;
	cp += len + 1;
	if ((len = strspn(cp, "0123456789")) < 1 || len > 3 || (cp[len] != 0 && !ISSPACE(cp[len])))
		return 0;
	return (size_t)(cp - text) + len;
}

/* dsn_split - optional enhanced status code at the start of text */
static const char *dsn_split(const char *def_dsn, const char *text, char *dsn, size_t dsize)
{
	const char *cp = text;
	size_t len;

	while (ISSPACE(*cp))
		cp++;
	if ((len = dsn_valid(cp)) > 0 && len < dsize) {
		memcpy(dsn, cp, len);
		dsn[len] = '\0';
		cp += len;
	} else {
		snprintf(dsn, dsize, "%s", def_dsn);
	}
	while (ISSPACE(*cp))
		cp++;
	return cp;
}

/* dsn_fix - smtpd_dsn_fix(): address DSNs follow what is being rejected */
static const char *dsn_fix(const char *status, const char *cls, char *notes, size_t nsize)
{
	static const struct {
		const char *micro, *sender, *rcpt;
	} map[] = {
		{ "1", "4.1.7", "4.1.1" }, { "2", "4.1.8", "4.1.2" }, { "3", "4.1.7", "4.1.3" },
		{ "4", "4.1.7", "4.1.4" }, { "5", "4.1.0", "4.1.5" }, { "6", "4.1.7", "4.1.6" },
		{ "7", "4.1.7", "4.1.3" }, { "8", "4.1.8", "4.1.2" },
	};
	const char *result;
	size_t i;

	if (!(ISDIGIT(status[0]) && strncmp(status + 1, ".1.", 3) == 0))
		return status;
	if (strcmp(cls, "Sender address") == 0 || strcmp(cls, "Recipient address") == 0) {
		int snd = strcmp(cls, "Sender address") == 0;

		result = "4.1.0";
		for (i = 0; i < N_ELEMENTS(map); i++)
			if (strcmp(status + 4, map[i].micro) == 0) {
				result = snd ? map[i].sender : map[i].rcpt;
				break;
			}
	} else {
		result = "4.0.0";
	}
	if (strcmp(status + 2, result + 2) != 0)
		note_add(notes, nsize, "mapping DSN status %s into %s status %c%s", status, cls,
			 status[0], result + 1);
	return result;
}

/* reject - smtpd_check_reject(): the sanitized reply; returns 1 (rejected) or 0 (warned) */
static int ATTR_PRINTF(5, 6) reject(struct ev *e, int software, unsigned code, const char *dsn,
				    const char *fmt, ...)
{
	char text[PF_POL_TEXT_MAX + 64];
	char *t = text;
	va_list ap;
	int n;

	n = snprintf(t, sizeof(text), "%u %s ", code, dsn);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(text))
		(void)vsnprintf(t + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (code < 400 || code > 599) {
		note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: SMTP reply code configuration error: %.80s", text);
		snprintf(text, sizeof(text), "450 4.7.1 Service unavailable");
	}
	if (!dsn_valid(text + 4)) {
		note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: DSN detail code configuration error: %.80s", text);
		snprintf(text, sizeof(text), "450 4.7.1 Service unavailable");
	}
	text[510] = '\0';		/* vstring_truncate(error_text, 510) */
	printable(text, e->c->smtputf8);
	if (e->warn_if_reject && !software) {
		note_add(e->out->notes, sizeof(e->out->notes), "reject_warning: %s", text);
		return 0;
	}
	if (e->defer_if_reject && text[0] == '5') {
		/* an earlier DEFER_IF_REJECT turns this 5xx into its 4xx */
		e->defer_if_reject = 0;
		e->out->effects &= ~(unsigned)PF_POL_FX_DEFER_IF_REJECT;
		note_add(e->out->notes, sizeof(e->out->notes),
			 "defer_if_reject turns \"%.60s\" into a deferral", text);
		return reject(e, software, e->defer_code, e->defer_dsn, "%s", e->defer_text);
	}
	if (e->c->soft_bounce && text[0] == '5')
		text[0] = '4';
	text[4] = text[0];		/* the DSN class follows the SMTP code */
	copy_str(e->out->smtp, sizeof(e->out->smtp), text);
	e->out->kind = software ? PF_POL_CONFIG_ERROR : PF_POL_REJECT;
	e->out->disconnect = strncmp(text, "421", 3) == 0 || strncmp(text, "521", 3) == 0;
	return 1;
}

/* server_error - reject_server_error(): 451 4.3.5, warn_if_reject cannot soften it */
static void server_error(struct ev *e)
{
	(void)reject(e, 1, 451, "4.3.5", "Server configuration error");
}

/* defer_if - record a DEFER_IF_PERMIT / DEFER_IF_REJECT reply (first one wins) */
static void ATTR_PRINTF(5, 6) defer_if(struct ev *e, unsigned fx, unsigned code, const char *dsn,
				       const char *fmt, ...)
{
	va_list ap;
	char text[PF_POL_TEXT_MAX];

	if (e->out->effects & fx)
		return;			/* each kind keeps its first reason */
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	e->out->effects |= fx;
	/* with both pending, out->pending shows the DEFER_IF_PERMIT reply */
	if (fx == PF_POL_FX_DEFER_IF_PERMIT || !(e->out->effects & PF_POL_FX_DEFER_IF_PERMIT)) {
		char head[32];

		snprintf(head, sizeof(head), "%u %.8s ", code, dsn);
		copy_str(e->out->pending, sizeof(e->out->pending), head);
		copy_str(e->out->pending + strlen(head), sizeof(e->out->pending) - strlen(head),
			 text);
		/* as smtpd_check_reject() will send it when it fires */
		e->out->pending[510] = '\0';
		printable(e->out->pending, e->c->smtputf8);
		if (e->c->soft_bounce && e->out->pending[0] == '5')
			e->out->pending[0] = '4';
		e->out->pending[4] = e->out->pending[0];
	}
	if (fx == PF_POL_FX_DEFER_IF_REJECT) {
		e->defer_if_reject = 1;
		e->defer_code = code;
		snprintf(e->defer_dsn, sizeof(e->defer_dsn), "%s", dsn);
		snprintf(e->defer_text, sizeof(e->defer_text), "%s", text);
	}
}

/* delegate_ok - can_delegate_action()/not_in_client_helo() */
static int delegate_ok(struct ev *e, const char *action, int etrn_check)
{
	if (etrn_check && e->c->state == PF_POL_ETRN) {
		note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: action %s is unavailable in smtpd_etrn_restrictions "
			 "(treated as DUNNO)", action);
		return 0;
	}
	if (e->c->sender == NULL) {
		note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: with smtpd_delay_reject=no, action %s is always skipped in "
			 "Client host or Helo command restrictions (no MAIL FROM yet; treated as "
			 "DUNNO)", action);
		return 0;
	}
	return 1;
}

/* is_header - Postfix is_header(): a header name followed by optional space and ':' */
static int is_header(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p > 0x20 && *p < 0x7f && *p != ':') {
		p++;
		n++;
	}
	if (n == 0)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == ':';
}

/* set_arg - the FILTER/REDIRECT/BCC/PREPEND text */
static void set_arg(struct ev *e, unsigned fx, const char *text)
{
	e->out->effects |= fx;
	snprintf(e->out->arg, sizeof(e->out->arg), "%s", text);
}

#define KW(kw)	(cmd_len == sizeof(kw) - 1 && strncasecmp(value, (kw), cmd_len) == 0)

static void restrictions(struct ev *e, const char *value);

/* table_result - check_table_result() over a NUL-terminated value */
static void table_result(struct ev *e, const char *value)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;
	size_t cmd_len = strcspn(value, " \t");
	const char *cmd_text = value + cmd_len;
	char dsn[16];
	const char *text;

	while (*cmd_text && ISSPACE(*cmd_text))
		cmd_text++;

	if (KW("DUNNO")) {
		o->kind = PF_POL_DUNNO;
		return;
	}
	if (KW("REJECT")) {
		text = dsn_split("5.7.1", cmd_text, dsn, sizeof(dsn));
		(void)reject(e, 0, c->access_map_reject_code, dsn_fix(dsn, e->cls, o->notes,
			     sizeof(o->notes)), "<%s>: %s rejected: %s", e->name, e->cls,
			     *text ? text : "Access denied");
		return;
	}
	if (KW("DEFER") && pf_version_at_least(&c->v, 2, 6, 20090109)) {
		text = dsn_split("4.7.1", cmd_text, dsn, sizeof(dsn));
		(void)reject(e, 0, c->access_map_defer_code, dsn_fix(dsn, e->cls, o->notes,
			     sizeof(o->notes)), "<%s>: %s rejected: %s", e->name, e->cls,
			     *text ? text : "Access denied");
		return;
	}
	if (KW("HANGUP") && pf_version_at_least(&c->v, 2, 12, 20140209)) {
		o->kind = PF_POL_HANGUP;
		note_add(o->notes, sizeof(o->notes), "hangup: %.200s (no SMTP reply; an "
			 "unsupported test feature)", cmd_text);
		return;
	}
	if ((KW("INFO") && pf_version_at_least(&c->v, 2, 12, 20140618)) || KW("WARN")) {
		o->kind = PF_POL_DUNNO;
		o->effects |= PF_POL_FX_INFO;
		note_add(o->notes, sizeof(o->notes), "%s: %.200s", KW("WARN") ? "warn" : "info",
			 cmd_text);
		return;
	}
	if (KW("FILTER")) {
		o->kind = PF_POL_DUNNO;
		if (!delegate_ok(e, "FILTER", 1))
			return;
		if (*cmd_text == 0)
			note_add(o->notes, sizeof(o->notes),
				 "warning: FILTER entry without value (treated as DUNNO)");
		else if (strchr(cmd_text, ':') == NULL)
			note_add(o->notes, sizeof(o->notes),
				 "warning: FILTER entry requires transport:destination (treated "
				 "as DUNNO)");
		else
			set_arg(e, PF_POL_FX_FILTER, cmd_text);
		return;
	}
	if (KW("HOLD")) {
		o->kind = PF_POL_DUNNO;
		if (delegate_ok(e, "HOLD", 1)) {
			o->effects |= PF_POL_FX_HOLD;
			note_add(o->notes, sizeof(o->notes), "hold: <%s>: %s %.200s", e->name, e->cls,
				 *cmd_text ? cmd_text : "triggers HOLD action");
		}
		return;
	}
	if (KW("DISCARD")) {
		o->kind = PF_POL_DUNNO;
		if (delegate_ok(e, "DISCARD", 1)) {
			o->kind = PF_POL_PERMIT;
			o->effects |= PF_POL_FX_DISCARD;
			note_add(o->notes, sizeof(o->notes), "discard: <%s>: %s %.200s (the message "
				 "is accepted and dropped; later restrictions are skipped)", e->name,
				 e->cls, *cmd_text ? cmd_text : "triggers DISCARD action");
		}
		return;
	}
	if (KW("REDIRECT") || (KW("BCC") && pf_version_at_least(&c->v, 3, 0, 0))) {
		int bcc = KW("BCC");

		o->kind = PF_POL_DUNNO;
		if (!delegate_ok(e, bcc ? "BCC" : "REDIRECT", 1))
			return;
		if (strchr(cmd_text, '@') == NULL)
			note_add(o->notes, sizeof(o->notes),
				 "warning: %s entry requires user@domain target (treated as DUNNO)",
				 bcc ? "BCC" : "REDIRECT");
		else
			set_arg(e, bcc ? PF_POL_FX_BCC : PF_POL_FX_REDIRECT, cmd_text);
		return;
	}
	if (KW("DEFER_IF_PERMIT")) {
		text = dsn_split("4.7.1", cmd_text, dsn, sizeof(dsn));
		o->kind = PF_POL_DUNNO;
		if (e->warn_if_reject) {
			(void)reject(e, 0, c->access_map_defer_code, dsn_fix(dsn, e->cls, o->notes,
				     sizeof(o->notes)), "<%s>: %s rejected: %s", e->name, e->cls,
				     *text ? text : "Service unavailable");
			return;
		}
		defer_if(e, PF_POL_FX_DEFER_IF_PERMIT, c->access_map_defer_code,
			 dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes)), "<%s>: %s rejected: %s",
			 e->name, e->cls, *text ? text : "Service unavailable");
		return;
	}
	if (KW("DEFER_IF_REJECT")) {
		text = dsn_split("4.7.1", cmd_text, dsn, sizeof(dsn));
		o->kind = PF_POL_DUNNO;
		defer_if(e, PF_POL_FX_DEFER_IF_REJECT, c->access_map_defer_code,
			 dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes)), "<%s>: %s rejected: %s",
			 e->name, e->cls, *text ? text : "Service unavailable");
		return;
	}
	if (KW("PREPEND")) {
		o->kind = PF_POL_DUNNO;
		if (!delegate_ok(e, "PREPEND", 0))
			return;
		if (c->state == PF_POL_EOM) {
			note_add(o->notes, sizeof(o->notes), "warning: action PREPEND must be used "
				 "before smtpd_end_of_data_restrictions (treated as DUNNO)");
			return;
		}
		if (*cmd_text == 0 || !is_header(cmd_text))
			note_add(o->notes, sizeof(o->notes),
				 "warning: PREPEND entry requires header: text (treated as DUNNO)");
		else
			set_arg(e, PF_POL_FX_PREPEND, cmd_text);
		return;
	}
	if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value)) {
		o->kind = PF_POL_PERMIT;
		note_add(o->notes, sizeof(o->notes), "all-digit action: Postfix reads it as OK");
		return;
	}
	if (cmd_len == 3 && *cmd_text && (value[0] == '4' || value[0] == '5') &&
	    ISDIGIT(value[1]) && ISDIGIT(value[2])) {
		unsigned code = (unsigned)((value[0] - '0') * 100 + (value[1] - '0') * 10 +
					   (value[2] - '0'));
		char def[6] = "5.7.1";

		def[0] = value[0];
		text = dsn_split(def, cmd_text, dsn, sizeof(dsn));
		(void)reject(e, 0, code, dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes)),
			     "<%s>: %s rejected: %s", e->name, e->cls, *text ? text : "Access denied");
		return;
	}
	if (KW("OK") || KW("RELAY")) {
		o->kind = PF_POL_PERMIT;
		return;
	}
	if (strchr(value, ':') != NULL) {
		note_add(o->notes, sizeof(o->notes),
			 "warning: access table entry with lookup table: %.100s; do not specify "
			 "lookup tables inside SMTPD access maps", value);
		server_error(e);
		return;
	}
	restrictions(e, value);
}

/* split - argv_splitq(value, ", \t\r\n", "{}"): words, braces group */
static size_t split(char *s, char **words, size_t max, int *more_r)
{
	size_t n = 0;
	char *p = s;

	*more_r = 0;
	for (;;) {
		int depth = 0;

		while (*p && strchr(", \t\r\n", *p))
			p++;
		if (*p == '\0')
			break;
		if (n == max) {
			*more_r = 1;
			break;
		}
		words[n++] = p;
		while (*p && (depth > 0 || !strchr(", \t\r\n", *p))) {
			if (*p == '{')
				depth++;
			else if (*p == '}' && depth > 0)
				depth--;
			p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/*
 * Restrictions Postfix 3.12 knows (mail_params.h) whose answer needs
 * tables, DNS or session state that this oracle does not have.
 */
static const char *const unmodelled[] = {
	"check_address_map", "check_ccert_access", "check_client_a_access",
	"check_client_access", "check_client_mx_access", "check_client_ns_access",
	"check_etrn_access", "check_helo_a_access", "check_helo_access",
	"check_helo_mx_access", "check_helo_ns_access", "check_recipient_a_access",
	"check_recipient_access", "check_recipient_maps", "check_recipient_mx_access",
	"check_recipient_ns_access", "check_relay_domains",
	"check_reverse_client_hostname_a_access", "check_reverse_client_hostname_access",
	"check_reverse_client_hostname_mx_access",
	"check_reverse_client_hostname_ns_access", "check_sasl_access",
	"check_sender_a_access", "check_sender_access", "check_sender_mx_access",
	"check_sender_ns_access", "permit_dnswl_client", "permit_inet_interfaces",
	"permit_mx_backup", "permit_naked_ip_address", "permit_rhswl_client",
	"permit_tls_all_clientcerts", "permit_tls_clientcerts",
	"reject_authenticated_sender_login_mismatch", "reject_invalid_helo_hostname",
	"reject_invalid_hostname", "reject_known_sender_login_mismatch", "reject_maps_rbl",
	"reject_multi_recipient_bounce", "reject_non_fqdn_helo_hostname",
	"reject_non_fqdn_hostname", "reject_non_fqdn_recipient", "reject_non_fqdn_sender",
	"reject_rbl", "reject_rbl_client", "reject_rhsbl_client", "reject_rhsbl_helo",
	"reject_rhsbl_recipient", "reject_rhsbl_reverse_client", "reject_rhsbl_sender",
	"reject_sender_login_mismatch", "reject_unauth_pipelining",
	"reject_unauthenticated_sender_login_mismatch", "reject_unknown_address",
	"reject_unknown_client", "reject_unknown_client_hostname",
	"reject_unknown_forward_client_hostname", "reject_unknown_helo_hostname",
	"reject_unknown_hostname", "reject_unknown_recipient_domain",
	"reject_unknown_reverse_client_hostname", "reject_unknown_sender_domain",
	"reject_unlisted_recipient", "reject_unlisted_sender",
	"reject_unverified_recipient", "reject_unverified_sender",
};

/* is_unmodelled - a real restriction name this oracle cannot evaluate */
static int is_unmodelled(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(unmodelled); i++)
		if (strcasecmp(unmodelled[i], name) == 0)
			return 1;
	return 0;
}

/* restrictions - generic_checks() over a restriction list from an action */
static void restrictions(struct ev *e, const char *value)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;
	char copy[PF_POL_ACTION_MAX + 1];
	char *w[PF_POL_MAX_WORDS];
	size_t n, i;
	int more;

	snprintf(copy, sizeof(copy), "%s", value);
	n = split(copy, w, N_ELEMENTS(w), &more);
	if (more)
		note_add(o->notes, sizeof(o->notes), "more than %d restriction words: the rest "
			 "is not evaluated here", PF_POL_MAX_WORDS);
	if (n == 0) {
		note_add(o->notes, sizeof(o->notes), "warning: access table entry has empty value "
			 "(an empty list means OK)");
		o->kind = PF_POL_PERMIT;
		return;
	}
	o->kind = PF_POL_DUNNO;
	for (i = 0; i < n; i++) {
		const char *name = w[i];
		int decided = 0;

		if (strcasecmp(name, "warn_if_reject") == 0) {
			e->warn_if_reject = 1;
			continue;
		}
		/* no word holds ':' here: table_result() refused such values */
		if (strcasecmp(name, "permit") == 0) {
			o->kind = PF_POL_PERMIT;
			if (i + 1 < n)
				note_add(o->notes, sizeof(o->notes), "warning: restriction `%.60s' "
					 "after `permit' is ignored", w[i + 1]);
			decided = 1;
		} else if (strcasecmp(name, "defer") == 0) {
			decided = reject(e, 0, c->defer_code, "4.3.2", "<%s>: %s rejected: Try "
					 "again later", e->name, e->cls);
		} else if (strcasecmp(name, "reject") == 0) {
			decided = reject(e, 0, c->reject_code, "5.7.1", "<%s>: %s rejected: Access "
					 "denied", e->name, e->cls);
		} else if (strcasecmp(name, "defer_if_permit") == 0) {
			if (e->warn_if_reject)
				decided = reject(e, 0, 450, "4.7.0", "<%s>: %s rejected: "
						 "defer_if_permit requested", e->name, e->cls);
			else
				defer_if(e, PF_POL_FX_DEFER_IF_PERMIT, 450, "4.7.0", "<%s>: %s "
					 "rejected: defer_if_permit requested", e->name, e->cls);
		} else if (strcasecmp(name, "defer_if_reject") == 0) {
			defer_if(e, PF_POL_FX_DEFER_IF_REJECT, 450, "4.7.0", "<%s>: %s rejected: "
				 "defer_if_reject requested", e->name, e->cls);
		} else if (strcasecmp(name, "reject_unauth_destination") == 0 ||
			   strcasecmp(name, "defer_unauth_destination") == 0) {
			int defer = name[0] == 'd' || name[0] == 'D';

			/* only with a recipient; defer_ uses relay_code - 100 */
			if (c->recipient != NULL && !c->relay_ok)
				decided = reject(e, 0, defer ? c->relay_code - 100 : c->relay_code,
						 defer ? "4.7.1" : "5.7.1",
						 "<%s>: Relay access denied", c->recipient);
		} else if (strcasecmp(name, "permit_auth_destination") == 0) {
			if (c->recipient != NULL && c->relay_ok) {
				o->kind = PF_POL_PERMIT;
				decided = 1;
			}
		} else if (strcasecmp(name, "permit_mynetworks") == 0) {
			if (c->mynetworks) {
				o->kind = PF_POL_PERMIT;
				decided = 1;
			}
		} else if (strcasecmp(name, "permit_sasl_authenticated") == 0) {
			if (c->sasl_user != NULL && c->sasl_user[0] != '\0') {
				o->kind = PF_POL_PERMIT;
				decided = 1;
			}
		} else if (strcasecmp(name, "reject_plaintext_session") == 0) {
			if (!c->tls)
				decided = reject(e, 0, c->plaintext_code, "4.7.1", "Session "
						 "encryption is required");
		} else if (strcasecmp(name, "sleep") == 0) {
			if (i + 1 >= n || w[i + 1][strspn(w[i + 1], "0123456789")] != '\0' ||
			    w[i + 1][0] == '\0') {
				note_add(o->notes, sizeof(o->notes), "warning: restriction sleep must "
					 "be followed by number");
				server_error(e);
				return;
			}
			note_add(o->notes, sizeof(o->notes), "smtpd sleeps %.20s s", w[++i]);
		} else if (strcasecmp(name, "check_policy_service") == 0) {
			/* its transport:server argument would hold ':' */
			note_add(o->notes, sizeof(o->notes), "warning: restriction "
				 "check_policy_service must be followed by transport:server");
			server_error(e);
			return;
		} else if (is_unmodelled(name)) {
			/* a real restriction whose answer needs tables, DNS or session state */
			o->kind = PF_POL_UNMODELLED;
			note_add(o->notes, sizeof(o->notes), "restriction \"%.60s\" depends on state "
				 "this oracle does not model", name);
			return;
		} else {
			note_add(o->notes, sizeof(o->notes), "warning: unknown smtpd restriction: "
				 "\"%.80s\"", name);
			server_error(e);
			return;
		}
		if (decided)
			return;
		if ((o->effects & PF_POL_FX_DEFER_IF_PERMIT) && e->defer_if_reject)
			return;
	}
	if (o->kind != PF_POL_PERMIT)
		o->kind = PF_POL_DUNNO;
}

/* reply_name - the bracketed word for the stage */
static const char *reply_name(const struct pf_pol_ctx *c)
{
	const char *n = c->reply_name;

	if (n != NULL)
		return n;
	switch (c->stage) {
	case PF_POL_STAGE_CLIENT: n = c->client; break;
	case PF_POL_STAGE_HELO: n = c->helo; break;
	case PF_POL_STAGE_SENDER: n = c->sender; break;
	case PF_POL_STAGE_RECIPIENT: n = c->recipient; break;
	case PF_POL_STAGE_ETRN: n = c->etrn_domain; break;
	case PF_POL_STAGE_DATA: n = "DATA"; break;
	case PF_POL_STAGE_EOD: n = "END-OF-MESSAGE"; break;
	}
	return n ? n : "";
}

void pf_pol_eval(const struct pf_pol_ctx *c, const char *action, size_t len,
		 struct pf_pol_verdict *out)
{
	char value[PF_POL_ACTION_MAX + 1];
	const char *nul = memchr(action, '\0', len);
	struct ev e;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	e.c = c;
	e.out = out;
	e.name = reply_name(c);
	e.cls = (size_t)c->stage < N_ELEMENTS(stage_class) ? stage_class[c->stage] : "?";
	if (nul != NULL) {
		len = (size_t)(nul - action);
		note_add(out->notes, sizeof(out->notes), "the action is cut at its NUL byte");
	}
	if (len > PF_POL_ACTION_MAX) {
		len = PF_POL_ACTION_MAX;
		note_add(out->notes, sizeof(out->notes), "action longer than %d bytes: evaluated "
			 "on its first %d bytes", PF_POL_ACTION_MAX, PF_POL_ACTION_MAX);
	}
	memcpy(value, action, len);
	value[len] = '\0';
	out->kind = PF_POL_DUNNO;
	table_result(&e, value);
	if ((out->effects & PF_POL_FX_DEFER_IF_PERMIT) && out->kind == PF_POL_PERMIT)
		note_add(out->notes, sizeof(out->notes), "DEFER_IF_PERMIT is pending: this permit "
			 "becomes \"%.200s\"", out->pending);
}

void pf_pol_eval_failure(const struct pf_pol_ctx *c, const char *default_action,
			 struct pf_pol_verdict *out)
{
	const char *a = default_action ? default_action : PF_POL_DEFAULT_ACTION;
	char keep[PF_POL_TEXT_MAX];

	pf_pol_eval(c, a, strlen(a), out);
	copy_str(keep, sizeof(keep), out->notes);
	snprintf(out->notes, sizeof(out->notes), "policy request failed: default action \"%.100s\"",
		 a);
	if (keep[0])
		note_add(out->notes, sizeof(out->notes), "%s", keep);
}
