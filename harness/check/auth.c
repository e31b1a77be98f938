/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth - the checks of check --auth: one table, one run
 * SYNOPSIS
 *	#include "harness/check/auth.h"
 * DESCRIPTION
 *	See auth.h. auth_checks[] is the table of the C-coded checks, in
 *	--list order; each row says what it needs (AUTH_NEED_*, auth_int.h)
 *	and when it runs. The runner (check/runner.h) walks it:
 *
 *	  CHECK_STAGE_FIRST  AUTH-HANDSHAKE-001..009, judged from the run's
 *	                     first handshake, whose wire log each shows;
 *	  CHECK_STAGE_MAIN   checks of one or a few exchanges of their own;
 *	  CHECK_STAGE_PROBE  AUTH-REQ-006..009 and AUTH-LAT-002;
 *	  CHECK_STAGE_RUN    AUTH-REP-003..013 and AUTH-LAT-001, judged over
 *	                     everything the run has read and timed
 *	                     (AUTH-REP-008 runs its own two exchanges there,
 *	                     in id order: what it reads counts for
 *	                     AUTH-REP-009..013 only);
 *
 *	then the data checks of the catalogue, as rows made from its
 *	entries. When the first handshake does not complete, every check
 *	that needs it is skipped, in --list order. A death of the helper
 *	during a check (check/death.h: a crash, a connection closed without
 *	the reply Postfix waited for, a daemon that no longer accepts
 *	connections) is that check's failure (the leave hook, after a look
 *	whether a daemon is still there); after a daemon is gone every
 *	remaining check is not run (the enter hook). Each check opens its own
 *	connection(s) so that one broken exchange cannot spoil the next,
 *	except where a check is about a reused connection. Request ids come
 *	from one counter for the whole run, as in one smtpd process.
 * DIAGNOSTICS
 *	A target that cannot be used for the first exchange (cannot
 *	connect, helper cannot start) ends the run with -1 and msg_error();
 *	everything the helper does wrong after, its death too, is a failed
 *	check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "harness/check/auth_int.h"
#include "harness/replay/replay.h"
#include "proto/dvauth.h"
#include "proto/linebuf.h"
#include "util/compiler.h"
#include "util/escape.h"
#include "util/msg.h"
#include "util/xmem.h"

#define HS		AUTH_NEED_HANDSHAKE
#define PASSWORD	AUTH_NEED_PASSWORD
#define ACCOUNT		AUTH_NEED_ACCOUNT
#define PLAIN		AUTH_NEED_PLAIN
#define MECH		AUTH_NEED_MECH
#define RUNNABLE	AUTH_NEED_RUNNABLE
#define LOGIN		AUTH_NEED_LOGIN
#define NORESP		AUTH_NEED_NORESP

