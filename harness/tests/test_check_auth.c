/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_check_auth - the pure reply judges of check --auth
 * DESCRIPTION
 *	check_auth_reply_flags(): one row per CHECK_AUTH_R_* bit and per way
 *	of not setting it (another id, no TAB, a CR that belongs to the line
 *	end, the last user= winning, a NUL ending the line as in Postfix),
 *	over protocols.md A.6 and C.1 items 25-35. check_auth_fail_shape():
 *	the FAIL lines for an unknown user and a wrong password compare equal
 *	exactly when nothing but id and user= differs (C.1 item 30).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness/check/auth.h"

#define R_TAKEN_OK	(CHECK_AUTH_R_TAKEN | CHECK_AUTH_R_IS_OK)
#define R_TAKEN_CONT	(CHECK_AUTH_R_TAKEN | CHECK_AUTH_R_IS_CONT)
#define R_TAKEN_FAIL	(CHECK_AUTH_R_TAKEN | CHECK_AUTH_R_IS_FAIL)

struct flags_case {
	const char *name;
	const char *line;
	size_t len;		/* 0: strlen(line) */
	unsigned want;
};

static void test_check_auth_reply_flags(void **state)
{
	static char long_reason[600];
	static char long_ok[600];
	static const struct flags_case cases[] = {
		{ "plain OK", "OK\t7\tuser=bob", 0, R_TAKEN_OK },
		{ "OK without user=", "OK\t7", 0, R_TAKEN_OK | CHECK_AUTH_R_OK_NO_USER },
		{ "OK with other fields only", "OK\t7\tnologin", 0,
		  R_TAKEN_OK | CHECK_AUTH_R_OK_NO_USER | CHECK_AUTH_R_OK_NOLOGIN },
		{ "OK with empty user=", "OK\t7\tuser=", 0, R_TAKEN_OK | CHECK_AUTH_R_OK_EMPTY_USER },
		{ "the last user= wins: empty", "OK\t7\tuser=bob\tuser=", 0,
		  R_TAKEN_OK | CHECK_AUTH_R_OK_EMPTY_USER },
		{ "the last user= wins: set", "OK\t7\tuser=\tuser=bob", 0, R_TAKEN_OK },
		{ "OK nologin", "OK\t7\tuser=bob\tnologin", 0, R_TAKEN_OK | CHECK_AUTH_R_OK_NOLOGIN },
		{ "OK proxy", "OK\t7\tuser=bob\tproxy", 0, R_TAKEN_OK | CHECK_AUTH_R_OK_NOLOGIN },
		{ "OK host=", "OK\t7\tuser=bob\thost=10.0.0.1", 0,
		  R_TAKEN_OK | CHECK_AUTH_R_OK_NOLOGIN },
		{ "OK nologin= is not the flag", "OK\t7\tuser=bob\tnologinx", 0, R_TAKEN_OK },
		{ "OK resp=", "OK\t7\tuser=bob\tresp=dj1h", 0, R_TAKEN_OK | CHECK_AUTH_R_OK_RESP },
		{ "FAIL plain", "FAIL\t7\tuser=bob", 0, R_TAKEN_FAIL },
		{ "FAIL short reason", "FAIL\t7\treason=Authentication failed", 0, R_TAKEN_FAIL },
		{ "FAIL escaped reason", "FAIL\t7\treason=a\001tb", 0,
		  R_TAKEN_FAIL | CHECK_AUTH_R_REASON_ODD },
		{ "FAIL 8-bit reason", "FAIL\t7\treason=caf\xc3\xa9", 0,
		  R_TAKEN_FAIL | CHECK_AUTH_R_REASON_ODD },
		{ "FAIL reason and CRLF: the CR is the line end's", "FAIL\t7\treason=no\r", 0,
		  R_TAKEN_FAIL | CHECK_AUTH_R_CR },
		{ "reason= in OK is not judged", "OK\t7\tuser=bob\treason=\001", 0, R_TAKEN_OK },
		{ "FAIL long reason", long_reason, 0, R_TAKEN_FAIL | CHECK_AUTH_R_REASON_LONG },
		{ "long OK field is no reason", long_ok, 0, R_TAKEN_OK },
		{ "CONT plain", "CONT\t7\tVXNlcm5hbWU6", 0, R_TAKEN_CONT },
		{ "CONT empty data", "CONT\t7\t", 0, R_TAKEN_CONT },
		{ "CONT no data field", "CONT\t7", 0, R_TAKEN_CONT | CHECK_AUTH_R_CONT_NO_DATA },
		{ "CONT extra field", "CONT\t7\t\textra=1", 0, R_TAKEN_CONT | CHECK_AUTH_R_CONT_EXTRA },
		{ "CONT extra after data", "CONT\t7\tabc\tx", 0,
		  R_TAKEN_CONT | CHECK_AUTH_R_CONT_EXTRA },
		{ "id 0x7", "OK\t0x7\tuser=bob", 0, R_TAKEN_OK | CHECK_AUTH_R_ID_NONCANON },
		{ "id 07 (octal 7)", "OK\t07\tuser=bob", 0, R_TAKEN_OK | CHECK_AUTH_R_ID_NONCANON },
		{ "id 010 is 8, not 10", "OK\t010\tuser=bob", 0, 0 },
		{ "id with a blank", "FAIL\t 7", 0, R_TAKEN_FAIL | CHECK_AUTH_R_ID_NONCANON },
		{ "id with junk", "CONT\t7abc\t", 0, R_TAKEN_CONT | CHECK_AUTH_R_ID_NONCANON },
		{ "another id is skipped", "OK\t8", 0, 0 },
		{ "OK without TAB is skipped", "OK", 0, 0 },
		{ "unknown word", "CANCELLED\t7", 0, CHECK_AUTH_R_UNKNOWN_WORD },
		{ "empty line", "", 0, CHECK_AUTH_R_UNKNOWN_WORD },
		{ "lower case ok", "ok\t7\tuser=bob", 0, CHECK_AUTH_R_UNKNOWN_WORD },
		{ "CRLF OK", "OK\t7\tuser=bob\r", 0, R_TAKEN_OK | CHECK_AUTH_R_CR },
		{ "CRLF unknown", "DONE\r", 0, CHECK_AUTH_R_UNKNOWN_WORD | CHECK_AUTH_R_CR },
		{ "a NUL ends the line for Postfix", "OK\t7\0\tuser=bob", 14,
		  R_TAKEN_OK | CHECK_AUTH_R_OK_NO_USER },
	};
	size_t i;

	(void)state;
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	memcpy(long_reason, "FAIL\t7\treason=", 14);	/* 585 reason bytes: 535 line 627 */
	memset(long_ok, 'x', sizeof(long_ok) - 1);
	memcpy(long_ok, "OK\t7\tuser=bob\tx=", 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct flags_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->line);
		unsigned got = check_auth_reply_flags(7, c->line, len);

		if (got != c->want)
			fail_msg("%s: got 0x%x, want 0x%x", c->name, got, c->want);
	}
}

