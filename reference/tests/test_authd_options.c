/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_options - ref-authd's duration, mode and owner values
 * DESCRIPTION
 *	Table tests: every unit, the bounds (one day; 1 .. 0777), and
 *	malformed values, which must leave the output untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference/authd/options.h"

static void test_authd_options_duration(void **state)
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
		int rc = authd_duration_parse(rows[i].in, &ms);

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && ms != rows[i].ms)
			fail_msg("\"%s\": %llu ms, want %llu", rows[i].in, (unsigned long long)ms,
				 (unsigned long long)rows[i].ms);
		if (rc < 0 && ms != 12345)
			fail_msg("\"%s\": output changed on error", rows[i].in);
	}
}

static void test_authd_options_mode(void **state)
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
		int rc = authd_mode_parse(rows[i].in, &mode);

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && mode != rows[i].mode)
			fail_msg("\"%s\": %o, want %o", rows[i].in, mode, rows[i].mode);
		if (rc < 0 && mode != 4242)
			fail_msg("\"%s\": output changed on error", rows[i].in);
	}
}

static void test_authd_options_owner(void **state)
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
		int rc = authd_owner_split(rows[i].in, user, sizeof(user), group, sizeof(group));

		if (rc != rows[i].rc)
			fail_msg("\"%s\": rc %d, want %d", rows[i].in, rc, rows[i].rc);
		if (rc == 0 && (strcmp(user, rows[i].user) != 0 || strcmp(group, rows[i].group) != 0))
			fail_msg("\"%s\": \"%s\" \"%s\"", rows[i].in, user, group);
		if (rc < 0 && (strcmp(user, "x") != 0 || strcmp(group, "y") != 0))
			fail_msg("\"%s\": output changed on error", rows[i].in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_options_duration),
		cmocka_unit_test(test_authd_options_mode),
		cmocka_unit_test(test_authd_options_owner),
	};

	return cmocka_run_group_tests_name("authd_options", tests, NULL, NULL);
}
