/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_base64 - fuzz target for base64 decoding and encoding
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input (at most FUZZ_BASE64_MAX_INPUT bytes) is decoded in both
 *	modes and also encoded as raw bytes. Checked:
 *	  - strict decoding is canonical: what it accepts, encoding the
 *	    result gives back byte for byte; Dovecot mode accepts it too,
 *	    with the same bytes; Postfix's charset check accepts it;
 *	  - what Dovecot mode accepts re-encodes to a strict encoding of
 *	    the same bytes;
 *	  - a decoded value is at most 3/4 of the input;
 *	  - encode(x) has base64_encoded_len(|x|) bytes, passes the
 *	    charset check and decodes strictly to x.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/base64.h"

#define FUZZ_BASE64_MAX_INPUT	(64 * 1024)

static int same(const struct xbuf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data, *err = NULL;
	struct xbuf strict, dove, enc, back;
	int rs, rd;

	if (size > FUZZ_BASE64_MAX_INPUT)
		return 0;
	xbuf_init(&strict, FUZZ_BASE64_MAX_INPUT);
	xbuf_init(&dove, FUZZ_BASE64_MAX_INPUT);
	xbuf_init(&enc, 2 * FUZZ_BASE64_MAX_INPUT);
	xbuf_init(&back, FUZZ_BASE64_MAX_INPUT);

	rs = base64_decode(src, size, 0, &strict, &err);
	FUZZ_CHECK(rs == 0 || (rs == -1 && err != NULL));
	rd = base64_decode(src, size, BASE64_DOVECOT, &dove, &err);
	FUZZ_CHECK(rd == 0 || (rd == -1 && err != NULL));
	if (rs == 0) {
		FUZZ_CHECK(strict.len <= size / 4 * 3);
		FUZZ_CHECK(base64_charset_ok(src, size));
		FUZZ_CHECK(rd == 0 && same(&dove, strict.data, strict.len));
		FUZZ_CHECK(base64_encode(strict.data, strict.len, &enc) == 0);
		FUZZ_CHECK(same(&enc, src, size));
	}
	if (rd == 0) {
		FUZZ_CHECK(dove.len <= size / 4 * 3);
		xbuf_reset(&enc);
		FUZZ_CHECK(base64_encode(dove.data, dove.len, &enc) == 0);
		FUZZ_CHECK(base64_decode(enc.data, enc.len, 0, &back, &err) == 0);
		FUZZ_CHECK(same(&back, dove.data, dove.len));
	}

	xbuf_reset(&enc);
	xbuf_reset(&back);
	FUZZ_CHECK(base64_encode(data, size, &enc) == 0);
	FUZZ_CHECK(enc.len == base64_encoded_len(size));
	FUZZ_CHECK(base64_charset_ok(enc.data, enc.len));
	FUZZ_CHECK(base64_decode(enc.data, enc.len, 0, &back, &err) == 0);
	FUZZ_CHECK(same(&back, data, size));

	xbuf_free(&strict);
	xbuf_free(&dove);
	xbuf_free(&enc);
	xbuf_free(&back);
	return 0;
}
