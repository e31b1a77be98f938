/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	conn - line-oriented, non-blocking connection on the event loop
 * SYNOPSIS
 *	#include "reference/common/conn.h"
 * DESCRIPTION
 *	See conn.h. Memory: the input buffer (max_line bytes) exists only
 *	while the connection has unread bytes; it is released whenever
 *	every received byte was consumed (to a small per-thread cache of
 *	empty buffers), so a thousand idle connections hold a few hundred
 *	bytes each. The output buffer keeps its storage
 *	between writes up to 4 KiB and is released above that.
 *	Fairness: one read of at most the free buffer space per readiness
 *	event, then all complete lines are handled.
 * DIAGNOSTICS
 *	Peer problems become close reasons ("EOF", "read: <errno text>",
 *	"line too long", "idle timeout", "output queue full").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/uring.h"
#include "reference/common/conn.h"
#include "util/msg.h"
#include "util/xmem.h"

struct conn {
	struct ev_loop *loop;
	int rfd, wfd;
	struct conn_settings set;
	const struct conn_ops *ops;
	void *ctx;
	char *peer;
	struct linebuf *lb;	/* line mode: NULL while no input is pending */
	struct conn_blk *blk;	/* block mode (ops->on_input): the same */
	struct xbuf out;
	int paused;		/* by the owner */
	int throttled;		/* by the output queue */
	int closing;		/* no more input, no more callbacks but on_close */
	int close_after_flush;
	int flush_scheduled;
	int destroy_scheduled;
	int want_write;
	int flush_failed;
	int in_handler;
	int read_watched;
	int wfd_not_sock;	/* a pipe or tty: write(2), SIGPIPE ignored by the daemon */
	int batched;		/* in conn_batch's pending list */
	int read_batched;	/* in conn_batch's read list */
	int rfd_not_sock;	/* input from a pipe: read(2) */
	char *close_reason;
	uint64_t idle_timer;
	uint64_t last_input;
	size_t *out_total;	/* conn_count_output: a shared counter, or NULL */
	size_t out_counted;	/* what this connection added to it */
};

static void conn_update_watch(struct conn *c);
static void conn_process_input(struct conn *c);

/* conn_out_account - the shared counter follows the output queue (none once closed) */
static void conn_out_account(struct conn *c)
{
	size_t now = c->destroy_scheduled ? 0 : c->out.len;

	if (c->out_total == NULL)
		return;
	*c->out_total = *c->out_total - c->out_counted + now;
	c->out_counted = now;
}

