/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	postconf - the --postconf FILE and -o NAME=VALUE options
 * SYNOPSIS
 *	#include "harness/cmd/postconf.h"
 *
 *	void cmd_postconf_init(struct cmd_postconf *p);
 *	int cmd_postconf_opt(struct cmd_postconf *p, int ch,
 *	                     const char *arg);
 *	struct pf_pol_conf *cmd_postconf_load(struct cmd_postconf *p,
 *	                                      const struct pf_version *v);
 *	void cmd_postconf_print(FILE *fp, const struct cmd_postconf *p);
 *	void cmd_postconf_free(struct cmd_postconf *p);
 * DESCRIPTION
 *	The user's Postfix configuration for the oracle: --postconf FILE
 *	(a main.cf) and -o NAME=VALUE (repeatable, after the file, as
 *	postconf -o), read with Postfix's rules (harness/postfix/pf_conf.h)
 *	over the defaults of the chosen --postfix-version.
 *
 *	cmd_postconf_opt() takes CMD_POSTCONF_FILE and CMD_POSTCONF_SET
 *	(the option codes a subcommand puts in its option table, with
 *	CMD_POSTCONF_OPTIONS for its long options). cmd_postconf_load()
 *	reads them: NULL when neither was given (the oracle then assumes
 *	Postfix's defaults with check_policy_service as the only
 *	restriction), else the configuration (p owns it).
 *	cmd_postconf_print() writes the settings used, one per line, for
 *	the text report's header (the engines put the same lines,
 *	pf_pol_conf_line(), in their checks' logs for JSON and JUnit).
 * DIAGNOSTICS
 *	cmd_postconf_opt: 0 or -1. cmd_postconf_load: NULL with p->failed
 *	set after msg_error() when the file cannot be read or Postfix
 *	would refuse a value; main.cf warnings go to msg_warn().
 */
#ifndef HARNESS_CMD_POSTCONF_H
#define HARNESS_CMD_POSTCONF_H

#include <stdio.h>

#include "harness/postfix/pf_policy_conf.h"

#define CMD_POSTCONF_FILE	0x0F01
#define CMD_POSTCONF_SET	'o'
#define CMD_POSTCONF_OPTIONS	{ "postconf", required_argument, NULL, CMD_POSTCONF_FILE }
#define CMD_POSTCONF_MAX_SETS	64

struct cmd_postconf {
	const char *file;
	const char *sets[CMD_POSTCONF_MAX_SETS];
	size_t nsets;
	struct pf_conf *conf;
	struct pf_pol_conf *pol;
	int failed;
};

void cmd_postconf_init(struct cmd_postconf *p);
int cmd_postconf_opt(struct cmd_postconf *p, int ch, const char *arg);
struct pf_pol_conf *cmd_postconf_load(struct cmd_postconf *p, const struct pf_version *v);
void cmd_postconf_print(FILE *fp, const struct cmd_postconf *p);
void cmd_postconf_free(struct cmd_postconf *p);

#endif
