/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy_int - the policy checks' shared state, inside harness/check
 * SYNOPSIS
 *	#include "harness/check/policy_int.h"
 * DESCRIPTION
 *	One struct pcx per run of check --policy (check/policy.c), the
 *	context of its runner (check/runner.h): the persistent connection
 *	Postfix keeps, what the run has learnt about the service (it
 *	stopped answering, it is gone, it dropped a connection), the run's
 *	first reply (which CHECK_STAGE_FIRST judges) and the slowest one.
 *
 *	policy_client.c is Postfix's policy client (attr_clnt):
 *	pcx_open()/pcx_close() one connection of the check's own;
 *	pcx_connect()/pcx_disconnect() the persistent one; pcx_send();
 *	pcx_read_reply() reads a reply as attr_vscan_plain does, until
 *	Postfix would decide; pcx_request() sends one request on the
 *	persistent connection the way Postfix does (a readable stream
 *	before it, or the reused connection closed without a reply, is a
 *	failed try and a reconnect) and judges the answer: 0 done (res
 *	holds the answer or its absence), -1 the target could not be used
 *	at all (x->fatal) or the service is gone (x->life.gone; x->fatal_why
 *	says why either way). pcx_probe() looks whether a daemon is still
 *	there after a connection ended (death_gone() when not). pcx_base_req() is Postfix's
 *	request at a protocol state, with a new instance where it has one.
 *	A connect that fails after one succeeded marks the service gone
 *	(death_gone(), check/death.h), a finding rather than the
 *	environment: ERR_OR_GONE. What the service did to the exchanges of
 *	the current check (drops, a crash) is kept in x->life.
 *	When the target cannot be used at all, x->cr->stop ends the run.
 *
 *	The POLICY_NEED_* bits are what the rows of the table need.
 * DIAGNOSTICS
 *	Into the report.
 */
#ifndef HARNESS_CHECK_POLICY_INT_H
#define HARNESS_CHECK_POLICY_INT_H

#include "harness/check/death.h"
#include "harness/check/policy.h"
#include "harness/check/runner.h"
#include "util/xbuf.h"

/* what a policy check needs */
#define POLICY_NEED_ACTION	(1u << 0)	/* the first reply carried an action */
#define POLICY_NEED_8BIT	(1u << 1)	/* UTF-8 and 8-bit values are answered */

/* what a POLICY-INPUT row sends (policy_input.c) */
enum pol_input_kind { INPUT_8BIT, INPUT_SPLIT, INPUT_LIMIT, INPUT_UNKNOWN, INPUT_KINDS };

#define POLICY_SETTLE_MS	100	/* wait for bytes after a reply */
#define POLICY_EARLY_MS		200	/* wait for a reply before the empty line */
#define POLICY_MAX_REPLY	(1024 * 1024)

/* after this many timeouts the remaining checks are skipped, not waited for */
#define POLICY_MAX_STALLS	2
#define POLICY_MAX_UNANSWERED	6

/* a connect that fails after others worked is a finding, not the environment */
#define ERR_OR_GONE(x)	((x)->life.gone ? CHECK_FAIL : CHECK_ERROR)

/* the answer to one request */
struct pres {
	int ok;				/* an action arrived */
	int end;			/* PF_POL_END_* when the read ended */
	int readable_before;		/* the stream was readable before the request */
	int retried;			/* a second try on a new connection was needed */
	int action_line;		/* a whole "action=" line was received */
	struct pf_pol_read rd;
	char action[PF_POL_ACTION_MAX + 1];
	size_t alen;
	long long ms;
	struct pf_pol_verdict v;	/* what Postfix does with it */
};

/* the kinds of actions Postfix reads differently from how they look (policy_lint.c) */
enum pol_lint_kind {
	LINT_DIGITS, LINT_EMPTY, LINT_BARE, LINT_CODE, LINT_TABLE, LINT_WORD, LINT_DSN,
	LINT_NOOP, LINT_HANGUP, LINT_KINDS
};

/* the first action of one kind seen in the run */
struct pol_lint_seen {
	unsigned count;
	char check[64];			/* during which check */
	enum pf_pol_state state;	/* the request's protocol_state */
	char action[PF_POL_ACTION_MAX + 1];
	size_t alen;
	char smtp[PF_POL_TEXT_MAX];	/* what Postfix answers, its first 1023 bytes */
};

/* one path through the service's decisions (policy_paths.c) */
struct pol_path {
	struct pf_pol_req req;		/* its request */
	const char *name;		/* "the accept path", "the reject path" */
	struct pres first;		/* the answer that put it on that path */
};

/* one path's verdict, before the check ends */
struct pol_verdict {
	enum check_result res;
	char why[CHECK_VERDICT_MAX];
};

/* the field an injection check puts its payloads into (the row's arg) */
struct pol_inj_field {
	const char *field;		/* the request attribute */
	const char *suffix;		/* after each payload ("@example.com") */
};

