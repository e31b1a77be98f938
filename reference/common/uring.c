/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	uring - many socket sends in one system call (Linux io_uring)
 * SYNOPSIS
 *	#include "reference/common/uring.h"
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

#include "reference/common/uring.h"
#include "util/xmem.h"

#if defined(__linux__) && defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter)
#include <linux/io_uring.h>
#define URING_AVAILABLE 1
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

struct uring *uring_create(unsigned entries)
{
	struct io_uring_params p;
	struct uring *u;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (fd < 0)
		return NULL;
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

/* uring_chunk - at most u->entries sends or receives, submitted and reaped */
static int uring_chunk(struct uring *u, uint8_t op, size_t n, struct uring_send *v)
{
	unsigned tail = *u->sq_tail;	/* only we write it */
	unsigned mask = *u->sq_mask;
	size_t i, done = 0;
	int submitted = 0;
	uint64_t gen = ++u->gen;

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
		v[i].res = -EAGAIN;
	}
	__atomic_store_n(u->sq_tail, tail + (unsigned)n, __ATOMIC_RELEASE);
	while (done < n) {
		unsigned head, ctail;
		/* what the kernel has not taken yet (it may take fewer than asked) */
		unsigned left = tail + (unsigned)n - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
		long rc = syscall(__NR_io_uring_enter, u->fd, left, (unsigned)(n - done),
				  IORING_ENTER_GETEVENTS, NULL, 0);

		if (rc < 0 && errno != EINTR) {
			if (!submitted && __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE) == tail) {
				/* nothing taken: withdraw, the caller sends one by one */
				__atomic_store_n(u->sq_tail, tail, __ATOMIC_RELEASE);
				return -1;
			}
			if (errno != EAGAIN && errno != EBUSY)
				return -1;	/* late completions carry an old gen */
		}
		if (rc >= 0)
			submitted = 1;
		head = *u->cq_head;
		ctail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
		while (head != ctail) {
			struct io_uring_cqe *cqe = &u->cqes[head & *u->cq_mask];
			uint64_t k = cqe->user_data & 0xffffffffu;

			if (cqe->user_data >> 32 == (gen & 0xffffffffu) && k < n) {
				v[k].res = cqe->res;
				done++;
			}
			head++;
		}
		__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
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

			for (i = off; i < n; i++)
				v[i].res = -EAGAIN;
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
		v[i].res = -EAGAIN;
	errno = ENOSYS;
	return -1;
}

void uring_destroy(struct uring **up)
{
	*up = NULL;
}

#endif
