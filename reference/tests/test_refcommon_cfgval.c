/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_cfgval - counts, yes/no, durations, socket modes,
 *	owners and name tables
 * DESCRIPTION
 *	Table-driven: every accepted spelling with its value, every
 *	rejected one with its exact error text (the daemons print it after
 *	the option's name), the limits at and one past the bound, 64-bit
 *	overflow, and outputs left alone on error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "reference/common/cfgval.h"

static void test_refcommon_cfgval_uint(void **state)
{
	static const struct {
		const char *in;
		unsigned long min, max;
		int rc;
		unsigned long v;
		const char *err;
	} rows[] = {
		{ "64", 1, 64, 0, 64, NULL },
		{ "1", 1, 64, 0, 1, NULL },
		{ "0064", 1, 64, 0, 64, NULL },
		{ "0", 1, 64, -1, 0, "0 is outside 1..64" },
		{ "65", 1, 64, -1, 0, "65 is outside 1..64" },
		{ "99999", 64, 8192, -1, 0, "99999 is outside 64..8192" },
		{ "6x", 1, 64, -1, 0, "not a number: 6x" },
		{ "+6", 1, 64, -1, 0, "not a number: +6" },
		{ " 6", 1, 64, -1, 0, "not a number:  6" },
		{ "", 1, 64, -1, 0, "not a number: " },
		{ "18446744073709551616", 0, (unsigned long)-1, -1, 0,
		  "not a number: 18446744073709551616" },
		{ "18446744073709551615", 0, (unsigned long)-1, 0, (unsigned long)-1, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned long v = 7;
		char err[256] = "";
		int rc = cfg_uint(rows[i].in, rows[i].min, rows[i].max, &v, err, sizeof(err));

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d (%s)", rows[i].in, rc, rows[i].rc, err);
		if (rc == 0 && v != rows[i].v)
			fail_msg("\"%s\": %lu, want %lu", rows[i].in, v, rows[i].v);
		if (rc < 0) {
			assert_string_equal(err, rows[i].err);
			assert_int_equal(v, 7);
		}
	}
}

static void test_refcommon_cfgval_yesno(void **state)
{
	static const char *const bad[] = { "", "y", "YES", "true", "1", "yes ", "maybe" };
	char err[256], want[64];
	size_t i;
	int v = -1;

	(void)state;
	assert_int_equal(cfg_yesno("yes", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cfg_yesno("no", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		assert_int_equal(cfg_yesno(bad[i], &v, err, sizeof(err)), -1);
		assert_int_equal(v, -1);
		snprintf(want, sizeof(want), "want yes or no, not %s", bad[i]);
		assert_string_equal(err, want);
	}
}

static void test_refcommon_cfgval_duration(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t ms;
	} rows[] = {
		{ "0", 0, 0 }, { "2000", 0, 2000 }, { "2000ms", 0, 2000 }, { "2s", 0, 2000 },
		{ "2 secs", 0, 2000 }, { "2 SEC", 0, 2000 }, { "2 seconds", 0, 2000 },
		{ "150s", 0, 150000 }, { "1 second", 0, 1000 }, { "5msec", 0, 5 },
		{ "3m", 0, 180000 }, { "3 mins", 0, 180000 }, { "1 minute", 0, 60000 },
		{ "1h", 0, 3600000 }, { "24 hours", 0, 86400000 }, { "86400000", 0, 86400000 },
		{ "1440m", 0, 86400000 },
		{ "86400001", -1, 0 }, { "25h", -1, 0 }, { "1441m", -1, 0 },
		{ "99999999999999999999999", -1, 0 }, { "", -1, 0 }, { "s", -1, 0 },
		{ "-1", -1, 0 }, { "+1", -1, 0 }, { " 1", -1, 0 }, { "1 ", -1, 0 },
		{ "1  s", -1, 0 }, { "1x", -1, 0 }, { "1.5s", -1, 0 }, { "2d", -1, 0 },
		{ "1s ", -1, 0 }, { "0x10", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ms = 12345;
		char err[256] = "", want[256];
		int rc = cfg_duration_ms(rows[i].in, &ms, err, sizeof(err));

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && ms != rows[i].ms)
			fail_msg("\"%s\": %llu ms, want %llu", rows[i].in, (unsigned long long)ms,
				 (unsigned long long)rows[i].ms);
		if (rc < 0) {
			snprintf(want, sizeof(want),
				 "not a duration (N, Nms, Ns, Nm, Nh; at most one day): %s", rows[i].in);
			assert_string_equal(err, want);
			assert_true(ms == 12345);
		}
	}
}

static void test_refcommon_cfgval_mode(void **state)
{
	static const struct {
		const char *in;
		int rc;
		unsigned mode;
	} rows[] = {
		{ "666", 0, 0666 }, { "0666", 0, 0666 }, { "600", 0, 0600 }, { "0777", 0, 0777 },
		{ "1", 0, 1 }, { "0", -1, 0 }, { "0000", -1, 0 }, { "1777", -1, 0 },
		{ "00666", -1, 0 }, { "8", -1, 0 }, { "", -1, 0 }, { "rw", -1, 0 }, { "-666", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned mode = 4242;
		char err[256] = "", want[256];
		int rc = cfg_mode(rows[i].in, &mode, err, sizeof(err));

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && mode != rows[i].mode)
			fail_msg("\"%s\": %o, want %o", rows[i].in, mode, rows[i].mode);
		if (rc < 0) {
			snprintf(want, sizeof(want), "want octal 1-0777, not %s", rows[i].in);
			assert_string_equal(err, want);
			assert_int_equal(mode, 4242);
		}
	}
}

static void test_refcommon_cfgval_owner(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *user, *group;
	} rows[] = {
		{ "postfix", 0, "postfix", "" }, { "postfix:mail", 0, "postfix", "mail" },
		{ "a:b", 0, "a", "b" }, { "", -1, NULL, NULL }, { ":mail", -1, NULL, NULL },
		{ "postfix:", -1, NULL, NULL }, { "a:b:c", -1, NULL, NULL },
		{ "0123456789012345678901234567890123456789012345678901234567890123", -1, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char user[64] = "x", group[64] = "y";
		char err[256] = "", want[256];
		int rc = cfg_owner_split(rows[i].in, user, sizeof(user), group, sizeof(group), err,
					 sizeof(err));

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && (strcmp(user, rows[i].user) != 0 || strcmp(group, rows[i].group) != 0))
			fail_msg("\"%s\": \"%s\" \"%s\"", rows[i].in, user, group);
		if (rc < 0) {
			snprintf(want, sizeof(want), "want USER or USER:GROUP, not %s", rows[i].in);
			assert_string_equal(err, want);
			assert_string_equal(user, "x");
			assert_string_equal(group, "y");
		}
	}
}

static void test_refcommon_cfgval_name(void **state)
{
	static const struct cfg_name t[] = { { "crlf", 1 }, { "close-after", 2 }, { "c", 4 } };
	unsigned bit = 99;

	(void)state;
	assert_int_equal(cfg_name_find(t, 3, "close-after=5", 11, &bit), 0);
	assert_int_equal(bit, 2);
	assert_int_equal(cfg_name_find(t, 3, "c", 1, &bit), 0);
	assert_int_equal(bit, 4);
	bit = 99;
	assert_int_equal(cfg_name_find(t, 3, "CRLF", 4, &bit), -1);
	assert_int_equal(cfg_name_find(t, 3, "crl", 3, &bit), -1);
	assert_int_equal(cfg_name_find(t, 3, "", 0, &bit), -1);
	assert_int_equal(bit, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_cfgval_uint),
		cmocka_unit_test(test_refcommon_cfgval_yesno),
		cmocka_unit_test(test_refcommon_cfgval_duration),
		cmocka_unit_test(test_refcommon_cfgval_mode),
		cmocka_unit_test(test_refcommon_cfgval_owner),
		cmocka_unit_test(test_refcommon_cfgval_name),
	};

	return cmocka_run_group_tests_name("refcommon_cfgval", tests, NULL, NULL);
}
