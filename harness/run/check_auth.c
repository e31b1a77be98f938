/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check_auth - conformance checks for a Dovecot-protocol auth helper
 * SYNOPSIS
 *	#include "harness/run/check_auth.h"
 * DESCRIPTION
 *	See check_auth.h. Each check opens its own connection(s) so that one
 *	broken exchange cannot spoil the next, except where a check is about
 *	a reused connection. Request ids come from one counter for the whole
 *	run, as in one smtpd process.
 *
 *	Order of the run: the first handshake (AUTH-HANDSHAKE-001..009 are
 *	judged from its lines and timing, kept in cx.hs_capture), the
 *	handshake probes on their own connections (010, 011), the mechanism
 *	and request checks, the multi-exchange probes (AUTH-REQ-006..009,
 *	AUTH-LAT-002), then the reply checks AUTH-REP-003..013 over what the
 *	run has read (struct obs: the first line of each kind, with the line
 *	sent before it; AUTH-REP-008 runs its own two exchanges, in its place
 *	between 007 and 009), then
 *	AUTH-LAT-001 and the data checks. Bulk probes (AUTH-REQ-007) set
 *	cx.quiet so that the report keeps the first lines only; every line
 *	is still judged.
 * DIAGNOSTICS
 *	Target problems (cannot connect, helper cannot start) end the run
 *	with -1; everything the helper does wrong is a failed check.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/postfix/pf_sasl.h"
#include "harness/run/check_auth.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "util/escape.h"
#include "util/strnum.h"
#include "util/xmem.h"

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
#define MAX_CHECKS	64

struct cx {
	const struct check_auth_options *o;
	struct report *r;
	unsigned next_id;
	int timeout_ms;
	int fatal;
	char fatal_why[700];
	/* what the first handshake showed */
	struct pf_auth_handshake hs;
	int hs_rc;
	char *hslog;		/* wire log of the first handshake */
	struct xbuf *hs_capture;	/* handshake lines, each ended by LF */
	long long hs_ms;	/* connect to DONE */
	long long hs_gap_ms;	/* the longest wait for one handshake line */
	unsigned char ran[MAX_CHECKS];
	int quiet;		/* keep the wire out of the report (bulk probes) */
	/* every reply of the run, judged at the end (AUTH-REP-*) */
	char last_sent[400];
	size_t last_sent_len;
	char last_reply[1024];	/* the line Postfix took as the last answer */
	size_t last_reply_len;
	struct obs obs[OBS_BITS + 1];
	unsigned n_lines, n_ok, n_cont, n_fail, n_waits;
};

static const struct check_info checks[] = {
	{ "AUTH-HANDSHAKE-001", "handshake completes as Postfix reads it", SEV_BREAKS_POSTFIX,
	  "Postfix reads VERSION/MECH/SPID/DONE; on failure smtpd exits with \"no SASL "
	  "authentication mechanisms\" and the SMTP client sees the connection drop" },
	{ "AUTH-HANDSHAKE-002", "MECH lines come before SPID", SEV_BREAKS_POSTFIX,
	  "Postfix >= 3.0 takes SPID before any MECH for the auth-master socket and refuses "
	  "it (the documented order SPID, CUID, COOKIE, MECH is wrong)" },
	{ "AUTH-HANDSHAKE-003", "lines end in LF, not CRLF", SEV_BREAKS_POSTFIX,
	  "Postfix keeps a CR as data: DONE\\r never ends the handshake, user=bob\\r becomes bob?" },
	{ "AUTH-HANDSHAKE-004", "a mechanism remains after smtpd_sasl_security_options = noanonymous",
	  SEV_BREAKS_POSTFIX, "with an empty list smtpd exits: no SASL authentication mechanisms" },
	{ "AUTH-HANDSHAKE-005", "nothing is sent after DONE", SEV_ADVISORY,
	  "Postfix reads stray lines later as replies: an unsolicited OK for id 1 would be taken "
	  "as the answer to request 1" },
	{ "AUTH-HANDSHAKE-006", "DONE arrives well within Postfix's 10 s read timeout", SEV_ADVISORY,
	  "smtpd runs the handshake at the start of an SMTP session, before it answers EHLO; "
	  "Postfix waits up to 10 s for each line, and a line later than that ends the handshake: "
	  "smtpd exits with \"no SASL authentication mechanisms\" and the client's connection drops" },
	{ "AUTH-HANDSHAKE-007", "VERSION carries two numbers, major 1", SEV_BREAKS_POSTFIX,
	  "Postfix reads VERSION with sscanf(\"%u\\t%u\"): a major other than 1 or words instead "
	  "of numbers fail the handshake (smtpd exits); a bare VERSION without TAB crashes "
	  "Postfix before 3.12-20260710 (NULL pointer read)" },
	{ "AUTH-HANDSHAKE-008", "mechanism flags let smtpd_sasl_security_options filter",
	  SEV_SECURITY, "Postfix drops mechanisms by their MECH flags only: PLAIN without "
	  "'plaintext' survives noplaintext, ANONYMOUS without 'anonymous' survives the default "
	  "noanonymous and is offered to anyone; a list left empty makes smtpd exit" },
	{ "AUTH-HANDSHAKE-009", "MECH names are unique, not empty, without blanks", SEV_ADVISORY,
	  "Postfix keeps every MECH line as it is: duplicates, an empty name or a name with a "
	  "space go into the EHLO AUTH line, where SMTP clients misread the list" },
	{ "AUTH-HANDSHAKE-010", "the handshake completes when VERSION and CPID arrive apart",
	  SEV_ADVISORY, "Postfix writes VERSION and CPID in one write, but a stream socket may "
	  "deliver them in two reads; Dovecot 2.3 sends MECH..DONE at once, 2.4 after the "
	  "client's VERSION: both work with Postfix" },
	{ "AUTH-HANDSHAKE-011", "CPID 0 or not a number: refused or tolerated, never a crash or "
	  "a hang", SEV_ADVISORY, "Dovecot disconnects such a client; a helper that crashes or "
	  "stops answering on odd handshake input is as fragile on what Postfix sends" },
	{ "AUTH-MECH-001", "every advertised mechanism succeeds with the right password",
	  SEV_BREAKS_POSTFIX, "a mechanism that can never succeed is still offered in EHLO" },
	{ "AUTH-MECH-002", "every advertised mechanism fails with a wrong password", SEV_SECURITY,
	  "fail-open: a helper that accepts any password lets anyone relay" },
	{ "AUTH-REQ-001", "mechanism name in lower case is accepted", SEV_BREAKS_POSTFIX,
	  "Postfix passes the mechanism exactly as the SMTP client typed it" },
	{ "AUTH-REQ-002", "request ids that do not start at 1", SEV_BREAKS_POSTFIX,
	  "one id counter lives as long as the smtpd process; after a reconnect ids go on" },
	{ "AUTH-REQ-003", "an abandoned request does not block the next one", SEV_BREAKS_POSTFIX,
	  "Postfix never sends CANCEL: after '*' or a client disconnect the request stays "
	  "pending and the next AUTH uses a new id on the same connection" },
	{ "AUTH-REQ-004", "invalid base64 gets FAIL code=invalid_base64, connection kept",
	  SEV_DIVERGES_DOVECOT, "Postfix checks only the base64 alphabet; Dovecot answers "
	  "FAIL code=invalid_base64 and keeps the connection" },
	{ "AUTH-REQ-005", "Postfix's exact AUTH fields are accepted", SEV_BREAKS_POSTFIX,
	  "Postfix sends service= (not protocol=), bare nologin, lip=/rip= and secured" },
	{ "AUTH-REQ-006", "several pending requests, and a late CONT for an abandoned one",
	  SEV_BREAKS_POSTFIX, "Postfix abandons a request without CANCEL ('*', bad base64, a "
	  "client that leaves) and goes on with new ids; Dovecot keeps the old request 150 s and "
	  "a late CONT for it continues it or gets FAIL \"Authentication request timed out\"" },
	{ "AUTH-REQ-007", "1000 abandoned requests on one connection", SEV_BREAKS_POSTFIX,
	  "one smtpd process serves up to 100 SMTP sessions over one auth connection, each may "
	  "abandon requests; a helper that disconnects, crashes or stops answering turns every "
	  "AUTH of that process into 454 4.7.0" },
	{ "AUTH-REQ-008", "the connection stays open through a multi-step exchange and after it",
	  SEV_BREAKS_POSTFIX, "a helper that closes after a CONT makes Postfix answer 454 4.7.0 "
	  "Temporary authentication failure; Postfix reconnects on the next AUTH (3.11+), older "
	  "Postfix keeps the broken connection and every later AUTH of that smtpd fails" },
	{ "AUTH-REQ-009", "an idle connection still serves an AUTH", SEV_BREAKS_POSTFIX,
	  "Postfix never pings and keeps the connection as long as the smtpd process lives; a "
	  "helper that closes idle connections costs a 454 on inet: (unix: reconnects on EPIPE)" },
	{ "AUTH-REP-001", "a failed password is not reported as a temporary failure", SEV_ADVISORY,
	  "Postfix ignores code=temp_fail and answers 535 5.7.8 (permanent), not 454: a helper "
	  "that means \"try later\" is not heard" },
	{ "AUTH-REP-002", "user names are tab-escaped in replies", SEV_BREAKS_POSTFIX,
	  "a raw TAB or LF in user= splits Postfix's parse of the reply; Dovecot writes \\001t" },
	{ "AUTH-REP-003", "OK carries user=", SEV_BREAKS_POSTFIX,
	  "Postfix turns OK without user= into 535 5.7.8 \"Authentication backend error\"" },
	{ "AUTH-REP-004", "OK carries a non-empty user=", SEV_ADVISORY,
	  "with an empty user= Postfix answers 235, but permit_sasl_authenticated never matches "
	  "and a second AUTH gets 503 5.5.1: the client cannot relay" },
	{ "AUTH-REP-005", "OK carries no nologin, proxy or host=", SEV_SECURITY,
	  "Postfix ignores everything in OK but user=: a helper that means \"authenticated, but "
	  "do not log in here\" GRANTS SMTP AUTH and relaying" },
	{ "AUTH-REP-006", "OK carries no resp= without final-resp-ok", SEV_BREAKS_POSTFIX,
	  "Postfix never sends final-resp-ok and drops resp= from OK: SCRAM's server-final "
	  "(v=...) is lost and the SMTP client cannot verify the server" },
	{ "AUTH-REP-007", "FAIL reasons are short printable ASCII", SEV_ADVISORY,
	  "Postfix shows control, escaped and non-UTF-8 bytes of reason= as '?', and sends a "
	  "long reason uncut, past SMTP's 512-byte reply line" },
	{ "AUTH-REP-008", "the same FAIL for an unknown user and a wrong password", SEV_SECURITY,
	  "Postfix passes reason= to the SMTP client: different answers let anyone find out "
	  "which accounts exist (user enumeration); Dovecot sends no reason for either" },
	{ "AUTH-REP-009", "CONT carries nothing after the challenge", SEV_BREAKS_POSTFIX,
	  "Postfix sends everything after the id, TABs included, as the 334 text" },
	{ "AUTH-REP-010", "CONT carries a data field", SEV_BREAKS_POSTFIX,
	  "CONT<TAB>id with no data: Postfix answers 535 5.7.8 \"Authentication backend error\"" },
	{ "AUTH-REP-011", "reply ids are plain decimal", SEV_DIVERGES_DOVECOT,
	  "Postfix reads ids with strtoul(..., 0): 0x1, 01, ' 1' and 1abc pass (010 is 8); "
	  "Dovecot's own client accepts only the decimal id" },
	{ "AUTH-REP-012", "every request gets OK, CONT or FAIL, not only lines Postfix skips",
	  SEV_BREAKS_POSTFIX, "Postfix skips unknown words (CANCELLED, NOTFOUND, empty lines) and "
	  "other ids; with nothing else it waits 10 s, then answers 454 4.7.0 and disconnects" },
	{ "AUTH-REP-013", "replies end in LF, not CRLF", SEV_BREAKS_POSTFIX,
	  "Postfix keeps a CR as data: user=bob\\r becomes bob?, challenges and reasons carry it" },
	{ "AUTH-LAT-001", "replies arrive well within Postfix's 10 s read timeout",
	  SEV_BREAKS_POSTFIX, "past 10 s Postfix drops the connection and answers 454 4.7.0" },
	{ "AUTH-LAT-002", "repeated failures from one rip are answered within 10 s",
	  SEV_BREAKS_POSTFIX, "Dovecot delays a client IP that keeps failing (penalty 2, 4, 8, "
	  "15 s, plus the 2 s failure delay); past Postfix's 10 s read timeout the answer is "
	  "454 4.7.0 and a disconnect instead of 535" },
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

_Static_assert(NCHECKS <= MAX_CHECKS, "struct cx ran[] is too small for the check table");

/* field_end - the end of the TAB-separated field starting at p */
static const char *field_end(const char *p, const char *end)
{
	const char *tab = memchr(p, '\t', (size_t)(end - p));

	return tab ? tab : end;
}

/* check_auth_reply_flags - what a reply line shows beyond Postfix's verdict */
unsigned check_auth_reply_flags(unsigned id, const char *line, size_t len)
{
	const char *end, *p, *fe, *idp;
	const char *nul = memchr(line, '\0', len);
	unsigned f = 0;
	int ok, cont, fail, have_user = 0, empty_user = 0;
	char canon[16];
	size_t clen;

	if (len > 0 && line[len - 1] == '\r')
		f |= CHECK_AUTH_R_CR;
	if (nul != NULL)
		len = (size_t)(nul - line);	/* Postfix reads C strings */
	end = line + len;
	fe = field_end(line, end);
	clen = (size_t)(fe - line);
	ok = clen == 2 && memcmp(line, "OK", 2) == 0;
	cont = clen == 4 && memcmp(line, "CONT", 4) == 0;
	fail = clen == 4 && memcmp(line, "FAIL", 4) == 0;
	if (!ok && !cont && !fail)
		return f | CHECK_AUTH_R_UNKNOWN_WORD;
	if (fe == end)
		return f;			/* no TAB: "SASL: Protocol error", skipped */
	idp = fe + 1;
	fe = field_end(idp, end);
	if (str_strtoul_loose(idp, (size_t)(fe - idp)) != (unsigned long)id)
		return f;			/* another id: skipped */
	f |= CHECK_AUTH_R_TAKEN |
	     (ok ? CHECK_AUTH_R_IS_OK : cont ? CHECK_AUTH_R_IS_CONT : CHECK_AUTH_R_IS_FAIL);
	snprintf(canon, sizeof(canon), "%u", id);
	if ((size_t)(fe - idp) != strlen(canon) || memcmp(idp, canon, strlen(canon)) != 0)
		f |= CHECK_AUTH_R_ID_NONCANON;
	if (cont) {
		if (fe == end)
			f |= CHECK_AUTH_R_CONT_NO_DATA;
		else if (memchr(fe + 1, '\t', (size_t)(end - fe - 1)) != NULL)
			f |= CHECK_AUTH_R_CONT_EXTRA;
		return f;
	}
	for (p = fe; p < end; p = fe) {
		size_t fl;

		p++;			/* the TAB */
		fe = field_end(p, end);
		fl = (size_t)(fe - p);
		if (ok && fl >= 5 && memcmp(p, "user=", 5) == 0) {
			have_user = 1;	/* the last one wins, as in Postfix */
			empty_user = fl == 5;
		} else if (ok && ((fl == 7 && memcmp(p, "nologin", 7) == 0) ||
				  (fl == 5 && memcmp(p, "proxy", 5) == 0) ||
				  (fl >= 5 && memcmp(p, "host=", 5) == 0))) {
			f |= CHECK_AUTH_R_OK_NOLOGIN;
		} else if (ok && fl >= 5 && memcmp(p, "resp=", 5) == 0) {
			f |= CHECK_AUTH_R_OK_RESP;
		} else if (fail && fl >= 7 && memcmp(p, "reason=", 7) == 0) {
			size_t i, rl = fl - 7;

			/* a CR of a CRLF line end is AUTH-REP-013's business */
			if (fe == end && rl > 0 && p[fl - 1] == '\r')
				rl--;
			for (i = 0; i < rl; i++) {
				unsigned char c = (unsigned char)p[7 + i];

				if (c < 0x20 || c >= 0x7f)
					f |= CHECK_AUTH_R_REASON_ODD;
			}
			/* "535 5.7.8 Error: authentication failed: " is 40 bytes, CRLF 2 */
			if (40 + rl + 2 > 512)
				f |= CHECK_AUTH_R_REASON_LONG;
		}
	}
	if (ok && !have_user)
		f |= CHECK_AUTH_R_OK_NO_USER;
	else if (ok && empty_user)
		f |= CHECK_AUTH_R_OK_EMPTY_USER;
	return f;
}

/* check_auth_fail_shape - a FAIL line without its id and user= fields */
size_t check_auth_fail_shape(const char *line, size_t len, char *buf, size_t size)
{
	const char *end = line + len, *p = line, *fe;
	size_t used = 0, k = 0;

	if (size == 0)
		return 0;
	for (;;) {
		size_t fl;

		fe = field_end(p, end);
		fl = (size_t)(fe - p);
		if (k != 1 && !(k >= 2 && fl >= 5 && memcmp(p, "user=", 5) == 0)) {
			if (used > 0 && used + 1 < size)
				buf[used++] = '\t';
			if (fl > size - 1 - used)
				fl = size - 1 - used;
			memcpy(buf + used, p, fl);
			used += fl;
		}
		k++;
		if (fe == end)
			break;
		p = fe + 1;
	}
	buf[used] = '\0';
	return used;
}

void check_auth_list(FILE *out)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		fprintf(out, "%-18s [%s] %s\n", checks[i].id, report_severity_name(checks[i].severity),
			checks[i].title);
}

