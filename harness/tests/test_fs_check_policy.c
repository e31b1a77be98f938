/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_fs_check_policy - the pure parts of `fake-smtpd check --policy`
 * DESCRIPTION
 *	Tables for the action glob of --expect, the rule parser (request
 *	built from Postfix's defaults by version, overrides, quoting, state,
 *	errors with the column), and the metadata header of data checks
 *	(every key, severities, ordinary comments, errors with file:line);
 *	the shipped catalogue in corpus/conformance/policy must load with
 *	unique POLICY-* ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/catalogue.h"
#include "harness/run/check_policy.h"

static void test_glob(void **state)
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
		int got = check_policy_glob(t[i].pat, t[i].s, strlen(t[i].s));

		if (got != t[i].want)
			fail_msg("glob %s on \"%s\": got %d", t[i].pat, t[i].s, got);
	}
	/* the length bounds the subject: bytes after it are not looked at */
	assert_int_equal(check_policy_glob("OK", "OKAY", 2), 1);
}

static void test_expect_parse(void **state)
{
	struct pf_pol_req req;
	struct pf_version v37, v21;
	char store[4096], err[200];
	const char *pat;

	(void)state;
	assert_int_equal(pf_version_parse("3.7", &v37), 0);
	assert_int_equal(pf_version_parse("2.1", &v21), 0);

	assert_int_equal(check_policy_expect_parse("sasl_username=test1 client_address=10.0.0.1 => OK",
						   &req, &v37, store, sizeof(store), &pat, err,
						   sizeof(err)), 0);
	assert_string_equal(pat, "OK");
	assert_string_equal(pf_pol_req_get(&req, "sasl_username"), "test1");
	assert_string_equal(pf_pol_req_get(&req, "client_address"), "10.0.0.1");
	assert_string_equal(pf_pol_req_get(&req, "protocol_state"), "RCPT");
	assert_string_equal(pf_pol_req_get(&req, "request"), "smtpd_access_policy");
	assert_non_null(pf_pol_req_get(&req, "client_port"));	/* 3.0 and later */

	/* state= sets protocol_state and the defaults of that state; quotes keep blanks */
	assert_int_equal(check_policy_expect_parse("state=ETRN helo_name=\"a b\"  =>  REJECT *",
						   &req, &v37, store, sizeof(store), &pat, err,
						   sizeof(err)), 0);
	assert_string_equal(pat, "REJECT *");
	assert_string_equal(pf_pol_req_get(&req, "protocol_state"), "ETRN");
	assert_string_equal(pf_pol_req_get(&req, "helo_name"), "a b");
	assert_string_not_equal(pf_pol_req_get(&req, "etrn_domain"), "");

	/* the version decides the attribute set; an unknown name is appended */
	assert_int_equal(check_policy_expect_parse("foo_bar=1 => DUNNO", &req, &v21, store,
						   sizeof(store), &pat, err, sizeof(err)), 0);
	assert_null(pf_pol_req_get(&req, "client_port"));
	assert_string_equal(pf_pol_req_get(&req, "foo_bar"), "1");
	assert_string_equal(req.a[req.n - 1].name, "foo_bar");

	/* an empty value is a value */
	assert_int_equal(check_policy_expect_parse("sender= => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), 0);
	assert_string_equal(pf_pol_req_get(&req, "sender"), "");

	assert_int_equal(check_policy_expect_parse("sender=x OK", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "=>"));
	assert_int_equal(check_policy_expect_parse("sender=x =>  ", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no action pattern"));
	assert_int_equal(check_policy_expect_parse("sender=x bogus => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "column 10"));
	assert_int_equal(check_policy_expect_parse("=x => OK", &req, &v37, store, sizeof(store),
						   &pat, err, sizeof(err)), -1);
	assert_int_equal(check_policy_expect_parse("sender=\"open => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quote"));
	assert_int_equal(check_policy_expect_parse("state=LATER => OK", &req, &v37, store,
						   sizeof(store), &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "LATER"));
	/* the store bounds the copies */
	assert_int_equal(check_policy_expect_parse("sender=abcdefghijklmnop => OK", &req, &v37, store,
						   16, &pat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

static void test_meta_parse(void **state)
{
	static const char good[] =
		"# id: POLICY-ATTR-099\n"
		"# title: a title\n"
		"# severity: security\n"
		"# why: because\n"
		"# fix: do this\n"
		"# tags: a, b\n"
		"# fails-on: someone\n"
		"# an ordinary comment: with a colon after blanks\n"
		"protocol policy\n"
		"# id: not read, after the first statement\n";
	struct catalogue_meta m;
	char err[300];

	(void)state;
	assert_int_equal(catalogue_meta_parse(good, strlen(good), "g.tr", &m, err, sizeof(err)), 0);
	assert_true(m.has_id);
	assert_string_equal(m.id, "POLICY-ATTR-099");
	assert_string_equal(m.title, "a title");
	assert_int_equal(m.severity, SEV_SECURITY);
	assert_string_equal(m.why, "because");
	assert_string_equal(m.fix, "do this");
	assert_string_equal(m.tags, "a, b");
	assert_string_equal(m.fails_on, "someone");

	/* no header at all: no id, severity defaults to breaks-postfix */
	assert_int_equal(catalogue_meta_parse("protocol policy\n", 16, "n.tr", &m, err,
						 sizeof(err)), 0);
	assert_false(m.has_id);
	assert_int_equal(m.severity, SEV_BREAKS_POSTFIX);

	assert_int_equal(catalogue_meta_parse("# id: X\n# severity: grave\n", 26, "b.tr", &m, err,
						 sizeof(err)), -1);
	assert_non_null(strstr(err, "b.tr:2: severity"));
	assert_int_equal(catalogue_meta_parse("#\n# colour: red\n", 16, "c.tr", &m, err,
						 sizeof(err)), -1);
	assert_non_null(strstr(err, "c.tr:2: unknown header key \"colour\""));
	assert_int_equal(catalogue_meta_parse("# id:\n", 6, "e.tr", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "e.tr:1: id"));
	/* CR LF files and a missing last LF */
	assert_int_equal(catalogue_meta_parse("# id: A-1\r\n# severity: advisory", 32, "w.tr", &m,
						 err, sizeof(err)), 0);
	assert_string_equal(m.id, "A-1");
	assert_int_equal(m.severity, SEV_ADVISORY);
}

/* every shipped data check has a unique POLICY-* id and a title, severity, why, fix */
static void test_catalogue_loads(void **state)
{
	const char *dirs[] = { "corpus/conformance/policy", "../corpus/conformance/policy",
			       "../../corpus/conformance/policy", "../../../corpus/conformance/policy" };
	char ids[64][64];
	size_t nids = 0, i, k;
	DIR *d = NULL;
	struct dirent *e;
	const char *dir = NULL;

	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && d == NULL; i++)
		if ((d = opendir(dirs[i])) != NULL)
			dir = dirs[i];
	if (d == NULL)
		skip();
	while ((e = readdir(d)) != NULL) {
		char path[512], buf[65536], err[300];
		struct catalogue_meta m;
		size_t len, n = strlen(e->d_name);
		FILE *fp;

		if (n < 4 || strcmp(e->d_name + n - 3, ".tr") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		len = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		if (catalogue_meta_parse(buf, len, path, &m, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		if (!m.has_id || strncmp(m.id, "POLICY-", 7) != 0 || !m.title[0] || !m.why[0] ||
		    !m.fix[0])
			fail_msg("%s: id, title, why and fix are required (id %s)", path, m.id);
		for (k = 0; k < nids; k++)
			if (strcmp(ids[k], m.id) == 0)
				fail_msg("%s: id %s used twice", path, m.id);
		assert_true(nids < 64);
		snprintf(ids[nids++], sizeof(ids[0]), "%s", m.id);
	}
	closedir(d);
	assert_true(nids >= 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_expect_parse),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_catalogue_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
