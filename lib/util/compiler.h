/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	compiler - attribute macros shared by every module
 */
#ifndef LIB_UTIL_COMPILER_H
#define LIB_UTIL_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define ATTR_WUR	__attribute__((warn_unused_result))
#define ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ATTR_UNUSED	__attribute__((unused))
#else
#define ATTR_WUR
#define ATTR_PRINTF(f, a)
#define ATTR_UNUSED
#endif

#define N_ELEMENTS(a)	(sizeof(a) / sizeof((a)[0]))

#endif
