/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_escape - unit tests for util/escape
 * DESCRIPTION
 *	The rendering of every byte class, escape_append() with and
 *	without max_in and at out's bound (all or nothing), and
 *	escape_for_log() truncation for every destination size around
 *	the exact fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/compiler.h"
#include "util/escape.h"
#include "util/xbuf.h"

#define S(s)	s, sizeof(s) - 1

struct render_case {
	const char *in;
	size_t in_len;
	const char *want;
};

static const struct render_case render_cases[] = {
	{ S(""), "" },
	{ S("abc XYZ ~"), "abc XYZ ~" },
	{ S("a\\b"), "a\\\\b" },
	{ S("\t\r\n"), "\\t\\r\\n" },
	{ S("\0\001\037\177\200\377"), "\\x00\\x01\\x1f\\x7f\\x80\\xff" },
	{ S("\001t"), "\\x01t" },
};

static void test_escape_append_table(void **state)
{
	struct xbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(render_cases); i++) {
		const struct render_case *c = &render_cases[i];

		xbuf_init(&b, 0);
		assert_int_equal(escape_append(&b, c->in, c->in_len, 0), 0);
		assert_string_equal(xbuf_cstr(&b), c->want);
		xbuf_free(&b);
	}
}

static void test_escape_append_max_in(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(escape_append(&b, "abcdef", 6, 4), 0);
	assert_string_equal(xbuf_cstr(&b), "abcd...(2 more bytes)");
	xbuf_reset(&b);
	assert_int_equal(escape_append(&b, "abc", 3, 3), 0);
	assert_string_equal(xbuf_cstr(&b), "abc");
	xbuf_reset(&b);
	assert_int_equal(escape_append(&b, "abc", 3, 10), 0);
	assert_string_equal(xbuf_cstr(&b), "abc");
	xbuf_free(&b);
}

static void test_escape_append_bound(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 6);
	assert_int_equal(xbuf_append_str(&b, "x"), 0);
	/* "a\tb" renders as 4 bytes: 5 fits, then "\n" (2) does not */
	assert_int_equal(escape_append(&b, "a\tb", 3, 0), 0);
	assert_int_equal(escape_append(&b, "\n", 1, 0), -1);
	assert_string_equal(xbuf_cstr(&b), "xa\\tb");
	/* the tail note does not fit: nothing is added */
	assert_int_equal(escape_append(&b, "zz", 2, 1), -1);
	assert_string_equal(xbuf_cstr(&b), "xa\\tb");
	xbuf_free(&b);
}

static void test_escape_for_log_sizes(void **state)
{
	char dst[32];

	(void)state;
	/* "abc" needs 4 bytes with its NUL */
	assert_string_equal(escape_for_log(dst, 4, "abc", 3), "abc");
	assert_string_equal(escape_for_log(dst, 5, "abc", 3), "abc");
	assert_string_equal(escape_for_log(dst, 3, "abc", 3), "");
	assert_string_equal(escape_for_log(dst, 1, "abc", 3), "");
	/* "abcdef" (7 with NUL): one byte short gives "ab..." */
	assert_string_equal(escape_for_log(dst, 7, "abcdef", 6), "abcdef");
	assert_string_equal(escape_for_log(dst, 6, "abcdef", 6), "ab...");
	assert_string_equal(escape_for_log(dst, 8, "abcdefghij", 10),
			    "abcd...");
	/* an escape is never cut in half */
	assert_string_equal(escape_for_log(dst, 9, "ab\377cdefgh", 9),
			    "ab...");
	assert_string_equal(escape_for_log(dst, 10, "ab\377cdefgh", 9),
			    "ab\\xff...");
	assert_string_equal(escape_for_log(dst, sizeof(dst), "\t", 1), "\\t");
	assert_string_equal(escape_for_log(dst, sizeof(dst), "", 0), "");
	/* dstsize 0 writes nothing */
	dst[0] = 'q';
	assert_ptr_equal(escape_for_log(dst, 0, "abc", 3), dst);
	assert_int_equal(dst[0], 'q');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_append_table),
		cmocka_unit_test(test_escape_append_max_in),
		cmocka_unit_test(test_escape_append_bound),
		cmocka_unit_test(test_escape_for_log_sizes),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
