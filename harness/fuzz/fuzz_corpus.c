/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_corpus - the inputs that gave a new behaviour, kept and reused
 * SYNOPSIS
 *	#include "harness/fuzz/fuzz_corpus.h"
 * DESCRIPTION
 *	See fuzz_corpus.h. The fingerprint set is open addressing over
 *	64-bit values (0 stands for an empty slot; a fingerprint 0 is
 *	stored as 1), grown at half load. fuzz_case_from_bytes() and
 *	fuzz_corpus_mutate() are pure; the rest reads and writes the
 *	directory through fuzz_out.c.
 * DIAGNOSTICS
 *	See fuzz_corpus.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/fuzz/fuzz_corpus.h"
#include "harness/fuzz/fuzz_out.h"
#include "proto/base64.h"
#include "util/xmem.h"

#define FIELD_MAX	32

struct span {
	size_t off, len;
};

/* fuzz_fp_add - FNV-1a over more bytes */
uint64_t fuzz_fp_add(uint64_t fp, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		fp ^= s[i];
		fp *= 0x100000001b3ull;
	}
	return fp;
}

/* --- cases from kept bytes ----------------------------------------------- */

/* renumber - one auth line, its id old replaced by id */
static void renumber(struct xbuf *b, const char *p, size_t len, unsigned old, unsigned id)
{
	unsigned have;

	if (old != 0 && fuzz_step_due(p, len, &have) == FUZZ_DUE_AUTH && have == old) {
		const char *t = memchr(p + 5, '\t', len - 5);
		const char *rest = t != NULL ? t : p + len - 1;

		(void)!xbuf_append(b, p, 5);
		(void)!xbuf_printf(b, "%u", id);
		(void)!xbuf_append(b, rest, (size_t)(p + len - rest));
		return;
	}
	(void)!xbuf_append(b, p, len);
}

/* fuzz_case_from_bytes - kept bytes as a case, the request's id renumbered */
unsigned fuzz_case_from_bytes(const char *p, size_t len, int policy, unsigned id,
			      struct fuzz_case *c)
{
	unsigned old = 0;
	size_t i = 0;

	fuzz_case_reset(c);
	snprintf(c->what, sizeof(c->what), "kept input");
	if (!policy && len > 0) {
		const char *nl = memchr(p, '\n', len);

		(void)fuzz_step_due(p, nl ? (size_t)(nl - p) + 1 : len, &old);
	}
	while (i < len && c->nsteps < FUZZ_MAX_STEPS) {
		const char *s = p + i, *end = policy ? NULL : memchr(s, '\n', len - i);
		struct fuzz_step *st = &c->step[c->nsteps];
		size_t n;

		if (policy) {
			const char *q = s;

			while ((q = memchr(q, '\n', (size_t)(p + len - q))) != NULL &&
			       !(q + 1 < p + len && q[1] == '\n'))
				q++;
			end = q != NULL ? q + 1 : NULL;
		}
		n = end != NULL ? (size_t)(end - s) + 1 : len - i;
		if (n > FUZZ_MAX_STEP)
			break;
		st->off = c->buf.len;
		if (policy)
			(void)!xbuf_append(&c->buf, s, n);
		else
			renumber(&c->buf, s, n, old, id);
		st->len = c->buf.len - st->off;
		st->due = policy ? FUZZ_DUE_POLICY :
			  fuzz_step_due(c->buf.data + st->off, st->len, &st->id);
		if (policy && (st->len < 2 || c->buf.data[st->off + st->len - 1] != '\n'))
			st->due = FUZZ_DUE_NONE;	/* no empty line: nothing is due */
		c->nsteps++;
		i += n;
	}
	return c->nsteps;
}

/* --- mutations ------------------------------------------------------------- */

/* lines - the lines of b (with their LF); n of them */
static size_t lines(const struct xbuf *b, struct span *l, size_t max)
{
	size_t n = 0, i = 0;

	while (i < b->len && n < max) {
		const char *nl = memchr(b->data + i, '\n', b->len - i);
		size_t k = nl ? (size_t)(nl - (b->data + i)) + 1 : b->len - i;

		l[n].off = i;
		l[n++].len = k;
		i += k;
	}
	return n;
}

/* fields - the TAB-separated fields of one line without its LF */
static size_t fields(const char *p, size_t len, struct span *f, size_t max)
{
	size_t n = 0, start = 0, i;

	if (len > 0 && p[len - 1] == '\n')
		len--;
	for (i = 0; i <= len && n < max; i++) {
		if (i < len && p[i] != '\t')
			continue;
		f[n].off = start;
		f[n++].len = i - start;
		start = i + 1;
	}
	return n;
}

/* change - one mutation of a field or value v; 1: drop it, 2: double it */
static int change(struct fuzz_rng *r, struct xbuf *v, size_t keep, const char *other,
		  size_t olen)
{
	unsigned char b;

	switch (fuzz_rng_below(r, 6)) {
	case 0:
		xbuf_truncate(v, keep);
		fuzz_filler(v, r, fuzz_pick_len(r));
		return 0;
	case 1:
		b = fuzz_pick_odd(r);
		fuzz_insert_random(v, r, &b, 1);
		return 0;
	case 2:
		xbuf_truncate(v, keep + (v->len - keep) / 2);
		return 0;
	case 3:
		return 2;
	case 4:
		return 1;
	default:
		if (other != NULL) {
			xbuf_reset(v);
			(void)!xbuf_append(v, other, olen);
		}
		return 0;
	}
}

