/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	replay - fake-smtpd replay: transcripts against a helper
 * SYNOPSIS
 *	fake-smtpd replay [options] TARGET TRANSCRIPT...
 * DESCRIPTION
 *	Parses every transcript first (a broken one stops the run with
 *	file:line before anything is sent), then replays each on a fresh
 *	connection (harness/replay/replay.c) and reports every step.
 *	A transcript counts as a breaks-postfix check for --fail-on.
 * DIAGNOSTICS
 *	Exit 0 all passed, 1 a transcript failed (and --fail-on takes
 *	breaks-postfix), 2 usage, environment or transcript error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cmd/cmd.h"
#include "harness/check/catalogue.h"
#include "harness/cmd/postconf.h"
#include "harness/replay/replay.h"
#include "util/msg.h"
#include "util/xmem.h"

static const char usage_replay[] =
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
"  --client C             auth: postfix (default), dovecot-2, dovecot-3, dovecot-4\n"
"                         (VERSION minor Dovecot's own client announces)\n"
"  --first-id N           first AUTH request id (default 1)\n"
"  --lip ADDR --rip ADDR  AUTH lip=/rip= (default 127.0.0.1)\n"
"  --policy-try-limit N   smtpd_policy_service_try_limit (default 2)\n"
"  --policy-request-limit N  smtpd_policy_service_request_limit (default 0)\n"
"  --policy-default-action TEXT  (default \"451 4.3.5 Server configuration problem\")\n"
"  --postconf FILE        policy: your main.cf: which list holds check_policy_service\n"
"                         and what follows it, smtpd_delay_reject, the\n"
"                         smtpd_policy_service_* settings (the options above win),\n"
"                         soft_bounce; 'expect smtp' is judged with it\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  (timeouts: 10 s auth, 100 s policy, 1 s retry delay, times --time-scale;\n"
"  with junit and json the last line \"N passed, N failed\" goes to stderr)\n";

enum { OPT_CLIENT = 'c', OPT_FIRST_ID = 'i', OPT_LIP = 'L', OPT_RIP = 'R',
       OPT_TRY_LIMIT = 'T', OPT_REQUEST_LIMIT = 'Q', OPT_DEFAULT_ACTION = 'A' };

static const struct option opts_replay[] = {
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "first-id", required_argument, NULL, OPT_FIRST_ID },
	{ "lip", required_argument, NULL, OPT_LIP },
	{ "rip", required_argument, NULL, OPT_RIP },
	{ "policy-try-limit", required_argument, NULL, OPT_TRY_LIMIT },
	{ "policy-request-limit", required_argument, NULL, OPT_REQUEST_LIMIT },
	{ "policy-default-action", required_argument, NULL, OPT_DEFAULT_ACTION },
	CMD_POSTCONF_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	enum replay_client client;
} clients[] = {
	{ "postfix", REPLAY_CLIENT_POSTFIX }, { "dovecot-2", REPLAY_CLIENT_DOVECOT_2 },
	{ "dovecot-3", REPLAY_CLIENT_DOVECOT_3 }, { "dovecot-4", REPLAY_CLIENT_DOVECOT_4 },
};

/* what the options set besides struct replay_options */
struct replay_cli {
	struct replay_options *o;
	struct cmd_postconf pc;
	int try_given, request_given, action_given;
};

/* replay_opt - the options of replay alone */
static int replay_opt(void *ctx, int ch, const char *arg)
{
	struct replay_cli *k = ctx;
	struct replay_options *o = k->o;
	size_t i;

	switch (ch) {
	case CMD_POSTCONF_FILE:
	case CMD_POSTCONF_SET:
		return cmd_postconf_opt(&k->pc, ch, arg);
	case OPT_CLIENT:
		for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++)
			if (strcmp(arg, clients[i].name) == 0) {
				o->client = clients[i].client;
				return 0;
			}
		msg_error("--client: want postfix, dovecot-2, dovecot-3 or dovecot-4, not %s", arg);
		return -1;
	case OPT_FIRST_ID:
		return cmd_uint("--first-id", arg, 1, 4000000000u, &o->first_id);
	case OPT_LIP: o->lip = arg; return 0;
	case OPT_RIP: o->rip = arg; return 0;
	case OPT_TRY_LIMIT:
		k->try_given = 1;
		if (cmd_uint("--policy-try-limit", arg, 0, 100, &o->policy_try_limit) < 0)
			return -1;
		if (o->policy_try_limit == 0)
			o->policy_try_limit = 1;
		return 0;
	case OPT_REQUEST_LIMIT:
		k->request_given = 1;
		return cmd_uint("--policy-request-limit", arg, 0, 1000000, &o->policy_request_limit);
	case OPT_DEFAULT_ACTION:
		k->action_given = 1;
		o->policy_default_action = arg;
		return 0;
	default:
		msg_panic("replay_opt: option %d", ch);
	}
}

