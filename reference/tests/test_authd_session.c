/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_session - ref-authd's session state machine, fed with lines
 * DESCRIPTION
 *	No sockets: the ops record what the session sends, delays and asks
 *	the passdb. Covers the handshake bytes (2.3 and 2.4 styles), each
 *	row of Dovecot's AUTH parsing table, CONT and CANCEL rules, the
 *	mechanisms through the session, late passdb answers, expiry, and
 *	what each fault switch changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto/base64.h"
#include "reference/authd/session.h"

struct rec {
	struct xbuf sent;	/* immediate output */
	struct xbuf delayed;	/* failure-delayed output */
	struct passdb *db;
	int async;		/* keep verify requests pending */
	unsigned pend_id;
	uint64_t pend_serial;
	char pend_user[64], pend_pw[64];
	int nverify;
};

static void r_send(void *ctx, const char *d, size_t n)
{
	struct rec *r = ctx;

	assert_int_equal(xbuf_append(&r->sent, d, n), 0);
}

static void r_delayed(void *ctx, const char *d, size_t n)
{
	struct rec *r = ctx;

	assert_int_equal(xbuf_append(&r->delayed, d, n), 0);
}

static const struct passdb_user *r_lookup(void *ctx, const char *user)
{
	struct rec *r = ctx;

	return passdb_lookup(r->db, user);
}

static struct authd_session *cur;

static void r_verify(void *ctx, unsigned id, uint64_t serial, const char *user, const char *pw)
{
	struct rec *r = ctx;
	const struct passdb_user *u = passdb_lookup(r->db, user);

	r->nverify++;
	if (r->async) {
		r->pend_id = id;
		r->pend_serial = serial;
		snprintf(r->pend_user, sizeof(r->pend_user), "%s", user);
		snprintf(r->pend_pw, sizeof(r->pend_pw), "%s", pw);
		return;
	}
	authd_session_verified(cur, id, serial, u != NULL && passdb_verify(u, pw));
}

static uint64_t r_time(void *ctx)
{
	(void)ctx;
	return 1700000000ULL;
}

static const struct authd_ops ops = { r_send, r_delayed, r_lookup, r_verify, NULL, r_time, NULL };

struct fix {
	struct rec r;
	struct authd_settings set;
	struct authd_ident id;
};

static int setup(void **state)
{
	static struct fix f;
	char err[256];
	const char *users = "alice:{PLAIN}secret\nbob:{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56\n";

	memset(&f, 0, sizeof(f));
	xbuf_init(&f.r.sent, 0);
	xbuf_init(&f.r.delayed, 0);
	f.r.db = passdb_parse(users, strlen(users), "users", err, sizeof(err));
	assert_non_null(f.r.db);
	f.set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_LOGIN) | (1u << SASL_MECH_CRAM_MD5);
	f.set.max_pending = 4;
	f.set.request_timeout_ms = 150000;
	f.set.hostname = "mx.test";
	f.id.spid = 123;
	f.id.cuid = 7;
	memcpy(f.id.cookie, "0123456789abcdef0123456789abcdef", 33);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	xbuf_free(&f->r.sent);
	xbuf_free(&f->r.delayed);
	passdb_unref(&f->r.db);
	return 0;
}

/* feed - lines separated by \n; returns the last line's rc */
static int feed(struct authd_session *s, const char *text, uint64_t now)
{
	int rc = 0;

	cur = s;
	while (*text && rc == 0) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		rc = authd_session_line(s, text, n, now);
		text += n + (nl ? 1 : 0);
	}
	return rc;
}

static struct authd_session *ready(struct fix *f)
{
	struct authd_session *s = authd_session_create(&f->set, &ops, &f->r, &f->id);

	cur = s;
	authd_session_start(s);
	assert_int_equal(feed(s, "VERSION\t1\t0\nCPID\t42\n", 0), 0);
	xbuf_reset(&f->r.sent);
	return s;
}

