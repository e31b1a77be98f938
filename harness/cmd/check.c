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
 *	--max-time bounds the whole run (tconn_limit()); on a terminal, every
 *	wait longer than a second shows a progress line on stderr.
 *	--confirm (both modes) is refused before anything is sent when
 *	Postfix is not installed or the user is not root; after the checks it gives the book they
 *	filled to harness/confirm (confirm_run.h), with the namespaces
 *	script $SMTPD_HARNESS_POSTFIX_NS, the clone's scripts/postfix-ns or
 *	smtpd-harness-postfix-ns on PATH, and the --postconf main.cf (the default main.cf
 *	without one).
 * DIAGNOSTICS
 *	Exit 0 all passed, 1 a check of a severity in --fail-on failed (a
 *	helper that died during the run too), or --max-time ended the run
 *	before its end; 2 what is wrong before the
 *	first exchange: usage, a target unreachable at the start, a missing
 *	or unreadable catalogue, --confirm without Postfix or when the
 *	private Postfix does not start.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "harness/cmd/postconf.h"
#include "harness/check/auth.h"
#include "harness/check/catalogue.h"
#include "harness/check/expect.h"
#include "harness/check/policy.h"
#include "harness/confirm/confirm_run.h"
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
"  --spawn-env NAME[=VALUE]  spawn: one more environment variable; the helper\n"
"                         gets only what spawn(8) passes by default: LANG=C,\n"
"                         MAIL_CONFIG=/etc/postfix, PATH=/usr/bin:/bin, TZ\n"
"                         (NAME alone: the caller's value); repeatable\n"
"  --spawn-user USER[:GROUP]  spawn: run the helper as master.cf's user= (root)\n"
"  --max-time T           a bound on the whole run (default 10m; 0: none); checks\n"
"                         it leaves are not run, and the run fails (exit 1)\n"
"  --catalogue DIR        data checks (default: conformance/auth of the data\n"
"                         directory, $SMTPD_HARNESS_DATADIR or the installed\n"
"                         one); --no-catalogue runs the built-in checks only\n"
"  --postconf FILE        your main.cf: its smtpd_sasl_security_options and\n"
"                         smtpd_sasl_mechanism_filter judge the EHLO AUTH list\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  --list                 list the checks\n"
"  --confirm              run each failed check's exchange once more through a\n"
"                         private real Postfix (installed Postfix, root and\n"
"                         namespaces) and show its reply beside the prediction\n"
"  --needs                with --list: what each check needs and when it counts as\n"
"                         exercised (a Markdown table)\n"
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
"  --spawn-env NAME[=VALUE]  spawn: one more environment variable (the helper\n"
"                         gets LANG=C, MAIL_CONFIG=/etc/postfix, PATH=/usr/bin:/bin\n"
"                         and TZ, as under spawn(8)); repeatable\n"
"  --spawn-user USER[:GROUP]  spawn: run the helper as master.cf's user= (root)\n"
"  --max-time T           a bound on the whole run (default 10m; 0: none); checks\n"
"                         it leaves are not run, and the run fails (exit 1)\n"
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
"  --list                 list the checks\n"
"  --confirm              run each failed check's requests once more through a\n"
"                         private real Postfix (installed Postfix, root and\n"
"                         namespaces) and show its reply beside the prediction\n"
"  --needs                with --list: what each check needs and when it counts as\n"
"                         exercised (a Markdown table)\n";

enum { OPT_LIST = 'l', OPT_CATALOGUE = 'c', OPT_NO_CATALOGUE = 'n', OPT_USER = 'u',
       OPT_EXPECT = 'x', OPT_EXPECT_FILE = 'X', OPT_SPAWN_ENV = 'e', OPT_SPAWN_USER = 'U',
       OPT_MAX_TIME = 'm', OPT_CONFIRM = 'C', OPT_NEEDS = 'N' };

#define CHECK_MAX_TIME_MS	(10 * 60 * 1000)	/* --max-time: 10 min, a CI job's share */

/* the options of both modes */
#define CHECK_OPTIONS \
	{ "list", no_argument, NULL, OPT_LIST }, \
	{ "needs", no_argument, NULL, OPT_NEEDS }, \
	{ "max-time", required_argument, NULL, OPT_MAX_TIME }, \
	{ "spawn-env", required_argument, NULL, OPT_SPAWN_ENV }, \
	{ "spawn-user", required_argument, NULL, OPT_SPAWN_USER }, \
	{ "catalogue", required_argument, NULL, OPT_CATALOGUE }, \
	{ "no-catalogue", no_argument, NULL, OPT_NO_CATALOGUE }, \
	{ "confirm", no_argument, NULL, OPT_CONFIRM }, \
	CMD_POSTCONF_OPTIONS

