/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	netdb - per-user allowed networks in an SQLite database
 * SYNOPSIS
 *	#include "reference/policyd/netdb.h"
 *
 *	struct netdb *netdb_open(const char *path, enum netdb_domain dom,
 *	                         netdb_log_fn *log, void *log_ctx,
 *	                         char *err, size_t errlen);
 *	struct netdb *netdb_open_mode(const char *path, enum netdb_domain dom,
 *	                         int immutable, netdb_log_fn *log,
 *	                         void *log_ctx, char *err, size_t errlen);
 *	void netdb_close(struct netdb **db);
 *	struct netdb *netdb_open_timeout(const char *path,
 *	                         enum netdb_domain dom, int immutable,
 *	                         unsigned timeout_ms, netdb_log_fn *log,
 *	                         void *log_ctx, char *err, size_t errlen);
 *	int netdb_user_allows(void *db, const char *user, size_t ulen,
 *	                      const struct cidr_addr *addr);
 *	int netdb_create_sample(const char *path, char *err, size_t errlen);
 *	int netdb_domain_parse(const char *s, enum netdb_domain *r);
 * DESCRIPTION
 *	The database holds the seed's table
 *	  CREATE TABLE access(user TEXT, network TEXT)
 *	one row per (user, network); network is an IPv4 or IPv6 address or
 *	CIDR network (cidr.h, host bits beyond the prefix not allowed). It
 *	is opened read-only; the query
 *	  SELECT network FROM access WHERE user = ?1
 *	is prepared once and bound per call (the user name is never part of
 *	the SQL text). netdb_open() takes SQLite's shared lock and checks
 *	the file for changes on every lookup, so updates are seen at once.
 *	netdb_open_mode() with immutable set opens "file:PATH?immutable=1"
 *	instead: no locking and no change checks (several times faster),
 *	for files that are replaced by rename(2) and reopened (SIGHUP),
 *	never written in place. Opening (the schema is read) and each lookup
 *	wait for a writer's lock at most 1 s, or timeout_ms with
 *	netdb_open_timeout(). netdb_user_allows()
 *	reads ALL rows of the user and
 *	returns 1 when addr is inside any of them. User names compare as
 *	SQLite "=" does (bytes, case-sensitive).
 *
 *	The "@domain" part of a user name "local@domain":
 *	  NETDB_KEEP   look up the name as sent (default)
 *	  NETDB_STRIP  look up only "local"
 *	  NETDB_BOTH   rows of "local@domain" and of "local" both count
 *	A name without "@" is looked up as is in every mode.
 *
 *	A malformed network value (or NULL) is reported through log and
 *	skipped, never matched; after NETDB_MAX_LOGGED such reports per
 *	open database, further ones are counted but not logged.
 *
 *	netdb_create_sample() writes a new database with the table and the
 *	sample users of docs/policyd-rules.md (refusing an existing file).
 * DIAGNOSTICS
 *	netdb_open: NULL with the reason in err (cannot open, no access
 *	table). netdb_user_allows: 1, 0, or -1 on an SQLite error (logged).
 *	netdb_create_sample: 0 or -1 with err. netdb_domain_parse: 0 or -1.
 */
#ifndef REFERENCE_POLICYD_NETDB_H
#define REFERENCE_POLICYD_NETDB_H

#include <stddef.h>

#include "reference/policyd/cidr.h"

#define NETDB_MAX_LOGGED	20

enum netdb_domain {
	NETDB_KEEP,
	NETDB_STRIP,
	NETDB_BOTH,
};

struct netdb;
typedef void netdb_log_fn(void *ctx, const char *text);

struct netdb *netdb_open(const char *path, enum netdb_domain dom,
			 netdb_log_fn *log, void *log_ctx, char *err, size_t errlen);
struct netdb *netdb_open_mode(const char *path, enum netdb_domain dom, int immutable,
			      netdb_log_fn *log, void *log_ctx, char *err, size_t errlen);
void netdb_close(struct netdb **db);
struct netdb *netdb_open_timeout(const char *path, enum netdb_domain dom, int immutable,
				 unsigned timeout_ms, netdb_log_fn *log, void *log_ctx,
				 char *err, size_t errlen);
int netdb_user_allows(void *db, const char *user, size_t ulen,
		      const struct cidr_addr *addr);
unsigned long netdb_malformed(const struct netdb *db);
int netdb_create_sample(const char *path, char *err, size_t errlen);
int netdb_domain_parse(const char *s, enum netdb_domain *r);

#endif
