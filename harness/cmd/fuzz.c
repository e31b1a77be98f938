/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - fake-smtpd fuzz: mutated requests on the wire against a helper
 * SYNOPSIS
 *	fake-smtpd fuzz --auth|--policy TARGET [options]
 * DESCRIPTION
 *	The command line of the wire fuzzer (harness/fuzz/): the seed
 *	is taken from the clock unless given, and printed; SIGINT and
 *	SIGTERM end the run with its summary. With --format json the
 *	summary is the only thing on stdout (fuzz_summary_json()); the
 *	first line and the finding lines go to stderr then.
 * DIAGNOSTICS
 *	Exit 0 no finding, 1 findings, 2 usage or environment error (an
 *	--out or --corpus path that is there and is not a directory, a
 *	target that never answered and gave no finding). A run that ended
 *	early says why on stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "harness/fuzz/fuzz.h"
#include "util/msg.h"
#include "util/strnum.h"

static const char usage_fuzz[] =
"usage: fake-smtpd fuzz --auth TARGET [options]\n"
"       fake-smtpd fuzz --policy TARGET [options]\n"
"\n"
"Sends protocol-aware, mutated requests to an auth helper (Dovecot auth protocol)\n"
"or a policy service, one connection at a time as a Postfix smtpd process does,\n"
"and reports what Postfix would suffer from: a helper that crashed (signal), that\n"
"exited or closed the connection where Postfix waits for a reply, a server that\n"
"stopped accepting connections, no reply where one is due, replies Postfix would\n"
"choke on. Findings are grouped by signature (kind, signal or exit status, the\n"
"helper's last line, what Postfix does, where); each signature is written once,\n"
"minimized, as a regression test: `fake-smtpd replay TARGET FILE` fails while the\n"
"bug is there and passes once the helper answers as Postfix needs.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"\n"
"  --seed N               the same N sends the same bytes (default: from the clock;\n"
"                         printed at the start)\n"
"  --duration T           stop after T (30s, 500ms, 2m; a bare number is seconds;\n"
"                         default 60s unless --iterations is given)\n"
"  --iterations N         stop after N execs (requests)\n"
"  --timeout T            wait this long for a reply that is due (default 3s;\n"
"                         Postfix waits 10 s for auth, 100 s for policy)\n"
"  --out DIR              write each signature as DIR/finding-NNN-KIND.tr\n"
"  --corpus DIR           keep the inputs that gave a new behaviour in DIR, and\n"
"                         start from those kept there by earlier runs\n"
"  --max-findings N       stop after N findings\n"
"  --reconnect-every N    a new connection after N execs (default 200)\n"
"  --no-minimize          write findings without dropping requests first\n";

enum { OPT_SEED = 's', OPT_DURATION = 'd', OPT_ITERATIONS = 'n', OPT_TIMEOUT = 't',
       OPT_OUT = 'o', OPT_MAX_FINDINGS = 'm', OPT_RECONNECT = 'r', OPT_NO_MINIMIZE = 'M',
       OPT_CORPUS = 'c' };

static const struct option opts_fuzz[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "corpus", required_argument, NULL, OPT_CORPUS },
	{ "max-findings", required_argument, NULL, OPT_MAX_FINDINGS },
	{ "reconnect-every", required_argument, NULL, OPT_RECONNECT },
	{ "no-minimize", no_argument, NULL, OPT_NO_MINIMIZE },
	{ NULL, 0, NULL, 0 },
};

struct fuzz_cli {
	struct fuzz_options o;
	int have_seed;
	int have_duration;
};

/* fuzz_opt - the options of fuzz */
static int fuzz_opt(void *ctx, int ch, const char *arg)
{
	struct fuzz_cli *k = ctx;
	uint64_t ms;

	switch (ch) {
	case OPT_SEED:
		if (str_to_uint64(arg, strlen(arg), &k->o.seed) < 0) {
			msg_error("--seed: want a number, not %s", arg);
			return -1;
		}
		k->have_seed = 1;
		return 0;
	case OPT_DURATION:
		if (cmd_duration_ms("--duration", arg, 1, UINT64_MAX, &ms) < 0)
			return -1;
		k->o.seconds = (double)ms / 1000.0;
		k->have_duration = 1;
		return 0;
	case OPT_ITERATIONS:
		if (str_to_uint64(arg, strlen(arg), &k->o.iterations) < 0 || k->o.iterations == 0) {
			msg_error("--iterations: want a number > 0, not %s", arg);
			return -1;
		}
		return 0;
	case OPT_TIMEOUT:
		if (cmd_duration_ms("--timeout", arg, 1, 600000, &ms) < 0)
			return -1;
		k->o.timeout_ms = (int)ms;
		return 0;
	case OPT_OUT: k->o.out = arg; return 0;
	case OPT_CORPUS: k->o.corpus = arg; return 0;
	case OPT_MAX_FINDINGS:
		return cmd_uint("--max-findings", arg, 1, 1000000, &k->o.max_findings);
	case OPT_RECONNECT:
		return cmd_uint("--reconnect-every", arg, 1, 1000000, &k->o.reconnect_every);
	case OPT_NO_MINIMIZE: k->o.minimize = 0; return 0;
	default:
		msg_panic("fuzz_opt: option %d", ch);
	}
}

