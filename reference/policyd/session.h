/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - one policy connection: request lines in, replies out
 * SYNOPSIS
 *	#include "reference/policyd/session.h"
 *
 *	struct policyd_engine *policyd_engine_create(
 *	                          const struct policyd_settings *set);
 *	void policyd_engine_destroy(struct policyd_engine **e);
 *	void policyd_engine_set_rules(struct policyd_engine *e,
 *	                          const struct rules *rs);
 *	void policyd_engine_set_env(struct policyd_engine *e,
 *	                          const struct rules_env *env);
 *
 *	void policyd_session_init(struct policyd_session *s,
 *	                          const struct policyd_settings *set);
 *	void policyd_session_free(struct policyd_session *s);
 *	int policyd_session_input(struct policyd_session *s,
 *	                          struct policyd_engine *e,
 *	                          char *buf, size_t len, size_t *used_r,
 *	                          struct xbuf *out,
 *	                          struct policyd_decision *d_r);
 *	const char *policyd_session_error(const struct policyd_session *s);
 *	int policyd_fault_parse(const char *name, size_t len, unsigned *bit_r);
 * DESCRIPTION
 *	The protocol side of ref-policyd (protocols.md B.1, B.6), without
 *	I/O or clocks. The caller hands over the bytes a connection has
 *	received and not yet consumed, in one run, as they are (a CR is
 *	data, as Postfix reads): policyd_session_input() feeds them to
 *	lib/proto's policy_scan_block(), which remembers how far it has
 *	looked, so bytes that arrive in pieces are each looked at once.
 *	A request is name=value lines up to an empty line; when one is
 *	complete it is parsed in place (policy_parse_block), matched
 *	(rules_eval) and answered with "action=<action>" LF LF appended to
 *	out, and *used_r is its length: the caller drops those bytes and
 *	calls again with the rest (requests on one connection are answered
 *	in order, one reply each). The bytes of the request are changed
 *	(each value's LF becomes a NUL). Unknown attributes, lines without
 *	"=" and names of other case are ignored; attributes may come in
 *	any order; of duplicates set->dup keeps the first or the last. A
 *	request must contain request=smtpd_access_policy.
 *
 *	Bounds, checked line by line as the bytes arrive (policy_scan
 *	bounds, in this order): a line at most set->max_line bytes without
 *	its LF (<= POLICY_MAX_LINE; a longer unfinished line is already an
 *	error: policyd_session_overlong() is then 1), at most
 *	set->max_attrs lines per request (<= POLICY_MAX_ATTRS), at most
 *	set->max_request bytes per request, LFs included. A request over a
 *	bound, or without request=smtpd_access_policy, or a database
 *	error, is -1: the caller logs policyd_session_error(), sends
 *	nothing more and disconnects (the README's advice; Postfix
 *	retries). So the caller never needs to hold more than max_request
 *	+ max_line + 1 unconsumed bytes. The engine holds one scratch
 *	request table shared by all sessions of a thread; a session holds
 *	no buffer of its own.

 *	Faults (set->faults, bits POLICYD_F_*) change the reply for testing
 *	clients: crlf, no-action, action-case, extra-empty-line,
 *	close-after-reply (d_r->close), early-reply, no-terminator,
 *	bad-action, colon-action; see docs/ref-policyd.8.
 *	The early-reply fault answers as soon as the first line of a
 *	request has arrived, and the request's end adds nothing.
 * DIAGNOSTICS
 *	policyd_session_input: 1 a request was answered (*used_r its bytes,
 *	d_r filled, reply in out), 0 more input needed (*used_r 0; an
 *	early reply may have been appended), -1 error
 *	(policyd_session_error()). The values in d_r point into buf and
 *	engine memory, valid until the next call.
 */
#ifndef REFERENCE_POLICYD_SESSION_H
#define REFERENCE_POLICYD_SESSION_H

#include <stddef.h>

#include "proto/policy.h"
#include "reference/policyd/rules.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define POLICYD_F_CRLF		0x001u
#define POLICYD_F_NO_ACTION	0x002u
#define POLICYD_F_ACTION_CASE	0x004u
#define POLICYD_F_EXTRA_EMPTY	0x008u
#define POLICYD_F_CLOSE_AFTER	0x010u
#define POLICYD_F_EARLY_REPLY	0x020u
#define POLICYD_F_NO_TERMINATOR	0x040u
#define POLICYD_F_BAD_ACTION	0x080u
#define POLICYD_F_COLON_ACTION	0x100u

#define POLICYD_BAD_ACTION	"NO_SUCH_ACTION"
#define POLICYD_COLON_ACTION	"check_client_access hash:/etc/postfix/access"

struct policyd_settings {
	size_t max_line;	/* bytes without LF */
	size_t max_attrs;
	size_t max_request;	/* bytes of one request */
	enum policy_dup dup;
	unsigned faults;
};

struct policyd_decision {
	const struct rule *rule;
	const struct rules *rules;
	const struct rules_values *values;
	int close;		/* close-after-reply fault */
	int replied;		/* a reply was appended (not with early-reply) */
};

struct policyd_session {
	struct policy_scan scan;	/* the request being received */
	size_t max_line, max_attrs, max_request;
	int early_sent;
	int overlong;			/* the error was a line over max_line */
	const char *error;
	unsigned long nrequests;
};

struct policyd_engine;

struct policyd_engine *policyd_engine_create(const struct policyd_settings *set);
void policyd_engine_destroy(struct policyd_engine **e);
void policyd_engine_set_rules(struct policyd_engine *e, const struct rules *rs);
void policyd_engine_set_env(struct policyd_engine *e, const struct rules_env *env);

void policyd_session_init(struct policyd_session *s, const struct policyd_settings *set);
void policyd_session_free(struct policyd_session *s);
int policyd_session_input(struct policyd_session *s, struct policyd_engine *e,
			  char *buf, size_t len, size_t *used_r, struct xbuf *out,
			  struct policyd_decision *d_r) ATTR_WUR;
const char *policyd_session_error(const struct policyd_session *s);
int policyd_session_overlong(const struct policyd_session *s);
int policyd_fault_parse(const char *name, size_t len, unsigned *bit_r) ATTR_WUR;

#endif