/* selected - --only / --skip by id prefix (C-coded checks have no tags) */
static int selected(const struct cx *x, const char *id)
{
	return catalogue_wanted(x->o->only, x->o->skip, id, NULL);
}

static const struct check_info *begin(struct cx *x, const char *id)
{
	size_t i;

	for (i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].id, id) == 0) {
			if (!selected(x, id))
				return NULL;
			report_begin(x->r, &checks[i]);
			x->ran[i] = 1;
			if (x->hslog != NULL && strncmp(id, "AUTH-HANDSHAKE-", 15) == 0 &&
			    xbuf_append_str(&x->r->log, x->hslog) < 0)
				xbuf_reset(&x->r->log);
			return &checks[i];
		}
	return NULL;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* cx_open - connect (or spawn); on failure the run cannot go on */
static int cx_open(struct cx *x, struct tconn *c)
{
	struct tconn_options to = { x->o->stderr_apart, x->timeout_ms };
	char err[600];

	if (tconn_open(x->o->target, &to, c, err, sizeof(err)) < 0) {
		x->fatal = 1;
		snprintf(x->fatal_why, sizeof(x->fatal_why), "%s", err);
		return -1;
	}
	return 0;
}

/* cx_close - close and report what a spawned helper did */
static void cx_close(struct cx *x, struct tconn *c)
{
	tconn_close(c);
	if (c->pid > 0 && WIFSIGNALED(c->exit_status))
		report_note(x->r, "the helper process was %s", tconn_exit_text(c));
	if (c->err.len > 0) {
		report_note(x->r, "the helper wrote to stderr (kept apart):");
		report_io(x->r, 'E', c->err.data, c->err.len > 2000 ? 2000 : c->err.len);
	}
	xbuf_free(&c->err);
}

