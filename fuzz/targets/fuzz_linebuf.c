/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_linebuf - fuzz target for LF framing (proto/linebuf)
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input layout: byte 0 selects the CR mode (bit 0: STRIP) and the
 *	bound (bits 1-3: one of the sizes in maxes[], from 1 byte to
 *	DVAUTH_MAX_LINE); byte 1 seeds the chunk sizes; the rest is the
 *	stream. The stream is fed in chunks of 1..64 bytes whose sizes
 *	come from a linear congruential sequence seeded by byte 1, and
 *	drained with linebuf_next() after every chunk, as an I/O shell
 *	does after every read.
 *
 *	Checked for every line returned: it is where the stream says it
 *	is, has no LF, and fits the bound; in STRIP mode exactly one CR
 *	before the LF was removed when there was one. When -1 is returned
 *	the stream really holds max bytes without an LF from the current
 *	line's start. At most FUZZ_LINEBUF_MAX_INPUT bytes are looked at.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/linebuf.h"

#define FUZZ_LINEBUF_MAX_INPUT	(256 * 1024)

static const size_t maxes[8] = { 1, 2, 3, 8, 64, 512, 2048, 16384 };

/* check_line - the line returned at stream offset *pos is right */
static void check_line(const uint8_t *s, size_t n, size_t *pos, const char *line,
		       size_t len, size_t max, enum linebuf_cr cr)
{
	size_t p = *pos;

	FUZZ_CHECK(len <= n - p);
	FUZZ_CHECK(memcmp(line, s + p, len) == 0);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	if (p + len < n && s[p + len] == '\n') {
		/* KEEP: always; STRIP: there was no CR to remove */
		FUZZ_CHECK(cr == LINEBUF_CR_KEEP || len == 0 || line[len - 1] != '\r');
		*pos = p + len + 1;
	} else {
		FUZZ_CHECK(cr == LINEBUF_CR_STRIP);
		FUZZ_CHECK(p + len + 1 < n && s[p + len] == '\r' && s[p + len + 1] == '\n');
		*pos = p + len + 2;
	}
	FUZZ_CHECK(*pos - p <= max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb;
	enum linebuf_cr cr;
	const uint8_t *s;
	const char *line;
	size_t n, max, fed = 0, pos = 0, chunk, len, took;
	unsigned seed;
	int rc = 0;

	if (size < 2 || size > FUZZ_LINEBUF_MAX_INPUT)
		return 0;
	cr = (data[0] & 1) ? LINEBUF_CR_STRIP : LINEBUF_CR_KEEP;
	max = maxes[(data[0] >> 1) & 7];
	seed = data[1];
	s = data + 2;
	n = size - 2;

	linebuf_init(&lb, max, cr);
	while (rc >= 0 && fed < n) {
		seed = seed * 1103515245u + 12345u;
		chunk = 1 + ((seed >> 16) % 64);
		if (chunk > n - fed)
			chunk = n - fed;
		took = linebuf_feed(&lb, s + fed, chunk);
		FUZZ_CHECK(took <= chunk);
		fed += took;
		while ((rc = linebuf_next(&lb, &line, &len)) == 1)
			check_line(s, n, &pos, line, len, max, cr);
		if (rc < 0) {
			/* max bytes from the line's start, none of them LF */
			FUZZ_CHECK(fed - pos >= max);
			FUZZ_CHECK(memchr(s + pos, '\n', max) == NULL);
		} else if (took == 0) {
			/* a full buffer must have been reported as -1 */
			FUZZ_CHECK(0);
		}
	}
	if (rc >= 0) {
		FUZZ_CHECK(linebuf_pending(&lb) == fed - pos);
		FUZZ_CHECK(memcmp(linebuf_pending_data(&lb), s + pos, fed - pos) == 0);
		FUZZ_CHECK(memchr(s + pos, '\n', fed - pos) == NULL);
	}
	linebuf_free(&lb);
	return 0;
}
