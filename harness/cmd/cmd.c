/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cmd - the subcommand table and the shared command-line options
 * SYNOPSIS
 *	#include "harness/cmd/cmd.h"
 * DESCRIPTION
 *	See cmd.h. The shared options are one table (shared[]); a
 *	subcommand's parser is that table's selected rows followed by the
 *	subcommand's own rows, given to getopt_long(3) once.
 * DIAGNOSTICS
 *	Usage errors through msg_error(); a spec that reuses a shared
 *	option's name or value is our bug (msg_panic).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "util/compiler.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

/* the table of subcommands */
static const struct cmd cmd_table[] = {
	{ "check", "run the conformance catalogue (--auth or --policy TARGET)", cmd_check_main },
	{ "replay", "replay transcripts against TARGET, check expectations", cmd_replay_main },
	{ "record", "proxy between Postfix and a helper, write a transcript", cmd_record_main },
	{ "fuzz", "send mutated requests; report crashes, hangs, bad replies", cmd_fuzz_main },
	{ "bench", "load a helper as Postfix does, verify and time every reply",
	  cmd_bench_main },
	{ "auth", "one login: does USER get in with PASSWORD (exit 0 yes, 1 no)", cmd_auth_main },
	{ "policy", "one request: the action, and what Postfix answers the client",
	  cmd_policy_main },
};

/* cmd_find - the subcommand called name, or NULL */
const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(cmd_table); i++)
		if (strcmp(name, cmd_table[i].name) == 0)
			return &cmd_table[i];
	return NULL;
}

/* cmd_list - one line per subcommand */
void cmd_list(FILE *fp)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(cmd_table); i++)
		fprintf(fp, "  %-8s %s\n", cmd_table[i].name, cmd_table[i].summary);
}

/* the shared options: value = CMD_OWN_MAX + row */
enum {
	SH_AUTH = CMD_OWN_MAX, SH_POLICY, SH_VERSION, SH_TIME_SCALE, SH_FAST, SH_FORMAT,
	SH_DEFINE, SH_ONLY, SH_SKIP, SH_USER, SH_PASSWORD, SH_STDERR_APART, SH_VERBOSE,
	SH_QUIET, SH_FAIL_ON, SH_COLOR, SH_HELP,
};

static const struct shared_opt {
	unsigned bit;			/* CMD_OPT_*, 0: every subcommand */
	struct option o;
	const char *help;		/* a line of cmd_usage(), NULL: none */
} shared[] = {
	{ CMD_OPT_AUTH, { "auth", required_argument, NULL, SH_AUTH },
	  "  --auth TARGET          a Dovecot-protocol auth helper" },
	{ CMD_OPT_POLICY, { "policy", required_argument, NULL, SH_POLICY },
	  "  --policy TARGET        an SMTPD policy service" },
	{ CMD_OPT_VERSION, { "postfix-version", required_argument, NULL, SH_VERSION },
	  "  --postfix-version V    speak and judge as Postfix V (e.g. 3.5, 3.7.11,\n"
	  "                         3.12-20260710; default: the installed Postfix's,\n"
	  "                         else the newest the oracle was verified against)" },
	{ CMD_OPT_TIME_SCALE, { "time-scale", required_argument, NULL, SH_TIME_SCALE },
	  "  --time-scale F         multiply Postfix's timeouts by F, in (0, 10] (e.g. 0.1\n"
	  "                         in CI); the report still names the real consequence" },
	{ CMD_OPT_TIME_SCALE, { "fast", no_argument, NULL, SH_FAST },
	  "  --fast                 --time-scale 0.05" },
	{ CMD_OPT_FORMAT, { "format", required_argument, NULL, SH_FORMAT }, NULL },
	{ CMD_OPT_DEFINE, { "define", required_argument, NULL, SH_DEFINE },
	  "  -D, --define NAME=VALUE  a transcript variable (${user}, ${password}, ...)" },
	{ CMD_OPT_SELECT, { "only", required_argument, NULL, SH_ONLY },
	  "  --only LIST            run only these checks: comma-separated ids, id\n"
	  "                         prefixes or tags" },
	{ CMD_OPT_SELECT, { "skip", required_argument, NULL, SH_SKIP },
	  "  --skip LIST            leave these checks out (same syntax)" },
	{ CMD_OPT_ACCOUNT, { "user", required_argument, NULL, SH_USER },
	  "  --user U               the test account's user name" },
	{ CMD_OPT_ACCOUNT, { "password", required_argument, NULL, SH_PASSWORD },
	  "  --password P           the test account's password" },
	{ CMD_OPT_STDERR_APART, { "stderr-apart", no_argument, NULL, SH_STDERR_APART },
	  "  --stderr-apart         spawn: keep the helper's stderr off the connection\n"
	  "                         (as master.cf spawn, it is on it by default)" },
	{ CMD_OPT_VERBOSE, { "verbose", no_argument, NULL, SH_VERBOSE },
	  "  -v, --verbose          show the wire log of passing checks too" },
	{ CMD_OPT_QUIET, { "quiet", no_argument, NULL, SH_QUIET },
	  "  -q, --quiet            no progress messages or live status line" },
	{ CMD_OPT_FAIL_ON, { "fail-on", required_argument, NULL, SH_FAIL_ON },
	  "  --fail-on LIST         the severities whose failures fail the run (exit 1):\n"
	  "                         comma-separated breaks-postfix, security,\n"
	  "                         diverges-dovecot, advisory, or all (default), none" },
	{ CMD_OPT_COLOR, { "color", required_argument, NULL, SH_COLOR },
	  "  --color=WHEN           colour in the text report: auto (default: on a\n"
	  "                         terminal, unless $NO_COLOR is set), always, never" },
	{ 0, { "help", no_argument, NULL, SH_HELP },
	  "  -h, --help             this text" },
};

