/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ev - a small event loop: fd readiness, timers, signals, deferred calls
 * SYNOPSIS
 *	#include "io/ev.h"
 * DESCRIPTION
 *	See ev.h. Implementation notes:
 *	- fd callbacks live in an array indexed by fd, grown on demand;
 *	- timers live in slots (slab) referenced from a binary min-heap; a
 *	  timer id is (generation << 32 | slot + 1), so cancelling is a
 *	  slot lookup plus an O(log n) heap removal, and stale ids are
 *	  recognised by their generation;
 *	- signals: the caller's signals are blocked and read from one
 *	  signalfd registered like any other fd.
 * DIAGNOSTICS
 *	-1 with errno from epoll/signalfd; allocation failure aborts.
 */
#define _GNU_SOURCE		/* signalfd, epoll_create1 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "io/ev.h"
#include "util/xmem.h"

struct ev_fdent {
	ev_fd_fn *fn;
	void *ctx;
	unsigned events;
	int used;
	int in_epoll;		/* only while events != 0 */
};

struct ev_timer {
	uint64_t due;
	uint64_t seq;		/* FIFO among equal due times */
	uint32_t gen;
	size_t heap_idx;	/* (size_t)-1 when free */
	ev_timer_fn *fn;
	void *ctx;
};

struct ev_sig {
	int signo;
	ev_signal_fn *fn;
	void *ctx;
};

struct ev_deferred {
	ev_defer_fn *fn;
	void *ctx;
};

struct ev_loop {
	int epfd;
	int stop;
	uint64_t now;
	struct ev_fdent *fds;
	size_t nfds;
	struct ev_timer *timers;	/* slots */
	size_t ntimers;
	size_t *free_slots;
	size_t nfree;
	size_t *heap;			/* slot indexes */
	size_t heap_len;
	size_t heap_cap;
	uint64_t seq;
	int sigfd;
	sigset_t sigmask;
	struct ev_sig *sigs;
	size_t nsigs;
	struct ev_deferred *defer;
	size_t ndefer;
	size_t defer_cap;
};

/* ev_clock_ms - monotonic milliseconds */
static uint64_t ev_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ev_loop_create - an empty loop */
struct ev_loop *ev_loop_create(void)
{
	struct ev_loop *loop = xcalloc(1, sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->now = ev_clock_ms();
	return loop;
}

/* ev_loop_destroy - free the loop; registered fds are not closed */
void ev_loop_destroy(struct ev_loop **loopp)
{
	struct ev_loop *loop = *loopp;

	if (loop == NULL)
		return;
	*loopp = NULL;
	if (loop->sigfd >= 0) {
		struct signalfd_siginfo si;

		/* consume what arrived after the last iteration: unblocking
		 * must not deliver a late SIGTERM with its default action */
		while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			continue;
		close(loop->sigfd);
		sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	}
	close(loop->epfd);
	free(loop->fds);
	free(loop->timers);
	free(loop->free_slots);
	free(loop->heap);
	free(loop->sigs);
	free(loop->defer);
	free(loop);
}

/* ev_now_ms - the cached monotonic time */
uint64_t ev_now_ms(const struct ev_loop *loop)
{
	return loop->now;
}

/* ev_stop - make ev_run return after the current iteration */
void ev_stop(struct ev_loop *loop)
{
	loop->stop = 1;
}

/* ev_epoll_mask - our mask to epoll's */
static uint32_t ev_epoll_mask(unsigned events)
{
	uint32_t m = 0;

	if (events & EV_READ)
		m |= EPOLLIN | EPOLLRDHUP;
	if (events & EV_WRITE)
		m |= EPOLLOUT;
	return m;
}

/*
 * ev_epoll_set - make the kernel's interest match events. An fd with no
 * interest is taken out of the epoll set: epoll reports EPOLLHUP and
 * EPOLLERR whatever the mask, so a paused connection whose peer hung up
 * would otherwise wake every epoll_wait (level-triggered) for nothing.
 */
static int ev_epoll_set(struct ev_loop *loop, int fd, struct ev_fdent *e, unsigned events)
{
	struct epoll_event ee;
	int op;

	if (events == 0) {
		if (e->in_epoll && epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
			return -1;
		e->in_epoll = 0;
		return 0;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = ev_epoll_mask(events);
	ee.data.fd = fd;
	op = e->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop->epfd, op, fd, &ee) < 0)
		return -1;
	e->in_epoll = 1;
	return 0;
}

/* ev_fd_add - watch fd */
int ev_fd_add(struct ev_loop *loop, int fd, unsigned events, ev_fd_fn *fn, void *ctx)
{
	struct ev_fdent *e;

	if (fd < 0 || (events == 0 && fcntl(fd, F_GETFD) < 0)) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= loop->nfds) {
		size_t n = loop->nfds ? loop->nfds : 64;

		while (n <= (size_t)fd)
			n *= 2;
		loop->fds = xrealloc(loop->fds, n * sizeof(*loop->fds));
		memset(loop->fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*loop->fds));
		loop->nfds = n;
	}
	e = &loop->fds[fd];
	e->in_epoll = 0;	/* a stale entry of a closed fd is replaced */
	if (ev_epoll_set(loop, fd, e, events) < 0)
		return -1;
	e->fn = fn;
	e->ctx = ctx;
	e->events = events;
	e->used = 1;
	return 0;
}

