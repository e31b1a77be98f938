/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check_policy - conformance checks for a Postfix SMTPD policy service
 * SYNOPSIS
 *	#include "harness/run/check_policy.h"
 * DESCRIPTION
 *	See check_policy.h. The probes share one persistent connection, as
 *	one smtpd process does, except where a check is about a fresh one
 *	(early reply, retry, a cut request). Replies are read as raw bytes
 *	and handed whole to pf_pol_read_reply(), so CR, NUL, trailing bytes
 *	and a missing terminator are seen exactly as Postfix sees them.
 *	Data checks run through replay_run() into a scratch report whose
 *	wire log and verdict are moved under the check's own id; a failed
 *	try that Postfix would retry fails the data check even when the
 *	transcript's pattern accepts the default action.
 * DIAGNOSTICS
 *	An unreachable target ends the run with -1; everything the service
 *	does wrong is a failed check.
 */
#define _GNU_SOURCE		/* open_memstream is POSIX 2008; memmem */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/run/catalogue.h"
#include "harness/run/check_policy.h"
#include "harness/replay/replay.h"
#include "util/escape.h"
#include "util/xmem.h"

#define SETTLE_MS	100		/* wait for bytes after a reply */
#define EARLY_MS	200		/* wait for a reply before the empty line */
#define MAX_REPLY	(1024 * 1024)

struct pol_check {
	struct check_info ci;
	const char *tags;
};

#define B SEV_BREAKS_POSTFIX
#define S SEV_SECURITY
#define A SEV_ADVISORY
static const struct pol_check checks[] = {
	{ { "POLICY-REPLY-001", "the reply carries an action Postfix can read", B,
	    "without one Postfix counts a failed try, reconnects after 1 s, sends the request "
	    "again and then answers 451 4.3.5 Server configuration problem" }, "reply" },
	{ { "POLICY-REPLY-002", "the attribute is spelled action= in lower case", B,
	    "Postfix compares names case-sensitively: Action= is an unknown attribute and the "
	    "action is missing" }, "reply,case" },
	{ { "POLICY-REPLY-003", "reply lines end in LF, not CR LF", B,
	    "\\r\\n is never Postfix's empty line: it waits 100 s per try, then applies its "
	    "default action (451 4.3.5)" }, "reply,crlf" },
	{ { "POLICY-REPLY-004", "the reply ends with an empty line", B,
	    "Postfix reads until the empty line: without it every request stalls for "
	    "smtpd_policy_service_timeout (100 s) per try" }, "reply,terminator" },
	{ { "POLICY-REPLY-005", "the action is not empty", S,
	    "an empty action= is an empty restriction list, which Postfix treats as OK: the "
	    "client is permitted" }, "reply,action" },
	{ { "POLICY-REPLY-006", "the action is a word Postfix knows", B,
	    "an unknown word is read as a restriction name: \"unknown smtpd restriction\", "
	    "451 4.3.5 Server configuration error for every request" }, "reply,action" },
	{ { "POLICY-REPLY-007", "the action names no lookup table (no ':')", B,
	    "\"do not specify lookup tables inside SMTPD access maps\": 451 4.3.5 Server "
	    "configuration error" }, "reply,action" },
	{ { "POLICY-REPLY-008", "the action is not a bare number", S,
	    "an all-digit action (\"550\") is OK in check_table_result: the client is permitted, "
	    "not rejected" }, "reply,action" },
	{ { "POLICY-REPLY-009", "nothing follows the reply's empty line", B,
	    "Postfix finds the stream readable before its next request, counts a failed try and "
	    "reconnects after the 1 s retry delay" }, "reply,trailing" },
	{ { "POLICY-REPLY-010", "no reply before the request's empty line", B,
	    "an early answer desynchronizes the connection: Postfix reads it as the reply to "
	    "this request and the real reply as unsolicited bytes before the next" }, "reply,early" },
	{ { "POLICY-REPLY-011", "one action per reply", A,
	    "Postfix uses the first action and skips the others; a second one suggests the "
	    "service answers twice" }, "reply" },
	{ { "POLICY-CONN-001", "the connection stays open after a reply", A,
	    "a service that closes after each reply costs a failed try and the 1 s retry delay "
	    "per request unless smtpd_policy_service_request_limit = 1" }, "conn,persistent" },
	{ { "POLICY-CONN-002", "several requests and sessions on one connection", B,
	    "smtpd keeps one connection for all SMTP sessions of the process and sends the next "
	    "request as soon as the last was answered" }, "conn,persistent" },
	{ { "POLICY-CONN-003", "the same request again after a retry gets the same action", B,
	    "after any failed try Postfix reconnects and sends the same request again: a service "
	    "that counts it twice (greylisting, rate limits) decides differently" },
	  "conn,retry,idempotence" },
	{ { "POLICY-CONN-004", "a request cut by a disconnect does not disturb the next", B,
	    "an smtpd process can die in the middle of a request; the service must drop the "
	    "half request and serve the next connection" }, "conn,retry" },
	{ { "POLICY-REQ-001", "a block without request=smtpd_access_policy does not break the service",
	    A, "Postfix always sends request=, but other clients and probes may not: the service "
	    "should answer or close, never crash, and go on serving" }, "request" },
	{ { "POLICY-STATE-001", "a request at protocol_state CONNECT", B,
	    "check_policy_service in smtpd_client_restrictions with smtpd_delay_reject = no" },
	  "state" },
	{ { "POLICY-STATE-002", "a request at protocol_state EHLO", B,
	    "check_policy_service in smtpd_helo_restrictions (smtpd_delay_reject = no)" }, "state" },
	{ { "POLICY-STATE-003", "a request at protocol_state HELO (protocol_name SMTP)", B,
	    "an SMTP (not ESMTP) client sends HELO" }, "state" },
	{ { "POLICY-STATE-004", "a request at protocol_state MAIL", B,
	    "check_policy_service in smtpd_sender_restrictions (smtpd_delay_reject = no)" }, "state" },
	{ { "POLICY-STATE-005", "a request at protocol_state RCPT", B,
	    "the usual place: smtpd_recipient_restrictions / smtpd_relay_restrictions" }, "state" },
	{ { "POLICY-STATE-006", "a request at protocol_state DATA", B,
	    "smtpd_data_restrictions: recipient_count is set, recipient only with one" }, "state" },
	{ { "POLICY-STATE-007", "a request at protocol_state END-OF-MESSAGE", B,
	    "smtpd_end_of_data_restrictions: size is the real size; PREPEND is not valid here" },
	  "state" },
	{ { "POLICY-STATE-008", "a request at protocol_state VRFY", B,
	    "VRFY runs the recipient restrictions (without a sender)" }, "state" },
	{ { "POLICY-STATE-009", "a request at protocol_state ETRN", B,
	    "smtpd_etrn_restrictions: etrn_domain is set, HOLD/FILTER/... are not valid" }, "state" },
	{ { "POLICY-VERSION-001", "Postfix 2.1's attribute set", B,
	    "the oldest request: no client_port, reverse_client_name, server_*, size, sasl_*, "
	    "ccert_*, encryption_*, policy_context, compatibility_level, mail_version" },
	  "version" },
	{ { "POLICY-VERSION-002", "Postfix 2.2's attribute set", B,
	    "size, sasl_* and ccert_* appear" }, "version" },
	{ { "POLICY-VERSION-003", "Postfix 2.3's attribute set", B,
	    "reverse_client_name, recipient_count, etrn_domain, encryption_* appear" }, "version" },
	{ { "POLICY-VERSION-004", "Postfix 2.5's attribute set (stress)", B, "stress appears" },
	  "version" },
	{ { "POLICY-VERSION-005", "Postfix 2.9's attribute set", B,
	    "ccert_pubkey_fingerprint appears" }, "version" },
	{ { "POLICY-VERSION-006", "Postfix 3.0's attribute set", B, "client_port appears" },
	  "version" },
	{ { "POLICY-VERSION-007", "Postfix 3.1's attribute set", B, "policy_context appears" },
	  "version" },
	{ { "POLICY-VERSION-008", "Postfix 3.2's attribute set", B,
	    "server_address and server_port appear" }, "version" },
	{ { "POLICY-VERSION-009", "Postfix 3.8's attribute set", B,
	    "compatibility_level and mail_version appear" }, "version" },
	{ { "POLICY-VERSION-010", "Postfix 3.12's attribute set (tls_sni)", B,
	    "tls_sni appears (3.12-20260716): a service that refuses unknown attributes breaks "
	    "on every Postfix upgrade" }, "version" },
	{ { "POLICY-INJ-001", "injection payloads in sasl_username do not widen access", S,
	    "sasl_username comes from the SMTP client's AUTH: quotes, wildcards, TAB or odd bytes "
	    "must not select another user's rights" }, "injection,security" },
	{ { "POLICY-INJ-002", "injection payloads in sender do not widen access", S,
	    "the MAIL FROM address is chosen by the SMTP client" }, "injection,security" },
	{ { "POLICY-INJ-003", "injection payloads in helo_name do not widen access", S,
	    "the HELO name is chosen by the SMTP client; Postfix passes odd bytes through" },
	  "injection,security" },
	{ { "POLICY-LAT-001", "replies arrive well within Postfix's 100 s timeout", B,
	    "past smtpd_policy_service_timeout Postfix gives up the try; after two tries it "
	    "answers the default action (451 4.3.5), and the SMTP client waited all along" },
	  "latency" },
};
#undef B
#undef S
#undef A

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

