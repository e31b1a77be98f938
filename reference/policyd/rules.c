/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules - policy rule files: the parser
 * SYNOPSIS
 *	See rules.h. The matcher, rules_eval(), is rules_eval.c; the
 *	compiled form both share is rules_int.h.
 * DESCRIPTION
 *	A statement starts on a line whose first byte is not blank; lines
 *	that start with SP or TAB continue it. Lines whose first non-blank
 *	byte is "#", and blank lines, are skipped. A CR before LF is dropped.
 *
 *	  statement := [ "rule" ID ":" ] [ "at" state *( "," state ) ]
 *	               ( "always" | or ) "=>" action
 *	  or      := and *( "or" and )
 *	  and     := unary *( "and" unary )
 *	  unary   := "not" unary | "(" or ")" | test
 *	  test    := ATTR ( "present" | "missing" | "empty" | "nonempty" )
 *	           | ATTR ( "==" | "!=" | "~=" ) value
 *	           | ATTR ( "<" | "<=" | ">" | ">=" ) number
 *	           | ATTR ( "glob" | "iglob" ) value
 *	           | ATTR ( "=~" | "!~" ) "/" regex "/" [ "i" ]
 *	           | ATTR [ "not" ] "in" nets
 *	  nets    := cidr | "[" cidr *( "," cidr ) "]" | "networks(" ATTR ")"
 *	  value   := DQUOTE *( qchar | "\" DQUOTE | "\\" ) DQUOTE | bare
 *	  bare    := 1*( any byte but SP, TAB, LF, "(", ")", DQUOTE )
 *	  state   := CONNECT | EHLO | HELO | MAIL | RCPT | DATA
 *	           | END-OF-MESSAGE | VRFY | ETRN
 *	  ID      := 1*64( ALPHA | DIGIT | "_" | "-" | "." )
 *	  ATTR    := 1*64( ALPHA | DIGIT | "_" | "-" )
 *	  action  := the rest of the statement, continuation lines joined
 *	             with one SP; checked by action_check()
 *	"==" and "!=" with a bare decimal number compare numbers; with any
 *	other value, bytes. "~=" is equality ignoring ASCII case. Every test
 *	but present/missing is false for a missing attribute. Words are
 *	keywords only where the grammar expects them.
 *
 *	Bounds: RULES_MAX_FILE bytes per file, RULES_MAX_STATEMENT per
 *	statement, RULES_MAX_RULES rules, RULES_MAX_SLOTS distinct
 *	attributes, RULES_MAX_NODES nodes per rule, RULES_MAX_DEPTH nesting;
 *	regular expressions within the bounds of util/rebound (length,
 *	stacked and nested repetitions), then translated and compiled by
 *	rules_re.h (POSIX ERE syntax, PCRE2 with a match limit).
 *	Evaluation (rules_eval.c) recurses at most RULES_MAX_NODES deep
 *	and does not allocate.
 * DIAGNOSTICS
 *	"file:line:column: what" in the caller's buffer, for the first
 *	error; nothing is logged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/policy.h"
#include "reference/policyd/rules.h"
#include "reference/policyd/rules_int.h"
#include "reference/policyd/rules_re.h"
#include "util/rebound.h"
#include "util/strnum.h"
#include "util/xbuf.h"
#include "util/xmem.h"

static const char *const state_names[RULES_NSTATES] = {
	"CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE",
	"VRFY", "ETRN",
};

int rules_state_index(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < RULES_NSTATES; i++)
		if (strlen(state_names[i]) == len && memcmp(state_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* --- slots ------------------------------------------------------------ */

static unsigned name_hash(const char *p, size_t len)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h & 255u;
}

int rules_slot(const struct rules *rs, const char *name, size_t len)
{
	unsigned h;

	if (!((rs->len_mask >> (len & 63u)) & 1u))
		return -1;
	h = name_hash(name, len);

	for (;;) {
		int s = rs->hash[h] - 1;

		if (s < 0)
			return -1;
		if (rs->slot_len[s] == len && memcmp(rs->slot_name[s], name, len) == 0)
			return s;
		h = (h + 1) & 255u;
	}
}

static int slot_intern(struct rules *rs, const char *name, size_t len)
{
	int s = rules_slot(rs, name, len);
	unsigned h;

	if (s >= 0)
		return s;
	if (rs->nslots == RULES_MAX_SLOTS)
		return -1;
	s = (int)rs->nslots++;
	rs->slot_name[s] = xstrndup(name, len);
	rs->slot_len[s] = len;
	rs->len_mask |= (uint64_t)1 << (len & 63u);
	h = name_hash(name, len);
	while (rs->hash[h] != 0)
		h = (h + 1) & 255u;
	rs->hash[h] = (int16_t)(s + 1);
	return s;
}

size_t rules_nslots(const struct rules *rs)
{
	return rs->nslots;
}

const char *rules_slot_name(const struct rules *rs, size_t slot)
{
	return slot < rs->nslots ? rs->slot_name[slot] : NULL;
}

size_t rules_count(const struct rules *rs)
{
	return rs->nrules;
}

const struct rule *rules_get(const struct rules *rs, size_t i)
{
	return i < rs->nrules ? &rs->rules[i] : NULL;
}

const struct rule *rules_default(const struct rules *rs)
{
	return &rs->def;
}

/* --- statement text and positions ------------------------------------- */

struct seg {
	size_t off;		/* offset in the statement text */
	unsigned line;
};

struct parser {
	struct rules *rs;
	const char *file;
	char *err;
	size_t errlen;
	struct xbuf text;	/* the statement, lines joined with LF */
	struct seg *segs;
	size_t nsegs, segcap;
	size_t pos;
	int failed;
	unsigned depth;
	size_t rule_nodes;	/* nodes of the rule being parsed */
	uint64_t slots;
	unsigned states;
};

static void perr(struct parser *p, size_t pos, const char *fmt, ...) ATTR_PRINTF(3, 4);

/*
 * err_controls - control bytes in an error (a quoted bit of the file) as
 * \xHH, so that a rule file cannot write raw escapes or line breaks into
 * a terminal or the log; cut to fit when that makes the message longer
 */
static void err_controls(char *err, size_t errlen)
{
	char tmp[1024];
	size_t i, o = 0;

	for (i = 0; err[i] != '\0' && o + 5 < sizeof(tmp); i++) {
		unsigned char c = (unsigned char)err[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "\\x%02x", c);
		else
			tmp[o++] = (char)c;
	}
	tmp[o] = '\0';
	snprintf(err, errlen, "%s", tmp);
}

/* perr - record the first error with file:line:column */
static void perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	size_t i = 0, k;
	int n;
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	for (k = 0; k < p->nsegs; k++)
		if (p->segs[k].off <= pos)
			i = k;
	n = snprintf(p->err, p->errlen, "%s:%u:%zu: ", p->file,
		     p->nsegs ? p->segs[i].line : 0, pos - (p->nsegs ? p->segs[i].off : 0) + 1);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	err_controls(p->err, p->errlen);
}

static char cur(const struct parser *p)
{
	return p->pos < p->text.len ? p->text.data[p->pos] : '\0';
}

static int at_end(const struct parser *p)
{
	return p->pos >= p->text.len;
}

static void skip_ws(struct parser *p)
{
	while (!at_end(p) && (cur(p) == ' ' || cur(p) == '\t' || cur(p) == '\n'))
		p->pos++;
}

static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* peek_word - length of the word at pos (letters, digits, _ - .) */
static size_t peek_word(const struct parser *p)
{
	size_t n = 0;

	while (p->pos + n < p->text.len && is_word_char(p->text.data[p->pos + n]))
		n++;
	return n;
}

/* accept_kw - consume keyword kw if it is the next whole word */
static int accept_kw(struct parser *p, const char *kw)
{
	size_t n = peek_word(p);

	if (n != strlen(kw) || memcmp(p->text.data + p->pos, kw, n) != 0)
		return 0;
	p->pos += n;
	skip_ws(p);
	return 1;
}

static int accept_str(struct parser *p, const char *s)
{
	size_t n = strlen(s);

	if (p->text.len - p->pos < n || memcmp(p->text.data + p->pos, s, n) != 0)
		return 0;
	p->pos += n;
	skip_ws(p);
	return 1;
}

/* --- nodes and operands ---------------------------------------------- */

static uint32_t node_new(struct parser *p, enum node_op op)
{
	struct rules *rs = p->rs;
	struct node *n;

	if (++p->rule_nodes > RULES_MAX_NODES) {
		perr(p, p->pos, "rule too complex (more than %u tests and operators)",
		     RULES_MAX_NODES);
		return 0;
	}
	if (rs->nnodes == rs->nodecap) {
		rs->nodecap = rs->nodecap ? 2 * rs->nodecap : 256;
		rs->nodes = xrealloc(rs->nodes, rs->nodecap * sizeof(*rs->nodes));
	}
	n = &rs->nodes[rs->nnodes];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	return (uint32_t)rs->nnodes++;
}

static uint32_t str_new(struct parser *p, const char *s, size_t len)
{
	struct rules *rs = p->rs;

	if (rs->nstrs == rs->strcap) {
		rs->strcap = rs->strcap ? 2 * rs->strcap : 64;
		rs->strs = xrealloc(rs->strs, rs->strcap * sizeof(*rs->strs));
	}
	rs->strs[rs->nstrs].p = xmemdup(s, len + 1);
	rs->strs[rs->nstrs].p[len] = '\0';
	rs->strs[rs->nstrs].len = len;
	return (uint32_t)rs->nstrs++;
}

static int net_add(struct parser *p, const struct cidr *c)
{
	struct rules *rs = p->rs;

	if (rs->nnets == rs->netcap) {
		rs->netcap = rs->netcap ? 2 * rs->netcap : 64;
		rs->nets = xrealloc(rs->nets, rs->netcap * sizeof(*rs->nets));
	}
	rs->nets[rs->nnets++] = *c;
	return 0;
}

/* --- expressions ------------------------------------------------------ */

static uint32_t parse_or(struct parser *p);

/* parse_attr - an attribute name, interned to a slot */
static int parse_attr(struct parser *p)
{
	size_t n = 0, start = p->pos;
	int s;

	while (p->pos + n < p->text.len) {
		char c = p->text.data[p->pos + n];

		if (!is_word_char(c) || c == '.')
			break;
		n++;
	}
	if (n == 0) {
		perr(p, start, "expected an attribute name");
		return -1;
	}
	if (n > 64) {
		perr(p, start, "attribute name longer than 64 bytes");
		return -1;
	}
	s = slot_intern(p->rs, p->text.data + start, n);
	if (s < 0) {
		perr(p, start, "more than %d distinct attribute names", RULES_MAX_SLOTS);
		return -1;
	}
	p->pos += n;
	p->slots |= (uint64_t)1 << s;
	skip_ws(p);
	return s;
}

/*
 * parse_value - quoted or bare value into out (a NUL follows); *bare_r
 * says whether it was bare
 */
static int parse_value(struct parser *p, struct xbuf *out, int *bare_r)
{
	size_t start = p->pos;

	xbuf_reset(out);
	if (at_end(p)) {
		perr(p, start, "expected a value");
		return -1;
	}
	if (cur(p) == '"') {
		p->pos++;
		for (;;) {
			char c;

			if (at_end(p) || cur(p) == '\n') {
				perr(p, start, "unterminated quoted string");
				return -1;
			}
			c = cur(p);
			if (c == '"')
				break;
			if (c == '\\') {
				p->pos++;
				if (cur(p) != '"' && cur(p) != '\\') {
					perr(p, p->pos - 1, "only \\\" and \\\\ are escapes");
					return -1;
				}
				c = cur(p);
			}
			if (xbuf_append_char(out, c) < 0) {
				perr(p, start, "value too long");
				return -1;
			}
			p->pos++;
		}
		p->pos++;
		*bare_r = 0;
	} else {
		while (!at_end(p)) {
			char c = cur(p);

			if (c == ' ' || c == '\t' || c == '\n' || c == '(' || c == ')' || c == '"')
				break;
			if (xbuf_append_char(out, c) < 0) {
				perr(p, start, "value too long");
				return -1;
			}
			p->pos++;
		}
		if (out->len == 0) {
			perr(p, start, "expected a value");
			return -1;
		}
		*bare_r = 1;
	}
	if (xbuf_append_char(out, '\0') < 0) {
		perr(p, start, "value too long");
		return -1;
	}
	out->len--;
	skip_ws(p);
	return 0;
}

/* parse_cidr_word - one network up to a blank, "," "]" or ")" */
static int parse_cidr_word(struct parser *p)
{
	size_t start = p->pos, n = 0;
	struct cidr c;
	const char *e;

	while (p->pos + n < p->text.len) {
		char ch = p->text.data[p->pos + n];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == ',' || ch == ']' || ch == ')')
			break;
		n++;
	}
	if (n == 0) {
		perr(p, start, "expected a network (address or address/prefix)");
		return -1;
	}
	if (cidr_parse(p->text.data + start, n, 1, &c, &e) < 0) {
		perr(p, start, "bad network \"%.*s\": %s", (int)(n > 64 ? 64 : n),
		     p->text.data + start, e);
		return -1;
	}
	p->pos += n;
	skip_ws(p);
	return net_add(p, &c);
}

