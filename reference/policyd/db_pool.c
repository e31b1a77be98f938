/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_pool - database lookups on worker threads, answered in the loop
 * SYNOPSIS
 *	See db_pool.h.
 * DESCRIPTION
 *	The workers are a workq; each keeps its connection in thread-local
 *	storage (a pthread key whose destructor closes it when the thread
 *	ends), tagged with the generation of the source it was opened
 *	from, so a new source (SIGHUP) is picked up by each worker on its
 *	next lookup. A job is owned by the loop thread except for its
 *	result (written by the worker before workq hands it back) and its
 *	expired flag (set by the loop when the timeout fired, read by the
 *	worker so that a job whose answer was already given is not run).
 * DIAGNOSTICS
 *	See db_pool.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reference/common/workq.h"
#include "reference/policyd/db_pool.h"
#include "util/xmem.h"

#define BACKOFF_FIRST_MS	100
#define BACKOFF_MAX_MS		5000

struct dbsrc {
	atomic_uint refs;
	uint64_t gen;
	const struct db_backend *be;
	struct dbsrc_settings set;
	char *spec;			/* set.spec's copy */
	char *password;			/* set.password's copy */
	netdb_log_fn *log;
	void *log_ctx;
};

struct dbpool {
	struct ev_loop *loop;
	struct workq *q;
	struct dbsrc *src;
	uint64_t timeout_ms;
	atomic_int closing;
};

struct dbpool_job {
	struct dbpool *p;
	struct dbsrc *src;
	dbpool_done_fn *done;
	void *ctx;
	uint64_t timer;
	int answered;		/* done() was called (timeout) */
	int abandoned;		/* the owner went away */
	atomic_int expired;	/* do not start it */
	int result;		/* written by the worker */
	struct cidr_addr addr;
	size_t ulen;
	char user[];
};

/* a worker's connection */
struct tlconn {
	const struct db_backend *be;
	void *db;
	uint64_t gen;
	unsigned backoff_ms;
	uint64_t next_try_ms;
};

static atomic_uint_fast64_t next_gen = 1;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

/* tl_close - the worker's connection closed */
static void tl_close(struct tlconn *t)
{
	if (t->db != NULL)
		t->be->close(t->db);
	t->db = NULL;
}

static void tl_free(void *v)
{
	struct tlconn *t = v;

	tl_close(t);
	free(t);
}