void check_policy_options_init(struct check_policy_options *o)
{
	memset(o, 0, sizeof(*o));
	pf_version_default(&o->version);
	o->time_scale = 1.0;
	o->user = "test1";
}

void check_policy_list(FILE *out)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		fprintf(out, "%-18s [%s] %s (tags: %s)\n", checks[i].ci.id,
			report_severity_name(checks[i].ci.severity), checks[i].ci.title, checks[i].tags);
}

/* --- selection ----------------------------------------------------------- */

static int wanted(const struct check_policy_options *o, const char *id, const char *tags)
{
	return catalogue_wanted(o->only, o->skip, id, tags);
}

/* --- glob ---------------------------------------------------------------- */

int check_policy_glob(const char *pat, const char *s, size_t len)
{
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
	size_t plen = strlen(pat);

	while (si < len) {
		if (pi < plen && pat[pi] == '*') {
			star_p = pi++;
			star_s = si;
		} else if (pi < plen && (pat[pi] == '?' ||
					 tolower((unsigned char)pat[pi]) == tolower((unsigned char)s[si]))) {
			pi++;
			si++;
		} else if (star_p != (size_t)-1) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

/* --- the run's state ------------------------------------------------------ */

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

struct pcx {
	const struct check_policy_options *o;
	struct report *r;
	int timeout_ms;
	long long max_ms;
	int fatal;
	char fatal_why[700];
	struct tconn c;			/* the persistent connection */
	int open;
	int fresh;			/* x->c opened by after_drop, not used yet */
	int crashed;
	char crash[200];
	struct xbuf rbuf;		/* bytes of the current reply */
	unsigned seq;
	char instance[64];
	unsigned stalls;		/* requests in a row that ran into the timeout */
	unsigned unanswered;		/* requests in a row without an action */
	char slow_id[64];		/* the check of the slowest reply */
	unsigned ntimeouts;		/* requests without a reply in time */
	int connected;			/* a connection succeeded once */
	int gone;			/* ... and later ones are refused */
	char gone_id[64];		/* the check during which that began */
	int gone_after_drop;		/* ... where a connection was dropped */
	int dropped;			/* a connection closed without a reply, */
	char drop_id[64];		/* during this check, none answered since */
};

/* a connect that fails after others worked is a finding, not the environment */
#define ERR_OR_GONE(x)	((x)->gone ? CHECK_FAIL : CHECK_ERROR)

/* after this many timeouts the remaining checks are skipped, not waited for */
#define MAX_STALLS	2
#define MAX_UNANSWERED	6

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct pol_check *find_check(const char *id)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].ci.id, id) == 0)
			return &checks[i];
	return NULL;
}

/* blocked - after report_begin: end the check as skipped when the run cannot go on */
static int blocked(struct pcx *x, const char *id)
{
	if (x->stalls >= MAX_STALLS && strcmp(id, "POLICY-LAT-001") != 0) {
		report_end(x->r, CHECK_SKIP, "the service let %u requests in a row run into the "
			   "timeout (see the failed checks above); Postfix would wait 100 s per try for each",
			   x->stalls);
		return 1;
	}
	if (x->gone) {
		report_end(x->r, CHECK_SKIP, "the service stopped accepting connections during %s%s",
			   x->gone_id, x->gone_after_drop ? " (it closed a connection there without a "
			   "reply and answered nothing after)" : "");
		return 1;
	}
	if (x->unanswered >= MAX_UNANSWERED) {
		report_end(x->r, CHECK_SKIP, "the service answered none of the last %u requests "
			   "(see the failed checks above)", x->unanswered);
		return 1;
	}
	return 0;
}

static int p_open(struct pcx *x);

/* mark_gone - the service no longer accepts connections; id: since which check */
static void mark_gone(struct pcx *x, const char *id, int after_drop)
{
	if (!x->gone) {
		snprintf(x->gone_id, sizeof(x->gone_id), "%s", id);
		x->gone_after_drop = after_drop;
	}
	x->gone = 1;
}

/*
 * after_drop - after report_begin: when the service closed a connection
 * without a reply and has answered nothing since, connect now, as Postfix
 * does for its next request: a service that died there (and perhaps
 * accepted one more connection on its way out) is then found gone before
 * this check, which is skipped, rather than failed for the death
 */
static void after_drop(struct pcx *x)
{
	if (x->dropped && !x->open && !x->gone && p_open(x) == 0)
		x->fresh = 1;	/* a new connection to the request, not a kept one */
}

static int begin(struct pcx *x, const char *id)
{
	const struct pol_check *pc = find_check(id);

	if (pc == NULL || !wanted(x->o, id, pc->tags))
		return 0;
	report_begin(x->r, &pc->ci);
	after_drop(x);
	return !blocked(x, id);
}

/* any_wanted - is any check with this id prefix selected? */
static int any_wanted(const struct pcx *x, const char *prefix)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		if (strncmp(checks[i].ci.id, prefix, strlen(prefix)) == 0 &&
		    wanted(x->o, checks[i].ci.id, checks[i].tags))
			return 1;
	return 0;
}

static void c_close(struct pcx *x, struct tconn *c)
{
	tconn_close(c);
	if (c->pid > 0 && tconn_crashed(c) && !x->crashed) {
		x->crashed = 1;
		snprintf(x->crash, sizeof(x->crash), "the service process was %s", tconn_exit_text(c));
		report_note(x->r, "%s", x->crash);
	}
	if (c->err.len > 0) {
		report_note(x->r, "the service wrote to stderr (kept apart):");
		report_io(x->r, 'E', c->err.data, c->err.len > 2000 ? 2000 : c->err.len);
	}
	xbuf_free(&c->err);
}

static int c_open(struct pcx *x, struct tconn *c)
{
	struct tconn_options to;
	char err[600];

	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->o->stderr_apart;
	to.connect_timeout_ms = x->timeout_ms;
	if (tconn_open(x->o->target, &to, c, err, sizeof(err)) < 0) {
		report_note(x->r, "cannot connect: %s", err);
		if (x->connected) {
			/* it worked before: the service died or stopped listening */
			mark_gone(x, x->dropped ? x->drop_id : x->r->cur ? x->r->cur->id : "?",
				  x->dropped);
			snprintf(x->fatal_why, sizeof(x->fatal_why), "the service no longer accepts "
				 "connections (%.500s); Postfix answers 451 4.3.5 Server configuration "
				 "problem to every request", err);
			return -1;
		}
		x->fatal = 1;
		snprintf(x->fatal_why, sizeof(x->fatal_why), "%s", err);
		return -1;
	}
	x->connected = 1;
	return 0;
}

