/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_finding - count a finding under its signature; write the
 *	signature's regression transcript
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status,
 *	                  const char *detail);
 * DESCRIPTION
 *	A finding is counted by kind and under its signature (fuzz.h): the
 *	kind, the wait status of a crash or an exit, the helper's last line,
 *	what Postfix does about it and where, the texts normalized by
 *	fuzz_sig_norm(). The first hit of a signature is printed on o->log as
 *	"finding N: KIND: DETAIL (exec E: WHAT)", with " -> FILE" when its
 *	transcript was written to o->out as finding-NNN-KIND.tr (NNN: the
 *	signature's number, moved on past every name already there: a file
 *	of an earlier run, or a link planted there, is never written over or
 *	through, fuzz_out.h); later hits are only counted. Before it is
 *	written a finding is minimized (fuzz_minimize.c). A later hit on a
 *	request Postfix sends replaces a reproducer that holds requests
 *	Postfix never sends, when its own minimized reproducer holds none
 *	(at most FUZZ_UPGRADES tries per signature).
 *
 *	The transcript is a regression test: comments saying what was
 *	found, where (target, seed, exec, the request), how it was minimized
 *	and how to replay it; "protocol"; the statements of the kept units
 *	as they ran (fuzz_engine.c: Postfix's handshake kept, what a correct
 *	helper answers after each answered step); then, where the helper
 *	failed Postfix, what Postfix waits for there: a line
 *	"S~ /^(OK|FAIL|CONT)\tID(\t|$)/" for an auth request, "S: action=*"
 *	and "S:" for a policy request (the handshake statement fails by
 *	itself). So it fails while the bug is there and passes once the
 *	helper answers. Where the helper died on something Postfix never
 *	sends, "sleep 300ms" instead: the helper may answer or close, and
 *	replay fails only when it dies by a signal. A daemon that stopped
 *	accepting connections gets "reconnect" and a handshake (auth) or a
 *	request Postfix sends (policy) at the end: the next connection must
 *	work.
 * DIAGNOSTICS
 *	A transcript that cannot be written: msg_warn(), the finding is
 *	still counted and printed. A kind that is no finding kind is our
 *	bug: msg_panic().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/fuzz/fuzz_engine.h"
#include "harness/fuzz/fuzz_out.h"
#include "harness/fuzz/fuzz_sig.h"
#include "harness/postfix/pf_policy.h"
#include "harness/script/transcript_write.h"
#include "util/msg.h"
#include "util/xmem.h"

#define FUZZ_UPGRADES	3	/* tries at a Postfix-shaped reproducer per signature */

/* where_name - where Postfix suffered */
static const char *where_name(const struct fuzz_eng *e, enum fuzz_kind kind)
{
	if (kind == FUZZ_DOWN)
		return "next connection";
	if (e->where == FUZZ_AT_HANDSHAKE)
		return "handshake";
	return e->o->proto == FUZZ_PROTO_AUTH ? "AUTH exchange" : "policy request";
}

/* symptom - what Postfix does about it, in its own words where it has them */
static void symptom(const struct fuzz_eng *e, enum fuzz_kind kind, const char *detail,
		    char *buf, size_t size)
{
	struct pf_auth_verdict v;
	const char *name = e->o->target_text ? e->o->target_text : e->o->target->text;
	const char *t = kind == FUZZ_DOWN ? strstr(detail, name) : NULL;

	if (t != NULL) {
		/* the target's name as given, what connect() said normalized */
		size_t n = (size_t)(t - detail) + strlen(name);

		snprintf(buf, size, "%.*s", (int)n, detail);
		n = strlen(buf);
		fuzz_sig_norm(buf + n, size - n, detail + n);
	} else if (kind == FUZZ_BAD_REPLY || kind == FUZZ_DOWN) {
		/* texts with the helper's bytes and figures in them */
		fuzz_sig_norm(buf, size, kind == FUZZ_DOWN ? detail : e->why);
	} else if (e->o->proto == FUZZ_PROTO_POLICY) {
		snprintf(buf, size, "%s: a failed try; Postfix tries again after 1 s, then answers "
			 "451 4.3.5 Server configuration problem",
			 kind == FUZZ_HANG ? "no reply within 100 s" : "no reply");
	} else if (e->where == FUZZ_AT_HANDSHAKE) {
		snprintf(buf, size, "%s: Postfix offers no SASL authentication",
			 kind == FUZZ_HANG ? "no handshake within 10 s" : "no handshake");
	} else {
		pf_auth_io_failure(&e->v, &v);
		snprintf(buf, size, "%s%.100s", kind == FUZZ_HANG ? "no reply within 10 s: " : "",
			 v.smtp);
	}
}

