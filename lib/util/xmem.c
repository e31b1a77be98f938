/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	xmem - allocation that either succeeds or aborts
 * SYNOPSIS
 *	#include "util/xmem.h"
 * DESCRIPTION
 *	See xmem.h. This is the only file that calls malloc() directly.
 * DIAGNOSTICS
 *	Allocation failure writes one line to stderr and aborts.
 */
#define _DEFAULT_SOURCE		/* explicit_bzero() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* xmem_oom - report and abort; allocation failure is not recoverable */
static void xmem_oom(size_t n)
{
	fprintf(stderr, "xmem: out of memory allocating %zu bytes\n", n);
	abort();
}

/* xmalloc - malloc that never returns NULL */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		xmem_oom(n);
	return p;
}

/* xcalloc - zeroed allocation with overflow check */
void *xcalloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > (size_t)-1 / size)
		xmem_oom((size_t)-1);
	p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		xmem_oom(n * size);
	return p;
}

/* xrealloc - realloc that never returns NULL */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		xmem_oom(n);
	return q;
}

/* xstrdup - copy a C string */
char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

/* xstrndup - copy at most n bytes of s, always terminated */
char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* xmemdup - copy n bytes, plus a safety NUL after them */
void *xmemdup(const void *p, size_t n)
{
	char *q;

	if (n == (size_t)-1)
		xmem_oom(n);
	q = xmalloc(n + 1);
	if (n > 0)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

/* xmem_wipe - clear secrets; the compiler may not drop this */
void xmem_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}
