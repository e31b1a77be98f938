/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - one policy connection: request lines in, replies out
 * SYNOPSIS
 *	See session.h.
 * DESCRIPTION
 *	Grammar of the input (Postfix attr_print_plain, protocols.md B.1):
 *	  request := *( name "=" value LF ) LF
 *	The session keeps a policy_scan with its bounds over the caller's
 *	unconsumed bytes; when the empty line is found the block is handed
 *	to policy_parse_block() where it lies. Values are then
 *	NUL-terminated in place (the LF after each one becomes NUL) and the
 *	attributes the rules look at are put in their slots in one pass.
 *	The reply is the rule's preformatted "action=...\n\n", copied into
 *	out, unless a fault changes it. Per request: no allocation.
 * DIAGNOSTICS
 *	See session.h. Error texts are static strings.
 */
#include <stdlib.h>
#include <string.h>

#include "reference/common/cfgval.h"
#include "reference/policyd/session.h"
#include "util/xmem.h"

struct policyd_engine {
	struct policyd_settings set;
	const struct rules *rules;
	struct rules_env env;
	struct rules_values vals;
	struct policy_block blk;	/* scratch, large */
};

static const struct cfg_name fault_names[] = {
	{ "crlf", POLICYD_F_CRLF },
	{ "no-action", POLICYD_F_NO_ACTION },
	{ "action-case", POLICYD_F_ACTION_CASE },
	{ "extra-empty-line", POLICYD_F_EXTRA_EMPTY },
	{ "close-after-reply", POLICYD_F_CLOSE_AFTER },
	{ "early-reply", POLICYD_F_EARLY_REPLY },
	{ "no-terminator", POLICYD_F_NO_TERMINATOR },
	{ "bad-action", POLICYD_F_BAD_ACTION },
	{ "colon-action", POLICYD_F_COLON_ACTION },
};

int policyd_fault_parse(const char *name, size_t len, unsigned *bit_r)
{
	return cfg_name_find(fault_names, sizeof(fault_names) / sizeof(fault_names[0]), name, len,
			     bit_r);
}

struct policyd_engine *policyd_engine_create(const struct policyd_settings *set)
{
	struct policyd_engine *e = xcalloc(1, sizeof(*e));

	e->set = *set;
	return e;
}

void policyd_engine_destroy(struct policyd_engine **ep)
{
	free(*ep);
	*ep = NULL;
}

void policyd_engine_set_rules(struct policyd_engine *e, const struct rules *rs)
{
	e->rules = rs;
}

void policyd_engine_set_env(struct policyd_engine *e, const struct rules_env *env)
{
	e->env = *env;
}

/* session_next - ready for the next request */
static void session_next(struct policyd_session *s)
{
	policy_scan_init_bounds(&s->scan, s->max_line, s->max_attrs, s->max_request);
	s->early_sent = 0;
}

void policyd_session_init(struct policyd_session *s, const struct policyd_settings *set)
{
	memset(s, 0, sizeof(*s));
	s->max_line = set->max_line;
	s->max_attrs = set->max_attrs;
	s->max_request = set->max_request;
	session_next(s);
}

void policyd_session_free(struct policyd_session *s)
{
	memset(s, 0, sizeof(*s));
}

int policyd_session_overlong(const struct policyd_session *s)
{
	return s->overlong;
}

const char *policyd_session_error(const struct policyd_session *s)
{
	return s->error ? s->error : "no error";
}

/* put_reply_lines - "action=<action>" LF LF, or what the faults make of it */
static int put_reply_lines(const struct policyd_engine *e, const struct rule *r, struct xbuf *out)
{
	unsigned f = e->set.faults;
	const char *eol = (f & POLICYD_F_CRLF) ? "\r\n" : "\n";
	const char *action = r->action;
	size_t alen = strlen(action);

	if ((f & (POLICYD_F_CRLF | POLICYD_F_NO_ACTION | POLICYD_F_ACTION_CASE |
		  POLICYD_F_EXTRA_EMPTY | POLICYD_F_NO_TERMINATOR | POLICYD_F_BAD_ACTION |
		  POLICYD_F_COLON_ACTION)) == 0)
		return xbuf_append(out, r->reply, r->reply_len);
	if (f & POLICYD_F_BAD_ACTION) {
		action = POLICYD_BAD_ACTION;
		alen = strlen(action);
	}
	if (f & POLICYD_F_COLON_ACTION) {
		action = POLICYD_COLON_ACTION;
		alen = strlen(action);
	}
	if (!(f & POLICYD_F_NO_ACTION)) {
		if (xbuf_append_str(out, (f & POLICYD_F_ACTION_CASE) ? "Action=" : "action=") < 0 ||
		    xbuf_append(out, action, alen) < 0 || xbuf_append_str(out, eol) < 0)
			return -1;
	}
	if (!(f & POLICYD_F_NO_TERMINATOR) && xbuf_append_str(out, eol) < 0)
		return -1;
	if ((f & POLICYD_F_EXTRA_EMPTY) && xbuf_append_str(out, eol) < 0)
		return -1;
	return 0;
}