static const struct option opts_auth[] = {
	CHECK_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option opts_policy[] = {
	CHECK_OPTIONS,
	{ "user", required_argument, NULL, OPT_USER },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "expect-file", required_argument, NULL, OPT_EXPECT_FILE },
	{ NULL, 0, NULL, 0 },
};

/* what the options of both modes set */
struct check_cli {
	int list;
	int needs;				/* --list --needs */
	int nocat;
	const char *catdir;
	char catbuf[PATH_MAX];			/* the default catalogue's path */
	const char *user;			/* policy --user */
	char **expects;				/* policy --expect rules */
	size_t nexp;
	const char *spawn_env[TARGET_SPAWN_ENV_MAX];	/* --spawn-env */
	size_t nspawn_env;
	const char *spawn_user;			/* --spawn-user */
	uint64_t max_time_ms;			/* --max-time; 0: no bound */
	const char *max_time;			/* ... as given */
	int confirm;				/* --confirm */
	char postfix_ns[PATH_MAX];		/* the namespaces script, for --confirm */
	char mail_version[64];			/* the installed Postfix's */
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
	case OPT_NEEDS: k->needs = 1; return 0;
	case OPT_CATALOGUE: k->catdir = arg; return 0;
	case OPT_NO_CATALOGUE: k->nocat = 1; return 0;
	case OPT_USER: k->user = arg; return 0;
	case OPT_CONFIRM: k->confirm = 1; return 0;
	case OPT_EXPECT:
		if (k->nexp >= CHECK_EXPECT_MAX_RULES) {
			msg_error("more than %d --expect rules", CHECK_EXPECT_MAX_RULES);
			return -1;
		}
		k->expects[k->nexp++] = xstrdup(arg);
		return 0;
	case OPT_EXPECT_FILE:
		return read_expect_file(arg, k);
	case OPT_SPAWN_ENV:
		if (k->nspawn_env >= TARGET_SPAWN_ENV_MAX) {
			msg_error("more than %d --spawn-env", TARGET_SPAWN_ENV_MAX);
			return -1;
		}
		k->spawn_env[k->nspawn_env++] = arg;
		return 0;
	case OPT_SPAWN_USER:
		k->spawn_user = arg;
		return 0;
	case OPT_MAX_TIME:
		k->max_time = arg;
		return cmd_duration_ms("--max-time", arg, 0, UINT64_C(7) * 24 * 3600 * 1000,
				       &k->max_time_ms);
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

/* confirm_ready - --confirm: Postfix installed, the namespaces script found; -1 said why */
static int confirm_ready(struct check_cli *k)
{
	char why[300], dd[PATH_MAX];
	const char *env = getenv("SMTPD_HARNESS_POSTFIX_NS");

	if (!k->confirm)
		return 0;
	if (!confirm_postfix(k->mail_version, sizeof(k->mail_version), why, sizeof(why))) {
		msg_error("--confirm: %s", why);
		return -1;
	}
	if (geteuid() != 0) {
		msg_error("--confirm: the private Postfix needs root (its own namespaces)");
		return -1;
	}
	if (env != NULL && env[0] != '\0')
		snprintf(k->postfix_ns, sizeof(k->postfix_ns), "%s", env);
	else if (snprintf(k->postfix_ns, sizeof(k->postfix_ns), "%s/../scripts/postfix-ns",
			  cmd_datadir(dd, sizeof(dd))) >= (int)sizeof(k->postfix_ns) ||
		 access(k->postfix_ns, X_OK) != 0)
		snprintf(k->postfix_ns, sizeof(k->postfix_ns), "smtpd-harness-postfix-ns");
	return 0;
}

/* confirm_failed - --confirm after the checks: the failed ones through real Postfix */
static int confirm_failed(const struct cmd_common *c, struct check_cli *k,
			  const struct confirm_book *book, const struct target *t, int policy,
			  struct report *r)
{
	struct confirm_options co;
	char err[600];
	size_t i, nfailed = 0;

