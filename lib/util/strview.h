/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	strview - non-owning (pointer, length) views into a buffer
 * DESCRIPTION
 *	Parsers return views into their input instead of copies. A view is
 *	valid only as long as the buffer it points into is unchanged. A view
 *	is not NUL-terminated; it may contain NUL bytes.
 */
#ifndef LIB_UTIL_STRVIEW_H
#define LIB_UTIL_STRVIEW_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct strview {
	const char *p;
	size_t len;
};

#define STRVIEW_NULL	((struct strview){ NULL, 0 })

/* strview_make - view over (p, len) */
static inline struct strview strview_make(const char *p, size_t len)
{
	struct strview v = { p, len };
	return v;
}

/* strview_eq - exact comparison with a C string */
static inline int strview_eq(struct strview v, const char *s)
{
	size_t n = strlen(s);
	return v.p != NULL && v.len == n && memcmp(v.p, s, n) == 0;
}

/* strview_caseeq - ASCII case-insensitive comparison with a C string */
static inline int strview_caseeq(struct strview v, const char *s)
{
	size_t n = strlen(s);
	return v.p != NULL && v.len == n && strncasecmp(v.p, s, n) == 0;
}

#endif
