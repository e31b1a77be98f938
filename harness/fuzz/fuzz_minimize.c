/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_minimize - drop requests from a finding while it still happens
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep,
 *	                       enum fuzz_kind kind, int status,
 *	                       unsigned *runs_r);
 * DESCRIPTION
 *	The units of the connection's history (one per case sent since it
 *	was opened, the auth handshake first) are run again on a fresh
 *	connection, the kept ones only, and the run counts when the helper
 *	ends the same way (the same kind and wait status). First all of
 *	them (a finding that does not come again is left whole), then the
 *	last request alone (after the handshake), then each unit is dropped
 *	in turn while the ending stays, until FUZZ_MINIMIZE_MS have passed
 *	or the run is stopped; a last run writes the kept units' statements
 *	as they ran (a flaky ending keeps every unit).
 * DIAGNOSTICS
 *	A connection that cannot be opened counts as a different ending.
 */
#include <stddef.h>

#include "harness/fuzz/fuzz_engine.h"

/* rerun - the kept units on a new connection: did the same ending follow? */
static int rerun(struct fuzz_eng *e, const unsigned char *keep, enum fuzz_kind kind, int status)
{
	char err[600], detail[160];
	enum fuzz_kind k2;
	int st2 = 0, same = 0;
	size_t i;

	e->cut_reply = 0;
	if (fuzz_eng_open(e, err, sizeof(err)) < 0)
		return 0;
	for (i = 0; i < e->nu; i++) {
		enum fuzz_ending end;

		if (!keep[i])
			continue;
		xbuf_reset(&e->u[i].tr);
		end = fuzz_eng_case(e, &e->u[i].c, &e->u[i].tr);
		if (end == FUZZ_END_CLOSED) {
			same = fuzz_eng_ended(e, &k2, &st2, detail, sizeof(detail)) && k2 == kind &&
			       st2 == status;
			break;
		}
		if (end != FUZZ_END_OK)
			break;
	}
	/* a last line that wanted no reply: the helper may die a moment later */
	if (i == e->nu && e->c.pid > 0 && tconn_wait_exit(&e->c, 300) == 1)
		same = fuzz_eng_ended(e, &k2, &st2, detail, sizeof(detail)) && k2 == kind &&
		       st2 == status;
	fuzz_eng_close(e);
	return same;
}

/* fuzz_minimize - drop units one at a time while the ending stays the same */
unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep, enum fuzz_kind kind, int status,
		       unsigned *runs_r)
{
	uint64_t until = fuzz_eng_now_ms() + FUZZ_MINIMIZE_MS;
	unsigned runs = 0, kept = 0;
	size_t i;

	for (i = 0; i < e->nu; i++)
		keep[i] = 1;
	if (!rerun(e, keep, kind, status)) {
		*runs_r = 1;
		return 0;		/* not reproducible on its own: left whole */
	}
	runs = 1;
	/* most often the last request alone does it (after the handshake for auth) */
	if (e->nu > 2) {
		for (i = 0; i < e->nu; i++)
			keep[i] = i + 1 == e->nu ||
				  (i == 0 && e->u[0].c.step[0].due == FUZZ_DUE_HANDSHAKE);
		runs++;
		if (!rerun(e, keep, kind, status))
			for (i = 0; i < e->nu; i++)
				keep[i] = 1;
	}
	for (i = 0; i < e->nu && fuzz_eng_now_ms() < until && !fuzz_eng_stopping(); i++) {
		if (!keep[i])
			continue;
		keep[i] = 0;
		runs++;
		if (!rerun(e, keep, kind, status))
			keep[i] = 1;
	}
	/* the statements of the kept units as they ran last time */
	runs++;
	if (!rerun(e, keep, kind, status))
		for (i = 0; i < e->nu; i++)
			keep[i] = 1;	/* flaky: say so below, keep the last run */
	for (i = 0; i < e->nu; i++)
		kept += keep[i];
	*runs_r = runs;
	return kept;
}
