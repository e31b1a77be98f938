/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay_int - the replay engine's shared state, inside harness/replay
 * SYNOPSIS
 *	#include "harness/replay/replay_int.h"
 * DESCRIPTION
 *	One struct rx per transcript run. replay.c holds the engine (the
 *	connection, reading and writing, the S:/C: steps, the driver),
 *	replay_auth.c the Dovecot auth steps (handshake, auth, cont,
 *	expect smtp) and replay_policy.c the policy steps (policy, expect
 *	action); both see the engine through these rx_* functions.
 *
 *	rx_fail() records a failure of the helper (CHECK_FAIL) and
 *	rx_error() one of the environment (CHECK_ERROR), each as
 *	"file:line: step: why", and return -1. rx_read() returns 1 a line,
 *	0 timeout, -1 EOF, -2 a line over TCONN_MAX_LINE (the connection is
 *	closed then), -3 the target could not be used (rx_error() said so);
 *	every line read while an AUTH is in flight goes to rx_auth_judge().
 *	rx_scaled() is a Postfix time under --time-scale (at least 1 ms),
 *	rx_timeout() the protocol's read timeout so scaled.
 * DIAGNOSTICS
 *	Into the report only.
 */
#ifndef HARNESS_REPLAY_REPLAY_INT_H
#define HARNESS_REPLAY_REPLAY_INT_H

#include "harness/postfix/pf_auth.h"
#include "harness/replay/replay.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define RX_MAX_REPLY	(1024 * 1024)	/* policy reply block we keep */

struct rx_pol;

struct rx {
	const struct replay_options *o;
	const struct transcript *t;
	struct report *r;
	const struct top *op;		/* running now */
	struct tconn c;
	int open;
	struct tvars v;
	unsigned next_id, cur_id;
	int in_flight;			/* an AUTH waits for its final reply */
	int wr_errno;			/* errno of the last failed write, or 0 */
	struct xbuf pend;		/* C: lines not yet written */
	struct xbuf back;		/* a line read but not used (S?) */
	int have_back;
	struct pf_auth_handshake hs;
	int hs_done;
	struct pf_auth_verdict verdict;
	int have_verdict;
	struct xbuf action;		/* policy: last action (or default) */
	int have_action;
	int action_default;
	unsigned pol_requests;		/* successful requests on this connection */
	struct rx_pol *pol;		/* replay_policy.c: the SMTP prediction */
	int session;			/* auth: a "session" statement opened one */
	int session_authed;		/* auth: an AUTH of that session succeeded */
	int broken;			/* auth: Postfix saw EOF or a timeout */
	enum pf_auth_link broke_how;	/* PF_AUTH_LINK_EOF or _ERROR */
	int crashed;
	char crash[300];
	enum check_result res;
	char why[1500];
};

/* replay.c: the engine */
int rx_scaled(const struct rx *x, int ms);
int rx_timeout(const struct rx *x);
int rx_fail(struct rx *x, const char *fmt, ...) ATTR_PRINTF(2, 3);
int rx_error(struct rx *x, const char *fmt, ...) ATTR_PRINTF(2, 3);
const char *rx_show(char *dst, size_t size, const char *p, size_t len);
const char *rx_secs(int ms, char *buf, size_t size);
void rx_close(struct rx *x);
int rx_send(struct rx *x, const char *p, size_t len);
int rx_read(struct rx *x, int timeout_ms, const char **line_r, size_t *len_r);
int rx_read_failed(struct rx *x, int rc, const char *wanted);
int rx_set_id(struct rx *x, unsigned id);

/* replay_auth.c */
void rx_auth_judge(struct rx *x, const char *line, size_t len);
void rx_auth_io_failure(struct rx *x, const char *what);
int rx_op_expect_smtp(struct rx *x, const struct top *op);
int rx_op_handshake(struct rx *x, const struct top *op);
int rx_op_auth(struct rx *x, const struct top *op);
int rx_op_cont(struct rx *x, const struct top *op);
int rx_op_session(struct rx *x);

/* replay_policy.c */
int rx_op_expect_action(struct rx *x, const struct top *op);
int rx_op_policy(struct rx *x, const struct top *op);
int rx_op_expect_smtp_policy(struct rx *x, const struct top *op);
void rx_policy_free(struct rx *x);
int rx_expect_reply(struct rx *x, const struct top *op, const char *reply);

#endif
