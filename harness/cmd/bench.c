/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	bench - fake-smtpd bench: load a helper as Postfix does, time every reply
 * SYNOPSIS
 *	fake-smtpd bench --auth TARGET --user U --password P [options]
 *	fake-smtpd bench --policy TARGET [--expect-action A] [options]
 *	fake-smtpd bench --null-responder (--auth|--policy) unix:PATH|inet:HOST:PORT ...
 * DESCRIPTION
 *	The command line of the load generator (harness/bench/); with
 *	--null-responder it starts the built-in responder on TARGET first,
 *	loads it, stops it and adds its CPU time to the result.
 * DIAGNOSTICS
 *	Exit 0 every reply verified, 1 an error counted (wrong id, malformed,
 *	wrong verdict, disconnect, timeout), 2 usage or environment error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/bench/bench.h"
#include "harness/bench/bench_null.h"
#include "harness/cmd/cmd.h"
#include "util/msg.h"
#include "util/strnum.h"

static const char usage_bench[] =
"usage: fake-smtpd bench --auth TARGET --user U --password P [options]\n"
"       fake-smtpd bench --policy TARGET [--expect-action A] [options]\n"
"       fake-smtpd bench --null-responder (--auth|--policy) unix:PATH|inet:HOST:PORT ...\n"
"\n"
"Loads a helper the way Postfix does: each connection is one smtpd process\n"
"with one request in flight; every reply is verified, never just counted.\n"
"\n"
"  -c, --connections N   connections (default 8)\n"
"      --pipeline K      requests in flight per connection (default 1, max 64)\n"
"  -d, --duration S      measured seconds (default 5)\n"
"  -n, --requests N      stop after N measured replies instead\n"
"      --warmup S        unmeasured seconds first (default 1)\n"
"      --timeout MS      a request unanswered this long is an error (default 10000)\n"
"      --null-responder  serve TARGET with a built-in responder that does no\n"
"                        work, and load it: the generator's own ceiling\n"
"      --batching yes|no the reads of all ready connections, and then the\n"
"                        requests, each in one io_uring_enter(2) per loop\n"
"                        iteration (also in the null responder), where the\n"
"                        kernel allows it; no: one read/send each (yes)\n"
"auth:\n"
"      --users N         with --users N, a %u in --user cycles 0..N-1\n"
"      --wrong PERCENT   share of requests with a wrong password (default 0)\n"
"policy:\n"
"      --state S         protocol_state (default RCPT)\n"
"      --set NAME=VALUE  change an attribute (empty value: delete it); repeatable\n"
"      --vary-client N   client_address cycles through N addresses 10.x.y.z\n"
"      --vary-user N     sasl_username cycles through N names\n"
"      --user-pattern P  names for --vary-user (default user%u)\n"
"      --expect-action A every action must be A (trailing * : prefix; the\n"
"                        keyword compares case-insensitively); repeatable:\n"
"                        any of them\n";

enum { OPT_USERS = 'U', OPT_CONNECTIONS = 'c', OPT_PIPELINE = 'k', OPT_DURATION = 'd',
       OPT_REQUESTS = 'n', OPT_WARMUP = 'w', OPT_TIMEOUT = 't', OPT_WRONG = 'x',
       OPT_STATE = 'S', OPT_SET = 's', OPT_VARY_CLIENT = 'C', OPT_VARY_USER = 'Y',
       OPT_USER_PATTERN = 'R', OPT_EXPECT_ACTION = 'e', OPT_NULL = 'N', OPT_BATCHING = 'B' };

static const struct option opts_bench[] = {
	{ "users", required_argument, NULL, OPT_USERS },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "requests", required_argument, NULL, OPT_REQUESTS },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "wrong", required_argument, NULL, OPT_WRONG },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "set", required_argument, NULL, OPT_SET },
	{ "vary-client", required_argument, NULL, OPT_VARY_CLIENT },
	{ "vary-user", required_argument, NULL, OPT_VARY_USER },
	{ "user-pattern", required_argument, NULL, OPT_USER_PATTERN },
	{ "expect-action", required_argument, NULL, OPT_EXPECT_ACTION },
	{ "null-responder", no_argument, NULL, OPT_NULL },
	{ "batching", required_argument, NULL, OPT_BATCHING },
	{ NULL, 0, NULL, 0 },
};

struct bench_cli {
	struct bench_options o;
	int null;
};

