/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_linebuf - unit tests for proto/linebuf
 * DESCRIPTION
 *	Table-driven framing cases (each fed whole, and again one byte at
 *	a time, which must give the same lines), the 16384-byte bound at
 *	N-1/N/N+1 in both CR modes, the space/commit interface, pending
 *	data after EOF, linebuf_drain() (what is dropped or taken as a
 *	last line: after 0..n lines were read, in pieces, with and without
 *	a tail) and a linear-cost check on a long line delivered in small
 *	pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/linebuf.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define MAXLINES	8

struct frame_case {
	const char *name;
	const char *in;
	size_t in_len;
	enum linebuf_cr cr;
	size_t max;
	size_t nlines;			/* complete lines expected */
	struct { const char *p; size_t len; } lines[MAXLINES];
	int last_rc;			/* linebuf_next after the lines */
	size_t pending;			/* bytes left in the partial line */
};

#define S(s)	s, sizeof(s) - 1

static const struct frame_case frame_cases[] = {
	{ "empty input", S(""), LINEBUF_CR_KEEP, 16, 0, { { 0, 0 } }, 0, 0 },
	{ "one line", S("abc\n"), LINEBUF_CR_KEEP, 16, 1,
	  { { S("abc") } }, 0, 0 },
	{ "empty line", S("\n"), LINEBUF_CR_KEEP, 16, 1, { { S("") } }, 0, 0 },
	{ "two lines and a tail", S("a\nbb\ncc"), LINEBUF_CR_KEEP, 16, 2,
	  { { S("a") }, { S("bb") } }, 0, 2 },
	{ "crlf kept", S("a\r\n"), LINEBUF_CR_KEEP, 16, 1,
	  { { S("a\r") } }, 0, 0 },
	{ "crlf stripped", S("a\r\n"), LINEBUF_CR_STRIP, 16, 1,
	  { { S("a") } }, 0, 0 },
	{ "only one cr stripped", S("a\r\r\n"), LINEBUF_CR_STRIP, 16, 1,
	  { { S("a\r") } }, 0, 0 },
	{ "cr alone is data (strip)", S("a\rb\n"), LINEBUF_CR_STRIP, 16, 1,
	  { { S("a\rb") } }, 0, 0 },
	{ "cr without lf", S("a\r"), LINEBUF_CR_STRIP, 16, 0,
	  { { 0, 0 } }, 0, 2 },
	{ "bare crlf stripped", S("\r\n"), LINEBUF_CR_STRIP, 16, 1,
	  { { S("") } }, 0, 0 },
	{ "nul in the middle", S("a\0b\n"), LINEBUF_CR_KEEP, 16, 1,
	  { { S("a\0b") } }, 0, 0 },
	{ "line exactly max", S("abc\n"), LINEBUF_CR_KEEP, 4, 1,
	  { { S("abc") } }, 0, 0 },
	{ "tail of max bytes is too long", S("abcd"), LINEBUF_CR_KEEP, 4, 0,
	  { { 0, 0 } }, -1, 4 },
	{ "tail of max-1 bytes waits", S("abc"), LINEBUF_CR_KEEP, 4, 0,
	  { { 0, 0 } }, 0, 3 },
	{ "crlf line of max with strip", S("ab\r\n"), LINEBUF_CR_STRIP, 4, 1,
	  { { S("ab") } }, 0, 0 },
};

/* run_case - feed c->in in pieces of step bytes, collect lines */
static void run_case(const struct frame_case *c, size_t step)
{
	struct linebuf lb;
	size_t off = 0, got = 0, n, len;
	const char *line;
	int rc = 0;

	linebuf_init(&lb, c->max, c->cr);
	while (off < c->in_len) {
		n = c->in_len - off < step ? c->in_len - off : step;
		n = linebuf_feed(&lb, c->in + off, n);
		off += n;
		while ((rc = linebuf_next(&lb, &line, &len)) == 1) {
			if (got >= c->nlines)
				fail_msg("%s/%zu: extra line", c->name, step);
			if (len != c->lines[got].len ||
			    memcmp(line, c->lines[got].p, len) != 0)
				fail_msg("%s/%zu: line %zu differs", c->name,
					 step, got);
			got++;
		}
		if (rc < 0)
			break;
		if (n == 0)
			fail_msg("%s/%zu: feed stalled", c->name, step);
	}
	if (c->in_len == 0)
		rc = linebuf_next(&lb, &line, &len);
	if (got != c->nlines)
		fail_msg("%s/%zu: got %zu lines, want %zu", c->name, step, got,
			 c->nlines);
	if (rc != c->last_rc)
		fail_msg("%s/%zu: last rc %d, want %d", c->name, step, rc,
			 c->last_rc);
	if (linebuf_pending(&lb) != c->pending)
		fail_msg("%s/%zu: pending %zu, want %zu", c->name, step,
			 linebuf_pending(&lb), c->pending);
	if (c->pending > 0 &&
	    memcmp(linebuf_pending_data(&lb), c->in + c->in_len - c->pending,
		   c->pending) != 0)
		fail_msg("%s/%zu: pending data differs", c->name, step);
	linebuf_free(&lb);
}

