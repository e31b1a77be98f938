/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_probes - the exchanges of check --auth: mechanisms, requests, replies, latency
 * SYNOPSIS
 *	#include "harness/check/auth_int.h"
 * DESCRIPTION
 *	The checks that run their own exchanges, each on fresh connections
 *	(auth_fresh_or_fail) unless the check is about a reused one:
 *
 *	  AUTH-MECH-001/002  every mechanism fake-smtpd can run, with the
 *	                     right and a wrong password;
 *	  AUTH-REQ-001..005  one PLAIN exchange each, shaped as Postfix may
 *	                     send it (a lower-case name, ids far from 1, an
 *	                     abandoned request, unpadded base64, Postfix's
 *	                     exact fields);
 *	  AUTH-REP-001/002   a wrong password, and a user name with a TAB;
 *	  AUTH-REQ-006..009, AUTH-LAT-002   the probes of stage
 *	                     CHECK_STAGE_PROBE: pending requests, 1000
 *	                     abandoned ones, a multi-step exchange, an idle
 *	                     connection, failures from one rip;
 *	  AUTH-REP-008       a wrong password and an unknown user, compared;
 *	  AUTH-LAT-001       the slowest reply of the single exchanges.
 *
 *	The single exchanges add their slowest reply to x->max_latency.
 * DIAGNOSTICS
 *	Into the report.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/check/auth_int.h"
#include "proto/base64.h"
#include "util/xmem.h"

/* --- single exchanges (CHECK_STAGE_MAIN), and AUTH-LAT-001 ------------------ */

/* run_all - one exchange per runnable mechanism, right or wrong password; the failures in bad */
static size_t run_all(struct cx *x, int right, enum pf_auth_outcome want, char *bad, size_t size)
{
	size_t i;

	for (i = 0; i < x->nrun; i++) {
		enum pf_auth_outcome oc = auth_run_mech(x, x->runnable_names[i], x->runnable[i], right,
							&x->max_latency);

		if (oc != want)
			snprintf(bad + strlen(bad), size - strlen(bad), "%s%s (%s)", bad[0] ? ", " : "",
				 x->runnable_names[i], pf_auth_outcome_name(oc));
		if (oc != want && right) {
			/* what needs this mechanism to log in is blocked by AUTH-MECH-001 */
			x->login_failed |= 1u << x->runnable[i];
			if (x->runnable[i] == SASL_MECH_PLAIN)
				x->cr->have &= ~AUTH_NEED_LOGIN;
		}
	}
	return x->nrun;
}

/* auth_mech_right - AUTH-MECH-001 */
void auth_mech_right(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	char bad[512] = "";
	size_t n = run_all(x, 1, PF_AUTH_DONE, bad, sizeof(bad));

	(void)d;
	if (bad[0])
		check_end(x->cr, CHECK_FAIL, "no 235 for: %s", bad);
	else
		check_end(x->cr, CHECK_PASS, "%zu mechanism(s) gave 235", n);
}

/* auth_mech_wrong - AUTH-MECH-002 */
void auth_mech_wrong(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	char bad[512] = "";
	size_t n = run_all(x, 0, PF_AUTH_FAIL, bad, sizeof(bad));

	(void)d;
	if (bad[0])
		check_end(x->cr, CHECK_FAIL, "a wrong password did not give 535 for: %s%s", bad,
			   strstr(bad, "done") ? " - FAIL-OPEN: any password is accepted" : "");
	else
		check_end(x->cr, CHECK_PASS, "%zu mechanism(s) gave 535", n);
}

