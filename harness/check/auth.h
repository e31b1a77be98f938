/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth - conformance checks for a Dovecot-protocol auth helper
 * SYNOPSIS
 *	#include "harness/check/auth.h"
 *
 *	int check_auth_run(const struct check_auth_options *o, struct report *r);
 *	void check_auth_list(FILE *out);
 *	unsigned check_auth_reply_flags(unsigned id, const char *line,
 *	                                size_t len);
 *	size_t check_auth_fail_shape(const char *line, size_t len,
 *	                             char *buf, size_t size);
 * DESCRIPTION
 *	Connects to the helper the way Postfix's smtpd does (VERSION 1 0 and
 *	CPID written at once, Postfix's AUTH lines, one request in flight,
 *	ids from one counter, 10 s timeouts) and runs the checks listed by
 *	`fake-smtpd check --list`: one table (check/auth.c) walked by the
 *	runner (check/runner.h). Every reply is judged by the Postfix
 *	oracle (harness/postfix/pf_auth.h) and the report says what Postfix
 *	would have answered the SMTP client.
 *	Checks that need a test account are skipped without --user and
 *	--password; a wrong password is derived from the right one.
 *	After the C-coded checks, the data checks of o->catalogue run
 *	(replayed transcripts under their own ids, same selection and
 *	report), skipped when the handshake does not complete, when their
 *	tags hold "account" and there is no account, or when a tag names a
 *	SASL mechanism the helper does not offer (after Postfix's
 *	noanonymous filter). Beyond its transcript, a data check fails when
 *	a SCRAM exchange reached OK without the server-final CONT round, or
 *	when an OK reply carries resp=: Postfix never sends final-resp-ok
 *	and drops that data (protocols.md A.5).
 *
 *	check_auth_list() prints the C-coded checks' --list lines.
 *
 *	Every reply line the run reads while a request is in flight is also
 *	looked at by check_auth_reply_flags() (pure): CHECK_AUTH_R_* bits
 *	for what Postfix reads in a way the helper may not intend. Bits that
 *	need the line to be taken by Postfix (an OK, CONT or FAIL whose id
 *	strtoul(..., 0) reads as id) are set only then; CR and unknown words
 *	are set for any line. The AUTH-REP-* checks at the end of the run
 *	judge what was seen over all exchanges.
 *	check_auth_fail_shape() writes a FAIL line without its id and user=
 *	fields (the rest in order, TAB-separated) into buf, so that the
 *	replies for an unknown user and for a wrong password can be
 *	compared; it returns the length written (cut to size - 1).
 * DIAGNOSTICS
 *	check_auth_run: 0 when the checks ran (failures are in the report,
 *	a helper that died among them), -1 when the target could not be
 *	used for the first exchange (msg_error() says why).
 */
#ifndef HARNESS_CHECK_AUTH_H
#define HARNESS_CHECK_AUTH_H

#include <stdio.h>

#include "harness/check/catalogue.h"
#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/report/report.h"

struct check_auth_options {
	const struct target *target;
	const char *user;
	const char *password;
	struct pf_version version;
	double time_scale;		/* 1.0 = Postfix's real timeouts */
	int stderr_apart;
	const char *only;		/* comma-separated id prefixes, or NULL */
	const char *skip;
	/* data checks (check/catalogue.h): NULL, or loaded before the run */
	const struct catalogue *catalogue;
	const struct tvars *defines;	/* -D NAME=VALUE for them, or NULL */
	/* main.cf's smtpd_sasl_security_options, _mechanism_filter; NULL: defaults */
	const char *sasl_security_options;
	const char *sasl_mechanism_filter;
};

#define CHECK_AUTH_R_OK_NO_USER	0x0001u	/* OK without user= */
#define CHECK_AUTH_R_OK_EMPTY_USER	0x0002u	/* OK with user= empty */
#define CHECK_AUTH_R_OK_NOLOGIN	0x0004u	/* OK with nologin, proxy or host= */
#define CHECK_AUTH_R_OK_RESP		0x0008u	/* OK with resp= */
#define CHECK_AUTH_R_REASON_ODD	0x0010u	/* reason= with \001, control or 8-bit bytes */
#define CHECK_AUTH_R_REASON_LONG	0x0020u	/* the 535 line exceeds 512 bytes */
#define CHECK_AUTH_R_CONT_EXTRA	0x0040u	/* CONT with TAB fields after the data */
#define CHECK_AUTH_R_CONT_NO_DATA	0x0080u	/* CONT<TAB>id and nothing more */
#define CHECK_AUTH_R_ID_NONCANON	0x0100u	/* id taken by strtoul, not canonical */
#define CHECK_AUTH_R_UNKNOWN_WORD	0x0200u	/* not OK/CONT/FAIL: Postfix skips it */
#define CHECK_AUTH_R_CR		0x0400u	/* the line ends in CR (CRLF line end) */
#define CHECK_AUTH_R_TAKEN		0x0800u	/* Postfix takes it as the answer */
#define CHECK_AUTH_R_IS_OK		0x1000u
#define CHECK_AUTH_R_IS_CONT		0x2000u
#define CHECK_AUTH_R_IS_FAIL		0x4000u

int check_auth_run(const struct check_auth_options *o, struct report *r);
void check_auth_list(FILE *out);
unsigned check_auth_reply_flags(unsigned id, const char *line, size_t len);
size_t check_auth_fail_shape(const char *line, size_t len, char *buf, size_t size);

#endif
