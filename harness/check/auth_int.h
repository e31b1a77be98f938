/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_int - the auth checks' shared state, inside harness/check
 * SYNOPSIS
 *	#include "harness/check/auth_int.h"
 * DESCRIPTION
 *	One struct cx per run of check --auth (check/auth.c), the context
 *	of its runner (check/runner.h): what the first handshake showed,
 *	the mechanisms the checks use, the request id counter of the whole
 *	run (one smtpd process), and every reply line the run has read
 *	(struct obs, judged at the end by the AUTH-REP-* checks).
 *
 *	auth_client.c speaks Postfix's side: auth_open() (on failure before
 *	any connection worked x->fatal and x->fatal_why are set; after, the
 *	service is gone: death_gone()), auth_close() (a crash, the helper's
 *	stderr), auth_send_line() (AUTH and CONT lines are kept as the
 *	requests a death may show), auth_read() (a line of a reply; EOF is
 *	a drop, auth_lost(); after AUTH_MAX_HEARD bytes since the last line
 *	sent, a timeout: a helper that streams lines without end would keep
 *	Postfix reading for ever, its 10 s timeout being per read), auth_await() (reads until
 *	Postfix takes a line as the answer to id: 1, 0 timeout, -1 EOF,
 *	-2 a line too long), auth_handshake() (1 DONE, -1 refused, -2
 *	Postfix would crash, -3 I/O, -4 lines without end), auth_exchange()
 *	(one whole AUTH through the SASL client; its final verdict),
 *	auth_fresh() (a new
 *	connection with a completed handshake, or -1), auth_fresh_or_fail()
 *	(the same, and on -1 the check has failed: "could not open a
 *	connection"), auth_run_mech(),
 *	auth_plain_b64(), auth_send_request(), auth_send_cont(),
 *	auth_say(). auth_replies.c observes every line read
 *	(auth_observe(), auth_stalled()).
 *
 *	The AUTH_NEED_* bits are what the rows of the table need
 *	(struct check_def.needs).
 * DIAGNOSTICS
 *	Into the report.
 */
#ifndef HARNESS_CHECK_AUTH_INT_H
#define HARNESS_CHECK_AUTH_INT_H

#include "harness/check/auth.h"
#include "harness/check/death.h"
#include "harness/check/runner.h"
#include "proto/sasl.h"
#include "util/xbuf.h"

/* what an auth check needs */
#define AUTH_NEED_HANDSHAKE	(1u << 0)	/* the first handshake reached DONE */
#define AUTH_NEED_PASSWORD	(1u << 1)	/* --password */
#define AUTH_NEED_ACCOUNT	(1u << 2)	/* --user and --password */
#define AUTH_NEED_PLAIN		(1u << 3)	/* PLAIN offered (after noanonymous) */
#define AUTH_NEED_MECH		(1u << 4)	/* a mechanism offered, for any answer */
#define AUTH_NEED_RUNNABLE	(1u << 5)	/* a mechanism fake-smtpd's client runs */
#define AUTH_NEED_OFFERED	(1u << 6)	/* the mechanisms its tags name are offered */
#define AUTH_NEED_LOGIN		(1u << 7)	/* PLAIN logs in with the account (AUTH-MECH-001) */
#define AUTH_NEED_NORESP	(1u << 8)	/* PLAIN without resp= gets CONT (AUTH-MECH-003) */

/* one kind of reply seen during the run (CHECK_AUTH_R_* bit, or the stall) */
struct obs {
	unsigned count;
	char check[24];		/* the check during which it was first seen */
	char sent[400];		/* the last line sent before it */
	size_t sent_len;
	char got[700];
	size_t got_len;
	char smtp[300];		/* what Postfix answers then */
	char note[512];
};

#define OBS_BITS	11	/* CHECK_AUTH_R_OK_NO_USER .. CHECK_AUTH_R_CR */
#define OBS_STALL	OBS_BITS	/* only skipped lines, then the timeout */

#define AUTH_MAX_HEARD	(1024 * 1024)	/* bytes read for one request, at most */

struct cx {
	const struct check_auth_options *o;
	struct report *r;
	struct check_run *cr;
	unsigned next_id;
	int timeout_ms;
	int fatal;
	char fatal_why[700];
	int connected;		/* a connection worked: a failure now is a death */
	int probing;		/* the leave hook's probe: not the check's exchanges */
	int odd;		/* a connection begun with what Postfix never sends */
	struct death life;	/* what the helper did during the current check */
	/* what the first handshake showed */
	struct pf_auth_handshake hs;
	int hs_rc;
	char order[64];		/* 'M' and 'S': the order of MECH and SPID lines */
	int hs_cr;		/* a line ended in CR */
	struct xbuf hs_lines;	/* its lines, each ended by LF */
	struct xbuf *hs_capture;	/* where auth_handshake() keeps them, or NULL */
	long long hs_ms;	/* connect to DONE */
	long long hs_gap_ms;	/* the longest wait for one handshake line */
	int after_rc;		/* the read after DONE (AUTH-HANDSHAKE-005) */
	char after[1024];	/* ... and its line */
	size_t after_len;
	int after_same_read;	/* ... which came in the same read as DONE */
	/* the mechanisms, after the first handshake */
	const char *names[PF_AUTH_MAX_MECHS];	/* after noanonymous */
	size_t nnames;
	enum sasl_mech runnable[SASL_MECH_COUNT];	/* those the client runs */
	const char *runnable_names[SASL_MECH_COUNT];
	size_t nrun;
	unsigned login_failed;	/* 1u << enum sasl_mech: no 235 in AUTH-MECH-001 */
	const char *probe_mech;	/* for the probes that need any answer */
	long long max_latency;	/* the slowest reply of the single exchanges */
	unsigned n_timed;	/* ... and how many replies it is the slowest of */
	int quiet;		/* keep the wire out of the report (bulk probes) */
	/* every reply of the run, judged at the end (AUTH-REP-*) */
	char last_sent[400];
	size_t last_sent_len;
	size_t heard;		/* bytes read since the last line sent */
	char last_reply[1024];	/* the line Postfix took as the last answer */
	size_t last_reply_len;
	struct obs obs[OBS_BITS + 1];
	unsigned n_lines, n_ok, n_cont, n_fail, n_waits;
	struct tvars vars;	/* the data checks' variables */
};

/* auth_client.c */
long long auth_ms_now(void);
int auth_open(struct cx *x, struct tconn *c);
void auth_close(struct cx *x, struct tconn *c);
void auth_lost(struct cx *x, struct tconn *c, int postfix);
int auth_read(struct cx *x, struct tconn *c, const char **line_r, size_t *len_r);
int auth_send_line(struct cx *x, struct tconn *c, const char *p, size_t len);
int auth_await(struct cx *x, struct tconn *c, unsigned id, struct pf_auth_verdict *v,
	       long long *ms_r);
int auth_handshake(struct cx *x, struct tconn *c, struct pf_auth_handshake *h, char *order,
		   size_t order_size, int *cr_seen);
void auth_exchange(struct cx *x, struct tconn *c, const char *mech_typed, enum sasl_mech mech,
		   const char *user, const char *password, unsigned id,
		   struct pf_auth_verdict *v, long long *max_latency);
int auth_fresh(struct cx *x, struct tconn *c);
int auth_fresh_or_fail(struct cx *x, struct tconn *c);
const char *auth_wrong_password(const char *pw, char *buf, size_t size);
enum pf_auth_outcome auth_run_mech(struct cx *x, const char *typed, enum sasl_mech m,
				   int right, long long *lat);
int auth_plain_b64(const char *user, const char *password, struct xbuf *out);
int auth_send_request(struct cx *x, struct tconn *c, unsigned id, const char *mech,
		      const char *rip, const char *resp);
int auth_send_cont(struct cx *x, struct tconn *c, unsigned id, const char *data);
const char *auth_say(const struct pf_auth_verdict *v, char *buf, size_t size);

/* auth_replies.c */
void auth_observe(struct cx *x, unsigned id, const char *line, size_t len,
		  const struct pf_auth_verdict *v);
void auth_stalled(struct cx *x, const char *line, size_t len);
void auth_rep_seen(struct check_run *cr, const struct check_def *d);
int auth_log_user_back(const char *log);

/* auth_handshake.c: the AUTH-HANDSHAKE-* checks */
void auth_hs_done(struct check_run *cr, const struct check_def *d);
void auth_hs_order(struct check_run *cr, const struct check_def *d);
void auth_hs_crlf(struct check_run *cr, const struct check_def *d);
void auth_hs_usable(struct check_run *cr, const struct check_def *d);
void auth_hs_quiet(struct check_run *cr, const struct check_def *d);
void auth_hs_time(struct check_run *cr, const struct check_def *d);
void auth_hs_version(struct check_run *cr, const struct check_def *d);
void auth_hs_flags(struct check_run *cr, const struct check_def *d);
void auth_hs_names(struct check_run *cr, const struct check_def *d);
void auth_hs_split(struct check_run *cr, const struct check_def *d);
void auth_hs_cpid(struct check_run *cr, const struct check_def *d);

/* auth_input.c: what Postfix really sends, at its real limits */
void auth_input_8bit(struct check_run *cr, const struct check_def *d);
void auth_input_long(struct check_run *cr, const struct check_def *d);

/* auth_probes.c: mechanisms, requests, latency, and replies that need their own exchanges */
void auth_mech_right(struct check_run *cr, const struct check_def *d);
void auth_mech_wrong(struct check_run *cr, const struct check_def *d);
void auth_mech_noresp(struct check_run *cr, const struct check_def *d);
void auth_req_case(struct check_run *cr, const struct check_def *d);
void auth_req_ids(struct check_run *cr, const struct check_def *d);
void auth_req_abandoned(struct check_run *cr, const struct check_def *d);
void auth_req_base64(struct check_run *cr, const struct check_def *d);
void auth_req_fields(struct check_run *cr, const struct check_def *d);
void auth_req_pending(struct check_run *cr, const struct check_def *d);
void auth_req_abandon_many(struct check_run *cr, const struct check_def *d);
void auth_req_multistep(struct check_run *cr, const struct check_def *d);
void auth_req_idle(struct check_run *cr, const struct check_def *d);
void auth_rep_temp(struct check_run *cr, const struct check_def *d);
void auth_rep_tab(struct check_run *cr, const struct check_def *d);
void auth_rep_enum(struct check_run *cr, const struct check_def *d);
void auth_lat_replies(struct check_run *cr, const struct check_def *d);
void auth_lat_penalty(struct check_run *cr, const struct check_def *d);

#endif
