/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_mysql - per-user allowed networks in a MariaDB (MySQL) table
 * SYNOPSIS
 *	#include "reference/policyd/db_backend.h"
 *
 *	extern const struct db_backend db_mysql;
 *	int db_mysql_url(const char *url, struct db_mysql_url *u,
 *	                 char *err, size_t errlen);
 * DESCRIPTION
 *	The --db value (db_mysql_url, a pure parser; no percent-decoding):
 *	  mysql://[USER@][HOST[:PORT]]/DB[?socket=PATH]
 *	  mariadb://...  the same
 *	Without HOST the server is reached over the UNIX socket PATH (or
 *	the client library's default). A password in the URL is refused
 *	(it would show in ps(1)); it comes from set->password.
 *
 *	One connection (MariaDB Connector/C) per worker: connect and read
 *	timeouts and the server's max_statement_time follow
 *	set->timeout_ms (whole seconds for the client library's timeouts,
 *	rounded up), and the statement
 *	  SELECT user, network FROM access WHERE user = ?
 *	is prepared once per connection and executed with the name bound
 *	as a parameter. Every row is read. A row counts only when its user
 *	is byte for byte the name looked up, so the server's collation
 *	(case-insensitive, trailing spaces ignored by default) never
 *	widens a user's rows: names compare as in SQLite. A name the table
 *	cannot hold (bytes invalid in the connection's or the column's
 *	character set: the server refuses the comparison) has no rows.
 * DIAGNOSTICS
 *	db_mysql_url: 0, or -1 with the reason in err. open: NULL with the
 *	reason in err (server error text included). allows: -1 on an
 *	error, logged through the source's log callback.
 */
#include <limits.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/policyd/db_backend.h"
#include "reference/policyd/db_mysql.h"
#include "util/xmem.h"

struct mydb {
	MYSQL *m;
	MYSQL_STMT *q;
	enum netdb_domain dom;
	netdb_log_fn *log;
	void *log_ctx;
	struct db_rows rows;
	char where[800];
};

static const char query_sql[] = "SELECT user, network FROM access WHERE user = ?";

/* copy_part - [p, p + n) into dst as a string; -1 when it does not fit */
static int copy_part(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* url_authority - [USER@][HOST[:PORT]] */
static int url_authority(const char *p, size_t n, struct db_mysql_url *u, char *err,
			 size_t errlen)
{
	const char *at = memchr(p, '@', n), *colon;

	if (at != NULL) {
		if (memchr(p, ':', (size_t)(at - p)) != NULL) {
			snprintf(err, errlen, "a password in the URL would show in ps(1): use"
				 " --db-password-file or REF_POLICYD_DB_PASSWORD");
			return -1;
		}
		if (copy_part(u->user, sizeof(u->user), p, (size_t)(at - p)) < 0)
			goto toolong;
		n -= (size_t)(at - p) + 1;
		p = at + 1;
	}
	colon = memchr(p, ':', n);
	if (colon != NULL) {
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);

		if (end != p + n || end == colon + 1 || port == 0 || port > 65535) {
			snprintf(err, errlen, "bad port in the URL");
			return -1;
		}
		u->port = (unsigned)port;
		n = (size_t)(colon - p);
	}
	if (copy_part(u->host, sizeof(u->host), p, n) < 0)
		goto toolong;
	return 0;
toolong:
	snprintf(err, errlen, "URL part too long");
	return -1;
}

int db_mysql_url(const char *url, struct db_mysql_url *u, char *err, size_t errlen)
{
	const char *p = strstr(url, "://"), *slash, *q;

	memset(u, 0, sizeof(*u));
	if (p == NULL) {
		snprintf(err, errlen, "not a URL");
		return -1;
	}
	p += 3;
	slash = strchr(p, '/');
	if (slash == NULL || slash[1] == '\0' || slash[1] == '?') {
		snprintf(err, errlen, "no database name in the URL (mysql://[user@]host/db)");
		return -1;
	}
	if (url_authority(p, (size_t)(slash - p), u, err, errlen) < 0)
		return -1;
	q = strchr(slash + 1, '?');
	if (copy_part(u->db, sizeof(u->db), slash + 1,
		      q ? (size_t)(q - slash - 1) : strlen(slash + 1)) < 0) {
		snprintf(err, errlen, "URL part too long");
		return -1;
	}
	if (q == NULL)
		return 0;
	if (strncmp(q + 1, "socket=", 7) != 0 ||
	    copy_part(u->socket, sizeof(u->socket), q + 8, strlen(q + 8)) < 0 ||
	    u->socket[0] != '/') {
		snprintf(err, errlen, "the URL's only parameter is socket=/absolute/path");
		return -1;
	}
	return 0;
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		abort();
}

static void my_close(void *h)
{
	struct mydb *d = h;

	if (d->q != NULL)
		mysql_stmt_close(d->q);
	mysql_close(d->m);
	free(d);
}

/* my_fail - NULL with the client library's reason */
static void *my_fail(struct mydb *d, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %s", d->where, what,
		 d->q ? mysql_stmt_error(d->q) : mysql_error(d->m));
	my_close(d);
	return NULL;
}

