/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	escape - render untrusted bytes visibly and bounded
 * SYNOPSIS
 *	#include "util/escape.h"
 * DESCRIPTION
 *	See escape.h.
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

/* escape_append - render bytes visibly into an xbuf */
int escape_append(struct xbuf *out, const void *p, size_t len, size_t max_in)
{
	const unsigned char *s = p;
	size_t n = (max_in == 0 || max_in > len) ? len : max_in;
	size_t i;
	char tmp[5];

	for (i = 0; i < n; i++) {
		size_t k = escape_byte(s[i], tmp);

		if (xbuf_append(out, tmp, k) < 0)
			return -1;
	}
	if (n < len && xbuf_printf(out, "...(%zu more bytes)", len - n) < 0)
		return -1;
	return 0;
}

/* escape_for_log - render bytes visibly into a fixed buffer */
const char *escape_for_log(char *dst, size_t dstsize, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t used = 0;
	size_t i;
	char tmp[5];

	if (dstsize == 0)
		return dst;
	for (i = 0; i < len; i++) {
		size_t k = escape_byte(s[i], tmp);

		if (used + k + 4 > dstsize) {
			if (used + 4 <= dstsize) {
				memcpy(dst + used, "...", 3);
				used += 3;
			}
			break;
		}
		memcpy(dst + used, tmp, k);
		used += k;
	}
	dst[used < dstsize ? used : dstsize - 1] = '\0';
	return dst;
}
