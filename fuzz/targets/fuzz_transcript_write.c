/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_transcript_write - fuzz target: what the transcript writer
 *	writes parses back to the same exchange
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a list of records, each an op byte, a length (one
 *	byte; two, little-endian, when bit 7 of the op is set) and that
 *	many bytes (fewer at the end of the input). Bits 0-2 of the op:
 *	  0, 4-7  twrite_send() of the bytes; bit 3: TWRITE_LF, bit 4: the
 *	          head "AUTH\t{id}\t"
 *	  1       twrite_expect() of the bytes as a received line; bit 4:
 *	          the head "OK\t{id}\t"
 *	  2       twrite_text(TWRITE_WORD) as the user of "auth PLAIN USER p"
 *	          (at most TWRITE_CHUNK - 1 bytes)
 *	  3       twrite_seen() (bit 3: as 'C', else 'S')
 *	Records are written one after the other after "protocol auth"
 *	until one would make the file larger than TRANSCRIPT_MAX_FILE or
 *	give it more than TRANSCRIPT_MAX_OPS statements; the input is at
 *	most FUZZ_TW_MAX_INPUT bytes and FUZZ_TW_MAX_RECORDS records.
 *
 *	Checked, with {id} = 42: transcript_parse() accepts the text; the
 *	C:/C-: statements between two other statements send exactly the
 *	bytes (heads and LFs included) the send records between them
 *	wrote; each expect record is one S: statement whose pattern matches
 *	its line and, written exactly, not the line with a byte more; each
 *	word record is one auth statement whose user expands to its bytes;
 *	comments are no statement.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "harness/script/transcript.h"
#include "harness/script/transcript_write.h"

#define FUZZ_TW_MAX_INPUT	(256 * 1024)
#define FUZZ_TW_MAX_RECORDS	512

enum { REC_SEND, REC_EXPECT, REC_WORD, REC_SEEN };

struct rec {
	int kind;
	unsigned op;
	const uint8_t *p;
	size_t len;
	int exact;		/* REC_EXPECT: written without a "*" */
};

struct tw {
	struct rec r[FUZZ_TW_MAX_RECORDS];
	size_t n;
	struct xbuf text;
	struct tvars v;
	struct xbuf a, b;	/* scratch */
};

/* write_rec - one record; 0 written, -1 it does not fit (text unchanged) */
static int write_rec(struct tw *w, struct rec *r, size_t *stmts)
{
	size_t mark = w->text.len, i, lines = 0;
	int rc;

	switch (r->kind) {
	case REC_SEND:
		rc = twrite_send(&w->text, (r->op & 0x10) ? "AUTH\\t{id}\\t" : NULL, r->p, r->len,
				 (r->op & 0x08) ? TWRITE_LF : 0);
		break;
	case REC_EXPECT:
		rc = twrite_expect(&w->text, (r->op & 0x10) ? "OK\\t{id}\\t" : NULL, r->p, r->len);
		r->exact = rc == 0;
		break;
	case REC_WORD:
		rc = xbuf_append_str(&w->text, "auth PLAIN ");
		if (rc == 0)
			rc = twrite_text(&w->text, r->p, r->len, TWRITE_WORD);
		if (rc == 0)
			rc = xbuf_append_str(&w->text, " p\n");
		break;
	default:
		rc = twrite_seen(&w->text, (r->op & 0x08) ? 'C' : 'S', r->p, r->len);
		break;
	}
	for (i = mark; rc >= 0 && r->kind != REC_SEEN && i < w->text.len; i++)
		lines += w->text.data[i] == '\n';
	if (rc < 0 || *stmts + lines > TRANSCRIPT_MAX_OPS) {
		xbuf_truncate(&w->text, mark);
		return -1;
	}
	*stmts += lines;
	return 0;
}

/* read_recs - the records of the input, written; how many were */
static void read_recs(struct tw *w, const uint8_t *data, size_t size)
{
	size_t pos = 0, stmts = 0;

	while (pos < size && w->n < FUZZ_TW_MAX_RECORDS) {
		struct rec *r = &w->r[w->n];
		unsigned op = data[pos++];
		size_t len = 0;

		if (pos < size)
			len = data[pos++];
		if ((op & 0x80) && pos < size)
			len |= (size_t)data[pos++] << 8;
		if (len > size - pos)
			len = size - pos;
		r->op = op;
		r->kind = (op & 7) < 4 ? (int)(op & 7) : REC_SEND;
		r->p = data + pos;
		r->len = r->kind == REC_WORD && len >= TWRITE_CHUNK ? TWRITE_CHUNK - 1 : len;
		pos += len;
		if (write_rec(w, r, &stmts) < 0)
			break;
		if (r->kind != REC_SEEN)
			w->n++;
	}
}

