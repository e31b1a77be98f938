/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz - a protocol-aware wire fuzzer for auth helpers and policy services
 * SYNOPSIS
 *	#include "harness/run/fuzz.h"
 * DESCRIPTION
 *	See fuzz.h. The generator works on field lists (one list per line
 *	to send) so that mutations hit protocol fields, not only bytes; the
 *	engine is one blocking connection at a time (tconn), which is what
 *	a Postfix smtpd process is to a helper.
 * DIAGNOSTICS
 *	Findings go to stdout (one line each) and to transcripts in the
 *	output directory; usage errors and an unusable target to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/postfix/pf_auth.h"
#include "harness/postfix/pf_policy.h"
#include "harness/run/fuzz.h"
#include "harness/script/transcript.h"
#include "proto/base64.h"
#include "util/strnum.h"
#include "util/xmem.h"

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

static void bprintf(struct xbuf *b, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void bprintf(struct xbuf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = xbuf_vprintf(b, fmt, ap);
	va_end(ap);
	if (rc < 0)
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

static size_t pick_len(struct fuzz_rng *r)
{
	if (fuzz_rng_below(r, 6) == 0)
		return fuzz_rng_below(r, 300);
	return boundary_lens[fuzz_rng_below(r, N_ELEMENTS(boundary_lens))];
}

/* filler - len printable bytes; the pattern says where in a field a byte sits */
static void filler(struct xbuf *b, struct fuzz_rng *r, size_t len)
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
	filler(b, r, len);
}

/* insert_at - bytes into b at a random position */
static void insert_random(struct xbuf *b, struct fuzz_rng *r, const void *p, size_t n)
{
	size_t at = b->len ? fuzz_rng_below(r, (unsigned)b->len + 1) : 0, tail = b->len - at;

	if (xbuf_reserve(b, n) < 0)
		return;
	memmove(b->data + at + n, b->data + at, tail);
	memcpy(b->data + at, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static unsigned char pick_odd(struct fuzz_rng *r)
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
	/* a reply is due where Postfix would wait for one: AUTH or CONT with an id,
	   as the helper will split the line */
	{
		const char *p = c->buf.data + s->off;
		size_t n = 5;
		unsigned id;

		if (s->len > 6 && (memcmp(p, "AUTH\t", 5) == 0 || memcmp(p, "CONT\t", 5) == 0)) {
			while (n < s->len && p[n] >= '0' && p[n] <= '9')
				n++;
			if (n > 5 && n - 5 <= 10 && (p[n] == '\t' || p[n] == '\n') &&
			    str_to_uint(p + 5, n - 5, &id) == 0 && id > 0) {
				s->due = FUZZ_DUE_AUTH;
				s->id = id;
			}
		}
	}
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

static void b64_field(struct xbuf *out, const char *prefix, const void *p, size_t n)
{
	xbuf_reset(out);
	bputs(out, prefix);
	if (base64_encode(p, n, out) < 0)
		xbuf_reset(out);
}

void fuzz_gen_auth(struct fuzz_rng *r, struct fuzz_auth_state *st, struct fuzz_case *c)
{
	static const char *const users[] = { "test1", "demo-plain", "fuzz", "" };
	static const char *const passes[] = { "pass1", "demo-secret", "wrong" };
	struct flist lines[FUZZ_MAX_STEPS];
	struct xbuf user, pass, cred;
	enum auth_base base;
	unsigned nmut, i, nlines, id, cred_line, cred_field;
	int crlf[FUZZ_MAX_STEPS] = { 0 }, bad_b64 = 0, empty_resp = 0;
	unsigned mut[3];
	char idtxt[16], ob[8];

	fuzz_case_reset(c);
	xbuf_init(&user, FL_FIELD_MAX);
	xbuf_init(&pass, FL_FIELD_MAX);
	xbuf_init(&cred, FL_FIELD_MAX);
	bputs(&user, users[fuzz_rng_below(r, N_ELEMENTS(users))]);
	bputs(&pass, passes[fuzz_rng_below(r, N_ELEMENTS(passes))]);
	i = fuzz_rng_below(r, 20);
	base = i < 10 ? BASE_PLAIN_RESP : i < 13 ? BASE_PLAIN_CONT : BASE_LOGIN;
	what_add(c, "%s", base == BASE_PLAIN_RESP ? "PLAIN resp" :
		 base == BASE_PLAIN_CONT ? "PLAIN cont" : "LOGIN");
	i = fuzz_rng_below(r, 10);
	nmut = i == 0 ? 0 : i <= 5 ? 1 : i <= 8 ? 2 : 3;
	for (i = 0; i < nmut; i++)
		mut[i] = fuzz_rng_below(r, AM_N);

	if (st->next_id == 0)
		st->next_id = 1;
	id = st->next_id++;
	snprintf(idtxt, sizeof(idtxt), "%u", id);

	/* a CONT for a request that is not there stands alone */
	for (i = 0; i < nmut; i++)
		if (mut[i] == AM_CONT_UNKNOWN) {
			struct flist l;

			fl_init(&l);
			fl_add(&l, "CONT");
			snprintf(idtxt, sizeof(idtxt), "%u", id + 1000);
			fl_add(&l, idtxt);
			fl_add(&l, "AHRlc3QxAHBhc3Mx");
			step_add(c, &l, 0, FUZZ_DUE_NONE);
			fl_free(&l);
			what_add(c, "CONT for an unknown id");
			st->last_id = id;
			goto out;
		}

	/* semantic mutations: the credentials before encoding */
	for (i = 0; i < nmut; i++) {
		size_t n;

		switch (mut[i]) {
		case AM_USER_LEN:
			n = pick_len(r);
			set_filler(&user, r, n);
			what_add(c, "user len %zu", n);
			break;
		case AM_PASS_LEN:
			n = pick_len(r);
			set_filler(&pass, r, n);
			what_add(c, "password len %zu", n);
			break;
		case AM_USER_ODD: {
			unsigned char b = pick_odd(r);

			insert_random(&user, r, &b, 1);
			what_add(c, "user byte %s", odd_name(b, ob, sizeof(ob)));
			break;
		}
		case AM_BAD_B64:
			bad_b64 = 1 + (int)fuzz_rng_below(r, 7);
			what_add(c, "bad base64 #%d", bad_b64);
			break;
		case AM_EMPTY_RESP:
			empty_resp = 1 + (int)fuzz_rng_below(r, 2);
			what_add(c, "empty response");
			break;
		default:
			break;
		}
	}

	/* the lines as Postfix writes them */
	nlines = base == BASE_PLAIN_RESP ? 1 : base == BASE_PLAIN_CONT ? 2 : 3;
	for (i = 0; i < nlines; i++)
		fl_init(&lines[i]);
	fl_add(&lines[0], "AUTH");
	fl_add(&lines[0], idtxt);
	fl_add(&lines[0], base == BASE_LOGIN ? "LOGIN" : "PLAIN");
	fl_add(&lines[0], "service=smtp");
	fl_add(&lines[0], "nologin");
	fl_add(&lines[0], "lip=127.0.0.1");
	fl_add(&lines[0], "rip=127.0.0.1");
	if (fuzz_rng_below(r, 5) == 0)
		fl_add(&lines[0], "secured");
	/* PLAIN: NUL authcid NUL password */
	xbuf_reset(&cred);
	if (base == BASE_LOGIN) {
		bput(&cred, user.data ? user.data : "", user.len);
	} else {
		bputc(&cred, '\0');
		bput(&cred, user.data ? user.data : "", user.len);
		bputc(&cred, '\0');
		bput(&cred, pass.data ? pass.data : "", pass.len);
	}
	if (base == BASE_PLAIN_RESP) {
		cred_line = 0;
		fl_add(&lines[0], "");
		cred_field = lines[0].n - 1;
		b64_field(&lines[0].f[cred_field], "resp=", cred.data ? cred.data : "", cred.len);
	} else {
		cred_line = 1;
		cred_field = 2;
		for (i = 1; i < nlines; i++) {
			fl_add(&lines[i], "CONT");
			fl_add(&lines[i], idtxt);
			fl_add(&lines[i], "");
		}
		b64_field(&lines[1].f[2], "", cred.data ? cred.data : "", cred.len);
		if (base == BASE_LOGIN)
			b64_field(&lines[2].f[2], "", pass.data ? pass.data : "", pass.len);
	}
	if (bad_b64 && cred_field < lines[cred_line].n) {
		static const char *const bad[] = {
			"====", "YWJj=", "a*b=", "YWJj\001", "Y W J j", "=YWJj", "YWJjZA===",
		};
		struct xbuf *f = &lines[cred_line].f[cred_field];

		xbuf_reset(f);
		if (cred_line == 0)
			bputs(f, "resp=");
		bputs(f, bad[(unsigned)(bad_b64 - 1) % N_ELEMENTS(bad)]);
	}
	if (empty_resp && cred_field < lines[cred_line].n) {
		struct xbuf *f = &lines[cred_line].f[cred_field];

		xbuf_reset(f);
		if (cred_line == 0)
			bputs(f, empty_resp == 1 ? "resp=" : "resp==");
	}

	/* wire mutations on one of the lines */
	for (i = 0; i < nmut; i++) {
		unsigned li = fuzz_rng_below(r, nlines);
		struct flist *l = &lines[li];
		unsigned fi = l->n ? fuzz_rng_below(r, l->n) : 0;
		size_t n;

		switch (mut[i]) {
		case AM_FIELD_LEN: {
			const char *eq;

			if (l->n == 0)
				break;
			n = pick_len(r);
			eq = l->f[fi].len ? memchr(l->f[fi].data, '=', l->f[fi].len) : NULL;
			if (eq != NULL) {
				xbuf_truncate(&l->f[fi], (size_t)(eq - l->f[fi].data) + 1);
				filler(&l->f[fi], r, n);
			} else {
				set_filler(&l->f[fi], r, n);
			}
			what_add(c, "line %u field %u len %zu", li + 1, fi + 1, n);
			break;
		}
		case AM_FIELD_ODD: {
			unsigned char b = pick_odd(r);

			if (l->n == 0)
				break;
			insert_random(&l->f[fi], r, &b, 1);
			what_add(c, "line %u field %u byte %s", li + 1, fi + 1,
				 odd_name(b, ob, sizeof(ob)));
			break;
		}
		case AM_ESCAPE: {
			static const char *const esc[] = {
				"\001t", "\0011", "\001n", "\001", "\001x", "\001\001", "\t\t",
			};
			const char *e = esc[fuzz_rng_below(r, N_ELEMENTS(esc))];

			fi = l->n > 3 ? 3 + fuzz_rng_below(r, l->n - 3) : fi;
			if (l->n == 0)
				break;
			insert_random(&l->f[fi], r, e, strlen(e));
			what_add(c, "line %u field %u escape", li + 1, fi + 1);
			break;
		}
		case AM_MECH: {
			static const char *const mechs[] = {
				"X-FUZZ", "plain", "", "PLAIN\001", "CRAM-MD5", "ANONYMOUS", "EXTERNAL",
				"SCRAM-SHA-1", "login", "GSSAPI", "PLAIN PLAIN",
			};
			unsigned k = fuzz_rng_below(r, N_ELEMENTS(mechs) + 1);

			if (lines[0].n < 3)
				break;
			if (k == N_ELEMENTS(mechs)) {
				n = pick_len(r);
				set_filler(&lines[0].f[2], r, n);
				what_add(c, "mechanism len %zu", n);
			} else {
				fl_set(&lines[0], 2, mechs[k], strlen(mechs[k]));
				what_add(c, "mechanism \"%s\"", k == 3 ? "PLAIN\\001" : mechs[k]);
			}
			break;
		}
		case AM_ID: {
			static const char *const ids[] = {
				"0", "4294967295", "4294967296", "-1", "1a", "", "01", " 1",
			};
			unsigned k = fuzz_rng_below(r, N_ELEMENTS(ids) + 2), j;
			char dup[16];

			if (k == N_ELEMENTS(ids)) {
				snprintf(dup, sizeof(dup), "%u", st->last_id ? st->last_id : id);
				for (j = 0; j < nlines; j++)
					fl_set(&lines[j], 1, dup, strlen(dup));
				what_add(c, "duplicate id %s", dup);
			} else if (k == N_ELEMENTS(ids) + 1) {
				struct xbuf *f = &l->f[l->n > 1 ? 1 : 0];

				n = pick_len(r);
				xbuf_reset(f);
				while (f->len < n && xbuf_append_char(f, (char)('1' + f->len % 9)) == 0)
					;
				what_add(c, "line %u id of %zu digits", li + 1, n);
			} else {
				fl_set(l, 1, ids[k], strlen(ids[k]));
				what_add(c, "line %u id \"%s\"", li + 1, ids[k]);
			}
			break;
		}
		case AM_DROP:
			if (l->n == 0)
				break;
			fl_remove(l, fi);
			what_add(c, "line %u field %u dropped", li + 1, fi + 1);
			break;
		case AM_EXTRA: {
			static const char *const extra[] = {
				"foo=bar", "resp=", "service=imap", "secured", "x", "=", "valid-client-cert",
				"nologin", "cert_username=", "session=abc", "lip=::1", "rip=",
			};
			unsigned k = fuzz_rng_below(r, N_ELEMENTS(extra) + 1);
			unsigned at = l->n > 3 ? 3 + fuzz_rng_below(r, l->n - 2) : l->n;

			if (k == N_ELEMENTS(extra)) {
				struct xbuf *f = fl_insert(l, at, NULL, 0);
				unsigned j, many = 250 + fuzz_rng_below(r, 20);

				for (j = 0; f != NULL && j < many; j++)
					if (xbuf_printf(f, "%sp%u=%u", j ? "\t" : "", j, j) < 0)
						break;
				what_add(c, "line %u %u extra parameters", li + 1, many);
			} else {
				(void)fl_insert(l, at, extra[k], strlen(extra[k]));
				what_add(c, "line %u extra \"%s\"", li + 1, extra[k]);
			}
			break;
		}
		case AM_CR:
			if (fuzz_rng_below(r, 4) != 0 || l->n == 0) {
				crlf[li] = 1;
				what_add(c, "line %u CR LF", li + 1);
			} else {
				insert_random(&l->f[fi], r, "\r", 1);
				what_add(c, "line %u field %u CR", li + 1, fi + 1);
			}
			break;
		case AM_NUL:
			if (l->n == 0)
				break;
			insert_random(&l->f[fi], r, "", 1);
			what_add(c, "line %u field %u NUL", li + 1, fi + 1);
			break;
		case AM_VERB: {
			static const char *const verbs[] = {
				"auth", "CANCEL", "CPID", "VERSION", "XFUZZ", "", "AUTHX", "CONT", "OK",
			};
			unsigned k = fuzz_rng_below(r, N_ELEMENTS(verbs));

			fl_set(l, 0, verbs[k], strlen(verbs[k]));
			what_add(c, "line %u verb \"%s\"", li + 1, verbs[k]);
			break;
		}
		default:
			break;
		}
	}
	for (i = 0; i < nlines; i++)
		step_add(c, &lines[i], crlf[i], FUZZ_DUE_NONE);
	for (i = 0; i < nlines; i++)
		fl_free(&lines[i]);
	st->last_id = id;
out:
	xbuf_free(&user);
	xbuf_free(&pass);
	xbuf_free_wipe(&cred);
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

void fuzz_gen_policy(struct fuzz_rng *r, struct fuzz_case *c)
{
	static const enum pf_pol_state states[] = {
		PF_POL_CONNECT, PF_POL_EHLO, PF_POL_HELO, PF_POL_MAIL, PF_POL_DATA, PF_POL_EOM,
		PF_POL_VRFY, PF_POL_ETRN,
	};
	struct pf_version v;
	struct pf_pol_req req;
	struct plist l;
	struct fuzz_step *s;
	unsigned i, nmut, k;
	enum pf_pol_state st;
	char ob[8];

	fuzz_case_reset(c);
	(void)pf_version_parse("3.7", &v);
	st = fuzz_rng_below(r, 5) < 3 ? PF_POL_RCPT : states[fuzz_rng_below(r, N_ELEMENTS(states))];
	pf_pol_req_init(&req, &v, st);
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
	for (i = 0; i < nmut && l.n > 0; i++) {
		unsigned at = pl_pick(r, &l);
		const char *an = xbuf_cstr(&l.name[at]);
		char name[40];
		size_t n;

		snprintf(name, sizeof(name), "%s", an[0] ? an : "(empty)");
		switch (fuzz_rng_below(r, PM_N)) {
		case PM_VAL_LEN:
			n = pick_len(r);
			set_filler(&l.value[at], r, n);
			what_add(c, "%s len %zu", name, n);
			break;
		case PM_VAL_ODD: {
			unsigned char b = pick_odd(r);

			insert_random(&l.value[at], r, &b, 1);
			what_add(c, "%s byte %s", name, odd_name(b, ob, sizeof(ob)));
			break;
		}
		case PM_VAL_EMPTY:
			xbuf_reset(&l.value[at]);
			what_add(c, "%s empty", name);
			break;
		case PM_DROP:
			pl_remove(&l, at);
			what_add(c, "%s missing", name);
			break;
		case PM_EXTRA: {
			static const char *const extra[][2] = {
				{ "x_fuzz", "1" }, { "action", "DUNNO" }, { "request", "smtpd_access_policy" },
				{ "ccert_subject", "" }, { "policy_context", "\001" },
			};

			if (fuzz_rng_below(r, 6) == 0) {
				/* more than Postfix's 1024-attribute table, as one blob */
				struct xbuf blob;
				unsigned j, many = 1000 + fuzz_rng_below(r, 100);

				xbuf_init(&blob, FUZZ_MAX_STEP);
				for (j = 0; j < many; j++)
					if (xbuf_printf(&blob, "%sa%u=%u", j ? "\n" : "", j, j) < 0)
						break;
				k = fuzz_rng_below(r, l.n + 1);
				pl_insert(&l, k, "", NULL, 0);
				if (k < l.n && blob.len &&
				    xbuf_append(&l.name[k], blob.data, blob.len) == 0)
					l.noeq[k] = 1;
				xbuf_free(&blob);
				what_add(c, "%u extra attributes", many);
			} else {
				k = fuzz_rng_below(r, N_ELEMENTS(extra));
				pl_insert(&l, fuzz_rng_below(r, l.n + 1), extra[k][0], extra[k][1],
					  strlen(extra[k][1]));
				what_add(c, "extra %s", extra[k][0]);
			}
			break;
		}
		case PM_DUP: {
			struct xbuf val;

			xbuf_init(&val, FL_FIELD_MAX);
			filler(&val, r, 1 + fuzz_rng_below(r, 20));
			pl_insert(&l, at + 1, an, val.data, val.len);
			xbuf_free(&val);
			what_add(c, "%s twice", name);
			break;
		}
		case PM_NOEQ:
			l.noeq[at] = 1;
			what_add(c, "%s without \"=\"", name);
			break;
		case PM_EMPTY_NAME:
			xbuf_reset(&l.name[at]);
			what_add(c, "%s: empty name", name);
			break;
		case PM_NAME_LEN:
			n = pick_len(r);
			set_filler(&l.name[at], r, n);
			what_add(c, "%s: name len %zu", name, n);
			break;
		case PM_NAME_ODD: {
			unsigned char b = pick_odd(r);

			insert_random(&l.name[at], r, &b, 1);
			what_add(c, "%s: name byte %s", name, odd_name(b, ob, sizeof(ob)));
			break;
		}
		case PM_CR:
			l.cr[at] = 1;
			what_add(c, "%s CR LF", name);
			break;
		case PM_NUL:
			insert_random(&l.value[at], r, "", 1);
			what_add(c, "%s NUL", name);
			break;
		case PM_STATE: {
			static const char *const odd[][2] = {
				{ "protocol_state", "" }, { "protocol_state", "rcpt" },
				{ "protocol_state", "XFUZZ" }, { "request", "smtpd_access_policy2" },
				{ "request", "" }, { "protocol_name", "LMTP" },
			};
			int at2;

			k = fuzz_rng_below(r, N_ELEMENTS(odd));
			at2 = pl_find(&l, odd[k][0]);
			if (at2 >= 0) {
				xbuf_reset(&l.value[at2]);
				bputs(&l.value[at2], odd[k][1]);
			}
			what_add(c, "%s=\"%s\"", odd[k][0], odd[k][1]);
			break;
		}
		}
	}
	s = &c->step[0];
	c->nsteps = 1;
	s->off = c->buf.len;
	for (i = 0; i < l.n; i++) {
		if (l.noeq[i] && !l.cr[i] && l.name[i].len == 0 && l.value[i].len == 0)
			continue;	/* an empty line would end the request early */
		if (l.name[i].len)
			bput(&c->buf, l.name[i].data, l.name[i].len);
		if (!l.noeq[i])
			bputc(&c->buf, '=');
		if (l.value[i].len)
			bput(&c->buf, l.value[i].data, l.value[i].len);
		if (l.cr[i])
			bputc(&c->buf, '\r');
		bputc(&c->buf, '\n');
	}
	bputc(&c->buf, '\n');
	s->len = c->buf.len - s->off;
	s->due = FUZZ_DUE_POLICY;
	s->id = 0;
	while (l.n > 0)
		pl_remove(&l, l.n - 1);
}

/* --- transcript text ------------------------------------------------------ */

int fuzz_escape_text(struct xbuf *out, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = s[i];
		int rc;

		switch (ch) {
		case '\t': rc = xbuf_append_str(out, "\\t"); break;
		case '\r': rc = xbuf_append_str(out, "\\r"); break;
		case '\n': rc = xbuf_append_str(out, "\\n"); break;
		case '\\': case '{': case '}': case '$': case '*':
			rc = xbuf_append_char(out, '\\');
			if (rc == 0)
				rc = xbuf_append_char(out, (char)ch);
			break;
		case ' ':
			/* a blank at either end of a line is easy to lose */
			rc = (i == 0 || i + 1 == len) ? xbuf_append_str(out, "\\s") :
			     xbuf_append_char(out, ' ');
			break;
		default:
			if (ch < 0x20 || ch >= 0x7f)
				rc = xbuf_printf(out, "\\x%02x", ch);
			else
				rc = xbuf_append_char(out, (char)ch);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

#define FUZZ_TR_CHUNK	8192	/* bytes of one line per C-: statement */
#define FUZZ_TR_MAX	(4 * 1024 * 1024)	/* statements kept for one case */

/* write_bytes - C: statements that send exactly p..len (whole lines) */
static int write_bytes(struct xbuf *out, const char *p, size_t len)
{
	while (len > 0) {
		const char *lf = memchr(p, '\n', len);
		size_t n = lf ? (size_t)(lf - p) : len;
		size_t done = 0;

		while (n - done > FUZZ_TR_CHUNK) {
			if (xbuf_append_str(out, "C-: ") < 0 ||
			    fuzz_escape_text(out, p + done, FUZZ_TR_CHUNK) < 0 ||
			    xbuf_append_char(out, '\n') < 0)
				return -1;
			done += FUZZ_TR_CHUNK;
		}
		if (xbuf_append_str(out, lf ? "C:" : "C-:") < 0 ||
		    (n > done && (xbuf_append_char(out, ' ') < 0 ||
				  fuzz_escape_text(out, p + done, n - done) < 0)) ||
		    xbuf_append_char(out, '\n') < 0)
			return -1;
		if (lf == NULL)
			break;
		p += n + 1;
		len -= n + 1;
	}
	return 0;
}

int fuzz_write_steps(struct xbuf *out, const struct fuzz_case *c)
{
	unsigned i;

	for (i = 0; i < c->nsteps; i++)
		if (write_bytes(out, c->buf.data + c->step[i].off, c->step[i].len) < 0)
			return -1;
	return 0;
}

const char *fuzz_kind_name(enum fuzz_kind k)
{
	switch (k) {
	case FUZZ_CRASH: return "crash";
	case FUZZ_EXIT: return "exit";
	case FUZZ_DOWN: return "down";
	case FUZZ_HANG: return "hang";
	case FUZZ_BAD_REPLY: return "bad-reply";
	case FUZZ_NKINDS: break;
	}
	return "?";
}

/* --- the engine ------------------------------------------------------------ */

enum ending {
	END_OK,			/* every reply due arrived */
	END_CLOSED,		/* EOF, reset or a failed write */
	END_HANG,
	END_BAD,
};

struct unit {
	struct fuzz_case c;
	struct xbuf tr;		/* the statements for this case, as run */
};

struct eng {
	const struct fuzz_options *o;
	struct pf_version v;
	struct tconn c;
	int open;
	struct fuzz_rng rng;
	struct fuzz_auth_state ast;
	struct unit *u;		/* this connection's history */
	size_t nu, capu, bytes;
	struct fuzz_case gen;
	struct fuzz_result *res;
	unsigned serial;
	uint64_t exec_at_open;
	char why[400];
	int cut_reply;
	int end_written;	/* the reader wrote the statement that fails on replay */
	/* finding signatures already minimized */
	int sig_seen[FUZZ_NKINDS][160];
};

static volatile sig_atomic_t fuzz_stop;

/* fuzz_request_stop - end fuzz_run() after the current exec (signal-safe) */
void fuzz_request_stop(void)
{
	fuzz_stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* observed - one received line: a comment with its text, and "S: *" */
static void observed(struct xbuf *tr, const char *line, size_t len, int match_any)
{
	if (tr == NULL)
		return;
	if (xbuf_append_str(tr, "# S: ") < 0 ||
	    fuzz_escape_text(tr, line, len > 2000 ? 2000 : len) < 0 ||
	    xbuf_append_str(tr, len > 2000 ? " ...\n" : "\n") < 0)
		return;
	if (match_any)
		bputs(tr, "S: *\n");
}

static void set_why(struct eng *e, const char *fmt, ...) ATTR_PRINTF(2, 3);

static void set_why(struct eng *e, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	(void)vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	for (i = 0; e->why[i]; i++)
		if ((unsigned char)e->why[i] < 0x20 || (unsigned char)e->why[i] >= 0x7f)
			e->why[i] = '?';
}

/* read_handshake - Postfix's reading up to DONE */
static enum ending read_handshake(struct eng *e, struct xbuf *tr)
{
	struct pf_auth_handshake h;
	enum ending end = END_OK;
	unsigned n = 0;

	pf_auth_handshake_init(&h, &e->v);
	for (;;) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 0) {
			set_why(e, "no handshake (up to DONE) within %d ms", e->o->timeout_ms);
			end = END_HANG;
			break;
		}
		if (rc == -2) {
			set_why(e, "handshake line longer than %d bytes", TCONN_MAX_LINE);
			end = END_BAD;
			break;
		}
		if (rc < 0) {
			end = END_CLOSED;
			break;
		}
		observed(tr, line, len, 0);
		n++;
		rc = pf_auth_handshake_line(&h, line, len);
		if (rc == -1 || rc == -2) {
			set_why(e, "Postfix %s the handshake: %s", rc == -1 ? "refuses" : "crashes on",
				h.why);
			end = END_BAD;
			break;
		}
		if (rc == 1)
			break;
	}
	if (tr == NULL)
		return end;
	if (end == END_CLOSED) {
		/* the lines that came before the end, then the finding's own statement */
		while (n-- > 0)
			bputs(tr, "S: *\n");
	} else {
		/* replay reads and judges the handshake as Postfix does; it fails there too */
		bputs(tr, "handshake nosend\n");
		e->end_written = end != END_OK;
	}
	return end;
}

/* read_auth - replies until Postfix's verdict for id; *more: it was CONT */
static enum ending read_auth(struct eng *e, unsigned id, struct xbuf *tr, int *more)
{
	*more = 0;
	for (;;) {
		struct pf_auth_verdict v;
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 0) {
			set_why(e, "no reply to request %u within %d ms", id, e->o->timeout_ms);
			return END_HANG;
		}
		if (rc == -2) {
			set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			if (tr) {
				bputs(tr, "S: *\n");
				e->end_written = 1;
			}
			return END_BAD;
		}
		if (rc < 0)
			return END_CLOSED;
		observed(tr, line, len, 1);
		pf_auth_judge(&e->v, id, line, len, &v);
		if (v.outcome == PF_AUTH_SKIP)
			continue;
		*more = v.outcome == PF_AUTH_MORE;
		return END_OK;
	}
}

/* read_policy - one reply as Postfix's attr_clnt reads it */
static enum ending read_policy(struct eng *e, struct xbuf *tr)
{
	struct xbuf got, shown;
	struct pf_pol_read rd;
	enum ending end = END_OK;
	int decided = 0;

	xbuf_init(&got, 4 * TCONN_MAX_LINE);
	xbuf_init(&shown, 8 * TCONN_MAX_LINE);
	while (!decided) {
		const char *line;
		size_t len;
		int rc = tconn_read_line(&e->c, e->o->timeout_ms, &line, &len);

		if (rc == 1) {
			observed(&shown, line, len, 1);
			if (xbuf_append(&got, line, len) < 0 || xbuf_append_char(&got, '\n') < 0) {
				set_why(e, "policy reply longer than %d bytes", 4 * TCONN_MAX_LINE);
				end = END_BAD;
				break;
			}
			if (pf_pol_read_reply(got.data, got.len, PF_POL_END_NONE, 0, &rd) == 1)
				decided = 1;
			continue;
		}
		if (rc == -2) {
			set_why(e, "reply line longer than %d bytes", TCONN_MAX_LINE);
			end = END_BAD;
			break;
		}
		if (got.len == 0) {
			if (rc == 0) {
				set_why(e, "no reply within %d ms", e->o->timeout_ms);
				end = END_HANG;
			} else {
				end = END_CLOSED;
			}
			break;
		}
		(void)pf_pol_read_reply(got.data, got.len, rc == 0 ? PF_POL_END_TIMEOUT :
					PF_POL_END_EOF, 0, &rd);
		decided = 1;
		if (rc < 0)
			end = END_CLOSED;	/* a crash cut it? the caller looks */
	}
	if (decided && !rd.ok) {
		set_why(e, "Postfix counts this reply as a failed try: %s", rd.why);
		if (end == END_CLOSED)
			e->cut_reply = 1;	/* a bad reply unless the helper crashed */
		else
			end = END_BAD;
	} else if (decided && linebuf_pending(&e->c.lb) > 0) {
		set_why(e, "bytes after the reply: Postfix finds the stream readable before its "
			"next request, a failed try");
		end = END_BAD;
	}
	if (tr != NULL) {
		size_t i;

		if (end == END_BAD && decided) {
			/* comments with what came, then what Postfix needs */
			for (i = 0; i < shown.len;) {
				const char *nl = memchr(shown.data + i, '\n', shown.len - i);
				size_t n = nl ? (size_t)(nl - (shown.data + i)) + 1 : shown.len - i;

				if (n >= 5 && memcmp(shown.data + i, "# S: ", 5) == 0)
					bput(tr, shown.data + i, n);
				i += n;
			}
			e->end_written = 1;
			if (!rd.ok)
				bputs(tr, "S: action=*\nS:\n");
			else
				bputs(tr, "S: action=*\nS:\nexpect silence 200ms\n");
		} else if (shown.len) {
			bput(tr, shown.data, shown.len);
		}
	}
	xbuf_free(&got);
	xbuf_free(&shown);
	return end;
}

/* run_case - send a case step by step, read what is due */
static enum ending run_case(struct eng *e, const struct fuzz_case *fc, struct xbuf *tr)
{
	unsigned i;

	e->end_written = 0;
	for (i = 0; i < fc->nsteps; i++) {
		const struct fuzz_step *s = &fc->step[i];
		enum ending end = END_OK;
		int more = 0;

		if (tr != NULL && write_bytes(tr, fc->buf.data + s->off, s->len) < 0)
			tr = NULL;
		e->bytes += s->len;
		if (tconn_write(&e->c, fc->buf.data + s->off, s->len, e->o->timeout_ms) < 0)
			return END_CLOSED;
		switch (s->due) {
		case FUZZ_DUE_NONE:
			continue;
		case FUZZ_DUE_HANDSHAKE:
			end = read_handshake(e, tr);
			break;
		case FUZZ_DUE_AUTH:
			end = read_auth(e, s->id, tr, &more);
			if (end == END_OK && !more)
				return END_OK;	/* OK or FAIL: the rest is not sent */
			break;
		case FUZZ_DUE_POLICY:
			end = read_policy(e, tr);
			break;
		}
		if (end != END_OK)
			return end;
	}
	return END_OK;
}

static int conn_open(struct eng *e, char *err, size_t errlen)
{
	struct tconn_options to;

	memset(&to, 0, sizeof(to));
	to.stderr_apart = e->o->stderr_apart;
	to.connect_timeout_ms = e->o->timeout_ms;
	if (tconn_open(e->o->target, &to, &e->c, err, errlen) < 0)
		return -1;
	e->open = 1;
	e->res->connections++;
	return 0;
}

static void conn_close(struct eng *e)
{
	if (!e->open)
		return;
	tconn_close(&e->c);
	xbuf_free(&e->c.err);
	e->open = 0;
}

static void hist_clear(struct eng *e)
{
	size_t i;

	for (i = 0; i < e->nu; i++) {
		fuzz_case_free(&e->u[i].c);
		xbuf_free(&e->u[i].tr);
	}
	e->nu = 0;
	e->bytes = 0;
}

static struct unit *hist_add(struct eng *e, const struct fuzz_case *c)
{
	struct unit *u;

	if (e->nu == e->capu) {
		e->capu = e->capu ? 2 * e->capu : 64;
		e->u = xrealloc(e->u, e->capu * sizeof(*e->u));
	}
	u = &e->u[e->nu++];
	fuzz_case_init(&u->c);
	u->c.nsteps = c->nsteps;
	memcpy(u->c.step, c->step, sizeof(c->step));
	memcpy(u->c.what, c->what, sizeof(c->what));
	if (c->buf.len && xbuf_append(&u->c.buf, c->buf.data, c->buf.len) < 0)
		u->c.nsteps = 0;
	xbuf_init(&u->tr, FUZZ_TR_MAX);
	return u;
}

/* ended - after EOF: did a spawned helper die, and how */
static int ended(struct eng *e, enum fuzz_kind *kind, int *status, char *detail, size_t size)
{
	if (e->c.pid > 0) {
		if (tconn_wait_exit(&e->c, 2000) != 1)
			return 0;
		*status = e->c.exit_status;
		snprintf(detail, size, "%s", tconn_exit_text(&e->c));
		if (WIFSIGNALED(e->c.exit_status) && !e->c.killed) {
			*kind = FUZZ_CRASH;
			return 1;
		}
		if (WIFEXITED(e->c.exit_status) && WEXITSTATUS(e->c.exit_status) != 0) {
			*kind = FUZZ_EXIT;
			return 1;
		}
		return 0;
	}
	return 0;
}

/* begin - a connection is open: a new history; auth starts with the handshake */
static enum ending begin(struct eng *e)
{
	struct unit *u;

	hist_clear(e);
	e->cut_reply = 0;
	if (e->o->proto != FUZZ_PROTO_AUTH)
		return END_OK;
	e->ast.next_id = 1;
	e->ast.last_id = 0;
	fuzz_gen_handshake(&e->rng, (unsigned)getpid(), fuzz_rng_below(&e->rng, 10) == 0, &e->gen);
	u = hist_add(e, &e->gen);
	return run_case(e, &u->c, &u->tr);
}

/* rerun - the kept units on a new connection: did the same ending follow? */
static int rerun(struct eng *e, const unsigned char *keep, enum fuzz_kind kind, int status)
{
	char err[600], detail[160];
	enum fuzz_kind k2;
	int st2 = 0, same = 0;
	size_t i;

	e->cut_reply = 0;
	if (conn_open(e, err, sizeof(err)) < 0)
		return 0;
	for (i = 0; i < e->nu; i++) {
		enum ending end;

		if (!keep[i])
			continue;
		xbuf_reset(&e->u[i].tr);
		end = run_case(e, &e->u[i].c, &e->u[i].tr);
		if (end == END_CLOSED) {
			same = ended(e, &k2, &st2, detail, sizeof(detail)) && k2 == kind &&
			       st2 == status;
			break;
		}
		if (end != END_OK)
			break;
	}
	/* a last line that wanted no reply: the helper may die a moment later */
	if (i == e->nu && e->c.pid > 0 && tconn_wait_exit(&e->c, 300) == 1)
		same = ended(e, &k2, &st2, detail, sizeof(detail)) && k2 == kind && st2 == status;
	conn_close(e);
	return same;
}

/* minimize - drop units one at a time while the ending stays the same */
static unsigned minimize(struct eng *e, unsigned char *keep, enum fuzz_kind kind, int status,
			 unsigned *runs_r)
{
	uint64_t until = now_ms() + FUZZ_MINIMIZE_MS;
	unsigned runs = 0, kept = 0;
	size_t i;

	for (i = 0; i < e->nu; i++)
		keep[i] = 1;
	if (!rerun(e, keep, kind, status)) {
		*runs_r = 1;
		return 0;		/* not reproducible on its own: left whole */
	}
	runs = 1;
	/* most often the last request alone does it (after the handshake for auth) */
	if (e->nu > 2) {
		for (i = 0; i < e->nu; i++)
			keep[i] = i + 1 == e->nu ||
				  (i == 0 && e->u[0].c.step[0].due == FUZZ_DUE_HANDSHAKE);
		runs++;
		if (!rerun(e, keep, kind, status))
			for (i = 0; i < e->nu; i++)
				keep[i] = 1;
	}
	for (i = 0; i < e->nu && now_ms() < until && !fuzz_stop; i++) {
		if (!keep[i])
			continue;
		keep[i] = 0;
		runs++;
		if (!rerun(e, keep, kind, status))
			keep[i] = 1;
	}
	/* the statements of the kept units as they ran last time */
	runs++;
	if (!rerun(e, keep, kind, status))
		for (i = 0; i < e->nu; i++)
			keep[i] = 1;	/* flaky: say so below, keep the last run */
	for (i = 0; i < e->nu; i++)
		kept += keep[i];
	*runs_r = runs;
	return kept;
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");
	int rc = 0;

	if (fp == NULL)
		return -1;
	if (len && fwrite(data, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* finding - count it, minimize it, write its transcript */
static void finding(struct eng *e, enum fuzz_kind kind, int status, const char *detail)
{
	const struct fuzz_options *o = e->o;
	unsigned char *keep = xcalloc(e->nu ? e->nu : 1, 1);
	unsigned kept = (unsigned)e->nu, runs = 0, sig = 0;
	struct xbuf tr;
	char path[4200], why[400];
	const char *last = e->nu ? e->u[e->nu - 1].c.what : "";
	int end_written;
	size_t i;

	snprintf(why, sizeof(why), "%s", e->why);
	end_written = e->end_written;
	e->res->findings[kind]++;
	e->serial++;
	for (i = 0; i < e->nu; i++)
		keep[i] = 1;
	if (kind == FUZZ_CRASH)
		sig = WIFSIGNALED(status) ? (unsigned)WTERMSIG(status) % 160 : 0;
	else if (kind == FUZZ_EXIT)
		sig = WIFEXITED(status) ? (unsigned)WEXITSTATUS(status) % 160 : 0;
	conn_close(e);
	if (o->out == NULL || e->res->written >= FUZZ_MAX_WRITTEN) {
		printf("finding %u: %s: %s (exec %llu: %s)\n", e->serial, fuzz_kind_name(kind),
		       detail, (unsigned long long)e->res->execs, last);
		free(keep);
		return;
	}
	if (o->minimize && o->target->kind == TARGET_SPAWN &&
	    (kind == FUZZ_CRASH || kind == FUZZ_EXIT) && !e->sig_seen[kind][sig]) {
		e->sig_seen[kind][sig] = 1;
		kept = minimize(e, keep, kind, status, &runs);
		if (kept == 0)
			for (i = 0; i < e->nu; i++)
				keep[i] = 1;
	}
	xbuf_init(&tr, TRANSCRIPT_MAX_FILE * 8);
	bprintf(&tr, "# fake-smtpd fuzz finding %u: %s: %s\n", e->serial,
			  fuzz_kind_name(kind), detail);
	bprintf(&tr, "# target %s, seed %llu, exec %llu; last request: %s\n",
			  o->target_text ? o->target_text : o->target->text,
			  (unsigned long long)o->seed, (unsigned long long)e->res->execs, last);
	if (runs > 0 && kept > 0)
		bprintf(&tr, "# minimized: %u of %zu requests kept (%u runs)\n", kept,
				  e->nu, runs);
	else if (runs > 0)
		bprintf(&tr, "# did not happen again on a fresh connection: every "
				  "request since the connection was opened is here\n");
	bprintf(&tr, "# replay: fake-smtpd replay --fast%s TARGET FILE\n",
		o->stderr_apart ? " --stderr-apart" : "");
	bprintf(&tr, "protocol %s\n", o->proto == FUZZ_PROTO_AUTH ? "auth" : "policy");
	for (i = 0; i < e->nu; i++)
		if (keep[i] && e->u[i].tr.len)
			bput(&tr, e->u[i].tr.data, e->u[i].tr.len);
	switch (kind) {
	case FUZZ_CRASH:
		bprintf(&tr, "# the helper crashed here: %s\nexpect close\n", detail);
		break;
	case FUZZ_EXIT:
		bprintf(&tr, "# the helper ended here (%s) where Postfix waits for a "
				  "reply\nS: *\n", detail);
		break;
	case FUZZ_DOWN:
		bprintf(&tr, "# the connection ended and the next one was refused: %s\n"
				  "expect close\n", detail);
		break;
	case FUZZ_HANG:
		bprintf(&tr, "# %s\n%s", why, end_written ? "" : "S: *\n");
		break;
	case FUZZ_BAD_REPLY:
		bprintf(&tr, "# %s\n", why);
		break;
	case FUZZ_NKINDS:
		break;
	}
	snprintf(path, sizeof(path), "%s/finding-%03u-%s.tr", o->out, e->serial,
		 fuzz_kind_name(kind));
	if (tr.len > TRANSCRIPT_MAX_FILE)
		bprintf(&tr, "# larger than replay reads (%d bytes)\n",
				  TRANSCRIPT_MAX_FILE);
	if (write_file(path, tr.data, tr.len) < 0) {
		fprintf(stderr, "fake-smtpd fuzz: %s: %s\n", path, strerror(errno));
		path[0] = '\0';
	} else {
		e->res->written++;
	}
	printf("finding %u: %s: %s (exec %llu: %s)%s%s\n", e->serial, fuzz_kind_name(kind), detail,
	       (unsigned long long)e->res->execs, last, path[0] ? " -> " : "", path);
	fflush(stdout);
	xbuf_free(&tr);
	free(keep);
}

static void status_line(const struct eng *e, uint64_t t0)
{
	double el = (double)(now_ms() - t0) / 1000.0;
	uint64_t nf = 0;
	unsigned k;

	for (k = 0; k < FUZZ_NKINDS; k++)
		nf += e->res->findings[k];
	fprintf(stderr, "\r%llu execs  %.0f exec/s  %llu connections  %llu findings   ",
		(unsigned long long)e->res->execs, el > 0 ? (double)e->res->execs / el : 0.0,
		(unsigned long long)e->res->connections, (unsigned long long)nf);
}

/* after - what the ending of a case means */
static void after(struct eng *e, enum ending end)
{
	enum fuzz_kind kind;
	char detail[400];
	int status = 0;

	switch (end) {
	case END_OK:
		if (e->nu >= e->o->reconnect_every || e->bytes > 256 * 1024)
			conn_close(e);
		return;
	case END_HANG:
		finding(e, FUZZ_HANG, 0, e->why);
		return;
	case END_BAD:
		finding(e, FUZZ_BAD_REPLY, 0, e->why);
		return;
	case END_CLOSED:
		break;
	}
	if (ended(e, &kind, &status, detail, sizeof(detail))) {
		finding(e, kind, status, detail);
		return;
	}
	if (e->cut_reply) {
		finding(e, FUZZ_BAD_REPLY, 0, e->why);
		return;
	}
	conn_close(e);	/* the history stays until the next connection begins */
}

int fuzz_run(const struct fuzz_options *o, struct fuzz_result *res, char *err, size_t errlen)
{
	struct eng *e = xcalloc(1, sizeof(*e));
	uint64_t t0, last_status = 0, stop_at;
	int tty = !o->quiet && isatty(STDERR_FILENO);
	unsigned k;

	memset(res, 0, sizeof(*res));
	e->o = o;
	e->res = res;
	(void)pf_version_parse("3.7", &e->v);
	fuzz_rng_seed(&e->rng, o->seed);
	fuzz_case_init(&e->gen);
	fuzz_stop = 0;
	if (o->out != NULL && mkdir(o->out, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", o->out, strerror(errno));
		fuzz_case_free(&e->gen);
		free(e);
		return -1;
	}
	t0 = now_ms();
	stop_at = o->seconds > 0 ? t0 + (uint64_t)(o->seconds * 1000.0) : 0;
	if (conn_open(e, err, errlen) < 0) {
		fuzz_case_free(&e->gen);
		free(e);
		return -1;
	}
	after(e, begin(e));
	while (!fuzz_stop) {
		struct unit *u;
		uint64_t now, nf = 0;

		for (k = 0; k < FUZZ_NKINDS; k++)
			nf += res->findings[k];
		if (o->max_findings && nf >= o->max_findings)
			break;
		if (o->iterations && res->execs >= o->iterations)
			break;
		if ((res->execs & 15) == 0 || !e->open) {
			now = now_ms();
			if (stop_at && now >= stop_at)
				break;
			if (tty && now - last_status >= 500) {
				status_line(e, t0);
				last_status = now;
			}
		}
		if (!e->open) {
			char err2[300], detail[360];

			if (conn_open(e, err2, sizeof(err2)) < 0) {
				/* the last connection's history is still here */
				snprintf(detail, sizeof(detail), "the next connection failed: %s", err2);
				memcpy(e->why, detail, sizeof(detail));
				finding(e, FUZZ_DOWN, 0, detail);
				break;
			}
			after(e, begin(e));
			continue;
		}
		if (o->proto == FUZZ_PROTO_AUTH)
			fuzz_gen_auth(&e->rng, &e->ast, &e->gen);
		else
			fuzz_gen_policy(&e->rng, &e->gen);
		u = hist_add(e, &e->gen);
		res->execs++;
		after(e, run_case(e, &u->c, &u->tr));
	}
	if (tty) {
		status_line(e, t0);
		fputc('\n', stderr);
	}
	conn_close(e);
	hist_clear(e);
	free(e->u);
	fuzz_case_free(&e->gen);
	res->elapsed = (double)(now_ms() - t0) / 1000.0;
	free(e);
	return 0;
}
