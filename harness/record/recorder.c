/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	recorder - what a recording proxy saw, as transcript text
 * SYNOPSIS
 *	#include "harness/record/recorder.h"
 * DESCRIPTION
 *	See recorder.h. Pure: no I/O, no clock; every byte of transcript
 *	text is written by harness/script/transcript_write.c. A
 *	challenge exchange (CRAM-MD5, SCRAM-*) is held in rc->held as
 *	comments until its verdict, then written with the auth macro. A
 *	PLAIN or LOGIN exchange is followed (rc->cred_mech, cred_round) so
 *	that the client's credentials become variables in the line that
 *	carries them.
 * DIAGNOSTICS
 *	-1 when out is full; never logs.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/record/recorder.h"
#include "harness/script/transcript_write.h"
#include "proto/base64.h"
#include "proto/dvauth.h"

void recorder_init(struct recorder *rc)
{
	memset(rc, 0, sizeof(*rc));
	xbuf_init(&rc->held, RECORD_MAX_PENDING * (RECORD_MAX_LINE / 4));
	xbuf_init(&rc->cs.line, RECORD_MAX_LINE + 1);
	xbuf_init(&rc->ss.line, RECORD_MAX_LINE + 1);
}

void recorder_free(struct recorder *rc)
{
	xbuf_free(&rc->held);
	xbuf_free(&rc->cs.line);
	xbuf_free(&rc->ss.line);
}

/* emit - a client line as C:, a server line as S:, head (notation) first */
static int emit(struct xbuf *out, char dir, const char *head, const char *p, size_t len)
{
	if (dir == 'C')
		return twrite_send(out, head, p, len, TWRITE_LF);
	return twrite_expect(out, head, p, len) < 0 ? -1 : 0;
}

/* emit_id - a line whose field 1 is the request id, written as {id} */
static int emit_id(struct xbuf *out, char dir, const char *p, size_t len, size_t word_len,
		   size_t id_len)
{
	size_t rest = word_len + 1 + id_len;
	char head[32];

	/* the command word is one of AUTH CONT OK FAIL: nothing to escape */
	snprintf(head, sizeof(head), "%.*s\\t{id}", (int)word_len, p);
	return emit(out, dir, head, p + rest, len - rest);
}

static int starts(const char *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(p, word, n) == 0;
}

static int is_challenge_mech(const char *mech)
{
	return strcasecmp(mech, "CRAM-MD5") == 0 || strcasecmp(mech, "SCRAM-SHA-1") == 0 ||
	       strcasecmp(mech, "SCRAM-SHA-256") == 0;
}

/* learn_user - the user name in a CRAM-MD5 or SCRAM client message (base64) */
static void learn_user(struct recorder *rc, const char *b64, size_t len)
{
	struct xbuf raw;
	const char *why, *s, *e;

	if (rc->user[0])
		return;
	xbuf_init(&raw, 8192);
	if (base64_decode(b64, len, BASE64_DOVECOT, &raw, &why) == 0 && raw.len > 0) {
		const char *d = xbuf_cstr(&raw);

		if (strcasecmp(rc->mech, "CRAM-MD5") == 0) {
			e = strrchr(d, ' ');
			if (e && (size_t)(e - d) < sizeof(rc->user))
				snprintf(rc->user, sizeof(rc->user), "%.*s", (int)(e - d), d);
		} else if ((s = strstr(d, "n=")) != NULL) {
			s += 2;
			e = strchr(s, ',');
			if (e && (size_t)(e - s) < sizeof(rc->user))
				snprintf(rc->user, sizeof(rc->user), "%.*s", (int)(e - s), s);
		}
	}
	xbuf_free_wipe(&raw);
}

/* write_header - "protocol ...", taken from the first line seen */
static int write_header(struct recorder *rc, const char *line, size_t len, struct xbuf *out)
{
	static const char *const words[] = { "VERSION\t", "CPID\t", "MECH\t", "SPID\t", "AUTH\t" };
	size_t i;

	if (rc->wrote_header)
		return 0;
	rc->proto = RECORDER_POLICY;
	for (i = 0; i < N_ELEMENTS(words); i++)
		if (starts(line, len, words[i]))
			rc->proto = RECORDER_AUTH;
	rc->wrote_header = 1;
	return xbuf_printf(out, "protocol %s\n", rc->proto == RECORDER_AUTH ? "auth" : "policy");
}