/* last_line - the helper's stderr apart, else its last line that was not the reply */
static void last_line(const struct fuzz_eng *e, char *buf, size_t size)
{
	const char *p = e->last;
	char line[FUZZ_LAST_MAX];

	if (e->c.err.len > 0) {
		const char *s = e->c.err.data, *end = s + e->c.err.len, *b;
		size_t n;

		while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
			end--;
		for (b = end; b > s && b[-1] != '\n'; b--)
			;
		n = (size_t)(end - b) < sizeof(line) - 1 ? (size_t)(end - b) : sizeof(line) - 1;
		memcpy(line, b, n);
		line[n] = '\0';
		p = line;
	}
	fuzz_sig_norm(buf, size, p);
}

/* sig_key - the signature of this finding */
static void sig_key(const struct fuzz_eng *e, enum fuzz_kind kind, int status, const char *detail,
		    struct fuzz_sig *key)
{
	memset(key, 0, sizeof(*key));
	key->kind = kind;
	if (kind == FUZZ_CRASH || kind == FUZZ_EXIT) {
		key->status = status;
		snprintf(key->status_text, sizeof(key->status_text), "%s", detail);
	}
	last_line(e, key->last, sizeof(key->last));
	symptom(e, kind, detail, key->symptom, sizeof(key->symptom));
	snprintf(key->where, sizeof(key->where), "%s", where_name(e, kind));
}

/* head - the comments that say what was found and how to replay it */
static void head(const struct fuzz_eng *e, const struct fuzz_sig *s, unsigned n,
		 const struct fuzz_repro *r, unsigned runs, struct xbuf *tr)
{
	const struct fuzz_options *o = e->o;
	const char *last = e->nu ? e->u[e->nu - 1].c.what : "";

	(void)!twrite_comment(tr, "fake-smtpd fuzz finding %u: %s: %s", n, fuzz_kind_name(s->kind),
			      s->detail);
	(void)!twrite_comment(tr, "signature: %s%s%s in the %s; Postfix: %s%s%s",
			      fuzz_kind_name(s->kind), s->status_text[0] ? ", " : "", s->status_text,
			      s->where, s->symptom, s->last[0] ? "; the helper's last line: " : "",
			      s->last);
	(void)!twrite_comment(tr, "target %s, seed %llu, exec %llu; the request: %s",
			      o->target_text ? o->target_text : o->target->text,
			      (unsigned long long)o->seed, (unsigned long long)e->res->execs, last);
	if (runs > 0 && r->kept < e->nu)
		(void)!twrite_comment(tr, "minimized: %u of %zu requests kept (%u runs)", r->kept,
				      e->nu, runs);
	else if (runs > 0)
		(void)!twrite_comment(tr, "every request since the connection was opened is needed "
				      "(%u runs)", runs);
	if (s->kind == FUZZ_DOWN)
		(void)!twrite_comment(tr, "the daemon stopped accepting connections after these "
				      "requests: this passes once the next connection works");
	else if (r->shaped && r->step_shaped)
		(void)!twrite_comment(tr, "a regression test: every request is one Postfix sends; it "
				      "fails while the bug is there and passes once the helper "
				      "answers as Postfix needs");
	else
		(void)!twrite_comment(tr, "Postfix never sends part of this: it passes once the "
				      "helper answers it or closes the connection without dying");
	(void)!twrite_comment(tr, "replay: fake-smtpd replay --fast%s TARGET FILE",
			      o->stderr_apart ? " --stderr-apart" : "");
	(void)!xbuf_printf(tr, "protocol %s\n", o->proto == FUZZ_PROTO_AUTH ? "auth" : "policy");
}

