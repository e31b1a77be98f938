/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_cfgval - durations, sizes, booleans and counts
 * DESCRIPTION
 *	Table-driven: every accepted spelling with its value, every
 *	rejected one with its exact error text, the limits at and one past
 *	the bound, and 64-bit overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "reference/common/cfgval.h"

struct dur_case {
	const char *in;
	uint64_t unit, max;
	int rc;
	uint64_t ms;
	const char *err;
};

#define DAY	86400000ull

static void test_refcommon_cfgval_duration(void **state)
{
	static const struct dur_case cases[] = {
		{ "150", 1000, DAY, 0, 150000, NULL },
		{ "150", 1, DAY, 0, 150, NULL },
		{ "500ms", 1000, DAY, 0, 500, NULL },
		{ "2s", 1, DAY, 0, 2000, NULL },
		{ "2S", 1, DAY, 0, 2000, NULL },
		{ "3m", 1000, DAY, 0, 180000, NULL },
		{ "1h", 1000, DAY, 0, 3600000, NULL },
		{ "1d", 1000, DAY, 0, DAY, NULL },
		{ "0", 1000, DAY, 0, 0, NULL },
		{ "1w", 1000, 7 * DAY, 0, 7 * DAY, NULL },
		{ "25h", 1000, DAY, -1, 0, "duration \"25h\" is over the limit of 86400s" },
		{ "86401", 1000, DAY, -1, 0, "duration \"86401\" is over the limit of 86400s" },
		{ "1001", 1, 1000, -1, 0, "duration \"1001\" is over the limit of 1s" },
		{ "1500", 1, 1500, 0, 1500, NULL },
		{ "1501ms", 1, 1500, -1, 0, "duration \"1501ms\" is over the limit of 1500ms" },
		{ "18446744073709551615w", 1, UINT64_MAX, -1, 0,
		  "duration \"18446744073709551615w\" is over the limit of 18446744073709551615ms" },
		{ "99999999999999999999", 1, UINT64_MAX, -1, 0,
		  "bad duration \"99999999999999999999\": expected a number and a unit ms, s, m, h, d or w" },
		{ "5x", 1000, DAY, -1, 0,
		  "bad duration \"5x\": expected a number and a unit ms, s, m, h, d or w" },
		{ "", 1000, DAY, -1, 0,
		  "bad duration \"\": expected a number and a unit ms, s, m, h, d or w" },
		{ "s", 1000, DAY, -1, 0,
		  "bad duration \"s\": expected a number and a unit ms, s, m, h, d or w" },
		{ "-1", 1000, DAY, -1, 0,
		  "bad duration \"-1\": expected a number and a unit ms, s, m, h, d or w" },
		{ " 1s", 1000, DAY, -1, 0,
		  "bad duration \" 1s\": expected a number and a unit ms, s, m, h, d or w" },
		{ "1 s", 1000, DAY, -1, 0,
		  "bad duration \"1 s\": expected a number and a unit ms, s, m, h, d or w" },
		{ "10", 0, DAY, -1, 0,
		  "bad duration \"10\": expected a number and a unit ms, s, m, h, d or w" },
		{ "10s", 0, DAY, 0, 10000, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ms = 12345;
		char err[256] = "";
		int rc = cfg_duration_ms(cases[i].in, cases[i].unit, cases[i].max, &ms, err,
					 sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d (%s)", cases[i].in, rc, err);
		if (rc == 0 && ms != cases[i].ms)
			fail_msg("\"%s\": %llu ms", cases[i].in, (unsigned long long)ms);
		if (rc < 0) {
			assert_string_equal(err, cases[i].err);
			assert_int_equal(ms, 12345);	/* untouched */
		}
	}
}

struct size_case {
	const char *in;
	uint64_t max;
	int rc;
	uint64_t v;
	const char *err;
};

static void test_refcommon_cfgval_size(void **state)
{
	static const struct size_case cases[] = {
		{ "16384", 1 << 20, 0, 16384, NULL },
		{ "16k", 1 << 20, 0, 16384, NULL },
		{ "16K", 1 << 20, 0, 16384, NULL },
		{ "16kb", 1 << 20, 0, 16384, NULL },
		{ "1m", 1 << 20, 0, 1 << 20, NULL },
		{ "1MB", 1 << 20, 0, 1 << 20, NULL },
		{ "1g", UINT64_MAX, 0, 1ull << 30, NULL },
		{ "1048577", 1 << 20, -1, 0, "size \"1048577\" is over the limit of 1048576 bytes" },
		{ "2g", 1 << 20, -1, 0, "size \"2g\" is over the limit of 1048576 bytes" },
		{ "17179869184g", UINT64_MAX, -1, 0,
		  "size \"17179869184g\" is over the limit of 18446744073709551615 bytes" },
		{ "1t", UINT64_MAX, -1, 0, "bad size \"1t\": expected a number of bytes, or with k, m or g" },
		{ "1kib", UINT64_MAX, -1, 0,
		  "bad size \"1kib\": expected a number of bytes, or with k, m or g" },
		{ "k", UINT64_MAX, -1, 0, "bad size \"k\": expected a number of bytes, or with k, m or g" },
		{ "", UINT64_MAX, -1, 0, "bad size \"\": expected a number of bytes, or with k, m or g" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 7;
		char err[256] = "";
		int rc = cfg_size(cases[i].in, cases[i].max, &v, err, sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d (%s)", cases[i].in, rc, err);
		if (rc == 0 && v != cases[i].v)
			fail_msg("\"%s\": %llu", cases[i].in, (unsigned long long)v);
		if (rc < 0) {
			assert_string_equal(err, cases[i].err);
			assert_int_equal(v, 7);
		}
	}
}

static void test_refcommon_cfgval_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "On", "1" };
	static const char *const no[] = { "no", "No", "false", "OFF", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ", "maybe" };
	char err[256];
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < 5; i++) {
		v = -1;
		assert_int_equal(cfg_bool(yes[i], &v, err, sizeof(err)), 0);
		assert_int_equal(v, 1);
		v = -1;
		assert_int_equal(cfg_bool(no[i], &v, err, sizeof(err)), 0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		v = -1;
		assert_int_equal(cfg_bool(bad[i], &v, err, sizeof(err)), -1);
		assert_int_equal(v, -1);
		snprintf(want, sizeof(want), "bad boolean \"%s\": expected yes or no", bad[i]);
		assert_string_equal(err, want);
	}
}

static void test_refcommon_cfgval_uint(void **state)
{
	char err[256];
	uint64_t v = 0;

	(void)state;
	assert_int_equal(cfg_uint("64", 1, 64, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 64);
	assert_int_equal(cfg_uint("1", 1, 64, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cfg_uint("0", 1, 64, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "\"0\" is out of range 1-64");
	assert_int_equal(cfg_uint("65", 1, 64, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "\"65\" is out of range 1-64");
	assert_int_equal(cfg_uint("6x", 1, 64, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "bad number \"6x\": expected decimal digits");
	assert_int_equal(cfg_uint("+6", 1, 64, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "bad number \"+6\": expected decimal digits");
	assert_int_equal(cfg_uint("18446744073709551616", 0, UINT64_MAX, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "bad number \"18446744073709551616\": expected decimal digits");
	assert_int_equal(cfg_uint("18446744073709551615", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_true(v == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_cfgval_duration),
		cmocka_unit_test(test_refcommon_cfgval_size),
		cmocka_unit_test(test_refcommon_cfgval_bool),
		cmocka_unit_test(test_refcommon_cfgval_uint),
	};

	return cmocka_run_group_tests_name("refcommon_cfgval", tests, NULL, NULL);
}
