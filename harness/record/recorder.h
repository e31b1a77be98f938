/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	recorder - what a recording proxy saw, as transcript text
 * SYNOPSIS
 *	#include "harness/record/recorder.h"
 *
 *	void recorder_init(struct recorder *rc);
 *	void recorder_free(struct recorder *rc);
 *	int recorder_line(struct recorder *rc, char dir, const char *line,
 *	                  size_t len, struct xbuf *out);
 *	int recorder_event(struct recorder *rc, const char *what,
 *	                   struct xbuf *out);
 *	int recorder_feed(struct recorder *rc, char dir, const char *p,
 *	                  size_t n, struct xbuf *out);
 *	int recorder_end(struct recorder *rc, struct xbuf *out);
 * DESCRIPTION
 *	The pure part of fake-smtpd record: bytes seen by the proxy in
 *	either direction go in, transcript text comes out, written with the
 *	transcript writer (harness/script/transcript_write.h), so it parses
 *	back to the exchange that passed.
 *
 *	recorder_line(): one line (without LF) seen in direction dir ('C'
 *	client, 'S' server). The protocol is taken from the first client
 *	line (VERSION or CPID: auth; anything else: policy). Client lines
 *	become C: statements, server lines S: patterns that match exactly
 *	that line (one too long for a statement: its prefix and "*"). Auth
 *	lines get their variable parts replaced: CPID's value by {pid}, the
 *	request id of AUTH and of the CONT, OK, FAIL lines that answer it by
 *	{id} (replay numbers requests itself), SPID, CUID and COOKIE values
 *	by "*". Exchanges whose client answers depend on the server's
 *	challenge (CRAM-MD5, SCRAM-*) cannot be replayed byte for byte: they
 *	are written as comments followed by the "auth MECH USER ${password}
 *	expect CODE" macro, the user taken from the client's answer.
 *
 *	recorder_event(): "reconnect", "expect close" or another statement
 *	(a comment before the protocol is known); an exchange cut short is
 *	kept as comments.
 *
 *	recorder_feed(): n bytes seen in direction dir; every complete line
 *	goes to recorder_line(). A line longer than RECORD_MAX_LINE is
 *	written as a comment saying so (its bytes still passed).
 *	recorder_end(): the connection is over: client bytes without their
 *	LF become a C-: statement, server bytes without one a comment.
 * DIAGNOSTICS
 *	0, or -1 when out is full.
 */
#ifndef HARNESS_RECORD_RECORDER_H
#define HARNESS_RECORD_RECORDER_H

#include <stddef.h>

#include "util/compiler.h"
#include "util/xbuf.h"

#define RECORD_MAX_LINE		65536
#define RECORD_MAX_PENDING	64	/* lines of a challenge exchange kept */

enum recorder_proto {
	RECORDER_UNKNOWN,
	RECORDER_AUTH,
	RECORDER_POLICY,
};

/* the line being assembled in one direction */
struct recorder_side {
	struct xbuf line;		/* the incomplete line */
	int skipping;			/* inside a line longer than RECORD_MAX_LINE */
	size_t skipped;
};

struct recorder {
	enum recorder_proto proto;
	int wrote_header;
	char id[16];			/* the recorded id of the request in flight */
	char mech[64];
	int challenge;			/* CRAM-MD5 / SCRAM exchange being held */
	char user[256];			/* from the client's answer */
	struct xbuf held;		/* its lines, written as comments */
	struct recorder_side cs, ss;	/* client and server bytes */
};

void recorder_init(struct recorder *rc);
void recorder_free(struct recorder *rc);
int recorder_line(struct recorder *rc, char dir, const char *line, size_t len,
		  struct xbuf *out) ATTR_WUR;
int recorder_event(struct recorder *rc, const char *what, struct xbuf *out) ATTR_WUR;
int recorder_feed(struct recorder *rc, char dir, const char *p, size_t n,
		  struct xbuf *out) ATTR_WUR;
int recorder_end(struct recorder *rc, struct xbuf *out) ATTR_WUR;

#endif
