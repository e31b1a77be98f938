/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policy - unit tests for proto/policy
 * DESCRIPTION
 *	Request blocks (server side) and replies (Postfix's reading) from
 *	tables written after the grammar in policy.h and Postfix's
 *	attr_scan_plain.c; POLICY_MAX_LINE and POLICY_MAX_ATTRS at
 *	N-1/N/N+1; every prefix of a complete input must ask for more;
 *	formatters and their round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/policy.h"
#include "util/compiler.h"
#include "util/xbuf.h"

#define S(s)	s, sizeof(s) - 1

/*
 * Request blocks.
 */
struct block_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;
	size_t used;
	size_t nattrs;
	size_t nbad;
	const char *first_name;		/* attrs[0] */
	const char *first_value;
	size_t first_value_len;
	int first_nul;
};

static const struct block_case block_cases[] = {
	{ "empty input", S(""), 0, 0, 0, 0, NULL, NULL, 0, 0 },
	{ "terminator only", S("\n"), 1, 1, 0, 0, NULL, NULL, 0, 0 },
	{ "one attribute", S("request=smtpd_access_policy\n\n"), 1, 29, 1, 0,
	  "request", S("smtpd_access_policy"), 0 },
	{ "no terminator yet", S("a=b\n"), 0, 0, 0, 0, NULL, NULL, 0, 0 },
	{ "partial line", S("a=b"), 0, 0, 0, 0, NULL, NULL, 0, 0 },
	{ "trailing bytes not used", S("a=b\n\nc=d\n"), 1, 5, 1, 0, "a", S("b"),
	  0 },
	{ "value with equals", S("a=b=c\n\n"), 1, 7, 1, 0, "a", S("b=c"), 0 },
	{ "empty value", S("sender=\n\n"), 1, 9, 1, 0, "sender", S(""), 0 },
	{ "empty name", S("=v\n\n"), 1, 4, 1, 0, "", S("v"), 0 },
	{ "crlf value keeps cr", S("a=b\r\n\n"), 1, 6, 1, 0, "a", S("b\r"), 0 },
	{ "cr line is bad", S("a=b\r\n\r\n"), 0, 0, 1, 1, "a", S("b\r"), 0 },
	{ "crlf terminator is bad line", S("a=b\n\r\n\n"), 1, 7, 1, 1, "a",
	  S("b"), 0 },
	{ "nul in value", S("a=b\0c\n\n"), 1, 7, 1, 0, "a", S("b\0c"), 1 },
	{ "nul in name", S("a\0b=c\n\n"), 1, 7, 1, 0, NULL, S("c"), 0 },
	{ "line without equals", S("junk\na=b\n\n"), 1, 10, 1, 1, "a", S("b"),
	  0 },
	{ "case of names kept", S("Request=x\n\n"), 1, 11, 1, 0, "Request",
	  S("x"), 0 },
	{ "space in name", S(" a =b\n\n"), 1, 7, 1, 0, " a ", S("b"), 0 },
};

static void check_block_case(const struct block_case *c)
{
	struct policy_block *b = malloc(sizeof(*b));
	const char *err = NULL;
	size_t used = 0;
	int rc;

	assert_non_null(b);
	rc = policy_parse_block(c->in, c->in_len, b, &used, &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d", c->name, rc, c->rc);
	if (rc == 1 && used != c->used)
		fail_msg("%s: used %zu, want %zu", c->name, used, c->used);
	if (rc != 1) {
		free(b);
		return;
	}
	if (b->nattrs != c->nattrs || b->nbad != c->nbad)
		fail_msg("%s: %zu attrs %zu bad, want %zu %zu", c->name,
			 b->nattrs, b->nbad, c->nattrs, c->nbad);
	if (c->nattrs > 0) {
		const struct policy_attr *a = &b->attrs[0];

		if (c->first_name != NULL && !strview_eq(a->name, c->first_name))
			fail_msg("%s: name differs", c->name);
		if (a->value.len != c->first_value_len ||
		    memcmp(a->value.p, c->first_value, c->first_value_len) != 0)
			fail_msg("%s: value differs", c->name);
		if (a->value_nul != c->first_nul)
			fail_msg("%s: value_nul %d", c->name, a->value_nul);
	}
	free(b);
}

static void test_policy_parse_block_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(block_cases); i++)
		check_block_case(&block_cases[i]);
}