/* ev_fd_mod - change the watched events */
int ev_fd_mod(struct ev_loop *loop, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used) {
		errno = EBADF;
		return -1;
	}
	if (loop->fds[fd].events == events)
		return 0;
	if (ev_epoll_set(loop, fd, &loop->fds[fd], events) < 0)
		return -1;
	loop->fds[fd].events = events;
	return 0;
}

/* ev_fd_del - stop watching fd (call before close) */
void ev_fd_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used)
		return;
	if (loop->fds[fd].in_epoll)
		(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&loop->fds[fd], 0, sizeof(loop->fds[fd]));
}

/* --- timers ------------------------------------------------------------ */

/* ev_heap_less - order of two heap entries */
static int ev_heap_less(const struct ev_loop *loop, size_t a, size_t b)
{
	const struct ev_timer *x = &loop->timers[loop->heap[a]];
	const struct ev_timer *y = &loop->timers[loop->heap[b]];

	return x->due < y->due || (x->due == y->due && x->seq < y->seq);
}

/* ev_heap_swap - swap two heap entries, keeping back-references */
static void ev_heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	size_t t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->timers[loop->heap[a]].heap_idx = a;
	loop->timers[loop->heap[b]].heap_idx = b;
}

/* ev_heap_up - restore order upwards */
static void ev_heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0 && ev_heap_less(loop, i, (i - 1) / 2)) {
		ev_heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* ev_heap_down - restore order downwards */
static void ev_heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->heap_len && ev_heap_less(loop, l, m))
			m = l;
		if (r < loop->heap_len && ev_heap_less(loop, r, m))
			m = r;
		if (m == i)
			return;
		ev_heap_swap(loop, i, m);
		i = m;
	}
}

/* ev_heap_remove - take entry i out of the heap, free its slot */
static void ev_heap_remove(struct ev_loop *loop, size_t i)
{
	size_t slot = loop->heap[i];

	loop->heap_len--;
	if (i != loop->heap_len) {
		ev_heap_swap(loop, i, loop->heap_len);
		ev_heap_down(loop, i);
		ev_heap_up(loop, i);
	}
	loop->timers[slot].heap_idx = (size_t)-1;
	loop->timers[slot].gen++;
	loop->free_slots[loop->nfree++] = slot;
}

/* ev_timer_add - call fn once, ms from now */
uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_fn *fn, void *ctx)
{
	struct ev_timer *t;
	size_t slot;

	if (loop->nfree == 0) {
		size_t n = loop->ntimers ? loop->ntimers * 2 : 64;
		size_t i;

		loop->timers = xrealloc(loop->timers, n * sizeof(*loop->timers));
		loop->free_slots = xrealloc(loop->free_slots, n * sizeof(*loop->free_slots));
		for (i = loop->ntimers; i < n; i++) {
			loop->timers[i].gen = 1;
			loop->timers[i].heap_idx = (size_t)-1;
			loop->free_slots[loop->nfree++] = n - 1 - (i - loop->ntimers);
		}
		loop->ntimers = n;
	}
	slot = loop->free_slots[--loop->nfree];
	if (loop->heap_len == loop->heap_cap) {
		loop->heap_cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		loop->heap = xrealloc(loop->heap, loop->heap_cap * sizeof(*loop->heap));
	}
	t = &loop->timers[slot];
	t->due = ms > UINT64_MAX - loop->now ? UINT64_MAX : loop->now + ms;
	t->seq = ++loop->seq;
	t->fn = fn;
	t->ctx = ctx;
	t->heap_idx = loop->heap_len;
	loop->heap[loop->heap_len++] = slot;
	ev_heap_up(loop, t->heap_idx);
	return ((uint64_t)t->gen << 32) | (uint64_t)(slot + 1);
}

