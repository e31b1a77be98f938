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
 *
 *	void recorder_creds_init(struct recorder_creds *c, int raw);
 *	int recorder_creds_header(const struct recorder_creds *c,
 *	                          struct xbuf *out);
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
 *	Credentials. With rc->creds set and not raw (the default of
 *	fake-smtpd record), what a PLAIN or LOGIN client sends is written
 *	with variables, never as it passed: a PLAIN message (in resp= or in
 *	the CONT after an empty challenge) as
 *	{b64:AUTHZID\0${user}\0${password}}, LOGIN's user name and password
 *	(resp= or the CONT rounds) as {b64:${user}} and {b64:${password}},
 *	and "user=NAME" in the OK or FAIL that ends such an exchange as
 *	user=${user}. Each user name seen gets its own variables (user and
 *	password for the first, user2 and password2 for the second, ...;
 *	RECORD_MAX_USERS are remembered, each later exchange gets a pair of
 *	its own), and each other password of a user one more (password-2,
 *	password-3, ...; RECORD_MAX_PASSWORDS told apart by a 64-bit hash
 *	kept in memory only), so that a right and a wrong password replay
 *	as they were tried. recorder_creds_header() writes a comment saying
 *	which -D password...=... replay needs and the "default userN NAME"
 *	statements (nothing when no credentials passed).
 *	A message that is not valid base64 or not a PLAIN message is no
 *	credential and is written as it passed. With raw set (--keep-
 *	credentials) or no creds, everything is written as it passed.
 *
 *	recorder_event(): "reconnect", "expect close" or another statement
 *	(a comment before the protocol is known); an exchange cut short is
 *	kept as comments.
 *
 *	recorder_feed(): n bytes seen in direction dir; every complete line
 *	goes to recorder_line(). A line longer than RECORD_MAX_LINE is
 *	written as a comment saying so (its bytes still passed).
 *	recorder_end(): the connection is over: client bytes without their
 *	LF become a C-: statement, server bytes without one a comment and,
 *	in an auth transcript, an S: line too (Postfix's auth client reads
 *	the bytes before EOF as a last line, and so does replay).
 * DIAGNOSTICS
 *	0, or -1 when out is full.
 */
#ifndef HARNESS_RECORD_RECORDER_H
#define HARNESS_RECORD_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/xbuf.h"

#define RECORD_MAX_LINE		65536
#define RECORD_MAX_PENDING	64	/* lines of a challenge exchange kept */
#define RECORD_MAX_USERS	64	/* user names given variables of their own */
#define RECORD_MAX_PASSWORDS	8	/* passwords told apart per user */

enum recorder_proto {
	RECORDER_UNKNOWN,
	RECORDER_AUTH,
	RECORDER_POLICY,
};

/* the users of a whole recording, shared by its connections */
struct recorder_creds {
	int raw;			/* write credentials as they passed */
	unsigned n;			/* user names remembered */
	unsigned extra;			/* exchanges beyond RECORD_MAX_USERS */
	char user[RECORD_MAX_USERS][256];
	/* each user's passwords, told apart by a hash (never written) */
	uint64_t pw[RECORD_MAX_USERS][RECORD_MAX_PASSWORDS];
	unsigned npw[RECORD_MAX_USERS];
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
	struct recorder_creds *creds;	/* NULL: credentials as they passed */
	int cred_mech;			/* 'P' PLAIN, 'L' LOGIN in flight, or 0 */
	unsigned cred_round;		/* LOGIN: client messages so far */
	char uvar[16], pvar[24];	/* this exchange's variables */
	unsigned uidx;			/* its user's place in creds */
	char cur_user[256];		/* its user name, when known */
};

void recorder_init(struct recorder *rc);
void recorder_free(struct recorder *rc);
int recorder_line(struct recorder *rc, char dir, const char *line, size_t len,
		  struct xbuf *out) ATTR_WUR;
int recorder_event(struct recorder *rc, const char *what, struct xbuf *out) ATTR_WUR;
int recorder_feed(struct recorder *rc, char dir, const char *p, size_t n,
		  struct xbuf *out) ATTR_WUR;
int recorder_end(struct recorder *rc, struct xbuf *out) ATTR_WUR;

void recorder_creds_init(struct recorder_creds *c, int raw);
int recorder_creds_header(const struct recorder_creds *c, struct xbuf *out) ATTR_WUR;

#endif
