/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_xbuf - unit tests for util/xbuf
 * DESCRIPTION
 *	Appends at max-1/max/max+1, all-or-nothing printf, growth across
 *	the initial capacity, embedded NUL, consume/truncate/reset, the
 *	default bound, and the SIZE_MAX edge of the length check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/xbuf.h"

static void test_xbuf_append_bound(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 8);
	assert_string_equal(xbuf_cstr(&b), "");
	assert_int_equal(xbuf_append(&b, "1234567", 7), 0);	/* max-1 */
	assert_int_equal(xbuf_append(&b, "89", 2), -1);		/* max+1 */
	assert_int_equal(b.len, 7);
	assert_string_equal(b.data, "1234567");
	assert_int_equal(xbuf_append_char(&b, '8'), 0);		/* max */
	assert_int_equal(b.len, 8);
	assert_int_equal(xbuf_append_char(&b, '9'), -1);
	assert_int_equal(xbuf_append(&b, "", 0), 0);
	assert_int_equal(xbuf_append_str(&b, "x"), -1);
	assert_string_equal(xbuf_cstr(&b), "12345678");
	assert_true(b.cap >= 9);
	xbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* the buffer stays usable after free */
	assert_int_equal(xbuf_append_str(&b, "ok"), 0);
	assert_string_equal(xbuf_cstr(&b), "ok");
	xbuf_free(&b);
}

static void test_xbuf_append_grows(void **state)
{
	char chunk[100];
	struct xbuf b;
	size_t i;

	(void)state;
	memset(chunk, 'z', sizeof(chunk));
	xbuf_init(&b, 0);
	assert_int_equal(b.max, XBUF_MAX_DEFAULT);
	for (i = 0; i < 1000; i++)
		assert_int_equal(xbuf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[99999], 'z');
	xbuf_free(&b);
}

static void test_xbuf_embedded_nul(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 16);
	assert_int_equal(xbuf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);	/* and the safety NUL */
	xbuf_free(&b);
}

static void test_xbuf_printf_all_or_nothing(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 10);
	assert_int_equal(xbuf_printf(&b, "%s-%d", "ab", 12), 0);
	assert_string_equal(xbuf_cstr(&b), "ab-12");
	/* 5 + 6 = 11 > 10: nothing is written */
	assert_int_equal(xbuf_printf(&b, "%06d", 7), -1);
	assert_string_equal(xbuf_cstr(&b), "ab-12");
	/* exactly to max */
	assert_int_equal(xbuf_printf(&b, "%05d", 7), 0);
	assert_string_equal(xbuf_cstr(&b), "ab-1200007");
	assert_int_equal(xbuf_printf(&b, "%s", ""), 0);
	assert_int_equal(xbuf_printf(&b, "x"), -1);
	assert_int_equal(b.len, 10);
	xbuf_free(&b);
	/* printf into a fresh buffer allocates */
	xbuf_init(&b, 0);
	assert_int_equal(xbuf_printf(&b, "%s", ""), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	xbuf_free(&b);
}

static void test_xbuf_consume_truncate_reset(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(xbuf_append_str(&b, "hello world"), 0);
	xbuf_consume(&b, 0);
	assert_string_equal(b.data, "hello world");
	xbuf_consume(&b, 6);
	assert_string_equal(b.data, "world");
	assert_int_equal(b.len, 5);
	xbuf_truncate(&b, 3);
	assert_string_equal(b.data, "wor");
	xbuf_truncate(&b, 3);
	assert_int_equal(b.len, 3);
	xbuf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(xbuf_append_str(&b, "again"), 0);
	xbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(xbuf_cstr(&b), "");
	assert_non_null(b.data);
	xbuf_free(&b);
	/* reset and truncate(0) on a buffer that never allocated */
	xbuf_init(&b, 0);
	xbuf_reset(&b);
	xbuf_truncate(&b, 0);
	assert_null(b.data);
	xbuf_free_wipe(&b);
}

static void test_xbuf_free_wipe(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(xbuf_append_str(&b, "secret"), 0);
	xbuf_free_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void test_xbuf_reserve_limits(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 4);
	assert_int_equal(xbuf_reserve(&b, 4), 0);
	assert_true(b.cap >= 5);
	assert_int_equal(xbuf_reserve(&b, 5), -1);
	assert_int_equal(xbuf_reserve(&b, (size_t)-1), -1);
	xbuf_free(&b);
	/* max at SIZE_MAX: len + add + 1 would wrap; refused, not "done" */
	xbuf_init(&b, (size_t)-1);
	assert_int_equal(xbuf_reserve(&b, (size_t)-1), -1);
	assert_null(b.data);
	xbuf_free(&b);
}

/* regression: storage from xbuf_reserve alone must read as "" */
static void test_xbuf_reserve_keeps_nul(void **state)
{
	struct xbuf b;

	(void)state;
	xbuf_init(&b, 0);
	assert_int_equal(xbuf_reserve(&b, 10), 0);
	assert_non_null(b.data);
	assert_string_equal(xbuf_cstr(&b), "");
	assert_int_equal(xbuf_append(&b, "ab", 2), 0);
	assert_int_equal(xbuf_reserve(&b, 1000), 0);	/* realloc keeps it */
	assert_string_equal(xbuf_cstr(&b), "ab");
	xbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xbuf_append_bound),
		cmocka_unit_test(test_xbuf_append_grows),
		cmocka_unit_test(test_xbuf_embedded_nul),
		cmocka_unit_test(test_xbuf_printf_all_or_nothing),
		cmocka_unit_test(test_xbuf_consume_truncate_reset),
		cmocka_unit_test(test_xbuf_free_wipe),
		cmocka_unit_test(test_xbuf_reserve_limits),
		cmocka_unit_test(test_xbuf_reserve_keeps_nul),
	};

	return cmocka_run_group_tests_name("xbuf", tests, NULL, NULL);
}
