/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_passwdfile - passwd-file lines and extra fields as Dovecot
 *	2.3 (and 2.4) reads and answers them
 * DESCRIPTION
 *	Table tests: which lines define which users (lines starting with
 *	':', a user without a password, nopassword, a repeated user with its
 *	warning); what the extra fields mean (visible, hidden, renames,
 *	fail); the rename rules of get_updated_username(); and the exact OK
 *	and FAIL lines a session sends for users with extra fields, through
 *	PLAIN (the verify path) and CRAM-MD5 (the credentials path). The
 *	expected lines were taken from a Dovecot 2.3.19 auth server reading
 *	the same file (scripts/test.d/32-authd-vs-dovecot.sh compares the
 *	two live); the 2.4 rows (--handshake 2.4: name= for a field without
 *	a value, no empty field after user=) from Dovecot 2.4.1 and 2.4.5.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto/base64.h"
#include "reference/authd/extra.h"
#include "reference/authd/passdb.h"
#include "reference/authd/session.h"

/* --- which lines define which users ------------------------------------ */

struct lookup_row {
	const char *user;
	const char *password;	/* tried with passdb_verify */
	int exists;
	int ok;
	int ok24;		/* passdb_verify_as(..., 1): as Dovecot 2.4.5 */
};

static void test_passwdfile_lines(void **state)
{
	static const char file[] =
		":{PLAIN}nobody\n"			/* 1: no user name: skipped */
		"#alice:{PLAIN}x\n"			/* 2: comment */
		"alice:{PLAIN}secret\n"			/* 3 */
		"bare\n"				/* 4: user without password */
		"empty:\n"				/* 5: empty password */
		"emptycrypt:{CRYPT}\n"			/* 6 */
		"free::1:1::/h::nopassword\n"		/* 7: anything goes */
		"notfree:{PLAIN}pw:1:1::/h::nopassword\n" /* 8: ignored: password set */
		"failing:{PLAIN}pw:1:1::/h::fail\n"	/* 9 */
		"alice:{PLAIN}second\n"			/* 10: repeated: line 3 counts */
		"free:{PLAIN}x\n";			/* 11: repeated */
	static const struct lookup_row rows[] = {
		{ "alice", "secret", 1, 1, 1 },
		{ "alice", "second", 1, 0, 0 },
		{ "#alice", "x", 0, 0, 0 },
		{ "", "nobody", 0, 0, 0 },
		{ "bare", "", 1, 0, 0 },
		{ "bare", "x", 1, 0, 0 },
		{ "empty", "", 1, 0, 0 },
		{ "emptycrypt", "", 1, 0, 0 },
		{ "free", "anything", 1, 1, 1 },
		{ "free", "", 1, 1, 1 },
		{ "free", "x", 1, 1, 1 },
		{ "notfree", "pw", 1, 1, 1 },
		{ "notfree", "other", 1, 0, 1 },	/* 2.4: nopassword wins */
		{ "failing", "pw", 1, 0, 0 },
	};
	char err[256] = "";
	struct passdb *db = passdb_parse(file, strlen(file), "users", err, sizeof(err));
	size_t i, n = 0;
	const char *w;

	(void)state;
	assert_non_null(db);
	assert_int_equal(passdb_count(db), 7);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct passdb_user *u = passdb_lookup(db, rows[i].user);

		if (!rows[i].exists) {
			assert_null(u);
			continue;
		}
		assert_non_null(u);
		if (passdb_verify(u, rows[i].password) != rows[i].ok)
			fail_msg("row %zu: %s / %s: want %d", i, rows[i].user, rows[i].password,
				 rows[i].ok);
		if (passdb_verify_as(u, rows[i].password, 1) != rows[i].ok24)
			fail_msg("row %zu: %s / %s: want %d as 2.4", i, rows[i].user,
				 rows[i].password, rows[i].ok24);
	}
	assert_int_equal(passdb_lookup(db, "alice")->line, 3);
	assert_int_equal(passdb_lookup(db, "free")->line, 7);
	w = passdb_warning(db, &n);
	assert_non_null(w);
	assert_int_equal(n, 2);
	assert_string_equal(w, "users:10: user alice exists more than once (line 3 counts)");
	passdb_unref(&db);

	db = passdb_parse("a:{PLAIN}x\nb:{PLAIN}y\n", 22, "users", err, sizeof(err));
	assert_non_null(db);
	assert_null(passdb_warning(db, &n));
	assert_int_equal(n, 0);
	passdb_unref(&db);
}

