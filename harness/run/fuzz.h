/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - a protocol-aware wire fuzzer for auth helpers and policy services
 * SYNOPSIS
 *	#include "harness/run/fuzz.h"
 *
 *	void fuzz_rng_seed(struct fuzz_rng *r, uint64_t seed);
 *	uint64_t fuzz_rng_next(struct fuzz_rng *r);
 *	unsigned fuzz_rng_below(struct fuzz_rng *r, unsigned n);
 *
 *	void fuzz_case_init(struct fuzz_case *c);
 *	void fuzz_case_reset(struct fuzz_case *c);
 *	void fuzz_case_free(struct fuzz_case *c);
 *	void fuzz_gen_handshake(struct fuzz_rng *r, unsigned cpid, int mutate,
 *	                        struct fuzz_case *c);
 *	void fuzz_gen_auth(struct fuzz_rng *r, struct fuzz_auth_state *st,
 *	                   struct fuzz_case *c);
 *	void fuzz_gen_policy(struct fuzz_rng *r, struct fuzz_case *c);
 *
 *	int fuzz_escape_text(struct xbuf *out, const void *p, size_t len);
 *	int fuzz_write_steps(struct xbuf *out, const struct fuzz_case *c);
 *
 *	int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res,
 *	             char *err, size_t errlen);
 *	void fuzz_request_stop(void);
 * DESCRIPTION
 *	Generator (pure, deterministic for a seed, bounded): a case is what
 *	one exec sends, as up to FUZZ_MAX_STEPS steps; each step is one
 *	write of one or more lines and says whether a reply is due after it.
 *	fuzz_gen_handshake() is Postfix's VERSION and CPID (mutate: a
 *	changed version, CPID, CR or an extra line). fuzz_gen_auth() starts
 *	from a request as Postfix writes it (AUTH id mech service=smtp
 *	nologin lip= rip= [secured] [resp=]) for PLAIN with and without an
 *	initial response or LOGIN with its two CONT rounds, then applies one
 *	to three mutations: boundary-length fields (100, 255, 256, 1024,
 *	16383, 16384 bytes), odd bytes, TAB and \001 escapes, bad base64,
 *	unknown mechanisms, duplicate and odd ids, missing and extra
 *	parameters, CR, NUL, other verbs. fuzz_gen_policy() starts from
 *	the request Postfix 3.7 sends at a random protocol_state and applies
 *	the same kinds of mutations to attributes (long, odd, empty, missing,
 *	extra, duplicate names and values, lines without "="). No step
 *	holds an LF inside a line, and no step is longer than FUZZ_MAX_STEP
 *	bytes.
 *
 *	fuzz_escape_text() writes bytes in the transcript language's text
 *	notation (docs/transcripts.md); fuzz_write_steps() writes a case
 *	as C:/C-: statements that send exactly its bytes.
 *
 *	Engine (fuzz_run): one connection at a time to o->target; each exec
 *	sends a case step by step and reads the replies due, judged as
 *	Postfix reads them (harness/postfix): auth replies up to OK, FAIL or
 *	CONT for the request's id (a CONT continues with the next step);
 *	policy replies up to the empty line. Findings:
 *	  crash      a spawned helper ended by a signal
 *	  exit       a spawned helper ended on its own with a status other
 *	             than 0
 *	  down       unix:/inet: the connection ended and the next one was
 *	             refused
 *	  hang       no reply (and no close) within o->timeout_ms where one
 *	             was due
 *	  bad-reply  bytes Postfix would choke on: a handshake Postfix
 *	             refuses or crashes on, a line longer than 64 KiB, a
 *	             policy reply Postfix counts as a failed try
 *	Each finding is written to o->out as a transcript: the lines sent on
 *	that connection since it was opened, a "S: *" for each line received
 *	(the text as a comment), then what was observed ("expect close"
 *	after a crash). Crashes and exits of spawned helpers are minimized
 *	first: requests are dropped one at a time while the same ending
 *	still follows (bounded by FUZZ_MINIMIZE_MS). The connection is
 *	reopened (the helper respawned) after every finding, whenever the
 *	helper closes it, and every o->reconnect_every execs.
 * DIAGNOSTICS
 *	fuzz_run: 0, or -1 when the target cannot be used at the start or
 *	the output directory cannot be written (err).
 *	fuzz_request_stop() may be called from a signal handler: the run
 *	ends after the exec under way, with its result.
 */