/* auth_mech_noresp - AUTH-MECH-003: AUTH PLAIN alone, a challenge, then the credentials */
void auth_mech_noresp(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct pf_auth_verdict v;
	struct tconn c;
	struct xbuf b64;
	unsigned id;
	int rc, account = x->o->user != NULL && x->o->password != NULL;
	char s[300];

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0) {
		cr->have &= ~AUTH_NEED_NORESP;
		return;
	}
	xbuf_init(&b64, 8192);
	id = ++x->next_id;
	rc = auth_send_request(x, &c, id, "PLAIN", "127.0.0.1", NULL) < 0 ? -1 :
	     auth_await(x, &c, id, &v, NULL);
	if (rc == 1 && v.outcome == PF_AUTH_MORE && account) {
		report_note(x->r, "the SMTP client answers the 334 with its credentials");
		rc = auth_plain_b64(x->o->user, x->o->password, &b64) < 0 ||
		     auth_send_cont(x, &c, id, xbuf_cstr(&b64)) < 0 ? -1 :
		     auth_await(x, &c, id, &v, NULL);
		if (rc == 1 && v.outcome != PF_AUTH_DONE)
			rc = 2;
	} else if (rc == 1 && v.outcome != PF_AUTH_MORE) {
		rc = 3;
	}
	auth_close(x, &c);
	xbuf_free_wipe(&b64);
	if (rc == 1 && !account) {
		check_end(cr, CHECK_UNEXERCISED, "the challenge came (334); the login after it "
			  "needs --user and --password");
		return;
	}
	if (rc == 1) {
		check_end(cr, CHECK_PASS, "334, then 235");
		return;
	}
	cr->have &= ~AUTH_NEED_NORESP;
	if (rc == 3)
		check_end(cr, CHECK_FAIL, "AUTH PLAIN without an initial response got %s, not a "
			  "challenge: an SMTP client that sends its credentials after the 334 can never "
			  "log in. Answer CONT<TAB>id<TAB> (empty challenge) and take the CONT that "
			  "follows as the PLAIN message", auth_say(&v, s, sizeof(s)));
	else if (rc == 2)
		check_end(cr, CHECK_FAIL, "the credentials sent after the 334 got %s, not 235: take "
			  "the CONT data as the PLAIN message (\\0user\\0password, base64)",
			  auth_say(&v, s, sizeof(s)));
	else
		check_end(cr, CHECK_FAIL, "no answer to AUTH PLAIN without an initial response (%s); "
			  "Postfix answers %s", rc < 0 ? "connection closed" : "timeout",
			  auth_say(&v, s, sizeof(s)));
}

/* auth_req_case - AUTH-REQ-001 */
void auth_req_case(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (auth_run_mech(x, "plain", SASL_MECH_PLAIN, 1, &x->max_latency) == PF_AUTH_DONE)
		check_end(x->cr, CHECK_PASS, "%s", "");
	else
		check_end(x->cr, CHECK_FAIL, "AUTH with mechanism \"plain\" did not succeed; "
			   "compare mechanism names case-insensitively");
}

/* auth_req_ids - AUTH-REQ-002: a fresh connection whose first id is far from 1 */
void auth_req_ids(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	unsigned saved = x->next_id;
	enum pf_auth_outcome oc;

	(void)d;
	x->next_id = 4294967000u;
	oc = auth_run_mech(x, "PLAIN", SASL_MECH_PLAIN, 1, &x->max_latency);
	x->next_id = saved + 1;
	if (oc == PF_AUTH_DONE)
		check_end(x->cr, CHECK_PASS, "id 4294967001 on a fresh connection");
	else
		check_end(x->cr, CHECK_FAIL, "a fresh connection whose first id is "
			   "4294967001 did not authenticate (%s)", pf_auth_outcome_name(oc));
}

/* auth_req_abandoned - AUTH-REQ-003 */
void auth_req_abandoned(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct xbuf l;
	struct pf_auth_verdict v;
	const char *line;
	size_t len;
	int pending = 0;

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	/* AUTH PLAIN without resp: the server asks; the SMTP client aborts */
	xbuf_init(&l, 1024);
	if (pf_auth_request(&l, ++x->next_id, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
			    NULL) == 0)
		(void)auth_send_line(x, &c, l.data, l.len);
	if (auth_read(x, &c, &line, &len) == 1) {
		report_io(x->r, 'S', line, len);
		pending = len >= 5 && memcmp(line, "CONT\t", 5) == 0;
	}
	report_note(x->r, "the SMTP client sends '*': Postfix answers 501 5.7.0 and "
		    "sends nothing to the helper");
	xbuf_free(&l);
	auth_exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, x->o->user, x->o->password, ++x->next_id,
		      &v, &x->max_latency);
	auth_close(x, &c);
	if (v.outcome == PF_AUTH_DONE && !pending)
		check_end(x->cr, CHECK_UNEXERCISED, "the first request got no challenge, so nothing "
			  "was left pending to abandon");
	else if (v.outcome == PF_AUTH_DONE)
		check_end(x->cr, CHECK_PASS, "%s", "");
	else
		check_end(x->cr, CHECK_FAIL, "after an abandoned request the next AUTH "
			   "got %s; keep several pending ids per connection",
			   v.smtp[0] ? v.smtp : pf_auth_outcome_name(v.outcome));
}