static void test_policy_parse_block_bad_lines(void **state)
{
	struct policy_block *b = malloc(sizeof(*b));
	struct xbuf in;
	const char *err;
	size_t used, i;

	(void)state;
	assert_non_null(b);
	xbuf_init(&in, 0);
	for (i = 0; i < POLICY_MAX_BAD + 3; i++)
		assert_int_equal(xbuf_printf(&in, "bad%zu\n", i), 0);
	assert_int_equal(xbuf_append_str(&in, "action\n\n"), 0);
	assert_int_equal(policy_parse_block(in.data, in.len, b, &used, &err), 1);
	assert_int_equal(used, in.len);
	assert_int_equal(b->nbad, POLICY_MAX_BAD + 4);
	assert_int_equal(b->nattrs, 0);
	assert_true(strview_eq(b->bad[0], "bad0"));
	assert_true(strview_eq(b->bad[POLICY_MAX_BAD - 1], "bad15"));
	xbuf_free(&in);
	free(b);
}

static void test_policy_find_duplicates(void **state)
{
	static const char in[] = "a=1\nb=2\na=3\nA=4\n\n";
	struct policy_block *b = malloc(sizeof(*b));
	const struct policy_attr *a;
	const char *err;
	size_t used;

	(void)state;
	assert_non_null(b);
	assert_int_equal(policy_parse_block(in, strlen(in), b, &used, &err), 1);
	assert_int_equal(b->nattrs, 4);
	a = policy_find(b, "a", POLICY_DUP_FIRST);
	assert_ptr_equal(a, &b->attrs[0]);
	a = policy_find(b, "a", POLICY_DUP_LAST);
	assert_ptr_equal(a, &b->attrs[2]);
	assert_true(strview_eq(a->value, "3"));
	a = policy_find(b, "A", POLICY_DUP_FIRST);
	assert_ptr_equal(a, &b->attrs[3]);
	assert_null(policy_find(b, "c", POLICY_DUP_LAST));
	assert_null(policy_find(b, "", POLICY_DUP_FIRST));
	free(b);
}

/* a block whose first line has len bytes before its LF */
static int block_line_len(size_t len, int terminate)
{
	struct policy_block *b = malloc(sizeof(*b));
	char *in = malloc(len + 2);
	const char *err = NULL;
	size_t used;
	int rc;

	assert_non_null(b);
	assert_non_null(in);
	memset(in, 'v', len);
	in[0] = 'n';
	in[1] = '=';
	in[len] = '\n';
	in[len + 1] = '\n';
	rc = policy_parse_block(in, terminate ? len + 2 : len, b, &used, &err);
	if (rc < 0)
		assert_string_equal(err, "line too long");
	free(in);
	free(b);
	return rc;
}

static void test_policy_parse_block_line_bound(void **state)
{
	(void)state;
	assert_int_equal(block_line_len(POLICY_MAX_LINE - 1, 1), 1);
	assert_int_equal(block_line_len(POLICY_MAX_LINE, 1), 1);
	assert_int_equal(block_line_len(POLICY_MAX_LINE + 1, 1), -1);
	/* unterminated: too long is known before the LF arrives */
	assert_int_equal(block_line_len(POLICY_MAX_LINE, 0), 0);
	assert_int_equal(block_line_len(POLICY_MAX_LINE + 1, 0), -1);
}

/* n lines (attributes, or bad lines when bad) then the empty line */
static int block_with_lines(size_t n, int bad, int terminate)
{
	struct policy_block *b = malloc(sizeof(*b));
	const char *err = NULL;
	struct xbuf in;
	size_t used, i;
	int rc;

	assert_non_null(b);
	xbuf_init(&in, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(xbuf_printf(&in, bad ? "n%zu\n" : "n%zu=v\n", i), 0);
	if (terminate)
		assert_int_equal(xbuf_append_char(&in, '\n'), 0);
	rc = policy_parse_block(in.data, in.len, b, &used, &err);
	if (rc == 1) {
		assert_int_equal(used, in.len);
		assert_int_equal(bad ? b->nbad : b->nattrs, n);
	}
	if (rc < 0)
		assert_string_equal(err, "too many attributes");
	xbuf_free(&in);
	free(b);
	return rc;
}

static void test_policy_parse_block_attr_bound(void **state)
{
	(void)state;
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS - 1, 0, 1), 1);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS, 0, 1), 1);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS + 1, 0, 1), -1);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS + 1, 0, 0), -1);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS, 0, 0), 0);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS, 1, 1), 1);
	assert_int_equal(block_with_lines(POLICY_MAX_ATTRS + 1, 1, 1), -1);
}

