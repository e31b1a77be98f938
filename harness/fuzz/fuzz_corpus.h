/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_corpus - the inputs that gave a new behaviour, kept and reused
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_corpus.h"
 *
 *	int fuzz_corpus_open(struct fuzz_corpus *cp, const char *dir,
 *	                     char *err, size_t errlen);
 *	void fuzz_corpus_close(struct fuzz_corpus *cp);
 *	int fuzz_corpus_novel(struct fuzz_corpus *cp, uint64_t fp);
 *	int fuzz_corpus_keep(struct fuzz_corpus *cp, const struct fuzz_case *c);
 *
 *	uint64_t fuzz_fp_add(uint64_t fp, const void *p, size_t len);
 *	unsigned fuzz_case_from_bytes(const char *p, size_t len, int policy,
 *	                              unsigned id, struct fuzz_case *c);
 *	void fuzz_corpus_mutate(struct fuzz_rng *r, const struct xbuf *base,
 *	                        const struct xbuf *other, int policy,
 *	                        struct xbuf *out);
 * DESCRIPTION
 *	A black-box fuzzer sees no coverage; what it sees is behaviour. The
 *	engine folds what each exec brought back into a fingerprint
 *	(fuzz_fp_add(), FNV-1a over the kind of each reply and its fixed
 *	part: the verdict word and the names of the fields for auth, the
 *	action's first word and a normalized start of its text for policy,
 *	and how the exec ended). fuzz_corpus_novel() records a fingerprint
 *	and says whether it is new (1); the engine then keeps the case with
 *	fuzz_corpus_keep(): its bytes, exactly as sent, in a file of the
 *	directory named by their FNV-1a hash (16 hex digits), created as
 *	fuzz_out.h does (never over a file, never through a link; the same
 *	bytes twice are one file). At most FUZZ_CORPUS_MAX entries are
 *	held.
 *
 *	fuzz_corpus_open() makes or opens dir (fuzz_dir_open()) and loads its
 *	regular files in name order (dot files and files over
 *	FUZZ_CORPUS_FILE_MAX bytes are left out, links are not followed):
 *	a run with --corpus starts by sending each of them once, then mixes
 *	mutations of them (fuzz_corpus_mutate()) with generated cases.
 *
 *	fuzz_case_from_bytes() makes a case of kept bytes: policy, one step
 *	per request ended by its empty line; auth, one step per line, due
 *	as fuzz_step_due() says, where the id of the first line's request
 *	becomes id in every line that carries it (ids only grow on a
 *	connection).
 *
 *	fuzz_corpus_mutate() writes to out base with one mutation, at the
 *	level of the protocol: for auth, a field after the id of a random
 *	line (a base64 payload decoded, changed and encoded again: a byte
 *	inserted or a boundary-length run added; another field lengthened
 *	to a boundary length, given an odd byte, cut in half, doubled,
 *	dropped, or replaced by a field of other); for policy, the value of
 *	a random attribute in the same ways, or the attribute line doubled
 *	or dropped. Lines keep their LF, requests their empty line.
 * DIAGNOSTICS
 *	fuzz_corpus_open: 0, or -1 with the reason in err.
 *	fuzz_corpus_keep: 1 kept, 0 already there or the corpus is full,
 *	-1 the file cannot be written (errno). fuzz_case_from_bytes: the
 *	number of steps (0: nothing usable).
 */
#ifndef HARNESS_FUZZ_FUZZ_CORPUS_H
#define HARNESS_FUZZ_FUZZ_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/fuzz/fuzz_gen.h"
#include "util/xbuf.h"

#define FUZZ_CORPUS_MAX		4096
#define FUZZ_CORPUS_FILE_MAX	(FUZZ_MAX_STEPS * (size_t)FUZZ_MAX_STEP)
#define FUZZ_FP_SEED		0xcbf29ce484222325ull

struct fuzz_corpus {
	int dirfd;			/* -1: no corpus */
	struct xbuf *ent;		/* the kept cases' bytes */
	unsigned n;
	uint64_t *seen;			/* fingerprints, open addressing */
	size_t nseen, capseen;
};

int fuzz_corpus_open(struct fuzz_corpus *cp, const char *dir, char *err, size_t errlen);
void fuzz_corpus_close(struct fuzz_corpus *cp);
int fuzz_corpus_novel(struct fuzz_corpus *cp, uint64_t fp);
int fuzz_corpus_keep(struct fuzz_corpus *cp, const struct fuzz_case *c);

uint64_t fuzz_fp_add(uint64_t fp, const void *p, size_t len);
unsigned fuzz_case_from_bytes(const char *p, size_t len, int policy, unsigned id,
			      struct fuzz_case *c);
void fuzz_corpus_mutate(struct fuzz_rng *r, const struct xbuf *base, const struct xbuf *other,
			int policy, struct xbuf *out);

#endif
