/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_dvauth_unescape - fuzz target for Dovecot tab-escaping
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input (at most 4 * DVAUTH_MAX_LINE bytes) is used twice:
 *	  1. as an escaped value: dvauth_unescape() must succeed and
 *	     never make the value longer;
 *	  2. as raw bytes: dvauth_unescape(dvauth_escape(x)) == x, and the
 *	     escaped form holds no TAB, CR, LF or NUL (so it can travel
 *	     in one field of one line).
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/dvauth.h"

#define FUZZ_UNESCAPE_MAX	(4 * DVAUTH_MAX_LINE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct xbuf esc, back, un;

	if (size > FUZZ_UNESCAPE_MAX)
		return 0;
	xbuf_init(&un, FUZZ_UNESCAPE_MAX);
	xbuf_init(&esc, 2 * FUZZ_UNESCAPE_MAX);
	xbuf_init(&back, FUZZ_UNESCAPE_MAX);

	/* 1. decode as received */
	FUZZ_CHECK(dvauth_unescape(p, size, &un) == 0);
	FUZZ_CHECK(un.len <= size);

	/* 2. round trip of arbitrary bytes */
	FUZZ_CHECK(dvauth_escape(data, size, &esc) == 0);
	FUZZ_CHECK(esc.len >= size && esc.len <= 2 * size);
	FUZZ_CHECK(esc.len == 0 || (memchr(esc.data, '\t', esc.len) == NULL &&
				    memchr(esc.data, '\r', esc.len) == NULL &&
				    memchr(esc.data, '\n', esc.len) == NULL &&
				    memchr(esc.data, '\0', esc.len) == NULL));
	FUZZ_CHECK(dvauth_unescape(esc.data, esc.len, &back) == 0);
	FUZZ_CHECK(back.len == size);
	FUZZ_CHECK(size == 0 || memcmp(back.data, data, size) == 0);

	xbuf_free(&un);
	xbuf_free(&esc);
	xbuf_free(&back);
	return 0;
}