/* challenge_done - the held exchange as comments, then the auth macro */
static int challenge_done(struct recorder *rc, int ok, struct xbuf *out)
{
	rc->challenge = 0;
	rc->id[0] = '\0';
	if (twrite_comment(out, "%s answers a fresh challenge each time: recorded as below, "
			   "replayed with the auth macro (give -D password=...)", rc->mech) < 0 ||
	    xbuf_append(out, rc->held.data, rc->held.len) < 0 ||
	    xbuf_printf(out, "auth %s ", rc->mech) < 0)
		return -1;
	if (rc->user[0] ? twrite_text(out, rc->user, strlen(rc->user), TWRITE_WORD) < 0 :
	    xbuf_append_str(out, "${user}") < 0)
		return -1;
	return xbuf_printf(out, " ${password} expect %s\n", ok ? "235" : "535");
}

/* --- credentials as variables -------------------------------------------- */

/* recorder_creds_init - no user seen yet */
void recorder_creds_init(struct recorder_creds *c, int raw)
{
	memset(c, 0, sizeof(*c));
	c->raw = raw;
}

/* var_name - "user", "user2", ... for pair i */
static void var_name(char *buf, size_t size, const char *base, unsigned i)
{
	if (i == 0)
		snprintf(buf, size, "%s", base);
	else
		snprintf(buf, size, "%s%u", base, i + 1);
}

/* pass_name - the variable of password k of user i */
static void pass_name(char *buf, size_t size, unsigned i, unsigned k)
{
	char base[16];

	var_name(base, sizeof(base), "password", i);
	if (k == 0)
		snprintf(buf, size, "%s", base);
	else
		snprintf(buf, size, "%s-%u", base, k + 1);
}

/* recorder_creds_header - which variables replay needs, and the user names */
int recorder_creds_header(const struct recorder_creds *c, struct xbuf *out)
{
	struct xbuf need;
	char v[24];
	unsigned i, k;
	int rc = 0, cut = 0;

	if (c->raw || (c->n == 0 && c->extra == 0))
		return 0;
	xbuf_init(&need, 2048);
	for (i = 0; i < c->n + c->extra && !cut; i++)
		for (k = 0; k < (i < c->n && c->npw[i] ? c->npw[i] : 1) && !cut; k++) {
			pass_name(v, sizeof(v), i < c->n ? i : RECORD_MAX_USERS + i - c->n, k);
			cut = xbuf_printf(&need, " -D %s=...", v) < 0;
		}
	if (twrite_comment(out, "credentials are written as variables: replay with%s%s "
			   "(the user names are the defaults below)", xbuf_cstr(&need),
			   cut ? " ..." : "") < 0)
		rc = -1;
	xbuf_free(&need);
	for (i = 0; i < c->n && rc == 0; i++) {
		var_name(v, sizeof(v), "user", i);
		if (xbuf_printf(out, "default %s ", v) < 0 ||
		    twrite_text(out, c->user[i], strlen(c->user[i]), TWRITE_WORD) < 0 ||
		    xbuf_append_char(out, '\n') < 0)
			rc = -1;
	}
	return rc;
}

/* user_vars - the variables for user name[0..n): its own pair, remembered */
static void user_vars(struct recorder *rc, const char *name, size_t n)
{
	struct recorder_creds *c = rc->creds;
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (strlen(c->user[i]) == n && memcmp(c->user[i], name, n) == 0)
			break;
	if (i == c->n) {
		if (c->n < RECORD_MAX_USERS && n < sizeof(c->user[0]) && memchr(name, 0, n) == NULL)
			snprintf(c->user[c->n++], sizeof(c->user[0]), "%.*s", (int)n, name);
		else
			i = RECORD_MAX_USERS + c->extra++;
	}
	rc->uidx = i;
	var_name(rc->uvar, sizeof(rc->uvar), "user", i);
	pass_name(rc->pvar, sizeof(rc->pvar), i, 0);
	rc->cur_user[0] = '\0';
	if (n < sizeof(rc->cur_user) && memchr(name, 0, n) == NULL)
		snprintf(rc->cur_user, sizeof(rc->cur_user), "%.*s", (int)n, name);
}