/* parse_all - every transcript, before anything is sent; how many are unusable */
static int parse_all(char **files, int n, struct transcript *ts, int *nts_r)
{
	char err[700];
	int i, errors = 0;

	for (i = 0; i < n; i++) {
		size_t len;
		char *buf = catalogue_slurp(files[i], &len, err, sizeof(err));

		if (buf == NULL) {
			msg_error("%s", err);
			errors++;
			continue;
		}
		if (transcript_parse(buf, len, files[i], &ts[*nts_r], err, sizeof(err)) < 0) {
			msg_error("%s", err);
			errors++;
		} else {
			(*nts_r)++;
		}
		free(buf);
	}
	return errors;
}

/* use_postconf - main.cf's policy client settings where no option says otherwise */
static int use_postconf(struct replay_cli *k, const struct pf_version *v)
{
	const struct pf_pol_conf *pc = cmd_postconf_load(&k->pc, v);

	if (pc == NULL)
		return k->pc.failed ? -1 : 0;
	k->o->policy_conf = pc;
	if (!k->try_given)
		k->o->policy_try_limit = pc->params.try_limit ? pc->params.try_limit : 1;
	if (!k->request_given)
		k->o->policy_request_limit = pc->params.request_limit;
	if (!k->action_given)
		k->o->policy_default_action = pc->default_action;
	return 0;
}

/* cmd_replay_main - fake-smtpd replay */
int cmd_replay_main(int argc, char **argv)
{
	struct replay_options o;
	struct replay_cli k = { .o = &o };
	const struct cmd_spec s = {
		.name = "replay", .usage = usage_replay,
		.shared = CMD_OPT_VERSION | CMD_OPT_TIME_SCALE | CMD_OPT_FORMAT | CMD_OPT_DEFINE |
			  CMD_OPT_STDERR_APART | CMD_OPT_VERBOSE | CMD_OPT_FAIL_ON | CMD_OPT_COLOR,
		.formats = CMD_FMT_ALL, .opts = opts_replay, .shortopts = "o:", .opt = replay_opt,
		.ctx = &k,
	};
	struct transcript *ts = NULL;
	struct cmd_common c;
	struct target t;
	struct report r;
	int rc, i, nts = 0, errors;
	char vt[200];

	replay_options_init(&o);
	cmd_postconf_init(&k.pc);
	if ((rc = cmd_start(&s, &c, argc, argv)) >= 0)
		goto out;
	rc = CMD_EXIT_USAGE;
	if (c.nargs < 2) {
		msg_error("replay needs TARGET and at least one TRANSCRIPT "
			  "(see fake-smtpd replay --help)");
		goto out;
	}
	if (cmd_target(c.args[0], &t) < 0)
		goto out;
	o.version = c.version;
	o.time_scale = c.time_scale;
	o.stderr_apart = c.stderr_apart;
	o.target = &t;
	o.defines = &c.defines;
	if (use_postconf(&k, &o.version) < 0) {
		target_free(&t);
		goto out;
	}
	ts = xcalloc((size_t)(c.nargs - 1), sizeof(*ts));
	errors = parse_all(c.args + 1, c.nargs - 1, ts, &nts);
	if (errors) {
		msg_error("%d transcript%s unusable; nothing was sent", errors, errors > 1 ? "s" : "");
		target_free(&t);
		goto out;
	}
	cmd_report_start(&c, &r, "fake-smtpd replay");
	if (c.format == REPORT_TEXT) {
		cmd_about(stdout, NULL);
		printf("fake-smtpd: replaying %d transcript%s against %s as Postfix %s%s\n", nts,
		       nts > 1 ? "s" : "", c.args[0], cmd_version_text(&c, vt, sizeof(vt)),
		       o.time_scale != 1.0 ? " (timeouts scaled)" : "");
		cmd_postconf_print(stdout, &k.pc);
	}
	for (i = 0; i < nts; i++)
		(void)replay_run(&o, &ts[i], &r);
	errors = (int)r.errors;
	rc = cmd_failed(&c, &r) ? CMD_EXIT_FAIL : CMD_EXIT_OK;
	(void)report_finish(&r);
	if (errors)
		rc = CMD_EXIT_USAGE;
	target_free(&t);
out:
	for (i = 0; i < nts; i++)
		transcript_free(&ts[i]);
	free(ts);
	cmd_postconf_free(&k.pc);
	cmd_common_free(&c);
	return rc;
}
