/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy_smtp - the SMTP reply around a policy verdict, as the
 *	user's main.cf makes smtpd answer
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy_conf.h"
 * DESCRIPTION
 *	pf_pol_conf_ctx() and pf_pol_conf_smtp(); see pf_policy_conf.h.
 *	The order of the lists is smtpd_check_rcpt()'s (smtpd_check.c):
 *	with smtpd_delay_reject the client, HELO and sender checks first,
 *	each list reset (warn_if_reject, DEFER_IF_REJECT) but
 *	DEFER_IF_PERMIT kept; then smtpd_relay_restrictions and
 *	smtpd_recipient_restrictions in the order
 *	smtpd_relay_before_recipient_restrictions says; then a pending
 *	DEFER_IF_PERMIT turns the accept into its deferral.
 *	Not modelled (the prediction says so when they decide):
 *	reject_unlisted_recipient after the lists (the recipient maps),
 *	virtual_alias_domains and virtual_mailbox_domains (not read), the
 *	accept replies of CONNECT, EHLO/HELO and ETRN.
 * DIAGNOSTICS
 *	None: every input maps to a prediction.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/postfix/pf_policy_conf.h"
#include "harness/postfix/pf_policy_int.h"

#define SEP	", \t\r\n"

static const enum pf_pol_stage list_stage[PF_POL_NLISTS] = {
	PF_POL_STAGE_CLIENT, PF_POL_STAGE_HELO, PF_POL_STAGE_SENDER, PF_POL_STAGE_RECIPIENT,
	PF_POL_STAGE_RECIPIENT, PF_POL_STAGE_DATA, PF_POL_STAGE_EOD, PF_POL_STAGE_ETRN,
};

/* lists_at - the lists smtpd runs for a command, in order; how many */
static size_t lists_at(const struct pf_pol_conf *pc, enum pf_pol_state st, enum pf_pol_list *l)
{
	size_t n = 0;
	int d = pc->delay_reject;

	switch (st) {
	case PF_POL_CONNECT:
		if (!d)
			l[n++] = PF_POL_L_CLIENT;
		break;
	case PF_POL_EHLO:
	case PF_POL_HELO:
		if (!d)
			l[n++] = PF_POL_L_HELO;
		break;
	case PF_POL_MAIL:
		if (!d)
			l[n++] = PF_POL_L_SENDER;
		break;
	case PF_POL_RCPT:
	case PF_POL_VRFY:
		if (d) {
			l[n++] = PF_POL_L_CLIENT;
			l[n++] = PF_POL_L_HELO;
			l[n++] = PF_POL_L_SENDER;
		}
		l[n++] = pc->relay_first ? PF_POL_L_RELAY : PF_POL_L_RECIPIENT;
		l[n++] = pc->relay_first ? PF_POL_L_RECIPIENT : PF_POL_L_RELAY;
		break;
	case PF_POL_DATA:
		l[n++] = PF_POL_L_DATA;
		break;
	case PF_POL_EOM:
		l[n++] = PF_POL_L_EOD;
		break;
	case PF_POL_ETRN:
		if (d) {
			l[n++] = PF_POL_L_CLIENT;
			l[n++] = PF_POL_L_HELO;
		}
		l[n++] = PF_POL_L_ETRN;
		break;
	}
	return n;
}

/* policy_list - the list holding the check: main.cf's, or the state's own without one */
static int policy_list(const struct pf_pol_conf *pc, enum pf_pol_state st)
{
	static const enum pf_pol_list own[] = {
		[PF_POL_CONNECT] = PF_POL_L_CLIENT, [PF_POL_EHLO] = PF_POL_L_HELO,
		[PF_POL_HELO] = PF_POL_L_HELO, [PF_POL_MAIL] = PF_POL_L_SENDER,
		[PF_POL_RCPT] = PF_POL_L_RECIPIENT, [PF_POL_DATA] = PF_POL_L_DATA,
		[PF_POL_EOM] = PF_POL_L_EOD, [PF_POL_VRFY] = PF_POL_L_RECIPIENT,
		[PF_POL_ETRN] = PF_POL_L_ETRN,
	};

	return pc->policy_list >= 0 ? pc->policy_list : (int)own[st];
}

