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
 *
 *	void policy_scan_init(struct policy_scan *s);
 *	void policy_scan_init_bounds(struct policy_scan *s, size_t max_line,
 *	                       size_t max_attrs, size_t max_bytes);
 *	int policy_scan_block(struct policy_scan *s, const char *buf,
 *	                       size_t len, size_t *used_r,
 *	                       const char **error_r);
 * DESCRIPTION
 *	Grammar (Postfix attr_print_plain / attr_scan_plain):
 *	  block := *(attr-line) LF
 *	  attr-line := name "=" value LF
 *	  name := 1*(any byte but "=", LF)   value := *(any byte but LF)
 *	The first "=" separates name and value; the value may contain "=".
 *	Names are case-sensitive. No escaping, no quoting. CR is an
 *	ordinary byte (a CRLF line ends in a value with a trailing CR; a
 *	line that is only CR LF is an attribute named "\r" without "="). A
 *	NUL byte is data here; policy_attr.value_nul marks values that
 *	Postfix, which uses C strings, would truncate at the first NUL.
 *
 *	policy_parse_block() is the server side (reading a request). It
 *	scans buf for one complete block: 1 when the empty line was found
 *	(*used_r = bytes up to and including it), 0 when more input is
 *	needed (nothing is returned). Attributes are kept in arrival order,
 *	duplicates included (policy_find selects the first or the last).
 *	Lines without "=" are counted in blk_r->nbad and listed in
 *	blk_r->bad (up to POLICY_MAX_BAD) with their names; what to do with
 *	them is the caller's choice. Bounds: a line at most POLICY_MAX_LINE
 *	bytes (without LF), at most POLICY_MAX_ATTRS attribute lines; over
 *	either bound is -1 (the README's advice: log, send nothing,
 *	disconnect).
 *
 *	policy_parse_reply() reads a response block the way Postfix does
 *	(attr_vscan_plain with ATTR_FLAG_MISSING and RECV_ATTR_STR
 *	"action", protocols.md B.3): the first "action" wins, later ones
 *	and unknown names are skipped, a line "action" without "=" is a
 *	malformed reply, a terminator before any action is "missing action".
 *	Returns 1 with rep_r->status set when the block ended or the reply
 *	is decided, 0 when more input is needed. It does not enforce a line
 *	bound (Postfix has none); the caller's framing does.
 *
 *	policy_scan_block() is the incremental front end for servers
 *	that read a request in pieces: it remembers in *s how far buf has
 *	been checked, so each byte is looked at once however the request
 *	is split (calling policy_parse_block after every read would
 *	rescan the whole buffer each time). It applies the same bounds
 *	and returns 1 when buf[0, *used_r) is a complete block, which
 *	policy_parse_block() then parses with the same result; 0 when
 *	more input is needed; -1 with the same errors. The caller keeps
 *	the bytes already passed unchanged (the buffer may move: only
 *	offsets are kept) and calls policy_scan_init() before the next
 *	block. s->lines counts the attribute lines accepted so far.
 *
 *	policy_scan_init_bounds() sets tighter bounds for a server's
 *	settings (each at most the default; larger values are cut to it):
 *	a line longer than max_line (without LF, checked before the LF
 *	arrives) is "line too long", line max_attrs + 1 is "too many
 *	attributes", and a block whose complete lines, LFs included, come
 *	to more than max_bytes is "request too large" (checked as each
 *	line, or the empty line, completes), in that order for each line.
 *	policy_scan_init() is the same with POLICY_MAX_LINE,
 *	POLICY_MAX_ATTRS and no byte bound. Either starts a new block.
 *	fuzz/fuzz_proto_readers checks that parse and scan agree, whole
 *	and in pieces, and the reply reader against the harness's Postfix
 *	reading (pf_policy.h).
 *
 *	Formatters append complete lines. policy_format_attr refuses names
 *	containing "=" or LF or NUL and values containing LF or NUL (-1).
 *	policy_format_block writes the attributes and the empty line.
 *	policy_format_reply writes "action=<action>" LF LF.
 * DIAGNOSTICS
 *	-1 with *error_r a static string: "line too long", "too many
 *	attributes", "request too large", "empty attribute name", "bad character in name",
 *	"bad character in value", "output bound reached".
 */
#ifndef LIB_PROTO_POLICY_H
#define LIB_PROTO_POLICY_H

#include <stddef.h>

#include "util/compiler.h"
#include "util/strview.h"
#include "util/xbuf.h"

#define POLICY_MAX_ATTRS	1024	/* Postfix caps attribute tables at 1024 */
#define POLICY_MAX_LINE		(4 * 2048)	/* 4 * line_length_limit */
#define POLICY_MAX_BAD		16

struct policy_attr {
	struct strview name;
	struct strview value;
	int value_nul;		/* value holds a NUL byte */
};

struct policy_block {
	size_t nattrs;
	struct policy_attr attrs[POLICY_MAX_ATTRS];
	size_t nbad;			/* lines without "=" */
	struct strview bad[POLICY_MAX_BAD];
};

enum policy_dup {
	POLICY_DUP_FIRST,
	POLICY_DUP_LAST,
};

enum policy_reply_status {
	POLICY_REPLY_OK,		/* one action received (Postfix: success) */
	POLICY_REPLY_MISSING_ACTION,	/* terminator before any action (retry) */
	POLICY_REPLY_MALFORMED,		/* "action" without "=" (retry) */
};

struct policy_reply {
	enum policy_reply_status status;
	struct strview action;		/* first action's value, as received */
	int action_nul;			/* a NUL inside: Postfix truncates */
	size_t nattrs;			/* all attribute lines, action included */
	size_t nactions;		/* "action=" lines seen */
	size_t nunknown;		/* other names, skipped by Postfix */
	size_t ncase;			/* names equal to "action" ignoring case
					   but not exactly ("Action") */
};

/* Incremental scan state: offsets only, no pointers into the input. */
struct policy_scan {
	size_t pos;			/* bytes checked: whole lines */
	size_t lines;			/* non-empty lines among them */
	size_t max_line, max_attrs;	/* bounds (policy_scan_init_bounds) */
	size_t max_bytes;
};

int policy_parse_block(const char *buf, size_t len, struct policy_block *blk_r,
		       size_t *used_r, const char **error_r) ATTR_WUR;
int policy_parse_reply(const char *buf, size_t len, struct policy_reply *rep_r,
		       size_t *used_r, const char **error_r) ATTR_WUR;
const struct policy_attr *policy_find(const struct policy_block *b,
				      const char *name, enum policy_dup dup);
int policy_format_attr(struct xbuf *out, const char *name, const char *value,
		       size_t value_len) ATTR_WUR;
int policy_format_block(struct xbuf *out, const struct policy_attr *a,
			size_t n) ATTR_WUR;
int policy_format_reply(struct xbuf *out, const char *action,
			size_t action_len) ATTR_WUR;
void policy_scan_init(struct policy_scan *s);
void policy_scan_init_bounds(struct policy_scan *s, size_t max_line, size_t max_attrs,
			     size_t max_bytes);
int policy_scan_block(struct policy_scan *s, const char *buf, size_t len,
		      size_t *used_r, const char **error_r) ATTR_WUR;

#endif