/* expect_reply - what Postfix waits for where the helper failed it */
static void expect_reply(const struct fuzz_eng *e, const struct fuzz_repro *r, struct xbuf *tr)
{
	if (r->where == FUZZ_AT_HANDSHAKE)
		return;		/* the handshake statement waits for it */
	if (e->o->proto == FUZZ_PROTO_AUTH) {
		(void)!twrite_comment(tr, "here Postfix waits for OK, FAIL or CONT for request %u",
				      r->wait_id);
		(void)!xbuf_printf(tr, "S~ /^(OK|FAIL|CONT)\\t%u(\\t|$)/\n", r->wait_id);
	} else {
		(void)!twrite_comment(tr, "here Postfix waits for an action and the empty line");
		(void)!xbuf_append_str(tr, "S: action=*\nS:\n");
	}
}

/* next_connection - a daemon that stopped accepting: the next connection must work */
static void next_connection(const struct fuzz_eng *e, struct xbuf *tr)
{
	struct pf_pol_req req;
	struct xbuf rq;
	const char *why;

	(void)!twrite_comment(tr, "the daemon stopped accepting connections here: the next "
			      "connection must work");
	(void)!xbuf_append_str(tr, "reconnect\n");
	if (e->o->proto == FUZZ_PROTO_AUTH) {
		(void)!xbuf_append_str(tr, "handshake\n");
		return;
	}
	pf_pol_req_init(&req, &e->v, PF_POL_RCPT);
	xbuf_init(&rq, 64 * 1024);
	if (pf_pol_req_format(&req, &rq, &why) == 0 && twrite_send(tr, NULL, rq.data, rq.len, 0) == 0)
		(void)!xbuf_append_str(tr, "S: action=*\nS:\n");
	xbuf_free(&rq);
}

/* tail - where Postfix suffered: the statement that fails on replay */
static void tail(const struct fuzz_eng *e, enum fuzz_kind kind, const char *detail,
		 const struct fuzz_repro *r, struct xbuf *tr)
{
	if (!r->end_written && r->step_shaped)
		expect_reply(e, r, tr);
	else if (!r->end_written && kind != FUZZ_DOWN) {
		(void)!twrite_comment(tr, "Postfix never sends this: a helper may answer it or close "
				      "the connection, but not die");
		(void)!xbuf_append_str(tr, "sleep 300ms\n");
	}
	if (kind == FUZZ_DOWN)
		next_connection(e, tr);
	(void)!twrite_comment(tr, "what happened: %s: %s", fuzz_kind_name(kind), detail);
	if (tr->len > TRANSCRIPT_MAX_FILE)
		(void)!twrite_comment(tr, "larger than replay reads (%d bytes)", TRANSCRIPT_MAX_FILE);
}

/* put_file - a new signature's file under a fresh name, or a better reproducer in its place */
static int put_file(struct fuzz_eng *e, struct fuzz_sig *s, unsigned n, int had_file,
		    const struct xbuf *tr)
{
	unsigned tries;

	if (had_file)
		return fuzz_dir_replace(e->outfd, s->file, tr->data, tr->len);
	for (tries = 0; tries < 10000; tries++) {
		snprintf(s->file, sizeof(s->file), "finding-%03u-%s.tr", n + e->out_skip,
			 fuzz_kind_name(s->kind));
		if (fuzz_dir_create(e->outfd, s->file, tr->data, tr->len) == 0)
			return 0;
		if (errno != EEXIST)
			break;
		e->out_skip++;	/* an earlier finding, or something planted: never over it */
	}
	s->file[0] = '\0';
	return -1;
}

/* write_sig - minimize, compose and write the signature's transcript; 0 or -1 */
static int write_sig(struct fuzz_eng *e, struct fuzz_sig *s, unsigned n, int status,
		     struct fuzz_repro *orig)
{
	const struct fuzz_options *o = e->o;
	unsigned char *keep = xcalloc(e->nu ? e->nu : 1, 1);
	struct fuzz_repro best, *r = orig;
	unsigned runs = 0;
	struct xbuf tr;
	int rc = -1, had_file = s->file[0] != '\0';

