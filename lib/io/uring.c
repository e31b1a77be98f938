/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	uring - many socket sends in one system call (Linux io_uring)
 * SYNOPSIS
 *	#include "io/uring.h"
 * DESCRIPTION
 *	See uring.h. The rings are mapped as io_uring_setup(2) describes
 *	(one mapping when IORING_FEAT_SINGLE_MMAP); submission-queue tail
 *	and completion-queue head are published with release stores, the
 *	kernel's indexes read with acquire loads. user_data is the index
 *	into the caller's array.
 * DIAGNOSTICS
 *	uring_create: NULL when the kernel refuses (errno kept).
 */
#define _GNU_SOURCE		/* syscall(2), MAP_POPULATE */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/uring.h"
#include "util/xmem.h"

#if defined(__linux__) && defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter) && \
    defined(__NR_io_uring_register)
#include <linux/io_uring.h>
#ifdef IO_URING_OP_SUPPORTED	/* headers of Linux 5.6 or later (the probe) */
#define URING_AVAILABLE 1
#endif
#endif

#ifdef URING_AVAILABLE

struct uring {
	int fd;
	unsigned entries;
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	uint32_t gen;		/* upper half of user_data: stale completions are ignored */
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

/*
 * uring_probe - whether the kernel has IORING_OP_SEND and IORING_OP_RECV
 * (Linux 5.6). An older one would complete every such entry with
 * -EINVAL, which a caller would take for a broken connection; it has
 * no IORING_REGISTER_PROBE either, so a failed probe means no.
 */
static int uring_probe(int fd)
{
	enum { OPS = 256 };
	struct io_uring_probe *pr;
	int ok = 0;

	pr = xcalloc(1, sizeof(*pr) + OPS * sizeof(pr->ops[0]));
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, pr, OPS) == 0 &&
	    pr->last_op >= IORING_OP_SEND && pr->last_op >= IORING_OP_RECV &&
	    (pr->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED) &&
	    (pr->ops[IORING_OP_RECV].flags & IO_URING_OP_SUPPORTED))
		ok = 1;
	free(pr);
	return ok;
}

struct uring *uring_create(unsigned entries)
{
	struct io_uring_params p;
	struct uring *u;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (fd < 0)
		return NULL;
	if (!uring_probe(fd)) {
		close(fd);
		errno = ENOSYS;
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->fd = fd;
	u->entries = p.sq_entries;
	u->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_len > u->sq_len)
			u->sq_len = u->cq_len;
		u->cq_len = 0;
	}
	u->sq_ptr = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			 IORING_OFF_SQ_RING);
	if (u->sq_ptr == MAP_FAILED)
		goto fail;
	if (u->cq_len == 0) {
		u->cq_ptr = u->sq_ptr;
	} else {
		u->cq_ptr = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				 fd, IORING_OFF_CQ_RING);
		if (u->cq_ptr == MAP_FAILED) {
			u->cq_ptr = NULL;
			goto fail;
		}
	}
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		       IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED) {
		u->sqes = NULL;
		goto fail;
	}
	u->sq_head = (unsigned *)((char *)u->sq_ptr + p.sq_off.head);
	u->sq_tail = (unsigned *)((char *)u->sq_ptr + p.sq_off.tail);
	u->sq_mask = (unsigned *)((char *)u->sq_ptr + p.sq_off.ring_mask);
	u->sq_array = (unsigned *)((char *)u->sq_ptr + p.sq_off.array);
	u->cq_head = (unsigned *)((char *)u->cq_ptr + p.cq_off.head);
	u->cq_tail = (unsigned *)((char *)u->cq_ptr + p.cq_off.tail);
	u->cq_mask = (unsigned *)((char *)u->cq_ptr + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)((char *)u->cq_ptr + p.cq_off.cqes);
	return u;
fail:
	uring_destroy(&u);
	return NULL;
}

/* uring_sys_enter - io_uring_enter(2); uring_enter is it or the test's stand-in */
long uring_sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static uring_enter_fn *uring_enter = uring_sys_enter;

void uring_test_enter(uring_enter_fn *fn)
{
	uring_enter = fn != NULL ? fn : uring_sys_enter;
}

/* uring_reap - completions of this chunk into v; returns how many */
static size_t uring_reap(struct uring *u, uint64_t gen, size_t n, struct uring_send *v)
{
	unsigned head = *u->cq_head;
	unsigned ctail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
	size_t got = 0;

	while (head != ctail) {
		struct io_uring_cqe *cqe = &u->cqes[head & *u->cq_mask];
		uint64_t k = cqe->user_data & 0xffffffffu;

		if (cqe->user_data >> 32 == (gen & 0xffffffffu) && k < n &&
		    v[k].res == -ECANCELED) {
			v[k].res = cqe->res;
			got++;
		}
		head++;
	}
	__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
	return got;
}

