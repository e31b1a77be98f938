/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fake-smtpd - talk to auth helpers and policy services as Postfix's smtpd does, and judge them
 * SYNOPSIS
 *	fake-smtpd replay [options] TARGET TRANSCRIPT...
 *	fake-smtpd record --listen ADDR --upstream TARGET -o FILE [options]
 *	fake-smtpd check --auth TARGET [options]
 *	fake-smtpd check --policy TARGET [options] [TRANSCRIPT...]
 *	fake-smtpd check --list
 *	fake-smtpd bench --auth|--policy TARGET [options]
 *	fake-smtpd fuzz --auth|--policy TARGET [options]
 * DESCRIPTION
 *	Command line only: options are parsed here and handed to the check
 *	engine (harness/run). Subcommands are a table so that more slot in.
 * DIAGNOSTICS
 *	Exit 0 all checks passed, 1 a check failed, 2 usage or environment
 *	error (unreachable target, helper that cannot be started).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/run/bench.h"
#include "harness/run/catalogue.h"
#include "harness/run/check_auth.h"
#include "harness/run/check_policy.h"
#include "harness/run/fuzz.h"
#include "harness/run/record.h"
#include "harness/run/replay.h"
#include "harness/run/report.h"
#include "harness/script/transcript.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: fake-smtpd COMMAND [options] ...\n"
"\n"
"  replay TARGET TRANSCRIPT...   replay transcripts, check expectations\n"
"  record --listen ADDR --upstream TARGET -o FILE\n"
"                                proxy between Postfix and a helper, write a transcript\n"
"  check --auth TARGET           run the conformance catalogue\n"
"  check --policy TARGET         the policy half of the catalogue\n"
"  bench --auth|--policy TARGET  load a helper as Postfix does, verify and time every reply\n"
"  fuzz --auth|--policy TARGET   send mutated requests; report crashes, hangs, bad replies\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"`fake-smtpd COMMAND --help` describes each command; man fake-smtpd (docs/fake-smtpd.1).\n"
"Exit status: 0 all passed, 1 a check failed, 2 usage, environment or transcript error.\n");
}

