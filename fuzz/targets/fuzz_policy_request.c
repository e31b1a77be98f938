/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fuzz_policy_request - fuzz target for policy request blocks
 * SYNOPSIS
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is a stream of request blocks as a policy server reads
 *	it (at most FUZZ_POLICY_MAX_INPUT bytes). It arrives in pieces of
 *	1..257 bytes (sizes from a linear congruential sequence seeded by
 *	the input size, so the input itself stays a plain request), each
 *	piece offered to the incremental policy_scan_block(). When the
 *	scanner decides (1 or -1), policy_parse_block() over the same bytes
 *	must decide the same (1 with the same length, or -1 with the same
 *	error), and over the bytes of the scanner's last "need more" (0) it
 *	must need more too; at the end of the input an undecided block
 *	must be undecided for the parser as well. The parser's answer over
 *	a growing prefix only goes from 0 to a decision that then stays, so
 *	these two parses per block stand for one at every piece, which
 *	would cost time quadratic in the block. After a block the next one
 *	starts, as in a session.
 *
 *	A parsed block is checked (views inside the input, names without
 *	"=" or LF, values without LF, value_nul exact, counts within
 *	bounds, policy_find first/last) and, when Postfix's grammar can
 *	carry it, written again with policy_format_block() and parsed to
 *	the same attributes.
 * DIAGNOSTICS
 *	A broken invariant aborts.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "proto/policy.h"
#include "util/xmem.h"

#define FUZZ_POLICY_MAX_INPUT	(64 * 1024)

static int inside(struct strview v, const char *p, size_t n)
{
	return v.p >= p && v.len <= n && (size_t)(v.p - p) <= n - v.len;
}

static int sv_same(struct strview a, struct strview b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* check_block - invariants of one parsed block, and its round trip */
static void check_block(const struct policy_block *b, const char *buf, size_t used,
		       struct policy_block *b2, struct xbuf *out)
{
	const struct policy_attr *first, *last;
	const char *err = NULL;
	size_t i, used2 = 0;
	int formattable = b->nbad == 0;

	FUZZ_CHECK(b->nattrs + b->nbad <= POLICY_MAX_ATTRS);
	for (i = 0; i < b->nattrs; i++) {
		const struct policy_attr *a = &b->attrs[i];

		FUZZ_CHECK(inside(a->name, buf, used) && inside(a->value, buf, used));
		FUZZ_CHECK(a->name.len == 0 || memchr(a->name.p, '=', a->name.len) == NULL);
		FUZZ_CHECK(a->name.len == 0 || memchr(a->name.p, '\n', a->name.len) == NULL);
		FUZZ_CHECK(a->value.len == 0 || memchr(a->value.p, '\n', a->value.len) == NULL);
		FUZZ_CHECK(!a->value_nul == (a->value.len == 0 ||
					     memchr(a->value.p, '\0', a->value.len) == NULL));
		if (a->name.len == 0 || memchr(a->name.p, '\0', a->name.len) || a->value_nul)
			formattable = 0;
	}
	for (i = 0; i < b->nbad && i < POLICY_MAX_BAD; i++)
		FUZZ_CHECK(inside(b->bad[i], buf, used));
	first = policy_find(b, "request", POLICY_DUP_FIRST);
	last = policy_find(b, "request", POLICY_DUP_LAST);
	FUZZ_CHECK((first == NULL) == (last == NULL));
	FUZZ_CHECK(first == NULL || first <= last);

	if (!formattable)
		return;
	xbuf_reset(out);
	FUZZ_CHECK(policy_format_block(out, b->attrs, b->nattrs) == 0);
	FUZZ_CHECK(policy_parse_block(out->data, out->len, b2, &used2, &err) == 1);
	FUZZ_CHECK(used2 == out->len && b2->nattrs == b->nattrs && b2->nbad == 0);
	for (i = 0; i < b->nattrs; i++) {
		FUZZ_CHECK(sv_same(b2->attrs[i].name, b->attrs[i].name));
		FUZZ_CHECK(sv_same(b2->attrs[i].value, b->attrs[i].value));
	}
}

/* same_answer - policy_parse_block over len bytes answers rc as the scanner did */
static void same_answer(const char *buf, size_t len, int rc, size_t used,
			const char *err, struct policy_block *b)
{
	const char *err2 = NULL;
	size_t used2 = 0;

	FUZZ_CHECK(policy_parse_block(buf, len, b, &used2, &err2) == rc);
	if (rc < 0)
		FUZZ_CHECK(err != NULL && err2 != NULL && strcmp(err, err2) == 0);
	if (rc > 0)
		FUZZ_CHECK(used2 == used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *err;
	struct policy_block *b, *b2;
	struct policy_scan scan;
	struct xbuf out;
	size_t start = 0, avail = 0, undecided = 0, used;
	unsigned seed = (unsigned)size;
	int rc, rescan = 0;

	if (size > FUZZ_POLICY_MAX_INPUT)
		return 0;
	b = xmalloc(sizeof(*b));
	b2 = xmalloc(sizeof(*b2));
	xbuf_init(&out, 2 * FUZZ_POLICY_MAX_INPUT);
	policy_scan_init(&scan);
	for (;;) {
		if (!rescan) {
			if (start + avail >= size)
				break;
			seed = seed * 1103515245u + 12345u;
			avail += 1 + (seed >> 16) % 257;
			if (avail > size - start)
				avail = size - start;
		}
		rescan = 0;
		err = NULL;
		used = 0;
		rc = policy_scan_block(&scan, buf + start, avail, &used, &err);
		if (rc == 0) {
			undecided = avail;
			continue;
		}
		if (undecided > 0)
			same_answer(buf + start, undecided, 0, 0, NULL, b);
		same_answer(buf + start, avail, rc, used, err, b);
		if (rc < 0)
			break;
		FUZZ_CHECK(used > 0 && used <= avail);
		FUZZ_CHECK(buf[start + used - 1] == '\n');
		check_block(b, buf + start, used, b2, &out);
		/* bytes already received may hold the next block */
		start += used;
		avail -= used;
		undecided = 0;
		rescan = avail > 0;
		policy_scan_init(&scan);
	}
	if (undecided > 0)	/* the input ended inside a block */
		same_answer(buf + start, undecided, 0, 0, NULL, b);
	xbuf_free(&out);
	free(b);
	free(b2);
	return 0;
}