/* seconds - --duration / --warmup: a number of seconds in [lo, hi] */
static int seconds(const char *opt, const char *arg, double lo, double hi, double *v_r)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !(v >= lo) || v > hi) {
		msg_error("bench: bad value for %s: %s", opt, arg);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* bench_number - the numeric options: name, range, where it goes */
static int bench_number(struct bench_options *o, int ch, const char *arg)
{
	unsigned v;

	switch (ch) {
	case OPT_USERS: return cmd_uint("--users", arg, 0, 16777216, &o->users);
	case OPT_CONNECTIONS: return cmd_uint("--connections", arg, 1, 100000, &o->connections);
	case OPT_PIPELINE:
		return cmd_uint("--pipeline", arg, 1, BENCH_MAX_PIPELINE, &o->pipeline);
	case OPT_TIMEOUT: return cmd_uint("--timeout", arg, 1, 3600000, &o->timeout_ms);
	case OPT_WRONG: return cmd_uint("--wrong", arg, 0, 100, &o->wrong_percent);
	case OPT_VARY_CLIENT:
		return cmd_uint("--vary-client", arg, 0, 16777216, &o->vary_clients);
	case OPT_VARY_USER: return cmd_uint("--vary-user", arg, 0, 16777216, &o->vary_users);
	case OPT_REQUESTS:
		if (cmd_uint("--requests", arg, 1, 4000000000u, &v) < 0)
			return -1;
		o->requests = v;
		o->seconds = 0;
		return 0;
	case OPT_DURATION:
		if (seconds("--duration", arg, 1e-9, 3600, &o->seconds) < 0)
			return -1;
		o->requests = 0;
		return 0;
	case OPT_WARMUP: return seconds("--warmup", arg, 0, 600, &o->warmup);
	default:
		msg_panic("bench_number: option %d", ch);
	}
}

/* bench_opt - the options of bench */
static int bench_opt(void *ctx, int ch, const char *arg)
{
	struct bench_cli *k = ctx;
	struct bench_options *o = &k->o;
	int yes;

	switch (ch) {
	case OPT_USER_PATTERN: o->user_pattern = arg; return 0;
	case OPT_EXPECT_ACTION:
		if (o->nexpect == BENCH_MAX_EXPECT) {
			msg_error("bench: more than %d --expect-action", BENCH_MAX_EXPECT);
			return -1;
		}
		o->expect[o->nexpect++] = arg;
		return 0;
	case OPT_NULL: k->null = 1; return 0;
	case OPT_BATCHING:
		if (str_to_yesno(arg, &yes) < 0) {
			msg_error("bench: bad value for --batching: %s", arg);
			return -1;
		}
		o->no_batching = !yes;
		return 0;
	case OPT_STATE:
		if (pf_pol_state_parse(arg, &o->state) < 0) {
			msg_error("bench: bad value for --state: %s", arg);
			return -1;
		}
		return 0;
	case OPT_SET:
		if (o->nset == BENCH_MAX_SET) {
			msg_error("bench: more than %d --set", BENCH_MAX_SET);
			return -1;
		}
		o->set[o->nset++] = arg;
		return 0;
	default:
		return bench_number(o, ch, arg);
	}
}

/* check_combination - what the options allow together; 0, or -1 said why */
static int check_combination(struct bench_cli *k, const struct target *t)
{
	if (k->null && k->o.kind == BENCH_AUTH && k->o.user == NULL && k->o.password == NULL) {
		k->o.user = "null";
		k->o.password = "null";
	}
	if (k->o.kind == BENCH_AUTH && (k->o.user == NULL || k->o.password == NULL)) {
		msg_error("bench --auth needs --user U --password P");
		return -1;
	}
	if (k->null && k->o.kind == BENCH_AUTH && k->o.wrong_percent > 0) {
		msg_error("bench: the null responder answers OK to everything; "
			  "--wrong cannot be verified against it");
		return -1;
	}
	if (k->null && t->kind == TARGET_SPAWN) {
		msg_error("bench: the null responder listens on unix: or inet:");
		return -1;
	}
	return 0;
}

/* run - the load, with the null responder around it when asked */
static int run(struct bench_cli *k, const char *spec, struct bench_result *r)
{
	char err[700];
	pid_t npid = 0;
	int rc;

	if (k->null && bench_null_start(spec, (int)k->o.kind, !k->o.no_batching, &npid, err,
					sizeof(err)) < 0) {
		msg_error("null responder: %s", err);
		return -1;
	}
	if (!isatty(STDERR_FILENO))
		k->o.quiet = 1;
	rc = bench_run(&k->o, r, err, sizeof(err));
	if (k->null) {
		struct rusage ru;

		bench_null_stop(npid, spec);
		/* the responder was this process's only child: its CPU time */
		if (rc == 0 && getrusage(RUSAGE_CHILDREN, &ru) == 0)
			r->server_cpu_s = (double)ru.ru_utime.tv_sec +
					  (double)ru.ru_utime.tv_usec / 1e6 +
					  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	}
	if (rc < 0)
		msg_error("%s", err);
	return rc;
}

/* cmd_bench_main - fake-smtpd bench */
int cmd_bench_main(int argc, char **argv)
{
	struct bench_cli k = {
		.o = { .connections = 8, .pipeline = 1, .seconds = 5, .warmup = 1,
		       .timeout_ms = 10000, .state = PF_POL_RCPT },
	};
	const struct cmd_spec s = {
		.name = "bench", .usage = usage_bench,
		.shared = CMD_OPT_AUTH | CMD_OPT_POLICY | CMD_OPT_ACCOUNT | CMD_OPT_VERSION |
			  CMD_OPT_FORMAT | CMD_OPT_QUIET,
		.formats = CMD_FMT(REPORT_TEXT) | CMD_FMT(REPORT_JSON),
		.opts = opts_bench, .shortopts = "c:d:n:", .opt = bench_opt, .ctx = &k,
	};
	struct bench_result r;
	struct cmd_common c;
	struct target t;
	const char *spec;
	int rc;

	rc = cmd_start(&s, &c, argc, argv);
	cmd_common_free(&c);
	if (rc >= 0)
		return rc;
	spec = c.auth != NULL ? c.auth : c.policy;
	if (spec == NULL || c.nargs != 0) {
		msg_error("bench needs --auth TARGET or --policy TARGET (fake-smtpd bench --help)");
		return CMD_EXIT_USAGE;
	}
	k.o.kind = c.auth != NULL ? BENCH_AUTH : BENCH_POLICY;
	k.o.user = c.user;
	k.o.password = c.password;
	k.o.version = c.version;
	k.o.quiet = c.quiet;
	if (cmd_target(spec, &t) < 0)
		return CMD_EXIT_USAGE;
	if (check_combination(&k, &t) < 0 || (k.o.target = &t, run(&k, spec, &r) < 0)) {
		target_free(&t);
		return CMD_EXIT_USAGE;
	}
	bench_print(&k.o, &r, c.format == REPORT_JSON, stdout);
	target_free(&t);
	return (r.err_wrong_id + r.err_malformed + r.err_verdict + r.err_disconnect +
		r.err_timeout) ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
