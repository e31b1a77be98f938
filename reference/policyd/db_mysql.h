/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	db_mysql - the MariaDB URL of --db
 * SYNOPSIS
 *	#include "reference/policyd/db_mysql.h"
 *
 *	int db_mysql_url(const char *url, struct db_mysql_url *u,
 *	                 char *err, size_t errlen);
 * DESCRIPTION
 *	See db_mysql.c: mysql://[USER@][HOST[:PORT]]/DB[?socket=PATH];
 *	empty parts are empty strings, no port is 0.
 * DIAGNOSTICS
 *	0, or -1 with the reason in err.
 */
#ifndef REFERENCE_POLICYD_DB_MYSQL_H
#define REFERENCE_POLICYD_DB_MYSQL_H

#include <stddef.h>

struct db_mysql_url {
	char user[128];
	char host[256];
	unsigned port;
	char db[128];
	char socket[256];
};

int db_mysql_url(const char *url, struct db_mysql_url *u, char *err, size_t errlen);

#endif