static const char *const format_names[] = { "text", "tap", "junit", "json" };

/* --fail-on words: the severity names of the catalogue's headers */
static const struct {
	const char *name;
	unsigned bits;
} fail_on_names[] = {
	{ "breaks-postfix", 1u << SEV_BREAKS_POSTFIX }, { "security", 1u << SEV_SECURITY },
	{ "diverges-dovecot", 1u << SEV_DIVERGES_DOVECOT }, { "advisory", 1u << SEV_ADVISORY },
	{ "all", (1u << (SEV_ADVISORY + 1)) - 1 }, { "none", 0 },
};

/* cmd_common_init - defaults of the shared options */
void cmd_common_init(struct cmd_common *c)
{
	memset(c, 0, sizeof(*c));
	pf_version_default(&c->version);
	c->time_scale = 1.0;
	c->format = REPORT_TEXT;
	c->fail_on = (1u << (SEV_ADVISORY + 1)) - 1;
	tvars_init(&c->defines);
}

/* cmd_common_free - what cmd_parse() allocated */
void cmd_common_free(struct cmd_common *c)
{
	tvars_free(&c->defines);
}

/* wanted - does the spec take this shared row */
static int wanted(const struct cmd_spec *s, const struct shared_opt *so)
{
	if (so->bit == 0)
		return 1;
	if (so->bit == CMD_OPT_FORMAT)
		return (s->shared & CMD_OPT_FORMAT) && s->formats != 0;
	return (s->shared & so->bit) != 0;
}

/* formats_text - "text, tap or json": the spec's formats */
static void formats_text(const struct cmd_spec *s, char *buf, size_t size)
{
	size_t i, n = 0, k = 0, len = 0;

	for (i = 0; i < N_ELEMENTS(format_names); i++)
		if (s->formats & (1u << i))
			n++;
	buf[0] = '\0';
	for (i = 0; i < N_ELEMENTS(format_names); i++) {
		int w;

		if (!(s->formats & (1u << i)))
			continue;
		k++;
		w = snprintf(buf + len, size - len, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
			     format_names[i]);
		if (w < 0 || (size_t)w >= size - len)
			return;
		len += (size_t)w;
	}
}

/* cmd_usage - the spec's text, then the shared options it takes */
void cmd_usage(const struct cmd_spec *s, FILE *fp)
{
	char fmts[64];
	size_t i;

	fputs(s->usage, fp);
	fputs("\ncommon options:\n", fp);
	for (i = 0; i < N_ELEMENTS(shared); i++) {
		if (!wanted(s, &shared[i]))
			continue;
		if (shared[i].o.val == SH_FORMAT) {
			formats_text(s, fmts, sizeof(fmts));
			fprintf(fp, "  --format F             report format: %s (default text)\n",
				fmts);
		} else if (shared[i].help != NULL) {
			fprintf(fp, "%s\n", shared[i].help);
		}
	}
	fputs("\n", fp);
	fputs(s->exits != NULL ? s->exits : "Exit status: 0 all passed, 1 a check failed (or a "
	      "finding), 2 usage or\nenvironment error.\n", fp);
}