/* send_line - write and log */
static int send_line(struct cx *x, struct tconn *c, const char *p, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++)
		if (p[i] == '\n') {
			size_t n = i - start;

			if (!x->quiet)
				report_io(x->r, 'C', p + start, n);
			if (n > sizeof(x->last_sent))
				n = sizeof(x->last_sent);
			memcpy(x->last_sent, p + start, n);
			x->last_sent_len = n;
			start = i + 1;
		}
	if (tconn_write(c, p, len, x->timeout_ms) < 0) {
		report_note(x->r, "write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* wire - a line read, into the report unless the probe is a bulk one */
static void wire(struct cx *x, char dir, const char *p, size_t len)
{
	if (!x->quiet)
		report_io(x->r, dir, p, len);
}

/* obs_keep - remember the first reply of one kind, with what was sent before it */
static void obs_keep(struct cx *x, struct obs *o, const char *line, size_t len,
		     const struct pf_auth_verdict *v)
{
	if (o->count++ > 0)
		return;
	snprintf(o->check, sizeof(o->check), "%s", x->r->cur ? x->r->cur->id : "the handshake");
	memcpy(o->sent, x->last_sent, x->last_sent_len);
	o->sent_len = x->last_sent_len;
	o->got_len = len < sizeof(o->got) ? len : sizeof(o->got);
	memcpy(o->got, line, o->got_len);
	if (v != NULL) {
		escape_for_log(o->smtp, sizeof(o->smtp), v->smtp, strlen(v->smtp));
		snprintf(o->note, sizeof(o->note), "%s", v->note);
	}
}

/* observe - one reply line while request id is in flight */
static void observe(struct cx *x, unsigned id, const char *line, size_t len,
		    const struct pf_auth_verdict *v)
{
	unsigned f = check_auth_reply_flags(id, line, len);
	unsigned b;

	x->n_lines++;
	x->n_ok += (f & CHECK_AUTH_R_IS_OK) != 0;
	x->n_cont += (f & CHECK_AUTH_R_IS_CONT) != 0;
	x->n_fail += (f & CHECK_AUTH_R_IS_FAIL) != 0;
	for (b = 0; b < OBS_BITS; b++)
		if (f & (1u << b))
			obs_keep(x, &x->obs[b], line, len, v);
	if (f & CHECK_AUTH_R_TAKEN) {
		x->last_reply_len = len < sizeof(x->last_reply) ? len : sizeof(x->last_reply);
		memcpy(x->last_reply, line, x->last_reply_len);
	}
}

/* stalled - a wait that saw only skipped lines, then the timeout */
static void stalled(struct cx *x, const char *line, size_t len)
{
	struct pf_auth_verdict v;

	pf_auth_io_failure(&x->o->version, &v);
	obs_keep(x, &x->obs[OBS_STALL], line, len, &v);
}

/*
 * await_reply - read until Postfix takes a line as the answer to id (or
 * the timeout, EOF); every line is observed. Returns the read code of the
 * last read (1 a line was taken).
 */
static int await_reply(struct cx *x, struct tconn *c, unsigned id, struct pf_auth_verdict *v,
		       long long *ms_r)
{
	long long t0 = ms_now();
	char skipped[300];
	size_t nskipped = 0;
	int rc;

	x->n_waits++;
	for (;;) {
		const char *l;
		size_t len;

		rc = tconn_read_line(c, x->timeout_ms, &l, &len);
		if (rc != 1) {
			if (!x->quiet)
				report_note(x->r, "%s", rc == 0 ? "no reply within the timeout" :
					    rc == -2 ? "reply line too long" :
					    "the helper closed the connection");
			if (rc == 0 && nskipped > 0)
				stalled(x, skipped, nskipped);
			pf_auth_io_failure(&x->o->version, v);
			break;
		}
		wire(x, 'S', l, len);
		pf_auth_judge(&x->o->version, id, l, len, v);
		observe(x, id, l, len, v);
		if (v->outcome != PF_AUTH_SKIP)
			break;
		if (nskipped == 0) {
			nskipped = len < sizeof(skipped) ? len : sizeof(skipped);
			memcpy(skipped, l, nskipped);
		}
	}
	if (ms_r)
		*ms_r = ms_now() - t0;
	return rc;
}

/* handshake - Postfix's side; returns pf_auth_handshake_line's final code, or -3 on I/O */
static int handshake(struct cx *x, struct tconn *c, struct pf_auth_handshake *h, char *order,
		     size_t order_size, int *cr_seen)
{
	char hello[64];
	int n = snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%ld\n", (long)getpid());
	size_t used = 0;

	long long t0 = ms_now(), tl = t0;

	pf_auth_handshake_init(h, &x->o->version);
	if (order_size)
		order[0] = '\0';
	if (send_line(x, c, hello, (size_t)n) < 0)
		return -3;
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(c, x->timeout_ms, &line, &len);
		long long now = ms_now();

		if (x->hs_capture != NULL) {
			if (now - tl > x->hs_gap_ms)
				x->hs_gap_ms = now - tl;
			tl = now;
			x->hs_ms = now - t0;
			if (rc == 1 && (xbuf_append(x->hs_capture, line, len) < 0 ||
					xbuf_append_char(x->hs_capture, '\n') < 0))
				xbuf_reset(x->hs_capture);
		}

		if (rc == 0) {
			report_note(x->r, "no DONE within %d ms: Postfix's 10 s read timeout ends the "
				    "handshake", x->timeout_ms);
			return -3;
		}
		if (rc == -2) {
			report_note(x->r, "a handshake line longer than %d bytes", TCONN_MAX_LINE);
			return -3;
		}
		if (rc < 0) {
			report_note(x->r, "the helper closed the connection during the handshake");
			return -3;
		}
		report_io(x->r, 'S', line, len);
		if (len > 0 && line[len - 1] == '\r' && cr_seen)
			*cr_seen = 1;
		if (order_size && used + 2 < order_size) {
			if (len >= 4 && memcmp(line, "MECH", 4) == 0)
				order[used++] = 'M';
			else if (len >= 4 && memcmp(line, "SPID", 4) == 0)
				order[used++] = 'S';
			order[used] = '\0';
		}
		rc = pf_auth_handshake_line(h, line, len);
		if (rc != 0)
			return rc;
	}
}

/* exchange - one AUTH as Postfix runs it; fills the final verdict */
static void exchange(struct cx *x, struct tconn *c, const char *mech_typed, enum sasl_mech mech,
		     const char *user, const char *password, unsigned id,
		     struct pf_auth_verdict *v, long long *max_latency)
{
	struct sasl_client_params cp = { user, NULL, password, "trace", NULL };
	struct sasl_client *cl = sasl_client_create(mech, &cp);
	struct xbuf msg, b64, line;
	int rc;
	char skipped[300];
	size_t skipped_len = 0;

	xbuf_init(&msg, SASL_MAX_MESSAGE);
	xbuf_init(&b64, 2 * SASL_MAX_MESSAGE);
	xbuf_init(&line, 4 * SASL_MAX_MESSAGE);
	memset(v, 0, sizeof(*v));
	rc = cl ? sasl_client_initial(cl, &msg) : -1;
	if (rc < 0 || (rc == 1 && base64_encode(msg.data, msg.len, &b64) < 0) ||
	    pf_auth_request(&line, id, mech_typed, "smtp", "127.0.0.1", "127.0.0.1", 0,
			    rc == 1 ? (b64.len ? xbuf_cstr(&b64) : "=") : NULL) < 0 ||
	    send_line(x, c, line.data, line.len) < 0) {
		pf_auth_io_failure(&x->o->version, v);
		goto out;
	}
	x->n_waits++;
	for (;;) {
		const char *l;
		size_t len;
		long long t0 = ms_now();
		int r = tconn_read_line(c, x->timeout_ms, &l, &len);
		long long dt = ms_now() - t0;

		if (max_latency && dt > *max_latency)
			*max_latency = dt;
		if (r <= 0 || r == -2) {
			report_note(x->r, "%s", r == 0 ? "no reply within the timeout" :
				    r == -2 ? "reply line too long" : "the helper closed the connection");
			if (r == 0 && skipped_len > 0)
				stalled(x, skipped, skipped_len);
			pf_auth_io_failure(&x->o->version, v);
			report_note(x->r, "Postfix would answer: %s (%s)", v->smtp, v->note);
			goto out;
		}
		report_io(x->r, 'S', l, len);
		pf_auth_judge(&x->o->version, id, l, len, v);
		observe(x, id, l, len, v);
		if (v->note[0])
			report_note(x->r, "%s", v->note);
		if (v->outcome == PF_AUTH_SKIP) {
			if (skipped_len == 0) {
				skipped_len = len < sizeof(skipped) ? len : sizeof(skipped);
				memcpy(skipped, l, skipped_len);
			}
			continue;
		}
		skipped_len = 0;
		{
			char shown[400];

			report_note(x->r, "Postfix would answer: %s",
				    escape_for_log(shown, sizeof(shown), v->smtp, strlen(v->smtp)));
		}
		if (v->outcome != PF_AUTH_MORE)
			goto out;
		/* the SMTP client answers the 334 challenge */
		{
			const char *text = v->smtp + 4;
			const char *err;

			xbuf_reset(&msg);
			xbuf_reset(&b64);
			xbuf_reset(&line);
			if (base64_decode(text, strlen(text), 0, &msg, &err) < 0) {
				report_note(x->r, "the 334 challenge is not valid base64 (%s): the SMTP "
					    "client gives up with '*' (Postfix: 501 5.7.0)", err);
				v->outcome = PF_AUTH_FAIL;
				snprintf(v->smtp, sizeof(v->smtp), "501 5.7.0 Authentication aborted");
				goto out;
			}
			if (sasl_client_step(cl, msg.data ? msg.data : "", msg.len, &b64, &err) < 0) {
				report_note(x->r, "the SMTP client cannot answer the challenge: %s", err);
				v->outcome = PF_AUTH_FAIL;
				snprintf(v->smtp, sizeof(v->smtp), "501 5.7.0 Authentication aborted");
				goto out;
			}
			xbuf_reset(&msg);
			if (base64_encode(b64.data, b64.len, &msg) < 0 ||
			    xbuf_printf(&line, "CONT\t%u\t%s\n", id, xbuf_cstr(&msg)) < 0 ||
			    send_line(x, c, line.data, line.len) < 0) {
				pf_auth_io_failure(&x->o->version, v);
				goto out;
			}
		}
	}
out:
	sasl_client_destroy(&cl);
	xbuf_free_wipe(&msg);
	xbuf_free_wipe(&b64);
	xbuf_free_wipe(&line);
}

/* fresh - a new connection with a completed handshake, or -1 */
static int fresh(struct cx *x, struct tconn *c)
{
	struct pf_auth_handshake h;

	if (cx_open(x, c) < 0)
		return -1;
	if (handshake(x, c, &h, NULL, 0, NULL) != 1) {
		report_note(x->r, "the handshake did not complete");
		cx_close(x, c);
		return -1;
	}
	return 0;
}

static const char *wrong_password(const char *pw, char *buf, size_t size)
{
	snprintf(buf, size, "%s-wrong", pw);
	return buf;
}

/* run_mech - right or wrong password through one mechanism; returns the outcome */
static enum pf_auth_outcome run_mech(struct cx *x, const char *typed, enum sasl_mech m, int right,
				     long long *lat)
{
	struct tconn c;
	struct pf_auth_verdict v;
	char wrong[300];

	if (fresh(x, &c) < 0)
		return PF_AUTH_TEMP;
	exchange(x, &c, typed, m, x->o->user,
		 right ? x->o->password : wrong_password(x->o->password, wrong, sizeof(wrong)),
		 ++x->next_id, &v, lat);
	cx_close(x, &c);
	return v.outcome;
}

/* --- helpers of the multi-exchange probes --------------------------------- */

/* plain_b64 - base64 of PLAIN's "\0user\0password" */
static int plain_b64(const char *user, const char *password, struct xbuf *out)
{
	struct xbuf b;
	int rc;

	xbuf_init(&b, 4096);
	rc = xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, user) == 0 &&
	     xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, password) == 0 &&
	     base64_encode(b.data, b.len, out) == 0 ? 0 : -1;
	xbuf_free_wipe(&b);
	return rc;
}

