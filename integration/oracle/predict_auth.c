/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	predict_auth - the Postfix oracle on an auth server's mechanisms and broken connections
 * SYNOPSIS
 *	predict_auth VERSION eof|error unix|inet
 *	predict_auth VERSION ehlo < HANDSHAKE
 *	predict_auth VERSION first MECH [INITIAL-RESPONSE] < HANDSHAKE
 *	predict_auth VERSION next RESPONSE
 * DESCRIPTION
 *	A thin command line over harness/postfix/pf_auth and pf_sasl.
 *
 *	ehlo: the auth server's handshake lines (VERSION ... DONE, one per
 *	line) on standard input; printed: "ehlo<TAB>WORDS", the mechanisms
 *	Postfix VERSION's EHLO advertises after AUTH with its default
 *	smtpd_sasl_security_options and smtpd_sasl_mechanism_filter, or
 *	"ehlo<TAB>(handshake failed)".
 *
 *	first: the client's AUTH MECH [INITIAL-RESPONSE] after the same
 *	handshake (pf_sasl_first); next: its RESPONSE to a 334 (pf_sasl_next).
 *	Printed: "send<TAB>1" when Postfix passes it to the server, else
 *	"send<TAB>0" and "smtp<TAB>REPLY", the reply smtpd gives itself.
 *
 *	eof|error: an SMTP client
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
#include "harness/postfix/pf_sasl.h"
#include "harness/postfix/pf_version.h"

#define OK_REPLY	"235 2.7.0 Authentication successful"
#define MAX_AUTHS	8

/* read_offer - the handshake on stdin and the mechanisms it offers; 0 if whole */
static int read_offer(const struct pf_version *v, struct pf_sasl_offer *o)
{
	static struct pf_auth_handshake h;
	char line[4096];
	int rc = 0;

	pf_auth_handshake_init(&h, v);
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL)
		rc = pf_auth_handshake_line(&h, line, strcspn(line, "\n"));
	if (rc != 1)
		return -1;
	pf_sasl_offer(&h, NULL, NULL, o);
	return 0;
}

/* ehlo - the EHLO AUTH words after the handshake on stdin */
static int ehlo(const struct pf_version *v)
{
	struct pf_sasl_offer o;
	size_t i;

	if (read_offer(v, &o) < 0) {
		printf("ehlo\t(handshake failed)\n");
		return 0;
	}
	printf("ehlo\t");
	for (i = 0; i < o.nehlo; i++)
		printf("%s%s", i ? " " : "", o.ehlo[i]);
	printf("\n");
	return 0;
}

/* step - what smtpd does with the client's AUTH (first) or response (next) */
static int step(const struct pf_version *v, int argc, char **argv)
{
	struct pf_sasl_offer o;
	struct pf_sasl_step s;

	if (strcmp(argv[2], "next") == 0) {
		pf_sasl_next(v, argv[3], strlen(argv[3]), &s);
	} else if (read_offer(v, &o) < 0) {
		printf("send\t0\nsmtp\t(handshake failed)\n");
		return 0;
	} else {
		pf_sasl_first(v, &o, argv[3], argc == 5 ? argv[4] : NULL, &s);
	}
	printf("send\t%d\n", s.send);
	if (!s.send)
		printf("smtp\t%s\n", s.smtp);
	return 0;
}

int main(int argc, char **argv)
{
	struct pf_version v;
	struct pf_auth_verdict lost;
	enum pf_auth_link how, link;
	unsigned id = 1, n;
	int inet;

	if (argc == 3 && strcmp(argv[2], "ehlo") == 0 && pf_version_parse(argv[1], &v) == 0)
		return ehlo(&v);
	if ((argc == 4 || argc == 5) && strcmp(argv[2], "first") == 0 &&
	    pf_version_parse(argv[1], &v) == 0)
		return step(&v, argc, argv);
	if (argc == 4 && strcmp(argv[2], "next") == 0 && pf_version_parse(argv[1], &v) == 0)
		return step(&v, argc, argv);
	if (argc != 4 || pf_version_parse(argv[1], &v) < 0 ||
	    (strcmp(argv[2], "eof") != 0 && strcmp(argv[2], "error") != 0) ||
	    (strcmp(argv[3], "unix") != 0 && strcmp(argv[3], "inet") != 0)) {
		fprintf(stderr, "usage: predict_auth VERSION eof|error unix|inet | "
			"predict_auth VERSION ehlo|first MECH [RESP]|next RESP\n");
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