/* payload - a base64 payload decoded, changed and encoded again; 0 when it is none */
static int payload(struct fuzz_rng *r, struct xbuf *v, size_t keep)
{
	struct xbuf raw;
	const char *why;
	int rc = 0;

	xbuf_init(&raw, FUZZ_MAX_STEP);
	if (v->len > keep &&
	    base64_decode(v->data + keep, v->len - keep, 0, &raw, &why) == 0 && raw.len > 0) {
		if (fuzz_rng_below(r, 2) == 0) {
			unsigned char b = fuzz_pick_odd(r);

			fuzz_insert_random(&raw, r, &b, 1);
		} else {
			struct xbuf run;

			xbuf_init(&run, FUZZ_MAX_STEP);
			fuzz_filler(&run, r, fuzz_pick_len(r));
			fuzz_insert_random(&raw, r, run.data, run.len);
			xbuf_free(&run);
		}
		xbuf_truncate(v, keep);
		rc = base64_encode(raw.data, raw.len, v) == 0;
	}
	xbuf_free(&raw);
	return rc;
}

/* other_field - a field (auth) or value (policy) of other to splice in */
static const char *other_field(struct fuzz_rng *r, const struct xbuf *other, int policy,
			       size_t *len)
{
	struct span l[64], f[FIELD_MAX];
	size_t nl, nf, li;
	const char *p;

	if (other == NULL || other->len == 0 || (nl = lines(other, l, 64)) == 0)
		return NULL;
	li = fuzz_rng_below(r, (unsigned)nl);
	p = other->data + l[li].off;
	if (policy) {
		const char *eq = memchr(p, '=', l[li].len);

		if (eq == NULL)
			return NULL;
		*len = l[li].len - (size_t)(eq + 1 - p) - 1;
		return eq + 1;
	}
	nf = fields(p, l[li].len, f, FIELD_MAX);
	if (nf < 3)
		return NULL;
	li = 2 + fuzz_rng_below(r, (unsigned)(nf - 2));
	*len = f[li].len;
	return p + f[li].off;
}

/* mutate_line - one line of base, changed, appended to out */
static void mutate_line(struct fuzz_rng *r, const char *p, size_t len, const struct xbuf *other,
			int policy, struct xbuf *out)
{
	struct span f[FIELD_MAX];
	size_t nf = 1, fi = 0, keep = 0, i, olen = 0;
	const char *o = other_field(r, other, policy, &olen), *eq;
	struct xbuf v;
	int what = 0;

	xbuf_init(&v, FUZZ_MAX_STEP);
	if (policy) {
		f[0].off = 0;
		f[0].len = len - 1;
		eq = memchr(p, '=', len - 1);
		keep = eq != NULL ? (size_t)(eq - p) + 1 : 0;
	} else {
		nf = fields(p, len, f, FIELD_MAX);
		fi = nf > 2 ? 2 + fuzz_rng_below(r, (unsigned)(nf - 2)) : nf - 1;
		eq = memchr(p + f[fi].off, '=', f[fi].len);
		keep = eq != NULL && f[fi].len > 5 && memcmp(p + f[fi].off, "resp=", 5) == 0 ? 5 :
		       eq != NULL ? (size_t)(eq - (p + f[fi].off)) + 1 : 0;
	}
	(void)!xbuf_append(&v, p + f[fi].off, f[fi].len);
	if (policy || !((keep == 5 || (fi == 2 && f[0].len == 4 && memcmp(p, "CONT", 4) == 0)) &&
			fuzz_rng_below(r, 2) == 0 && payload(r, &v, keep)))
		what = change(r, &v, keep, o, olen);
	if (policy && what == 1) {
		xbuf_free(&v);
		return;		/* the attribute line dropped */
	}
	for (i = 0; i < nf; i++) {
		const char *src = i == fi ? v.data : p + f[i].off;
		size_t n = i == fi ? v.len : f[i].len;

		if (i == fi && what == 1)
			continue;
		if (i > 0 && !(i == 1 && fi == 0 && what == 1))
			(void)!xbuf_append_char(out, '\t');
		if (n > 0)
			(void)!xbuf_append(out, src, n);
		if (i == fi && what == 2) {
			(void)!xbuf_append_char(out, policy ? '\n' : '\t');
			if (n > 0)
				(void)!xbuf_append(out, src, n);
		}
	}
	(void)!xbuf_append_char(out, '\n');
	xbuf_free(&v);
}

