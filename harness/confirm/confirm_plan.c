/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	confirm_plan - what a check did, and the SMTP sessions that make
 *	real Postfix do it again
 * SYNOPSIS
 *	#include "harness/confirm/confirm.h"
 * DESCRIPTION
 *	The book and the mapping of confirm.h: pure, no I/O. The grammar
 *	of the AUTH and CONT lines taken, and every limit, are in
 *	confirm.h.
 * DIAGNOSTICS
 *	None: an exchange that cannot be mapped is counted in the plan
 *	with its reason; allocation failures abort (xmem).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/confirm/confirm.h"
#include "util/compiler.h"
#include "util/xmem.h"

/* --- the book ----------------------------------------------------------- */

void confirm_book_init(struct confirm_book *b)
{
	memset(b, 0, sizeof(*b));
}

void confirm_book_free(struct confirm_book *b)
{
	size_t i, j;

	for (i = 0; i < b->n; i++) {
		for (j = 0; j < b->e[i].n; j++) {
			free(b->e[i].ev[j].text);
			free(b->e[i].ev[j].want);
		}
		free(b->e[i].ev);
	}
	free(b->e);
	memset(b, 0, sizeof(*b));
}

/* entry - the entry of check, made when new */
static struct confirm_entry *entry(struct confirm_book *b, const char *check)
{
	struct confirm_entry *e;
	size_t i;

	for (i = b->n; i > 0; i--)
		if (strcmp(b->e[i - 1].check, check) == 0)
			return &b->e[i - 1];
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->e = xrealloc(b->e, b->cap * sizeof(*b->e));
	}
	e = &b->e[b->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->check, sizeof(e->check), "%s", check);
	return e;
}

/* add - one event; beyond the bound it is only counted */
static void add(struct confirm_book *b, const char *check, char kind, unsigned id,
		const char *text, size_t len, const char *want)
{
	struct confirm_entry *e = entry(b, check);
	struct confirm_event *ev;

	if (e->n >= CONFIRM_MAX_EVENTS) {
		e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 8;
		e->ev = xrealloc(e->ev, e->cap * sizeof(*e->ev));
	}
	ev = &e->ev[e->n++];
	ev->kind = kind;
	ev->id = id;
	ev->text = xstrndup(text, len);
	ev->want = want ? xstrdup(want) : NULL;
}

void confirm_book_line(struct confirm_book *b, const char *check, const char *line, size_t len,
		       int odd)
{
	while (len > 0 && line[len - 1] == '\n')
		len--;
	add(b, check, odd ? 'O' : 'L', 0, line, len, NULL);
}

void confirm_book_want(struct confirm_book *b, const char *check, unsigned id, const char *smtp)
{
	add(b, check, 'W', id, smtp, strlen(smtp), NULL);
}

void confirm_book_request(struct confirm_book *b, const char *check, const char *request,
			  const char *want)
{
	add(b, check, 'R', 0, request, strlen(request), want);
}

void confirm_book_result(struct confirm_book *b, const char *check, int failed, int shared)
{
	struct confirm_entry *e = entry(b, check);

	e->failed = failed;
	e->shared = shared;
}

const struct confirm_entry *confirm_book_source(const struct confirm_book *b,
						const struct confirm_entry *e)
{
	size_t i;

	if (e->n > 0 || !e->shared)
		return e;
	for (i = 0; i < b->n; i++)
		if (b->e[i].shared && b->e[i].n > 0)
			return &b->e[i];
	return e;
}

/* --- plans ------------------------------------------------------------- */

/* session_free - the steps of s */
static void session_free(struct confirm_session *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->step[i].cmd);
		free(s->step[i].want);
	}
	memset(s, 0, sizeof(*s));
}

void confirm_plan_free(struct confirm_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		session_free(&p->s[i]);
	memset(p, 0, sizeof(*p));
}

/* skip - an exchange that is not confirmable; the first reason is kept */
static void skip(struct confirm_plan *p, const char *why)
{
	if (p->skipped++ == 0)
		snprintf(p->skip_why, sizeof(p->skip_why), "%s", why);
}

/* same_session - the same commands and predictions */
static int same_session(const struct confirm_session *a, const struct confirm_session *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct confirm_step *x = &a->step[i], *y = &b->step[i];

		if (strcmp(x->cmd, y->cmd) != 0 || (x->want == NULL) != (y->want == NULL) ||
		    (x->want && strcmp(x->want, y->want) != 0))
			return 0;
	}
	return 1;
}

