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
 *	int fuzz_eng_ended(struct fuzz_eng *e, enum fuzz_kind *kind_r,
 *	                   int *status_r, char *detail, size_t size);
 *
 *	unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep,
 *	                       enum fuzz_kind kind, int status,
 *	                       unsigned *runs_r);
 *	void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status,
 *	                  const char *detail);
 * DESCRIPTION
 *	struct fuzz_eng is one run: the options, the open connection, the
 *	generator's state and this connection's history, one struct
 *	fuzz_unit per case sent since the connection was opened, each with
 *	the transcript statements written while it ran.
 *
 *	fuzz_eng_case() sends a case step by step and reads what is due,
 *	appending to tr (NULL: nothing) the statements that replay it:
 *	C:/C-: for the bytes, a comment and "S: *" for each line received,
 *	and the statement that fails on replay where the ending is a
 *	finding (e->end_written says it was written). fuzz_eng_ended():
 *	after the connection closed, did a spawned helper die (1, with its
 *	kind, status and a text), or not (0).
 *
 *	fuzz_minimize() drops units one at a time while a fresh connection
 *	still ends the same way (keep[i]: unit i is kept), within
 *	FUZZ_MINIMIZE_MS; it returns how many are kept, 0 when the ending
 *	did not come again (keep is then all 1), and the number of runs.
 *	fuzz_finding() counts a finding, minimizes it when it may, prints
 *	it and writes its transcript; the connection is closed.
 * DIAGNOSTICS
 *	fuzz_eng_open: 0, or -1 with the reason in err.
 */
#ifndef HARNESS_FUZZ_FUZZ_ENGINE_H
#define HARNESS_FUZZ_FUZZ_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/fuzz/fuzz.h"
#include "harness/fuzz/fuzz_gen.h"
#include "harness/postfix/pf_version.h"
#include "util/xbuf.h"

#define FUZZ_TR_MAX	(4 * 1024 * 1024)	/* statements kept for one case */
#define FUZZ_SIGS	160			/* signals and exit statuses told apart */

enum fuzz_ending {
	FUZZ_END_OK,		/* every reply due arrived */
	FUZZ_END_CLOSED,	/* EOF, reset or a failed write */
	FUZZ_END_HANG,
	FUZZ_END_BAD,
};

struct fuzz_unit {
	struct fuzz_case c;
	struct xbuf tr;		/* the statements for this case, as run */
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
	unsigned serial;
	char why[400];
	int cut_reply;
	int end_written;	/* the reader wrote the statement that fails on replay */
	/* finding signatures already minimized */
	int sig_seen[FUZZ_NKINDS][FUZZ_SIGS];
};

uint64_t fuzz_eng_now_ms(void);
int fuzz_eng_stopping(void);
int fuzz_eng_open(struct fuzz_eng *e, char *err, size_t errlen);
void fuzz_eng_close(struct fuzz_eng *e);
enum fuzz_ending fuzz_eng_case(struct fuzz_eng *e, const struct fuzz_case *fc, struct xbuf *tr);
int fuzz_eng_ended(struct fuzz_eng *e, enum fuzz_kind *kind_r, int *status_r, char *detail,
		   size_t size);

unsigned fuzz_minimize(struct fuzz_eng *e, unsigned char *keep, enum fuzz_kind kind, int status,
		       unsigned *runs_r);
void fuzz_finding(struct fuzz_eng *e, enum fuzz_kind kind, int status, const char *detail);

#endif
