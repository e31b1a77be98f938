/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_backend - what every database of ref-policyd provides and shares
 * SYNOPSIS
 *	#include "reference/policyd/db_backend.h"
 *
 *	const struct db_backend *db_backend_find(const char *spec);
 *	int db_domain_allows(enum netdb_domain dom, const char *user,
 *	                     size_t ulen, const struct cidr_addr *a,
 *	                     db_lookup_fn *fn, void *h);
 *	void db_rows_init(struct db_rows *r, netdb_log_fn *log,
 *	                  void *log_ctx, const char *where);
 *	int db_row_match(struct db_rows *r, const char *user, size_t ulen,
 *	                 const char *net, size_t nlen, int is_null,
 *	                 const struct cidr_addr *a);
 *	int db_pg_url_password(const char *url);
 * DESCRIPTION
 *	A backend opens one connection (open), answers whether an address
 *	is in one of a user's networks (allows: 1, 0, -1 on a database
 *	error, after which the caller closes the connection), and closes
 *	it. db_backend_find() picks it by the --db value: "mysql://" and
 *	"mariadb://" MariaDB (db_mysql.c), "postgresql://" and "postgres://"
 *	PostgreSQL (db_pg.c), anything else an SQLite file.
 *
 *	db_domain_allows() applies --domain (netdb.h) over a backend's
 *	lookup of one exact name. db_rows_init() sets a connection's row
 *	reporting up (where: the database's name, kept). db_row_match() judges one row of a
 *	lookup: 1 the network contains a, 0 not; a NULL or malformed value
 *	(cidr.h) is reported through r->log, at most NETDB_MAX_LOGGED
 *	times per connection, and never matches. db_pg_url_password() is 1
 *	when a PostgreSQL URL holds a password (db_pg.c refuses it).
 * DIAGNOSTICS
 *	db_backend_find: never NULL.
 */
#ifndef REFERENCE_POLICYD_DB_BACKEND_H
#define REFERENCE_POLICYD_DB_BACKEND_H

#include <stddef.h>

#include "reference/policyd/cidr.h"
#include "reference/policyd/netdb.h"

struct dbsrc_settings {
	const char *spec;		/* SQLite file or URL */
	enum netdb_domain dom;
	int immutable;			/* SQLite: immutable=1 */
	unsigned timeout_ms;		/* per query */
	const char *password;		/* servers: NULL for none */
};

struct db_backend {
	const char *name;
	void *(*open)(const struct dbsrc_settings *set, netdb_log_fn *log, void *log_ctx,
		      char *err, size_t errlen);
	int (*allows)(void *h, const char *user, size_t ulen, const struct cidr_addr *a);
	void (*close)(void *h);
};

/* the malformed rows of one connection */
struct db_rows {
	netdb_log_fn *log;
	void *log_ctx;
	const char *where;		/* the database, for the log */
	unsigned long malformed;
};

typedef int db_lookup_fn(void *h, const char *name, size_t nlen, const struct cidr_addr *a);

extern const struct db_backend db_sqlite, db_mysql, db_pg;

const struct db_backend *db_backend_find(const char *spec);
int db_domain_allows(enum netdb_domain dom, const char *user, size_t ulen,
		     const struct cidr_addr *a, db_lookup_fn *fn, void *h);
void db_rows_init(struct db_rows *r, netdb_log_fn *log, void *log_ctx, const char *where);
int db_row_match(struct db_rows *r, const char *user, size_t ulen, const char *net,
		 size_t nlen, int is_null, const struct cidr_addr *a);
int db_pg_url_password(const char *url);

#endif