/* fuzz_corpus_mutate - base with one protocol-level mutation */
void fuzz_corpus_mutate(struct fuzz_rng *r, const struct xbuf *base, const struct xbuf *other,
			int policy, struct xbuf *out)
{
	struct span l[256];
	size_t nl = lines(base, l, 256), li, i, cand = 0;

	xbuf_reset(out);
	for (i = 0; i < nl; i++)
		cand += l[i].len > 1;
	if (cand == 0) {
		(void)!xbuf_append(out, base->data, base->len);
		return;
	}
	li = fuzz_rng_below(r, (unsigned)cand);
	for (i = 0; i < nl; i++) {
		const char *p = base->data + l[i].off;

		if (l[i].len > 1 && li-- == 0 && p[l[i].len - 1] == '\n')
			mutate_line(r, p, l[i].len, other, policy, out);
		else
			(void)!xbuf_append(out, p, l[i].len);
	}
}

/* --- the directory ------------------------------------------------------------ */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* load_one - a regular file of the directory, not through a link */
static void load_one(struct fuzz_corpus *cp, const char *name)
{
	struct stat sb;
	struct xbuf *b;
	int fd = openat(cp->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (size_t)sb.st_size > FUZZ_CORPUS_FILE_MAX || cp->n >= FUZZ_CORPUS_MAX) {
		close(fd);
		return;
	}
	b = &cp->ent[cp->n];
	xbuf_init(b, FUZZ_CORPUS_FILE_MAX);
	if (xbuf_reserve(b, (size_t)sb.st_size) == 0 &&
	    (n = read(fd, b->data, (size_t)sb.st_size)) == sb.st_size) {
		b->len = (size_t)n;
		b->data[n] = '\0';
		cp->n++;
	} else {
		xbuf_free(b);
	}
	close(fd);
}

/* fuzz_corpus_open - make or open the directory, load what is kept there */
int fuzz_corpus_open(struct fuzz_corpus *cp, const char *dir, char *err, size_t errlen)
{
	char **names = NULL;
	size_t nn = 0, cap = 0, i;
	struct dirent *d;
	DIR *dp;
	int fd;

	memset(cp, 0, sizeof(*cp));
	cp->dirfd = fuzz_dir_open(dir, err, errlen);
	if (cp->dirfd < 0)
		return -1;
	cp->ent = xcalloc(FUZZ_CORPUS_MAX, sizeof(*cp->ent));
	if ((fd = dup(cp->dirfd)) < 0 || (dp = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		fuzz_corpus_close(cp);
		return -1;
	}
	while ((d = readdir(dp)) != NULL && nn < FUZZ_CORPUS_MAX) {
		if (d->d_name[0] == '.')
			continue;
		if (nn == cap) {
			cap = cap ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nn++] = xstrdup(d->d_name);
	}
	closedir(dp);
	if (nn > 0)
		qsort(names, nn, sizeof(*names), cmp_name);
	for (i = 0; i < nn; i++) {
		load_one(cp, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* fuzz_corpus_close - forget it all */
void fuzz_corpus_close(struct fuzz_corpus *cp)
{
	unsigned i;

	for (i = 0; i < cp->n; i++)
		xbuf_free(&cp->ent[i]);
	free(cp->ent);
	free(cp->seen);
	if (cp->dirfd >= 0)
		close(cp->dirfd);
	memset(cp, 0, sizeof(*cp));
	cp->dirfd = -1;
}

/* seen_put - into the set; 1 when it was not there */
static int seen_put(uint64_t *tab, size_t cap, uint64_t fp)
{
	size_t i = (size_t)(fp % cap);

	while (tab[i] != 0) {
		if (tab[i] == fp)
			return 0;
		i = (i + 1) % cap;
	}
	tab[i] = fp;
	return 1;
}

/* fuzz_corpus_novel - a fingerprint not seen before (recorded now) */
int fuzz_corpus_novel(struct fuzz_corpus *cp, uint64_t fp)
{
	if (fp == 0)
		fp = 1;
	if (2 * (cp->nseen + 1) > cp->capseen) {
		size_t cap = cp->capseen ? 2 * cp->capseen : 1024, i;
		uint64_t *tab = xcalloc(cap, sizeof(*tab));

		for (i = 0; i < cp->capseen; i++)
			if (cp->seen[i] != 0)
				(void)seen_put(tab, cap, cp->seen[i]);
		free(cp->seen);
		cp->seen = tab;
		cp->capseen = cap;
	}
	if (!seen_put(cp->seen, cp->capseen, fp))
		return 0;
	cp->nseen++;
	return 1;
}

/* fuzz_corpus_keep - the case's bytes in a file named by their hash */
int fuzz_corpus_keep(struct fuzz_corpus *cp, const struct fuzz_case *c)
{
	char name[32];
	struct xbuf *b;

	if (cp->dirfd < 0 || cp->n >= FUZZ_CORPUS_MAX || c->buf.len == 0)
		return 0;
	snprintf(name, sizeof(name), "%016llx",
		 (unsigned long long)fuzz_fp_add(FUZZ_FP_SEED, c->buf.data, c->buf.len));
	if (fuzz_dir_create(cp->dirfd, name, c->buf.data, c->buf.len) < 0)
		return errno == EEXIST ? 0 : -1;
	b = &cp->ent[cp->n++];
	xbuf_init(b, FUZZ_CORPUS_FILE_MAX);
	(void)!xbuf_append(b, c->buf.data, c->buf.len);
	return 1;
}
