/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_proto_readers - differential target: every reader of one
 *	protocol, fed the same bytes, agrees except where documented
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	Input: byte 0 picks bounds and piece sizes (below); the rest is
 *	read four ways, each by all the readers of that direction:
 *
 *	Dovecot auth, client lines (each LF-ended line, LF removed):
 *	dvauth_parse_client_line_as() strict, DVAUTH_DOVECOT23 and
 *	DVAUTH_DOVECOT24 (ref-authd). Checked, as dvauth.h documents: the
 *	2.4 reading gives a word without its TAB as that command, refused,
 *	and reads VERSION, CONT and AUTH as the 2.3 reading does, CPID and
 *	CANCEL with the same number wherever the 2.3 reading takes them;
 *	the 2.3 reading and the strict one: the same command
 *	when the word has its TAB, UNKNOWN in Dovecot's reading when it
 *	has not; VERSION read the same; CPID and CANCEL equal when the
 *	strict reading has exactly one argument, refused by Dovecot's
 *	otherwise; CONT's id equal and Dovecot's data is everything after
 *	the id's TAB; AUTH read by Dovecot's dialect exactly as a model
 *	built here from dvauth_split-style TAB splitting, dvauth_unescape
 *	and a cut at NUL says, and equal to the strict reading (id, mech,
 *	parameters, resp=, fields after it) when nothing is escaped.
 *
 *	Dovecot auth, server lines: dvauth_parse_server_line() (strict,
 *	as Dovecot's own client reads) and the Postfix oracle
 *	(harness/postfix/pf_auth.h, default version), whose header lists
 *	where Postfix reads more loosely. Checked: what the strict reader
 *	accepts, on the bytes before any NUL, Postfix reads the same way:
 *	VERSION (major 1 accepted with its minor, another major refused),
 *	MECH (recorded unless private, with the same flags but
 *	channel-binding, the name's first 63 bytes), SPID (refused before
 *	any MECH, accepted after one), CUID and COOKIE (ignored), DONE
 *	(ends the handshake); OK, FAIL and CONT with a canonical decimal
 *	id N judged as reply to N (OK: 235 with user=, else 535; FAIL: 535;
 *	CONT: 334 and everything after the id's TAB, or 535 without a
 *	data field) and skipped as reply to another id.
 *
 *	Policy requests: policy_parse_block() on the whole input,
 *	policy_scan_block() on the whole input and on pieces of
 *	1 + (byte0 & 7) bytes, and the scan with ref-policyd's bounds from
 *	byte 0 (max_line 64 or 8192, max_attrs 8 or 1024, max_bytes 1024
 *	or 256 KiB). Checked, as policy.h documents: parse and both scans
 *	give the same result, length and error; the bounded scan agrees
 *	with the parse whenever it does not stop at one of its own bounds.
 *
 *	Policy replies: policy_parse_reply() and the Postfix oracle's
 *	pf_pol_read_reply() (pf_policy.h), stream open, smtputf8 off.
 *	Checked: 0 and 1 agree; a reply is taken exactly when the status
 *	is OK, with the same length and the action cut at its first NUL.
 *
 *	At most FUZZ_READERS_MAX_INPUT bytes.
 * DIAGNOSTICS
 *	A mismatch outside the documented differences aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/postfix/pf_auth.h"
#include "harness/postfix/pf_policy.h"
#include "proto/dvauth.h"
#include "proto/policy.h"
#include "util/strnum.h"
#include "util/xbuf.h"

#define FUZZ_READERS_MAX_INPUT	(64 * 1024)

struct readers {
	struct dvauth_client_msg strict, d23, d24;
	struct dvauth_server_msg server;
	struct policy_block blk;
	struct xbuf field;	/* the AUTH model's current field */
};

static int same(struct strview a, const char *p, size_t n)
{
	return a.len == n && (n == 0 || memcmp(a.p, p, n) == 0);
}

static int same_view(struct strview a, struct strview b)
{
	return same(a, b.p, b.len);
}

/* --- client lines ------------------------------------------------------ */

/* model_field - raw field unescaped and cut at its first NUL, into r->field */
static struct strview model_field(struct readers *r, const char *p, size_t n)
{
	const char *nul;

	xbuf_reset(&r->field);
	FUZZ_CHECK(dvauth_unescape(p, n, &r->field) == 0);
	nul = memchr(r->field.data ? r->field.data : "", '\0', r->field.len);
	return strview_make(r->field.data ? r->field.data : "",
			    nul ? (size_t)(nul - r->field.data) : r->field.len);
}

/* param_of - a field as name[=value], split at the first "=" */
static struct dvauth_param param_of(struct strview f)
{
	const char *eq = f.len > 0 ? memchr(f.p, '=', f.len) : NULL;
	struct dvauth_param p;

	p.name = strview_make(f.p, eq ? (size_t)(eq - f.p) : f.len);
	p.has_value = eq != NULL;
	p.value = eq ? strview_make(eq + 1, f.len - p.name.len - 1) : strview_make(f.p, 0);
	return p;
}

/* auth_model - Dovecot's AUTH, from the raw fields after "AUTH\t", against m */
static void auth_model(struct readers *r, const char *a, size_t n, int rc,
		       const struct dvauth_client_msg *m)
{
	const char *end = a + n, *tab;
	struct dvauth_param_iter it;
	struct dvauth_param want, got;
	struct strview f;
	unsigned id = 0;
	size_t i, nf = 1;

	for (i = 0; i < n; i++)
		nf += a[i] == '\t';
	dvauth_client_params(m, &it);
	for (i = 0; i < nf; i++) {
		tab = memchr(a, '\t', (size_t)(end - a));
		f = model_field(r, a, (size_t)((tab ? tab : end) - a));
		a = tab ? tab + 1 : end;
		if (i == 0) {
			if (nf < 2 || str_to_uint(f.p, f.len, &id) < 0 || id == 0) {
				FUZZ_CHECK(rc == -1);
				return;
			}
			FUZZ_CHECK(rc == 0 && m->id == id);
			continue;
		}
		if (i == 1) {
			FUZZ_CHECK(same_view(m->mech, f));
			continue;
		}
		want = param_of(f);
		if (strview_eq(want.name, "resp")) {
			FUZZ_CHECK(m->has_resp && m->params_after_resp == nf - i - 1);
			FUZZ_CHECK(same_view(m->resp, want.value));
			FUZZ_CHECK(!dvauth_param_next(&it, &got));
			return;
		}
		FUZZ_CHECK(dvauth_param_next(&it, &got) == 1);
		FUZZ_CHECK(same_view(got.name, want.name) && got.has_value == want.has_value &&
			   same_view(got.value, want.value));
	}
	FUZZ_CHECK(!m->has_resp && !dvauth_param_next(&it, &got));
}

/* auth_same - nothing escaped: both readings of AUTH are equal */
static void auth_same(const struct dvauth_client_msg *s, const struct dvauth_client_msg *d)
{
	struct dvauth_param_iter is, id;
	struct dvauth_param ps, pd;

	FUZZ_CHECK(s->id == d->id && same_view(s->mech, d->mech));
	FUZZ_CHECK(s->nparams == d->nparams && s->has_resp == d->has_resp);
	FUZZ_CHECK(same_view(s->resp, d->resp) && s->params_after_resp == d->params_after_resp);
	dvauth_client_params(s, &is);
	dvauth_client_params(d, &id);
	while (dvauth_param_next(&is, &ps)) {
		FUZZ_CHECK(dvauth_param_next(&id, &pd) == 1);
		FUZZ_CHECK(same_view(ps.name, pd.name) && ps.has_value == pd.has_value &&
			   same_view(ps.value, pd.value));
	}
	FUZZ_CHECK(!dvauth_param_next(&id, &pd));
}

/* client_word - what a client line's first field names */
static enum dvauth_cmd client_word(const char *l, size_t wl)
{
	static const struct {
		const char *w;
		enum dvauth_cmd cmd;
	} words[] = {
		{ "VERSION", DVAUTH_VERSION }, { "CPID", DVAUTH_CPID }, { "AUTH", DVAUTH_AUTH },
		{ "CONT", DVAUTH_CONT }, { "CANCEL", DVAUTH_CANCEL },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(words); i++)
		if (same(strview_make(l, wl), words[i].w, strlen(words[i].w)))
			return words[i].cmd;
	return DVAUTH_UNKNOWN;
}

/*
 * client_line_24 - the DVAUTH_DOVECOT24 reading of the same line: the
 * word alone is its command; with its TAB, VERSION, CONT and AUTH read
 * as DVAUTH_DOVECOT23 reads them, CPID and CANCEL at least where it
 * takes them (the same number)
 */
static void client_line_24(struct readers *r, const char *l, size_t n, int rd,
			   enum dvauth_cmd word)
{
	const struct dvauth_client_msg *d = &r->d23, *e = &r->d24;
	const char *err;
	int re = dvauth_parse_client_line_as(l, n, DVAUTH_DOVECOT24, &r->d24, &err);

	FUZZ_CHECK(e->cmd == word);
	if (d->cmd == DVAUTH_UNKNOWN) {
		FUZZ_CHECK(word == DVAUTH_UNKNOWN ? re == 0 : re == -1);
	} else if (d->cmd == DVAUTH_CPID || d->cmd == DVAUTH_CANCEL) {
		FUZZ_CHECK(rd < 0 || (re == 0 && e->pid == d->pid && e->id == d->id));
	} else {
		FUZZ_CHECK(re == rd);
		FUZZ_CHECK(rd < 0 || (e->id == d->id && e->nparams == d->nparams &&
				      e->has_resp == d->has_resp && e->has_data == d->has_data));
	}
}

static void client_line(struct readers *r, const char *l, size_t n)
{
	const struct dvauth_client_msg *s = &r->strict, *d = &r->d23;
	const char *err, *tab = memchr(l, '\t', n);
	size_t wl = tab ? (size_t)(tab - l) : n;
	const char *a = tab ? tab + 1 : l + n;
	size_t an = (size_t)(l + n - a);
	int rs = dvauth_parse_client_line_as(l, n, DVAUTH_STRICT, &r->strict, &err);
	int rd = dvauth_parse_client_line_as(l, n, DVAUTH_DOVECOT23, &r->d23, &err);
	int all = rs == 0 || s->cmd != DVAUTH_UNKNOWN;	/* strict read all the fields */

	if (n >= DVAUTH_MAX_LINE) {
		FUZZ_CHECK(rd == -1);
		return;
	}
	FUZZ_CHECK(d->cmd == (tab != NULL ? client_word(l, wl) : DVAUTH_UNKNOWN));
	FUZZ_CHECK(!all || s->cmd == client_word(l, wl));
	switch (d->cmd) {
	case DVAUTH_VERSION:
		FUZZ_CHECK(!all || rd == rs);
		FUZZ_CHECK(rd < 0 || rs < 0 || (d->major == s->major && d->minor == s->minor));
		break;
	case DVAUTH_CPID:
	case DVAUTH_CANCEL:
		FUZZ_CHECK(!all || rd == (rs == 0 && s->fields.n == 2 ? 0 : -1));
		FUZZ_CHECK(rd < 0 || rs < 0 || (d->pid == s->pid && d->id == s->id));
		break;
	case DVAUTH_CONT:
		FUZZ_CHECK(!all || rd == (rs == 0 && s->has_data ? 0 : -1));
		FUZZ_CHECK(rd < 0 || rs < 0 || (d->id == s->id && d->data.p == s->data.p &&
						d->data.p + d->data.len == l + n));
		break;
	case DVAUTH_AUTH:
		auth_model(r, a, an, rd, d);
		if (all && memchr(a, '\001', an) == NULL && memchr(a, '\0', an) == NULL) {
			FUZZ_CHECK(rd == rs);
			if (rd == 0)
				auth_same(s, d);
		}
		break;
	default:
		FUZZ_CHECK(rd == 0);
		break;
	}
	client_line_24(r, l, n, rd, client_word(l, wl));
}

/* --- server lines ------------------------------------------------------ */

/* canonical - 1*DIGIT without a leading zero (Postfix's strtoul base 0 reads it alike) */
static int canonical(struct strview f)
{
	return f.len > 0 && (f.p[0] != '0' || f.len == 1);
}

/* server_reply - OK, FAIL, CONT as replies; l[0, cut) is what Postfix reads of l[0, n) */
static void server_reply(const struct pf_version *v, const struct dvauth_server_msg *m,
			 int rc, const char *err, const char *l, size_t n, size_t cut)
{
	struct pf_auth_verdict vd;

	if (m->fields.n < 2 || !canonical(m->fields.f[1]) ||
	    (rc < 0 && strcmp(err, "CONT: missing data field") != 0))
		return;
	pf_auth_judge(v, m->id, l, n, &vd);
	if (rc < 0) {
		FUZZ_CHECK(vd.outcome == PF_AUTH_FAIL);
		return;
	}
	if (m->cmd == DVAUTH_FAIL)
		FUZZ_CHECK(vd.outcome == PF_AUTH_FAIL);
	if (m->cmd == DVAUTH_OK) {
		const struct dvauth_param *u = NULL;
		size_t i;

		for (i = 0; i < m->nparams && u == NULL; i++)
			if (strview_eq(m->params[i].name, "user") && m->params[i].has_value)
				u = &m->params[i];
		FUZZ_CHECK(vd.outcome == (u != NULL ? PF_AUTH_DONE : PF_AUTH_FAIL));
	}
	if (m->cmd == DVAUTH_CONT) {
		size_t rest = (size_t)(l + cut - m->data.p);

		FUZZ_CHECK(vd.outcome == PF_AUTH_MORE && strncmp(vd.smtp, "334 ", 4) == 0);
		FUZZ_CHECK(strlen(vd.smtp + 4) == (rest < sizeof(vd.smtp) - 5 ? rest :
						     sizeof(vd.smtp) - 5));
		FUZZ_CHECK(memcmp(vd.smtp + 4, m->data.p, strlen(vd.smtp + 4)) == 0);
	}
	pf_auth_judge(v, m->id ^ 1, l, n, &vd);
	FUZZ_CHECK(vd.outcome == PF_AUTH_SKIP);
}

static void server_handshake(const struct pf_version *v, const struct dvauth_server_msg *m,
			     const char *l, size_t n)
{
	struct pf_auth_handshake h;
	size_t keep;
	int rc;

	pf_auth_handshake_init(&h, v);
	rc = pf_auth_handshake_line(&h, l, n);
	switch (m->cmd) {
	case DVAUTH_VERSION:
		FUZZ_CHECK(rc == (m->major == 1 ? 0 : -1));
		FUZZ_CHECK(m->major != 1 || (h.saw_version && h.server_minor == m->minor));
		break;
	case DVAUTH_MECH:
		FUZZ_CHECK(rc == 0);
		if (m->mech_flags & DVAUTH_MECH_PRIVATE) {
			FUZZ_CHECK(h.nmechs == 0);
			break;
		}
		keep = m->mech.len > 63 ? 63 : m->mech.len;
		FUZZ_CHECK(h.nmechs == 1 && h.mechs[0].props ==
			   (m->mech_flags & ~DVAUTH_MECH_CHANNEL_BINDING));
		FUZZ_CHECK(strlen(h.mechs[0].name) == keep &&
			   memcmp(h.mechs[0].name, m->mech.p, keep) == 0);
		break;
	case DVAUTH_SPID:
		FUZZ_CHECK(rc == -1);
		pf_auth_handshake_init(&h, v);
		FUZZ_CHECK(pf_auth_handshake_line(&h, "MECH\tPLAIN", 10) == 0);
		FUZZ_CHECK(pf_auth_handshake_line(&h, l, n) == 0);
		break;
	case DVAUTH_CUID:
	case DVAUTH_COOKIE:
		FUZZ_CHECK(rc == 0);
		break;
	case DVAUTH_DONE:
		FUZZ_CHECK(rc == 1);
		break;
	default:
		break;
	}
}

static void server_line(struct readers *r, const char *l, size_t n)
{
	struct pf_version v;
	const char *err = NULL;
	size_t cut = strnlen(l, n);	/* Postfix reads a C string */
	int rc = dvauth_parse_server_line(l, cut, &r->server, &err);

	pf_version_default(&v);
	if (rc == 0)
		server_handshake(&v, &r->server, l, n);
	if (r->server.cmd == DVAUTH_OK || r->server.cmd == DVAUTH_FAIL ||
	    r->server.cmd == DVAUTH_CONT)
		server_reply(&v, &r->server, rc, err, l, n, cut);
}

/* --- policy requests and replies --------------------------------------- */

/* scan_pieces - policy_scan_block fed piece by piece; the final result */
static int scan_pieces(struct policy_scan *s, const char *b, size_t n, size_t piece,
		       size_t *used_r, const char **err_r)
{
	size_t have = 0;
	int rc = 0;

	do {
		have = n - have < piece ? n : have + piece;
		rc = policy_scan_block(s, b, have, used_r, err_r);
	} while (rc == 0 && have < n);
	return rc;
}

static void policy_request(struct readers *r, const char *b, size_t n, unsigned sel)
{
	struct policy_scan s;
	const char *ep = NULL, *es = NULL;
	size_t up = 0, us = 0;
	int rp = policy_parse_block(b, n, &r->blk, &up, &ep);
	int rs;

	policy_scan_init(&s);
	rs = policy_scan_block(&s, b, n, &us, &es);
	FUZZ_CHECK(rs == rp && (rp != 1 || us == up) && (rp >= 0 || strcmp(es, ep) == 0));
	policy_scan_init(&s);
	rs = scan_pieces(&s, b, n, 1 + (sel & 7), &us, &es);
	FUZZ_CHECK(rs == rp && (rp != 1 || us == up) && (rp >= 0 || strcmp(es, ep) == 0));
	policy_scan_init_bounds(&s, (sel & 8) ? 64 : POLICY_MAX_LINE,
				(sel & 16) ? 8 : POLICY_MAX_ATTRS, (sel & 32) ? 1024 : 256 * 1024);
	rs = scan_pieces(&s, b, n, 1 + (sel & 7), &us, &es);
	if (rs >= 0)
		FUZZ_CHECK(rs == rp && (rs == 0 || us == up));
}

static void policy_reply(const char *b, size_t n)
{
	struct policy_reply rep;
	struct pf_pol_read rd;
	const char *err = NULL, *nul;
	size_t used = 0;
	int rp = policy_parse_reply(b, n, &rep, &used, &err);
	int ro = pf_pol_read_reply(b, n, PF_POL_END_NONE, 0, &rd);

	FUZZ_CHECK(ro == rp);
	if (rp == 0)
		return;
	FUZZ_CHECK(rd.ok == (rep.status == POLICY_REPLY_OK) && rd.used == used);
	if (!rd.ok)
		return;
	nul = memchr(rep.action.p, '\0', rep.action.len);
	FUZZ_CHECK(rd.action.p == rep.action.p &&
		   rd.action.len == (nul ? (size_t)(nul - rep.action.p) : rep.action.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct readers *r;
	const char *p, *end, *lf;
	size_t len;

	if (size < 1 || size > FUZZ_READERS_MAX_INPUT)
		return 0;
	r = malloc(sizeof(*r));
	FUZZ_CHECK(r != NULL);
	xbuf_init(&r->field, DVAUTH_MAX_LINE);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		len = lf ? (size_t)(lf - p) : (size_t)(end - p);
		client_line(r, p, len);
		server_line(r, p, len);
		p += len + 1;
	}
	policy_request(r, (const char *)data + 1, size - 1, data[0]);
	policy_reply((const char *)data + 1, size - 1);
	xbuf_free(&r->field);
	free(r);
	return 0;
}