/* put_reply - the same, all or nothing */
static int put_reply(const struct policyd_engine *e, const struct rule *r, struct xbuf *out)
{
	size_t before = out->len;

	if (put_reply_lines(e, r, out) < 0) {
		xbuf_truncate(out, before);
		return -1;
	}
	return 0;
}

/* fill - slots from the block parsed in buf; -1 without request=smtpd_access_policy */
static int fill(struct policyd_engine *e, char *buf)
{
	const struct rules *rs = e->rules;
	size_t n = rules_nslots(rs), i;
	int have_request = 0;

	for (i = 0; i < n; i++)
		e->vals.val[i] = NULL;
	for (i = 0; i < e->blk.nattrs; i++) {
		const struct policy_attr *a = &e->blk.attrs[i];
		size_t end = (size_t)(a->value.p - buf) + a->value.len;
		int slot;

		buf[end] = '\0';	/* the LF after the value */
		if (a->name.len == 7 && memcmp(a->name.p, "request", 7) == 0)
			have_request = a->value.len == 19 &&
				       memcmp(a->value.p, "smtpd_access_policy", 19) == 0;
		slot = rules_slot(rs, a->name.p, a->name.len);
		if (slot < 0)
			continue;
		if (e->set.dup == POLICY_DUP_FIRST && e->vals.val[slot] != NULL)
			continue;
		e->vals.val[slot] = a->value.p;
		e->vals.len[slot] = a->value.len;
	}
	return have_request ? 0 : -1;
}

/* session_fail - a request refused: why, and -1 */
static int session_fail(struct policyd_session *s, const char *why)
{
	s->error = why;
	return -1;
}

/* policyd_session_input - the unconsumed bytes: at most one request answered */
int policyd_session_input(struct policyd_session *s, struct policyd_engine *e,
			  char *buf, size_t len, size_t *used_r, struct xbuf *out,
			  struct policyd_decision *d_r)
{
	const struct rule *r;
	const char *err;
	size_t used = 0, parsed = 0;
	int rc;

	memset(d_r, 0, sizeof(*d_r));
	*used_r = 0;
	rc = policy_scan_block(&s->scan, buf, len, &used, &err);
	if ((e->set.faults & POLICYD_F_EARLY_REPLY) && !s->early_sent && s->scan.lines > 0) {
		s->early_sent = 1;	/* the first line is in: answer now */
		if (put_reply(e, rules_default(e->rules), out) < 0)
			return session_fail(s, "output bound reached");
	}
	if (rc < 0) {
		s->overlong = strcmp(err, "line too long") == 0;
		return session_fail(s, err);
	}
	if (rc == 0)
		return 0;
	rc = policy_parse_block(buf, used, &e->blk, &parsed, &err);
	if (rc <= 0 || parsed != used)
		return session_fail(s, rc < 0 ? err : "request framing");
	if (fill(e, buf) < 0)
		return session_fail(s, "request without request=smtpd_access_policy");
	if (rules_eval(e->rules, &e->vals, &e->env, &r) < 0)
		return session_fail(s, "database error");
	s->nrequests++;
	d_r->rule = r;
	d_r->rules = e->rules;
	d_r->values = &e->vals;
	d_r->close = (e->set.faults & POLICYD_F_CLOSE_AFTER) != 0;
	if (!s->early_sent) {
		if (put_reply(e, r, out) < 0)
			return session_fail(s, "output bound reached");
		d_r->replied = 1;
	}
	session_next(s);
	*used_r = used;
	return 1;
}
