/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pattern - transcript text and patterns: escapes, variables, globs
 * SYNOPSIS
 *	#include "harness/script/transcript.h"
 *
 *	int tpat_compile(const char *src, size_t len, unsigned flags,
 *	                 struct tpat *p_r, const char **error_r);
 *	int tpat_expand(const struct tpat *p, const struct tvars *v,
 *	                struct xbuf *out, const char **error_r);
 *	int tpat_match(const struct tpat *p, struct tvars *v,
 *	               const char *line, size_t len, const char **error_r);
 * DESCRIPTION
 *	Grammar of a pattern (see transcript.h for the whole language):
 *	  pattern := *(byte | escape | "${" NAME "}" | "{" NAME "}"
 *	               | "{b64:" text "}" | "*")
 *	  escape  := "\" ("t" | "r" | "n" | "\" | "{" | "}" | "$" | "*" | "s"
 *	               | "x" 2HEXDIG | 1*3ODIGIT)
 *	Inside {b64:...} the text may hold escapes, ${NAME} and {NAME} (values
 *	only) and ends at the first unescaped "}". "*" is a wildcard only
 *	with TPAT_GLOB; with TPAT_TEXT it is an ordinary byte.
 *	A pattern has at most TPAT_MAX_SEGS parts; matching takes at most
 *	TPAT_MAX_STEPS steps (glob backtracking), after which it is an error.
 *	Captures are shortest-first and do not backtrack: "{x}\tB" takes the
 *	text up to the first "\tB". A {NAME} that is still unset when the
 *	match runs must be followed by literal text or end the pattern
 *	("{id}*" is fine once id is set).
 * DIAGNOSTICS
 *	Static reason strings: "unknown escape", "bad \\x escape", "unclosed
 *	{", "bad variable name", "variable not set", "too many parts",
 *	"capture followed by * or another capture", "pattern too costly",
 *	"value too long".
 */
#define _GNU_SOURCE		/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/script/transcript.h"
#include "proto/base64.h"
#include "util/xmem.h"

#define TPAT_MAX_EXPAND	(256 * 1024)

/* name_ok - NAME := ALPHA *(ALNUM / "_" / "-" / ".") */
static int name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > TPAT_MAX_NAME)
		return 0;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') || p[0] == '_'))
		return 0;
	for (i = 1; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* add_seg - append one part */
static int add_seg(struct tpat *p, enum tseg_kind k, const char *text, size_t len,
		   struct tpat *sub, const char **error_r)
{
	struct tseg *s;

	if (p->nseg >= TPAT_MAX_SEGS) {
		*error_r = "too many parts";
		return -1;
	}
	p->seg = xrealloc(p->seg, (p->nseg + 1) * sizeof(*p->seg));
	s = &p->seg[p->nseg++];
	s->kind = k;
	s->text = text ? xmemdup(text, len + 1) : NULL;
	if (s->text)
		s->text[len] = '\0';
	s->len = len;
	s->sub = sub;
	return 0;
}

/* flush_lit - the pending literal bytes become a part */
static int flush_lit(struct tpat *p, struct xbuf *lit, const char **error_r)
{
	int rc = 0;

	if (lit->len > 0)
		rc = add_seg(p, TSEG_LIT, lit->data, lit->len, NULL, error_r);
	xbuf_reset(lit);
	return rc;
}

/* parse_escape - one escape at src[*i] (after the backslash) */
static int parse_escape(const char *src, size_t len, size_t *i, struct xbuf *lit,
			const char **error_r)
{
	char c, out;

	if (*i >= len) {
		*error_r = "backslash at the end";
		return -1;
	}
	c = src[(*i)++];
	switch (c) {
	case 't': out = '\t'; break;
	case 'r': out = '\r'; break;
	case 'n': out = '\n'; break;
	case 's': out = ' '; break;
	case '\\': case '{': case '}': case '$': case '*': case '/': out = c; break;
	case 'x': {
		int h, l;

		if (*i + 2 > len || (h = hexval(src[*i])) < 0 || (l = hexval(src[*i + 1])) < 0) {
			*error_r = "bad \\x escape (want two hex digits)";
			return -1;
		}
		*i += 2;
		out = (char)(h * 16 + l);
		break;
	}
	default:
		if (c >= '0' && c <= '7') {
			unsigned v = (unsigned)(c - '0'), k;

			for (k = 0; k < 2 && *i < len && src[*i] >= '0' && src[*i] <= '7'; k++)
				v = v * 8 + (unsigned)(src[(*i)++] - '0');
			if (v > 255) {
				*error_r = "octal escape above \\377";
				return -1;
			}
			out = (char)v;
			break;
		}
		*error_r = "unknown escape (use \\t \\r \\n \\\\ \\xHH \\NNN \\{ \\} \\$ \\*)";
		return -1;
	}
	if (xbuf_append_char(lit, out) < 0) {
		*error_r = "value too long";
		return -1;
	}
	return 0;
}

static int compile(const char *src, size_t len, unsigned flags, struct tpat *p,
		   const char **error_r);

/* tpat_compile - text or pattern to parts */
int tpat_compile(const char *src, size_t len, unsigned flags, struct tpat *p_r,
		 const char **error_r)
{
	memset(p_r, 0, sizeof(*p_r));
	p_r->src = xmemdup(src, len);
	p_r->src[len] = '\0';
	if (compile(src, len, flags, p_r, error_r) < 0) {
		tpat_free(p_r);
		return -1;
	}
	return 0;
}

static int compile(const char *src, size_t len, unsigned flags, struct tpat *p,
		   const char **error_r)
{
	struct xbuf lit;
	size_t i = 0, k;

	xbuf_init(&lit, TRANSCRIPT_MAX_LINE);
	while (i < len) {
		char c = src[i];

		if (c == '\\') {
			i++;
			if (parse_escape(src, len, &i, &lit, error_r) < 0)
				goto fail;
		} else if (c == '*' && (flags & TPAT_GLOB)) {
			if (flush_lit(p, &lit, error_r) < 0 || add_seg(p, TSEG_STAR, NULL, 0, NULL, error_r) < 0)
				goto fail;
			i++;
		} else if ((c == '$' && i + 1 < len && src[i + 1] == '{') || c == '{') {
			int ref = c == '$';
			size_t start = i + (ref ? 2 : 1);

			if (!ref && len - start >= 4 && memcmp(src + start, "b64:", 4) == 0) {
				struct tpat *sub;
				size_t j = start + 4;

				/* the sub-text ends at the first "}" that closes no ${ / { */
				for (k = j; k < len; k++) {
					if (src[k] == '\\') {
						k++;
						continue;
					}
					if (src[k] == '{') {
						const char *close = memchr(src + k, '}', len - k);

						if (close == NULL)
							break;
						k = (size_t)(close - src);
						continue;
					}
					if (src[k] == '}')
						break;
				}
				if (k >= len) {
					*error_r = "unclosed {b64:";
					goto fail;
				}
				if (flush_lit(p, &lit, error_r) < 0)
					goto fail;
				sub = xcalloc(1, sizeof(*sub));
				if (tpat_compile(src + j, k - j, TPAT_TEXT, sub, error_r) < 0) {
					free(sub);
					goto fail;
				}
				if (add_seg(p, TSEG_B64, NULL, 0, sub, error_r) < 0) {
					tpat_free(sub);
					free(sub);
					goto fail;
				}
				i = k + 1;
				continue;
			}
			for (k = start; k < len && src[k] != '}'; k++)
				;
			if (k >= len) {
				*error_r = "unclosed { (write \\{ for a literal brace)";
				goto fail;
			}
			if (!name_ok(src + start, k - start)) {
				*error_r = "bad variable name in {...} (write \\{ for a literal brace)";
				goto fail;
			}
			if (flush_lit(p, &lit, error_r) < 0 ||
			    add_seg(p, ref ? TSEG_REF : TSEG_VAR, src + start, k - start, NULL, error_r) < 0)
				goto fail;
			i = k + 1;
		} else {
			if (xbuf_append_char(&lit, c) < 0) {
				*error_r = "value too long";
				goto fail;
			}
			i++;
		}
	}
	if (flush_lit(p, &lit, error_r) < 0)
		goto fail;
	xbuf_free(&lit);
	return 0;
fail:
	xbuf_free(&lit);
	return -1;
}

void tpat_free(struct tpat *p)
{
	size_t i;

	for (i = 0; i < p->nseg; i++) {
		free(p->seg[i].text);
		if (p->seg[i].sub) {
			tpat_free(p->seg[i].sub);
			free(p->seg[i].sub);
		}
	}
	free(p->seg);
	free(p->src);
	memset(p, 0, sizeof(*p));
}

/* --- variables ------------------------------------------------------- */

void tvars_init(struct tvars *v)
{
	memset(v, 0, sizeof(*v));
}

const struct tvar *tvars_get(const struct tvars *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return &v->v[i];
	return NULL;
}

int tvars_set(struct tvars *v, const char *name, const void *value, size_t len)
{
	struct tvar *t = NULL;
	size_t i;

	for (i = 0; i < v->n && t == NULL; i++)
		if (strcmp(v->v[i].name, name) == 0)
			t = &v->v[i];

	if (!name_ok(name, strlen(name)) || len > TVARS_MAX_VALUE)
		return -1;
	if (t == NULL) {
		if (v->n >= TVARS_MAX)
			return -1;
		t = &v->v[v->n++];
		strcpy(t->name, name);
	} else {
		xmem_wipe(t->value, t->len);
		free(t->value);
	}
	t->value = xmalloc(len + 1);
	memcpy(t->value, value, len);
	t->value[len] = '\0';
	t->len = len;
	return 0;
}

/* tvars_define - a command line's -D NAME=VALUE; -1 with a message in err */
int tvars_define(struct tvars *v, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char name[TPAT_MAX_NAME + 1];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) > TPAT_MAX_NAME) {
		snprintf(err, errlen, "-D wants NAME=VALUE, not %s", arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if (tvars_set(v, name, eq + 1, strlen(eq + 1)) < 0) {
		snprintf(err, errlen, "-D %s: bad name or too many variables", name);
		return -1;
	}
	return 0;
}

void tvars_free(struct tvars *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		xmem_wipe(v->v[i].value, v->v[i].len);
		free(v->v[i].value);
	}
	v->n = 0;
}