/* expand - a pattern as sent, with {id} = 42, appended to out */
static void expand(struct tw *w, const struct tpat *p, struct xbuf *out)
{
	const char *why;

	FUZZ_CHECK(tpat_expand(p, &w->v, out, &why) == 0);
}

/* head - the expansion of a record's head */
static void head(struct tw *w, const char *src, struct xbuf *out)
{
	struct tpat p;
	const char *why;

	FUZZ_CHECK(tpat_compile(src, strlen(src), TPAT_TEXT, &p, &why) == 0);
	expand(w, &p, out);
	tpat_free(&p);
}

/* check_sends - records [*e..) that send against ops [*k..) that are C:/C-: */
static void check_sends(struct tw *w, const struct transcript *t, size_t *e, size_t *k)
{
	xbuf_reset(&w->a);
	xbuf_reset(&w->b);
	for (; *e < w->n && w->r[*e].kind == REC_SEND; (*e)++) {
		const struct rec *r = &w->r[*e];

		if (r->op & 0x10)
			head(w, "AUTH\\t{id}\\t", &w->a);
		FUZZ_CHECK(r->len == 0 || xbuf_append(&w->a, r->p, r->len) == 0);
		if (r->op & 0x08)
			FUZZ_CHECK(xbuf_append_char(&w->a, '\n') == 0);
	}
	for (; *k < t->nops && t->ops[*k].kind == TOP_SEND; (*k)++) {
		expand(w, &t->ops[*k].pat, &w->b);
		if (!t->ops[*k].nolf)
			FUZZ_CHECK(xbuf_append_char(&w->b, '\n') == 0);
	}
	FUZZ_CHECK(w->a.len == w->b.len);
	FUZZ_CHECK(w->a.len == 0 || memcmp(w->a.data, w->b.data, w->a.len) == 0);
}

/* check_one - an expect or word record against its op */
static void check_one(struct tw *w, const struct rec *r, const struct top *op)
{
	const char *why;

	xbuf_reset(&w->a);
	if (r->kind == REC_WORD) {
		FUZZ_CHECK(op->kind == TOP_AUTH && op->nargs == 2);
		expand(w, &op->args[0], &w->a);
		FUZZ_CHECK(w->a.len == r->len);
		FUZZ_CHECK(r->len == 0 || memcmp(w->a.data, r->p, r->len) == 0);
		return;
	}
	FUZZ_CHECK(op->kind == TOP_EXPECT && !op->optional && !op->is_regex);
	if (r->op & 0x10)
		head(w, "OK\\t{id}\\t", &w->a);
	FUZZ_CHECK(r->len == 0 || xbuf_append(&w->a, r->p, r->len) == 0);
	FUZZ_CHECK(tpat_match(&op->pat, &w->v, w->a.data ? w->a.data : "", w->a.len, &why) == 1);
	FUZZ_CHECK(xbuf_append_char(&w->a, 'x') == 0);
	FUZZ_CHECK(tpat_match(&op->pat, &w->v, w->a.data, w->a.len, &why) == !r->exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw w;
	struct transcript t;
	char err[512];
	size_t e = 0, k = 0;

	if (size > FUZZ_TW_MAX_INPUT)
		return 0;
	w.n = 0;
	xbuf_init(&w.text, TRANSCRIPT_MAX_FILE);
	xbuf_init(&w.a, 1 << 20);
	xbuf_init(&w.b, 1 << 20);
	tvars_init(&w.v);
	FUZZ_CHECK(tvars_set(&w.v, "id", "42", 2) == 0);
	FUZZ_CHECK(xbuf_append_str(&w.text, "protocol auth\n") == 0);
	read_recs(&w, data, size);
	FUZZ_CHECK(transcript_parse(w.text.data, w.text.len, "w.tr", &t, err, sizeof(err)) == 0);
	while (e < w.n || k < t.nops) {
		if ((e < w.n && w.r[e].kind == REC_SEND) || (k < t.nops && t.ops[k].kind == TOP_SEND)) {
			check_sends(&w, &t, &e, &k);
			continue;
		}
		FUZZ_CHECK(e < w.n && k < t.nops);
		check_one(&w, &w.r[e++], &t.ops[k++]);
	}
	transcript_free(&t);
	tvars_free(&w.v);
	xbuf_free(&w.text);
	xbuf_free(&w.a);
	xbuf_free(&w.b);
	return 0;
}
