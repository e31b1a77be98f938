/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench - load an auth helper the way Postfix does, and measure it
 * SYNOPSIS
 *	#include "harness/run/bench.h"
 *
 *	int bench_auth_run(const struct bench_options *o, struct bench_result *r,
 *	                   char *err, size_t errlen);
 *	void bench_print(const struct bench_options *o, const struct bench_result *r,
 *	                 int json, FILE *out);
 *	int bench_main(int argc, char **argv);	(fake-smtpd bench)
 * DESCRIPTION
 *	N connections, each like one smtpd process: the Postfix handshake,
 *	then AUTH PLAIN requests with one in flight (or o->pipeline), ids
 *	from the connection's own counter, resp= with the account's
 *	credentials; o->wrong_percent of the requests use a wrong password.
 *	Every reply is verified: the id must be the request's and the
 *	verdict (OK or FAIL) the expected one; anything else is counted as
 *	an error by kind. A warm-up period is not measured. Latency is
 *	recorded per reply (microseconds) and reported as p50, p90, p99,
 *	p99.9 and max. One thread, epoll, non-blocking sockets: the
 *	generator itself should never be the bottleneck (measure it against
 *	a null responder to see its ceiling).
 * DIAGNOSTICS
 *	bench_auth_run: 0, or -1 when the target cannot be used (err).
 */
#ifndef HARNESS_RUN_BENCH_H
#define HARNESS_RUN_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/io/target.h"

struct bench_options {
	const struct target *target;
	const char *user;
	const char *password;
	unsigned connections;
	unsigned pipeline;		/* requests in flight per connection */
	double seconds;
	double warmup;
	unsigned wrong_percent;
	int quiet;			/* no live status line */
};

struct bench_result {
	uint64_t ok, fail;		/* verified replies */
	uint64_t err_wrong_id, err_malformed, err_verdict, err_disconnect, err_timeout;
	double elapsed;
	uint64_t p50, p90, p99, p999, max;	/* microseconds */
};

int bench_auth_run(const struct bench_options *o, struct bench_result *r, char *err,
		   size_t errlen);
void bench_print(const struct bench_options *o, const struct bench_result *r, int json,
		 FILE *out);
int bench_main(int argc, char **argv);

#endif
