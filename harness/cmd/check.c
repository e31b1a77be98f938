/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	check - fake-smtpd check: the conformance catalogue, auth or policy
 * SYNOPSIS
 *	fake-smtpd check --auth TARGET [options]
 *	fake-smtpd check --policy TARGET [options] [TRANSCRIPT...]
 *	fake-smtpd check [--auth|--policy] --list
 * DESCRIPTION
 *	The command line of both modes: the mode is chosen by --policy
 *	anywhere on the line (else auth), each has its own usage and
 *	options, and both write every report format. The data checks'
 *	catalogue (--catalogue DIR, or conformance/auth or policy under the
 *	data directory: cmd_datadir(), which must exist unless
 *	--no-catalogue) is loaded, and every transcript parsed, before
 *	anything is sent. The checks themselves are harness/check/ (auth.c
 *	and policy.c, walked by runner.c). The text report starts with the version and the
 *	catalogue's id (cmd_about()).
 * DIAGNOSTICS
 *	Exit 0 all passed, 1 a check of a severity in --fail-on failed (a
 *	helper that died during the run too), 2 what is wrong before the
 *	first exchange: usage, a target unreachable at the start, a missing
 *	or unreadable catalogue.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cmd/cmd.h"
#include "harness/cmd/postconf.h"
#include "harness/check/auth.h"
#include "harness/check/catalogue.h"
#include "harness/check/expect.h"
#include "harness/check/policy.h"
#include "util/msg.h"
#include "util/xmem.h"