static void test_check_auth_reason_length_limit(void **state)
{
	char line[600];
	size_t k;

	(void)state;
	/* 40 bytes of "535 5.7.8 Error: authentication failed: " + reason + CRLF */
	for (k = 469; k <= 471; k++) {
		unsigned got;

		snprintf(line, sizeof(line), "FAIL\t1\treason=%0*d", (int)k, 0);
		got = check_auth_reply_flags(1, line, strlen(line));
		if (!!(got & CHECK_AUTH_R_REASON_LONG) != (k > 470))
			fail_msg("reason of %zu bytes: got 0x%x", k, got);
	}
}

struct shape_case {
	const char *name;
	const char *a, *b;
	int same;
};

static void test_check_auth_fail_shape(void **state)
{
	static const struct shape_case cases[] = {
		{ "Dovecot: only user= differs", "FAIL\t3\tuser=alice", "FAIL\t4\tuser=nosuch", 1 },
		{ "no user= at all", "FAIL\t3", "FAIL\t4", 1 },
		{ "user= in one only", "FAIL\t3\tuser=alice", "FAIL\t4", 1 },
		{ "reasons differ", "FAIL\t3\tuser=alice\treason=Password mismatch",
		  "FAIL\t4\tuser=x\treason=Unknown user", 0 },
		{ "a reason in one only", "FAIL\t3\tuser=alice",
		  "FAIL\t4\tuser=x\treason=Unknown user", 0 },
		{ "codes differ", "FAIL\t3\tuser=a\tcode=temp_fail", "FAIL\t4\tuser=b", 0 },
		{ "same code and reason", "FAIL\t3\tuser=a\tcode=authz_fail\treason=No",
		  "FAIL\t4\tuser=b\tcode=authz_fail\treason=No", 1 },
		{ "order of fields counts", "FAIL\t3\tcode=x\treason=y", "FAIL\t4\treason=y\tcode=x",
		  0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct shape_case *c = &cases[i];
		char a[256], b[256];
		size_t la = check_auth_fail_shape(c->a, strlen(c->a), a, sizeof(a));
		size_t lb = check_auth_fail_shape(c->b, strlen(c->b), b, sizeof(b));
		int same = la == lb && memcmp(a, b, la) == 0;

		if (same != c->same)
			fail_msg("%s: \"%s\" vs \"%s\": same %d, want %d", c->name, a, b, same,
				 c->same);
	}
}

static void test_check_auth_fail_shape_bounds(void **state)
{
	char small[8];
	size_t n;

	(void)state;
	n = check_auth_fail_shape("FAIL\t1\treason=abcdefghij", 24, small, sizeof(small));
	assert_int_equal(n, 7);
	assert_int_equal(strlen(small), 7);
	assert_string_equal(small, "FAIL\tre");
	assert_int_equal(check_auth_fail_shape("FAIL\t1", 6, small, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_auth_reply_flags),
		cmocka_unit_test(test_check_auth_reason_length_limit),
		cmocka_unit_test(test_check_auth_fail_shape),
		cmocka_unit_test(test_check_auth_fail_shape_bounds),
	};

	return cmocka_run_group_tests_name("check_auth", tests, NULL, NULL);
}
