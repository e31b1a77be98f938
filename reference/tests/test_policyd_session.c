/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policyd_session - request handling fed with bytes, and netdb
 * DESCRIPTION
 *	A session is fed a byte stream as the connection layer hands it
 *	over (block mode: the unconsumed bytes in one run, CR kept, the
 *	bytes a request used dropped). Checked: one reply per request, in
 *	order, only after the empty line; unknown attributes, lines without
 *	"=", any order; duplicates first/last; every bound (line, attribute
 *	count, request size) at N and N+1 and a missing request= line end
 *	the connection with nothing sent; a long line is refused before its
 *	LF arrives; the same stream fed whole, in pieces of every size and
 *	one byte at a time gives the same replies; each fault switch's exact
 *	bytes, the early reply on the first line. The
 *	SQLite check: all rows of a user are read, malformed rows are
 *	skipped and reported, the @domain modes, and SQL injection payloads
 *	in sasl_username never widen access.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reference/policyd/netdb.h"
#include "reference/policyd/rules.h"
#include "reference/policyd/session.h"

static const char base_rules[] =
	"rule user-net: at RCPT sasl_username nonempty and\n"
	"    client_address not in networks(sasl_username) => REJECT 5.7.1 not from your network\n"
	"rule big: size > 1000 => 552 5.3.4 too big\n"
	"rule helo: helo_name == bad => REJECT bad helo\n";

struct fixture {
	char dbpath[64];
	struct netdb *db;
	struct rules *rs;
	struct policyd_engine *e;
	struct policyd_session s;
	struct policyd_settings set;
	struct xbuf out;
	char logged[4][300];
	int nlogged;
	int rc;			/* last non-zero session result */
	int replies;
	struct xbuf in;		/* received, not yet consumed */
	struct policyd_decision last;
};

static void log_fn(void *ctx, const char *text)
{
	struct fixture *f = ctx;

	if (f->nlogged < 4)
		snprintf(f->logged[f->nlogged], sizeof(f->logged[0]), "%s", text);
	f->nlogged++;
}

static void make_db(const char *path)
{
	static const char sql[] =
		"CREATE TABLE access(user TEXT, network TEXT);"
		"INSERT INTO access VALUES('test1', '127.0.0.0/8');"
		"INSERT INTO access VALUES('test1', 'garbage');"
		"INSERT INTO access VALUES('test1', NULL);"
		"INSERT INTO access VALUES('test1', '192.0.2.0/24');"
		"INSERT INTO access VALUES('test1', '2001:db8::/32');"
		"INSERT INTO access VALUES('bob@example.com', '198.51.100.1');"
		"INSERT INTO access VALUES('bob', '198.51.100.2');"
		"INSERT INTO access VALUES('x', '0.0.0.0/0');";
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int setup_with(void **state, enum netdb_domain dom, enum policy_dup dup,
		      unsigned faults)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];
	struct rules_env env;
	int fd;

	assert_non_null(f);
	snprintf(f->dbpath, sizeof(f->dbpath), "/tmp/policyd-test.XXXXXX");
	fd = mkstemp(f->dbpath);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->dbpath);
	make_db(f->dbpath);
	f->db = netdb_open(f->dbpath, dom, log_fn, f, err, sizeof(err));
	if (f->db == NULL)
		fail_msg("%s", err);
	f->rs = rules_parse(base_rules, strlen(base_rules), "t.rules", NULL, 1, err, sizeof(err));
	if (f->rs == NULL)
		fail_msg("%s", err);
	f->set.max_line = 100;
	f->set.max_attrs = 40;
	f->set.max_request = 2000;
	f->set.dup = dup;
	f->set.faults = faults;
	f->e = policyd_engine_create(&f->set);
	env.user_allows = netdb_user_allows;
	env.ctx = f->db;
	policyd_engine_set_rules(f->e, f->rs);
	policyd_engine_set_env(f->e, &env);
	policyd_session_init(&f->s, &f->set);
	xbuf_init(&f->out, 1 << 20);
	xbuf_init(&f->in, 1 << 20);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NETDB_KEEP, POLICY_DUP_LAST, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	policyd_session_free(&f->s);
	policyd_engine_destroy(&f->e);
	rules_free(&f->rs);
	netdb_close(&f->db);
	unlink(f->dbpath);
	xbuf_free(&f->out);
	xbuf_free(&f->in);
	free(f);
	return 0;
}