/* keep - move session s into the plan (s is emptied): once, within the bound */
static void keep(struct confirm_plan *p, struct confirm_session *s)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (same_session(&p->s[i], s))
			break;
	if (i < p->n || p->n >= CONFIRM_MAX_SESSIONS) {
		if (i == p->n)
			p->left_out++;
		session_free(s);
	} else {
		p->s[p->n++] = *s;
	}
	memset(s, 0, sizeof(*s));
}

/* step_add - a step; 0, or -1 when the session is full */
static int step_add(struct confirm_session *s, const char *cmd, const char *want)
{
	if (s->n >= CONFIRM_MAX_STEPS)
		return -1;
	s->step[s->n].cmd = xstrdup(cmd);
	s->step[s->n].want = want ? xstrdup(want) : NULL;
	s->n++;
	return 0;
}

/* --- auth ---------------------------------------------------------------- */

#define AUTH_OPEN_MAX	32	/* requests followed at once */

struct auth_open {
	unsigned id;
	int bad;		/* not confirmable: why holds the reason */
	int done;		/* a final prediction came */
	char mech[64];
	char why[200];
	struct confirm_session s;
};

/* changing_mech - a mechanism whose challenges differ from run to run */
static int changing_mech(const char *mech)
{
	return strncasecmp(mech, "CRAM-", 5) == 0 || strncasecmp(mech, "SCRAM-", 6) == 0 ||
	       strncasecmp(mech, "DIGEST-", 7) == 0;
}

/* field_ok - a field Postfix writes in an AUTH line after the mechanism */
static int field_ok(const char *f, size_t n)
{
	return (n == 12 && memcmp(f, "service=smtp", 12) == 0) ||
	       (n == 7 && memcmp(f, "nologin", 7) == 0) || (n == 7 && memcmp(f, "secured", 7) == 0) ||
	       (n >= 4 && memcmp(f, "lip=", 4) == 0) || (n >= 4 && memcmp(f, "rip=", 4) == 0) ||
	       (n >= 5 && memcmp(f, "resp=", 5) == 0);
}

/* parse_id - a canonical decimal request id; 0, or -1 */
static int parse_id(const char *p, size_t n, unsigned *id_r)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10 || (p[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > 0xffffffffUL)
		return -1;
	*id_r = (unsigned)v;
	return 0;
}

/* auth_request - an AUTH line into o: its id, mechanism and SMTP command */
static void auth_request(const char *line, int odd, struct auth_open *o)
{
	const char *p = line + 5, *tab = strchr(p, '\t'), *resp = NULL;
	char cmd[CONFIRM_MAX_CMD];
	size_t n;

	memset(o, 0, sizeof(*o));
	if (tab == NULL || parse_id(p, (size_t)(tab - p), &o->id) < 0) {
		o->bad = 1;
		snprintf(o->why, sizeof(o->why), "an AUTH line without a request id Postfix writes");
		return;
	}
	p = tab + 1;
	n = strcspn(p, "\t");
	snprintf(o->mech, sizeof(o->mech), "%.*s", (int)(n < 63 ? n : 63), p);
	if (odd) {
		o->bad = 1;
		snprintf(o->why, sizeof(o->why), "sent on a connection begun with a handshake "
			 "Postfix never sends");
		return;
	}
	for (p += n; *p == '\t';) {
		p++;
		n = strcspn(p, "\t");
		if (!field_ok(p, n)) {
			o->bad = 1;
			snprintf(o->why, sizeof(o->why), "an AUTH line with the field \"%.*s\", which "
				 "Postfix never writes", (int)(n < 60 ? n : 60), p);
			return;
		}
		if (n >= 5 && memcmp(p, "resp=", 5) == 0)
			resp = p + 5;
		p += n;
	}
	if (resp == NULL)
		n = (size_t)snprintf(cmd, sizeof(cmd), "AUTH %s", o->mech);
	else if (strcspn(resp, "\t") == 0)	/* the SMTP client's "=": empty */
		n = (size_t)snprintf(cmd, sizeof(cmd), "AUTH %s =", o->mech);
	else
		n = (size_t)snprintf(cmd, sizeof(cmd), "AUTH %s %.*s", o->mech,
				     (int)strcspn(resp, "\t"), resp);
	if (n >= sizeof(cmd) || step_add(&o->s, cmd, NULL) < 0) {
		o->bad = 1;
		snprintf(o->why, sizeof(o->why), "an AUTH command longer than %d bytes",
			 CONFIRM_MAX_CMD);
	}
}