static void p_close(struct pcx *x)
{
	if (x->open)
		c_close(x, &x->c);
	x->open = 0;
	x->fresh = 0;
}

static int p_open(struct pcx *x)
{
	if (x->open)
		return 0;
	if (c_open(x, &x->c) < 0)
		return -1;
	x->open = 1;
	return 0;
}

/* log_bytes - the bytes as lines, a last unfinished line marked */
static void log_bytes(struct pcx *x, char dir, const char *p, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			report_io(x->r, dir, p + start, i - start);
			start = i + 1;
		}
	if (start < len) {
		report_io(x->r, dir, p + start, len - start);
		report_note(x->r, "(the line above has no LF)");
	}
}

static int c_send(struct pcx *x, struct tconn *c, const char *p, size_t len)
{
	log_bytes(x, 'C', p, len);
	if (tconn_write(c, p, len, x->timeout_ms) < 0) {
		report_note(x->r, "write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* c_read_reply - read as attr_vscan_plain does until Postfix would decide */
static void c_read_reply(struct pcx *x, struct tconn *c, struct pres *res, int smtputf8)
{
	char chunk[8192];
	long long t0 = ms_now();
	int rc;

	xbuf_reset(&x->rbuf);
	for (;;) {
		int n = tconn_read_some(c, x->timeout_ms, chunk, sizeof(chunk));
		int end = n > 0 ? PF_POL_END_NONE : n == 0 ? PF_POL_END_TIMEOUT : PF_POL_END_EOF;

		if (n > 0 && xbuf_append(&x->rbuf, chunk, (size_t)n) < 0) {
			report_note(x->r, "more than %d bytes without a terminator: reading stops here",
				    MAX_REPLY);
			end = PF_POL_END_ERROR;
		}
		rc = pf_pol_read_reply(x->rbuf.data ? x->rbuf.data : "", x->rbuf.len, end, smtputf8,
				       &res->rd);
		if (rc == 1 || end != PF_POL_END_NONE) {
			res->end = end;
			if (end == PF_POL_END_TIMEOUT)
				x->stalls++;
			break;
		}
	}
	res->ms = ms_now() - t0;
	if (!res->rd.ok && res->end == PF_POL_END_TIMEOUT)
		x->ntimeouts++;
	else if (res->rd.ok && res->ms > x->max_ms) {
		x->max_ms = res->ms;
		snprintf(x->slow_id, sizeof(x->slow_id), "%s", x->r->cur ? x->r->cur->id : "?");
	}
	log_bytes(x, 'S', x->rbuf.data ? x->rbuf.data : "", x->rbuf.len);
	{
		/* a complete action line, whatever followed */
		const char *p = x->rbuf.data ? x->rbuf.data : "";
		size_t len = x->rbuf.len, i, start = 0;

		for (i = 0; i < len; i++)
			if (p[i] == '\n') {
				if (i - start >= 7 && memcmp(p + start, "action=", 7) == 0)
					res->action_line = 1;
				start = i + 1;
			}
	}
	res->ok = res->rd.ok;
	if (res->ok) {
		res->alen = res->rd.action.len < PF_POL_ACTION_MAX ? res->rd.action.len :
			    PF_POL_ACTION_MAX;
		memcpy(res->action, res->rd.action.p, res->alen);
	}
	res->action[res->alen] = '\0';
	if (res->rd.notes[0])
		report_note(x->r, "%s", res->rd.notes);
	if (!res->ok) {
		char tb[40];

		if (res->end == PF_POL_END_TIMEOUT)
			snprintf(tb, sizeof(tb), " after %d ms", x->timeout_ms);
		else
			tb[0] = '\0';
		report_note(x->r, "Postfix: %s%s - a failed try", res->rd.why, tb);
	}
}

/* judge - what Postfix does with the answer (or with its absence) */
static void judge(struct pcx *x, const struct pf_pol_req *req, struct pres *res)
{
	struct pf_pol_ctx ctx;
	char shown[600];

	pf_pol_ctx_init(&ctx, &x->o->version, req->state);
	if (pf_pol_req_get(req, "sasl_username") != NULL)
		ctx.sasl_user = pf_pol_req_get(req, "sasl_username");
	if (res->ok) {
		pf_pol_eval(&ctx, res->action, res->alen, &res->v);
		if (res->v.kind == PF_POL_REJECT || res->v.kind == PF_POL_CONFIG_ERROR)
			report_note(x->r, "Postfix would answer: %s",
				    escape_for_log(shown, sizeof(shown), res->v.smtp, strlen(res->v.smtp)));
		else {
			static const struct {
				unsigned fx;
				const char *name;
			} fx[] = {
				{ PF_POL_FX_HOLD, "hold" }, { PF_POL_FX_DISCARD, "discard" },
				{ PF_POL_FX_FILTER, "filter" }, { PF_POL_FX_REDIRECT, "redirect" },
				{ PF_POL_FX_BCC, "bcc" }, { PF_POL_FX_PREPEND, "prepend" },
				{ PF_POL_FX_INFO, "log" }, { PF_POL_FX_DEFER_IF_PERMIT, "defer_if_permit" },
				{ PF_POL_FX_DEFER_IF_REJECT, "defer_if_reject" },
			};
			char eff[200] = "";
			size_t k;

			for (k = 0; k < sizeof(fx) / sizeof(fx[0]); k++)
				if (res->v.effects & fx[k].fx)
					snprintf(eff + strlen(eff), sizeof(eff) - strlen(eff), " +%s",
						 fx[k].name);
			report_note(x->r, "Postfix: %s%s%s%s", pf_pol_kind_name(res->v.kind), eff,
				    res->v.notes[0] ? " - " : "", res->v.notes);
		}
	} else {
		struct pf_pol_params pp;

		pf_pol_params_init(&pp);
		pf_pol_eval_failure(&ctx, NULL, &res->v);
		report_note(x->r, "Postfix sleeps 1 s, reconnects and sends the same request again; "
			    "if that fails too (%lu s in all) it applies "
			    "smtpd_policy_service_default_action and answers: %s",
			    pf_pol_failure_ms(&pp, res->end == PF_POL_END_TIMEOUT ? PF_POL_FAIL_TIMEOUT :
					      PF_POL_FAIL_FAST) / 1000,
			    escape_for_log(shown, sizeof(shown), res->v.smtp, strlen(res->v.smtp)));
	}
}

/* note_drop - the service closed a connection without a reply */
static void note_drop(struct pcx *x)
{
	if (!x->dropped)
		snprintf(x->drop_id, sizeof(x->drop_id), "%s", x->r->cur ? x->r->cur->id : "?");
	x->dropped = 1;
}

/* request - one request as Postfix sends it, on the persistent connection */
static int request(struct pcx *x, const struct pf_pol_req *req, struct pres *res)
{
	struct xbuf out;
	const char *err;
	int rc = -1;

	int reused, tries = 0, readable = 0, retried = 0;

again:
	memset(res, 0, sizeof(*res));
	res->readable_before = readable;
	res->retried = retried;
	if (x->open && tconn_readable(&x->c)) {
		res->readable_before = readable = 1;
		report_note(x->r, "the connection was readable before the request (bytes or EOF): "
			    "Postfix counts a failed try, sleeps 1 s and reconnects");
		p_close(x);
	}
	reused = x->open && !x->fresh;
	x->fresh = 0;
	if (p_open(x) < 0) {
		if (!x->gone)
			return -1;
		res->end = PF_POL_END_ERROR;
		snprintf(res->rd.why, sizeof(res->rd.why), "cannot connect: the service is gone");
		judge(x, req, res);
		x->unanswered++;
		return 0;
	}
	tries++;
	xbuf_init(&out, 1 << 20);
	if (pf_pol_req_format(req, &out, &err) < 0) {
		report_note(x->r, "cannot format the request: %s", err);
		goto out;
	}
	if (c_send(x, &x->c, out.data, out.len) < 0) {
		p_close(x);
		note_drop(x);
		res->end = PF_POL_END_ERROR;
		snprintf(res->rd.why, sizeof(res->rd.why), "write error");
		judge(x, req, res);
		rc = 0;
		goto out;
	}
	c_read_reply(x, &x->c, res, pf_version_at_least(&x->o->version, 3, 0, 0));
	if (res->ok)
		x->dropped = 0;
	else if (res->end == PF_POL_END_EOF && x->rbuf.len == 0)
		note_drop(x);
	if (!res->ok)
		p_close(x);	/* Postfix closes after a failed try */
	if (!res->ok && reused && tries == 1 && res->end == PF_POL_END_EOF && x->rbuf.len == 0) {
		/* the service closed the kept connection: Postfix's second try */
		report_note(x->r, "the service closed the reused connection without a reply: Postfix "
			    "counts a failed try, sleeps 1 s, reconnects and sends the request again");
		retried = 1;
		xbuf_free(&out);
		goto again;
	}
	judge(x, req, res);
	x->unanswered = res->ok ? 0 : x->unanswered + 1;
	if (res->ok)
		x->stalls = 0;		/* only timeouts in a row stop the run */
	rc = 0;
out:
	xbuf_free(&out);
	return rc;
}

/* rank - how much access a verdict grants: -1 unknown */
static int rank(const struct pf_pol_verdict *v)
{
	switch (v->kind) {
	case PF_POL_REJECT:
	case PF_POL_HANGUP:
	case PF_POL_CONFIG_ERROR:
		return 0;
	case PF_POL_DUNNO:
		return (v->effects & (PF_POL_FX_DEFER_IF_PERMIT)) ? 0 : 1;
	case PF_POL_PERMIT:
		return (v->effects & (PF_POL_FX_DEFER_IF_PERMIT | PF_POL_FX_HOLD | PF_POL_FX_DISCARD))
		       ? 1 : 2;
	case PF_POL_UNMODELLED:
		return -1;
	}
	return -1;
}

static const char *shown_action(const struct pres *res, char *buf, size_t size)
{
	if (!res->ok)
		return "(no action)";
	return escape_for_log(buf, size, res->action, res->alen);
}

static void next_instance(struct pcx *x)
{
	snprintf(x->instance, sizeof(x->instance), "%x.%lx.%lx.%x", (unsigned)getpid(),
		 (unsigned long)time(NULL), 1234UL + x->seq, x->seq);
	x->seq++;
}

/* base_req - Postfix's request at state st with a fresh instance where it has one */
static void base_req(struct pcx *x, struct pf_pol_req *req, enum pf_pol_state st)
{
	pf_pol_req_init(req, &x->o->version, st);
	if (pf_pol_req_get(req, "instance") != NULL && pf_pol_req_get(req, "instance")[0]) {
		next_instance(x);
		(void)!pf_pol_req_set(req, "instance", x->instance);
	}
}

/* --- reply shape ----------------------------------------------------------- */

static void run_reply(struct pcx *x, struct pres *base)
{
	struct pf_pol_req req;
	struct pres res;
	int closed = 0, extra = 0;
	char sa[400];

	if (!any_wanted(x, "POLICY-REPLY-") && !any_wanted(x, "POLICY-CONN-001"))
		return;
	report_begin(x->r, &checks[0].ci);
	base_req(x, &req, PF_POL_RCPT);
	if (request(x, &req, &res) < 0)
		return;
	*base = res;
	if (res.ok && x->open) {
		char chunk[4096];
		int n = tconn_read_some(&x->c, SETTLE_MS, chunk, sizeof(chunk));

		if (n > 0) {
			extra = 1;
			log_bytes(x, 'S', chunk, (size_t)n);
			report_note(x->r, "bytes after the reply's empty line");
			n = tconn_read_some(&x->c, SETTLE_MS, chunk, sizeof(chunk));
		}
		if (n < 0) {
			closed = 1;
			report_note(x->r, "the service closed the connection after its reply");
		}
		if (extra || closed)
			p_close(x);
	}
	{
		/* the same log for every reply check */
		char *log = xstrdup(xbuf_cstr(&x->r->log));
		static const char *const ids[] = {
			"POLICY-REPLY-001", "POLICY-REPLY-002", "POLICY-REPLY-003", "POLICY-REPLY-004",
			"POLICY-REPLY-005", "POLICY-REPLY-006", "POLICY-REPLY-007", "POLICY-REPLY-008",
			"POLICY-REPLY-009", "POLICY-REPLY-011", "POLICY-CONN-001",
		};
		size_t i;
		int cr = x->rbuf.len > 0 && memchr(x->rbuf.data, '\r', x->rbuf.len) != NULL;

		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			const char *id = ids[i];
			int colon = res.ok && memchr(res.action, ':', res.alen) != NULL;

			if (!begin(x, id))
				continue;
			(void)!xbuf_append_str(&x->r->log, log);
			if (strcmp(id, "POLICY-REPLY-001") == 0) {
				if (res.ok)
					report_end(x->r, CHECK_PASS, "action=%s", shown_action(&res, sa, sizeof(sa)));
				else
					report_end(x->r, CHECK_FAIL, "%s; Postfix answers %s. Reply "
						   "\"action=<ACTION>\" LF and an empty line LF", res.rd.why,
						   res.v.smtp);
			} else if (strcmp(id, "POLICY-REPLY-002") == 0) {
				if (res.rd.ncase)
					report_end(x->r, CHECK_FAIL, "the reply names the attribute in another "
						   "case (e.g. Action=); Postfix skips it as unknown. Write "
						   "\"action=\" in lower case");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-003") == 0) {
				if (res.rd.crlf || cr)
					report_end(x->r, CHECK_FAIL, "the reply holds CR%s; Postfix keeps CR as "
						   "data and never sees \\r\\n as the empty line (%s). End lines "
						   "with LF only", res.rd.crlf ? " LF line ends" : "",
						   res.ok ? "the action keeps its CR" :
						   "it waits 100 s per try, then answers the default action");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-004") == 0) {
				if (!res.ok && res.action_line && res.end == PF_POL_END_TIMEOUT)
					report_end(x->r, CHECK_FAIL, "an action line arrived but no empty line "
						   "within %d ms; Postfix waits %s, then retries and answers %s. "
						   "End the reply with an empty line", x->timeout_ms,
						   x->o->time_scale != 1.0 ? "100 s (scaled here)" : "100 s",
						   res.v.smtp);
				else if (!res.ok && res.action_line)
					report_end(x->r, CHECK_FAIL, "the reply was cut before its empty line "
						   "(%s)", res.rd.why);
				else if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action line arrived (POLICY-REPLY-001)");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-005") == 0) {
				size_t k;
				int blank = 1;

				for (k = 0; k < res.alen; k++)
					if (res.action[k] != ' ' && res.action[k] != '\t')
						blank = 0;
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (blank)
					report_end(x->r, CHECK_FAIL, "the action is empty: Postfix treats an empty "
						   "restriction list as OK and permits. Answer DUNNO to pass on");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-006") == 0) {
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (res.v.kind == PF_POL_CONFIG_ERROR && !colon)
					report_end(x->r, CHECK_FAIL, "action=%s is no access(5) keyword and no "
						   "restriction Postfix knows; Postfix answers %s. Use OK, DUNNO, "
						   "REJECT text, DEFER text, 4NN/5NN text, ...",
						   shown_action(&res, sa, sizeof(sa)), res.v.smtp);
				else
					report_end(x->r, CHECK_PASS, "%s", pf_pol_kind_name(res.v.kind));
			} else if (strcmp(id, "POLICY-REPLY-007") == 0) {
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (res.v.kind == PF_POL_CONFIG_ERROR && colon)
					report_end(x->r, CHECK_FAIL, "action=%s names a lookup table; Postfix "
						   "logs \"do not specify lookup tables inside SMTPD access maps\" "
						   "and answers %s. Decide in the service and answer the result",
						   shown_action(&res, sa, sizeof(sa)), res.v.smtp);
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-008") == 0) {
				size_t k;
				int digits = res.ok && res.alen > 0;

				for (k = 0; k < res.alen; k++)
					if (!isdigit((unsigned char)res.action[k]))
						digits = 0;
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (digits)
					report_end(x->r, CHECK_FAIL, "action=%s is all digits: Postfix reads it "
						   "as OK and permits. A reject needs text: \"%.3s 5.7.1 text\"",
						   res.action, res.action);
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-009") == 0) {
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (res.rd.trailing || extra)
					report_end(x->r, CHECK_FAIL, "bytes followed the reply's empty line; "
						   "before the next request Postfix finds the stream readable, "
						   "counts a failed try and reconnects (1 s). Send exactly "
						   "\"action=...\\n\\n\"");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else if (strcmp(id, "POLICY-REPLY-011") == 0) {
				if (res.rd.nactions > 1)
					report_end(x->r, CHECK_FAIL, "%zu action lines in one reply; Postfix "
						   "uses the first", res.rd.nactions);
				else if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else
					report_end(x->r, CHECK_PASS, "%s", "");
			} else {
				if (!res.ok)
					report_end(x->r, CHECK_SKIP, "no action (POLICY-REPLY-001)");
				else if (closed)
					report_end(x->r, CHECK_FAIL, "the service closed the connection after "
						   "its reply; Postfix finds EOF before the next request, counts a "
						   "failed try and reconnects after 1 s. Keep the connection open "
						   "(or set smtpd_policy_service_request_limit = 1 in main.cf)");
				else
					report_end(x->r, CHECK_PASS, "still open %d ms after the reply",
						   SETTLE_MS);
			}
		}
		free(log);
	}
}

/* run_early - the request without its empty line: nothing may come back */
static void run_early(struct pcx *x)
{
	struct pf_pol_req req;
	struct tconn c;
	struct xbuf out;
	const char *err;
	char chunk[4096];
	int n;

	if (!begin(x, "POLICY-REPLY-010"))
		return;
	base_req(x, &req, PF_POL_RCPT);
	if (c_open(x, &c) < 0) {
		report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	xbuf_init(&out, 1 << 20);
	if (pf_pol_req_format(&req, &out, &err) < 0 || out.len < 2) {
		report_end(x->r, CHECK_ERROR, "cannot format the request");
		goto out;
	}
	if (c_send(x, &c, out.data, out.len - 1) < 0) {
		report_end(x->r, CHECK_FAIL, "the service closed before the request was complete");
		goto out;
	}
	n = tconn_read_some(&c, EARLY_MS, chunk, sizeof(chunk));
	if (n > 0) {
		log_bytes(x, 'S', chunk, (size_t)n);
		report_end(x->r, CHECK_FAIL, "%d byte(s) arrived before the request's empty line; "
			   "Postfix takes them as the reply to this request and finds the real reply "
			   "before the next one (a failed try, reconnect). Read up to the empty line "
			   "before answering", n);
		goto out;
	}
	if (n < 0) {
		report_end(x->r, CHECK_FAIL, "the service closed the connection before the request's "
			   "empty line");
		goto out;
	}
	report_note(x->r, "nothing within %d ms before the empty line", EARLY_MS);
	if (c_send(x, &c, "\n", 1) == 0) {
		struct pres res;

		memset(&res, 0, sizeof(res));
		c_read_reply(x, &c, &res, pf_version_at_least(&x->o->version, 3, 0, 0));
	}
	report_end(x->r, CHECK_PASS, "%s", "");
out:
	xbuf_free(&out);
	c_close(x, &c);
}

/* --- connection use ---------------------------------------------------------- */

static void run_conn(struct pcx *x, const struct pres *base)
{
	char sa[400], sb[400];

	if (begin(x, "POLICY-CONN-002")) {
		static const enum pf_pol_state seq[] = {
			PF_POL_CONNECT, PF_POL_EHLO, PF_POL_MAIL, PF_POL_RCPT, PF_POL_RCPT, PF_POL_DATA,
			PF_POL_EOM, PF_POL_RCPT, PF_POL_RCPT,
		};
		char bad[600] = "";
		size_t i;

		p_close(x);
		for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
			struct pf_pol_req req;
			struct pres res;
			char cnt[16];

			if (i == 0 || i == 7)
				next_instance(x);	/* a new SMTP session */
			pf_pol_req_init(&req, &x->o->version, seq[i]);
			if (seq[i] != PF_POL_CONNECT && seq[i] != PF_POL_EHLO && pf_pol_req_get(&req, "instance"))
				(void)!pf_pol_req_set(&req, "instance", x->instance);
			if (i == 4)
				(void)!pf_pol_req_set(&req, "recipient", "second@example.com");
			if (i >= 7) {
				(void)!pf_pol_req_set(&req, "client_address", i == 7 ? "192.0.2.10" : "::1");
				(void)!pf_pol_req_set(&req, "client_name", "unknown");
			}
			if (seq[i] == PF_POL_DATA || seq[i] == PF_POL_EOM) {
				snprintf(cnt, sizeof(cnt), "2");
				(void)!pf_pol_req_set(&req, "recipient_count", cnt);
				(void)!pf_pol_req_set(&req, "recipient", "");
			}
			if (request(x, &req, &res) < 0)
				break;
			if (res.readable_before || !res.ok)
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%srequest %zu (%s): %s",
					 bad[0] ? "; " : "", i + 1, pf_pol_state_name(seq[i]),
					 res.readable_before ? "stream readable before it" : res.rd.why);
		}
		if (x->fatal)
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		else if (bad[0])
			report_end(x->r, CHECK_FAIL, "%s. Keep reading requests on the same connection "
				   "and answer each with exactly one reply", bad);
		else
			report_end(x->r, CHECK_PASS, "9 requests, 2 sessions, one connection");
	}
	if (begin(x, "POLICY-CONN-003")) {
		struct pf_pol_req req;
		struct pres r1, r2, r3;

		/* a request that was answered, sent again on a new connection, then once more */
		base_req(x, &req, PF_POL_RCPT);
		(void)!pf_pol_req_set(&req, "sender", "retry@example.org");
		(void)!pf_pol_req_set(&req, "client_address", "192.0.2.77");
		p_close(x);
		if (request(x, &req, &r1) == 0) {
			report_note(x->r, "Postfix's try failed after sending (say, a timeout): it "
				    "reconnects and sends the same request");
			p_close(x);
			if (request(x, &req, &r2) == 0 && request(x, &req, &r3) == 0) {
				int same12 = r1.alen == r2.alen && memcmp(r1.action, r2.action, r1.alen) == 0;

				/* the same message asking twice on one connection may differ
				   (a header added once per instance): a note, not a failure */
				if (r2.ok && r3.ok &&
				    (r2.alen != r3.alen || memcmp(r2.action, r3.action, r2.alen) != 0))
					report_note(x->r, "on the same connection the repeat got action=%s; "
						    "fine for per-message state, but a retry after a lost "
						    "reply to a long-running daemon would see this answer",
						    shown_action(&r3, sb, sizeof(sb)));
				if (!r1.ok || !r2.ok)
					report_end(x->r, CHECK_FAIL, "a repeated request was not answered");
				else if (!same12)
					report_end(x->r, CHECK_FAIL, "the same request got action=%s first and "
						   "action=%s when sent again on a new connection; Postfix "
						   "re-sends a request after every failed try, so the answer to a "
						   "retry must not count the first (key on instance, not on "
						   "arrival)", shown_action(&r1, sa, sizeof(sa)),
						   shown_action(&r2, sb, sizeof(sb)));
				else
					report_end(x->r, CHECK_PASS, "action=%s on both connections",
						   shown_action(&r1, sa, sizeof(sa)));
			} else
				report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		} else
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
	}
	if (begin(x, "POLICY-CONN-004")) {
		struct pf_pol_req req;
		struct tconn c;
		struct xbuf out;
		const char *err;
		struct pres res;

		base_req(x, &req, PF_POL_RCPT);
		xbuf_init(&out, 1 << 20);
		if (c_open(x, &c) == 0) {
			if (pf_pol_req_format(&req, &out, &err) == 0)
				(void)c_send(x, &c, out.data, out.len / 2);
			report_note(x->r, "the client side closes in the middle of the request");
			c_close(x, &c);
			p_close(x);
			if (request(x, &req, &res) == 0 && res.ok && (!base->ok ||
			    (base->alen == res.alen && memcmp(base->action, res.action, res.alen) == 0)))
				report_end(x->r, CHECK_PASS, "%s", "");
			else if (x->crashed)
				report_end(x->r, CHECK_FAIL, "%s after a cut request", x->crash);
			else if (!res.ok)
				report_end(x->r, CHECK_FAIL, "no action on the next connection after a cut "
					   "request (%s)", res.rd.why);
			else
				report_end(x->r, CHECK_FAIL, "the next connection got action=%s, the same "
					   "request before got action=%s: the half request leaked into the "
					   "next decision", shown_action(&res, sa, sizeof(sa)),
					   shown_action(base, sb, sizeof(sb)));
		} else
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		xbuf_free(&out);
	}
}

/* run_noreq - blocks without request= or with another type, then a normal request */
static void run_noreq(struct pcx *x)
{
	static const char *const blocks[] = {
		"protocol_state=RCPT\nclient_address=127.0.0.1\nrecipient=rcpt@example.com\n\n",
		"request=other_type\nprotocol_state=RCPT\nclient_address=127.0.0.1\n\n",
	};
	struct pf_pol_req req;
	struct pres res;
	size_t i;
	char notes[300] = "";

	if (!begin(x, "POLICY-REQ-001"))
		return;
	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		struct tconn c;
		char chunk[4096];
		int n;

		if (c_open(x, &c) < 0)
			break;
		if (c_send(x, &c, blocks[i], strlen(blocks[i])) == 0) {
			n = tconn_read_some(&c, EARLY_MS, chunk, sizeof(chunk));
			if (n > 0)
				log_bytes(x, 'S', chunk, (size_t)n);
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%sblock %zu: %s",
				 notes[0] ? "; " : "", i + 1, n > 0 ? "answered" : n < 0 ? "closed" :
				 "no answer yet");
		}
		c_close(x, &c);
	}
	if (x->fatal) {
		report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		return;
	}
	report_note(x->r, "%s", notes);
	p_close(x);
	base_req(x, &req, PF_POL_RCPT);
	if (request(x, &req, &res) < 0)
		report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (x->crashed)
		report_end(x->r, CHECK_FAIL, "%s after a block without request=smtpd_access_policy; "
			   "log it and close the connection instead", x->crash);
	else if (!res.ok)
		report_end(x->r, CHECK_FAIL, "after blocks without request=smtpd_access_policy a normal "
			   "request got no action (%s): the service stopped serving", res.rd.why);
	else
		report_end(x->r, CHECK_PASS, "%s", notes);
}