static const char usage_auth[] =
"usage: fake-smtpd check --auth TARGET [options]\n"
"       fake-smtpd check --policy TARGET [options] [TRANSCRIPT...]   (see check --policy --help)\n"
"       fake-smtpd check [--auth|--policy] --list\n"
"\n"
"Talks to a Dovecot-protocol auth helper exactly as Postfix's smtpd does and\n"
"reports, for every check, what real Postfix would have answered.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"        (spawn: the helper gets the connection on stdin/stdout and, as under\n"
"        master.cf spawn, stderr)\n"
"\n"
"  --catalogue DIR        data checks (default: conformance/auth of the data\n"
"                         directory, $SMTPD_HARNESS_DATADIR or the installed\n"
"                         one); --no-catalogue runs the built-in checks only\n"
"  --postconf FILE        your main.cf: its smtpd_sasl_security_options and\n"
"                         smtpd_sasl_mechanism_filter judge the EHLO AUTH list\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  --list                 list the checks\n"
"  (checks that need a test account are skipped without --user and --password;\n"
"  -D variables reach the data checks, user and password come from --user and\n"
"  --password)\n";

static const char usage_policy[] =
"usage: fake-smtpd check --policy TARGET [options] [TRANSCRIPT...]\n"
"       fake-smtpd check --policy --list [--catalogue DIR]\n"
"\n"
"Talks to a Postfix SMTPD policy service exactly as Postfix's smtpd does and\n"
"reports, for every POLICY-* check, what real Postfix would have answered.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"\n"
"  --user U               a user the service lets relay from 127.0.0.1 (default\n"
"                         test1), the reference for the injection checks\n"
"  --expect RULE          'NAME=VALUE ... => PATTERN': the request (Postfix's RCPT\n"
"                         request with these attributes; state=X sets\n"
"                         protocol_state) must get an action matching PATTERN\n"
"                         ('*' and '?', case-insensitive); repeatable\n"
"  --expect-file FILE     one RULE per line ('#' comments)\n"
"  --catalogue DIR        data checks (default: conformance/policy of the data\n"
"                         directory, $SMTPD_HARNESS_DATADIR or the installed\n"
"                         one); --no-catalogue runs the built-in probes only\n"
"  --postconf FILE        your main.cf: which list holds check_policy_service and\n"
"                         what follows it, smtpd_delay_reject, soft_bounce, the\n"
"                         smtpd_policy_service_* settings; the SMTP reply each\n"
"                         answer gets is predicted with it\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  TRANSCRIPT...          your own policy transcripts, run as checks too\n"
"  --list                 list the checks\n";

enum { OPT_LIST = 'l', OPT_CATALOGUE = 'c', OPT_NO_CATALOGUE = 'n', OPT_USER = 'u',
       OPT_EXPECT = 'x', OPT_EXPECT_FILE = 'X' };

static const struct option opts_auth[] = {
	{ "list", no_argument, NULL, OPT_LIST },
	{ "catalogue", required_argument, NULL, OPT_CATALOGUE },
	{ "no-catalogue", no_argument, NULL, OPT_NO_CATALOGUE },
	CMD_POSTCONF_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option opts_policy[] = {
	{ "list", no_argument, NULL, OPT_LIST },
	{ "catalogue", required_argument, NULL, OPT_CATALOGUE },
	{ "no-catalogue", no_argument, NULL, OPT_NO_CATALOGUE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "expect-file", required_argument, NULL, OPT_EXPECT_FILE },
	CMD_POSTCONF_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* what the options of both modes set */
struct check_cli {
	int list;
	int nocat;
	const char *catdir;
	char catbuf[PATH_MAX];			/* the default catalogue's path */
	const char *user;			/* policy --user */
	char **expects;				/* policy --expect rules */
	size_t nexp;
	struct cmd_postconf pc;			/* policy --postconf, -o */
};

/* read_expect_file - one --expect rule per line, '#' comments */
static int read_expect_file(const char *path, struct check_cli *k)
{
	char err[300];
	size_t len, pos = 0, line = 0;
	char *buf = catalogue_slurp(path, &len, err, sizeof(err));

	if (buf == NULL) {
		msg_error("--expect-file %s", err);
		return -1;
	}
	while (pos < len) {
		char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + 1;
		line++;
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		while (n > 0 && (*l == ' ' || *l == '\t'))
			l++, n--;
		if (n == 0 || *l == '#')
			continue;
		if (k->nexp >= CHECK_EXPECT_MAX_RULES) {
			msg_error("%s:%zu: more than %d rules", path, line, CHECK_EXPECT_MAX_RULES);
			free(buf);
			return -1;
		}
		k->expects[k->nexp++] = xstrndup(l, n);
	}
	free(buf);
	return 0;
}

/* check_opt - the options of both modes */
static int check_opt(void *ctx, int ch, const char *arg)
{
	struct check_cli *k = ctx;

	switch (ch) {
	case OPT_LIST: k->list = 1; return 0;
	case OPT_CATALOGUE: k->catdir = arg; return 0;
	case OPT_NO_CATALOGUE: k->nocat = 1; return 0;
	case OPT_USER: k->user = arg; return 0;
	case OPT_EXPECT:
		if (k->nexp >= CHECK_EXPECT_MAX_RULES) {
			msg_error("more than %d --expect rules", CHECK_EXPECT_MAX_RULES);
			return -1;
		}
		k->expects[k->nexp++] = xstrdup(arg);
		return 0;
	case OPT_EXPECT_FILE:
		return read_expect_file(arg, k);
	case CMD_POSTCONF_FILE:
	case CMD_POSTCONF_SET:
		return cmd_postconf_opt(&k->pc, ch, arg);
	default:
		msg_panic("check_opt: option %d", ch);
	}
}

/* catalogue_dir - the data checks' directory: none, given, or the data
 * directory's, which must exist; -1 said why */
static int catalogue_dir(struct check_cli *k, const char *proto, const char **dir_r)
{
	*dir_r = NULL;
	if (k->nocat)
		return 0;
	if (k->catdir != NULL) {
		*dir_r = k->catdir;
		return 0;
	}
	*dir_r = cmd_catalogue_dir(proto, k->catbuf, sizeof(k->catbuf));
	return *dir_r != NULL ? 0 : -1;
}

/* run_auth - check --auth, after the command line */
static int run_auth(struct cmd_common *c, struct check_cli *k)
{
	struct check_auth_options o;
	struct catalogue cat;
	struct target t;
	struct report r;
	const char *catdir;
	char err[600];
	int rc = CMD_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&cat, 0, sizeof(cat));
	if (catalogue_dir(k, "auth", &catdir) < 0)
		return CMD_EXIT_USAGE;
	if (catalogue_load(&cat, catdir, NULL, 0, TPROTO_AUTH, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return CMD_EXIT_USAGE;
	}
	if (k->list) {
		check_auth_list(stdout);
		catalogue_list(stdout, &cat);
		catalogue_free(&cat);
		return CMD_EXIT_OK;
	}
	if (c->auth == NULL || c->nargs != 0) {
		msg_error("check needs --auth TARGET (see --help)");
		goto out;
	}
	if (cmd_target(c->auth, &t) < 0)
		goto out;
	o.target = &t;
	o.user = c->user;
	o.password = c->password;
	o.version = c->version;
	o.time_scale = c->time_scale;
	o.stderr_apart = c->stderr_apart;
	o.only = c->only;
	o.skip = c->skip;
	o.catalogue = &cat;
	o.defines = &c->defines;
	{
		const struct pf_pol_conf *pc = cmd_postconf_load(&k->pc, &o.version);

		if (k->pc.failed) {
			target_free(&t);
			goto out;
		}
		if (pc != NULL) {
			o.sasl_security_options = pc->sasl_security_options;
			if (pc->sasl_mechanism_filter[0] || pf_version_at_least(&o.version, 3, 6, 0))
				o.sasl_mechanism_filter = pc->sasl_mechanism_filter;
		}
	}
	cmd_report_start(c, &r, "fake-smtpd check --auth");
	cmd_report_catalogue(&r, catdir);
	if (c->format == REPORT_TEXT) {
		cmd_about(stdout, catdir);
		printf("fake-smtpd: checking auth helper %s as Postfix %u.%u would\n", c->auth,
		       o.version.major, o.version.minor);
		cmd_postconf_print(stdout, &k->pc);
	}
	if (check_auth_run(&o, &r) < 0) {
		(void)report_finish(&r);
	} else {
		rc = cmd_failed(c, &r) ? CMD_EXIT_FAIL : r.errors ? CMD_EXIT_USAGE : CMD_EXIT_OK;
		(void)report_finish(&r);
	}
	target_free(&t);
out:
	catalogue_free(&cat);
	return rc;
}

/* run_policy - check --policy, after the command line */
static int run_policy(struct cmd_common *c, struct check_cli *k)
{
	struct check_policy_options o;
	struct target t;
	struct report r;
	int rc = CMD_EXIT_USAGE;

	check_policy_options_init(&o);
	if (c->version_given)
		o.version = c->version;
	o.time_scale = c->time_scale;
	o.stderr_apart = c->stderr_apart;
	o.only = c->only;
	o.skip = c->skip;
	if (k->user != NULL)
		o.user = k->user;
	if (catalogue_dir(k, "policy", &o.catalogue_dir) < 0)
		return CMD_EXIT_USAGE;
	o.expects = (const char *const *)k->expects;
	o.nexpects = k->nexp;
	o.transcripts = (const char *const *)c->args;
	o.ntranscripts = (size_t)c->nargs;
	o.defines = &c->defines;
	if (k->list) {
		struct catalogue cat;
		char err[600];

		check_policy_list(stdout);
		if (catalogue_load(&cat, o.catalogue_dir, o.transcripts, o.ntranscripts,
				   TPROTO_POLICY, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			return CMD_EXIT_USAGE;
		}
		catalogue_list(stdout, &cat);
		catalogue_free(&cat);
		return CMD_EXIT_OK;
	}
	if (c->policy == NULL) {
		msg_error("check needs --policy TARGET (see --help)");
		return CMD_EXIT_USAGE;
	}
	o.conf = cmd_postconf_load(&k->pc, &o.version);
	if (k->pc.failed)
		return CMD_EXIT_USAGE;
	if (cmd_target(c->policy, &t) < 0)
		return CMD_EXIT_USAGE;
	o.target = &t;
	cmd_report_start(c, &r, "fake-smtpd check --policy");
	cmd_report_catalogue(&r, o.catalogue_dir);
	if (c->format == REPORT_TEXT) {
		cmd_about(stdout, o.catalogue_dir);
		printf("fake-smtpd: checking policy service %s as Postfix %u.%u would%s\n", c->policy,
		       o.version.major, o.version.minor,
		       o.time_scale != 1.0 ? " (timeouts scaled)" : "");
		cmd_postconf_print(stdout, &k->pc);
	}
	if (check_policy_run(&o, &r) < 0) {
		(void)report_finish(&r);
	} else {
		rc = cmd_failed(c, &r) ? CMD_EXIT_FAIL : r.errors ? CMD_EXIT_USAGE : CMD_EXIT_OK;
		(void)report_finish(&r);
	}
	target_free(&t);
	return rc;
}

/* policy_mode - is --policy on the line */
static int policy_mode(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--policy") == 0 || strncmp(argv[i], "--policy=", 9) == 0)
			return 1;
	return 0;
}

/* cmd_check_main - fake-smtpd check */
int cmd_check_main(int argc, char **argv)
{
	struct check_cli k;
	struct cmd_common c;
	struct cmd_spec s;
	int policy = policy_mode(argc, argv), rc, i;
	size_t j;

	memset(&k, 0, sizeof(k));
	memset(&s, 0, sizeof(s));
	k.expects = xcalloc(CHECK_EXPECT_MAX_RULES, sizeof(char *));
	s.name = policy ? "check --policy" : "check --auth";
	s.usage = policy ? usage_policy : usage_auth;
	s.version = policy ? NULL : CMD_AUTH_POSTFIX_VERSION;
	s.shared = CMD_OPT_VERSION | CMD_OPT_TIME_SCALE | CMD_OPT_FORMAT | CMD_OPT_DEFINE |
		   CMD_OPT_SELECT | CMD_OPT_STDERR_APART | CMD_OPT_VERBOSE | CMD_OPT_FAIL_ON |
		   CMD_OPT_COLOR | (policy ? CMD_OPT_POLICY : CMD_OPT_AUTH | CMD_OPT_ACCOUNT);
	s.formats = CMD_FMT_ALL;
	s.opts = policy ? opts_policy : opts_auth;
	s.shortopts = "o:";
	s.opt = check_opt;
	s.ctx = &k;
	/* "check --policy --list": getopt would take --list for the target */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--list") == 0)
			k.list = 1;
	cmd_common_init(&c);
	rc = cmd_parse(&s, &c, argc, argv);
	if (rc == 0 && policy && c.policy != NULL && strcmp(c.policy, "--list") == 0)
		c.policy = NULL;
	if (rc == 0)
		rc = policy ? run_policy(&c, &k) : run_auth(&c, &k);
	else
		rc = rc > 0 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
	cmd_postconf_free(&k.pc);
	for (j = 0; j < k.nexp; j++)
		free(k.expects[j]);
	free(k.expects);
	cmd_common_free(&c);
	return rc;
}
