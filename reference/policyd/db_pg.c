/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_pg - per-user allowed networks in a PostgreSQL table
 * SYNOPSIS
 *	#include "reference/policyd/db_backend.h"
 *
 *	extern const struct db_backend db_pg;
 *	int db_pg_url_password(const char *url);
 * DESCRIPTION
 *	The --db value is a libpq connection URI, handed to libpq as it is:
 *	  postgresql://[USER@][HOST][:PORT]/DB[?PARAM=VALUE&...]
 *	  (postgres:// the same; a UNIX socket: postgresql:///DB?host=/DIR)
 *	A password in it is refused (db_pg_url_password() finds one: it
 *	would show in ps(1)); it comes from set->password, or libpq's own
 *	PGPASSWORD or ~/.pgpass.
 *
 *	One connection (libpq) per worker: connect_timeout and the
 *	server's statement_timeout follow set->timeout_ms, and the
 *	statement
 *	  SELECT "user", network FROM access WHERE "user" = $1
 *	is prepared once per connection and executed with the name as a
 *	parameter. Every row is read; a row counts only when its user is
 *	byte for byte the name looked up. A name the database cannot hold
 *	(a NUL byte, or bytes invalid in its encoding: SQLSTATE class 22)
 *	has no rows.
 * DIAGNOSTICS
 *	open: NULL with the reason in err (libpq's text included). allows:
 *	-1 on an error, logged through the source's log callback.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference/policyd/db_backend.h"
#include "util/xmem.h"

struct pgdb {
	PGconn *c;
	enum netdb_domain dom;
	netdb_log_fn *log;
	void *log_ctx;
	struct db_rows rows;
	char where[300];
};

static const char query_sql[] = "SELECT \"user\", network FROM access WHERE \"user\" = $1";

int db_pg_url_password(const char *url)
{
	const char *p = strstr(url, "://"), *end, *at;

	if (strstr(url, "password=") != NULL)
		return 1;
	if (p == NULL)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	return at != NULL && memchr(p, ':', (size_t)(at - p)) != NULL;
}

static void pg_close(void *h)
{
	struct pgdb *d = h;

	PQfinish(d->c);
	free(d);
}

/* pg_fail - NULL with libpq's reason */
static void *pg_fail(struct pgdb *d, const char *what, const char *why, char *err,
		     size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %.*s", d->where, what, (int)strcspn(why, "\n"), why);
	pg_close(d);
	return NULL;
}

static void *pg_open(const struct dbsrc_settings *set, netdb_log_fn *log, void *log_ctx,
		     char *err, size_t errlen)
{
	const char *keys[] = { "dbname", "password", "connect_timeout", "options", NULL };
	const char *vals[5];
	char secs[16], opts[64];
	struct pgdb *d;
	PGresult *r;

	if (db_pg_url_password(set->spec)) {
		snprintf(err, errlen, "a password in the URL would show in ps(1): use"
			 " --db-password-file or REF_POLICYD_DB_PASSWORD");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	snprintf(d->where, sizeof(d->where), "%.280s", set->spec);
	snprintf(secs, sizeof(secs), "%u", set->timeout_ms / 1000 + 2);
	snprintf(opts, sizeof(opts), "-c statement_timeout=%u", set->timeout_ms);
	vals[0] = set->spec;
	vals[1] = set->password;	/* NULL: libpq's own sources */
	vals[2] = secs;
	vals[3] = opts;
	vals[4] = NULL;
	if (set->password == NULL) {	/* a NULL value ends the list: drop it */
		keys[1] = "connect_timeout", vals[1] = secs;
		keys[2] = "options", vals[2] = opts;
		keys[3] = NULL;
	}
	d->c = PQconnectdbParams(keys, vals, 1);
	if (d->c == NULL || PQstatus(d->c) != CONNECTION_OK)
		return pg_fail(d, "connect", d->c ? PQerrorMessage(d->c) : "out of memory", err,
			       errlen);
	r = PQprepare(d->c, "", query_sql, 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char why[300];

		snprintf(why, sizeof(why), "%s", PQresultErrorMessage(r));
		PQclear(r);
		return pg_fail(d, "prepare (want a table access(\"user\", network))", why, err,
			       errlen);
	}
	PQclear(r);
	d->dom = set->dom;
	d->log = log;
	d->log_ctx = log_ctx;
	db_rows_init(&d->rows, log, log_ctx, d->where);
	return d;
}

/* pg_error - -1 (logged), or 0 for a name the database cannot hold */
static int pg_error(struct pgdb *d, PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (state != NULL && strncmp(state, "22", 2) == 0 && PQstatus(d->c) == CONNECTION_OK) {
		PQclear(r);
		return 0;
	}
	if (d->log != NULL) {
		char line[700];

		snprintf(line, sizeof(line), "%s: query failed: %.*s", d->where,
			 (int)strcspn(PQerrorMessage(d->c), "\n"), PQerrorMessage(d->c));
		d->log(d->log_ctx, line);
	}
	PQclear(r);
	return -1;
}

/* pg_lookup - 1 a row of name contains a, 0 none, -1 error */
static int pg_lookup(void *h, const char *name, size_t nlen, const struct cidr_addr *a)
{
	struct pgdb *d = h;
	char *param;
	PGresult *r;
	int i, n, found = 0;

	if (memchr(name, '\0', nlen) != NULL)
		return 0;
	param = xmalloc(nlen + 1);
	memcpy(param, name, nlen);
	param[nlen] = '\0';
	r = PQexecPrepared(d->c, "", 1, (const char *const *)&param, NULL, NULL, 0);
	free(param);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_error(d, r);
	n = PQntuples(r);
	for (i = 0; i < n && !found; i++) {
		if (PQgetisnull(r, i, 0) || (size_t)PQgetlength(r, i, 0) != nlen ||
		    memcmp(PQgetvalue(r, i, 0), name, nlen) != 0)
			continue;
		found = db_row_match(&d->rows, name, nlen, PQgetvalue(r, i, 1),
				     (size_t)PQgetlength(r, i, 1), PQgetisnull(r, i, 1), a);
	}
	PQclear(r);
	return found;
}

static int pg_allows(void *h, const char *user, size_t ulen, const struct cidr_addr *a)
{
	struct pgdb *d = h;

	return db_domain_allows(d->dom, user, ulen, a, pg_lookup, d);
}

const struct db_backend db_pg = { "PostgreSQL", pg_open, pg_allows, pg_close };
