/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy_eval - what Postfix does with a policy service's action
 *	(the oracle, protocols.md B.5)
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy.h"
 * DESCRIPTION
 *	See pf_policy.h (pf_pol_ctx_init, pf_pol_eval, pf_pol_eval_failure)
 *	and pf_policy.c's header for the Postfix sources, version gates and
 *	stated simplifications this follows.
 * DIAGNOSTICS
 *	None: every input maps to a verdict.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_policy_int.h"
#include "proto/policy.h"

/* --- action evaluation (B.5) ----------------------------------------- */

static const char *const stage_class[] = {
	"Client host", "Helo command", "Sender address", "Recipient address",
	"Etrn command", "Data command", "End-of-data",
};

void pf_pol_codes_init(struct pf_pol_codes *k)
{
	k->access_map_reject = 554;
	k->access_map_defer = 450;
	k->reject = 554;
	k->defer = 450;
	k->relay = 554;
	k->plaintext = 450;
}

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
	c->sender = pf_pol_after_mail(st) ? DEF_SENDER : NULL;
	c->recipient = st == PF_POL_RCPT || st == PF_POL_DATA || st == PF_POL_EOM ||
	    st == PF_POL_VRFY ? DEF_RCPT : NULL;
	c->etrn_domain = st == PF_POL_ETRN ? DEF_ETRN : NULL;
	c->smtputf8 = pf_version_at_least(v, 3, 0, 0);
	c->sasl_user = "";
	pf_pol_codes_init(&c->codes);
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
	int defer_if_reject;		/* out->dir holds its reply */
	int list;			/* a main.cf list, not an action */
	int depth;			/* restriction classes entered */
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
		pf_pol_note_add(notes, nsize, "mapping DSN status %s into %s status %c%s", status, cls,
			 status[0], result + 1);
	return result;
}

/* reject - smtpd_check_reject(): the sanitized reply; returns 1 (rejected) or 0 (warned) */
static int ATTR_PRINTF(5, 6) reject(struct ev *e, int software, unsigned code, const char *dsn,
				    const char *fmt, ...)
{
	char text[PF_POL_REPLY_MAX + 64];
	char *t = text;
	va_list ap;
	int n;

	n = snprintf(t, sizeof(text), "%u %s ", code, dsn);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(text))
		(void)vsnprintf(t + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (code < 400 || code > 599) {
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: SMTP reply code configuration error: %.80s", text);
		snprintf(text, sizeof(text), "450 4.7.1 Service unavailable");
	}
	if (!dsn_valid(text + 4)) {
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: DSN detail code configuration error: %.80s", text);
		snprintf(text, sizeof(text), "450 4.7.1 Service unavailable");
	}
	/* vstring_truncate(error_text, 510) writes no NUL: the reply goes out whole */
	pf_pol_printable(text, e->c->smtputf8);
	if (e->warn_if_reject && !software) {
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes), "reject_warning: %s", text);
		return 0;
	}
	if (e->defer_if_reject && text[0] == '5') {
		/* an earlier DEFER_IF_REJECT turns this 5xx into its 4xx */
		e->defer_if_reject = 0;
		e->out->effects &= ~(unsigned)PF_POL_FX_DEFER_IF_REJECT;
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes),
			 "defer_if_reject turns \"%.60s\" into a deferral", text);
		return reject(e, software, e->out->dir.code, e->out->dir.dsn, "%s",
			      e->out->dir.text);
	}
	if (e->c->soft_bounce && text[0] == '5')
		text[0] = '4';
	text[4] = text[0];		/* the DSN class follows the SMTP code */
	pf_pol_copy_str(e->out->smtp, sizeof(e->out->smtp), text);
	e->out->kind = software ? PF_POL_CONFIG_ERROR : PF_POL_REJECT;
	e->out->disconnect = strncmp(text, "421", 3) == 0 || strncmp(text, "521", 3) == 0;
	if (strlen(text) > 510)
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes), "the SMTP reply is %zu bytes "
				"and goes out whole: longer than the 512 bytes (CRLF included) RFC 5321 "
				"4.5.3.1.5 allows a reply line", strlen(text));
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
	char text[PF_POL_REPLY_MAX];

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
		pf_pol_copy_str(e->out->pending, sizeof(e->out->pending), head);
		pf_pol_copy_str(e->out->pending + strlen(head), sizeof(e->out->pending) - strlen(head),
			 text);
		/* as smtpd_check_reject() will send it when it fires: whole */
		pf_pol_printable(e->out->pending, e->c->smtputf8);
		if (e->c->soft_bounce && e->out->pending[0] == '5')
			e->out->pending[0] = '4';
		e->out->pending[4] = e->out->pending[0];
	}
	if (fx == PF_POL_FX_DEFER_IF_REJECT) {
		e->defer_if_reject = 1;
		e->out->dir.code = code;
		snprintf(e->out->dir.dsn, sizeof(e->out->dir.dsn), "%s", dsn);
		pf_pol_copy_str(e->out->dir.text, sizeof(e->out->dir.text), text);
	}
}

