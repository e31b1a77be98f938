/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	ev - a small event loop: fd readiness, timers, signals, deferred calls
 * SYNOPSIS
 *	#include "io/ev.h"
 *
 *	struct ev_loop *ev_loop_create(void);
 *	void ev_loop_destroy(struct ev_loop **loop);
 *	int ev_run(struct ev_loop *loop);
 *	void ev_stop(struct ev_loop *loop);
 *	int ev_fd_add(struct ev_loop *loop, int fd, unsigned events,
 *	              ev_fd_fn *fn, void *ctx);
 *	int ev_fd_mod(struct ev_loop *loop, int fd, unsigned events);
 *	void ev_fd_del(struct ev_loop *loop, int fd);
 *	uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms,
 *	                      ev_timer_fn *fn, void *ctx);
 *	void ev_timer_cancel(struct ev_loop *loop, uint64_t id);
 *	uint64_t ev_now_ms(const struct ev_loop *loop);
 *	int ev_signal(struct ev_loop *loop, int signo, ev_signal_fn *fn, void *ctx);
 *	void ev_defer(struct ev_loop *loop, ev_defer_fn *fn, void *ctx);
 * DESCRIPTION
 *	lib/io is the one I/O layer in lib/: the event loop (ev) and the
 *	io_uring batching (uring) that the reference servers and the
 *	harness both build on. Everything else in lib/ (proto, util)
 *	stays pure: no sockets, no clocks, no system calls.
 *
 *	epoll(7), level-triggered. One callback per fd; events is a mask
 *	of EV_READ and EV_WRITE; the callback receives the ready mask (EV_ERR
 *	is reported as EV_READ so that the reader sees the EOF/error).
 *	An fd watched for nothing (events 0) is kept out of the epoll set,
 *	so a hangup on it is noticed only once interest returns.
 *	Timers are one-shot, in a binary min-heap keyed by (due, id);
 *	ev_timer_cancel() of an id that fired or never existed is a no-op.
 *	ev_now_ms() is CLOCK_MONOTONIC in ms, refreshed once per loop
 *	iteration. Signals are delivered through signalfd(2) inside the
 *	loop (the handler may do anything). Deferred calls run after the
 *	I/O and timer callbacks of the current iteration, in FIFO order.
 *	ev_run() returns when ev_stop() was called.
 * DIAGNOSTICS
 *	ev_fd_add/mod, ev_signal, ev_run: 0 or -1 with errno.
 *	ev_timer_add returns a non-zero id. Allocation failure aborts.
 */
#ifndef LIB_IO_EV_H
#define LIB_IO_EV_H

#include <stdint.h>

#define EV_READ		0x1u
#define EV_WRITE	0x2u

struct ev_loop;

typedef void ev_fd_fn(struct ev_loop *loop, int fd, unsigned events, void *ctx);
typedef void ev_timer_fn(struct ev_loop *loop, void *ctx);
typedef void ev_signal_fn(struct ev_loop *loop, int signo, void *ctx);
typedef void ev_defer_fn(struct ev_loop *loop, void *ctx);

struct ev_loop *ev_loop_create(void);
void ev_loop_destroy(struct ev_loop **loop);
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);
int ev_fd_add(struct ev_loop *loop, int fd, unsigned events, ev_fd_fn *fn, void *ctx);
int ev_fd_mod(struct ev_loop *loop, int fd, unsigned events);
void ev_fd_del(struct ev_loop *loop, int fd);
uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_fn *fn, void *ctx);
void ev_timer_cancel(struct ev_loop *loop, uint64_t id);
uint64_t ev_now_ms(const struct ev_loop *loop);
int ev_signal(struct ev_loop *loop, int signo, ev_signal_fn *fn, void *ctx);
void ev_defer(struct ev_loop *loop, ev_defer_fn *fn, void *ctx);

#endif
