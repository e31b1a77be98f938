/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_transcript_match - fuzz target for transcript patterns
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 selects the flags (bit 0: TPAT_GLOB, bit 1:
 *	TPAT_TEXT), then a pattern up to the first LF, then the line it is
 *	matched against (the rest). The pattern is compiled with
 *	tpat_compile() and, when it compiles, matched with tpat_match()
 *	against the line with "user" set, then expanded with the captures.
 *	At most FUZZ_MATCH_MAX_INPUT bytes (matching is one pass with one
 *	restart point: at most the line's length times the pattern's).
 *
 *	Checked: errors have a reason; a match that succeeded sets every
 *	capture to a part of the line (so its length is at most the
 *	line's); a match never changes the variables when it fails; a
 *	pattern without "*" and captures (TPAT_TEXT compiled) that expands
 *	to a string matches that string.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/script/transcript.h"

#define FUZZ_MATCH_MAX_INPUT	(16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pat, *line, *lf, *err = NULL;
	size_t plen, llen, i, nvars;
	unsigned flags;
	struct tpat p;
	struct tvars v;
	struct xbuf out;
	int rc;

	if (size < 1 || size > FUZZ_MATCH_MAX_INPUT)
		return 0;
	flags = data[0] & (TPAT_GLOB | TPAT_TEXT);
	pat = (const char *)data + 1;
	lf = memchr(pat, '\n', size - 1);
	plen = lf ? (size_t)(lf - pat) : size - 1;
	line = lf ? lf + 1 : pat + plen;
	llen = size - 1 - plen - (lf ? 1 : 0);
	memset(&p, 0, sizeof(p));
	if (tpat_compile(pat, plen, flags, &p, &err) < 0) {
		FUZZ_CHECK(err != NULL);
		return 0;
	}
	tvars_init(&v);
	xbuf_init(&out, 4 * FUZZ_MATCH_MAX_INPUT);
	FUZZ_CHECK(tvars_set(&v, "user", "alice", 5) == 0);
	nvars = v.n;
	err = NULL;
	rc = tpat_match(&p, &v, line, llen, &err);
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc < 0)
		FUZZ_CHECK(err != NULL);
	if (rc == 0)
		FUZZ_CHECK(v.n == nvars);
	if (rc == 1)
		for (i = nvars; i < v.n; i++)
			FUZZ_CHECK(v.v[i].len <= llen);
	err = NULL;
	if (tpat_expand(&p, &v, &out, &err) < 0) {
		FUZZ_CHECK(err != NULL);
	} else if (flags & TPAT_TEXT) {
		struct tvars v2;
		struct xbuf copy;

		/* text has no wildcard and no capture: it matches itself */
		tvars_init(&v2);
		FUZZ_CHECK(tvars_set(&v2, "user", "alice", 5) == 0);
		xbuf_init(&copy, out.max);
		FUZZ_CHECK(xbuf_append(&copy, out.data ? out.data : "", out.len) == 0);
		err = NULL;
		rc = tpat_match(&p, &v2, copy.data ? copy.data : "", copy.len, &err);
		FUZZ_CHECK(rc == 1 || (rc == -1 && err != NULL));
		xbuf_free(&copy);
		tvars_free(&v2);
	}
	xbuf_free(&out);
	tvars_free(&v);
	tpat_free(&p);
	return 0;
}
