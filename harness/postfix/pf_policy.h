/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_policy - Postfix's SMTPD policy client as pure functions (the oracle)
 * SYNOPSIS
 *	#include "harness/postfix/pf_policy.h"
 *
 *	Request attributes (protocols.md B.2)
 *	size_t pf_pol_attr_count(void);
 *	const struct pf_pol_attr_info *pf_pol_attr_at(size_t i);
 *	int pf_pol_attr_find(const char *name);
 *	int pf_pol_attr_sent(const struct pf_version *v, size_t i);
 *
 *	Request builder
 *	int pf_pol_state_parse(const char *s, enum pf_pol_state *st_r);
 *	const char *pf_pol_state_name(enum pf_pol_state st);
 *	void pf_pol_req_init(struct pf_pol_req *r, const struct pf_version *v,
 *	                     enum pf_pol_state st);
 *	int pf_pol_req_set(struct pf_pol_req *r, const char *name,
 *	                   const char *value);
 *	int pf_pol_req_delete(struct pf_pol_req *r, const char *name);
 *	const char *pf_pol_req_get(const struct pf_pol_req *r,
 *	                           const char *name);
 *	int pf_pol_req_format(const struct pf_pol_req *r, struct xbuf *out,
 *	                      const char **error_r);
 *	int pf_pol_instance(char *buf, size_t size, unsigned pid,
 *	                    unsigned long sec, unsigned long usec,
 *	                    unsigned seq);
 *
 *	Reply reading (protocols.md B.3, B.4)
 *	int pf_pol_read_reply(const char *buf, size_t len, int end,
 *	                      int smtputf8, struct pf_pol_read *rd);
 *	int pf_pol_valid_utf8(const char *p, size_t len);
 *	void pf_pol_params_init(struct pf_pol_params *p);
 *	unsigned long pf_pol_failure_ms(const struct pf_pol_params *p,
 *	                                enum pf_pol_fail how);
 *
 *	Action evaluation (protocols.md B.5)
 *	void pf_pol_codes_init(struct pf_pol_codes *k);
 *	void pf_pol_ctx_init(struct pf_pol_ctx *c, const struct pf_version *v,
 *	                     enum pf_pol_state st);
 *	void pf_pol_eval(const struct pf_pol_ctx *c, const char *action,
 *	                 size_t len, struct pf_pol_verdict *out);
 *	void pf_pol_eval_failure(const struct pf_pol_ctx *c,
 *	                         const char *default_action,
 *	                         struct pf_pol_verdict *out);
 *	void pf_pol_eval_list(const struct pf_pol_ctx *c, const char *list,
 *	                      int reset, struct pf_pol_verdict *io);
 *	const char *pf_pol_kind_name(enum pf_pol_kind k);
 * DESCRIPTION
 *	What Postfix's smtpd sends to a policy service and what it does
 *	with the answer, as in postfix/src/smtpd/smtpd_check.c
 *	(check_policy_service, check_table_result, generic_checks,
 *	smtpd_check_reject, smtpd_dsn_fix.c) and src/util/attr_clnt.c,
 *	attr_scan_plain.c. Pure: no I/O, no clock, no allocation; every
 *	output is bounded (texts are cut, never overflowed).
 *
 *	Attributes. The table lists every attribute of Postfix 3.12 in the
 *	order Postfix sends it, with the version that introduced it
 *	(2.1 ... 3.12-20260716) and whether it depends on the SASL or TLS
 *	build option (Debian builds have both). pf_pol_attr_sent() tells
 *	whether a given version sends attribute i.
 *
 *	Builder. pf_pol_req_init() fills a request with the values Postfix
 *	sends for a plaintext ESMTP session from 127.0.0.1 that has reached
 *	protocol_state st (helo_name from EHLO on, sender and instance from
 *	MAIL on, recipient at RCPT/VRFY/DATA/END-OF-MESSAGE, recipient_count
 *	1 and queue_id at DATA/END-OF-MESSAGE, etrn_domain at ETRN), only
 *	with the attributes version v sends. Values are pointers that the
 *	caller keeps alive (static strings by default). pf_pol_req_set()
 *	replaces a present attribute in place, puts back a known one that
 *	this version does not send (at its Postfix position), or appends an
 *	unknown name at the end; pf_pol_req_delete() removes it.
 *	pf_pol_req_format() writes name=value lines and the empty line,
 *	refusing names with "=", LF or NUL and values with LF (policy.h).
 *	pf_pol_instance() formats "instance" as Postfix does,
 *	"%x.%lx.%lx.%x" (pid, seconds, microseconds, sequence).
 *
 *	Reading. pf_pol_read_reply() takes every byte received after the
 *	request (buf, len) and end: 0 while the stream is open, or a
 *	PF_POL_END_* reason when it ended (EOF, timeout, read error). It
 *	returns 0 when Postfix would keep reading, 1 when the try is
 *	decided: rd->ok (an action arrived) with rd->action (a view into
 *	buf, cut at a NUL as Postfix's C strings are), or a failed try with
 *	rd->why in Postfix's words. rd->trailing counts bytes after the
 *	terminator: the next request finds the stream readable, which costs
 *	a failed try (reconnect after retry_delay). A CRLF reply never ends;
 *	rd->crlf notes it so a caller can say why the timeout came. With
 *	smtputf8, an action that is not valid UTF-8 is a failure (Postfix
 *	logs it and uses the default action). pf_pol_valid_utf8() says
 *	whether every byte of (p, len) is part of valid UTF-8.
 *
 *	This reading is lib/proto/policy's policy_parse_reply() (which
 *	reads a reply as Postfix's attr_scan_plain does) plus what Postfix
 *	does around it, on purpose: with the stream open and smtputf8 off,
 *	pf_pol_read_reply() returns what policy_parse_reply() returns, takes
 *	a reply exactly when its status is OK, with the same length, and
 *	cuts the action at its first NUL. fuzz/fuzz_proto_readers checks
 *	this.
 *
 *	Failure time. pf_pol_failure_ms() is the time Postfix spends before
 *	it applies the default action: try_limit tries, each costing the
 *	timeout for PF_POL_FAIL_TIMEOUT (a silent or CRLF server) and about
 *	nothing for EOF, refused connections or malformed replies, with
 *	retry_delay between tries (attr_clnt_request). A try_limit of 0
 *	means unlimited in Postfix; here it returns ULONG_MAX.
 *
 *	Evaluation. pf_pol_eval() is check_table_result() applied to an
 *	action from check_policy_service, with smtpd_check_reject()'s reply
 *	sanitizing. The context says which restriction list holds
 *	check_policy_service (c->stage: its reply class, "Client host",
 *	"Helo command", "Sender address", "Recipient address", "Etrn
 *	command", "Data command", "End-of-data") and the reply name (the
 *	bracketed word: client name[addr], helo name, sender, recipient,
 *	ETRN domain, "DATA", "END-OF-MESSAGE"). pf_pol_ctx_init() derives
 *	both from the protocol_state with smtpd_delay_reject=no semantics,
 *	and sets c->codes to Postfix's default reply codes
 *	(pf_pol_codes_init). With the default smtpd_delay_reject=yes, a
 *	policy check in smtpd_client_restrictions, smtpd_helo_restrictions
 *	or smtpd_sender_restrictions runs at RCPT but answers as "Client
 *	host", "Helo command" or "Sender address": pf_pol_conf_ctx()
 *	(pf_policy_conf.h) sets the stage from the user's main.cf.
 *
 *	Keywords are case-insensitive and version-gated (DEFER 2.6, INFO and
 *	HANGUP 3.0, BCC 3.0; REDIRECT, PREPEND, WARN 2.1): an older Postfix
 *	reads a newer keyword as a restriction name. A value that matches no
 *	keyword is a restriction list, of which this oracle models: permit,
 *	reject, defer, defer_if_permit, defer_if_reject, warn_if_reject,
 *	reject_unauth_destination and permit_auth_destination (c->relay_ok:
 *	the recipient is local or relayable), permit_mynetworks
 *	(c->mynetworks), permit_sasl_authenticated (c->sasl_user non-empty),
 *	reject_plaintext_session (c->tls), sleep N (no sleep, a note), and
 *	check_policy_service (not followed; a note). Other real restrictions
 *	are PF_POL_UNMODELLED (the verdict depends on state this oracle does
 *	not have); unknown names give 451 4.3.5 Server configuration error.
 *	A name of c->classes (smtpd_restriction_classes) runs that class's
 *	list, up to PF_POL_CLASS_DEPTH classes deep; a permit or reject in
 *	it ends the list that named it, as in Postfix's generic_checks().
 *
 *	The verdict: kind PERMIT (OK, RELAY, all digits, permit, empty
 *	list, DISCARD), DUNNO (continue with the next restriction), REJECT
 *	(out->smtp holds the exact reply, 4xx or 5xx; out->disconnect for
 *	421/521), HANGUP (no reply, connection dropped), CONFIG_ERROR
 *	(out->smtp "451 4.3.5 Server configuration error"), UNMODELLED;
 *	plus side effects in out->effects (PF_POL_FX_*) with their
 *	arguments (FILTER/REDIRECT/BCC/PREPEND text), a pending
 *	DEFER_IF_PERMIT or DEFER_IF_REJECT reply in out->pending, and
 *	log-like notes. pf_pol_eval_failure() is the path taken when the
 *	request failed after all tries: the default action (NULL means
 *	Postfix's "451 4.3.5 Server configuration problem") evaluated the
 *	same way.
 *
 *	pf_pol_eval_list() is generic_checks() over a restriction list of
 *	main.cf (list, NUL-terminated), continuing from the verdict io:
 *	its pending DEFER_IF_PERMIT stays, and its active DEFER_IF_REJECT
 *	(io->dir) too unless reset (a new list: SMTPD_CHECK_RESET). The
 *	result replaces io->kind: PERMIT (a permit ends the list), DUNNO
 *	(the list ran out), REJECT, CONFIG_ERROR or UNMODELLED (a
 *	restriction that needs tables, DNS or state, a second
 *	check_policy_service, or a name this oracle does not know, such
 *	as a restriction class). A restriction's argument (check_*_access
 *	TABLE) is never read as a restriction.
 *
 *	The reply is sent whole: smtpd_check_reject() calls
 *	vstring_truncate(error_text, 510), which moves the write position
 *	but writes no NUL, and smtpd_chat_reply() prints the string up to
 *	its NUL. A reply longer than 512 bytes with CRLF breaks RFC 5321's
 *	reply line limit (4.5.3.1.5); the verdict's notes say so.
 * BOUNDS
 *	Actions are evaluated up to PF_POL_ACTION_MAX bytes (longer ones
 *	are evaluated on their first PF_POL_ACTION_MAX bytes, with a note);
 *	replies up to PF_POL_REPLY_MAX bytes; at most
 *	PF_POL_MAX_WORDS restriction words; a request holds at most
 *	PF_POL_MAX_REQ attributes.
 * DIAGNOSTICS
 *	pf_pol_req_set/_delete: 0, or -1 (bad name, table full, or delete
 *	of an absent name). pf_pol_req_format: 0, or -1 with *error_r.
 *	pf_pol_state_parse: 0 or -1. pf_pol_instance: length or -1.
 */
#ifndef HARNESS_POSTFIX_PF_POLICY_H
#define HARNESS_POSTFIX_PF_POLICY_H

#include <stddef.h>

#include "harness/postfix/pf_version.h"
#include "util/compiler.h"
#include "util/strview.h"
#include "util/xbuf.h"

#define PF_POL_MAX_REQ		128
#define PF_POL_ACTION_MAX	16384
#define PF_POL_REPLY_MAX	(PF_POL_ACTION_MAX + 512)	/* an SMTP reply */
#define PF_POL_MAX_WORDS	64
#define PF_POL_TEXT_MAX		1024
#define PF_POL_TIMEOUT_MS	100000	/* smtpd_policy_service_timeout */
#define PF_POL_RETRY_MS		1000	/* smtpd_policy_service_retry_delay */
#define PF_POL_TRY_LIMIT	2	/* smtpd_policy_service_try_limit */
#define PF_POL_DEFAULT_ACTION	"451 4.3.5 Server configuration problem"

/* attribute table */
#define PF_POL_ATTR_SASL	1	/* only in builds with SASL */
#define PF_POL_ATTR_TLS		2	/* only in builds with TLS */

struct pf_pol_attr_info {
	const char *name;
	unsigned major, minor;
	unsigned long snapshot;		/* first snapshot with it, or 0 */
	unsigned flags;			/* PF_POL_ATTR_* */
};

size_t pf_pol_attr_count(void);
const struct pf_pol_attr_info *pf_pol_attr_at(size_t i);
int pf_pol_attr_find(const char *name);
int pf_pol_attr_sent(const struct pf_version *v, size_t i);

/* protocol_state */
enum pf_pol_state {
	PF_POL_CONNECT,
	PF_POL_EHLO,
	PF_POL_HELO,
	PF_POL_MAIL,
	PF_POL_RCPT,
	PF_POL_DATA,
	PF_POL_EOM,			/* END-OF-MESSAGE */
	PF_POL_VRFY,
	PF_POL_ETRN,
};

int pf_pol_state_parse(const char *s, enum pf_pol_state *st_r);
const char *pf_pol_state_name(enum pf_pol_state st);

/* request builder */
struct pf_pol_req_attr {
	const char *name;
	const char *value;
};

struct pf_pol_req {
	struct pf_version v;
	enum pf_pol_state state;
	size_t n;
	struct pf_pol_req_attr a[PF_POL_MAX_REQ];
	char mail_version[32];		/* default value of mail_version */
};

void pf_pol_req_init(struct pf_pol_req *r, const struct pf_version *v, enum pf_pol_state st);
int pf_pol_req_set(struct pf_pol_req *r, const char *name, const char *value) ATTR_WUR;
int pf_pol_req_delete(struct pf_pol_req *r, const char *name) ATTR_WUR;
const char *pf_pol_req_get(const struct pf_pol_req *r, const char *name);
int pf_pol_req_format(const struct pf_pol_req *r, struct xbuf *out, const char **error_r) ATTR_WUR;
int pf_pol_instance(char *buf, size_t size, unsigned pid, unsigned long sec, unsigned long usec,
		    unsigned seq);

/* reply reading */
enum pf_pol_end {
	PF_POL_END_NONE,		/* stream still open */
	PF_POL_END_EOF,
	PF_POL_END_TIMEOUT,
	PF_POL_END_ERROR,
};

struct pf_pol_read {
	int ok;				/* 1: an action was received */
	struct strview action;		/* into buf; cut at a NUL */
	size_t used;			/* bytes up to the terminator */
	size_t trailing;		/* bytes after it (readable stream) */
	int crlf;			/* CR LF seen where LF LF would end */
	int nul;			/* the action held a NUL */
	size_t nactions, nunknown, ncase;	/* as in struct policy_reply */
	char why[256];			/* a failed try, in Postfix's words */
	char notes[512];		/* "; "-separated observations */
};

int pf_pol_read_reply(const char *buf, size_t len, int end, int smtputf8,
		      struct pf_pol_read *rd);
int pf_pol_valid_utf8(const char *p, size_t len);

enum pf_pol_fail {
	PF_POL_FAIL_TIMEOUT,		/* no answer: each try waits the timeout */
	PF_POL_FAIL_FAST,		/* refused, EOF, malformed: no wait */
};

struct pf_pol_params {
	unsigned long timeout_ms;	/* smtpd_policy_service_timeout */
	unsigned long retry_ms;		/* smtpd_policy_service_retry_delay */
	unsigned try_limit;		/* smtpd_policy_service_try_limit */
	unsigned request_limit;		/* smtpd_policy_service_request_limit */
	const char *default_action;	/* smtpd_policy_service_default_action */
};

void pf_pol_params_init(struct pf_pol_params *p);
unsigned long pf_pol_failure_ms(const struct pf_pol_params *p, enum pf_pol_fail how);

/* action evaluation */
/* the reply codes of main.cf (pf_pol_codes_init: Postfix's defaults) */
struct pf_pol_codes {
	unsigned access_map_reject;	/* access_map_reject_code, 554 */
	unsigned access_map_defer;	/* access_map_defer_code, 450 */
	unsigned reject;		/* reject_code, 554 */
	unsigned defer;			/* defer_code, 450 */
	unsigned relay;			/* relay_domains_reject_code, 554 */
	unsigned plaintext;		/* plaintext_reject_code, 450 */
};

enum pf_pol_stage {
	PF_POL_STAGE_CLIENT,		/* smtpd_client_restrictions */
	PF_POL_STAGE_HELO,
	PF_POL_STAGE_SENDER,
	PF_POL_STAGE_RECIPIENT,		/* recipient/relay restrictions, VRFY */
	PF_POL_STAGE_ETRN,
	PF_POL_STAGE_DATA,
	PF_POL_STAGE_EOD,		/* smtpd_end_of_data_restrictions */
};

#define PF_POL_MAX_CLASSES	16	/* smtpd_restriction_classes read */
#define PF_POL_CLASS_DEPTH	8	/* classes naming classes, at most */

/* a restriction class: its name and its restriction list (main.cf) */
struct pf_pol_class {
	char name[64];
	char list[1024];
};

struct pf_pol_ctx {
	struct pf_version v;
	enum pf_pol_state state;	/* protocol_state of the request */
	enum pf_pol_stage stage;	/* restriction list of check_policy_service */
	const char *reply_name;		/* the <...> word; NULL: from stage */
	const char *client;		/* name[addr] for the client stage */
	const char *helo, *sender, *recipient, *etrn_domain;
	char namaddr[320];		/* storage for client when built */
	int smtputf8;			/* smtputf8_enable (yes since 3.0) */
	int soft_bounce;
	int relay_ok;			/* permit_auth_destination would match */
	int mynetworks;			/* permit_mynetworks would match */
	int relay_unknown;		/* relay_ok is not known (UNMODELLED) */
	int mynetworks_unknown;		/* mynetworks is not known (UNMODELLED) */
	int tls;			/* session is encrypted */
	const char *sasl_user;		/* "" or NULL: not authenticated */
	struct pf_pol_codes codes;
	const struct pf_pol_class *classes;	/* smtpd_restriction_classes */
	size_t nclasses;
};

enum pf_pol_kind {
	PF_POL_PERMIT,
	PF_POL_DUNNO,
	PF_POL_REJECT,
	PF_POL_HANGUP,
	PF_POL_CONFIG_ERROR,
	PF_POL_UNMODELLED,
};

#define PF_POL_FX_HOLD		0x01
#define PF_POL_FX_DISCARD	0x02
#define PF_POL_FX_FILTER	0x04
#define PF_POL_FX_REDIRECT	0x08
#define PF_POL_FX_BCC		0x10
#define PF_POL_FX_PREPEND	0x20
#define PF_POL_FX_INFO		0x40	/* INFO or WARN: logged */
#define PF_POL_FX_DEFER_IF_PERMIT 0x80	/* out->pending */
#define PF_POL_FX_DEFER_IF_REJECT 0x100	/* out->pending */

struct pf_pol_verdict {
	enum pf_pol_kind kind;
	int disconnect;			/* 421/521: smtpd hangs up after it */
	char smtp[PF_POL_REPLY_MAX];	/* REJECT / CONFIG_ERROR reply line */
	unsigned effects;		/* PF_POL_FX_* */
	char arg[PF_POL_TEXT_MAX];	/* FILTER/REDIRECT/BCC/PREPEND text */
	char pending[PF_POL_REPLY_MAX];	/* DEFER_IF_* reply, if it fires */
	char notes[PF_POL_TEXT_MAX];	/* "; "-separated, Postfix log style */
	struct {			/* an active DEFER_IF_REJECT (its reply) */
		unsigned code;
		char dsn[16];
		char text[PF_POL_REPLY_MAX];
	} dir;
};

void pf_pol_codes_init(struct pf_pol_codes *k);
void pf_pol_ctx_init(struct pf_pol_ctx *c, const struct pf_version *v, enum pf_pol_state st);
void pf_pol_eval(const struct pf_pol_ctx *c, const char *action, size_t len,
		 struct pf_pol_verdict *out);
void pf_pol_eval_failure(const struct pf_pol_ctx *c, const char *default_action,
			 struct pf_pol_verdict *out);
void pf_pol_eval_list(const struct pf_pol_ctx *c, const char *list, int reset,
		      struct pf_pol_verdict *io);
const char *pf_pol_kind_name(enum pf_pol_kind k);

#endif
