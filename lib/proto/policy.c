/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy - Postfix SMTPD policy delegation attribute blocks
 * SYNOPSIS
 *	#include "proto/policy.h"
 *
 *	int policy_parse_block(const char *buf, size_t len,
 *	                       struct policy_block *blk_r, size_t *used_r,
 *	                       const char **error_r);
 *	int policy_parse_reply(const char *buf, size_t len,
 *	                       struct policy_reply *rep_r, size_t *used_r,
 *	                       const char **error_r);
 *	const struct policy_attr *policy_find(const struct policy_block *b,
 *	                       const char *name, enum policy_dup dup);
 *	int policy_format_attr(struct xbuf *out, const char *name,
 *	                       const char *value, size_t value_len);
 *	int policy_format_block(struct xbuf *out, const struct policy_attr *a,
 *	                       size_t n);
 *	int policy_format_reply(struct xbuf *out, const char *action,
 *	                       size_t action_len);
 *	void policy_scan_init(struct policy_scan *s);
 *	void policy_scan_init_bounds(struct policy_scan *s, size_t max_line,
 *	                       size_t max_attrs, size_t max_bytes);
 *	int policy_scan_block(struct policy_scan *s, const char *buf,
 *	                       size_t len, size_t *used_r,
 *	                       const char **error_r);
 * DESCRIPTION
 *	Grammar (Postfix attr_print_plain / attr_scan_plain):
 *	  block     := *(attr-line) LF
 *	  attr-line := name "=" value LF
 *	  name      := *(any byte but "=", LF)   value := *(any byte but LF)
 *	The first "=" ends the name. CR and NUL are data.
 *
 *	policy_parse_block (a server reading a request): every line
 *	before the empty line is either an attribute (it has a "=") or a
 *	bad line (no "="; counted in nbad, the first POLICY_MAX_BAD kept
 *	in bad[] as the whole line). A line "=value" is an attribute
 *	with an empty name, as Postfix's own readers would store it.
 *	Bounds, checked as the data arrives so that a peer cannot make
 *	the caller buffer without limit:
 *	  a line, without its LF, is at most POLICY_MAX_LINE bytes; an
 *	  unterminated tail longer than that is already an error;
 *	  at most POLICY_MAX_ATTRS lines (attributes plus bad lines).
 *
 *	policy_scan_block checks the same two bounds line by line and
 *	keeps its place in struct policy_scan (offsets, not pointers),
 *	so a request delivered in n pieces costs O(length), not
 *	O(n * length); the full parse then runs once. A server's own
 *	bounds (policy_scan_init_bounds) may be tighter, and may add one
 *	on the block's bytes.
 *
 *	policy_parse_reply (Postfix reading a response): the first line
 *	whose name is "action" decides. Names are compared the way
 *	Postfix does, as C strings: a name "action" NUL "x" is "action".
 *	  - empty line before any action: MISSING_ACTION (Postfix warns
 *	    "missing attribute action" and retries);
 *	  - "action" without "=" before any action: MALFORMED, decided
 *	    at that line (Postfix stops reading and retries);
 *	  - "action=value": remembered; every later line is skipped up
 *	    to the empty line, which makes the reply OK.
 *	Other names, a second action, and "Action"-style names are
 *	skipped and counted. There is no line bound (Postfix compiled
 *	it out of attr_scan_plain_string); the caller's framing bounds
 *	the input.
 *
 *	Formatters refuse what Postfix's grammar cannot carry: an empty
 *	name, "=" LF NUL in a name, LF NUL in a value (the action of
 *	policy_format_reply included). They are all or nothing.
 * DIAGNOSTICS
 *	Parsers: 1 block complete (or reply decided), 0 need more input,
 *	-1 bound exceeded with *error_r "line too long" or "too many
 *	attributes". policy_parse_reply never returns -1.
 *	Formatters: 0, or -1 (bad character, or out's bound reached).
 * SEE ALSO
 *	protocols.md B.1-B.3; Postfix src/util/attr_scan_plain.c,
 *	src/util/attr_print_plain.c.
 */
#include <assert.h>
#include <string.h>

#include "proto/policy.h"

/* policy_line - find the next LF from pos; NULL when there is none */
static const char *policy_line(const char *buf, size_t len, size_t pos)
{
	return pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
}

/* policy_parse_block - one request block */
int policy_parse_block(const char *buf, size_t len, struct policy_block *blk_r,
		       size_t *used_r, const char **error_r)
{
	size_t pos = 0;
	size_t llen;
	const char *line, *lf, *eq;
	struct policy_attr *a;

	blk_r->nattrs = 0;
	blk_r->nbad = 0;
	for (;;) {
		line = buf + pos;
		lf = policy_line(buf, len, pos);
		llen = lf != NULL ? (size_t)(lf - line) : len - pos;
		if (llen > POLICY_MAX_LINE) {
			*error_r = "line too long";
			return -1;
		}
		if (lf == NULL)
			return 0;
		if (llen == 0) {
			*used_r = pos + 1;
			return 1;
		}
		if (blk_r->nattrs + blk_r->nbad >= POLICY_MAX_ATTRS) {
			*error_r = "too many attributes";
			return -1;
		}
		eq = memchr(line, '=', llen);
		if (eq == NULL) {
			if (blk_r->nbad < POLICY_MAX_BAD)
				blk_r->bad[blk_r->nbad] = strview_make(line, llen);
			blk_r->nbad++;
		} else {
			a = &blk_r->attrs[blk_r->nattrs++];
			a->name = strview_make(line, (size_t)(eq - line));
			a->value = strview_make(eq + 1, llen - a->name.len - 1);
			a->value_nul = memchr(a->value.p, '\0',
					      a->value.len) != NULL;
		}
		pos += llen + 1;
	}
}

/* policy_scan_init - start looking for a new block */
void policy_scan_init(struct policy_scan *s)
{
	policy_scan_init_bounds(s, POLICY_MAX_LINE, POLICY_MAX_ATTRS, (size_t)-1);
}

/* policy_scan_init_bounds - the same, with a server's own (tighter) bounds */
void policy_scan_init_bounds(struct policy_scan *s, size_t max_line, size_t max_attrs,
			     size_t max_bytes)
{
	s->pos = 0;
	s->lines = 0;
	s->max_line = max_line < POLICY_MAX_LINE ? max_line : POLICY_MAX_LINE;
	s->max_attrs = max_attrs < POLICY_MAX_ATTRS ? max_attrs : POLICY_MAX_ATTRS;
	s->max_bytes = max_bytes;
}

/* policy_scan_block - incremental check for one complete block */
int policy_scan_block(struct policy_scan *s, const char *buf, size_t len,
		      size_t *used_r, const char **error_r)
{
	const char *lf;
	size_t llen;

	assert(s->pos <= len);		/* the caller dropped checked bytes */
	for (;;) {
		lf = policy_line(buf, len, s->pos);
		llen = lf != NULL ? (size_t)(lf - (buf + s->pos)) : len - s->pos;
		if (llen > s->max_line) {
			*error_r = "line too long";
			return -1;
		}
		if (lf == NULL)
			return 0;
		if (llen != 0 && s->lines >= s->max_attrs) {
			*error_r = "too many attributes";
			return -1;
		}
		if (s->pos + llen + 1 > s->max_bytes) {
			*error_r = "request too large";
			return -1;
		}
		if (llen == 0) {
			*used_r = s->pos + 1;
			return 1;
		}
		s->lines++;
		s->pos += llen + 1;
	}
}

/* policy_name_is - name equals s as Postfix sees it (C string) */
static int policy_name_is(struct strview name, const char *s, int anycase)
{
	const char *nul = memchr(name.p, '\0', name.len);

	if (nul != NULL)
		name.len = (size_t)(nul - name.p);
	return anycase ? strview_caseeq(name, s) : strview_eq(name, s);
}

/* policy_parse_reply - one response, as Postfix reads it */
int policy_parse_reply(const char *buf, size_t len, struct policy_reply *rep_r,
		       size_t *used_r, const char **error_r)
{
	size_t pos = 0;
	size_t llen;
	const char *line, *lf, *eq;
	struct strview name;
	int have_action = 0;

	(void)error_r;
	memset(rep_r, 0, sizeof(*rep_r));
	rep_r->status = POLICY_REPLY_MISSING_ACTION;
	rep_r->action = strview_make(buf, 0);
	for (;;) {
		line = buf + pos;
		if ((lf = policy_line(buf, len, pos)) == NULL)
			return 0;
		llen = (size_t)(lf - line);
		pos += llen + 1;
		if (llen == 0) {
			*used_r = pos;
			rep_r->status = have_action ? POLICY_REPLY_OK :
			    POLICY_REPLY_MISSING_ACTION;
			return 1;
		}
		rep_r->nattrs++;
		eq = memchr(line, '=', llen);
		name = strview_make(line, eq ? (size_t)(eq - line) : llen);
		if (!policy_name_is(name, "action", 0)) {
			rep_r->nunknown++;
			if (policy_name_is(name, "action", 1))
				rep_r->ncase++;
		} else if (have_action) {
			/* Postfix already has its action: skipped */
			if (eq != NULL)
				rep_r->nactions++;
			else
				rep_r->nunknown++;
		} else if (eq == NULL) {
			*used_r = pos;
			rep_r->status = POLICY_REPLY_MALFORMED;
			return 1;
		} else {
			have_action = 1;
			rep_r->nactions++;
			rep_r->action = strview_make(eq + 1,
						     llen - name.len - 1);
			rep_r->action_nul = memchr(rep_r->action.p, '\0',
						   rep_r->action.len) != NULL;
		}
	}
}

/* policy_find - first or last attribute with this exact name */
const struct policy_attr *policy_find(const struct policy_block *b,
				      const char *name, enum policy_dup dup)
{
	const struct policy_attr *found = NULL;
	size_t i;

	for (i = 0; i < b->nattrs; i++) {
		if (strview_eq(b->attrs[i].name, name)) {
			found = &b->attrs[i];
			if (dup == POLICY_DUP_FIRST)
				break;
		}
	}
	return found;
}

/* policy_bad_name - empty, or holds "=", LF or NUL */
static int policy_bad_name(const char *p, size_t len)
{
	return len == 0 || memchr(p, '=', len) != NULL ||
	    memchr(p, '\n', len) != NULL || memchr(p, '\0', len) != NULL;
}

/* policy_bad_value - holds LF or NUL */
static int policy_bad_value(const char *p, size_t len)
{
	return len > 0 && (memchr(p, '\n', len) != NULL ||
			   memchr(p, '\0', len) != NULL);
}

/* policy_append_attr - name "=" value LF, checked; no rollback */
static int policy_append_attr(struct xbuf *out, const char *name,
			      size_t name_len, const char *value,
			      size_t value_len)
{
	if (policy_bad_name(name, name_len) ||
	    policy_bad_value(value, value_len))
		return -1;
	if (xbuf_append(out, name, name_len) < 0 ||
	    xbuf_append_char(out, '=') < 0 ||
	    xbuf_append(out, value, value_len) < 0 ||
	    xbuf_append_char(out, '\n') < 0)
		return -1;
	return 0;
}

/* policy_format_attr - one "name=value" line */
int policy_format_attr(struct xbuf *out, const char *name, const char *value,
		       size_t value_len)
{
	size_t old = out->len;

	if (value == NULL && value_len > 0)
		return -1;
	if (policy_append_attr(out, name, strlen(name), value ? value : "",
			       value_len) < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* policy_format_block - attribute lines and the empty line */
int policy_format_block(struct xbuf *out, const struct policy_attr *a,
			size_t n)
{
	size_t old = out->len;
	size_t i;

	for (i = 0; i < n; i++) {
		if (policy_append_attr(out, a[i].name.p, a[i].name.len,
				       a[i].value.p, a[i].value.len) < 0)
			goto fail;
	}
	if (xbuf_append_char(out, '\n') < 0)
		goto fail;
	return 0;
fail:
	xbuf_truncate(out, old);
	return -1;
}

/* policy_format_reply - "action=<action>" LF LF */
int policy_format_reply(struct xbuf *out, const char *action,
			size_t action_len)
{
	size_t old = out->len;

	if (policy_append_attr(out, "action", 6, action, action_len) < 0 ||
	    xbuf_append_char(out, '\n') < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}