/* --- expansion ------------------------------------------------------- */

/* seg_value - the bytes a non-capturing part stands for */
static int seg_value(const struct tseg *s, const struct tvars *v, struct xbuf *out,
		     const char **error_r)
{
	const struct tvar *t;

	switch (s->kind) {
	case TSEG_LIT:
		if (xbuf_append(out, s->text, s->len) < 0)
			goto too_long;
		return 0;
	case TSEG_VAR:
	case TSEG_REF:
		if ((t = tvars_get(v, s->text)) == NULL) {
			*error_r = "variable not set";
			return -1;
		}
		if (xbuf_append(out, t->value, t->len) < 0)
			goto too_long;
		return 0;
	case TSEG_B64: {
		struct xbuf raw;
		int rc;

		xbuf_init(&raw, TPAT_MAX_EXPAND);
		rc = tpat_expand(s->sub, v, &raw, error_r);
		if (rc == 0 && base64_encode(raw.data ? raw.data : "", raw.len, out) < 0) {
			*error_r = "value too long";
			rc = -1;
		}
		xbuf_free_wipe(&raw);
		return rc;
	}
	case TSEG_STAR:
		break;
	}
	*error_r = "* in text to send";
	return -1;
too_long:
	*error_r = "value too long";
	return -1;
}

