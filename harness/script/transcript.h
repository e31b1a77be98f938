/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	transcript - the transcript language: parse a file into an op list
 * SYNOPSIS
 *	#include "harness/script/transcript.h"
 *
 *	int transcript_parse(const char *buf, size_t len, const char *file,
 *	                     struct transcript *t_r, char *err, size_t errlen);
 *	void transcript_free(struct transcript *t);
 *	const char *transcript_op_name(enum top_kind k);
 *	int transcript_auth_keyword(const char *p, size_t len);
 *
 *	int tpat_compile(const char *src, size_t len, unsigned flags,
 *	                 struct tpat *p_r, const char **error_r);
 *	void tpat_free(struct tpat *p);
 *	int tpat_expand(const struct tpat *p, const struct tvars *v,
 *	                struct xbuf *out, const char **error_r);
 *	int tpat_match(const struct tpat *p, struct tvars *v,
 *	               const char *line, size_t len, const char **error_r);
 *
 *	void tvars_init(struct tvars *v);
 *	int tvars_set(struct tvars *v, const char *name, const void *value,
 *	              size_t len);
 *	int tvars_define(struct tvars *v, const char *arg,
 *	                 char *err, size_t errlen);
 *	const struct tvar *tvars_get(const struct tvars *v, const char *name);
 *	void tvars_free(struct tvars *v);
 * DESCRIPTION
 *	A transcript is a text file, one statement per line; docs/transcripts.md
 *	is the user's guide. Grammar (ws = SP / TAB, "#" starts a comment
 *	when it is the first non-blank character of a line):
 *
 *	  file      := *(line LF)
 *	  line      := ws* [stmt] | ws* "#" *OCTET
 *	  stmt      := "protocol" ("auth" | "policy")
 *	             | "default" NAME value      (used unless -D NAME=... is given)
 *	             | "C:" text | "C-:" text    (send text + LF / without LF)
 *	             | "S:" pattern | "S?" pattern | "S~" "/" regex "/"
 *	             | "anyorder" LF *(expect-line LF) "end"
 *	             | "S{" LF *(expect-line LF) "}"      (the same)
 *	             | "expect" "close" | "expect" "silence" DURATION
 *	             | "expect" "smtp" (CODE | pattern)
 *	             | "expect" "action" pattern
 *	             | "handshake" ["nosend"]
 *	             | "auth" MECH *ARG *("resp" | "noresp" | "secured")
 *	                      ["expect" CODE]
 *	             | "cont" text
 *	             | "policy" *(NAME "=" value | "-" NAME)
 *	             | "reconnect" | "sleep" DURATION
 *	  DURATION  := 1*DIGIT ("ms" | "s")      (at most 600 s)
 *	  CODE      := 3DIGIT
 *	After "C:" / "S:" exactly one SP (or TAB) is skipped; the rest of the
 *	line is the text, trailing blanks included. The first statement
 *	other than comments and "default" must be "protocol"; "protocol"
 *	appears once.
 *
 *	Text and patterns (tpat): bytes with escapes and substitutions.
 *	  \t \r \n \\ \xHH (two hex digits) \NNN (one to three octal
 *	  digits, e.g. \001 \0) \{ \} \$ \* \s (space)
 *	  ${NAME}      the variable's value (it must be set when used)
 *	  {NAME}       in text: the variable's value; in a pattern: the value
 *	               if set, else a capture that sets it
 *	  {b64:TEXT}   base64 of TEXT (TEXT may use escapes and ${NAME})
 *	  *            in a pattern (TPAT_GLOB): any run of bytes
 *	Built-in names: id (the current auth request id; a "C:" line that
 *	starts with "AUTH" takes the next id from the counter), pid (the CPID
 *	sent), user/password and others from -D or "default".
 *	A capture takes the shortest text up to the next literal part of the
 *	pattern (or the rest of the line when it is last); an unset {NAME}
 *	directly followed by "*" or another unset {NAME} is a run-time error. NAME := ALPHA
 *	*(ALNUM / "_" / "-" / "."), at most TPAT_MAX_NAME bytes.
 *
 *	Bounds: a transcript file at most TRANSCRIPT_MAX_FILE bytes, a line at
 *	most TRANSCRIPT_MAX_LINE, at most TRANSCRIPT_MAX_OPS statements, an
 *	anyorder block at most TRANSCRIPT_MAX_GROUP lines, a pattern at most
 *	TPAT_MAX_SEGS parts, TVARS_MAX variables of TVARS_MAX_VALUE bytes.
 *	Matching takes one pass with the latest "*" as the one restart point
 *	(pattern.c): no step bound.
 * DIAGNOSTICS
 *	transcript_parse: 0, or -1 with "file:line: what is wrong" in err.
 *	tpat_compile: 0, or -1 with a static reason. tpat_expand: 0, or -1
 *	(unset variable, bound). tpat_match: 1 match (captures are set in v),
 *	0 no match (v unchanged), -1 error with a static reason.
 *	tvars_set: 0 or -1 (too many, value too long, bad name).
 */
#ifndef HARNESS_SCRIPT_TRANSCRIPT_H
#define HARNESS_SCRIPT_TRANSCRIPT_H

#include <regex.h>
#include <stddef.h>

#include "util/compiler.h"
#include "util/xbuf.h"

