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
 *	comments until its verdict, then written with the auth macro.
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
			return emit_id(out, dir, line, len, f->f[0].len, f->f[1].len);
		xbuf_reset(&rc->held);
		for (i = 3; i < f->n; i++)
			if (f->f[i].len > 5 && memcmp(f->f[i].p, "resp=", 5) == 0)
				learn_user(rc, f->f[i].p + 5, f->f[i].len - 5);
		return twrite_seen(&rc->held, dir, line, len);
	}
	if (!is_reply)
		return emit(out, dir, NULL, line, len);
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
	    twrite_comment(out, "the helper's last %zu bytes had no LF", rc->ss.line.len) < 0)
		return -1;
	return 0;
}
