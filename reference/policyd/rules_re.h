/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules_re - policy rules' regular expressions: POSIX ERE syntax,
 *	matched by PCRE2 within a match limit
 * SYNOPSIS
 *	#include "reference/policyd/rules_re.h"
 *
 *	int rules_re_translate(const char *ere, size_t len, struct xbuf *out,
 *	                       size_t *off_r, const char **why_r);
 *	struct rules_re_matcher *rules_re_matcher_new(void);
 *	void rules_re_matcher_free(struct rules_re_matcher **m);
 *	pcre2_code *rules_re_compile(const char *ere, size_t len, int icase,
 *	                               char *err, size_t errlen, size_t *off_r);
 *	int rules_re_match(const pcre2_code *re, struct rules_re_matcher *m,
 *	                   const char *val);
 * DESCRIPTION
 *	Rule files write POSIX extended regular expressions, as glibc's
 *	regcomp(REG_EXTENDED) reads them; PCRE2 matches them, because it
 *	bounds a match (a backtracking engine without a bound takes
 *	exponential time on patterns such as "(.*a){100}$").
 *
 *	rules_re_translate() rewrites an ERE into a PCRE2 pattern with the
 *	same meaning: a backslash inside a bracket expression is itself
 *	("[\.]" is a backslash or a dot); "\<" and "\>" are the start and
 *	the end of a word, "\`" and "\'" of the value; "{,m}" is "{0,m}"
 *	and "{,}" "{0,}";
 *	"\w \W \s \S \b \B" and escaped punctuation are passed on. Other
 *	escapes of a letter or a digit mean one thing to glibc (the letter
 *	itself) and another to PCRE2 ("\d" a digit, "\t" a TAB), and the
 *	two disagree on which back-references ("\1".."\9") are valid:
 *	they are refused, with the offset of the backslash. So are what glibc refuses and PCRE2 would read as
 *	something: a repetition operator with nothing to repeat (at the
 *	start, after "(", "|", "^" or "$": also PCRE's "(?" and "(*"
 *	syntax) and a "{" that starts no interval.
 *
 *	rules_re_compile() translates and compiles (PCRE2_DOTALL and
 *	PCRE2_DOLLAR_ENDONLY, as regcomp without REG_NEWLINE; PCRE2_CASELESS
 *	for icase; 8-bit, no UTF: bytes, as glibc in the C locale), then
 *	JIT-compiles when the library can (a failed JIT compile, e.g. where
 *	executable memory is denied, leaves the interpreter).
 *
 *	A matcher holds what a match needs and keeps: the match data, and
 *	a match context with RULES_RE_MATCH_LIMIT, RULES_RE_DEPTH_LIMIT,
 *	RULES_RE_HEAP_LIMIT_KIB and a JIT stack of at most
 *	RULES_RE_JIT_STACK bytes. One thread at a time uses a matcher.
 *	rules_re_match() matches val up to its first NUL.
 * DIAGNOSTICS
 *	rules_re_translate: 0, or -1 with *why_r and *off_r (the byte of
 *	ere). rules_re_compile: NULL with the reason in err and the offset
 *	in ere in *off_r, RULES_RE_NO_OFFSET for PCRE2's errors (its
 *	offsets are in the translation). rules_re_matcher_new: NULL when out of memory.
 *	rules_re_match: 1 match, 0 no match, -1 a limit was reached (or
 *	another matching error): neither.
 */
#ifndef REFERENCE_POLICYD_RULES_RE_H
#define REFERENCE_POLICYD_RULES_RE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "util/compiler.h"
#include "util/xbuf.h"

/* about 15 ms of the interpreter, 1-2 ms of JIT code, on a 2020s core */
#define RULES_RE_MATCH_LIMIT	1000000u
#define RULES_RE_DEPTH_LIMIT	10000u
#define RULES_RE_HEAP_LIMIT_KIB	4096u
#define RULES_RE_JIT_STACK	(1024u * 1024)
#define RULES_RE_NO_OFFSET	((size_t)-1)

struct rules_re_matcher;

int rules_re_translate(const char *ere, size_t len, struct xbuf *out,
		       size_t *off_r, const char **why_r) ATTR_WUR;
struct rules_re_matcher *rules_re_matcher_new(void);
void rules_re_matcher_free(struct rules_re_matcher **m);
pcre2_code *rules_re_compile(const char *ere, size_t len, int icase,
			     char *err, size_t errlen, size_t *off_r);
int rules_re_match(const pcre2_code *re, struct rules_re_matcher *m,
		   const char *val);

#endif