	memset(&best, 0, sizeof(best));
	xbuf_init(&best.text, FUZZ_TR_MAX);
	if (o->minimize && s->kind != FUZZ_DOWN &&
	    fuzz_minimize(e, keep, s->kind, status, &best, &runs) > 0)
		r = &best;
	if (had_file && !(r->shaped && r->step_shaped))
		goto out;	/* no better than the reproducer written */
	xbuf_init(&tr, TRANSCRIPT_MAX_FILE * 8);
	head(e, s, n, r, runs, &tr);
	(void)!xbuf_append(&tr, r->text.data, r->text.len);
	tail(e, s->kind, s->detail, r, &tr);
	if (put_file(e, s, n, had_file, &tr) < 0) {
		msg_warn("fuzz: %s/%s: %s", o->out, had_file ? s->file : "finding-*", strerror(errno));
		if (!had_file)
			s->file[0] = '\0';
	} else {
		e->res->written += !had_file;
		s->shaped = r->shaped && r->step_shaped;
		s->kept = runs && r == &best ? r->kept : 0;
		s->units = runs && r == &best ? (unsigned)e->nu : 0;
		rc = 0;
	}
	xbuf_free(&tr);
out:
	xbuf_free(&best.text);
	free(keep);
	return rc;
}

/* new_sig - a signature seen for the first time */
static struct fuzz_sig *new_sig(struct fuzz_eng *e, const struct fuzz_sig *key, const char *detail)
{
	struct fuzz_sig *s = &e->res->sig[e->res->nsig++];

	*s = *key;
	s->hits = 0;
	s->first_exec = e->res->execs;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
	return s;
}

/* fuzz_finding - count it under its signature; write the signature's transcript */
void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status, const char *detail)
{
	const struct fuzz_options *o = e->o;
	const char *last = e->nu ? e->u[e->nu - 1].c.what : "";
	struct fuzz_sig key, *s;
	struct fuzz_repro orig;
	unsigned char *all;
	unsigned n;
	int fresh;

	if ((unsigned)kind >= FUZZ_NKINDS)
		msg_panic("fuzz_finding: kind %d", (int)kind);
	e->res->findings[kind]++;
	sig_key(e, kind, status, detail, &key);
	s = fuzz_sig_find(e->res, &key);
	fresh = s == NULL;
	if (fresh && e->res->nsig == FUZZ_MAX_SIGS) {
		e->res->other_hits++;
		fuzz_eng_close(e);
		return;
	}
	if (fresh)
		s = new_sig(e, &key, detail);
	s->hits++;
	n = (unsigned)(s - e->res->sig) + 1;
	if (o->out == NULL || (!fresh && (s->shaped || !s->file[0] || !e->step_shaped ||
					  !e->hs_std || s->upgrades >= FUZZ_UPGRADES))) {
		fuzz_eng_close(e);
		if (fresh)
			fprintf(o->log, "finding %u: %s: %s (exec %llu: %s)\n", n, fuzz_kind_name(kind),
				detail, (unsigned long long)e->res->execs, last);
		return;
	}
	all = xmalloc(e->nu ? e->nu : 1);
	memset(all, 1, e->nu ? e->nu : 1);
	memset(&orig, 0, sizeof(orig));
	xbuf_init(&orig.text, FUZZ_TR_MAX);
	fuzz_repro_take(e, all, &orig);
	fuzz_eng_close(e);
	if (!fresh)
		s->upgrades++;
	if (write_sig(e, s, n, status, &orig) == 0 && !fresh)
		fprintf(o->log, "finding %u: a reproducer of requests Postfix sends (exec %llu: %s) "
			"-> %s/%s\n", n, (unsigned long long)e->res->execs, last, o->out, s->file);
	else if (fresh)
		fprintf(o->log, "finding %u: %s: %s (exec %llu: %s)%s%s%s%s\n", n,
			fuzz_kind_name(kind), detail, (unsigned long long)e->res->execs, last,
			s->file[0] ? " -> " : "", s->file[0] ? o->out : "", s->file[0] ? "/" : "",
			s->file);
	fflush(o->log);
	xbuf_free(&orig.text);
	free(all);
}
