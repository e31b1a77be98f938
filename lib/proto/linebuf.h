/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	linebuf - LF line framing over a fixed-size input buffer
 * SYNOPSIS
 *	#include "proto/linebuf.h"
 *
 *	void linebuf_init(struct linebuf *lb, size_t max, enum linebuf_cr cr);
 *	void linebuf_free(struct linebuf *lb);
 *	char *linebuf_space(struct linebuf *lb, size_t *avail_r);
 *	void linebuf_commit(struct linebuf *lb, size_t n);
 *	size_t linebuf_feed(struct linebuf *lb, const void *p, size_t n);
 *	int linebuf_next(struct linebuf *lb, const char **line_r, size_t *len_r);
 *	size_t linebuf_pending(const struct linebuf *lb);
 *	const char *linebuf_pending_data(const struct linebuf *lb);
size_t linebuf_drain(struct linebuf *lb, const char **data_r);
 * DESCRIPTION
 *	Grammar: line := *OCTET LF. A line, including its LF (and a CR
 *	before the LF), must fit in max bytes: the buffer never holds more
 *	than max bytes of one incomplete line. This is how Dovecot bounds
 *	its auth-client input (AUTH_CLIENT_MAX_LINE_LENGTH = 16384 bytes of
 *	buffer: the longest accepted line is 16383 bytes plus LF).
 *
 *	What happens to a CR before the LF is the caller's choice, because
 *	the peers differ (protocols.md A.1, B.3):
 *	  LINEBUF_CR_KEEP	the CR stays in the line (Postfix reads this way)
 *	  LINEBUF_CR_STRIP	one CR directly before LF is removed (Dovecot)
 *	A CR anywhere else is data. NUL bytes are data.
 *
 *	I/O shells read straight into the buffer: linebuf_space() returns
 *	the free space (compacting consumed lines first) and its size;
 *	after read(2) they call linebuf_commit(n). linebuf_feed() is the
 *	copying variant for tests and fuzzing; it returns how many bytes
 *	were taken (fewer than n when the buffer is full: call
 *	linebuf_next() to drain it, then feed the rest).
 *
 *	linebuf_next() returns the next complete line, without its LF
 *	(and CR, in STRIP mode), as a pointer into the buffer that is
 *	valid until the next call of any linebuf function except
 *	linebuf_next() itself (lines already returned stay in place until
 *	linebuf_space/feed compacts the buffer). The line is followed in
 *	memory by its LF (or CR), not by a NUL.
 *
 *	linebuf_pending*() expose the bytes of the incomplete last line
 *	(EOF handling: a peer that closed mid-line).
 *
 *	linebuf_drain() consumes every unconsumed byte (complete lines and
 *	an incomplete last one) and returns their count, with *data_r
 *	pointing at them (valid as a line from linebuf_next() is). Readers
 *	that model a single-buffered stream use it: Postfix's vstream
 *	drops what it read but did not use when it switches to writing,
 *	and returns the bytes before EOF as a last line without LF.
 * DIAGNOSTICS
 *	linebuf_next: 1 a line was returned; 0 need more input; -1 the
 *	pending line exceeds max (the buffer is full without an LF). After
 *	-1 the stream cannot be resynchronised: the caller disconnects.
 */
#ifndef LIB_PROTO_LINEBUF_H
#define LIB_PROTO_LINEBUF_H

#include <stddef.h>

#include "util/compiler.h"

enum linebuf_cr {
	LINEBUF_CR_KEEP,
	LINEBUF_CR_STRIP,
};

struct linebuf {
	char *data;		/* max bytes, allocated at init */
	size_t max;
	size_t start;		/* first unconsumed byte */
	size_t end;		/* end of received data */
	size_t scan;		/* bytes after start already known LF-free */
	enum linebuf_cr cr;
};

void linebuf_init(struct linebuf *lb, size_t max, enum linebuf_cr cr);
void linebuf_free(struct linebuf *lb);
char *linebuf_space(struct linebuf *lb, size_t *avail_r);
void linebuf_commit(struct linebuf *lb, size_t n);
size_t linebuf_feed(struct linebuf *lb, const void *p, size_t n);
int linebuf_next(struct linebuf *lb, const char **line_r, size_t *len_r) ATTR_WUR;
size_t linebuf_pending(const struct linebuf *lb);
const char *linebuf_pending_data(const struct linebuf *lb);
size_t linebuf_drain(struct linebuf *lb, const char **data_r);

#endif
