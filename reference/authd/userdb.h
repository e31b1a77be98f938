/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	userdb - the server side of one Dovecot auth-userdb connection
 * SYNOPSIS
 *	#include "reference/authd/userdb.h"
 *
 *	int authd_userdb_lookup(const struct passdb *db, const char *user,
 *	                        int dovecot24, struct authd_userdb_reply *r);
 *	void authd_userdb_reply_free(struct authd_userdb_reply *r);
 *
 *	struct authd_userdb *authd_userdb_create(
 *	                        const struct authd_userdb_settings *set,
 *	                        const struct authd_userdb_ops *ops, void *ctx);
 *	void authd_userdb_start(struct authd_userdb *u);
 *	int authd_userdb_line(struct authd_userdb *u, const char *line,
 *	                        size_t len);
 *	const char *authd_userdb_error(const struct authd_userdb *u);
 *	void authd_userdb_destroy(struct authd_userdb **u);
 * DESCRIPTION
 *	authd_userdb_lookup() answers a USER request from the passwd-file
 *	as Dovecot's passwd-file userdb does (db-passwd-file.c,
 *	userdb-passwd-file.c, auth-request.c auth_request_set_userdb_field)
 *	with Dovecot's default auth_username_chars and auth_username_format
 *	(%Lu): a user name with a byte outside [A-Za-z0-9.-_@], or empty,
 *	is not found; the name is lowercased, then looked up. A uid or gid
 *	is a number or a user or group name of the system's database
 *	(getpwnam, getgrnam). A user whose line ends before the gid column,
 *	or whose uid or gid is 0 or neither, is not found (Dovecot drops
 *	such a line, or refuses userdb lookups for it). The fields: uid and
 *	gid (as numbers) when their columns are not empty, home when not
 *	empty, then each userdb_NAME[=VALUE] extra field as NAME, in file
 *	order (a repeated NAME keeps its place and takes the new value;
 *	NAME:protected, with dovecot24 NAME:default, only when NAME is not
 *	set yet; NAME:remove removes it; system_user becomes
 *	system_groups_user). A userdb_uid or
 *	userdb_gid that is neither a number nor a name, or userdb_tempfail,
 *	makes the lookup a temporary failure. Not done: %variables are not
 *	expanded; userdb_user, userdb_username and userdb_domain do not
 *	rename the user; userdb_uidgid_file and userdb_userdb_import are
 *	ignored. r->name is the user name of the reply. 1 found, 0 not
 *	found, -1 temporary failure.
 *
 *	A session: authd_userdb_start() sends the handshake (VERSION 1 1 and
 *	SPID; with set->dovecot24 the minor is 3); the client's first line
 *	must be its VERSION (major 1), then USER, LIST and PASS requests
 *	follow (dvmaster.h reads them in the dialect of set->dovecot24).
 *	USER is answered with USER, NOTFOUND or FAIL; PASS with Dovecot's
 *	FAIL for passdbs without credentials lookups, LIST with its
 *	"DONE id fail" for userdbs without iteration. Any other line ends
 *	the connection: authd_userdb_line() returns -1 and
 *	authd_userdb_error() says why, in Dovecot's words.
 * DIAGNOSTICS
 *	authd_userdb_line: 0, or -1 when the connection must be closed.
 */
#ifndef REFERENCE_AUTHD_USERDB_H
#define REFERENCE_AUTHD_USERDB_H

#include <stddef.h>

#include "proto/dvmaster.h"
#include "reference/authd/passdb.h"

struct authd_userdb_reply {
	char name[DVMASTER_MAX_LINE];	/* the user name of the reply */
	size_t n, cap;
	struct dvmaster_field *f;
	char *text;			/* the values' storage */
};

struct authd_userdb_settings {
	int dovecot24;			/* 2.4's dialect and handshake */
	unsigned long spid;
};

struct authd_userdb_ops {
	void (*send)(void *ctx, const char *data, size_t len);
	const struct passdb *(*db)(void *ctx);	/* the current passwd-file */
};

struct authd_userdb;

int authd_userdb_lookup(const struct passdb *db, const char *user, int dovecot24,
			struct authd_userdb_reply *r);
void authd_userdb_reply_free(struct authd_userdb_reply *r);

struct authd_userdb *authd_userdb_create(const struct authd_userdb_settings *set,
					 const struct authd_userdb_ops *ops, void *ctx);
void authd_userdb_start(struct authd_userdb *u);
int authd_userdb_line(struct authd_userdb *u, const char *line, size_t len);
const char *authd_userdb_error(const struct authd_userdb *u);
void authd_userdb_destroy(struct authd_userdb **u);

#endif