/* Every strict prefix of a complete block needs more input. */
static void test_policy_parse_block_prefixes(void **state)
{
	static const char in[] = "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\nbad\nsender=a@b\r\n\n";
	struct policy_block *b = malloc(sizeof(*b));
	const char *err;
	size_t used, n;

	(void)state;
	assert_non_null(b);
	for (n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(policy_parse_block(in, n, b, &used, &err), 0);
	assert_int_equal(policy_parse_block(in, n, b, &used, &err), 1);
	assert_int_equal(used, sizeof(in) - 1);
	assert_int_equal(b->nattrs, 3);
	assert_int_equal(b->nbad, 1);
	free(b);
}

/*
 * Replies, as Postfix reads them.
 */
struct reply_case {
	const char *name;
	const char *in;
	size_t in_len;
	int rc;
	size_t used;
	enum policy_reply_status status;
	const char *action;
	size_t action_len;
	int action_nul;
	size_t nattrs, nactions, nunknown, ncase;
};

static const struct reply_case reply_cases[] = {
	{ "dunno", S("action=DUNNO\n\n"), 1, 14, POLICY_REPLY_OK, S("DUNNO"),
	  0, 1, 1, 0, 0 },
	{ "empty input", S(""), 0, 0, POLICY_REPLY_MISSING_ACTION, S(""), 0,
	  0, 0, 0, 0 },
	{ "no terminator", S("action=DUNNO\n"), 0, 0, POLICY_REPLY_OK, S(""),
	  0, 0, 0, 0, 0 },
	{ "empty line only", S("\n"), 1, 1, POLICY_REPLY_MISSING_ACTION, S(""),
	  0, 0, 0, 0, 0 },
	{ "unknown only", S("foo=bar\n\n"), 1, 9,
	  POLICY_REPLY_MISSING_ACTION, S(""), 0, 1, 0, 1, 0 },
	{ "action empty value", S("action=\n\n"), 1, 9, POLICY_REPLY_OK, S(""),
	  0, 1, 1, 0, 0 },
	{ "action without equals", S("action\n\n"), 1, 7,
	  POLICY_REPLY_MALFORMED, S(""), 0, 1, 0, 0, 0 },
	{ "action without equals decides early", S("action\n"), 1, 7,
	  POLICY_REPLY_MALFORMED, S(""), 0, 1, 0, 0, 0 },
	{ "two actions: first wins", S("action=REJECT x\naction=OK\n\n"), 1,
	  27, POLICY_REPLY_OK, S("REJECT x"), 0, 2, 2, 0, 0 },
	{ "bare action after action skipped", S("action=OK\naction\n\n"), 1,
	  18, POLICY_REPLY_OK, S("OK"), 0, 2, 1, 1, 0 },
	{ "unknown before and after", S("x=1\naction=HOLD\ny\n\n"), 1, 19,
	  POLICY_REPLY_OK, S("HOLD"), 0, 3, 1, 2, 0 },
	{ "Action is unknown", S("Action=REJECT\n\n"), 1, 15,
	  POLICY_REPLY_MISSING_ACTION, S(""), 0, 1, 0, 1, 1 },
	{ "ACTION then action", S("ACTION=REJECT\naction=DUNNO\n\n"), 1, 28,
	  POLICY_REPLY_OK, S("DUNNO"), 0, 2, 1, 1, 1 },
	{ "space before equals", S("action =OK\n\n"), 1, 12,
	  POLICY_REPLY_MISSING_ACTION, S(""), 0, 1, 0, 1, 0 },
	{ "leading space", S(" action=OK\n\n"), 1, 12,
	  POLICY_REPLY_MISSING_ACTION, S(""), 0, 1, 0, 1, 0 },
	{ "crlf never ends", S("action=OK\r\n\r\n"), 0, 0, POLICY_REPLY_OK,
	  S(""), 0, 0, 0, 0, 0 },
	{ "crlf value then lf", S("action=OK\r\n\n"), 1, 12, POLICY_REPLY_OK,
	  S("OK\r"), 0, 1, 1, 0, 0 },
	{ "value with equals", S("action=FILTER a=b\n\n"), 1, 19,
	  POLICY_REPLY_OK, S("FILTER a=b"), 0, 1, 1, 0, 0 },
	{ "nul in value", S("action=OK\0x\n\n"), 1, 13, POLICY_REPLY_OK,
	  S("OK\0x"), 1, 1, 1, 0, 0 },
	{ "nul in name: C string", S("action\0x=OK\n\n"), 1, 13,
	  POLICY_REPLY_OK, S("OK"), 0, 1, 1, 0, 0 },
	{ "equals line", S("=x\naction=OK\n\n"), 1, 14, POLICY_REPLY_OK,
	  S("OK"), 0, 2, 1, 1, 0 },
	{ "extra bytes after block", S("action=OK\n\n\n"), 1, 11,
	  POLICY_REPLY_OK, S("OK"), 0, 1, 1, 0, 0 },
};

static void check_reply_case(const struct reply_case *c)
{
	struct policy_reply r;
	const char *err = NULL;
	size_t used = 0;
	int rc;

	rc = policy_parse_reply(c->in, c->in_len, &r, &used, &err);
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d", c->name, rc, c->rc);
	if (rc != 1)
		return;
	if (used != c->used)
		fail_msg("%s: used %zu, want %zu", c->name, used, c->used);
	if (r.status != c->status)
		fail_msg("%s: status %d, want %d", c->name, r.status, c->status);
	if (r.action.len != c->action_len ||
	    memcmp(r.action.p, c->action, c->action_len) != 0)
		fail_msg("%s: action '%.*s'", c->name, (int)r.action.len,
			 r.action.p);
	if (r.action_nul != c->action_nul)
		fail_msg("%s: action_nul %d", c->name, r.action_nul);
	if (r.nattrs != c->nattrs || r.nactions != c->nactions ||
	    r.nunknown != c->nunknown || r.ncase != c->ncase)
		fail_msg("%s: counts %zu/%zu/%zu/%zu, want %zu/%zu/%zu/%zu",
			 c->name, r.nattrs, r.nactions, r.nunknown, r.ncase,
			 c->nattrs, c->nactions, c->nunknown, c->ncase);
}

static void test_policy_parse_reply_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(reply_cases); i++)
		check_reply_case(&reply_cases[i]);
}

