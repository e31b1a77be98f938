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
 *	size_t linebuf_drain(struct linebuf *lb, const char **data_r);
 * DESCRIPTION
 *	Grammar: line := *OCTET LF. The buffer holds max bytes. Received
 *	data lives in data[start, end); lines already returned lie before
 *	start. A line, with its LF (and the CR before it), must fit in max
 *	bytes: 16384 for Dovecot's auth-client input means a longest line
 *	of 16383 bytes plus LF.
 *
 *	Cost: each received byte is looked at once by memchr(). The
 *	scan offset remembers how many bytes after start are known to
 *	hold no LF, so a line that arrives in pieces is not rescanned.
 *	Consumed bytes are dropped (one memmove of the pending tail) only
 *	by linebuf_space() and linebuf_feed(), never by linebuf_next(),
 *	so returned lines stay where they are until the caller reads
 *	again.
 *
 *	CR handling: LINEBUF_CR_KEEP leaves every byte in the line;
 *	LINEBUF_CR_STRIP removes one CR directly before the LF (a lone
 *	CR elsewhere, or a second CR, stays data).
 * DIAGNOSTICS
 *	linebuf_next: 1 line returned, 0 need more input, -1 the pending
 *	line already fills max bytes without an LF (the peer broke the
 *	bound; the stream cannot be resynchronised). Misuse (commit past
 *	the free space, max of 0) aborts through assert().
 * SEE ALSO
 *	protocols.md A.1 (Dovecot 16384-byte input bound, CR handling),
 *	B.1/B.3 (policy framing: LF only, CR is data).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "proto/linebuf.h"
#include "util/xmem.h"

/* linebuf_init - empty buffer of max bytes */
void linebuf_init(struct linebuf *lb, size_t max, enum linebuf_cr cr)
{
	assert(max > 0);
	lb->data = xmalloc(max);
	lb->max = max;
	lb->start = lb->end = lb->scan = 0;
	lb->cr = cr;
}

/* linebuf_free - release the storage */
void linebuf_free(struct linebuf *lb)
{
	free(lb->data);
	lb->data = NULL;
	lb->start = lb->end = lb->scan = 0;
}

/* linebuf_compact - move the pending bytes to the front */
static void linebuf_compact(struct linebuf *lb)
{
	if (lb->start == 0)
		return;
	if (lb->end > lb->start)
		memmove(lb->data, lb->data + lb->start, lb->end - lb->start);
	lb->end -= lb->start;
	lb->start = 0;
	/* scan counts from start, so it stays valid */
}

/* linebuf_space - free space after the received data, compacted first */
char *linebuf_space(struct linebuf *lb, size_t *avail_r)
{
	linebuf_compact(lb);
	*avail_r = lb->max - lb->end;
	return lb->data + lb->end;
}

/* linebuf_commit - account for n bytes written into linebuf_space() */
void linebuf_commit(struct linebuf *lb, size_t n)
{
	assert(n <= lb->max - lb->end);
	lb->end += n;
}

/* linebuf_feed - copy up to n bytes in; returns how many were taken */
size_t linebuf_feed(struct linebuf *lb, const void *p, size_t n)
{
	size_t avail;
	char *dst = linebuf_space(lb, &avail);

	if (n > avail)
		n = avail;
	if (n > 0)
		memcpy(dst, p, n);
	lb->end += n;
	return n;
}

/* linebuf_next - return the next complete line, if any */
int linebuf_next(struct linebuf *lb, const char **line_r, size_t *len_r)
{
	const char *from = lb->data + lb->start + lb->scan;
	size_t left = lb->end - lb->start - lb->scan;
	const char *lf = left > 0 ? memchr(from, '\n', left) : NULL;
	size_t len;

	if (lf == NULL) {
		lb->scan = lb->end - lb->start;
		/* No LF in max bytes: this line can never fit. */
		return lb->scan >= lb->max ? -1 : 0;
	}
	len = (size_t)(lf - (lb->data + lb->start));
	*line_r = lb->data + lb->start;
	if (lb->cr == LINEBUF_CR_STRIP && len > 0 && lf[-1] == '\r')
		len--;
	*len_r = len;
	lb->start = (size_t)(lf - lb->data) + 1;
	lb->scan = 0;
	return 1;
}

/* linebuf_pending - bytes of the incomplete last line */
size_t linebuf_pending(const struct linebuf *lb)
{
	return lb->end - lb->start;
}

/* linebuf_pending_data - where those bytes are */
const char *linebuf_pending_data(const struct linebuf *lb)
{
	return lb->data + lb->start;
}

/* linebuf_drain - consume and return every unconsumed byte */
size_t linebuf_drain(struct linebuf *lb, const char **data_r)
{
	size_t n = lb->end - lb->start;

	*data_r = lb->data + lb->start;
	lb->start = lb->end;
	lb->scan = 0;
	return n;
}
