/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	confirm - a failed check's exchange, once more through real Postfix
 * SYNOPSIS
 *	#include "harness/confirm/confirm.h"
 *
 *	The book (what the checks did), kept while they run:
 *	void confirm_book_init(struct confirm_book *b);
 *	void confirm_book_free(struct confirm_book *b);
 *	void confirm_book_line(struct confirm_book *b, const char *check,
 *	                       const char *line, size_t len, int odd);
 *	void confirm_book_want(struct confirm_book *b, const char *check,
 *	                       unsigned id, const char *smtp);
 *	void confirm_book_request(struct confirm_book *b, const char *check,
 *	                          const char *request, const char *want);
 *	void confirm_book_result(struct confirm_book *b, const char *check,
 *	                         int failed, int shared);
 *	const struct confirm_entry *confirm_book_source(
 *	        const struct confirm_book *b, const struct confirm_entry *e);
 *
 *	From an entry to SMTP sessions (pure):
 *	void confirm_plan_auth(const struct confirm_entry *e,
 *	                       struct confirm_plan *p);
 *	void confirm_plan_policy(const struct confirm_entry *e,
 *	                         const struct pf_version *v,
 *	                         struct confirm_plan *p);
 *	void confirm_plan_free(struct confirm_plan *p);
 *	const char *confirm_policy_want(const struct pf_pol_verdict *v,
 *	                                int default_cf, char *buf,
 *	                                size_t size);
 *	int confirm_settings(enum confirm_proto proto, const char *sock,
 *	                     double time_scale, struct xbuf *out);
 *	int confirm_user_settings(const char *text, size_t len,
 *	                          enum confirm_proto proto, const char *sock,
 *	                          double time_scale, struct xbuf *out);
 *	int confirm_same(const char *want, const char *real);
 * DESCRIPTION
 *	fake-smtpd check --confirm runs the exchange of each failed check
 *	once more through a private real Postfix, the helper under test
 *	behind it (as smtpd_sasl_path or check_policy_service), driven over
 *	SMTP, and sets real Postfix's reply beside the oracle's prediction.
 *	This module is the data and the pure code of it; confirm_run.c is
 *	the thin shell that starts Postfix and speaks SMTP.
 *
 *	The book. While the checks run, every check records into the book
 *	under its id what it sent and what the oracle predicted: for auth,
 *	each AUTH and CONT line written to the helper (confirm_book_line;
 *	odd: the connection began with a handshake Postfix never sends)
 *	and each SMTP reply predicted for a request id (confirm_book_want:
 *	the first prediction after a line is the one for that line); for
 *	policy, each request as name=value lines and the SMTP reply
 *	predicted for it (confirm_book_request; want NULL: none, and
 *	the reason why in its place is not kept). The runner tells the
 *	book how each check ended (confirm_book_result; shared: the check
 *	is judged from the run's first exchange, CHECK_STAGE_FIRST).
 *	confirm_book_source() is the entry whose events stand for e's
 *	exchange: e itself, or for a shared check that made no exchange of
 *	its own, the first shared entry that did. A check records
 *	at most CONFIRM_MAX_EVENTS events; later ones are counted only.
 *
 *	The mapping, auth. An AUTH line as Postfix writes it,
 *	  AUTH TAB id TAB mech TAB service=smtp [TAB nologin] TAB lip=A
 *	  TAB rip=A [TAB secured] [TAB resp=R]
 *	is what smtpd writes for the SMTP command "AUTH mech R" ("AUTH
 *	mech" without resp=, "AUTH mech =" for an empty resp=); a CONT
 *	line "CONT TAB id TAB D" is the SMTP client's line D after a 334.
 *	Each AUTH id becomes one SMTP session (EHLO, then its steps), each
 *	step with the reply the oracle predicted for it; steps after the
 *	last prediction are left out. Not confirmable: an AUTH line with
 *	other fields (Postfix never sends them), a CONT that answers a
 *	challenge of a mechanism whose challenges change (CRAM-MD5,
 *	SCRAM-*, DIGEST-MD5: the helper would issue a new one), a
 *	connection begun with an odd handshake, a request the check
 *	abandoned (no prediction at all).
 *
 *	The mapping, policy. A request at protocol_state=RCPT is the SMTP
 *	session EHLO helo_name (HELO when protocol_name is SMTP), XCLIENT
 *	ADDR/NAME/REVERSE_NAME/LOGIN when client_address, client_name,
 *	reverse_client_name or sasl_username differ from what a client on
 *	smtpd's UNIX socket is (127.0.0.1, localhost, no login), then EHLO
 *	again, MAIL FROM:<sender>, RCPT TO:<recipient>, whose reply is
 *	compared. Values go on the SMTP line as they are: one with a blank,
 *	'<', '>', a control byte or a byte above 0x7e cannot. Every other
 *	attribute must have the value Postfix's own request has for that
 *	version (pf_pol_req_init) or be one that changes per session
 *	(instance, client_port, queue_id, sasl_method with a login, ...);
 *	else the request is not confirmable and the reason names it. Other
 *	states: not confirmable with a main.cf that asks at RCPT.
 *	confirm_policy_want() is the SMTP reply for a verdict with the
 *	default main.cf (check_policy_service, then permit): PERMIT and
 *	DUNNO give "250 2.1.5 Ok" (or a pending DEFER_IF_PERMIT's reply),
 *	REJECT and CONFIG_ERROR their reply, HANGUP CONFIRM_CLOSED; NULL
 *	for UNMODELLED, and for DUNNO when default_cf is 0 (the user's
 *	next restriction decides).
 *
 *	A plan holds at most CONFIRM_MAX_SESSIONS sessions (identical ones
 *	once; p->left_out counts the rest) of at most CONFIRM_MAX_STEPS
 *	steps. p->why says why nothing is confirmable (empty otherwise),
 *	p->skipped how many exchanges were not, with the first reason in
 *	p->skip_why.
 *
 *	confirm_settings() writes the main.cf lines of the default
 *	configuration, one "name = value" per line, for the helper behind
 *	the UNIX socket sock; the policy timeout is Postfix's 100 s times
 *	time_scale (at least 1 s). confirm_user_settings() does it for a
 *	user's main.cf (text, len bytes): its settings as logical lines
 *	(comments and blank lines dropped, continuation lines joined),
 *	without those that would take the private instance apart
 *	(directories, inet_interfaces, maillog_file, max_use, ...), with
 *	the target of every check_policy_service (also in the { target,
 *	option=value } form) replaced by unix:sock for policy, and for
 *	auth smtpd_sasl_* pointed at sock; then max_use = 1 and, for
 *	policy, XCLIENT allowed from smtpd's UNIX socket. Its timeouts are
 *	the user's. confirm_same() is whether a real reply
 *	line equals the predicted one (a CR at the end of the real one
 *	ignored).
 * DIAGNOSTICS
 *	confirm_settings: 0, or -1 when out is full. The rest cannot fail
 *	(allocation failures abort).
 */
#ifndef HARNESS_CONFIRM_CONFIRM_H
#define HARNESS_CONFIRM_CONFIRM_H

#include <stddef.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_version.h"
#include "util/xbuf.h"

#define CONFIRM_MAX_EVENTS	256	/* per check */
#define CONFIRM_MAX_SESSIONS	12	/* per check */
#define CONFIRM_MAX_STEPS	8	/* per session */
#define CONFIRM_MAX_CMD		8192	/* an SMTP command line */
#define CONFIRM_CLOSED		"(connection closed)"

enum confirm_proto {
	CONFIRM_AUTH,
	CONFIRM_POLICY,
};

/* one thing a check did */
struct confirm_event {
	char kind;		/* 'L' line sent, 'O' the same on an odd connection, 'W' want,
				   'R' policy request */
	unsigned id;		/* 'W': the request id */
	char *text;		/* the line, the reply, or the request */
	char *want;		/* 'R': the predicted reply, or NULL */
};

struct confirm_entry {
	char check[64];
	int failed;
	int shared;		/* judged from the run's first exchange */
	struct confirm_event *ev;
	size_t n, cap;
	size_t dropped;		/* events beyond CONFIRM_MAX_EVENTS */
};

struct confirm_book {
	struct confirm_entry *e;
	size_t n, cap;
};

struct confirm_step {
	char *cmd;		/* the SMTP command, without CR LF */
	char *want;		/* the predicted reply line, or NULL: not compared */
};

struct confirm_session {
	struct confirm_step step[CONFIRM_MAX_STEPS];
	size_t n;
};

struct confirm_plan {
	struct confirm_session s[CONFIRM_MAX_SESSIONS];
	size_t n;
	size_t left_out;	/* sessions beyond CONFIRM_MAX_SESSIONS */
	size_t skipped;		/* exchanges that are not confirmable */
	char skip_why[300];	/* the first reason */
	char why[300];		/* nothing confirmable: why */
};

void confirm_book_init(struct confirm_book *b);
void confirm_book_free(struct confirm_book *b);
void confirm_book_line(struct confirm_book *b, const char *check, const char *line, size_t len,
		       int odd);
void confirm_book_want(struct confirm_book *b, const char *check, unsigned id, const char *smtp);
void confirm_book_request(struct confirm_book *b, const char *check, const char *request,
			  const char *want);
void confirm_book_result(struct confirm_book *b, const char *check, int failed, int shared);
const struct confirm_entry *confirm_book_source(const struct confirm_book *b,
						const struct confirm_entry *e);

void confirm_plan_auth(const struct confirm_entry *e, struct confirm_plan *p);
void confirm_plan_policy(const struct confirm_entry *e, const struct pf_version *v,
			 struct confirm_plan *p);
void confirm_plan_free(struct confirm_plan *p);
const char *confirm_policy_want(const struct pf_pol_verdict *v, int default_cf, char *buf,
				size_t size);
int confirm_settings(enum confirm_proto proto, const char *sock, double time_scale,
		     struct xbuf *out) ATTR_WUR;
int confirm_user_settings(const char *text, size_t len, enum confirm_proto proto,
			  const char *sock, double time_scale, struct xbuf *out) ATTR_WUR;
int confirm_same(const char *want, const char *real);

#endif
