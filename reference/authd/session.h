/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - the server side of one Dovecot auth-client connection
 * SYNOPSIS
 *	#include "reference/authd/session.h"
 *
 *	struct authd_session *authd_session_create(const struct authd_settings *set,
 *	                        const struct authd_ops *ops, void *ctx,
 *	                        const struct authd_ident *ident);
 *	void authd_session_start(struct authd_session *s);
 *	int authd_session_line(struct authd_session *s, const char *line,
 *	                        size_t len, uint64_t now_ms);
 *	void authd_session_verified(struct authd_session *s, unsigned id,
 *	                        uint64_t serial, int ok);
 *	void authd_session_expire(struct authd_session *s, uint64_t now_ms);
 *	const char *authd_session_error(const struct authd_session *s);
 *	size_t authd_session_pending(const struct authd_session *s);
 *	size_t authd_session_pending_bytes(const struct authd_session *s);
 *	void authd_session_drop_pending(struct authd_session *s);
size_t authd_session_pending_bytes(const struct authd_session *s);
void authd_session_drop_pending(struct authd_session *s);
 *	void authd_session_set_penalty(struct authd_session *s,
 *	                        const struct authd_penalty_ops *ops, void *ctx);
 *	void authd_session_resume(struct authd_session *s, unsigned id,
 *	                        uint64_t serial);
 *	unsigned long authd_session_client_pid(const struct authd_session *s);
 *	void authd_session_destroy(struct authd_session **s);
 * DESCRIPTION
 *	A pure state machine (no sockets, no clocks: time is an argument)
 *	that behaves as Dovecot 2.3's auth server does on an auth-client
 *	socket (protocols.md A.2-A.5):
 *
 *	Handshake: authd_session_start() sends VERSION 1 2, one MECH line
 *	per offered mechanism with Dovecot's flags, SPID, CUID, COOKIE and
 *	DONE at once; with set->handshake_24 only VERSION 1 3 is sent at
 *	once and the rest follows the client's VERSION, unless
 *	set->handshake_legacy is set too (Dovecot 2.4's auth-legacy
 *	listener, for clients that wait for DONE before they write): then
 *	VERSION 1 3 and the rest go out at once, and the client's VERSION
 *	is still read as 2.4 reads it. set->handshake_24 also makes the
 *	session answer as Dovecot 2.4 does where it differs from 2.3 and
 *	ref-authd follows it (docs/ref-authd.8): the lines read in dvauth's
 *	DVAUTH_DOVECOT24 dialect, protocol= taken as service=, an empty
 *	line ends the connection. The client must
 *	send VERSION (major 1) and then CPID (non-zero pid); anything else
 *	before that ends the connection.
 *
 *	Requests (after CPID): AUTH, CONT and CANCEL, checked as
 *	auth-request-handler.c does: a broken AUTH (id missing, not a
 *	number, 0, no mechanism), an unknown mechanism, parameters after
 *	resp=, no service=, a duplicate pending id, a CONT without data, and
 *	any other command end the connection (authd_session_line returns -1
 *	and authd_session_error() tells why, in Dovecot's words). Invalid
 *	base64 gets an immediate FAIL with code=invalid_base64; CONT for an
 *	unknown id gets "Authentication request timed out"; CONT when no
 *	challenge is outstanding gets "Unexpected continuation". An empty
 *	resp= counts as absent for client minor < 2; "resp==" is an empty
 *	response. CANCEL removes the request silently (CANCELLED is sent to
 *	clients of minor >= 4).
 *
 *	Replies: OK id user=<escaped> / FAIL id user=<escaped> (password
 *	mismatch: no reason; sent through ops->send_fail_delayed so that the
 *	shell applies the failure delay) / CONT id <base64>. SCRAM's
 *	server-final goes out as an extra CONT unless the client sent
 *	final-resp-ok.
 *
 *	The passdb is reached through ops: lookup() synchronously for the
 *	challenge-response mechanisms; verify() for PLAIN/LOGIN, answered
 *	later with authd_session_verified(id, serial, ok) (ok < 0, with
 *	set->handshake_24: an internal failure, answered as Dovecot 2.4 does,
 *	FAIL id user=... code=temp_fail after AUTHD_INTERNAL_FAILURE_DELAY_MS
 *	through ops->send_after; the serial lets a
 *	late answer for a cancelled or expired request be ignored).
 *	Requests older than set->request_timeout_ms are dropped silently by
 *	authd_session_expire().
 *
 *	Memory: every pending request is charged AUTHD_REQ_BYTES and twice
 *	the base64 length of each client message it took, to the connection
 *	(authd_session_pending_bytes) and to set->budget, shared by all the
 *	server's connections; the charge goes when the request ends. An
 *	AUTH or CONT that takes the connection above set->max_pending_bytes
 *	ends the connection ("Authentication client N has more than M bytes
 *	in pending requests"). The server's total is the shell's to watch:
 *	authd_session_drop_pending() ends all of a connection's requests at
 *	once, silently, and gives their bytes back.
 *
 *	Penalty (optional, authd_session_set_penalty): an AUTH with a
 *	parsable rip= and without no-penalty asks ops->get for the IP's
 *	penalty; if it is N > 0 the request waits: ops->defer(id, serial,
 *	ms) must call authd_session_resume(id, serial) after ms, and only
 *	then is the first SASL step taken (a CONT meanwhile is "Unexpected
 *	continuation", as in Dovecot). A failed authentication calls
 *	ops->inc(ident, checksum of user and password or 0, N + 1); a
 *	success after a penalty calls ops->inc(ident, 0, 0). See penalty.h.
 *
 *	set->faults switches on deliberate protocol errors (AUTHD_FAULT_*)
 *	so that clients can be tested against a misbehaving server; see
 *	authd_fault_parse() for their names and docs/ref-authd.8.
 * DIAGNOSTICS
 *	authd_session_line: 0, or -1 when the connection must be closed.
 */
#ifndef REFERENCE_AUTHD_SESSION_H
#define REFERENCE_AUTHD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "reference/authd/passdb.h"
#include "reference/authd/penalty.h"

#define AUTHD_FAULT_SPID_BEFORE_MECH	0x0001u
#define AUTHD_FAULT_NO_DONE		0x0002u
#define AUTHD_FAULT_VERSION_MAJOR_2	0x0004u
#define AUTHD_FAULT_BARE_VERSION	0x0008u
#define AUTHD_FAULT_OK_WITHOUT_USER	0x0010u
#define AUTHD_FAULT_WRONG_ID		0x0020u
#define AUTHD_FAULT_CONT_EXTRA_FIELDS	0x0040u
#define AUTHD_FAULT_GARBAGE_LINE	0x0080u
#define AUTHD_FAULT_UNESCAPED_TAB_USER	0x0100u
#define AUTHD_FAULT_FAIL_TEMP		0x0200u
#define AUTHD_FAULT_OK_NOLOGIN		0x0400u	/* OK ... nologin */
#define AUTHD_FAULT_CONT_NO_DATA	0x0800u	/* CONT<TAB>id, no data field */
#define AUTHD_FAULT_LEAKY_REASON	0x1000u	/* FAIL reason= tells unknown user / bad password */
#define AUTHD_FAULT_FINAL_RESP_ALWAYS	0x2000u	/* as if every AUTH had final-resp-ok */

/*
 * what pending requests may hold, in bytes (an estimate: AUTHD_REQ_BYTES
 * for a request and its mechanism's state, and twice the base64 length of
 * every client message, which the state keeps and the challenge repeats),
 * shared by the connections of one server
 */
#define AUTHD_REQ_BYTES		1024

/* Dovecot 2.4's auth_internal_failure_delay (it adds 0-50% at random; ref-authd does not) */
#define AUTHD_INTERNAL_FAILURE_DELAY_MS	2000

struct authd_budget {
	size_t used;
	size_t max;		/* 0 = no limit, of used + out */
	size_t out;		/* the connections' unsent output (conn_count_output) */
};

struct authd_settings {
	unsigned mechs;			/* bit (1u << enum sasl_mech) per offered mechanism */
	int handshake_24;		/* 2.4 style: MECH..DONE after the client's VERSION */
	int handshake_legacy;		/* 2.4's auth-legacy listener: all of it at once */
	unsigned max_pending;		/* 0 = no limit */
	size_t max_pending_bytes;	/* per connection, 0 = no limit */
	struct authd_budget *budget;	/* the server's total, or NULL */
	uint64_t request_timeout_ms;	/* Dovecot: 150 s */
	const char *hostname;		/* CRAM-MD5 challenges */
	const char *unsafe_mech;	/* demo mechanism trusting the username, or NULL */
	const char *anonymous_username;
	unsigned faults;
	/* SCRAM: unknown users get a challenge, and fail after the proof
	   (sasl.h); NULL = they fail at once, as in Dovecot */
	const unsigned char *scram_secret;
	size_t scram_secret_len;
};

struct authd_ident {
	unsigned long spid;
	unsigned long cuid;
	char cookie[33];
};

struct authd_ops {
	void (*send)(void *ctx, const char *data, size_t len);
	void (*send_fail_delayed)(void *ctx, const char *line, size_t len);
	const struct passdb_user *(*lookup)(void *ctx, const char *user);
	void (*verify)(void *ctx, unsigned id, uint64_t serial, const char *user,
		       const char *password);
	void (*log)(void *ctx, const char *text);
	uint64_t (*unix_time)(void *ctx);	/* CRAM-MD5 challenge time */
	/* a reply after ms (2.4's internal failure); NULL: send_fail_delayed */
	void (*send_after)(void *ctx, const char *line, size_t len, uint64_t ms);
};

struct authd_penalty_ops {
	unsigned (*get)(void *ctx, const char *ident);
	void (*inc)(void *ctx, const char *ident, uint32_t checksum, unsigned value);
	void (*defer)(void *ctx, unsigned id, uint64_t serial, uint64_t ms);
};

struct authd_session;

struct authd_session *authd_session_create(const struct authd_settings *set,
					   const struct authd_ops *ops, void *ctx,
					   const struct authd_ident *ident);
void authd_session_start(struct authd_session *s);
int authd_session_line(struct authd_session *s, const char *line, size_t len, uint64_t now_ms);
void authd_session_verified(struct authd_session *s, unsigned id, uint64_t serial, int ok);
void authd_session_expire(struct authd_session *s, uint64_t now_ms);
const char *authd_session_error(const struct authd_session *s);
size_t authd_session_pending(const struct authd_session *s);
size_t authd_session_pending_bytes(const struct authd_session *s);
void authd_session_drop_pending(struct authd_session *s);
unsigned long authd_session_client_pid(const struct authd_session *s);	/* 0 before CPID */
void authd_session_set_penalty(struct authd_session *s, const struct authd_penalty_ops *ops,
			       void *ctx);
void authd_session_resume(struct authd_session *s, unsigned id, uint64_t serial);
void authd_session_destroy(struct authd_session **s);
int authd_fault_parse(const char *name, size_t len, unsigned *fault_r);

#endif