/* conn_set_nonblock - O_NONBLOCK on fd */
static int conn_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Line buffers released by idle connections are kept for reuse by this
 * thread (at most CONN_LB_CACHE of them, each max_line bytes), so a busy
 * connection that empties its buffer after every request does not
 * allocate max_line bytes per request; an idle one holds none. With
 * batched reads (conn_batch_sends) every connection of one iteration
 * holds a buffer at the same time, so the cache covers the most
 * connections one iteration serves (ev.c's 256 events); only the pages
 * a read touched are resident.
 */
#define CONN_LB_CACHE	256

static _Thread_local struct conn_lb_cache {
	struct linebuf *lb[CONN_LB_CACHE];
	size_t n;
	unsigned long allocated;	/* conn_lb_allocs() */
} conn_lb_cache;

/* conn_lb_get - an empty line buffer with this bound and CR mode */
static struct linebuf *conn_lb_get(size_t max, enum linebuf_cr cr)
{
	struct conn_lb_cache *k = &conn_lb_cache;
	struct linebuf *lb;
	size_t i;

	for (i = k->n; i-- > 0;) {
		if (k->lb[i]->max == max && k->lb[i]->cr == cr) {
			lb = k->lb[i];
			k->lb[i] = k->lb[--k->n];
			return lb;
		}
	}
	lb = xmalloc(sizeof(*lb));
	linebuf_init(lb, max, cr);
	k->allocated++;
	return lb;
}

/* conn_lb_allocs - line buffers this thread has allocated so far */
unsigned long conn_lb_allocs(void)
{
	return conn_lb_cache.allocated;
}

/* conn_lb_put - give a line buffer back; only an empty one is kept */
static void conn_lb_put(struct linebuf *lb)
{
	struct conn_lb_cache *k = &conn_lb_cache;

	if (linebuf_pending(lb) == 0 && k->n < CONN_LB_CACHE) {
		k->lb[k->n++] = lb;
		return;
	}
	linebuf_free(lb);
	free(lb);
}

/*
 * Block mode (ops->on_input): the unconsumed input is one contiguous run
 * [start, end) of a buffer that grows by doubling from CONN_BLK_MIN up to
 * the bound set->max_line. Like line buffers, a buffer exists only while
 * input is pending; empty ones of the smallest size are kept for reuse.
 */
#define CONN_BLK_MIN	8192

struct conn_blk {
	char *data;
	size_t cap, start, end;
};

static _Thread_local struct conn_blk_cache {
	struct conn_blk *b[CONN_LB_CACHE];
	size_t n;
} conn_blk_cache;

/* conn_blk_get - an empty block buffer */
static struct conn_blk *conn_blk_get(size_t bound)
{
	struct conn_blk_cache *k = &conn_blk_cache;
	struct conn_blk *b;

	if (k->n > 0 && bound >= CONN_BLK_MIN)
		return k->b[--k->n];
	b = xcalloc(1, sizeof(*b));
	b->cap = bound < CONN_BLK_MIN ? bound : CONN_BLK_MIN;
	b->data = xmalloc(b->cap);
	return b;
}

/* conn_blk_put - give a block buffer back; only an empty small one is kept */
static void conn_blk_put(struct conn_blk *b)
{
	struct conn_blk_cache *k = &conn_blk_cache;

	if (b->start == b->end && b->cap == CONN_BLK_MIN && k->n < CONN_LB_CACHE) {
		b->start = b->end = 0;
		k->b[k->n++] = b;
		return;
	}
	free(b->data);
	free(b);
}

/* conn_blk_space - room after the pending bytes: compact, grow up to bound */
static char *conn_blk_space(struct conn_blk *b, size_t bound, size_t *avail_r)
{
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	if (b->end == b->cap && b->cap < bound) {
		b->cap = b->cap > bound / 2 ? bound : b->cap * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	*avail_r = b->cap - b->end;
	return b->data + b->end;
}

/* conn_blk_partial - pending bytes after the last LF (an incomplete line) */
static size_t conn_blk_partial(const struct conn_blk *b)
{
	size_t i = b->end;

	while (i > b->start && b->data[i - 1] != '\n')
		i--;
	return b->end - i;
}

/* conn_in_space - where the next read goes, for either mode */
static char *conn_in_space(struct conn *c, size_t *avail_r)
{
	if (c->ops->on_input != NULL) {
		if (c->blk == NULL)
			c->blk = conn_blk_get(c->set.max_line);
		return conn_blk_space(c->blk, c->set.max_line, avail_r);
	}
	if (c->lb == NULL)
		c->lb = conn_lb_get(c->set.max_line, c->set.cr);
	return linebuf_space(c->lb, avail_r);
}

/* conn_in_commit - n bytes were read into conn_in_space */
static void conn_in_commit(struct conn *c, size_t n)
{
	if (c->blk != NULL)
		c->blk->end += n;
	else
		linebuf_commit(c->lb, n);
}

/* conn_in_partial - bytes of an incomplete last line, for the EOF reason */
static size_t conn_in_partial(const struct conn *c)
{
	if (c->blk != NULL)
		return conn_blk_partial(c->blk);
	return c->lb != NULL ? linebuf_pending(c->lb) : 0;
}

/* conn_in_release - the input buffer back while it is empty */
static void conn_in_release(struct conn *c, int force)
{
	if (c->blk != NULL && (force || c->blk->start == c->blk->end)) {
		conn_blk_put(c->blk);
		c->blk = NULL;
	}
	if (c->lb != NULL && (force || linebuf_pending(c->lb) == 0)) {
		conn_lb_put(c->lb);
		c->lb = NULL;
	}
}

/* conn_send - one write without SIGPIPE where the fd is a socket */
static ssize_t conn_send(struct conn *c, int flags)
{
	if (!c->wfd_not_sock) {
		ssize_t n = send(c->wfd, c->out.data, c->out.len, MSG_NOSIGNAL | flags);

		if (n >= 0 || errno != ENOTSOCK)
			return n;
		c->wfd_not_sock = 1;
	}
	return write(c->wfd, c->out.data, c->out.len);
}

/*
 * Batched sends (conn_batch_sends): the connections of one loop that have
 * output at the end of an iteration are sent with one io_uring_enter
 * instead of one send(2) each; the results are then handled as conn_flush
 * handles send(2)'s. One loop per thread may batch.
 */
static _Thread_local struct conn_batch {
	struct ev_loop *loop;
	struct uring *ring;
	struct conn **pend;
	size_t n, cap;
	int scheduled;
	struct conn **rpend;	/* connections to read from */
	size_t rn, rcap;
	int rscheduled;
} conn_batch;

static int conn_flush(struct conn *c);

/* conn_batch_sends - batch this loop's sends (NULL: stop and free) */
int conn_batch_sends(struct ev_loop *loop)
{
	struct conn_batch *b = &conn_batch;

	if (loop == NULL || b->n > 0 || b->rn > 0) {
		if (loop == NULL) {
			uring_destroy(&b->ring);
			free(b->pend);
			free(b->rpend);
			memset(b, 0, sizeof(*b));
		}
		return loop == NULL ? 0 : -1;
	}
	if (b->ring == NULL)
		b->ring = uring_create(256);
	if (b->ring == NULL)
		return -1;
	b->loop = loop;
	return 0;
}

/* conn_batch_flush - deferred: every pending connection's output at once */
static void conn_batch_flush(struct ev_loop *loop, void *ctx)
{
	struct conn_batch *b = &conn_batch;
	struct conn **pend = b->pend;
	size_t n = b->n, i, m = 0;
	struct uring_send *v;

	(void)ctx;
	(void)loop;
	b->scheduled = 0;
	b->pend = NULL;		/* connections flushed below may queue again */
	b->n = b->cap = 0;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		struct conn *c = pend[i];

		if (c == NULL)
			continue;	/* destroyed meanwhile */
		c->batched = 0;
		if (c->destroy_scheduled || c->out.len == 0 || c->wfd_not_sock) {
			/* nothing to batch: as the per-connection flush did */
			c->flush_scheduled = 0;
			if (!c->destroy_scheduled)
				(void)conn_flush(c);
			continue;
		}
		v[m].fd = c->wfd;
		v[m].buf = c->out.data;
		v[m].len = c->out.len;
		pend[m++] = c;
	}
	/* on failure the entries not attempted are -ECANCELED: conn_flush() below */
	if (m > 0)
		(void)uring_send_batch(b->ring, m, v);
	for (i = 0; i < m; i++) {
		struct conn *c = pend[i];

		c->flush_scheduled = 0;
		if (c->destroy_scheduled)
			continue;
		if (v[i].res > 0) {
			xbuf_consume(&c->out, (size_t)v[i].res);
		} else if (v[i].res == -ENOTSOCK) {
			c->wfd_not_sock = 1;
		} else if (v[i].res < 0 && v[i].res != -EAGAIN && v[i].res != -EINTR &&
			   v[i].res != -EWOULDBLOCK && v[i].res != -ECANCELED) {
			char why[128];

			c->flush_failed = 1;
			snprintf(why, sizeof(why), "write: %s", strerror((int)-v[i].res));
			conn_close(c, why);
			continue;
		}
		(void)conn_flush(c);	/* the rest, and the bookkeeping */
	}
	free(v);
	free(pend);
}

/* conn_batch_add - send c's output with the iteration's batch */
static void conn_batch_add(struct conn *c)
{
	struct conn_batch *b = &conn_batch;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->pend = xrealloc(b->pend, b->cap * sizeof(*b->pend));
	}
	b->pend[b->n++] = c;
	c->batched = 1;
	if (!b->scheduled) {
		b->scheduled = 1;
		ev_defer(c->loop, conn_batch_flush, NULL);
	}
}