/* parse_in - the operand of "in": networks(ATTR), [list] or one network */
static uint32_t parse_in(struct parser *p, int slot, int negate)
{
	uint32_t id;
	struct node *n;
	int s2;

	if (accept_str(p, "networks(")) {
		s2 = parse_attr(p);
		if (s2 < 0)
			return 0;
		if (!accept_str(p, ")")) {
			perr(p, p->pos, "expected \")\" after networks(%s",
			     p->rs->slot_name[s2]);
			return 0;
		}
		id = node_new(p, negate ? N_NOTUSERNETS : N_USERNETS);
		if (p->failed)
			return 0;
		n = &p->rs->nodes[id];
		n->slot = (uint16_t)slot;
		n->slot2 = (uint16_t)s2;
		return id;
	}
	id = node_new(p, negate ? N_NOTIN : N_IN);
	if (p->failed)
		return 0;
	p->rs->nodes[id].a = (uint32_t)p->rs->nnets;
	if (accept_str(p, "[")) {
		do {
			if (parse_cidr_word(p) < 0)
				return 0;
		} while (accept_str(p, ","));
		if (!accept_str(p, "]")) {
			perr(p, p->pos, "expected \",\" or \"]\" in a network list");
			return 0;
		}
	} else if (parse_cidr_word(p) < 0) {
		return 0;
	}
	n = &p->rs->nodes[id];
	n->slot = (uint16_t)slot;
	n->b = (uint32_t)(p->rs->nnets - n->a);
	return id;
}