static void tl_init(void)
{
	if (pthread_key_create(&tl_key, tl_free) != 0)
		abort();
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* src_open - one connection to src */
static void *src_open(const struct dbsrc *src, char *err, size_t errlen)
{
	return src->be->open(&src->set, src->log, src->log_ctx, err, errlen);
}

/* src_free - the copies let go */
static void src_free(struct dbsrc *src)
{
	free(src->spec);
	if (src->password != NULL) {
		memset(src->password, 0, strlen(src->password));
		free(src->password);
	}
	free(src);
}

struct dbsrc *dbsrc_create(const struct dbsrc_settings *set, netdb_log_fn *log,
			   void *log_ctx, char *err, size_t errlen)
{
	struct dbsrc *src = xcalloc(1, sizeof(*src));
	void *db;

	src->set = *set;
	src->be = db_backend_find(set->spec);
	src->spec = xstrdup(set->spec);
	src->set.spec = src->spec;
	src->password = set->password ? xstrdup(set->password) : NULL;
	src->set.password = src->password;
	src->log = log;
	src->log_ctx = log_ctx;
	db = src_open(src, err, errlen);
	if (db == NULL) {
		src_free(src);
		return NULL;
	}
	src->be->close(db);
	atomic_init(&src->refs, 1);
	src->gen = atomic_fetch_add(&next_gen, 1);
	return src;
}

static struct dbsrc *src_ref(struct dbsrc *src)
{
	atomic_fetch_add(&src->refs, 1);
	return src;
}

void dbsrc_release(struct dbsrc **sp)
{
	struct dbsrc *src = *sp;

	*sp = NULL;
	if (src == NULL || atomic_fetch_sub(&src->refs, 1) != 1)
		return;
	src_free(src);
}

struct dbpool *dbpool_create(struct ev_loop *loop, unsigned nconns, size_t max_queued,
			     uint64_t timeout_ms)
{
	struct dbpool *p = xcalloc(1, sizeof(*p));

	pthread_once(&tl_once, tl_init);
	p->loop = loop;
	p->timeout_ms = timeout_ms;
	atomic_init(&p->closing, 0);
	p->q = workq_create(loop, nconns, max_queued);
	if (p->q == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void dbpool_set_source(struct dbpool *p, struct dbsrc *src)
{
	dbsrc_release(&p->src);
	p->src = src ? src_ref(src) : NULL;
}

/* worker_conn - this thread's connection to src, or NULL (backing off) */
static void *worker_conn(const struct dbsrc *src)
{
	struct tlconn *t = pthread_getspecific(tl_key);
	char err[512];
	uint64_t now;

	if (t == NULL) {
		t = xcalloc(1, sizeof(*t));
		if (pthread_setspecific(tl_key, t) != 0)
			abort();
	}
	if (t->db != NULL && t->gen != src->gen)
		tl_close(t);
	if (t->db != NULL)
		return t->db;
	now = mono_ms();
	if (t->backoff_ms > 0 && now < t->next_try_ms)
		return NULL;
	t->db = src_open(src, err, sizeof(err));
	if (t->db == NULL) {
		if (t->backoff_ms == 0 && src->log != NULL)
			src->log(src->log_ctx, err);	/* once per outage */
		t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : BACKOFF_FIRST_MS;
		if (t->backoff_ms > BACKOFF_MAX_MS)
			t->backoff_ms = BACKOFF_MAX_MS;
		t->next_try_ms = now + t->backoff_ms;
		return NULL;
	}
	t->backoff_ms = 0;
	t->gen = src->gen;
	t->be = src->be;
	return t->db;
}

/* job_work - worker thread: the lookup */
static void job_work(void *arg)
{
	struct dbpool_job *j = arg;
	void *db;

	j->result = -1;
	if (atomic_load(&j->expired) || atomic_load(&j->p->closing))
		return;
	db = worker_conn(j->src);
	if (db == NULL)
		return;
	j->result = j->src->be->allows(db, j->user, j->ulen, &j->addr);
	if (j->result < 0)
		tl_close(pthread_getspecific(tl_key));	/* reopened by the next lookup */
}

static void job_free(struct dbpool_job *j)
{
	dbsrc_release(&j->src);
	free(j);
}

/* job_done - loop thread: the answer, unless it was given or is not wanted */
static void job_done(void *arg)
{
	struct dbpool_job *j = arg;

	if (!j->answered && !j->abandoned) {
		ev_timer_cancel(j->p->loop, j->timer);
		j->answered = 1;
		j->done(j->ctx, j->result);
	}
	job_free(j);
}

/* job_expire - the timeout: answer -1 now; the job frees itself later */
static void job_expire(struct ev_loop *loop, void *arg)
{
	struct dbpool_job *j = arg;

	(void)loop;
	j->timer = 0;
	atomic_store(&j->expired, 1);
	if (!j->answered && !j->abandoned) {
		j->answered = 1;
		j->done(j->ctx, -1);
	}
}

/* job_refused - deferred: the queue was full */
static void job_refused(struct ev_loop *loop, void *arg)
{
	struct dbpool_job *j = arg;

	(void)loop;
	j->result = -1;
	job_done(j);
}

struct dbpool_job *dbpool_lookup(struct dbpool *p, const char *user, size_t ulen,
				 const struct cidr_addr *a, dbpool_done_fn *done, void *ctx)
{
	struct dbpool_job *j = xcalloc(1, sizeof(*j) + ulen + 1);

	j->p = p;
	j->src = p->src ? src_ref(p->src) : NULL;
	j->done = done;
	j->ctx = ctx;
	j->addr = *a;
	j->ulen = ulen;
	memcpy(j->user, user, ulen);
	atomic_init(&j->expired, 0);
	if (j->src == NULL || workq_submit(p->q, job_work, job_done, j) < 0) {
		ev_defer(p->loop, job_refused, j);
		return j;
	}
	j->timer = ev_timer_add(p->loop, p->timeout_ms, job_expire, j);
	return j;
}

void dbpool_abandon(struct dbpool_job *j)
{
	j->abandoned = 1;
	atomic_store(&j->expired, 1);
	if (j->timer != 0)
		ev_timer_cancel(j->p->loop, j->timer);
	j->timer = 0;
}

void dbpool_destroy(struct dbpool **pp)
{
	struct dbpool *p = *pp;

	if (p == NULL)
		return;
	atomic_store(&p->closing, 1);
	workq_destroy(&p->q);
	dbsrc_release(&p->src);
	free(p);
	*pp = NULL;
}
