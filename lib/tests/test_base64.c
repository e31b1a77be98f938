/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_base64 - base64 encode, strict and Dovecot decode, Postfix charset
 * DESCRIPTION
 *	Table-driven: the RFC 4648 section 10 vectors both ways, every
 *	error kind of the strict decoder, the rows where Dovecot's decoder
 *	(src/lib/base64.c) differs from strict RFC 4648, Postfix's
 *	is_valid_base64 charset rule, and random round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/base64.h"

struct vector {
	const char *plain;
	const char *enc;
};

/* RFC 4648 section 10 */
static const struct vector rfc_vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_base64_rfc4648_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		struct xbuf b;

		xbuf_init(&b, 0);
		assert_int_equal(base64_encode(rfc_vectors[i].plain,
					       strlen(rfc_vectors[i].plain), &b), 0);
		assert_string_equal(xbuf_cstr(&b), rfc_vectors[i].enc);
		assert_int_equal(b.len, base64_encoded_len(strlen(rfc_vectors[i].plain)));
		xbuf_free(&b);
	}
}

static void test_base64_rfc4648_decode_both_modes(void **state)
{
	size_t i;
	unsigned mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
			struct xbuf b;
			const char *err = NULL;

			xbuf_init(&b, 0);
			if (base64_decode(rfc_vectors[i].enc, strlen(rfc_vectors[i].enc),
					  mode ? BASE64_DOVECOT : 0, &b, &err) != 0)
				fail_msg("%s (mode %u): %s", rfc_vectors[i].enc, mode, err);
			assert_int_equal(b.len, strlen(rfc_vectors[i].plain));
			assert_memory_equal(xbuf_cstr(&b), rfc_vectors[i].plain, b.len);
			xbuf_free(&b);
		}
	}
}

struct decode_case {
	const char *name;
	const char *in;
	int strict_rc;			/* 0 ok, -1 error */
	const char *strict_err;		/* expected error text, or NULL */
	int dovecot_rc;
	const char *out;		/* expected output when rc 0 (both) */
};

static const struct decode_case decode_cases[] = {
	{ "unpadded 2", "YQ", -1, "missing padding", -1, NULL },
	{ "unpadded 3", "YWI", -1, "missing padding", -1, NULL },
	{ "single char", "Y", -1, "missing padding", -1, NULL },
	{ "one pad of two", "YQ=", -1, "missing padding", -1, NULL },
	{ "pad at group start", "=", -1, "misplaced padding", -1, NULL },
	{ "pad after full group", "YWJj=", -1, "misplaced padding", -1, NULL },
	{ "pad after 1 char", "Y===", -1, "misplaced padding", -1, NULL },
	{ "three pads", "YQ===", -1, "data after padding", -1, NULL },
	{ "data after padding", "YQ==YWJj", -1, "data after padding", -1, NULL },
	{ "char between pads", "YQ=A=", -1, "data after padding", -1, NULL },
	{ "bad char", "YW!j", -1, "invalid character", -1, NULL },
	{ "url alphabet", "YW-j", -1, "invalid character", -1, NULL },
	{ "NUL inside", "YW\0j", -1, "invalid character", -1, NULL },
	{ "non-zero pad bits 1", "YR==", -1, "non-zero pad bits", 0, "a" },
	{ "non-zero pad bits 2", "YWJ=", -1, "non-zero pad bits", 0, "ab" },
	{ "zero pad bits", "YWI=", 0, NULL, 0, "ab" },
	{ "space inside", "YW Jj", -1, "invalid character", 0, "abc" },
	{ "CRLF at end", "YWJj\r\n", -1, "invalid character", 0, "abc" },
	{ "LF inside padding", "YQ=\n=", -1, "invalid character", 0, "a" },
	{ "TAB before data", "\tYWJj", -1, "invalid character", 0, "abc" },
	{ "only white space", " \r\n\t", -1, "invalid character", 0, "" },
	{ "white space after padding", "YQ== ", -1, "invalid character", 0, "a" },
	{ "plus and slash", "+/+/", 0, NULL, 0, "\xfb\xff\xbf" },
};