/* Every strict prefix of a reply needs more input. */
static void test_policy_parse_reply_prefixes(void **state)
{
	static const char in[] = "x=1\nAction=NO\naction=DEFER_IF_PERMIT y\n"
	    "action=OK\n\n";
	struct policy_reply r;
	const char *err;
	size_t used, n;

	(void)state;
	for (n = 0; n < sizeof(in) - 1; n++)
		assert_int_equal(policy_parse_reply(in, n, &r, &used, &err), 0);
	assert_int_equal(policy_parse_reply(in, n, &r, &used, &err), 1);
	assert_int_equal(r.status, POLICY_REPLY_OK);
	assert_true(strview_eq(r.action, "DEFER_IF_PERMIT y"));
}

/*
 * Formatters.
 */
static void test_policy_format_attr(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(policy_format_attr(&b, "request", "smtpd_access_policy",
					    19), 0);
	assert_int_equal(policy_format_attr(&b, "sender", "", 0), 0);
	assert_int_equal(policy_format_attr(&b, "x", NULL, 0), 0);
	assert_int_equal(policy_format_attr(&b, "v", "a=b\r", 4), 0);
	assert_string_equal(xbuf_cstr(&b), "request=smtpd_access_policy\n"
			    "sender=\nx=\nv=a=b\r\n");
	assert_int_equal(policy_format_attr(&b, "", "v", 1), -1);
	assert_int_equal(policy_format_attr(&b, "a=b", "v", 1), -1);
	assert_int_equal(policy_format_attr(&b, "a\nb", "v", 1), -1);
	assert_int_equal(policy_format_attr(&b, "a", "v\n", 2), -1);
	assert_int_equal(policy_format_attr(&b, "a", "v\0w", 3), -1);
	assert_int_equal(policy_format_attr(&b, "a", NULL, 1), -1);
	assert_string_equal(xbuf_cstr(&b), "request=smtpd_access_policy\n"
			    "sender=\nx=\nv=a=b\r\n");
	xbuf_free(&b);
}

