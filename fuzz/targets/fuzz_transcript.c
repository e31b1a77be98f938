/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_transcript - fuzz target for the transcript parser
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a transcript file (at most FUZZ_TRANSCRIPT_MAX_INPUT
 *	bytes; the parser's own bound is larger) given to
 *	transcript_parse() under the name "fuzz.tr". A transcript that
 *	parses has every op's pattern expanded with the variables a replay
 *	would have (user, password, id, pid), as the replay engine does
 *	before it sends; expansion may fail (an unset variable), never crash.
 *
 *	Checked: a refused transcript's error starts with "fuzz.tr:" and a
 *	line number; op line numbers are within the file and never
 *	decrease; every op kind has a name.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/script/transcript.h"

#define FUZZ_TRANSCRIPT_MAX_INPUT	(64 * 1024)

/* expand_ops - expand every pattern of ops[0..n), recursing into groups */
static void expand_ops(const struct top *ops, size_t n, const struct tvars *v,
		       unsigned maxline, struct xbuf *out)
{
	const char *err;
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct top *op = &ops[i];

		FUZZ_CHECK(op->line >= 1 && op->line <= maxline);
		FUZZ_CHECK(transcript_op_name(op->kind) != NULL);
		xbuf_reset(out);
		err = NULL;
		if (op->pat.nseg > 0 && tpat_expand(&op->pat, v, out, &err) < 0)
			FUZZ_CHECK(err != NULL);
		for (k = 0; k < op->nargs && k < 2; k++) {
			xbuf_reset(out);
			if (tpat_expand(&op->args[k], v, out, &err) < 0)
				FUZZ_CHECK(err != NULL);
		}
		for (k = 0; k < op->npol; k++) {
			xbuf_reset(out);
			if (tpat_expand(&op->pol[k].value, v, out, &err) < 0)
				FUZZ_CHECK(err != NULL);
		}
		if (op->nkids > 0)
			expand_ops(op->kids, op->nkids, v, maxline, out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct transcript t;
	struct tvars v;
	struct xbuf out;
	char err[512];
	unsigned lines = 1;
	size_t i;

	if (size > FUZZ_TRANSCRIPT_MAX_INPUT)
		return 0;
	err[0] = '\0';
	memset(&t, 0, sizeof(t));
	if (transcript_parse(buf, size, "fuzz.tr", &t, err, sizeof(err)) < 0) {
		FUZZ_CHECK(strncmp(err, "fuzz.tr:", 8) == 0);
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += buf[i] == '\n';
	for (i = 1; i < t.nops; i++)
		FUZZ_CHECK(t.ops[i].line >= t.ops[i - 1].line);
	tvars_init(&v);
	xbuf_init(&out, 4 * FUZZ_TRANSCRIPT_MAX_INPUT);
	FUZZ_CHECK(tvars_set(&v, "user", "alice", 5) == 0);
	FUZZ_CHECK(tvars_set(&v, "password", "secret", 6) == 0);
	FUZZ_CHECK(tvars_set(&v, "id", "1", 1) == 0);
	FUZZ_CHECK(tvars_set(&v, "pid", "4242", 4) == 0);
	expand_ops(t.ops, t.nops, &v, lines, &out);
	xbuf_free(&out);
	tvars_free(&v);
	transcript_free(&t);
	return 0;
}
