/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_gen - the wire fuzzer's generators: what one exec sends
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_gen.h"
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
 *	void fuzz_gen_policy(struct fuzz_rng *r, const struct pf_version *v,
 *	                     struct fuzz_case *c);

enum fuzz_due fuzz_step_due(const char *p, size_t len, unsigned *id_r);
size_t fuzz_pick_len(struct fuzz_rng *r);
unsigned char fuzz_pick_odd(struct fuzz_rng *r);
void fuzz_filler(struct xbuf *b, struct fuzz_rng *r, size_t len);
void fuzz_insert_random(struct xbuf *b, struct fuzz_rng *r, const void *p, size_t n);
 *
 *	enum fuzz_due fuzz_step_due(const char *p, size_t len,
 *	                            unsigned *id_r);
 *	size_t fuzz_pick_len(struct fuzz_rng *r);
 *	unsigned char fuzz_pick_odd(struct fuzz_rng *r);
 *	void fuzz_filler(struct xbuf *b, struct fuzz_rng *r, size_t len);
 *	void fuzz_insert_random(struct xbuf *b, struct fuzz_rng *r,
 *	                        const void *p, size_t n);
 * DESCRIPTION
 *	Pure, deterministic for a seed, bounded: no I/O, no clock, no
 *	state but the caller's struct fuzz_rng and struct fuzz_auth_state.
 *	fuzz_rng is splitmix64: every seed, 0 included, gives a full
 *	stream; fuzz_rng_below(r, n) is in [0, n) (0 for n = 0).
 *
 *	A case is what one exec sends, as up to FUZZ_MAX_STEPS steps; each
 *	step is one write of one or more lines and says whether a reply is
 *	due after it. fuzz_gen_handshake() is Postfix's VERSION and CPID
 *	(mutate: a changed version, CPID, CR or an extra line).
 *	fuzz_gen_auth() starts from a request as Postfix writes it (AUTH id
 *	mech service=smtp nologin lip= rip= [secured] [resp=]) for PLAIN
 *	with and without an initial response or LOGIN with its two CONT
 *	rounds, then applies one to three mutations: boundary-length fields
 *	(100, 255, 256, 1024, 16383, 16384 bytes), odd bytes, TAB and \001
 *	escapes, bad base64, unknown mechanisms, duplicate and odd ids,
 *	missing and extra parameters, CR, NUL, other verbs. A reply is due
 *	after each AUTH or CONT line with a numeric id, as the helper will
 *	split it. fuzz_gen_policy() starts from the request Postfix v
 *	sends at a random protocol_state and applies the same kinds of
 *	mutations to attributes (long, odd, empty, missing, extra, duplicate
 *	names and values, lines without "="). No step holds an LF inside a
 *	line, and no step is longer than FUZZ_MAX_STEP bytes. c->what says
 *	in printable ASCII what the case is: the base request and its
 *	mutations.
 *
 *	The building blocks, for the corpus mutator (fuzz_corpus.h) too:
 *	fuzz_step_due() is what is due after one auth line p[0..len) (with
 *	its LF): FUZZ_DUE_AUTH with *id_r for AUTH or CONT and a decimal id
 *	above 0 of at most 10 digits, else FUZZ_DUE_NONE. fuzz_pick_len()
 *	is a boundary length (100, 255, 256, 1024, 16383, 16384) or, one
 *	time in six, one below 300; fuzz_pick_odd() a byte helpers often
 *	mishandle (NUL, \001, TAB, CR, DEL, 8-bit, '=', '\\', blank, ESC,
 *	quote, '%'); fuzz_filler() appends len printable bytes whose pattern
 *	tells an offset; fuzz_insert_random() inserts p[0..n) at a random
 *	position of b.
 * DIAGNOSTICS
 *	None: a full buffer only shortens what is generated.
 */
#ifndef HARNESS_FUZZ_FUZZ_GEN_H
#define HARNESS_FUZZ_FUZZ_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/postfix/pf_version.h"
#include "util/xbuf.h"

#define FUZZ_MAX_STEPS		4
#define FUZZ_MAX_STEP		(64 * 1024)

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

void fuzz_rng_seed(struct fuzz_rng *r, uint64_t seed);
uint64_t fuzz_rng_next(struct fuzz_rng *r);
unsigned fuzz_rng_below(struct fuzz_rng *r, unsigned n);

void fuzz_case_init(struct fuzz_case *c);
void fuzz_case_reset(struct fuzz_case *c);
void fuzz_case_free(struct fuzz_case *c);
void fuzz_gen_handshake(struct fuzz_rng *r, unsigned cpid, int mutate, struct fuzz_case *c);
void fuzz_gen_auth(struct fuzz_rng *r, struct fuzz_auth_state *st, struct fuzz_case *c);
void fuzz_gen_policy(struct fuzz_rng *r, const struct pf_version *v, struct fuzz_case *c);

enum fuzz_due fuzz_step_due(const char *p, size_t len, unsigned *id_r);
size_t fuzz_pick_len(struct fuzz_rng *r);
unsigned char fuzz_pick_odd(struct fuzz_rng *r);
void fuzz_filler(struct xbuf *b, struct fuzz_rng *r, size_t len);
void fuzz_insert_random(struct xbuf *b, struct fuzz_rng *r, const void *p, size_t n);

#endif
