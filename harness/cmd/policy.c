/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	policy - fake-smtpd policy: one request, as Postfix's smtpd sends it
 * SYNOPSIS
 *	fake-smtpd policy [options] TARGET [NAME=VALUE ...] [-NAME ...]
 * DESCRIPTION
 *	The one-line answer to "what does this policy service answer to
 *	this request": builds the request Postfix (--postfix-version, by
 *	default the oracle's) sends at RCPT time (pf_pol_req_init: that
 *	version's attributes in Postfix's order, the values of a plaintext
 *	ESMTP session from 127.0.0.1), with NAME=VALUE replacing or adding
 *	an attribute and -NAME leaving one out (state=X is protocol_state=X,
 *	and the state chooses the defaults and the restriction stage).
 *	It is sent as Postfix's policy client does: one connection, the
 *	reply read by the oracle (pf_pol_read_reply) until Postfix would
 *	decide, a failed try (EOF, silence for the 100 s timeout, a
 *	malformed reply) followed by the retry delay (1 s), a new
 *	connection and the same request, up to the try limit (2), then
 *	smtpd_policy_service_default_action. The action is evaluated as
 *	smtpd evaluates it (pf_pol_eval, with the request's client, helo,
 *	sender, recipient and sasl_username) and the last lines say what
 *	Postfix answers the SMTP client. -v shows the bytes sent (C:) and
 *	received (S:), escaped, and the oracle's notes. Timeouts and the
 *	retry delay are multiplied by --time-scale.
 * DIAGNOSTICS
 *	Exit 0 an action came back, 1 the service gave no usable answer
 *	(Postfix applies the default action), 2 usage or environment error
 *	(a bad attribute, the service unreachable on the first try).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/cmd/cmd.h"
#include "harness/cmd/postconf.h"
#include "harness/postfix/pf_policy.h"
#include "util/msg.h"
#include "util/xmem.h"

#define POLICY_MAX_REPLY	(1024 * 1024)	/* bytes read before giving up */

static const char usage_policy[] =
"usage: fake-smtpd policy [options] TARGET [NAME=VALUE ...] [-NAME ...]\n"
"       (options before TARGET)\n"
"\n"
"Sends one request to the policy service at TARGET exactly as Postfix's smtpd\n"
"does at RCPT time (that version's attributes, in Postfix's order, with the\n"
"values of a plaintext ESMTP session from 127.0.0.1), prints the action and\n"
"what Postfix would answer the SMTP client.\n"
"\n"
"TARGET: unix:/path | inet:host:port | inet:[::1]:port | spawn:COMMAND ARGS\n"
"\n"
"  NAME=VALUE             replace or add an attribute (sasl_username=test1,\n"
"                         client_address=192.0.2.1, ...); state=X is\n"
"                         protocol_state=X (CONNECT, EHLO, MAIL, RCPT, DATA,\n"
"                         END-OF-MESSAGE, VRFY, ETRN), with that state's defaults\n"
"  -NAME                  leave an attribute out\n"
"  --postconf FILE        your main.cf: the SMTP reply follows it (the list\n"
"                         holding check_policy_service and what follows it,\n"
"                         smtpd_delay_reject, soft_bounce, the policy service's\n"
"                         timeout, retry delay, try limit and default action)\n"
"  -o NAME=VALUE          a main.cf setting over --postconf (repeatable)\n"
"  (-v shows the request and the reply bytes; a failed try is retried after\n"
"  1 s, twice in all, as Postfix does; --time-scale shortens the waits)\n";

struct policy_run {
	const struct cmd_common *c;
	struct pf_pol_req *req;
	char **names;			/* copies: the request points into them */
	size_t nnames;
	int timeout_ms, retry_ms;
	struct xbuf reply;		/* bytes of the last try */
	struct pf_pol_read rd;
	struct cmd_postconf pc;		/* --postconf, -o */
	const struct pf_pol_conf *conf;	/* main.cf's, or Postfix's defaults (plain) */
	struct pf_pol_conf *plain;
};

/* show_bytes - bytes as escaped lines, with -v */
static void show_bytes(const struct policy_run *x, const char *tag, const char *p, size_t len)
{
	char buf[1200];
	size_t start = 0, i;

	if (!x->c->verbose)
		return;
	for (i = 0; i <= len; i++)
		if (i == len ? i > start : p[i] == '\n') {
			printf("  %s %s%s\n", tag, report_shown(buf, sizeof(buf), p + start, i - start),
			       i == len ? "   (no LF)" : "");
			start = i + 1;
		}
}

