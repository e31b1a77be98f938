/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_pool - database lookups on worker threads, answered in the loop
 * SYNOPSIS
 *	#include "reference/policyd/db_pool.h"
 *
 *	struct dbsrc *dbsrc_create(const struct dbsrc_settings *set,
 *	                           netdb_log_fn *log, void *log_ctx,
 *	                           char *err, size_t errlen);
 *	void dbsrc_release(struct dbsrc **src);
 *
 *	struct dbpool *dbpool_create(struct ev_loop *loop, unsigned nconns,
 *	                             size_t max_queued, uint64_t timeout_ms);
 *	void dbpool_set_source(struct dbpool *p, struct dbsrc *src);
 *	struct dbpool_job *dbpool_lookup(struct dbpool *p, const char *user,
 *	                             size_t ulen, const struct cidr_addr *a,
 *	                             dbpool_done_fn *done, void *ctx);
 *	void dbpool_abandon(struct dbpool_job *j);
 *	void dbpool_destroy(struct dbpool **p);
 * DESCRIPTION
 *	A dbsrc is what to open (db_backend.h: an SQLite file, or a
 *	MariaDB URL) with its --domain mode, immutable flag, per-query
 *	timeout and password (copied).
 *	dbsrc_create() opens it once to check it (the table must exist)
 *	and closes it again; sources are reference counted (lookups in
 *	flight keep theirs), and dbpool_set_source() makes a new one
 *	current (SIGHUP): each worker reopens its connection on its next
 *	lookup.
 *
 *	A dbpool runs lookups on nconns worker threads (workq.h), each
 *	with its own connection, opened on first use. dbpool_lookup()
 *	copies user and *a, queues the lookup and returns its job; done(ctx,
 *	result) is then called exactly once in the loop's thread: 1 the
 *	address is in one of the user's networks, 0 it is not, -1 the
 *	lookup failed, the queue was full, or no answer came within
 *	timeout_ms of the call (the timeout is kept by a loop timer; a
 *	worker still busy with a late query finishes it, and its result
 *	is dropped; a queued job whose time is up is not started). A
 *	failed query closes the worker's connection; the next lookup
 *	reopens it, and a failed open waits (100 ms, doubling up to 5 s)
 *	before that worker tries again, failing lookups at once meanwhile.
 *	dbpool_abandon() (the owner went away, loop thread): done is not
 *	called. dbpool_destroy() waits for the workers and closes their
 *	connections; pending jobs get done(ctx, -1) first.
 * DIAGNOSTICS
 *	dbsrc_create: NULL with the reason in err. dbpool_create: NULL if
 *	the threads cannot be started. dbpool_lookup: never NULL (a full
 *	queue answers -1 through done, from a deferred call). Failures are
 *	reported through the source's log callback, which must be thread
 *	safe (msg_warn is).
 */
#ifndef REFERENCE_POLICYD_DB_POOL_H
#define REFERENCE_POLICYD_DB_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "io/ev.h"
#include "reference/policyd/cidr.h"
#include "reference/policyd/db_backend.h"

struct dbsrc;
struct dbpool;
struct dbpool_job;
typedef void dbpool_done_fn(void *ctx, int result);

struct dbsrc *dbsrc_create(const struct dbsrc_settings *set, netdb_log_fn *log,
			   void *log_ctx, char *err, size_t errlen);
void dbsrc_release(struct dbsrc **src);

struct dbpool *dbpool_create(struct ev_loop *loop, unsigned nconns, size_t max_queued,
			     uint64_t timeout_ms);
void dbpool_set_source(struct dbpool *p, struct dbsrc *src);
struct dbpool_job *dbpool_lookup(struct dbpool *p, const char *user, size_t ulen,
				 const struct cidr_addr *a, dbpool_done_fn *done, void *ctx);
void dbpool_abandon(struct dbpool_job *j);
void dbpool_destroy(struct dbpool **p);

#endif