	for (i = 0; i < book->n; i++)
		nfailed += book->e[i].failed != 0;
	if (nfailed == 0)
		return 0;
	memset(&co, 0, sizeof(co));
	co.proto = policy ? CONFIRM_POLICY : CONFIRM_AUTH;
	co.target = t;
	co.postfix_ns = k->postfix_ns;
	co.main_cf = k->pc.file;	/* --postconf, or NULL: the default main.cf */
	co.version = c->version;
	co.time_scale = c->time_scale;
	co.stderr_apart = c->stderr_apart;
	if (c->format == REPORT_TEXT)
		printf("fake-smtpd: confirming %zu failed check(s) with real Postfix %s\n", nfailed,
		       k->mail_version);
	if (confirm_run(&co, book, r, err, sizeof(err)) < 0) {
		msg_error("--confirm: %s", err);
		return -1;
	}
	return 0;
}

/* what judged() needs for --confirm */
struct confirmable {
	const struct confirm_book *book;
	const struct target *t;
	int policy;
};

/* spawned - the target, with a spawned helper's environment and user; -1 said why */
static int spawned(const struct check_cli *k, const char *spec, struct target *t)
{
	char err[600];
	size_t i;

	if (cmd_target(spec, t) < 0)
		return -1;
	for (i = 0; i < k->nspawn_env; i++)
		if (target_spawn_env(t, k->spawn_env[i], err, sizeof(err)) < 0)
			goto bad;
	if (k->spawn_user != NULL && target_spawn_user(t, k->spawn_user, err, sizeof(err)) < 0)
		goto bad;
	return 0;
bad:
	msg_error("%s", err);
	target_free(t);
	return -1;
}

/* what a progress line needs */
struct progress {
	const struct report *r;
	int postfix_s;				/* how long Postfix waits for one read */
};

/* progress_line - on a terminal: what the run waits for, and how long Postfix would */
static void progress_line(void *ctx, long long waited_ms)
{
	const struct progress *p = ctx;

	if (waited_ms < 0)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\r\033[K%s: waiting for the helper, %lld s (Postfix waits up to "
			"%d s for a reply)", p->r->cur ? p->r->cur->id : "fake-smtpd",
			waited_ms / 1000, p->postfix_s);
	fflush(stderr);
}

/* bound - the run's --max-time, and progress lines when stderr is a terminal */
static void bound(const struct cmd_common *c, const struct check_cli *k, struct progress *p)
{
	tconn_limit(k->max_time_ms ? tconn_now_ms() + (long long)k->max_time_ms : 0);
	if (!c->quiet && isatty(STDERR_FILENO))
		tconn_progress(progress_line, p);
}

/* unbound - after the run: no bound, no progress; 1 when the bound ended it (said so) */
static int unbound(const struct check_cli *k)
{
	int hit = tconn_limit_hit();

	tconn_limit(0);
	tconn_progress(NULL, NULL);
	if (hit)
		msg_error("the run reached --max-time %s before its end: the checks after it were "
			  "not run (see the report)", k->max_time ? k->max_time : "10m");
	return hit;
}

/*
 * judged - the exit status of a run that ran (rc stays when it could not
 * start), after the bound is lifted and the report written
 */
static int judged(const struct cmd_common *c, struct check_cli *k, struct report *r,
		  int ran, int rc, const struct confirmable *cf)
{
	if (ran)
		rc = cmd_failed(c, r) ? CMD_EXIT_FAIL : r->errors ? CMD_EXIT_USAGE : CMD_EXIT_OK;
	if (unbound(k) && ran && rc == CMD_EXIT_OK)
		rc = CMD_EXIT_FAIL;	/* a run cut short proves nothing */
	/* after the bound: --max-time does not cut real Postfix's replies */
	if (ran && k->confirm && confirm_failed(c, k, cf->book, cf->t, cf->policy, r) < 0)
		rc = CMD_EXIT_USAGE;
	(void)report_finish(r);
	return rc;
}

/* run_auth - check --auth, after the command line */
static int run_auth(struct cmd_common *c, struct check_cli *k)
{
	struct check_auth_options o;
	struct confirm_book book;
	struct confirmable cf = { &book, NULL, 0 };
	struct catalogue cat;
	struct progress progress;
	struct target t;
	struct report r;
	const char *catdir;
	char err[600], vt[200];
	int rc = CMD_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&cat, 0, sizeof(cat));
	if (catalogue_dir(k, "auth", &catdir) < 0)
		return CMD_EXIT_USAGE;
	if (catalogue_load(&cat, catdir, NULL, 0, TPROTO_AUTH, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return CMD_EXIT_USAGE;
	}
	if (k->list && k->needs) {
		check_auth_list_needs(stdout, &cat);
		catalogue_free(&cat);
		return CMD_EXIT_OK;
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
	if (confirm_ready(k) < 0 || spawned(k, c->auth, &t) < 0)
		goto out;
	o.target = &t;
	cf.t = &t;
	o.user = c->user;
	o.password = c->password;
	o.version = c->version;
	o.time_scale = c->time_scale;
	o.stderr_apart = c->stderr_apart;
	o.only = c->only;
	o.skip = c->skip;
	o.catalogue = &cat;
	o.defines = &c->defines;
	confirm_book_init(&book);
	o.book = k->confirm ? &book : NULL;
	{
		const struct pf_pol_conf *pc = cmd_postconf_load(&k->pc, &o.version);

		if (k->pc.failed) {
			target_free(&t);
			goto out;
		}
		if (pc != NULL) {
			o.sasl.security_options = pc->sasl_security_options;
			if (pc->sasl_mechanism_filter[0] || pf_version_at_least(&o.version, 3, 6, 0))
				o.sasl.mech_filter = pc->sasl_mechanism_filter;
		}
	}
	cmd_report_start(c, &r, "fake-smtpd check --auth");
	cmd_report_catalogue(&r, catdir);
	if (c->format == REPORT_TEXT) {
		cmd_about(stdout, catdir);
		printf("fake-smtpd: checking auth helper %s as Postfix %s would\n", c->auth,
		       cmd_version_text(c, vt, sizeof(vt)));
		cmd_postconf_print(stdout, &k->pc);
	}
	progress.r = &r;
	progress.postfix_s = PF_AUTH_TIMEOUT_MS / 1000;
	bound(c, k, &progress);
	rc = judged(c, k, &r, check_auth_run(&o, &r) >= 0, rc, &cf);
	confirm_book_free(&book);
	target_free(&t);
out:
	catalogue_free(&cat);
	return rc;
}

/* run_policy - check --policy, after the command line */
static int run_policy(struct cmd_common *c, struct check_cli *k)
{
	struct check_policy_options o;
	struct progress progress;
	struct confirm_book book;
	struct confirmable cf = { &book, NULL, 1 };
	struct target t;
	struct report r;
	char vt[200];
	int rc = CMD_EXIT_USAGE;

	check_policy_options_init(&o);
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

		if (catalogue_load(&cat, o.catalogue_dir, o.transcripts, o.ntranscripts,
				   TPROTO_POLICY, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			return CMD_EXIT_USAGE;
		}
		if (k->needs)
			check_policy_list_needs(stdout, &cat);
		else {
			check_policy_list(stdout);
			catalogue_list(stdout, &cat);
		}
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
	if (confirm_ready(k) < 0 || spawned(k, c->policy, &t) < 0)
		return CMD_EXIT_USAGE;
	o.target = &t;
	cf.t = &t;
	confirm_book_init(&book);
	o.book = k->confirm ? &book : NULL;
	cmd_report_start(c, &r, "fake-smtpd check --policy");
	cmd_report_catalogue(&r, o.catalogue_dir);
	if (c->format == REPORT_TEXT) {
		cmd_about(stdout, o.catalogue_dir);
		printf("fake-smtpd: checking policy service %s as Postfix %s would%s\n", c->policy,
		       cmd_version_text(c, vt, sizeof(vt)),
		       o.time_scale != 1.0 ? " (timeouts scaled)" : "");
		cmd_postconf_print(stdout, &k->pc);
	}
	progress.r = &r;
	progress.postfix_s = (int)(check_policy_timeout_ms(&o) / 1000);
	bound(c, k, &progress);
	rc = judged(c, k, &r, check_policy_run(&o, &r) >= 0, rc, &cf);
	confirm_book_free(&book);
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
	int policy = policy_mode(argc, argv), rc, i;
	struct check_cli k = { .expects = xcalloc(CHECK_EXPECT_MAX_RULES, sizeof(char *)) };
	const struct cmd_spec s = {
		.name = policy ? "check --policy" : "check --auth",
		.usage = policy ? usage_policy : usage_auth,
		.shared = CMD_OPT_VERSION | CMD_OPT_TIME_SCALE | CMD_OPT_FORMAT | CMD_OPT_DEFINE |
			  CMD_OPT_SELECT | CMD_OPT_STDERR_APART | CMD_OPT_VERBOSE | CMD_OPT_FAIL_ON |
			  CMD_OPT_COLOR | (policy ? CMD_OPT_POLICY : CMD_OPT_AUTH | CMD_OPT_ACCOUNT),
		.formats = CMD_FMT_ALL, .opts = policy ? opts_policy : opts_auth, .shortopts = "o:",
		.opt = check_opt, .ctx = &k,
	};
	struct cmd_common c;
	size_t j;

	/* "check --policy --list": getopt would take --list for the target */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--list") == 0)
			k.list = 1;
	if ((rc = cmd_start(&s, &c, argc, argv)) < 0) {
		if (policy && c.policy != NULL && strcmp(c.policy, "--list") == 0)
			c.policy = NULL;
		rc = policy ? run_policy(&c, &k) : run_auth(&c, &k);
	}
	cmd_postconf_free(&k.pc);
	for (j = 0; j < k.nexp; j++)
		free(k.expects[j]);
	free(k.expects);
	cmd_common_free(&c);
	return rc;
}
