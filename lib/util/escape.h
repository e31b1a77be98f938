/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	escape - render untrusted bytes visibly and bounded
 * SYNOPSIS
 *	#include "util/escape.h"
 *
 *	int escape_append(struct xbuf *out, const void *p, size_t len,
 *	                  size_t max_in);
 *	const char *escape_for_log(char *dst, size_t dstsize,
 *	                           const void *p, size_t len);
 * DESCRIPTION
 *	Both render bytes in the notation transcripts use: printable ASCII
 *	as itself except backslash (\\), TAB as \t, CR as \r, LF as \n,
 *	every other byte as \xHH. escape_append() renders at most max_in
 *	input bytes (0 = all) and appends "..." plus the count of bytes left
 *	out when it stops early. escape_for_log() writes into a caller
 *	buffer, truncating with "..." to fit, and returns dst.
 * DIAGNOSTICS
 *	escape_append: 0, or -1 when out's bound is reached.
 */
#ifndef LIB_UTIL_ESCAPE_H
#define LIB_UTIL_ESCAPE_H

#include <stddef.h>

#include "util/xbuf.h"

int escape_append(struct xbuf *out, const void *p, size_t len, size_t max_in) ATTR_WUR;
const char *escape_for_log(char *dst, size_t dstsize, const void *p, size_t len);

#endif