/*
 * a {SCRAM-SHA-*} value with fewer than 4096 rounds loads (as in Dovecot)
 * but never authenticates, neither PLAIN against it nor SCRAM with it
 */
static void test_passwdfile_scram_rounds(void **state)
{
	static const unsigned rounds[] = { 1000, 4095, 4096 };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct sasl_scram_keys k;
		struct xbuf file;
		struct passdb *db;
		struct sasl_creds cr;
		char err[256] = "";
		const char *e = NULL;
		struct sasl_server *s;
		struct sasl_client *c;
		struct sasl_server_params sp = { .hostname = "h" };
		struct sasl_client_params cp = { .authcid = "u", .password = "pw" };
		struct xbuf in, out;
		enum sasl_status st;
		int want = rounds[i] >= 4096;

		assert_int_equal(sasl_scram_derive(SASL_MECH_SCRAM_SHA_256, "pw",
						   (const unsigned char *)"0123456789abcdef", 16,
						   rounds[i], &k), 0);
		xbuf_init(&file, 0);
		assert_int_equal(xbuf_append_str(&file, "u:{SCRAM-SHA-256}"), 0);
		assert_int_equal(sasl_scram_format_dovecot(&k, &file), 0);
		assert_int_equal(xbuf_append_char(&file, '\n'), 0);
		db = passdb_parse(file.data, file.len, "users", err, sizeof(err));
		if (db == NULL)
			fail_msg("%u rounds: %s", rounds[i], err);
		assert_int_equal(passdb_verify(passdb_lookup(db, "u"), "pw"), want);
		/* 2.4: an internal failure, whatever the password */
		assert_int_equal(passdb_verify_as(passdb_lookup(db, "u"), "pw", 1), want ? 1 : -1);
		assert_int_equal(passdb_verify_as(passdb_lookup(db, "u"), "px", 1), want ? 0 : -1);
		assert_int_equal(passdb_creds(passdb_lookup(db, "u"), SASL_MECH_SCRAM_SHA_256, &cr), 0);
		s = sasl_server_create(SASL_MECH_SCRAM_SHA_256, &sp);
		c = sasl_client_create(SASL_MECH_SCRAM_SHA_256, &cp);
		xbuf_init(&in, 0);
		xbuf_init(&out, 0);
		assert_int_equal(sasl_client_initial(c, &in), 1);
		assert_int_equal(sasl_server_step(s, in.data, in.len, 1, &out, &e), SASL_NEED_CREDS);
		st = sasl_server_creds(s, &cr, &out, &e);
		if (want) {
			assert_int_equal(st, SASL_CONTINUE);
		} else {
			assert_int_equal(st, SASL_FAIL);
			assert_string_equal(e, "Invalid SCRAM iteration count in passdb");
		}
		sasl_server_destroy(&s);
		sasl_client_destroy(&c);
		xbuf_free(&in);
		xbuf_free(&out);
		xbuf_free(&file);
		passdb_unref(&db);
	}
}

/* --- what the extra fields mean ---------------------------------------- */

struct extra_row {
	const char *in;
	const char *shown;
	const char *shown24;	/* as Dovecot 2.4 writes them */
	int any, nopassword, fail, nrenames, has_original_user;
};