/* feed_n - n more bytes, handed over as the connection does; stops at an error */
static void feed_n(struct fixture *f, const char *bytes, size_t n)
{
	size_t used;
	int rc;

	if (f->rc < 0)
		return;
	assert_int_equal(xbuf_append(&f->in, bytes, n), 0);
	while (f->in.len > 0) {
		rc = policyd_session_input(&f->s, f->e, f->in.data, f->in.len, &used, &f->out,
					   &f->last);
		if (rc != 0)
			f->rc = rc;
		if (rc <= 0) {
			assert_int_equal(used, 0);
			return;
		}
		f->replies++;
		assert_true(used > 0 && used <= f->in.len);
		xbuf_consume(&f->in, used);
	}
}

/* feed - a C string of bytes */
static void feed(struct fixture *f, const char *bytes)
{
	feed_n(f, bytes, strlen(bytes));
}

/* restart - a new connection's session, nothing pending */
static void restart(struct fixture *f)
{
	policyd_session_free(&f->s);
	policyd_session_init(&f->s, &f->set);
	xbuf_reset(&f->in);
	f->rc = 0;
}

static const char *out(struct fixture *f)
{
	return f->out.len ? xbuf_cstr(&f->out) : "";
}

#define REQ(attrs) "request=smtpd_access_policy\n" attrs "\n"

static void test_basic_and_order(void **state)
{
	struct fixture *f = *state;

	feed(f, "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=10.0.0.1\n");
	assert_string_equal(out(f), "");	/* nothing before the empty line */
	feed(f, "sasl_username=test1\n\n");
	assert_string_equal(out(f), "action=REJECT 5.7.1 not from your network\n\n");
	/* pipelined: three requests in one write, answered in order */
	xbuf_reset(&f->out);
	feed(f, REQ("protocol_state=RCPT\nclient_address=192.0.2.5\nsasl_username=test1\n")
		REQ("size=5000\n")
		REQ("helo_name=bad\nfoo_bar=1\nno equals sign\nHelo_name=good\n"));
	assert_string_equal(out(f), "action=DUNNO\n\naction=552 5.3.4 too big\n\n"
			    "action=REJECT bad helo\n\n");
	assert_int_equal(f->replies, 4);
	/* any order: request= last */
	xbuf_reset(&f->out);
	feed(f, "client_address=2001:db8::9\nsasl_username=test1\nprotocol_state=RCPT\n"
		"request=smtpd_access_policy\n\n");
	assert_string_equal(out(f), "action=DUNNO\n\n");
	assert_int_equal(f->s.nrequests, 5);
}

static void test_duplicates_last(void **state)
{
	struct fixture *f = *state;

	feed(f, REQ("helo_name=bad\nhelo_name=good\n") REQ("helo_name=good\nhelo_name=bad\n"));
	assert_string_equal(out(f), "action=DUNNO\n\naction=REJECT bad helo\n\n");
}

static int setup_first(void **state)
{
	return setup_with(state, NETDB_KEEP, POLICY_DUP_FIRST, 0);
}

static void test_duplicates_first(void **state)
{
	struct fixture *f = *state;

	feed(f, REQ("helo_name=bad\nhelo_name=good\n") REQ("helo_name=good\nhelo_name=bad\n"));
	assert_string_equal(out(f), "action=REJECT bad helo\n\naction=DUNNO\n\n");
}