/* runs - does list l run at state st */
static int runs(const struct pf_pol_conf *pc, int l, enum pf_pol_state st)
{
	enum pf_pol_list seq[8];
	size_t i, n = lists_at(pc, st, seq);

	for (i = 0; i < n; i++)
		if ((int)seq[i] == l)
			return 1;
	return 0;
}

/* in_net - addr in "a.b.c.d[/n]" or "[v6][/n]": 1, 0, or -1 when the entry is not an address */
static int in_net(const char *addr, const char *entry, size_t len)
{
	unsigned char a[16], b[16];
	char net[100];
	const char *slash;
	long bits;
	int fam, alen, i;

	if (len >= sizeof(net))
		return -1;
	memcpy(net, entry, len);
	net[len] = '\0';
	slash = strchr(net, '/');
	bits = slash ? strtol(slash + 1, NULL, 10) : -1;
	if (slash)
		net[slash - net] = '\0';
	if (net[0] == '[' && net[strlen(net) - 1] == ']') {
		memmove(net, net + 1, strlen(net));
		net[strlen(net) - 1] = '\0';
	}
	fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	alen = fam == AF_INET ? 4 : 16;
	if (inet_pton(fam, net, b) != 1)
		return -1;
	if (inet_pton(fam, addr, a) != 1)
		return 0;
	if (bits < 0 || bits > alen * 8)
		bits = alen * 8;
	for (i = 0; i < alen; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));

		if ((a[i] & mask) != (b[i] & mask))
			return 0;
	}
	return 1;
}

/* mynetworks - is the client in mynetworks: 1, 0, -1 unknown */
static int mynetworks(const struct pf_pol_conf *pc, const char *addr)
{
	const char *p = pc->mynetworks;
	int unknown = 0;

	if (!pc->mynetworks_set)
		return in_net(addr, "127.0.0.0/8", 11) == 1 || in_net(addr, "[::1]", 5) == 1 ? 1 : -1;
	for (;;) {
		size_t n;
		int r;

		p += strspn(p, SEP);
		if ((n = strcspn(p, SEP)) == 0)
			break;
		r = in_net(addr, p, n);
		if (r == 1 && !unknown)
			return 1;
		if (r < 0)
			unknown = 1;	/* a table, a file or a negation */
		p += n;
	}
	return unknown ? -1 : 0;
}

/* domain_in - domain in a domain list: 1, 0, -1 unknown; parent: x matches sub.x */
static int domain_in(const char *domain, const char *list, int parent)
{
	const char *p = list;
	size_t dlen = strlen(domain);
	int unknown = 0;

	for (;;) {
		size_t n;

		p += strspn(p, SEP);
		if ((n = strcspn(p, SEP)) == 0)
			break;
		if (memchr(p, ':', n) || p[0] == '/' || p[0] == '!') {
			unknown = 1;
		} else if (n == dlen && strncasecmp(p, domain, n) == 0) {
			if (!unknown)
				return 1;
		} else if (dlen > n && strncasecmp(domain + dlen - n, p, n) == 0 &&
			   (p[0] == '.' || (parent && domain[dlen - n - 1] == '.'))) {
			if (!unknown)
				return 1;
		}
		p += n;
	}
	return unknown ? -1 : 0;
}

void pf_pol_conf_ctx(const struct pf_pol_conf *pc, const struct pf_pol_req *req,
		     struct pf_pol_ctx *ctx)
{
	const char *name = pf_pol_req_get(req, "client_name");
	const char *addr = pf_pol_req_get(req, "client_address");
	const char *v, *at;
	int l = policy_list(pc, req->state), r;

