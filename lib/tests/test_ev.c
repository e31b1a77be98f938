/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_ev - the event loop under load and in corner cases
 * DESCRIPTION
 *	Thousands of timers with random delays fire in (due, insertion)
 *	order and cancelled ones never fire; a stale timer id cannot
 *	cancel the timer that reuses its slot; a timer that re-arms itself
 *	with 0 ms does not starve the fds; deferred calls run after every
 *	fd callback of the iteration; removing an fd inside another fd's
 *	callback suppresses its pending event; a signal that arrives after
 *	the last iteration is consumed by ev_loop_destroy() instead of
 *	killing the process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ev.h"

static void stop_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

/* --- many timers -------------------------------------------------------- */

#define NT	5000

struct tent {
	uint64_t id;
	uint64_t due;		/* ms from the start, as requested */
	int order;		/* insertion index */
	int cancelled;
	int fired;
};

struct tstate {
	struct tent ent[NT];
	int seq[NT];		/* indexes in firing order */
	int nfired;
};

struct tctx {
	struct tstate *st;
	int i;
};

static struct tctx tctxs[NT];

static void t_fire(struct ev_loop *loop, void *ctx)
{
	struct tctx *t = ctx;

	(void)loop;
	t->st->ent[t->i].fired++;
	t->st->seq[t->st->nfired++] = t->i;
}

static void test_ev_many_timers(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct tstate *st = calloc(1, sizeof(*st));
	int i, ncancel = 0;

	(void)state;
	assert_non_null(st);
	srand(12345);
	for (i = 0; i < NT; i++) {
		st->ent[i].due = (uint64_t)(rand() % 40);
		st->ent[i].order = i;
		tctxs[i].st = st;
		tctxs[i].i = i;
		st->ent[i].id = ev_timer_add(loop, st->ent[i].due, t_fire, &tctxs[i]);
		assert_true(st->ent[i].id != 0);
	}
	for (i = 0; i < NT; i += 3) {
		ev_timer_cancel(loop, st->ent[i].id);
		st->ent[i].cancelled = 1;
		ncancel++;
	}
	ev_timer_add(loop, 100, stop_cb, NULL);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(st->nfired, NT - ncancel);
	for (i = 0; i < NT; i++)
		assert_int_equal(st->ent[i].fired, st->ent[i].cancelled ? 0 : 1);
	/* all were added at the same cached time: due order, then insertion */
	for (i = 1; i < st->nfired; i++) {
		const struct tent *a = &st->ent[st->seq[i - 1]];
		const struct tent *b = &st->ent[st->seq[i]];

		if (a->due > b->due || (a->due == b->due && a->order > b->order))
			fail_msg("timer %d (due %llu) fired after %d (due %llu)", b->order,
				 (unsigned long long)b->due, a->order, (unsigned long long)a->due);
	}
	free(st);
	ev_loop_destroy(&loop);
}

/* a fired timer's id must not cancel the next timer in the same slot */
static void count_cb(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	++*(int *)ctx;
}

