/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_pf_fuzz - seeded mutations through every Postfix oracle entry
 * DESCRIPTION
 *	Feeds mutated policy actions, policy replies, auth reply lines and
 *	handshake lines (from seed tables of real and edge-case inputs) into
 *	pf_pol_eval, pf_pol_read_reply, pf_auth_judge, pf_auth_handshake_line
 *	and pf_sasl_next, and checks the invariants every verdict must keep:
 *	  - a policy reject is one sanitized SMTP line: "[45]NN [45].D.D ",
 *	    the DSN class equal to the code's first digit, at most 510
 *	    bytes, no control bytes; a configuration error is exactly
 *	    "451 4.3.5 Server configuration error"; other verdicts carry no
 *	    reply line;
 *	  - a policy reply that succeeds has an action inside the input, with
 *	    no LF or NUL, and used + trailing equals the input length;
 *	  - an auth verdict's SMTP line starts as Postfix's (235/334/535) and
 *	    a skipped line has none; the handshake never returns anything but
 *	    -2..1.
 *	Run under ASan/UBSan by "make test": any out-of-bounds access fails.
 *	The PRNG is seeded, so a failure names an iteration that reproduces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "harness/postfix/pf_policy.h"
#include "harness/postfix/pf_sasl.h"

#define ITERATIONS	20000
#define MAXLEN		700

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static const char *const interesting[] = {
	" ", "\t", "\r", "\n", "\0", ":", "@", "=", ",", "{", "}", "5.7.1", "4.1.1", "550", "421",
	"OK", "DUNNO", "REJECT", "DEFER", "PREPEND", "X-H: v", "\xc3\xa9", "\xff", "\xed\xa0\x80",
	"permit", "reject", "warn_if_reject", "defer_if_reject", "defer_if_permit", "sleep",
	"check_policy_service", "reject_unauth_destination", "action=", "action", "\n\n",
	"user=", "reason=", "\t", "0x1", "01", "OK\t1", "CONT\t1\t", "FAIL\t1\t", "VERSION\t",
	"MECH\t", "SPID", "DONE", "4294967297",
};

/* mutate - a seed with a few random edits, into buf; returns the length */
static size_t mutate(const char *seed, char *buf)
{
	size_t len = strlen(seed), k, edits = rnd() % 6;

	if (len > MAXLEN)
		len = MAXLEN;
	memcpy(buf, seed, len);
	for (k = 0; k < edits; k++) {
		size_t pos = len ? rnd() % (len + 1) : 0;

		switch (rnd() % 5) {
		case 0:	/* flip a byte */
			if (len)
				buf[rnd() % len] = (char)(rnd() & 0xff);
			break;
		case 1:	/* delete a span */
			if (len) {
				size_t n = 1 + rnd() % 8, at = rnd() % len;

				if (n > len - at)
					n = len - at;
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
			}
			break;
		default: {	/* insert an interesting token */
			const char *t = interesting[rnd() % (sizeof(interesting) /
							   sizeof(interesting[0]))];
			size_t tl = t[0] ? strlen(t) : 1;

			if (len + tl > MAXLEN)
				break;
			memmove(buf + pos + tl, buf + pos, len - pos);
			memcpy(buf + pos, t, tl);
			len += tl;
			break;
		}
		}
	}
	return len;
}

static void check_smtp_line(const char *s, size_t i)
{
	size_t n = strlen(s), k;

	if (n < 10 || n > 510 || (s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || s[3] != ' ' || s[4] != s[0] || s[5] != '.')
		fail_msg("iteration %zu: bad reply line \"%s\"", i, s);
	for (k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			fail_msg("iteration %zu: control byte in \"%s\"", i, s);
}

static void test_pf_fuzz_policy_eval(void **state)
{
	static const char *const seeds[] = {
		"REJECT 5.7.1 no", "DEFER_IF_PERMIT x", "450 4.1.1 later", "permit_mynetworks, reject",
		"FILTER smtp:[h]:25", "PREPEND X-A: b", "BCC a@b", "521 bye", "warn_if_reject reject",
		"defer_if_reject, reject", "OK", "", "REDIRECT x@y", "HOLD", "DISCARD why",
	};
	static const char *const states[] = { "CONNECT", "EHLO", "MAIL", "RCPT", "DATA",
					       "END-OF-MESSAGE", "ETRN", "VRFY" };
	static const char *const versions[] = { "2.5", "2.11", "3.7", "3.12" };
	char buf[MAXLEN + 16];
	size_t i;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < ITERATIONS; i++) {
		struct pf_version v;
		enum pf_pol_state st;
		struct pf_pol_ctx c;
		struct pf_pol_verdict o;
		size_t len = mutate(seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))], buf);

		assert_int_equal(pf_version_parse(versions[rnd() % 4], &v), 0);
		assert_int_equal(pf_pol_state_parse(states[rnd() % 8], &st), 0);
		pf_pol_ctx_init(&c, &v, st);
		c.soft_bounce = (int)(rnd() % 8 == 0);
		pf_pol_eval(&c, buf, len, &o);
		switch (o.kind) {
		case PF_POL_REJECT:
			check_smtp_line(o.smtp, i);
			break;
		case PF_POL_CONFIG_ERROR:
			assert_string_equal(o.smtp, "451 4.3.5 Server configuration error");
			break;
		default:
			if (o.smtp[0] != '\0')
				fail_msg("iteration %zu: %s with reply \"%s\"", i,
					 pf_pol_kind_name(o.kind), o.smtp);
		}
		if (o.pending[0] != '\0' && o.pending[0] != '4')
			fail_msg("iteration %zu: pending \"%s\"", i, o.pending);
	}
}

