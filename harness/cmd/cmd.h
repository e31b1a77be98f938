/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cmd - fake-smtpd's command layer: the subcommand table and the
 *	options every subcommand shares
 * SYNOPSIS
 *	#include "harness/cmd/cmd.h"
 *
 *	const struct cmd *cmd_find(const char *name);
 *	void cmd_list(FILE *fp);
 *
 *	void cmd_common_init(struct cmd_common *c);
 *	void cmd_common_free(struct cmd_common *c);
 *	int cmd_parse(const struct cmd_spec *s, struct cmd_common *c,
 *	              int argc, char **argv);
 *	int cmd_start(const struct cmd_spec *s, struct cmd_common *c,
 *	              int argc, char **argv);
 *	void cmd_usage(const struct cmd_spec *s, FILE *fp);
 *	int cmd_target(const char *spec, struct target *t);
 *	int cmd_uint(const char *opt, const char *arg, unsigned min,
 *	             unsigned max, unsigned *v_r);
 *	int cmd_duration_ms(const char *opt, const char *arg, uint64_t min,
 *	                    uint64_t max, uint64_t *ms_r);
 *	void cmd_report_start(const struct cmd_common *c, struct report *r,
 *	                      const char *suite);
 *	const char *cmd_version_text(const struct cmd_common *c, char *buf,
 *	                             size_t size);
 *	const char *cmd_default_version(struct pf_version *v);
 *	void cmd_report_catalogue(struct report *r, const char *catdir);
 *	int cmd_color(const struct cmd_common *c, FILE *fp);
 *	int cmd_failed(const struct cmd_common *c, const struct report *r);
 *
 *	const char *cmd_datadir(char *buf, size_t size);
 *	const char *cmd_catalogue_dir(const char *proto, char *buf,
 *	                              size_t size);
 *	int cmd_catalogue_id(const char *dir, char *hex, size_t size,
 *	                     unsigned *n_r);
 *	void cmd_about(FILE *fp, const char *catdir);
 *	int cmd_version(FILE *fp);
 * DESCRIPTION
 *	One file per subcommand (harness/cmd/<name>.c) holds its usage text,
 *	its own options and the glue from options to its engine; the engines
 *	(harness/check, replay, record, fuzz, bench) take an options struct
 *	and a report and never see argv. The table of subcommands is
 *	cmd_table in cmd.c.
 *
 *	A subcommand describes its command line with a struct cmd_spec: the
 *	shared options it takes (CMD_OPT_* bits), the report formats it can
 *	write, and its own getopt_long options with a callback. cmd_parse()
 *	merges the two, parses argv from argv[1], fills the shared fields of
 *	struct cmd_common and hands every other option to s->opt. Shared
 *	options are parsed here only, so their spelling, ranges and error
 *	texts are the same in every subcommand:
 *
 *	  --auth TARGET, --policy TARGET   the helper (one of them, once)
 *	  --postfix-version V              judge as Postfix V: a version the
 *	                                   oracle knows (pf_version_known),
 *	                                   else exit 2 with the list; without
 *	                                   it the spec's default, else the
 *	                                   installed Postfix's mail_version
 *	                                   (postconf -d -h mail_version on
 *	                                   PATH), else the newest the oracle
 *	                                   was verified against
 *	  --time-scale F, --fast           Postfix's timeouts times F (0.05)
 *	  --format F                       one of the spec's formats
 *	  -D NAME=VALUE, --define          a transcript variable
 *	  --only LIST, --skip LIST         check selection
 *	  --user U, --password P           a test account
 *	  --stderr-apart                   spawn: stderr off the connection
 *	  --fail-on SEVERITY,...           which failed checks fail the run
 *	  --color=auto|always|never        colour in the text report
 *	  -v, --verbose / -q, --quiet
 *	  -h, --help                       every subcommand
 *
 *	The positional arguments are left in c->args / c->nargs; options
 *	may follow them unless the spec's shortopts start with '+' (then the
 *	first argument ends the options, so that "-NAME" can be one).
 *	cmd_usage() prints the spec's usage text, then a line for each
 *	shared option the spec takes, then the spec's exit statuses
 *	(s->exits, or those of the checks).
 *
 *	cmd_target() parses a TARGET (harness/io/target.h). cmd_uint() and
 *	cmd_duration_ms() read a number or a time ("30s", "500ms", "2m",
 *	"1h"; a bare number is seconds) for option opt. cmd_report_start()
 *	initialises a report on stdout in c->format with c->verbose and
 *	colour as cmd_color() says, and sets its target (--auth, --policy,
 *	or else the first argument: replay's TARGET) and the Postfix version
 *	(c->version). cmd_report_catalogue() adds a catalogue directory's
 *	id and number of checks to the report (nothing for NULL).
 *	cmd_color() is whether to colour what goes to fp: --color=always
 *	yes, never no; auto (the default) when fp is a terminal, $NO_COLOR
 *	is unset or empty and $TERM is not "dumb".
 *	cmd_failed() is the number of failed checks whose severity is in
 *	--fail-on (every severity by default: breaks-postfix, security,
 *	diverges-dovecot, advisory; "all" and "none" too); a subcommand
 *	exits 1 only when it is not 0, and says on stderr how many failures
 *	it let pass.
 *
 *	The data directory, the catalogue's id and --version are in
 *	datadir.c (see there).
 * DIAGNOSTICS
 *	cmd_parse: 0 parsed; 1 --help was printed on stdout (exit 0);
 *	-1 an error was reported with msg_error() (exit 2).
 *	cmd_start: cmd_common_init() and cmd_parse() in one; -1 when the
 *	subcommand goes on, else its exit status (0 after --help, 2 after
 *	an error). c is to be freed with cmd_common_free() either way.
 *	cmd_target, cmd_uint, cmd_duration_ms: 0, or -1 after msg_error().
 *	A spec whose own options collide with the shared ones is our bug:
 *	msg_panic().
 */
#ifndef HARNESS_CMD_CMD_H
#define HARNESS_CMD_CMD_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/io/target.h"
#include "harness/postfix/pf_version.h"
#include "harness/report/report.h"
#include "harness/script/transcript.h"

/* exit statuses of every subcommand */
#define CMD_EXIT_OK	0	/* everything passed */
#define CMD_EXIT_FAIL	1	/* a check failed, a finding */
#define CMD_EXIT_USAGE	2	/* usage or environment error */

/* the shared options a subcommand takes */
#define CMD_OPT_AUTH		(1u << 0)	/* --auth TARGET */
#define CMD_OPT_POLICY		(1u << 1)	/* --policy TARGET */
#define CMD_OPT_VERSION		(1u << 2)	/* --postfix-version V */
#define CMD_OPT_TIME_SCALE	(1u << 3)	/* --time-scale F, --fast */
#define CMD_OPT_FORMAT		(1u << 4)	/* --format F */
#define CMD_OPT_DEFINE		(1u << 5)	/* -D NAME=VALUE */
#define CMD_OPT_SELECT		(1u << 6)	/* --only, --skip */
#define CMD_OPT_ACCOUNT		(1u << 7)	/* --user, --password */
#define CMD_OPT_STDERR_APART	(1u << 8)	/* --stderr-apart */
#define CMD_OPT_VERBOSE		(1u << 9)	/* -v */
#define CMD_OPT_QUIET		(1u << 10)	/* -q */
#define CMD_OPT_FAIL_ON		(1u << 11)	/* --fail-on SEVERITY,... */
#define CMD_OPT_COLOR		(1u << 12)	/* --color=auto|always|never */

/* --color */
enum cmd_color {
	CMD_COLOR_AUTO,
	CMD_COLOR_ALWAYS,
	CMD_COLOR_NEVER,
};

/* report formats, as bits of cmd_spec.formats */
#define CMD_FMT(f)		(1u << (f))
#define CMD_FMT_ALL		(CMD_FMT(REPORT_TEXT) | CMD_FMT(REPORT_TAP) | \
				 CMD_FMT(REPORT_JUNIT) | CMD_FMT(REPORT_JSON))

