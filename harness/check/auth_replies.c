/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth_replies - every reply line of an auth run, and the checks judged over them
 * SYNOPSIS
 *	#include "harness/check/auth.h"
 *
 *	unsigned check_auth_reply_flags(unsigned id, const char *line,
 *	                                size_t len);
 *	size_t check_auth_fail_shape(const char *line, size_t len,
 *	                             char *buf, size_t size);
 *
 *	#include "harness/check/auth_int.h"
 *
 *	void auth_observe(struct cx *x, unsigned id, const char *line,
 *	                  size_t len, const struct pf_auth_verdict *v);
 *	void auth_stalled(struct cx *x, const char *line, size_t len);
 *	void auth_rep_seen(struct check_run *cr, const struct check_def *d);
 *	int auth_log_user_back(const char *log);
 * DESCRIPTION
 *	check_auth_reply_flags() and check_auth_fail_shape() are pure (see
 *	auth.h). auth_observe() looks at every reply line the run reads
 *	while request id is in flight: it counts the OK, CONT and FAIL
 *	lines Postfix takes and keeps the first line of each CHECK_AUTH_R_*
 *	kind, with the line sent before it and the check during which it
 *	came. auth_stalled() keeps a wait that saw only lines Postfix
 *	skips, then the timeout. auth_rep_seen() is the run function of
 *	AUTH-REP-003..007 and 009..013: it fails with the first line of its
 *	kind, passes when replies of the kind it looks at were read without
 *	one, and is not exercised when the run read no such reply.
 *	auth_log_user_back() is 1 when an OK or FAIL line of a check's wire
 *	log (report_io()'s escaped form) carries a user= field.
 * DIAGNOSTICS
 *	A row of the table that is not one of those checks is our bug:
 *	msg_panic().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/auth_int.h"
#include "util/compiler.h"
#include "util/msg.h"
#include "util/strnum.h"

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

/* auth_log_user_back - an OK or FAIL line of the wire log carries a user= field */
int auth_log_user_back(const char *log)
{
	const char *l = log;

	while ((l = strstr(l, "    S: ")) != NULL) {
		const char *nl = strchr(l, '\n');
		const char *u = strstr(l, "\\tuser=");

		if ((strncmp(l + 7, "OK\\t", 4) == 0 || strncmp(l + 7, "FAIL\\t", 6) == 0) &&
		    u != NULL && (nl == NULL || u < nl))
			return 1;
		l = nl != NULL ? nl : l + 7;
	}
	return 0;
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
		report_shown(o->smtp, sizeof(o->smtp), v->smtp, strlen(v->smtp));
		snprintf(o->note, sizeof(o->note), "%s", v->note);
	}
}

/* auth_observe - one reply line while request id is in flight */
void auth_observe(struct cx *x, unsigned id, const char *line, size_t len,
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

/* auth_stalled - a wait that saw only skipped lines, then the timeout */
void auth_stalled(struct cx *x, const char *line, size_t len)
{
	struct pf_auth_verdict v;

	pf_auth_io_failure(&x->o->version, &v);
	obs_keep(x, &x->obs[OBS_STALL], line, len, &v);
}

/* what each reply check looks for, over the replies of which kind */
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

/* auth_rep_seen - one AUTH-REP-* check over everything the run read */
void auth_rep_seen(struct check_run *cr, const struct check_def *d)
{
	struct cx *x = cr->ctx;
	const struct obs *o = NULL;
	unsigned b, pop;
	size_t row;

	for (row = 0; row < N_ELEMENTS(rep_rows); row++)
		if (strcmp(rep_rows[row].id, d->ci.id) == 0)
			break;
	if (row == N_ELEMENTS(rep_rows))
		msg_panic("auth_rep_seen: %s is not a reply check", d->ci.id);
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
		if (x->o->book != NULL && o->smtp[0] && o->sent_len > 5 &&
		    memcmp(o->sent, "AUTH\t", 5) == 0) {
			/* the exchange it was seen in, for check --confirm */
			char id[16];

			confirm_book_line(x->o->book, d->ci.id, o->sent, o->sent_len, 0);
			snprintf(id, sizeof(id), "%.*s", (int)(o->sent_len - 5 < 15 ? o->sent_len - 5 : 15),
				 o->sent + 5);
			confirm_book_want(x->o->book, d->ci.id, (unsigned)strtoul(id, NULL, 10), o->smtp);
		}
		if (o->note[0])
			report_note(x->r, "%s", o->note);
		check_end(x->cr, CHECK_FAIL, "%s", rep_rows[row].fix);
	} else if (pop == 0)
		check_end(x->cr, CHECK_UNEXERCISED, "no such reply in this run (%s)",
			   rep_rows[row].need == CHECK_AUTH_R_IS_OK ? "no OK: needs --user/--password" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_CONT ? "no CONT" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_FAIL ? "no FAIL" : "no reply");
	else
		check_end(x->cr, CHECK_PASS, "%u %s judged", pop,
			   rep_rows[row].bits == 0 ? "waits" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_OK ? "OK replies" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_CONT ? "CONT replies" :
			   rep_rows[row].need == CHECK_AUTH_R_IS_FAIL ? "FAIL replies" : "reply lines");
}