/* --- states and versions ------------------------------------------------------ */

static void finish_answered(struct pcx *x, const struct pres *res, const struct pres *base,
			    const char *what)
{
	char sa[400], sb[400];

	if (x->fatal)
		report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (!res->ok)
		report_end(x->r, CHECK_FAIL, "%s: no action (%s); Postfix answers %s. Answer every "
			   "request Postfix can send", what, res->rd.why, res->v.smtp);
	else if (res->v.kind == PF_POL_CONFIG_ERROR)
		report_end(x->r, CHECK_FAIL, "%s: action=%s, which Postfix rejects here: %s", what,
			   shown_action(res, sa, sizeof(sa)), res->v.smtp);
	else {
		if (base != NULL && base->ok &&
		    (base->alen != res->alen || memcmp(base->action, res->action, res->alen) != 0)) {
			char vb[32];

			if (pf_version_format(&x->o->version, vb, sizeof(vb)) < 0)
				snprintf(vb, sizeof(vb), "?");
			report_note(x->r, "the same session as Postfix %s (--postfix-version) got "
				    "action=%s", vb, shown_action(base, sb, sizeof(sb)));
		}
		report_end(x->r, CHECK_PASS, "action=%s (%s)", shown_action(res, sa, sizeof(sa)),
			   pf_pol_kind_name(res->v.kind));
	}
}

