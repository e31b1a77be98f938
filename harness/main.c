/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fake-smtpd - talk to auth helpers and policy services as Postfix's smtpd does, and judge them
 * SYNOPSIS
 *	fake-smtpd COMMAND [options] ...
 *	fake-smtpd COMMAND --help
 *	fake-smtpd --version
 * DESCRIPTION
 *	Finds COMMAND in the command table (harness/cmd/cmd.c) and runs it;
 *	each subcommand parses its own command line there. --version tells
 *	the version, the commit, the data directory, the catalogue's id and
 *	the Postfix version judged by default.
 * DIAGNOSTICS
 *	Exit 0 all checks passed, 1 a check failed, 2 usage or environment
 *	error (unreachable target, helper that cannot be started).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/cmd/cmd.h"
#include "util/msg.h"

/* usage - the command list */
static void usage(FILE *fp)
{
	fputs("usage: fake-smtpd COMMAND [options] ...\n"
	      "       fake-smtpd --version\n\n", fp);
	cmd_list(fp);
	fputs("\n"
	      "TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
	      "`fake-smtpd COMMAND --help` describes each command; man fake-smtpd (docs/fake-smtpd.1).\n"
	      "Exit status: 0 all passed, 1 a check failed, 2 usage, environment or transcript error.\n",
	      fp);
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	msg_init("fake-smtpd");
	signal(SIGPIPE, SIG_IGN);
	/* a caller that ignores SIGCHLD would let the kernel reap spawned helpers unseen */
	signal(SIGCHLD, SIG_DFL);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		return cmd_version(stdout);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
	}
	c = cmd_find(argv[1]);
	if (c == NULL) {
		msg_error("unknown command %s (see --help)", argv[1]);
		return CMD_EXIT_USAGE;
	}
	return c->main(argc - 1, argv + 1);
}