static void test_values(void **state)
{
	struct fixture *f = *state;

	/* CR is data: "bad\r" is not "bad"; "=" inside a value is kept */
	feed(f, REQ("helo_name=bad\r\n") REQ("helo_name=bad=x\n") REQ("size=1001\r\n"));
	assert_string_equal(out(f), "action=DUNNO\n\naction=DUNNO\n\naction=DUNNO\n\n");
	/* an empty request (only request=), and an "unknown" address, which
	 * is in no network: test1's "not in networks()" rule refuses it */
	xbuf_reset(&f->out);
	feed(f, REQ("") REQ("protocol_state=RCPT\nclient_address=unknown\nsasl_username=test1\n"));
	assert_string_equal(out(f), "action=DUNNO\n\naction=REJECT 5.7.1 not from your network\n\n");
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	char line[200];

	/* line over max_line (100): error, nothing sent */
	memset(line, 'a', sizeof(line));
	memcpy(line, "helo_name=", 10);
	line[101] = '\n';
	line[102] = '\0';
	feed(f, "request=smtpd_access_policy\n");
	feed(f, line);
	assert_int_equal(f->rc, -1);
	assert_string_equal(policyd_session_error(&f->s), "line too long");
	assert_string_equal(out(f), "");
	assert_int_equal(policyd_session_overlong(&f->s), 1);
	/* exactly max_line is fine */
	restart(f);
	line[100] = '\n';
	line[101] = '\0';
	feed(f, "request=smtpd_access_policy\n");
	feed(f, line);
	feed(f, "\n");
	assert_int_equal(f->rc, 1);
	assert_string_equal(out(f), "action=DUNNO\n\n");
}

static void test_too_many_attrs(void **state)
{
	struct fixture *f = *state;
	int i;

	feed(f, "request=smtpd_access_policy\n");
	for (i = 0; i < 39; i++)
		feed(f, "x=1\n");
	assert_int_equal(f->rc, 0);	/* 40 lines: at the bound */
	feed(f, "x=1\n");
	assert_int_equal(f->rc, -1);
	assert_string_equal(policyd_session_error(&f->s), "too many attributes");
	assert_string_equal(out(f), "");
}

static void test_request_size_and_type(void **state)
{
	struct fixture *f = *state;
	int i;

	/* 2000 bytes per request at most: 30 lines of 90 bytes is more */
	feed(f, "request=smtpd_access_policy\n");
	for (i = 0; i < 30 && f->rc == 0; i++)
		feed(f, "x=45678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n");
	assert_int_equal(f->rc, -1);
	assert_string_equal(policyd_session_error(&f->s), "request too large");
	assert_int_equal(policyd_session_overlong(&f->s), 0);
	/* no request=, or another type: refused without a reply */
	restart(f);
	feed(f, "protocol_state=RCPT\n\n");
	assert_int_equal(f->rc, -1);
	assert_string_equal(policyd_session_error(&f->s),
			    "request without request=smtpd_access_policy");
	restart(f);
	feed(f, "request=other\n\n");
	assert_int_equal(f->rc, -1);
	assert_string_equal(out(f), "");
}

/* the same stream whole, in pieces of every size, a byte at a time: the same replies */
static void test_pieces(void **state)
{
	struct fixture *f = *state;
	const char stream[] = REQ("protocol_state=RCPT\nclient_address=192.0.2.5\nsasl_username=test1\n")
		REQ("size=5000\r\n") REQ("helo_name=bad\nno equals sign\n") REQ("size=5000\n");
	const size_t n = sizeof(stream) - 1;
	char want[256];
	size_t piece, i;

	feed(f, stream);
	assert_int_equal(f->replies, 4);
	snprintf(want, sizeof(want), "%s", out(f));
	assert_string_equal(want, "action=DUNNO\n\naction=DUNNO\n\naction=REJECT bad helo\n\n"
			    "action=552 5.3.4 too big\n\n");
	for (piece = 1; piece <= n; piece++) {
		restart(f);
		xbuf_reset(&f->out);
		f->replies = 0;
		for (i = 0; i < n; i += piece)
			feed_n(f, stream + i, n - i < piece ? n - i : piece);
		if (strcmp(out(f), want) != 0 || f->replies != 4 || f->in.len != 0)
			fail_msg("pieces of %zu: \"%s\", %d replies", piece, out(f), f->replies);
	}
}