static void test_linebuf_next_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(frame_cases); i++) {
		run_case(&frame_cases[i], (size_t)-1);
		run_case(&frame_cases[i], 1);
		run_case(&frame_cases[i], 2);
	}
}

/* bound_case - a line of len bytes (plus LF) through a 16384 buffer */
static int bound_case(size_t len, enum linebuf_cr cr, size_t *got_len_r)
{
	struct linebuf lb;
	char *in = malloc(len + 2);
	size_t inlen = len + 1, off = 0, n;
	const char *line;
	int rc = 0;

	assert_non_null(in);
	memset(in, 'x', len);
	if (cr == LINEBUF_CR_STRIP && len > 0)
		in[len - 1] = '\r';
	in[len] = '\n';
	linebuf_init(&lb, 16384, cr);
	*got_len_r = 0;
	while (off < inlen) {
		n = linebuf_feed(&lb, in + off, inlen - off);
		off += n;
		rc = linebuf_next(&lb, &line, got_len_r);
		if (rc != 0)
			break;
	}
	linebuf_free(&lb);
	free(in);
	return rc;
}

static void test_linebuf_next_bound_16384(void **state)
{
	size_t got;

	(void)state;
	/* 16383 bytes + LF = 16384: fits */
	assert_int_equal(bound_case(16382, LINEBUF_CR_KEEP, &got), 1);
	assert_int_equal(got, 16382);
	assert_int_equal(bound_case(16383, LINEBUF_CR_KEEP, &got), 1);
	assert_int_equal(got, 16383);
	assert_int_equal(bound_case(16384, LINEBUF_CR_KEEP, &got), -1);
	assert_int_equal(bound_case(16385, LINEBUF_CR_KEEP, &got), -1);
	/* with CR: 16382 + CR + LF = 16384 fits, the CR is removed */
	assert_int_equal(bound_case(16383, LINEBUF_CR_STRIP, &got), 1);
	assert_int_equal(got, 16382);
	assert_int_equal(bound_case(16384, LINEBUF_CR_STRIP, &got), -1);
}