/* auth_req_base64 - AUTH-REQ-004 */
void auth_req_base64(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct xbuf l;
	const char *line;
	size_t len;
	int rc, ok_fail = 0, kept = 0;
	unsigned id;

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	id = ++x->next_id;
	xbuf_init(&l, 1024);
	/* charset-valid but unpadded: Postfix passes it on verbatim */
	if (pf_auth_request(&l, id, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
			    "AGFsaWNlAHNlY3JldA") == 0)
		(void)auth_send_line(x, &c, l.data, l.len);
	rc = auth_read(x, &c, &line, &len);
	if (rc == 1) {
		char want[64];

		report_io(x->r, 'S', line, len);
		snprintf(want, sizeof(want), "FAIL\t%u\t", id);
		ok_fail = len > strlen(want) && memcmp(line, want, strlen(want)) == 0 &&
			  memmem(line, len, "code=invalid_base64", 19) != NULL;
	}
	/* is the connection still usable? */
	xbuf_reset(&l);
	if (pf_auth_request(&l, ++x->next_id, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
			    NULL) == 0 && auth_send_line(x, &c, l.data, l.len) == 0) {
		rc = auth_read(x, &c, &line, &len);
		if (rc == 1) {
			report_io(x->r, 'S', line, len);
			kept = 1;
		}
	}
	xbuf_free(&l);
	auth_close(x, &c);
	if (ok_fail && kept)
		check_end(x->cr, CHECK_PASS, "%s", "");
	else
		check_end(x->cr, CHECK_FAIL, "%s%s", ok_fail ? "" :
			   "no \"FAIL <id> code=invalid_base64\" for unpadded base64; ",
			   kept ? "" : "the connection was not usable afterwards");
}

/* auth_req_fields - AUTH-REQ-005: an empty lip=, an IPv6 rip= and the bare secured flag */
void auth_req_fields(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct xbuf l, e;
	struct pf_auth_verdict v;
	const char *line;
	size_t len;
	unsigned id;

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	id = ++x->next_id;
	xbuf_init(&l, 4096);
	xbuf_init(&e, 8192);
	if (auth_plain_b64(x->o->user, x->o->password, &e) == 0 &&
	    pf_auth_request(&l, id, "PLAIN", "smtp", "", "::1", 1, xbuf_cstr(&e)) == 0)
		(void)auth_send_line(x, &c, l.data, l.len);
	memset(&v, 0, sizeof(v));
	while (auth_read(x, &c, &line, &len) == 1) {
		report_io(x->r, 'S', line, len);
		pf_auth_judge(&x->o->version, id, line, len, &v);
		if (v.outcome != PF_AUTH_SKIP)
			break;
	}
	auth_close(x, &c);
	xbuf_free_wipe(&l);
	xbuf_free_wipe(&e);
	if (v.outcome == PF_AUTH_DONE)
		check_end(x->cr, CHECK_PASS, "empty lip=, IPv6 rip=, secured accepted");
	else
		check_end(x->cr, CHECK_FAIL, "AUTH with an empty lip=, rip=::1 and the bare "
			   "secured flag did not succeed (%s)", v.smtp[0] ? v.smtp : "no reply");
}

