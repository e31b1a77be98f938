/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	xmem - allocation that either succeeds or aborts, and secret wiping
 * SYNOPSIS
 *	void *xmalloc(size_t n);
 *	void *xcalloc(size_t n, size_t size);
 *	void *xrealloc(void *p, size_t n);
 *	char *xstrdup(const char *s);
 *	char *xstrndup(const char *s, size_t n);
 *	void *xmemdup(const void *p, size_t n);
 *	void xmem_wipe(void *p, size_t n);
 * DESCRIPTION
 *	Out of memory is an environment failure that no caller can handle
 *	usefully; these functions abort() instead of returning NULL
 *	(Postfix mymalloc, Dovecot i_malloc). xcalloc checks n*size for
 *	overflow. xstrndup copies at most n bytes and always terminates.
 *	xmem_wipe() clears memory in a way the compiler cannot elide; use it
 *	on passwords and keys before freeing them.
 */
#ifndef LIB_UTIL_XMEM_H
#define LIB_UTIL_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
void xmem_wipe(void *p, size_t n);

#endif