static void run_states(struct pcx *x)
{
	static const enum pf_pol_state st[] = {
		PF_POL_CONNECT, PF_POL_EHLO, PF_POL_HELO, PF_POL_MAIL, PF_POL_RCPT, PF_POL_DATA,
		PF_POL_EOM, PF_POL_VRFY, PF_POL_ETRN,
	};
	size_t i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		char id[32];
		struct pf_pol_req req;
		struct pres res;

		snprintf(id, sizeof(id), "POLICY-STATE-%03zu", i + 1);
		if (!begin(x, id))
			continue;
		base_req(x, &req, st[i]);
		if (st[i] == PF_POL_HELO)
			(void)!pf_pol_req_set(&req, "protocol_name", "SMTP");
		if (request(x, &req, &res) < 0) {
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
			continue;
		}
		finish_answered(x, &res, NULL, pf_pol_state_name(st[i]));
	}
}

static void run_versions(struct pcx *x)
{
	static const char *const vers[] = {
		"2.1", "2.2", "2.3", "2.5", "2.9", "3.0", "3.1", "3.2", "3.8", "3.12-20260716",
	};
	struct pres base;
	int have_base = 0;
	size_t i;

	for (i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		char id[32];
		struct pf_version v;
		struct pf_pol_req req;
		struct pres res;

		snprintf(id, sizeof(id), "POLICY-VERSION-%03zu", i + 1);
		if (!begin(x, id))
			continue;
		if (!have_base) {
			/* the same session from the version under test, for comparison */
			struct pf_pol_req b;

			pf_pol_req_init(&b, &x->o->version, PF_POL_RCPT);
			if (request(x, &b, &base) < 0) {
				report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
				continue;
			}
			have_base = 1;
			xbuf_reset(&x->r->log);
		}
		if (pf_version_parse(vers[i], &v) < 0) {
			report_end(x->r, CHECK_ERROR, "bad version %s", vers[i]);
			continue;
		}
		pf_pol_req_init(&req, &v, PF_POL_RCPT);
		if (request(x, &req, &res) < 0) {
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
			continue;
		}
		finish_answered(x, &res, &base, vers[i]);
	}
}

