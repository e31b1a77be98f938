/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench_null - a responder that does no work: the load generator's
 *	own ceiling
 * SYNOPSIS
 *	#include "harness/bench/bench_null.h"
 *
 *	void bench_null_reply(struct bench_null_conn *c, int kind,
 *	                      const char *in, size_t len, struct xbuf *out);
 *	int bench_null_start(const char *spec, int kind, int batching,
 *	                     pid_t *pid_r, char *err, size_t errlen);
 *	void bench_null_stop(pid_t pid, const char *spec);
 * DESCRIPTION
 *	bench_null_start() listens on spec (unix:PATH or inet:HOST:PORT)
 *	and serves it from a child process until bench_null_stop(): policy
 *	(kind BENCH_POLICY) "action=DUNNO" and the empty line for every
 *	request; auth (BENCH_AUTH) its handshake (VERSION, MECH PLAIN,
 *	SPID, CUID, COOKIE, DONE) after the client's CPID and "OK id
 *	user=null" for every AUTH. With batching, the reads of all ready
 *	connections, and then the replies, go in one io_uring_enter(2)
 *	each, as the generator does its own.
 *
 *	bench_null_reply() is the pure part: the replies due for bytes read
 *	on one connection, appended to out; c keeps what a line cut between
 *	two reads needs (an auth line longer than c->line is cut).
 * DIAGNOSTICS
 *	bench_null_start: 0, or -1 with a reason in err.
 */
#ifndef HARNESS_BENCH_BENCH_NULL_H
#define HARNESS_BENCH_BENCH_NULL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/xbuf.h"

/* per-connection parser state */
struct bench_null_conn {
	int last_nl;			/* policy: the last byte was LF */
	int hs_done;			/* auth: handshake sent */
	size_t linelen;			/* auth: bytes of a partial line kept */
	char line[512];
};

void bench_null_reply(struct bench_null_conn *c, int kind, const char *in, size_t len,
		      struct xbuf *out);
int bench_null_start(const char *spec, int kind, int batching, pid_t *pid_r, char *err,
		     size_t errlen);
void bench_null_stop(pid_t pid, const char *spec);

#endif