/* regex_source_pos - where byte off of a regex starting at pos came from ("\/" is "/") */
static size_t regex_source_pos(const struct parser *p, size_t pos, size_t off)
{
	for (; off > 0; off--)
		pos += p->text.data[pos] == '\\' && p->text.data[pos + 1] == '/' ? 2 : 1;
	return pos;
}

/* parse_regex - "/" regex "/" ["i"] */
static uint32_t parse_regex(struct parser *p, int slot, int negate)
{
	struct rules *rs = p->rs;
	size_t start = p->pos, off;
	struct xbuf re;
	const char *why;
	char msg[200];
	int icase = 0;
	uint32_t id;

	if (cur(p) != '/') {
		perr(p, start, "expected /regular expression/");
		return 0;
	}
	p->pos++;
	xbuf_init(&re, RULES_MAX_STATEMENT);
	for (;;) {
		char c;

		if (at_end(p) || cur(p) == '\n') {
			perr(p, start, "unterminated regular expression");
			xbuf_free(&re);
			return 0;
		}
		c = cur(p);
		if (c == '/')
			break;
		if (c == '\\' && p->pos + 1 < p->text.len && p->text.data[p->pos + 1] == '/') {
			p->pos++;
			c = '/';
		}
		if (xbuf_append_char(&re, c) < 0) {
			perr(p, start, "regular expression too long");
			xbuf_free(&re);
			return 0;
		}
		p->pos++;
	}
	/* the bound regcomp needed, kept: the same patterns load as
	   before the move to PCRE2 */
	why = rebound_check(re.data, re.len, &off);
	if (why != NULL) {
		perr(p, regex_source_pos(p, start + 1, off), "%s", why);
		xbuf_free(&re);
		return 0;
	}
	p->pos++;
	if (cur(p) == 'i' && (p->pos + 1 >= p->text.len || !is_word_char(p->text.data[p->pos + 1]))) {
		icase = 1;
		p->pos++;
	}
	if (!at_end(p) && cur(p) != ' ' && cur(p) != '\t' && cur(p) != '\n' && cur(p) != ')') {
		perr(p, p->pos, "unexpected text after the regular expression");
		xbuf_free(&re);
		return 0;
	}
	skip_ws(p);
	if (rs->nres == rs->recap) {
		rs->recap = rs->recap ? 2 * rs->recap : 16;
		rs->res = xrealloc(rs->res, rs->recap * sizeof(*rs->res));
	}
	rs->res[rs->nres] = rules_re_compile(re.data, re.len, icase, msg, sizeof(msg), &off);
	xbuf_free(&re);
	if (rs->res[rs->nres] == NULL) {
		perr(p, off == RULES_RE_NO_OFFSET ? start : regex_source_pos(p, start + 1, off),
		     "%s", msg);
		return 0;
	}
	rs->nres++;
	id = node_new(p, negate ? N_NRE : N_RE);
	if (p->failed)
		return 0;
	rs->nodes[id].slot = (uint16_t)slot;
	rs->nodes[id].a = (uint32_t)(rs->nres - 1);
	return id;
}

