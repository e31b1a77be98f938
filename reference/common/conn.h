/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	conn - line-oriented, non-blocking connection on the event loop
 * SYNOPSIS
 *	#include "reference/common/conn.h"
 *
 *	struct conn *conn_create(struct ev_loop *loop, int rfd, int wfd,
 *	                         const struct conn_settings *set,
 *	                         const struct conn_ops *ops, void *ctx,
 *	                         const char *peer);
 *	int conn_write(struct conn *c, const void *p, size_t n);
 *	int conn_printf(struct conn *c, const char *fmt, ...);
 *	struct xbuf *conn_outbuf(struct conn *c);
 *	int conn_flush_later(struct conn *c);
 *	void conn_close(struct conn *c, const char *reason);
 *	void conn_close_after_flush(struct conn *c, const char *reason);
 *	void conn_pause_input(struct conn *c);
 *	void conn_resume_input(struct conn *c);
 *	void *conn_ctx(const struct conn *c);
 *	const char *conn_peer(const struct conn *c);
 *	int conn_is_closing(const struct conn *c);
 *	int conn_batch_sends(struct ev_loop *loop);
 *	unsigned long conn_lb_allocs(void);
 *	void conn_count_output(struct conn *c, size_t *total);
 *	size_t conn_output_queued(const struct conn *c);
 * DESCRIPTION
 *	Input: bytes are read straight into a linebuf of set->max_line
 *	bytes (a line, its LF and a CR before the LF must fit); the linebuf
 *	is allocated when the first byte arrives, so idle connections cost
 *	little. Every complete line goes to ops->on_line(); a line over the
 *	bound calls ops->on_overflow() (default: close with reason "line
 *	too long"). Reading stops while the output queue holds more than
 *	set->out_throttle bytes (Dovecot's OUTBUF_THROTTLE_SIZE idea) and
 *	resumes when it drains. EOF with a partial line pending is reported
 *	in the close reason (in block mode: the bytes after the last LF).
 *
 *	Block mode: when ops->on_input is set, input is not split into
 *	lines; every byte received and not yet consumed is handed over in
 *	one run, ops->on_input(c, buf, len), which returns how many bytes
 *	from the start it consumed (0: it needs more). It is called again
 *	while it consumes and the connection is not paused, throttled or
 *	closing; what it did not consume stays in place for the next call
 *	(it may write into buf[0, consumed)). set->max_line then bounds the
 *	unconsumed input: when that much is pending and none is consumed,
 *	ops->on_overflow() is called and the connection closes ("line too
 *	long"). set->cr does not apply. The buffer grows from 8 KiB as
 *	needed and exists only while input is pending, as in line mode.
 *
 *	Output: conn_write() (conn_printf() formats) appends to an output
 *	buffer bounded by
 *	set->out_max; the buffer is written once per loop iteration, after
 *	all lines read in that iteration were handled (ev_defer), or when
 *	the fd is writable again. Writes never raise SIGPIPE (the daemons
 *	ignore it).
 *
 *	conn_count_output(c, total) adds the connection's queued output to
 *	*total, a counter shared by the connections given it, and keeps it
 *	so as the queue grows (at conn_write, conn_printf and
 *	conn_flush_later) and drains; a closed connection's unsent output
 *	leaves it at conn_close(). conn_output_queued() is the queue's
 *	length (0 once closed).
 *
 *	conn_batch_sends(loop) makes the once-per-iteration writes of all
 *	that loop's socket connections go out together, in one
 *	io_uring_enter(2) (see uring.h), instead of one send(2) each; what
 *	each send did is then handled as before (partial writes continue
 *	with send(2), EAGAIN waits for EV_WRITE, errors close). One loop per
 *	thread; -1 when io_uring is not available (nothing changes then).
 *	conn_batch_sends(NULL) stops it and frees the ring.
 *
 *	conn_lb_allocs() counts the line buffers this thread has allocated:
 *	empty ones are kept for reuse (as many as one loop iteration can
 *	read at once, batched or not), so a server whose connections all
 *	had a request before allocates no more of them.
 *
 *	Lifetime: ops->on_close(c, reason) is called exactly once, from a
 *	deferred call, after which the connection and its fds are freed
 *	(for spawn mode, where rfd is 0 and wfd is 1, the fds are closed
 *	too). Calling conn_close() inside on_line() is safe: no further
 *	line is delivered. conn_close_after_flush() stops reading and
 *	closes when the output is written.
 *	The idle timeout (set->idle_ms, 0 = none) closes with "idle
 *	timeout" when no input arrived for that long.
 * DIAGNOSTICS
 *	conn_create: NULL if the fds cannot be made non-blocking or added
 *	to the loop. conn_write, conn_printf: 0, or -1 when out_max would
 *	be exceeded or the connection is closing (nothing is queued then;
 *	the caller should close).
 */
#ifndef REFERENCE_COMMON_CONN_H
#define REFERENCE_COMMON_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "io/ev.h"
#include "proto/linebuf.h"
#include "util/compiler.h"
#include "util/xbuf.h"

struct conn;

struct conn_settings {
	size_t max_line;	/* bytes incl. LF; block mode: of pending input */
	enum linebuf_cr cr;
	size_t out_throttle;	/* pause reading above this many queued bytes */
	size_t out_max;		/* hard bound of the output queue */
	uint64_t idle_ms;	/* 0 = no idle timeout */
};

struct conn_ops {
	void (*on_line)(struct conn *c, const char *line, size_t len);
	void (*on_overflow)(struct conn *c);	/* NULL: close "line too long" */
	void (*on_close)(struct conn *c, const char *reason);
	size_t (*on_input)(struct conn *c, char *buf, size_t len);	/* block mode, or NULL */
};

struct conn *conn_create(struct ev_loop *loop, int rfd, int wfd,
			 const struct conn_settings *set,
			 const struct conn_ops *ops, void *ctx, const char *peer);
int conn_write(struct conn *c, const void *p, size_t n);
int conn_printf(struct conn *c, const char *fmt, ...) ATTR_PRINTF(2, 3);
struct xbuf *conn_outbuf(struct conn *c);
int conn_flush_later(struct conn *c);
void conn_close(struct conn *c, const char *reason);
void conn_close_after_flush(struct conn *c, const char *reason);
void conn_pause_input(struct conn *c);
void conn_resume_input(struct conn *c);
void *conn_ctx(const struct conn *c);
void conn_set_ctx(struct conn *c, void *ctx);
const char *conn_peer(const struct conn *c);
int conn_is_closing(const struct conn *c);
int conn_batch_sends(struct ev_loop *loop);
struct ev_loop *conn_loop(const struct conn *c);
unsigned long conn_lb_allocs(void);
void conn_count_output(struct conn *c, size_t *total);
size_t conn_output_queued(const struct conn *c);

#endif