/* conn_batch_remove - c is going away */
static void conn_batch_remove(struct conn *c)
{
	struct conn_batch *b = &conn_batch;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->pend[i] == c)
			b->pend[i] = NULL;
	for (i = 0; i < b->rn; i++)
		if (b->rpend[i] == c)
			b->rpend[i] = NULL;
	c->batched = 0;
	c->read_batched = 0;
}

static void conn_read(struct conn *c);
static void conn_read_result(struct conn *c, ssize_t n);

/* conn_batch_read - deferred: every readable connection's input at once */
static void conn_batch_read(struct ev_loop *loop, void *ctx)
{
	struct conn_batch *b = &conn_batch;
	struct conn **pend = b->rpend;
	size_t n = b->rn, i, m = 0;
	struct uring_send *v;

	(void)ctx;
	(void)loop;
	b->rscheduled = 0;
	b->rpend = NULL;
	b->rn = b->rcap = 0;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		struct conn *c = pend[i];
		char *space;
		size_t avail;

		if (c == NULL)
			continue;
		c->read_batched = 0;
		if (c->closing || c->destroy_scheduled)
			continue;
		space = conn_in_space(c, &avail);
		if (avail == 0) {
			conn_read(c);	/* full of input not processed yet */
			continue;
		}
		v[m].fd = c->rfd;
		v[m].buf = space;
		v[m].len = avail;
		pend[m++] = c;
	}
	/* on failure the entries not attempted are -ECANCELED: read(2) below */
	if (m > 0)
		(void)uring_recv_batch(b->ring, m, v);
	for (i = 0; i < m; i++) {
		struct conn *c = pend[i];

		if (c->destroy_scheduled || c->closing)
			continue;	/* a line of another connection closed it */
		if (v[i].res == -ECANCELED) {
			conn_read(c);	/* read(2) it now */
			continue;
		}
		if (v[i].res == -ENOTSOCK) {
			c->rfd_not_sock = 1;
			conn_read(c);
			continue;
		}
		if (v[i].res < 0)
			errno = (int)-v[i].res;
		conn_read_result(c, v[i].res < 0 ? -1 : v[i].res);
	}
	free(v);
	free(pend);
}

