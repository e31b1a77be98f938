/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules_eval - policy rules: the matcher
 * SYNOPSIS
 *	See rules.h (rules_eval).
 * DESCRIPTION
 *	Walks the rules that can fire at the request's protocol_state
 *	(rules_int.h's by_state lists), in file order, and evaluates each
 *	condition tree recursively (at most RULES_MAX_NODES deep) over the
 *	request's slot values: the first true one decides, else the
 *	default rule. No allocation. Every test but present/missing is
 *	false for a missing attribute; "==" with a number compares
 *	numbers; networks(ATTR) asks env->user_allows. A regular
 *	expression test whose match reached a limit (rules_re.h) is false,
 *	"=~" and "!~" alike, as Postfix's pcre tables skip a pattern whose
 *	match failed; env->re_limit is told, once per rule evaluated.
 * DIAGNOSTICS
 *	rules_eval: 0, or -1 when a database lookup failed.
 */
#define _GNU_SOURCE		/* FNM_CASEFOLD */
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "reference/policyd/rules.h"
#include "reference/policyd/rules_int.h"
#include "reference/policyd/rules_re.h"
#include "util/strnum.h"

static int ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0 && memchr(a, '\0', alen) == NULL;
}

/* what one rule's evaluation reads, and the regex test that hit a limit */
struct eval {
	const struct rules *rs;
	const struct rules_values *v;
	const struct rules_env *env;
	int limit_slot;		/* -1: none */
};

/* regex - a regex test: 1 true, 0 false (also when a limit was reached) */
static int regex(struct eval *ev, const struct node *n, const char *val)
{
	int m = rules_re_match(ev->rs->res[n->a], ev->rs->matcher, val);

	if (m < 0) {
		if (ev->limit_slot < 0)
			ev->limit_slot = n->slot;
		return 0;
	}
	return n->op == N_RE ? m : !m;
}

/* eval - 1 true, 0 false, -1 database error */
static int eval(struct eval *ev, uint32_t id)
{
	const struct rules *rs = ev->rs;
	const struct rules_values *v = ev->v;
	const struct rules_env *env = ev->env;
	const struct node *n = &rs->nodes[id];
	const char *val = v->val[n->slot];
	size_t len = v->len[n->slot];
	int l;

	switch ((enum node_op)n->op) {
	case N_TRUE:
		return 1;
	case N_AND:
		l = eval(ev, n->a);
		return l <= 0 ? l : eval(ev, n->b);
	case N_OR:
		l = eval(ev, n->a);
		return l != 0 ? l : eval(ev, n->b);
	case N_NOT:
		l = eval(ev, n->a);
		return l < 0 ? l : !l;
	case N_PRESENT:
		return val != NULL;
	case N_MISSING:
		return val == NULL;
	default:
		break;
	}
	if (val == NULL)
		return 0;
	switch ((enum node_op)n->op) {
	case N_EMPTY:
		return len == 0;
	case N_NONEMPTY:
		return len > 0;
	case N_EQ:
		return len == rs->strs[n->a].len && memcmp(val, rs->strs[n->a].p, len) == 0;
	case N_NE:
		return !(len == rs->strs[n->a].len && memcmp(val, rs->strs[n->a].p, len) == 0);
	case N_IEQ:
		return ieq(val, len, rs->strs[n->a].p, rs->strs[n->a].len);
	case N_NUM: {
		uint64_t x;

		if (str_to_uint64(val, len, &x) < 0)
			return 0;
		switch ((enum num_cmp)n->cmp) {
		case CMP_LT: return x < n->num;
		case CMP_LE: return x <= n->num;
		case CMP_GT: return x > n->num;
		case CMP_GE: return x >= n->num;
		case CMP_EQ: return x == n->num;
		case CMP_NE: return x != n->num;
		}
		return 0;
	}
	case N_GLOB:
		return fnmatch(rs->strs[n->a].p, val, 0) == 0;
	case N_IGLOB:
		return fnmatch(rs->strs[n->a].p, val, FNM_CASEFOLD) == 0;
	case N_RE:
	case N_NRE:
		return regex(ev, n, val);
	case N_IN:
	case N_NOTIN: {
		struct cidr_addr a;
		uint32_t i;
		int in = 0;

		if (cidr_addr_parse(val, len, &a) < 0)
			return n->op == N_NOTIN;	/* not an address: in no network */
		for (i = 0; i < n->b && !in; i++)
			in = cidr_match(&rs->nets[n->a + i], &a);
		return n->op == N_IN ? in : !in;
	}
	case N_USERNETS:
	case N_NOTUSERNETS: {
		struct cidr_addr a;
		const char *user = v->val[n->slot2];
		int in;

		if (user == NULL)
			return 0;
		if (cidr_addr_parse(val, len, &a) < 0)
			return n->op == N_NOTUSERNETS;	/* not an address: in no network */
		if (env == NULL || env->user_allows == NULL)
			return -1;
		in = env->user_allows(env->ctx, user, v->len[n->slot2], &a);
		if (in < 0)
			return -1;
		return n->op == N_USERNETS ? in : !in;
	}
	default:
		return 0;
	}
}

int rules_eval(const struct rules *rs, const struct rules_values *v,
	       const struct rules_env *env, const struct rule **rule_r)
{
	struct eval ev = { rs, v, env, -1 };
	int st = -1;
	size_t i, list;

	if (v->val[0] != NULL)
		st = rules_state_index(v->val[0], v->len[0]);
	list = st < 0 ? RULES_NSTATES : (size_t)st;
	for (i = 0; i < rs->n_by_state[list]; i++) {
		const struct rule *r = &rs->rules[rs->by_state[list][i]];
		int m;

		ev.limit_slot = -1;
		m = eval(&ev, r->root);
		if (ev.limit_slot >= 0 && env != NULL && env->re_limit != NULL)
			env->re_limit(env->ctx, r, rs->slot_name[ev.limit_slot]);
		if (m < 0)
			return -1;
		if (m > 0) {
			*rule_r = r;
			return 0;
		}
	}
	*rule_r = &rs->def;
	return 0;
}
