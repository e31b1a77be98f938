/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	netdb - per-user allowed networks in an SQLite database
 * SYNOPSIS
 *	See netdb.h.
 * DESCRIPTION
 *	Thin layer over SQLite: one read-only connection and one prepared
 *	statement per open database, reset and rebound per lookup. User
 *	names are bound as (pointer, length), so a name with quotes,
 *	semicolons or SQL comments is only ever compared as data. A lookup
 *	reads every row (no LIMIT, no early stop at the first row), stopping
 *	only when a row matches. Rows are bounded by CIDR_MAX_TEXT bytes
 *	(longer values are malformed).
 * DIAGNOSTICS
 *	See netdb.h. Messages go to the caller's log callback; this module
 *	prints nothing itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference/policyd/db_backend.h"
#include "reference/policyd/netdb.h"
#include "util/xmem.h"

struct netdb {
	sqlite3 *db;
	sqlite3_stmt *q;
	char *path;
	enum netdb_domain dom;
	netdb_log_fn *log;
	void *log_ctx;
	struct db_rows rows;
};

static const char query_sql[] = "SELECT network FROM access WHERE user = ?1";

int netdb_domain_parse(const char *s, enum netdb_domain *r)
{
	if (strcmp(s, "keep") == 0)
		*r = NETDB_KEEP;
	else if (strcmp(s, "strip") == 0)
		*r = NETDB_STRIP;
	else if (strcmp(s, "both") == 0)
		*r = NETDB_BOTH;
	else
		return -1;
	return 0;
}

struct netdb *netdb_open(const char *path, enum netdb_domain dom,
			 netdb_log_fn *log, void *log_ctx, char *err, size_t errlen)
{
	return netdb_open_mode(path, dom, 0, log, log_ctx, err, errlen);
}

/* immutable_uri - "file:PATH?immutable=1", PATH percent-encoded as needed */
static char *immutable_uri(const char *path)
{
	size_t n = strlen(path), i, o = 0;
	char *uri = xmalloc(3 * n + 32);

	memcpy(uri, "file:", 5);
	o = 5;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '?' || c == '#' || c == '%' || c < 0x21 || c >= 0x7f) {
			snprintf(uri + o, 4, "%%%02X", c);
			o += 3;
		} else {
			uri[o++] = (char)c;
		}
	}
	memcpy(uri + o, "?immutable=1", 13);
	return uri;
}

struct netdb *netdb_open_mode(const char *path, enum netdb_domain dom, int immutable,
			      netdb_log_fn *log, void *log_ctx, char *err, size_t errlen)
{
	return netdb_open_timeout(path, dom, immutable, 1000, log, log_ctx, err, errlen);
}

struct netdb *netdb_open_timeout(const char *path, enum netdb_domain dom, int immutable,
				 unsigned timeout_ms, netdb_log_fn *log, void *log_ctx,
				 char *err, size_t errlen)
{
	struct netdb *d;
	struct stat st;
	char *uri;
	int rc;

	/* SQLite would create a missing file even read-only in some modes */
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	uri = immutable ? immutable_uri(path) : NULL;
	rc = sqlite3_open_v2(uri ? uri : path, &d->db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0), NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 d->db ? sqlite3_errmsg(d->db) : "cannot open");
		sqlite3_close(d->db);
		free(d);
		return NULL;
	}
	sqlite3_busy_timeout(d->db, timeout_ms > 0x7fffffff ? 0x7fffffff : (int)timeout_ms);
	if (sqlite3_prepare_v2(d->db, query_sql, -1, &d->q, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s (want a table access(user TEXT, network TEXT))",
			 path, sqlite3_errmsg(d->db));
		sqlite3_close(d->db);
		free(d);
		return NULL;
	}
	d->path = xstrdup(path);
	d->dom = dom;
	d->log = log;
	d->log_ctx = log_ctx;
	db_rows_init(&d->rows, log, log_ctx, d->path);
	return d;
}

void netdb_close(struct netdb **dp)
{
	struct netdb *d = *dp;

	if (d == NULL)
		return;
	sqlite3_finalize(d->q);
	sqlite3_close(d->db);
	free(d->path);
	free(d);
	*dp = NULL;
}

unsigned long netdb_malformed(const struct netdb *d)
{
	return d->rows.malformed;
}

/* lookup - 1 a row of name contains addr, 0 none, -1 SQLite error */
static int lookup(void *ctx, const char *name, size_t nlen, const struct cidr_addr *addr)
{
	struct netdb *d = ctx;
	int rc, found = 0;

	sqlite3_reset(d->q);
	sqlite3_clear_bindings(d->q);
	if (sqlite3_bind_text(d->q, 1, name, (int)nlen, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(d->q)) == SQLITE_ROW) {
		const unsigned char *net = sqlite3_column_text(d->q, 0);
		size_t len = (size_t)sqlite3_column_bytes(d->q, 0);

		if (db_row_match(&d->rows, name, nlen, (const char *)net, len, net == NULL,
				 addr)) {
			found = 1;
			break;
		}
	}
	if (!found && rc != SQLITE_DONE)
		goto fail;
	sqlite3_reset(d->q);
	return found;
fail:
	if (d->log != NULL) {
		char line[300];

		snprintf(line, sizeof(line), "%s: query failed: %s", d->path,
			 sqlite3_errmsg(d->db));
		d->log(d->log_ctx, line);
	}
	sqlite3_reset(d->q);
	return -1;
}

int netdb_user_allows(void *ctx, const char *user, size_t ulen,
		      const struct cidr_addr *addr)
{
	struct netdb *d = ctx;

	return db_domain_allows(d->dom, user, ulen, addr, lookup, d);
}

/* the SQLite backend (db_backend.h) */
static void *sqlite_open(const struct dbsrc_settings *set, netdb_log_fn *log, void *log_ctx,
			 char *err, size_t errlen)
{
	return netdb_open_timeout(set->spec, set->dom, set->immutable, set->timeout_ms, log,
				  log_ctx, err, errlen);
}

static void sqlite_close(void *h)
{
	struct netdb *d = h;

	netdb_close(&d);
}

const struct db_backend db_sqlite = { "SQLite", sqlite_open, netdb_user_allows, sqlite_close };

int netdb_create_sample(const char *path, char *err, size_t errlen)
{
	static const char sql[] =
		"CREATE TABLE access(user TEXT, network TEXT);\n"
		"INSERT INTO access VALUES('test1', '127.0.0.0/8');\n"
		"INSERT INTO access VALUES('test1', '192.0.2.0/24');\n"
		"INSERT INTO access VALUES('alice', '198.51.100.0/24');\n"
		"INSERT INTO access VALUES('alice', '2001:db8:1::/48');\n"
		"INSERT INTO access VALUES('bob@example.com', '203.0.113.7');\n"
		"INSERT INTO access VALUES('bob', '203.0.113.8');\n"
		"INSERT INTO access VALUES('carol', 'not-a-network');\n"
		"INSERT INTO access VALUES('carol', '::1');\n";
	sqlite3 *db = NULL;
	char *msg = NULL;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_close(db);
		unlink(path);
		return -1;
	}
	sqlite3_close(db);
	return 0;
}