/* build - the request from the arguments; -1 said why */
static int build(struct policy_run *x, char **args, int nargs)
{
	enum pf_pol_state st = PF_POL_RCPT;
	int i;

	for (i = 0; i < nargs; i++) {
		const char *eq = strchr(args[i], '=');

		if (eq != NULL && (strncmp(args[i], "state=", 6) == 0 ||
				   strncmp(args[i], "protocol_state=", 15) == 0) &&
		    pf_pol_state_parse(eq + 1, &st) < 0) {
			msg_error("policy: not a protocol_state: %s", eq + 1);
			return -1;
		}
	}
	pf_pol_req_init(x->req, &x->c->version, st);
	x->names = xcalloc((size_t)nargs + 1, sizeof(char *));
	for (i = 0; i < nargs; i++) {
		const char *a = args[i], *eq = strchr(a, '=');

		if (a[0] == '-' && eq == NULL) {
			if (pf_pol_req_delete(x->req, a + 1) < 0) {
				msg_error("policy: %s: no attribute %s in the request (options go "
					  "before TARGET)", a, a + 1);
				return -1;
			}
			continue;
		}
		if (eq == NULL || eq == a) {
			msg_error("policy: want NAME=VALUE or -NAME, not %s", a);
			return -1;
		}
		x->names[x->nnames] = strncmp(a, "state=", 6) == 0 ? xstrdup("protocol_state") :
				      xstrndup(a, (size_t)(eq - a));
		if (pf_pol_req_set(x->req, x->names[x->nnames++], eq + 1) < 0) {
			msg_error("policy: cannot set %s (a bad name, or too many attributes)", a);
			return -1;
		}
	}
	return 0;
}

/* try_once - send the request, read until Postfix decides: 1 an action,
 * 0 a failed try (x->rd.why), -1 the service cannot be reached at all */
static int try_once(struct policy_run *x, const struct target *t, const struct xbuf *req, int first)
{
	struct tconn_options to;
	struct tconn conn;
	char err[600], chunk[8192];
	int end = PF_POL_END_NONE, rc;

	memset(&to, 0, sizeof(to));
	to.stderr_apart = x->c->stderr_apart;
	to.connect_timeout_ms = x->timeout_ms;
	memset(&x->rd, 0, sizeof(x->rd));
	xbuf_reset(&x->reply);
	if (tconn_open(t, &to, &conn, err, sizeof(err)) < 0) {
		if (first) {
			msg_error("policy: %s", err);
			return -1;
		}
		snprintf(x->rd.why, sizeof(x->rd.why), "cannot connect: %.200s", err);
		return 0;
	}
	show_bytes(x, "C:", req->data, req->len);
	if (tconn_write(&conn, req->data, req->len, x->timeout_ms) < 0) {
		snprintf(x->rd.why, sizeof(x->rd.why), "write error: %s", strerror(errno));
		tconn_close(&conn);
		return 0;
	}
	do {
		int n = tconn_read_some(&conn, x->timeout_ms, chunk, sizeof(chunk));

		end = n > 0 ? PF_POL_END_NONE : n == 0 ? PF_POL_END_TIMEOUT : PF_POL_END_EOF;
		if (n > 0 && xbuf_append(&x->reply, chunk, (size_t)n) < 0)
			end = PF_POL_END_ERROR;
		rc = pf_pol_read_reply(x->reply.data ? x->reply.data : "", x->reply.len, end,
				       pf_version_at_least(&x->c->version, 3, 0, 0), &x->rd);
	} while (rc == 0 && end == PF_POL_END_NONE);
	show_bytes(x, "S:", x->reply.data ? x->reply.data : "", x->reply.len);
	if (x->c->verbose && x->rd.notes[0])
		printf("  > %s\n", x->rd.notes);
	tconn_close(&conn);
	if (x->c->verbose && t->kind == TARGET_SPAWN && conn.reaped)
		printf("  > the helper: %s\n", tconn_exit_text(&conn));
	return x->rd.ok ? 1 : 0;
}

/* tell - the action and what Postfix answers the SMTP client */
static void tell(struct policy_run *x, int ok)
{
	struct pf_pol_verdict *vp = xmalloc(sizeof(*vp));
	struct pf_pol_verdict v;
	struct pf_pol_smtp *s = xmalloc(sizeof(*s));
	struct pf_pol_ctx ctx;
	char buf[1200];

	pf_pol_conf_ctx(x->conf, x->req, &ctx);
	if (ok) {
		printf("action: %s\n", report_shown(buf, sizeof(buf), x->rd.action.p, x->rd.action.len));
		pf_pol_eval(&ctx, x->rd.action.p, x->rd.action.len, &v);
	} else {
		printf("no usable answer (%s): Postfix applies smtpd_policy_service_default_action "
		       "\"%s\"\n", x->rd.why, x->conf->params.default_action);
		pf_pol_eval_failure(&ctx, x->conf->params.default_action, &v);
	}
	if (v.kind == PF_POL_REJECT || v.kind == PF_POL_CONFIG_ERROR)
		printf("postfix: %s%s\n", report_shown(buf, sizeof(buf), v.smtp, strlen(v.smtp)),
		       v.disconnect ? " (and smtpd hangs up)" : "");
	else if (v.kind == PF_POL_PERMIT)
		printf("postfix: permit - this restriction list accepts; the others still apply\n");
	else if (v.kind == PF_POL_DUNNO)
		printf("postfix: dunno - the next restriction in the list decides\n");
	else if (v.kind == PF_POL_HANGUP)
		printf("postfix: hangup - the connection is dropped without a reply\n");
	else
		printf("postfix: %s - the answer depends on restrictions not modelled here\n",
		       pf_pol_kind_name(v.kind));
	if (v.pending[0])
		printf("postfix: later, if the message would be %s: %s\n",
		       v.effects & PF_POL_FX_DEFER_IF_PERMIT ? "accepted" : "rejected", v.pending);
	if (v.notes[0])
		printf("postfix: %s\n", v.notes);
	*vp = v;
	pf_pol_conf_smtp(x->conf, &ctx, vp, s);
	if (s->what == PF_POL_SMTP_REPLY)
		printf("smtp (%s): %s\n", pf_pol_state_name(ctx.state),
		       report_shown(buf, sizeof(buf), s->reply, strlen(s->reply)));
	else
		printf("smtp (%s): %s\n", pf_pol_state_name(ctx.state), s->what ==
		       PF_POL_SMTP_HANGUP ? "(no reply: the connection is dropped)" : "not predicted");
	if (s->notes[0])
		printf("smtp: %s\n", s->notes);
	free(vp);
	free(s);
}