#define TRANSCRIPT_MAX_FILE	(1024 * 1024)
#define TRANSCRIPT_MAX_LINE	(64 * 1024)
#define TRANSCRIPT_MAX_OPS	4096
#define TRANSCRIPT_MAX_GROUP	64
#define TRANSCRIPT_MAX_ARGS	64
#define TRANSCRIPT_MAX_MS	600000u
#define TPAT_MAX_SEGS		128
#define TPAT_MAX_NAME		63
#define TVARS_MAX		64
#define TVARS_MAX_VALUE		(64 * 1024)

/* tpat_compile flags */
#define TPAT_GLOB	0x01u	/* "*" is a wildcard (patterns) */
#define TPAT_TEXT	0x02u	/* text to send: no "*" and no captures */

enum tseg_kind {
	TSEG_LIT,		/* bytes */
	TSEG_STAR,		/* any run of bytes */
	TSEG_VAR,		/* {NAME}: value, or capture in a pattern */
	TSEG_REF,		/* ${NAME}: value, must be set */
	TSEG_B64,		/* {b64:...}: base64 of the sub-text */
};

struct tpat;

struct tseg {
	enum tseg_kind kind;
	char *text;		/* LIT bytes (NUL-terminated copy), VAR/REF name */
	size_t len;
	struct tpat *sub;	/* B64 */
};

struct tpat {
	size_t nseg;
	struct tseg *seg;
	char *src;		/* the source text, for reports (NUL-terminated) */
};

struct tvar {
	char name[TPAT_MAX_NAME + 1];
	char *value;		/* NUL-terminated copy; may hold NULs */
	size_t len;
};

struct tvars {
	size_t n;
	struct tvar v[TVARS_MAX];
};

enum transcript_protocol {
	TPROTO_AUTH,
	TPROTO_POLICY,
};

enum top_kind {
	TOP_SEND,		/* C: / C-: */
	TOP_EXPECT,		/* S: / S? / S~ */
	TOP_ANYORDER,		/* anyorder ... end */
	TOP_EXPECT_CLOSE,
	TOP_EXPECT_SILENCE,
	TOP_EXPECT_SMTP,
	TOP_EXPECT_ACTION,
	TOP_HANDSHAKE,
	TOP_AUTH,
	TOP_CONT,
	TOP_POLICY,
	TOP_RECONNECT,
	TOP_SLEEP,
	TOP_SESSION,		/* auth: a new SMTP session begins */
};

enum tauth_resp {
	TAUTH_RESP_DEFAULT,	/* initial response when the mechanism has one */
	TAUTH_RESP_YES,
	TAUTH_RESP_NO,
};

struct tpolicy_arg {
	char name[TPAT_MAX_NAME + 1];
	int remove;		/* "-name": leave the attribute out */
	struct tpat value;
};

struct top {
	enum top_kind kind;
	unsigned line;		/* 1-based line in the file */
	/* SEND, EXPECT (literal/glob), CONT, EXPECT_SMTP (text), EXPECT_ACTION */
	struct tpat pat;
	int nolf;		/* SEND: "C-:" */
	int optional;		/* EXPECT: "S?" */
	int is_regex;		/* EXPECT: "S~" */
	regex_t re;
	unsigned ms;		/* EXPECT_SILENCE, SLEEP */
	int code;		/* EXPECT_SMTP (0 = match text), AUTH expect (0 = none) */
	int nosend;		/* HANDSHAKE */
	/* ANYORDER */
	size_t nkids;
	struct top *kids;
	/* AUTH */
	char mech[64];
	size_t nargs;
	struct tpat args[2];	/* user/password, trace, authzid */
	enum tauth_resp resp;
	int secured;
	/* POLICY */
	size_t npol;
	struct tpolicy_arg *pol;
};

struct transcript {
	char *file;
	enum transcript_protocol protocol;
	char title[200];	/* the first comment line, if any */
	size_t ndefaults;
	struct {
		char name[TPAT_MAX_NAME + 1];
		struct tpat value;
	} defaults[TVARS_MAX];
	size_t nops;
	struct top *ops;
};

int transcript_parse(const char *buf, size_t len, const char *file, struct transcript *t_r,
		     char *err, size_t errlen) ATTR_WUR;
void transcript_free(struct transcript *t);
const char *transcript_op_name(enum top_kind k);
/* p[0..len) is a word the auth statement reads as its option (resp, ...) */
int transcript_auth_keyword(const char *p, size_t len);

int tpat_compile(const char *src, size_t len, unsigned flags, struct tpat *p_r,
		 const char **error_r) ATTR_WUR;
void tpat_free(struct tpat *p);
int tpat_expand(const struct tpat *p, const struct tvars *v, struct xbuf *out,
		const char **error_r) ATTR_WUR;
int tpat_match(const struct tpat *p, struct tvars *v, const char *line, size_t len,
	       const char **error_r) ATTR_WUR;

void tvars_init(struct tvars *v);
int tvars_set(struct tvars *v, const char *name, const void *value, size_t len) ATTR_WUR;
int tvars_define(struct tvars *v, const char *arg, char *err, size_t errlen) ATTR_WUR;
const struct tvar *tvars_get(const struct tvars *v, const char *name);
void tvars_free(struct tvars *v);

#endif