/* pass_var - the variable for this password of the exchange's user */
static void pass_var(struct recorder *rc, const char *pw, size_t n)
{
	struct recorder_creds *c = rc->creds;
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned i = rc->uidx, k;
	size_t j;

	if (i >= c->n)
		return;		/* beyond the table: its own pair already */
	for (j = 0; j < n; j++)
		h = (h ^ (unsigned char)pw[j]) * 0x100000001b3ull;
	for (k = 0; k < c->npw[i] && c->pw[i][k] != h; k++)
		;
	if (k == c->npw[i] && k < RECORD_MAX_PASSWORDS)
		c->pw[i][c->npw[i]++] = h;
	if (k == RECORD_MAX_PASSWORDS)
		k--;		/* more passwords than told apart: the last one's */
	pass_name(rc->pvar, sizeof(rc->pvar), i, k);
}

/* cred_text - the notation for one credential message; 0 when it is none */
static int cred_text(struct recorder *rc, const char *b64, size_t len, struct xbuf *text)
{
	struct xbuf raw;
	const char *why, *d, *n1, *n2;
	int rc2 = 0;

	xbuf_init(&raw, RECORD_MAX_LINE);
	if (base64_decode(b64, len, BASE64_DOVECOT, &raw, &why) < 0)
		goto out;
	d = raw.data ? raw.data : "";
	if (rc->cred_mech == 'L') {
		if (rc->cred_round == 0)
			user_vars(rc, d, raw.len);
		else if (rc->uvar[0] == '\0')
			goto out;
		else
			pass_var(rc, d, raw.len);
		rc2 = xbuf_printf(text, "{b64:${%s}}", rc->cred_round == 0 ? rc->uvar : rc->pvar) == 0;
		goto out;
	}
	if ((n1 = memchr(d, '\0', raw.len)) == NULL ||
	    (n2 = memchr(n1 + 1, '\0', raw.len - (size_t)(n1 + 1 - d))) == NULL)
		goto out;	/* not a PLAIN message */
	user_vars(rc, n1 + 1, (size_t)(n2 - n1 - 1));
	pass_var(rc, n2 + 1, raw.len - (size_t)(n2 + 1 - d));
	rc2 = xbuf_append_str(text, "{b64:") == 0 &&
	      twrite_text(text, d, (size_t)(n1 - d), 0) == 0 &&
	      xbuf_printf(text, "\\0${%s}\\0${%s}}", rc->uvar, rc->pvar) == 0;
out:
	xbuf_free_wipe(&raw);
	return rc2;
}

/* emit_cred - a client line whose bytes [off, off + n) may be a credential message:
   1 written with variables, 0 written as it passed, -1 out is full */
static int emit_cred(struct recorder *rc, const char *line, size_t len, size_t word_len,
		     size_t id_end, size_t off, size_t n, struct xbuf *out)
{
	struct xbuf text;
	int ok;

	xbuf_init(&text, RECORD_MAX_LINE);
	ok = cred_text(rc, line + off, n, &text);
	if (ok)
		ok = xbuf_printf(out, "C: %.*s\\t{id}", (int)word_len, line) == 0 &&
		     twrite_text(out, line + id_end, off - id_end, 0) == 0 &&
		     xbuf_append(out, text.data, text.len) == 0 &&
		     twrite_text(out, line + off + n, len - off - n, 0) == 0 &&
		     xbuf_append_char(out, '\n') == 0;
	xbuf_free(&text);
	if (ok)
		return 1;
	return emit_id(out, 'C', line, len, word_len, id_end - word_len - 1);
}

/* emit_verdict - OK or FAIL for the exchange: its user= as the variable */
static int emit_verdict(struct recorder *rc, const char *line, size_t len,
			const struct dvauth_fields *f, struct xbuf *out)
{
	size_t i, ul = strlen(rc->cur_user);

	for (i = 2; i < f->n && rc->uvar[0] && ul > 0; i++) {
		size_t off = (size_t)(f->f[i].p - line), id_end = (size_t)(f->f[1].p - line) + f->f[1].len;

		if (f->f[i].len != ul + 5 || memcmp(f->f[i].p, "user=", 5) != 0 ||
		    memcmp(f->f[i].p + 5, rc->cur_user, ul) != 0)
			continue;
		return xbuf_printf(out, "S: %.*s\\t{id}", (int)f->f[0].len, line) < 0 ||
		       twrite_text(out, line + id_end, off - id_end, 0) < 0 ||
		       xbuf_printf(out, "user=${%s}", rc->uvar) < 0 ||
		       twrite_text(out, line + off + f->f[i].len, len - off - f->f[i].len, 0) < 0 ||
		       xbuf_append_char(out, '\n') < 0 ? -1 : 0;
	}
	return emit_id(out, 'S', line, len, f->f[0].len, f->f[1].len);
}

