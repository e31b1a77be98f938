/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report_clean - text fit for every report format
 * SYNOPSIS
 *	#include "harness/report/report_int.h"
 *
 *	int report_clean(struct xbuf *out, const char *s, size_t len,
 *	                 unsigned flags);
 *	const char *report_clean_str(struct xbuf *scratch, const char *s,
 *	                             unsigned flags);
 *	int report_escape(struct xbuf *out, const char *p, size_t len,
 *	                  size_t max_in);
 *	const char *report_shown(char *dst, size_t size, const char *p,
 *	                         size_t len);
 * DESCRIPTION
 *	One rule for every byte a report shows, whatever the protocol and
 *	the format (auth and policy, text, TAP, JUnit, JSON):
 *	Reads s as UTF-8 (RFC 3629):
 *	  00-7F                        one byte
 *	  C2-DF 80-BF                  two
 *	  E0 A0-BF 80-BF, E1-EC 80-BF 80-BF, ED 80-9F 80-BF, EE-EF 80-BF 80-BF
 *	  F0 90-BF 80-BF 80-BF, F1-F3 80-BF x3, F4 80-8F 80-BF 80-BF
 *	Anything else (C0, C1, F5-FF as a first byte, a lone continuation
 *	byte, an overlong form, a surrogate, a sequence cut short) is not
 *	valid: its first byte is written as \xNN and reading goes on at the
 *	next byte. A valid character is written as is unless it is a
 *	control character (U+0000-U+001F, U+007F, U+0080-U+009F) or
 *	U+FFFE/U+FFFF (not XML characters): TAB is written \t, CR \r, the
 *	others as \xNN per byte. LF stays a line break in multi-line text
 *	(the log, a reason); with REPORT_CLEAN_LINE it is written \n too.
 *	The result is valid UTF-8 and valid XML 1.0 character data, and
 *	shows a terminal no control sequence.
 *
 *	report_escape() is the same rule for bytes from the wire (the C:
 *	and S: lines), in transcript notation: also a backslash is written
 *	\\ and LF \n, so the text reads back as the bytes. At most max_in
 *	input bytes (0: all) are shown, cut on a character boundary, then
 *	"...(N more bytes)". report_shown() writes the same into a caller's
 *	buffer (size > 3) for messages, cut on a character boundary and
 *	ended by "..." when it does not fit, and returns dst.
 *
 *	Why not a library: libxml2 and jansson both refuse such text rather
 *	than mend it (xmlTextWriter writes invalid bytes through, jansson's
 *	json_string() returns NULL), and iconv(3) can drop or replace bytes
 *	but not show which they were. The table above is the whole grammar.
 * DIAGNOSTICS
 *	report_clean, report_escape: 0, or -1 when out's bound is reached;
 *	out then holds the characters that fitted (report_escape: nothing
 *	of this call). report_clean_str: never fails; a text
 *	that does not fit is cut and ends with "...".
 */
#include <string.h>

#include "harness/report/report_int.h"

/* utf8_len - bytes of the valid sequence at s (len > 0), or 0 */
static size_t utf8_len(const unsigned char *s, size_t len, unsigned long *cp_r)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;
	unsigned long cp;

	if (c < 0x80) {
		*cp_r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	/* the second byte's range excludes overlong forms, surrogates and > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*cp_r = cp;
	return n;
}

#define CLEAN_WIRE	0x100u	/* report_escape: backslash and LF escaped too */

/* shown_raw - may code point cp be written as it is */
static int shown_raw(unsigned long cp, unsigned flags)
{
	if (cp == '\n')
		return !(flags & (REPORT_CLEAN_LINE | CLEAN_WIRE));
	if (cp == '\\')
		return !(flags & CLEAN_WIRE);
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 0;
	return cp != 0xfffe && cp != 0xffff;
}

/* named - the two-character name of a control byte, or NULL */
static const char *named(unsigned long cp)
{
	switch (cp) {
	case '\t': return "\\t";
	case '\r': return "\\r";
	case '\n': return "\\n";
	case '\\': return "\\\\";
	}
	return NULL;
}

/* clean_to - the bytes of s[0, end) per the rule; *done_r: bytes read */
static int clean_to(struct xbuf *out, const unsigned char *p, size_t len, size_t end,
		    unsigned flags, size_t *done_r)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	while (i < end) {
		unsigned long cp = 0;
		size_t n = utf8_len(p + i, len - i, &cp), k;
		const char *name;

		if (n > 0 && i + n > end)
			break;		/* a character the bound cuts: left out whole */
		if (n > 0 && shown_raw(cp, flags)) {
			if (xbuf_append(out, p + i, n) < 0)
				return -1;
			i += n;
			continue;
		}
		if (n == 1 && (name = named(cp)) != NULL) {
			if (xbuf_append(out, name, 2) < 0)
				return -1;
			i++;
			continue;
		}
		if (n == 0)
			n = 1;
		if (xbuf_reserve(out, 4 * n) < 0)
			return -1;
		for (k = 0; k < n; k++) {
			char esc[4] = { '\\', 'x', hex[p[i + k] >> 4], hex[p[i + k] & 15] };

			(void)!xbuf_append(out, esc, 4);
		}
		i += n;
	}
	*done_r = i;
	return 0;
}

/* report_clean - append s as valid, visible UTF-8 */
int report_clean(struct xbuf *out, const char *s, size_t len, unsigned flags)
{
	size_t done;

	return clean_to(out, (const unsigned char *)s, len, len, flags, &done);
}

/* report_shown - report_escape() into a fixed buffer, cut with "..." */
const char *report_shown(char *dst, size_t size, const char *p, size_t len)
{
	struct xbuf b;
	size_t n;

	xbuf_init(&b, 0);
	if (report_escape(&b, p, len, 0) < 0)
		xbuf_reset(&b);
	n = b.len;
	if (n >= size) {
		n = size - 4;
		while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
			n--;
		memcpy(dst, b.data, n);
		memcpy(dst + n, "...", 4);
	} else {
		memcpy(dst, b.len ? b.data : "", n);
		dst[n] = '\0';
	}
	xbuf_free(&b);
	return dst;
}

/* report_escape - wire bytes in transcript notation, bounded */
int report_escape(struct xbuf *out, const char *p, size_t len, size_t max_in)
{
	size_t old = out->len, end = (max_in == 0 || max_in > len) ? len : max_in, done;

	if (clean_to(out, (const unsigned char *)p, len, end, CLEAN_WIRE, &done) < 0 ||
	    (done < len && xbuf_printf(out, "...(%zu more bytes)", len - done) < 0)) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* report_clean_str - s cleaned into scratch; cut with "..." when too long */
const char *report_clean_str(struct xbuf *scratch, const char *s, unsigned flags)
{
	xbuf_reset(scratch);
	if (s != NULL && report_clean(scratch, s, strlen(s), flags) < 0) {
		size_t cut = scratch->len > 3 ? scratch->len - 3 : 0;

		/* whole characters only: back to the first byte of the one cut */
		while (cut > 0 && ((unsigned char)scratch->data[cut] & 0xc0) == 0x80)
			cut--;
		xbuf_truncate(scratch, cut);
		(void)!xbuf_append_str(scratch, "...");
	}
	return xbuf_cstr(scratch);
}