/* parse_test - ATTR followed by a predicate or an operator and operand */
static uint32_t parse_test(struct parser *p)
{
	struct rules *rs = p->rs;
	size_t oppos;
	struct xbuf v;
	uint32_t id = 0;
	int slot, bare;
	enum node_op op;
	enum num_cmp cmp = CMP_EQ;

	slot = parse_attr(p);
	if (slot < 0)
		return 0;
	oppos = p->pos;
	if (accept_kw(p, "present"))
		op = N_PRESENT;
	else if (accept_kw(p, "missing"))
		op = N_MISSING;
	else if (accept_kw(p, "empty"))
		op = N_EMPTY;
	else if (accept_kw(p, "nonempty"))
		op = N_NONEMPTY;
	else if (accept_kw(p, "in"))
		return parse_in(p, slot, 0);
	else if (accept_kw(p, "not")) {
		if (!accept_kw(p, "in")) {
			perr(p, p->pos, "expected \"in\" after \"%s not\"", rs->slot_name[slot]);
			return 0;
		}
		return parse_in(p, slot, 1);
	} else if (accept_str(p, "=~"))
		return parse_regex(p, slot, 0);
	else if (accept_str(p, "!~"))
		return parse_regex(p, slot, 1);
	else if (accept_str(p, "=="))
		op = N_EQ;
	else if (accept_str(p, "!="))
		op = N_NE;
	else if (accept_str(p, "~="))
		op = N_IEQ;
	else if (accept_str(p, "<=")) {
		op = N_NUM; cmp = CMP_LE;
	} else if (accept_str(p, ">=")) {
		op = N_NUM; cmp = CMP_GE;
	} else if (accept_str(p, "<")) {
		op = N_NUM; cmp = CMP_LT;
	} else if (accept_str(p, ">")) {
		op = N_NUM; cmp = CMP_GT;
	} else if (accept_kw(p, "glob"))
		op = N_GLOB;
	else if (accept_kw(p, "iglob"))
		op = N_IGLOB;
	else {
		perr(p, oppos, "expected an operator after \"%s\" (== != ~= < <= > >= "
		     "=~ !~ glob iglob in, or present missing empty nonempty)",
		     rs->slot_name[slot]);
		return 0;
	}
	if (op == N_PRESENT || op == N_MISSING || op == N_EMPTY || op == N_NONEMPTY) {
		id = node_new(p, op);
		if (!p->failed)
			rs->nodes[id].slot = (uint16_t)slot;
		return id;
	}
	xbuf_init(&v, RULES_MAX_STATEMENT);
	oppos = p->pos;
	if (parse_value(p, &v, &bare) < 0) {
		xbuf_free(&v);
		return 0;
	}
	if (op == N_NUM || ((op == N_EQ || op == N_NE) && bare &&
			    v.len > 0 && v.data[0] >= '0' && v.data[0] <= '9')) {
		uint64_t num;

		if (!bare || str_to_uint64(v.data, v.len, &num) < 0) {
			perr(p, oppos, "expected a decimal number");
			xbuf_free(&v);
			return 0;
		}
		if (op == N_EQ)
			cmp = CMP_EQ;
		else if (op == N_NE)
			cmp = CMP_NE;
		id = node_new(p, N_NUM);
		if (!p->failed) {
			rs->nodes[id].cmp = (uint8_t)cmp;
			rs->nodes[id].num = num;
		}
	} else {
		id = node_new(p, op);
		if (!p->failed)
			rs->nodes[id].a = str_new(p, v.data, v.len);
	}
	if (!p->failed)
		rs->nodes[id].slot = (uint16_t)slot;
	xbuf_free(&v);
	return id;
}