	pf_pol_ctx_init(ctx, &pc->v, req->state);
	snprintf(ctx->namaddr, sizeof(ctx->namaddr), "%.150s[%.150s]", name ? name : "unknown",
		 addr ? addr : "unknown");
	ctx->client = ctx->namaddr;
	ctx->classes = pc->classes;
	ctx->nclasses = pc->nclasses;
	if ((v = pf_pol_req_get(req, "helo_name")) != NULL && *v)
		ctx->helo = v;
	if ((v = pf_pol_req_get(req, "sender")) != NULL && ctx->sender != NULL)
		ctx->sender = v;
	if ((v = pf_pol_req_get(req, "recipient")) != NULL && ctx->recipient != NULL)
		ctx->recipient = v;
	if ((v = pf_pol_req_get(req, "etrn_domain")) != NULL && ctx->etrn_domain != NULL)
		ctx->etrn_domain = v;
	if ((v = pf_pol_req_get(req, "sasl_username")) != NULL)
		ctx->sasl_user = v;
	v = pf_pol_req_get(req, "encryption_protocol");
	ctx->tls = v != NULL && *v != '\0';
	if (runs(pc, l, req->state))
		ctx->stage = list_stage[l];
	ctx->smtputf8 = pc->smtputf8;
	ctx->soft_bounce = pc->soft_bounce;
	ctx->codes = pc->codes;
	r = mynetworks(pc, addr ? addr : "");
	ctx->mynetworks = r == 1;
	ctx->mynetworks_unknown = r < 0;
	if (ctx->recipient == NULL || (at = strrchr(ctx->recipient, '@')) == NULL) {
		ctx->relay_unknown = ctx->recipient != NULL;	/* a bare local part */
		return;
	}
	r = domain_in(at + 1, pc->mydestination, 0);
	if (r != 1) {
		int rr = domain_in(at + 1, pc->relay_domains, 1);

		r = rr == 1 ? 1 : r < 0 || rr < 0 ? -1 : 0;
	}
	if (r == 0 && pc->domains_unknown)
		r = -1;
	ctx->relay_ok = r == 1;
	ctx->relay_unknown = r < 0;
}

/* accept - the reply when nothing rejects; 0, or -1 when not predicted */
static int accept_reply(const struct pf_pol_ctx *ctx, char *out, size_t size)
{
	switch (ctx->state) {
	case PF_POL_RCPT: snprintf(out, size, "250 2.1.5 Ok"); return 0;
	case PF_POL_MAIL: snprintf(out, size, "250 2.1.0 Ok"); return 0;
	case PF_POL_DATA: snprintf(out, size, "354 End data with <CR><LF>.<CR><LF>"); return 0;
	case PF_POL_VRFY:
		snprintf(out, size, "252 2.0.0 %.400s", ctx->recipient ? ctx->recipient : "");
		return 0;
	default:
		return -1;
	}
}

/* merge - the policy verdict into the running one */
static void merge(struct pf_pol_verdict *v, const struct pf_pol_verdict *pv)
{
	unsigned had = v->effects;

	v->kind = pv->kind;
	v->disconnect = pv->disconnect;
	v->effects |= pv->effects;
	memcpy(v->smtp, pv->smtp, sizeof(v->smtp));
	memcpy(v->arg, pv->arg, sizeof(v->arg));
	if (pv->notes[0])
		pf_pol_note_add(v->notes, sizeof(v->notes), "%s", pv->notes);
	if ((pv->effects & PF_POL_FX_DEFER_IF_PERMIT) && !(had & PF_POL_FX_DEFER_IF_PERMIT))
		memcpy(v->pending, pv->pending, sizeof(v->pending));
	if (pv->effects & PF_POL_FX_DEFER_IF_REJECT)
		v->dir = pv->dir;
}

/* decided - a final verdict: fill out and return 1 */
static int decided(struct pf_pol_smtp *out, const char *where)
{
	const struct pf_pol_verdict *v = &out->v;

	switch (v->kind) {
	case PF_POL_REJECT:
	case PF_POL_CONFIG_ERROR:
		out->what = PF_POL_SMTP_REPLY;
		pf_pol_copy_str(out->reply, sizeof(out->reply), v->smtp);
		out->disconnect = v->disconnect;
		pf_pol_note_add(out->notes, sizeof(out->notes), "%s rejects", where);
		if (strlen(out->reply) > 510)
			pf_pol_note_add(out->notes, sizeof(out->notes), "FINDING: the reply line is "
					"%zu bytes, over RFC 5321's 512-byte limit (4.5.3.1.5); "
					"Postfix sends it whole", strlen(out->reply));
		return 1;
	case PF_POL_HANGUP:
		out->what = PF_POL_SMTP_HANGUP;
		return 1;
	case PF_POL_UNMODELLED:
		out->what = PF_POL_SMTP_UNMODELLED;
		pf_pol_note_add(out->notes, sizeof(out->notes), "%s: %s", where, v->notes);
		return 1;
	default:
		return 0;
	}
}

