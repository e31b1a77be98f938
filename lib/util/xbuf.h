/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	xbuf - bounded, growable byte buffer
 * SYNOPSIS
 *	#include "util/xbuf.h"
 *
 *	void xbuf_init(struct xbuf *b, size_t max);
 *	void xbuf_free(struct xbuf *b);
 *	void xbuf_free_wipe(struct xbuf *b);
 *	void xbuf_reset(struct xbuf *b);
 *	int xbuf_reserve(struct xbuf *b, size_t add);
 *	int xbuf_append(struct xbuf *b, const void *p, size_t n);
 *	int xbuf_append_str(struct xbuf *b, const char *s);
 *	int xbuf_append_char(struct xbuf *b, char c);
 *	int xbuf_printf(struct xbuf *b, const char *fmt, ...);
 *	void xbuf_consume(struct xbuf *b, size_t n);
 *	void xbuf_truncate(struct xbuf *b, size_t len);
 *	const char *xbuf_cstr(const struct xbuf *b);
 * DESCRIPTION
 *	A buffer holds b->len bytes at b->data, never more than b->max.
 *	Storage grows by doubling up to max; growth past max is refused
 *	with -1 and leaves the buffer unchanged (no partial append).
 *	A NUL byte is always kept after the data (not counted in len), so
 *	b->data may be read as a C string when the data holds no NUL.
 *	All APIs take (pointer, length): embedded NUL bytes are data.
 *
 *	max == 0 means XBUF_MAX_DEFAULT (16 MiB), a sanity bound.
 *	xbuf_consume() drops n bytes from the front; xbuf_truncate() cuts
 *	the data to len bytes (len <= b->len). xbuf_free_wipe() clears the
 *	storage before freeing it (secrets).
 * DIAGNOSTICS
 *	0: done. -1: the result would exceed max (nothing changed).
 *	Allocation failure aborts (xmem).
 */
#ifndef LIB_UTIL_XBUF_H
#define LIB_UTIL_XBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/compiler.h"

#define XBUF_MAX_DEFAULT	(16u * 1024 * 1024)

struct xbuf {
	char *data;		/* NULL until the first append */
	size_t len;		/* bytes of data */
	size_t cap;		/* allocated bytes, including the NUL slot */
	size_t max;		/* upper bound on len */
};

void xbuf_init(struct xbuf *b, size_t max);
void xbuf_free(struct xbuf *b);
void xbuf_free_wipe(struct xbuf *b);
void xbuf_reset(struct xbuf *b);
int xbuf_reserve(struct xbuf *b, size_t add) ATTR_WUR;
int xbuf_append(struct xbuf *b, const void *p, size_t n) ATTR_WUR;
int xbuf_append_str(struct xbuf *b, const char *s) ATTR_WUR;
int xbuf_append_char(struct xbuf *b, char c) ATTR_WUR;
int xbuf_printf(struct xbuf *b, const char *fmt, ...) ATTR_PRINTF(2, 3) ATTR_WUR;
int xbuf_vprintf(struct xbuf *b, const char *fmt, va_list ap) ATTR_PRINTF(2, 0) ATTR_WUR;
void xbuf_consume(struct xbuf *b, size_t n);
void xbuf_truncate(struct xbuf *b, size_t len);
const char *xbuf_cstr(const struct xbuf *b);

#endif
