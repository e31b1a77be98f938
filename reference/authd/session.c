/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	session - the server side of one Dovecot auth-client connection
 * SYNOPSIS
 *	#include "reference/authd/session.h"
 * DESCRIPTION
 *	See session.h. Commands are recognised as Dovecot 2.3 does, by the
 *	word and its TAB ("AUTH\t", "CONT\t", "CANCEL\t", "VERSION\t",
 *	"CPID\t"); a bare word is an unknown command. AUTH arguments are
 *	split on TAB into any number of fields (bounded by the line), each
 *	tab-unescaped and cut at a NUL (2.3 t_strsplit_tabescaped); CONT
 *	data is taken raw (2.3 takes everything after the second TAB);
 *	CPID and CANCEL take exactly one unsigned number (2.3 str_to_uint
 *	over the rest of the line). Pending requests live in a small
 *	array searched linearly: Postfix keeps one in flight, and the array
 *	is bounded by max_pending.
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
#include "util/escape.h"
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
	/* the per-IP penalty (authd_session_set_penalty) */
	char ident[AUTHD_PENALTY_IDENT_MAX];	/* "" = none */
	unsigned last_penalty;	/* what the lookup gave */
	uint32_t checksum;	/* of user and password, 0 = none */
	int penalized;		/* waiting for authd_session_resume */
	int held_have;		/* the initial response kept meanwhile */
	unsigned char *held;
	size_t held_len;
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

/* add_word_id - "WORD\t<id>" without printf (once per reply) */
static int add_word_id(struct xbuf *b, const char *word, unsigned id)
{
	char num[16];
	size_t i = sizeof(num);

	do {
		num[--i] = (char)('0' + id % 10);
		id /= 10;
	} while (id > 0);
	if (xbuf_append_str(b, word) < 0 || xbuf_append_char(b, '\t') < 0)
		return -1;
	return xbuf_append(b, num + i, sizeof(num) - i);
}