/* merge - the long-option table and the optstring for one spec */
static struct option *merge(const struct cmd_spec *s, char *shortopts, size_t size)
{
	size_t nown = 0, n = 0, i, j;
	struct option *all;
	const char *own;
	int w;

	while (s->opts != NULL && s->opts[nown].name != NULL)
		nown++;
	all = xcalloc(N_ELEMENTS(shared) + nown + 1, sizeof(*all));
	for (i = 0; i < N_ELEMENTS(shared); i++) {
		if (!wanted(s, &shared[i]))
			continue;
		for (j = 0; j < nown; j++)
			if (strcmp(s->opts[j].name, shared[i].o.name) == 0 ||
			    s->opts[j].val >= CMD_OWN_MAX)
				msg_panic("cmd_parse: %s: option --%s clashes with a shared one",
					  s->name, s->opts[j].name);
		all[n++] = shared[i].o;
	}
	for (j = 0; j < nown; j++)
		all[n++] = s->opts[j];
	/* a leading '+' in the spec's shortopts: options end at the first argument */
	own = s->shortopts != NULL ? s->shortopts : "";
	w = snprintf(shortopts, size, "%s%s%s%sh%s", own[0] == '+' ? "+" : "",
		     (s->shared & CMD_OPT_DEFINE) ? "D:" : "", (s->shared & CMD_OPT_VERBOSE) ? "v" : "",
		     (s->shared & CMD_OPT_QUIET) ? "q" : "", own + (own[0] == '+'));
	if (w < 0 || (size_t)w >= size)
		msg_panic("cmd_parse: %s: too many short options", s->name);
	return all;
}

/* parse_scale - --time-scale F */
static int parse_scale(const char *arg, double *v_r)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !(v > 0) || v > 10) {
		msg_error("--time-scale: want a number in (0, 10]: %s", arg);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* parse_fail_on - --fail-on LIST */
static int parse_fail_on(const char *arg, unsigned *bits_r)
{
	const char *p = arg;
	unsigned bits = 0;

	while (*p != '\0') {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < N_ELEMENTS(fail_on_names); i++)
			if (strlen(fail_on_names[i].name) == n && strncmp(p, fail_on_names[i].name, n) == 0)
				break;
		if (i == N_ELEMENTS(fail_on_names)) {
			msg_error("--fail-on: want comma-separated breaks-postfix, security, "
				  "diverges-dovecot, advisory, all or none, not \"%.*s\"", (int)n, p);
			return -1;
		}
		bits |= fail_on_names[i].bits;
		p += n + (p[n] == ',');
	}
	if (p == arg) {
		msg_error("--fail-on: empty list (none: no failed check fails the run)");
		return -1;
	}
	*bits_r = bits;
	return 0;
}

/* parse_color - --color=auto|always|never */
static int parse_color(const char *arg, enum cmd_color *color_r)
{
	static const char *const names[] = { "auto", "always", "never" };
	size_t i;

	for (i = 0; i < N_ELEMENTS(names); i++)
		if (strcmp(arg, names[i]) == 0) {
			*color_r = (enum cmd_color)i;
			return 0;
		}
	msg_error("--color: want auto, always or never, not %s", arg);
	return -1;
}

