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
 *	A pattern has at most TPAT_MAX_SEGS parts. Matching takes one pass
 *	with one restart point, the latest "*": each "*" takes the shortest
 *	run after which the rest matches up to the next "*", and a "*" that
 *	the match has moved past is not reconsidered. The work is bounded by
 *	the line's length times the pattern's; there is no step limit.
 *	Captures are shortest-first and do not backtrack: "{x}\tB" takes the
 *	text up to the first "\tB". A {NAME} that is still unset when the
 *	match runs must be followed by literal text or end the pattern
 *	("{id}*" is fine once id is set). A capture made after a "*" and
 *	used again after the next "*" keeps the value it took where the
 *	earlier parts first matched ("*{x}-*={x}" does not match
 *	"a-b-c=b": x is "a").
 * DIAGNOSTICS
 *	Static reason strings: "unknown escape", "bad \\x escape", "unclosed
 *	{", "bad variable name", "variable not set", "too many parts",
 *	"capture followed by * or another capture", "value too long".
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

/*
 * A match first resolves every part against the variables: a literal
 * (bytes, a set variable, {b64:...}), a "*", a capture, a reference to a
 * capture made earlier in the same pattern, or an error that is reported
 * when the match reaches that part. The parts are then matched left to
 * right in one pass. A "*" first takes nothing and becomes the restart
 * point; when a later part does not match, the latest "*" takes more
 * (up to the next place where the part after it occurs) and the parts
 * after it are tried again. An earlier "*" is never reconsidered, so the
 * work is bounded by the line's length times the pattern's.
 */
enum mkind {
	MP_LIT,			/* bytes: p, len */
	MP_STAR,
	MP_CAP,			/* capture: p is the name, len its index */
	MP_CAPREF,		/* a capture made earlier: len is its index */
	MP_ERR,			/* p is the reason */
};

struct mpart {
	enum mkind kind;
	const char *p;
	size_t len;
	size_t seg;		/* how many "*" come before it */
	int mono;		/* no reference before it to a capture of its own segment */
	size_t from, hit;	/* CAP: where the last search began and ended */
};

struct capture {
	const char *name;
	size_t off, len, seg;
};

struct mstate {
	const char *line;
	size_t len;
	size_t npart, ncap, nb64;
	struct mpart part[TPAT_MAX_SEGS];
	struct capture cap[TPAT_MAX_SEGS];
	struct xbuf b64[TPAT_MAX_SEGS];
	const char *error;
};

/* enum mstep - what one part did */
enum mstep {
	MS_NEXT,		/* matched; go on with the next part */
	MS_STAR,		/* a "*" with more parts after it */
	MS_MISS,		/* no match here; the latest "*" may take more */
	MS_FAIL,		/* no match here nor after any restart */
	MS_DONE,		/* the line matches */
	MS_ERR,			/* error in m->error */
};

/* cap_find - the index of the capture named name, or -1 */
static long cap_find(const struct mstate *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncap; i++)
		if (strcmp(m->cap[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* resolve_var - {NAME} or ${NAME}: capture, reference, value or error */
static void resolve_var(struct mstate *m, const struct tseg *s, const struct tvars *v,
			struct mpart *mp)
{
	const struct tvar *t;
	long c = cap_find(m, s->text);

	if (c >= 0) {
		/* p: the error when it directly follows its own capture */
		mp->kind = MP_CAPREF;
		mp->p = s->kind == TSEG_REF ? "variable not set" :
			"capture followed by * or another capture";
		mp->len = (size_t)c;
	} else if ((t = tvars_get(v, s->text)) != NULL) {
		mp->kind = MP_LIT;
		mp->p = t->value;
		mp->len = t->len;
	} else if (s->kind == TSEG_VAR) {
		mp->kind = MP_CAP;
		mp->p = s->text;
		mp->len = m->ncap;
		m->cap[m->ncap].name = s->text;
		m->cap[m->ncap++].seg = mp->seg;
	} else {
		mp->kind = MP_ERR;
		mp->p = "variable not set";
	}
}

/* resolve - every part of p against v, before the match */
static void resolve(struct mstate *m, const struct tpat *p, const struct tvars *v)
{
	size_t i, seg = 0;
	int mono = 1;

	for (i = 0; i < p->nseg; i++) {
		const struct tseg *s = &p->seg[i];
		struct mpart *mp = &m->part[i];

		mp->seg = seg;
		mp->hit = (size_t)-1;
		switch (s->kind) {
		case TSEG_LIT:
			mp->kind = MP_LIT;
			mp->p = s->text;
			mp->len = s->len;
			break;
		case TSEG_STAR:
			mp->kind = MP_STAR;
			seg++;
			mono = 1;
			break;
		case TSEG_VAR:
		case TSEG_REF:
			resolve_var(m, s, v, mp);
			if (mp->kind == MP_CAPREF && m->cap[mp->len].seg == seg)
				mono = 0;
			break;
		case TSEG_B64: {
			struct xbuf *b = &m->b64[m->nb64++];
			const char *why = NULL;

			xbuf_init(b, TPAT_MAX_EXPAND);
			mp->kind = seg_value(s, v, b, &why) < 0 ? MP_ERR : MP_LIT;
			mp->p = mp->kind == MP_ERR ? why : b->data ? b->data : "";
			mp->len = b->len;
			break;
		}
		}
		mp->mono = mono;
	}
	m->npart = p->nseg;
}

/* lit_value - the bytes of a literal part or a reference; 0 if it is neither */
static int lit_value(const struct mstate *m, const struct mpart *mp, const char **p_r,
		     size_t *len_r)
{
	if (mp->kind == MP_LIT) {
		*p_r = mp->p;
		*len_r = mp->len;
		return 1;
	}
	if (mp->kind == MP_CAPREF) {
		*p_r = m->line + m->cap[mp->len].off;
		*len_r = m->cap[mp->len].len;
		return 1;
	}
	return 0;
}

/*
 * find_after - where the literal after capture i first occurs at or after
 * pos. A fixed literal (not a capture of the same segment) found at hit
 * from a start s is also the first one from every start in [s, hit]: the
 * restarts of a "*" ask again without searching again.
 */
static const char *find_after(struct mstate *m, size_t i, size_t pos, const char *np,
			      size_t nl, int fixed)
{
	struct mpart *mp = &m->part[i];
	const char *hit;

	if (nl == 0)
		return m->line + pos;
	if (fixed && mp->hit != (size_t)-1 && pos >= mp->from && pos <= mp->hit)
		return m->line + mp->hit;
	hit = memmem(m->line + pos, m->len - pos, np, nl);
	if (fixed && hit != NULL) {
		mp->from = pos;
		mp->hit = (size_t)(hit - m->line);
	}
	return hit;
}

/* capture - an unset {NAME} takes the text up to the next literal part */
static enum mstep capture(struct mstate *m, size_t i, size_t *pos)
{
	const struct mpart *next = &m->part[i + 1];
	struct capture *c = &m->cap[m->part[i].len];
	const char *np, *hit;
	size_t nl;
	int fixed;

	c->off = *pos;
	if (i + 1 == m->npart) {
		c->len = m->len - *pos;
		*pos = m->len;
		return MS_NEXT;
	}
	if (next->kind == MP_ERR) {
		m->error = next->p;
		return MS_ERR;
	}
	if (next->kind == MP_CAPREF && next->len == m->part[i].len) {
		m->error = next->p;
		return MS_ERR;
	}
	if (!lit_value(m, next, &np, &nl)) {
		m->error = "capture followed by * or another capture";
		return MS_ERR;
	}
	fixed = !(next->kind == MP_CAPREF && m->cap[next->len].seg == m->part[i].seg);
	hit = find_after(m, i, *pos, np, nl, fixed);
	if (hit == NULL) {
		/* where the text before is fixed, no restart finds the literal */
		return m->part[i].mono && fixed ? MS_FAIL : MS_MISS;
	}
	c->len = (size_t)(hit - m->line) - *pos;
	*pos = (size_t)(hit - m->line);
	return MS_NEXT;
}

/* match_part - part i at *pos */
static enum mstep match_part(struct mstate *m, size_t i, size_t *pos)
{
	const struct mpart *mp = &m->part[i];
	const char *lp = "";
	size_t ll = 0;

	if (i == m->npart)
		return *pos == m->len ? MS_DONE : MS_MISS;
	switch (mp->kind) {
	case MP_STAR:
		return i + 1 == m->npart ? MS_DONE : MS_STAR;
	case MP_CAP:
		return capture(m, i, pos);
	case MP_ERR:
		m->error = mp->p;
		return MS_ERR;
	case MP_LIT:
	case MP_CAPREF:
		break;
	}
	(void)lit_value(m, mp, &lp, &ll);
	if (m->len - *pos < ll || memcmp(m->line + *pos, lp, ll) != 0)
		return MS_MISS;
	*pos += ll;
	return MS_NEXT;
}

/* star_try - the first place at or after *from where the part after star i may start */
static int star_try(const struct mstate *m, size_t star, size_t *from)
{
	const char *np, *hit;
	size_t nl;

	if (*from > m->len)
		return 0;
	if (!lit_value(m, &m->part[star + 1], &np, &nl) || nl == 0)
		return 1;
	hit = memmem(m->line + *from, m->len - *from, np, nl);
	if (hit == NULL)
		return 0;
	*from = (size_t)(hit - m->line);
	return 1;
}

/* match_parts - 1 match, 0 none, -1 error */
static int match_parts(struct mstate *m)
{
	size_t i = 0, pos = 0, star = 0, from = 0;
	int have_star = 0;

	for (;;) {
		switch (match_part(m, i, &pos)) {
		case MS_NEXT:
			i++;
			continue;
		case MS_STAR:
			star = i;
			have_star = 1;
			from = pos;
			break;
		case MS_MISS:
			if (!have_star)
				return 0;
			from++;
			break;
		case MS_FAIL:
			return 0;
		case MS_DONE:
			return 1;
		case MS_ERR:
			return -1;
		}
		if (!star_try(m, star, &from))
			return 0;
		i = star + 1;
		pos = from;
	}
}

/* tpat_match - does the whole line match; captures go into v */
int tpat_match(const struct tpat *p, struct tvars *v, const char *line, size_t len,
	       const char **error_r)
{
	struct mstate m;
	size_t i;
	int rc;

	m.line = line;
	m.len = len;
	m.ncap = m.nb64 = 0;
	m.error = NULL;
	resolve(&m, p, v);
	rc = match_parts(&m);
	if (rc < 0)
		*error_r = m.error ? m.error : "match error";
	for (i = 0; rc == 1 && i < m.ncap; i++)
		if (tvars_set(v, m.cap[i].name, line + m.cap[i].off, m.cap[i].len) < 0) {
			*error_r = "too many variables or value too long";
			rc = -1;
		}
	for (i = 0; i < m.nb64; i++)
		xbuf_free_wipe(&m.b64[i]);
	return rc;
}