static void test_linebuf_space_commit(void **state)
{
	struct linebuf lb;
	const char *line;
	size_t avail, len;
	char *p;

	(void)state;
	linebuf_init(&lb, 8, LINEBUF_CR_KEEP);
	p = linebuf_space(&lb, &avail);
	assert_int_equal(avail, 8);
	memcpy(p, "ab\ncdef", 7);
	linebuf_commit(&lb, 7);
	assert_int_equal(linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(line, "ab", 2);
	/* the line stays valid while only linebuf_next runs */
	assert_int_equal(linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(linebuf_pending(&lb), 4);
	/* compaction: the 4 pending bytes move to the front */
	p = linebuf_space(&lb, &avail);
	assert_int_equal(avail, 4);
	assert_memory_equal(linebuf_pending_data(&lb), "cdef", 4);
	memcpy(p, "gh\n", 3);
	linebuf_commit(&lb, 3);
	assert_int_equal(linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, 6);
	assert_memory_equal(line, "cdefgh", 6);
	assert_int_equal(linebuf_pending(&lb), 0);
	/* full buffer: feed takes only what fits */
	assert_int_equal(linebuf_feed(&lb, "123456789", 9), 8);
	assert_int_equal(linebuf_next(&lb, &line, &len), -1);
	p = linebuf_space(&lb, &avail);
	assert_int_equal(avail, 0);
	(void)p;
	linebuf_free(&lb);
	assert_null(lb.data);
}

/* A 16000-byte line in 1-byte pieces: the scan offset must advance so
 * each byte is examined about once, not once per feed. */
static void test_linebuf_next_resumes_scan(void **state)
{
	struct linebuf lb;
	const char *line;
	size_t i, len;

	(void)state;
	linebuf_init(&lb, 16384, LINEBUF_CR_KEEP);
	for (i = 0; i < 16000; i++) {
		assert_int_equal(linebuf_feed(&lb, "y", 1), 1);
		assert_int_equal(linebuf_next(&lb, &line, &len), 0);
		assert_int_equal(lb.scan, i + 1);
	}
	assert_int_equal(linebuf_feed(&lb, "\n", 1), 1);
	assert_int_equal(linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, 16000);
	assert_int_equal(lb.scan, 0);
	linebuf_free(&lb);
}

/* xorshift32 - deterministic pseudo-random numbers for the tests */
static uint32_t xorshift32(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/*
 * Random streams over a small alphabet (LF, CR, NUL, 'a'), random
 * buffer sizes and random read sizes, through both the copying and
 * the zero-copy interface: the lines must be exactly those a direct
 * split of the whole stream gives, up to the first over-long line.
 */
/* linebuf_drain: the bytes left after reading `take` lines of `in` */
static const struct {
	const char *in;
	size_t in_len, take;
	const char *left;
	size_t left_len;
} drain_cases[] = {
	{ S(""), 0, S("") },
	{ S("DONE\n"), 1, S("") },
	{ S("DONE\nFAIL\t1\n"), 1, S("FAIL\t1\n") },
	{ S("DONE\nFAIL\t1\nOK\t1\tuser=a\n"), 1, S("FAIL\t1\nOK\t1\tuser=a\n") },
	{ S("OK\t1\tuser=a"), 0, S("OK\t1\tuser=a") },
	{ S("a\nOK\t1\tuser=a"), 1, S("OK\t1\tuser=a") },
	{ S("a\nb\n"), 2, S("") },
	{ S("a\n\0b"), 1, S("\0b") },
};

static void test_linebuf_drain_table(void **state)
{
	size_t i, k, step;

	(void)state;
	for (i = 0; i < N_ELEMENTS(drain_cases); i++)
		for (step = 1; step <= 2; step++) {
			struct linebuf lb;
			const char *line, *left;
			size_t len, n, off = 0;

			linebuf_init(&lb, 64, LINEBUF_CR_KEEP);
			/* step 1: fed whole; step 2: one byte at a time */
			while (off < drain_cases[i].in_len) {
				size_t want = step == 1 ? drain_cases[i].in_len - off : 1;

				off += linebuf_feed(&lb, drain_cases[i].in + off, want);
			}
			for (k = 0; k < drain_cases[i].take; k++)
				assert_int_equal(linebuf_next(&lb, &line, &len), 1);
			n = linebuf_drain(&lb, &left);
			assert_int_equal(n, drain_cases[i].left_len);
			assert_memory_equal(left, drain_cases[i].left, n);
			/* nothing is left afterwards, and the buffer goes on */
			assert_int_equal(linebuf_pending(&lb), 0);
			assert_int_equal(linebuf_next(&lb, &line, &len), 0);
			assert_int_equal(linebuf_feed(&lb, "x\n", 2), 2);
			assert_int_equal(linebuf_next(&lb, &line, &len), 1);
			assert_int_equal(len, 1);
			assert_memory_equal(line, "x", 1);
			linebuf_free(&lb);
		}
}

static void test_linebuf_next_random_split(void **state)
{
	static const char alphabet[] = { '\n', '\r', '\0', 'a', 'a', 'a' };
	char in[512];
	uint32_t rng = 0x12345678u;
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		size_t n = xorshift32(&rng) % sizeof(in);
		size_t max = 1 + xorshift32(&rng) % 24;
		enum linebuf_cr cr = (xorshift32(&rng) & 1) ?
		    LINEBUF_CR_STRIP : LINEBUF_CR_KEEP;
		int zero_copy = (int)(xorshift32(&rng) & 1);
		size_t i, off = 0, ref = 0, len, step, avail;
		const char *line;
		struct linebuf lb;
		int rc = 0, overlong = 0;

		for (i = 0; i < n; i++)
			in[i] = alphabet[xorshift32(&rng) % sizeof(alphabet)];
		linebuf_init(&lb, max, cr);
		while (rc >= 0) {
			while ((rc = linebuf_next(&lb, &line, &len)) == 1) {
				/* the reference: next LF from ref */
				const char *lf = memchr(in + ref, '\n', n - ref);
				size_t want;

				assert_non_null(lf);
				want = (size_t)(lf - (in + ref));
				if (want + 1 > max)
					fail_msg("round %d: line of %zu bytes "
						 "passed max %zu", round, want,
						 max);
				if (cr == LINEBUF_CR_STRIP && want > 0 &&
				    in[ref + want - 1] == '\r')
					want--;
				assert_int_equal(len, want);
				assert_memory_equal(line, in + ref, len);
				ref = (size_t)(lf - in) + 1;
			}
			if (rc < 0) {
				overlong = 1;
				break;
			}
			if (off == n)
				break;
			step = 1 + xorshift32(&rng) % 9;
			if (step > n - off)
				step = n - off;
			if (zero_copy) {
				char *dst = linebuf_space(&lb, &avail);

				if (step > avail)
					step = avail;
				memcpy(dst, in + off, step);
				linebuf_commit(&lb, step);
			} else {
				step = linebuf_feed(&lb, in + off, step);
			}
			off += step;
		}
		/* -1 only for a line that cannot fit: with its LF it is
		 * longer than max, or without an LF it already fills max */
		if (overlong) {
			const char *lf = memchr(in + ref, '\n', n - ref);
			size_t rest = lf ? (size_t)(lf - (in + ref)) + 1 :
			    n - ref + 1;

			if (rest <= max)
				fail_msg("round %d: -1 for a line of %zu "
					 "bytes, max %zu", round, rest, max);
		} else {
			assert_null(memchr(in + ref, '\n', n - ref));
			assert_int_equal(linebuf_pending(&lb), n - ref);
		}
		linebuf_free(&lb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linebuf_next_table),
		cmocka_unit_test(test_linebuf_next_bound_16384),
		cmocka_unit_test(test_linebuf_space_commit),
		cmocka_unit_test(test_linebuf_next_resumes_scan),
		cmocka_unit_test(test_linebuf_next_random_split),
		cmocka_unit_test(test_linebuf_drain_table),
	};

	return cmocka_run_group_tests_name("linebuf", tests, NULL, NULL);
}