/* request size: max_request bytes with the empty line is fine, one more is not */
static void test_request_size_bound(void **state)
{
	struct fixture *f = *state;
	const char head[] = "request=smtpd_access_policy\n";
	char line[101];
	size_t total = sizeof(head) - 1;
	int fill;

	memset(line, 'x', sizeof(line));
	memcpy(line, "pad=", 4);
	for (fill = 0; fill < 2; fill++) {
		restart(f);
		xbuf_reset(&f->out);
		total = sizeof(head) - 1;
		feed(f, head);
		/* lines of 100 bytes (99 + LF) up to 2000 - 1 for the empty line, + fill */
		while (total + 100 <= 1999) {
			line[99] = '\n';
			feed_n(f, line, 100);
			total += 100;
		}
		line[1999 - total - 1 + fill] = '\n';
		feed_n(f, line, 1999 - total + fill);
		feed(f, "\n");
		if (fill == 0) {
			assert_int_equal(f->rc, 1);
			assert_string_equal(out(f), "action=DUNNO\n\n");
		} else {
			assert_int_equal(f->rc, -1);
			assert_string_equal(policyd_session_error(&f->s), "request too large");
			assert_string_equal(out(f), "");
		}
		line[1999 - total - 1 + fill] = 'x';
	}
}

/* a line longer than max_line is refused before its LF arrives */
static void test_long_line_early(void **state)
{
	struct fixture *f = *state;
	char part[101];

	memset(part, 'a', sizeof(part));
	feed(f, "request=smtpd_access_policy\nhelo_name=");
	feed_n(f, part, 90);	/* 100 bytes of the line: still fine */
	assert_int_equal(f->rc, 0);
	feed_n(f, part, 1);	/* 101: refused, no LF yet */
	assert_int_equal(f->rc, -1);
	assert_int_equal(policyd_session_overlong(&f->s), 1);
	assert_string_equal(out(f), "");
}

/* --- faults ------------------------------------------------------------ */

static const struct fault_case {
	unsigned faults;
	const char *want;
} fault_cases[] = {
	{ POLICYD_F_CRLF, "action=REJECT bad helo\r\n\r\n" },
	{ POLICYD_F_NO_ACTION, "\n" },
	{ POLICYD_F_ACTION_CASE, "Action=REJECT bad helo\n\n" },
	{ POLICYD_F_EXTRA_EMPTY, "action=REJECT bad helo\n\n\n" },
	{ POLICYD_F_CLOSE_AFTER, "action=REJECT bad helo\n\n" },
	{ POLICYD_F_NO_TERMINATOR, "action=REJECT bad helo\n" },
	{ POLICYD_F_BAD_ACTION, "action=" POLICYD_BAD_ACTION "\n\n" },
	{ POLICYD_F_COLON_ACTION, "action=" POLICYD_COLON_ACTION "\n\n" },
	{ POLICYD_F_CRLF | POLICYD_F_ACTION_CASE, "Action=REJECT bad helo\r\n\r\n" },
};

static void test_faults(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		void *st;
		struct fixture *f;

		setup_with(&st, NETDB_KEEP, POLICY_DUP_LAST, fault_cases[i].faults);
		f = st;
		feed(f, REQ("helo_name=bad\n"));
		if (strcmp(out(f), fault_cases[i].want) != 0)
			fail_msg("fault 0x%x: got \"%s\"", fault_cases[i].faults, out(f));
		/* close-after-reply is reported to the caller */
		xbuf_reset(&f->out);
		f->rc = 0;
		feed(f, "request=smtpd_access_policy\n");
		assert_int_equal(f->rc, 0);
		feed(f, "\n");
		assert_int_equal(f->rc, 1);
		assert_int_equal(f->last.close, fault_cases[i].faults == POLICYD_F_CLOSE_AFTER);
		teardown(&st);
	}
}

