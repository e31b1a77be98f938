/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rebound - bound a regular expression before regcomp
 * SYNOPSIS
 *	#include "util/rebound.h"
 * DESCRIPTION
 *	See rebound.h. One pass over (buf, len), no allocation: a running
 *	count of nodes, and per open group the count at its "(" so that a
 *	repetition after ")" knows the size of what it copies.
 * DIAGNOSTICS
 *	A static text naming the bound, and the offset where it was crossed.
 */
#include "util/rebound.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

struct scan {
	size_t total;		/* nodes so far, repetitions expanded */
	size_t last;		/* nodes of the element a repetition would copy; 0: none */
	int after_rep;		/* the previous token was a repetition operator */
};

/* bracket_end - offset after the "]" that closes the bracket at pos, or len */
static size_t bracket_end(const char *re, size_t len, size_t pos)
{
	size_t i = pos + 1;

	if (i < len && re[i] == '^')
		i++;
	if (i < len && re[i] == ']')
		i++;
	while (i < len) {
		if (re[i] == ']')
			return i + 1;
		if (re[i] == '[' && i + 1 < len &&
		    (re[i + 1] == ':' || re[i + 1] == '.' || re[i + 1] == '=')) {
			char k = re[i + 1];

			i += 2;
			while (i + 1 < len && !(re[i] == k && re[i + 1] == ']'))
				i++;
			i += 2;
			continue;
		}
		i++;
	}
	return len;
}

/* read_count - decimal digits at *i, saturated above REBOUND_MAX_COUNT; -1 if none */
static long read_count(const char *re, size_t len, size_t *i)
{
	long n = -1;

	while (*i < len && re[*i] >= '0' && re[*i] <= '9') {
		if (n < 0)
			n = 0;
		if (n <= REBOUND_MAX_COUNT)
			n = n * 10 + (re[*i] - '0');
		(*i)++;
	}
	return n;
}

/*
 * interval - "{n}" "{n,}" "{n,m}" "{,m}" at pos: its length, the copies
 * regcomp makes and the largest count; 0 when the "{" starts no interval
 * (regcomp then reads it as a literal or refuses it).
 */
static size_t interval(const char *re, size_t len, size_t pos, size_t *copies_r, long *max_r)
{
	size_t i = pos + 1;
	long n, m;

	n = read_count(re, len, &i);
	if (i < len && re[i] == ',') {
		i++;
		m = read_count(re, len, &i);
		if (n < 0 && m < 0)
			return 0;
	} else {
		if (n < 0)
			return 0;
		m = n;
	}
	if (i >= len || re[i] != '}')
		return 0;
	if (n < 0)
		n = 0;
	*max_r = n > m ? n : m;
	if (m < 0)		/* {n,}: n copies, then one more under a star */
		*copies_r = (size_t)n + 1;
	else
		*copies_r = (size_t)(n > m ? n : m);
	if (*copies_r == 0)
		*copies_r = 1;
	return i + 1 - pos;
}

/* repeat - apply a repetition making copies of the last element */
static const char *repeat(struct scan *s, size_t copies)
{
	if (s->after_rep)
		return "repetition operator after a repetition operator "
		       "(POSIX has no lazy or possessive forms)";
	if (s->last == 0) {
		/* nothing to repeat: regcomp refuses it or reads it as a literal */
		s->last = 1;
	}
	s->total += s->last * (copies - 1) + 1;
	s->last = s->last * copies + 1;
	s->after_rep = 1;
	return NULL;
}

/* rebound_check - NULL, or why the pattern is refused and where */
const char *rebound_check(const char *re, size_t len, size_t *off_r)
{
	size_t open[REBOUND_MAX_DEPTH];	/* total at each open "(" */
	size_t depth = 0, pos = 0, at, step;
	struct scan s = { 0, 0, 0 };
	const char *why = NULL;

	if (off_r != NULL)
		*off_r = 0;
	if (len > REBOUND_MAX_LEN)
		return "regular expression longer than " STR(REBOUND_MAX_LEN) " bytes";
	while (pos < len) {
		char c = re[pos];

		at = pos;
		step = 1;
		switch (c) {
		case '\\':
			step = pos + 1 < len ? 2 : 1;
			s.total++;
			s.last = 1;
			s.after_rep = 0;
			break;
		case '[':
			step = bracket_end(re, len, pos) - pos;
			s.total++;
			s.last = 1;
			s.after_rep = 0;
			break;
		case '(':
			if (depth == REBOUND_MAX_DEPTH) {
				why = "groups nested deeper than " STR(REBOUND_MAX_DEPTH);
				break;
			}
			open[depth++] = s.total;
			s.last = 0;
			s.after_rep = 0;
			break;
		case ')':
			if (depth == 0) {
				s.total++;
				s.last = 1;
			} else {
				s.total++;
				s.last = s.total - open[--depth];
			}
			s.after_rep = 0;
			break;
		case '|':
			s.total++;
			s.last = 0;
			s.after_rep = 0;
			break;
		case '*':
		case '?':
			why = repeat(&s, 1);
			break;
		case '+':
			why = repeat(&s, 2);
			break;
		case '{': {
			size_t copies = 1;
			long max = 0;

			step = interval(re, len, pos, &copies, &max);
			if (step == 0) {
				step = 1;
				s.total++;
				s.last = 1;
				s.after_rep = 0;
				break;
			}
			if (max > REBOUND_MAX_COUNT) {
				why = "repetition count above " STR(REBOUND_MAX_COUNT);
				break;
			}
			why = repeat(&s, copies);
			break;
		}
		default:
			s.total++;
			s.last = 1;
			s.after_rep = 0;
			break;
		}
		if (why == NULL && s.total > REBOUND_MAX_NODES)
			why = "regular expression expands to more than " STR(REBOUND_MAX_NODES) " nodes "
			      "(nested or counted repetitions multiply)";
		if (why != NULL) {
			if (off_r != NULL)
				*off_r = at;
			return why;
		}
		pos += step;
	}
	return NULL;
}