static void test_authd_session_handshake_bytes(void **state)
{
	struct fix *f = *state;
	struct authd_session *s = authd_session_create(&f->set, &ops, &f->r, &f->id);

	authd_session_start(s);
	assert_string_equal(xbuf_cstr(&f->r.sent),
			    "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
			    "MECH\tCRAM-MD5\tdictionary\tactive\nSPID\t123\nCUID\t7\n"
			    "COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n");
	authd_session_destroy(&s);
	/* 2.4 style: only VERSION until the client's VERSION arrives */
	xbuf_reset(&f->r.sent);
	f->set.handshake_24 = 1;
	s = authd_session_create(&f->set, &ops, &f->r, &f->id);
	authd_session_start(s);
	assert_string_equal(xbuf_cstr(&f->r.sent), "VERSION\t1\t3\n");
	assert_int_equal(feed(s, "VERSION\t1\t4\n", 0), 0);
	assert_non_null(strstr(xbuf_cstr(&f->r.sent), "MECH\tPLAIN\tplaintext\n"));
	assert_non_null(strstr(xbuf_cstr(&f->r.sent), "DONE\n"));
	authd_session_destroy(&s);
	/* 2.4's auth-legacy: VERSION 1 3 and the rest at once, nothing more after VERSION */
	xbuf_reset(&f->r.sent);
	f->set.handshake_legacy = 1;
	s = authd_session_create(&f->set, &ops, &f->r, &f->id);
	authd_session_start(s);
	assert_string_equal(xbuf_cstr(&f->r.sent),
			    "VERSION\t1\t3\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
			    "MECH\tCRAM-MD5\tdictionary\tactive\nSPID\t123\nCUID\t7\n"
			    "COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n");
	xbuf_reset(&f->r.sent);
	assert_int_equal(feed(s, "VERSION\t1\t0\nCPID\t42\n", 0), 0);
	assert_int_equal(f->r.sent.len, 0);
	/* the client's VERSION is still read as 2.4 reads it */
	authd_session_destroy(&s);
	s = authd_session_create(&f->set, &ops, &f->r, &f->id);
	authd_session_start(s);
	assert_int_equal(feed(s, "VERSION\n", 0), -1);
	assert_non_null(strstr(authd_session_error(s), "didn't reply with a valid VERSION line"));
	authd_session_destroy(&s);
	f->set.handshake_legacy = 0;
	f->set.handshake_24 = 0;
}

struct dc_case {
	const char *name;
	const char *lines;
	const char *error;	/* substring of the disconnect reason */
};

static void test_authd_session_disconnects(void **state)
{
	static const struct dc_case cases[] = {
		{ "CPID first", "CPID\t1\n", "valid VERSION" },
		{ "major 2", "VERSION\t2\t0\n", "not compatible" },
		{ "AUTH before CPID", "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n", "handshake command" },
		{ "CPID 0", "VERSION\t1\t0\nCPID\t0\n", "PID 0" },
		{ "id 0", "VERSION\t1\t0\nCPID\t1\nAUTH\t0\tPLAIN\tservice=smtp\n", "broken AUTH" },
		{ "id not a number", "VERSION\t1\t0\nCPID\t1\nAUTH\tx\tPLAIN\tservice=smtp\n", "broken AUTH" },
		{ "no mechanism", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\n", "broken AUTH" },
		{ "unknown mechanism", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tGSSAPI\tservice=smtp\n",
		  "unsupported authentication mechanism GSSAPI" },
		{ "mechanism not offered", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tSCRAM-SHA-1\tservice=smtp\n",
		  "unsupported" },
		{ "params after resp", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\tresp=AA==\tx\n",
		  "after 'resp'" },
		{ "no service", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tprotocol=smtp\n",
		  "didn't specify service" },
		{ "duplicate id", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tLOGIN\tservice=smtp\nAUTH\t1\tLOGIN\tservice=smtp\n",
		  "duplicate ID 1" },
		{ "CONT without data", "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tLOGIN\tservice=smtp\nCONT\t1\n",
		  "broken CONT" },
		{ "unknown command", "VERSION\t1\t0\nCPID\t1\nHELLO\n", "unknown command: HELLO" },
		{ "second VERSION", "VERSION\t1\t0\nCPID\t1\nVERSION\t1\t0\n", "unknown command" },
		{ "too many pending",
		  "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tLOGIN\tservice=smtp\nAUTH\t2\tLOGIN\tservice=smtp\n"
		  "AUTH\t3\tLOGIN\tservice=smtp\nAUTH\t4\tLOGIN\tservice=smtp\nAUTH\t5\tLOGIN\tservice=smtp\n",
		  "more than 4 pending" },
	};
	struct fix *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct authd_session *s = authd_session_create(&f->set, &ops, &f->r, &f->id);

		authd_session_start(s);
		if (feed(s, cases[i].lines, 0) != -1)
			fail_msg("%s: no disconnect", cases[i].name);
		if (strstr(authd_session_error(s), cases[i].error) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].name, authd_session_error(s),
				 cases[i].error);
		authd_session_destroy(&s);
	}
}