/* wrong_plain - one PLAIN exchange with a wrong password; the wire log is r->log */
static int wrong_plain(struct cx *x, const char *user, struct pf_auth_verdict *v)
{
	struct tconn c;
	char wrong[300];

	if (auth_fresh_or_fail(x, &c) < 0)
		return -1;
	auth_exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, user,
		      auth_wrong_password(x->o->password, wrong, sizeof(wrong)), ++x->next_id, v,
		      &x->max_latency);
	auth_close(x, &c);
	return 0;
}

/* auth_rep_temp - AUTH-REP-001: a wrong password is not a temporary failure */
void auth_rep_temp(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct pf_auth_verdict v;
	const char *log;

	(void)d;
	if (wrong_plain(x, x->o->user, &v) < 0)
		return;
	/* the wire log holds the reply lines: look at them raw */
	log = xbuf_cstr(&x->r->log);
	if (strstr(log, "code=temp_fail") || strstr(log, "\\ttemp\\t") || strstr(log, "\\ttemp\n"))
		check_end(x->cr, CHECK_FAIL, "a wrong password got FAIL with a temporary-failure "
			   "code; Postfix answers %s all the same", v.smtp);
	else if (v.outcome != PF_AUTH_FAIL)
		check_end(x->cr, CHECK_UNEXERCISED, "the wrong password got no FAIL to look at (%s; "
			  "AUTH-MECH-002 judges that)", pf_auth_outcome_name(v.outcome));
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* auth_rep_tab - AUTH-REP-002: a user name with a TAB comes back escaped */
void auth_rep_tab(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct pf_auth_verdict v;
	const char *log;

	(void)d;
	if (wrong_plain(x, "tab\tuser", &v) < 0)
		return;
	/* the log shows TAB as \t: a raw one appears as "user=tab\tuser" */
	log = xbuf_cstr(&x->r->log);
	if (strstr(log, "S: FAIL") && strstr(log, "user=tab\\tuser"))
		check_end(x->cr, CHECK_FAIL, "the user name \"tab<TAB>user\" came back with a raw "
			   "TAB; escape values as Dovecot does (TAB -> \\001t, LF -> \\001n, "
			   "\\001 -> \\0011)");
	else if (!auth_log_user_back(log))
		check_end(x->cr, CHECK_UNEXERCISED, "the FAIL for the name with a TAB carried no "
			  "user=, and no account with a TAB can log in for an OK: no user name came "
			  "back to look at");
	else
		check_end(x->cr, CHECK_PASS, "%s", "");
}

/* auth_lat_replies - AUTH-LAT-001: the slowest reply of the single exchanges */
void auth_lat_replies(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (x->n_timed == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no single exchange of AUTH-MECH or AUTH-REQ ran "
			  "to time");
	else if (x->max_latency >= x->timeout_ms)
		check_end(x->cr, CHECK_FAIL, "a reply took %lld ms or more (Postfix's 10 s "
			   "timeout x %.2f); Postfix gives up and answers 454 4.7.0", x->max_latency,
			   x->o->time_scale > 0 ? x->o->time_scale : 1.0);
	else
		check_end(x->cr, CHECK_PASS, "slowest reply %lld ms", x->max_latency);
}

/* --- the long probes (CHECK_STAGE_PROBE), and AUTH-REP-008 -------------- */

/* auth_req_pending - AUTH-REQ-006 */
void auth_req_pending(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct pf_auth_verdict v1, v2, v3, v4;
	struct xbuf b64;
	unsigned id1, id2;
	char s1[300], s2[300];

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	xbuf_init(&b64, 8192);
	id1 = ++x->next_id;
	id2 = ++x->next_id;
	report_note(x->r, "AUTH %u and AUTH %u without initial response; %u is finished "
		    "first, then a late CONT for %u", id1, id2, id2, id1);
	memset(&v3, 0, sizeof(v3));
	memset(&v4, 0, sizeof(v4));
	if (auth_plain_b64(x->o->user, x->o->password, &b64) < 0 ||
	    auth_send_request(x, &c, id1, "PLAIN", "127.0.0.1", NULL) < 0 ||
	    auth_await(x, &c, id1, &v1, NULL) != 1 ||
	    auth_send_request(x, &c, id2, "PLAIN", "127.0.0.1", NULL) < 0 ||
	    auth_await(x, &c, id2, &v2, NULL) != 1 ||
	    auth_send_cont(x, &c, id2, xbuf_cstr(&b64)) < 0 ||
	    auth_await(x, &c, id2, &v3, NULL) != 1 ||
	    auth_send_cont(x, &c, id1, xbuf_cstr(&b64)) < 0 ||
	    auth_await(x, &c, id1, &v4, NULL) != 1) {
		auth_close(x, &c);
		xbuf_free_wipe(&b64);
		pf_auth_io_failure(&x->o->version, &v1);
		check_end(x->cr, CHECK_FAIL, "with two requests pending the helper stopped answering "
			   "or closed (see the wire above); Postfix answers %s. Keep every request "
			   "by its id until it ends, never require CANCEL", auth_say(&v1, s1, sizeof(s1)));
		return;
	}
	auth_close(x, &c);
	xbuf_free_wipe(&b64);
	if (v3.outcome != PF_AUTH_DONE)
		check_end(x->cr, CHECK_FAIL, "request %u, started while %u was pending, got %s "
			   "instead of 235; keep pending requests apart by id", id2, id1,
			   auth_say(&v3, s1, sizeof(s1)));
	else if (v4.outcome != PF_AUTH_DONE && v4.outcome != PF_AUTH_FAIL)
		check_end(x->cr, CHECK_FAIL, "the late CONT for %u got %s", id1,
			   auth_say(&v4, s2, sizeof(s2)));
	else
		check_end(x->cr, CHECK_PASS, "late CONT for %u: %s", id1,
			   v4.outcome == PF_AUTH_DONE ? "continued (as Dovecot within 150 s)" :
			   "FAIL (expired)");
}

/*
 * helper_rss_kib - the helper's resident memory, or -1 when it cannot be
 * known: the spawned child, or for unix: the peer pid of SO_PEERCRED, which
 * is the process that called listen() (a daemon that forked after it, as
 * Dovecot's master does, leaves a pid that is gone). *pid_r tells which.
 */
static long helper_rss_kib(const struct cx *x, const struct tconn *c, long *pid_r)
{
	long pid = 0, kib = -1;
	char path[64], buf[256];
	FILE *f;

	if (c->pid > 0)
		pid = (long)c->pid;
#ifdef SO_PEERCRED
	else if (x->o->target->kind == TARGET_UNIX) {
		struct ucred cr;
		socklen_t sl = sizeof(cr);

		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) == 0)
			pid = (long)cr.pid;
	}