static void test_policy_format_block_roundtrip(void **state)
{
	struct policy_attr a[3];
	struct policy_block *blk = malloc(sizeof(*blk));
	const char *err;
	struct xbuf b;
	size_t used, max;

	(void)state;
	assert_non_null(blk);
	a[0].name = strview_make("request", 7);
	a[0].value = strview_make("smtpd_access_policy", 19);
	a[1].name = strview_make("sender", 6);
	a[1].value = strview_make("", 0);
	a[2].name = strview_make("request", 7);
	a[2].value = strview_make("x=y", 3);
	xbuf_init(&b, 0);
	assert_int_equal(policy_format_block(&b, a, 3), 0);
	assert_int_equal(policy_parse_block(b.data, b.len, blk, &used, &err), 1);
	assert_int_equal(used, b.len);
	assert_int_equal(blk->nattrs, 3);
	assert_true(strview_eq(blk->attrs[2].value, "x=y"));
	assert_true(strview_eq(policy_find(blk, "request",
					   POLICY_DUP_FIRST)->value,
			       "smtpd_access_policy"));
	xbuf_reset(&b);
	assert_int_equal(policy_format_block(&b, NULL, 0), 0);
	assert_string_equal(xbuf_cstr(&b), "\n");
	/* a bad name anywhere writes nothing */
	xbuf_reset(&b);
	a[1].name = strview_make("se=nder", 7);
	assert_int_equal(policy_format_block(&b, a, 3), -1);
	assert_int_equal(b.len, 0);
	xbuf_free(&b);
	/* output bound: all or nothing. "a=b\n\n" is 5 bytes */
	a[0].name = strview_make("a", 1);
	a[0].value = strview_make("b", 1);
	for (max = 1; max <= 6; max++) {
		xbuf_init(&b, max);
		assert_int_equal(policy_format_block(&b, a, 1),
				 max >= 5 ? 0 : -1);
		assert_int_equal(b.len, max >= 5 ? 5 : 0);
		xbuf_free(&b);
	}
	free(blk);
}