/* send_auth - Postfix's AUTH line (resp NULL: no initial response) */
static int send_auth(struct cx *x, struct tconn *c, unsigned id, const char *mech,
		     const char *rip, const char *resp)
{
	struct xbuf l;
	int rc;

	xbuf_init(&l, 16384);
	rc = pf_auth_request(&l, id, mech, "smtp", "127.0.0.1", rip, 0, resp) < 0 ? -1 :
	     send_line(x, c, l.data, l.len);
	xbuf_free_wipe(&l);
	return rc;
}

/* send_cont - CONT id data */
static int send_cont(struct cx *x, struct tconn *c, unsigned id, const char *data)
{
	struct xbuf l;
	int rc;

	xbuf_init(&l, 16384);
	rc = pf_auth_cont(&l, id, data) < 0 ? -1 : send_line(x, c, l.data, l.len);
	xbuf_free_wipe(&l);
	return rc;
}

/* say - the verdict's SMTP reply as a printable text */
static const char *say(const struct pf_auth_verdict *v, char *buf, size_t size)
{
	return escape_for_log(buf, size, v->smtp, strlen(v->smtp));
}

/* next_hs_line - iterate over the captured handshake lines */
static int next_hs_line(const struct xbuf *cap, size_t *pos, const char **line, size_t *len)
{
	const char *nl;

	if (cap == NULL || *pos >= cap->len)
		return 0;
	*line = cap->data + *pos;
	nl = memchr(*line, '\n', cap->len - *pos);
	*len = nl ? (size_t)(nl - *line) : cap->len - *pos;
	*pos += *len + 1;
	return 1;
}

/* --- handshake judged from the first connection ------------------------- */

/* judge_hs_time - AUTH-HANDSHAKE-006 */
static void judge_hs_time(struct cx *x)
{
	if (x->hs_rc != 1)
		report_end(x->r, CHECK_SKIP, "the handshake did not complete (AUTH-HANDSHAKE-001)");
	else if (x->hs_ms >= x->timeout_ms)
		report_end(x->r, CHECK_FAIL, "DONE came %lld ms after the connect (the longest wait "
			   "for one line %lld ms); Postfix's limit is %d ms per line (10 s x %.2f): "
			   "a helper this slow is close to making smtpd exit with \"no SASL "
			   "authentication mechanisms\". Send the whole handshake at once, before any "
			   "slow start-up work (database connections, password files)", x->hs_ms,
			   x->hs_gap_ms, x->timeout_ms,
			   x->o->time_scale > 0 ? x->o->time_scale : 1.0);
	else
		report_end(x->r, CHECK_PASS, "DONE after %lld ms", x->hs_ms);
}

/* judge_hs_version - AUTH-HANDSHAKE-007 */
static void judge_hs_version(struct cx *x, const struct xbuf *cap)
{
	size_t pos = 0, len;
	const char *line;
	int seen = 0;

	while (next_hs_line(cap, &pos, &line, &len)) {
		const char *tab, *tab2, *end;
		unsigned major, minor;
		struct pf_auth_handshake h;
		struct pf_version v = x->o->version;
		int rc;

		if (len > 0 && line[len - 1] == '\r')
			len--;		/* AUTH-HANDSHAKE-003 reports the CR */
		if (len < 7 || memcmp(line, "VERSION", 7) != 0 || (len > 7 && line[7] != '\t'))
			continue;
		seen = 1;
		if (len == 7) {
			char vt[64];

			pf_auth_handshake_init(&h, &x->o->version);
			rc = pf_auth_handshake_line(&h, line, len);
			report_io(x->r, 'S', line, len);
			if (pf_version_format(&x->o->version, vt, sizeof(vt)) < 0)
				snprintf(vt, sizeof(vt), "(as chosen)");
			report_note(x->r, "Postfix %s: %s", vt,
				    rc == -2 ? "crashes (NULL pointer read)" : "ignores the line");
			report_end(x->r, CHECK_FAIL, "a bare VERSION line without TAB: every Postfix "
				   "before 3.12-20260710 crashes on it (xsasl_dovecot_server_connect "
				   "reads a NULL pointer); send VERSION<TAB>1<TAB><minor>");
			return;
		}
		end = line + len;
		tab = memchr(line + 8, '\t', len - 8);
		tab2 = tab ? memchr(tab + 1, '\t', (size_t)(end - tab - 1)) : NULL;
		if (tab == NULL || str_to_uint(line + 8, (size_t)(tab - line - 8), &major) < 0 ||
		    str_to_uint(tab + 1, (size_t)((tab2 ? tab2 : end) - tab - 1), &minor) < 0 ||
		    major != 1) {
			pf_auth_handshake_init(&h, &v);
			rc = pf_auth_handshake_line(&h, line, len);
			report_io(x->r, 'S', line, len);
			report_note(x->r, "Postfix: %s", rc == -1 ? h.why :
				    "reads it with sscanf and goes on, by luck of the bytes");
			report_end(x->r, CHECK_FAIL, "VERSION must carry two decimal numbers, major 1 "
				   "(Postfix speaks protocol 1.x only); send VERSION<TAB>1<TAB>2 as "
				   "Dovecot 2.3 does");
			return;
		}
	}
	if (seen)
		report_end(x->r, CHECK_PASS, "%s", "");
	else
		report_end(x->r, CHECK_PASS, "no VERSION line: Postfix does not need one (Dovecot's "
			   "own client does)");
}

/* judge_hs_flags - AUTH-HANDSHAKE-008 */
static void judge_hs_flags(struct cx *x)
{
	static const char *const opts[] = {
		"noanonymous", "noplaintext", "noplaintext, noanonymous", "mutual_auth",
		"forward_secrecy",
	};
	static const struct {
		unsigned bit;
		const char *name;
	} neg[] = {
		{ DVAUTH_MECH_PLAINTEXT, "plaintext" }, { DVAUTH_MECH_ANONYMOUS, "anonymous" },
		{ DVAUTH_MECH_DICTIONARY, "dictionary" }, { DVAUTH_MECH_ACTIVE, "active" },
	};
	char bad[600] = "";
	size_t i, k;

	if (x->hs_rc != 1) {
		report_end(x->r, CHECK_SKIP, "the handshake did not complete (AUTH-HANDSHAKE-001)");
		return;
	}
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *names[PF_AUTH_MAX_MECHS];
		unsigned req = 0, forbid = 0;
		const char *badword;
		char list[400] = "";
		size_t n, j;

		if (pf_sasl_secopts(opts[i], &req, &forbid, &badword) < 0)
			continue;
		n = pf_auth_filter(&x->hs, req, forbid, names, PF_AUTH_MAX_MECHS);
		for (j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 j ? " " : "", names[j]);
		report_note(x->r, "smtpd_sasl_security_options = %s: %s", opts[i],
			    n ? list : "nothing left - smtpd exits \"no SASL authentication mechanisms\"");
	}
	for (i = 0; i < x->hs.nmechs; i++) {
		const struct pf_auth_mech *m = &x->hs.mechs[i];
		const struct sasl_mech_info *mi = sasl_mech_by_name(m->name, strlen(m->name));

		if (mi == NULL)
			continue;
		for (k = 0; k < sizeof(neg) / sizeof(neg[0]); k++)
			if ((mi->dvauth_flags & neg[k].bit) && !(m->props & neg[k].bit))
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s without '%s'",
					 bad[0] ? ", " : "", m->name, neg[k].name);
	}
	if (bad[0])
		report_end(x->r, CHECK_FAIL, "%s: Postfix cannot filter these (%s keeps PLAIN on "
			   "sessions without TLS, noanonymous keeps ANONYMOUS). Send the flags "
			   "Dovecot sends: MECH<TAB>PLAIN<TAB>plaintext, MECH<TAB>ANONYMOUS<TAB>"
			   "anonymous, MECH<TAB>CRAM-MD5<TAB>dictionary<TAB>active", bad, "noplaintext");
	else
		report_end(x->r, CHECK_PASS, "%zu mechanism(s), flags as Dovecot's", x->hs.nmechs);
}

/* judge_hs_names - AUTH-HANDSHAKE-009 */
static void judge_hs_names(struct cx *x, const struct xbuf *cap)
{
	size_t pos = 0, len, i, n = 0;
	const char *line;
	const char *seen[PF_AUTH_MAX_MECHS];
	size_t seen_len[PF_AUTH_MAX_MECHS];
	char bad[600] = "";

	while (next_hs_line(cap, &pos, &line, &len)) {
		const char *name, *tab;
		size_t nl;
		char shown[80];

		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 5 || memcmp(line, "MECH\t", 5) != 0)
			continue;
		name = line + 5;
		tab = memchr(name, '\t', len - 5);
		nl = tab ? (size_t)(tab - name) : len - 5;
		escape_for_log(shown, sizeof(shown), name, nl > 40 ? 40 : nl);
		if (nl == 0) {
			report_io(x->r, 'S', line, len);
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%san empty name",
				 bad[0] ? ", " : "");
		} else if (memchr(name, ' ', nl) != NULL) {
			report_io(x->r, 'S', line, len);
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s\"%s\" has a space",
				 bad[0] ? ", " : "", shown);
		}
		for (i = 0; i < n && nl > 0; i++)
			if (seen_len[i] == nl && strncasecmp(seen[i], name, nl) == 0) {
				report_io(x->r, 'S', line, len);
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s\"%s\" twice",
					 bad[0] ? ", " : "", shown);
				break;
			}
		if (n < PF_AUTH_MAX_MECHS) {
			seen[n] = name;
			seen_len[n++] = nl;
		}
	}
	if (bad[0]) {
		struct pf_sasl_offer offer;
		char ehlo[600] = "250-AUTH";
		size_t k;

		/* the oracle's EHLO line: default security options and mechanism filter */
		pf_sasl_offer(&x->hs, NULL, NULL, &offer);
		for (k = 0; k < offer.nehlo; k++)
			snprintf(ehlo + strlen(ehlo), sizeof(ehlo) - strlen(ehlo), " %s",
				 offer.ehlo[k]);
		report_note(x->r, "Postfix would advertise: %s", ehlo);
		report_end(x->r, CHECK_FAIL, "MECH lines: %s. Postfix puts every name into "
			   "its EHLO line (250-AUTH ...) as it is; send each mechanism once, by its "
			   "SASL name (upper case letters, digits, '-' and '_')", bad);
	}
	else
		report_end(x->r, CHECK_PASS, "%zu MECH line(s)", n);
}

/* --- handshake probes on their own connections -------------------------- */

/* hs_read_until_done - read handshake lines for up to ms each; 1 DONE, 0 quiet, -1 EOF */
static int hs_read_until_done(struct cx *x, struct tconn *c, int ms)
{
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(c, ms, &line, &len);

		if (rc == 0)
			return 0;
		if (rc < 0)
			return -1;
		report_io(x->r, 'S', line, len);
		if (len == 4 && memcmp(line, "DONE", 4) == 0)
			return 1;
	}
}

