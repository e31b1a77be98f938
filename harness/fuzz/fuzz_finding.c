/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_finding - count, minimize, print and write one finding
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status,
 *	                  const char *detail);
 * DESCRIPTION
 *	A finding is counted by kind and printed on stdout as "finding N:
 *	KIND: DETAIL (exec E: WHAT)", with " -> FILE" when its transcript
 *	was written to o->out as finding-NNN-KIND.tr (at most
 *	FUZZ_MAX_WRITTEN per run). A crash or an exit of a spawned helper
 *	is minimized first (fuzz_minimize.c), the first time its kind and
 *	signal or exit status is seen.
 *
 *	The transcript: comments saying what was found, where (target,
 *	seed, exec, the last request), how it was minimized and how to
 *	replay it; "protocol"; the statements of the kept units as they
 *	ran (harness/script/transcript_write.h writes every byte); then the
 *	statement that fails where Postfix would have suffered: "expect
 *	close" after a crash or a refused connection, "S: *" where a reply
 *	was due and the helper ended or hung (unless the reader wrote its
 *	own), the reason as a comment.
 * DIAGNOSTICS
 *	A transcript that cannot be written: msg_warn(), the finding is
 *	still counted and printed. A kind that is no finding kind is our
 *	bug: msg_panic().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness/fuzz/fuzz_engine.h"
#include "harness/script/transcript_write.h"
#include "util/msg.h"
#include "util/xmem.h"

/* signature - the signal or exit status that tells crashes and exits apart */
static unsigned signature(enum fuzz_kind kind, int status)
{
	if (kind == FUZZ_CRASH)
		return WIFSIGNALED(status) ? (unsigned)WTERMSIG(status) % FUZZ_SIGS : 0;
	if (kind == FUZZ_EXIT)
		return WIFEXITED(status) ? (unsigned)WEXITSTATUS(status) % FUZZ_SIGS : 0;
	return 0;
}

/* head - the comments that say what was found and how to replay it */
static void head(const struct fuzz_eng *e, enum fuzz_kind kind, const char *detail,
		 unsigned kept, unsigned runs, struct xbuf *tr)
{
	const struct fuzz_options *o = e->o;
	const char *last = e->nu ? e->u[e->nu - 1].c.what : "";

	(void)!twrite_comment(tr, "fake-smtpd fuzz finding %u: %s: %s", e->serial,
			      fuzz_kind_name(kind), detail);
	(void)!twrite_comment(tr, "target %s, seed %llu, exec %llu; last request: %s",
			      o->target_text ? o->target_text : o->target->text,
			      (unsigned long long)o->seed, (unsigned long long)e->res->execs, last);
	if (runs > 0 && kept > 0)
		(void)!twrite_comment(tr, "minimized: %u of %zu requests kept (%u runs)", kept,
				      e->nu, runs);
	else if (runs > 0)
		(void)!twrite_comment(tr, "did not happen again on a fresh connection: every "
				      "request since the connection was opened is here");
	(void)!twrite_comment(tr, "replay: fake-smtpd replay --fast%s TARGET FILE",
			      o->stderr_apart ? " --stderr-apart" : "");
	(void)!xbuf_printf(tr, "protocol %s\n", o->proto == FUZZ_PROTO_AUTH ? "auth" : "policy");
}

/* tail - where Postfix suffered: the statement that fails on replay */
static void tail(enum fuzz_kind kind, const char *detail, const char *why, int end_written,
		 struct xbuf *tr)
{
	switch (kind) {
	case FUZZ_CRASH:
		(void)!twrite_comment(tr, "the helper crashed here: %s", detail);
		(void)!xbuf_append_str(tr, "expect close\n");
		break;
	case FUZZ_EXIT:
		(void)!twrite_comment(tr, "the helper ended here (%s) where Postfix waits for a "
				      "reply", detail);
		(void)!xbuf_append_str(tr, "S: *\n");
		break;
	case FUZZ_DOWN:
		(void)!twrite_comment(tr, "the connection ended and the next one was refused: %s",
				      detail);
		(void)!xbuf_append_str(tr, "expect close\n");
		break;
	case FUZZ_HANG:
		(void)!twrite_comment(tr, "%s", why);
		if (!end_written)
			(void)!xbuf_append_str(tr, "S: *\n");
		break;
	case FUZZ_BAD_REPLY:
		(void)!twrite_comment(tr, "%s", why);
		break;
	case FUZZ_NKINDS:
		break;
	}
	if (tr->len > TRANSCRIPT_MAX_FILE)
		(void)!twrite_comment(tr, "larger than replay reads (%d bytes)", TRANSCRIPT_MAX_FILE);
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");
	int rc = 0;

	if (fp == NULL)
		return -1;
	if (len && fwrite(data, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* fuzz_finding - count it, minimize it, write its transcript */
void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status, const char *detail)
{
	const struct fuzz_options *o = e->o;
	unsigned char *keep = xcalloc(e->nu ? e->nu : 1, 1);
	unsigned kept = (unsigned)e->nu, runs = 0, sig = signature(kind, status);
	const char *last = e->nu ? e->u[e->nu - 1].c.what : "";
	int end_written = e->end_written;
	char path[4200], why[400];
	struct xbuf tr;
	size_t i;

	if ((unsigned)kind >= FUZZ_NKINDS)
		msg_panic("fuzz_finding: kind %d", (int)kind);
	snprintf(why, sizeof(why), "%s", e->why);
	e->res->findings[kind]++;
	e->serial++;
	for (i = 0; i < e->nu; i++)
		keep[i] = 1;
	fuzz_eng_close(e);
	path[0] = '\0';
	if (o->out != NULL && e->res->written < FUZZ_MAX_WRITTEN) {
		if (o->minimize && o->target->kind == TARGET_SPAWN &&
		    (kind == FUZZ_CRASH || kind == FUZZ_EXIT) && !e->sig_seen[kind][sig]) {
			e->sig_seen[kind][sig] = 1;
			kept = fuzz_minimize(e, keep, kind, status, &runs);
		}
		xbuf_init(&tr, TRANSCRIPT_MAX_FILE * 8);
		head(e, kind, detail, kept, runs, &tr);
		for (i = 0; i < e->nu; i++)
			if (keep[i] && e->u[i].tr.len)
				(void)!xbuf_append(&tr, e->u[i].tr.data, e->u[i].tr.len);
		tail(kind, detail, why, end_written, &tr);
		snprintf(path, sizeof(path), "%s/finding-%03u-%s.tr", o->out, e->serial,
			 fuzz_kind_name(kind));
		if (write_file(path, tr.data, tr.len) < 0) {
			msg_warn("fuzz: %s: %s", path, strerror(errno));
			path[0] = '\0';
		} else {
			e->res->written++;
		}
		xbuf_free(&tr);
	}
	printf("finding %u: %s: %s (exec %llu: %s)%s%s\n", e->serial, fuzz_kind_name(kind), detail,
	       (unsigned long long)e->res->execs, last, path[0] ? " -> " : "", path);
	fflush(stdout);
	free(keep);
}