/* cred_auth - an AUTH line of PLAIN or LOGIN, its resp= a credential */
static int cred_auth(struct recorder *rc, const char *line, size_t len,
		     const struct dvauth_fields *f, struct xbuf *out)
{
	size_t i, id_end = (size_t)(f->f[1].p - line) + f->f[1].len;

	rc->cred_mech = strcasecmp(rc->mech, "PLAIN") == 0 ? 'P' :
			strcasecmp(rc->mech, "LOGIN") == 0 ? 'L' : 0;
	rc->cred_round = 0;
	rc->uvar[0] = rc->pvar[0] = rc->cur_user[0] = '\0';
	if (rc->creds == NULL || rc->creds->raw || rc->cred_mech == 0) {
		rc->cred_mech = 0;
		return emit_id(out, 'C', line, len, f->f[0].len, f->f[1].len);
	}
	for (i = 3; i < f->n; i++)
		if (f->f[i].len > 5 && memcmp(f->f[i].p, "resp=", 5) == 0) {
			size_t off = (size_t)(f->f[i].p - line) + 5;
			int r2 = emit_cred(rc, line, len, f->f[0].len, id_end, off, f->f[i].len - 5,
					   out);

			rc->cred_round += r2 > 0;
			return r2 < 0 ? -1 : 0;
		}
	return emit_id(out, 'C', line, len, f->f[0].len, f->f[1].len);
}

/* cred_cont - a client CONT of a PLAIN or LOGIN exchange */
static int cred_cont(struct recorder *rc, const char *line, size_t len,
		     const struct dvauth_fields *f, struct xbuf *out)
{
	size_t id_end = (size_t)(f->f[1].p - line) + f->f[1].len;
	int r2;

	if (f->n != 3 || (rc->cred_mech == 'P' && rc->cred_round > 0) || rc->cred_round > 1)
		return emit_id(out, 'C', line, len, f->f[0].len, f->f[1].len);
	r2 = emit_cred(rc, line, len, f->f[0].len, id_end, (size_t)(f->f[2].p - line),
		       f->f[2].len, out);
	rc->cred_round += r2 > 0;
	return r2 < 0 ? -1 : 0;
}

/* auth_line - an auth line that splits into fields */
static int auth_line(struct recorder *rc, char dir, const char *line, size_t len,
		     const struct dvauth_fields *f, struct xbuf *out)
{
	int is_auth, is_reply;
	size_t i;

	is_auth = dir == 'C' && strview_eq(f->f[0], "AUTH") && f->n >= 3 &&
		  f->f[1].len < sizeof(rc->id);
	is_reply = rc->id[0] && f->f[1].len == strlen(rc->id) &&
		   memcmp(f->f[1].p, rc->id, f->f[1].len) == 0 &&
		   ((dir == 'C' && strview_eq(f->f[0], "CONT")) ||
		    (dir == 'S' && (strview_eq(f->f[0], "OK") || strview_eq(f->f[0], "FAIL") ||
				    strview_eq(f->f[0], "CONT"))));
	if (is_auth) {
		memcpy(rc->id, f->f[1].p, f->f[1].len);
		rc->id[f->f[1].len] = '\0';
		snprintf(rc->mech, sizeof(rc->mech), "%.*s", (int)f->f[2].len, f->f[2].p);
		rc->challenge = is_challenge_mech(rc->mech);
		rc->user[0] = '\0';
		if (!rc->challenge)
			return cred_auth(rc, line, len, f, out);
		xbuf_reset(&rc->held);
		for (i = 3; i < f->n; i++)
			if (f->f[i].len > 5 && memcmp(f->f[i].p, "resp=", 5) == 0)
				learn_user(rc, f->f[i].p + 5, f->f[i].len - 5);
		return twrite_seen(&rc->held, dir, line, len);
	}
	if (!is_reply)
		return emit(out, dir, NULL, line, len);
	if (!rc->challenge && rc->cred_mech && dir == 'C')
		return cred_cont(rc, line, len, f, out);
	if (!rc->challenge && rc->cred_mech && !strview_eq(f->f[0], "CONT")) {
		int r2 = emit_verdict(rc, line, len, f, out);

		rc->cred_mech = 0;
		return r2;
	}
	if (!rc->challenge)
		return emit_id(out, dir, line, len, f->f[0].len, f->f[1].len);
	if (dir == 'C' && f->n >= 3)
		learn_user(rc, f->f[2].p, f->f[2].len);
	if (twrite_seen(&rc->held, dir, line, len) < 0)
		return -1;
	if (dir == 'S' && !strview_eq(f->f[0], "CONT"))
		return challenge_done(rc, strview_eq(f->f[0], "OK"), out);
	return 0;
}

