/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	escape - render untrusted bytes visibly and bounded
 * SYNOPSIS
 *	#include "util/escape.h"
 * DESCRIPTION
 *	See escape.h. escape_append() is all or nothing: at out's bound
 *	it restores out and returns -1. escape_for_log() writes the whole
 *	rendering when it fits dstsize with its NUL; otherwise it keeps
 *	room for "..." and stops before the first byte that does not fit.
 * DIAGNOSTICS
 *	None beyond the return values.
 */
#include <stdio.h>
#include <string.h>

#include "util/escape.h"

/* escape_byte - render one byte into tmp (at most 5 bytes incl. NUL) */
static size_t escape_byte(unsigned char c, char tmp[5])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\\':
		memcpy(tmp, "\\\\", 2);
		return 2;
	case '\t':
		memcpy(tmp, "\\t", 2);
		return 2;
	case '\r':
		memcpy(tmp, "\\r", 2);
		return 2;
	case '\n':
		memcpy(tmp, "\\n", 2);
		return 2;
	default:
		if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			return 1;
		}
		tmp[0] = '\\';
		tmp[1] = 'x';
		tmp[2] = hex[c >> 4];
		tmp[3] = hex[c & 15];
		return 4;
	}
}

/* escape_append - render bytes visibly into an xbuf, all or nothing */
int escape_append(struct xbuf *out, const void *p, size_t len, size_t max_in)
{
	const unsigned char *s = p;
	size_t n = (max_in == 0 || max_in > len) ? len : max_in;
	size_t old = out->len;
	size_t i;
	char tmp[5];

	for (i = 0; i < n; i++) {
		size_t k = escape_byte(s[i], tmp);

		if (xbuf_append(out, tmp, k) < 0)
			goto full;
	}
	if (n < len && xbuf_printf(out, "...(%zu more bytes)", len - n) < 0)
		goto full;
	return 0;
full:
	xbuf_truncate(out, old);
	return -1;
}

/* escape_for_log - render bytes visibly into a fixed buffer */
const char *escape_for_log(char *dst, size_t dstsize, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t used = 0, total = 0;
	size_t i, k;
	char tmp[5];

	if (dstsize == 0)
		return dst;
	/* Everything fits (with the NUL): no "..." needed. */
	for (i = 0; i < len && total < dstsize; i++)
		total += escape_byte(s[i], tmp);
	if (total < dstsize) {
		for (i = 0; i < len; i++) {
			k = escape_byte(s[i], tmp);
			memcpy(dst + used, tmp, k);
			used += k;
		}
		dst[used] = '\0';
		return dst;
	}
	/* Otherwise keep room for "..." and the NUL. */
	for (i = 0; i < len; i++) {
		k = escape_byte(s[i], tmp);
		if (used + k + 4 > dstsize)
			break;
		memcpy(dst + used, tmp, k);
		used += k;
	}
	if (used + 4 <= dstsize) {
		memcpy(dst + used, "...", 3);
		used += 3;
	}
	dst[used] = '\0';
	return dst;
}