struct pcx {
	const struct check_policy_options *o;
	struct report *r;
	struct check_run *cr;
	int timeout_ms;
	long long max_ms;
	int fatal;
	char fatal_why[700];
	struct tconn c;			/* the persistent connection */
	int open;
	struct xbuf rbuf;		/* bytes of the current reply */
	unsigned seq;
	char instance[64];
	unsigned stalls;		/* requests in a row that ran into the timeout */
	char stall_id[64];		/* the check of the first of them */
	unsigned unanswered;		/* requests in a row without an action */
	char unanswered_id[64];		/* the check of the first of them */
	char slow_id[64];		/* the check of the slowest reply */
	unsigned ntimeouts;		/* requests without a reply in time */
	int connected;			/* a connection succeeded once */
	struct death life;		/* what the service did during the check */
	/* the run's first reply, which CHECK_STAGE_FIRST judges */
	struct pres base;
	int base_extra;			/* bytes followed its empty line */
	int base_closed;		/* the service closed after it */
	int base_cr;			/* it holds a CR */
	size_t base_bytes;		/* its bytes, 0 when none came */
	/* the other path than the first reply's (policy_paths.c), looked for once */
	int explored, have_other;
	struct pol_path other;
	char other_store[16384];	/* names and values of a rule's request */
	/* every action of the run, by the kind Postfix reads differently */
	struct pol_lint_seen lint[LINT_KINDS];
	unsigned lint_n;		/* actions judged */
	/* the same session from the version under test (POLICY-VERSION-*) */
	struct pres vbase;
	int have_vbase;
	struct pf_pol_conf plain;	/* the configuration without o->conf */
	int conf_noted;			/* its settings are in a check's log */
};

/* policy_client.c */
long long pcx_now(void);
int pcx_open(struct pcx *x, struct tconn *c);
void pcx_close(struct pcx *x, struct tconn *c);
int pcx_connect(struct pcx *x);
void pcx_disconnect(struct pcx *x);
void pcx_log_bytes(struct pcx *x, char dir, const char *p, size_t len);
int pcx_send(struct pcx *x, struct tconn *c, const char *p, size_t len);
void pcx_read_reply(struct pcx *x, struct tconn *c, struct pres *res, int smtputf8);
int pcx_request(struct pcx *x, const struct pf_pol_req *req, struct pres *res);
void pcx_probe(struct pcx *x);
const char *pcx_shown_action(const struct pres *res, char *buf, size_t size);
void pcx_next_instance(struct pcx *x);
void pcx_base_req(struct pcx *x, struct pf_pol_req *req, enum pf_pol_state st);

/* policy_reply.c: the first reply, and the checks judged from it */
int pol_first_reply(struct pcx *x);
void pol_reply_action(struct check_run *cr, const struct check_def *d);
void pol_reply_case(struct check_run *cr, const struct check_def *d);
void pol_reply_crlf(struct check_run *cr, const struct check_def *d);
void pol_reply_end(struct check_run *cr, const struct check_def *d);
void pol_reply_empty(struct check_run *cr, const struct check_def *d);
void pol_reply_word(struct check_run *cr, const struct check_def *d);
void pol_reply_table(struct check_run *cr, const struct check_def *d);
void pol_reply_digits(struct check_run *cr, const struct check_def *d);
void pol_reply_trailing(struct check_run *cr, const struct check_def *d);
void pol_reply_early(struct check_run *cr, const struct check_def *d);
void pol_reply_one(struct check_run *cr, const struct check_def *d);
void pol_conn_kept(struct check_run *cr, const struct check_def *d);

/* policy_conn.c: connection use and latency */
void pol_conn_many(struct check_run *cr, const struct check_def *d);
void pol_conn_retry(struct check_run *cr, const struct check_def *d);
void pol_conn_cut(struct check_run *cr, const struct check_def *d);
void pol_latency(struct check_run *cr, const struct check_def *d);

/* policy_request.c: requests of every kind Postfix sends (d->arg: the state or version) */
void pol_req_type(struct check_run *cr, const struct check_def *d);
void pol_state(struct check_run *cr, const struct check_def *d);
void pol_version(struct check_run *cr, const struct check_def *d);

/* policy_outcome.c: what Postfix does with an answer */
int pol_same_outcome(const struct pres *a, const struct pres *b);
const char *pol_outcome_name(const struct pres *r, char *buf, size_t size);
void pol_outcome_of(const struct pcx *x, const char *action, size_t len, enum pf_pol_state st,
		    struct pres *out);
int pol_wavers(struct pcx *x, const struct pf_pol_req *req, const struct pres *first,
	       struct pres *again);

/* policy_paths.c: the accept path and the reject path */
size_t pol_paths(struct pcx *x, struct pol_path *p);
void pol_verdict_set(struct pol_verdict *v, enum check_result res, const char *fmt, ...)
	ATTR_PRINTF(3, 4);
void pol_paths_end(struct pcx *x, const struct pol_path *p, const struct pol_verdict *v,
		   size_t n);
void pol_on_paths(struct pcx *x, int (*on)(struct pcx *x, const struct pol_path *p, size_t k,
					   struct pol_verdict *v));

/* policy_lint.c: actions Postfix reads differently (d->arg: an enum pol_lint_kind) */
int pol_lint_kind(const char *action, size_t len, const struct pf_pol_verdict *v);
const char *pol_lint_say(int kind);
void pol_lint_observe(struct pcx *x, const struct pf_pol_req *req, const struct pres *res);
void pol_lint(struct check_run *cr, const struct check_def *d);

/* policy_input.c: what Postfix really sends (d->arg: an enum pol_input_kind) */
void pol_input(struct check_run *cr, const struct check_def *d);

/* policy_inject.c (d->arg: a struct pol_inj_field) */
void pol_inject(struct check_run *cr, const struct check_def *d);

#endif
