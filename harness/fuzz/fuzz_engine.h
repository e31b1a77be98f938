/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_engine - the wire fuzzer's engine state, shared by the engine,
 *	the minimizer and the findings (harness/fuzz/ only)
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_engine.h"
 *
 *	uint64_t fuzz_eng_now_ms(void);
 *	int fuzz_eng_stopping(void);
 *	int fuzz_eng_open(struct fuzz_eng *e, char *err, size_t errlen);
 *	void fuzz_eng_close(struct fuzz_eng *e);
 *	enum fuzz_ending fuzz_eng_case(struct fuzz_eng *e,
 *	                               const struct fuzz_case *fc,
 *	                               struct xbuf *tr);
 *	int fuzz_eng_classify(struct fuzz_eng *e, enum fuzz_ending end,
 *	                      int dirty_ok, int *status_r, char *detail,
 *	                      size_t size);
 *
 *	int fuzz_rerun(struct fuzz_eng *e, const unsigned char *keep,
 *	               enum fuzz_kind kind, int status, struct fuzz_repro *best);
 *	unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep,
 *	                       enum fuzz_kind kind, int status,
 *	                       struct fuzz_repro *best, unsigned *runs_r);
 *	void fuzz_repro_take(struct fuzz_eng *e, const unsigned char *keep,
 *	                     struct fuzz_repro *r);
 *	void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status,
 *	                  const char *detail);
 * DESCRIPTION
 *	struct fuzz_eng is one run: the options, the open connection, the
 *	generator's state and this connection's history, one struct
 *	fuzz_unit per case sent since the connection was opened, each with
 *	the transcript statements written while it ran.
 *
 *	fuzz_eng_case() sends a case step by step and reads what is due,
 *	appending to tr (NULL: nothing) the statements that replay it: C:
 *	lines (Postfix's own handshake as "handshake"), a comment for each
 *	line received, and for each step that was answered what a correct
 *	helper answers there. The step that ended a case without its reply
 *	gets no expectation unless e->end_written says the reader wrote it;
 *	fuzz_finding.c adds it. e->waiting, e->step_shaped and e->where tell
 *	where the case ended, e->fp what it brought back (the fingerprint
 *	of fuzz_corpus.h). Every reply (the handshake up to DONE, an auth
 *	reply up to the verdict, a policy reply up to the empty line) is
 *	due within o->timeout_ms in all and within FUZZ_REPLY_MAX bytes, and
 *	no read goes past e->stop_at: a read cut there (e->cut) is no
 *	finding.
 *
 *	fuzz_eng_classify() turns the ending of a case into a finding kind
 *	(with the wait status and a text), or -1 when it is none (fuzz.h
 *	says which is which); a spawned helper is waited for after EOF.
 *	Apart from a crash, the step must be Postfix-shaped, and so must
 *	have been every step before it on the connection (e->clean): a
 *	helper may close on what Postfix never sends, and notice it only
 *	at the next line. With dirty_ok the second condition is left to
 *	the caller, who confirms such a finding with fuzz_rerun() of the
 *	handshake and the last case alone on a fresh connection.
 *
 *	fuzz_rerun() runs the kept units on a fresh connection: 1 when it
 *	ends in the same finding (best, when not NULL, then holds what ran).
 *	fuzz_minimize() drops units one at a time while a fresh connection
 *	still ends with the same kind and status (keep[i]: unit i is kept;
 *	the auth handshake always is), within FUZZ_MINIMIZE_MS; best is
 *	replaced by each run that did. It returns how many are kept, 0 when
 *	the ending did not come again (keep is then all 1). fuzz_repro_take()
 *	copies the kept units' statements and where the case ended.
 *	fuzz_finding() counts a finding under its signature, minimizes and
 *	writes it when it is new, prints it; the connection is closed.
 * DIAGNOSTICS
 *	fuzz_eng_open: 0, or -1 with the reason in err.
 */
#ifndef HARNESS_FUZZ_FUZZ_ENGINE_H
#define HARNESS_FUZZ_FUZZ_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/fuzz/fuzz.h"
#include "harness/fuzz/fuzz_corpus.h"
#include "harness/fuzz/fuzz_gen.h"
#include "harness/fuzz/fuzz_shape.h"
#include "harness/postfix/pf_auth.h"
#include "util/xbuf.h"

#define FUZZ_TR_MAX	(4 * 1024 * 1024)	/* statements kept for one case */
#define FUZZ_LAST_MAX	200			/* the helper's last line kept */

enum fuzz_ending {
	FUZZ_END_OK,		/* every reply due arrived */
	FUZZ_END_CLOSED,	/* EOF, reset or a failed write */
	FUZZ_END_HANG,
	FUZZ_END_BAD,
};

enum fuzz_where {
	FUZZ_AT_HANDSHAKE,
	FUZZ_AT_REQUEST,
};

struct fuzz_unit {
	struct fuzz_case c;
	struct xbuf tr;		/* the statements for this case, as run */
	int shaped;		/* every step Postfix-shaped */
};

/* a reproducer: the kept units' statements and where the last one ended */
struct fuzz_repro {
	struct xbuf text;
	unsigned kept;
	int shaped;		/* every kept unit Postfix-shaped */
	int step_shaped;	/* the step that ended it */
	int end_written;
	enum fuzz_where where;
	unsigned wait_id;	/* auth: the request it waited on */
};

struct fuzz_eng {
	const struct fuzz_options *o;
	struct pf_version v;
	struct tconn c;
	int open;
	struct fuzz_rng rng;
	struct fuzz_auth_state ast;
	struct fuzz_unit *u;	/* this connection's history */
	size_t nu, capu, bytes;
	struct fuzz_case gen;
	struct fuzz_result *res;
	char why[400];
	/* what Postfix knows of this connection */
	struct pf_auth_handshake hs;
	int hs_std;		/* it began with Postfix's own handshake */
	int clean;		/* every step sent on it was Postfix-shaped */
	struct fuzz_shape_auth shape;
	int usable;		/* it answered: a handshake, a policy reply */
	int ever_usable;	/* some connection of the run did */
	unsigned unusable;	/* connections in a row without one */
	int down;		/* the daemon stopped accepting connections */
	/* how the last case ended */
	int cut_reply;
	int end_written;	/* the reader wrote the statement that fails on replay */
	int waiting;		/* EOF while a reply was due */
	int step_shaped;	/* the step under way is Postfix-shaped */
	int case_shaped;	/* every step so far was */
	enum fuzz_where where;
	unsigned wait_id;	/* auth: the id of the step under way */
	uint64_t stop_at;	/* no read goes past this (0: no bound) */
	uint64_t reply_by;	/* the reply under way is due by then */
	size_t reply_bytes;	/* what came before it */
	int cut;		/* a read ended at stop_at: no verdict */
	char last[FUZZ_LAST_MAX];	/* the last line that was not the reply */
	uint64_t fp;		/* what the last case brought back (fuzz_corpus.h) */
	struct fuzz_corpus cp;
	int outfd;		/* o->out, or -1 */
	unsigned out_skip;	/* names taken in o->out by earlier runs */
	unsigned replayed;	/* kept inputs sent again so far */
};

uint64_t fuzz_eng_now_ms(void);
int fuzz_eng_stopping(void);
int fuzz_eng_open(struct fuzz_eng *e, char *err, size_t errlen);
void fuzz_eng_close(struct fuzz_eng *e);
enum fuzz_ending fuzz_eng_case(struct fuzz_eng *e, const struct fuzz_case *fc, struct xbuf *tr);
int fuzz_eng_classify(struct fuzz_eng *e, enum fuzz_ending end, int dirty_ok, int *status_r,
		      char *detail, size_t size);

int fuzz_rerun(struct fuzz_eng *e, const unsigned char *keep, enum fuzz_kind kind, int status,
	       struct fuzz_repro *best);
unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep, enum fuzz_kind kind, int status,
		       struct fuzz_repro *best, unsigned *runs_r);
void fuzz_repro_take(struct fuzz_eng *e, const unsigned char *keep, struct fuzz_repro *r);
void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status, const char *detail);

#endif
