/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	predict - the Postfix oracle's verdict on one policy answer
 * SYNOPSIS
 *	predict VERSION STATE [options] -- ACTION
 *	predict VERSION STATE [options] --failure [DEFAULT_ACTION]
 * DESCRIPTION
 *	A thin command line over harness/postfix/pf_policy: what Postfix
 *	VERSION's smtpd does with the policy answer ACTION (given verbatim,
 *	may be empty) at protocol state STATE (RCPT, MAIL, ...), or with a
 *	policy request that failed every try (--failure: the default action,
 *	Postfix's own when none is given). The integration suite compiles
 *	it with the build's sources and compares its verdict with what real
 *	Postfix answers.
 *
 *	Options: --recipient ADDR, --sender ADDR, --helo NAME, --client
 *	NAME[ADDR], --sasl-user NAME, --relay-ok, --mynetworks.
 *
 *	Output: one "name<TAB>value" line each for kind, smtp, disconnect,
 *	effects (blank-separated: hold discard filter redirect bcc prepend
 *	info defer_if_permit defer_if_reject), pending and notes.
 * DIAGNOSTICS
 *	Usage errors name the argument on stderr; exit status 2. Otherwise 0.
 */
#include <stdio.h>
#include <string.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_version.h"

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "predict: %s%s%s\n"
		"usage: predict VERSION STATE [options] -- ACTION | --failure [DEFAULT_ACTION]\n",
		why, arg ? ": " : "", arg ? arg : "");
	return 2;
}

static const struct {
	unsigned bit;
	const char *name;
} fx[] = {
	{ PF_POL_FX_HOLD, "hold" }, { PF_POL_FX_DISCARD, "discard" },
	{ PF_POL_FX_FILTER, "filter" }, { PF_POL_FX_REDIRECT, "redirect" },
	{ PF_POL_FX_BCC, "bcc" }, { PF_POL_FX_PREPEND, "prepend" }, { PF_POL_FX_INFO, "info" },
	{ PF_POL_FX_DEFER_IF_PERMIT, "defer_if_permit" },
	{ PF_POL_FX_DEFER_IF_REJECT, "defer_if_reject" },
};

int main(int argc, char **argv)
{
	struct pf_version v;
	enum pf_pol_state st;
	struct pf_pol_ctx c;
	struct pf_pol_verdict out;
	int i;

	if (argc < 4)
		return usage("too few arguments", NULL);
	if (pf_version_parse(argv[1], &v) < 0)
		return usage("not a Postfix version", argv[1]);
	if (pf_pol_state_parse(argv[2], &st) < 0)
		return usage("not a protocol state", argv[2]);
	pf_pol_ctx_init(&c, &v, st);
	for (i = 3; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;

		if (strcmp(a, "--") == 0) {
			if (i + 2 != argc)
				return usage("want exactly one ACTION after --", NULL);
			pf_pol_eval(&c, argv[i + 1], strlen(argv[i + 1]), &out);
			break;
		} else if (strcmp(a, "--failure") == 0) {
			if (i + 2 < argc)
				return usage("want at most one DEFAULT_ACTION after --failure", NULL);
			pf_pol_eval_failure(&c, i + 1 < argc ? argv[i + 1] : NULL, &out);
			break;
		} else if (strcmp(a, "--relay-ok") == 0) {
			c.relay_ok = 1;
		} else if (strcmp(a, "--mynetworks") == 0) {
			c.mynetworks = 1;
		} else if (!has_value) {
			return usage("unknown option or missing value", a);
		} else if (strcmp(a, "--recipient") == 0) {
			c.recipient = argv[++i];
		} else if (strcmp(a, "--sender") == 0) {
			c.sender = argv[++i];
		} else if (strcmp(a, "--helo") == 0) {
			c.helo = argv[++i];
		} else if (strcmp(a, "--client") == 0) {
			c.client = argv[++i];
		} else if (strcmp(a, "--sasl-user") == 0) {
			c.sasl_user = argv[++i];
		} else {
			return usage("unknown option", a);
		}
	}
	if (i >= argc)
		return usage("want -- ACTION or --failure", NULL);
	printf("kind\t%s\nsmtp\t%s\ndisconnect\t%d\neffects\t",
	       pf_pol_kind_name(out.kind), out.smtp, out.disconnect);
	for (i = 0; i < (int)(sizeof(fx) / sizeof(fx[0])); i++)
		if (out.effects & fx[i].bit)
			printf(" %s", fx[i].name);
	printf("\npending\t%s\nnotes\t%s\n", out.pending, out.notes);
	return 0;
}
