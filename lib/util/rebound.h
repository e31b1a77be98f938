/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rebound - refuse POSIX extended regular expressions that regcomp
 *	cannot compile in bounded time and memory
 * SYNOPSIS
 *	#include "util/rebound.h"
 *
 *	const char *rebound_check(const char *re, size_t len, size_t *off_r);
 * DESCRIPTION
 *	glibc's regcomp() expands every repetition by copying the repeated
 *	tree: "E+" becomes "E E*", "E{n,m}" m copies of E, "E{n,}" n + 1
 *	copies. Stacked repetitions ("e+++", 2^k copies for k "+") or
 *	nested ones ("((e+)+)+", "((a?)*){1000}") therefore grow the tree
 *	exponentially or multiplicatively, and computing its epsilon
 *	closures then takes time cubic in the size of the result: a
 *	110-byte pattern did not compile within 10 s, a 60-byte one
 *	allocated more than 2 GB.
 *
 *	rebound_check() scans the pattern (len bytes, no NUL needed) as
 *	regcomp(REG_EXTENDED) reads it (escapes, bracket expressions with
 *	their [:class:] [.coll.] [=equiv=] parts, groups, "|", "*" "+" "?"
 *	and {n}, {n,}, {n,m}, {,m}) and refuses:
 *	  - a pattern longer than REBOUND_MAX_LEN bytes;
 *	  - a repetition operator right after another one ("a**", "a+?",
 *	    "a{2}+"; POSIX has no lazy or possessive forms);
 *	  - a repetition count above REBOUND_MAX_COUNT;
 *	  - groups nested deeper than REBOUND_MAX_DEPTH;
 *	  - a pattern whose expanded size is above REBOUND_MAX_NODES,
 *	    counting one node per atom, group, "|" and repetition operator,
 *	    and multiplying what a repetition applies to by its number of
 *	    copies (as above; "*" and "?" by 1).
 *	It does not validate the syntax otherwise: regcomp() still does,
 *	and what it refuses for syntax costs it nothing.
 *
 *	Just inside the bounds the slowest shapes measured with glibc 2.36
 *	("(()*){333}", "((a*){0,332})*", "((a*)*){199}") compile in
 *	0.06-0.15 s; real-world patterns ("^[0-9]{1,3}(\.[0-9]{1,3}){3}$",
 *	"[a-z0-9]{1,255}") stay far below the bounds.
 * DIAGNOSTICS
 *	NULL when the pattern is within the bounds; otherwise a static
 *	text saying why, and *off_r (when off_r is not NULL) is the offset
 *	of the byte where the bound was crossed (0-based, < len; 0 for the
 *	length bound).
 */
#ifndef LIB_UTIL_REBOUND_H
#define LIB_UTIL_REBOUND_H

#include <stddef.h>

#include "util/compiler.h"

#define REBOUND_MAX_LEN		1024
#define REBOUND_MAX_COUNT	1000
#define REBOUND_MAX_DEPTH	32
#define REBOUND_MAX_NODES	1000

const char *rebound_check(const char *re, size_t len, size_t *off_r) ATTR_WUR;

#endif