static uint32_t parse_unary(struct parser *p)
{
	uint32_t id, child;

	if (p->depth >= RULES_MAX_DEPTH) {
		perr(p, p->pos, "nested deeper than %d", RULES_MAX_DEPTH);
		return 0;
	}
	if (accept_kw(p, "not")) {
		p->depth++;
		child = parse_unary(p);
		p->depth--;
		if (p->failed)
			return 0;
		id = node_new(p, N_NOT);
		if (!p->failed)
			p->rs->nodes[id].a = child;
		return id;
	}
	if (accept_str(p, "(")) {
		size_t open = p->pos - 1;

		p->depth++;
		id = parse_or(p);
		p->depth--;
		if (p->failed)
			return 0;
		if (!accept_str(p, ")")) {
			perr(p, p->pos, "expected \")\" to close the \"(\" at column %zu",
			     open + 1);
			return 0;
		}
		return id;
	}
	return parse_test(p);
}

/* parse_chain - sub (kw sub)*, left-associative, as op nodes */
static uint32_t parse_chain(struct parser *p, const char *kw, enum node_op op,
			    uint32_t (*sub)(struct parser *))
{
	uint32_t left = sub(p);

	while (!p->failed && accept_kw(p, kw)) {
		uint32_t right = sub(p), id;

		if (p->failed)
			return 0;
		id = node_new(p, op);
		if (p->failed)
			return 0;
		p->rs->nodes[id].a = left;
		p->rs->nodes[id].b = right;
		left = id;
	}
	return left;
}