/* conn_batch_read_add - read c with the iteration's batch */
static void conn_batch_read_add(struct conn *c)
{
	struct conn_batch *b = &conn_batch;

	if (c->read_batched)
		return;
	if (b->rn == b->rcap) {
		b->rcap = b->rcap ? b->rcap * 2 : 64;
		b->rpend = xrealloc(b->rpend, b->rcap * sizeof(*b->rpend));
	}
	b->rpend[b->rn++] = c;
	c->read_batched = 1;
	if (!b->rscheduled) {
		b->rscheduled = 1;
		ev_defer(c->loop, conn_batch_read, NULL);
	}
}

/* conn_destroy - deferred: tell the owner, then free */
static void conn_destroy(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;

	(void)loop;
	if (c->batched || c->read_batched)
		conn_batch_remove(c);
	if (c->idle_timer)
		ev_timer_cancel(c->loop, c->idle_timer);
	c->ops->on_close(c, c->close_reason ? c->close_reason : "closed");
	close(c->rfd);
	if (c->wfd != c->rfd)
		close(c->wfd);
	conn_in_release(c, 1);
	xbuf_free(&c->out);
	conn_out_account(c);
	free(c->close_reason);
	free(c->peer);
	free(c);
}

/* conn_close - stop everything and schedule on_close */
void conn_close(struct conn *c, const char *reason)
{
	if (c->destroy_scheduled)
		return;
	c->closing = 1;
	if (c->out.len > 0 && !c->flush_failed) {
		/* best effort: what was queued before the close goes out first */
		ssize_t n = conn_send(c, MSG_DONTWAIT);

		(void)n;
	}
	c->destroy_scheduled = 1;
	conn_out_account(c);	/* what is left will not be sent */
	if (c->close_reason == NULL)
		c->close_reason = xstrdup(reason ? reason : "closed");
	ev_fd_del(c->loop, c->rfd);
	if (c->wfd != c->rfd)
		ev_fd_del(c->loop, c->wfd);
	ev_defer(c->loop, conn_destroy, c);
}

/* conn_flush - write queued output; 0 ok (maybe partial), -1 closed */
static int conn_flush(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n;

		n = conn_send(c, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			{
				char why[128];

				c->flush_failed = 1;
				snprintf(why, sizeof(why), "write: %s", strerror(errno));
				conn_close(c, why);
			}
			return -1;
		}
		xbuf_consume(&c->out, (size_t)n);
	}
	if (c->out.len == 0 && c->out.cap > 4096)
		xbuf_free(&c->out);
	conn_out_account(c);
	c->want_write = c->out.len > 0;
	if (c->close_after_flush && c->out.len == 0) {
		conn_close(c, c->close_reason);
		return -1;
	}
	if (c->throttled && c->out.len <= c->set.out_throttle / 2) {
		c->throttled = 0;
		conn_update_watch(c);
		conn_process_input(c);	/* pipelined input left in the buffer */
		return c->closing ? -1 : 0;
	}
	conn_update_watch(c);
	return 0;
}

/* conn_deferred_flush - the once-per-iteration write */
static void conn_deferred_flush(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;

	(void)loop;
	c->flush_scheduled = 0;
	if (!c->destroy_scheduled)
		(void)conn_flush(c);
}

