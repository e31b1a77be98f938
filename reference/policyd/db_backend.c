/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_backend - what every database of ref-policyd provides and shares
 * SYNOPSIS
 *	See db_backend.h.
 * DESCRIPTION
 *	The --domain rule and the row check, once for all backends.
 * DIAGNOSTICS
 *	See db_backend.h.
 */
#include <stdio.h>
#include <string.h>

#include "reference/policyd/db_backend.h"
#include "util/escape.h"

const struct db_backend *db_backend_find(const char *spec)
{
	if (strncmp(spec, "mysql://", 8) == 0 || strncmp(spec, "mariadb://", 10) == 0)
		return &db_mysql;
	if (strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0)
		return &db_pg;
	return &db_sqlite;
}

int db_domain_allows(enum netdb_domain dom, const char *user, size_t ulen,
		     const struct cidr_addr *a, db_lookup_fn *fn, void *h)
{
	const char *at = memchr(user, '@', ulen);
	int r;

	if (ulen > 0x7fffffff)
		return 0;
	if (at == NULL || dom == NETDB_KEEP)
		return fn(h, user, ulen, a);
	if (dom == NETDB_STRIP)
		return fn(h, user, (size_t)(at - user), a);
	r = fn(h, user, ulen, a);
	if (r != 0)
		return r;
	return fn(h, user, (size_t)(at - user), a);
}

void db_rows_init(struct db_rows *r, netdb_log_fn *log, void *log_ctx, const char *where)
{
	r->log = log;
	r->log_ctx = log_ctx;
	r->where = where;
	r->malformed = 0;
}

/* report - a malformed row, logged up to NETDB_MAX_LOGGED times */
static void report(struct db_rows *r, const char *user, size_t ulen, const char *net,
		   size_t nlen)
{
	char ubuf[100], nbuf[100], line[400];

	if (++r->malformed > NETDB_MAX_LOGGED || r->log == NULL)
		return;
	snprintf(line, sizeof(line), "%s: user \"%s\": malformed network \"%s\" skipped%s",
		 r->where, escape_for_log(ubuf, sizeof(ubuf), user, ulen),
		 net ? escape_for_log(nbuf, sizeof(nbuf), net, nlen) : "(NULL)",
		 r->malformed == NETDB_MAX_LOGGED ? " (further ones are not logged)" : "");
	r->log(r->log_ctx, line);
}

int db_row_match(struct db_rows *r, const char *user, size_t ulen, const char *net,
		 size_t nlen, int is_null, const struct cidr_addr *a)
{
	struct cidr c;
	const char *e;

	if (is_null || net == NULL || cidr_parse(net, nlen, 1, &c, &e) < 0) {
		report(r, user, ulen, is_null ? NULL : net, nlen);
		return 0;
	}
	return cidr_match(&c, a);
}