/* tpat_expand - text to bytes; every variable must be set */
int tpat_expand(const struct tpat *p, const struct tvars *v, struct xbuf *out,
		const char **error_r)
{
	size_t i;

	for (i = 0; i < p->nseg; i++)
		if (seg_value(&p->seg[i], v, out, error_r) < 0)
			return -1;
	return 0;
}

/* --- matching -------------------------------------------------------- */

struct capture {
	const char *name;
	size_t off, len;
};

struct mstate {
	const struct tpat *p;
	const struct tvars *v;
	const char *line;
	size_t len;
	unsigned long steps;
	size_t ncap;
	struct capture cap[TPAT_MAX_SEGS];
	const char *error;
};

/* bound_value - a variable set before or captured earlier in this match */
static int bound_value(struct mstate *m, const char *name, const char **p_r, size_t *len_r)
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

/* literal_of - the bytes of part i if it is not a wildcard; 1 yes, 0 wildcard, -1 error */
static int literal_of(struct mstate *m, size_t i, struct xbuf *tmp, const char **p_r,
		      size_t *len_r)
{
	const struct tseg *s = &m->p->seg[i];

	switch (s->kind) {
	case TSEG_LIT:
		*p_r = s->text;
		*len_r = s->len;
		return 1;
	case TSEG_STAR:
		return 0;
	case TSEG_VAR:
		return bound_value(m, s->text, p_r, len_r);
	case TSEG_REF:
		if (bound_value(m, s->text, p_r, len_r))
			return 1;
		m->error = "variable not set";
		return -1;
	case TSEG_B64:
		xbuf_reset(tmp);
		if (seg_value(s, m->v, tmp, &m->error) < 0)
			return -1;
		*p_r = tmp->data ? tmp->data : "";
		*len_r = tmp->len;
		return 1;
	}
	return -1;
}

