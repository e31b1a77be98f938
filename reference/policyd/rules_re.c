/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	rules_re - policy rules' regular expressions: POSIX ERE syntax,
 *	matched by PCRE2 within a match limit
 * SYNOPSIS
 *	See rules_re.h.
 * DESCRIPTION
 *	The translation reads the ERE once, left to right:
 *	  ere     := *( bracket | escape | interval | byte )
 *	  interval := "{" [ n ] [ "," [ m ] ] "}"   (n or the comma)
 *	  bracket := "[" [ "^" ] [ "]" ] *( class | byte ) "]"
 *	  class   := "[:" name ":]" | "[=" x "=]" | "[." x ".]"
 *	  escape  := "\" byte
 *	A bracket's bytes are copied, a backslash doubled, a leading "]"
 *	escaped; classes are copied whole (PCRE2 knows "[:name:]" and
 *	refuses the other two, as the rule file then does). An unterminated
 *	bracket is copied as it is: PCRE2 refuses it. Pure: output to the
 *	caller's xbuf only.
 *
 *	Limits: the match limit bounds the backtracking steps of one match
 *	(time), the depth and heap limits the interpreter's memory, the
 *	JIT stack the JIT code's; each is reached as an error, never as a
 *	wrong answer.
 * DIAGNOSTICS
 *	See rules_re.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/policyd/rules_re.h"

