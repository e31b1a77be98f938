/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	strnum - strict and Postfix-lenient number parsing
 * SYNOPSIS
 *	#include "util/strnum.h"
 * DESCRIPTION
 *	See strnum.h. Pure functions over (buf, len).
 * DIAGNOSTICS
 *	-1 on any syntax error or overflow.
 */
#include <limits.h>
#include <string.h>

#include "util/strnum.h"

/* str_to_uint64 - strict decimal */
int str_to_uint64(const char *p, size_t len, uint64_t *num_r)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 64)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (unsigned)(p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*num_r = n;
	return 0;
}

/* str_to_ulong - strict decimal, unsigned long range */
int str_to_ulong(const char *p, size_t len, unsigned long *num_r)
{
	uint64_t n;

	if (str_to_uint64(p, len, &n) < 0 || n > ULONG_MAX)
		return -1;
	*num_r = (unsigned long)n;
	return 0;
}

/* str_to_uint - strict decimal, unsigned int range */
int str_to_uint(const char *p, size_t len, unsigned int *num_r)
{
	uint64_t n;

	if (str_to_uint64(p, len, &n) < 0 || n > UINT_MAX)
		return -1;
	*num_r = (unsigned int)n;
	return 0;
}

/* digit_value - value of an alphanumeric digit, or 99 */
static unsigned digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a') + 10;
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A') + 10;
	return 99;
}

/* str_strtoul_loose - strtoul(s, NULL, 0) over a bounded buffer */
unsigned long str_strtoul_loose(const char *p, size_t len)
{
	size_t i = 0;
	int neg = 0;
	unsigned base = 10;
	unsigned long n = 0;
	int overflow = 0;
	int any = 0;

	while (i < len && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
		i++;
	if (i < len && (p[i] == '+' || p[i] == '-')) {
		neg = p[i] == '-';
		i++;
	}
	if (i < len && p[i] == '0') {
		if (i + 2 < len && (p[i + 1] == 'x' || p[i + 1] == 'X')
		    && digit_value(p[i + 2]) < 16) {
			base = 16;
			i += 2;
		} else {
			base = 8;
		}
	}
	for (; i < len; i++) {
		unsigned d = digit_value(p[i]);

		if (d >= base)
			break;
		any = 1;
		if (n > (ULONG_MAX - d) / base)
			overflow = 1;
		else
			n = n * base + d;
	}
	if (!any)
		return 0;
	if (overflow)
		return ULONG_MAX;
	return neg ? (unsigned long)(-n) : n;
}

int str_to_yesno(const char *s, int *v_r)
{
	if (strcmp(s, "yes") == 0)
		*v_r = 1;
	else if (strcmp(s, "no") == 0)
		*v_r = 0;
	else
		return -1;
	return 0;
}
