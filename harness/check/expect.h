/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	expect - the --expect rule language of check --policy
 * SYNOPSIS
 *	#include "harness/check/expect.h"
 *
 *	int check_expect_parse(const char *text, struct pf_pol_req *req,
 *	                       const struct pf_version *v,
 *	                       char *store, size_t store_size,
 *	                       const char **pattern_r,
 *	                       char *err, size_t errlen);
 *	int check_expect_glob(const char *pat, const char *s, size_t len);
 * DESCRIPTION
 *	A rule is the request Postfix would send and the action the
 *	service must answer it with:
 *
 *	  rule    := *blank *(attr 1*blank) "=>" *blank pattern
 *	  attr    := name "=" (word / DQUOTE *(not-DQUOTE) DQUOTE)
 *	  name    := 1*(not "=" and not blank); "state" is protocol_state
 *	  pattern := the rest of the text, not empty
 *
 *	check_expect_parse() reads one rule. The request starts as Postfix
 *	v's request at the rule's protocol_state (RCPT when none is given,
 *	pf_pol_req_init) and each attribute replaces or adds one; the
 *	names and values are copied into store (store_size bytes, at most
 *	PF_POL_MAX_REQ attributes). *pattern_r points into text.
 *	check_expect_glob() matches '*' (any run) and '?' (one byte)
 *	case-insensitively over (s, len), the whole of it.
 *
 *	A rule file (check --policy --expect-file) has one rule per line;
 *	blank lines and lines starting with '#' are left out; at most
 *	CHECK_EXPECT_MAX_RULES rules in all.
 * DIAGNOSTICS
 *	check_expect_parse: 0, or -1 with a reason in err (with the column
 *	for a malformed attribute, "unknown protocol_state X", "no \"=>\"",
 *	"no action pattern"). check_expect_glob: 1 match, 0 not.
 */
#ifndef HARNESS_CHECK_EXPECT_H
#define HARNESS_CHECK_EXPECT_H

#include <stddef.h>

#include "harness/postfix/pf_policy.h"

#define CHECK_EXPECT_MAX_RULES	256

int check_expect_parse(const char *text, struct pf_pol_req *req, const struct pf_version *v,
		       char *store, size_t store_size, const char **pattern_r, char *err,
		       size_t errlen) __attribute__((warn_unused_result));
int check_expect_glob(const char *pat, const char *s, size_t len);

#endif
