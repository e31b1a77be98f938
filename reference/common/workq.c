/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	workq - worker threads for expensive work, completions in the loop
 * SYNOPSIS
 *	#include "reference/common/workq.h"
 * DESCRIPTION
 *	See workq.h. Two singly linked FIFO lists under one mutex: pending
 *	(waiting for a thread) and finished (waiting for done() in the
 *	loop); idle workers on a stack, each waiting on its own condition
 *	variable. A worker that finishes a job writes to an eventfd, at most
 *	once per drain and, with a deep queue, once per batch (see
 *	workq_wake_now); the loop drains the finished list in one go.
 * DIAGNOSTICS
 *	See workq.h.
 */
#define _GNU_SOURCE		/* eventfd */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reference/common/workq.h"
#include "util/xmem.h"

struct workq_job {
	struct workq_job *next;
	workq_fn *work;
	workq_fn *done;
	void *arg;
};

struct workq_list {
	struct workq_job *head, *tail;
	size_t len;
};

struct workq_worker {
	struct workq *q;
	pthread_t thread;
	pthread_cond_t cv;	/* signalled when this worker is handed work */
	int idle;		/* on the idle stack */
};

struct workq {
	struct ev_loop *loop;
	int efd;
	pthread_mutex_t mu;
	struct workq_list pending, finished;
	size_t max_queued;
	int signalled;		/* the eventfd was written since the last drain */
	unsigned long wakeups;	/* eventfd writes, for workq_wakeups() */
	int quit;
	unsigned nthreads;
	struct workq_worker *workers;
	struct workq_worker **idle;	/* stack: the last to go idle on top */
	unsigned nidle;
};

static void list_push(struct workq_list *l, struct workq_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->len++;
}

static struct workq_job *list_pop(struct workq_list *l)
{
	struct workq_job *j = l->head;

	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		l->len--;
	}
	return j;
}

/*
 * workq_wake_now - whether a worker that just finished a job wakes the
 * loop (q->mu held, the loop not yet signalled). With a deep queue the
 * loop is woken once per batch of finished jobs, a batch of pending/8
 * (at most 32): their replies go out together, the clients' next
 * requests come in together, and the loop, the clients and the workers
 * share the CPU with far fewer wakeups. A held job waits for at most
 * batch more completions, an eighth of the wait of a job queued then;
 * with a short queue (fewer than 16 pending, or no more than there are
 * threads) every finished job wakes the loop at once.
 */
static int workq_wake_now(const struct workq *q)
{
	size_t batch = q->pending.len / 8;

	if (batch > 32)
		batch = 32;
	return q->finished.len >= batch || q->pending.len <= q->nthreads;
}

/* idle_remove - take w off the idle stack (q->mu held) */
static void idle_remove(struct workq *q, struct workq_worker *w)
{
	unsigned i;

	for (i = 0; i < q->nidle; i++) {
		if (q->idle[i] == w) {
			for (; i + 1 < q->nidle; i++)
				q->idle[i] = q->idle[i + 1];
			q->nidle--;
			break;
		}
	}
	w->idle = 0;
}

/*
 * workq_thread - run jobs until told to quit. An idle worker waits on its
 * own condition variable on a stack of idle workers; a new job wakes the
 * one that went idle last, whose cache is warmest, so a light load stays
 * on one thread instead of passing from one to the next.
 */
static void *workq_thread(void *p)
{
	struct workq_worker *w = p;
	struct workq *q = w->q;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct workq_job *j;
		uint64_t one = 1;

		while (q->pending.len == 0 && !q->quit) {
			if (!w->idle) {
				w->idle = 1;
				q->idle[q->nidle++] = w;
			}
			pthread_cond_wait(&w->cv, &q->mu);
		}
		if (w->idle)
			idle_remove(q, w);
		if (q->pending.len == 0 && q->quit)
			break;
		j = list_pop(&q->pending);
		pthread_mutex_unlock(&q->mu);
		j->work(j->arg);
		pthread_mutex_lock(&q->mu);
		list_push(&q->finished, j);
		if (!q->signalled && workq_wake_now(q)) {
			q->signalled = 1;
			q->wakeups++;
			if (write(q->efd, &one, sizeof(one)) < 0) {
				/* the counter cannot overflow; nothing to do */
			}
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* workq_drain - run done() of finished jobs, in the loop */
static void workq_drain(struct workq *q)
{
	struct workq_list l;

	pthread_mutex_lock(&q->mu);
	l = q->finished;
	q->finished.head = q->finished.tail = NULL;
	q->finished.len = 0;
	q->signalled = 0;
	pthread_mutex_unlock(&q->mu);
	while (l.head) {
		struct workq_job *j = list_pop(&l);

		j->done(j->arg);
		free(j);
	}
}

/* workq_ready - eventfd readable */
static void workq_ready(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	uint64_t n;

	(void)loop;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another wakeup already consumed it */
	}
	workq_drain(ctx);
}

/* workq_create - start nthreads workers */
struct workq *workq_create(struct ev_loop *loop, unsigned nthreads, size_t max_queued)
{
	struct workq *q = xcalloc(1, sizeof(*q));
	sigset_t all, old;
	unsigned i;

	q->loop = loop;
	q->max_queued = max_queued ? max_queued : 100000;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	if (ev_fd_add(loop, q->efd, EV_READ, workq_ready, q) < 0) {
		pthread_mutex_destroy(&q->mu);
		close(q->efd);
		free(q);
		return NULL;
	}
	if (nthreads == 0)
		nthreads = 1;
	q->workers = xcalloc(nthreads, sizeof(*q->workers));
	q->idle = xcalloc(nthreads, sizeof(*q->idle));
	/* workers never take signals: the loop reads them from its signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < nthreads; i++) {
		struct workq_worker *w = &q->workers[i];

		w->q = q;
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->thread, NULL, workq_thread, w) != 0) {
			pthread_cond_destroy(&w->cv);
			break;
		}
		q->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (q->nthreads == 0) {
		workq_destroy(&q);
		return NULL;
	}
	return q;
}

/* workq_wakeups - times the workers woke the loop */
unsigned long workq_wakeups(struct workq *q)
{
	unsigned long n;

	pthread_mutex_lock(&q->mu);
	n = q->wakeups;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* workq_submit - queue a job */
int workq_submit(struct workq *q, workq_fn *work, workq_fn *done, void *arg)
{
	struct workq_job *j;

	pthread_mutex_lock(&q->mu);
	if (q->pending.len >= q->max_queued) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	j = xmalloc(sizeof(*j));
	j->work = work;
	j->done = done;
	j->arg = arg;
	list_push(&q->pending, j);
	if (q->nidle > 0) {
		struct workq_worker *w = q->idle[--q->nidle];

		w->idle = 0;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* workq_destroy - finish all jobs, join the threads */
void workq_destroy(struct workq **qp)
{
	struct workq *q = *qp;
	unsigned i;

	if (q == NULL)
		return;
	*qp = NULL;
	pthread_mutex_lock(&q->mu);
	q->quit = 1;
	for (i = 0; i < q->nthreads; i++)
		pthread_cond_signal(&q->workers[i].cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nthreads; i++) {
		pthread_join(q->workers[i].thread, NULL);
		pthread_cond_destroy(&q->workers[i].cv);
	}
	workq_drain(q);
	ev_fd_del(q->loop, q->efd);
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
	free(q->workers);
	free(q->idle);
	free(q);
}