/* ev_timer_cancel - forget a pending timer; stale ids are ignored */
void ev_timer_cancel(struct ev_loop *loop, uint64_t id)
{
	uint64_t low = id & 0xffffffffu;
	size_t slot;

	if (low == 0 || low > loop->ntimers)
		return;
	slot = (size_t)(low - 1);
	if (loop->timers[slot].gen != (uint32_t)(id >> 32) ||
	    loop->timers[slot].heap_idx == (size_t)-1)
		return;
	ev_heap_remove(loop, loop->timers[slot].heap_idx);
}

/* ev_run_timers - fire every due timer */
static void ev_run_timers(struct ev_loop *loop)
{
	/*
	 * Only timers that existed when this pass began: one that a callback
	 * adds with 0 ms waits for the next iteration instead of starving
	 * the fds. Such a timer has a larger seq than every older timer
	 * with the same due time, so it cannot hide an older due one.
	 */
	uint64_t last_seq = loop->seq;

	while (loop->heap_len > 0 && !loop->stop) {
		struct ev_timer *t = &loop->timers[loop->heap[0]];
		ev_timer_fn *fn;
		void *ctx;

		if (t->due > loop->now || t->seq > last_seq)
			return;
		fn = t->fn;
		ctx = t->ctx;
		ev_heap_remove(loop, 0);
		fn(loop, ctx);
	}
}

/* --- signals and deferred calls ---------------------------------------- */

/* ev_sigfd_ready - dispatch signals read from the signalfd */
static void ev_sigfd_ready(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)ctx;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		size_t i;

		for (i = 0; i < loop->nsigs; i++)
			if (loop->sigs[i].signo == (int)si.ssi_signo)
				loop->sigs[i].fn(loop, (int)si.ssi_signo, loop->sigs[i].ctx);
	}
}

/* ev_signal - deliver signo inside the loop */
int ev_signal(struct ev_loop *loop, int signo, ev_signal_fn *fn, void *ctx)
{
	int fd;

	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -1;
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		if (ev_fd_add(loop, fd, EV_READ, ev_sigfd_ready, NULL) < 0)
			return -1;
	}
	loop->sigs = xrealloc(loop->sigs, (loop->nsigs + 1) * sizeof(*loop->sigs));
	loop->sigs[loop->nsigs].signo = signo;
	loop->sigs[loop->nsigs].fn = fn;
	loop->sigs[loop->nsigs].ctx = ctx;
	loop->nsigs++;
	return 0;
}

/* ev_defer - run fn after this iteration's I/O */
void ev_defer(struct ev_loop *loop, ev_defer_fn *fn, void *ctx)
{
	if (loop->ndefer == loop->defer_cap) {
		loop->defer_cap = loop->defer_cap ? loop->defer_cap * 2 : 64;
		loop->defer = xrealloc(loop->defer, loop->defer_cap * sizeof(*loop->defer));
	}
	loop->defer[loop->ndefer].fn = fn;
	loop->defer[loop->ndefer].ctx = ctx;
	loop->ndefer++;
}

/* ev_run_deferred - run deferred calls, including ones they add */
static void ev_run_deferred(struct ev_loop *loop)
{
	size_t i;

	for (i = 0; i < loop->ndefer; i++)
		loop->defer[i].fn(loop, loop->defer[i].ctx);
	loop->ndefer = 0;
}

/* ev_run - the loop */
int ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[256];

	loop->stop = 0;
	while (!loop->stop) {
		int timeout = -1;
		int n, i;

		loop->now = ev_clock_ms();
		if (loop->ndefer > 0) {
			timeout = 0;
		} else if (loop->heap_len > 0) {
			uint64_t due = loop->timers[loop->heap[0]].due;

			timeout = due <= loop->now ? 0 :
				  (due - loop->now > 60000 ? 60000 : (int)(due - loop->now));
		}
		n = epoll_wait(loop->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		loop->now = ev_clock_ms();
		for (i = 0; i < n && !loop->stop; i++) {
			int fd = evs[i].data.fd;
			unsigned ready = 0;
			struct ev_fdent *e;

			if ((size_t)fd >= loop->nfds || !loop->fds[fd].used)
				continue;	/* removed by an earlier callback */
			e = &loop->fds[fd];
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				ready |= EV_READ;
			if (evs[i].events & EPOLLOUT)
				ready |= EV_WRITE;
			if (evs[i].events & (EPOLLHUP | EPOLLERR))
				ready |= e->events & EV_WRITE;
			ready &= e->events | (e->events & EV_WRITE ? EV_WRITE : 0);
			if (ready == 0 && (evs[i].events & (EPOLLHUP | EPOLLERR)))
				ready = e->events;
			if (ready != 0)
				e->fn(loop, fd, ready, e->ctx);
		}
		ev_run_timers(loop);
		ev_run_deferred(loop);
	}
	return 0;
}
