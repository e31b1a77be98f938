/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay - run a parsed transcript against a helper, as Postfix would
 * SYNOPSIS
 *	#include "harness/replay/replay.h"
 *
 *	void replay_options_init(struct replay_options *o);
 *	enum check_result replay_run(const struct replay_options *o,
 *	                             const struct transcript *t,
 *	                             struct report *r);
 *	void replay_policy_settings(struct report *r,
 *	                            const struct pf_pol_conf *pc);
 * DESCRIPTION
 *	Executes the op list of one transcript (harness/script) on a fresh
 *	connection to o->target and reports it as one check: every line sent
 *	(C:) and received (S:), shown escaped; for auth, what Postfix would
 *	answer the SMTP client for each reply (harness/postfix/pf_auth.h);
 *	the first failing step with its file:line and why. The run stops at
 *	the first failing step.
 *
 *	Auth client as Postfix 3.x: "handshake" writes VERSION 1 0 and CPID
 *	in one write and reads to DONE as xsasl_dovecot_server_connect does;
 *	AUTH lines carry Postfix's fields (service=smtp nologin lip= rip=
 *	[secured] [resp=]); ids come from one counter (o->first_id, kept
 *	across "reconnect"); one request in flight; no CANCEL; each reply is
 *	judged with strtoul-style id matching. The mechanisms AUTH accepts
 *	are the handshake's after o->sasl.security_options, the EHLO list
 *	those after o->sasl.mech_filter (pf_sasl_offer). Timeouts: Postfix's 10 s for
 *	connect, read and write, multiplied by o->time_scale.
 *
 *	Policy requests carry the attributes o->version sends, in Postfix's
 *	order, with the oracle's RCPT-time values (pf_pol_req_init), and the
 *	statement's overrides.
 *
 *	Policy client as Postfix 3.x (attr_clnt): a persistent connection;
 *	before each request a readable stream counts as broken; a reply that
 *	is malformed, missing its action, cut by EOF or late is a failed try:
 *	Postfix sleeps the retry delay (1 s), reconnects and re-sends the
 *	same request, up to the try limit (2), then applies the default
 *	action. Timeouts 100 s, delay 1 s, all multiplied by o->time_scale;
 *	the report names the unscaled figures. With o->policy_conf (the
 *	user's main.cf) its timeout and retry delay are used, and each
 *	action is judged as that configuration makes smtpd answer the SMTP
 *	client (pf_policy_conf.h); without, as Postfix's defaults with
 *	check_policy_service the only restriction. "expect smtp" compares
 *	that reply (a pending DEFER_IF_PERMIT included).
 *	replay_policy_settings() notes the settings a configuration gave
 *	the oracle into the current check's log (check --policy too).
 *
 *	A spawned helper that dies by a signal is a finding (the check fails
 *	with the signal and its stderr), not an error. An unreachable target
 *	is CHECK_ERROR.
 * DIAGNOSTICS
 *	Returns the check's result (CHECK_PASS, CHECK_FAIL, CHECK_ERROR).
 */
#ifndef HARNESS_REPLAY_REPLAY_H
#define HARNESS_REPLAY_REPLAY_H

#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/postfix/pf_sasl.h"
#include "harness/postfix/pf_policy_conf.h"
#include "harness/report/report.h"
#include "harness/script/transcript.h"

#define REPLAY_AUTH_TIMEOUT_MS		10000	/* Postfix AUTH_TIMEOUT */
#define REPLAY_POLICY_TIMEOUT_MS	100000	/* smtpd_policy_service_timeout */
#define REPLAY_POLICY_RETRY_MS		1000	/* smtpd_policy_service_retry_delay */
#define REPLAY_POLICY_TRY_LIMIT		2	/* smtpd_policy_service_try_limit */
#define REPLAY_POLICY_DEFAULT_ACTION	"451 4.3.5 Server configuration problem"
#define REPLAY_OPTIONAL_WAIT_MS		250	/* S? when no line is buffered */
#define REPLAY_MAX_ROUNDS		32	/* auth macro: CONT rounds */

enum replay_client {
	REPLAY_CLIENT_POSTFIX,
	REPLAY_CLIENT_DOVECOT_2,	/* Dovecot's own client, protocol minor 2 */
	REPLAY_CLIENT_DOVECOT_3,
	REPLAY_CLIENT_DOVECOT_4,
};

struct replay_options {
	const struct target *target;
	struct pf_version version;
	double time_scale;		/* 1.0 = Postfix's real timeouts */
	int stderr_apart;
	unsigned first_id;		/* first AUTH id (Postfix: 1) */
	const struct tvars *defines;	/* -D NAME=VALUE */
	const char *lip, *rip;		/* AUTH lip= / rip= */
	enum replay_client client;
	struct pf_sasl_conf sasl;	/* smtpd_sasl_* settings (NULL: defaults) */
	unsigned policy_try_limit;
	unsigned policy_request_limit;	/* 0 = unlimited */
	const char *policy_default_action;
	const struct pf_pol_conf *policy_conf;	/* the user's main.cf, or NULL */
};

void replay_options_init(struct replay_options *o);
enum check_result replay_run(const struct replay_options *o, const struct transcript *t,
			     struct report *r);
void replay_policy_settings(struct report *r, const struct pf_pol_conf *pc);

#endif
