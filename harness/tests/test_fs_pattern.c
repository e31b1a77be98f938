/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_pattern - the one-pass glob matcher against the backtracking one
 * DESCRIPTION
 *	tpat_match() matches in one pass: a "*" that the match has moved
 *	past is not reconsidered. The matcher it replaced searched every
 *	place of every "*" in order (depth first, shortest first) up to a
 *	step bound; it is kept here, and only here, as the oracle
 *	(oracle_match below). Random patterns over a small alphabet (bytes,
 *	"*", captures, set variables, ${NAME}, {b64:...}) are matched
 *	against random lines and against lines made from the pattern, and
 *	both matchers must agree on the result, the error text and every
 *	capture.
 *
 *	The one exception, by design: a capture after a "*" whose value is
 *	used again later in the pattern, with another "*" after the
 *	capture. There the oracle may find a match by moving the earlier
 *	"*", which the one-pass matcher does not do; it then answers "no
 *	match" (and never a different match or error). The test checks that
 *	bound and counts how often the two differ.
 */
#define _GNU_SOURCE		/* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/script/transcript.h"
#include "proto/base64.h"

#define ORACLE_MAX_STEPS	1000000ul
#define RAND_PATTERNS		60000
#define RAND_LINES		6

/* --- the oracle: depth-first search over every place of every "*" --- */

struct ocapture {
	const char *name;
	size_t off, len;
};

struct ostate {
	const struct tpat *p;
	const struct tvars *v;
	const char *line;
	size_t len;
	unsigned long steps;
	size_t ncap;
	struct ocapture cap[TPAT_MAX_SEGS];
	const char *error;
};

static int oracle_bound(struct ostate *m, const char *name, const char **p_r, size_t *len_r)
{
	const struct tvar *t;
	size_t i;

	for (i = 0; i < m->ncap; i++)
		if (strcmp(m->cap[i].name, name) == 0) {
			*p_r = m->line + m->cap[i].off;
			*len_r = m->cap[i].len;
			return 1;
		}
	if ((t = tvars_get(m->v, name)) != NULL) {
		*p_r = t->value;
		*len_r = t->len;
		return 1;
	}
	return 0;
}

/* oracle_literal - 1 literal in *p_r, 0 wildcard or capture, -1 error */
static int oracle_literal(struct ostate *m, size_t i, struct xbuf *tmp, const char **p_r,
			  size_t *len_r)
{
	const struct tseg *s = &m->p->seg[i];
	struct xbuf raw;
	int rc;

	switch (s->kind) {
	case TSEG_LIT:
		*p_r = s->text;
		*len_r = s->len;
		return 1;
	case TSEG_STAR:
		return 0;
	case TSEG_VAR:
		return oracle_bound(m, s->text, p_r, len_r);
	case TSEG_REF:
		if (oracle_bound(m, s->text, p_r, len_r))
			return 1;
		m->error = "variable not set";
		return -1;
	case TSEG_B64:
		xbuf_init(&raw, 256 * 1024);
		xbuf_reset(tmp);
		rc = tpat_expand(s->sub, m->v, &raw, &m->error);
		if (rc == 0 && base64_encode(raw.data ? raw.data : "", raw.len, tmp) < 0) {
			m->error = "value too long";
			rc = -1;
		}
		xbuf_free(&raw);
		if (rc < 0)
			return -1;
		*p_r = tmp->data ? tmp->data : "";
		*len_r = tmp->len;
		return 1;
	}
	return -1;
}

static int oracle_from(struct ostate *m, size_t i, size_t pos);

/* oracle_star - every place of the "*" at i, shortest first */
static int oracle_star(struct ostate *m, size_t i, size_t pos)
{
	struct xbuf tmp;
	const char *np;
	size_t nl, k;
	int rc = 0, nlit;

	if (i + 1 == m->p->nseg)
		return 1;
	xbuf_init(&tmp, 256 * 1024);
	if ((nlit = oracle_literal(m, i + 1, &tmp, &np, &nl)) < 0)
		rc = -1;
	else if (nlit == 1 && nl > 0) {
		for (k = pos; rc == 0 && k < m->len; k++) {
			const char *hit = memmem(m->line + k, m->len - k, np, nl);

			if (hit == NULL)
				break;
			k = (size_t)(hit - m->line);
			rc = oracle_from(m, i + 1, k);
		}
	} else {
		for (k = pos; k <= m->len && rc == 0; k++)
			rc = oracle_from(m, i + 1, k);
	}
	xbuf_free(&tmp);
	return rc;
}

