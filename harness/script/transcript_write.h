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
 *	The one writer of the transcript language (transcript.h,
 *	docs/transcripts.md); fake-smtpd record and the wire fuzzer write
 *	through it, and transcript_parse() reads what it writes back as the
 *	same bytes. Every function appends to out and writes whole lines,
 *	none longer than TRANSCRIPT_MAX_LINE.
 *
 *	twrite_text() writes bytes in the text notation, one spelling for
 *	every statement (C: text, S: patterns, arguments):
 *	  TAB \t, CR \r, LF \n; \ { } $ * as \\ \{ \} \$ \*;
 *	  a blank first or last as \s; other bytes below 0x20 and from
 *	  0x7f as \xHH (two lower-case hex digits); the rest as is.
 *	tpat_compile() with TPAT_TEXT or TPAT_GLOB reads the result as one
 *	literal part holding exactly p[0..len). With TWRITE_WORD the text
 *	is one argument of a blank-separated statement ("auth MECH USER
 *	..."): every blank is \s, a double quote \x22, empty text "", and a
 *	word the statement reads as a keyword (resp, noresp, secured,
 *	expect) has its first byte as \xHH, so it stays an argument.
 *	The caller keeps a word under TWRITE_CHUNK bytes (one line).
 *
 *	twrite_send() writes C: and C-: statements that send the
 *	expansion of head (transcript notation, e.g. "AUTH\\t{id}"; NULL
 *	or "" for none) followed by p[0..len), and an LF after them with
 *	TWRITE_LF. Each LF in p ends a C: statement; a line longer than
 *	TWRITE_CHUNK bytes goes out as C-: statements of TWRITE_CHUNK bytes
 *	and the rest (replay sends consecutive C: lines in one write); bytes
 *	after the last LF, without TWRITE_LF, end in a C-: statement.
 *	Nothing is written for no bytes, no head and no TWRITE_LF.
 *
 *	twrite_expect() writes one "S:" statement for a received line
 *	p[0..len) (without its LF), head (pattern notation, e.g.
 *	"OK\\t{id}\\t") first. The line is a literal unless it is too
 *	long for one statement: then its longest prefix that fits is
 *	written, followed by "*" (any rest), and 1 is returned.
 *
 *	twrite_seen() writes a line that went by as a comment,
 *	"# D: TEXT" (D: 'C' or 'S'; "# D:" for an empty line), the first
 *	TWRITE_SEEN_MAX bytes in the text notation and " ..." when there
 *	were more. twrite_comment() writes "# " and the formatted text;
 *	control bytes (TAB aside) become "?", the text is cut at
 *	TWRITE_COMMENT_MAX bytes: a comment stays one line.
 * DIAGNOSTICS
 *	0 written (twrite_expect: 0 exactly, 1 as a prefix and "*"); -1
 *	out is full (what was appended is left there: the caller drops out).
 */
#ifndef HARNESS_SCRIPT_TRANSCRIPT_WRITE_H
#define HARNESS_SCRIPT_TRANSCRIPT_WRITE_H

#include <stddef.h>

#include "harness/script/transcript.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define TWRITE_WORD		0x01u	/* twrite_text: one blank-separated argument */
#define TWRITE_LF		0x02u	/* twrite_send: an LF follows the bytes */

#define TWRITE_CHUNK		8192	/* bytes of one line per C-: statement */
#define TWRITE_SEEN_MAX		2000	/* bytes of a line shown by twrite_seen */
#define TWRITE_COMMENT_MAX	4096	/* bytes of one comment */

int twrite_text(struct xbuf *out, const void *p, size_t len, unsigned flags) ATTR_WUR;
int twrite_send(struct xbuf *out, const char *head, const void *p, size_t len,
		unsigned flags) ATTR_WUR;
int twrite_expect(struct xbuf *out, const char *head, const void *p, size_t len) ATTR_WUR;
int twrite_seen(struct xbuf *out, char dir, const void *p, size_t len) ATTR_WUR;
int twrite_comment(struct xbuf *out, const char *fmt, ...) ATTR_PRINTF(2, 3) ATTR_WUR;

#endif