static uint32_t parse_and(struct parser *p)
{
	return parse_chain(p, "and", N_AND, parse_unary);
}

static uint32_t parse_or(struct parser *p)
{
	return parse_chain(p, "or", N_OR, parse_and);
}

/* --- statements ------------------------------------------------------- */

/* set_action - check and store the action and its formatted reply */
static int set_action(struct parser *p, struct rule *r, const char *s, size_t len,
		      size_t pos)
{
	const char *e;
	struct xbuf out;

	if (action_check(s, len, r->states, &r->kind, &e) < 0) {
		perr(p, pos, "action \"%.*s\": %s", (int)(len > 80 ? 80 : len), s, e);
		return -1;
	}
	r->action = xstrndup(s, len);
	xbuf_init(&out, RULES_MAX_STATEMENT + 16);
	if (policy_format_reply(&out, s, len) < 0) {
		xbuf_free(&out);
		perr(p, pos, "action cannot be sent");
		return -1;
	}
	r->reply = xmemdup(out.data, out.len + 1);
	r->reply_len = out.len;
	xbuf_free(&out);
	return 0;
}

static void parse_statement(struct parser *p, unsigned first_line)
{
	struct rules *rs = p->rs;
	struct rule r;
	size_t k, apos;
	struct xbuf act;

	memset(&r, 0, sizeof(r));
	p->pos = 0;
	p->depth = 0;
	p->rule_nodes = 0;
	p->slots = 0;
	r.line = first_line;
	snprintf(r.id, sizeof(r.id), "line-%u", first_line);
	if (accept_kw(p, "rule")) {
		size_t n = peek_word(p), start = p->pos;

		if (n == 0 || n > RULES_MAX_ID) {
			perr(p, start, n ? "rule name longer than %d bytes" :
			     "expected a rule name after \"rule\"", RULES_MAX_ID);
			return;
		}
		memcpy(r.id, p->text.data + start, n);
		r.id[n] = '\0';
		for (k = 0; k < rs->nrules; k++) {
			if (strcmp(rs->rules[k].id, r.id) == 0) {
				perr(p, start, "rule \"%s\" already defined at line %u", r.id,
				     rs->rules[k].line);
				return;
			}
		}
		p->pos += n;
		skip_ws(p);
		if (!accept_str(p, ":")) {
			perr(p, p->pos, "expected \":\" after the rule name");
			return;
		}
	}
	if (accept_kw(p, "at")) {
		do {
			size_t start = p->pos, n = peek_word(p);
			int s = rules_state_index(p->text.data + start, n);

			if (s < 0) {
				perr(p, start, "unknown protocol_state \"%.*s\" (CONNECT EHLO "
				     "HELO MAIL RCPT DATA END-OF-MESSAGE VRFY ETRN)",
				     (int)(n > 40 ? 40 : n), p->text.data + start);
				return;
			}
			r.states |= 1u << s;
			p->pos += n;
			skip_ws(p);
		} while (accept_str(p, ","));
	}
	if (accept_kw(p, "always")) {
		r.root = node_new(p, N_TRUE);
	} else {
		r.root = parse_or(p);
	}
	if (p->failed)
		return;
	if (!accept_str(p, "=>")) {
		perr(p, p->pos, at_end(p) ? "expected \"=>\" and an action" :
		     "expected \"and\", \"or\" or \"=>\"");
		return;
	}
	apos = p->pos;
	xbuf_init(&act, RULES_MAX_STATEMENT);
	for (k = p->pos; k < p->text.len; k++) {
		char c = p->text.data[k];

		if (c == '\n') {
			while (k + 1 < p->text.len && (p->text.data[k + 1] == ' ' ||
						       p->text.data[k + 1] == '\t'))
				k++;
			c = ' ';
		}
		if (xbuf_append_char(&act, c) < 0)
			break;
	}
	while (act.len > 0 && (act.data[act.len - 1] == ' ' || act.data[act.len - 1] == '\t'))
		act.len--;
	if (act.len == 0) {
		perr(p, apos, "missing action after \"=>\"");
		xbuf_free(&act);
		return;
	}
	r.slots = p->slots;
	if (set_action(p, &r, act.data, act.len, apos) < 0) {
		xbuf_free(&act);
		return;
	}
	xbuf_free(&act);
	if (rs->nrules == RULES_MAX_RULES) {
		perr(p, 0, "more than %u rules", RULES_MAX_RULES);
		free(r.action);
		free(r.reply);
		return;
	}
	if (rs->nrules == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 32;
		rs->rules = xrealloc(rs->rules, rs->cap * sizeof(*rs->rules));
	}
	rs->rules[rs->nrules++] = r;
}