/* conn_flush_later - schedule a write of the output buffer */
int conn_flush_later(struct conn *c)
{
	if (c->destroy_scheduled)
		return -1;
	conn_out_account(c);
	if (c->out.len > c->set.out_throttle && !c->throttled) {
		c->throttled = 1;
		conn_update_watch(c);
	}
	if (!c->flush_scheduled && c->out.len > 0) {
		c->flush_scheduled = 1;
		if (conn_batch.ring != NULL && conn_batch.loop == c->loop && !c->wfd_not_sock)
			conn_batch_add(c);
		else
			ev_defer(c->loop, conn_deferred_flush, c);
	}
	return 0;
}

/* conn_write - queue output */
int conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->closing && !c->close_after_flush)
		return -1;
	if (xbuf_append(&c->out, p, n) < 0)
		return -1;
	return conn_flush_later(c);
}

/* conn_printf - queue formatted output; all or nothing */
int conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (c->closing && !c->close_after_flush)
		return -1;
	va_start(ap, fmt);
	rc = xbuf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	return conn_flush_later(c);
}

/* conn_outbuf - format straight into the output queue, then conn_flush_later */
struct xbuf *conn_outbuf(struct conn *c)
{
	return &c->out;
}

/* conn_overflow - the input bound was hit */
static void conn_overflow(struct conn *c)
{
	if (c->ops->on_overflow != NULL)
		c->ops->on_overflow(c);
	if (!c->closing)
		conn_close(c, "line too long");
}

/* conn_process_lines - hand every complete line to the owner */
static void conn_process_lines(struct conn *c)
{
	while (!c->closing && !c->close_after_flush && !c->paused && !c->throttled) {
		const char *line;
		size_t len;
		int rc = linebuf_next(c->lb, &line, &len);

		if (rc == 0)
			break;
		if (rc < 0) {
			conn_overflow(c);
			break;
		}
		c->ops->on_line(c, line, len);
	}
}

/* conn_process_blocks - hand the pending input to the owner while it takes some */
static void conn_process_blocks(struct conn *c)
{
	struct conn_blk *b = c->blk;

	while (!c->closing && !c->close_after_flush && !c->paused && !c->throttled &&
	       b->end > b->start) {
		size_t used = c->ops->on_input(c, b->data + b->start, b->end - b->start);

		if (used > b->end - b->start)
			msg_panic("conn_process_blocks: %s consumed %zu of %zu bytes", c->peer, used,
				  b->end - b->start);
		if (used == 0) {
			if (b->end - b->start == c->set.max_line)
				conn_overflow(c);
			break;
		}
		b->start += used;
	}
}

/* conn_process_input - hand the pending input to the owner, in its mode */
static void conn_process_input(struct conn *c)
{
	if ((c->lb == NULL && c->blk == NULL) || c->in_handler)
		return;
	c->in_handler = 1;
	if (c->blk != NULL)
		conn_process_blocks(c);
	else
		conn_process_lines(c);
	c->in_handler = 0;
	if (!c->closing)
		conn_in_release(c, 0);	/* everything consumed: give the buffer back while idle */
}

/* conn_read - one read into the line buffer */
static void conn_read(struct conn *c)
{
	char *space;
	size_t avail;
	ssize_t n;

	space = conn_in_space(c, &avail);
	if (avail == 0) {
		/* full of input we were told not to process yet */
		conn_process_input(c);
		return;
	}
	n = read(c->rfd, space, avail);
	conn_read_result(c, n);
}

/* conn_read_result - what a read into the line buffer's space gave */
static void conn_read_result(struct conn *c, ssize_t n)
{
	if (n < 0) {
		char why[128];

		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
		conn_close(c, why);
		return;
	}
	if (n == 0) {
		size_t pend = conn_in_partial(c);

		conn_process_input(c);
		if (!c->closing) {
			char why[96];

			if (pend > 0)
				snprintf(why, sizeof(why), "EOF inside a line (%zu bytes pending)", pend);
			else
				snprintf(why, sizeof(why), "EOF");
			conn_close(c, why);
		}
		return;
	}
	c->last_input = ev_now_ms(c->loop);
	conn_in_commit(c, (size_t)n);
	conn_process_input(c);
}

/* conn_io - fd readiness */
static void conn_io(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct conn *c = ctx;

	(void)loop;
	if ((events & EV_WRITE) && fd == c->wfd) {
		if (conn_flush(c) < 0)
			return;
	}
	if ((events & EV_READ) && fd == c->rfd && !c->closing) {
		if (conn_batch.ring != NULL && conn_batch.loop == c->loop && !c->rfd_not_sock)
			conn_batch_read_add(c);
		else
			conn_read(c);
	}
}