/* recorder_line - one line seen by the proxy becomes transcript text */
int recorder_line(struct recorder *rc, char dir, const char *line, size_t len, struct xbuf *out)
{
	struct dvauth_fields f;
	const char *why;

	if (write_header(rc, line, len, out) < 0)
		return -1;
	if (rc->proto == RECORDER_POLICY)
		return emit(out, dir, NULL, line, len);
	if (dir == 'C' && starts(line, len, "CPID\t"))
		return xbuf_append_str(out, "C: CPID\\t{pid}\n");
	if (dir == 'S' && (starts(line, len, "SPID\t") || starts(line, len, "CUID\t") ||
			   starts(line, len, "COOKIE\t"))) {
		size_t w = (size_t)((const char *)memchr(line, '\t', len) - line);

		return xbuf_printf(out, "S: %.*s\\t*\n", (int)w, line);
	}
	if (dvauth_split(line, len, &f, &why) < 0 || f.n < 2)
		return emit(out, dir, NULL, line, len);
	return auth_line(rc, dir, line, len, &f, out);
}

/* recorder_event - "reconnect", "expect close", or a comment */
int recorder_event(struct recorder *rc, const char *what, struct xbuf *out)
{
	if (rc->proto == RECORDER_UNKNOWN)
		return twrite_comment(out, "%s", what);
	if (rc->challenge) {
		/* an exchange cut short: keep what was seen, as comments */
		if (xbuf_append(out, rc->held.data, rc->held.len) < 0)
			return -1;
		rc->challenge = 0;
	}
	return xbuf_printf(out, "%s\n", what);
}

/* recorder_feed - bytes seen in one direction: complete lines go to recorder_line() */
int recorder_feed(struct recorder *rc, char dir, const char *p, size_t n, struct xbuf *out)
{
	struct recorder_side *s = dir == 'C' ? &rc->cs : &rc->ss;

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (s->skipping) {
			s->skipped += k;
		} else if (k > RECORD_MAX_LINE - s->line.len) {
			s->skipping = 1;
			s->skipped = s->line.len + k;
			xbuf_reset(&s->line);
		} else if (xbuf_append(&s->line, p, k) < 0) {
			return -1;
		}
		if (nl) {
			int rc2 = s->skipping ?
				  twrite_comment(out, "%c: a line of %zu bytes (over %d) passed here",
						 dir, s->skipped, RECORD_MAX_LINE) :
				  recorder_line(rc, dir, s->line.data ? s->line.data : "", s->line.len,
						out);

			if (rc2 < 0)
				return -1;
			xbuf_reset(&s->line);
			s->skipping = 0;
			s->skipped = 0;
			k++;
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* recorder_end - what is left of the lines when the connection ends */
int recorder_end(struct recorder *rc, struct xbuf *out)
{
	/* the client's last bytes had no LF: send them the same way */
	if (rc->cs.line.len > 0 &&
	    (write_header(rc, rc->cs.line.data, rc->cs.line.len, out) < 0 ||
	     twrite_send(out, NULL, rc->cs.line.data, rc->cs.line.len, 0) < 0))
		return -1;
	if (rc->ss.line.len > 0 &&
	    twrite_comment(out, "the helper's last %zu bytes had no LF%s", rc->ss.line.len,
			   rc->proto == RECORDER_AUTH ? ": Postfix reads them as a last line" :
			   "") < 0)
		return -1;
	/* Postfix's auth client takes the bytes before EOF as a line; replay too */
	if (rc->ss.line.len > 0 && rc->proto == RECORDER_AUTH &&
	    recorder_line(rc, 'S', rc->ss.line.data, rc->ss.line.len, out) < 0)
		return -1;
	return 0;
}