static void test_pf_fuzz_policy_read(void **state)
{
	static const char *const seeds[] = {
		"action=DUNNO\n\n", "foo=1\naction=OK\nbar=2\n\n", "action\n\n", "\n",
		"action=OK\r\n\r\n", "action=REJECT a\naction=OK\n\n\n",
	};
	char buf[MAXLEN + 16];
	size_t i;

	(void)state;
	rng_state = 0x1234567887654321ULL;
	for (i = 0; i < ITERATIONS; i++) {
		struct pf_pol_read rd;
		size_t len = mutate(seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))], buf);
		int end = (int)(rnd() % 4);
		int rc = pf_pol_read_reply(buf, len, end, (int)(rnd() & 1), &rd);

		if (rc != 0 && rc != 1)
			fail_msg("iteration %zu: rc %d", i, rc);
		if (rc == 0 && end != PF_POL_END_NONE)
			fail_msg("iteration %zu: undecided at the end of the stream", i);
		if (rc == 1 && rd.ok) {
			if (rd.action.p < buf || rd.action.p + rd.action.len > buf + len ||
			    memchr(rd.action.p, '\n', rd.action.len) ||
			    memchr(rd.action.p, '\0', rd.action.len))
				fail_msg("iteration %zu: bad action view", i);
			if (rd.used + rd.trailing != len)
				fail_msg("iteration %zu: used %zu + trailing %zu != %zu", i, rd.used,
					 rd.trailing, len);
		}
		if (rc == 1 && !rd.ok && rd.why[0] == '\0')
			fail_msg("iteration %zu: failed try without a reason", i);
	}
}

static void test_pf_fuzz_auth(void **state)
{
	static const char *const replies[] = {
		"OK\t7\tuser=alice", "CONT\t7\tVXNlcm5hbWU6", "FAIL\t7\treason=nope\tcode=temp_fail",
		"FAIL\t7", "OK\t0x7\tuser=a\tnologin", "CANCELLED\t7", "CONT\t7",
	};
	static const char *const hs[] = {
		"VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "SPID\t1", "DONE", "VERSION",
		"MECH\tX\tprivate\tmutual-auth", "CUID\t3",
	};
	static const char *const versions[] = { "2.11", "3.7", "3.9", "3.12-20260710" };
	char buf[MAXLEN + 16];
	size_t i;

	(void)state;
	rng_state = 0xdeadbeefcafef00dULL;
	for (i = 0; i < ITERATIONS; i++) {
		struct pf_version v;
		struct pf_auth_verdict o;
		struct pf_auth_handshake h;
		struct pf_sasl_step s;
		size_t len;
		int rc;

		assert_int_equal(pf_version_parse(versions[rnd() % 4], &v), 0);
		len = mutate(replies[rnd() % (sizeof(replies) / sizeof(replies[0]))], buf);
		pf_auth_judge(&v, 7, buf, len, &o);
		switch (o.outcome) {
		case PF_AUTH_DONE:
			assert_string_equal(o.smtp, "235 2.7.0 Authentication successful");
			break;
		case PF_AUTH_MORE:
			assert_memory_equal(o.smtp, "334 ", 4);
			break;
		case PF_AUTH_FAIL:
			assert_memory_equal(o.smtp, "535 5.7.8 Error: authentication failed: ", 40);
			break;
		case PF_AUTH_SKIP:
			assert_string_equal(o.smtp, "");
			break;
		case PF_AUTH_TEMP:
			fail_msg("iteration %zu: a reply line gave TEMP", i);
		}
		pf_auth_handshake_init(&h, &v);
		for (rc = 0; rc == 0 && rnd() % 8 != 0;) {
			len = mutate(hs[rnd() % (sizeof(hs) / sizeof(hs[0]))], buf);
			rc = pf_auth_handshake_line(&h, buf, len);
		}
		if (rc < -2 || rc > 1)
			fail_msg("iteration %zu: handshake rc %d", i, rc);
		if (h.nmechs > PF_AUTH_MAX_MECHS)
			fail_msg("iteration %zu: %zu mechanisms", i, h.nmechs);
		len = mutate("YWxpY2U=", buf);
		pf_sasl_next(&v, buf, len, &s);
		if (s.send == (s.smtp[0] != '\0'))
			fail_msg("iteration %zu: send %d with reply \"%s\"", i, s.send, s.smtp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_fuzz_policy_eval),
		cmocka_unit_test(test_pf_fuzz_policy_read),
		cmocka_unit_test(test_pf_fuzz_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