/* own options of a subcommand use values below this; shared ones above */
#define CMD_OWN_MAX		0x1000

struct cmd_common {
	const char *auth;		/* --auth TARGET, or NULL */
	const char *policy;		/* --policy TARGET, or NULL */
	struct pf_version version;	/* --postfix-version, or the default */
	int version_given;
	const char *version_from;	/* why that version: "--postfix-version", ... */
	double time_scale;		/* 1.0: Postfix's real timeouts */
	enum report_format format;
	struct tvars defines;		/* -D NAME=VALUE */
	const char *only, *skip;	/* comma-separated ids, prefixes, tags */
	const char *user, *password;
	int stderr_apart;
	int verbose;
	int quiet;
	unsigned fail_on;		/* bits (1u << enum check_severity) */
	enum cmd_color color;		/* --color */
	char **args;			/* positional arguments */
	int nargs;
};

struct cmd_spec {
	const char *name;		/* "check --policy": in messages */
	const char *usage;		/* synopsis, description, own options */
	const char *version;		/* default --postfix-version; NULL: installed or newest */
	unsigned shared;		/* CMD_OPT_* */
	unsigned formats;		/* CMD_FMT() bits, with CMD_OPT_FORMAT */
	const struct option *opts;	/* own long options, NULL-terminated */
	const char *shortopts;		/* own short options ("" for none) */
	const char *exits;		/* exit status text; NULL: the checks' */
	int (*opt)(void *ctx, int ch, const char *arg);	/* 0, or -1 said why */
	void *ctx;
};