#ifndef HARNESS_RUN_FUZZ_H
#define HARNESS_RUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "harness/io/target.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define FUZZ_MAX_STEPS		4
#define FUZZ_MAX_STEP		(64 * 1024)
#define FUZZ_MINIMIZE_MS	15000
#define FUZZ_MAX_WRITTEN	100	/* transcripts per run */

struct fuzz_rng {
	uint64_t s;
};

enum fuzz_due {
	FUZZ_DUE_NONE,		/* nothing is due: go on */
	FUZZ_DUE_HANDSHAKE,	/* auth: lines up to DONE */
	FUZZ_DUE_AUTH,		/* auth: OK/FAIL/CONT for step.id */
	FUZZ_DUE_POLICY,	/* policy: a reply up to the empty line */
};

struct fuzz_step {
	size_t off, len;	/* bytes in fuzz_case.buf */
	enum fuzz_due due;
	unsigned id;		/* FUZZ_DUE_AUTH */
};

struct fuzz_case {
	unsigned nsteps;
	struct fuzz_step step[FUZZ_MAX_STEPS];
	struct xbuf buf;
	char what[160];		/* the base request and its mutations */
};

struct fuzz_auth_state {
	unsigned next_id;	/* ids as Postfix counts them, from 1 */
	unsigned last_id;
};

enum fuzz_kind {
	FUZZ_CRASH,
	FUZZ_EXIT,
	FUZZ_DOWN,
	FUZZ_HANG,
	FUZZ_BAD_REPLY,
	FUZZ_NKINDS,
};

enum fuzz_proto {
	FUZZ_PROTO_AUTH,
	FUZZ_PROTO_POLICY,
};

struct fuzz_options {
	enum fuzz_proto proto;
	const struct target *target;
	const char *target_text;
	uint64_t seed;
	double seconds;			/* 0: no time limit */
	uint64_t iterations;		/* 0: no exec limit */
	int timeout_ms;
	const char *out;		/* directory for findings, NULL: none */
	int stderr_apart;
	unsigned reconnect_every;
	unsigned max_findings;		/* stop after N findings, 0: never */
	int minimize;
	int quiet;			/* no live status line */
};

struct fuzz_result {
	uint64_t execs, connections;
	uint64_t findings[FUZZ_NKINDS];
	unsigned written;
	double elapsed;
};

void fuzz_rng_seed(struct fuzz_rng *r, uint64_t seed);
uint64_t fuzz_rng_next(struct fuzz_rng *r);
unsigned fuzz_rng_below(struct fuzz_rng *r, unsigned n);

void fuzz_case_init(struct fuzz_case *c);
void fuzz_case_reset(struct fuzz_case *c);
void fuzz_case_free(struct fuzz_case *c);
void fuzz_gen_handshake(struct fuzz_rng *r, unsigned cpid, int mutate, struct fuzz_case *c);
void fuzz_gen_auth(struct fuzz_rng *r, struct fuzz_auth_state *st, struct fuzz_case *c);
void fuzz_gen_policy(struct fuzz_rng *r, struct fuzz_case *c);

int fuzz_escape_text(struct xbuf *out, const void *p, size_t len) ATTR_WUR;
int fuzz_write_steps(struct xbuf *out, const struct fuzz_case *c) ATTR_WUR;
const char *fuzz_kind_name(enum fuzz_kind k);

int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen);
void fuzz_request_stop(void);

#endif