/* oracle_capture - an unset {NAME}: up to the next literal part */
static int oracle_capture(struct ostate *m, size_t i, size_t pos)
{
	size_t end = m->len;
	int rc = 0;

	if (i + 1 < m->p->nseg) {
		struct xbuf tmp;
		const char *np, *hit;
		size_t nl;
		int nlit;

		xbuf_init(&tmp, 256 * 1024);
		nlit = oracle_literal(m, i + 1, &tmp, &np, &nl);
		if (nlit < 0) {
			rc = -1;
		} else if (nlit == 0) {
			m->error = "capture followed by * or another capture";
			rc = -1;
		} else {
			hit = nl == 0 ? m->line + pos : memmem(m->line + pos, m->len - pos, np, nl);
			end = hit == NULL ? (size_t)-1 : (size_t)(hit - m->line);
		}
		xbuf_free(&tmp);
	}
	if (rc == 0 && end != (size_t)-1) {
		struct ocapture *c = &m->cap[m->ncap++];

		c->name = m->p->seg[i].text;
		c->off = pos;
		c->len = end - pos;
		rc = oracle_from(m, i + 1, end);
		if (rc != 1)
			m->ncap--;
	}
	return rc;
}

static int oracle_from(struct ostate *m, size_t i, size_t pos)
{
	struct xbuf tmp;
	const char *lp;
	size_t ll;
	int rc, lit;

	if (++m->steps > ORACLE_MAX_STEPS) {
		m->error = "pattern too costly";
		return -1;
	}
	if (i == m->p->nseg)
		return pos == m->len;
	xbuf_init(&tmp, 256 * 1024);
	lit = oracle_literal(m, i, &tmp, &lp, &ll);
	if (lit < 0)
		rc = -1;
	else if (lit == 1)
		rc = m->len - pos >= ll && memcmp(m->line + pos, lp, ll) == 0 ?
			oracle_from(m, i + 1, pos + ll) : 0;
	else if (m->p->seg[i].kind == TSEG_STAR)
		rc = oracle_star(m, i, pos);
	else
		rc = oracle_capture(m, i, pos);
	xbuf_free(&tmp);
	return rc;
}

/* --- the comparison ------------------------------------------------- */

/* rnd - a small LCG: the same sequence on every run */
static unsigned long rnd_state = 20261207ul;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rnd_state >> 33) % n);
}

/* random_pattern - source text of a pattern over the alphabet a b : - */
static size_t random_pattern(char *out, size_t max)
{
	static const char *const atom[] = {
		"a", "b", ":", "-", "ab", "*", "*", "{x}", "{y}", "{z}", "${x}",
		"{user}", "${nope}", "{b64:a}", "{b64:}", "\\*", "{e}",
	};
	size_t n = 0, k = rnd(9);

	while (k-- > 0) {
		const char *s = atom[rnd(sizeof(atom) / sizeof(atom[0]))];
		size_t l = strlen(s);

		if (n + l >= max)
			break;
		memcpy(out + n, s, l);
		n += l;
	}
	out[n] = '\0';
	return n;
}

/* random_line - random bytes of the alphabet, or the pattern filled in */
static size_t random_line(const char *pat, char *out, size_t max)
{
	static const char alpha[] = "ab:-*YQ";
	size_t n = 0, i;

	if (rnd(2) == 0) {
		for (i = rnd(24); i > 0 && n + 1 < max; i--)
			out[n++] = alpha[rnd(sizeof(alpha) - 1)];
		return n;
	}
	for (i = 0; pat[i] != '\0' && n + 8 < max; i++) {
		if (pat[i] == '*' || pat[i] == '{') {
			size_t k;

			for (k = rnd(4); k > 0; k--)
				out[n++] = alpha[rnd(sizeof(alpha) - 1)];
			if (pat[i] == '{')
				while (pat[i + 1] != '\0' && pat[i] != '}')
					i++;
		} else if (pat[i] != '\\' && pat[i] != '$') {
			out[n++] = pat[i];
		}
	}
	return n;
}

/* backref_after_star - a capture after a "*", used again later, with a "*" after it */
static int backref_after_star(const struct tpat *p, const struct tvars *v)
{
	size_t i, j, stars = 0;

	for (i = 0; i < p->nseg; i++) {
		const struct tseg *s = &p->seg[i];
		int later_star = 0, used = 0;

		if (s->kind == TSEG_STAR)
			stars++;
		if (s->kind != TSEG_VAR || stars == 0 || tvars_get(v, s->text) != NULL)
			continue;
		for (j = 0; j < i; j++)
			if (p->seg[j].kind == TSEG_VAR && strcmp(p->seg[j].text, s->text) == 0)
				break;
		if (j < i)
			continue;	/* a reference, not the capture */
		for (j = i + 1; j < p->nseg; j++) {
			if (p->seg[j].kind == TSEG_STAR)
				later_star = 1;
			if ((p->seg[j].kind == TSEG_VAR || p->seg[j].kind == TSEG_REF) &&
			    strcmp(p->seg[j].text, s->text) == 0)
				used = 1;
		}
		if (later_star && used)
			return 1;
	}
	return 0;
}