/* --- injection --------------------------------------------------------------- */

struct inj_row {
	const char *label;
	const char *control;		/* %u: the field's known value */
	const char *payload;
};

static const struct inj_row inj_rows[] = {
	{ "SQL quote", "nosuch' OR 'a'='b", "nosuch' OR 'a'='a" },
	{ "SQL comment", "%uz--", "%u'--" },
	{ "SQL quote, other user", "nosuchz OR user=z%uz", "nosuch' OR user='%u" },
	{ "SQL LIKE %", "z", "%" },
	{ "SQL LIKE _", "%u~", "%u_" },
	{ "glob *", "z", "*" },
	{ "regex .*", "zz", ".*" },
	{ "TAB", "%uzz", "%u\tz" },
	{ "space", "%uzz", "%u z" },
	{ "CR", "%uz", "%u\r" },
	{ "control byte 0x01", "%uz", "%u\001" },
	{ "DEL", "%uz", "%u\177" },
	{ "byte 0xff", "%uz", "%u\377" },
	{ "percent-encoded NUL", "%uz00", "%u%00" },
	{ "shell $()", "$(echo zz)", "$(echo %u)" },
	{ "shell backquote and ;", "zzecho zz", "`echo %u`;" },
	{ "trailing blanks", "%uzzz", "%u   " },
};

static void expand_row(char *dst, size_t size, const char *tpl, const char *known)
{
	size_t n = 0;

	for (; *tpl && n + 1 < size; tpl++) {
		if (tpl[0] == '%' && tpl[1] == 'u') {
			n += (size_t)snprintf(dst + n, size - n, "%s", known);
			if (n >= size)
				n = size - 1;
			tpl++;
		} else {
			dst[n++] = *tpl;
		}
	}
	dst[n] = '\0';
}

