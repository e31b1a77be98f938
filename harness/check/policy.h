/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy - conformance checks for a Postfix SMTPD policy service
 * SYNOPSIS
 *	#include "harness/check/policy.h"
 *
 *	void check_policy_options_init(struct check_policy_options *o);
 *	unsigned long check_policy_timeout_ms(const struct check_policy_options *o);
 *
 *	int check_policy_run(const struct check_policy_options *o,
 *	                     struct report *r);
 *	void check_policy_list(FILE *out);
 *	void check_policy_list_needs(FILE *out, const struct catalogue *cat);
 * DESCRIPTION
 *	Talks to a policy service the way Postfix's smtpd does (attr_clnt:
 *	one persistent connection, one request in flight, the stream must
 *	not be readable before a request, 100 s per read) and runs the
 *	POLICY-* checks listed by `fake-smtpd check --policy --list`, rows
 *	of one table (check/policy.c) walked by the runner
 *	(check/runner.h):
 *
 *	  built-in probes   reply shape (REPLY), connection use (CONN),
 *	                    every protocol_state (STATE), the attribute sets
 *	                    of Postfix 2.1 ... 3.12 (VERSION), injection
 *	                    payloads compared with a control value (INJ),
 *	                    reply latency (LAT);
 *	  data checks       transcripts with a metadata header in
 *	                    o->catalogue_dir (corpus/conformance/policy),
 *	                    replayed by harness/replay;
 *	  user checks       o->transcripts (same format, header optional) and
 *	                    o->expects: "NAME=VALUE ... => PATTERN" rules
 *	                    (check/expect.h), ids POLICY-EXPECT-NNN in the
 *	                    order given.
 *
 *	Every answer is judged by the Postfix oracle (pf_policy.h): a failed
 *	check shows the bytes sent (C:) and received (S:), what Postfix would
 *	answer the SMTP client, and how to fix the service. The SMTP reply
 *	follows o->conf, the user's main.cf (pf_policy_conf.h: the list
 *	holding the check, what follows it, a pending DEFER_IF_PERMIT,
 *	soft_bounce, the default action); without one, Postfix's defaults
 *	with the check as the only restriction. A reply may take as long
 *	as Postfix waits for it: check_policy_timeout_ms(), the main.cf's
 *	smtpd_policy_service_timeout (or the service's { timeout=... }),
 *	else 100 s, times o->time_scale. When the service
 *	dies during a check (crashes, closes a connection without the reply
 *	Postfix waited for, stops accepting connections), that check fails
 *	with the death; when it is gone, lets two requests in a row run
 *	into the timeout, or answers none of six, the checks after that
 *	are not run, with the reason.
 *
 *	Data checks and their "# key: value" header (id, title, severity,
 *	why, fix, tags, fails-on) are read by check/catalogue.c, the loader
 *	`check --auth` shares.
 *
 *	check_policy_list() prints the built-in checks' --list lines;
 *	check_policy_list_needs() the needs table of every check, the data
 *	checks of cat included (check_list_needs()).
 *
 *	The command line of `fake-smtpd check --policy` is harness/cmd/check.c.
 * DIAGNOSTICS
 *	check_policy_run: 0 when the checks ran (failures are in the report),
 *	-1 when the target could not be used for the first exchange or the
 *	catalogue could not be read (msg_error() says why).
 */
#ifndef HARNESS_CHECK_POLICY_H
#define HARNESS_CHECK_POLICY_H

#include <stdio.h>

#include "harness/check/catalogue.h"
#include "harness/confirm/confirm.h"
#include "harness/io/target.h"
#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_policy_conf.h"
#include "harness/report/report.h"
#include "harness/script/transcript.h"

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
	/* check --confirm: every check's requests and predicted replies, or NULL */
	struct confirm_book *book;
	const struct pf_pol_conf *conf;	/* the user's main.cf, or NULL */
};

void check_policy_options_init(struct check_policy_options *o);
unsigned long check_policy_timeout_ms(const struct check_policy_options *o);
int check_policy_run(const struct check_policy_options *o, struct report *r);
void check_policy_list(FILE *out);
void check_policy_list_needs(FILE *out, const struct catalogue *cat);

#endif
