/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	uring - many socket sends in one system call (Linux io_uring)
 * SYNOPSIS
 *	#include "io/uring.h"
 *
 *	struct uring *uring_create(unsigned entries);
 *	int uring_send_batch(struct uring *u, size_t n, struct uring_send *v);
 *	int uring_recv_batch(struct uring *u, size_t n, struct uring_send *v);
 *	void uring_destroy(struct uring **u);
 *
 *	long uring_sys_enter(int fd, unsigned to_submit, unsigned min_complete,
 *	                     unsigned flags);
 *	void uring_test_enter(uring_enter_fn *fn);
 * DESCRIPTION
 *	Part of lib/io, the one I/O layer in lib/ (see ev.h); the rest of
 *	lib/ stays pure.
 *
 *	A minimal io_uring (raw system calls, no library) used for one
 *	thing: a loop iteration that has replies for many connections
 *	sends them all with one io_uring_enter(2) instead of one send(2)
 *	each. Every send is non-blocking (MSG_DONTWAIT | MSG_NOSIGNAL), and
 *	uring_send_batch() waits for all completions before it returns, so
 *	to the caller it is n send(2) calls: v[i].res is the byte count or
 *	-errno, exactly as send(2) would have reported it (-EAGAIN when the
 *	socket buffer is full; -ENOTSOCK for a pipe).
 *
 *	uring_recv_batch() is the same for receives into v[i].buf (at most
 *	v[i].len bytes; 0 is end of file, -EAGAIN nothing there yet).
 *
 *	uring_create() returns NULL where io_uring is missing or refused
 *	(old kernel, seccomp, io_uring_disabled) or lacks IORING_OP_SEND or
 *	IORING_OP_RECV (before Linux 5.6); callers then send one by one. At
 *	most `entries` sends go in one io_uring_enter; larger batches are
 *	split.
 *
 *	uring_test_enter() replaces io_uring_enter(2) (NULL: the real one,
 *	uring_sys_enter()), for tests of the failure paths.
 * DIAGNOSTICS
 *	uring_send_batch, uring_recv_batch: 0, or -1 with errno when
 *	io_uring_enter itself failed. Either way every v[i].res holds what
 *	happened to entry i: the entries done keep their results (a send
 *	that went out is never reported as not sent), and the ones never
 *	attempted are -ECANCELED: the caller does those with send(2) or
 *	read(2). -EIO: the kernel took the entry but its completion could
 *	not be collected (the state of that socket is unknown).
 */
#ifndef LIB_IO_URING_H
#define LIB_IO_URING_H

#include <stddef.h>
#include <sys/types.h>

struct uring_send {
	int fd;
	const void *buf;
	size_t len;
	ssize_t res;		/* out: bytes sent or -errno */
};

struct uring;

struct uring *uring_create(unsigned entries);
int uring_send_batch(struct uring *u, size_t n, struct uring_send *v);
int uring_recv_batch(struct uring *u, size_t n, struct uring_send *v);
void uring_destroy(struct uring **u);

typedef long uring_enter_fn(int fd, unsigned to_submit, unsigned min_complete, unsigned flags);
long uring_sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags);
void uring_test_enter(uring_enter_fn *fn);

#endif
