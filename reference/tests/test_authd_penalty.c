/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_penalty - the per-IP penalty table, clock given by hand
 * DESCRIPTION
 *	Idents (IPv4 as is, IPv6 cut to /48, junk refused), the seconds per
 *	penalty (2*2^N capped at 15), growth by failures, the same
 *	user/password not counted twice, decay after 15 s, reset after a
 *	success, expiry after 29 s and the entry bound. Then through the
 *	session: a failure raises the IP's penalty, the next request waits
 *	(nothing is answered until it is resumed, a CONT meanwhile is
 *	unexpected), no-penalty and other IPs are not held, a success
 *	clears it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference/authd/penalty.h"
#include "reference/authd/session.h"

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

/* --- through the session ------------------------------------------------ */

struct pfix {
	struct xbuf sent;
	struct authd_penalty *table;
	struct passdb *db;
	struct authd_session *s;
	uint64_t now;		/* seconds */
	unsigned ndefer, defer_id;
	uint64_t defer_serial, defer_ms;
};

static void p_send(void *ctx, const char *d, size_t n)
{
	struct pfix *f = ctx;

	assert_int_equal(xbuf_append(&f->sent, d, n), 0);
}

static const struct passdb_user *p_lookup(void *ctx, const char *user)
{
	struct pfix *f = ctx;

	return passdb_lookup(f->db, user);
}

static void p_verify(void *ctx, unsigned id, uint64_t serial, const char *user, const char *pw)
{
	struct pfix *f = ctx;
	const struct passdb_user *u = passdb_lookup(f->db, user);

	authd_session_verified(f->s, id, serial, u != NULL && passdb_verify(u, pw));
}

static unsigned p_get(void *ctx, const char *ident)
{
	struct pfix *f = ctx;

	return authd_penalty_get(f->table, ident, f->now);
}

static void p_inc(void *ctx, const char *ident, uint32_t sum, unsigned value)
{
	struct pfix *f = ctx;

	authd_penalty_inc(f->table, ident, sum, value, f->now);
}

static void p_defer(void *ctx, unsigned id, uint64_t serial, uint64_t ms)
{
	struct pfix *f = ctx;

	f->ndefer++;
	f->defer_id = id;
	f->defer_serial = serial;
	f->defer_ms = ms;
}

static const struct authd_ops pops_base = { p_send, p_send, p_lookup, p_verify, NULL, NULL, NULL };
static const struct authd_penalty_ops pops = { p_get, p_inc, p_defer };

/* say - one client line; returns what the server sent for it */
static const char *say(struct pfix *f, const char *line)
{
	xbuf_reset(&f->sent);
	assert_int_equal(authd_session_line(f->s, line, strlen(line), f->now * 1000), 0);
	return xbuf_cstr(&f->sent);
}

#define WRONG "\trip=192.0.2.7\tresp=AGFsaWNlAHdyb25n"	/* alice / wrong */
#define RIGHT "\trip=192.0.2.7\tresp=AGFsaWNlAHNlY3JldA=="	/* alice / secret */

