/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	record - fake-smtpd record: a recording proxy between Postfix and a helper
 * SYNOPSIS
 *	fake-smtpd record --listen ADDR --upstream TARGET -o FILE [options]
 * DESCRIPTION
 *	The command line of harness/record/record.c; SIGINT and SIGTERM end
 *	the recording after the open connections. An upstream that looks
 *	like a live server (record_live_upstream()) is warned about before
 *	anything is recorded.
 * DIAGNOSTICS
 *	Exit 0 recorded (or nothing to record: nothing is written then), 2
 *	usage or environment error (FILE there without --force, cannot
 *	listen, no client in time).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/cmd/cmd.h"
#include "harness/record/record.h"
#include "harness/record/record_file.h"
#include "util/msg.h"

static const char usage_record[] =
"usage: fake-smtpd record --listen ADDR --upstream TARGET -o FILE [options]\n"
"\n"
"A proxy between a real client (Postfix's smtpd) and a helper: every byte passes\n"
"through unchanged; what passed is written to FILE as a transcript (C:/S: lines,\n"
"request ids as {id}, CPID as {pid}, SPID/CUID/COOKIE values as *, PLAIN and\n"
"LOGIN credentials as ${user} and ${password} with the user names as defaults)\n"
"that replays against the same helper with\n"
"`fake-smtpd replay -D password=... TARGET FILE`. FILE is created mode 0600 when\n"
"the first connection has been recorded, never over a file that is there.\n"
"Point Postfix at the proxy: smtpd_sasl_path = ADDR, or\n"
"check_policy_service ADDR.\n"
"\n"
"  --listen ADDR          unix:/path or inet:host:port to accept the client on\n"
"  --upstream TARGET      the helper: unix:/path, inet:host:port or spawn:COMMAND ARGS\n"
"  -o, --output FILE      the transcript (rewritten after each connection)\n"
"  --force                replace what is at FILE (a link there is replaced, not\n"
"                         followed)\n"
"  --keep-credentials     write passwords and user names as they passed\n"
"  --count N              record N client connections, then stop (default 1;\n"
"                         0: until SIGINT or SIGTERM; open connections are kept)\n"
"  --accept-timeout S     give up when no client connects within S seconds\n"
"  --idle-timeout S       end a connection quiet for S seconds (default 600)\n";

enum { OPT_LISTEN = 'l', OPT_UPSTREAM = 'u', OPT_OUTPUT = 'o', OPT_COUNT = 'n',
       OPT_ACCEPT_TIMEOUT = 'a', OPT_IDLE_TIMEOUT = 'i', OPT_FORCE = 'f', OPT_KEEP = 'k' };

static const struct option opts_record[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "accept-timeout", required_argument, NULL, OPT_ACCEPT_TIMEOUT },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "keep-credentials", no_argument, NULL, OPT_KEEP },
	{ NULL, 0, NULL, 0 },
};

struct record_cli {
	struct record_options o;
	const char *upstream;
};

/* record_opt - the options of record */
static int record_opt(void *ctx, int ch, const char *arg)
{
	struct record_cli *k = ctx;
	unsigned v;

	switch (ch) {
	case OPT_LISTEN: k->o.listen = arg; return 0;
	case OPT_UPSTREAM: k->upstream = arg; return 0;
	case OPT_OUTPUT: k->o.out = arg; return 0;
	case OPT_COUNT:
		return cmd_uint("--count", arg, 0, 1000000, &k->o.count);
	case OPT_FORCE: k->o.force = 1; return 0;
	case OPT_KEEP: k->o.keep_credentials = 1; return 0;
	case OPT_ACCEPT_TIMEOUT:
	case OPT_IDLE_TIMEOUT:
		if (cmd_uint(ch == OPT_ACCEPT_TIMEOUT ? "--accept-timeout" : "--idle-timeout", arg, 0,
			     86400, &v) < 0)
			return -1;
		if (ch == OPT_ACCEPT_TIMEOUT)
			k->o.accept_timeout_ms = (int)v * 1000;
		else
			k->o.idle_timeout_ms = (int)v * 1000;
		return 0;
	default:
		msg_panic("record_opt: option %d", ch);
	}
}

/* record_on_signal - end the recording after the open connections */
static void record_on_signal(int sig)
{
	(void)sig;
	record_request_stop();
}

/* cmd_record_main - fake-smtpd record */
int cmd_record_main(int argc, char **argv)
{
	struct record_cli k = { .o = { .count = 1, .idle_timeout_ms = 600000 } };
	const struct cmd_spec s = {
		.name = "record", .usage = usage_record,
		.shared = CMD_OPT_STDERR_APART | CMD_OPT_QUIET,
		.opts = opts_record, .shortopts = "o:", .opt = record_opt, .ctx = &k,
	};
	struct cmd_common c;
	struct sigaction sa;
	struct target t;
	const char *live;
	unsigned recorded;
	char err[700];
	int rc;

	if ((rc = cmd_start(&s, &c, argc, argv)) >= 0) {
		cmd_common_free(&c);
		return rc;
	}
	k.o.stderr_apart = c.stderr_apart;
	k.o.quiet = c.quiet;
	cmd_common_free(&c);
	if (k.o.listen == NULL || k.upstream == NULL || k.o.out == NULL || c.nargs != 0) {
		msg_error("record needs --listen, --upstream and -o (see fake-smtpd record --help)");
		return CMD_EXIT_USAGE;
	}
	if (cmd_target(k.upstream, &t) < 0)
		return CMD_EXIT_USAGE;
	k.o.upstream = &t;
	if ((live = record_live_upstream(&t)) != NULL)
		msg_warn("record: the upstream %s looks like a live server (%s): %s", k.upstream, live,
			 k.o.keep_credentials ? "its users' passwords will be in the recording as "
			 "they passed (--keep-credentials)" : "its users' exchanges will be in the "
			 "recording; passwords are written as ${password}");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = record_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	rc = record_run(&k.o, &recorded, err, sizeof(err));
	if (rc < 0)
		msg_error("record: %s%s", err, recorded ? "" : " (nothing written)");
	else if (recorded == 0)
		msg_info("record: no connection recorded: %s not written", k.o.out);
	else if (!k.o.quiet)
		msg_info("record: %u connection%s written to %s", recorded, recorded == 1 ? "" : "s",
			 k.o.out);
	target_free(&t);
	return rc < 0 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
}