/* the C-coded checks, in --list order */
static const struct check_def auth_checks[] = {
	{ { "AUTH-HANDSHAKE-001", "handshake completes as Postfix reads it", SEV_BREAKS_POSTFIX,
	  "Postfix reads VERSION/MECH/SPID/DONE; on failure smtpd exits with \"no SASL "
	  "authentication mechanisms\" and the SMTP client sees the connection drop" },
	  NULL, 0, CHECK_STAGE_FIRST, auth_hs_done, NULL, NULL },
	{ { "AUTH-HANDSHAKE-002", "MECH lines come before SPID", SEV_BREAKS_POSTFIX,
	  "Postfix >= 3.0 takes SPID before any MECH for the auth-master socket and refuses "
	  "it (the documented order SPID, CUID, COOKIE, MECH is wrong)" },
	  NULL, 0, CHECK_STAGE_FIRST, auth_hs_order, NULL,
	  "the handshake has a SPID line (else there is no order to judge)" },
	{ { "AUTH-HANDSHAKE-003", "lines end in LF, not CRLF", SEV_BREAKS_POSTFIX,
	  "Postfix keeps a CR as data: DONE\\r never ends the handshake, user=bob\\r becomes bob?" },
	  NULL, 0, CHECK_STAGE_FIRST, auth_hs_crlf, NULL,
	  "a handshake line was read" },
	{ { "AUTH-HANDSHAKE-004", "a mechanism remains after smtpd_sasl_security_options = noanonymous",
	  SEV_BREAKS_POSTFIX, "with an empty list smtpd exits: no SASL authentication mechanisms" },
	  NULL, HS, CHECK_STAGE_FIRST, auth_hs_usable, NULL, NULL },
	{ { "AUTH-HANDSHAKE-005", "nothing is sent after DONE", SEV_ADVISORY,
	  "Postfix reads stray lines later as replies: an unsolicited OK for id 1 would be taken "
	  "as the answer to request 1" },
	  NULL, HS, CHECK_STAGE_FIRST, auth_hs_quiet, NULL, NULL },
	{ { "AUTH-HANDSHAKE-006", "DONE arrives well within Postfix's 10 s read timeout", SEV_ADVISORY,
	  "smtpd runs the handshake at the start of an SMTP session, before it answers EHLO; "
	  "Postfix waits up to 10 s for each line, and a line later than that ends the handshake: "
	  "smtpd exits with \"no SASL authentication mechanisms\" and the client's connection drops" },
	  NULL, HS, CHECK_STAGE_FIRST, auth_hs_time, NULL, NULL },
	{ { "AUTH-HANDSHAKE-007", "VERSION carries two numbers, major 1", SEV_BREAKS_POSTFIX,
	  "Postfix reads VERSION with sscanf(\"%u\\t%u\"): a major other than 1 or words instead "
	  "of numbers fail the handshake (smtpd exits); a bare VERSION without TAB crashes "
	  "Postfix before 3.12-20260710 (NULL pointer read)" },
	  NULL, 0, CHECK_STAGE_FIRST, auth_hs_version, NULL,
	  "a VERSION line came (Postfix needs none)" },
	{ { "AUTH-HANDSHAKE-008", "mechanism flags let smtpd_sasl_security_options filter",
	  SEV_SECURITY, "Postfix drops mechanisms by their MECH flags only: PLAIN without "
	  "'plaintext' survives noplaintext, ANONYMOUS without 'anonymous' survives the default "
	  "noanonymous and is offered to anyone; a list left empty makes smtpd exit" },
	  NULL, HS, CHECK_STAGE_FIRST, auth_hs_flags, NULL,
	  "a MECH line names a mechanism whose flags are known" },
	{ { "AUTH-HANDSHAKE-009", "MECH names are unique, not empty, without blanks", SEV_ADVISORY,
	  "Postfix keeps every MECH line as it is: duplicates, an empty name or a name with a "
	  "space go into the EHLO AUTH line, where SMTP clients misread the list" },
	  NULL, 0, CHECK_STAGE_FIRST, auth_hs_names, NULL,
	  "a MECH line came" },
	{ { "AUTH-HANDSHAKE-010", "the handshake completes when VERSION and CPID arrive apart",
	  SEV_ADVISORY, "Postfix writes VERSION and CPID in one write, but a stream socket may "
	  "deliver them in two reads; Dovecot 2.3 sends MECH..DONE at once, 2.4 after the "
	  "client's VERSION: both work with Postfix" },
	  NULL, HS | MECH, CHECK_STAGE_MAIN, auth_hs_split, NULL, NULL },
	{ { "AUTH-HANDSHAKE-011", "CPID 0 or not a number: refused or tolerated, never a crash or "
	  "a hang", SEV_ADVISORY, "Dovecot disconnects such a client; a helper that crashes or "
	  "stops answering on odd handshake input is as fragile on what Postfix sends" },
	  NULL, HS | MECH, CHECK_STAGE_MAIN, auth_hs_cpid, NULL, NULL },
	{ { "AUTH-MECH-001", "every advertised mechanism succeeds with the right password",
	  SEV_BREAKS_POSTFIX, "a mechanism that can never succeed is still offered in EHLO" },
	  NULL, HS | ACCOUNT | RUNNABLE, CHECK_STAGE_MAIN, auth_mech_right, NULL, NULL },
	{ { "AUTH-MECH-002", "every advertised mechanism fails with a wrong password", SEV_SECURITY,
	  "fail-open: a helper that accepts any password lets anyone relay" },
	  NULL, HS | ACCOUNT | RUNNABLE, CHECK_STAGE_MAIN, auth_mech_wrong, NULL, NULL },
	{ { "AUTH-MECH-003", "AUTH PLAIN without an initial response gets a challenge, then logs in",
	  SEV_BREAKS_POSTFIX, "SMTP clients may send AUTH PLAIN alone and the credentials after "
	  "Postfix's 334 (Outlook, some libraries); Dovecot answers CONT<TAB>id<TAB>, which Postfix "
	  "sends as '334 '" },
	  NULL, HS | PLAIN, CHECK_STAGE_MAIN, auth_mech_noresp, NULL,
	  "the challenge came and, with an account, the login after it ran" },
	{ { "AUTH-REQ-001", "mechanism name in lower case is accepted", SEV_BREAKS_POSTFIX,
	  "Postfix passes the mechanism exactly as the SMTP client typed it" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN, CHECK_STAGE_MAIN, auth_req_case, NULL, NULL },
	{ { "AUTH-REQ-002", "request ids that do not start at 1", SEV_BREAKS_POSTFIX,
	  "one id counter lives as long as the smtpd process; after a reconnect ids go on" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN, CHECK_STAGE_MAIN, auth_req_ids, NULL, NULL },
	{ { "AUTH-REQ-003", "an abandoned request does not block the next one", SEV_BREAKS_POSTFIX,
	  "Postfix never sends CANCEL: after '*' or a client disconnect the request stays "
	  "pending and the next AUTH uses a new id on the same connection" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN | NORESP, CHECK_STAGE_MAIN, auth_req_abandoned, NULL,
	  "the first request got a challenge (so it was left pending)" },
	{ { "AUTH-REQ-004", "invalid base64 gets FAIL code=invalid_base64, connection kept",
	  SEV_DIVERGES_DOVECOT, "Postfix checks only the base64 alphabet; Dovecot answers "
	  "FAIL code=invalid_base64 and keeps the connection" },
	  NULL, HS | PLAIN, CHECK_STAGE_MAIN, auth_req_base64, NULL, NULL },
	{ { "AUTH-REQ-005", "Postfix's exact AUTH fields are accepted", SEV_BREAKS_POSTFIX,
	  "Postfix sends service= (not protocol=), bare nologin, lip=/rip= and secured" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN, CHECK_STAGE_MAIN, auth_req_fields, NULL, NULL },
	{ { "AUTH-INPUT-001", "UTF-8 and 8-bit credentials are answered, and the next request too",
	  SEV_BREAKS_POSTFIX, "SMTPUTF8 clients send UTF-8 user names and passwords, others "
	  "Latin-1: Postfix checks only the base64 alphabet and passes them on" },
	  NULL, HS | PLAIN, CHECK_STAGE_MAIN, auth_input_8bit, NULL, NULL },
	{ { "AUTH-INPUT-002", "AUTH lines across 1,024, 4,096 and 8,192 bytes are read whole",
	  SEV_BREAKS_POSTFIX, "Postfix relays SASL responses of up to 12,288 characters "
	  "(smtpd_sasl_response_limit) in one AUTH line" },
	  NULL, HS | PLAIN, CHECK_STAGE_MAIN, auth_input_long, NULL, NULL },
	{ { "AUTH-REQ-006", "several pending requests, and a late CONT for an abandoned one",
	  SEV_BREAKS_POSTFIX, "Postfix abandons a request without CANCEL ('*', bad base64, a "
	  "client that leaves) and goes on with new ids; Dovecot keeps the old request 150 s and "
	  "a late CONT for it continues it or gets FAIL \"Authentication request timed out\"" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN | NORESP, CHECK_STAGE_PROBE, auth_req_pending, NULL, NULL },
	{ { "AUTH-REQ-007", "1000 abandoned requests on one connection", SEV_BREAKS_POSTFIX,
	  "one smtpd process serves up to 100 SMTP sessions over one auth connection, each may "
	  "abandon requests; a helper that disconnects, crashes or stops answering turns every "
	  "AUTH of that process into 454 4.7.0" },
	  NULL, HS | MECH, CHECK_STAGE_PROBE, auth_req_abandon_many, NULL,
	  "one of the 1000 requests got a challenge (so it was left pending)" },
	{ { "AUTH-REQ-008", "the connection stays open through a multi-step exchange and after it",
	  SEV_BREAKS_POSTFIX, "a helper that closes after a CONT makes Postfix answer 454 4.7.0 "
	  "Temporary authentication failure; Postfix reconnects on the next AUTH (3.11+), older "
	  "Postfix keeps the broken connection and every later AUTH of that smtpd fails" },
	  NULL, HS | ACCOUNT | PLAIN | LOGIN | NORESP, CHECK_STAGE_PROBE, auth_req_multistep, NULL, NULL },
	{ { "AUTH-REQ-009", "an idle connection still serves an AUTH", SEV_BREAKS_POSTFIX,
	  "Postfix never pings and keeps the connection as long as the smtpd process lives; a "
	  "helper that closes idle connections costs a 454 on inet: (unix: reconnects on EPIPE)" },
	  NULL, HS | MECH, CHECK_STAGE_PROBE, auth_req_idle, NULL, NULL },
	{ { "AUTH-REP-001", "a failed password is not reported as a temporary failure", SEV_ADVISORY,
	  "Postfix ignores code=temp_fail and answers 535 5.7.8 (permanent), not 454: a helper "
	  "that means \"try later\" is not heard" },
	  NULL, HS | ACCOUNT | PLAIN, CHECK_STAGE_MAIN, auth_rep_temp, NULL,
	  "the wrong password got FAIL" },
	{ { "AUTH-REP-002", "user names are tab-escaped in replies", SEV_BREAKS_POSTFIX,
	  "a raw TAB or LF in user= splits Postfix's parse of the reply; Dovecot writes \\001t" },
	  NULL, HS | PASSWORD | PLAIN, CHECK_STAGE_MAIN, auth_rep_tab, NULL,
	  "an OK or a FAIL carried the user name with a TAB back" },
	{ { "AUTH-REP-003", "OK carries user=", SEV_BREAKS_POSTFIX,
	  "Postfix turns OK without user= into 535 5.7.8 \"Authentication backend error\"" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "an OK was read in the run" },
	{ { "AUTH-REP-004", "OK carries a non-empty user=", SEV_ADVISORY,
	  "with an empty user= Postfix answers 235, but permit_sasl_authenticated never matches "
	  "and a second AUTH gets 503 5.5.1: the client cannot relay" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "an OK was read in the run" },
	{ { "AUTH-REP-005", "OK carries no nologin, proxy or host=", SEV_SECURITY,
	  "Postfix ignores everything in OK but user=: a helper that means \"authenticated, but "
	  "do not log in here\" GRANTS SMTP AUTH and relaying" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "an OK was read in the run" },
	{ { "AUTH-REP-006", "OK carries no resp= without final-resp-ok", SEV_BREAKS_POSTFIX,
	  "Postfix never sends final-resp-ok and drops resp= from OK: SCRAM's server-final "
	  "(v=...) is lost and the SMTP client cannot verify the server" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "an OK was read in the run" },
	{ { "AUTH-REP-007", "FAIL reasons are short printable ASCII", SEV_ADVISORY,
	  "Postfix shows control, escaped and non-UTF-8 bytes of reason= as '?', and sends a "
	  "long reason uncut, past SMTP's 512-byte reply line" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a FAIL was read in the run" },
	{ { "AUTH-REP-008", "the same FAIL for an unknown user and a wrong password", SEV_SECURITY,
	  "Postfix passes reason= to the SMTP client: different answers let anyone find out "
	  "which accounts exist (user enumeration); Dovecot sends no reason for either" },
	  NULL, HS | ACCOUNT | PLAIN, CHECK_STAGE_RUN, auth_rep_enum, NULL, NULL },
	{ { "AUTH-REP-009", "CONT carries nothing after the challenge", SEV_BREAKS_POSTFIX,
	  "Postfix sends everything after the id, TABs included, as the 334 text" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a CONT was read in the run" },
	{ { "AUTH-REP-010", "CONT carries a data field", SEV_BREAKS_POSTFIX,
	  "CONT<TAB>id with no data: Postfix answers 535 5.7.8 \"Authentication backend error\"" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a CONT was read in the run" },
	{ { "AUTH-REP-011", "reply ids are plain decimal", SEV_DIVERGES_DOVECOT,
	  "Postfix reads ids with strtoul(..., 0): 0x1, 01, ' 1' and 1abc pass (010 is 8); "
	  "Dovecot's own client accepts only the decimal id" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a reply line was read in the run" },
	{ { "AUTH-REP-012", "every request gets OK, CONT or FAIL, not only lines Postfix skips",
	  SEV_BREAKS_POSTFIX, "Postfix skips unknown words (CANCELLED, NOTFOUND, empty lines) and "
	  "other ids; with nothing else it waits 10 s, then answers 454 4.7.0 and disconnects" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a reply was waited for in the run" },
	{ { "AUTH-REP-013", "replies end in LF, not CRLF", SEV_BREAKS_POSTFIX,
	  "Postfix keeps a CR as data: user=bob\\r becomes bob?, challenges and reasons carry it" },
	  NULL, HS, CHECK_STAGE_RUN, auth_rep_seen, NULL,
	  "a reply line was read in the run" },
	{ { "AUTH-LAT-001", "replies arrive well within Postfix's 10 s read timeout",
	  SEV_BREAKS_POSTFIX, "past 10 s Postfix drops the connection and answers 454 4.7.0" },
	  NULL, HS | ACCOUNT, CHECK_STAGE_RUN, auth_lat_replies, NULL,
	  "an exchange of AUTH-MECH or AUTH-REQ was timed" },
	{ { "AUTH-LAT-002", "repeated failures from one rip are answered within 10 s",
	  SEV_BREAKS_POSTFIX, "Dovecot delays a client IP that keeps failing (penalty 2, 4, 8, "
	  "15 s, plus the 2 s failure delay); past Postfix's 10 s read timeout the answer is "
	  "454 4.7.0 and a disconnect instead of 535" },
	  NULL, HS | ACCOUNT | PLAIN, CHECK_STAGE_PROBE, auth_lat_penalty, NULL, NULL },
};

#undef HS
#undef PASSWORD
#undef ACCOUNT
#undef PLAIN
#undef MECH
#undef RUNNABLE
#undef LOGIN
#undef NORESP

static const char *offered(struct check_run *cr, const struct check_def *d, char *buf,
			   size_t size);
static const char *auth_enter(struct check_run *cr, const struct check_def *d, char *buf,
			      size_t size);
static void auth_leave(struct check_run *cr, const struct check_def *d, enum check_result *res,
		       char *why, size_t size);
static void data_run(struct check_run *cr, const struct check_def *d);

/* the reasons a check is skipped, first match wins (check/runner.h) */
static const struct check_need auth_needs[] = {
	{ AUTH_NEED_HANDSHAKE, "the handshake does not complete", NULL, "AUTH-HANDSHAKE-001",
	  "the handshake" },
	{ AUTH_NEED_ACCOUNT | AUTH_NEED_PLAIN, "needs --user/--password and PLAIN", NULL, NULL,
	  "--user/--password and PLAIN" },
	{ AUTH_NEED_PASSWORD | AUTH_NEED_PLAIN, "needs --user/--password and PLAIN", NULL, NULL,
	  "--password and PLAIN" },
	{ AUTH_NEED_ACCOUNT, "needs --user and --password", NULL, NULL, "--user/--password" },
	{ AUTH_NEED_PLAIN, "needs PLAIN", NULL, NULL, "PLAIN offered" },
	{ AUTH_NEED_MECH, "no usable mechanism", NULL, "AUTH-HANDSHAKE-004", "a usable mechanism" },
	{ AUTH_NEED_RUNNABLE, "no advertised mechanism that fake-smtpd can run", NULL, NULL,
	  "a mechanism fake-smtpd runs" },
	{ AUTH_NEED_LOGIN, "needs PLAIN to log in with the account", NULL, "AUTH-MECH-001",
	  "PLAIN logs in" },
	{ AUTH_NEED_NORESP, "needs AUTH PLAIN without an initial response to get a challenge",
	  NULL, "AUTH-MECH-003", "PLAIN alone gets a challenge" },
	{ AUTH_NEED_OFFERED, NULL, offered, NULL, "the mechanisms its tags name offered" },
};

static const struct check_suite auth_suite = {
	auth_needs, N_ELEMENTS(auth_needs), auth_enter, auth_leave,
};

/* check_auth_list - the C-coded checks' --list lines */
void check_auth_list(FILE *out)
{
	check_list(out, auth_checks, N_ELEMENTS(auth_checks));
}

/* auth_row - the table's row of a check */
static const struct check_def *auth_row(const char *id)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(auth_checks); i++)
		if (strcmp(auth_checks[i].ci.id, id) == 0)
			return &auth_checks[i];
	msg_panic("auth_row: no check %s", id);
}

/* --- before and after each check ----------------------------------------------- */

/* auth_enter - after a death of the service, nothing more can run */
static const char *auth_enter(struct check_run *cr, const struct check_def *d, char *buf,
			      size_t size)
{
	struct cx *x = cr->ctx;

	(void)d;
	if (!x->life.gone)
		return NULL;
	snprintf(buf, size, "not run, the service died there");
	cr->block_by = x->life.gone_id;
	return buf;
}

/* auth_probe - a connection ended during the check: is the daemon still there */
static void auth_probe(struct cx *x)
{
	struct pf_auth_handshake h;
	struct timespec ts = { 0, 100 * 1000000L };
	int i;

	report_note(x->r, "a connection ended during this check: is the service still there?");
	x->probing = 1;
	for (i = 0; i < 3; i++) {
		struct tconn c;
		int done;

		if (i > 0)
			nanosleep(&ts, NULL);
		if (auth_open(x, &c) < 0)
			break;		/* the service is gone (auth_open said so) */
		done = auth_handshake(x, &c, &h, NULL, 0, NULL) == 1;
		auth_close(x, &c);
		if (done) {
			report_note(x->r, "it is: a new connection completes the handshake");
			x->probing = 0;
			return;
		}
	}
	if (!x->life.gone)
		death_gone(&x->life, x->r->cur ? x->r->cur->id : "?");
	x->probing = 0;
}

/* auth_leave - a death during the check is its finding */
static void auth_leave(struct check_run *cr, const struct check_def *d, enum check_result *res,
		       char *why, size_t size)
{
	struct cx *x = cr->ctx;
	struct pf_auth_verdict v;
	char cons[2000];

	if (d->run == data_run)
		death_replayed(&x->life, *res, why);	/* the replay's own connections */
	if (death_probe_due(&x->life))
		auth_probe(x);
	pf_auth_io_failure(&x->o->version, &v);
	snprintf(cons, sizeof(cons), "%s; %s%s", v.smtp, v.note, x->life.gone ?
		 "; and so for every AUTH until the helper is back" : "");
	if (death_verdict(&x->life, x->r, d->ci.id, cons, res, why, size))
		cr->block_by = x->life.first_id;
	death_begin(&x->life);
}

/* --- the data checks ---------------------------------------------------------- */

/* offered - every SASL mechanism the check's tags name is offered, or why not */
static const char *offered(struct check_run *cr, const struct check_def *d, char *buf,
			   size_t size)
{
	const struct cx *x = cr->ctx;
	const char *p = d->tags;

	while (p != NULL && *p) {
		const struct sasl_mech_info *mi;
		const char *t;
		size_t n, k;

		p = check_tag_next(p, &t, &n);
		if (n == 0 || (mi = sasl_mech_by_name(t, n)) == NULL)
			continue;
		for (k = 0; k < x->nnames; k++)
			if (strcasecmp(x->names[k], mi->name) == 0)
				break;
		if (k == x->nnames) {
			snprintf(buf, size, "the helper does not offer %s (after Postfix's "
				 "noanonymous filter)", mi->name);
			return buf;
		}
		if ((d->needs & AUTH_NEED_ACCOUNT) && (x->login_failed & (1u << mi->mech))) {
			snprintf(buf, size, "needs %s to log in with the account", mi->name);
			cr->block_by = "AUTH-MECH-001";
			return buf;
		}
	}
	return NULL;
}

/* data_needs - what a data check needs, from its tags */
static unsigned data_needs(const char *tags)
{
	unsigned needs = AUTH_NEED_HANDSHAKE;
	const char *p = tags;

	while (p != NULL && *p) {
		const char *t;
		size_t n;

		p = check_tag_next(p, &t, &n);
		if (n == 7 && strncasecmp(t, "account", 7) == 0)
			needs |= AUTH_NEED_ACCOUNT;
		else if (n == 6 && strncasecmp(t, "noresp", 6) == 0)
			needs |= AUTH_NEED_NORESP;
		else if (n > 0 && sasl_mech_by_name(t, n) != NULL)
			needs |= AUTH_NEED_OFFERED;
	}
	return needs;
}

/* check_auth_list_needs - what each check needs and when it counts as exercised */
void check_auth_list_needs(FILE *out, const struct catalogue *cat)
{
	size_t i;

	check_list_needs(out, &auth_suite, auth_checks, N_ELEMENTS(auth_checks), NULL);
	for (i = 0; i < cat->n; i++) {
		struct check_def d;

		catalogue_def(cat->v[i], &d);
		d.needs = data_needs(d.tags);
		if (check_match("escaping", "", d.tags))
			d.exercised = "the transcript ran through, and a reply carried the user name back";
		check_list_needs(out, &auth_suite, &d, 1, "the transcript ran through");
	}
}

/* log_finding - what Postfix loses that the transcript cannot see, or NULL */
static const char *log_finding(const char *log)
{
	const char *l = log;

	if (strstr(log, "the server signature was never checked") != NULL)
		return "SCRAM reached OK without the server-final CONT round: Postfix never sends "
		       "final-resp-ok, so v=... must come as CONT, then an empty response, then OK";
	while (l != NULL && *l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *s = memchr(l, 'S', n);

		if (s != NULL && (size_t)(l + n - s) > 6 && strncmp(s, "S: OK\\t", 7) == 0) {
			const char *f;

			for (f = s; f + 7 <= l + n; f++)
				if (strncmp(f, "\\tresp=", 7) == 0)
					return "an OK reply carries resp=: Postfix never sends final-resp-ok "
					       "and drops that data; send it as CONT and wait for the "
					       "empty response";
		}
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* data_run - one data check: its transcript replayed, and what Postfix loses beyond it */
static void data_run(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const struct catalogue_entry *e = d->arg;
	struct replay_options ro;
	enum check_result res;
	char why[1200];
	const char *finding;

	catalogue_replay_options(&ro, x->o->target, &x->o->version, x->o->time_scale,
				 x->o->stderr_apart, &x->vars);
	res = catalogue_replay(e, &ro, x->r, why, sizeof(why));
	if (res == CHECK_PASS && (finding = log_finding(xbuf_cstr(&x->r->log))) != NULL) {
		res = CHECK_FAIL;
		snprintf(why, sizeof(why), "%s", finding);
	}
	if (res == CHECK_PASS && check_match("escaping", "", d->tags) &&
	    !auth_log_user_back(xbuf_cstr(&x->r->log))) {
		/* a FAIL without user= matches, but shows no escaping */
		res = CHECK_UNEXERCISED;
		snprintf(why, sizeof(why), "no reply carried the user name back (no user= in the "
			 "FAIL), so its escaping was not seen");
	}
	if (res == CHECK_FAIL && e->m.fix[0]) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, ". Fix: %s", e->m.fix);
	}
	check_end(x->cr, res, "%s", why);
}

/* data_checks - the catalogue's transcripts, in its order: -D, then user and password */
static void data_checks(struct cx *x, struct check_run *cr)
{
	const struct catalogue *c = x->o->catalogue;
	const struct tvars *def = x->o->defines;
	struct check_def *defs;
	size_t i, k;

	if (c == NULL)
		return;
	tvars_init(&x->vars);
	for (k = 0; def != NULL && k < def->n; k++)
		(void)!tvars_set(&x->vars, def->v[k].name, def->v[k].value, def->v[k].len);
	if (x->o->user != NULL && tvars_get(&x->vars, "user") == NULL)
		(void)!tvars_set(&x->vars, "user", x->o->user, strlen(x->o->user));
	if (x->o->password != NULL && tvars_get(&x->vars, "password") == NULL)
		(void)!tvars_set(&x->vars, "password", x->o->password, strlen(x->o->password));
	defs = xcalloc(c->n ? c->n : 1, sizeof(*defs));
	for (i = 0; i < c->n; i++) {
		catalogue_def(c->v[i], &defs[i]);
		defs[i].needs = data_needs(defs[i].tags);
		defs[i].run = data_run;
	}
	check_run_walk(cr, defs, c->n, CHECK_STAGES_ALL);
	free(defs);
	tvars_free(&x->vars);
}

/* --- the run ------------------------------------------------------------------ */

/*
 * first_handshake - the run's first connection: the handshake (its lines,
 * order and timing kept, its wire log the first log of CHECK_STAGE_FIRST),
 * and, for AUTH-HANDSHAKE-005, a short read after DONE. -1: no connection.
 */
static int first_handshake(struct cx *x, struct check_run *cr, char **log_r)
{
	struct tconn c;

	report_begin(x->r, &auth_checks[0].ci);
	if (auth_open(x, &c) < 0)
		return -1;
	xbuf_init(&x->hs_lines, 1024 * 1024);
	x->hs_capture = &x->hs_lines;
	x->hs_rc = auth_handshake(x, &c, &x->hs, x->order, sizeof(x->order), &x->hs_cr);
	x->hs_capture = NULL;
	*log_r = xstrdup(xbuf_cstr(&x->r->log));
	cr->first_log = *log_r;
	x->after_rc = -9;
	if (x->hs_rc == 1 && (check_selected(cr, auth_row("AUTH-HANDSHAKE-005")) ||
			      (x->o->user != NULL && x->o->password != NULL))) {
		const char *line;
		size_t len = linebuf_pending(&c.lb);

		/* a whole line already read with DONE: Postfix's stream drops it */
		x->after_same_read = len > 0 && memchr(linebuf_pending_data(&c.lb), '\n', len) != NULL;
		/* a helper's own pace, not Postfix's timeout: not scaled below 500 ms */
		x->after_rc = tconn_read_line(&c, x->timeout_ms / 20 + 50 > 500 ?
					      x->timeout_ms / 20 + 50 : 500, &line, &len);
		if (x->after_rc == 1) {
			x->after_len = len < sizeof(x->after) ? len : sizeof(x->after);
			memcpy(x->after, line, x->after_len);
		}
	}
	auth_close(x, &c);
	return 0;
}

/* mechanisms - what the handshake offers the checks, and the needs that hold */
static void mechanisms(struct cx *x, struct check_run *cr)
{
	size_t i;

	x->nnames = pf_auth_filter(&x->hs, 0, DVAUTH_MECH_ANONYMOUS, x->names, PF_AUTH_MAX_MECHS);
	/* a mechanism for the probes that need any answer, not a login */
	for (i = 0; i < x->nnames && x->probe_mech == NULL; i++)
		if (strcasecmp(x->names[i], "PLAIN") == 0)
			x->probe_mech = x->names[i];
	if (x->probe_mech == NULL && x->nnames > 0)
		x->probe_mech = x->names[0];
	for (i = 0; i < x->nnames; i++) {
		const struct sasl_mech_info *mi = sasl_mech_by_name(x->names[i], strlen(x->names[i]));

		if (mi && mi->mech != SASL_MECH_ANONYMOUS && mi->mech != SASL_MECH_EXTERNAL &&
		    x->nrun < SASL_MECH_COUNT) {
			x->runnable[x->nrun] = mi->mech;
			x->runnable_names[x->nrun++] = x->names[i];
			if (mi->mech == SASL_MECH_PLAIN)
				cr->have |= AUTH_NEED_PLAIN | AUTH_NEED_NORESP | AUTH_NEED_LOGIN;
		}
	}
	if (x->hs_rc == 1)
		cr->have |= AUTH_NEED_HANDSHAKE;
	if (x->o->password != NULL)
		cr->have |= AUTH_NEED_PASSWORD;
	if (x->o->user != NULL && x->o->password != NULL)
		cr->have |= AUTH_NEED_ACCOUNT;
	if (x->probe_mech != NULL)
		cr->have |= AUTH_NEED_MECH;
	if (x->nrun > 0)
		cr->have |= AUTH_NEED_RUNNABLE;
}

/*
 * account_precheck - with --user/--password, the account must log in with
 * the first mechanism offered that fake-smtpd runs before anything else is
 * judged: the helper's FAIL stops the run (-1, msg_error() shows the
 * reply), since every check that logs in would fail for the account, not
 * for the helper. Any other answer (none, a death, an OK that Postfix
 * reads as 535) is left to the checks; so is a FAIL when the helper sent
 * a line after DONE unasked (AUTH-HANDSHAKE-005) or a second reply came
 * within 500 ms: the FAIL may be a line the helper sent unasked.
 */
static int account_precheck(struct cx *x)
{
	char shown[700];
	enum pf_auth_outcome oc;
	struct pf_auth_verdict v;
	struct tconn c;
	const char *line;
	size_t len;
	int failed, second = 0;

	if (x->o->user == NULL || x->o->password == NULL || x->hs_rc != 1 || x->nrun == 0)
		return 0;
	x->last_reply_len = 0;
	if (auth_fresh(x, &c) < 0) {
		death_begin(&x->life);
		return 0;
	}
	auth_exchange(x, &c, x->runnable_names[0], x->runnable[0], x->o->user, x->o->password,
		      ++x->next_id, &v, NULL);
	oc = v.outcome;
	/* the helper itself said FAIL (an OK Postfix reads as 535 is a finding) */
	failed = oc == PF_AUTH_FAIL && x->last_reply_len >= 5 &&
		 memcmp(x->last_reply, "FAIL\t", 5) == 0;
	if (failed && !c.eof && c.fd >= 0 && tconn_read_line(&c, 500, &line, &len) == 1)
		second = 1;
	auth_close(x, &c);
	death_begin(&x->life);	/* what the checks find is theirs */
	if (!failed)
		return 0;
	if (x->after_rc == 1 || second) {
		escape_for_log(shown, sizeof(shown), x->last_reply, x->last_reply_len);
		msg_warn("the account's login got \"%s\", but the helper also sent %s: that FAIL may "
			 "be a line it sent unasked; the checks run", shown, second ?
			 "a second reply to the same request" : "a line after DONE before any request");
		return 0;
	}
	escape_for_log(shown, sizeof(shown), x->last_reply, x->last_reply_len);
	msg_error("the account does not log in: %s with user %s and the given password got \"%s\" "
		  "(Postfix: 535); check --user/--password", x->runnable_names[0], x->o->user, shown);
	return -1;
}

/* selection - every element of --only/--skip names a check of the run; -1 said why */
static int selection(const struct check_auth_options *o)
{
	const struct catalogue *c = o->catalogue;
	size_t n = N_ELEMENTS(auth_checks), nc = c != NULL ? c->n : 0, i;
	struct check_def *all = xcalloc(n + nc, sizeof(*all));
	char why[300];
	const char *err;

	memcpy(all, auth_checks, sizeof(auth_checks));
	for (i = 0; i < nc; i++)
		catalogue_def(c->v[i], &all[n + i]);
	err = check_selection_error(o->only, o->skip, all, n + nc, why, sizeof(why));
	free(all);
	if (err != NULL)
		msg_error("%s", err);
	return err != NULL ? -1 : 0;
}

/* check_auth_run - every selected check, then the data checks */
int check_auth_run(const struct check_auth_options *o, struct report *r)
{
	const size_t n = N_ELEMENTS(auth_checks);
	struct check_run cr;
	struct cx x;
	char *log = NULL;
	int rc = 0;

	if (selection(o) < 0)
		return -1;
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.r = r;
	x.timeout_ms = (int)(PF_AUTH_TIMEOUT_MS * (o->time_scale > 0 ? o->time_scale : 1.0));
	if (x.timeout_ms < 50)
		x.timeout_ms = 50;
	death_init(&x.life, o->target);
	check_run_init(&cr, &auth_suite, r, o->only, o->skip, &x);
	cr.book = o->book;
	x.cr = &cr;
	if (first_handshake(&x, &cr, &log) < 0) {
		msg_error("%s", x.fatal_why);
		return -1;
	}
	mechanisms(&x, &cr);
	if (account_precheck(&x) < 0) {
		rc = -1;
		goto out;
	}
	check_run_walk(&cr, auth_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_FIRST));
	if (x.hs_rc == 1) {
		check_run_walk(&cr, auth_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_MAIN));
		check_run_walk(&cr, auth_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_PROBE));
		check_run_walk(&cr, auth_checks, n, CHECK_STAGE_BIT(CHECK_STAGE_RUN));
	} else {
		/* nothing else runs without a handshake: the skips in --list order */
		check_run_walk(&cr, auth_checks, n, CHECK_STAGES_ALL &
			       ~CHECK_STAGE_BIT(CHECK_STAGE_FIRST));
	}
	if (!x.fatal)
		data_checks(&x, &cr);
	if (x.fatal) {
		msg_error("%s", x.fatal_why);
		rc = -1;
	}
out:
	free(log);
	xbuf_free(&x.hs_lines);
	check_run_free(&cr);
	return rc;
}
