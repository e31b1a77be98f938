/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check_auth - conformance checks for a Dovecot-protocol auth helper
 * SYNOPSIS
 *	#include "harness/run/check_auth.h"
 *
 *	int check_auth_run(const struct check_auth_options *o, struct report *r);
 * DESCRIPTION
 *	Connects to the helper the way Postfix's smtpd does (VERSION 1 0 and
 *	CPID written at once, Postfix's AUTH lines, one request in flight,
 *	ids from one counter, 10 s timeouts) and runs the checks listed by
 *	`fake-smtpd check --list`. Every reply is judged by the Postfix
 *	oracle (harness/postfix/pf_auth.h) and the report says what Postfix
 *	would have answered the SMTP client.
 *	Checks that need a test account are skipped without --user and
 *	--password; a wrong password is derived from the right one.
 *	After the C-coded checks, the data checks of o->catalogue run
 *	(catalogue_run_auth: replayed transcripts, same selection and
 *	report), skipped when the handshake does not complete.
 * DIAGNOSTICS
 *	Returns 0 when the checks ran (failures are in the report), -1 when
 *	the target could not be used at all (message on stderr).
 */
#ifndef HARNESS_RUN_CHECK_AUTH_H
#define HARNESS_RUN_CHECK_AUTH_H

#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/run/catalogue.h"
#include "harness/run/report.h"

struct check_auth_options {
	const struct target *target;
	const char *user;
	const char *password;
	struct pf_version version;
	double time_scale;		/* 1.0 = Postfix's real timeouts */
	int stderr_apart;
	const char *only;		/* comma-separated id prefixes, or NULL */
	const char *skip;
	/* data checks (harness/run/catalogue.h): NULL, or loaded before the run */
	const struct catalogue *catalogue;
	const struct tvars *defines;	/* -D NAME=VALUE for them, or NULL */
};

int check_auth_run(const struct check_auth_options *o, struct report *r);
void check_auth_list(FILE *out);

#endif