static void test_base64_decode_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];
		size_t inlen = strcmp(c->name, "NUL inside") == 0 ? 4 : strlen(c->in);
		struct xbuf b;
		const char *err = NULL;
		int rc;

		xbuf_init(&b, 0);
		rc = base64_decode(c->in, inlen, 0, &b, &err);
		if (rc != c->strict_rc)
			fail_msg("%s: strict rc %d, want %d", c->name, rc, c->strict_rc);
		if (rc < 0 && c->strict_err != NULL && strcmp(err, c->strict_err) != 0)
			fail_msg("%s: strict error \"%s\", want \"%s\"", c->name, err, c->strict_err);
		if (rc == 0 && (b.len != strlen(c->out) || memcmp(b.data, c->out, b.len) != 0))
			fail_msg("%s: strict output differs", c->name);
		xbuf_reset(&b);
		rc = base64_decode(c->in, inlen, BASE64_DOVECOT, &b, &err);
		if (rc != c->dovecot_rc)
			fail_msg("%s: dovecot rc %d, want %d", c->name, rc, c->dovecot_rc);
		if (rc == 0 && (b.len != strlen(c->out) || (b.len && memcmp(b.data, c->out, b.len) != 0)))
			fail_msg("%s: dovecot output differs", c->name);
		xbuf_free(&b);
	}
}

static void test_base64_output_bound(void **state)
{
	struct xbuf b;
	const char *err = NULL;

	(void)state;
	xbuf_init(&b, 2);	/* "abc" needs 3 */
	assert_int_equal(base64_decode("YWJj", 4, 0, &b, &err), -1);
	assert_string_equal(err, "output too long");
	xbuf_free(&b);
	xbuf_init(&b, 3);
	assert_int_equal(base64_encode("ab", 2, &b), -1);	/* needs 4 */
	assert_int_equal(b.len, 0);
	assert_int_equal(base64_encode("a", 0, &b), 0);
	assert_int_equal(b.len, 0);
	xbuf_free(&b);
	xbuf_init(&b, 1);
	assert_int_equal(base64_decode("YQ==", 4, 0, &b, &err), 0);
	assert_int_equal(base64_decode("YQ==", 4, 0, &b, &err), -1);
	assert_string_equal(err, "output too long");
	xbuf_reset(&b);
	assert_int_equal(base64_decode("YWI=", 4, 0, &b, &err), -1);
	xbuf_free(&b);
}

struct charset_case {
	const char *in;
	int ok;
};

static void test_base64_postfix_charset(void **state)
{
	static const struct charset_case cases[] = {
		{ "", 1 }, { "=", 1 }, { "==", 1 }, { "YQ", 1 }, { "Y=Q=", 1 },
		{ "AZaz09+/", 1 }, { "YQ== ", 0 }, { "YQ\r", 0 }, { "*", 0 },
		{ "YW-j", 0 }, { "YW_j", 0 }, { "\xc3\xa9", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (base64_charset_ok(cases[i].in, strlen(cases[i].in)) != cases[i].ok)
			fail_msg("charset \"%s\": want %d", cases[i].in, cases[i].ok);
	assert_int_equal(base64_charset_ok("YQ\0=", 4), 0);
}

static void test_base64_random_round_trip(void **state)
{
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		unsigned char in[70];
		size_t n = (size_t)(round % 70);
		size_t i;
		struct xbuf enc, dec;
		const char *err = NULL;

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)(seed >> 16);
		}
		xbuf_init(&enc, 0);
		xbuf_init(&dec, 0);
		assert_int_equal(base64_encode(in, n, &enc), 0);
		assert_int_equal(enc.len, base64_encoded_len(n));
		assert_true(base64_charset_ok(enc.data ? enc.data : "", enc.len));
		assert_int_equal(base64_decode(xbuf_cstr(&enc), enc.len, 0, &dec, &err), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.data, in, n);
		xbuf_reset(&dec);
		assert_int_equal(base64_decode(xbuf_cstr(&enc), enc.len, BASE64_DOVECOT, &dec, &err), 0);
		assert_int_equal(dec.len, n);
		xbuf_free(&enc);
		xbuf_free(&dec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648_encode),
		cmocka_unit_test(test_base64_rfc4648_decode_both_modes),
		cmocka_unit_test(test_base64_decode_table),
		cmocka_unit_test(test_base64_output_bound),
		cmocka_unit_test(test_base64_postfix_charset),
		cmocka_unit_test(test_base64_random_round_trip),
	};

	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
