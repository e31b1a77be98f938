/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_minimize - drop requests from a finding while it still happens
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep,
 *	                       enum fuzz_kind kind, int status,
 *	                       struct fuzz_repro *best, unsigned *runs_r);
 *	void fuzz_repro_take(struct fuzz_eng *e, const unsigned char *keep,
 *	                     struct fuzz_repro *r);
 * DESCRIPTION
 *	The units of the connection's history (one per case sent since it
 *	was opened, the auth handshake first) are run again on a fresh
 *	connection, the kept ones only, and the run counts when it ends in
 *	the same finding (fuzz_eng_classify(): the same kind and wait
 *	status). First all of them, then the last request alone (after the
 *	handshake; a finding that comes again neither way is left whole),
 *	then each unit but the handshake is dropped in turn while the
 *	ending stays, until FUZZ_MINIMIZE_MS have passed, the run's own
 *	bound (e->stop_at) has come, or the run is stopped: no read of a
 *	rerun goes past either, and one cut there does not count. best holds the statements of the last run that ended the
 *	same way (fuzz_repro_take()), so what is written is what happened.
 * DIAGNOSTICS
 *	A connection that cannot be opened counts as a different ending.
 */
#include <stddef.h>
#include <stdlib.h>

#include "harness/fuzz/fuzz_engine.h"
#include "util/xmem.h"

/* fuzz_repro_take - the kept units' statements, and where the last case ended */
void fuzz_repro_take(struct fuzz_eng *e, const unsigned char *keep, struct fuzz_repro *r)
{
	size_t i;

	xbuf_reset(&r->text);
	r->kept = 0;
	r->shaped = 1;
	for (i = 0; i < e->nu; i++) {
		if (!keep[i])
			continue;
		r->kept++;
		r->shaped &= e->u[i].shaped;
		if (e->u[i].tr.len)
			(void)!xbuf_append(&r->text, e->u[i].tr.data, e->u[i].tr.len);
	}
	r->step_shaped = e->step_shaped && e->hs_std;
	r->end_written = e->end_written;
	r->where = e->where;
	r->wait_id = e->wait_id;
}

/* fuzz_rerun - the kept units on a new connection: did the same finding follow? */
int fuzz_rerun(struct fuzz_eng *e, const unsigned char *keep, enum fuzz_kind kind, int status,
	       struct fuzz_repro *best)
{
	char err[600], detail[400];
	enum fuzz_ending end = FUZZ_END_OK;
	int st2 = 0, same = 0, usable = e->usable;
	size_t i, last = 0;

	e->cut_reply = 0;
	if (fuzz_eng_open(e, err, sizeof(err)) < 0)
		return 0;
	for (i = 0; i < e->nu; i++) {
		if (!keep[i])
			continue;
		xbuf_reset(&e->u[i].tr);
		end = fuzz_eng_case(e, &e->u[i].c, &e->u[i].tr);
		e->u[i].shaped = e->case_shaped;
		last = i;
		if (end != FUZZ_END_OK)
			break;
	}
	/* a last line that wanted no reply: the helper may die a moment later */
	if (end == FUZZ_END_OK && e->c.pid > 0 && tconn_wait_exit(&e->c, 300) == 1)
		end = FUZZ_END_CLOSED;
	if (end != FUZZ_END_OK && !e->cut)
		same = fuzz_eng_classify(e, end, 0, &st2, detail, sizeof(detail)) == (int)kind &&
		       st2 == status;
	if (same && best != NULL) {
		unsigned char *upto = xcalloc(e->nu, 1);

		/* the units that ran, up to the one that ended it */
		for (i = 0; i <= last; i++)
			upto[i] = keep[i];
		fuzz_repro_take(e, upto, best);
		free(upto);
	}
	fuzz_eng_close(e);
	e->usable = usable;
	return same;
}

/* fuzz_minimize - drop units one at a time while the ending stays the same */
unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep, enum fuzz_kind kind, int status,
		       struct fuzz_repro *best, unsigned *runs_r)
{
	uint64_t until = fuzz_eng_now_ms() + FUZZ_MINIMIZE_MS, run_end = e->stop_at;
	int hs = e->nu > 0 && e->u[0].c.nsteps > 0 && e->u[0].c.step[0].due == FUZZ_DUE_HANDSHAKE;
	unsigned runs = 0;
	int all;
	size_t i;

	for (i = 0; i < e->nu; i++)
		keep[i] = 1;
	*runs_r = 0;
	if (run_end != 0 && run_end < until)
		until = run_end;	/* the run's bound holds here too */
	if (fuzz_eng_now_ms() + 100 >= until)
		return 0;
	e->stop_at = until;
	runs++;
	all = fuzz_rerun(e, keep, kind, status, best);
	/* most often the last request alone does it (after the handshake for auth); it
	   may be the only way: a finding confirmed apart from what Postfix never sends */
	if (e->nu > 2 || (!all && e->nu > 1)) {
		for (i = 0; i < e->nu; i++)
			keep[i] = i + 1 == e->nu || (i == 0 && hs);
		runs++;
		if (fuzz_rerun(e, keep, kind, status, best))
			all = 1;
		else
			for (i = 0; i < e->nu; i++)
				keep[i] = 1;
	}
	if (!all)
		goto out;	/* not reproducible on its own: left whole */
	for (i = hs ? 1 : 0; i < e->nu && fuzz_eng_now_ms() < until && !fuzz_eng_stopping(); i++) {
		if (!keep[i])
			continue;
		keep[i] = 0;
		runs++;
		if (!fuzz_rerun(e, keep, kind, status, best))
			keep[i] = 1;
	}
out:
	e->stop_at = run_end;
	*runs_r = runs;
	return best->kept;
}