struct cmd {
	const char *name;
	const char *summary;		/* one line for fake-smtpd --help */
	int (*main)(int argc, char **argv);
};

const struct cmd *cmd_find(const char *name);
void cmd_list(FILE *fp);

void cmd_common_init(struct cmd_common *c);
void cmd_common_free(struct cmd_common *c);
int cmd_parse(const struct cmd_spec *s, struct cmd_common *c, int argc, char **argv);
int cmd_start(const struct cmd_spec *s, struct cmd_common *c, int argc, char **argv);
void cmd_usage(const struct cmd_spec *s, FILE *fp);
int cmd_target(const char *spec, struct target *t);
int cmd_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *v_r);
int cmd_duration_ms(const char *opt, const char *arg, uint64_t min, uint64_t max,
		    uint64_t *ms_r);
void cmd_report_start(const struct cmd_common *c, struct report *r, const char *suite);
const char *cmd_version_text(const struct cmd_common *c, char *buf, size_t size);
const char *cmd_default_version(struct pf_version *v);
void cmd_report_catalogue(struct report *r, const char *catdir);
int cmd_color(const struct cmd_common *c, FILE *fp);
int cmd_failed(const struct cmd_common *c, const struct report *r);

/* the data directory and the version (datadir.c) */
const char *cmd_datadir(char *buf, size_t size);
const char *cmd_catalogue_dir(const char *proto, char *buf, size_t size);
int cmd_catalogue_id(const char *dir, char *hex, size_t size, unsigned *n_r);
void cmd_about(FILE *fp, const char *catdir);
int cmd_version(FILE *fp);

/* the subcommands (harness/cmd/<name>.c) */
int cmd_check_main(int argc, char **argv);
int cmd_replay_main(int argc, char **argv);
int cmd_record_main(int argc, char **argv);
int cmd_fuzz_main(int argc, char **argv);
int cmd_bench_main(int argc, char **argv);
int cmd_auth_main(int argc, char **argv);
int cmd_policy_main(int argc, char **argv);

#endif
