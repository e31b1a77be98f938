/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - the server side of one Dovecot auth-client connection
 * SYNOPSIS
 *	#include "reference/authd/session.h"
 * DESCRIPTION
 *	See session.h. Client lines are read by lib/proto/dvauth in its
 *	DVAUTH_DOVECOT23 dialect (dvauth_parse_client_line_as), which reads
 *	them as Dovecot 2.3 does: the word and its TAB ("AUTH\t", "CONT\t",
 *	"CANCEL\t", "VERSION\t", "CPID\t"), AUTH fields tab-unescaped and
 *	cut at a NUL without a field limit, CONT data raw, CPID and CANCEL
 *	exactly one number; with set->handshake_24 in its DVAUTH_DOVECOT24
 *	dialect (CPID and CANCEL read their first field and ignore the
 *	rest, a bare word is that command without arguments). Replies are
 *	written with dvauth's formatters
 *	(values escaped first with dvauth_escape), except where a fault
 *	asks for a line no formatter writes (bare VERSION, a CONT without
 *	data, the garbage line). Pending requests live in a small array
 *	searched linearly: Postfix keeps one in flight, and the array is
 *	bounded by max_pending.
 * DIAGNOSTICS
 *	Disconnect reasons use Dovecot's log texts ("BUG: Authentication
 *	client sent broken AUTH request", ...).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "reference/authd/session.h"
#include "reference/common/cfgval.h"
#include "util/escape.h"
#include "util/msg.h"
#include "util/strnum.h"
#include "util/xmem.h"

enum hs_state {
	HS_WANT_VERSION,
	HS_WANT_CPID,
	HS_READY,
};

struct authd_req {
	unsigned id;
	uint64_t serial;
	uint64_t created;
	struct sasl_server *sasl;
	enum sasl_mech mech;
	int unsafe;		/* the trust-the-username demo mechanism */
	int accept_cont;
	int busy;		/* waiting for the passdb (or the penalty) */
	int final_resp_ok;
	int creds_found;	/* the credentials lookup succeeded: its fields stay */
	int internal_failure;	/* 2.4: FAIL code=temp_fail after the internal failure delay */
	const char *nocreds_why;	/* none found: why, logged when it fails */
	/* the per-IP penalty (authd_session_set_penalty) */
	char ident[AUTHD_PENALTY_IDENT_MAX];	/* "" = none */
	unsigned last_penalty;	/* what the lookup gave */
	uint32_t checksum;	/* of user and password, 0 = none */
	int penalized;		/* waiting for authd_session_resume */
	int held_have;		/* the initial response kept meanwhile */
	unsigned char *held;
	size_t held_len;
	size_t bytes;		/* charged to the session and the budget */
	char user[256];		/* for FAIL user= and the log */
};

struct authd_session {
	struct authd_settings set;
	const struct authd_ops *ops;
	void *ctx;
	struct authd_ident ident;
	enum hs_state hs;
	unsigned client_minor;
	unsigned long client_pid;
	struct authd_req *reqs;
	size_t nreqs, capreqs;
	uint64_t serial;
	size_t bytes;		/* what the pending requests are charged */
	struct xbuf out;
	char error[256];
	const struct authd_penalty_ops *pops;
	void *pctx;
};

/* --- output ------------------------------------------------------------ */

/* sess_flush - hand the formatted lines to the shell */
static void sess_flush(struct authd_session *s)
{
	if (s->out.len > 0) {
		s->ops->send(s->ctx, s->out.data, s->out.len);
		xbuf_reset(&s->out);
	}
}