static void *my_open(const struct dbsrc_settings *set, netdb_log_fn *log, void *log_ctx,
		     char *err, size_t errlen)
{
	struct db_mysql_url u;
	struct mydb *d;
	unsigned secs = set->timeout_ms / 1000 + 1;
	char sql[80];

	if (db_mysql_url(set->spec, &u, err, errlen) < 0)
		return NULL;
	pthread_once(&lib_once, lib_init);
	d = xcalloc(1, sizeof(*d));
	snprintf(d->where, sizeof(d->where), "mysql %s%s%s, database %s", u.host[0] ? u.host : "",
		 u.socket[0] ? " socket " : "", u.socket, u.db);
	d->m = mysql_init(NULL);
	if (d->m == NULL) {
		free(d);
		snprintf(err, errlen, "mysql_init: out of memory");
		return NULL;
	}
	mysql_options(d->m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
	mysql_options(d->m, MYSQL_OPT_READ_TIMEOUT, &secs);
	mysql_options(d->m, MYSQL_OPT_WRITE_TIMEOUT, &secs);
	if (mysql_real_connect(d->m, u.host[0] ? u.host : NULL, u.user[0] ? u.user : NULL,
			       set->password, u.db, u.port, u.socket[0] ? u.socket : NULL,
			       0) == NULL)
		return my_fail(d, "connect", err, errlen);
	snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %u.%03u",
		 set->timeout_ms / 1000, set->timeout_ms % 1000);
	if (mysql_query(d->m, sql) != 0)
		return my_fail(d, "max_statement_time", err, errlen);
	d->q = mysql_stmt_init(d->m);
	if (d->q == NULL)
		return my_fail(d, "statement", err, errlen);
	if (mysql_stmt_prepare(d->q, query_sql, sizeof(query_sql) - 1) != 0)
		return my_fail(d, "prepare (want a table access(user, network))", err, errlen);
	d->dom = set->dom;
	d->log = log;
	d->log_ctx = log_ctx;
	db_rows_init(&d->rows, log, log_ctx, d->where);
	return d;
}

/* my_error - -1, logged */
static int my_error(struct mydb *d, const char *what)
{
	if (d->log != NULL) {
		char line[1400];

		snprintf(line, sizeof(line), "%s: %s failed: %s", d->where, what,
			 mysql_stmt_error(d->q));
		d->log(d->log_ctx, line);
	}
	mysql_stmt_free_result(d->q);
	mysql_stmt_reset(d->q);
	return -1;
}

/* bind_out - one result column as a string into buf */
static void bind_out(MYSQL_BIND *b, char *buf, size_t size, unsigned long *len,
		     my_bool *is_null, my_bool *error)
{
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = buf;
	b->buffer_length = (unsigned long)size;
	b->length = len;
	b->is_null = is_null;
	b->error = error;
}

/* my_rows - every row fetched: 1 one of name's networks contains a */
static int my_rows(struct mydb *d, const char *name, size_t nlen, const struct cidr_addr *a)
{
	char ubuf[256], net[CIDR_MAX_TEXT + 1];
	unsigned long ulen = 0, netlen = 0;
	my_bool unull = 0, nnull = 0, uerr = 0, nerr = 0;
	MYSQL_BIND res[2];
	int rc, found = 0;

	memset(res, 0, sizeof(res));
	bind_out(&res[0], ubuf, sizeof(ubuf), &ulen, &unull, &uerr);
	bind_out(&res[1], net, sizeof(net), &netlen, &nnull, &nerr);
	if (mysql_stmt_bind_result(d->q, res) != 0)
		return my_error(d, "bind");
	while ((rc = mysql_stmt_fetch(d->q)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		/* the server's collation may call other names equal: not here */
		if (unull || ulen != nlen || ulen > sizeof(ubuf) || memcmp(ubuf, name, nlen) != 0)
			continue;
		if (found)
			continue;	/* read every row */
		found = db_row_match(&d->rows, name, nlen, net,
				     netlen > sizeof(net) ? sizeof(net) + 1 : netlen,
				     nnull, a);
	}
	if (rc != MYSQL_NO_DATA)
		return my_error(d, "fetch");
	mysql_stmt_free_result(d->q);
	return found;
}

/* my_lookup - 1 a row of name contains a, 0 none, -1 error */
static int my_lookup(void *h, const char *name, size_t nlen, const struct cidr_addr *a)
{
	struct mydb *d = h;
	MYSQL_BIND par;
	unsigned long len = (unsigned long)nlen;

	if (nlen > 255)
		return 0;	/* longer than any name the table holds */
	memset(&par, 0, sizeof(par));
	par.buffer_type = MYSQL_TYPE_STRING;
	par.buffer = (void *)(uintptr_t)name;
	par.buffer_length = len;
	par.length = &len;
	if (mysql_stmt_bind_param(d->q, &par) != 0)
		return my_error(d, "bind");
	if (mysql_stmt_execute(d->q) != 0) {
		switch (mysql_stmt_errno(d->q)) {
		case ER_CANT_AGGREGATE_2COLLATIONS:
		case ER_CANT_AGGREGATE_3COLLATIONS:
		case ER_CANT_AGGREGATE_NCOLLATIONS:
		case ER_INVALID_CHARACTER_STRING:
		case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
			mysql_stmt_reset(d->q);
			return 0;	/* no row can hold this name */
		default:
			return my_error(d, "query");
		}
	}
	return my_rows(d, name, nlen, a);
}

static int my_allows(void *h, const char *user, size_t ulen, const struct cidr_addr *a)
{
	struct mydb *d = h;

	return db_domain_allows(d->dom, user, ulen, a, my_lookup, d);
}

const struct db_backend db_mysql = { "MariaDB", my_open, my_allows, my_close };
