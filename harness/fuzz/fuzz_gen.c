/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_gen - the wire fuzzer's generators: what one exec sends
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_gen.h"
 * DESCRIPTION
 *	See fuzz_gen.h. The generators work on field lists (one list per
 *	line to send: struct flist for auth, struct plist of name=value
 *	attributes for policy) so that mutations hit protocol fields, not
 *	only bytes; the bytes are laid out as steps at the end. Every
 *	random choice comes from the caller's struct fuzz_rng, in a fixed
 *	order: the same seed gives the same cases.
 * DIAGNOSTICS
 *	None.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/fuzz/fuzz_gen.h"
#include "harness/postfix/pf_policy.h"
#include "proto/base64.h"
#include "util/compiler.h"
#include "util/strnum.h"

/* --- bounded appends: a full buffer only shortens what is generated ------- */

static void bput(struct xbuf *b, const void *p, size_t n)
{
	if (n > 0 && xbuf_append(b, p, n) < 0)
		return;
}

static void bputs(struct xbuf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void bputc(struct xbuf *b, char c)
{
	if (xbuf_append_char(b, c) < 0)
		return;
}

/* --- random numbers ---------------------------------------------------- */

void fuzz_rng_seed(struct fuzz_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ull;
}

/* fuzz_rng_next - splitmix64: every seed, 0 included, gives a full stream */
uint64_t fuzz_rng_next(struct fuzz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned fuzz_rng_below(struct fuzz_rng *r, unsigned n)
{
	return n ? (unsigned)(fuzz_rng_next(r) % n) : 0;
}

/* --- cases ------------------------------------------------------------- */

void fuzz_case_init(struct fuzz_case *c)
{
	memset(c, 0, sizeof(*c));
	xbuf_init(&c->buf, FUZZ_MAX_STEPS * (size_t)FUZZ_MAX_STEP);
}

void fuzz_case_reset(struct fuzz_case *c)
{
	c->nsteps = 0;
	c->what[0] = '\0';
	xbuf_reset(&c->buf);
}

void fuzz_case_free(struct fuzz_case *c)
{
	xbuf_free(&c->buf);
	c->nsteps = 0;
}

static void what_add(struct fuzz_case *c, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void what_add(struct fuzz_case *c, const char *fmt, ...)
{
	size_t n = strlen(c->what);
	va_list ap;

	if (n + 2 >= sizeof(c->what))
		return;
	if (n > 0) {
		c->what[n++] = ',';
		c->what[n++] = ' ';
		c->what[n] = '\0';
	}
	va_start(ap, fmt);
	(void)vsnprintf(c->what + n, sizeof(c->what) - n, fmt, ap);
	va_end(ap);
	for (; c->what[n] != '\0'; n++)
		if ((unsigned char)c->what[n] < 0x20 || (unsigned char)c->what[n] >= 0x7f)
			c->what[n] = '?';
}

/* --- field lists: one line to send -------------------------------------- */

#define FL_MAX		32
#define FL_FIELD_MAX	(20 * 1024)

struct flist {
	unsigned n;
	struct xbuf f[FL_MAX];
};

static void fl_init(struct flist *l)
{
	l->n = 0;
}

static void fl_free(struct flist *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		xbuf_free(&l->f[i]);
	l->n = 0;
}

/* fl_insert - a new field at position at; full lists stay as they are */
static struct xbuf *fl_insert(struct flist *l, unsigned at, const void *p, size_t len)
{
	unsigned i;

	if (l->n >= FL_MAX)
		return NULL;
	if (at > l->n)
		at = l->n;
	for (i = l->n; i > at; i--)
		l->f[i] = l->f[i - 1];
	l->n++;
	xbuf_init(&l->f[at], FL_FIELD_MAX);
	if (len > 0 && xbuf_append(&l->f[at], p, len) < 0)
		xbuf_reset(&l->f[at]);
	return &l->f[at];
}

static void fl_add(struct flist *l, const char *s)
{
	(void)fl_insert(l, l->n, s, strlen(s));
}

static void fl_remove(struct flist *l, unsigned at)
{
	unsigned i;

	if (at >= l->n)
		return;
	xbuf_free(&l->f[at]);
	for (i = at; i + 1 < l->n; i++)
		l->f[i] = l->f[i + 1];
	l->n--;
}

static void fl_set(struct flist *l, unsigned at, const void *p, size_t len)
{
	if (at >= l->n)
		return;
	xbuf_reset(&l->f[at]);
	if (len > 0 && xbuf_append(&l->f[at], p, len) < 0)
		xbuf_reset(&l->f[at]);
}

/* --- building blocks ----------------------------------------------------- */

static const unsigned boundary_lens[] = { 100, 255, 256, 1024, 16383, 16384 };
static const unsigned char odd_bytes[] = {
	0x00, 0x01, '\t', '\r', 0x7f, 0x80, 0xc3, 0xff, '=', '\\', ' ', 0x1b, '"', '%', 0x02,
};

/* fuzz_pick_len - a boundary length, or a short one */
size_t fuzz_pick_len(struct fuzz_rng *r)
{
	if (fuzz_rng_below(r, 6) == 0)
		return fuzz_rng_below(r, 300);
	return boundary_lens[fuzz_rng_below(r, N_ELEMENTS(boundary_lens))];
}

/* fuzz_filler - len printable bytes; the pattern says where in a field a byte sits */
void fuzz_filler(struct xbuf *b, struct fuzz_rng *r, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned start = fuzz_rng_below(r, sizeof(set) - 1);
	size_t i;

	if (xbuf_reserve(b, len) < 0)
		return;
	for (i = 0; i < len; i++)
		b->data[b->len + i] = set[(start + i) % (sizeof(set) - 1)];
	b->len += len;
	b->data[b->len] = '\0';
}

static void set_filler(struct xbuf *b, struct fuzz_rng *r, size_t len)
{
	xbuf_reset(b);
	fuzz_filler(b, r, len);
}

/* fuzz_insert_random - bytes into b at a random position */
void fuzz_insert_random(struct xbuf *b, struct fuzz_rng *r, const void *p, size_t n)
{
	size_t at = b->len ? fuzz_rng_below(r, (unsigned)b->len + 1) : 0, tail = b->len - at;

	if (xbuf_reserve(b, n) < 0)
		return;
	memmove(b->data + at + n, b->data + at, tail);
	memcpy(b->data + at, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* fuzz_pick_odd - a byte helpers often mishandle */
unsigned char fuzz_pick_odd(struct fuzz_rng *r)
{
	return odd_bytes[fuzz_rng_below(r, N_ELEMENTS(odd_bytes))];
}

static const char *odd_name(unsigned char c, char *buf, size_t size)
{
	snprintf(buf, size, "0x%02x", c);
	return buf;
}

/* step_add - one line from a field list; due is worked out from the fields */
static void step_add(struct fuzz_case *c, struct flist *l, int crlf, enum fuzz_due policy)
{
	struct fuzz_step *s;
	unsigned i;

	if (c->nsteps >= FUZZ_MAX_STEPS)
		return;
	/* bounded: the longest field gives way */
	for (;;) {
		size_t total = 2, big = 0;
		unsigned ib = 0;

		for (i = 0; i < l->n; i++) {
			total += l->f[i].len + 1;
			if (l->f[i].len > big) {
				big = l->f[i].len;
				ib = i;
			}
		}
		if (total <= FUZZ_MAX_STEP)
			break;
		xbuf_truncate(&l->f[ib], big / 2);
	}
	s = &c->step[c->nsteps++];
	s->off = c->buf.len;
	s->due = FUZZ_DUE_NONE;
	s->id = 0;
	for (i = 0; i < l->n; i++) {
		if (i > 0 && xbuf_append_char(&c->buf, '\t') < 0)
			break;
		if (l->f[i].len && xbuf_append(&c->buf, l->f[i].data, l->f[i].len) < 0)
			break;
	}
	if (crlf)
		bputc(&c->buf, '\r');
	bputc(&c->buf, '\n');
	s->len = c->buf.len - s->off;
	if (policy != FUZZ_DUE_NONE) {
		s->due = policy;
		return;
	}
	s->due = fuzz_step_due(c->buf.data + s->off, s->len, &s->id);
}

/* fuzz_step_due - a reply is due where Postfix would wait for one: AUTH or CONT
   with an id, as the helper will split the line */
enum fuzz_due fuzz_step_due(const char *p, size_t len, unsigned *id_r)
{
	size_t n = 5;
	unsigned id;

	*id_r = 0;
	if (len > 6 && (memcmp(p, "AUTH\t", 5) == 0 || memcmp(p, "CONT\t", 5) == 0)) {
		while (n < len && p[n] >= '0' && p[n] <= '9')
			n++;
		if (n > 5 && n - 5 <= 10 && n < len && (p[n] == '\t' || p[n] == '\n') &&
		    str_to_uint(p + 5, n - 5, &id) == 0 && id > 0) {
			*id_r = id;
			return FUZZ_DUE_AUTH;
		}
	}
	return FUZZ_DUE_NONE;
}

/* --- the auth handshake --------------------------------------------------- */

void fuzz_gen_handshake(struct fuzz_rng *r, unsigned cpid, int mutate, struct fuzz_case *c)
{
	char pid[32];
	size_t off;
	struct fuzz_step *s;
	const char *ver = "VERSION\t1\t0\n";

	fuzz_case_reset(c);
	off = c->buf.len;
	snprintf(pid, sizeof(pid), "CPID\t%u\n", cpid);
	if (mutate) {
		static const char *const vers[] = {
			"VERSION\t2\t0\n", "VERSION\t1\n", "VERSION\t1\t99\n", "VERSION\t1\t0\r\n",
			"VERSION\t1\t0\t\n", "VERSION\t\001\t0\n", "version\t1\t0\n",
		};
		static const char *const pids[] = {
			"CPID\t0\n", "CPID\tabc\n", "CPID\t99999999999999999999\n", "CPID\n",
			"CPID\t1\t2\n", "CPID\t1\r\n",
		};
		unsigned k = fuzz_rng_below(r, 4);

		if (k == 0) {
			ver = vers[fuzz_rng_below(r, N_ELEMENTS(vers))];
			what_add(c, "handshake: odd VERSION");
		} else if (k == 1) {
			snprintf(pid, sizeof(pid), "%s", pids[fuzz_rng_below(r, N_ELEMENTS(pids))]);
			what_add(c, "handshake: odd CPID");
		} else if (k == 2) {
			bputs(&c->buf, "XFUZZ\tline\n");
			what_add(c, "handshake: unknown line first");
		} else {
			bputs(&c->buf, "VERSION\t1\t0\n");
			what_add(c, "handshake: VERSION twice");
		}
	} else {
		what_add(c, "handshake");
	}
	bputs(&c->buf, ver);
	bputs(&c->buf, pid);
	s = &c->step[0];
	c->nsteps = 1;
	s->off = off;
	s->len = c->buf.len - off;
	s->due = FUZZ_DUE_HANDSHAKE;
	s->id = 0;
}

/* --- auth requests ------------------------------------------------------- */

enum auth_base { BASE_PLAIN_RESP, BASE_PLAIN_CONT, BASE_LOGIN };

enum auth_mut {
	AM_USER_LEN, AM_PASS_LEN, AM_USER_ODD, AM_FIELD_LEN, AM_FIELD_ODD, AM_ESCAPE,
	AM_BAD_B64, AM_MECH, AM_ID, AM_DROP, AM_EXTRA, AM_CR, AM_NUL, AM_VERB,
	AM_EMPTY_RESP, AM_CONT_UNKNOWN, AM_N,
};

/* one auth request being generated */
struct auth_gen {
	struct fuzz_rng *r;
	struct fuzz_auth_state *st;
	struct fuzz_case *c;
	enum auth_base base;
	unsigned nmut, mut[3];
	unsigned id;
	char idtxt[16];
	struct xbuf user, pass, cred;
	int bad_b64, empty_resp;
	struct flist lines[FUZZ_MAX_STEPS];
	unsigned nlines, cred_line, cred_field;
	int crlf[FUZZ_MAX_STEPS];
};

static void b64_field(struct xbuf *out, const char *prefix, const void *p, size_t n)
{
	xbuf_reset(out);
	bputs(out, prefix);
	if (base64_encode(p, n, out) < 0)
		xbuf_reset(out);
}

/* auth_cont_unknown - a CONT for a request that is not there stands alone */
static void auth_cont_unknown(struct auth_gen *g)
{
	struct flist l;

	fl_init(&l);
	fl_add(&l, "CONT");
	snprintf(g->idtxt, sizeof(g->idtxt), "%u", g->id + 1000);
	fl_add(&l, g->idtxt);
	fl_add(&l, "AHRlc3QxAHBhc3Mx");
	step_add(g->c, &l, 0, FUZZ_DUE_NONE);
	fl_free(&l);
	what_add(g->c, "CONT for an unknown id");
	g->st->last_id = g->id;
}

/* auth_semantic - a mutation of the credentials before they are encoded */
static void auth_semantic(struct auth_gen *g, unsigned m)
{
	struct fuzz_rng *r = g->r;
	char ob[8];
	size_t n;

	switch (m) {
	case AM_USER_LEN:
		n = fuzz_pick_len(r);
		set_filler(&g->user, r, n);
		what_add(g->c, "user len %zu", n);
		break;
	case AM_PASS_LEN:
		n = fuzz_pick_len(r);
		set_filler(&g->pass, r, n);
		what_add(g->c, "password len %zu", n);
		break;
	case AM_USER_ODD: {
		unsigned char b = fuzz_pick_odd(r);

		fuzz_insert_random(&g->user, r, &b, 1);
		what_add(g->c, "user byte %s", odd_name(b, ob, sizeof(ob)));
		break;
	}
	case AM_BAD_B64:
		g->bad_b64 = 1 + (int)fuzz_rng_below(r, 7);
		what_add(g->c, "bad base64 #%d", g->bad_b64);
		break;
	case AM_EMPTY_RESP:
		g->empty_resp = 1 + (int)fuzz_rng_below(r, 2);
		what_add(g->c, "empty response");
		break;
	default:
		break;
	}
}

/* auth_credentials - PLAIN: NUL authcid NUL password; LOGIN: the user, then the password */
static void auth_credentials(struct auth_gen *g)
{
	unsigned i;

	xbuf_reset(&g->cred);
	if (g->base == BASE_LOGIN) {
		bput(&g->cred, g->user.data ? g->user.data : "", g->user.len);
	} else {
		bputc(&g->cred, '\0');
		bput(&g->cred, g->user.data ? g->user.data : "", g->user.len);
		bputc(&g->cred, '\0');
		bput(&g->cred, g->pass.data ? g->pass.data : "", g->pass.len);
	}
	if (g->base == BASE_PLAIN_RESP) {
		g->cred_line = 0;
		fl_add(&g->lines[0], "");
		g->cred_field = g->lines[0].n - 1;
		b64_field(&g->lines[0].f[g->cred_field], "resp=", g->cred.data ? g->cred.data : "",
			  g->cred.len);
		return;
	}
	g->cred_line = 1;
	g->cred_field = 2;
	for (i = 1; i < g->nlines; i++) {
		fl_add(&g->lines[i], "CONT");
		fl_add(&g->lines[i], g->idtxt);
		fl_add(&g->lines[i], "");
	}
	b64_field(&g->lines[1].f[2], "", g->cred.data ? g->cred.data : "", g->cred.len);
	if (g->base == BASE_LOGIN)
		b64_field(&g->lines[2].f[2], "", g->pass.data ? g->pass.data : "", g->pass.len);
}

/* auth_lines - the lines as Postfix writes them, then bad or empty credentials */
static void auth_lines(struct auth_gen *g)
{
	static const char *const bad[] = {
		"====", "YWJj=", "a*b=", "YWJj\001", "Y W J j", "=YWJj", "YWJjZA===",
	};
	struct flist *l0 = &g->lines[0];
	unsigned i;

	g->nlines = g->base == BASE_PLAIN_RESP ? 1 : g->base == BASE_PLAIN_CONT ? 2 : 3;
	for (i = 0; i < g->nlines; i++)
		fl_init(&g->lines[i]);
	fl_add(l0, "AUTH");
	fl_add(l0, g->idtxt);
	fl_add(l0, g->base == BASE_LOGIN ? "LOGIN" : "PLAIN");
	fl_add(l0, "service=smtp");
	fl_add(l0, "nologin");
	fl_add(l0, "lip=127.0.0.1");
	fl_add(l0, "rip=127.0.0.1");
	if (fuzz_rng_below(g->r, 5) == 0)
		fl_add(l0, "secured");
	auth_credentials(g);
	if (g->bad_b64 && g->cred_field < g->lines[g->cred_line].n) {
		struct xbuf *f = &g->lines[g->cred_line].f[g->cred_field];

		xbuf_reset(f);
		if (g->cred_line == 0)
			bputs(f, "resp=");
		bputs(f, bad[(unsigned)(g->bad_b64 - 1) % N_ELEMENTS(bad)]);
	}
	if (g->empty_resp && g->cred_field < g->lines[g->cred_line].n) {
		struct xbuf *f = &g->lines[g->cred_line].f[g->cred_field];

		xbuf_reset(f);
		if (g->cred_line == 0)
			bputs(f, g->empty_resp == 1 ? "resp=" : "resp==");
	}
}

/* auth_mech - line 1's mechanism: an odd name or a long one */
static void auth_mech(struct auth_gen *g)
{
	static const char *const mechs[] = {
		"X-FUZZ", "plain", "", "PLAIN\001", "CRAM-MD5", "ANONYMOUS", "EXTERNAL",
		"SCRAM-SHA-1", "login", "GSSAPI", "PLAIN PLAIN",
	};
	unsigned k = fuzz_rng_below(g->r, N_ELEMENTS(mechs) + 1);
	size_t n;

	if (g->lines[0].n < 3)
		return;
	if (k == N_ELEMENTS(mechs)) {
		n = fuzz_pick_len(g->r);
		set_filler(&g->lines[0].f[2], g->r, n);
		what_add(g->c, "mechanism len %zu", n);
	} else {
		fl_set(&g->lines[0], 2, mechs[k], strlen(mechs[k]));
		what_add(g->c, "mechanism \"%s\"", k == 3 ? "PLAIN\\001" : mechs[k]);
	}
}

/* auth_id - an odd id in line li, the same id twice, or a long one */
static void auth_id(struct auth_gen *g, unsigned li)
{
	static const char *const ids[] = {
		"0", "4294967295", "4294967296", "-1", "1a", "", "01", " 1",
	};
	struct flist *l = &g->lines[li];
	unsigned k = fuzz_rng_below(g->r, N_ELEMENTS(ids) + 2), j;
	char dup[16];
	size_t n;

	if (k == N_ELEMENTS(ids)) {
		snprintf(dup, sizeof(dup), "%u", g->st->last_id ? g->st->last_id : g->id);
		for (j = 0; j < g->nlines; j++)
			fl_set(&g->lines[j], 1, dup, strlen(dup));
		what_add(g->c, "duplicate id %s", dup);
	} else if (k == N_ELEMENTS(ids) + 1) {
		struct xbuf *f = &l->f[l->n > 1 ? 1 : 0];

		n = fuzz_pick_len(g->r);
		xbuf_reset(f);
		while (f->len < n && xbuf_append_char(f, (char)('1' + f->len % 9)) == 0)
			;
		what_add(g->c, "line %u id of %zu digits", li + 1, n);
	} else {
		fl_set(l, 1, ids[k], strlen(ids[k]));
		what_add(g->c, "line %u id \"%s\"", li + 1, ids[k]);
	}
}

/* auth_extra - an extra parameter in line li, or some 250 of them */
static void auth_extra(struct auth_gen *g, unsigned li)
{
	static const char *const extra[] = {
		"foo=bar", "resp=", "service=imap", "secured", "x", "=", "valid-client-cert",
		"nologin", "cert_username=", "session=abc", "lip=::1", "rip=",
	};
	struct flist *l = &g->lines[li];
	unsigned k = fuzz_rng_below(g->r, N_ELEMENTS(extra) + 1);
	unsigned at = l->n > 3 ? 3 + fuzz_rng_below(g->r, l->n - 2) : l->n;

	if (k == N_ELEMENTS(extra)) {
		struct xbuf *f = fl_insert(l, at, NULL, 0);
		unsigned j, many = 250 + fuzz_rng_below(g->r, 20);

		for (j = 0; f != NULL && j < many; j++)
			if (xbuf_printf(f, "%sp%u=%u", j ? "\t" : "", j, j) < 0)
				break;
		what_add(g->c, "line %u %u extra parameters", li + 1, many);
	} else {
		(void)fl_insert(l, at, extra[k], strlen(extra[k]));
		what_add(g->c, "line %u extra \"%s\"", li + 1, extra[k]);
	}
}

/* auth_field - a mutation of field fi of line li: length, byte, escape, CR, NUL, drop */
static void auth_field(struct auth_gen *g, unsigned m, unsigned li, unsigned fi)
{
	static const char *const esc[] = {
		"\001t", "\0011", "\001n", "\001", "\001x", "\001\001", "\t\t",
	};
	struct flist *l = &g->lines[li];
	struct fuzz_rng *r = g->r;
	char ob[8];

	switch (m) {
	case AM_FIELD_LEN: {
		const char *eq;
		size_t n;

		if (l->n == 0)
			break;
		n = fuzz_pick_len(r);
		eq = l->f[fi].len ? memchr(l->f[fi].data, '=', l->f[fi].len) : NULL;
		if (eq != NULL) {
			xbuf_truncate(&l->f[fi], (size_t)(eq - l->f[fi].data) + 1);
			fuzz_filler(&l->f[fi], r, n);
		} else {
			set_filler(&l->f[fi], r, n);
		}
		what_add(g->c, "line %u field %u len %zu", li + 1, fi + 1, n);
		break;
	}
	case AM_FIELD_ODD: {
		unsigned char b = fuzz_pick_odd(r);

		if (l->n == 0)
			break;
		fuzz_insert_random(&l->f[fi], r, &b, 1);
		what_add(g->c, "line %u field %u byte %s", li + 1, fi + 1, odd_name(b, ob, sizeof(ob)));
		break;
	}
	case AM_ESCAPE: {
		const char *e = esc[fuzz_rng_below(r, N_ELEMENTS(esc))];

		fi = l->n > 3 ? 3 + fuzz_rng_below(r, l->n - 3) : fi;
		if (l->n == 0)
			break;
		fuzz_insert_random(&l->f[fi], r, e, strlen(e));
		what_add(g->c, "line %u field %u escape", li + 1, fi + 1);
		break;
	}
	case AM_DROP:
		if (l->n == 0)
			break;
		fl_remove(l, fi);
		what_add(g->c, "line %u field %u dropped", li + 1, fi + 1);
		break;
	case AM_CR:
		if (fuzz_rng_below(r, 4) != 0 || l->n == 0) {
			g->crlf[li] = 1;
			what_add(g->c, "line %u CR LF", li + 1);
		} else {
			fuzz_insert_random(&l->f[fi], r, "\r", 1);
			what_add(g->c, "line %u field %u CR", li + 1, fi + 1);
		}
		break;
	case AM_NUL:
		if (l->n == 0)
			break;
		fuzz_insert_random(&l->f[fi], r, "", 1);
		what_add(g->c, "line %u field %u NUL", li + 1, fi + 1);
		break;
	default:
		break;
	}
}

/* auth_wire - one mutation of the bytes on the wire, on a random line */
static void auth_wire(struct auth_gen *g, unsigned m)
{
	static const char *const verbs[] = {
		"auth", "CANCEL", "CPID", "VERSION", "XFUZZ", "", "AUTHX", "CONT", "OK",
	};
	unsigned li = fuzz_rng_below(g->r, g->nlines);
	struct flist *l = &g->lines[li];
	unsigned fi = l->n ? fuzz_rng_below(g->r, l->n) : 0;
	unsigned k;

	switch (m) {
	case AM_MECH:
		auth_mech(g);
		break;
	case AM_ID:
		auth_id(g, li);
		break;
	case AM_EXTRA:
		auth_extra(g, li);
		break;
	case AM_VERB:
		k = fuzz_rng_below(g->r, N_ELEMENTS(verbs));
		fl_set(l, 0, verbs[k], strlen(verbs[k]));
		what_add(g->c, "line %u verb \"%s\"", li + 1, verbs[k]);
		break;
	default:
		auth_field(g, m, li, fi);
		break;
	}
}

/* fuzz_gen_auth - a request as Postfix writes it, with up to three mutations */
void fuzz_gen_auth(struct fuzz_rng *r, struct fuzz_auth_state *st, struct fuzz_case *c)
{
	static const char *const users[] = { "test1", "demo-plain", "fuzz", "" };
	static const char *const passes[] = { "pass1", "demo-secret", "wrong" };
	struct auth_gen g;
	unsigned i;

	fuzz_case_reset(c);
	memset(&g, 0, sizeof(g));
	g.r = r;
	g.st = st;
	g.c = c;
	xbuf_init(&g.user, FL_FIELD_MAX);
	xbuf_init(&g.pass, FL_FIELD_MAX);
	xbuf_init(&g.cred, FL_FIELD_MAX);
	bputs(&g.user, users[fuzz_rng_below(r, N_ELEMENTS(users))]);
	bputs(&g.pass, passes[fuzz_rng_below(r, N_ELEMENTS(passes))]);
	i = fuzz_rng_below(r, 20);
	g.base = i < 10 ? BASE_PLAIN_RESP : i < 13 ? BASE_PLAIN_CONT : BASE_LOGIN;
	what_add(c, "%s", g.base == BASE_PLAIN_RESP ? "PLAIN resp" :
		 g.base == BASE_PLAIN_CONT ? "PLAIN cont" : "LOGIN");
	i = fuzz_rng_below(r, 10);
	g.nmut = i == 0 ? 0 : i <= 5 ? 1 : i <= 8 ? 2 : 3;
	for (i = 0; i < g.nmut; i++)
		g.mut[i] = fuzz_rng_below(r, AM_N);
	if (st->next_id == 0)
		st->next_id = 1;
	g.id = st->next_id++;
	snprintf(g.idtxt, sizeof(g.idtxt), "%u", g.id);
	for (i = 0; i < g.nmut && g.mut[i] != AM_CONT_UNKNOWN; i++)
		;
	if (i < g.nmut) {
		auth_cont_unknown(&g);
	} else {
		for (i = 0; i < g.nmut; i++)
			auth_semantic(&g, g.mut[i]);
		auth_lines(&g);
		for (i = 0; i < g.nmut; i++)
			auth_wire(&g, g.mut[i]);
		for (i = 0; i < g.nlines; i++)
			step_add(c, &g.lines[i], g.crlf[i], FUZZ_DUE_NONE);
		for (i = 0; i < g.nlines; i++)
			fl_free(&g.lines[i]);
		st->last_id = g.id;
	}
	xbuf_free(&g.user);
	xbuf_free(&g.pass);
	xbuf_free_wipe(&g.cred);
}


/* --- policy requests ------------------------------------------------------ */

#define PL_MAX	80

struct plist {
	unsigned n;
	struct xbuf name[PL_MAX], value[PL_MAX];
	unsigned char noeq[PL_MAX], cr[PL_MAX];
};

static void pl_insert(struct plist *l, unsigned at, const char *name, const void *v, size_t vlen)
{
	unsigned i;

	if (l->n >= PL_MAX)
		return;
	if (at > l->n)
		at = l->n;
	for (i = l->n; i > at; i--) {
		l->name[i] = l->name[i - 1];
		l->value[i] = l->value[i - 1];
		l->noeq[i] = l->noeq[i - 1];
		l->cr[i] = l->cr[i - 1];
	}
	l->n++;
	xbuf_init(&l->name[at], FL_FIELD_MAX);
	xbuf_init(&l->value[at], FL_FIELD_MAX);
	l->noeq[at] = 0;
	l->cr[at] = 0;
	bputs(&l->name[at], name);
	if (vlen && xbuf_append(&l->value[at], v, vlen) < 0)
		xbuf_reset(&l->value[at]);
}

static void pl_remove(struct plist *l, unsigned at)
{
	unsigned i;

	if (at >= l->n)
		return;
	xbuf_free(&l->name[at]);
	xbuf_free(&l->value[at]);
	for (i = at; i + 1 < l->n; i++) {
		l->name[i] = l->name[i + 1];
		l->value[i] = l->value[i + 1];
		l->noeq[i] = l->noeq[i + 1];
		l->cr[i] = l->cr[i + 1];
	}
	l->n--;
}

static int pl_find(const struct plist *l, const char *name)
{
	unsigned i;
	size_t n = strlen(name);

	for (i = 0; i < l->n; i++)
		if (l->name[i].len == n && memcmp(l->name[i].data, name, n) == 0)
			return (int)i;
	return -1;
}

/* pl_pick - an attribute; half of the time one that services look at */
static unsigned pl_pick(struct fuzz_rng *r, const struct plist *l)
{
	static const char *const hot[] = {
		"sender", "recipient", "sasl_username", "client_address", "client_name",
		"helo_name", "request", "protocol_state", "instance", "size",
	};

	if (fuzz_rng_below(r, 2) == 0) {
		int k = pl_find(l, hot[fuzz_rng_below(r, N_ELEMENTS(hot))]);

		if (k >= 0)
			return (unsigned)k;
	}
	return fuzz_rng_below(r, l->n);
}

enum pol_mut {
	PM_VAL_LEN, PM_VAL_ODD, PM_VAL_EMPTY, PM_DROP, PM_EXTRA, PM_DUP, PM_NOEQ, PM_EMPTY_NAME,
	PM_NAME_LEN, PM_NAME_ODD, PM_CR, PM_NUL, PM_STATE, PM_N,
};

/* pol_extra - an extra attribute, or more than Postfix's 1024-attribute table as one blob */
static void pol_extra(struct fuzz_rng *r, struct plist *l, struct fuzz_case *c)
{
	static const char *const extra[][2] = {
		{ "x_fuzz", "1" }, { "action", "DUNNO" }, { "request", "smtpd_access_policy" },
		{ "ccert_subject", "" }, { "policy_context", "\001" },
	};
	unsigned k;

	if (fuzz_rng_below(r, 6) == 0) {
		struct xbuf blob;
		unsigned j, many = 1000 + fuzz_rng_below(r, 100);

		xbuf_init(&blob, FUZZ_MAX_STEP);
		for (j = 0; j < many; j++)
			if (xbuf_printf(&blob, "%sa%u=%u", j ? "\n" : "", j, j) < 0)
				break;
		k = fuzz_rng_below(r, l->n + 1);
		pl_insert(l, k, "", NULL, 0);
		if (k < l->n && blob.len && xbuf_append(&l->name[k], blob.data, blob.len) == 0)
			l->noeq[k] = 1;
		xbuf_free(&blob);
		what_add(c, "%u extra attributes", many);
	} else {
		k = fuzz_rng_below(r, N_ELEMENTS(extra));
		pl_insert(l, fuzz_rng_below(r, l->n + 1), extra[k][0], extra[k][1],
			  strlen(extra[k][1]));
		what_add(c, "extra %s", extra[k][0]);
	}
}

/* pol_state - an odd protocol_state, request or protocol_name */
static void pol_state(struct fuzz_rng *r, struct plist *l, struct fuzz_case *c)
{
	static const char *const odd[][2] = {
		{ "protocol_state", "" }, { "protocol_state", "rcpt" },
		{ "protocol_state", "XFUZZ" }, { "request", "smtpd_access_policy2" },
		{ "request", "" }, { "protocol_name", "LMTP" },
	};
	unsigned k = fuzz_rng_below(r, N_ELEMENTS(odd));
	int at = pl_find(l, odd[k][0]);

	if (at >= 0) {
		xbuf_reset(&l->value[at]);
		bputs(&l->value[at], odd[k][1]);
	}
	what_add(c, "%s=\"%s\"", odd[k][0], odd[k][1]);
}

/* pol_bytes - a value or a name of a boundary length, or with an odd byte */
static void pol_bytes(struct fuzz_rng *r, struct xbuf *b, int odd, const char *name,
		      const char *part, struct fuzz_case *c)
{
	char ob[8];
	size_t n;

	if (odd) {
		unsigned char x = fuzz_pick_odd(r);

		fuzz_insert_random(b, r, &x, 1);
		what_add(c, "%s%s byte %s", name, part, odd_name(x, ob, sizeof(ob)));
	} else {
		n = fuzz_pick_len(r);
		set_filler(b, r, n);
		what_add(c, "%s%s len %zu", name, part, n);
	}
}

/* pol_mutate - one mutation of a picked attribute, or of the request */
static void pol_mutate(struct fuzz_rng *r, struct plist *l, struct fuzz_case *c)
{
	unsigned at = pl_pick(r, l), m;
	const char *an = xbuf_cstr(&l->name[at]);
	char name[40];

	snprintf(name, sizeof(name), "%s", an[0] ? an : "(empty)");
	switch (m = fuzz_rng_below(r, PM_N)) {
	case PM_VAL_LEN: case PM_VAL_ODD:
		pol_bytes(r, &l->value[at], m == PM_VAL_ODD, name, "", c);
		break;
	case PM_NAME_LEN: case PM_NAME_ODD:
		pol_bytes(r, &l->name[at], m == PM_NAME_ODD, name, ": name", c);
		break;
	case PM_VAL_EMPTY:
		xbuf_reset(&l->value[at]);
		what_add(c, "%s empty", name);
		break;
	case PM_DROP:
		pl_remove(l, at);
		what_add(c, "%s missing", name);
		break;
	case PM_EXTRA:
		pol_extra(r, l, c);
		break;
	case PM_DUP: {
		struct xbuf val;

		xbuf_init(&val, FL_FIELD_MAX);
		fuzz_filler(&val, r, 1 + fuzz_rng_below(r, 20));
		pl_insert(l, at + 1, an, val.data, val.len);
		xbuf_free(&val);
		what_add(c, "%s twice", name);
		break;
	}
	case PM_NOEQ:
		l->noeq[at] = 1;
		what_add(c, "%s without \"=\"", name);
		break;
	case PM_EMPTY_NAME:
		xbuf_reset(&l->name[at]);
		what_add(c, "%s: empty name", name);
		break;
	case PM_CR:
		l->cr[at] = 1;
		what_add(c, "%s CR LF", name);
		break;
	case PM_NUL:
		fuzz_insert_random(&l->value[at], r, "", 1);
		what_add(c, "%s NUL", name);
		break;
	default:
		pol_state(r, l, c);
		break;
	}
}

/* pol_write - the attributes as one step, ended by the empty line */
static void pol_write(struct plist *l, struct fuzz_case *c)
{
	struct fuzz_step *s = &c->step[0];
	unsigned i;

	c->nsteps = 1;
	s->off = c->buf.len;
	for (i = 0; i < l->n; i++) {
		if (l->noeq[i] && !l->cr[i] && l->name[i].len == 0 && l->value[i].len == 0)
			continue;	/* an empty line would end the request early */
		if (l->name[i].len)
			bput(&c->buf, l->name[i].data, l->name[i].len);
		if (!l->noeq[i])
			bputc(&c->buf, '=');
		if (l->value[i].len)
			bput(&c->buf, l->value[i].data, l->value[i].len);
		if (l->cr[i])
			bputc(&c->buf, '\r');
		bputc(&c->buf, '\n');
	}
	bputc(&c->buf, '\n');
	s->len = c->buf.len - s->off;
	s->due = FUZZ_DUE_POLICY;
	s->id = 0;
}

/* fuzz_gen_policy - Postfix v's request at a random state, with up to three mutations */
void fuzz_gen_policy(struct fuzz_rng *r, const struct pf_version *v, struct fuzz_case *c)
{
	static const enum pf_pol_state states[] = {
		PF_POL_CONNECT, PF_POL_EHLO, PF_POL_HELO, PF_POL_MAIL, PF_POL_DATA, PF_POL_EOM,
		PF_POL_VRFY, PF_POL_ETRN,
	};
	struct pf_pol_req req;
	struct plist l;
	unsigned i, nmut, k;
	enum pf_pol_state st;

	fuzz_case_reset(c);
	st = fuzz_rng_below(r, 5) < 3 ? PF_POL_RCPT : states[fuzz_rng_below(r, N_ELEMENTS(states))];
	pf_pol_req_init(&req, v, st);
	if (fuzz_rng_below(r, 3) == 0)
		if (pf_pol_req_set(&req, "sasl_username", "test1") < 0)
			what_add(c, "(no sasl_username)");
	l.n = 0;
	for (i = 0; i < req.n && i < PL_MAX; i++)
		pl_insert(&l, l.n, req.a[i].name, req.a[i].value ? req.a[i].value : "",
			  req.a[i].value ? strlen(req.a[i].value) : 0);
	what_add(c, "%s", pf_pol_state_name(st));
	k = fuzz_rng_below(r, 10);
	nmut = k == 0 ? 0 : k <= 5 ? 1 : k <= 8 ? 2 : 3;
	for (i = 0; i < nmut && l.n > 0; i++)
		pol_mutate(r, &l, c);
	pol_write(&l, c);
	while (l.n > 0)
		pl_remove(&l, l.n - 1);
}