/* shared_one - one shared option; 0, or -1 said why */
static int shared_one(const struct cmd_spec *s, struct cmd_common *c, int ch, const char *arg)
{
	char err[TPAT_MAX_NAME + 200];
	size_t i;

	switch (ch) {
	case SH_AUTH:
	case SH_POLICY:
		if (c->auth != NULL || c->policy != NULL) {
			msg_error("%s: one --auth or --policy target, once", s->name);
			return -1;
		}
		if (ch == SH_AUTH)
			c->auth = arg;
		else
			c->policy = arg;
		return 0;
	case SH_VERSION:
		if (pf_version_parse(arg, &c->version) < 0 || !pf_version_known(&c->version)) {
			char known[1024];

			if (pf_version_known_list(known, sizeof(known)) < 0)
				snprintf(known, sizeof(known), "?");
			msg_error("--postfix-version: %s is not a Postfix version this oracle knows; "
				  "known: %s", arg, known);
			return -1;
		}
		c->version_given = 1;
		c->version_from = "--postfix-version";
		return 0;
	case SH_TIME_SCALE:
		return parse_scale(arg, &c->time_scale);
	case SH_FAST:
		c->time_scale = 0.05;
		return 0;
	case SH_FORMAT:
		for (i = 0; i < N_ELEMENTS(format_names); i++)
			if ((s->formats & (1u << i)) && strcmp(arg, format_names[i]) == 0) {
				c->format = (enum report_format)i;
				return 0;
			}
		formats_text(s, err, sizeof(err));
		msg_error("--format: want %s, not %s", err, arg);
		return -1;
	case SH_DEFINE:
		if (tvars_define(&c->defines, arg, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			return -1;
		}
		return 0;
	case SH_ONLY: c->only = arg; return 0;
	case SH_SKIP: c->skip = arg; return 0;
	case SH_USER: c->user = arg; return 0;
	case SH_PASSWORD: c->password = arg; return 0;
	case SH_STDERR_APART: c->stderr_apart = 1; return 0;
	case SH_VERBOSE: c->verbose = 1; return 0;
	case SH_QUIET: c->quiet = 1; return 0;
	case SH_FAIL_ON: return parse_fail_on(arg, &c->fail_on);
	case SH_COLOR: return parse_color(arg, &c->color);
	default:
		msg_panic("cmd_parse: %s: shared option %d unknown", s->name, ch);
	}
}

/*
 * installed_version - the mail_version of the Postfix on PATH
 * (postconf -d: no main.cf needed), or -1
 */
static int installed_version(struct pf_version *v)
{
	FILE *fp = popen("postconf -d -h mail_version 2>/dev/null", "r");
	char line[64] = "";
	int ok;

	if (fp == NULL)
		return -1;
	ok = fgets(line, sizeof(line), fp) != NULL;
	if (pclose(fp) != 0 || !ok)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	if (pf_version_parse(line, v) < 0)
		return -1;
	if (!pf_version_known(v))
		msg_warn("the installed Postfix %s is newer than this oracle knows; judged as %s "
			 "with the rules of the newest it knows", line, line);
	return 0;
}

/* cmd_default_version - the installed Postfix's version, or the newest verified */
const char *cmd_default_version(struct pf_version *v)
{
	if (installed_version(v) == 0)
		return "the installed Postfix";
	pf_version_newest(v);
	return "no Postfix installed: the newest the oracle was verified against";
}

/* default_version - the spec's, the installed Postfix's, or the newest verified */
static void default_version(const struct cmd_spec *s, struct cmd_common *c)
{
	if (s->version != NULL) {
		if (pf_version_parse(s->version, &c->version) < 0)
			msg_panic("cmd_parse: %s: default version %s", s->name, s->version);
		c->version_from = "the default of fake-smtpd";
	} else {
		c->version_from = cmd_default_version(&c->version);
	}
}

/* cmd_version_text - "3.7.11 (the installed Postfix)" */
const char *cmd_version_text(const struct cmd_common *c, char *buf, size_t size)
{
	char pv[40];

	if (pf_version_format(&c->version, pv, sizeof(pv)) < 0)
		snprintf(pv, sizeof(pv), "?");
	snprintf(buf, size, "%s (%s)", pv, c->version_from ? c->version_from : "default");
	return buf;
}

/* cmd_parse - the shared options into c, the spec's own through s->opt */
int cmd_parse(const struct cmd_spec *s, struct cmd_common *c, int argc, char **argv)
{
	char shortopts[128];
	struct option *all = merge(s, shortopts, sizeof(shortopts));
	int ch, rc = 0;

	optind = 1;
	opterr = 1;
	while (rc == 0 && (ch = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
		if (ch == 'h' || ch == SH_HELP) {
			cmd_usage(s, stdout);
			rc = 1;
		} else if (ch == '?' || ch == ':') {
			msg_error("see fake-smtpd %s --help", s->name);
			rc = -1;
		} else if (ch == 'D') {
			rc = shared_one(s, c, SH_DEFINE, optarg);
		} else if (ch == 'v' && (s->shared & CMD_OPT_VERBOSE)) {
			c->verbose = 1;
		} else if (ch == 'q' && (s->shared & CMD_OPT_QUIET)) {
			c->quiet = 1;
		} else if (ch >= CMD_OWN_MAX) {
			rc = shared_one(s, c, ch, optarg);
		} else if (s->opt == NULL || s->opt(s->ctx, ch, optarg) < 0) {
			rc = -1;
		}
	}
	free(all);
	if (rc == 0 && (s->shared & CMD_OPT_VERSION) && !c->version_given)
		default_version(s, c);
	c->args = argv + optind;
	c->nargs = argc - optind;
	return rc;
}

/* cmd_start - defaults, then the command line: -1 go on, else the exit status */
int cmd_start(const struct cmd_spec *s, struct cmd_common *c, int argc, char **argv)
{
	int rc;

	cmd_common_init(c);
	rc = cmd_parse(s, c, argc, argv);
	return rc == 0 ? -1 : rc > 0 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
}

/* cmd_target - parse TARGET, or say why not */
int cmd_target(const char *spec, struct target *t)
{
	char err[700];

	if (target_parse(spec, t, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		target_free(t);
		return -1;
	}
	return 0;
}

/* cmd_uint - a number in [min, max] for option opt */
int cmd_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *v_r)
{
	unsigned v;

	if (str_to_uint(arg, strlen(arg), &v) < 0 || v < min || v > max) {
		msg_error("%s: want a number %u-%u, not %s", opt, min, max, arg);
		return -1;
	}
	*v_r = v;
	return 0;
}

/* cmd_duration_ms - "30s", "500ms", "2m", "1h", bare seconds, in [min, max] ms */
int cmd_duration_ms(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *ms_r)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno != 0 || !(v >= 0) || v > 86400.0 * 365)
		goto bad;
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else
		goto bad;
	if ((uint64_t)v < min || (uint64_t)v > max)
		goto bad;
	*ms_r = (uint64_t)v;
	return 0;
bad:
	msg_error("%s: want a time such as 30s, 500ms or 2m, between %llu ms and %llu s, not %s",
		  opt, (unsigned long long)min, (unsigned long long)(max / 1000), arg);
	return -1;
}

