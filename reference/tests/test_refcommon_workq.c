/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_workq - worker threads and their completions
 * DESCRIPTION
 *	work() runs on worker threads, done() on the loop's thread while
 *	the loop keeps serving other events; the queue bound refuses work
 *	with -1 and accepts again once jobs were taken; destroying an idle
 *	queue, and destroying a queue with jobs still waiting (every done()
 *	runs, nothing leaks); a short queue answered job by job (one
 *	wakeup each); a deep queue served in batches (every done() runs,
 *	the loop is woken far fewer times than there are jobs); one job at
 *	a time stays on the thread that went idle last; the abandon pattern
 *	for jobs whose owner went away before they finished.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/common/workq.h"

static pthread_t loop_thread;

struct job {
	int n;
	pthread_t ran_on;
	int *count;
	int total;
	struct ev_loop *loop;
	unsigned sleep_us;
	/* the abandon pattern: the owner clears this, done() then only frees */
	struct owner *owner;
};

struct owner {
	int alive;
	int results;
	struct job *pending;	/* at most one job in flight */
};

static void sleep_us(unsigned us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000u;
	ts.tv_nsec = (long)(us % 1000000u) * 1000L;
	while (nanosleep(&ts, &ts) < 0)
		continue;
}

static void job_work(void *arg)
{
	struct job *j = arg;

	j->ran_on = pthread_self();
	if (j->sleep_us)
		sleep_us(j->sleep_us);
}

static void job_done(void *arg)
{
	struct job *j = arg;

	assert_true(pthread_equal(pthread_self(), loop_thread));
	assert_false(pthread_equal(j->ran_on, loop_thread));
	if (j->count != NULL && ++*j->count == j->total && j->loop != NULL)
		ev_stop(j->loop);
	free(j);
}

static struct job *job_new(int n, int *count, int total, struct ev_loop *loop, unsigned us)
{
	struct job *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->n = n;
	j->count = count;
	j->total = total;
	j->loop = loop;
	j->sleep_us = us;
	return j;
}

static void stop_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

static void timeout_cb(struct ev_loop *loop, void *ctx)
{
	*(int *)ctx = 1;
	ev_stop(loop);
}

/* run_until_stopped - run the loop until a done() stops it; 10 s is a failure */
static void run_until_stopped(struct ev_loop *loop)
{
	int timed_out = 0;
	uint64_t t = ev_timer_add(loop, 10000, timeout_cb, &timed_out);

	ev_run(loop);
	ev_timer_cancel(loop, t);
	assert_int_equal(timed_out, 0);
}

/* the loop keeps running timers while workers sleep */
static void tick_cb(struct ev_loop *loop, void *ctx)
{
	int *ticks = ctx;

	++*ticks;
	ev_timer_add(loop, 2, tick_cb, ctx);
}

static void test_refcommon_workq_loop_not_blocked(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 2, 0);
	int done = 0, ticks = 0, i;

	(void)state;
	assert_non_null(q);
	/* 8 jobs of 20 ms on 2 threads: about 80 ms of work */
	for (i = 0; i < 8; i++)
		assert_int_equal(workq_submit(q, job_work, job_done, job_new(i, &done, 8, loop, 20000)), 0);
	ev_timer_add(loop, 2, tick_cb, &ticks);
	ev_timer_add(loop, 5000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(done, 8);
	assert_true(ticks >= 10);	/* the loop was not stalled meanwhile */
	workq_destroy(&q);
	ev_loop_destroy(&loop);
}

/* a gate that holds the only worker so that jobs queue up */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int open;
	int entered;
};

static struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static void gate_work(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g.mu);
	g.entered = 1;
	pthread_cond_broadcast(&g.cv);
	while (!g.open)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
}

static void gate_done(void *arg)
{
	++*(int *)arg;
}

static void test_refcommon_workq_bound(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 1, 4);
	int done = 0, gated = 0, i;
	struct job *extra;

	(void)state;
	g.open = 0;
	g.entered = 0;
	assert_int_equal(workq_submit(q, gate_work, gate_done, &gated), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	/* the worker is busy: 4 may wait, the 5th is refused */
	for (i = 0; i < 4; i++)
		assert_int_equal(workq_submit(q, job_work, job_done, job_new(i, &done, 5, loop, 0)), 0);
	extra = job_new(4, &done, 5, loop, 0);
	assert_int_equal(workq_submit(q, job_work, job_done, extra), -1);
	pthread_mutex_lock(&g.mu);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	ev_timer_add(loop, 100, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(gated, 1);
	assert_int_equal(done, 4);
	/* room again */
	assert_int_equal(workq_submit(q, job_work, job_done, extra), 0);
	ev_timer_add(loop, 5000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(done, 5);
	workq_destroy(&q);
	ev_loop_destroy(&loop);
}

static void test_refcommon_workq_destroy_idle(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 4, 0);

	(void)state;
	assert_non_null(q);
	sleep_us(1000);
	workq_destroy(&q);
	assert_null(q);
	workq_destroy(&q);	/* NULL: no-op */
	ev_loop_destroy(&loop);
}

/*
 * a short queue: every finished job wakes the loop at once. One thread,
 * four jobs of 50 ms: done() of job i runs before job i+1 finishes, one
 * wakeup per job
 */
static pthread_mutex_t prompt_mu = PTHREAD_MUTEX_INITIALIZER;
static int prompt_worked, prompt_seen[4];

static void prompt_work(void *arg)
{
	(void)arg;
	sleep_us(50000);
	pthread_mutex_lock(&prompt_mu);
	prompt_worked++;
	pthread_mutex_unlock(&prompt_mu);
}

static void prompt_done(void *arg)
{
	struct job *j = arg;

	pthread_mutex_lock(&prompt_mu);
	prompt_seen[j->n] = prompt_worked;
	pthread_mutex_unlock(&prompt_mu);
	job_done(arg);
}

static void test_refcommon_workq_short_queue_prompt(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 1, 0);
	int done = 0, i;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 4; i++)
		assert_int_equal(workq_submit(q, prompt_work, prompt_done, job_new(i, &done, 4, loop, 0)), 0);
	run_until_stopped(loop);
	assert_int_equal(done, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(prompt_seen[i], i + 1);
	assert_int_equal(workq_wakeups(q), 4);
	workq_destroy(&q);
	ev_loop_destroy(&loop);
}