static void test_authd_penalty_session(void **state)
{
	const char *users = "alice:{PLAIN}secret\n";
	struct pfix f;
	struct authd_settings set;
	struct authd_ident ident;
	char err[128];

	(void)state;
	memset(&f, 0, sizeof(f));
	memset(&set, 0, sizeof(set));
	memset(&ident, 0, sizeof(ident));
	set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_LOGIN);
	memcpy(ident.cookie, "00000000000000000000000000000000", 33);
	xbuf_init(&f.sent, 0);
	f.table = authd_penalty_create(100);
	f.db = passdb_parse(users, strlen(users), "users", err, sizeof(err));
	assert_non_null(f.db);
	f.now = 5000;
	f.s = authd_session_create(&set, &pops_base, &f, &ident);
	authd_session_set_penalty(f.s, &pops, &f);
	authd_session_start(f.s);
	(void)say(&f, "VERSION\t1\t0");
	(void)say(&f, "CPID\t9");

	/* no penalty yet: answered at once; the failure raises it to 1 */
	assert_string_equal(say(&f, "AUTH\t1\tPLAIN\tservice=smtp" WRONG), "FAIL\t1\tuser=alice\n");
	assert_int_equal(f.ndefer, 0);
	assert_int_equal(authd_penalty_get(f.table, "192.0.2.7", f.now), 1);

	/* the next request from that IP waits 4 s, unanswered */
	assert_string_equal(say(&f, "AUTH\t2\tPLAIN\tservice=smtp" WRONG), "");
	assert_int_equal(f.ndefer, 1);
	assert_int_equal(f.defer_id, 2);
	assert_int_equal(f.defer_ms, 4000);
	assert_int_equal(authd_session_pending(f.s), 1);
	/* a stale resume (wrong serial) does nothing */
	authd_session_resume(f.s, 2, f.defer_serial + 1);
	assert_int_equal(authd_session_pending(f.s), 1);
	/* resumed: the same wrong password again fails, and the penalty stays 1 */
	xbuf_reset(&f.sent);
	f.now += 4;
	authd_session_resume(f.s, 2, f.defer_serial);
	assert_string_equal(xbuf_cstr(&f.sent), "FAIL\t2\tuser=alice\n");
	assert_int_equal(authd_penalty_get(f.table, "192.0.2.7", f.now), 1);
	/* a resume for a finished request is ignored */
	xbuf_reset(&f.sent);
	authd_session_resume(f.s, 2, f.defer_serial);
	assert_string_equal(xbuf_cstr(&f.sent), "");

	/* a CONT while waiting is unexpected, and the request is gone */
	assert_string_equal(say(&f, "AUTH\t3\tLOGIN\tservice=smtp\trip=192.0.2.7"), "");
	assert_int_equal(f.ndefer, 2);
	assert_string_equal(say(&f, "CONT\t3\tYWxpY2U="),
			    "FAIL\t3\treason=Unexpected continuation\n");
	assert_int_equal(authd_session_pending(f.s), 0);
	authd_session_resume(f.s, 3, f.defer_serial);
	assert_int_equal(authd_session_pending(f.s), 0);

	/* other IPs, no-penalty, no rip and a junk rip are not held */
	assert_string_equal(say(&f, "AUTH\t4\tPLAIN\tservice=smtp\trip=192.0.2.8\tresp=AGFsaWNlAHNlY3JldA=="),
			    "OK\t4\tuser=alice\n");
	assert_string_equal(say(&f, "AUTH\t5\tPLAIN\tservice=smtp\tno-penalty" RIGHT),
			    "OK\t5\tuser=alice\n");
	assert_string_equal(say(&f, "AUTH\t6\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA=="),
			    "OK\t6\tuser=alice\n");
	assert_string_equal(say(&f, "AUTH\t7\tPLAIN\tservice=smtp\trip=\tresp=AGFsaWNlAHNlY3JldA=="),
			    "OK\t7\tuser=alice\n");
	assert_int_equal(f.ndefer, 2);

	/* a success after the wait clears the penalty */
	assert_string_equal(say(&f, "AUTH\t8\tPLAIN\tservice=smtp" RIGHT), "");
	assert_int_equal(f.ndefer, 3);
	xbuf_reset(&f.sent);
	authd_session_resume(f.s, 8, f.defer_serial);
	assert_string_equal(xbuf_cstr(&f.sent), "OK\t8\tuser=alice\n");
	assert_int_equal(authd_penalty_get(f.table, "192.0.2.7", f.now), 0);

	/* the pairs seen are remembered: the old wrong password does not count again */
	assert_string_equal(say(&f, "AUTH\t9\tPLAIN\tservice=smtp" WRONG), "FAIL\t9\tuser=alice\n");
	assert_int_equal(authd_penalty_get(f.table, "192.0.2.7", f.now), 0);
	/* a session destroyed while a request waits frees it (alice / other) */
	assert_string_equal(say(&f, "AUTH\t11\tPLAIN\tservice=smtp\trip=192.0.2.7\tresp=AGFsaWNlAG90aGVy"),
			    "FAIL\t11\tuser=alice\n");
	assert_int_equal(authd_penalty_get(f.table, "192.0.2.7", f.now), 1);
	assert_string_equal(say(&f, "AUTH\t10\tPLAIN\tservice=smtp" WRONG), "");
	assert_int_equal(authd_session_pending(f.s), 1);
	authd_session_destroy(&f.s);
	authd_penalty_destroy(&f.table);
	passdb_unref(&f.db);
	xbuf_free(&f.sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_penalty_ident),
		cmocka_unit_test(test_authd_penalty_secs),
		cmocka_unit_test(test_authd_penalty_growth),
		cmocka_unit_test(test_authd_penalty_same_password),
		cmocka_unit_test(test_authd_penalty_expiry_and_bound),
		cmocka_unit_test(test_authd_penalty_session),
	};

	return cmocka_run_group_tests_name("authd_penalty", tests, NULL, NULL);
}