/* cmd_failed - failures whose severity fails the run; the others are told */
int cmd_failed(const struct cmd_common *c, const struct report *r)
{
	unsigned counted = 0, i;

	for (i = 0; i <= SEV_ADVISORY; i++)
		if (c->fail_on & (1u << i))
			counted += r->failed_sev[i];
	if (counted < r->failed)
		msg_info("%u failed check%s of a severity outside --fail-on: not failing the run",
			 r->failed - counted, r->failed - counted > 1 ? "s" : "");
	return (int)counted;
}

/* cmd_color - colour what goes to fp? (--color, $NO_COLOR, a terminal) */
int cmd_color(const struct cmd_common *c, FILE *fp)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (c->color != CMD_COLOR_AUTO)
		return c->color == CMD_COLOR_ALWAYS;
	if ((no != NULL && no[0] != '\0') || (term != NULL && strcmp(term, "dumb") == 0))
		return 0;
	return isatty(fileno(fp));
}

/* cmd_report_start - a report on stdout in the chosen format, with what the run is */
void cmd_report_start(const struct cmd_common *c, struct report *r, const char *suite)
{
	char pv[40];
	const char *target = c->auth != NULL ? c->auth : c->policy != NULL ? c->policy :
			     c->nargs > 0 ? c->args[0] : NULL;

	report_init(r, c->format, stdout, c->verbose);
	r->suite = suite;
	r->color = cmd_color(c, stdout);
	if (pf_version_format(&c->version, pv, sizeof(pv)) < 0)
		snprintf(pv, sizeof(pv), "?");
	report_set_target(r, target, pv);
}

/* cmd_report_catalogue - the catalogue's id and size into the report */
void cmd_report_catalogue(struct report *r, const char *catdir)
{
	char hex[32], id[40];
	unsigned n;

	if (catdir == NULL)
		return;
	if (cmd_catalogue_id(catdir, hex, sizeof(hex), &n) < 0)
		snprintf(id, sizeof(id), "unreadable");
	else
		snprintf(id, sizeof(id), "sha256:%s", hex);
	report_set_catalogue(r, id, catdir, n);
}