struct rules_re_matcher {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* bracket - copy the bracket expression at ere[pos]: where it ends */
static size_t bracket(const char *ere, size_t len, size_t pos, struct xbuf *out, int *rc)
{
	size_t i = pos + 1;

	*rc |= xbuf_append_char(out, '[');
	if (i < len && ere[i] == '^')
		*rc |= xbuf_append_char(out, ere[i++]);
	if (i < len && ere[i] == ']') {
		*rc |= xbuf_append_str(out, "\\]");
		i++;
	}
	while (i < len && ere[i] != ']') {
		if (ere[i] == '[' && i + 1 < len && strchr(":=.", ere[i + 1]) != NULL) {
			char delim = ere[i + 1];
			size_t j = i + 2;

			while (j + 1 < len && !(ere[j] == delim && ere[j + 1] == ']'))
				j++;
			if (j + 1 >= len)	/* no end: copied, PCRE2 refuses it */
				j = len - 2;
			*rc |= xbuf_append(out, ere + i, j + 2 - i);
			i = j + 2;
			continue;
		}
		if (ere[i] == '\\')
			*rc |= xbuf_append_char(out, '\\');
		*rc |= xbuf_append_char(out, ere[i++]);
	}
	if (i < len)
		*rc |= xbuf_append_char(out, ere[i++]);
	return i;
}

/* escape - the escape at ere[pos] in PCRE2's words; NULL if refused */
static const char *escape(char c, char one[3])
{
	switch (c) {
	case '<':
		return "\\b(?=\\w)";
	case '>':
		return "\\b(?<=\\w)";
	case '`':
		return "\\A";
	case '\'':
		return "\\z";
	default:
		break;
	}
	if (is_alnum(c) && strchr("wWsSbB", c) == NULL)
		return NULL;	/* also back-references: the two disagree on which are valid */
	one[0] = '\\';
	one[1] = c;
	one[2] = '\0';
	return one;
}

/*
 * interval - the interval at ere[pos] ("{n}" "{n,}" "{n,m}" "{,m}" "{,}"):
 * its length, 0 when the "{" starts none; *no_min when n is left out
 */
static size_t interval(const char *ere, size_t len, size_t pos, int *no_min)
{
	size_t i = pos + 1, digits;

	for (digits = 0; i < len && is_digit(ere[i]); i++)
		digits++;
	*no_min = digits == 0;
	if (i < len && ere[i] == ',') {
		for (i++; i < len && is_digit(ere[i]); i++)
			;
	} else if (digits == 0) {
		return 0;
	}
	return i < len && ere[i] == '}' ? i + 1 - pos : 0;
}

/* refuse - -1 with why and where */
static int refuse(size_t *off_r, const char **why_r, size_t off, const char *why)
{
	*off_r = off;
	*why_r = why;
	return -1;
}

int rules_re_translate(const char *ere, size_t len, struct xbuf *out,
		       size_t *off_r, const char **why_r)
{
	size_t i = 0, n;
	int rc = 0, atom = 0, rep = 0, no_min;

	while (i < len && rc == 0) {
		char c = ere[i], one[3];
		const char *e;

		if (strchr("*+?{", c) != NULL && !atom)
			/* also what PCRE would read as (?...) or (*VERB) */
			return refuse(off_r, why_r, i, "repetition operator with nothing to "
				      "repeat (after \"(\", \"|\", an anchor or at the start)");
		if (strchr("*+?{", c) != NULL && rep)
			/* PCRE: lazy or possessive; util/rebound misses "{,}" */
			return refuse(off_r, why_r, i, "repetition operator after a repetition "
				      "operator (POSIX has no lazy or possessive forms)");
		rep = strchr("*+?{", c) != NULL;
		atom = strchr("(|^$", c) == NULL;
		if (c == '[') {
			i = bracket(ere, len, i, out, &rc);
		} else if (c == '\\' && i + 1 < len) {
			e = escape(ere[i + 1], one);
			if (e == NULL)
				return refuse(off_r, why_r, i, "an escaped letter or digit that POSIX "
					      "and PCRE read differently (write a bracket "
					      "expression or the character itself)");
			rc |= xbuf_append_str(out, e);
			atom = strchr("<>`'bB", ere[i + 1]) == NULL;	/* anchors: none to repeat */
			i += 2;
		} else if (c == '{') {
			n = interval(ere, len, i, &no_min);
			if (n == 0)
				return refuse(off_r, why_r, i, "\"{\" that starts no interval "
					      "(write \\{ for a brace)");
			rc |= xbuf_append_str(out, no_min ? "{0" : "{");
			rc |= xbuf_append(out, ere + i + 1, n - 1);
			i += n;
		} else {
			rc |= xbuf_append_char(out, ere[i++]);
		}
	}
	if (rc != 0)
		return refuse(off_r, why_r, i, "regular expression too long");
	return 0;
}

pcre2_code *rules_re_compile(const char *ere, size_t len, int icase,
			     char *err, size_t errlen, size_t *off_r)
{
	uint32_t opts = PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | (icase ? PCRE2_CASELESS : 0);
	struct xbuf pat;
	const char *why;
	pcre2_code *re;
	PCRE2_SIZE eoff;
	int ecode;

	xbuf_init(&pat, 16 * len + 16);
	if (rules_re_translate(ere, len, &pat, off_r, &why) < 0) {
		snprintf(err, errlen, "%s", why);
		xbuf_free(&pat);
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)xbuf_cstr(&pat), pat.len, opts, &ecode, &eoff, NULL);
	xbuf_free(&pat);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];

		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			strcpy((char *)msg, "unknown error");
		snprintf(err, errlen, "bad regular expression: %s", (const char *)msg);
		*off_r = RULES_RE_NO_OFFSET;
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* else interpreted */
	return re;
}

struct rules_re_matcher *rules_re_matcher_new(void)
{
	struct rules_re_matcher *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->md = pcre2_match_data_create(1, NULL);
	m->mc = pcre2_match_context_create(NULL);
	m->js = pcre2_jit_stack_create(32 * 1024, RULES_RE_JIT_STACK, NULL);
	if (m->md == NULL || m->mc == NULL) {
		rules_re_matcher_free(&m);
		return NULL;
	}
	pcre2_set_match_limit(m->mc, RULES_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, RULES_RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mc, RULES_RE_HEAP_LIMIT_KIB);
	if (m->js != NULL)	/* else PCRE2's 32 KiB on the machine stack */
		pcre2_jit_stack_assign(m->mc, NULL, m->js);
	return m;
}

void rules_re_matcher_free(struct rules_re_matcher **mp)
{
	struct rules_re_matcher *m = *mp;

	if (m == NULL)
		return;
	pcre2_jit_stack_free(m->js);
	pcre2_match_context_free(m->mc);
	pcre2_match_data_free(m->md);
	free(m);
	*mp = NULL;
}

int rules_re_match(const pcre2_code *re, struct rules_re_matcher *m, const char *val)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)val, PCRE2_ZERO_TERMINATED, 0, 0, m->md, m->mc);

	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
