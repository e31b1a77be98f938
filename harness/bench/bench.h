/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench - load an auth helper or a policy service the way Postfix does,
 *	and measure it
 * SYNOPSIS
 *	#include "harness/bench/bench.h"
 *
 *	int bench_run(const struct bench_options *o, struct bench_result *r,
 *	              char *err, size_t errlen);
 *	void bench_print(const struct bench_options *o, const struct bench_result *r,
 *	                 int json, FILE *out);
 *
 *	Pure parts (tested on their own)
 *	int bench_tmpl_build(struct bench_tmpl *t, const struct bench_options *o,
 *	                     char *err, size_t errlen);
 *	void bench_tmpl_free(struct bench_tmpl *t);
 *	int bench_tmpl_request(const struct bench_tmpl *t, unsigned long seq,
 *	                       struct xbuf *out);
 *	int bench_expect_match(const char *want, const char *action, size_t len);
 *	uint64_t bench_percentile(const uint32_t *sorted, size_t n, double p);
 * * DESCRIPTION
 *	N connections, each like one smtpd process, with one request in
 *	flight (or o->pipeline), for o->seconds after o->warmup unmeasured
 *	seconds, or until o->requests replies were measured.
 *
 *	Auth (BENCH_AUTH): the Postfix handshake, then AUTH PLAIN requests,
 *	ids from the connection's own counter, resp= with the account's
 *	credentials; o->wrong_percent of the requests use a wrong password.
 *	With o->users > 0 and a "%u" in o->user, the user name cycles
 *	through user%u for 0..users-1. Every reply is verified: the id must
 *	be the request's and the verdict (OK or FAIL) the expected one.
 *
 *	Policy (BENCH_POLICY): requests as Postfix o->version sends them at
 *	o->state (pf_pol_req_init), changed by o->set ("name=value", an
 *	empty value deletes the attribute). With o->vary_clients > 0,
 *	client_address cycles through 10.x.y.z addresses (request i uses
 *	number i mod vary_clients); with o->vary_users > 0, sasl_username
 *	cycles through o->user_pattern ("%u" replaced by i mod vary_users,
 *	default "user%u"). Replies are answered in order; each must be
 *	name=value lines with exactly one action= and the empty line; with
 *	o->expect the action must match one of them (bench_expect_match).
 *
 *	r->client_cpu_s is the generator's own user+system time from the
 *	first request to the end (warm-up included, like r->total).
 *
 *	Errors by kind: wrong id (auth), malformed, verdict (wrong OK/FAIL
 *	or action), disconnect, timeout (a request unanswered for
 *	o->timeout_ms; a connection without its handshake, or, in a timed
 *	run, without a single reply, at the end).
 *	Latency is recorded per reply (microseconds) and reported as p50,
 *	p90, p99, p99.9 and max. One thread, epoll, non-blocking sockets:
 *	the generator should never be the bottleneck. Each loop iteration
 *	reads every ready connection with one io_uring_enter (the replies
 *	land in the connections' line buffers and are checked in place),
 *	queues the next requests of all of them in one buffer (prebuilt
 *	template bytes, the varying values written without printf), and
 *	sends them with another io_uring_enter; with o->no_batching, or
 *	where the kernel refuses io_uring, one read(2) and one send(2) per
 *	connection instead. The null responder (bench_null.h) answers with
 *	the same transport and no work, so the generator's own ceiling can
 *	be measured.
 *
 *	bench_expect_match(): want matches an action exactly; a want ending
 *	in "*" matches every action that starts with the rest; the first
 *	word (the access(5) keyword) compares case-insensitively, as
 *	Postfix reads it.
 * DIAGNOSTICS
 *	bench_run: 0, or -1 when the target cannot be used (err).
 *	bench_tmpl_build: 0, or -1 with a reason (bad name=value, unknown
 *	state).
 */
#ifndef HARNESS_BENCH_BENCH_H
#define HARNESS_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_policy.h"
#include "util/xbuf.h"

#define BENCH_MAX_PIPELINE	64
#define BENCH_MAX_SET		64
#define BENCH_MAX_EXPECT	8

enum bench_kind {
	BENCH_AUTH,
	BENCH_POLICY,
};

struct bench_options {
	enum bench_kind kind;
	const struct target *target;
	unsigned connections;
	unsigned pipeline;		/* requests in flight per connection */
	double seconds;
	double warmup;
	unsigned long requests;		/* stop after this many measured replies; 0: no */
	unsigned timeout_ms;		/* a request unanswered this long is an error */
	int quiet;			/* no live status line */
	int no_batching;		/* one read/send per connection, no io_uring */
	/* auth */
	const char *user;
	const char *password;
	unsigned users;
	unsigned wrong_percent;
	/* policy */
	struct pf_version version;
	enum pf_pol_state state;
	const char *set[BENCH_MAX_SET];	/* "name=value" */
	size_t nset;
	unsigned vary_clients, vary_users;
	const char *user_pattern;
	const char *expect[BENCH_MAX_EXPECT];	/* any of these actions */
	size_t nexpect;
};

struct bench_result {
	uint64_t ok, fail;		/* verified replies (policy: all in ok) */
	uint64_t total;			/* replies, warm-up included */
	double server_cpu_s;		/* the null responder's CPU time, or -1 */
	double client_cpu_s;		/* the generator's own CPU time (all replies) */
	uint64_t err_wrong_id, err_malformed, err_verdict, err_disconnect, err_timeout;
	double elapsed;
	uint64_t p50, p90, p99, p999, max;	/* microseconds */
	char first_error[256];		/* what the first error was */
};

/* a policy request split where the varying values go */
struct bench_tmpl {
	struct xbuf head;		/* up to the client_address value */
	struct xbuf mid;		/* between it and the sasl_username value */
	struct xbuf tail;
	int client_first;		/* client_address comes before sasl_username */
	unsigned vary_clients, vary_users;
	const char *user_pattern;
	struct xbuf fixed;		/* the whole request when nothing varies */
};

int bench_run(const struct bench_options *o, struct bench_result *r, char *err, size_t errlen);
void bench_print(const struct bench_options *o, const struct bench_result *r, int json,
		 FILE *out);

int bench_tmpl_build(struct bench_tmpl *t, const struct bench_options *o, char *err,
		     size_t errlen);
void bench_tmpl_free(struct bench_tmpl *t);
int bench_tmpl_request(const struct bench_tmpl *t, unsigned long seq, struct xbuf *out);
int bench_expect_match(const char *want, const char *action, size_t len);
uint64_t bench_percentile(const uint32_t *sorted, size_t n, double p);

#endif
