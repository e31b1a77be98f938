/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_check_expect - the --expect rule language of check --policy
 * DESCRIPTION
 *	Tables for the action glob of --expect and the rule parser (request
 *	built from Postfix's defaults by version, overrides, quoting, state,
 *	errors with the column, the store's bound).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/check/expect.h"

static void test_check_expect_glob(void **state)
{
	static const struct {
		const char *pat, *s;
		int want;
	} t[] = {
		{ "DUNNO", "DUNNO", 1 },
		{ "dunno", "DUNNO", 1 },
		{ "DUNNO", "DUNNO ", 0 },
		{ "REJECT*", "REJECT 5.7.1 no", 1 },
		{ "REJECT*", "REJEC", 0 },
		{ "*network", "REJECT 5.7.1 not from your network", 1 },
		{ "*network", "REJECT 5.7.1 not from your networks", 0 },
		{ "4?? *", "450 4.7.1 later", 1 },
		{ "4?? *", "45 4.7.1 later", 0 },
		{ "*", "", 1 },
		{ "", "", 1 },
		{ "", "x", 0 },
		{ "a*b*c", "aXXbYYc", 1 },
		{ "a*b*c", "aXXcYYb", 0 },
		{ "**x", "x", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = check_expect_glob(t[i].pat, t[i].s, strlen(t[i].s));

		if (got != t[i].want)
			fail_msg("glob %s on \"%s\": got %d", t[i].pat, t[i].s, got);
	}
	/* the length bounds the subject: bytes after it are not looked at */
	assert_int_equal(check_expect_glob("OK", "OKAY", 2), 1);
}

static void test_check_expect_parse(void **state)
{
	struct pf_pol_req req;
	struct pf_version v37, v21;
	char store[4096], err[200];
	const char *pat;

	(void)state;
	assert_int_equal(pf_version_parse("3.7", &v37), 0);
	assert_int_equal(pf_version_parse("2.1", &v21), 0);

	assert_int_equal(check_expect_parse("sasl_username=test1 client_address=10.0.0.1 => OK",
						   &req, &v37, store, sizeof(store), &pat, err,
						   sizeof(err)), 0);
	assert_string_equal(pat, "OK");
	assert_string_equal(pf_pol_req_get(&req, "sasl_username"), "test1");
	assert_string_equal(pf_pol_req_get(&req, "client_address"), "10.0.0.1");
	assert_string_equal(pf_pol_req_get(&req, "protocol_state"), "RCPT");
	assert_string_equal(pf_pol_req_get(&req, "request"), "smtpd_access_policy");
	assert_non_null(pf_pol_req_get(&req, "client_port"));	/* 3.0 and later */

	/* state= sets protocol_state and the defaults of that state; quotes keep blanks */
	assert_int_equal(check_expect_parse("state=ETRN helo_name=\"a b\"  =>  REJECT *",
						   &req, &v37, store, sizeof(store), &pat, err,
						   sizeof(err)), 0);
	assert_string_equal(pat, "REJECT *");
	assert_string_equal(pf_pol_req_get(&req, "protocol_state"), "ETRN");
	assert_string_equal(pf_pol_req_get(&req, "helo_name"), "a b");
	assert_string_not_equal(pf_pol_req_get(&req, "etrn_domain"), "");

	/* the version decides the attribute set; an unknown name is appended */
	assert_int_equal(check_expect_parse("foo_bar=1 => DUNNO", &req, &v21, store,
						   sizeof(store), &pat, err, sizeof(err)), 0);
	assert_null(pf_pol_req_get(&req, "client_port"));
	assert_string_equal(pf_pol_req_get(&req, "foo_bar"), "1");
	assert_string_equal(req.a[req.n - 1].name, "foo_bar");

	/* an empty value is a value */
	assert_int_equal(check_expect_parse("sender= => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), 0);
	assert_string_equal(pf_pol_req_get(&req, "sender"), "");

	assert_int_equal(check_expect_parse("sender=x OK", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "=>"));
	assert_int_equal(check_expect_parse("sender=x =>  ", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no action pattern"));
	assert_int_equal(check_expect_parse("sender=x bogus => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "column 10"));
	assert_int_equal(check_expect_parse("=x => OK", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_int_equal(check_expect_parse("sender=\"open => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quote"));
	assert_int_equal(check_expect_parse("state=LATER => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "LATER"));
	/* the store bounds the copies */
	assert_int_equal(check_expect_parse("sender=abcdefghijklmnop => OK", &req, &v37, store,
						   16, &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_expect_glob),
		cmocka_unit_test(test_check_expect_parse),
	};

	return cmocka_run_group_tests_name("check_expect", tests, NULL, NULL);
}
