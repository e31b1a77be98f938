/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_refcommon_cfg - the "key = value" configuration parser
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference/common/cfgfile.h"

static void test_refcommon_cfg_entries(void **state)
{
	const char *text = "# comment\n\n  passwd-file = /etc/users  \r\nfault=crlf,delay=5\n"
			   "hostname = mx # not a comment\nempty =\n   # indented comment\nlast=x";
	struct cfg_iter it;
	struct cfg_entry e;
	char err[256];

	(void)state;
	cfg_init(&it, text, strlen(text), "a.conf");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "passwd-file");
	assert_string_equal(e.value, "/etc/users");
	assert_int_equal(e.line, 3);
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "fault");
	assert_string_equal(e.value, "crlf,delay=5");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.value, "mx # not a comment");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "empty");
	assert_string_equal(e.value, "");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 1);
	assert_string_equal(e.key, "last");
	assert_int_equal(e.line, 8);
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), 0);
}

struct bad {
	const char *text;
	size_t len;
	const char *err;
};

static void test_refcommon_cfg_errors(void **state)
{
	static char longline[CFG_MAX_LINE + 10];
	static const struct bad rows[] = {
		{ "ok = 1\nnovalue\n", 0, "b.conf:2: missing '=' after novalue" },
		{ "= 1\n", 0, "b.conf:1: bad key" },
		{ "k!ey = 1\n", 0, "b.conf:1: missing '=' after k" },
		{ "k = a\0b\n", 8, "b.conf:1: NUL byte in value" },
		{ "0123456789012345678901234567890123456789012345678901234567890123 = 1\n", 0,
		  "b.conf:1: bad key" },
	};
	struct cfg_iter it;
	struct cfg_entry e;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cfg_init(&it, rows[i].text, rows[i].len ? rows[i].len : strlen(rows[i].text), "b.conf");
		while ((rc = cfg_next(&it, &e, err, sizeof(err))) == 1)
			;
		if (rc != -1 || strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu: rc %d err \"%s\", want \"%s\"", i, rc, err, rows[i].err);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[1] = '=';
	cfg_init(&it, longline, sizeof(longline) - 1, "c.conf");
	assert_int_equal(cfg_next(&it, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "c.conf:1: line too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refcommon_cfg_entries),
		cmocka_unit_test(test_refcommon_cfg_errors),
	};

	return cmocka_run_group_tests_name("refcommon_cfg", tests, NULL, NULL);
}