/* sess_log - one log line */
static void sess_log(struct authd_session *s, const char *fmt, ...) ATTR_PRINTF(2, 3);
static void sess_log(struct authd_session *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (s->ops->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->ops->log(s->ctx, buf);
}

/* reply_id - the id a reply carries (the wrong-id fault shifts it) */
static unsigned reply_id(const struct authd_session *s, unsigned id)
{
	return (s->set.faults & AUTHD_FAULT_WRONG_ID) ? id + 1000 : id;
}

/*
 * Reply parameters: a reply is built as a list of dvauth parameters and
 * written by dvauth_format_ok/fail (all or nothing). Values that Dovecot
 * escapes are escaped into a buffer of their own only when they hold a
 * byte to escape; the passdb's visible fields come pre-joined and
 * escaped (extra.h) and go in as one verbatim parameter.
 */
#define REPLY_MAX_PARAMS	8

struct reply {
	struct dvauth_param p[REPLY_MAX_PARAMS];
	size_t n;
	struct xbuf esc[3];	/* escaped values */
	size_t nesc;
};

static void reply_init(struct reply *rp)
{
	size_t i;

	rp->n = 0;
	rp->nesc = 0;
	for (i = 0; i < sizeof(rp->esc) / sizeof(rp->esc[0]); i++)
		xbuf_init(&rp->esc[i], 4096);
}

static void reply_free(struct reply *rp)
{
	size_t i;

	for (i = 0; i < sizeof(rp->esc) / sizeof(rp->esc[0]); i++)
		xbuf_free(&rp->esc[i]);
}

/* reply_add - name[=value] as it is (value NULL: a bare name) */
static struct dvauth_param *reply_add(struct reply *rp, const char *name, const char *value,
				      size_t vlen)
{
	struct dvauth_param *p;

	if (rp->n == REPLY_MAX_PARAMS)
		msg_panic("reply_add: more than %d parameters", REPLY_MAX_PARAMS);
	p = &rp->p[rp->n++];

	p->name = strview_make(name, strlen(name));
	p->has_value = value != NULL;
	p->value = strview_make(value ? value : "", vlen);
	return p;
}

/* reply_add_escaped - name=value, value tab-escaped as Dovecot writes it */
static void reply_add_escaped(struct reply *rp, const char *name, const char *value)
{
	struct xbuf *b;

	if (rp->nesc == sizeof(rp->esc) / sizeof(rp->esc[0]))
		msg_panic("reply_add_escaped: more than %zu escaped values", rp->nesc);
	b = &rp->esc[rp->nesc];
	if (strpbrk(value, "\001\t\r\n") == NULL || dvauth_escape(value, strlen(value), b) < 0) {
		reply_add(rp, name, value, strlen(value));
		return;
	}
	rp->nesc++;
	reply_add(rp, name, b->data, b->len);
}

/* reply_add_user - user=<escaped> (the unescaped-tab-user fault: as it is) */
static void reply_add_user(struct authd_session *s, struct reply *rp, const char *user)
{
	if (s->set.faults & AUTHD_FAULT_UNESCAPED_TAB_USER)
		reply_add(rp, "user", user, strlen(user));
	else
		reply_add_escaped(rp, "user", user);
}

/* garbage - the garbage-line fault, before each reply */
static void garbage(struct authd_session *s)
{
	if (s->set.faults & AUTHD_FAULT_GARBAGE_LINE)
		if (xbuf_append_str(&s->out, "\x7fGARBAGE \x01\x02 line\n") < 0)
			xbuf_reset(&s->out);
}

/* send_handshake_rest - MECH lines, SPID, CUID, COOKIE, DONE */
static void send_handshake_rest(struct authd_session *s)
{
	unsigned m;
	int spid_first = (s->set.faults & AUTHD_FAULT_SPID_BEFORE_MECH) != 0;

	if (spid_first &&
	    (dvauth_format_spid(&s->out, s->ident.spid) < 0 ||
	     dvauth_format_cuid(&s->out, s->ident.cuid) < 0 ||
	     dvauth_format_cookie(&s->out, s->ident.cookie) < 0))
		return;
	for (m = 0; m < SASL_MECH_COUNT; m++) {
		if (s->set.mechs & (1u << m)) {
			const struct sasl_mech_info *mi = sasl_mech_get((enum sasl_mech)m);

			if (dvauth_format_mech(&s->out, mi->name, mi->dvauth_flags) < 0)
				return;
		}
	}
	if (s->set.unsafe_mech != NULL &&
	    dvauth_format_mech(&s->out, s->set.unsafe_mech, DVAUTH_MECH_PLAINTEXT) < 0)
		return;
	if (!spid_first &&
	    (dvauth_format_spid(&s->out, s->ident.spid) < 0 ||
	     dvauth_format_cuid(&s->out, s->ident.cuid) < 0 ||
	     dvauth_format_cookie(&s->out, s->ident.cookie) < 0))
		return;
	if (!(s->set.faults & AUTHD_FAULT_NO_DONE))
		if (dvauth_format_done(&s->out) < 0)
			xbuf_reset(&s->out);
	sess_flush(s);
}

/* --- requests ---------------------------------------------------------- */

static struct authd_req *req_find(struct authd_session *s, unsigned id)
{
	size_t i;

	for (i = 0; i < s->nreqs; i++)
		if (s->reqs[i].id == id)
			return &s->reqs[i];
	return NULL;
}

/* req_charge - n more bytes held by r: 0, or -1 above the connection's bound */
static int req_charge(struct authd_session *s, struct authd_req *r, size_t n)
{
	r->bytes += n;
	s->bytes += n;
	if (s->set.budget != NULL)
		s->set.budget->used += n;
	return s->set.max_pending_bytes == 0 || s->bytes <= s->set.max_pending_bytes ? 0 : -1;
}

static void req_remove(struct authd_session *s, struct authd_req *r)
{
	size_t i = (size_t)(r - s->reqs);

	s->bytes -= r->bytes;
	if (s->set.budget != NULL)
		s->set.budget->used -= r->bytes;

	sasl_server_destroy(&r->sasl);
	if (r->held != NULL) {
		xmem_wipe(r->held, r->held_len);
		free(r->held);
	}
	s->reqs[i] = s->reqs[--s->nreqs];
}

/* fail_now - an immediate FAIL from the request handler */
static void fail_now(struct authd_session *s, unsigned id, const char *code, const char *reason)
{
	struct reply rp;

	reply_init(&rp);
	if (code != NULL)
		reply_add(&rp, "code", code, strlen(code));
	reply_add_escaped(&rp, "reason", reason);
	garbage(s);
	if (dvauth_format_fail(&s->out, reply_id(s, id), rp.p, rp.n) < 0)
		xbuf_reset(&s->out);
	sess_flush(s);
	reply_free(&rp);
}

/*
 * reply_user - the passwd-file user behind a request (NULL for ANONYMOUS,
 * EXTERNAL, the demo mechanism, or an unknown user), and the reply's user
 * name after its renames: *renamed_r 1 when it differs from base, -1 when
 * a rename made it empty (the authentication fails)
 */
static const struct passdb_user *reply_user(struct authd_session *s, const struct authd_req *r,
					    const char *base, char *out, size_t outlen,
					    int *renamed_r)
{
	const struct passdb_user *u = NULL;
	const char *login = r->sasl ? sasl_server_authcid(r->sasl) : NULL;

	*renamed_r = 0;
	snprintf(out, outlen, "%s", base);
	if (r->unsafe || r->mech == SASL_MECH_ANONYMOUS || r->mech == SASL_MECH_EXTERNAL ||
	    s->ops->lookup == NULL || login == NULL)
		return NULL;
	u = s->ops->lookup(s->ctx, login);
	if (u != NULL)
		*renamed_r = authd_extra_user(&u->x, base, out, outlen);
	if (*renamed_r < 0)
		snprintf(out, outlen, "%s", base);
	return u;
}

/* shown_fields - the passdb's visible fields as the dialect writes them */
static const char *shown_fields(const struct authd_session *s, const struct passdb_user *u)
{
	return s->set.handshake_24 ? u->x.shown24 : u->x.shown;
}

/* reply_add_original - original_user=<login> after a rename */
static void reply_add_original(struct reply *rp, const struct passdb_user *u, int renamed,
			       const char *base)
{
	if (renamed > 0 && u != NULL && !u->x.has_original_user)
		reply_add_escaped(rp, "original_user", base);
}

/*
 * finish_fail - a failed authentication: FAIL user=... [TAB fields]
 * [original_user=], delayed. The passdb's other extra fields are shown
 * only when a credentials lookup (CRAM-MD5, SCRAM) succeeded and the
 * mechanism failed afterwards; when the passdb itself fails (wrong
 * password, fail, unknown user) Dovecot rolls them back.
 */
static void finish_fail(struct authd_session *s, struct authd_req *r, const char *why)
{
	struct xbuf b;
	struct reply rp;
	char shown[300], name[256];
	const struct passdb_user *u = NULL;
	int renamed = 0;

	xbuf_init(&b, 4096);
	reply_init(&rp);
	sess_flush(s);
	garbage(s);
	sess_flush(s);
	if (r->user[0] != '\0') {
		u = reply_user(s, r, r->user, name, sizeof(name), &renamed);
		reply_add_user(s, &rp, renamed > 0 ? name : r->user);
	}
	if ((s->set.faults & AUTHD_FAULT_FAIL_TEMP) || r->internal_failure)
		reply_add(&rp, "code", "temp_fail", 9);
	if (s->set.faults & AUTHD_FAULT_LEAKY_REASON) {
		const char *why_text = s->ops->lookup != NULL && r->user[0] != '\0' &&
				       s->ops->lookup(s->ctx, r->user) != NULL ?
				       "Password mismatch" : "Unknown user";

		reply_add(&rp, "reason", why_text, strlen(why_text));
	}
	if (r->creds_found && u != NULL && u->x.any &&
	    (!s->set.handshake_24 || u->x.shown24[0] != '\0'))
		reply_add(&rp, shown_fields(s, u), NULL, 0);
	if (r->user[0] != '\0')
		reply_add_original(&rp, u, renamed, r->user);
	if (dvauth_format_fail(&b, reply_id(s, r->id), rp.p, rp.n) == 0) {
		if (r->internal_failure && s->ops->send_after != NULL)
			s->ops->send_after(s->ctx, b.data, b.len, AUTHD_INTERNAL_FAILURE_DELAY_MS);
		else
			s->ops->send_fail_delayed(s->ctx, b.data, b.len);
	}
	reply_free(&rp);
	if (s->pops != NULL && r->ident[0] != '\0')
		s->pops->inc(s->pctx, r->ident, r->checksum, r->last_penalty + 1);
	if (s->ops->log != NULL)
		sess_log(s, "auth failed: id=%u mech=%s user=%s: %s", r->id,
			 r->unsafe ? s->set.unsafe_mech : sasl_mech_get(r->mech)->name,
			 escape_for_log(shown, sizeof(shown), r->user, strlen(r->user)), why);
	xbuf_free(&b);
	req_remove(s, r);
}

/*
 * finish_ok - OK id user=... [TAB extra fields] [resp=] [original_user=], as
 * auth_request_handler_reply_success_finish writes it: a TAB when the
 * passdb set any field, visible or hidden, then the visible ones, with
 * resp= (SCRAM's server-final) added as one more visible field
 */
static void finish_ok(struct authd_session *s, struct authd_req *r, const char *user,
		      const struct xbuf *final)
{
	char shown[300], name[256];
	const struct passdb_user *u;
	int renamed, have_final = final != NULL && final->len > 0;
	struct reply rp;

	u = reply_user(s, r, user, name, sizeof(name), &renamed);
	if (renamed < 0) {
		finish_fail(s, r, "user name renamed to an empty name");
		return;
	}
	reply_init(&rp);
	if (!(s->set.faults & AUTHD_FAULT_OK_WITHOUT_USER))
		reply_add_user(s, &rp, name);
	if (s->set.faults & AUTHD_FAULT_OK_NOLOGIN)
		reply_add(&rp, "nologin", NULL, 0);
	/* a TAB when the passdb set any field: an empty one when none is shown (2.3) */
	if (u != NULL && u->x.shown[0] != '\0')
		reply_add(&rp, shown_fields(s, u), NULL, 0);
	else if (u != NULL && u->x.any && !have_final && !s->set.handshake_24)
		reply_add(&rp, "", NULL, 0);
	if (have_final) {
		if (base64_encode(final->data, final->len, &rp.esc[rp.nesc]) < 0)
			xbuf_reset(&rp.esc[rp.nesc]);
		reply_add(&rp, "resp", rp.esc[rp.nesc].data ? rp.esc[rp.nesc].data : "",
			  rp.esc[rp.nesc].len);
		rp.nesc++;
	}
	reply_add_original(&rp, u, renamed, user);
	garbage(s);
	if (dvauth_format_ok(&s->out, reply_id(s, r->id), rp.p, rp.n) < 0)
		xbuf_reset(&s->out);
	sess_flush(s);
	reply_free(&rp);
	if (s->pops != NULL && r->ident[0] != '\0' && r->last_penalty != 0)
		s->pops->inc(s->pctx, r->ident, 0, 0);	/* a success clears the penalty */
	if (s->ops->log != NULL)
		sess_log(s, "auth ok: id=%u mech=%s user=%s", r->id,
			 r->unsafe ? s->set.unsafe_mech : sasl_mech_get(r->mech)->name,
			 escape_for_log(shown, sizeof(shown), name, strlen(name)));
	req_remove(s, r);
}

/* send_cont - CONT id base64(challenge) */
static void send_cont(struct authd_session *s, struct authd_req *r, const struct xbuf *chal)
{
	struct xbuf data;

	garbage(s);
	if (s->set.faults & AUTHD_FAULT_CONT_NO_DATA) {
		if (xbuf_printf(&s->out, "CONT\t%u\n", reply_id(s, r->id)) < 0)
			xbuf_reset(&s->out);
		r->accept_cont = 1;
		sess_flush(s);
		return;
	}
	xbuf_init(&data, SASL_MAX_MESSAGE * 2);
	if (base64_encode(chal->data, chal->len, &data) < 0 ||
	    ((s->set.faults & AUTHD_FAULT_CONT_EXTRA_FIELDS) &&
	     xbuf_append_str(&data, "\textra=1") < 0) ||
	    dvauth_format_cont(&s->out, reply_id(s, r->id), data.data ? data.data : "",
			       data.len) < 0)
		xbuf_reset(&s->out);
	xbuf_free(&data);
	r->accept_cont = 1;
	sess_flush(s);
}

/*
 * pass_checksum - user and password folded to 32 bits (FNV-1a, never 0), so
 * that the penalty table can tell a retry of the same pair (Dovecot: crc32)
 */
static uint32_t pass_checksum(const char *user, const char *password)
{
	const char *parts[2] = { password, user };
	uint32_t h = 2166136261u;
	size_t k;

	for (k = 0; k < 2; k++) {
		const unsigned char *p = (const unsigned char *)(parts[k] ? parts[k] : "");

		for (; *p; p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0xffu) * 16777619u;
	}
	return h != 0 ? h : 1;
}

/* handle_status - act on a SASL step result (loops through creds lookups) */
static void handle_status(struct authd_session *s, struct authd_req *r, enum sasl_status st,
			  struct xbuf *chal, const char *err)
{
	for (;;) {
		const char *authcid = sasl_server_authcid(r->sasl);

		if (authcid != NULL && r->user[0] == '\0')
			snprintf(r->user, sizeof(r->user), "%s", authcid);
		switch (st) {
		case SASL_CONTINUE:
			send_cont(s, r, chal);
			return;
		case SASL_SUCCESS:
			finish_ok(s, r, sasl_server_user(r->sasl), r->final_resp_ok ? chal : NULL);
			return;
		case SASL_FAIL:
			/* an unknown user's SCRAM exchange ends here, not at the lookup */
			if (r->nocreds_why != NULL && err != NULL && strcmp(err, "Unknown user") == 0)
				err = r->nocreds_why;
			finish_fail(s, r, err);
			return;
		case SASL_NEED_VERIFY:
			r->checksum = pass_checksum(sasl_server_authcid(r->sasl),
						    sasl_server_password(r->sasl));
			r->busy = 1;
			s->ops->verify(s->ctx, r->id, r->serial, sasl_server_authcid(r->sasl),
				       sasl_server_password(r->sasl));
			return;
		case SASL_NEED_CREDS: {
			const struct passdb_user *u = s->ops->lookup(s->ctx, authcid);
			struct sasl_creds creds;
			int have = u != NULL && !u->x.fail && passdb_creds(u, r->mech, &creds) == 0;

			r->creds_found = have;
			r->nocreds_why = have ? NULL : u == NULL ? "Unknown user" : u->x.fail ?
					 "the passwd-file's fail field" :
					 "Password scheme cannot serve this mechanism";
			xbuf_reset(chal);
			st = sasl_server_creds(r->sasl, have ? &creds : NULL, chal, &err);
			xmem_wipe(&creds, sizeof(creds));
			continue;
		}
		}
		return;
	}
}

/* step - feed one decoded message to the request's mechanism */
static void step(struct authd_session *s, struct authd_req *r, const void *data, size_t len,
		 int have)
{
	struct xbuf chal;
	const char *err = NULL;
	enum sasl_status st;

	xbuf_init(&chal, SASL_MAX_MESSAGE);
	r->accept_cont = 0;
	if (r->unsafe) {
		if (!have) {
			send_cont(s, r, &chal);
		} else if (len == 0 || len > 255 || memchr(data, '\0', len) != NULL) {
			finish_fail(s, r, "invalid username");
		} else {
			char user[256];

			memcpy(user, data, len);
			user[len] = '\0';
			snprintf(r->user, sizeof(r->user), "%s", user);
			finish_ok(s, r, user, NULL);
		}
		xbuf_free(&chal);
		return;
	}
	st = sasl_server_step(r->sasl, data, len, have, &chal, &err);
	handle_status(s, r, st, &chal, err);
	xbuf_free_wipe(&chal);
}

/* decode_b64 - Dovecot's decoding of resp= / CONT data */
static int decode_b64(const char *p, size_t len, struct xbuf *out)
{
	const char *err;

	return base64_decode(p, len, BASE64_DOVECOT, out, &err);
}

/*
 * begin - the first step, or, when the client's IP has a penalty, a wait of
 * authd_penalty_secs(penalty) first (Dovecot auth_penalty_callback); the
 * request is busy meanwhile, so a CONT for it is unexpected
 */
static void begin(struct authd_session *s, struct authd_req *r, const void *data, size_t len,
		  int have)
{
	unsigned pen;

	if (s->pops == NULL || r->ident[0] == '\0' ||
	    (pen = s->pops->get(s->pctx, r->ident)) == 0) {
		step(s, r, data, len, have);
		return;
	}
	r->last_penalty = pen;
	r->penalized = 1;
	r->busy = 1;
	r->held_have = have;
	r->held_len = len;
	r->held = xmemdup(have && len > 0 ? data : "", len > 0 ? len : 1);
	sess_log(s, "penalty %u for %s: request %u waits %u s", pen, r->ident, r->id,
		 authd_penalty_secs(pen));
	s->pops->defer(s->pctx, r->id, r->serial, (uint64_t)authd_penalty_secs(pen) * 1000);
}

/* --- commands ---------------------------------------------------------- */

static int sess_disconnect(struct authd_session *s, const char *fmt, ...) ATTR_PRINTF(2, 3);
static int sess_disconnect(struct authd_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* too_many_bytes - the disconnect for a connection above max_pending_bytes */
static int too_many_bytes(struct authd_session *s)
{
	return sess_disconnect(s, "Authentication client %lu has more than %zu bytes in pending "
			       "requests", s->client_pid, s->set.max_pending_bytes);
}

/* auth_params - what the request handler takes from AUTH's parameters */
struct auth_params {
	int service, final_resp_ok, no_penalty;
	struct strview rip;
};

/* auth_params_read - the parameters; d24: protocol= names the service too (2.4) */
static void auth_params_read(const struct dvauth_client_msg *m, int d24, struct auth_params *ap)
{
	struct dvauth_param_iter it;
	struct dvauth_param p;

	memset(ap, 0, sizeof(*ap));
	ap->rip = STRVIEW_NULL;
	dvauth_client_params(m, &it);
	while (dvauth_param_next(&it, &p)) {
		if (strview_eq(p.name, "service") || (d24 && strview_eq(p.name, "protocol")))
			ap->service = 1;
		else if (strview_eq(p.name, "final-resp-ok"))
			ap->final_resp_ok = 1;
		else if (strview_eq(p.name, "no-penalty"))
			ap->no_penalty = 1;
		else if (strview_eq(p.name, "rip"))
			ap->rip = p.value;
	}
}

/* cmd_auth - AUTH id mech [params] [resp=], as auth_request_handler_auth_begin */
static int cmd_auth(struct authd_session *s, const struct dvauth_client_msg *m, uint64_t now)
{
	unsigned id = m->id;
	const struct sasl_mech_info *mi = NULL;
	int unsafe = 0;
	int final_resp_ok;
	struct auth_params ap;
	int have_resp = m->has_resp;
	struct strview resp = m->resp;
	struct authd_req *r;
	struct sasl_server_params sp;
	struct xbuf dec;

	if (s->set.unsafe_mech != NULL && m->mech.len == strlen(s->set.unsafe_mech) &&
	    strncasecmp(m->mech.p, s->set.unsafe_mech, m->mech.len) == 0)
		unsafe = 1;
	else
		mi = sasl_mech_by_name(m->mech.p, m->mech.len);
	if (!unsafe && (mi == NULL || !(s->set.mechs & (1u << mi->mech)))) {
		char shown[100];

		return sess_disconnect(s, "BUG: Authentication client %lu requested unsupported "
				       "authentication mechanism %s", s->client_pid,
				       escape_for_log(shown, sizeof(shown), m->mech.p,
						      m->mech.len > 64 ? 64 : m->mech.len));
	}
	auth_params_read(m, s->set.handshake_24, &ap);
	if (m->params_after_resp > 0)
		return sess_disconnect(s, "BUG: Authentication client %lu sent AUTH parameters "
				       "after 'resp'", s->client_pid);
	final_resp_ok = ap.final_resp_ok;
	if (s->set.faults & AUTHD_FAULT_FINAL_RESP_ALWAYS)
		final_resp_ok = 1;
	if (!ap.service)
		return sess_disconnect(s, "BUG: Authentication client %lu didn't specify %s in "
				       "request", s->client_pid,
				       s->set.handshake_24 ? "protocol" : "service");
	if (req_find(s, id) != NULL)
		return sess_disconnect(s, "BUG: Authentication client %lu sent a duplicate ID %u",
				       s->client_pid, id);
	if (s->set.max_pending && s->nreqs >= s->set.max_pending)
		return sess_disconnect(s, "Authentication client %lu has more than %u pending "
				       "requests", s->client_pid, s->set.max_pending);
	if (s->nreqs == s->capreqs) {
		s->capreqs = s->capreqs ? s->capreqs * 2 : 4;
		s->reqs = xrealloc(s->reqs, s->capreqs * sizeof(*s->reqs));
	}
	r = &s->reqs[s->nreqs++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->serial = ++s->serial;
	r->created = now;
	r->unsafe = unsafe;
	r->final_resp_ok = final_resp_ok;
	if (!unsafe) {
		memset(&sp, 0, sizeof(sp));
		r->mech = mi->mech;
		sp.hostname = s->set.hostname;
		sp.now = s->ops->unix_time ? s->ops->unix_time(s->ctx) : 0;
		sp.anonymous_username = s->set.anonymous_username;
		sp.final_resp_ok = final_resp_ok;
		sp.dovecot24 = s->set.handshake_24;
		sp.secret = s->set.scram_secret;
		sp.secret_len = s->set.scram_secret_len;
		r->sasl = sasl_server_create(mi->mech, &sp);
	}
	if (req_charge(s, r, AUTHD_REQ_BYTES + 2 * (have_resp ? resp.len : 0)) < 0)
		return too_many_bytes(s);
	if (s->pops != NULL && !ap.no_penalty && ap.rip.p != NULL &&
	    authd_penalty_ident(ap.rip.p, ap.rip.len, r->ident, sizeof(r->ident)) < 0)
		r->ident[0] = '\0';	/* Dovecot ignores a rip it cannot parse */
	/* the initial response, as auth_request_handler_auth_begin reads it */
	if (have_resp && resp.len == 0 && s->client_minor < 2)
		have_resp = 0;
	if (!have_resp) {
		begin(s, r, NULL, 0, 0);
		return 0;
	}
	if (resp.len == 0 || (resp.len == 1 && resp.p[0] == '=')) {
		begin(s, r, "", 0, 1);
		return 0;
	}
	/* the value was tab-unescaped with the other fields */
	xbuf_init(&dec, SASL_MAX_MESSAGE);
	if (decode_b64(resp.p, resp.len, &dec) < 0) {
		xbuf_free(&dec);
		req_remove(s, r);
		fail_now(s, id, "invalid_base64", "Invalid base64 data in initial response");
		return 0;
	}
	begin(s, r, dec.data ? dec.data : "", dec.len, 1);
	xbuf_free_wipe(&dec);
	return 0;
}

/* cmd_cont - CONT id data (the data raw, as 2.3 takes it) */
static int cmd_cont(struct authd_session *s, const struct dvauth_client_msg *m)
{
	unsigned id = m->id;
	struct authd_req *r = req_find(s, id);
	struct xbuf dec;

	if (r == NULL) {
		fail_now(s, id, NULL, "Authentication request timed out");
		return 0;
	}
	if (!r->accept_cont || r->busy) {
		req_remove(s, r);
		fail_now(s, id, NULL, "Unexpected continuation");
		return 0;
	}
	r->accept_cont = 0;
	if (req_charge(s, r, 2 * m->data.len) < 0)
		return too_many_bytes(s);
	xbuf_init(&dec, SASL_MAX_MESSAGE);
	if (decode_b64(m->data.p, m->data.len, &dec) < 0) {
		xbuf_free(&dec);
		req_remove(s, r);
		fail_now(s, id, "invalid_base64", "Invalid base64 data in continued response");
		return 0;
	}
	step(s, r, dec.data ? dec.data : "", dec.len, 1);
	xbuf_free_wipe(&dec);
	return 0;
}

/* cmd_cancel - CANCEL id */
static int cmd_cancel(struct authd_session *s, const struct dvauth_client_msg *m)
{
	struct authd_req *r = req_find(s, m->id);

	if (r != NULL)
		req_remove(s, r);
	if (s->client_minor >= 4) {
		if (dvauth_format_cancelled(&s->out, m->id) < 0)
			xbuf_reset(&s->out);
		sess_flush(s);
	}
	return 0;
}

/* shown_line - a client line for a log message: escaped, at most 80 bytes of it */
static const char *shown_line(char *buf, size_t size, const char *line, size_t len)
{
	return escape_for_log(buf, size, line, len > 80 ? 80 : len);
}

/* handshake_line - VERSION, then CPID (2.3 auth_client_input) */
static int handshake_line(struct authd_session *s, const char *line, size_t len,
			  const struct dvauth_client_msg *m, int rc)
{
	char shown[120];

	if (s->hs == HS_WANT_VERSION) {
		if (rc < 0 || m->cmd != DVAUTH_VERSION) {
			if (s->set.handshake_24)
				return sess_disconnect(s, "Authentication client didn't reply with a "
						       "valid VERSION line");
			return sess_disconnect(s, "Authentication client sent invalid VERSION line: %s",
					       shown_line(shown, sizeof(shown), line, len));
		}
		if (m->major != 1)
			return sess_disconnect(s, "Authentication client not compatible with this "
					       "server (mixed old and new binaries?)");
		s->client_minor = m->minor;
		s->hs = HS_WANT_CPID;
		if (s->set.handshake_24 && !s->set.handshake_legacy)
			send_handshake_rest(s);
		return 0;
	}
	if (m->cmd == DVAUTH_CPID) {
		if (rc < 0)
			return sess_disconnect(s, "BUG: Authentication client said it's PID 0");
		s->client_pid = m->pid;
		s->hs = HS_READY;
		return 0;
	}
	return sess_disconnect(s, "BUG: Authentication client sent unknown handshake command: %s",
			       shown_line(shown, sizeof(shown), line, len));
}

/* authd_session_line - one client line, without its LF, read as Dovecot 2.3 (2.4) reads it */
int authd_session_line(struct authd_session *s, const char *line, size_t len, uint64_t now_ms)
{
	struct dvauth_client_msg m;
	const char *why;
	char shown[120];
	int rc = dvauth_parse_client_line_as(line, len, s->set.handshake_24 ? DVAUTH_DOVECOT24 :
					     DVAUTH_DOVECOT23, &m, &why);

	if (s->set.handshake_24 && len == 0)
		return sess_disconnect(s, "Unexpectedly received empty line");
	if (s->hs != HS_READY)
		return handshake_line(s, line, len, &m, rc);
	switch (m.cmd) {
	case DVAUTH_AUTH:
		if (rc < 0)
			return sess_disconnect(s, "BUG: Authentication client %lu sent broken AUTH "
					       "request", s->client_pid);
		return cmd_auth(s, &m, now_ms);
	case DVAUTH_CONT:
		if (rc < 0)
			return sess_disconnect(s, "BUG: Authentication client sent broken CONT request");
		return cmd_cont(s, &m);
	case DVAUTH_CANCEL:
		if (rc < 0)
			return sess_disconnect(s, "BUG: Authentication client sent broken CANCEL");
		return cmd_cancel(s, &m);
	default:
		return sess_disconnect(s, "BUG: Authentication client sent unknown command: %s",
				       shown_line(shown, sizeof(shown), line, len));
	}
}

/* authd_session_verified - the passdb's answer for PLAIN/LOGIN */
void authd_session_verified(struct authd_session *s, unsigned id, uint64_t serial, int ok)
{
	struct authd_req *r = req_find(s, id);
	struct xbuf chal;
	const char *err = NULL;
	enum sasl_status st;

	if (r == NULL || r->serial != serial || !r->busy || r->penalized)
		return;		/* cancelled or expired meanwhile */
	r->busy = 0;
	if (ok < 0 && s->set.handshake_24) {
		r->internal_failure = 1;	/* 2.4: PASSDB_RESULT_INTERNAL_FAILURE */
		finish_fail(s, r, "internal failure (the stored password cannot be verified)");
		return;
	}
	ok = ok > 0;
	xbuf_init(&chal, SASL_MAX_MESSAGE);
	st = sasl_server_verified(r->sasl, ok, &chal, &err);
	if (st == SASL_FAIL && !ok && s->ops->lookup != NULL && r->sasl != NULL &&
	    sasl_server_authcid(r->sasl) != NULL &&
	    s->ops->lookup(s->ctx, sasl_server_authcid(r->sasl)) == NULL)
		err = "unknown user";	/* not a password that did not match */
	handle_status(s, r, st, &chal, err);
	xbuf_free(&chal);
}

/* authd_session_expire - drop requests older than the timeout, silently */
void authd_session_expire(struct authd_session *s, uint64_t now_ms)
{
	size_t i = 0;

	while (i < s->nreqs) {
		if (!s->reqs[i].busy && now_ms - s->reqs[i].created >= s->set.request_timeout_ms)
			req_remove(s, &s->reqs[i]);
		else
			i++;
	}
}

/* authd_session_create - a new connection's state */
struct authd_session *authd_session_create(const struct authd_settings *set,
					   const struct authd_ops *ops, void *ctx,
					   const struct authd_ident *ident)
{
	struct authd_session *s = xcalloc(1, sizeof(*s));

	s->set = *set;
	if (s->set.request_timeout_ms == 0)
		s->set.request_timeout_ms = 150000;
	s->ops = ops;
	s->ctx = ctx;
	s->ident = *ident;
	xbuf_init(&s->out, 1024 * 1024);
	return s;
}

/* authd_session_start - what the server sends on connect */
void authd_session_start(struct authd_session *s)
{
	int rc;

	if (s->set.faults & AUTHD_FAULT_BARE_VERSION)
		rc = xbuf_append_str(&s->out, "VERSION\n");
	else
		rc = dvauth_format_version(&s->out,
					   (s->set.faults & AUTHD_FAULT_VERSION_MAJOR_2) ? 2 : 1,
					   s->set.handshake_24 ? 3 : 2);
	if (rc < 0)
		xbuf_reset(&s->out);
	if (s->set.handshake_24 && !s->set.handshake_legacy)
		sess_flush(s);
	else
		send_handshake_rest(s);
}

const char *authd_session_error(const struct authd_session *s)
{
	return s->error;
}

size_t authd_session_pending(const struct authd_session *s)
{
	return s->nreqs;
}

size_t authd_session_pending_bytes(const struct authd_session *s)
{
	return s->bytes;
}

/* authd_session_drop_pending - every request gone, its bytes given back */
void authd_session_drop_pending(struct authd_session *s)
{
	while (s->nreqs > 0)
		req_remove(s, &s->reqs[0]);
}

/* authd_session_resume - a penalized request's wait is over */
void authd_session_resume(struct authd_session *s, unsigned id, uint64_t serial)
{
	struct authd_req *r = req_find(s, id);
	unsigned char *held;
	size_t len;

	if (r == NULL || r->serial != serial || !r->penalized)
		return;		/* cancelled meanwhile */
	r->penalized = 0;
	r->busy = 0;
	held = r->held;
	len = r->held_len;
	r->held = NULL;
	step(s, r, held, len, r->held_have);
	xmem_wipe(held, len);
	free(held);
}

void authd_session_set_penalty(struct authd_session *s, const struct authd_penalty_ops *ops,
			       void *ctx)
{
	s->pops = ops;
	s->pctx = ctx;
}

unsigned long authd_session_client_pid(const struct authd_session *s)
{
	return s->client_pid;
}

void authd_session_destroy(struct authd_session **sp)
{
	struct authd_session *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	authd_session_drop_pending(s);
	free(s->reqs);
	xbuf_free(&s->out);
	free(s);
}

/* authd_fault_parse - a fault name (protocol-level faults only) */
int authd_fault_parse(const char *name, size_t len, unsigned *fault_r)
{
	static const struct cfg_name faults[] = {
		{ "spid-before-mech", AUTHD_FAULT_SPID_BEFORE_MECH },
		{ "no-done", AUTHD_FAULT_NO_DONE },
		{ "version-major-2", AUTHD_FAULT_VERSION_MAJOR_2 },
		{ "bare-version", AUTHD_FAULT_BARE_VERSION },
		{ "ok-without-user", AUTHD_FAULT_OK_WITHOUT_USER },
		{ "wrong-id", AUTHD_FAULT_WRONG_ID },
		{ "cont-extra-fields", AUTHD_FAULT_CONT_EXTRA_FIELDS },
		{ "garbage-line", AUTHD_FAULT_GARBAGE_LINE },
		{ "unescaped-tab-user", AUTHD_FAULT_UNESCAPED_TAB_USER },
		{ "fail-temp", AUTHD_FAULT_FAIL_TEMP },
		{ "ok-nologin", AUTHD_FAULT_OK_NOLOGIN },
		{ "cont-no-data", AUTHD_FAULT_CONT_NO_DATA },
		{ "leaky-reason", AUTHD_FAULT_LEAKY_REASON },
		{ "final-resp-always", AUTHD_FAULT_FINAL_RESP_ALWAYS },
	};

	return cfg_name_find(faults, sizeof(faults) / sizeof(faults[0]), name, len, fault_r);
}