/* fuzz_on_signal - end the run with its summary */
static void fuzz_on_signal(int sig)
{
	(void)sig;
	fuzz_request_stop();
}

/* dir_usable - DIR for --out or --corpus: absent (it will be made) or a directory */
static int dir_usable(const char *opt, const char *path)
{
	struct stat sb;

	if (path == NULL || stat(path, &sb) < 0 || S_ISDIR(sb.st_mode))
		return 0;
	msg_error("%s %s: exists and is not a directory", opt, path);
	return -1;
}

/* clock_seed - a seed from the clock and the pid, printed so it can be given again */
static uint64_t clock_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	return seed % 1000000000000ull;
}

/* cmd_fuzz_main - fake-smtpd fuzz */
int cmd_fuzz_main(int argc, char **argv)
{
	struct fuzz_cli k = { .o = { .timeout_ms = 3000, .reconnect_every = 200, .minimize = 1 } };
	const struct cmd_spec s = {
		.name = "fuzz", .usage = usage_fuzz,
		.shared = CMD_OPT_AUTH | CMD_OPT_POLICY | CMD_OPT_STDERR_APART | CMD_OPT_QUIET |
			  CMD_OPT_FORMAT | CMD_OPT_VERSION,
		.formats = CMD_FMT(REPORT_TEXT) | CMD_FMT(REPORT_JSON),
		.opts = opts_fuzz, .shortopts = "", .opt = fuzz_opt, .ctx = &k,
	};
	struct sigaction sa, old_int, old_term;
	struct fuzz_result res;
	struct cmd_common c;
	struct target t;
	const char *spec;
	char err[700], vt[120];
	int rc, json;

	rc = cmd_start(&s, &c, argc, argv);
	spec = c.auth != NULL ? c.auth : c.policy;
	k.o.proto = c.auth != NULL ? FUZZ_PROTO_AUTH : FUZZ_PROTO_POLICY;
	k.o.stderr_apart = c.stderr_apart;
	k.o.quiet = c.quiet;
	k.o.version = c.version;
	(void)cmd_version_text(&c, vt, sizeof(vt));
	json = c.format == REPORT_JSON;
	k.o.log = json ? stderr : stdout;
	cmd_common_free(&c);
	if (rc >= 0)
		return rc;
	if (spec == NULL || c.nargs != 0) {
		msg_error("fuzz needs --auth TARGET or --policy TARGET and no other arguments "
			  "(see fake-smtpd fuzz --help)");
		return CMD_EXIT_USAGE;
	}
	if (!k.have_duration && k.o.iterations == 0)
		k.o.seconds = 60;
	if (!k.have_seed)
		k.o.seed = clock_seed();
	if (dir_usable("--out", k.o.out) < 0 || dir_usable("--corpus", k.o.corpus) < 0 ||
	    cmd_target(spec, &t) < 0)
		return CMD_EXIT_USAGE;
	k.o.target = &t;
	k.o.target_text = spec;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fuzz_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, &old_int);
	(void)sigaction(SIGTERM, &sa, &old_term);
	if (!json || !k.o.quiet)
		fprintf(k.o.log, "fake-smtpd fuzz: %s %s as Postfix %s, seed %llu, timeout %d ms\n",
			k.o.proto == FUZZ_PROTO_AUTH ? "auth" : "policy", spec, vt,
			(unsigned long long)k.o.seed, k.o.timeout_ms);
	fflush(k.o.log);
	rc = fuzz_run(&k.o, &res, err, sizeof(err));
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigaction(SIGTERM, &old_term, NULL);
	if (rc < 0) {
		msg_error("fuzz: %s", err);
		fuzz_result_free(&res);
		target_free(&t);
		return CMD_EXIT_USAGE;
	}
	if (json)
		fuzz_summary_json(stdout, &k.o, &res);
	else
		fuzz_summary_text(stdout, &k.o, &res);
	if (res.stopped[0])
		msg_warn("fuzz: stopped: %s", res.stopped);
	rc = fuzz_result_findings(&res) ? CMD_EXIT_FAIL : res.unusable ? CMD_EXIT_USAGE : CMD_EXIT_OK;
	fuzz_result_free(&res);
	target_free(&t);
	return rc;
}
