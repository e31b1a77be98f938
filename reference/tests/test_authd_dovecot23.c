/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_dovecot23 - ref-authd's reading of client lines, word for
 *	word as Dovecot 2.3.21 auth-client-connection.c reads them
 * DESCRIPTION
 *	Table tests, no sockets. Each row is a client conversation after
 *	the server's greeting and either the exact disconnect reason (the
 *	text Dovecot 2.3 logs) or the exact bytes answered. The rows cover
 *	command words without their TAB ("CONT" alone once read past the
 *	line), CPID and CANCEL taking exactly one number, AUTH with more
 *	fields than the codec's split limit, tab-escaped AUTH fields, and
 *	the 2.3 / 2.4 VERSION texts; with the 2.4 handshake, the lines
 *	Dovecot 2.4 reads otherwise (CPID and CANCEL with an extra field,
 *	protocol= for service=, bare words, an empty line).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "reference/authd/session.h"

struct rec {
	struct xbuf sent;
	struct xbuf delayed;
	struct passdb *db;
	struct authd_session *s;
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

static void r_verify(void *ctx, unsigned id, uint64_t serial, const char *user, const char *pw)
{
	struct rec *r = ctx;
	const struct passdb_user *u = passdb_lookup(r->db, user);

	authd_session_verified(r->s, id, serial, u != NULL && passdb_verify(u, pw));
}

static const struct authd_ops ops = { r_send, r_delayed, r_lookup, r_verify, NULL, NULL, NULL };

struct row {
	const char *name;
	const char *lines;	/* client lines, each ending in \n */
	const char *error;	/* exact disconnect reason, or NULL: must stay connected */
	const char *sent;	/* exact output after the greeting (NULL: not checked) */
};

/* run_row - a fresh session fed with the row's lines (2.3 or 2.4 handshake) */
static void run_row(const struct row *row, int h24)
{
	const char *users = "alice:{PLAIN}secret\n";
	struct authd_settings set;
	struct authd_ident ident;
	struct rec r;
	char err[256];
	const char *p = row->lines;
	int rc = 0;

	memset(&set, 0, sizeof(set));
	set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_LOGIN);
	set.max_pending = 1024;
	set.handshake_24 = h24;
	memset(&ident, 0, sizeof(ident));
	ident.spid = 1;
	ident.cuid = 1;
	memcpy(ident.cookie, "00000000000000000000000000000000", 33);
	memset(&r, 0, sizeof(r));
	xbuf_init(&r.sent, 0);
	xbuf_init(&r.delayed, 0);
	r.db = passdb_parse(users, strlen(users), "users", err, sizeof(err));
	assert_non_null(r.db);
	r.s = authd_session_create(&set, &ops, &r, &ident);
	authd_session_start(r.s);
	xbuf_reset(&r.sent);
	while (*p != '\0' && rc == 0) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		rc = authd_session_line(r.s, p, (size_t)(nl - p), 0);
		p = nl + 1;
	}
	if (row->error != NULL) {
		if (rc != -1)
			fail_msg("%s: still connected", row->name);
		if (*p != '\0')
			fail_msg("%s: disconnected before the last line", row->name);
		if (strcmp(authd_session_error(r.s), row->error) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", row->name,
				 authd_session_error(r.s), row->error);
	} else if (rc != 0) {
		fail_msg("%s: disconnected: %s", row->name, authd_session_error(r.s));
	}
	if (row->sent != NULL && strcmp(xbuf_cstr(&r.sent), row->sent) != 0)
		fail_msg("%s: sent \"%s\", want \"%s\"", row->name, xbuf_cstr(&r.sent), row->sent);
	authd_session_destroy(&r.s);
	passdb_unref(&r.db);
	xbuf_free(&r.sent);
	xbuf_free(&r.delayed);
}

#define HS "VERSION\t1\t0\nCPID\t77\n"