#else
	(void)x;
#endif
	*pid_r = pid;
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, "VmRSS:", 6) == 0)
			kib = strtol(buf + 6, NULL, 10);
	fclose(f);
	return kib;
}

#define ABANDON_COUNT	1000
#define ABANDON_BATCH	100

/* auth_req_abandon_many - AUTH-REQ-007 */
void auth_req_abandon_many(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const char *mech = x->probe_mech;
	struct tconn c;
	struct xbuf l;
	struct pf_auth_verdict v;
	long rss0, rss1, pid = 0;
	unsigned n = 0, answered = 0, pending = 0, first;
	int rc = 1;
	char s[300];

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	pf_auth_io_failure(&x->o->version, &v);	/* what stands if nothing is read */
	rss0 = helper_rss_kib(x, &c, &pid);
	xbuf_init(&l, 1024 * 1024);
	first = x->next_id + 1;
	report_note(x->r, "%d x AUTH %s without initial response, in writes of %d lines; each "
		    "is answered and then abandoned, as Postfix leaves a request after '*'",
		    ABANDON_COUNT, mech, ABANDON_BATCH);
	while (n < ABANDON_COUNT && rc == 1) {
		unsigned k, base = x->next_id + 1;

		xbuf_reset(&l);
		for (k = 0; k < ABANDON_BATCH; k++)
			if (pf_auth_request(&l, ++x->next_id, mech, "smtp", "127.0.0.1", "127.0.0.1", 0,
					    NULL) < 0)
				break;
		if (n == 0) {
			const char *nl = memchr(l.data, '\n', l.len);

			report_io(x->r, 'C', l.data, nl ? (size_t)(nl - l.data) : l.len);
			report_note(x->r, "... and %d more AUTH lines in the same write; the wire "
				    "log shows the first reply only", ABANDON_BATCH - 1);
		}
		x->quiet = 1;
		if (auth_send_line(x, &c, l.data, l.len) < 0) {
			rc = -1;
			break;
		}
		for (k = 0; k < ABANDON_BATCH && rc == 1; k++) {
			x->quiet = n + k > 0;
			rc = auth_await(x, &c, base + k, &v, NULL);
			answered += rc == 1;
			pending += rc == 1 && v.outcome == PF_AUTH_MORE;
		}
		n += ABANDON_BATCH;
	}
	x->quiet = 0;
	if (rc != 1) {
		auth_close(x, &c);
		xbuf_free(&l);
		check_end(x->cr, CHECK_FAIL, "after %u abandoned requests (ids from %u) the helper "
			   "%s; Postfix answers the AUTH in flight with %s and reconnects. Keep "
			   "abandoned requests (Dovecot has no limit and drops them silently after "
			   "150 s) or expire them, never disconnect", answered, first,
			   rc < 0 ? "closed the connection" : "stopped answering", auth_say(&v, s, sizeof(s)));
		return;
	}
	if (x->o->user != NULL && x->o->password != NULL) {
		enum sasl_mech m = SASL_MECH_PLAIN;
		const struct sasl_mech_info *mi = sasl_mech_by_name(mech, strlen(mech));

		if (mi != NULL)
			m = mi->mech;
		report_note(x->r, "then one complete AUTH on the same connection");
		auth_exchange(x, &c, mech, m, x->o->user, x->o->password, ++x->next_id, &v, NULL);
	} else {
		rc = auth_send_request(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
		     auth_await(x, &c, x->next_id, &v, NULL);
		if (rc != 1)
			v.outcome = PF_AUTH_TEMP;
	}
	rss1 = helper_rss_kib(x, &c, &pid);
	auth_close(x, &c);
	xbuf_free(&l);
	if (rss0 >= 0 && rss1 >= 0)
		report_note(x->r, "helper memory (VmRSS of pid %ld): %ld KiB before, %ld KiB after "
			    "(%+ld KiB, %ld bytes per abandoned request)", pid, rss0, rss1, rss1 - rss0,
			    (rss1 - rss0) * 1024 / ABANDON_COUNT);
	else if (pid > 0)
		report_note(x->r, "helper memory: not measurable (the socket's peer pid %ld, the "
			    "process that called listen(), is gone or unreadable)", pid);
	else
		report_note(x->r, "helper memory: not measurable for this target (spawn: and "
			    "unix: only)");
	if (v.outcome == PF_AUTH_TEMP || v.outcome == PF_AUTH_SKIP ||
	    (x->o->user != NULL && x->o->password != NULL && v.outcome != PF_AUTH_DONE))
		check_end(x->cr, CHECK_FAIL, "after %d abandoned requests the next AUTH got %s",
			   ABANDON_COUNT, auth_say(&v, s, sizeof(s)));
	else if (pending == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "none of the %d requests got a challenge, so none "
			  "was left pending to abandon (%s answers each at once)", ABANDON_COUNT, mech);
	else if (rss0 >= 0 && rss1 >= 0 && rss1 - rss0 > 64 * 1024)
		check_end(x->cr, CHECK_FAIL, "the helper grew by %ld KiB for %d abandoned requests; "
			   "expire them (Dovecot: 150 s)", rss1 - rss0, ABANDON_COUNT);
	else
		check_end(x->cr, CHECK_PASS, "%d abandoned, the next AUTH answered (%s)",
			   ABANDON_COUNT, pf_auth_outcome_name(v.outcome));
}

/* auth_req_multistep - AUTH-REQ-008: PLAIN through an empty challenge, then another AUTH */
void auth_req_multistep(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct pf_auth_verdict v;
	struct xbuf b64;
	unsigned id = ++x->next_id;
	int rc, stage = 0;
	char s[300];

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	xbuf_init(&b64, 8192);
	pf_auth_io_failure(&x->o->version, &v);	/* what stands if nothing is read */
	rc = auth_plain_b64(x->o->user, x->o->password, &b64) < 0 ||
	     auth_send_request(x, &c, id, "PLAIN", "127.0.0.1", NULL) < 0 ? -1 :
	     auth_await(x, &c, id, &v, NULL);
	if (rc == 1 && v.outcome == PF_AUTH_MORE) {
		stage = 1;
		rc = auth_send_cont(x, &c, id, xbuf_cstr(&b64)) < 0 ? -1 : auth_await(x, &c, id, &v, NULL);
	}
	if (rc == 1 && stage == 1) {
		stage = 2;
		id = ++x->next_id;
		report_note(x->r, "the next AUTH on the same connection");
		rc = auth_send_request(x, &c, id, "PLAIN", "127.0.0.1", NULL) < 0 ? -1 :
		     auth_await(x, &c, id, &v, NULL);
	}
	auth_close(x, &c);
	xbuf_free_wipe(&b64);
	if (rc == 1 && stage == 2)
		check_end(x->cr, CHECK_PASS, "%s", "");
	else if (rc == 1)
		check_end(x->cr, CHECK_FAIL, "AUTH PLAIN without initial response got %s, not an "
			   "empty challenge (Dovecot: CONT<TAB>id<TAB>)", auth_say(&v, s, sizeof(s)));
	else
		check_end(x->cr, CHECK_FAIL, "the helper %s %s; Postfix answers %s, and reconnects on "
			   "the next AUTH (3.11+; before 3.11 every later AUTH of that smtpd process "
			   "fails). Keep the connection open: one connection serves many requests",
			   rc < 0 ? "closed the connection" : "stopped answering",
			   stage == 0 ? "after the AUTH" : stage == 1 ? "after the CONT" :
			   "after a finished exchange", auth_say(&v, s, sizeof(s)));
}

/* auth_req_idle - AUTH-REQ-009 */
void auth_req_idle(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const char *mech = x->probe_mech;
	struct tconn c;
	struct pf_auth_verdict v;
	double scale = x->o->time_scale > 0 ? x->o->time_scale : 1.0;
	long idle_ms = (long)(12000 * scale);
	int rc;
	char s[300];

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	report_note(x->r, "idle for %ld ms (12 s x %.2f, past Postfix's 10 s timeouts)", idle_ms,
		    scale);
	tconn_sleep((int)idle_ms);
	rc = tconn_readable(&c) ? -1 : 1;	/* EOF (or bytes) waiting: closed or chatty */
	if (rc == 1)
		rc = auth_send_request(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
		     auth_await(x, &c, x->next_id, &v, NULL);
	else
		pf_auth_io_failure(&x->o->version, &v);
	auth_close(x, &c);
	if (rc == 1)
		check_end(x->cr, CHECK_PASS, "answered after %ld ms idle", idle_ms);
	else if (x->o->target->kind == TARGET_UNIX && rc < 0)
		check_end(x->cr, CHECK_PASS, "the helper closed the idle connection; on unix: "
			   "Postfix's write fails (EPIPE) and it reconnects and re-sends");
	else
		check_end(x->cr, CHECK_FAIL, "after %ld ms idle the helper %s; on inet: Postfix "
			   "answers %s once, then reconnects. Keep idle connections open (Postfix "
			   "closes them when its smtpd process ends)", idle_ms,
			   rc < 0 ? "had closed the connection" : "did not answer",
			   auth_say(&v, s, sizeof(s)));
}

#define LAT_FAILURES	4
#define LAT_RIP		"192.0.2.25"

/* auth_lat_penalty - AUTH-LAT-002: wrong passwords from one rip, one after the other */
void auth_lat_penalty(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct xbuf b64;
	char wrong[300], series[200] = "", s[300];
	long long ms[LAT_FAILURES];
	int k, rc = 1;
	struct pf_auth_verdict v;

	(void)d;
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	xbuf_init(&b64, 8192);
	report_note(x->r, "%d different wrong passwords for %s from rip=%s, each waited for "
		    "(Dovecot raises the penalty only when the password changes)", LAT_FAILURES,
		    x->o->user, LAT_RIP);
	for (k = 0; k < LAT_FAILURES && rc == 1; k++) {
		unsigned id = ++x->next_id;

		snprintf(wrong, sizeof(wrong), "%s-wrong%d", x->o->password, k + 1);
		xbuf_reset(&b64);
		rc = auth_plain_b64(x->o->user, wrong, &b64) < 0 ||
		     auth_send_request(x, &c, id, "PLAIN", LAT_RIP, xbuf_cstr(&b64)) < 0 ? -1 :
		     auth_await(x, &c, id, &v, &ms[k]);
		snprintf(series + strlen(series), sizeof(series) - strlen(series), "%s%lld ms%s",
			 k ? ", " : "", ms[k], rc == 1 ? "" : rc == 0 ? " (timeout)" : " (closed)");
	}
	auth_close(x, &c);
	xbuf_free_wipe(&b64);
	if (rc == 0)
		check_end(x->cr, CHECK_FAIL, "failure %d from one rip was not answered within %d ms "
			   "(Postfix's 10 s x %.2f): %s; Postfix answers %s and disconnects. Keep "
			   "delay plus penalty below 10 s (Dovecot: auth_failure_delay 2 s, penalty "
			   "2/4/8/15 s: from the 3rd failure on it can pass 10 s)", k, x->timeout_ms,
			   x->o->time_scale > 0 ? x->o->time_scale : 1.0, series, auth_say(&v, s, sizeof(s)));
	else if (rc < 0)
		check_end(x->cr, CHECK_FAIL, "the helper closed the connection after %d failure(s): "
			   "%s", k, series);
	else
		check_end(x->cr, CHECK_PASS, "time to FAIL: %s", series);
}

/* auth_rep_enum - AUTH-REP-008: wrong password vs unknown user */
void auth_rep_enum(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	struct tconn c;
	struct pf_auth_verdict v1, v2;
	char wrong[300], a[1024], b[1024], s1[300], s2[300];
	char unknown[64];
	char r1[1024];
	size_t r1len = 0, la, lb;

	(void)d;
	snprintf(unknown, sizeof(unknown), "nosuchuser-%ld", (long)getpid());
	if (auth_fresh_or_fail(x, &c) < 0)
		return;
	x->last_reply_len = 0;
	auth_exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, x->o->user,
		      auth_wrong_password(x->o->password, wrong, sizeof(wrong)), ++x->next_id, &v1, NULL);
	memcpy(r1, x->last_reply, x->last_reply_len);
	r1len = x->last_reply_len;
	x->last_reply_len = 0;
	auth_exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, unknown, "x-wrong", ++x->next_id, &v2, NULL);
	auth_close(x, &c);
	if (v1.outcome != PF_AUTH_FAIL || v2.outcome != PF_AUTH_FAIL) {
		check_end(x->cr, CHECK_FAIL, "expected 535 for both; wrong password: %s; unknown "
			   "user: %s", auth_say(&v1, s1, sizeof(s1)), auth_say(&v2, s2, sizeof(s2)));
		return;
	}
	la = check_auth_fail_shape(r1, r1len, a, sizeof(a));
	lb = check_auth_fail_shape(x->last_reply, x->last_reply_len, b, sizeof(b));
	if (la != lb || memcmp(a, b, la) != 0 || strcmp(v1.smtp, v2.smtp) != 0) {
		report_note(x->r, "Postfix answers, wrong password: %s", auth_say(&v1, s1, sizeof(s1)));
		report_note(x->r, "Postfix answers, unknown user:   %s", auth_say(&v2, s2, sizeof(s2)));
		check_end(x->cr, CHECK_FAIL, "the FAIL for an unknown user differs from the one for "
			   "a wrong password (beyond id and user=): an SMTP client can tell which "
			   "accounts exist. Answer both alike, without reason= (as Dovecot does)");
	} else
		check_end(x->cr, CHECK_PASS, "both: %s", auth_say(&v1, s1, sizeof(s1)));
}
