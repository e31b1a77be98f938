/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	confirm_run - run failed checks' exchanges through a private real
 *	Postfix
 * SYNOPSIS
 *	#include "harness/confirm/confirm_run.h"
 *
 *	int confirm_postfix(char *version, size_t size, char *why,
 *	                    size_t whylen);
 *	int confirm_run(const struct confirm_options *o,
 *	                const struct confirm_book *b, struct report *r,
 *	                char *err, size_t errlen);
 * DESCRIPTION
 *	confirm_postfix() tells whether Postfix is installed (postconf on
 *	PATH or in /usr/sbin) and writes its mail_version.
 *
 *	confirm_run() makes a directory (o->dir, or a new one under /tmp,
 *	mode 0755 so that smtpd, which runs as postfix, reaches the socket
 *	in it) and starts a private Postfix there with o->postfix_ns start
 *	(scripts/postfix-ns: network, mount and PID namespaces of its own;
 *	needs root), configured with confirm_settings() (o->main_cf NULL)
 *	or the user's main.cf through confirm_user_settings(). For each
 *	check the book says
 *	failed, in the book's order, it plans the SMTP sessions
 *	(confirm.h), starts a recording proxy (harness/record, in a child
 *	process) on a socket in the directory in front of o->target, drives
 *	each session over smtpd's UNIX socket, stops the proxy by its PID
 *	and reports with report_confirm(): every predicted reply beside
 *	real Postfix's, and the files: ID.smtp (the SMTP sessions, C: and S:
 *	lines) and ID.helper.tr (what Postfix and the helper said, as a
 *	transcript fake-smtpd replay runs). A disagreement is our bug, and
 *	the report says how to file it. At the end Postfix is stopped with
 *	o->postfix_ns stop, which ends its namespaces by PID.
 *
 *	Bounds: Postfix's start and stop CONFIRM_START_MS each; a session
 *	CONFIRM_SESSION_MS plus, for policy, the two tries Postfix may wait
 *	(smtpd_policy_service_timeout is 100 s times o->time_scale); the
 *	proxy CONFIRM_STOP_MS to end after SIGTERM, then SIGKILL. While
 *	Postfix runs, SIGINT, SIGTERM and SIGHUP stop the sessions, and
 *	Postfix is stopped before confirm_run() returns -1 ("interrupted").
 * DIAGNOSTICS
 *	confirm_postfix: 1 installed, 0 not (why says so).
 *	confirm_run: 0 every failed check was reported on (agreeing or
 *	not); -1 the environment (Postfix would not start, no directory):
 *	err says why, nothing was reported.
 */
#ifndef HARNESS_CONFIRM_CONFIRM_RUN_H
#define HARNESS_CONFIRM_CONFIRM_RUN_H

#include <stddef.h>

#include "harness/confirm/confirm.h"
#include "harness/io/target.h"
#include "harness/report/report.h"

#define CONFIRM_START_MS	30000
#define CONFIRM_SESSION_MS	30000
#define CONFIRM_STOP_MS		3000

struct confirm_options {
	enum confirm_proto proto;
	const struct target *target;
	const char *postfix_ns;		/* scripts/postfix-ns, or smtpd-harness-postfix-ns */
	const char *main_cf;		/* NULL: the default main.cf */
	const char *dir;		/* NULL: a new directory under /tmp */
	struct pf_version version;	/* the version the checks judged as */
	double time_scale;
	int stderr_apart;
};

int confirm_postfix(char *version, size_t size, char *why, size_t whylen);
int confirm_run(const struct confirm_options *o, const struct confirm_book *b,
		struct report *r, char *err, size_t errlen);

#endif
