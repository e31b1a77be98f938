/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	transcript_write - write transcript statements that parse back to
 *	the same exchange
 * SYNOPSIS
 *	#include "harness/script/transcript_write.h"
 *
 *	int twrite_text(struct xbuf *out, const void *p, size_t len,
 *	                unsigned flags);
 *	int twrite_send(struct xbuf *out, const char *head, const void *p,
 *	                size_t len, unsigned flags);
 *	int twrite_expect(struct xbuf *out, const char *head, const void *p,
 *	                  size_t len);
 *	int twrite_seen(struct xbuf *out, char dir, const void *p, size_t len);
 *	int twrite_comment(struct xbuf *out, const char *fmt, ...);
 * DESCRIPTION
 *	See transcript_write.h for the notation. The escaping is the
 *	inverse of pattern.c's parse_escape() for the bytes it writes;
 *	runs of bytes that stand for themselves are appended at once.
 * DIAGNOSTICS
 *	-1 when out is full; never logs.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/script/transcript.h"
#include "harness/script/transcript_write.h"

/* escape_one - the notation of byte c at position i of n bytes; its length */
static size_t escape_one(unsigned char c, size_t i, size_t n, unsigned flags, char *e)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\t': e[0] = '\\'; e[1] = 't'; return 2;
	case '\r': e[0] = '\\'; e[1] = 'r'; return 2;
	case '\n': e[0] = '\\'; e[1] = 'n'; return 2;
	case '\\': case '{': case '}': case '$': case '*':
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	case ' ':
		/* a blank at either end of a line is easy to lose; a word has none */
		if ((flags & TWRITE_WORD) || i == 0 || i + 1 == n) {
			e[0] = '\\';
			e[1] = 's';
			return 2;
		}
		break;
	case '"':
		if (flags & TWRITE_WORD)
			goto hexbyte;	/* the tokenizer's quote */
		break;
	default:
		if (c < 0x20 || c >= 0x7f)
			goto hexbyte;
		break;
	}
	e[0] = (char)c;
	return 1;
hexbyte:
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 15];
	return 4;
}

/* escape - p[0..len) in the notation, at most limit bytes of it; *used_r: bytes taken */
static int escape(struct xbuf *out, const void *p, size_t len, unsigned flags, size_t limit,
		  size_t *used_r)
{
	const unsigned char *s = p;
	size_t i, start = 0, wrote = 0;

	for (i = 0; i < len; i++) {
		char e[4];
		size_t k = escape_one(s[i], i, len, flags, e);

		if (k > limit - wrote)
			break;
		wrote += k;
		if (k == 1)
			continue;	/* stands for itself: stays in the run */
		if ((i > start && xbuf_append(out, s + start, i - start) < 0) ||
		    xbuf_append(out, e, k) < 0)
			return -1;
		start = i + 1;
	}
	if (i > start && xbuf_append(out, s + start, i - start) < 0)
		return -1;
	*used_r = i;
	return 0;
}

/* twrite_text - bytes in the text notation */
int twrite_text(struct xbuf *out, const void *p, size_t len, unsigned flags)
{
	const char *s = p;
	size_t used;

	if ((flags & TWRITE_WORD) && len == 0)
		return xbuf_append_str(out, "\"\"");
	/* a user named "secured": its first byte escaped, so it stays an argument */
	if ((flags & TWRITE_WORD) && transcript_auth_keyword(s, len)) {
		if (xbuf_printf(out, "\\x%02x", (unsigned char)s[0]) < 0)
			return -1;
		return escape(out, s + 1, len - 1, flags, SIZE_MAX, &used);
	}
	return escape(out, p, len, flags, SIZE_MAX, &used);
}

