/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	xbuf - bounded, growable byte buffer
 * SYNOPSIS
 *	#include "util/xbuf.h"
 * DESCRIPTION
 *	See xbuf.h for the contract. Every length addition is checked
 *	against max before it is performed.
 * DIAGNOSTICS
 *	-1 when a bound would be exceeded; abort on allocation failure and
 *	on API misuse (consume/truncate past len).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xbuf.h"
#include "util/xmem.h"

/* xbuf_init - empty buffer bounded by max */
void xbuf_init(struct xbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : XBUF_MAX_DEFAULT;
}

/* xbuf_free - release storage; the buffer stays usable (empty) */
void xbuf_free(struct xbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* xbuf_free_wipe - clear then release storage */
void xbuf_free_wipe(struct xbuf *b)
{
	if (b->data != NULL)
		xmem_wipe(b->data, b->cap);
	xbuf_free(b);
}

/* xbuf_reset - forget the data, keep the storage */
void xbuf_reset(struct xbuf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* xbuf_reserve - make room for add more bytes (plus the NUL) */
int xbuf_reserve(struct xbuf *b, size_t add)
{
	size_t need;
	size_t ncap;

	if (add > b->max - b->len || b->len + add == (size_t)-1)
		return -1;
	need = b->len + add + 1;	/* cannot wrap: checked just above */
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1 >= need ? b->max + 1 : need;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
	b->data[b->len] = '\0';	/* keep the safety NUL on fresh storage */
	return 0;
}

/* xbuf_append - append n bytes */
int xbuf_append(struct xbuf *b, const void *p, size_t n)
{
	if (xbuf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* xbuf_append_str - append a C string without its NUL */
int xbuf_append_str(struct xbuf *b, const char *s)
{
	return xbuf_append(b, s, strlen(s));
}

/* xbuf_append_char - append one byte */
int xbuf_append_char(struct xbuf *b, char c)
{
	return xbuf_append(b, &c, 1);
}

/* xbuf_vprintf - append formatted text, all or nothing */
int xbuf_vprintf(struct xbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if (xbuf_reserve(b, (size_t)n) < 0)
		return -1;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return -1;
	b->len += (size_t)n;
	return 0;
}

/* xbuf_printf - append formatted text, all or nothing */
int xbuf_printf(struct xbuf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = xbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* xbuf_consume - drop n bytes from the front */
void xbuf_consume(struct xbuf *b, size_t n)
{
	assert(n <= b->len);
	if (n == 0)
		return;
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/* xbuf_truncate - keep the first len bytes */
void xbuf_truncate(struct xbuf *b, size_t len)
{
	assert(len <= b->len);
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

/* xbuf_cstr - the data as a C string ("" when empty) */
const char *xbuf_cstr(const struct xbuf *b)
{
	return b->data != NULL ? b->data : "";
}