/* find_open - the latest open request with id, or NULL */
static struct auth_open *find_open(struct auth_open *o, size_t n, unsigned id)
{
	while (n > 0) {
		n--;
		if (o[n].id == id && !o[n].done)
			return &o[n];
	}
	return NULL;
}

/* auth_cont - a CONT line: the SMTP client's answer to a 334 */
static void auth_cont(struct auth_open *o, size_t n, const char *line)
{
	const char *p = line + 5, *tab = strchr(p, '\t');
	unsigned id;
	struct auth_open *r;

	if (tab == NULL || parse_id(p, (size_t)(tab - p), &id) < 0 ||
	    (r = find_open(o, n, id)) == NULL || r->bad)
		return;
	if (changing_mech(r->mech)) {
		r->bad = 1;
		snprintf(r->why, sizeof(r->why), "a %s answer depends on the helper's challenge, "
			 "which is new in every exchange", r->mech);
		return;
	}
	if (strlen(tab + 1) >= CONFIRM_MAX_CMD || step_add(&r->s, tab + 1, NULL) < 0) {
		r->bad = 1;
		snprintf(r->why, sizeof(r->why), "more than %d steps", CONFIRM_MAX_STEPS);
	}
}

/* auth_want - the prediction for the last step of request id */
static void auth_want(struct auth_open *o, size_t n, unsigned id, const char *smtp)
{
	struct auth_open *r = find_open(o, n, id);
	struct confirm_step *st;

	if (r == NULL || r->s.n == 0)
		return;
	st = &r->s.step[r->s.n - 1];
	if (st->want != NULL)
		return;
	st->want = xstrdup(smtp);
	if (strncmp(smtp, "334", 3) != 0)
		r->done = 1;
}

/* auth_finish - an open request into the plan, or counted as skipped */
static void auth_finish(struct confirm_plan *p, struct auth_open *o)
{
	if (!o->bad) {
		while (o->s.n > 0 && o->s.step[o->s.n - 1].want == NULL) {
			o->s.n--;
			free(o->s.step[o->s.n].cmd);
		}
		if (o->s.n == 0) {
			o->bad = 1;
			snprintf(o->why, sizeof(o->why), "a request the check abandoned before any "
				 "reply was judged");
		}
	}
	if (o->bad) {
		skip(p, o->why);
		session_free(&o->s);
	} else {
		keep(p, &o->s);
	}
}

void confirm_plan_auth(const struct confirm_entry *e, struct confirm_plan *p)
{
	struct auth_open *o = xcalloc(AUTH_OPEN_MAX, sizeof(*o));
	size_t n = 0, i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < e->n; i++) {
		const struct confirm_event *ev = &e->ev[i];

		if ((ev->kind == 'L' || ev->kind == 'O') && strncmp(ev->text, "AUTH\t", 5) == 0) {
			if (n == AUTH_OPEN_MAX) {
				skip(p, "more requests than the confirmation follows");
				continue;
			}
			auth_request(ev->text, ev->kind == 'O', &o[n++]);
		} else if ((ev->kind == 'L' || ev->kind == 'O') &&
			   strncmp(ev->text, "CONT\t", 5) == 0) {
			auth_cont(o, n, ev->text);
		} else if (ev->kind == 'W') {
			auth_want(o, n, ev->id, ev->text);
		}
	}
	for (i = 0; i < n; i++)
		auth_finish(p, &o[i]);
	free(o);
	if (p->n == 0)
		snprintf(p->why, sizeof(p->why), "%s", p->skipped ? p->skip_why :
			 "no AUTH exchange of its own was recorded: the check is judged from the handshake or from what the run saw, or is a data check (replay), which --confirm does not follow");
}

/* --- policy -------------------------------------------------------------- */

/* attributes an SMTP session sets, and those that change with every session */
static const char *const pol_mapped[] = {
	"request", "protocol_state", "protocol_name", "helo_name", "sender", "recipient",
	"client_address", "client_name", "reverse_client_name", "sasl_username",
};
static const char *const pol_varying[] = {
	"client_port", "server_address", "server_port", "queue_id", "instance", "stress",
	"compatibility_level", "mail_version",
};

static int in_list(const char *const *l, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i], name) == 0)
			return 1;
	return 0;
}

/* smtp_safe - a value that goes on an SMTP line as it is */
static int smtp_safe(const char *v, int address)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c <= 0x20 || c >= 0x7f || (address && (c == '<' || c == '>')))
			return 0;
	}
	return 1;
}