/* probe_split - AUTH-HANDSHAKE-010 */
static void probe_split(struct cx *x, const char *mech)
{
	struct tconn c;
	int quiet_ms = x->timeout_ms / 5 > 50 ? x->timeout_ms / 5 : 50;
	int rc;
	const char *style;
	char line[64];
	struct pf_auth_verdict v;

	if (cx_open(x, &c) < 0) {
		report_end(x->r, CHECK_ERROR, "could not open a connection");
		return;
	}
	report_note(x->r, "fake-smtpd sends nothing until DONE or %d ms without a line", quiet_ms);
	rc = hs_read_until_done(x, &c, quiet_ms);
	style = "2.3 style: MECH..DONE at once, before the client's VERSION";
	snprintf(line, sizeof(line), "VERSION\t1\t0\n");
	if (rc >= 0 && send_line(x, &c, line, strlen(line)) < 0)
		rc = -1;
	if (rc == 0) {
		report_note(x->r, "then VERSION alone, and %d ms more", quiet_ms);
		rc = hs_read_until_done(x, &c, quiet_ms);
		style = "2.4 style: MECH..DONE after the client's VERSION";
	}
	snprintf(line, sizeof(line), "CPID\t%ld\n", (long)getpid());
	if (rc >= 0 && send_line(x, &c, line, strlen(line)) < 0)
		rc = -1;
	if (rc == 0) {
		rc = hs_read_until_done(x, &c, x->timeout_ms);
		style = "MECH..DONE after the client's CPID";
	}
	if (rc != 1) {
		cx_close(x, &c);
		report_end(x->r, CHECK_FAIL, "with VERSION and CPID sent %d ms apart the handshake %s; "
			   "should a socket deliver Postfix's one write in two reads, smtpd exits with "
			   "\"no SASL authentication mechanisms\". Read the client's lines as a stream "
			   "(they may arrive in any pieces) and send MECH..DONE at once or after VERSION",
			   quiet_ms, rc < 0 ? "ended with a closed connection" : "never reached DONE");
		return;
	}
	rc = send_auth(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
	     await_reply(x, &c, x->next_id, &v, NULL);
	cx_close(x, &c);
	if (rc == 1)
		report_end(x->r, CHECK_PASS, "%s", style);
	else
		report_end(x->r, CHECK_FAIL, "the handshake completed (%s), but AUTH %s got no answer "
			   "afterwards (%s)", style, mech, rc < 0 ? "connection closed" : "timeout");
}

/* probe_cpid - AUTH-HANDSHAKE-011 */
static void probe_cpid(struct cx *x, const char *mech)
{
	static const char *const cpids[] = { "0", "postfix" };
	char bad[400] = "", seen[400] = "";
	size_t i;

	for (i = 0; i < sizeof(cpids) / sizeof(cpids[0]); i++) {
		struct tconn c;
		struct pf_auth_verdict v;
		char hello[64];
		int rc;
		const char *what;

		if (cx_open(x, &c) < 0) {
			report_end(x->r, CHECK_ERROR, "could not open a connection");
			return;
		}
		snprintf(hello, sizeof(hello), "VERSION\t1\t0\nCPID\t%s\n", cpids[i]);
		rc = send_line(x, &c, hello, strlen(hello)) < 0 ? -1 :
		     hs_read_until_done(x, &c, x->timeout_ms);
		if (rc == 1)
			rc = send_auth(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
			     await_reply(x, &c, x->next_id, &v, NULL);
		cx_close(x, &c);
		if (tconn_crashed(&c))
			rc = -9;
		what = rc == -9 ? "crashed" : rc == 1 ? "accepted it and answered AUTH" :
		       rc < 0 ? "closed the connection (as Dovecot does)" :
		       "went silent (no DONE or no answer)";
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%sCPID %s: %s",
			 seen[0] ? "; " : "", cpids[i], what);
		if (rc == 0 || rc == -9)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%sCPID %s: %s (%s)",
				 bad[0] ? "; " : "", cpids[i], what,
				 rc == -9 ? tconn_exit_text(&c) : "timeout");
	}
	if (bad[0])
		report_end(x->r, CHECK_FAIL, "%s. Refuse a bad CPID by closing the connection "
			   "(Dovecot: \"BUG: Authentication client said it's PID 0\") or ignore it; "
			   "never crash or hang", bad);
	else
		report_end(x->r, CHECK_PASS, "%s", seen);
}

/* --- request probes ------------------------------------------------------ */