static void test_policy_format_reply_roundtrip(void **state)
{
	struct policy_reply r;
	const char *err;
	struct xbuf b;
	size_t used, max;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(policy_format_reply(&b, "REJECT no thanks", 16), 0);
	assert_string_equal(xbuf_cstr(&b), "action=REJECT no thanks\n\n");
	assert_int_equal(policy_parse_reply(b.data, b.len, &r, &used, &err), 1);
	assert_int_equal(used, b.len);
	assert_int_equal(r.status, POLICY_REPLY_OK);
	assert_true(strview_eq(r.action, "REJECT no thanks"));
	xbuf_reset(&b);
	assert_int_equal(policy_format_reply(&b, "", 0), 0);
	assert_string_equal(xbuf_cstr(&b), "action=\n\n");
	assert_int_equal(policy_format_reply(&b, "a\nb", 3), -1);
	assert_int_equal(policy_format_reply(&b, "a\0b", 3), -1);
	assert_int_equal(b.len, 9);
	xbuf_free(&b);
	/* "action=OK\n\n" is 11 bytes */
	for (max = 5; max <= 12; max++) {
		xbuf_init(&b, max);
		assert_int_equal(policy_format_reply(&b, "OK", 2),
				 max >= 11 ? 0 : -1);
		assert_int_equal(b.len, max >= 11 ? 11 : 0);
		xbuf_free(&b);
	}
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

/* random_input - n bytes from tokens that matter to the grammar */
static size_t random_input(char *buf, size_t cap, uint32_t *rng)
{
	static const char *const tokens[] = {
		"\n", "\n", "\n", "=", "a", "action", "action=", "Action=",
		"\r", "", "x=y\n", "action=OK\n",
	};
	size_t n = 0, want = xorshift32(rng) % cap;

	while (n < want) {
		const char *t = tokens[xorshift32(rng) % N_ELEMENTS(tokens)];
		size_t k = t[0] == '\0' ? 1 : strlen(t);

		if (k > cap - n)
			break;
		memcpy(buf + n, t, k);	/* "" stands for one NUL byte */
		n += k;
	}
	return n;
}

/*
 * Random inputs: whatever the bytes, a complete reply is decided at
 * an LF, every shorter prefix asks for more, the prefix of used bytes
 * alone gives the same answer, and the action points at the value of
 * a line whose name (as a C string) is "action".
 */
static void test_policy_parse_reply_random(void **state)
{
	uint32_t rng = 0xdecafbadu;
	char buf[200];
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		size_t n = random_input(buf, sizeof(buf), &rng);
		struct policy_reply r, r2;
		const char *err;
		size_t used = 0, used2 = 0, k;
		int rc;

		rc = policy_parse_reply(buf, n, &r, &used, &err);
		assert_true(rc == 0 || rc == 1);
		if (rc == 0) {
			/* undecided: no empty line anywhere */
			assert_true(n == 0 || buf[0] != '\n');
			for (k = 1; k < n; k++)
				assert_false(buf[k] == '\n' &&
					     buf[k - 1] == '\n');
			continue;
		}
		assert_true(used >= 1 && used <= n);
		assert_int_equal(buf[used - 1], '\n');
		for (k = 0; k < used; k++)
			assert_int_equal(policy_parse_reply(buf, k, &r2, &used2,
							    &err), 0);
		assert_int_equal(policy_parse_reply(buf, used, &r2, &used2,
						    &err), 1);
		assert_int_equal(used2, used);
		assert_int_equal(r2.status, r.status);
		assert_true(r.nactions <= r.nattrs);
		assert_true(r.ncase <= r.nunknown);
		if (r.status == POLICY_REPLY_OK) {
			const char *ls = r.action.p - 1;

			assert_true(r.action.p > buf);
			assert_true(r.action.p + r.action.len < buf + used);
			assert_int_equal(r.action.p[r.action.len], '\n');
			assert_int_equal(r.action.p[-1], '=');
			/* back to the start of the action's line */
			while (ls > buf && ls[-1] != '\n')
				ls--;
			assert_null(memchr(ls, '=', (size_t)(r.action.p - 1 - ls)));
			assert_true(r.action.p - 1 - ls >= 6);
			assert_int_equal(memcmp(ls, "action", 6), 0);
			assert_true(ls[6] == '=' || ls[6] == '\0');
			assert_true(r.nactions >= 1);
			/* ends with an empty line */
			assert_true(used >= 2 && buf[used - 2] == '\n');
		} else if (r.status == POLICY_REPLY_MISSING_ACTION) {
			assert_int_equal(r.nactions, 0);
			assert_true(used == 1 || buf[used - 2] == '\n');
		} else {
			assert_int_equal(r.nactions, 0);
			assert_true(used >= 7);
		}
	}
}

/*
 * Random inputs for the request side: on a complete block the lines
 * before the empty one are exactly the attributes plus the bad lines,
 * and every attribute splits its line at the first "=".
 */
static void test_policy_parse_block_random(void **state)
{
	struct policy_block *b = malloc(sizeof(*b));
	uint32_t rng = 0x0badf00du;
	char buf[200];
	int round;

	(void)state;
	assert_non_null(b);
	for (round = 0; round < 3000; round++) {
		size_t n = random_input(buf, sizeof(buf), &rng);
		size_t used = 0, lines = 0, i;
		const char *err;
		int rc;

		rc = policy_parse_block(buf, n, b, &used, &err);
		assert_true(rc == 0 || rc == 1);
		if (rc == 0) {
			/* no empty line anywhere at a line start */
			assert_true(n == 0 || buf[0] != '\n');
			for (i = 1; i < n; i++)
				assert_false(buf[i] == '\n' &&
					     buf[i - 1] == '\n');
			continue;
		}
		assert_int_equal(buf[used - 1], '\n');
		for (i = 0; i + 1 < used; i++)
			lines += buf[i] == '\n';
		assert_int_equal(b->nattrs + b->nbad, lines);
		for (i = 0; i < b->nattrs; i++) {
			const struct policy_attr *a = &b->attrs[i];

			assert_null(memchr(a->name.p, '=', a->name.len));
			assert_int_equal(a->name.p[a->name.len], '=');
			assert_ptr_equal(a->value.p, a->name.p + a->name.len + 1);
			assert_int_equal(a->value.p[a->value.len], '\n');
			assert_true(a->name.p == buf || a->name.p[-1] == '\n');
			assert_int_equal(a->value_nul,
					 memchr(a->value.p, '\0',
						a->value.len) != NULL);
		}
	}
	free(b);
}