struct ex_case {
	const char *name;
	const char *lines;
	const char *sent;	/* exact immediate output */
	const char *delayed;	/* exact delayed output */
};

static void test_authd_session_exchanges(void **state)
{
	static const struct ex_case cases[] = {
		{ "PLAIN ok", "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\t"
		  "resp=AGFsaWNlAHNlY3JldA==\n", "OK\t1\tuser=alice\n", "" },
		{ "PLAIN wrong: delayed FAIL without reason",
		  "AUTH\t2\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHdyb25n\n", "", "FAIL\t2\tuser=alice\n" },
		{ "unknown user", "AUTH\t2\tPLAIN\tservice=smtp\tresp=AG5vYm9keQB4\n", "",
		  "FAIL\t2\tuser=nobody\n" },
		{ "no resp", "AUTH\t3\tPLAIN\tservice=smtp\n", "CONT\t3\t\n", "" },
		{ "empty resp is absent for minor 0", "AUTH\t3\tPLAIN\tservice=smtp\tresp=\n",
		  "CONT\t3\t\n", "" },
		{ "resp== is empty", "AUTH\t3\tPLAIN\tservice=smtp\tresp==\n", "", "FAIL\t3\n" },
		{ "unknown params ignored", "AUTH\t1\tPLAIN\tservice=smtp\tfoo=bar\tbare\tsecured\t"
		  "resp=AGFsaWNlAHNlY3JldA==\n", "OK\t1\tuser=alice\n", "" },
		{ "invalid base64 initial", "AUTH\t4\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA\n",
		  "FAIL\t4\tcode=invalid_base64\treason=Invalid base64 data in initial response\n", "" },
		{ "invalid base64 continued", "AUTH\t5\tLOGIN\tservice=smtp\nCONT\t5\t!!\n",
		  "CONT\t5\tVXNlcm5hbWU6\n"
		  "FAIL\t5\tcode=invalid_base64\treason=Invalid base64 data in continued response\n", "" },
		{ "unknown id", "CONT\t77\tAAAA\n", "FAIL\t77\treason=Authentication request timed out\n",
		  "" },
		{ "LOGIN", "AUTH\t6\tlogin\tservice=smtp\nCONT\t6\tYWxpY2U=\nCONT\t6\tc2VjcmV0\n",
		  "CONT\t6\tVXNlcm5hbWU6\nCONT\t6\tUGFzc3dvcmQ6\nOK\t6\tuser=alice\n", "" },
		{ "LOGIN initial response skips a prompt", "AUTH\t6\tLOGIN\tservice=smtp\tresp=YWxpY2U=\n"
		  "CONT\t6\tc2VjcmV0\n", "CONT\t6\tUGFzc3dvcmQ6\nOK\t6\tuser=alice\n", "" },
		{ "abandoned request then a new one",
		  "AUTH\t7\tLOGIN\tservice=smtp\nAUTH\t8\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  "CONT\t7\tVXNlcm5hbWU6\nOK\t8\tuser=alice\n", "" },
		{ "cancel", "AUTH\t9\tLOGIN\tservice=smtp\nCANCEL\t9\nCONT\t9\tYWxpY2U=\n",
		  "CONT\t9\tVXNlcm5hbWU6\nFAIL\t9\treason=Authentication request timed out\n", "" },
		{ "big id", "AUTH\t4294967295\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  "OK\t4294967295\tuser=alice\n", "" },
	};
	struct fix *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct authd_session *s = ready(f);

		xbuf_reset(&f->r.delayed);
		if (feed(s, cases[i].lines, 0) != 0)
			fail_msg("%s: disconnected: %s", cases[i].name, authd_session_error(s));
		if (strcmp(xbuf_cstr(&f->r.sent), cases[i].sent) != 0)
			fail_msg("%s: sent \"%s\"", cases[i].name, xbuf_cstr(&f->r.sent));
		if (strcmp(xbuf_cstr(&f->r.delayed), cases[i].delayed) != 0)
			fail_msg("%s: delayed \"%s\"", cases[i].name, xbuf_cstr(&f->r.delayed));
		authd_session_destroy(&s);
	}
}

/* a user name with TAB is escaped in replies */
static void test_authd_session_escaping(void **state)
{
	struct fix *f = *state;
	struct authd_session *s = ready(f);

	/* PLAIN \0a<TAB>b\0x : unknown user "a\tb" */
	assert_int_equal(feed(s, "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGEJYgB4\n", 0), 0);
	assert_string_equal(xbuf_cstr(&f->r.delayed), "FAIL\t1\tuser=a\001tb\n");
	authd_session_destroy(&s);
	/* the fault writes it raw */
	f->set.faults = AUTHD_FAULT_UNESCAPED_TAB_USER;
	xbuf_reset(&f->r.delayed);
	s = ready(f);
	assert_int_equal(feed(s, "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGEJYgB4\n", 0), 0);
	assert_string_equal(xbuf_cstr(&f->r.delayed), "FAIL\t1\tuser=a\tb\n");
	authd_session_destroy(&s);
	f->set.faults = 0;
}

/* CRAM-MD5 with a stored {CRAM-MD5} value, challenge computed by the client */
static void test_authd_session_cram(void **state)
{
	struct fix *f = *state;
	struct authd_session *s = ready(f);
	const char *sent;

	assert_int_equal(feed(s, "AUTH\t1\tCRAM-MD5\tservice=smtp\n", 0), 0);
	sent = xbuf_cstr(&f->r.sent);
	assert_true(strncmp(sent, "CONT\t1\t", 7) == 0);
	/* a wrong digest fails (delayed), with the user */
	assert_int_equal(feed(s, "CONT\t1\tYm9iIDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw\n", 0), 0);
	assert_string_equal(xbuf_cstr(&f->r.delayed), "FAIL\t1\tuser=bob\n");
	authd_session_destroy(&s);
}

/* a passdb answer that comes after the request was cancelled is ignored */
static void test_authd_session_late_verify(void **state)
{
	struct fix *f = *state;
	struct authd_session *s = ready(f);

	f->r.async = 1;
	assert_int_equal(feed(s, "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n", 0), 0);
	assert_int_equal(f->r.nverify, 1);
	assert_string_equal(xbuf_cstr(&f->r.sent), "");
	/* CONT while the passdb works: unexpected continuation, request gone */
	assert_int_equal(feed(s, "CONT\t1\tAAAA\n", 0), 0);
	assert_string_equal(xbuf_cstr(&f->r.sent), "FAIL\t1\treason=Unexpected continuation\n");
	authd_session_verified(s, f->r.pend_id, f->r.pend_serial, 1);	/* ignored */
	assert_string_equal(xbuf_cstr(&f->r.sent), "FAIL\t1\treason=Unexpected continuation\n");
	/* a normal late answer is delivered */
	xbuf_reset(&f->r.sent);
	assert_int_equal(feed(s, "AUTH\t2\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n", 0), 0);
	authd_session_verified(s, f->r.pend_id, f->r.pend_serial, 1);
	assert_string_equal(xbuf_cstr(&f->r.sent), "OK\t2\tuser=alice\n");
	f->r.async = 0;
	authd_session_destroy(&s);
}

static void test_authd_session_expiry(void **state)
{
	struct fix *f = *state;
	struct authd_session *s = ready(f);

	assert_int_equal(feed(s, "AUTH\t1\tLOGIN\tservice=smtp\n", 1000), 0);
	assert_int_equal(authd_session_pending(s), 1);
	authd_session_expire(s, 1000 + 149999);
	assert_int_equal(authd_session_pending(s), 1);
	authd_session_expire(s, 1000 + 150000);
	assert_int_equal(authd_session_pending(s), 0);
	xbuf_reset(&f->r.sent);
	assert_int_equal(feed(s, "CONT\t1\tYWxpY2U=\n", 200000), 0);
	assert_string_equal(xbuf_cstr(&f->r.sent), "FAIL\t1\treason=Authentication request timed out\n");
	authd_session_destroy(&s);
}

/* scram_auth - AUTH id SCRAM-SHA-256 with a client nonce of n bytes */
static void scram_auth(struct xbuf *line, unsigned id, size_t n)
{
	struct xbuf first;

	xbuf_init(&first, 0);
	assert_int_equal(xbuf_append_str(&first, "n,,n=alice,r="), 0);
	while (n-- > 0)
		assert_int_equal(xbuf_append_char(&first, 'x'), 0);
	xbuf_reset(line);
	assert_int_equal(xbuf_printf(line, "AUTH\t%u\tSCRAM-SHA-256\tservice=smtp\tresp=", id), 0);
	assert_int_equal(base64_encode(first.data, first.len, line), 0);
	assert_int_equal(xbuf_append_char(line, '\n'), 0);
	xbuf_free(&first);
}

/*
 * pending requests are charged in bytes, to the connection and to a budget
 * shared by all: a SCRAM request waiting for its client-final with a
 * 3,000-byte nonce costs 1,024 + 2 x its 4,020 base64 bytes
 */
static void test_authd_session_pending_bytes(void **state)
{
	struct fix *f = *state;
	struct authd_budget budget = { 0, 0, 0 };
	struct authd_session *s, *t;
	struct xbuf line;

	f->set.mechs |= 1u << SASL_MECH_SCRAM_SHA_256;
	f->set.max_pending_bytes = 20000;
	f->set.budget = &budget;
	xbuf_init(&line, 0);
	s = ready(f);
	t = ready(f);
	assert_int_equal(feed(t, "AUTH\t1\tLOGIN\tservice=smtp\n", 0), 0);
	assert_int_equal(budget.used, AUTHD_REQ_BYTES);
	scram_auth(&line, 1, 3000);
	assert_int_equal(feed(s, xbuf_cstr(&line), 0), 0);
	assert_int_equal(authd_session_pending(s), 1);
	assert_int_equal(authd_session_pending_bytes(s), AUTHD_REQ_BYTES + 2 * 4020);
	assert_int_equal(budget.used, authd_session_pending_bytes(s) + AUTHD_REQ_BYTES);
	scram_auth(&line, 2, 3000);
	assert_int_equal(feed(s, xbuf_cstr(&line), 0), 0);
	scram_auth(&line, 3, 3000);
	assert_int_equal(feed(s, xbuf_cstr(&line), 0), -1);	/* above 20,000 bytes */
	assert_string_equal(authd_session_error(s),
			    "Authentication client 42 has more than 20000 bytes in pending requests");
	authd_session_drop_pending(s);
	assert_int_equal(authd_session_pending(s), 0);
	assert_int_equal(budget.used, AUTHD_REQ_BYTES);
	/* a finished request gives its bytes back */
	assert_int_equal(feed(t, "CANCEL\t1\n", 0), 0);
	assert_int_equal(budget.used, 0);
	authd_session_destroy(&s);
	authd_session_destroy(&t);
	assert_int_equal(budget.used, 0);
	xbuf_free(&line);
	f->set.budget = NULL;
	f->set.max_pending_bytes = 0;
}

struct fault_case {
	const char *fault;
	const char *lines;	/* after the handshake */
	const char *expect;	/* substring of what was sent (handshake included) */
};

static void test_authd_session_faults(void **state)
{
	static const struct fault_case cases[] = {
		{ "spid-before-mech", "", "VERSION\t1\t2\nSPID\t123\nCUID\t7\nCOOKIE\t" },
		{ "no-done", "", "COOKIE\t0123456789abcdef0123456789abcdef\n" },
		{ "version-major-2", "", "VERSION\t2\t2\n" },
		{ "bare-version", "", "VERSION\nMECH" },
		{ "ok-without-user", "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n", "\nOK\t1\n" },
		{ "wrong-id", "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n", "OK\t1001\tuser=alice\n" },
		{ "cont-extra-fields", "AUTH\t1\tPLAIN\tservice=smtp\n", "CONT\t1\t\textra=1\n" },
		{ "garbage-line", "AUTH\t1\tPLAIN\tservice=smtp\n", "GARBAGE" },
		{ "ok-nologin", "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  "\nOK\t1\tuser=alice\tnologin\n" },
		{ "cont-no-data", "AUTH\t1\tPLAIN\tservice=smtp\n", "\nCONT\t1\n" },
	};
	struct fix *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct authd_session *s;
		unsigned bit;

		assert_int_equal(authd_fault_parse(cases[i].fault, strlen(cases[i].fault), &bit), 0);
		f->set.faults = bit;
		xbuf_reset(&f->r.sent);
		s = authd_session_create(&f->set, &ops, &f->r, &f->id);
		cur = s;
		authd_session_start(s);
		assert_int_equal(feed(s, "VERSION\t1\t0\nCPID\t1\n", 0), 0);
		assert_int_equal(feed(s, cases[i].lines, 0), 0);
		if (strstr(xbuf_cstr(&f->r.sent), cases[i].expect) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].fault, xbuf_cstr(&f->r.sent),
				 cases[i].expect);
		if (strcmp(cases[i].fault, "no-done") == 0)
			assert_null(strstr(xbuf_cstr(&f->r.sent), "DONE"));
		authd_session_destroy(&s);
	}
	f->set.faults = 0;
	{
		unsigned bit;

		assert_int_equal(authd_fault_parse("nope", 4, &bit), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authd_session_handshake_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_disconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_exchanges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_cram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_late_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_pending_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authd_session_faults, setup, teardown),
	};

	return cmocka_run_group_tests_name("authd_session", tests, NULL, NULL);
}