/* flush - parse the statement collected so far */
static void flush(struct parser *p)
{
	if (p->nsegs == 0)
		return;
	parse_statement(p, p->segs[0].line);
	xbuf_reset(&p->text);
	p->nsegs = 0;
}

static int add_segment(struct parser *p, const char *line, size_t len, unsigned lineno)
{
	if (p->nsegs == p->segcap) {
		p->segcap = p->segcap ? 2 * p->segcap : 16;
		p->segs = xrealloc(p->segs, p->segcap * sizeof(*p->segs));
	}
	if (p->nsegs > 0 && xbuf_append_char(&p->text, '\n') < 0)
		goto toolong;
	p->segs[p->nsegs].off = p->text.len;
	p->segs[p->nsegs].line = lineno;
	p->nsegs++;
	if (xbuf_append(&p->text, line, len) < 0)
		goto toolong;
	return 0;
toolong:
	perr(p, p->text.len, "statement longer than %u bytes", RULES_MAX_STATEMENT);
	return -1;
}

static void build_index(struct rules *rs)
{
	size_t s, i;

	for (s = 0; s <= RULES_NSTATES; s++) {
		rs->by_state[s] = xcalloc(rs->nrules + 1, sizeof(uint32_t));
		for (i = 0; i < rs->nrules; i++) {
			unsigned m = rs->rules[i].states;

			if (m == 0 || (s < RULES_NSTATES && (m & (1u << s))))
				rs->by_state[s][rs->n_by_state[s]++] = (uint32_t)i;
		}
	}
}