/* delegate_ok - can_delegate_action()/not_in_client_helo() */
static int delegate_ok(struct ev *e, const char *action, int etrn_check)
{
	if (etrn_check && e->c->state == PF_POL_ETRN) {
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes),
			 "warning: action %s is unavailable in smtpd_etrn_restrictions "
			 "(treated as DUNNO)", action);
		return 0;
	}
	if (e->c->sender == NULL) {
		pf_pol_note_add(e->out->notes, sizeof(e->out->notes),
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

/* action_reject - REJECT, DEFER and "4xx/5xx text": 1 when value was one */
static int action_reject(struct ev *e, const char *value, size_t cmd_len, const char *cmd_text)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;
	char dsn[16], def[6] = "5.7.1";
	const char *text;
	unsigned code;

	if (KW("REJECT") || (KW("DEFER") && pf_version_at_least(&c->v, 2, 6, 20090109))) {
		int defer = KW("DEFER");

		text = dsn_split(defer ? "4.7.1" : "5.7.1", cmd_text, dsn, sizeof(dsn));
		(void)reject(e, 0, defer ? c->codes.access_map_defer : c->codes.access_map_reject,
			     dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes)),
			     "<%s>: %s rejected: %s", e->name, e->cls, *text ? text : "Access denied");
		return 1;
	}
	if (!(cmd_len == 3 && *cmd_text && (value[0] == '4' || value[0] == '5') &&
	      ISDIGIT(value[1]) && ISDIGIT(value[2])))
		return 0;
	code = (unsigned)((value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0'));
	def[0] = value[0];
	text = dsn_split(def, cmd_text, dsn, sizeof(dsn));
	(void)reject(e, 0, code, dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes)),
		     "<%s>: %s rejected: %s", e->name, e->cls, *text ? text : "Access denied");
	return 1;
}

/* action_note - HANGUP, INFO, WARN: 1 when value was one */
static int action_note(struct ev *e, const char *value, size_t cmd_len, const char *cmd_text)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;

	if (KW("HANGUP") && pf_version_at_least(&c->v, 2, 12, 20140209)) {
		o->kind = PF_POL_HANGUP;
		pf_pol_note_add(o->notes, sizeof(o->notes), "hangup: %.200s (no SMTP reply; an "
				"unsupported test feature)", cmd_text);
		return 1;
	}
	if ((KW("INFO") && pf_version_at_least(&c->v, 2, 12, 20140618)) || KW("WARN")) {
		o->kind = PF_POL_DUNNO;
		o->effects |= PF_POL_FX_INFO;
		pf_pol_note_add(o->notes, sizeof(o->notes), "%s: %.200s",
				KW("WARN") ? "warn" : "info", cmd_text);
		return 1;
	}
	return 0;
}

