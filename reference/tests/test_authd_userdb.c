/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_authd_userdb - ref-authd's auth-userdb answers
 * DESCRIPTION
 *	authd_userdb_lookup() over a passwd-file in both dialects (the
 *	replies Dovecot 2.3.19 and 2.4.1 gave for the same lines, suite
 *	33), and a session: the handshake, pipelined requests, PASS and
 *	LIST, and the lines that end the connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference/authd/userdb.h"

static const char users[] =
	"alice:{PLAIN}s:1000:1000::/home/alice::userdb_quota=1G userdb_flag userdb_uid=2000 q=1\n"
	"bare:{PLAIN}x\n"
	"nouid:{PLAIN}x:\n"
	"empty:{PLAIN}x::\n"
	"rootuid:{PLAIN}x:0:0::/r::\n"
	"rootgid:{PLAIN}x:5:0::/r::\n"
	"named:{PLAIN}x:root:root::/h::\n"
	"badname:{PLAIN}x:1000:1000::/h::userdb_gid=no-such-group-q7\n"
	"sys:{PLAIN}x:1000:1000::/h::userdb_system_user=f userdb_x:protected=1 userdb_home:remove "
	"userdb_x=2 userdb_y:default=3 userdb_user=z userdb_uidgid_file=/u\n"
	"tf:{PLAIN}x:1000:1000::/h::userdb_tempfail\n"
	"num:{PLAIN}x:0007:1000::::userdb_gid=0042\n";

static struct passdb *db;

static int setup(void **state)
{
	char err[256];

	(void)state;
	db = passdb_parse(users, sizeof(users) - 1, "users", err, sizeof(err));
	return db != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	passdb_unref(&db);
	return 0;
}

struct lcase {
	const char *user;
	int dovecot24;
	int rc;
	const char *line;	/* the USER reply for id 1, when found */
};

static const struct lcase lookups[] = {
	{ "alice", 0, 1, "USER\t1\talice\tuid=2000\tgid=1000\thome=/home/alice\tquota=1G\tflag\n" },
	{ "alice", 1, 1, "USER\t1\talice\tuid=2000\tgid=1000\thome=/home/alice\tquota=1G\tflag=\n" },
	{ "ALICE", 0, 1, "USER\t1\talice\tuid=2000\tgid=1000\thome=/home/alice\tquota=1G\tflag\n" },
	{ "nobody-here", 0, 0, NULL },
	{ "bare", 0, 0, NULL },
	{ "nouid", 0, 0, NULL },
	{ "empty", 0, 1, "USER\t1\tempty\t\n" },
	{ "empty", 1, 1, "USER\t1\tempty\n" },
	{ "rootuid", 0, 0, NULL },
	{ "rootgid", 0, 0, NULL },
	{ "named", 0, 0, NULL },	/* root's uid is 0 */
	{ "badname", 0, -1, NULL },
	{ "sys", 0, 1, "USER\t1\tsys\tuid=1000\tgid=1000\tsystem_groups_user=f\tx=2\t"
		       "y:default=3\n" },
	{ "sys", 1, 1, "USER\t1\tsys\tuid=1000\tgid=1000\tsystem_groups_user=f\t"
		       "x:protected=1\tx=2\ty=3\n" },
	{ "tf", 0, -1, NULL },
	{ "num", 0, 1, "USER\t1\tnum\tuid=7\tgid=42\n" },
	{ "", 0, 0, NULL },
	{ "al ice", 0, 0, NULL },
	{ "alice\t", 0, 0, NULL },
};

static void test_authd_userdb_lookup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct lcase *c = &lookups[i];
		struct authd_userdb_reply r;
		struct xbuf out;
		int rc = authd_userdb_lookup(db, c->user, c->dovecot24, &r);

		if (rc != c->rc)
			fail_msg("%s (2.%d): %d, want %d", c->user, c->dovecot24 ? 4 : 3, rc, c->rc);
		if (rc > 0) {
			xbuf_init(&out, 4096);
			assert_int_equal(dvmaster_format_user(&out, c->dovecot24 ? DVMASTER_DOVECOT24 :
							      DVMASTER_DOVECOT23, 1, r.name, r.f, r.n), 0);
			assert_string_equal(xbuf_cstr(&out), c->line);
			xbuf_free(&out);
		}
		authd_userdb_reply_free(&r);
	}
}

static struct xbuf sent;

static void u_send(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	assert_int_equal(xbuf_append(&sent, data, len), 0);
}

static const struct passdb *u_db(void *ctx)
{
	(void)ctx;
	return db;
}

static const struct authd_userdb_ops ops = { u_send, u_db };

/* feed - lines separated by \n; the last rc */
static int feed(struct authd_userdb *u, const char *text)
{
	int rc = 0;

	while (*text && rc == 0) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		rc = authd_userdb_line(u, text, n);
		text += n + (nl ? 1 : 0);
	}
	return rc;
}

static void test_authd_userdb_session(void **state)
{
	struct authd_userdb_settings set = { 0, 99 };
	struct authd_userdb *u;

	(void)state;
	xbuf_init(&sent, 65536);
	u = authd_userdb_create(&set, &ops, NULL);
	authd_userdb_start(u);
	assert_string_equal(xbuf_cstr(&sent), "VERSION\t1\t1\nSPID\t99\n");
	xbuf_reset(&sent);
	assert_int_equal(feed(u, "VERSION\t1\t0\nUSER\t5\tnobody\tservice=x\n"
			      "USER\t6\tempty\tservice=x\nPASS\t7\talice\tservice=x\nLIST\t8\n"), 0);
	assert_string_equal(xbuf_cstr(&sent),
			    "NOTFOUND\t5\nUSER\t6\tempty\t\n"
			    "FAIL\t7\treason=Configured passdbs don't support credentials lookups\n"
			    "DONE\t8\tfail\n");
	assert_int_equal(feed(u, "USER\t9\tempty\n"), -1);
	assert_string_equal(authd_userdb_error(u), "BUG: Master sent USER request without service");
	authd_userdb_destroy(&u);
	assert_null(u);

	/* 2.4: the handshake's minor, protocol=, and the unknown command in the log */
	set.dovecot24 = 1;
	xbuf_reset(&sent);
	u = authd_userdb_create(&set, &ops, NULL);
	authd_userdb_start(u);
	assert_string_equal(xbuf_cstr(&sent), "VERSION\t1\t3\nSPID\t99\n");
	xbuf_reset(&sent);
	assert_int_equal(feed(u, "VERSION\t1\t0\nUSER\t1\tempty\tprotocol=imap\n"), 0);
	assert_string_equal(xbuf_cstr(&sent), "USER\t1\tempty\n");
	assert_int_equal(feed(u, "HELLO\tthere\n"), -1);
	assert_string_equal(authd_userdb_error(u),
			    "BUG: Unknown command in userdb socket: HELLO\\tthere");
	authd_userdb_destroy(&u);

	/* the first line must be VERSION */
	set.dovecot24 = 0;
	u = authd_userdb_create(&set, &ops, NULL);
	assert_int_equal(feed(u, "USER\t1\talice\tservice=x\n"), -1);
	assert_string_equal(authd_userdb_error(u),
			    "Master not compatible with this server (mixed old and new binaries?)");
	authd_userdb_destroy(&u);
	xbuf_free(&sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authd_userdb_lookup),
		cmocka_unit_test(test_authd_userdb_session),
	};

	return cmocka_run_group_tests_name("authd_userdb", tests, setup, teardown);
}