/* probe_pending - AUTH-REQ-006 */
static void probe_pending(struct cx *x)
{
	struct tconn c;
	struct pf_auth_verdict v1, v2, v3, v4;
	struct xbuf b64;
	unsigned id1, id2;
	char s1[300], s2[300];

	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
	xbuf_init(&b64, 8192);
	id1 = ++x->next_id;
	id2 = ++x->next_id;
	report_note(x->r, "AUTH %u and AUTH %u without initial response; %u is finished "
		    "first, then a late CONT for %u", id1, id2, id2, id1);
	memset(&v3, 0, sizeof(v3));
	memset(&v4, 0, sizeof(v4));
	if (plain_b64(x->o->user, x->o->password, &b64) < 0 ||
	    send_auth(x, &c, id1, "PLAIN", "127.0.0.1", NULL) < 0 ||
	    await_reply(x, &c, id1, &v1, NULL) != 1 ||
	    send_auth(x, &c, id2, "PLAIN", "127.0.0.1", NULL) < 0 ||
	    await_reply(x, &c, id2, &v2, NULL) != 1 ||
	    send_cont(x, &c, id2, xbuf_cstr(&b64)) < 0 ||
	    await_reply(x, &c, id2, &v3, NULL) != 1 ||
	    send_cont(x, &c, id1, xbuf_cstr(&b64)) < 0 ||
	    await_reply(x, &c, id1, &v4, NULL) != 1) {
		cx_close(x, &c);
		xbuf_free_wipe(&b64);
		pf_auth_io_failure(&x->o->version, &v1);
		report_end(x->r, CHECK_FAIL, "with two requests pending the helper stopped answering "
			   "or closed (see the wire above); Postfix answers %s. Keep every request "
			   "by its id until it ends, never require CANCEL", say(&v1, s1, sizeof(s1)));
		return;
	}
	cx_close(x, &c);
	xbuf_free_wipe(&b64);
	if (v3.outcome != PF_AUTH_DONE)
		report_end(x->r, CHECK_FAIL, "request %u, started while %u was pending, got %s "
			   "instead of 235; keep pending requests apart by id", id2, id1,
			   say(&v3, s1, sizeof(s1)));
	else if (v4.outcome != PF_AUTH_DONE && v4.outcome != PF_AUTH_FAIL)
		report_end(x->r, CHECK_FAIL, "the late CONT for %u got %s", id1,
			   say(&v4, s2, sizeof(s2)));
	else
		report_end(x->r, CHECK_PASS, "late CONT for %u: %s", id1,
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

/* probe_abandon - AUTH-REQ-007 */
static void probe_abandon(struct cx *x, const char *mech)
{
	struct tconn c;
	struct xbuf l;
	struct pf_auth_verdict v;
	long rss0, rss1, pid = 0;
	unsigned n = 0, answered = 0, first;
	int rc = 1;
	char s[300];

	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
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
		if (send_line(x, &c, l.data, l.len) < 0) {
			rc = -1;
			break;
		}
		for (k = 0; k < ABANDON_BATCH && rc == 1; k++) {
			x->quiet = n + k > 0;
			rc = await_reply(x, &c, base + k, &v, NULL);
			answered += rc == 1;
		}
		n += ABANDON_BATCH;
	}
	x->quiet = 0;
	if (rc != 1) {
		cx_close(x, &c);
		xbuf_free(&l);
		report_end(x->r, CHECK_FAIL, "after %u abandoned requests (ids from %u) the helper "
			   "%s; Postfix answers the AUTH in flight with %s and reconnects. Keep "
			   "abandoned requests (Dovecot has no limit and drops them silently after "
			   "150 s) or expire them, never disconnect", answered, first,
			   rc < 0 ? "closed the connection" : "stopped answering", say(&v, s, sizeof(s)));
		return;
	}
	if (x->o->user != NULL && x->o->password != NULL) {
		enum sasl_mech m = SASL_MECH_PLAIN;
		const struct sasl_mech_info *mi = sasl_mech_by_name(mech, strlen(mech));

		if (mi != NULL)
			m = mi->mech;
		report_note(x->r, "then one complete AUTH on the same connection");
		exchange(x, &c, mech, m, x->o->user, x->o->password, ++x->next_id, &v, NULL);
	} else {
		rc = send_auth(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
		     await_reply(x, &c, x->next_id, &v, NULL);
		if (rc != 1)
			v.outcome = PF_AUTH_TEMP;
	}
	rss1 = helper_rss_kib(x, &c, &pid);
	cx_close(x, &c);
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
		report_end(x->r, CHECK_FAIL, "after %d abandoned requests the next AUTH got %s",
			   ABANDON_COUNT, say(&v, s, sizeof(s)));
	else if (rss0 >= 0 && rss1 >= 0 && rss1 - rss0 > 64 * 1024)
		report_end(x->r, CHECK_FAIL, "the helper grew by %ld KiB for %d abandoned requests; "
			   "expire them (Dovecot: 150 s)", rss1 - rss0, ABANDON_COUNT);
	else
		report_end(x->r, CHECK_PASS, "%d abandoned, the next AUTH answered (%s)",
			   ABANDON_COUNT, pf_auth_outcome_name(v.outcome));
}

/* probe_multistep - AUTH-REQ-008: PLAIN through an empty challenge, then another AUTH */
static void probe_multistep(struct cx *x)
{
	struct tconn c;
	struct pf_auth_verdict v;
	struct xbuf b64;
	unsigned id = ++x->next_id;
	int rc, stage = 0;
	char s[300];

	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
	xbuf_init(&b64, 8192);
	pf_auth_io_failure(&x->o->version, &v);	/* what stands if nothing is read */
	rc = plain_b64(x->o->user, x->o->password, &b64) < 0 ||
	     send_auth(x, &c, id, "PLAIN", "127.0.0.1", NULL) < 0 ? -1 :
	     await_reply(x, &c, id, &v, NULL);
	if (rc == 1 && v.outcome == PF_AUTH_MORE) {
		stage = 1;
		rc = send_cont(x, &c, id, xbuf_cstr(&b64)) < 0 ? -1 : await_reply(x, &c, id, &v, NULL);
	}
	if (rc == 1 && stage == 1) {
		stage = 2;
		id = ++x->next_id;
		report_note(x->r, "the next AUTH on the same connection");
		rc = send_auth(x, &c, id, "PLAIN", "127.0.0.1", NULL) < 0 ? -1 :
		     await_reply(x, &c, id, &v, NULL);
	}
	cx_close(x, &c);
	xbuf_free_wipe(&b64);
	if (rc == 1 && stage == 2)
		report_end(x->r, CHECK_PASS, "%s", "");
	else if (rc == 1)
		report_end(x->r, CHECK_FAIL, "AUTH PLAIN without initial response got %s, not an "
			   "empty challenge (Dovecot: CONT<TAB>id<TAB>)", say(&v, s, sizeof(s)));
	else
		report_end(x->r, CHECK_FAIL, "the helper %s %s; Postfix answers %s, and reconnects on "
			   "the next AUTH (3.11+; before 3.11 every later AUTH of that smtpd process "
			   "fails). Keep the connection open: one connection serves many requests",
			   rc < 0 ? "closed the connection" : "stopped answering",
			   stage == 0 ? "after the AUTH" : stage == 1 ? "after the CONT" :
			   "after a finished exchange", say(&v, s, sizeof(s)));
}

/* probe_idle - AUTH-REQ-009 */
static void probe_idle(struct cx *x, const char *mech)
{
	struct tconn c;
	struct pf_auth_verdict v;
	double scale = x->o->time_scale > 0 ? x->o->time_scale : 1.0;
	long idle_ms = (long)(12000 * scale);
	struct timespec ts;
	int rc;
	char s[300];

	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
	report_note(x->r, "idle for %ld ms (12 s x %.2f, past Postfix's 10 s timeouts)", idle_ms,
		    scale);
	ts.tv_sec = idle_ms / 1000;
	ts.tv_nsec = (idle_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	rc = tconn_readable(&c) ? -1 : 1;	/* EOF (or bytes) waiting: closed or chatty */
	if (rc == 1)
		rc = send_auth(x, &c, ++x->next_id, mech, "127.0.0.1", NULL) < 0 ? -1 :
		     await_reply(x, &c, x->next_id, &v, NULL);
	else
		pf_auth_io_failure(&x->o->version, &v);
	cx_close(x, &c);
	if (rc == 1)
		report_end(x->r, CHECK_PASS, "answered after %ld ms idle", idle_ms);
	else if (x->o->target->kind == TARGET_UNIX && rc < 0)
		report_end(x->r, CHECK_PASS, "the helper closed the idle connection; on unix: "
			   "Postfix's write fails (EPIPE) and it reconnects and re-sends");
	else
		report_end(x->r, CHECK_FAIL, "after %ld ms idle the helper %s; on inet: Postfix "
			   "answers %s once, then reconnects. Keep idle connections open (Postfix "
			   "closes them when its smtpd process ends)", idle_ms,
			   rc < 0 ? "had closed the connection" : "did not answer",
			   say(&v, s, sizeof(s)));
}

#define LAT_FAILURES	4
#define LAT_RIP		"192.0.2.25"

/* probe_penalty - AUTH-LAT-002: wrong passwords from one rip, one after the other */
static void probe_penalty(struct cx *x)
{
	struct tconn c;
	struct xbuf b64;
	char wrong[300], series[200] = "", s[300];
	long long ms[LAT_FAILURES];
	int k, rc = 1;
	struct pf_auth_verdict v;

	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
	xbuf_init(&b64, 8192);
	report_note(x->r, "%d different wrong passwords for %s from rip=%s, each waited for "
		    "(Dovecot raises the penalty only when the password changes)", LAT_FAILURES,
		    x->o->user, LAT_RIP);
	for (k = 0; k < LAT_FAILURES && rc == 1; k++) {
		unsigned id = ++x->next_id;

		snprintf(wrong, sizeof(wrong), "%s-wrong%d", x->o->password, k + 1);
		xbuf_reset(&b64);
		rc = plain_b64(x->o->user, wrong, &b64) < 0 ||
		     send_auth(x, &c, id, "PLAIN", LAT_RIP, xbuf_cstr(&b64)) < 0 ? -1 :
		     await_reply(x, &c, id, &v, &ms[k]);
		snprintf(series + strlen(series), sizeof(series) - strlen(series), "%s%lld ms%s",
			 k ? ", " : "", ms[k], rc == 1 ? "" : rc == 0 ? " (timeout)" : " (closed)");
	}
	cx_close(x, &c);
	xbuf_free_wipe(&b64);
	if (rc == 0)
		report_end(x->r, CHECK_FAIL, "failure %d from one rip was not answered within %d ms "
			   "(Postfix's 10 s x %.2f): %s; Postfix answers %s and disconnects. Keep "
			   "delay plus penalty below 10 s (Dovecot: auth_failure_delay 2 s, penalty "
			   "2/4/8/15 s: from the 3rd failure on it can pass 10 s)", k, x->timeout_ms,
			   x->o->time_scale > 0 ? x->o->time_scale : 1.0, series, say(&v, s, sizeof(s)));
	else if (rc < 0)
		report_end(x->r, CHECK_FAIL, "the helper closed the connection after %d failure(s): "
			   "%s", k, series);
	else
		report_end(x->r, CHECK_PASS, "time to FAIL: %s", series);
}

/* probe_enum - AUTH-REP-008: wrong password vs unknown user */
static void probe_enum(struct cx *x)
{
	struct tconn c;
	struct pf_auth_verdict v1, v2;
	char wrong[300], a[1024], b[1024], s1[300], s2[300];
	char unknown[64];
	char r1[1024];
	size_t r1len = 0, la, lb;

	snprintf(unknown, sizeof(unknown), "nosuchuser-%ld", (long)getpid());
	if (fresh(x, &c) < 0) {
		report_end(x->r, CHECK_FAIL, "could not open a connection");
		return;
	}
	x->last_reply_len = 0;
	exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, x->o->user,
		 wrong_password(x->o->password, wrong, sizeof(wrong)), ++x->next_id, &v1, NULL);
	memcpy(r1, x->last_reply, x->last_reply_len);
	r1len = x->last_reply_len;
	x->last_reply_len = 0;
	exchange(x, &c, "PLAIN", SASL_MECH_PLAIN, unknown, "x-wrong", ++x->next_id, &v2, NULL);
	cx_close(x, &c);
	if (v1.outcome != PF_AUTH_FAIL || v2.outcome != PF_AUTH_FAIL) {
		report_end(x->r, CHECK_FAIL, "expected 535 for both; wrong password: %s; unknown "
			   "user: %s", say(&v1, s1, sizeof(s1)), say(&v2, s2, sizeof(s2)));
		return;
	}
	la = check_auth_fail_shape(r1, r1len, a, sizeof(a));
	lb = check_auth_fail_shape(x->last_reply, x->last_reply_len, b, sizeof(b));
	if (la != lb || memcmp(a, b, la) != 0 || strcmp(v1.smtp, v2.smtp) != 0) {
		report_note(x->r, "Postfix answers, wrong password: %s", say(&v1, s1, sizeof(s1)));
		report_note(x->r, "Postfix answers, unknown user:   %s", say(&v2, s2, sizeof(s2)));
		report_end(x->r, CHECK_FAIL, "the FAIL for an unknown user differs from the one for "
			   "a wrong password (beyond id and user=): an SMTP client can tell which "
			   "accounts exist. Answer both alike, without reason= (as Dovecot does)");
	} else
		report_end(x->r, CHECK_PASS, "both: %s", say(&v1, s1, sizeof(s1)));
}

/* --- replies of the whole run -------------------------------------------- */

static const struct {
	const char *id;
	unsigned bits;		/* CHECK_AUTH_R_*; 0: the stall slot */
	unsigned need;		/* the replies it is judged over: R_IS_*, 0 any */
	const char *fix;
} rep_rows[] = {
	{ "AUTH-REP-003", CHECK_AUTH_R_OK_NO_USER, CHECK_AUTH_R_IS_OK,
	  "an OK without user=: Postfix logs \"missing Dovecot server OK username field\" and "
	  "the right password never logs in. Send OK<TAB>id<TAB>user=<name>" },
	{ "AUTH-REP-004", CHECK_AUTH_R_OK_EMPTY_USER, CHECK_AUTH_R_IS_OK,
	  "an OK with user= empty: 235, but the session has no sasl_username to relay with. "
	  "Send the login name" },
	{ "AUTH-REP-005", CHECK_AUTH_R_OK_NOLOGIN, CHECK_AUTH_R_IS_OK,
	  "an OK with nologin, proxy or host=: Postfix GRANTS the login and relaying. Answer FAIL "
	  "to users who must not use SMTP AUTH (remove nologin/proxy from the passdb entry the "
	  "smtp service reads, or deny in the passdb)" },
	{ "AUTH-REP-006", CHECK_AUTH_R_OK_RESP, CHECK_AUTH_R_IS_OK,
	  "an OK with resp= although the AUTH had no final-resp-ok: Postfix drops the final "
	  "data. Send it as one more CONT and answer OK after the client's empty response "
	  "(Dovecot auth_request_success_continue)" },
	{ "AUTH-REP-007", CHECK_AUTH_R_REASON_ODD | CHECK_AUTH_R_REASON_LONG, CHECK_AUTH_R_IS_FAIL,
	  "a FAIL reason with escaped, control or 8-bit bytes (shown as '?') or long enough "
	  "to push the 535 line past 512 bytes (sent uncut). Send short ASCII reasons, or none" },
	{ "AUTH-REP-009", CHECK_AUTH_R_CONT_EXTRA, CHECK_AUTH_R_IS_CONT,
	  "a CONT with TAB fields after the challenge: they reach the SMTP client in the 334 "
	  "line. Send CONT<TAB>id<TAB>base64 and nothing after it" },
	{ "AUTH-REP-010", CHECK_AUTH_R_CONT_NO_DATA, CHECK_AUTH_R_IS_CONT,
	  "a CONT without data field: Postfix logs \"missing Dovecot server CONT reply field\". "
	  "Send CONT<TAB>id<TAB> for an empty challenge" },
	{ "AUTH-REP-011", CHECK_AUTH_R_ID_NONCANON, CHECK_AUTH_R_TAKEN,
	  "a reply id that is not plain decimal: Postfix's strtoul(..., 0) took it, Dovecot's "
	  "client (str_to_uint) would not, and a leading 0 reads as octal. Echo the id exactly "
	  "as the request wrote it" },
	{ "AUTH-REP-012", 0, 0,
	  "a request got only lines Postfix skips, then nothing: Postfix waits 10 s and answers "
	  "454 4.7.0 \"Connection lost to authentication server\". Answer every request with "
	  "OK, CONT or FAIL carrying its id" },
	{ "AUTH-REP-013", CHECK_AUTH_R_CR, 0,
	  "a reply ending in CR LF: Postfix keeps the CR as data (user=bob\\r is \"bob?\"). "
	  "End lines with LF only" },
};

/* judge_replies - one AUTH-REP-* row over everything the run read */
static void judge_replies(struct cx *x, size_t row)
{
	const struct obs *o = NULL;
	unsigned b, pop;

	if (rep_rows[row].bits == 0)
		o = &x->obs[OBS_STALL];
	else
		for (b = 0; b < OBS_BITS && o == NULL; b++)
			if ((rep_rows[row].bits & (1u << b)) && x->obs[b].count > 0)
				o = &x->obs[b];
	pop = rep_rows[row].need == CHECK_AUTH_R_IS_OK ? x->n_ok :
	      rep_rows[row].need == CHECK_AUTH_R_IS_CONT ? x->n_cont :
	      rep_rows[row].need == CHECK_AUTH_R_IS_FAIL ? x->n_fail :
	      rep_rows[row].bits == 0 ? x->n_waits : x->n_lines;
	if (o != NULL && o->count > 0) {
		report_note(x->r, "seen %u time(s) in this run, first during %s:", o->count, o->check);
		if (o->sent_len > 0)
			report_io(x->r, 'C', o->sent, o->sent_len);
		report_io(x->r, 'S', o->got, o->got_len);
		if (o->smtp[0])
			report_note(x->r, "Postfix would answer: %s", o->smtp);
		if (o->note[0])
			report_note(x->r, "%s", o->note);
		report_end(x->r, CHECK_FAIL, "%s", rep_rows[row].fix);
	} else if (pop == 0)
		report_end(x->r, CHECK_SKIP, "no such reply in this run (%s)",
			   rep_rows[row].need == CHECK_AUTH_R_IS_OK ? "no OK: needs --user/--password" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_CONT ? "no CONT" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_FAIL ? "no FAIL" : "no reply");
	else
		report_end(x->r, CHECK_PASS, "%u %s judged", pop,
			   rep_rows[row].bits == 0 ? "waits" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_OK ? "OK replies" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_CONT ? "CONT replies" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_FAIL ? "FAIL replies" : "reply lines");
}

/* data_checks - the catalogue's transcripts (harness/run/catalogue.c), after the C checks */
static void data_checks(const struct check_auth_options *o, struct report *r,
			const char *const *mechs, size_t nmechs, const char *skip_all)
{
	struct catalogue_run_options co;

	if (o->catalogue == NULL)
		return;
	memset(&co, 0, sizeof(co));
	co.target = o->target;
	co.version = o->version;
	co.time_scale = o->time_scale;
	co.stderr_apart = o->stderr_apart;
	co.only = o->only;
	co.skip = o->skip;
	co.defines = o->defines;
	co.user = o->user;
	co.password = o->password;
	co.mechs = mechs;
	co.nmechs = nmechs;
	co.skip_all = skip_all;
	catalogue_run_auth(o->catalogue, &co, r);
}

int check_auth_run(const struct check_auth_options *o, struct report *r)
{
	struct cx x;
	struct tconn c;
	char order[64];
	int cr = 0;
	const char *names[PF_AUTH_MAX_MECHS];
	size_t nnames, i;
	int have_account = o->user != NULL && o->password != NULL;
	long long max_latency = 0;
	enum sasl_mech runnable[SASL_MECH_COUNT];
	const char *runnable_names[SASL_MECH_COUNT];
	size_t nrun = 0;
	const char *probe_mech = NULL;
	struct xbuf hs_lines;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.r = r;
	x.timeout_ms = (int)(PF_AUTH_TIMEOUT_MS * (o->time_scale > 0 ? o->time_scale : 1.0));
	if (x.timeout_ms < 50)
		x.timeout_ms = 50;

	/* the handshake checks share one connection and its wire log */
	report_begin(r, &checks[0]);
	if (cx_open(&x, &c) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", x.fatal_why);
		return -1;
	}
	xbuf_init(&hs_lines, 1024 * 1024);
	x.hs_capture = &hs_lines;
	x.hs_rc = handshake(&x, &c, &x.hs, order, sizeof(order), &cr);
	x.hs_capture = NULL;
	x.hslog = xstrdup(xbuf_cstr(&r->log));
	if (begin(&x, "AUTH-HANDSHAKE-001")) {
		if (x.hs_rc == 1)
			report_end(r, CHECK_PASS, "DONE after %zu mechanism(s)", x.hs.nmechs);
		else if (x.hs_rc == -2)
			report_end(r, CHECK_FAIL, "%s", x.hs.why);
		else
			report_end(r, CHECK_FAIL, "%s; Postfix: smtpd fatal \"no SASL authentication "
				   "mechanisms\", the SMTP client's connection drops after 220",
				   x.hs_rc == -1 ? x.hs.why : "no DONE");
	}
	if (begin(&x, "AUTH-HANDSHAKE-002")) {
		const char *m = strchr(order, 'M'), *s = strchr(order, 'S');

		if (s != NULL && (m == NULL || s < m))
			report_end(r, CHECK_FAIL, "SPID arrived before the first MECH line; Postfix >= 3.0: "
				   "\"SASL: Connected to wrong auth socket\". Send MECH lines, then "
				   "SPID, CUID, COOKIE, DONE (what Dovecot really does)");
		else
			report_end(r, CHECK_PASS, "%s", "");
	}
	if (begin(&x, "AUTH-HANDSHAKE-003")) {
		if (cr)
			report_end(r, CHECK_FAIL, "handshake lines end in CR LF; end lines with LF only");
		else
			report_end(r, CHECK_PASS, "%s", "");
	}
	nnames = pf_auth_filter(&x.hs, 0, DVAUTH_MECH_ANONYMOUS, names, PF_AUTH_MAX_MECHS);
	if (begin(&x, "AUTH-HANDSHAKE-004")) {
		if (x.hs_rc != 1)
			report_end(r, CHECK_SKIP, "the handshake did not complete");
		else if (nnames == 0)
			report_end(r, CHECK_FAIL, "no usable mechanism: smtpd exits with \"no SASL "
				   "authentication mechanisms\"");
		else
			report_end(r, CHECK_PASS, "%zu mechanism(s) usable", nnames);
	}
	if (begin(&x, "AUTH-HANDSHAKE-005")) {
		const char *line;
		size_t len;
		int rc = x.hs_rc == 1 ? tconn_read_line(&c, x.timeout_ms / 20 + 50, &line, &len) : -9;

		if (rc == -9)
			report_end(r, CHECK_SKIP, "the handshake did not complete");
		else if (rc == 1) {
			report_io(r, 'S', line, len);
			report_end(r, CHECK_FAIL, "a line arrived after DONE before any request; Postfix "
				   "will read it as a reply to its next request");
		} else
			report_end(r, CHECK_PASS, "%s", "");
	}
	cx_close(&x, &c);
	if (begin(&x, "AUTH-HANDSHAKE-006"))
		judge_hs_time(&x);
	if (begin(&x, "AUTH-HANDSHAKE-007"))
		judge_hs_version(&x, &hs_lines);
	if (begin(&x, "AUTH-HANDSHAKE-008"))
		judge_hs_flags(&x);
	if (begin(&x, "AUTH-HANDSHAKE-009"))
		judge_hs_names(&x, &hs_lines);
	xbuf_free(&hs_lines);
	if (x.hs_rc != 1) {
		/* nothing else can be tested without a working handshake */
		for (i = 0; i < NCHECKS; i++)
			if (!x.ran[i] && begin(&x, checks[i].id))
				report_end(r, CHECK_SKIP, "the handshake does not complete");
		data_checks(o, r, NULL, 0, "the handshake does not complete");
		free(x.hslog);
		return 0;
	}
	free(x.hslog);
	x.hslog = NULL;
	/* a mechanism for the probes that need any answer, not a login */
	for (i = 0; i < nnames && probe_mech == NULL; i++)
		if (strcasecmp(names[i], "PLAIN") == 0)
			probe_mech = names[i];
	if (probe_mech == NULL && nnames > 0)
		probe_mech = names[0];
	if (begin(&x, "AUTH-HANDSHAKE-010")) {
		if (probe_mech == NULL)
			report_end(r, CHECK_SKIP, "no usable mechanism");
		else
			probe_split(&x, probe_mech);
	}
	if (begin(&x, "AUTH-HANDSHAKE-011")) {
		if (probe_mech == NULL)
			report_end(r, CHECK_SKIP, "no usable mechanism");
		else
			probe_cpid(&x, probe_mech);
	}

	for (i = 0; i < nnames; i++) {
		const struct sasl_mech_info *mi = sasl_mech_by_name(names[i], strlen(names[i]));

		if (mi && mi->mech != SASL_MECH_ANONYMOUS && mi->mech != SASL_MECH_EXTERNAL &&
		    nrun < SASL_MECH_COUNT) {
			runnable[nrun] = mi->mech;
			runnable_names[nrun++] = names[i];
		}
	}

	if (begin(&x, "AUTH-MECH-001")) {
		char bad[512] = "";

		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (nrun == 0)
			report_end(r, CHECK_SKIP, "no advertised mechanism that fake-smtpd can run");
		else {
			for (i = 0; i < nrun; i++) {
				enum pf_auth_outcome oc = run_mech(&x, runnable_names[i], runnable[i], 1,
								   &max_latency);

				if (oc != PF_AUTH_DONE)
					snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s (%s)",
						 bad[0] ? ", " : "", runnable_names[i], pf_auth_outcome_name(oc));
			}
			if (bad[0])
				report_end(r, CHECK_FAIL, "no 235 for: %s", bad);
			else
				report_end(r, CHECK_PASS, "%zu mechanism(s) gave 235", nrun);
		}
	}
	if (begin(&x, "AUTH-MECH-002")) {
		char bad[512] = "";

		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (nrun == 0)
			report_end(r, CHECK_SKIP, "no advertised mechanism that fake-smtpd can run");
		else {
			for (i = 0; i < nrun; i++) {
				enum pf_auth_outcome oc = run_mech(&x, runnable_names[i], runnable[i], 0,
								   &max_latency);

				if (oc != PF_AUTH_FAIL)
					snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s (%s)",
						 bad[0] ? ", " : "", runnable_names[i], pf_auth_outcome_name(oc));
			}
			if (bad[0])
				report_end(r, CHECK_FAIL, "a wrong password did not give 535 for: %s%s", bad,
					   strstr(bad, "done") ? " - FAIL-OPEN: any password is accepted" : "");
			else
				report_end(r, CHECK_PASS, "%zu mechanism(s) gave 535", nrun);
		}
	}
	/* PLAIN-based checks: the simplest exchange Postfix sends */
	{
		int have_plain = 0;

		for (i = 0; i < nrun; i++)
			if (runnable[i] == SASL_MECH_PLAIN)
				have_plain = 1;
		if (begin(&x, "AUTH-REQ-001")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (run_mech(&x, "plain", SASL_MECH_PLAIN, 1, &max_latency) == PF_AUTH_DONE)
				report_end(r, CHECK_PASS, "%s", "");
			else
				report_end(r, CHECK_FAIL, "AUTH with mechanism \"plain\" did not succeed; "
					   "compare mechanism names case-insensitively");
		}
		if (begin(&x, "AUTH-REQ-002")) {
			unsigned saved = x.next_id;

			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else {
				enum pf_auth_outcome oc;

				x.next_id = 4294967000u;
				oc = run_mech(&x, "PLAIN", SASL_MECH_PLAIN, 1, &max_latency);
				x.next_id = saved + 1;
				if (oc == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "id 4294967001 on a fresh connection");
				else
					report_end(r, CHECK_FAIL, "a fresh connection whose first id is "
						   "4294967001 did not authenticate (%s)", pf_auth_outcome_name(oc));
			}
		}
		if (begin(&x, "AUTH-REQ-003")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l;
				struct pf_auth_verdict v;
				const char *line;
				size_t len;

				/* AUTH PLAIN without resp: the server asks; the SMTP client aborts */
				xbuf_init(&l, 1024);
				if (pf_auth_request(&l, ++x.next_id, "PLAIN", "smtp", "127.0.0.1",
						    "127.0.0.1", 0, NULL) == 0)
					(void)send_line(&x, &c, l.data, l.len);
				if (tconn_read_line(&c, x.timeout_ms, &line, &len) == 1)
					report_io(r, 'S', line, len);
				report_note(r, "the SMTP client sends '*': Postfix answers 501 5.7.0 and "
					    "sends nothing to the helper");
				xbuf_free(&l);
				exchange(&x, &c, "PLAIN", SASL_MECH_PLAIN, o->user, o->password,
					 ++x.next_id, &v, &max_latency);
				cx_close(&x, &c);
				if (v.outcome == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "%s", "");
				else
					report_end(r, CHECK_FAIL, "after an abandoned request the next AUTH "
						   "got %s; keep several pending ids per connection",
						   v.smtp[0] ? v.smtp : pf_auth_outcome_name(v.outcome));
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
		if (begin(&x, "AUTH-REQ-004")) {
			if (!have_plain)
				report_end(r, CHECK_SKIP, "needs PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l;
				const char *line;
				size_t len;
				int rc;
				unsigned id = ++x.next_id;
				int ok_fail = 0, kept = 0;

				xbuf_init(&l, 1024);
				/* charset-valid but unpadded: Postfix passes it on verbatim */
				if (pf_auth_request(&l, id, "PLAIN", "smtp", "127.0.0.1", "127.0.0.1", 0,
						    "AGFsaWNlAHNlY3JldA") == 0)
					(void)send_line(&x, &c, l.data, l.len);
				rc = tconn_read_line(&c, x.timeout_ms, &line, &len);
				if (rc == 1) {
					char want[64];

					report_io(r, 'S', line, len);
					snprintf(want, sizeof(want), "FAIL\t%u\t", id);
					ok_fail = len > strlen(want) && memcmp(line, want, strlen(want)) == 0 &&
						  memmem(line, len, "code=invalid_base64", 19) != NULL;
				}
				/* is the connection still usable? */
				xbuf_reset(&l);
				if (pf_auth_request(&l, ++x.next_id, "PLAIN", "smtp", "127.0.0.1",
						    "127.0.0.1", 0, NULL) == 0 &&
				    tconn_write(&c, l.data, l.len, x.timeout_ms) == 0) {
					report_io(r, 'C', l.data, l.len - 1);
					rc = tconn_read_line(&c, x.timeout_ms, &line, &len);
					if (rc == 1) {
						report_io(r, 'S', line, len);
						kept = 1;
					}
				}
				xbuf_free(&l);
				cx_close(&x, &c);
				if (ok_fail && kept)
					report_end(r, CHECK_PASS, "%s", "");
				else
					report_end(r, CHECK_FAIL, "%s%s", ok_fail ? "" :
						   "no \"FAIL <id> code=invalid_base64\" for unpadded base64; ",
						   kept ? "" : "the connection was not usable afterwards");
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
		if (begin(&x, "AUTH-REQ-005")) {
			if (!have_account || !have_plain)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else if (fresh(&x, &c) == 0) {
				struct xbuf l, b;
				struct pf_auth_verdict v;
				const char *line;
				size_t len;
				unsigned id = ++x.next_id;

				xbuf_init(&l, 4096);
				xbuf_init(&b, 4096);
				if (xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, o->user) == 0 &&
				    xbuf_append_char(&b, '\0') == 0 && xbuf_append_str(&b, o->password) == 0) {
					struct xbuf e;

					xbuf_init(&e, 8192);
					if (base64_encode(b.data, b.len, &e) == 0 &&
					    pf_auth_request(&l, id, "PLAIN", "smtp", "", "::1", 1,
							    xbuf_cstr(&e)) == 0)
						(void)send_line(&x, &c, l.data, l.len);
					xbuf_free_wipe(&e);
				}
				memset(&v, 0, sizeof(v));
				while (tconn_read_line(&c, x.timeout_ms, &line, &len) == 1) {
					report_io(r, 'S', line, len);
					pf_auth_judge(&o->version, id, line, len, &v);
					if (v.outcome != PF_AUTH_SKIP)
						break;
				}
				cx_close(&x, &c);
				xbuf_free_wipe(&l);
				xbuf_free_wipe(&b);
				if (v.outcome == PF_AUTH_DONE)
					report_end(r, CHECK_PASS, "empty lip=, IPv6 rip=, secured accepted");
				else
					report_end(r, CHECK_FAIL, "AUTH with an empty lip=, rip=::1 and the bare "
						   "secured flag did not succeed (%s)",
						   v.smtp[0] ? v.smtp : "no reply");
			} else
				report_end(r, CHECK_FAIL, "could not open a connection");
		}
	}
	/* reply shape checks over one raw PLAIN exchange each */
	{
		static const struct {
			const char *id;
			const char *user;
		} rows[] = { { "AUTH-REP-001", NULL }, { "AUTH-REP-002", "tab\tuser" } };
		int have_plain = 0;

		for (i = 0; i < nrun; i++)
			if (runnable[i] == SASL_MECH_PLAIN)
				have_plain = 1;
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			const char *user = rows[i].user ? rows[i].user : o->user;
			struct pf_auth_verdict v;
			char wrong[300];
			struct xbuf raw;

			if (!begin(&x, rows[i].id))
				continue;
			if (!have_plain || user == NULL || o->password == NULL) {
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
				continue;
			}
			if (fresh(&x, &c) < 0) {
				report_end(r, CHECK_FAIL, "could not open a connection");
				continue;
			}
			exchange(&x, &c, "PLAIN", SASL_MECH_PLAIN, user,
				 wrong_password(o->password, wrong, sizeof(wrong)), ++x.next_id, &v, &max_latency);
			cx_close(&x, &c);
			/* the wire log holds the reply lines: look at them raw */
			xbuf_init(&raw, 0);
			if (xbuf_append_str(&raw, xbuf_cstr(&r->log)) < 0)
				xbuf_reset(&raw);
			if (strcmp(rows[i].id, "AUTH-REP-001") == 0) {
				if (strstr(xbuf_cstr(&raw), "code=temp_fail") || strstr(xbuf_cstr(&raw), "\\ttemp\\t") ||
				    strstr(xbuf_cstr(&raw), "\\ttemp\n"))
					report_end(r, CHECK_FAIL, "a wrong password got FAIL with a temporary-failure "
						   "code; Postfix answers %s all the same", v.smtp);
				else
					report_end(r, CHECK_PASS, "%s", "");
			} else {
				/* the log shows TAB as \t: a raw one appears as "user=tab\tuser" */
				if (strstr(xbuf_cstr(&raw), "S: FAIL") && strstr(xbuf_cstr(&raw), "user=tab\\tuser"))
					report_end(r, CHECK_FAIL, "the user name \"tab<TAB>user\" came back with a raw "
						   "TAB; escape values as Dovecot does (TAB -> \\001t, LF -> \\001n, "
						   "\\001 -> \\0011)");
				else
					report_end(r, CHECK_PASS, "%s", "");
			}
			xbuf_free(&raw);
		}
	}
	/* multi-exchange request probes */
	{
		int have_plain = 0, plain_account;

		for (i = 0; i < nrun; i++)
			if (runnable[i] == SASL_MECH_PLAIN)
				have_plain = 1;
		plain_account = have_plain && have_account;
		if (begin(&x, "AUTH-REQ-006")) {
			if (!plain_account)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else
				probe_pending(&x);
		}
		if (begin(&x, "AUTH-REQ-007")) {
			if (probe_mech == NULL)
				report_end(r, CHECK_SKIP, "no usable mechanism");
			else
				probe_abandon(&x, probe_mech);
		}
		if (begin(&x, "AUTH-REQ-008")) {
			if (!plain_account)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else
				probe_multistep(&x);
		}
		if (begin(&x, "AUTH-REQ-009")) {
			if (probe_mech == NULL)
				report_end(r, CHECK_SKIP, "no usable mechanism");
			else
				probe_idle(&x, probe_mech);
		}
		if (begin(&x, "AUTH-LAT-002")) {
			if (!plain_account)
				report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
			else
				probe_penalty(&x);
		}
		for (i = 0; i < sizeof(rep_rows) / sizeof(rep_rows[0]); i++) {
			if (strcmp(rep_rows[i].id, "AUTH-REP-009") == 0 && begin(&x, "AUTH-REP-008")) {
				if (!plain_account)
					report_end(r, CHECK_SKIP, "needs --user/--password and PLAIN");
				else
					probe_enum(&x);
			}
			if (begin(&x, rep_rows[i].id))
				judge_replies(&x, i);
		}
	}
	if (begin(&x, "AUTH-LAT-001")) {
		if (!have_account)
			report_end(r, CHECK_SKIP, "needs --user and --password");
		else if (max_latency >= x.timeout_ms)
			report_end(r, CHECK_FAIL, "a reply took %lld ms or more (Postfix's 10 s "
				   "timeout x %.2f); Postfix gives up and answers 454 4.7.0", max_latency,
				   o->time_scale > 0 ? o->time_scale : 1.0);
		else
			report_end(r, CHECK_PASS, "slowest reply %lld ms", max_latency);
	}
	if (!x.fatal)
		data_checks(o, r, names, nnames, NULL);
	if (x.fatal) {
		fprintf(stderr, "fake-smtpd: %s\n", x.fatal_why);
		return -1;
	}
	return 0;
}