/* action_defer_if - DEFER_IF_PERMIT, DEFER_IF_REJECT: 1 when value was one */
static int action_defer_if(struct ev *e, const char *value, size_t cmd_len, const char *cmd_text)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;
	int permit = KW("DEFER_IF_PERMIT");
	const char *text, *fixed;
	char dsn[16];

	if (!permit && !KW("DEFER_IF_REJECT"))
		return 0;
	text = dsn_split("4.7.1", cmd_text, dsn, sizeof(dsn));
	o->kind = PF_POL_DUNNO;
	fixed = dsn_fix(dsn, e->cls, o->notes, sizeof(o->notes));
	if (permit && e->warn_if_reject)
		(void)reject(e, 0, c->codes.access_map_defer, fixed, "<%s>: %s rejected: %s",
			     e->name, e->cls, *text ? text : "Service unavailable");
	else
		defer_if(e, permit ? PF_POL_FX_DEFER_IF_PERMIT : PF_POL_FX_DEFER_IF_REJECT,
			 c->codes.access_map_defer, fixed, "<%s>: %s rejected: %s", e->name, e->cls,
			 *text ? text : "Service unavailable");
	return 1;
}

/* action_hold_discard - HOLD, DISCARD: 1 when value was one */
static int action_hold_discard(struct ev *e, const char *value, size_t cmd_len,
			       const char *cmd_text)
{
	struct pf_pol_verdict *o = e->out;
	int hold = KW("HOLD");

	if (!hold && !KW("DISCARD"))
		return 0;
	o->kind = PF_POL_DUNNO;
	if (!delegate_ok(e, hold ? "HOLD" : "DISCARD", 1))
		return 1;
	if (hold) {
		o->effects |= PF_POL_FX_HOLD;
		pf_pol_note_add(o->notes, sizeof(o->notes), "hold: <%s>: %s %.200s", e->name, e->cls,
				*cmd_text ? cmd_text : "triggers HOLD action");
		return 1;
	}
	o->kind = PF_POL_PERMIT;
	o->effects |= PF_POL_FX_DISCARD;
	pf_pol_note_add(o->notes, sizeof(o->notes), "discard: <%s>: %s %.200s (the message "
			"is accepted and dropped; later restrictions are skipped)", e->name,
			e->cls, *cmd_text ? cmd_text : "triggers DISCARD action");
	return 1;
}

/* action_delegate - FILTER, REDIRECT, BCC, PREPEND (and HOLD, DISCARD): 1 when value was one */
static int action_delegate(struct ev *e, const char *value, size_t cmd_len, const char *cmd_text)
{
	const struct pf_pol_ctx *c = e->c;
	struct pf_pol_verdict *o = e->out;

	if (action_hold_discard(e, value, cmd_len, cmd_text))
		return 1;
	if (KW("FILTER")) {
		o->kind = PF_POL_DUNNO;
		if (!delegate_ok(e, "FILTER", 1))
			return 1;
		if (*cmd_text == 0)
			pf_pol_note_add(o->notes, sizeof(o->notes),
					"warning: FILTER entry without value (treated as DUNNO)");
		else if (strchr(cmd_text, ':') == NULL)
			pf_pol_note_add(o->notes, sizeof(o->notes),
					"warning: FILTER entry requires transport:destination "
					"(treated as DUNNO)");
		else
			set_arg(e, PF_POL_FX_FILTER, cmd_text);
		return 1;
	}
	if (KW("REDIRECT") || (KW("BCC") && pf_version_at_least(&c->v, 3, 0, 0))) {
		int bcc = KW("BCC");

		o->kind = PF_POL_DUNNO;
		if (!delegate_ok(e, bcc ? "BCC" : "REDIRECT", 1))
			return 1;
		if (strchr(cmd_text, '@') == NULL)
			pf_pol_note_add(o->notes, sizeof(o->notes),
					"warning: %s entry requires user@domain target (treated as "
					"DUNNO)", bcc ? "BCC" : "REDIRECT");
		else
			set_arg(e, bcc ? PF_POL_FX_BCC : PF_POL_FX_REDIRECT, cmd_text);
		return 1;
	}
	if (!KW("PREPEND"))
		return 0;
	o->kind = PF_POL_DUNNO;
	if (!delegate_ok(e, "PREPEND", 0))
		return 1;
	if (c->state == PF_POL_EOM)
		pf_pol_note_add(o->notes, sizeof(o->notes), "warning: action PREPEND must be used "
				"before smtpd_end_of_data_restrictions (treated as DUNNO)");
	else if (*cmd_text == 0 || !is_header(cmd_text))
		pf_pol_note_add(o->notes, sizeof(o->notes),
				"warning: PREPEND entry requires header: text (treated as DUNNO)");
	else
		set_arg(e, PF_POL_FX_PREPEND, cmd_text);
	return 1;
}

