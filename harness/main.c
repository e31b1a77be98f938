/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fake-smtpd - talk to auth helpers as Postfix's smtpd does, and judge them
 * SYNOPSIS
 *	fake-smtpd check --auth TARGET [options]
 *	fake-smtpd check --list
 * DESCRIPTION
 *	Command line only: options are parsed here and handed to the check
 *	engine (harness/run). Subcommands are a table so that more slot in.
 * DIAGNOSTICS
 *	Exit 0 all checks passed, 1 a check failed, 2 usage or environment
 *	error (unreachable target, helper that cannot be started).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_auth.h"
#include "harness/run/check_auth.h"
#include "harness/run/report.h"
#include "util/msg.h"

static void usage(FILE *fp)
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
"  --only IDS, --skip IDS comma-separated check ids or id prefixes\n"
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
		{ NULL, 0, NULL, 0 },
	};
	struct check_auth_options o;
	const char *auth = NULL;
	enum report_format fmt = REPORT_TEXT;
	struct target t;
	struct report r;
	char err[600];
	int ch, verbose = 0, failed;

	memset(&o, 0, sizeof(o));
	o.time_scale = 1.0;
	(void)pf_version_parse("3.7", &o.version);
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': auth = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password = optarg; break;
		case 'V':
			if (pf_version_parse(optarg, &o.version) < 0) {
				fprintf(stderr, "fake-smtpd: --postfix-version: not a Postfix version: %s\n",
					optarg);
				return 2;
			}
			break;
		case 't': {
			char *end;

			o.time_scale = strtod(optarg, &end);
			if (*end != '\0' || !(o.time_scale > 0) || o.time_scale > 10) {
				fprintf(stderr, "fake-smtpd: --time-scale: want a number in (0, 10]: %s\n",
					optarg);
				return 2;
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
				return 2;
			}
			break;
		case 'e': o.stderr_apart = 1; break;
		case 'l': check_auth_list(stdout); return 0;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (auth == NULL || optind != argc) {
		fprintf(stderr, "fake-smtpd: check needs --auth TARGET (see --help)\n");
		return 2;
	}
	if (target_parse(auth, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake-smtpd: %s\n", err);
		return 2;
	}
	o.target = &t;
	report_init(&r, fmt, stdout, verbose);
	if (fmt == REPORT_TEXT)
		printf("fake-smtpd: checking auth helper %s as Postfix %u.%u would\n", auth,
		       o.version.major, o.version.minor);
	if (check_auth_run(&o, &r) < 0) {
		(void)report_finish(&r);
		target_free(&t);
		return 2;
	}
	failed = report_finish(&r);
	target_free(&t);
	return failed ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "check", cmd_check },
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
