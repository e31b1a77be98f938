/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_penalty - the per-IP penalty table, clock given by hand
 * DESCRIPTION
 *	Idents (IPv4 as is, IPv6 cut to /48, junk refused), the seconds per
 *	penalty (2*2^N capped at 15), growth by failures, the same
 *	user/password not counted twice, decay after 15 s, reset after a
 *	success, expiry after 29 s and the entry bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference/authd/penalty.h"

static void test_authd_penalty_ident(void **state)
{
	static const struct {
		const char *rip;
		const char *ident;	/* NULL: refused */
	} rows[] = {
		{ "192.0.2.7", "192.0.2.7" },
		{ "2001:db8:1234:5678::9", "2001:db8:1234::" },
		{ "2001:db8:1234:ffff:ffff:ffff:ffff:ffff", "2001:db8:1234::" },
		{ "::1", "::" },
		{ "::ffff:192.0.2.7", "::" },
		{ "", NULL }, { "localhost", NULL }, { "192.0.2.7 ", NULL }, { "IPv6:::1", NULL },
		{ "1.2.3.4.5", NULL }, { "[::1]", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char id[AUTHD_PENALTY_IDENT_MAX] = "";
		int rc = authd_penalty_ident(rows[i].rip, strlen(rows[i].rip), id, sizeof(id));

		if (rows[i].ident == NULL) {
			if (rc != -1)
				fail_msg("\"%s\" accepted as %s", rows[i].rip, id);
		} else if (rc != 0 || strcmp(id, rows[i].ident) != 0) {
			fail_msg("\"%s\": rc %d \"%s\", want \"%s\"", rows[i].rip, rc, id,
				 rows[i].ident);
		}
	}
}

static void test_authd_penalty_secs(void **state)
{
	(void)state;
	assert_int_equal(authd_penalty_secs(0), 2);
	assert_int_equal(authd_penalty_secs(1), 4);
	assert_int_equal(authd_penalty_secs(2), 8);
	assert_int_equal(authd_penalty_secs(3), 15);
	assert_int_equal(authd_penalty_secs(4), 15);
	assert_int_equal(authd_penalty_secs(1000), 15);
}

static void test_authd_penalty_growth(void **state)
{
	struct authd_penalty *p = authd_penalty_create(100);
	unsigned v;
	uint64_t t = 1000;

	(void)state;
	assert_int_equal(authd_penalty_get(p, "192.0.2.7", t), 0);
	/* each failure with a new password: the penalty the request got, plus one */
	for (v = 1; v <= 6; v++) {
		unsigned got = authd_penalty_get(p, "192.0.2.7", t);

		assert_int_equal(got, v - 1 > 4 ? 4 : v - 1);
		authd_penalty_inc(p, "192.0.2.7", 100 + v, got + 1, t);
		t += 1;
	}
	assert_int_equal(authd_penalty_get(p, "192.0.2.7", t), 4);
	/* another address is untouched */
	assert_int_equal(authd_penalty_get(p, "192.0.2.8", t), 0);
	/* 15 s after the last raise the penalty is gone (Dovecot's decay) */
	assert_int_equal(authd_penalty_get(p, "192.0.2.7", t - 1 + 14), 4);
	assert_int_equal(authd_penalty_get(p, "192.0.2.7", t - 1 + 15), 0);
	authd_penalty_destroy(&p);
	assert_null(p);
}

static void test_authd_penalty_same_password(void **state)
{
	struct authd_penalty *p = authd_penalty_create(100);
	unsigned i, got;

	(void)state;
	authd_penalty_inc(p, "a", 7, 1, 100);
	assert_int_equal(authd_penalty_get(p, "a", 100), 1);
	/* the same user/password again: value - 1, no growth */
	for (i = 0; i < 5; i++) {
		got = authd_penalty_get(p, "a", 101 + i);
		authd_penalty_inc(p, "a", 7, got + 1, 101 + i);
	}
	assert_int_equal(authd_penalty_get(p, "a", 106), 1);
	/* its time is not refreshed: it decays from the first raise */
	assert_int_equal(authd_penalty_get(p, "a", 115), 0);
	/* a mechanism without a password (checksum 0) always counts */
	authd_penalty_inc(p, "b", 0, 1, 200);
	authd_penalty_inc(p, "b", 0, 2, 201);
	assert_int_equal(authd_penalty_get(p, "b", 202), 2);
	/* success clears */
	authd_penalty_inc(p, "b", 0, 0, 203);
	assert_int_equal(authd_penalty_get(p, "b", 203), 0);
	authd_penalty_destroy(&p);
}

static void test_authd_penalty_expiry_and_bound(void **state)
{
	struct authd_penalty *p = authd_penalty_create(3);

	(void)state;
	authd_penalty_inc(p, "a", 1, 1, 100);
	authd_penalty_inc(p, "b", 1, 1, 110);
	assert_int_equal(authd_penalty_count(p), 2);
	/* "a" last changed at 100: gone at 129, "b" stays */
	(void)authd_penalty_get(p, "x", 128);
	assert_int_equal(authd_penalty_count(p), 2);
	(void)authd_penalty_get(p, "x", 129);
	assert_int_equal(authd_penalty_count(p), 1);
	/* at most 3 entries: the oldest goes first */
	authd_penalty_inc(p, "c", 1, 1, 130);
	authd_penalty_inc(p, "d", 1, 1, 131);
	authd_penalty_inc(p, "e", 1, 1, 132);
	assert_int_equal(authd_penalty_count(p), 3);
	/* "b" (oldest change) was evicted when "e" arrived */
	assert_int_equal(authd_penalty_get(p, "b", 132), 0);
	assert_int_equal(authd_penalty_get(p, "e", 132), 1);
	assert_int_equal(authd_penalty_get(p, "c", 132), 1);
	authd_penalty_inc(p, "b", 1, 1, 133);
	assert_int_equal(authd_penalty_count(p), 3);
	assert_int_equal(authd_penalty_get(p, "c", 133), 0);
	/* an ident too long for a record is ignored, not truncated */
	{
		char big[200];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		authd_penalty_inc(p, big, 1, 1, 134);
		assert_int_equal(authd_penalty_get(p, big, 134), 0);
	}
	authd_penalty_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_penalty_ident),
		cmocka_unit_test(test_authd_penalty_secs),
		cmocka_unit_test(test_authd_penalty_growth),
		cmocka_unit_test(test_authd_penalty_same_password),
		cmocka_unit_test(test_authd_penalty_expiry_and_bound),
	};

	return cmocka_run_group_tests_name("authd_penalty", tests, NULL, NULL);
}
