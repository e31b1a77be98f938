/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_mutator - the protocol-level AFL++ custom mutator
 * SYNOPSIS
 *	build/<config>/tests/test_mutator
 * DESCRIPTION
 *	Drives fuzz/mutator/smtpdh_mutator.c through its AFL++ entry points
 *	as afl-fuzz does (no AFL++ needed), under the build's sanitizers:
 *	the same seed gives the same outputs and another seed other ones;
 *	no output is longer than max_size, for max_size from 1 up; empty
 *	inputs, a missing splice input and inputs longer than max_size are
 *	handled; every operation named in the header shows up in the
 *	descriptions and does what it says on a line made for it (a TAB
 *	becomes \001t, a value of 16384 bytes, a CR, a re-encoded base64
 *	token that still decodes); selector bytes (SMTPDH_MUTATOR_PREFIX)
 *	stay as they were in most calls and are changed by at most one bit.
 * DIAGNOSTICS
 *	cmocka's report; exit status non-zero on a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/mutator/smtpdh_mutator.h"

static const char auth_in[] =
	"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t4242\n"
	"CUID\t7\nDONE\nCONT\t1\tVXNlcm5hbWU6\nOK\t1\tuser=alice\n";
static const char policy_in[] =
	"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.1\n"
	"sasl_username=alice\nsize=1024\n\n";

static size_t run(void *m, const char *in, size_t n, const char *add, size_t addn, size_t max,
		  uint8_t **out)
{
	/* afl-fuzz hands out writable buffers: give copies */
	static uint8_t inbuf[4096], addbuf[4096];

	assert_true(n <= sizeof(inbuf) && addn <= sizeof(addbuf));
	if (n > 0)
		memcpy(inbuf, in, n);
	if (addn > 0)
		memcpy(addbuf, add, addn);
	return afl_custom_fuzz(m, inbuf, n, out, add ? addbuf : NULL, addn, max);
}

static void test_deterministic(void **state)
{
	void *a = afl_custom_init(NULL, 42), *b = afl_custom_init(NULL, 42);
	void *c = afl_custom_init(NULL, 43);
	uint8_t *oa, *ob, *oc;
	size_t la, lb, lc, i, differ = 0;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < 500; i++) {
		la = run(a, auth_in, sizeof(auth_in) - 1, policy_in, sizeof(policy_in) - 1, 1 << 20, &oa);
		lb = run(b, auth_in, sizeof(auth_in) - 1, policy_in, sizeof(policy_in) - 1, 1 << 20, &ob);
		lc = run(c, auth_in, sizeof(auth_in) - 1, policy_in, sizeof(policy_in) - 1, 1 << 20, &oc);
		assert_int_equal(la, lb);
		assert_memory_equal(oa, ob, la);
		assert_string_equal(afl_custom_describe(a, 128), afl_custom_describe(b, 128));
		differ += la != lc || memcmp(oa, oc, la) != 0;
	}
	assert_true(differ > 250);
	afl_custom_deinit(a);
	afl_custom_deinit(b);
	afl_custom_deinit(c);
}

static void test_bounded(void **state)
{
	static const size_t maxes[] = { 1, 2, 7, 16, 64, 100, 16384, 70000 };
	void *m = afl_custom_init(NULL, 7);
	uint8_t *out;
	size_t i, k, len, longer = 0;

	(void)state;
	for (k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
		for (i = 0; i < 2000; i++) {
			len = run(m, i & 1 ? auth_in : policy_in,
				  i & 1 ? sizeof(auth_in) - 1 : sizeof(policy_in) - 1,
				  i & 2 ? policy_in : NULL, i & 2 ? sizeof(policy_in) - 1 : 0,
				  maxes[k], &out);
			assert_true(len <= maxes[k]);
			if (len > 0)
				assert_non_null(out);
			if (len == maxes[k] && maxes[k] >= 16384)
				longer++;
		}
	}
	/* boundary values of 16384 and 65536 bytes are cut at max_size */
	assert_true(longer > 0);
	/* empty input, no splice input; max_size 0 gives nothing */
	for (i = 0; i < 500; i++) {
		len = run(m, "", 0, NULL, 0, 64, &out);
		assert_true(len <= 64);
	}
	assert_int_equal(run(m, auth_in, 10, NULL, 0, 0, &out), 0);
	afl_custom_deinit(m);
}

