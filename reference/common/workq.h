/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	workq - worker threads for expensive work, completions in the loop
 * SYNOPSIS
 *	#include "reference/common/workq.h"
 *
 *	struct workq *workq_create(struct ev_loop *loop, unsigned nthreads,
 *	                           size_t max_queued);
 *	int workq_submit(struct workq *q, workq_fn *work, workq_fn *done, void *arg);
 *	void workq_destroy(struct workq **q);
 *	unsigned long workq_wakeups(struct workq *q);
 * DESCRIPTION
 *	work(arg) runs on one of nthreads threads; done(arg) then runs in
 *	the loop's thread (an eventfd wakes the loop). Jobs are started in
 *	submission order; a job for an idle pool goes to the thread that
 *	went idle last (its cache is the warmest), so a light load stays on
 *	one thread. Under load done() calls come in batches: with a deep
 *	queue (16 or more waiting) the loop is woken once per pending/8
 *	finished jobs (at most 32): a finished job waits for at most that
 *	many more to finish (an eighth of the wait of a job queued then),
 *	and the loop, the workers and the clients are spared most of their
 *	wakeups; with a short queue every finished job wakes the loop at
 *	once. workq_wakeups() counts the wakeups. A job must not touch
 *	loop-owned state in work();
 *	if its owner goes away meanwhile, the owner marks arg as abandoned
 *	and done() frees it (the owner never frees a submitted arg).
 *	workq_destroy() waits for running and queued jobs, runs their done()
 *	callbacks, and joins the threads. It must not be called from done().
 *
 *	Abandoning, the pattern: the job holds a back pointer to its owner
 *	(a client connection), the owner a pointer to its job in flight.
 *	    on_close:  if (cl->job) cl->job->owner = NULL;  free(cl);
 *	    done(arg): if (j->owner) { j->owner->job = NULL; reply(j); }
 *	               free(j);
 *	Both run in the loop's thread, so no lock is needed; work() reads
 *	only the job's own copy of its input (never j->owner).
 * DIAGNOSTICS
 *	workq_create: NULL if threads or the eventfd cannot be created.
 *	workq_submit: -1 when max_queued jobs are already waiting.
 */
#ifndef REFERENCE_COMMON_WORKQ_H
#define REFERENCE_COMMON_WORKQ_H

#include <stddef.h>

#include "io/ev.h"

struct workq;
typedef void workq_fn(void *arg);

struct workq *workq_create(struct ev_loop *loop, unsigned nthreads, size_t max_queued);
int workq_submit(struct workq *q, workq_fn *work, workq_fn *done, void *arg);
void workq_destroy(struct workq **q);
unsigned long workq_wakeups(struct workq *q);

#endif