/* conn_update_watch - epoll interest from state */
static void conn_update_watch(struct conn *c)
{
	unsigned r = (!c->closing && !c->paused && !c->throttled && !c->close_after_flush) ?
		     EV_READ : 0;
	unsigned w = c->want_write ? EV_WRITE : 0;

	if (c->destroy_scheduled)
		return;
	if (c->rfd == c->wfd) {
		(void)ev_fd_mod(c->loop, c->rfd, r | w);
	} else {
		(void)ev_fd_mod(c->loop, c->rfd, r);
		(void)ev_fd_mod(c->loop, c->wfd, w);
	}
}

/* conn_idle - idle timer */
static void conn_idle(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;
	uint64_t quiet = ev_now_ms(loop) - c->last_input;

	c->idle_timer = 0;
	if (c->closing)
		return;
	if (quiet >= c->set.idle_ms) {
		conn_close(c, "idle timeout");
		return;
	}
	c->idle_timer = ev_timer_add(loop, c->set.idle_ms - quiet, conn_idle, c);
}

/* conn_create - a connection on rfd/wfd (the same fd for sockets) */
struct conn *conn_create(struct ev_loop *loop, int rfd, int wfd,
			 const struct conn_settings *set,
			 const struct conn_ops *ops, void *ctx, const char *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	c->rfd = rfd;
	c->wfd = wfd;
	c->set = *set;
	if (c->set.out_max == 0)
		c->set.out_max = 1024 * 1024;
	if (c->set.out_throttle == 0 || c->set.out_throttle > c->set.out_max)
		c->set.out_throttle = c->set.out_max / 2;
	c->ops = ops;
	c->ctx = ctx;
	c->peer = xstrdup(peer ? peer : "?");
	xbuf_init(&c->out, c->set.out_max);
	if (conn_set_nonblock(rfd) < 0 || conn_set_nonblock(wfd) < 0)
		goto fail;
	if (rfd == wfd) {
		if (ev_fd_add(loop, rfd, EV_READ, conn_io, c) < 0)
			goto fail;
	} else {
		if (ev_fd_add(loop, rfd, EV_READ, conn_io, c) < 0)
			goto fail;
		if (ev_fd_add(loop, wfd, 0, conn_io, c) < 0) {
			ev_fd_del(loop, rfd);
			goto fail;
		}
	}
	c->read_watched = 1;
	c->last_input = ev_now_ms(loop);
	if (c->set.idle_ms > 0)
		c->idle_timer = ev_timer_add(loop, c->set.idle_ms, conn_idle, c);
	return c;
fail:
	xbuf_free(&c->out);
	free(c->peer);
	free(c);
	return NULL;
}

/* conn_close_after_flush - stop reading, close once the output is out */
void conn_close_after_flush(struct conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->close_after_flush = 1;
	if (c->close_reason == NULL)
		c->close_reason = xstrdup(reason ? reason : "closed");
	conn_update_watch(c);
	if (c->out.len == 0)
		conn_close(c, reason);
	else
		(void)conn_flush_later(c);
}

void conn_pause_input(struct conn *c)
{
	c->paused = 1;
	conn_update_watch(c);
}

/* conn_resume_input_deferred - lines already buffered are handled now */
static void conn_resume_deferred(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;

	(void)loop;
	if (!c->destroy_scheduled)
		conn_process_input(c);
}

void conn_resume_input(struct conn *c)
{
	if (!c->paused || c->destroy_scheduled)
		return;
	c->paused = 0;
	conn_update_watch(c);
	ev_defer(c->loop, conn_resume_deferred, c);
}

/* conn_count_output - keep *total up to date with this connection's queued output */
void conn_count_output(struct conn *c, size_t *total)
{
	c->out_counted = 0;
	c->out_total = total;
	conn_out_account(c);
}

size_t conn_output_queued(const struct conn *c)
{
	return c->destroy_scheduled ? 0 : c->out.len;
}

void *conn_ctx(const struct conn *c) { return c->ctx; }
void conn_set_ctx(struct conn *c, void *ctx) { c->ctx = ctx; }
const char *conn_peer(const struct conn *c) { return c->peer; }
int conn_is_closing(const struct conn *c) { return c->closing || c->close_after_flush; }
struct ev_loop *conn_loop(const struct conn *c) { return c->loop; }