/* xtext - RFC 1891 xtext of v, for XCLIENT; "[UNAVAILABLE]" for "unknown" names */
static void xtext(char *buf, size_t size, const char *v, int name)
{
	size_t n = 0;

	if (name && strcmp(v, "unknown") == 0) {
		snprintf(buf, size, "[UNAVAILABLE]");
		return;
	}
	for (; *v && n + 4 < size; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x21 || c > 0x7e || c == '+' || c == '=')
			n += (size_t)snprintf(buf + n, size - n, "+%02X", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
}

#define POL_MAX_ATTRS	PF_POL_MAX_REQ

struct pol_attrs {
	const char *name[POL_MAX_ATTRS];
	const char *value[POL_MAX_ATTRS];
	size_t n;
	char *copy;
};

/* pol_split - name=value lines of a request, into a (views into a copy) */
static void pol_split(const char *text, struct pol_attrs *a)
{
	char *p;

	memset(a, 0, sizeof(*a));
	a->copy = xstrdup(text);
	for (p = a->copy; *p && a->n < POL_MAX_ATTRS;) {
		char *nl = strchr(p, '\n'), *eq;

		if (nl)
			*nl = '\0';
		if (*p == '\0')
			break;
		if ((eq = strchr(p, '=')) != NULL) {
			*eq = '\0';
			a->name[a->n] = p;
			a->value[a->n++] = eq + 1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static const char *pol_get(const struct pol_attrs *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->value[i];
	return NULL;
}

/* pol_unmappable - why the request differs from what an SMTP session makes, or NULL */
static const char *pol_unmappable(const struct pol_attrs *a, const struct pf_version *v,
				  char *buf, size_t size)
{
	struct pf_pol_req def;
	const char *user = pol_get(a, "sasl_username");
	size_t i;

	pf_pol_req_init(&def, v, PF_POL_RCPT);
	for (i = 0; i < a->n; i++) {
		const char *dv = pf_pol_req_get(&def, a->name[i]);

		if (in_list(pol_mapped, N_ELEMENTS(pol_mapped), a->name[i]) ||
		    in_list(pol_varying, N_ELEMENTS(pol_varying), a->name[i]) ||
		    (strcmp(a->name[i], "sasl_method") == 0 && user && *user))
			continue;
		if (dv == NULL || strcmp(dv, a->value[i]) != 0) {
			snprintf(buf, size, "%.60s=%.60s, which an SMTP session cannot make Postfix "
				 "send", a->name[i], a->value[i]);
			return buf;
		}
	}
	for (i = 0; i < def.n; i++)
		if (pol_get(a, def.a[i].name) == NULL &&
		    !in_list(pol_varying, N_ELEMENTS(pol_varying), def.a[i].name)) {
			snprintf(buf, size, "no %.60s, which Postfix always sends", def.a[i].name);
			return buf;
		}
	return NULL;
}

/* pol_client - the XCLIENT command, or "" when the client is smtpd's UNIX-socket one */
static const char *pol_client(const struct pol_attrs *a, char *cmd, size_t size)
{
	static const struct {
		const char *attr, *xclient, *dflt;
		int name;
	} m[] = {
		{ "client_address", "ADDR", "127.0.0.1", 0 },
		{ "client_name", "NAME", "localhost", 1 },
		{ "reverse_client_name", "REVERSE_NAME", "localhost", 1 },
		{ "sasl_username", "LOGIN", "", 0 },
	};
	size_t i, n = 0;
	int any = 0;

	n = (size_t)snprintf(cmd, size, "XCLIENT");
	for (i = 0; i < N_ELEMENTS(m); i++) {
		const char *val = pol_get(a, m[i].attr);
		char x[CONFIRM_MAX_CMD / 4];

		if (val == NULL || strcmp(val, m[i].dflt) == 0)
			continue;
		xtext(x, sizeof(x), val, m[i].name);
		any = 1;
		if (n < size)
			n += (size_t)snprintf(cmd + n, size - n, " %s=%s", m[i].xclient, x);
	}
	if (!any)
		cmd[0] = '\0';
	return n < size ? cmd : NULL;
}

/* pol_session - the SMTP session of one request; NULL, or why not */
static const char *pol_session(const struct pol_attrs *a, const char *want,
			       struct confirm_session *s, char *buf, size_t size)
{
	const char *helo = pol_get(a, "helo_name"), *pname = pol_get(a, "protocol_name");
	const char *from = pol_get(a, "sender"), *to = pol_get(a, "recipient");
	char cmd[CONFIRM_MAX_CMD], hello[600];

	if (helo == NULL || *helo == '\0' || !smtp_safe(helo, 0) || strlen(helo) > 500)
		return "a helo_name an SMTP client cannot send with EHLO";
	if (pname == NULL || (strcmp(pname, "ESMTP") != 0 && strcmp(pname, "SMTP") != 0))
		return "a protocol_name other than SMTP and ESMTP";
	if (from == NULL || !smtp_safe(from, 1) || to == NULL || *to == '\0' || !smtp_safe(to, 1))
		return "a sender or recipient an SMTP client cannot send as it is";
	snprintf(hello, sizeof(hello), "%s %s", strcmp(pname, "SMTP") == 0 ? "HELO" : "EHLO", helo);
	if (step_add(s, hello, NULL) < 0 || pol_client(a, cmd, sizeof(cmd)) == NULL)
		return "an XCLIENT command too long";
	if (cmd[0] && (step_add(s, cmd, NULL) < 0 || step_add(s, hello, NULL) < 0))
		return "too many steps";
	if ((size_t)snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", from) >= sizeof(cmd) ||
	    step_add(s, cmd, NULL) < 0)
		return "a sender too long";
	if ((size_t)snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", to) >= sizeof(cmd) ||
	    step_add(s, cmd, want) < 0)
		return "a recipient too long";
	(void)buf;
	(void)size;
	return NULL;
}

void confirm_plan_policy(const struct confirm_entry *e, const struct pf_version *v,
			 struct confirm_plan *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < e->n; i++) {
		const struct confirm_event *ev = &e->ev[i];
		struct confirm_session s;
		struct pol_attrs a;
		const char *why, *st;
		char buf[300];

		if (ev->kind != 'R')
			continue;
		memset(&s, 0, sizeof(s));
		pol_split(ev->text, &a);
		st = pol_get(&a, "protocol_state");
		if (ev->want == NULL)
			why = "no SMTP reply predicted (the verdict is not modelled)";
		else if (st == NULL || strcmp(st, "RCPT") != 0)
			why = "a request at another protocol_state than RCPT, where the "
			      "confirmation's main.cf asks";
		else if ((why = pol_unmappable(&a, v, buf, sizeof(buf))) == NULL)
			why = pol_session(&a, ev->want, &s, buf, sizeof(buf));
		if (why != NULL) {
			skip(p, why);
			session_free(&s);
		} else {
			keep(p, &s);
		}
		free(a.copy);
	}
	if (p->n == 0)
		snprintf(p->why, sizeof(p->why), "%s", p->skipped ? p->skip_why :
			 "no policy request of its own was recorded: a data check (replay), which --confirm does not follow, or a check that sends none");
}

const char *confirm_policy_want(const struct pf_pol_verdict *v, int default_cf, char *buf,
				size_t size)
{
	switch (v->kind) {
	case PF_POL_PERMIT:
	case PF_POL_DUNNO:
		if (v->kind == PF_POL_DUNNO && !default_cf)
			return NULL;
		if ((v->effects & PF_POL_FX_DEFER_IF_PERMIT) && v->pending[0])
			snprintf(buf, size, "%s", v->pending);
		else
			snprintf(buf, size, "250 2.1.5 Ok");
		return buf;
	case PF_POL_REJECT:
	case PF_POL_CONFIG_ERROR:
		snprintf(buf, size, "%s", v->smtp);
		return buf;
	case PF_POL_HANGUP:
		snprintf(buf, size, "%s", CONFIRM_CLOSED);
		return buf;
	case PF_POL_UNMODELLED:
		return NULL;
	}
	return NULL;
}

/* --- configuration and comparison ------------------------------------------ */

int confirm_settings(enum confirm_proto proto, const char *sock, double time_scale,
		     struct xbuf *out)
{
	unsigned secs = (unsigned)(100.0 * time_scale + 0.5);

	if (secs < 1)
		secs = 1;
	/* one SMTP session per smtpd: each closes its helper connection when it ends */
	if (xbuf_printf(out, "max_use = 1\n") < 0)
		return -1;
	if (proto == CONFIRM_AUTH)
		return xbuf_printf(out, "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
				   "smtpd_sasl_path = unix:%s\n", sock);
	return xbuf_printf(out, "smtpd_recipient_restrictions = check_policy_service unix:%s, "
			   "permit\nsmtpd_relay_restrictions = reject_unauth_destination\n"
			   "relay_domains = static:all\n"
			   "smtpd_authorized_xclient_hosts = 127.0.0.1\n"
			   "smtpd_policy_service_timeout = %us\n"
			   "smtpd_policy_service_retry_delay = 1s\n", sock, secs);
}

/* settings a user's main.cf may not change in the private instance */
static const char *const cf_kept_out[] = {
	"queue_directory", "data_directory", "command_directory", "daemon_directory",
	"meta_directory", "shlib_directory", "config_directory", "mail_owner", "setgid_group",
	"inet_interfaces", "inet_protocols", "maillog_file", "import_environment", "max_use",
	"smtpd_sasl_path", "smtpd_sasl_type", "smtpd_sasl_auth_enable",
};

/* policy_target - value with every check_policy_service's target replaced by unix:sock */
static int policy_target(const char *v, const char *sock, struct xbuf *out)
{
	static const char kw[] = "check_policy_service";
	const char *p = v, *hit;

	while ((hit = strstr(p, kw)) != NULL) {
		const char *q = hit + sizeof(kw) - 1;
		size_t n;

		if ((hit > v && !strchr(" \t,{", hit[-1])) || (*q && !strchr(" \t,", *q))) {
			if (xbuf_append(out, p, (size_t)(q - p)) < 0)
				return -1;
			p = q;
			continue;
		}
		q += strspn(q, " \t,");
		if (*q == '{')
			q += 1 + strspn(q + 1, " \t");
		if (xbuf_append(out, p, (size_t)(q - p)) < 0 || xbuf_printf(out, "unix:%s", sock) < 0)
			return -1;
		n = strcspn(q, " \t,}");
		p = q + n;
	}
	return xbuf_append_str(out, p);
}

/* user_line - one logical "name = value" line of a user's main.cf */
static int user_line(const char *line, enum confirm_proto proto, const char *sock,
		     struct xbuf *out)
{
	size_t n = strcspn(line, " \t=");
	const char *v = line + n;

	v += strspn(v, " \t");
	if (*v != '=' || n == 0)
		return 0;		/* not a setting: postconf would warn, Postfix ignore */
	v++;
	v += strspn(v, " \t");
	{
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127), line);
		if (in_list(cf_kept_out, N_ELEMENTS(cf_kept_out), name))
			return 0;
		if (xbuf_printf(out, "%s = ", name) < 0)
			return -1;
	}
	if ((proto == CONFIRM_POLICY ? policy_target(v, sock, out) : xbuf_append_str(out, v)) < 0)
		return -1;
	return xbuf_append_char(out, '\n');
}

int confirm_user_settings(const char *text, size_t len, enum confirm_proto proto,
			  const char *sock, double time_scale, struct xbuf *out)
{
	struct xbuf line;
	size_t pos = 0;
	int rc = 0;

	(void)time_scale;
	xbuf_init(&line, 1 << 20);
	while (pos < len && rc == 0) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + 1;
		while (n > 0 && l[n - 1] == '\r')
			n--;
		if (n == 0 || l[0] == '#' || strspn(l, " \t") >= n)
			continue;
		if (l[0] == ' ' || l[0] == '\t') {	/* continues the line before */
			size_t skip = strspn(l, " \t");

			if (line.len > 0 && (xbuf_append_char(&line, ' ') < 0 ||
					     xbuf_append(&line, l + skip, n - skip) < 0))
				rc = -1;
			continue;
		}
		if (line.len > 0 && user_line(xbuf_cstr(&line), proto, sock, out) < 0)
			rc = -1;
		xbuf_reset(&line);
		if (xbuf_append(&line, l, n) < 0)
			rc = -1;
	}
	if (rc == 0 && line.len > 0 && user_line(xbuf_cstr(&line), proto, sock, out) < 0)
		rc = -1;
	xbuf_free(&line);
	if (rc == 0 && xbuf_printf(out, "max_use = 1\n") < 0)
		rc = -1;
	if (rc == 0 && proto == CONFIRM_AUTH)
		rc = xbuf_printf(out, "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\n"
				 "smtpd_sasl_path = unix:%s\n", sock) < 0 ? -1 : 0;
	if (rc == 0 && proto == CONFIRM_POLICY)
		rc = xbuf_printf(out, "smtpd_authorized_xclient_hosts = 127.0.0.1\n") < 0 ? -1 : 0;
	return rc;
}

int confirm_same(const char *want, const char *real)
{
	size_t n = strlen(real);

	if (n > 0 && real[n - 1] == '\r')
		n--;
	return strlen(want) == n && memcmp(want, real, n) == 0;
}