/* statement - "C:" or "C-:", then *head and p[0..n) if any; head is used once */
static int statement(struct xbuf *out, const char *prefix, const char **head, const char *p,
		     size_t n)
{
	if (xbuf_append_str(out, prefix) < 0)
		return -1;
	if ((*head != NULL || n > 0) &&
	    (xbuf_append_char(out, ' ') < 0 || (*head && xbuf_append_str(out, *head) < 0) ||
	     twrite_text(out, p, n, 0) < 0))
		return -1;
	*head = NULL;
	return xbuf_append_char(out, '\n');
}

/* twrite_send - C:/C-: statements that send head, p[0..len) and, with TWRITE_LF, an LF */
int twrite_send(struct xbuf *out, const char *head, const void *p, size_t len, unsigned flags)
{
	const char *s = p;
	int lf_end = (flags & TWRITE_LF) != 0;

	if (head != NULL && head[0] == '\0')
		head = NULL;
	if (len == 0 && head == NULL && !lf_end)
		return 0;
	for (;;) {
		const char *lf = len > 0 ? memchr(s, '\n', len) : NULL;
		size_t n = lf != NULL ? (size_t)(lf - s) : len, done = 0;

		while (n - done > TWRITE_CHUNK) {
			if (statement(out, "C-:", &head, s + done, TWRITE_CHUNK) < 0)
				return -1;
			done += TWRITE_CHUNK;
		}
		if (lf == NULL && !lf_end && n == done && done > 0)
			return 0;	/* the chunks took it all */
		if (statement(out, lf != NULL || lf_end ? "C:" : "C-:", &head, s + done,
			      n - done) < 0)
			return -1;
		if (lf == NULL)
			return 0;
		s += n + 1;
		len -= n + 1;
		if (len == 0 && !lf_end)
			return 0;
	}
}

/* twrite_expect - "S: head line"; 1: too long, written as its prefix and "*" */
int twrite_expect(struct xbuf *out, const char *head, const void *p, size_t len)
{
	size_t hl = head != NULL ? strlen(head) : 0, room, used, mark;

	/* "S: " head text ["*"] must fit in one line */
	room = hl + 4 <= TRANSCRIPT_MAX_LINE ? TRANSCRIPT_MAX_LINE - 3 - hl : 1;
	if (xbuf_append_str(out, "S:") < 0)
		return -1;
	if (hl == 0 && len == 0)
		return xbuf_append_char(out, '\n');
	if (xbuf_append_char(out, ' ') < 0 || (hl > 0 && xbuf_append(out, head, hl) < 0))
		return -1;
	mark = out->len;
	if (escape(out, p, len, 0, room, &used) < 0)
		return -1;
	if (used == len)
		return xbuf_append_char(out, '\n');
	xbuf_truncate(out, mark);
	if (escape(out, p, len, 0, room - 1, &used) < 0 || xbuf_append_str(out, "*\n") < 0)
		return -1;
	return 1;
}

/* twrite_seen - "# D: text" for a line that went by, cut at TWRITE_SEEN_MAX bytes */
int twrite_seen(struct xbuf *out, char dir, const void *p, size_t len)
{
	size_t n = len > TWRITE_SEEN_MAX ? TWRITE_SEEN_MAX : len;

	if (xbuf_printf(out, "# %c:", dir) < 0)
		return -1;
	if (n > 0 && (xbuf_append_char(out, ' ') < 0 || twrite_text(out, p, n, 0) < 0))
		return -1;
	return xbuf_append_str(out, n < len ? " ...\n" : "\n");
}

/* twrite_comment - "# text": one line whatever the text holds */
int twrite_comment(struct xbuf *out, const char *fmt, ...)
{
	char text[TWRITE_COMMENT_MAX + 1];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	for (i = 0; text[i] != '\0'; i++)
		if (((unsigned char)text[i] < 0x20 && text[i] != '\t') || text[i] == 0x7f)
			text[i] = '?';
	if (xbuf_append_str(out, "# ") < 0 || xbuf_append_str(out, text) < 0)
		return -1;
	return xbuf_append_char(out, '\n');
}
