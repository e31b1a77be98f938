/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check_policy - conformance checks for a Postfix SMTPD policy service
 * SYNOPSIS
 *	#include "harness/run/check_policy.h"
 *
 *	void check_policy_options_init(struct check_policy_options *o);
 *	int check_policy_run(const struct check_policy_options *o,
 *	                     struct report *r);
 *	void check_policy_list(FILE *out);
 *	int check_policy_expect_parse(const char *text, struct pf_pol_req *req,
 *	                              const struct pf_version *v,
 *	                              char *store, size_t store_size,
 *	                              const char **pattern_r,
 *	                              char *err, size_t errlen);
 *	int check_policy_glob(const char *pat, const char *s, size_t len);
 * DESCRIPTION
 *	Talks to a policy service the way Postfix's smtpd does (attr_clnt:
 *	one persistent connection, one request in flight, the stream must
 *	not be readable before a request, 100 s per read) and runs the
 *	POLICY-* checks listed by `fake-smtpd check --policy --list`:
 *
 *	  built-in probes   reply shape (REPLY), connection use (CONN),
 *	                    every protocol_state (STATE), the attribute sets
 *	                    of Postfix 2.1 ... 3.12 (VERSION), injection
 *	                    payloads compared with a control value (INJ),
 *	                    reply latency (LAT);
 *	  data checks       transcripts with a metadata header in
 *	                    o->catalogue_dir (corpus/conformance/policy),
 *	                    replayed by harness/run/replay.c;
 *	  user checks       o->transcripts (same format, header optional) and
 *	                    o->expects: "NAME=VALUE ... => PATTERN" rules,
 *	                    ids POLICY-EXPECT-NNN in the order given.
 *
 *	Every answer is judged by the Postfix oracle (pf_policy.h): a failed
 *	check shows the bytes sent (C:) and received (S:), what Postfix would
 *	answer the SMTP client, and how to fix the service.
 *
 *	check_policy_expect_parse() reads one rule: blank-separated
 *	NAME=VALUE words (double quotes keep blanks; state=X is
 *	protocol_state=X), then "=>" and an action pattern (the rest of the
 *	text). The request starts as Postfix v's RCPT request (or the state
 *	given). Values are copied into store. check_policy_glob() matches
 *	'*' and '?' case-insensitively over (s, len).
 *
 *	Data checks and their "# key: value" header (id, title, severity,
 *	why, fix, tags, fails-on) are read by harness/run/catalogue.c, the
 *	loader `check --auth` shares.
 *
 *	The command line of `fake-smtpd check --policy` is harness/cmd/check.c.
 * DIAGNOSTICS
 *	check_policy_run: 0 when the checks ran (failures are in the report),
 *	-1 when the target could not be used at all (message on stderr).
 *	check_policy_expect_parse: 0, or -1 with a
 *	reason in err.
 */
#ifndef HARNESS_RUN_CHECK_POLICY_H
#define HARNESS_RUN_CHECK_POLICY_H

#include <stdio.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_policy.h"
#include "harness/report/report.h"
#include "harness/script/transcript.h"

#define CHECK_POLICY_MAX_EXPECTS	256

struct check_policy_options {
	const struct target *target;
	struct pf_version version;
	double time_scale;		/* 1.0 = Postfix's real timeouts */
	int stderr_apart;
	const char *only;		/* comma-separated ids, id prefixes or tags */
	const char *skip;
	const char *user;		/* allowed from 127.0.0.1 (default test1) */
	const char *const *expects;
	size_t nexpects;
	const char *catalogue_dir;	/* NULL: no data checks */
	const char *const *transcripts;	/* the user's own */
	size_t ntranscripts;
	const struct tvars *defines;
};

void check_policy_options_init(struct check_policy_options *o);
int check_policy_run(const struct check_policy_options *o, struct report *r);
void check_policy_list(FILE *out);
int check_policy_expect_parse(const char *text, struct pf_pol_req *req, const struct pf_version *v,
			      char *store, size_t store_size, const char **pattern_r, char *err,
			      size_t errlen);
int check_policy_glob(const char *pat, const char *s, size_t len);

#endif