static void test_authd_dovecot23_words(void **state)
{
	static const struct row rows[] = {
		/* a command word without its TAB is unknown (str_begins "CONT\t") */
		{ "bare CONT", HS "CONT\n", "BUG: Authentication client sent unknown command: CONT", "" },
		{ "bare AUTH", HS "AUTH\n", "BUG: Authentication client sent unknown command: AUTH", "" },
		{ "bare CANCEL", HS "CANCEL\n", "BUG: Authentication client sent unknown command: CANCEL",
		  "" },
		{ "empty line", HS "\n", "BUG: Authentication client sent unknown command: ", "" },
		{ "lower-case auth", HS "auth\t1\tPLAIN\tservice=smtp\n",
		  "BUG: Authentication client sent unknown command: auth\\t1\\tPLAIN\\tservice=smtp",
		  "" },
		{ "CONT with an empty id", HS "CONT\t\tAA==\n",
		  "BUG: Authentication client sent broken CONT request", "" },
		{ "CONT TAB only", HS "CONT\t\n", "BUG: Authentication client sent broken CONT request",
		  "" },
		{ "CANCEL with an extra field", HS "CANCEL\t1\tx\n",
		  "BUG: Authentication client sent broken CANCEL", "" },
		{ "CANCEL empty", HS "CANCEL\t\n", "BUG: Authentication client sent broken CANCEL", "" },
		{ "CANCEL unknown id", HS "CANCEL\t99\n", NULL, "" },
		{ "AUTH TAB only", HS "AUTH\t\n", "BUG: Authentication client 77 sent broken AUTH request",
		  "" },
		{ "AUTH id only", HS "AUTH\t1\n", "BUG: Authentication client 77 sent broken AUTH request",
		  "" },
		{ "AUTH empty mechanism", HS "AUTH\t1\t\tservice=smtp\n",
		  "BUG: Authentication client 77 requested unsupported authentication mechanism ", "" },
		{ "AUTH id over 32 bits", HS "AUTH\t4294967296\tPLAIN\tservice=smtp\n",
		  "BUG: Authentication client 77 sent broken AUTH request", "" },
		{ "mechanism case-insensitive", HS "AUTH\t1\tpLaIn\tservice=smtp\n", NULL, "CONT\t1\t\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], 0);
}

static void test_authd_dovecot23_handshake(void **state)
{
	static const struct row rows23[] = {
		{ "CPID before VERSION", "CPID\t1\n",
		  "Authentication client sent invalid VERSION line: CPID\\t1", "" },
		{ "VERSION one number", "VERSION\t1\n",
		  "Authentication client sent invalid VERSION line: VERSION\\t1", "" },
		{ "VERSION three numbers", "VERSION\t1\t2\t3\n",
		  "Authentication client sent invalid VERSION line: VERSION\\t1\\t2\\t3", "" },
		{ "VERSION bare", "VERSION\n", "Authentication client sent invalid VERSION line: VERSION",
		  "" },
		{ "VERSION major 2", "VERSION\t2\t0\n",
		  "Authentication client not compatible with this server (mixed old and new binaries?)",
		  "" },
		{ "CPID with an extra field", "VERSION\t1\t0\nCPID\t5\tx\n",
		  "BUG: Authentication client said it's PID 0", "" },
		{ "CPID over 32 bits", "VERSION\t1\t0\nCPID\t4294967296\n",
		  "BUG: Authentication client said it's PID 0", "" },
		{ "CPID negative", "VERSION\t1\t0\nCPID\t-1\n",
		  "BUG: Authentication client said it's PID 0", "" },
		{ "bare CPID", "VERSION\t1\t0\nCPID\n",
		  "BUG: Authentication client sent unknown handshake command: CPID", "" },
		{ "AUTH before CPID", "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n",
		  "BUG: Authentication client sent unknown handshake command: AUTH\\t1\\tPLAIN\\t"
		  "service=smtp", "" },
		{ "second VERSION before CPID", "VERSION\t1\t0\nVERSION\t1\t0\n",
		  "BUG: Authentication client sent unknown handshake command: VERSION\\t1\\t0", "" },
		{ "handshake ok", HS, NULL, "" },
		{ "VERSION after CPID", HS "VERSION\t1\t0\n",
		  "BUG: Authentication client sent unknown command: VERSION\\t1\\t0", "" },
	};
	static const struct row rows24[] = {
		{ "2.4: CPID before VERSION", "CPID\t1\n",
		  "Authentication client didn't reply with a valid VERSION line", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows23) / sizeof(rows23[0]); i++)
		run_row(&rows23[i], 0);
	for (i = 0; i < sizeof(rows24) / sizeof(rows24[0]); i++)
		run_row(&rows24[i], 1);
}

/* --handshake 2.4: the lines 2.4 reads otherwise, and 2.3's reading of the same */
static void test_authd_dovecot24_lines(void **state)
{
#define HS24 "VERSION\t1\t0\nCPID\t77\n"
#define MECHS24 "MECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t1\nCUID\t1\n" \
		"COOKIE\t00000000000000000000000000000000\nDONE\n"
	static const struct row rows24[] = {
		{ "2.4: CPID with an extra field", "VERSION\t1\t0\nCPID\t5\tx\n"
		  "AUTH\t1\tPLAIN\tservice=smtp\n", NULL, MECHS24 "CONT\t1\t\n" },
		{ "2.4: bare CPID", "VERSION\t1\t0\nCPID\n",
		  "BUG: Authentication client said it's PID 0", MECHS24 },
		{ "2.4: CANCEL with an extra field", HS24 "AUTH\t1\tPLAIN\tservice=smtp\n"
		  "CANCEL\t1\tx\nCONT\t1\tAA==\n", NULL,
		  MECHS24 "CONT\t1\t\nFAIL\t1\treason=Authentication request timed out\n" },
		{ "2.4: CANCEL with a bad first field", HS24 "CANCEL\tx\t1\n",
		  "BUG: Authentication client sent broken CANCEL", MECHS24 },
		{ "2.4: bare CONT", HS24 "CONT\n",
		  "BUG: Authentication client sent broken CONT request", MECHS24 },
		{ "2.4: protocol= names the service", HS24
		  "AUTH\t1\tPLAIN\tprotocol=smtp\tresp=AGFsaWNlAHNlY3JldA==\n", NULL,
		  MECHS24 "OK\t1\tuser=alice\n" },
		{ "2.4: neither protocol= nor service=", HS24 "AUTH\t1\tPLAIN\tproto=smtp\n",
		  "BUG: Authentication client 77 didn't specify protocol in request", MECHS24 },
		{ "2.4: empty line", HS24 "\n", "Unexpectedly received empty line", MECHS24 },
	};
	static const struct row rows23[] = {
		{ "2.3: protocol= is not the service", HS
		  "AUTH\t1\tPLAIN\tprotocol=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  "BUG: Authentication client 77 didn't specify service in request", "" },
		{ "2.3: CANCEL with two numbers", HS "CANCEL\t1\t2\n",
		  "BUG: Authentication client sent broken CANCEL", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows24) / sizeof(rows24[0]); i++)
		run_row(&rows24[i], 1);
	for (i = 0; i < sizeof(rows23) / sizeof(rows23[0]); i++)
		run_row(&rows23[i], 0);
}

static void test_authd_dovecot23_auth_fields(void **state)
{
	static const struct row rows[] = {
		/* \001 escapes are undone in every AUTH field, names included */
		{ "escaped service name", HS "AUTH\t1\tPLAIN\tserv\001ice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  NULL, "OK\t1\tuser=alice\n" },
		{ "escaped id", HS "AUTH\t\0017\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  NULL, "OK\t7\tuser=alice\n" },
		/* \001 1 is the escape of \001 itself: not a number */
		{ "escaped escape in the id", HS "AUTH\t\0011\tPLAIN\tservice=smtp\n",
		  "BUG: Authentication client 77 sent broken AUTH request", "" },
		{ "escaped mechanism", HS "AUTH\t1\tPL\001AIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n",
		  NULL, "OK\t1\tuser=alice\n" },
		{ "escaped resp", HS "AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNl\001AHNlY3JldA==\n",
		  NULL, "OK\t1\tuser=alice\n" },
		/* an escaped NUL ends the C string Dovecot works on */
		{ "NUL cuts the field", HS "AUTH\t1\tPLAIN\tx\0010service=smtp\n",
		  "BUG: Authentication client 77 didn't specify service in request", "" },
		{ "NUL leaves a bare service", HS "AUTH\t1\tPLAIN\tservice\0010x=smtp\n", NULL,
		  "CONT\t1\t\n" },
		{ "escaped TAB inside a value", HS "AUTH\t1\tPLAIN\tservice=sm\001ttp\trip=1\001t2\n",
		  NULL, "CONT\t1\t\n" },
		{ "bare resp is empty, absent for minor 0", HS "AUTH\t1\tPLAIN\tservice=smtp\tresp\n",
		  NULL, "CONT\t1\t\n" },
		{ "resp then an empty field", HS "AUTH\t1\tPLAIN\tservice=smtp\tresp=AA==\t\n",
		  "BUG: Authentication client 77 sent AUTH parameters after 'resp'", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], 0);
}

/* more fields than any fixed split table: Dovecot skips unknown ones */
static void test_authd_dovecot23_many_params(void **state)
{
	char line[16384];
	size_t n = 0;
	unsigned i;
	struct row row = { "600 unknown parameters", line, NULL, "OK\t1\tuser=alice\n" };

	(void)state;
	n += (size_t)snprintf(line + n, sizeof(line) - n, HS "AUTH\t1\tPLAIN\tservice=smtp");
	for (i = 0; i < 600; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\tx%u", i);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\tresp=AGFsaWNlAHNlY3JldA==\n");
	assert_true(n < sizeof(line) - 1);
	run_row(&row, 0);
	/* and a field count that is all TABs */
	n = (size_t)snprintf(line, sizeof(line), HS "AUTH\t1\tPLAIN\tservice=smtp");
	memset(line + n, '\t', 10000);
	memcpy(line + n + 10000, "\n", 2);
	row.name = "10000 empty parameters";
	row.sent = "CONT\t1\t\n";
	run_row(&row, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_dovecot23_words),
		cmocka_unit_test(test_authd_dovecot23_handshake),
		cmocka_unit_test(test_authd_dovecot23_auth_fields),
		cmocka_unit_test(test_authd_dovecot24_lines),
		cmocka_unit_test(test_authd_dovecot23_many_params),
	};

	return cmocka_run_group_tests_name("authd_dovecot23", tests, NULL, NULL);
}
