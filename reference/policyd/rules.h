/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules - policy rule files: parser and matcher
 * SYNOPSIS
 *	#include "reference/policyd/rules.h"
 *
 *	struct rules *rules_parse(const char *buf, size_t len,
 *	                          const char *file, const char *def_action,
 *	                          int have_db, char *err, size_t errlen);
 *	void rules_free(struct rules **rs);
 *	int rules_slot(const struct rules *rs, const char *name, size_t len);
 *	int rules_eval(const struct rules *rs, const struct rules_values *v,
 *	               const struct rules_env *env, const struct rule **rule_r);
 *	int rules_state_index(const char *s, size_t len);
 * DESCRIPTION
 *	The rule language is documented in docs/policyd-rules.md; the
 *	grammar is repeated in rules.c. rules_parse() compiles a whole file
 *	(at most RULES_MAX_FILE bytes) into a rule set: expressions as node
 *	arrays, regular expressions (POSIX ERE syntax) compiled by
 *	rules_re.h with PCRE2, networks parsed, every action checked with
 *	action_check() and its reply "action=...\n\n" formatted once, and a
 *	per-protocol_state index of the rules that can fire there.
 *	def_action is the reply when no rule matches (checked the same
 *	way; NULL means DUNNO). have_db says whether networks(ATTR) may be
 *	used.
 *
 *	Attributes named by rules get slots 0..nslots-1; slot 0 is always
 *	protocol_state. rules_slot() maps an attribute name to its slot (-1:
 *	no rule looks at it), so a request is read in one pass. The caller
 *	fills a struct rules_values: val[i] NULL for a missing attribute,
 *	otherwise the value, NUL-terminated at len[i] (glob and regex tests
 *	see the value up to its first NUL, like Postfix's C strings; other
 *	tests see all len bytes).
 *
 *	rules_eval() returns the first rule, in file order, whose state
 *	scope includes the request's protocol_state and whose condition is
 *	true; when none matched, *rule_r is rules_default(rs). It
 *	never allocates, and is for one thread at a time per rule set (its
 *	regex matcher is the rule set's). networks(ATTR) tests ask
 *	env->user_allows(). A regex test whose match reached a limit is
 *	false (=~ and !~ alike) and env->re_limit() is told.
 * DIAGNOSTICS
 *	rules_parse: NULL with "file:line:column: what" in err.
 *	rules_eval: 0, or -1 when env->user_allows failed (database error).
 *	rules_slot, rules_state_index: -1 when unknown.
 */
#ifndef REFERENCE_POLICYD_RULES_H
#define REFERENCE_POLICYD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "reference/policyd/action.h"
#include "reference/policyd/cidr.h"
#include "util/compiler.h"

#define RULES_MAX_FILE		(16u * 1024 * 1024)
#define RULES_MAX_STATEMENT	(64u * 1024)
#define RULES_MAX_RULES		100000u
#define RULES_MAX_SLOTS		64	/* distinct attribute names */
#define RULES_MAX_NODES		1024	/* per rule */
#define RULES_MAX_DEPTH		64	/* nesting of not and ( ) */
#define RULES_MAX_ID		64

enum rules_state {
	RULES_CONNECT, RULES_EHLO, RULES_HELO, RULES_MAIL, RULES_RCPT,
	RULES_DATA, RULES_EOM, RULES_VRFY, RULES_ETRN, RULES_NSTATES
};

struct rules;

struct rule {
	char id[RULES_MAX_ID + 1];
	unsigned line;
	unsigned states;	/* bit per enum rules_state; 0 = any */
	uint32_t root;		/* node index */
	uint64_t slots;		/* attributes the condition looks at */
	enum action_kind kind;
	char *action;		/* as written, trimmed */
	char *reply;		/* "action=<action>\n\n" */
	size_t reply_len;
};

struct rules_values {
	const char *val[RULES_MAX_SLOTS];
	size_t len[RULES_MAX_SLOTS];
};

struct rules_env {
	/* 1: addr is in one of user's networks, 0: not, -1: error */
	int (*user_allows)(void *ctx, const char *user, size_t ulen,
			   const struct cidr_addr *addr);
	void *ctx;
	/* a regex test of rule r on attribute attr reached a match limit
	   and was false; NULL: not told */
	void (*re_limit)(void *ctx, const struct rule *r, const char *attr);
};

struct rules *rules_parse(const char *buf, size_t len, const char *file,
			  const char *def_action, int have_db, char *err,
			  size_t errlen);
void rules_free(struct rules **rs);
int rules_slot(const struct rules *rs, const char *name, size_t len);
size_t rules_nslots(const struct rules *rs);
const char *rules_slot_name(const struct rules *rs, size_t slot);
size_t rules_count(const struct rules *rs);
const struct rule *rules_get(const struct rules *rs, size_t i);
const struct rule *rules_default(const struct rules *rs);
int rules_eval(const struct rules *rs, const struct rules_values *v,
	       const struct rules_env *env, const struct rule **rule_r) ATTR_WUR;
int rules_state_index(const char *s, size_t len);

#endif