static void test_ev_stale_id(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	int a = 0, b = 0;
	uint64_t ida, idb;

	(void)state;
	ida = ev_timer_add(loop, 0, count_cb, &a);
	ev_defer(loop, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(a, 1);
	idb = ev_timer_add(loop, 0, count_cb, &b);
	assert_true(idb != ida);
	/* the freed slot is reused: the test exercises what it claims */
	assert_true((idb & 0xffffffffu) == (ida & 0xffffffffu));
	ev_timer_cancel(loop, ida);	/* stale: must not hit b */
	ev_timer_add(loop, 5, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(b, 1);
	ev_loop_destroy(&loop);
}

/* --- a 0 ms timer that re-arms itself does not starve fds --------------- */

struct spin {
	int timer_runs;
	int fd_seen_at;		/* timer_runs when the fd callback ran */
	int wfd;
};

static void spin_timer(struct ev_loop *loop, void *ctx)
{
	struct spin *s = ctx;

	s->timer_runs++;
	if (s->timer_runs == 10)
		assert_int_equal(write(s->wfd, "x", 1), 1);
	if (s->fd_seen_at < 0 && s->timer_runs < 1000000)
		ev_timer_add(loop, 0, spin_timer, s);
}

static void spin_fd(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct spin *s = ctx;

	(void)fd;
	(void)events;
	s->fd_seen_at = s->timer_runs;
	ev_stop(loop);
}

static void test_ev_zero_timer_no_starvation(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct spin s = { 0, -1, -1 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	s.wfd = p[1];
	assert_int_equal(ev_fd_add(loop, p[0], EV_READ, spin_fd, &s), 0);
	ev_timer_add(loop, 0, spin_timer, &s);
	ev_run(loop);
	/* one timer run per iteration: the byte written by the 10th run is
	 * seen in the next iteration, not after a million runs */
	assert_int_equal(s.fd_seen_at, 10);
	ev_fd_del(loop, p[0]);
	close(p[0]);
	close(p[1]);
	ev_loop_destroy(&loop);
}

/* --- deferred calls after all fd callbacks ------------------------------ */

struct order {
	char log[16];
	size_t n;
	int fds[2];
};

static void ord_defer(struct ev_loop *loop, void *ctx)
{
	struct order *o = ctx;

	o->log[o->n++] = 'D';
	ev_stop(loop);
}

static void ord_fd(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct order *o = ctx;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	o->log[o->n++] = c;
	if (o->n == 1)
		ev_defer(loop, ord_defer, o);
}

static void test_ev_defer_after_io(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct order o;
	int p1[2], p2[2];

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	assert_int_equal(write(p1[1], "1", 1), 1);
	assert_int_equal(write(p2[1], "2", 1), 1);
	assert_int_equal(ev_fd_add(loop, p1[0], EV_READ, ord_fd, &o), 0);
	assert_int_equal(ev_fd_add(loop, p2[0], EV_READ, ord_fd, &o), 0);
	ev_timer_add(loop, 2000, stop_cb, NULL);
	ev_run(loop);
	o.log[o.n] = '\0';
	/* both fds were ready in the same iteration; D comes after both */
	assert_int_equal(o.n, 3);
	assert_int_equal(o.log[2], 'D');
	ev_fd_del(loop, p1[0]);
	ev_fd_del(loop, p2[0]);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	ev_loop_destroy(&loop);
}

/* --- ev_fd_del inside another fd's callback ----------------------------- */

struct delst {
	int a, b;		/* read ends */
	int calls;
};

static void del_other(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct delst *d = ctx;

	(void)events;
	d->calls++;
	ev_fd_del(loop, fd == d->a ? d->b : d->a);
	ev_fd_del(loop, fd);
}

static void test_ev_del_in_callback(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	struct delst d;
	int p1[2], p2[2];

	(void)state;
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	d.a = p1[0];
	d.b = p2[0];
	d.calls = 0;
	assert_int_equal(write(p1[1], "1", 1), 1);
	assert_int_equal(write(p2[1], "2", 1), 1);
	assert_int_equal(ev_fd_add(loop, p1[0], EV_READ, del_other, &d), 0);
	assert_int_equal(ev_fd_add(loop, p2[0], EV_READ, del_other, &d), 0);
	ev_timer_add(loop, 50, stop_cb, NULL);
	ev_run(loop);
	assert_int_equal(d.calls, 1);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	ev_loop_destroy(&loop);
}

/* --- fd add errors -------------------------------------------------------- */

static void never_fd(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	(void)loop;
	(void)fd;
	(void)events;
	(void)ctx;
	fail_msg("callback of a bad fd");
}

static void test_ev_bad_fd(void **state)
{
	struct ev_loop *loop = ev_loop_create();

	(void)state;
	assert_int_equal(ev_fd_add(loop, -1, EV_READ, never_fd, NULL), -1);
	assert_int_equal(ev_fd_add(loop, 1000, EV_READ, never_fd, NULL), -1);	/* not open */
	assert_int_equal(ev_fd_mod(loop, 1000, EV_WRITE), -1);
	ev_fd_del(loop, 1000);	/* harmless */
	ev_loop_destroy(&loop);
}

/* --- a late signal is consumed by destroy --------------------------------- */

static void on_sig(struct ev_loop *loop, int signo, void *ctx)
{
	(void)loop;
	*(int *)ctx = signo;
}

static void test_ev_late_signal(void **state)
{
	struct ev_loop *loop = ev_loop_create();
	int got = 0;

	(void)state;
	assert_int_equal(ev_signal(loop, SIGUSR2, on_sig, &got), 0);
	/* arrives after the last iteration: the default action would kill us */
	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	ev_loop_destroy(&loop);
	assert_int_equal(got, 0);
	/* still alive, and the signal is unblocked again */
	{
		sigset_t cur;

		assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
		assert_false(sigismember(&cur, SIGUSR2));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ev_many_timers),
		cmocka_unit_test(test_ev_stale_id),
		cmocka_unit_test(test_ev_zero_timer_no_starvation),
		cmocka_unit_test(test_ev_defer_after_io),
		cmocka_unit_test(test_ev_del_in_callback),
		cmocka_unit_test(test_ev_bad_fd),
		cmocka_unit_test(test_ev_late_signal),
	};

	return cmocka_run_group_tests_name("ev", tests, NULL, NULL);
}