static int match_from(struct mstate *m, size_t i, size_t pos)
{
	const char *lp;
	size_t ll;
	struct xbuf tmp;
	int rc, lit;

	if (++m->steps > TPAT_MAX_STEPS) {
		m->error = "pattern too costly";
		return -1;
	}
	if (i == m->p->nseg)
		return pos == m->len;
	xbuf_init(&tmp, TPAT_MAX_EXPAND);
	lit = literal_of(m, i, &tmp, &lp, &ll);
	if (lit < 0) {
		rc = -1;
	} else if (lit == 1) {
		rc = m->len - pos >= ll && memcmp(m->line + pos, lp, ll) == 0 ?
			match_from(m, i + 1, pos + ll) : 0;
	} else if (m->p->seg[i].kind == TSEG_STAR) {
		size_t k;
		struct xbuf tmp2;
		const char *np;
		size_t nl;
		int nlit = 0;

		rc = 0;
		xbuf_init(&tmp2, TPAT_MAX_EXPAND);
		if (i + 1 == m->p->nseg)
			rc = 1;		/* a trailing * takes the rest */
		else if ((nlit = literal_of(m, i + 1, &tmp2, &np, &nl)) < 0)
			rc = -1;
		else if (nlit == 1 && nl > 0) {
			/* try only where the next literal part occurs */
			for (k = pos; rc == 0 && k < m->len; k++) {
				const char *hit = memmem(m->line + k, m->len - k, np, nl);

				if (hit == NULL)
					break;
				k = (size_t)(hit - m->line);
				rc = match_from(m, i + 1, k);
			}
		} else {
			for (k = pos; k <= m->len && rc == 0; k++)
				rc = match_from(m, i + 1, k);
		}
		xbuf_free(&tmp2);
	} else {
		/* an unset {NAME}: capture up to the next literal part */
		size_t end = m->len;

		rc = 0;
		if (i + 1 < m->p->nseg) {
			struct xbuf tmp2;
			const char *np;
			size_t nl;
			int nlit;

			xbuf_init(&tmp2, TPAT_MAX_EXPAND);
			nlit = literal_of(m, i + 1, &tmp2, &np, &nl);
			if (nlit < 0) {
				rc = -1;
			} else if (nlit == 0) {
				m->error = "capture followed by * or another capture";
				rc = -1;
			} else {
				const char *hit = nl == 0 ? m->line + pos :
					memmem(m->line + pos, m->len - pos, np, nl);

				if (hit == NULL)
					end = (size_t)-1;
				else
					end = (size_t)(hit - m->line);
			}
			xbuf_free(&tmp2);
		}
		if (rc == 0 && end != (size_t)-1) {
			struct capture *c = &m->cap[m->ncap++];

			c->name = m->p->seg[i].text;
			c->off = pos;
			c->len = end - pos;
			rc = match_from(m, i + 1, end);
			if (rc != 1)
				m->ncap--;
		}
	}
	xbuf_free_wipe(&tmp);
	return rc;
}

/* tpat_match - does the whole line match; captures go into v */
int tpat_match(const struct tpat *p, struct tvars *v, const char *line, size_t len,
	       const char **error_r)
{
	struct mstate m;
	size_t i;
	int rc;

	memset(&m, 0, sizeof(m));
	m.p = p;
	m.v = v;
	m.line = line;
	m.len = len;
	rc = match_from(&m, 0, 0);
	if (rc < 0) {
		*error_r = m.error ? m.error : "match error";
		return -1;
	}
	if (rc == 0)
		return 0;
	for (i = 0; i < m.ncap; i++)
		if (tvars_set(v, m.cap[i].name, line + m.cap[i].off, m.cap[i].len) < 0) {
			*error_r = "too many variables or value too long";
			return -1;
		}
	return 1;
}
