/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules_int - the compiled form of a rule file, shared by the parser
 *	(rules.c) and the matcher (rules_eval.c)
 * SYNOPSIS
 *	#include "reference/policyd/rules_int.h"
 * DESCRIPTION
 *	Not an interface: only rules.c and rules_eval.c include it. A rule's
 *	condition is a tree of nodes in rs->nodes (children by index);
 *	string operands, regular expressions and networks live in their
 *	own arrays, referenced by index and count from the node. Each
 *	attribute a rule looks at has a slot (rules_slot()); by_state[]
 *	lists, per protocol_state, the rules that can fire there, in file
 *	order (the last list: an unknown state).
 */
#ifndef REFERENCE_POLICYD_RULES_INT_H
#define REFERENCE_POLICYD_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "reference/policyd/rules.h"
#include "reference/policyd/rules_re.h"

enum node_op {
	N_TRUE, N_AND, N_OR, N_NOT,
	N_PRESENT, N_MISSING, N_EMPTY, N_NONEMPTY,
	N_EQ, N_NE, N_IEQ, N_NUM, N_GLOB, N_IGLOB, N_RE, N_NRE,
	N_IN, N_NOTIN, N_USERNETS, N_NOTUSERNETS,
};

enum num_cmp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };

struct node {
	uint8_t op;
	uint8_t cmp;		/* N_NUM */
	uint16_t slot;		/* attribute tested */
	uint16_t slot2;		/* N_USERNETS: the user attribute */
	uint32_t a, b;		/* children; or operand index and count */
	uint64_t num;		/* N_NUM */
};

struct operand_str {
	char *p;
	size_t len;
};

struct rules {
	struct rule *rules;
	size_t nrules, cap;
	struct rule def;
	struct node *nodes;
	size_t nnodes, nodecap;
	struct operand_str *strs;
	size_t nstrs, strcap;
	pcre2_code **res;
	size_t nres, recap;
	struct rules_re_matcher *matcher;	/* one match at a time */
	struct cidr *nets;
	size_t nnets, netcap;
	char *slot_name[RULES_MAX_SLOTS];
	size_t slot_len[RULES_MAX_SLOTS];
	size_t nslots;
	int16_t hash[256];	/* slot + 1, open addressing */
	uint64_t len_mask;	/* bit len % 64 set for each slot name: most of the
				   attributes of a request are looked at by no rule,
				   and most of those are turned away by their length */
	uint32_t *by_state[RULES_NSTATES + 1];	/* last: unknown state */
	size_t n_by_state[RULES_NSTATES + 1];
};

#endif