/* table_result - check_table_result() over a NUL-terminated value */
static void table_result(struct ev *e, const char *value)
{
	struct pf_pol_verdict *o = e->out;
	size_t cmd_len = strcspn(value, " \t");
	const char *cmd_text = value + cmd_len;

	while (*cmd_text && ISSPACE(*cmd_text))
		cmd_text++;
	if (KW("DUNNO")) {
		o->kind = PF_POL_DUNNO;
		return;
	}
	if (action_reject(e, value, cmd_len, cmd_text) || action_note(e, value, cmd_len, cmd_text) ||
	    action_delegate(e, value, cmd_len, cmd_text) ||
	    action_defer_if(e, value, cmd_len, cmd_text))
		return;
	if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value)) {
		o->kind = PF_POL_PERMIT;
		pf_pol_note_add(o->notes, sizeof(o->notes), "all-digit action: Postfix reads it as OK");
		return;
	}
	if (KW("OK") || KW("RELAY")) {
		o->kind = PF_POL_PERMIT;
		return;
	}
	if (strchr(value, ':') != NULL) {
		pf_pol_note_add(o->notes, sizeof(o->notes),
				"warning: access table entry with lookup table: %.100s; do not "
				"specify lookup tables inside SMTPD access maps", value);
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

/* unknown_state - a modelled restriction whose input is not known */
static void unknown_state(struct ev *e, const char *name, const char *what)
{
	e->out->kind = PF_POL_UNMODELLED;
	pf_pol_note_add(e->out->notes, sizeof(e->out->notes), "restriction \"%s\" depends on %s, "
			"which the configuration does not tell this oracle", name, what);
}

/* not_modelled - a restriction this oracle cannot evaluate, or an error */
static void not_modelled(struct ev *e, const char *name)
{
	struct pf_pol_verdict *o = e->out;

	if (strcasecmp(name, "check_policy_service") == 0 && !e->list) {
		/* its transport:server argument would hold ':' */
		pf_pol_note_add(o->notes, sizeof(o->notes), "warning: restriction "
				"check_policy_service must be followed by transport:server");
		server_error(e);
	} else if (is_unmodelled(name) || e->list) {
		/* a real restriction whose answer needs tables, DNS or session state */
		o->kind = PF_POL_UNMODELLED;
		pf_pol_note_add(o->notes, sizeof(o->notes), "restriction \"%.60s\" %s", name,
				strcasecmp(name, "check_policy_service") == 0 ?
				"(another policy service) is not followed here" : is_unmodelled(name) ?
				"depends on state this oracle does not model" :
				"is not one this oracle knows (a restriction class?)");
	} else {
		pf_pol_note_add(o->notes, sizeof(o->notes), "warning: unknown smtpd restriction: "
				"\"%.80s\"", name);
		server_error(e);
	}
}

/* rest_class - the list of restriction class name, or NULL */
static const char *rest_class(const struct pf_pol_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].name, name) == 0)
			return c->classes[i].list;
	return NULL;
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
		pf_pol_note_add(o->notes, sizeof(o->notes), "more than %d restriction words: the rest "
			 "is not evaluated here", PF_POL_MAX_WORDS);
	if (n == 0) {
		pf_pol_note_add(o->notes, sizeof(o->notes), "warning: access table entry has empty value "
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
				pf_pol_note_add(o->notes, sizeof(o->notes), "warning: restriction `%.60s' "
					 "after `permit' is ignored", w[i + 1]);
			decided = 1;
		} else if (strcasecmp(name, "defer") == 0) {
			decided = reject(e, 0, c->codes.defer, "4.3.2", "<%s>: %s rejected: Try "
					 "again later", e->name, e->cls);
		} else if (strcasecmp(name, "reject") == 0) {
			decided = reject(e, 0, c->codes.reject, "5.7.1", "<%s>: %s rejected: Access "
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
			if (c->recipient != NULL && c->relay_unknown) {
				unknown_state(e, name, "the recipient's domain class");
				return;
			}
			if (c->recipient != NULL && !c->relay_ok)
				decided = reject(e, 0, defer ? c->codes.relay - 100 : c->codes.relay,
						 defer ? "4.7.1" : "5.7.1",
						 "<%s>: Relay access denied", c->recipient);
		} else if (strcasecmp(name, "permit_auth_destination") == 0) {
			if (c->recipient != NULL && c->relay_unknown) {
				unknown_state(e, name, "the recipient's domain class");
				return;
			}
			if (c->recipient != NULL && c->relay_ok) {
				o->kind = PF_POL_PERMIT;
				decided = 1;
			}
		} else if (strcasecmp(name, "permit_mynetworks") == 0) {
			if (c->mynetworks_unknown) {
				unknown_state(e, name, "whether the client is in mynetworks");
				return;
			}
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
				decided = reject(e, 0, c->codes.plaintext, "4.7.1", "Session "
						 "encryption is required");
		} else if (strcasecmp(name, "sleep") == 0) {
			if (i + 1 >= n || w[i + 1][strspn(w[i + 1], "0123456789")] != '\0' ||
			    w[i + 1][0] == '\0') {
				pf_pol_note_add(o->notes, sizeof(o->notes), "warning: restriction sleep must "
					 "be followed by number");
				server_error(e);
				return;
			}
			pf_pol_note_add(o->notes, sizeof(o->notes), "smtpd sleeps %.20s s", w[++i]);
		} else if (rest_class(c, name) != NULL && e->depth < PF_POL_CLASS_DEPTH) {
			struct ev sub = *e;

			/* generic_checks() on the class's list; a decision ends this list */
			sub.depth++;
			pf_pol_note_add(o->notes, sizeof(o->notes), "restriction class %.60s", name);
			restrictions(&sub, rest_class(c, name));
			if (o->kind != PF_POL_DUNNO)
				return;
		} else {
			not_modelled(e, name);
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
		pf_pol_note_add(out->notes, sizeof(out->notes), "the action is cut at its NUL byte");
	}
	if (len > PF_POL_ACTION_MAX) {
		len = PF_POL_ACTION_MAX;
		pf_pol_note_add(out->notes, sizeof(out->notes), "action longer than %d bytes: evaluated "
			 "on its first %d bytes", PF_POL_ACTION_MAX, PF_POL_ACTION_MAX);
	}
	memcpy(value, action, len);
	value[len] = '\0';
	out->kind = PF_POL_DUNNO;
	table_result(&e, value);
	if ((out->effects & PF_POL_FX_DEFER_IF_PERMIT) && out->kind == PF_POL_PERMIT)
		pf_pol_note_add(out->notes, sizeof(out->notes), "DEFER_IF_PERMIT is pending: this permit "
			 "becomes \"%.200s\"", out->pending);
}

void pf_pol_eval_list(const struct pf_pol_ctx *c, const char *list, int reset,
		      struct pf_pol_verdict *io)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.out = io;
	e.name = reply_name(c);
	e.cls = (size_t)c->stage < N_ELEMENTS(stage_class) ? stage_class[c->stage] : "?";
	e.list = 1;
	if (reset)
		io->effects &= ~(unsigned)PF_POL_FX_DEFER_IF_REJECT;
	e.defer_if_reject = (io->effects & PF_POL_FX_DEFER_IF_REJECT) != 0;
	io->kind = PF_POL_DUNNO;
	if (strspn(list, ", \t\r\n") == strlen(list))
		return;			/* an empty list decides nothing */
	restrictions(&e, list);
}

void pf_pol_eval_failure(const struct pf_pol_ctx *c, const char *default_action,
			 struct pf_pol_verdict *out)
{
	const char *a = default_action ? default_action : PF_POL_DEFAULT_ACTION;
	char keep[PF_POL_TEXT_MAX];

	pf_pol_eval(c, a, strlen(a), out);
	pf_pol_copy_str(keep, sizeof(keep), out->notes);
	snprintf(out->notes, sizeof(out->notes), "policy request failed: default action \"%.100s\"",
		 a);
	if (keep[0])
		pf_pol_note_add(out->notes, sizeof(out->notes), "%s", keep);
}