/* policy_in_list - the policy's list: before it, the verdict, after it; 1 when final */
static int policy_in_list(const struct pf_pol_conf *pc, const struct pf_pol_ctx *lc,
			  const struct pf_pol_verdict *pv, struct pf_pol_smtp *out, const char *lname)
{
	char where[120];

	pf_pol_eval_list(lc, pc->given ? pc->before : "", 1, &out->v);
	snprintf(where, sizeof(where), "%s, before check_policy_service,", lname);
	if (decided(out, where))
		return 1;
	if (out->v.kind == PF_POL_PERMIT) {
		pf_pol_note_add(out->notes, sizeof(out->notes), "%s permits before "
				"check_policy_service: Postfix does not ask the service", lname);
		return 0;
	}
	out->asked = 1;
	merge(&out->v, pv);
	if (decided(out, "the policy service"))
		return 1;
	if (pv->effects & PF_POL_FX_DISCARD) {
		pf_pol_note_add(out->notes, sizeof(out->notes), "DISCARD: no later restriction runs");
		return 2;
	}
	if (out->v.kind == PF_POL_PERMIT)
		return 0;		/* OK ends this list only */
	pf_pol_eval_list(lc, pc->given ? pc->after : "", 0, &out->v);
	snprintf(where, sizeof(where), "%s, after check_policy_service,", lname);
	return decided(out, where);
}

void pf_pol_conf_smtp(const struct pf_pol_conf *pc, const struct pf_pol_ctx *ctx,
		      const struct pf_pol_verdict *pv, struct pf_pol_smtp *out)
{
	enum pf_pol_list seq[8];
	int pl = policy_list(pc, ctx->state);
	size_t i, n = lists_at(pc, ctx->state, seq);

	memset(out, 0, sizeof(*out));
	out->v.kind = PF_POL_DUNNO;
	if (!pc->given) {
		/* no main.cf: the check is the only restriction of the request's stage */
		seq[0] = (enum pf_pol_list)pl;
		n = 1;
	} else if (!runs(pc, pl, ctx->state)) {
		/* the request's state is not one where that list runs: the verdict alone */
		pf_pol_note_add(out->notes, sizeof(out->notes), "%s does not run at protocol_state=%s "
				"with smtpd_delay_reject=%s: Postfix would send no such request; the "
				"verdict alone is shown", pf_pol_list_name((enum pf_pol_list)pl),
				pf_pol_state_name(ctx->state), pc->delay_reject ? "yes" : "no");
		seq[0] = (enum pf_pol_list)pl;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		struct pf_pol_ctx lc = *ctx;
		const char *lname = pf_pol_list_name(seq[i]);
		int r;

		lc.stage = list_stage[seq[i]];
		lc.reply_name = NULL;
		if ((int)seq[i] == pl) {
			if ((r = policy_in_list(pc, &lc, pv, out, lname)) == 1)
				return;
			if (r == 2)
				break;
			continue;
		}
		pf_pol_eval_list(&lc, pc->lists[seq[i]], 1, &out->v);
		if (decided(out, lname))
			return;
	}
	if ((ctx->state == PF_POL_RCPT || ctx->state == PF_POL_VRFY) &&
	    (out->v.effects & PF_POL_FX_DEFER_IF_PERMIT)) {
		out->what = PF_POL_SMTP_REPLY;
		pf_pol_copy_str(out->reply, sizeof(out->reply), out->v.pending);
		pf_pol_note_add(out->notes, sizeof(out->notes), "the pending DEFER_IF_PERMIT fires");
		return;
	}
	if (accept_reply(ctx, out->reply, sizeof(out->reply)) < 0) {
		out->what = PF_POL_SMTP_UNMODELLED;
		pf_pol_note_add(out->notes, sizeof(out->notes), "nothing rejects; the accept reply "
				"at protocol_state=%s is not predicted", pf_pol_state_name(ctx->state));
		return;
	}
	out->what = PF_POL_SMTP_REPLY;
	if (ctx->state == PF_POL_MAIL && (out->v.effects & PF_POL_FX_DEFER_IF_PERMIT))
		pf_pol_note_add(out->notes, sizeof(out->notes), "the pending DEFER_IF_PERMIT fires "
				"at RCPT");
}