static void test_passwdfile_extra(void **state)
{
	static const struct extra_row rows[] = {
		{ "", "", "", 0, 0, 0, 0, 0 },
		{ "   ", "", "", 0, 0, 0, 0, 0 },
		{ "nopassword", "", "", 0, 1, 0, 0, 0 },
		{ "password=x password_noscheme=y passdb_import=z", "", "", 0, 0, 0, 0, 0 },
		{ "fail", "", "", 1, 0, 1, 0, 0 },
		{ "userdb_home=/h userdb_uid=5", "", "", 1, 0, 0, 0, 0 },
		{ "login_user=x allow_nets=127.0.0.1 allow_real_nets=::1 delay_until=1", "", "",
		  1, 0, 0, 0, 0 },
		{ "user=bob", "", "", 1, 0, 0, 1, 0 },
		{ "username=bob domain=example.org user=c", "", "", 1, 0, 0, 3, 0 },
		{ "quota=10M", "quota=10M", "quota=10M", 1, 0, 0, 0, 0 },
		{ "nologin reason=go\taway", "nologin\treason=go\001taway", "nologin=\treason=go\001taway", 1, 0, 0, 0, 0 },
		{ "a=1  b=  c", "a=1\tb\tc", "a=1\tb=\tc=", 1, 0, 0, 0, 0 },
		{ "a=1 b=2 a=3", "a=3\tb=2", "a=3\tb=2", 1, 0, 0, 0, 0 },
		{ "x=a=b", "x=a=b", "x=a=b", 1, 0, 0, 0, 0 },
		{ "noauthenticate", "noauthenticate", "noauthenticate=", 1, 1, 0, 0, 0 },
		{ "original_user=zed", "original_user=zed", "original_user=zed", 1, 0, 0, 0, 1 },
		{ "=x", "", "", 0, 0, 0, 0, 0 },
		{ "userdb_home=/h quota=1 user=z nopassword", "quota=1", "quota=1", 1, 1, 0, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct authd_extra x;

		assert_int_equal(authd_extra_parse(rows[i].in, strlen(rows[i].in), &x), 0);
		if (strcmp(x.shown, rows[i].shown) != 0 || strcmp(x.shown24, rows[i].shown24) != 0 ||
		    x.any != rows[i].any ||
		    x.nopassword != rows[i].nopassword || x.fail != rows[i].fail ||
		    (int)x.nrenames != rows[i].nrenames ||
		    x.has_original_user != rows[i].has_original_user)
			fail_msg("row %zu [%s]: shown [%s] [%s] any %d nopassword %d fail %d "
				 "renames %zu", i, rows[i].in, x.shown, x.shown24, x.any, x.nopassword,
				 x.fail, x.nrenames);
		authd_extra_free(&x);
	}
	{
		static char big[AUTHD_EXTRA_MAX + 2];
		struct authd_extra x;

		memset(big, 'a', sizeof(big) - 1);
		assert_int_equal(authd_extra_parse(big, sizeof(big) - 1, &x), -1);
		assert_int_equal(authd_extra_parse(big, AUTHD_EXTRA_MAX, &x), 0);
		/* one bare name of AUTHD_EXTRA_MAX bytes */
		assert_int_equal(strlen(x.shown), AUTHD_EXTRA_MAX);
		assert_int_equal(strspn(x.shown, "a"), AUTHD_EXTRA_MAX);
		authd_extra_free(&x);
	}
}

/* --- renames (get_updated_username) ------------------------------------ */

struct rename_row {
	const char *fields;
	const char *login;
	int rc;
	const char *user;
};

static void test_passwdfile_rename(void **state)
{
	static const struct rename_row rows[] = {
		{ "", "alice", 0, "alice" },
		{ "quota=1", "alice", 0, "alice" },
		{ "user=bob", "alice", 1, "bob" },
		{ "user=alice", "alice", 0, "alice" },
		{ "user=bob user=carol", "alice", 1, "carol" },
		{ "username=bob", "alice@example.com", 1, "bob@example.com" },
		{ "username=bob@other.org", "alice@example.com", 1, "bob@other.org" },
		{ "username=bob", "alice", 1, "bob" },
		{ "domain=example.org", "alice", 1, "alice@example.org" },
		{ "domain=example.org", "alice@old.net", 1, "alice@example.org" },
		{ "user=bob domain=x.org", "alice", 1, "bob@x.org" },
		{ "user=", "alice", -1, "" },
		{ "username=", "alice", -1, "" },
		{ "username=", "alice@x.org", 1, "@x.org" },
		{ "domain=", "alice", 1, "alice@" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct authd_extra x;
		char out[256] = "";
		int rc;

		assert_int_equal(authd_extra_parse(rows[i].fields, strlen(rows[i].fields), &x), 0);
		rc = authd_extra_user(&x, rows[i].login, out, sizeof(out));
		if (rc != rows[i].rc || (rc >= 0 && strcmp(out, rows[i].user) != 0))
			fail_msg("row %zu [%s] %s: got %d [%s], want %d [%s]", i, rows[i].fields,
				 rows[i].login, rc, out, rows[i].rc, rows[i].user);
		authd_extra_free(&x);
	}
	{
		struct authd_extra x;
		char out[4];

		assert_int_equal(authd_extra_parse("user=toolong", 12, &x), 0);
		assert_int_equal(authd_extra_user(&x, "a", out, sizeof(out)), -1);
		authd_extra_free(&x);
	}
}

/* --- the replies -------------------------------------------------------- */

struct rec {
	struct xbuf sent, delayed;
	struct passdb *db;
	struct authd_session *s;
	int h24;		/* verify as ref-authd --handshake 2.4 does */
	uint64_t after_ms;	/* the delay of the last ops->send_after, 0 = none */
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

	authd_session_verified(r->s, id, serial, u != NULL ? passdb_verify_as(u, pw, r->h24) : 0);
}

/* r_after - a reply after its own delay: kept with the delayed ones, the delay noted */
static void r_after(void *ctx, const char *d, size_t n, uint64_t ms)
{
	struct rec *r = ctx;

	r->after_ms = ms;
	assert_int_equal(xbuf_append(&r->delayed, d, n), 0);
}

static uint64_t r_time(void *ctx)
{
	(void)ctx;
	return 1700000000ULL;
}

static const struct authd_ops ops = { r_send, r_delayed, r_lookup, r_verify, NULL, r_time,
				       r_after };

static const char users[] =
	"plain:{PLAIN}pw\n"
	"visible:{PLAIN}pw:1:1::/h::quota=10M nologin reason=a\tb\n"
	"hidden:{PLAIN}pw:1:1::/h::userdb_home=/x userdb_uid=7\n"
	"renamed:{PLAIN}pw:1:1::/h::user=newname quota=1\n"
	"renamedonly:{PLAIN}pw:1:1::/h::user=other\n"
	"samename:{PLAIN}pw:1:1::/h::user=samename\n"
	"keeporig:{PLAIN}pw:1:1::/h::user=n2 original_user=given\n"
	"dom@example.com:{PLAIN}pw:1:1::/h::username=x\n"
	"free::1:1::/h::nopassword\n"
	"freeshown::1:1::/h::nopassword quota=2\n"
	"notfree:{PLAIN}pw:1:1::/h::nopassword\n"
	/* "pw" with the salt "0123456789abcdef" and 1000 rounds (Dovecot wants 4096) */
	"lowiter:{SCRAM-SHA-256}1000,MDEyMzQ1Njc4OWFiY2RlZg==,"
	"1c3q/GyUjUitXQf/WgepEo4eHrfc2fFR7Rb8QM+4LQk=,AVj9/aGpXznGfvb1eHloNBdY1GhSLmHwmIAAQKDhpFE=\n"
	"failing:{PLAIN}pw:1:1::/h::fail quota=3\n"
	"failren:{PLAIN}pw:1:1::/h::fail user=gone\n"
	"empty:{PLAIN}pw:1:1::/h::user=\n";

struct reply_row {
	const char *mech;	/* PLAIN or CRAM-MD5 */
	const char *user, *password;
	const char *ok;		/* the OK line, or NULL */
	const char *fail;	/* the delayed FAIL line, or NULL */
	/* with --handshake 2.4: the same two, or AS23 in ok24: as above */
	const char *ok24, *fail24;
};

#define AS23	"="

/*
 * 2.4 writes name= for a field without a value and no empty field after
 * user=; nopassword wins over a stored password; a PLAIN login against
 * a SCRAM value of under 4096 rounds is an internal failure
 * (code=temp_fail, after 2.4's internal failure delay)
 */
static const struct reply_row reply_rows[] = {
	{ "PLAIN", "plain", "pw", "OK\t1\tuser=plain\n", NULL, AS23, NULL },
	{ "PLAIN", "visible", "pw", "OK\t1\tuser=visible\tquota=10M\tnologin\treason=a\001tb\n", NULL,
	  "OK\t1\tuser=visible\tquota=10M\tnologin=\treason=a\001tb\n", NULL },
	{ "PLAIN", "hidden", "pw", "OK\t1\tuser=hidden\t\n", NULL, "OK\t1\tuser=hidden\n", NULL },
	{ "PLAIN", "renamed", "pw", "OK\t1\tuser=newname\tquota=1\toriginal_user=renamed\n", NULL,
	  AS23, NULL },
	{ "PLAIN", "renamedonly", "pw", "OK\t1\tuser=other\t\toriginal_user=renamedonly\n", NULL,
	  "OK\t1\tuser=other\toriginal_user=renamedonly\n", NULL },
	{ "PLAIN", "samename", "pw", "OK\t1\tuser=samename\t\n", NULL, "OK\t1\tuser=samename\n",
	  NULL },
	{ "PLAIN", "keeporig", "pw", "OK\t1\tuser=n2\toriginal_user=given\n", NULL, AS23, NULL },
	{ "PLAIN", "dom@example.com", "pw",
	  "OK\t1\tuser=x@example.com\t\toriginal_user=dom@example.com\n", NULL,
	  "OK\t1\tuser=x@example.com\toriginal_user=dom@example.com\n", NULL },
	{ "PLAIN", "free", "whatever", "OK\t1\tuser=free\n", NULL, AS23, NULL },
	{ "PLAIN", "freeshown", "", "OK\t1\tuser=freeshown\tquota=2\n", NULL, AS23, NULL },
	/* failures: the extra fields are rolled back, the rename stays */
	{ "PLAIN", "visible", "wrong", NULL, "FAIL\t1\tuser=visible\n", AS23, NULL },
	{ "PLAIN", "notfree", "other", NULL, "FAIL\t1\tuser=notfree\n", "OK\t1\tuser=notfree\n",
	  NULL },
	{ "PLAIN", "lowiter", "pw", NULL, "FAIL\t1\tuser=lowiter\n", NULL,
	  "FAIL\t1\tuser=lowiter\tcode=temp_fail\n" },
	{ "PLAIN", "lowiter", "other", NULL, "FAIL\t1\tuser=lowiter\n", NULL,
	  "FAIL\t1\tuser=lowiter\tcode=temp_fail\n" },
	{ "PLAIN", "renamed", "wrong", NULL, "FAIL\t1\tuser=newname\toriginal_user=renamed\n",
	  AS23, NULL },
	{ "PLAIN", "failing", "pw", NULL, "FAIL\t1\tuser=failing\n", AS23, NULL },
	{ "PLAIN", "failren", "pw", NULL, "FAIL\t1\tuser=gone\toriginal_user=failren\n", AS23,
	  NULL },
	{ "PLAIN", "empty", "pw", NULL, "FAIL\t1\tuser=empty\n", AS23, NULL },
	{ "PLAIN", "nosuchuser", "pw", NULL, "FAIL\t1\tuser=nosuchuser\n", AS23, NULL },
	/* the credentials path */
	{ "CRAM-MD5", "visible", "pw", "OK\t1\tuser=visible\tquota=10M\tnologin\treason=a\001tb\n",
	  NULL, "OK\t1\tuser=visible\tquota=10M\tnologin=\treason=a\001tb\n", NULL },
	{ "CRAM-MD5", "renamed", "pw", "OK\t1\tuser=newname\tquota=1\toriginal_user=renamed\n",
	  NULL, AS23, NULL },
	{ "CRAM-MD5", "hidden", "pw", "OK\t1\tuser=hidden\t\n", NULL, "OK\t1\tuser=hidden\n", NULL },
	/* a failure after a successful credentials lookup keeps the fields */
	{ "CRAM-MD5", "renamed", "wrong", NULL,
	  "FAIL\t1\tuser=newname\tquota=1\toriginal_user=renamed\n", AS23, NULL },
	{ "CRAM-MD5", "hidden", "wrong", NULL, "FAIL\t1\tuser=hidden\t\n", NULL,
	  "FAIL\t1\tuser=hidden\n" },
	{ "CRAM-MD5", "plain", "wrong", NULL, "FAIL\t1\tuser=plain\n", AS23, NULL },
	{ "CRAM-MD5", "failing", "pw", NULL, "FAIL\t1\tuser=failing\n", AS23, NULL },
};

/* last_line - the last line of b (with its LF), or "" */
static void last_line(const struct xbuf *b, char *out, size_t outlen)
{
	size_t end = b->len, start;

	out[0] = '\0';
	if (end == 0)
		return;
	start = end - 1;
	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	snprintf(out, outlen, "%.*s", (int)(end - start), b->data + start);
}

/* check_reply - what the session sent at once and delayed, against the row (2.3 or 2.4) */
static void check_reply(const struct reply_row *row, struct rec *rec, int h24)
{
	int as23 = !h24 || (row->ok24 != NULL && strcmp(row->ok24, AS23) == 0);
	const char *ok = as23 ? row->ok : row->ok24, *fail = as23 ? row->fail : row->fail24;
	const char *v = h24 ? "2.4" : "2.3";
	char got[1024];

	last_line(&rec->sent, got, sizeof(got));
	if (ok != NULL && strcmp(got, ok) != 0)
		fail_msg("%s %s/%s (%s): sent [%s] want [%s]", row->mech, row->user, row->password,
			 v, got, ok);
	if (ok == NULL && rec->sent.len != 0)
		fail_msg("%s %s/%s (%s): sent [%.*s], want nothing at once", row->mech, row->user,
			 row->password, v, (int)rec->sent.len, rec->sent.data);
	last_line(&rec->delayed, got, sizeof(got));
	if (fail != NULL && strcmp(got, fail) != 0)
		fail_msg("%s %s/%s (%s): delayed [%s] want [%s]", row->mech, row->user,
			 row->password, v, got, fail);
	/* only an internal failure comes through ops->send_after, with its delay */
	if (rec->after_ms != (fail != NULL && strstr(fail, "code=temp_fail") != NULL ?
			      AUTHD_INTERNAL_FAILURE_DELAY_MS : 0))
		fail_msg("%s %s/%s (%s): sent after %llu ms", row->mech, row->user, row->password,
			 v, (unsigned long long)rec->after_ms);
	if (fail == NULL && rec->delayed.len != 0)
		fail_msg("%s %s/%s (%s): delayed [%s], want none", row->mech, row->user,
			 row->password, v, got);
}

static void run_row(const struct reply_row *row, struct rec *rec, int h24)
{
	struct authd_settings set;
	struct authd_ident id;
	char line[1024];
	struct xbuf enc;

	memset(&set, 0, sizeof(set));
	memset(&id, 0, sizeof(id));
	set.mechs = (1u << SASL_MECH_PLAIN) | (1u << SASL_MECH_CRAM_MD5);
	set.hostname = "mx.test";
	set.handshake_24 = h24;
	rec->h24 = h24;
	memcpy(id.cookie, "0123456789abcdef0123456789abcdef", 33);
	xbuf_reset(&rec->sent);
	xbuf_reset(&rec->delayed);
	rec->after_ms = 0;
	rec->s = authd_session_create(&set, &ops, rec, &id);
	authd_session_start(rec->s);
	assert_int_equal(authd_session_line(rec->s, "VERSION\t1\t2", 11, 0), 0);
	assert_int_equal(authd_session_line(rec->s, "CPID\t9", 6, 0), 0);
	xbuf_reset(&rec->sent);
	xbuf_init(&enc, 0);
	if (strcmp(row->mech, "PLAIN") == 0) {
		char raw[256];
		int n = snprintf(raw, sizeof(raw), "%c%s%c%s", 0, row->user, 0, row->password);

		assert_int_equal(base64_encode(raw, (size_t)n, &enc), 0);
		snprintf(line, sizeof(line), "AUTH\t1\tPLAIN\tservice=smtp\tresp=%s", xbuf_cstr(&enc));
		assert_int_equal(authd_session_line(rec->s, line, strlen(line), 0), 0);
	} else {
		struct xbuf chal;
		const char *err;
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned maclen = 0;
		char resp[512];
		const char *p;
		size_t k;
		int n;

		assert_int_equal(authd_session_line(rec->s, "AUTH\t1\tCRAM-MD5\tservice=smtp", 27, 0), 0);
		assert_true(rec->sent.len > 7 && memcmp(rec->sent.data, "CONT\t1\t", 7) == 0);
		xbuf_init(&chal, 0);
		p = rec->sent.data + 7;
		assert_int_equal(base64_decode(p, rec->sent.len - 8, 0, &chal, &err), 0);
		HMAC(EVP_md5(), row->password, (int)strlen(row->password),
		     (const unsigned char *)chal.data, chal.len, mac, &maclen);
		n = snprintf(resp, sizeof(resp), "%s ", row->user);
		for (k = 0; k < maclen; k++)
			n += snprintf(resp + n, sizeof(resp) - (size_t)n, "%02x", mac[k]);
		assert_int_equal(base64_encode(resp, (size_t)n, &enc), 0);
		snprintf(line, sizeof(line), "CONT\t1\t%s", xbuf_cstr(&enc));
		xbuf_reset(&rec->sent);
		assert_int_equal(authd_session_line(rec->s, line, strlen(line), 0), 0);
		xbuf_free(&chal);
	}
	xbuf_free(&enc);
	check_reply(row, rec, h24);
	authd_session_destroy(&rec->s);
}

static void test_passwdfile_replies(void **state)
{
	struct rec rec;
	char err[256] = "";
	size_t i;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	xbuf_init(&rec.sent, 0);
	xbuf_init(&rec.delayed, 0);
	rec.db = passdb_parse(users, strlen(users), "users", err, sizeof(err));
	if (rec.db == NULL)
		fail_msg("%s", err);
	for (i = 0; i < 2 * (sizeof(reply_rows) / sizeof(reply_rows[0])); i++)
		run_row(&reply_rows[i / 2], &rec, (int)(i % 2));
	passdb_unref(&rec.db);
	xbuf_free(&rec.sent);
	xbuf_free(&rec.delayed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwdfile_lines),
		cmocka_unit_test(test_passwdfile_scram_rounds),
		cmocka_unit_test(test_passwdfile_extra),
		cmocka_unit_test(test_passwdfile_rename),
		cmocka_unit_test(test_passwdfile_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
