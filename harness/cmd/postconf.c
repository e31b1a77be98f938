/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	postconf - the --postconf FILE and -o NAME=VALUE options
 * SYNOPSIS
 *	#include "harness/cmd/postconf.h"
 * DESCRIPTION
 *	See postconf.h. The file is read whole (catalogue_slurp), parsed
 *	by pf_conf_parse(), then the -o settings in the order given.
 * DIAGNOSTICS
 *	msg_error() and msg_warn(); see postconf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "harness/check/catalogue.h"
#include "harness/cmd/postconf.h"
#include "util/msg.h"
#include "util/xmem.h"

void cmd_postconf_init(struct cmd_postconf *p)
{
	memset(p, 0, sizeof(*p));
}

int cmd_postconf_opt(struct cmd_postconf *p, int ch, const char *arg)
{
	if (ch == CMD_POSTCONF_FILE) {
		p->file = arg;
		return 0;
	}
	if (strchr(arg, '=') == NULL || arg[0] == '=') {
		msg_error("-o %s: want NAME=VALUE (a main.cf setting)", arg);
		return -1;
	}
	if (p->nsets == CMD_POSTCONF_MAX_SETS) {
		msg_error("-o: at most %d settings", CMD_POSTCONF_MAX_SETS);
		return -1;
	}
	p->sets[p->nsets++] = arg;
	return 0;
}

/* warnings - main.cf warnings, one msg_warn() each */
static void warnings(const char *file, const char *w)
{
	while (*w) {
		size_t n = strcspn(w, ";");

		msg_warn("%s, %.*s", file, (int)n, w);
		w += n;
		w += strspn(w, "; ");
	}
}

struct pf_pol_conf *cmd_postconf_load(struct cmd_postconf *p, const struct pf_version *v)
{
	char err[700];
	size_t i;

	if (p->file == NULL && p->nsets == 0)
		return NULL;
	p->conf = xmalloc(sizeof(*p->conf));
	p->pol = xmalloc(sizeof(*p->pol));
	pf_conf_init(p->conf, v);
	if (p->file != NULL) {
		size_t len;
		char *buf = catalogue_slurp(p->file, &len, err, sizeof(err));

		if (buf == NULL) {
			msg_error("--postconf %s", err);
			p->failed = 1;
			return NULL;
		}
		if (pf_conf_parse(p->conf, buf, len, err, sizeof(err)) < 0) {
			msg_error("%s, %s", p->file, err);
			free(buf);
			p->failed = 1;
			return NULL;
		}
		free(buf);
		warnings(p->file, p->conf->warnings);
	}
	for (i = 0; i < p->nsets; i++)
		if (pf_conf_set(p->conf, p->sets[i], err, sizeof(err)) < 0) {
			msg_error("%s", err);
			p->failed = 1;
			return NULL;
		}
	if (pf_pol_conf_load(p->pol, p->conf, err, sizeof(err)) < 0) {
		msg_error("%s: %s", p->file ? p->file : "-o", err);
		p->failed = 1;
		return NULL;
	}
	return p->pol;
}

void cmd_postconf_print(FILE *fp, const struct cmd_postconf *p)
{
	char line[1200];
	size_t i;

	if (p->pol == NULL)
		return;
	fprintf(fp, "fake-smtpd: Postfix settings used (%s, %zu -o):\n",
		p->file ? p->file : "no main.cf", p->nsets);
	for (i = 0; pf_pol_conf_line(p->pol, i, line, sizeof(line)); i++)
		fprintf(fp, "  %s\n", line);
}

void cmd_postconf_free(struct cmd_postconf *p)
{
	free(p->conf);
	free(p->pol);
	p->conf = NULL;
	p->pol = NULL;
}