static void inj_context(struct pcx *x, struct pf_pol_req *req, const char *field, const char *value)
{
	base_req(x, req, PF_POL_RCPT);
	if (strcmp(field, "sasl_username") == 0) {
		(void)!pf_pol_req_set(req, "sasl_method", "PLAIN");
		(void)!pf_pol_req_set(req, "sasl_username", value);
	} else {
		/* an unauthenticated client from outside */
		(void)!pf_pol_req_set(req, "client_address", "198.51.100.7");
		(void)!pf_pol_req_set(req, "client_name", "unknown");
		(void)!pf_pol_req_set(req, "reverse_client_name", "unknown");
		(void)!pf_pol_req_set(req, field, value);
	}
}

static void run_injection(struct pcx *x)
{
	static const struct {
		const char *id, *field, *suffix;
	} fields[] = {
		{ "POLICY-INJ-001", "sasl_username", "" },
		{ "POLICY-INJ-002", "sender", "@example.com" },
		{ "POLICY-INJ-003", "helo_name", ".example.com" },
	};
	size_t f, i;

	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		char bad[900] = "";
		char noanswer[300] = "";
		char hung[300] = "";
		size_t n = 0;
		const char *known = strcmp(fields[f].field, "sasl_username") == 0 ? x->o->user :
				    strcmp(fields[f].field, "sender") == 0 ? "sender" : "client";

		if (!begin(x, fields[f].id))
			continue;
		if (strcmp(fields[f].field, "sasl_username") == 0) {
			/* the reference: the known user, and an unknown one */
			struct pf_pol_req rk, ru;
			struct pres k, u;

			report_note(x->r, "-- reference: user %s (--user), then an unknown user", known);
			inj_context(x, &rk, fields[f].field, known);
			inj_context(x, &ru, fields[f].field, "no-such-user-zz");
			if (request(x, &rk, &k) == 0 && request(x, &ru, &u) == 0 && k.ok && u.ok &&
			    rank(&k.v) <= rank(&u.v))
				report_note(x->r, "the known user gets no more access than an unknown one "
					    "here: payloads that reach the known user's rights cannot be told "
					    "apart (give --user a user allowed from 127.0.0.1)");
		}
		for (i = 0; i < sizeof(inj_rows) / sizeof(inj_rows[0]) && !x->fatal; i++) {
			char cv[8192], pv[8192];
			struct pf_pol_req rc, rp;
			struct pres c, p;
			size_t cl;

			expand_row(cv, sizeof(cv) - 64, inj_rows[i].control, known);
			cl = strlen(cv);
			snprintf(cv + cl, sizeof(cv) - cl, "%s", fields[f].suffix);
			expand_row(pv, sizeof(pv) - 64, inj_rows[i].payload, known);
			cl = strlen(pv);
			snprintf(pv + cl, sizeof(pv) - cl, "%s", fields[f].suffix);
			report_note(x->r, "-- %s: control, then payload", inj_rows[i].label);
			inj_context(x, &rc, fields[f].field, cv);
			inj_context(x, &rp, fields[f].field, pv);
			if (request(x, &rc, &c) < 0 || request(x, &rp, &p) < 0)
				break;
			n++;
			if (!p.ok && p.end == PF_POL_END_TIMEOUT && strlen(hung) + 40 < sizeof(hung))
				snprintf(hung + strlen(hung), sizeof(hung) - strlen(hung), "%s%s",
					 hung[0] ? ", " : "", inj_rows[i].label);
			else if (!p.ok && strlen(noanswer) + 40 < sizeof(noanswer))
				snprintf(noanswer + strlen(noanswer), sizeof(noanswer) - strlen(noanswer),
					 "%s%s", noanswer[0] ? ", " : "", inj_rows[i].label);
			if (c.ok && p.ok && rank(&c.v) >= 0 && rank(&p.v) > rank(&c.v)) {
				char sa[200], sb[200];

				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
					 "%s%s: control %s, payload %s", bad[0] ? "; " : "", inj_rows[i].label,
					 shown_action(&c, sa, sizeof(sa)), shown_action(&p, sb, sizeof(sb)));
			}
		}
		/* a very long value, as Postfix has no bound */
		if (!x->fatal) {
			char *lv = xmalloc(4097);
			struct pf_pol_req rp;
			struct pres p;

			memset(lv, 'a', 4096);
			lv[4096] = '\0';
			report_note(x->r, "-- a 4096-byte value");
			inj_context(x, &rp, fields[f].field, lv);
			if (request(x, &rp, &p) == 0 && !p.ok && p.end == PF_POL_END_TIMEOUT)
				snprintf(hung + strlen(hung), sizeof(hung) - strlen(hung),
					 "%s4096-byte value", hung[0] ? ", " : "");
			else if (!p.ok)
				snprintf(noanswer + strlen(noanswer), sizeof(noanswer) - strlen(noanswer),
					 "%s4096-byte value", noanswer[0] ? ", " : "");
			free(lv);
		}
		if (x->fatal)
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		else if (x->crashed)
			report_end(x->r, CHECK_FAIL, "%s", x->crash);
		else if (hung[0])
			report_end(x->r, CHECK_FAIL, "no answer within the timeout for payloads in %s: "
				   "%s; Postfix waits 100 s per try and then applies its default action. "
				   "Answer or close at once on input you refuse", fields[f].field, hung);
		else if (bad[0])
			report_end(x->r, CHECK_FAIL, "a payload in %s got more access than a plain value "
				   "of the same shape: %s. Compare values exactly, bind them as SQL "
				   "parameters, never split or unquote them", fields[f].field, bad);
		else {
			if (noanswer[0])
				report_note(x->r, "no answer (the service closed; Postfix applies its default "
					    "action, which denies) for: %s", noanswer);
			report_end(x->r, CHECK_PASS, "%zu payload(s), none widened access", n);
		}
	}
}

/* --- latency ------------------------------------------------------------------- */

static void run_latency(struct pcx *x)
{
	struct pf_pol_req req;
	struct pres res;
	int i;
	unsigned before = x->ntimeouts;

	if (!begin(x, "POLICY-LAT-001"))
		return;
	if (before)
		report_note(x->r, "%u request(s) in other checks got no reply within the timeout "
			    "(reported there)", before);
	for (i = 0; i < 3 && !x->fatal && x->ntimeouts - before < 2; i++) {
		base_req(x, &req, PF_POL_RCPT);
		if (request(x, &req, &res) < 0)
			break;
	}
	if (x->fatal)
		report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
	else if (x->ntimeouts > before)
		report_end(x->r, CHECK_FAIL, "Postfix's own RCPT request got no reply within %d ms "
			   "(100 s x %.3g); Postfix gives up the try, retries once and answers 451 4.3.5 "
			   "Server configuration problem. Answer within a second; do slow lookups "
			   "asynchronously or cache them", x->timeout_ms, x->o->time_scale);
	else if (x->max_ms >= x->timeout_ms / 2)
		report_end(x->r, CHECK_FAIL, "the slowest reply took %lld ms, half or more of "
			   "Postfix's timeout (100 s x %.3g = %d ms); past it Postfix gives up the "
			   "try and finally answers 451 4.3.5 Server configuration problem. Answer "
			   "within a second; do slow lookups asynchronously or cache them (slowest "
			   "in %s)", x->max_ms, x->o->time_scale, x->timeout_ms, x->slow_id);
	else
		report_end(x->r, CHECK_PASS, "slowest reply %lld ms of all requests in this run "
			   "(timeout %d ms)", x->max_ms, x->timeout_ms);
}

/* --- user rules ----------------------------------------------------------------- */

