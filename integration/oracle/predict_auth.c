/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	predict_auth - the Postfix oracle on the AUTHs after a broken auth connection
 * SYNOPSIS
 *	predict_auth VERSION eof|error unix|inet
 * DESCRIPTION
 *	A thin command line over harness/postfix/pf_auth: an SMTP client
 *	sends AUTH again and again in one session of Postfix VERSION's
 *	smtpd; the auth server breaks the first request's connection
 *	(eof: closes it; error: never answers, so Postfix's 10 s timeout
 *	ends it) and serves every later connection. The smtpd reaches it
 *	over a UNIX socket or TCP. Printed per AUTH, until the first 235:
 *	"auth<TAB>N<TAB>ID<TAB>SMTP REPLY", ID being the request id the
 *	server receives, or "-" when the request goes out on a connection
 *	nobody reads any more.
 * DIAGNOSTICS
 *	Usage errors on stderr, exit status 2. Otherwise 0.
 */
#include <stdio.h>
#include <string.h>

#include "harness/postfix/pf_auth.h"
#include "harness/postfix/pf_version.h"

#define OK_REPLY	"235 2.7.0 Authentication successful"
#define MAX_AUTHS	8

int main(int argc, char **argv)
{
	struct pf_version v;
	struct pf_auth_verdict lost;
	enum pf_auth_link how, link;
	unsigned id = 1, n;
	int inet;

	if (argc != 4 || pf_version_parse(argv[1], &v) < 0 ||
	    (strcmp(argv[2], "eof") != 0 && strcmp(argv[2], "error") != 0) ||
	    (strcmp(argv[3], "unix") != 0 && strcmp(argv[3], "inet") != 0)) {
		fprintf(stderr, "usage: predict_auth VERSION eof|error unix|inet\n");
		return 2;
	}
	how = strcmp(argv[2], "eof") == 0 ? PF_AUTH_LINK_EOF : PF_AUTH_LINK_ERROR;
	inet = strcmp(argv[3], "inet") == 0;
	pf_auth_io_failure(&v, &lost);
	printf("auth\t1\t%u\t%s\n", id, lost.smtp);
	link = pf_auth_link_after(&v, how);
	for (n = 2; n <= MAX_AUTHS; n++) {
		switch (pf_auth_next_request(link, inet)) {
		case PF_AUTH_NEXT_SEND:
		case PF_AUTH_NEXT_CONNECT:
			id += 1;
			break;
		case PF_AUTH_NEXT_RETRY:
			id += 2;
			break;
		case PF_AUTH_NEXT_DEAD:
			id += 1;
			printf("auth\t%u\t-\t%s\n", n, lost.smtp);
			link = pf_auth_link_after(&v, PF_AUTH_LINK_ERROR);
			continue;
		}
		printf("auth\t%u\t%u\t%s\n", n, id, OK_REPLY);
		return 0;
	}
	return 0;
}