static void test_fault_early_reply(void **state)
{
	void *st;
	struct fixture *f;

	(void)state;
	setup_with(&st, NETDB_KEEP, POLICY_DUP_LAST, POLICYD_F_EARLY_REPLY);
	f = st;
	feed(f, "request=smtpd_acc");
	assert_string_equal(out(f), "");	/* not before the first line is complete */
	feed(f, "ess_policy\n");
	assert_string_equal(out(f), "action=DUNNO\n\n");	/* before the empty line */
	feed(f, "helo_name=bad\n\n");
	assert_string_equal(out(f), "action=DUNNO\n\n");	/* nothing more at the end */
	assert_int_equal(f->replies, 1);
	teardown(&st);
}

static void test_fault_names(void **state)
{
	unsigned bit = 0;

	(void)state;
	assert_int_equal(policyd_fault_parse("crlf", 4, &bit), 0);
	assert_int_equal(bit, POLICYD_F_CRLF);
	assert_int_equal(policyd_fault_parse("colon-action", 12, &bit), 0);
	assert_int_equal(bit, POLICYD_F_COLON_ACTION);
	assert_int_equal(policyd_fault_parse("crl", 3, &bit), -1);
	assert_int_equal(policyd_fault_parse("delay=5", 7, &bit), -1);	/* the daemon's */
}

/* --- netdb --------------------------------------------------------------- */

static int allows(struct fixture *f, const char *user, const char *addr)
{
	struct cidr_addr a;

	assert_int_equal(cidr_addr_parse(addr, strlen(addr), &a), 0);
	return netdb_user_allows(f->db, user, strlen(user), &a);
}

static void test_netdb_rows(void **state)
{
	struct fixture *f = *state;

	/* every row of the user counts, not only the first */
	assert_int_equal(allows(f, "test1", "127.0.0.1"), 1);
	assert_int_equal(allows(f, "test1", "192.0.2.200"), 1);
	assert_int_equal(allows(f, "test1", "2001:db8::1"), 1);
	assert_int_equal(allows(f, "test1", "::ffff:192.0.2.1"), 1);
	assert_int_equal(allows(f, "test1", "10.0.0.1"), 0);
	assert_int_equal(allows(f, "TEST1", "127.0.0.1"), 0);
	assert_int_equal(allows(f, "nobody", "127.0.0.1"), 0);
	assert_int_equal(allows(f, "", "127.0.0.1"), 0);
	/* the malformed rows were reported (each lookup that read them) */
	assert_true(f->nlogged >= 2);
	assert_non_null(strstr(f->logged[0], "user \"test1\": malformed network \"garbage\" skipped"));
	assert_non_null(strstr(f->logged[1], "malformed network \"(NULL)\" skipped"));
}

static void test_netdb_injection(void **state)
{
	struct fixture *f = *state;
	static const char *payloads[] = {
		"x' OR '1'='1",
		"'; DROP TABLE access; --",
		"test1' --",
		"test1' OR user='x",
		"\" OR \"\"=\"",
		"test1\\",
		"%",
		"*",
	};
	size_t i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		if (allows(f, payloads[i], "203.0.113.1") != 0)
			fail_msg("payload \"%s\" widened access", payloads[i]);
	/* the table is still there and intact */
	assert_int_equal(allows(f, "test1", "127.0.0.1"), 1);
	assert_int_equal(allows(f, "x", "203.0.113.1"), 1);
	/* through a whole request, too */
	feed(f, REQ("protocol_state=RCPT\nclient_address=203.0.113.1\n"
		    "sasl_username=x' OR '1'='1\n")
		REQ("protocol_state=RCPT\nclient_address=203.0.113.1\n"
		    "sasl_username='; DROP TABLE access; --\n")
		REQ("protocol_state=RCPT\nclient_address=127.0.0.1\nsasl_username=test1\n"));
	assert_string_equal(out(f), "action=REJECT 5.7.1 not from your network\n\n"
			    "action=REJECT 5.7.1 not from your network\n\n"
			    "action=DUNNO\n\n");
}