/* uses_usernets - does any node call networks()? */
static int uses_usernets(const struct rules *rs)
{
	size_t i;

	for (i = 0; i < rs->nnodes; i++)
		if (rs->nodes[i].op == N_USERNETS || rs->nodes[i].op == N_NOTUSERNETS)
			return 1;
	return 0;
}

struct rules *rules_parse(const char *buf, size_t len, const char *file,
			  const char *def_action, int have_db, char *err, size_t errlen)
{
	struct parser p;
	struct rules *rs = xcalloc(1, sizeof(*rs));
	size_t i = 0;
	unsigned lineno = 0;

	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.file = file;
	p.err = err;
	p.errlen = errlen;
	xbuf_init(&p.text, RULES_MAX_STATEMENT);
	(void)slot_intern(rs, "protocol_state", strlen("protocol_state"));
	if (len > RULES_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", file, RULES_MAX_FILE);
		p.failed = 1;
	}
	while (!p.failed && i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i, k = 0;

		i += n + (nl != NULL);
		lineno++;
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte", file, lineno);
			p.failed = 1;
			break;
		}
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == n || line[k] == '#')
			continue;
		if (k == 0)
			flush(&p);
		else if (p.nsegs == 0) {
			snprintf(err, errlen, "%s:%u:1: continuation line without a "
				 "statement before it", file, lineno);
			p.failed = 1;
			break;
		}
		(void)add_segment(&p, line, n, lineno);
	}
	if (!p.failed)
		flush(&p);
	if (!p.failed) {
		const char *d = def_action ? def_action : "DUNNO";
		const char *e;
		struct xbuf out;

		snprintf(rs->def.id, sizeof(rs->def.id), "default");
		if (action_check(d, strlen(d), 0, &rs->def.kind, &e) < 0) {
			snprintf(err, errlen, "default action \"%.80s\": %s", d, e);
			p.failed = 1;
		} else {
			xbuf_init(&out, RULES_MAX_STATEMENT + 16);
			if (policy_format_reply(&out, d, strlen(d)) < 0) {
				snprintf(err, errlen, "default action \"%.80s\": too long", d);
				p.failed = 1;
			} else {
				rs->def.action = xstrdup(d);
				rs->def.reply = xmemdup(out.data, out.len + 1);
				rs->def.reply_len = out.len;
			}
			xbuf_free(&out);
		}
	}
	if (!p.failed && !have_db && uses_usernets(rs)) {
		snprintf(err, errlen, "%s: networks() is used but no database is "
			 "configured (--db)", file);
		p.failed = 1;
	}
	if (!p.failed && rs->nres > 0 && (rs->matcher = rules_re_matcher_new()) == NULL) {
		snprintf(err, errlen, "%s: out of memory for regular expression matching", file);
		p.failed = 1;
	}
	xbuf_free(&p.text);
	free(p.segs);
	if (p.failed) {
		rules_free(&rs);
		return NULL;
	}
	build_index(rs);
	return rs;
}

void rules_free(struct rules **rsp)
{
	struct rules *rs = *rsp;
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		free(rs->rules[i].action);
		free(rs->rules[i].reply);
	}
	free(rs->def.action);
	free(rs->def.reply);
	free(rs->rules);
	free(rs->nodes);
	for (i = 0; i < rs->nstrs; i++)
		free(rs->strs[i].p);
	free(rs->strs);
	for (i = 0; i < rs->nres; i++)
		pcre2_code_free(rs->res[i]);
	rules_re_matcher_free(&rs->matcher);
	free(rs->res);
	free(rs->nets);
	for (i = 0; i < rs->nslots; i++)
		free(rs->slot_name[i]);
	for (i = 0; i <= RULES_NSTATES; i++)
		free(rs->by_state[i]);
	free(rs);
	*rsp = NULL;
}