/*
 * uring_chunk - at most u->entries sends or receives, submitted and
 * reaped. When io_uring_enter fails for good (an error other than
 * EINTR, or EAGAIN/EBUSY 1,000 times in a row), the entries the kernel has
 * not taken are withdrawn (so no later call runs them) and stay
 * -ECANCELED; the ones it took have completed (MSG_DONTWAIT: a socket
 * operation never waits) and keep their results. -1 then, with errno.
 */
static int uring_chunk(struct uring *u, uint8_t op, size_t n, struct uring_send *v)
{
	unsigned tail = *u->sq_tail;	/* only we write it */
	unsigned mask = *u->sq_mask;
	size_t i, done = 0;
	uint64_t gen = ++u->gen;
	int busy = 0;		/* EAGAIN/EBUSY in a row */

	for (i = 0; i < n; i++) {
		unsigned idx = (tail + (unsigned)i) & mask;
		struct io_uring_sqe *sqe = &u->sqes[idx];

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = op;
		sqe->fd = v[i].fd;
		sqe->addr = (uint64_t)(uintptr_t)v[i].buf;
		sqe->len = (uint32_t)(v[i].len > 0x7fffffffu ? 0x7fffffffu : v[i].len);
		sqe->msg_flags = op == IORING_OP_SEND ? MSG_DONTWAIT | MSG_NOSIGNAL : MSG_DONTWAIT;
		sqe->user_data = gen << 32 | i;
		u->sq_array[idx] = idx;
		v[i].res = -ECANCELED;
	}
	__atomic_store_n(u->sq_tail, tail + (unsigned)n, __ATOMIC_RELEASE);
	while (done < n) {
		/* what the kernel has not taken yet (it may take fewer than asked) */
		unsigned head = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
		long rc = uring_enter(u->fd, tail + (unsigned)n - head, (unsigned)(n - done),
				      IORING_ENTER_GETEVENTS);

		if (rc >= 0)
			busy = 0;
		else if (errno == EINTR || ((errno == EAGAIN || errno == EBUSY) && ++busy <= 1000))
			rc = 0;	/* passing: reap what there is and go on */
		if (rc < 0) {
			int e = errno;
			size_t taken;
			int tries;

			/* no SQPOLL thread: between calls the ring is ours */
			head = __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
			__atomic_store_n(u->sq_tail, head, __ATOMIC_RELEASE);
			taken = head - tail;
			done += uring_reap(u, gen, n, v);
			for (tries = 0; done < taken && tries < 3; tries++) {
				if (uring_enter(u->fd, 0, (unsigned)(taken - done), IORING_ENTER_GETEVENTS) < 0 &&
				    errno != EINTR && errno != EAGAIN && errno != EBUSY)
					break;
				done += uring_reap(u, gen, n, v);
			}
			for (i = 0; done < taken && i < taken; i++) {
				if (v[i].res == -ECANCELED) {
					v[i].res = -EIO;	/* taken, outcome unknown */
					done++;
				}
			}
			errno = e;
			return -1;
		}
		done += uring_reap(u, gen, n, v);
	}
	return 0;
}

static int uring_batch(struct uring *u, uint8_t op, size_t n, struct uring_send *v)
{
	size_t off = 0;

	while (off < n) {
		size_t k = n - off < u->entries ? n - off : u->entries;

		if (uring_chunk(u, op, k, v + off) < 0) {
			size_t i;

			for (i = off + k; i < n; i++)
				v[i].res = -ECANCELED;
			return -1;
		}
		off += k;
	}
	return 0;
}

int uring_send_batch(struct uring *u, size_t n, struct uring_send *v)
{
	return uring_batch(u, IORING_OP_SEND, n, v);
}

int uring_recv_batch(struct uring *u, size_t n, struct uring_send *v)
{
	return uring_batch(u, IORING_OP_RECV, n, v);
}

void uring_destroy(struct uring **up)
{
	struct uring *u = *up;

	if (u == NULL)
		return;
	*up = NULL;
	if (u->sqes != NULL)
		munmap(u->sqes, u->sqes_len);
	if (u->cq_ptr != NULL && u->cq_ptr != u->sq_ptr && u->cq_ptr != MAP_FAILED)
		munmap(u->cq_ptr, u->cq_len);
	if (u->sq_ptr != NULL && u->sq_ptr != MAP_FAILED)
		munmap(u->sq_ptr, u->sq_len);
	close(u->fd);
	free(u);
}

#else	/* no io_uring: callers send one by one */

struct uring {
	int unused;
};

struct uring *uring_create(unsigned entries)
{
	(void)entries;
	errno = ENOSYS;
	return NULL;
}

int uring_recv_batch(struct uring *u, size_t n, struct uring_send *v)
{
	return uring_send_batch(u, n, v);
}

int uring_send_batch(struct uring *u, size_t n, struct uring_send *v)
{
	size_t i;

	(void)u;
	for (i = 0; i < n; i++)
		v[i].res = -ECANCELED;
	errno = ENOSYS;
	return -1;
}

long uring_sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	(void)fd;
	(void)to_submit;
	(void)min_complete;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

void uring_test_enter(uring_enter_fn *fn)
{
	(void)fn;
}

void uring_destroy(struct uring **up)
{
	*up = NULL;
}

#endif