/* same_vars - v1 and v2 hold the same variables with the same values */
static int same_vars(const struct tvars *v1, const struct tvars *v2)
{
	size_t i;

	if (v1->n != v2->n)
		return 0;
	for (i = 0; i < v1->n; i++) {
		const struct tvar *t = tvars_get(v2, v1->v[i].name);

		if (t == NULL || t->len != v1->v[i].len || memcmp(t->value, v1->v[i].value, t->len) != 0)
			return 0;
	}
	return 1;
}

/* oracle - the old tpat_match(): captures go into v on a match */
static int oracle(const struct tpat *p, struct tvars *v, const char *line, size_t len,
		  const char **error_r)
{
	struct ostate m = { .p = p, .v = v, .line = line, .len = len };
	size_t i;
	int rc;

	rc = oracle_from(&m, 0, 0);
	if (rc < 0)
		*error_r = m.error;
	for (i = 0; rc == 1 && i < m.ncap; i++)
		if (tvars_set(v, m.cap[i].name, line + m.cap[i].off, m.cap[i].len) < 0)
			rc = -1;
	return rc;
}

static void set_vars(struct tvars *v)
{
	tvars_init(v);
	assert_int_equal(tvars_set(v, "user", "a:b", 3), 0);
	assert_int_equal(tvars_set(v, "e", "", 0), 0);
}

/* compare_one - both matchers on one pattern and line; 1 if they differ as allowed */
static int compare_one(const struct tpat *p, const char *line, size_t len)
{
	struct tvars v0, v1, v2;
	const char *e1 = NULL, *e2 = NULL;
	int r1, r2, differs = 0;

	set_vars(&v0);
	set_vars(&v1);
	set_vars(&v2);
	r1 = tpat_match(p, &v1, line, len, &e1);
	r2 = oracle(p, &v2, line, len, &e2);
	if (r2 == -1 && strcmp(e2, "pattern too costly") == 0) {
		/* the oracle's bound, not an answer */
	} else if (r1 != r2 || (r1 == -1 && strcmp(e1, e2) != 0) || !same_vars(&v1, &v2)) {
		if (!(r1 == 0 && same_vars(&v1, &v0) && backref_after_star(p, &v0)))
			fail_msg("pattern \"%s\" line \"%.*s\": one pass %d (%s), oracle %d (%s)",
				 p->src, (int)len, line, r1, e1 ? e1 : "", r2, e2 ? e2 : "");
		differs = 1;
	}
	tvars_free(&v0);
	tvars_free(&v1);
	tvars_free(&v2);
	return differs;
}

static void test_fs_pattern_random(void **state)
{
	char pat[128], line[128];
	unsigned long compared = 0, matched = 0, differ = 0;
	size_t i, k;

	(void)state;
	for (i = 0; i < RAND_PATTERNS; i++) {
		struct tpat p;
		const char *why = NULL;
		size_t plen = random_pattern(pat, sizeof(pat));

		if (tpat_compile(pat, plen, TPAT_GLOB, &p, &why) < 0)
			continue;
		for (k = 0; k < RAND_LINES; k++) {
			size_t llen = random_line(pat, line, sizeof(line));
			struct tvars v;
			const char *e = NULL;

			differ += (unsigned long)compare_one(&p, line, llen);
			set_vars(&v);
			matched += tpat_match(&p, &v, line, llen, &e) == 1;
			tvars_free(&v);
			compared++;
		}
		tpat_free(&p);
	}
	print_message("%lu comparisons, %lu matches, %lu allowed differences\n",
		      compared, matched, differ);
	assert_true(matched > compared / 10);
}

/* hand-picked cases where the two would part if the one-pass matcher were wrong */
static void test_fs_pattern_cases(void **state)
{
	static const char *const cases[][2] = {
		{ "*a*b*", "xxaxxbxx" }, { "*ab", "aab" }, { "*a{x}b", "aaaab" },
		{ "*a{x}b", "aaaa" }, { "*{x}:{x}", "ab:b" }, { "a*b*c", "abbcbc" },
		{ "*{x}-*={x}", "a-b-c=b" }, { "{x}*{x}", "abab" }, { "**a", "ba" },
		{ "*{x}", "abc" }, { "*${nope}", "" }, { "a{x}*", "b" }, { "a{x}*", "ab" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tpat p;
		const char *why = NULL;

		assert_int_equal(tpat_compile(cases[i][0], strlen(cases[i][0]), TPAT_GLOB, &p, &why), 0);
		(void)compare_one(&p, cases[i][1], strlen(cases[i][1]));
		tpat_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_pattern_cases),
		cmocka_unit_test(test_fs_pattern_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