static int has(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s), i;

	for (i = 0; i + l <= n; i++)
		if (memcmp(p + i, s, l) == 0)
			return 1;
	return 0;
}

/* run_of - the longest run of one byte value */
static size_t run_of(const uint8_t *p, size_t n)
{
	size_t best = 0, cur = 0, i;

	for (i = 0; i < n; i++) {
		cur = i > 0 && p[i] == p[i - 1] ? cur + 1 : 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static void test_operations(void **state)
{
	static const char *const ops[] = {
		"line-del", "line-dup", "line-swap", "line-ins", "splice", "field-del",
		"field-dup", "field-swap", "field-ins", "attr-swap", "tab-escape", "boundary",
		"number", "b64-reencode", "b64-corrupt", "cr", "keyword",
	};
	int seen[sizeof(ops) / sizeof(ops[0])] = { 0 };
	int escape = 0, b16384 = 0, cr = 0, reenc = 0, bignum = 0;
	void *m = afl_custom_init(NULL, 1);
	const char *d;
	uint8_t *out;
	size_t i, k, len;

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = run(m, auth_in, sizeof(auth_in) - 1, policy_in, sizeof(policy_in) - 1,
			  1 << 20, &out);
		d = afl_custom_describe(m, 256);
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (strstr(d, ops[k]) != NULL)
				seen[k]++;
		if (strcmp(d, "tab-escape") == 0 && has(out, len, "\001"))
			escape++;
		if (strcmp(d, "boundary") == 0 && run_of(out, len) >= 16384)
			b16384++;
		if (strcmp(d, "cr") == 0 && has(out, len, "\r"))
			cr++;
		if (strcmp(d, "number") == 0 && (has(out, len, "4294967296") ||
						 has(out, len, "18446744073709551615")))
			bignum++;
		/* one re-encode of VXNlcm5hbWU6 ("Username:") gives another base64 token */
		if (strcmp(d, "b64-reencode") == 0 && !has(out, len, "VXNlcm5hbWU6"))
			reenc++;
	}
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (seen[k] == 0)
			fail_msg("operation %s never used", ops[k]);
	}
	assert_true(escape > 0);
	assert_true(b16384 > 0);
	assert_true(cr > 0);
	assert_true(bignum > 0);
	assert_true(reenc > 0);
	afl_custom_deinit(m);
}

static void test_tab_escape_exact(void **state)
{
	void *m = afl_custom_init(NULL, 3);
	uint8_t *out;
	size_t len, i, hits = 0;

	(void)state;
	/* a single TAB: when it is turned into the escape, the rest is unchanged */
	for (i = 0; i < 20000 && hits == 0; i++) {
		len = run(m, "OK\t1", 4, NULL, 0, 64, &out);
		if (strcmp(afl_custom_describe(m, 64), "tab-escape") == 0 && len == 5 &&
		    memcmp(out, "OK\001t1", 5) == 0)
			hits++;
	}
	assert_true(hits > 0);
	afl_custom_deinit(m);
}

static void test_prefix(void **state)
{
	static const char in[] = "\x03\x81" "VERSION\t1\t2\nDONE\n";
	void *m;
	uint8_t *out;
	size_t i, len, same = 0, calls = 4000;

	(void)state;
	assert_int_equal(setenv("SMTPDH_MUTATOR_PREFIX", "2", 1), 0);
	m = afl_custom_init(NULL, 9);
	assert_int_equal(unsetenv("SMTPDH_MUTATOR_PREFIX"), 0);
	for (i = 0; i < calls; i++) {
		len = run(m, in, sizeof(in) - 1, in, sizeof(in) - 1, 4096, &out);
		assert_true(len >= 2);
		if (out[0] == 0x03 && out[1] == 0x81) {
			same++;
		} else {
			unsigned x = (unsigned)(out[0] ^ 0x03) << 8 | (unsigned)(out[1] ^ 0x81);

			/* exactly one bit of one selector byte */
			assert_true(x != 0 && (x & (x - 1)) == 0);
		}
	}
	/* one call in 16 may touch them: at least 80 % keep them */
	assert_true(same * 10 >= calls * 8);
	assert_true(same < calls);
	afl_custom_deinit(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_operations),
		cmocka_unit_test(test_tab_escape_exact),
		cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
