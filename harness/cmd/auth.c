/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	auth - fake-smtpd auth: one login, as Postfix's smtpd relays it
 * SYNOPSIS
 *	fake-smtpd auth [options] TARGET USER PASSWORD [--mech M]
 * DESCRIPTION
 *	The one-line answer to "does USER log in with PASSWORD": connects
 *	to the auth helper as Postfix does (VERSION 1 0 and CPID in one
 *	write, the handshake read up to DONE and judged by the oracle,
 *	harness/postfix/pf_auth.h), checks that the mechanism survives
 *	Postfix's default smtpd_sasl_security_options (noanonymous;
 *	pf_sasl_offer, pf_sasl_first), then runs one SASL exchange
 *	(lib/proto/sasl.h, the client side) with Postfix's AUTH line
 *	(pf_auth_request_v: id 1, service=smtp, lip/rip 127.0.0.1, resp=
 *	for a mechanism with an initial response) and judges every reply
 *	as Postfix does (pf_auth_judge: lines for another id or unknown
 *	words are skipped, CONT is a 334 answered by the client, OK 235,
 *	FAIL 535; EOF or the 10 s timeout 454, pf_auth_io_failure). The
 *	last line says what Postfix answers the SMTP client; -v shows every
 *	line sent (C:) and received (S:), escaped, and the oracle's notes.
 *	Postfix's timeouts are multiplied by --time-scale.
 * DIAGNOSTICS
 *	Exit 0 the login was accepted (235), 1 refused (535 after the
 *	helper's FAIL), 2 anything else: usage, an unreachable or broken
 *	helper, a handshake Postfix refuses, a mechanism Postfix would not
 *	use, a 454.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cmd/cmd.h"
#include "harness/cmd/postconf.h"
#include "harness/postfix/pf_sasl.h"
#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "util/msg.h"
#include "util/xmem.h"

#define AUTH_ID		1u	/* the first request of a fresh smtpd */
#define AUTH_ADDR	"127.0.0.1"	/* lip= and rip= */
#define AUTH_MAX_ROUNDS	32	/* CONT rounds before giving up */

static const char usage_auth[] =
"usage: fake-smtpd auth [options] TARGET USER PASSWORD [--mech M]\n"
"\n"
"Logs USER in with PASSWORD through the auth helper at TARGET, exactly as\n"
"Postfix's smtpd relays an SMTP AUTH command, and prints what Postfix would\n"
"answer the SMTP client (235, 535 or 454 ...).\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"\n"
"  --mech M               PLAIN (default), LOGIN, CRAM-MD5, SCRAM-SHA-1,\n"
"                         SCRAM-SHA-256 (sent as written, as Postfix passes\n"
"                         the client's spelling)\n"
"  --postconf FILE        your main.cf: smtpd_sasl_security_options and\n"
"                         smtpd_sasl_mechanism_filter choose what Postfix offers\n"
"                         (-v prints its EHLO AUTH line), smtpd_sasl_service\n"
"                         is the AUTH line's service=\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  (-v shows the exchange: every line sent and received, and why)\n";

enum { OPT_MECH = 'm' };

static const struct option opts_auth[] = {
	{ "mech", required_argument, NULL, OPT_MECH },
	CMD_POSTCONF_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

struct auth_run {
	const struct cmd_common *c;
	const char *mech;
	struct tconn conn;
	int timeout_ms;
	struct pf_auth_handshake hs;
	struct pf_auth_verdict verdict;
	struct cmd_postconf pc;		/* --postconf, -o */
	const char *secopts, *filter;	/* main.cf's, or NULL: the defaults */
	const char *service;		/* smtpd_sasl_service */
};

/* auth_opt - --mech */
static int auth_opt(void *ctx, int ch, const char *arg)
{
	struct auth_run *x = ctx;

	if (ch == CMD_POSTCONF_FILE || ch == CMD_POSTCONF_SET)
		return cmd_postconf_opt(&x->pc, ch, arg);
	if (ch != OPT_MECH)
		msg_panic("auth_opt: option %d", ch);
	x->mech = arg;
	return 0;
}

/* show - one line of the exchange, with -v */
static void show(const struct auth_run *x, const char *tag, const char *p, size_t len)
{
	char buf[1200];

	if (x->c->verbose)
		printf("  %s %s\n", tag, report_shown(buf, sizeof(buf), p, len));
}

/* send_lines - bytes in one write, shown line by line; -1 said why */
static int send_lines(struct auth_run *x, const struct xbuf *b)
{
	const char *p = b->data, *nl;
	size_t left = b->len;

	/* Postfix's auth stream drops what its last read brought unused */
	if (x->conn.fd >= 0) {
		const char *d;
		size_t n = tconn_drop_unread(&x->conn, &d);

		if (n > 0 && x->c->verbose)
			printf("  > Postfix drops %zu unread byte%s that came in the same read as the "
			       "last line it used\n", n, n == 1 ? "" : "s");
	}
	while (left > 0 && (nl = memchr(p, '\n', left)) != NULL) {
		show(x, "C:", p, (size_t)(nl - p));
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (tconn_write(&x->conn, b->data, b->len, x->timeout_ms) < 0) {
		msg_error("auth: cannot write to %s", x->c->args[0]);
		return -1;
	}
	return 0;
}

/* read_reply - one line: 1, or 0 after the 454 Postfix gives for EOF or silence */
static int read_reply(struct auth_run *x, const char **line_r, size_t *len_r)
{
	int rc = tconn_read_line(&x->conn, x->timeout_ms, line_r, len_r);

	if (rc == -1 && tconn_read_last(&x->conn, line_r, len_r)) {
		/* Postfix reads the bytes before EOF as a last line */
		if (x->c->verbose)
			printf("  > no LF before EOF: Postfix reads these bytes as a last line\n");
		rc = 1;
	}
	if (rc == 1) {
		show(x, "S:", *line_r, *len_r);
		return 1;
	}
	pf_auth_io_failure(&x->c->version, &x->verdict);
	if (x->c->verbose)
		printf("  > %s\n", rc == 0 ? "no reply within the read timeout" :
		       rc == -2 ? "a line longer than the bound" : "the helper closed the connection");
	return 0;
}

/* handshake - VERSION/CPID, then the helper's lines up to DONE; -1 said why */
static int handshake(struct auth_run *x)
{
	struct xbuf out;
	const char *line;
	size_t len;
	int rc;

	xbuf_init(&out, 256);
	rc = dvauth_format_version(&out, 1, 0) < 0 || dvauth_format_cpid(&out, (unsigned long)getpid()) < 0 ?
	     -1 : send_lines(x, &out);
	xbuf_free(&out);
	if (rc < 0)
		return -1;
	pf_auth_handshake_init(&x->hs, &x->c->version);
	do {
		if (!read_reply(x, &line, &len)) {
			msg_error("auth: the handshake ended before DONE: smtpd exits with \"fatal: no "
				  "SASL authentication mechanisms\"");
			return -1;
		}
		rc = pf_auth_handshake_line(&x->hs, line, len);
	} while (rc == 0);
	if (rc < 0) {
		msg_error("auth: Postfix %s the handshake: %s", rc == -2 ? "would crash on" : "refuses",
			  x->hs.why);
		return -1;
	}
	if (x->c->verbose && x->hs.notes[0])
		printf("  > handshake: %s\n", x->hs.notes);
	return 0;
}

/* first_request - the AUTH line Postfix writes, or -1 said why */
static int first_request(struct auth_run *x, const struct sasl_mech_info *mi, struct sasl_client *sc,
			 struct xbuf *out)
{
	struct pf_sasl_offer offer;
	struct pf_sasl_step step;
	struct xbuf raw, b64;
	int rc = -1;

	pf_sasl_offer(&x->hs, x->secopts, x->filter, &offer);
	if (x->c->verbose) {
		size_t k;

		printf("  > Postfix's EHLO: 250-AUTH");
		for (k = 0; k < offer.nehlo; k++)
			printf(" %s", offer.ehlo[k]);
		printf("\n");
	}
	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&b64, SASL_MAX_MESSAGE * 2);
	if (offer.fatal)
		msg_error("auth: %s", offer.notes);
	else if (mi->client_first && sasl_client_initial(sc, &raw) < 0)
		msg_error("auth: %s: no initial response", mi->name);
	else if (mi->client_first && (raw.len == 0 ? xbuf_append_str(&b64, "=") :
				      base64_encode(raw.data, raw.len, &b64)) < 0)
		msg_error("auth: the initial response is too long");
	else
		rc = 0;
	if (rc == 0) {
		pf_sasl_first(&x->c->version, &offer, x->mech, mi->client_first ? xbuf_cstr(&b64) : NULL,
			      &step);
		if (!step.send) {
			msg_error("auth: Postfix sends nothing to the helper (%s) and answers: %s",
				  step.note, step.smtp);
			rc = -1;
		} else if (pf_auth_request_v(out, &x->c->version, AUTH_ID, x->mech, x->service, AUTH_ADDR,
					     AUTH_ADDR, 0, mi->client_first ? xbuf_cstr(&b64) : NULL) < 0) {
			msg_error("auth: the AUTH line is longer than the bound");
			rc = -1;
		}
	}
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&b64);
	return rc;
}

/* answer - the client's response to a 334 challenge, as a CONT line */
static int answer(struct auth_run *x, struct sasl_client *sc, struct xbuf *out)
{
	const char *chal = x->verdict.smtp + 4, *why = NULL;
	struct xbuf raw, resp, b64;
	int rc = -1;

	xbuf_init(&raw, SASL_MAX_MESSAGE);
	xbuf_init(&resp, SASL_MAX_MESSAGE);
	xbuf_init(&b64, SASL_MAX_MESSAGE * 2);
	xbuf_reset(out);
	if (base64_decode(chal, strlen(chal), 0, &raw, &why) < 0)
		msg_error("auth: the challenge is not base64 (%s): an SMTP client aborts", why);
	else if (sasl_client_step(sc, raw.data ? raw.data : "", raw.len, &resp, &why) < 0)
		msg_error("auth: %s: %s", x->mech, why);
	else if (base64_encode(resp.data ? resp.data : "", resp.len, &b64) < 0 ||
		 pf_auth_cont(out, AUTH_ID, xbuf_cstr(&b64)) < 0)
		msg_error("auth: the response is too long");
	else
		rc = 0;
	xbuf_free_wipe(&raw);
	xbuf_free_wipe(&resp);
	xbuf_free_wipe(&b64);
	return rc;
}

/* exchange - the AUTH request and its CONT rounds until Postfix answers */
static int exchange(struct auth_run *x, const char *user, const char *password)
{
	const struct sasl_mech_info *mi = sasl_mech_by_name(x->mech, strlen(x->mech));
	struct sasl_client_params cp;
	struct sasl_client *sc;
	struct xbuf out;
	const char *line;
	size_t len;
	int rounds = 0, rc = -1;

	if (mi == NULL || mi->mech == SASL_MECH_ANONYMOUS || mi->mech == SASL_MECH_EXTERNAL) {
		msg_error("auth: --mech: want PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 or SCRAM-SHA-256, "
			  "not %s", x->mech);
		return -1;
	}
	memset(&cp, 0, sizeof(cp));
	cp.authcid = user;
	cp.password = password;
	if ((sc = sasl_client_create(mi->mech, &cp)) == NULL) {
		msg_error("auth: cannot run %s", mi->name);
		return -1;
	}
	xbuf_init(&out, DVAUTH_MAX_LINE * 4);
	if (first_request(x, mi, sc, &out) == 0 && send_lines(x, &out) == 0) {
		for (;;) {
			if (!read_reply(x, &line, &len)) {
				rc = 0;
				break;
			}
			pf_auth_judge(&x->c->version, AUTH_ID, line, len, &x->verdict);
			if (x->verdict.outcome == PF_AUTH_SKIP)
				continue;
			if (x->verdict.outcome != PF_AUTH_MORE) {
				rc = 0;
				break;
			}
			if (++rounds > AUTH_MAX_ROUNDS) {
				msg_error("auth: more than %d CONT rounds", AUTH_MAX_ROUNDS);
				break;
			}
			if (answer(x, sc, &out) < 0 || send_lines(x, &out) < 0)
				break;
		}
	}
	xbuf_free_wipe(&out);
	sasl_client_destroy(&sc);
	return rc;
}

/* use_postconf - the SASL settings of --postconf and -o; -1 said why */
static int use_postconf(struct auth_run *x, const struct pf_version *v)
{
	const struct pf_pol_conf *pc = cmd_postconf_load(&x->pc, v);

	if (pc == NULL)
		return x->pc.failed ? -1 : 0;
	x->secopts = pc->sasl_security_options;
	if (pc->sasl_mechanism_filter[0] || pf_version_at_least(v, 3, 6, 0))
		x->filter = pc->sasl_mechanism_filter;
	x->service = pc->sasl_service;
	return 0;
}

/* run - connect, handshake, exchange; the exit status */
static int run(struct auth_run *x, const struct target *t)
{
	struct tconn_options to;
	char err[600];
	int rc = CMD_EXIT_USAGE;

	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->c->stderr_apart;
	to.connect_timeout_ms = x->timeout_ms;
	if (tconn_open(t, &to, &x->conn, err, sizeof(err)) < 0) {
		msg_error("auth: %s", err);
		return CMD_EXIT_USAGE;
	}
	if (handshake(x) == 0 && exchange(x, x->c->args[1], x->c->args[2]) == 0) {
		if (x->c->verbose && x->verdict.note[0])
			printf("  > %s\n", x->verdict.note);
		rc = x->verdict.outcome == PF_AUTH_DONE ? CMD_EXIT_OK :
		     x->verdict.outcome == PF_AUTH_FAIL ? CMD_EXIT_FAIL : CMD_EXIT_USAGE;
		printf("%s: %s as %s: Postfix answers %s\n", rc == CMD_EXIT_OK ? "accepted" :
		       rc == CMD_EXIT_FAIL ? "refused" : "error", x->mech, x->c->args[1],
		       x->verdict.smtp);
	}
	tconn_close(&x->conn);
	if (x->c->verbose && t->kind == TARGET_SPAWN && tconn_exit_text(&x->conn)[0])
		printf("  > the helper: %s\n", tconn_exit_text(&x->conn));
	return rc;
}

/* cmd_auth_main - fake-smtpd auth */
int cmd_auth_main(int argc, char **argv)
{
	struct cmd_common c;
	struct auth_run x = { .c = &c, .mech = "PLAIN", .service = "smtp", .conn.fd = -1 };
	const struct cmd_spec s = {
		.name = "auth", .usage = usage_auth,
		.shared = CMD_OPT_VERSION | CMD_OPT_TIME_SCALE | CMD_OPT_STDERR_APART |
			  CMD_OPT_VERBOSE,
		.opts = opts_auth, .shortopts = "o:", .opt = auth_opt, .ctx = &x,
		.exits = "Exit status: 0 accepted, 1 refused, 2 anything else (usage, the helper\n"
			 "unreachable or broken, a mechanism Postfix would not use, 454).\n",
	};
	struct target t;
	int rc;

	if ((rc = cmd_start(&s, &c, argc, argv)) >= 0) {
		/* --help, or a usage error */
	} else if (c.nargs != 3) {
		msg_error("auth needs TARGET USER PASSWORD (see fake-smtpd auth --help)");
		rc = CMD_EXIT_USAGE;
	} else if (use_postconf(&x, &c.version) < 0 || cmd_target(c.args[0], &t) < 0) {
		rc = CMD_EXIT_USAGE;
	} else {
		x.timeout_ms = (int)(PF_AUTH_TIMEOUT_MS * c.time_scale) > 0 ?
			       (int)(PF_AUTH_TIMEOUT_MS * c.time_scale) : 1;
		rc = run(&x, &t);
		target_free(&t);
	}
	cmd_postconf_free(&x.pc);
	cmd_common_free(&c);
	return rc;
}
