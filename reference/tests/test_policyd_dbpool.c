/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	test_policyd_dbpool - database lookups on worker threads
 * DESCRIPTION
 *	Over the sample database: every row of a user counts (answers 1
 *	and 0 arrive in the loop's thread, --domain handling included); a
 *	source that does not open is refused with the reason; with the
 *	file locked by a writer a lookup is answered -1 by the timeout
 *	while the loop keeps serving a timer, and the same pool answers
 *	again once the lock is gone; a source whose file went away fails
 *	its lookups (-1) and logs the failure once, not per lookup; an
 *	abandoned lookup never calls back; destroying a pool with lookups
 *	queued answers each of them -1. The MariaDB URL parser over a
 *	table of good and bad URLs (a password in the URL is refused), and
 *	which backend a --db value picks; a password found in PostgreSQL
 *	URLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ev.h"
#include "reference/policyd/db_mysql.h"
#include "reference/policyd/db_pool.h"

struct answers {
	struct ev_loop *loop;
	pthread_t loop_thread;
	int n, want;
	int result[64];
	int wrong_thread;
};

/* a lookup's slot: answers arrive in any order */
struct slot {
	struct answers *a;
	int i;
};

static struct slot slots[64];

static void on_done(void *ctx, int result)
{
	struct slot *sl = ctx;
	struct answers *a = sl->a;

	if (!pthread_equal(pthread_self(), a->loop_thread))
		a->wrong_thread = 1;
	a->result[sl->i] = result;
	if (++a->n == a->want)
		ev_stop(a->loop);
}

static struct slot *slot(struct answers *a, int i)
{
	slots[i].a = a;
	slots[i].i = i;
	return &slots[i];
}

static void on_give_up(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_stop(loop);
}

static int ticks;

static void on_tick(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	(void)ctx;
	ticks++;
}

static int logged;

static void count_log(void *ctx, const char *text)
{
	(void)ctx;
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", text);
	__atomic_add_fetch(&logged, 1, __ATOMIC_SEQ_CST);
}

static char path[64];

static struct dbsrc *sample(enum netdb_domain dom, unsigned timeout_ms)
{
	struct dbsrc_settings set = { path, dom, 0, timeout_ms, NULL };
	char err[512];
	struct dbsrc *src = dbsrc_create(&set, count_log, NULL, err, sizeof(err));

	assert_non_null(src);
	return src;
}

static int setup(void **state)
{
	char err[512];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_dbpool.%ld.db", (long)getpid());
	unlink(path);
	assert_int_equal(netdb_create_sample(path, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static struct cidr_addr addr(const char *s)
{
	struct cidr_addr a;

	assert_int_equal(cidr_addr_parse(s, strlen(s), &a), 0);
	return a;
}

/* ask - n lookups of (user, address) pairs, run until all are answered */
static void ask(struct dbpool *p, struct answers *a, const char *const *pairs, int n)
{
	int i;
	uint64_t t;

	a->n = 0;
	a->want = n;
	for (i = 0; i < n; i++) {
		struct cidr_addr ad = addr(pairs[2 * i + 1]);

		dbpool_lookup(p, pairs[2 * i], strlen(pairs[2 * i]), &ad, on_done, slot(a, i));
	}
	t = ev_timer_add(a->loop, 10000, on_give_up, NULL);
	ev_run(a->loop);
	ev_timer_cancel(a->loop, t);
	assert_int_equal(a->n, n);
	assert_int_equal(a->wrong_thread, 0);
}

static void test_policyd_dbpool_rows(void **state)
{
	static const char *const pairs[] = {
		"test1", "127.0.0.5", "test1", "192.0.2.200", "test1", "198.51.100.1",
		"alice", "2001:db8:1::7", "carol", "::1", "mallory", "127.0.0.1",
		"x' OR '1'='1", "127.0.0.1", "bob@example.com", "203.0.113.8",
	};
	static const int want[] = { 1, 1, 0, 1, 1, 0, 0, 0 };
	struct answers a = { 0 };
	struct dbpool *p;
	struct dbsrc *src = sample(NETDB_KEEP, 1000);
	int i;

	(void)state;
	a.loop = ev_loop_create();
	a.loop_thread = pthread_self();
	p = dbpool_create(a.loop, 3, 100, 1000);
	assert_non_null(p);
	dbpool_set_source(p, src);
	dbsrc_release(&src);
	ask(p, &a, pairs, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(a.result[i], want[i]);
	/* --domain both: bob@example.com's rows and bob's */
	src = sample(NETDB_BOTH, 1000);
	dbpool_set_source(p, src);
	dbsrc_release(&src);
	ask(p, &a, (const char *const[]){ "bob@example.com", "203.0.113.8" }, 1);
	assert_int_equal(a.result[0], 1);
	dbpool_destroy(&p);
	ev_loop_destroy(&a.loop);
}

static void test_policyd_dbpool_refused(void **state)
{
	struct dbsrc_settings set = { "/nonexistent/access.db", NETDB_KEEP, 0, 100, NULL };
	char err[512] = "";

	(void)state;
	assert_null(dbsrc_create(&set, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/access.db"));
}

static void test_policyd_dbpool_locked(void **state)
{
	struct answers a = { 0 };
	struct dbpool *p;
	struct dbsrc *src = sample(NETDB_KEEP, 150);
	sqlite3 *w;

	(void)state;
	a.loop = ev_loop_create();
	a.loop_thread = pthread_self();
	p = dbpool_create(a.loop, 2, 100, 150);
	dbpool_set_source(p, src);
	dbsrc_release(&src);
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	ticks = 0;
	ev_timer_add(a.loop, 20, on_tick, NULL);
	ask(p, &a, (const char *const[]){ "test1", "127.0.0.1", "alice", "::1" }, 2);
	assert_int_equal(a.result[0], -1);
	assert_int_equal(a.result[1], -1);
	assert_int_equal(ticks, 1);	/* the loop ran while they waited */
	assert_int_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(w);
	ev_timer_add(a.loop, 200, on_give_up, NULL);	/* late queries end */
	ev_run(a.loop);
	ask(p, &a, (const char *const[]){ "test1", "127.0.0.1" }, 1);
	assert_int_equal(a.result[0], 1);
	dbpool_destroy(&p);
	ev_loop_destroy(&a.loop);
}

static void test_policyd_dbpool_gone(void **state)
{
	static const char *const pairs[] = {
		"test1", "127.0.0.1", "test1", "127.0.0.1", "test1", "127.0.0.1",
	};
	struct answers a = { 0 };
	struct dbpool *p;
	struct dbsrc *src = sample(NETDB_KEEP, 100);

	(void)state;
	a.loop = ev_loop_create();
	a.loop_thread = pthread_self();
	p = dbpool_create(a.loop, 1, 100, 1000);
	dbpool_set_source(p, src);
	dbsrc_release(&src);
	unlink(path);
	logged = 0;
	ask(p, &a, pairs, 3);
	assert_int_equal(a.result[0], -1);
	assert_int_equal(a.result[1], -1);
	assert_int_equal(a.result[2], -1);
	assert_int_equal(__atomic_load_n(&logged, __ATOMIC_SEQ_CST), 1);
	dbpool_destroy(&p);
	ev_loop_destroy(&a.loop);
	setup(NULL);
}

static void test_policyd_dbpool_abandon_destroy(void **state)
{
	struct answers a = { 0 }, b = { 0 };
	struct dbpool *p;
	struct dbpool_job *j;
	struct dbsrc *src = sample(NETDB_KEEP, 1000);
	struct cidr_addr ad = addr("127.0.0.1");
	int i;

	(void)state;
	a.loop = ev_loop_create();
	a.loop_thread = pthread_self();
	b = a;
	p = dbpool_create(a.loop, 1, 100, 1000);
	dbpool_set_source(p, src);
	dbsrc_release(&src);
	j = dbpool_lookup(p, "test1", 5, &ad, on_done, slot(&b, 63));
	dbpool_abandon(j);
	ask(p, &a, (const char *const[]){ "test1", "127.0.0.1" }, 1);
	assert_int_equal(a.result[0], 1);
	assert_int_equal(b.n, 0);	/* the abandoned one never called back */
	b.want = 1000;
	for (i = 0; i < 20; i++)
		dbpool_lookup(p, "test1", 5, &ad, on_done, slot(&b, 20 + i));
	dbpool_destroy(&p);
	assert_int_equal(b.n, 20);
	ev_loop_destroy(&a.loop);
}

static void test_policyd_dbpool_mysql_url(void **state)
{
	static const struct {
		const char *url, *user, *host, *db, *socket;
		unsigned port;
		const char *err;	/* a word of the error, or NULL */
	} t[] = {
		{ "mysql://policyd@db.example/policy", "policyd", "db.example", "policy", "", 0, NULL },
		{ "mysql://u@h:3307/d", "u", "h", "d", "", 3307, NULL },
		{ "mysql:///policy?socket=/run/my.sock", "", "", "policy", "/run/my.sock", 0, NULL },
		{ "mariadb://u@/d?socket=/s", "u", "", "d", "/s", 0, NULL },
		{ "mysql://h/d", "", "h", "d", "", 0, NULL },
		{ "mysql://u:secret@h/d", NULL, NULL, NULL, NULL, 0, "password" },
		{ "mysql://u@h", NULL, NULL, NULL, NULL, 0, "database name" },
		{ "mysql://u@h/", NULL, NULL, NULL, NULL, 0, "database name" },
		{ "mysql://h:0/d", NULL, NULL, NULL, NULL, 0, "port" },
		{ "mysql://h:99999/d", NULL, NULL, NULL, NULL, 0, "port" },
		{ "mysql://h:12x/d", NULL, NULL, NULL, NULL, 0, "port" },
		{ "mysql://h/d?socket=rel", NULL, NULL, NULL, NULL, 0, "socket" },
		{ "mysql://h/d?ssl=1", NULL, NULL, NULL, NULL, 0, "socket" },
		{ "policy.db", NULL, NULL, NULL, NULL, 0, "URL" },
	};
	struct db_mysql_url u;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = db_mysql_url(t[i].url, &u, err, sizeof(err));

		if (t[i].err != NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err, t[i].err));
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(u.user, t[i].user);
		assert_string_equal(u.host, t[i].host);
		assert_string_equal(u.db, t[i].db);
		assert_string_equal(u.socket, t[i].socket);
		assert_int_equal(u.port, t[i].port);
	}
	assert_ptr_equal(db_backend_find("mysql://h/d"), &db_mysql);
	assert_ptr_equal(db_backend_find("mariadb://h/d"), &db_mysql);
	assert_ptr_equal(db_backend_find("/var/lib/policy.db"), &db_sqlite);
	assert_ptr_equal(db_backend_find("mysql.db"), &db_sqlite);
	assert_ptr_equal(db_backend_find("postgresql:///policy?host=/run/pg"), &db_pg);
	assert_ptr_equal(db_backend_find("postgres://u@h/d"), &db_pg);
}

static void test_policyd_dbpool_pg_password(void **state)
{
	(void)state;
	assert_int_equal(db_pg_url_password("postgresql://u:pw@h/d"), 1);
	assert_int_equal(db_pg_url_password("postgresql://u:@h/d"), 1);
	assert_int_equal(db_pg_url_password("postgresql:///d?host=/s&password=x"), 1);
	assert_int_equal(db_pg_url_password("postgresql://u@h:5432/d"), 0);
	assert_int_equal(db_pg_url_password("postgresql://h:5432/d"), 0);
	assert_int_equal(db_pg_url_password("postgresql:///d?host=/run/a:b@c"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policyd_dbpool_rows),
		cmocka_unit_test(test_policyd_dbpool_refused),
		cmocka_unit_test(test_policyd_dbpool_locked),
		cmocka_unit_test(test_policyd_dbpool_gone),
		cmocka_unit_test(test_policyd_dbpool_abandon_destroy),
		cmocka_unit_test(test_policyd_dbpool_mysql_url),
		cmocka_unit_test(test_policyd_dbpool_pg_password),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
