/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	strnum - strict and Postfix-lenient number parsing over (buf, len)
 * SYNOPSIS
 *	#include "util/strnum.h"
 *
 *	int str_to_uint(const char *p, size_t len, unsigned int *num_r);
 *	int str_to_ulong(const char *p, size_t len, unsigned long *num_r);
 *	int str_to_uint64(const char *p, size_t len, uint64_t *num_r);
 *	unsigned long str_strtoul_loose(const char *p, size_t len);
int str_to_yesno(const char *s, int *v_r) ATTR_WUR;
 *	int str_to_yesno(const char *s, int *v_r);
 * DESCRIPTION
 *	str_to_uint, str_to_ulong, str_to_uint64 accept exactly
 *	1*DIGIT (decimal, no sign, no space, no prefix), as Dovecot's
 *	str_to_uint() does, and reject overflow. At most 64 digits.
 *
 *	str_strtoul_loose() mimics strtoul(s, NULL, 0) as Postfix uses it to
 *	match Dovecot reply ids: leading white space, an optional sign,
 *	base auto-detection (0x hex, 0 octal, else decimal), stops at the
 *	first byte that is not a digit of the base, returns 0 when no digit
 *	was read and ULONG_MAX on overflow. The input is bounded by len
 *	(it need not be NUL-terminated).
 *
 *	str_to_yesno() reads an option's "yes" (1) or "no" (0), exactly.
 * DIAGNOSTICS
 *	0: parsed; -1: empty, non-digit, or overflow (num_r untouched).
 */
#ifndef LIB_UTIL_STRNUM_H
#define LIB_UTIL_STRNUM_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

int str_to_uint(const char *p, size_t len, unsigned int *num_r) ATTR_WUR;
int str_to_ulong(const char *p, size_t len, unsigned long *num_r) ATTR_WUR;
int str_to_uint64(const char *p, size_t len, uint64_t *num_r) ATTR_WUR;
unsigned long str_strtoul_loose(const char *p, size_t len);
int str_to_yesno(const char *s, int *v_r) ATTR_WUR;

#endif