/* add_user - "\tuser=<escaped>" */
static int add_user(struct authd_session *s, struct xbuf *b, const char *user)
{
	if (xbuf_append_str(b, "\tuser=") < 0)
		return -1;
	if (s->set.faults & AUTHD_FAULT_UNESCAPED_TAB_USER)
		return xbuf_append_str(b, user);
	return dvauth_escape(user, strlen(user), b);
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

static void req_remove(struct authd_session *s, struct authd_req *r)
{
	size_t i = (size_t)(r - s->reqs);

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
	garbage(s);
	if (xbuf_printf(&s->out, "FAIL\t%u", reply_id(s, id)) < 0 ||
	    (code && xbuf_printf(&s->out, "\tcode=%s", code) < 0) ||
	    xbuf_append_str(&s->out, "\treason=") < 0 ||
	    dvauth_escape(reason, strlen(reason), &s->out) < 0 ||
	    xbuf_append_char(&s->out, '\n') < 0)
		xbuf_reset(&s->out);
	sess_flush(s);
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

/* add_original - "\toriginal_user=<login>" after a rename */
static int add_original(struct xbuf *b, const struct passdb_user *u, int renamed,
			const char *base)
{
	if (renamed <= 0 || u == NULL || u->x.has_original_user)
		return 0;
	if (xbuf_append_str(b, "\toriginal_user=") < 0)
		return -1;
	return dvauth_escape(base, strlen(base), b);
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
	char shown[300], name[256];
	const struct passdb_user *u = NULL;
	int renamed = 0;

	xbuf_init(&b, 4096);
	sess_flush(s);
	garbage(s);
	sess_flush(s);
	if (r->user[0] != '\0')
		u = reply_user(s, r, r->user, name, sizeof(name), &renamed);
	if (add_word_id(&b, "FAIL", reply_id(s, r->id)) == 0 &&
	    (r->user[0] == '\0' || add_user(s, &b, renamed > 0 ? name : r->user) == 0) &&
	    (!(s->set.faults & AUTHD_FAULT_FAIL_TEMP) || xbuf_append_str(&b, "\tcode=temp_fail") == 0) &&
	    (!(s->set.faults & AUTHD_FAULT_LEAKY_REASON) ||
	     xbuf_append_str(&b, s->ops->lookup != NULL && r->user[0] != '\0' &&
				 s->ops->lookup(s->ctx, r->user) != NULL ?
			     "\treason=Password mismatch" : "\treason=Unknown user") == 0) &&
	    (!r->creds_found || u == NULL || !u->x.any ||
	     (xbuf_append_char(&b, '\t') == 0 && xbuf_append_str(&b, u->x.shown) == 0)) &&
	    (r->user[0] == '\0' || add_original(&b, u, renamed, r->user) == 0) &&
	    xbuf_append_char(&b, '\n') == 0)
		s->ops->send_fail_delayed(s->ctx, b.data, b.len);
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
	int tab;

	u = reply_user(s, r, user, name, sizeof(name), &renamed);
	if (renamed < 0) {
		finish_fail(s, r, "user name renamed to an empty name");
		return;
	}
	tab = (u != NULL && u->x.any) || have_final;
	garbage(s);
	if (add_word_id(&s->out, "OK", reply_id(s, r->id)) < 0 ||
	    (!(s->set.faults & AUTHD_FAULT_OK_WITHOUT_USER) && add_user(s, &s->out, name) < 0) ||
	    ((s->set.faults & AUTHD_FAULT_OK_NOLOGIN) && xbuf_append_str(&s->out, "\tnologin") < 0) ||
	    (tab && xbuf_append_char(&s->out, '\t') < 0) ||
	    (u != NULL && xbuf_append_str(&s->out, u->x.shown) < 0) ||
	    (have_final &&
	     ((u != NULL && u->x.shown[0] != '\0' && xbuf_append_char(&s->out, '\t') < 0) ||
	      xbuf_append_str(&s->out, "resp=") < 0 ||
	      base64_encode(final->data, final->len, &s->out) < 0)) ||
	    add_original(&s->out, u, renamed, user) < 0 ||
	    xbuf_append_char(&s->out, '\n') < 0)
		xbuf_reset(&s->out);
	sess_flush(s);
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
	garbage(s);
	if (s->set.faults & AUTHD_FAULT_CONT_NO_DATA) {
		if (xbuf_printf(&s->out, "CONT\t%u\n", reply_id(s, r->id)) < 0)
			xbuf_reset(&s->out);
		r->accept_cont = 1;
		sess_flush(s);
		return;
	}
	if (xbuf_printf(&s->out, "CONT\t%u\t", reply_id(s, r->id)) < 0 ||
	    base64_encode(chal->data, chal->len, &s->out) < 0 ||
	    ((s->set.faults & AUTHD_FAULT_CONT_EXTRA_FIELDS) &&
	     xbuf_append_str(&s->out, "\textra=1") < 0) ||
	    xbuf_append_char(&s->out, '\n') < 0)
		xbuf_reset(&s->out);
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
			xbuf_reset(chal);
			st = sasl_server_creds(r->sasl, have ? &creds : NULL, chal, &err);
			xmem_wipe(&creds, sizeof(creds));
			if (st == SASL_FAIL && u != NULL && u->x.fail)
				err = "the passwd-file's fail field";
			else if (st == SASL_FAIL && u != NULL && !have)
				err = "Password scheme cannot serve this mechanism";
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

/*
 * auth_args - the AUTH arguments as Dovecot 2.3 reads them
 * (t_strsplit_tabescaped): split on TAB, each field tab-unescaped and,
 * being a C string there, cut at a NUL. The fields point into *store.
 */
struct auth_args {
	size_t n;
	struct strview *f;
	struct strview small[32];	/* f for the usual few fields */
	struct xbuf store;
};

static void auth_args_split(const char *p, size_t len, struct auth_args *a)
{
	size_t i, n = 1, k = 0, *off;
	const char *end = p + len;

	for (i = 0; i < len; i++)
		n += p[i] == '\t';
	a->n = n;
	a->f = n <= sizeof(a->small) / sizeof(a->small[0]) ? a->small : xcalloc(n, sizeof(*a->f));
	xbuf_init(&a->store, len + n + 1);
	if (memchr(p, '\001', len) == NULL && memchr(p, '\0', len) == NULL) {
		/* nothing to unescape and no NUL to cut at: the fields are the line's */
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));
			const char *fe = tab ? tab : end;

			a->f[k++] = strview_make(p, (size_t)(fe - p));
			if (tab == NULL)
				return;
			p = tab + 1;
		}
	}
	off = xcalloc(n + 1, sizeof(*off));
	for (;;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab ? tab : end;

		off[k] = a->store.len;
		/* unescaping never grows a field, so the bound cannot be hit */
		if (dvauth_unescape(p, (size_t)(fe - p), &a->store) < 0 ||
		    xbuf_append_char(&a->store, '\0') < 0)
			xbuf_truncate(&a->store, off[k]);
		k++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	for (k = 0; k < n; k++) {
		const char *fp = a->store.data + off[k];

		a->f[k] = strview_make(fp, strlen(fp));
	}
	free(off);
}

static void auth_args_free(struct auth_args *a)
{
	if (a->f != a->small)
		free(a->f);
	xbuf_free_wipe(&a->store);
}

/* cmd_auth - AUTH id mech [params] [resp=]: a->f[0] id, a->f[1] mech */
static int cmd_auth(struct authd_session *s, const struct auth_args *a, uint64_t now)
{
	unsigned id;
	const struct sasl_mech_info *mi = NULL;
	int unsafe = 0;
	size_t i;
	int have_service = 0, final_resp_ok = 0, no_penalty = 0;
	struct strview rip = STRVIEW_NULL;
	int have_resp = 0;
	struct strview resp = STRVIEW_NULL;
	struct authd_req *r;
	struct sasl_server_params sp;
	struct xbuf dec;
	const struct strview *f = a->f;

	if (a->n < 2 || str_to_uint(f[0].p, f[0].len, &id) < 0 || id == 0)
		return sess_disconnect(s, "BUG: Authentication client %lu sent broken AUTH request",
				       s->client_pid);
	if (s->set.unsafe_mech != NULL && f[1].len == strlen(s->set.unsafe_mech) &&
	    strncasecmp(f[1].p, s->set.unsafe_mech, f[1].len) == 0)
		unsafe = 1;
	else
		mi = sasl_mech_by_name(f[1].p, f[1].len);
	if (!unsafe && (mi == NULL || !(s->set.mechs & (1u << mi->mech)))) {
		char shown[100];

		return sess_disconnect(s, "BUG: Authentication client %lu requested unsupported "
				       "authentication mechanism %s", s->client_pid,
				       escape_for_log(shown, sizeof(shown), f[1].p,
						      f[1].len > 64 ? 64 : f[1].len));
	}
	for (i = 2; i < a->n; i++) {
		const char *eq = memchr(f[i].p, '=', f[i].len);
		size_t nlen = eq ? (size_t)(eq - f[i].p) : f[i].len;

		if (nlen == 7 && memcmp(f[i].p, "service", 7) == 0)
			have_service = 1;
		else if (nlen == 13 && memcmp(f[i].p, "final-resp-ok", 13) == 0)
			final_resp_ok = 1;
		else if (nlen == 10 && memcmp(f[i].p, "no-penalty", 10) == 0)
			no_penalty = 1;
		else if (nlen == 3 && memcmp(f[i].p, "rip", 3) == 0)
			rip = eq ? strview_make(eq + 1, f[i].len - 4) : strview_make("", 0);
		else if (nlen == 4 && memcmp(f[i].p, "resp", 4) == 0) {
			have_resp = 1;
			if (eq)
				resp = strview_make(eq + 1, f[i].len - nlen - 1);
			else
				resp = strview_make("", 0);
			i++;
			break;
		}
	}
	if (i < a->n)
		return sess_disconnect(s, "BUG: Authentication client %lu sent AUTH parameters "
				       "after 'resp'", s->client_pid);
	if (s->set.faults & AUTHD_FAULT_FINAL_RESP_ALWAYS)
		final_resp_ok = 1;
	if (!have_service)
		return sess_disconnect(s, "BUG: Authentication client %lu didn't specify service in "
				       "request", s->client_pid);
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
		r->sasl = sasl_server_create(mi->mech, &sp);
	}
	if (s->pops != NULL && !no_penalty && rip.p != NULL &&
	    authd_penalty_ident(rip.p, rip.len, r->ident, sizeof(r->ident)) < 0)
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

/* cmd_cont - CONT id data; args is what follows "CONT\t" (data taken raw, as 2.3 does) */
static int cmd_cont(struct authd_session *s, const char *args, size_t alen)
{
	const char *tab;
	unsigned id;
	struct authd_req *r;
	struct xbuf dec;

	tab = memchr(args, '\t', alen);
	if (tab == NULL || str_to_uint(args, (size_t)(tab - args), &id) < 0)
		return sess_disconnect(s, "BUG: Authentication client sent broken CONT request");
	r = req_find(s, id);
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
	xbuf_init(&dec, SASL_MAX_MESSAGE);
	if (decode_b64(tab + 1, alen - (size_t)(tab + 1 - args), &dec) < 0) {
		xbuf_free(&dec);
		req_remove(s, r);
		fail_now(s, id, "invalid_base64", "Invalid base64 data in continued response");
		return 0;
	}
	step(s, r, dec.data ? dec.data : "", dec.len, 1);
	xbuf_free_wipe(&dec);
	return 0;
}

/* cmd_cancel - CANCEL id; args is what follows "CANCEL\t" (2.3: one number, nothing else) */
static int cmd_cancel(struct authd_session *s, const char *args, size_t alen)
{
	unsigned id;
	struct authd_req *r;

	if (str_to_uint(args, alen, &id) < 0)
		return sess_disconnect(s, "BUG: Authentication client sent broken CANCEL");
	r = req_find(s, id);
	if (r != NULL)
		req_remove(s, r);
	if (s->client_minor >= 4) {
		if (dvauth_format_cancelled(&s->out, id) < 0)
			xbuf_reset(&s->out);
		sess_flush(s);
	}
	return 0;
}

/* begins - line starts with word + TAB (Dovecot's str_begins(line, "WORD\t")) */
static int begins(const char *line, size_t len, const char *word, size_t *args_r)
{
	size_t wl = strlen(word);

	if (len <= wl || memcmp(line, word, wl) != 0 || line[wl] != '\t')
		return 0;
	*args_r = wl + 1;
	return 1;
}

/* handshake_line - VERSION, then CPID (2.3 auth_client_input) */
static int handshake_line(struct authd_session *s, const char *line, size_t len)
{
	char shown[120];
	size_t a;

	if (s->hs == HS_WANT_VERSION) {
		const char *p, *tab;
		unsigned major, minor;

		if (!begins(line, len, "VERSION", &a) ||
		    (tab = memchr((p = line + a), '\t', len - a)) == NULL ||
		    str_to_uint(p, (size_t)(tab - p), &major) < 0 ||
		    str_to_uint(tab + 1, len - (size_t)(tab + 1 - line), &minor) < 0) {
			if (s->set.handshake_24)
				return sess_disconnect(s, "Authentication client didn't reply with a "
						       "valid VERSION line");
			return sess_disconnect(s, "Authentication client sent invalid VERSION line: %s",
					       escape_for_log(shown, sizeof(shown), line,
							      len > 80 ? 80 : len));
		}
		if (major != 1)
			return sess_disconnect(s, "Authentication client not compatible with this "
					       "server (mixed old and new binaries?)");
		s->client_minor = minor;
		s->hs = HS_WANT_CPID;
		if (s->set.handshake_24)
			send_handshake_rest(s);
		return 0;
	}
	if (begins(line, len, "CPID", &a)) {
		unsigned pid;

		if (str_to_uint(line + a, len - a, &pid) < 0 || pid == 0)
			return sess_disconnect(s, "BUG: Authentication client said it's PID 0");
		s->client_pid = pid;
		s->hs = HS_READY;
		return 0;
	}
	return sess_disconnect(s, "BUG: Authentication client sent unknown handshake command: %s",
			       escape_for_log(shown, sizeof(shown), line, len > 80 ? 80 : len));
}

/* authd_session_line - one client line, without its LF */
int authd_session_line(struct authd_session *s, const char *line, size_t len, uint64_t now_ms)
{
	char shown[120];
	size_t a;

	if (s->hs != HS_READY)
		return handshake_line(s, line, len);
	if (begins(line, len, "AUTH", &a)) {
		struct auth_args args;
		int rc;

		auth_args_split(line + a, len - a, &args);
		rc = cmd_auth(s, &args, now_ms);
		auth_args_free(&args);
		return rc;
	}
	if (begins(line, len, "CONT", &a))
		return cmd_cont(s, line + a, len - a);
	if (begins(line, len, "CANCEL", &a))
		return cmd_cancel(s, line + a, len - a);
	return sess_disconnect(s, "BUG: Authentication client sent unknown command: %s",
			       escape_for_log(shown, sizeof(shown), line, len > 80 ? 80 : len));
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
	xbuf_init(&chal, SASL_MAX_MESSAGE);
	st = sasl_server_verified(r->sasl, ok, &chal, &err);
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
	if (s->set.handshake_24)
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
	while (s->nreqs > 0)
		req_remove(s, &s->reqs[0]);
	free(s->reqs);
	xbuf_free(&s->out);
	free(s);
}

/* authd_fault_parse - a fault name (protocol-level faults only) */
int authd_fault_parse(const char *name, size_t len, unsigned *fault_r)
{
	static const struct {
		const char *name;
		unsigned bit;
	} faults[] = {
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
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (strlen(faults[i].name) == len && memcmp(faults[i].name, name, len) == 0) {
			*fault_r = faults[i].bit;
			return 0;
		}
	}
	return -1;
}