int check_policy_expect_parse(const char *text, struct pf_pol_req *req, const struct pf_version *v,
			      char *store, size_t store_size, const char **pattern_r, char *err,
			      size_t errlen)
{
	const char *p = text;
	size_t used = 0;
	enum pf_pol_state st = PF_POL_RCPT;
	const char *arrow = strstr(text, "=>");
	struct {
		const char *name, *value;
	} kv[PF_POL_MAX_REQ];
	size_t nkv = 0, i;

	if (arrow == NULL) {
		snprintf(err, errlen, "no \"=>\" before the expected action");
		return -1;
	}
	while (p < arrow) {
		const char *name, *eq;
		char *dst;

		while (p < arrow && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= arrow)
			break;
		name = p;
		eq = NULL;
		while (p < arrow && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		if (p >= arrow || *p != '=') {
			snprintf(err, errlen, "column %zu: want NAME=VALUE", (size_t)(name - text) + 1);
			return -1;
		}
		eq = p++;
		if (eq == name) {
			snprintf(err, errlen, "column %zu: empty attribute name", (size_t)(name - text) + 1);
			return -1;
		}
		if (used + (size_t)(eq - name) + 2 > store_size || nkv >= PF_POL_MAX_REQ) {
			snprintf(err, errlen, "too many or too long attributes");
			return -1;
		}
		dst = store + used;
		memcpy(dst, name, (size_t)(eq - name));
		dst[eq - name] = '\0';
		kv[nkv].name = dst;
		used += (size_t)(eq - name) + 1;
		dst = store + used;
		if (p < arrow && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(arrow - p - 1));

			if (q == NULL) {
				snprintf(err, errlen, "column %zu: unterminated quote", (size_t)(p - text) + 1);
				return -1;
			}
			if (used + (size_t)(q - p) + 1 > store_size) {
				snprintf(err, errlen, "attributes too long");
				return -1;
			}
			memcpy(dst, p + 1, (size_t)(q - p - 1));
			dst[q - p - 1] = '\0';
			used += (size_t)(q - p);
			p = q + 1;
		} else {
			const char *s = p;

			while (p < arrow && *p != ' ' && *p != '\t')
				p++;
			if (used + (size_t)(p - s) + 1 > store_size) {
				snprintf(err, errlen, "attributes too long");
				return -1;
			}
			memcpy(dst, s, (size_t)(p - s));
			dst[p - s] = '\0';
			used += (size_t)(p - s) + 1;
		}
		kv[nkv].value = dst;
		if (strcmp(kv[nkv].name, "state") == 0)
			kv[nkv].name = "protocol_state";
		if (strcmp(kv[nkv].name, "protocol_state") == 0 && pf_pol_state_parse(dst, &st) < 0) {
			snprintf(err, errlen, "unknown protocol_state %s", dst);
			return -1;
		}
		nkv++;
	}
	pf_pol_req_init(req, v, st);
	for (i = 0; i < nkv; i++)
		if (pf_pol_req_set(req, kv[i].name, kv[i].value) < 0) {
			snprintf(err, errlen, "attribute %s cannot be sent", kv[i].name);
			return -1;
		}
	p = arrow + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		snprintf(err, errlen, "no action pattern after \"=>\"");
		return -1;
	}
	*pattern_r = p;
	return 0;
}

static void run_expects(struct pcx *x)
{
	size_t i;

	for (i = 0; i < x->o->nexpects; i++) {
		struct check_info ci;
		char id[40], title[300], err[200];
		char *store = xmalloc(65536);
		struct pf_pol_req req;
		const char *pat;
		struct pres res;

		snprintf(id, sizeof(id), "POLICY-EXPECT-%03zu", i + 1);
		snprintf(title, sizeof(title), "rule: %.280s", x->o->expects[i]);
		ci.id = id;
		ci.title = title;
		ci.severity = SEV_BREAKS_POSTFIX;
		ci.why = "the decision given with --expect";
		if (!wanted(x->o, id, "expect")) {
			free(store);
			continue;
		}
		report_begin(x->r, &ci);
		if (check_policy_expect_parse(x->o->expects[i], &req, &x->o->version, store, 65536,
					      &pat, err, sizeof(err)) < 0) {
			report_end(x->r, CHECK_ERROR, "--expect: %s", err);
		} else if (request(x, &req, &res) < 0) {
			report_end(x->r, ERR_OR_GONE(x), "%s", x->fatal_why);
		} else {
			const char *got = res.ok ? res.action : PF_POL_DEFAULT_ACTION;
			size_t glen = res.ok ? res.alen : strlen(PF_POL_DEFAULT_ACTION);
			char sa[400];

			if (check_policy_glob(pat, got, glen))
				report_end(x->r, CHECK_PASS, "action=%s", escape_for_log(sa, sizeof(sa), got, glen));
			else
				report_end(x->r, CHECK_FAIL, "expected an action matching %s, %s %s", pat,
					   res.ok ? "got" : "Postfix applies its default action",
					   escape_for_log(sa, sizeof(sa), got, glen));
		}
		free(store);
	}
}

/* --- data checks ------------------------------------------------------------------ */

/* run_data - one transcript under its own id (catalogue_replay), judged as Postfix retries */
static void run_data(struct pcx *x, struct catalogue_entry *d)
{
	struct replay_options ro;
	enum check_result res;
	char why[1024];
	const char *log;

	if (!wanted(x->o, d->ci.id, d->m.tags))
		return;
	report_begin(x->r, &d->ci);
	after_drop(x);
	if (blocked(x, d->ci.id))
		return;
	replay_options_init(&ro);
	ro.target = x->o->target;
	ro.version = x->o->version;
	ro.time_scale = x->o->time_scale;
	ro.stderr_apart = x->o->stderr_apart;
	ro.defines = x->o->defines;
	res = catalogue_replay(d, &ro, x->r, why, sizeof(why));
	log = xbuf_cstr(&x->r->log);
	if (x->connected && ((res == CHECK_ERROR && strstr(why, "connect") != NULL) ||
			     strstr(log, "cannot connect") != NULL)) {
		/* it accepted connections before: the service is gone */
		if (res == CHECK_ERROR)
			res = CHECK_FAIL;
		report_note(x->r, "the service no longer accepts connections");
		mark_gone(x, d->ci.id, 0);
		log = xbuf_cstr(&x->r->log);	/* the note may have moved it */
	}
	if (res == CHECK_PASS && strstr(log, " failed: ") != NULL && strstr(log, "> try ") != NULL) {
		res = CHECK_FAIL;
		snprintf(why, sizeof(why), "a try failed, so Postfix reconnected after 1 s and sent "
			 "the request again (see the notes)%s%s", d->m.fix[0] ? ". Fix: " : "", d->m.fix);
	} else if (res == CHECK_FAIL && d->m.fix[0]) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, ". Fix: %s", d->m.fix);
	}
	report_end(x->r, res, "%s", why);
}

/* --- the run ------------------------------------------------------------------------ */

int check_policy_run(const struct check_policy_options *o, struct report *r)
{
	struct pcx x;
	struct pres base;
	struct catalogue cat;
	size_t i;
	char err[700];

	if (catalogue_load(&cat, o->catalogue_dir, o->transcripts, o->ntranscripts, TPROTO_POLICY,
			   err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	memset(&base, 0, sizeof(base));
	x.o = o;
	x.r = r;
	x.timeout_ms = (int)(PF_POL_TIMEOUT_MS * (o->time_scale > 0 ? o->time_scale : 1.0));
	if (x.timeout_ms < 50)
		x.timeout_ms = 50;
	xbuf_init(&x.rbuf, MAX_REPLY);
	x.c.fd = -1;

	run_reply(&x, &base);
	if (!x.fatal)
		run_early(&x);
	if (!x.fatal)
		run_conn(&x, &base);
	if (!x.fatal)
		run_noreq(&x);
	if (!x.fatal)
		run_states(&x);
	if (!x.fatal)
		run_versions(&x);
	if (!x.fatal)
		run_injection(&x);
	if (!x.fatal)
		run_expects(&x);
	p_close(&x);
	for (i = 0; i < cat.n && !x.fatal; i++)
		run_data(&x, cat.v[i]);
	if (!x.fatal)
		run_latency(&x);
	p_close(&x);
	xbuf_free(&x.rbuf);
	catalogue_free(&cat);
	if (x.fatal) {
		fprintf(stderr, "fake-smtpd: %s\n", x.fatal_why);
		return -1;
	}
	return 0;
}