static void usage_check(FILE *fp)
{
	fprintf(fp,
"usage: fake-smtpd check --auth TARGET [options]\n"
"       fake-smtpd check --list\n"
"\n"
"Talks to a Dovecot-protocol auth helper exactly as Postfix's smtpd does and\n"
"reports, for every check, what real Postfix would have answered.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"        (spawn: the helper gets the connection on stdin/stdout and, as under\n"
"        master.cf spawn, stderr; --stderr-apart keeps stderr separate)\n"
"\n"
"  --auth TARGET          the auth helper to check\n"
"  --user U --password P  a test account (checks that need one are skipped without)\n"
"  --postfix-version V    judge as Postfix V (default 3.7; e.g. 3.9, 3.12-20260710)\n"
"  --time-scale F         multiply Postfix's 10 s timeouts by F (e.g. 0.1 in CI);\n"
"                         the report still names the real consequence\n"
"  --only IDS, --skip IDS comma-separated check ids, id prefixes or (data\n"
"                         checks) tags\n"
"  --catalogue DIR        data checks (default corpus/conformance/auth when it\n"
"                         exists); --no-catalogue runs the built-in checks only\n"
"  -D NAME=VALUE          a variable for the data checks (user and password\n"
"                         come from --user and --password)\n"
"  --format text|tap      report format (default text)\n"
"  --stderr-apart         spawn: capture the helper's stderr separately\n"
"  --list                 list the checks\n"
"  -v, --verbose          show the wire log of passing checks too\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 all passed, 1 a check failed, 2 usage or environment error.\n");
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "auth", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "postfix-version", required_argument, NULL, 'V' },
		{ "time-scale", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "skip", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "stderr-apart", no_argument, NULL, 'e' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "catalogue", required_argument, NULL, 'c' },
		{ "no-catalogue", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_auth_options o;
	const char *auth = NULL;
	enum report_format fmt = REPORT_TEXT;
	struct target t;
	struct report r;
	char err[600];
	int ch, verbose = 0, failed;
	int list = 0, nocat = 0, rc = 2;
	const char *catdir = NULL;
	struct catalogue cat;
	struct tvars defs;
	struct stat sb;
	size_t i;

	/* check --policy: its own options (harness/run/check_policy.c) */
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--policy") == 0 || strncmp(argv[ch], "--policy=", 9) == 0)
			return check_policy_main(argc, argv);
	memset(&o, 0, sizeof(o));
	memset(&cat, 0, sizeof(cat));
	tvars_init(&defs);
	o.time_scale = 1.0;
	(void)pf_version_parse("3.7", &o.version);
	while ((ch = getopt_long(argc, argv, "D:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': auth = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password = optarg; break;
		case 'V':
			if (pf_version_parse(optarg, &o.version) < 0) {
				fprintf(stderr, "fake-smtpd: --postfix-version: not a Postfix version: %s\n",
					optarg);
				goto out;
			}
			break;
		case 't': {
			char *end;

			o.time_scale = strtod(optarg, &end);
			if (*end != '\0' || !(o.time_scale > 0) || o.time_scale > 10) {
				fprintf(stderr, "fake-smtpd: --time-scale: want a number in (0, 10]: %s\n",
					optarg);
				goto out;
			}
			break;
		}
		case 'o': o.only = optarg; break;
		case 's': o.skip = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = REPORT_TEXT;
			else if (strcmp(optarg, "tap") == 0)
				fmt = REPORT_TAP;
			else {
				fprintf(stderr, "fake-smtpd: --format: want text or tap, not %s\n", optarg);
				goto out;
			}
			break;
		case 'e': o.stderr_apart = 1; break;
		case 'l': list = 1; break;
		case 'c': catdir = optarg; break;
		case 'n': nocat = 1; break;
		case 'D': {
			char derr[TPAT_MAX_NAME + 200];

			if (tvars_define(&defs, optarg, derr, sizeof(derr)) < 0) {
				fprintf(stderr, "fake-smtpd: %s\n", derr);
				goto out;
			}
			break;
		}
		case 'v': verbose = 1; break;
		case 'h': usage_check(stdout); rc = 0; goto out;
		default: usage_check(stderr); goto out;
		}
	}
	/* the auth catalogue: loaded (and every transcript parsed) before anything is sent */
	if (catdir == NULL && !nocat && stat("corpus/conformance/auth", &sb) == 0 &&
	    S_ISDIR(sb.st_mode))
		catdir = "corpus/conformance/auth";
	if (nocat)
		catdir = NULL;
	if (catalogue_load(&cat, catdir, NULL, 0, TPROTO_AUTH, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		goto out;
	}
	o.catalogue = &cat;
	o.defines = &defs;
	if (list) {
		check_auth_list(stdout);
		for (i = 0; i < cat.n; i++)
			printf("%-18s [%s] %s%s%s%s\n", cat.v[i]->ci.id,
			       report_severity_name(cat.v[i]->ci.severity), cat.v[i]->ci.title,
			       cat.v[i]->m.tags[0] ? " (tags: " : "", cat.v[i]->m.tags,
			       cat.v[i]->m.tags[0] ? ")" : "");
		rc = 0;
		goto out;
	}
	if (auth == NULL || optind != argc) {
		fprintf(stderr, "fake-smtpd: check needs --auth TARGET (see --help)\n");
		goto out;
	}
	if (target_parse(auth, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		goto out;
	}
	o.target = &t;
	report_init(&r, fmt, stdout, verbose);
	if (fmt == REPORT_TEXT)
		printf("fake-smtpd: checking auth helper %s as Postfix %u.%u would\n", auth,
		       o.version.major, o.version.minor);
	if (check_auth_run(&o, &r) < 0) {
		(void)report_finish(&r);
		target_free(&t);
		goto out;
	}
	failed = report_finish(&r);
	target_free(&t);
	rc = failed ? 1 : 0;
out:
	catalogue_free(&cat);
	tvars_free(&defs);
	return rc;
}

static void usage_replay(FILE *fp)
{
	fprintf(fp,
"usage: fake-smtpd replay [options] TARGET TRANSCRIPT...\n"
"\n"
"Parses every transcript first (a broken one stops the run with file:line and\n"
"exit 2 before anything is sent), then replays each on a fresh connection to\n"
"TARGET, speaking as Postfix's smtpd does, and reports every step with what\n"
"Postfix would have answered. The language is described in docs/transcripts.md.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"        (spawn: stdin, stdout and stderr are the connection, as under master.cf\n"
"        spawn; --stderr-apart captures stderr and shows it in the report)\n"
"\n"
"  -D NAME=VALUE          set a transcript variable (${user}, ${password}, ...)\n"
"  --postfix-version V    speak and judge as Postfix V (default 3.7)\n"
"  --client C             auth: postfix (default), dovecot-2, dovecot-3, dovecot-4\n"
"                         (VERSION minor Dovecot's own client announces)\n"
"  --time-scale F         multiply Postfix's timeouts (10 s auth, 100 s policy,\n"
"                         1 s retry delay) by F; --fast is --time-scale 0.05\n"
"  --first-id N           first AUTH request id (default 1)\n"
"  --lip ADDR --rip ADDR  AUTH lip=/rip= (default 127.0.0.1)\n"
"  --policy-try-limit N   smtpd_policy_service_try_limit (default 2)\n"
"  --policy-request-limit N  smtpd_policy_service_request_limit (default 0)\n"
"  --policy-default-action TEXT  (default \"451 4.3.5 Server configuration problem\")\n"
"  --format text|tap|junit|json  report format (default text)\n"
"  --stderr-apart         spawn: keep the helper's stderr off the connection\n"
"  -v, --verbose          show the steps of passing transcripts too\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 all passed, 1 a check failed, 2 usage, environment or transcript\n"
"error. The last line is \"N passed, N failed\" (on stderr for junit and json).\n");
}

static int parse_uint_arg(const char *opt, const char *s, unsigned max, unsigned *v_r)
{
	unsigned v;

	if (str_to_uint(s, strlen(s), &v) < 0 || v > max) {
		fprintf(stderr, "fake-smtpd: %s: want a number 0-%u, not %s\n", opt, max, s);
		return -1;
	}
	*v_r = v;
	return 0;
}

static int parse_scale(const char *s, double *v_r)
{
	char *end;

	*v_r = strtod(s, &end);
	if (*end != '\0' || !(*v_r > 0) || *v_r > 10) {
		fprintf(stderr, "fake-smtpd: --time-scale: want a number in (0, 10]: %s\n", s);
		return -1;
	}
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "define", required_argument, NULL, 'D' },
		{ "postfix-version", required_argument, NULL, 'V' },
		{ "client", required_argument, NULL, 'c' },
		{ "time-scale", required_argument, NULL, 't' },
		{ "fast", no_argument, NULL, 'F' },
		{ "first-id", required_argument, NULL, 'i' },
		{ "lip", required_argument, NULL, 'L' },
		{ "rip", required_argument, NULL, 'R' },
		{ "policy-try-limit", required_argument, NULL, 'T' },
		{ "policy-request-limit", required_argument, NULL, 'Q' },
		{ "policy-default-action", required_argument, NULL, 'A' },
		{ "format", required_argument, NULL, 'f' },
		{ "stderr-apart", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_options o;
	struct tvars defs;
	struct transcript *ts = NULL;
	enum report_format fmt = REPORT_TEXT;
	struct target t;
	struct report r;
	char err[700];
	int ch, verbose = 0, rc = 2, i, nts = 0, errors = 0, failed = 0;

	replay_options_init(&o);
	tvars_init(&defs);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "D:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': {
			char derr[TPAT_MAX_NAME + 200];

			if (tvars_define(&defs, optarg, derr, sizeof(derr)) < 0) {
				fprintf(stderr, "fake-smtpd: %s\n", derr);
				goto out;
			}
			break;
		}
		case 'V':
			if (pf_version_parse(optarg, &o.version) < 0) {
				fprintf(stderr, "fake-smtpd: --postfix-version: not a Postfix version: %s\n",
					optarg);
				goto out;
			}
			break;
		case 'c':
			if (strcmp(optarg, "postfix") == 0)
				o.client = REPLAY_CLIENT_POSTFIX;
			else if (strcmp(optarg, "dovecot-2") == 0)
				o.client = REPLAY_CLIENT_DOVECOT_2;
			else if (strcmp(optarg, "dovecot-3") == 0)
				o.client = REPLAY_CLIENT_DOVECOT_3;
			else if (strcmp(optarg, "dovecot-4") == 0)
				o.client = REPLAY_CLIENT_DOVECOT_4;
			else {
				fprintf(stderr, "fake-smtpd: --client: want postfix, dovecot-2, dovecot-3 "
					"or dovecot-4, not %s\n", optarg);
				goto out;
			}
			break;
		case 't':
			if (parse_scale(optarg, &o.time_scale) < 0)
				goto out;
			break;
		case 'F': o.time_scale = 0.05; break;
		case 'i':
			if (parse_uint_arg("--first-id", optarg, 4000000000u, &o.first_id) < 0)
				goto out;
			if (o.first_id == 0) {
				fprintf(stderr, "fake-smtpd: --first-id: ids start at 1\n");
				goto out;
			}
			break;
		case 'L': o.lip = optarg; break;
		case 'R': o.rip = optarg; break;
		case 'T':
			if (parse_uint_arg("--policy-try-limit", optarg, 100, &o.policy_try_limit) < 0)
				goto out;
			if (o.policy_try_limit == 0)
				o.policy_try_limit = 1;
			break;
		case 'Q':
			if (parse_uint_arg("--policy-request-limit", optarg, 1000000,
					   &o.policy_request_limit) < 0)
				goto out;
			break;
		case 'A': o.policy_default_action = optarg; break;
		case 'f':
			if (report_format_parse(optarg, &fmt) < 0) {
				fprintf(stderr, "fake-smtpd: --format: want text, tap, junit or json, not %s\n",
					optarg);
				goto out;
			}
			break;
		case 'e': o.stderr_apart = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage_replay(stdout); rc = 0; goto out;
		default: usage_replay(stderr); goto out;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "fake-smtpd: replay needs TARGET and at least one TRANSCRIPT "
			"(see fake-smtpd replay --help)\n");
		goto out;
	}
	if (target_parse(argv[optind], &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		target_free(&t);
		goto out;
	}
	o.target = &t;
	o.defines = &defs;
	/* parse everything before anything is sent */
	ts = xcalloc((size_t)(argc - optind - 1), sizeof(*ts));
	for (i = optind + 1; i < argc; i++) {
		size_t len;
		char *buf = catalogue_slurp(argv[i], &len, err, sizeof(err));

		if (buf == NULL) {
			fprintf(stderr, "fake-smtpd: %s\n", err);
			errors++;
			continue;
		}
		if (transcript_parse(buf, len, argv[i], &ts[nts], err, sizeof(err)) < 0) {
			fprintf(stderr, "fake-smtpd: %s\n", err);
			errors++;
		} else {
			nts++;
		}
		free(buf);
	}
	if (errors) {
		fprintf(stderr, "fake-smtpd: %d transcript%s unusable; nothing was sent\n", errors,
			errors > 1 ? "s" : "");
		target_free(&t);
		goto out;
	}
	report_init(&r, fmt, stdout, verbose);
	r.suite = "fake-smtpd replay";
	if (fmt == REPORT_TEXT)
		printf("fake-smtpd: replaying %d transcript%s against %s as Postfix %u.%u%s\n", nts,
		       nts > 1 ? "s" : "", argv[optind], o.version.major, o.version.minor,
		       o.time_scale != 1.0 ? " (timeouts scaled)" : "");
	for (i = 0; i < nts; i++)
		(void)replay_run(&o, &ts[i], &r);
	errors = (int)r.errors;
	failed = report_finish(&r);
	target_free(&t);
	rc = errors ? 2 : failed ? 1 : 0;
out:
	for (i = 0; i < nts; i++)
		transcript_free(&ts[i]);
	free(ts);
	tvars_free(&defs);
	return rc;
}

static void usage_record(FILE *fp)
{
	fprintf(fp,
"usage: fake-smtpd record --listen ADDR --upstream TARGET -o FILE [options]\n"
"\n"
"A proxy between a real client (Postfix's smtpd) and a helper: every byte passes\n"
"through unchanged; what passed is written to FILE as a transcript (C:/S: lines,\n"
"request ids as {id}, CPID as {pid}, SPID/CUID/COOKIE values as *) that replays\n"
"against the same helper with `fake-smtpd replay TARGET FILE`.\n"
"Point Postfix at the proxy: smtpd_sasl_path = ADDR, or\n"
"check_policy_service ADDR.\n"
"\n"
"  --listen ADDR          unix:/path or inet:host:port to accept the client on\n"
"  --upstream TARGET      the helper: unix:/path, inet:host:port or spawn:COMMAND ARGS\n"
"  -o, --output FILE      the transcript (rewritten after each connection)\n"
"  --count N              record N client connections, then stop (default 1;\n"
"                         0: until SIGINT or SIGTERM; open connections are kept)\n"
"  --accept-timeout S     give up when no client connects within S seconds\n"
"  --idle-timeout S       end a connection quiet for S seconds (default 600)\n"
"  --stderr-apart         spawn: keep the helper's stderr off the connection\n"
"  -q, --quiet            no progress messages\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 recorded, 2 usage or environment error.\n");
}

static void record_on_signal(int sig)
{
	(void)sig;
	record_request_stop();
}

static int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "output", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "accept-timeout", required_argument, NULL, 'a' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "stderr-apart", no_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct record_options o;
	const char *upstream = NULL;
	struct target t;
	char err[700];
	unsigned v;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.count = 1;
	o.idle_timeout_ms = 600000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': o.listen = optarg; break;
		case 'u': upstream = optarg; break;
		case 'o': o.out = optarg; break;
		case 'n':
			if (parse_uint_arg("--count", optarg, 1000000, &o.count) < 0)
				return 2;
			break;
		case 'a':
			if (parse_uint_arg("--accept-timeout", optarg, 86400, &v) < 0)
				return 2;
			o.accept_timeout_ms = (int)v * 1000;
			break;
		case 'i':
			if (parse_uint_arg("--idle-timeout", optarg, 86400, &v) < 0)
				return 2;
			o.idle_timeout_ms = (int)v * 1000;
			break;
		case 'e': o.stderr_apart = 1; break;
		case 'q': o.quiet = 1; break;
		case 'h': usage_record(stdout); return 0;
		default: usage_record(stderr); return 2;
		}
	}
	if (o.listen == NULL || upstream == NULL || o.out == NULL || optind != argc) {
		fprintf(stderr, "fake-smtpd: record needs --listen, --upstream and -o "
			"(see fake-smtpd record --help)\n");
		return 2;
	}
	if (target_parse(upstream, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		target_free(&t);
		return 2;
	}
	o.upstream = &t;
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = record_on_signal;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
	}
	rc = record_run(&o, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "fake-smtpd: record: %s\n", err);
	else if (!o.quiet)
		fprintf(stderr, "fake-smtpd record: transcript written to %s\n", o.out);
	target_free(&t);
	return rc < 0 ? 2 : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "replay", cmd_replay },
	{ "record", cmd_record },
	{ "check", cmd_check },
	{ "bench", bench_main },
	{ "fuzz", fuzz_main },
};

int main(int argc, char **argv)
{
	size_t i;

	msg_init("fake-smtpd");
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "fake-smtpd: unknown command %s (see --help)\n", argv[1]);
	return 2;
}
