/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_strnum - unit tests for util/strnum
 * DESCRIPTION
 *	Strict decimal parsing (str_to_uint, str_to_ulong, str_to_uint64)
 *	from a table with the overflow edges, and str_strtoul_loose()
 *	compared both with a table of fixed answers and with the C
 *	library's strtoul(s, NULL, 0) on the same strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/strnum.h"

#define S(s)	s, sizeof(s) - 1

struct strict_case {
	const char *in;
	size_t in_len;
	int rc_uint;		/* str_to_uint */
	unsigned int want_uint;
	int rc_u64;		/* str_to_uint64 */
	uint64_t want_u64;
};

static const struct strict_case strict_cases[] = {
	{ S(""), -1, 0, -1, 0 },
	{ S("0"), 0, 0, 0, 0 },
	{ S("01"), 0, 1, 0, 1 },
	{ S("00000000000000000000000042"), 0, 42, 0, 42 },
	{ S("4294967295"), 0, 4294967295u, 0, 4294967295u },
	{ S("4294967296"), -1, 0, 0, 4294967296u },
	{ S("18446744073709551615"), -1, 0, 0, UINT64_MAX },
	{ S("18446744073709551616"), -1, 0, -1, 0 },
	{ S("99999999999999999999"), -1, 0, -1, 0 },
	{ S("+1"), -1, 0, -1, 0 },
	{ S("-1"), -1, 0, -1, 0 },
	{ S(" 1"), -1, 0, -1, 0 },
	{ S("1 "), -1, 0, -1, 0 },
	{ S("1a"), -1, 0, -1, 0 },
	{ S("0x1"), -1, 0, -1, 0 },
	{ S("1\0"), -1, 0, -1, 0 },
	{ S("\xb9"), -1, 0, -1, 0 },	/* superscript one in Latin-1 */
};

static void test_strnum_strict_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(strict_cases); i++) {
		const struct strict_case *c = &strict_cases[i];
		unsigned int u = 777;
		uint64_t v = 777;
		int rc;

		rc = str_to_uint(c->in, c->in_len, &u);
		if (rc != c->rc_uint || (rc == 0 && u != c->want_uint) ||
		    (rc < 0 && u != 777))
			fail_msg("uint '%s': rc %d val %u", c->in, rc, u);
		rc = str_to_uint64(c->in, c->in_len, &v);
		if (rc != c->rc_u64 || (rc == 0 && v != c->want_u64) ||
		    (rc < 0 && v != 777))
			fail_msg("uint64 '%s': rc %d", c->in, rc);
	}
}

static void test_strnum_strict_bounds(void **state)
{
	char digits[66];
	unsigned long ul = 0;
	uint64_t v;

	(void)state;
	/* the length is honoured: "12" inside "123" */
	assert_int_equal(str_to_ulong("123", 2, &ul), 0);
	assert_int_equal(ul, 12);
	assert_int_equal(str_to_ulong("18446744073709551615", 20, &ul),
			 ULONG_MAX == UINT64_MAX ? 0 : -1);
	/* at most 64 digits, even of leading zeros */
	memset(digits, '0', sizeof(digits));
	digits[63] = '7';
	assert_int_equal(str_to_uint64(digits, 64, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(str_to_uint64(digits, 65, &v), -1);
}

struct loose_case {
	const char *in;
	size_t in_len;
	unsigned long want;
};

static const struct loose_case loose_cases[] = {
	{ S("1"), 1 },
	{ S("0x1"), 1 },
	{ S("0X1f"), 31 },
	{ S("0xAbC"), 2748 },
	{ S("0xZ"), 0 },
	{ S("01"), 1 },
	{ S("010"), 8 },
	{ S("09"), 0 },
	{ S(" 1"), 1 },
	{ S("\t\n\v\f\r 7"), 7 },
	{ S("1abc"), 1 },
	{ S("0x"), 0 },
	{ S("0xg"), 0 },
	{ S(""), 0 },
	{ S("abc"), 0 },
	{ S("+5"), 5 },
	{ S("-1"), ULONG_MAX },
	{ S("-0"), 0 },
	{ S("- 1"), 0 },
	{ S("+-1"), 0 },
	{ S("18446744073709551615"), 18446744073709551615ul },
	{ S("18446744073709551616"), ULONG_MAX },
	{ S("99999999999999999999999"), ULONG_MAX },
	{ S("-99999999999999999999999"), ULONG_MAX },
	{ S("0xffffffffffffffff"), 18446744073709551615ul },
	{ S("0x10000000000000000"), ULONG_MAX },
};

static void test_strnum_loose_table(void **state)
{
	char tmp[64];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMENTS(loose_cases); i++) {
		const struct loose_case *c = &loose_cases[i];
		unsigned long got = str_strtoul_loose(c->in, c->in_len);

		if (got != c->want)
			fail_msg("loose '%s': %lu, want %lu", c->in, got,
				 c->want);
		/* and the same as the C library on a terminated copy */
		memcpy(tmp, c->in, c->in_len);
		tmp[c->in_len] = '\0';
		if (got != strtoul(tmp, NULL, 0))
			fail_msg("loose '%s': %lu, strtoul %lu", c->in, got,
				 strtoul(tmp, NULL, 0));
	}
}

static void test_strnum_loose_bounded(void **state)
{
	(void)state;
	/* the input need not be terminated: only len bytes are read */
	assert_int_equal(str_strtoul_loose("123456", 3), 123);
	assert_int_equal(str_strtoul_loose("0x1f", 3), 1);
	assert_int_equal(str_strtoul_loose("0x1f", 2), 0);
	assert_int_equal(str_strtoul_loose("   ", 3), 0);
	assert_int_equal(str_strtoul_loose("-", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strnum_strict_table),
		cmocka_unit_test(test_strnum_strict_bounds),
		cmocka_unit_test(test_strnum_loose_table),
		cmocka_unit_test(test_strnum_loose_bounded),
	};

	return cmocka_run_group_tests_name("strnum", tests, NULL, NULL);
}