/*
 * one job at a time on four threads: after the first, every job runs on
 * the thread that went idle last (the one whose cache is warm), instead
 * of passing from thread to thread
 */
static struct workq *seq_q;
static struct ev_loop *seq_loop;
static pthread_t seq_ran[20];
static int seq_n;

static void seq_done(void *arg)
{
	struct job *j = arg;

	assert_false(pthread_equal(j->ran_on, loop_thread));
	seq_ran[seq_n++] = j->ran_on;
	free(j);
	if (seq_n < 20)
		assert_int_equal(workq_submit(seq_q, job_work, seq_done, job_new(seq_n, NULL, 0, NULL, 200)), 0);
	else
		ev_stop(seq_loop);
}

static void test_refcommon_workq_warm_thread(void **state)
{
	int i;

	(void)state;
	seq_loop = ev_loop_create();
	seq_q = workq_create(seq_loop, 4, 0);
	assert_non_null(seq_q);
	seq_n = 0;
	assert_int_equal(workq_submit(seq_q, job_work, seq_done, job_new(0, NULL, 0, NULL, 200)), 0);
	run_until_stopped(seq_loop);
	assert_int_equal(seq_n, 20);
	for (i = 2; i < 20; i++)
		assert_true(pthread_equal(seq_ran[i], seq_ran[1]));
	workq_destroy(&seq_q);
	ev_loop_destroy(&seq_loop);
}

/*
 * a deep queue, served by the loop: every done() runs (none is held back
 * once the queue drains) and the loop is woken in batches, far fewer
 * times than there are jobs
 */
static void test_refcommon_workq_batched(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 2, 2000);
	int done = 0, i;

	(void)state;
	assert_non_null(q);
	for (i = 0; i < 1000; i++)
		assert_int_equal(workq_submit(q, job_work, job_done, job_new(i, &done, 1000, loop, 20)), 0);
	run_until_stopped(loop);
	assert_int_equal(done, 1000);
	assert_true(workq_wakeups(q) >= 1);
	assert_true(workq_wakeups(q) < 250);
	workq_destroy(&q);
	ev_loop_destroy(&loop);
}

/* destroy with 1,000 jobs queued: all run, every done() is called */
static void test_refcommon_workq_destroy_busy(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 3, 2000);
	int done = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(workq_submit(q, job_work, job_done, job_new(i, &done, 1000, NULL, 0)), 0);
	workq_destroy(&q);
	assert_int_equal(done, 1000);
	ev_loop_destroy(&loop);
}

/* the abandon pattern: the owner goes away while its job runs */
static void own_done(void *arg)
{
	struct job *j = arg;

	if (j->owner != NULL) {
		j->owner->results++;
		j->owner->pending = NULL;
	}
	if (j->count != NULL)
		++*j->count;
	if (j->loop != NULL)
		ev_stop(j->loop);
	free(j);
}

static void test_refcommon_workq_abandon(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct workq *q = workq_create(loop, 1, 0);
	struct owner *o = calloc(1, sizeof(*o));
	struct job *j = job_new(0, NULL, 0, loop, 20000);
	int finished = 0;

	(void)state;
	j->owner = o;
	j->count = &finished;
	o->alive = 1;
	o->pending = j;
	assert_int_equal(workq_submit(q, job_work, own_done, j), 0);
	/* the connection closes before the job finishes: detach, then free */
	o->pending->owner = NULL;
	free(o);
	ev_timer_add(loop, 5000, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(finished, 1);	/* done() ran, touched nothing freed */
	workq_destroy(&q);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_workq_loop_not_blocked),
		cmocka_unit_test(test_refcommon_workq_bound),
		cmocka_unit_test(test_refcommon_workq_destroy_idle),
		cmocka_unit_test(test_refcommon_workq_short_queue_prompt),
		cmocka_unit_test(test_refcommon_workq_batched),
		cmocka_unit_test(test_refcommon_workq_warm_thread),
		cmocka_unit_test(test_refcommon_workq_destroy_busy),
		cmocka_unit_test(test_refcommon_workq_abandon),
	};

	loop_thread = pthread_self();
	return cmocka_run_group_tests_name("refcommon_workq", tests, NULL, NULL);
}