/* run - the request, its tries, the verdict; the exit status */
static int run(struct policy_run *x, const struct target *t)
{
	struct xbuf req;
	const char *why;
	int tries, rc = -1;
	int limit = x->conf->params.try_limit ? (int)x->conf->params.try_limit : 1;

	xbuf_init(&req, POLICY_MAX_REPLY);
	if (pf_pol_req_format(x->req, &req, &why) < 0) {
		msg_error("policy: cannot send this request: %s", why);
		xbuf_free(&req);
		return CMD_EXIT_USAGE;
	}
	for (tries = 1; tries <= limit; tries++) {
		rc = try_once(x, t, &req, tries == 1);
		if (rc != 0)
			break;
		if (x->c->verbose)
			printf("  > try %d of %d failed: %s\n", tries, limit, x->rd.why);
		if (tries < limit) {
			struct timespec ts = { x->retry_ms / 1000, (long)(x->retry_ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	xbuf_free(&req);
	if (rc < 0)
		return CMD_EXIT_USAGE;
	tell(x, rc == 1);
	return rc == 1 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

/* scaled - a Postfix time under --time-scale, at least 1 ms */
static int scaled(double scale, int ms)
{
	double v = ms * scale;

	return v < 1 ? 1 : (int)v;
}

static const struct option opts_policy[] = {
	CMD_POSTCONF_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* policy_opt - --postconf and -o */
static int policy_opt(void *ctx, int ch, const char *arg)
{
	struct policy_run *x = ctx;

	return cmd_postconf_opt(&x->pc, ch, arg);
}

/* cmd_policy_main - fake-smtpd policy */
int cmd_policy_main(int argc, char **argv)
{
	struct cmd_common c;
	struct policy_run x = { .c = &c, .req = xmalloc(sizeof(*x.req)) };
	const struct cmd_spec s = {
		.name = "policy", .usage = usage_policy,
		.shared = CMD_OPT_VERSION | CMD_OPT_TIME_SCALE | CMD_OPT_STDERR_APART |
			  CMD_OPT_VERBOSE,
		.shortopts = "+o:",	/* "-NAME" after TARGET is an argument, not an option */
		.opts = opts_policy, .opt = policy_opt, .ctx = &x,
		.exits = "Exit status: 0 an action came back, 1 no usable answer (Postfix applies\n"
			 "smtpd_policy_service_default_action), 2 usage or environment error.\n",
	};
	struct target t;
	size_t i;
	int rc;

	xbuf_init(&x.reply, POLICY_MAX_REPLY);
	if ((rc = cmd_start(&s, &c, argc, argv)) >= 0) {
		/* --help, or a usage error */
	} else if (c.nargs < 1) {
		msg_error("policy needs TARGET (see fake-smtpd policy --help)");
		rc = CMD_EXIT_USAGE;
	} else if (build(&x, c.args + 1, c.nargs - 1) < 0 || cmd_target(c.args[0], &t) < 0) {
		rc = CMD_EXIT_USAGE;
	} else if ((x.conf = cmd_postconf_load(&x.pc, &c.version)) == NULL && x.pc.failed) {
		target_free(&t);
		rc = CMD_EXIT_USAGE;
	} else {
		if (x.conf == NULL) {
			x.plain = xmalloc(sizeof(*x.plain));
			pf_pol_conf_plain(x.plain, &c.version);
			x.conf = x.plain;
		}
		x.timeout_ms = scaled(c.time_scale, (int)x.conf->params.timeout_ms);
		x.retry_ms = scaled(c.time_scale, (int)x.conf->params.retry_ms);
		rc = run(&x, &t);
		target_free(&t);
	}
	for (i = 0; i < x.nnames; i++)
		free(x.names[i]);
	free(x.names);
	free(x.req);
	free(x.plain);
	cmd_postconf_free(&x.pc);
	xbuf_free(&x.reply);
	cmd_common_free(&c);
	return rc;
}