/*
 * policy_scan_block fed in random pieces agrees with one call of
 * policy_parse_block on the whole input: same answer, same used,
 * same error; and its position only moves forward.
 */
static void test_policy_scan_block_random(void **state)
{
	struct policy_block *b = malloc(sizeof(*b));
	uint32_t rng = 0x5ca1ab1eu;
	char buf[200];
	int round;

	(void)state;
	assert_non_null(b);
	for (round = 0; round < 3000; round++) {
		size_t n = random_input(buf, sizeof(buf), &rng);
		const char *err1 = NULL, *err2 = NULL;
		size_t used1 = 0, used2 = 0, have = 0, last = 0;
		struct policy_scan sc;
		int rc1, rc2 = 0;

		rc1 = policy_parse_block(buf, n, b, &used1, &err1);
		policy_scan_init(&sc);
		while (have < n) {
			have += 1 + xorshift32(&rng) % 7;
			if (have > n)
				have = n;
			rc2 = policy_scan_block(&sc, buf, have, &used2, &err2);
			assert_true(sc.pos >= last);
			last = sc.pos;
			if (rc2 != 0)
				break;
		}
		if (n == 0)
			rc2 = policy_scan_block(&sc, buf, 0, &used2, &err2);
		assert_int_equal(rc2, rc1);
		if (rc1 == 1)
			assert_int_equal(used2, used1);
	}
	free(b);
}

/* The bounds of policy_scan_block are those of policy_parse_block. */
static void test_policy_scan_block_bounds(void **state)
{
	struct policy_scan sc;
	const char *err = NULL;
	struct xbuf in;
	size_t used, i;
	char *line = malloc(POLICY_MAX_LINE + 2);

	(void)state;
	assert_non_null(line);
	memset(line, 'v', POLICY_MAX_LINE + 1);
	line[0] = 'n';
	line[1] = '=';
	/* a line of POLICY_MAX_LINE bytes, then of one more */
	xbuf_init(&in, 0);
	assert_int_equal(xbuf_append(&in, line, POLICY_MAX_LINE), 0);
	policy_scan_init(&sc);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), 0);
	assert_int_equal(xbuf_append_str(&in, "\n\n"), 0);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), 1);
	assert_int_equal(used, in.len);
	xbuf_reset(&in);
	assert_int_equal(xbuf_append(&in, line, POLICY_MAX_LINE + 1), 0);
	policy_scan_init(&sc);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), -1);
	assert_string_equal(err, "line too long");
	/* POLICY_MAX_ATTRS lines fit, one more does not */
	xbuf_reset(&in);
	for (i = 0; i < POLICY_MAX_ATTRS; i++)
		assert_int_equal(xbuf_append_str(&in, "a=b\n"), 0);
	policy_scan_init(&sc);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), 0);
	assert_int_equal(sc.lines, POLICY_MAX_ATTRS);
	assert_int_equal(sc.pos, in.len);
	assert_int_equal(xbuf_append_str(&in, "bad\n"), 0);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), -1);
	assert_string_equal(err, "too many attributes");
	xbuf_truncate(&in, in.len - 4);
	assert_int_equal(xbuf_append_char(&in, '\n'), 0);
	policy_scan_init(&sc);
	assert_int_equal(policy_scan_block(&sc, in.data, in.len, &used, &err), 1);
	assert_int_equal(used, in.len);
	xbuf_free(&in);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse_block_table),
		cmocka_unit_test(test_policy_parse_block_bad_lines),
		cmocka_unit_test(test_policy_find_duplicates),
		cmocka_unit_test(test_policy_parse_block_line_bound),
		cmocka_unit_test(test_policy_parse_block_attr_bound),
		cmocka_unit_test(test_policy_parse_block_prefixes),
		cmocka_unit_test(test_policy_parse_reply_table),
		cmocka_unit_test(test_policy_parse_reply_prefixes),
		cmocka_unit_test(test_policy_format_attr),
		cmocka_unit_test(test_policy_format_block_roundtrip),
		cmocka_unit_test(test_policy_format_reply_roundtrip),
		cmocka_unit_test(test_policy_parse_reply_random),
		cmocka_unit_test(test_policy_parse_block_random),
		cmocka_unit_test(test_policy_scan_block_random),
		cmocka_unit_test(test_policy_scan_block_bounds),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