static void test_netdb_domain(void **state)
{
	void *st;
	struct fixture *f;

	(void)state;
	/* keep: only the name as sent */
	setup_with(&st, NETDB_KEEP, POLICY_DUP_LAST, 0);
	f = st;
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.1"), 1);
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.2"), 0);
	teardown(&st);
	/* strip: only the local part */
	setup_with(&st, NETDB_STRIP, POLICY_DUP_LAST, 0);
	f = st;
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.1"), 0);
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.2"), 1);
	assert_int_equal(allows(f, "bob", "198.51.100.2"), 1);
	teardown(&st);
	/* both */
	setup_with(&st, NETDB_BOTH, POLICY_DUP_LAST, 0);
	f = st;
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.1"), 1);
	assert_int_equal(allows(f, "bob@example.com", "198.51.100.2"), 1);
	assert_int_equal(allows(f, "bob@other.example", "198.51.100.2"), 1);
	assert_int_equal(allows(f, "bob@other.example", "198.51.100.1"), 0);
	teardown(&st);
}

static void test_netdb_open_errors(void **state)
{
	char err[512], path[] = "/tmp/policyd-empty.XXXXXX";
	struct netdb *db;
	int fd;

	(void)state;
	db = netdb_open("/nonexistent/x.db", NETDB_KEEP, NULL, NULL, err, sizeof(err));
	assert_null(db);
	assert_string_equal(err, "/nonexistent/x.db: No such file or directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	db = netdb_open(path, NETDB_KEEP, NULL, NULL, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "no such table: access"));
	unlink(path);
	/* the sample database opens and answers */
	assert_int_equal(netdb_create_sample(path, err, sizeof(err)), 0);
	assert_int_equal(netdb_create_sample(path, err, sizeof(err)), -1);	/* exists */
	db = netdb_open(path, NETDB_KEEP, NULL, NULL, err, sizeof(err));
	assert_non_null(db);
	{
		struct cidr_addr a;

		assert_int_equal(cidr_addr_parse("192.0.2.1", 9, &a), 0);
		assert_int_equal(netdb_user_allows(db, "test1", 5, &a), 1);
	}
	netdb_close(&db);
	unlink(path);
	/* immutable mode, with characters a URI must escape in the path */
	{
		char odd[] = "/tmp/policyd ?#%.XXXXXX";
		struct cidr_addr a;

		fd = mkstemp(odd);
		assert_true(fd >= 0);
		close(fd);
		unlink(odd);
		assert_int_equal(netdb_create_sample(odd, err, sizeof(err)), 0);
		db = netdb_open_mode(odd, NETDB_KEEP, 1, NULL, NULL, err, sizeof(err));
		if (db == NULL)
			fail_msg("%s", err);
		assert_int_equal(cidr_addr_parse("192.0.2.1", 9, &a), 0);
		assert_int_equal(netdb_user_allows(db, "test1", 5, &a), 1);
		assert_int_equal(netdb_user_allows(db, "x' OR '1'='1", 12, &a), 0);
		netdb_close(&db);
		unlink(odd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_first, setup_first, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_attrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_size_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_size_and_type, setup, teardown),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_fault_early_reply),
		cmocka_unit_test(test_fault_names),
		cmocka_unit_test_setup_teardown(test_netdb_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netdb_injection, setup, teardown),
		cmocka_unit_test(test_netdb_domain),
		cmocka_unit_test(test_netdb_open_errors),
	};

	return cmocka_run_group_tests_name("policyd_session", tests, NULL, NULL);
}
