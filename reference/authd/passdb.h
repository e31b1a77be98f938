/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	passdb - Dovecot passwd-file users and password schemes
 * SYNOPSIS
 *	#include "reference/authd/passdb.h"
 *
 *	struct passdb *passdb_parse(const char *buf, size_t len,
 *	                            const char *filename, char *err, size_t errlen);
 *	struct passdb *passdb_load(const char *path, char *err, size_t errlen);
 *	void passdb_ref(struct passdb *db);
 *	void passdb_unref(struct passdb **db);
 *	const struct passdb_user *passdb_lookup(const struct passdb *db,
 *	                                        const char *user);
 *	int passdb_scheme_expensive(const struct passdb_user *u);
 *	int passdb_verify(const struct passdb_user *u, const char *password);
int passdb_verify_as(const struct passdb_user *u, const char *password, int dovecot24);
 *	int passdb_verify_as(const struct passdb_user *u, const char *password,
 *	                  int dovecot24);
 *	int passdb_creds(const struct passdb_user *u, enum sasl_mech mech,
 *	                 struct sasl_creds *creds_r);
 *	size_t passdb_count(const struct passdb *db);
 *	const char *passdb_warning(const struct passdb *db, size_t *count_r);
 * DESCRIPTION
 *	File format (Dovecot passwd-file, the same file Dovecot reads):
 *	  line := user ":" password [":" uid ":" gid ":" gecos ":" home
 *	          ":" shell ":" extra-fields]
 *	  password := ["{" SCHEME "}"] value
 *	Blank lines and lines starting with "#" or ":" are skipped (as
 *	Dovecot's db-passwd-file.c does). A user name is 1..255 bytes
 *	without ":". A line with only a user name, or an empty password
 *	(with or without {CRYPT}), defines a user without a password
 *	(PASSDB_NONE), who can log in only with the "nopassword" extra
 *	field, and then with any password. A user defined twice keeps the
 *	first line, as in Dovecot; passdb_warning() then returns
 *	"file:line: user U exists more than once (line N counts)" for the
 *	first such line and the number of them. A password without
 *	{SCHEME} uses CRYPT (Dovecot's default_pass_scheme). The extra
 *	fields are kept verbatim (extra) and as their meaning for the
 *	reply (x, see extra.h); "fail" makes passdb_verify() fail. The
 *	uid, gid and home columns are kept as written (NULL when the line
 *	ends before them) for the userdb (userdb.h).
 *	Schemes (case-insensitive; an optional ".HEX" / ".B64" suffix sets
 *	the encoding of digest schemes):
 *	  PLAIN CLEAR CLEARTEXT      the password itself
 *	  CRYPT DES-CRYPT MD5-CRYPT SHA256-CRYPT SHA512-CRYPT BLF-CRYPT
 *	                             crypt(3) strings through libxcrypt
 *	                             crypt_rn (expensive: run off the loop)
 *	  SHA SHA1 SHA256 SHA512     digest, base64 by default
 *	  SSHA SSHA256 SSHA512       digest || salt, base64 by default
 *	  CRAM-MD5 HMAC-MD5          HMAC-MD5 context, hex by default
 *	  SCRAM-SHA-1 SCRAM-SHA-256  iter,salt,stored,server; a PLAIN
 *	                             login against one runs PBKDF2 (expensive:
 *	                             run off the loop); iter is at most
 *	                             PASSDB_SCRAM_MAX_ITER (1,000,000)
 *	An unknown scheme or a value that does not decode is reported
 *	with file:line when the file is loaded.
 *
 *	passdb_verify() compares in constant time. passdb_verify_as() with
 *	dovecot24 set answers as Dovecot 2.4 does: "nopassword" (or
 *	"noauthenticate") accepts any password even when one is stored
 *	(2.3 ignores it then; 2.4's auth_request_set_field() drops the
 *	stored password and auth_request_password_verify() allows any);
 *	the credentials of passdb_creds() stay the stored ones in both, as
 *	2.4's passwd-file lookup_credentials hands over the stored value
 *	(for nopassword; ref-authd does not model noauthenticate there).
 *	A PLAIN login against a {SCRAM-SHA-*} value of under 4096 rounds
 *	fails in both; with dovecot24 it is an internal failure (-1), as
 *	2.4's auth_request_password_verify takes scram_verify's error.
 *	passdb_creds() yields
 *	what a challenge-response mechanism needs: PLAIN-family passwords
 *	work for CRAM-MD5 and SCRAM; {CRAM-MD5} for CRAM-MD5 only;
 *	{SCRAM-SHA-x} for its own mechanism only; hashes for none.
 *	A passdb is reference-counted so a reload can replace it while
 *	requests still use the old one.
 * DIAGNOSTICS
 *	passdb_parse/load: NULL with "file:line: reason" in err.
 *	passdb_verify: 1 match, 0 mismatch. passdb_verify_as: the same, or
 *	-1 (dovecot24 only) for an internal failure. passdb_creds: 0, or -1 when the
 *	stored form cannot serve the mechanism.
 */
#ifndef REFERENCE_AUTHD_PASSDB_H
#define REFERENCE_AUTHD_PASSDB_H

#include <stddef.h>

#include "proto/sasl.h"
#include "reference/authd/extra.h"

/* the most PBKDF2 rounds a {SCRAM-SHA-*} value may ask for */
#define PASSDB_SCRAM_MAX_ITER		1000000u
#define PASSDB_SCRAM_MAX_ITER_TEXT	"1000000"

enum passdb_scheme {
	PASSDB_PLAIN,
	PASSDB_CRYPT,
	PASSDB_SHA1,
	PASSDB_SHA256,
	PASSDB_SHA512,
	PASSDB_SSHA1,
	PASSDB_SSHA256,
	PASSDB_SSHA512,
	PASSDB_CRAM_MD5,
	PASSDB_SCRAM_SHA1,
	PASSDB_SCRAM_SHA256,
	PASSDB_NONE,		/* empty or missing password: only "nopassword" lets in */
};

struct passdb_user {
	char *name;
	enum passdb_scheme scheme;
	char *value;		/* PLAIN: password; CRYPT: crypt string */
	unsigned char *raw;	/* decoded digest (and salt) */
	size_t raw_len;
	unsigned char cram[32];
	struct sasl_scram_keys scram;
	char *extra;		/* extra fields, verbatim, or NULL */
	char *uid, *gid, *home;	/* the userdb columns as written, NULL when absent */
	struct authd_extra x;	/* what they mean for the reply (extra.h) */
	unsigned line;		/* where the user was defined */
};

struct passdb;

struct passdb *passdb_parse(const char *buf, size_t len, const char *filename,
			    char *err, size_t errlen);
struct passdb *passdb_load(const char *path, char *err, size_t errlen);
void passdb_ref(struct passdb *db);
void passdb_unref(struct passdb **db);
const struct passdb_user *passdb_lookup(const struct passdb *db, const char *user);
int passdb_scheme_expensive(const struct passdb_user *u);
int passdb_verify(const struct passdb_user *u, const char *password);
int passdb_verify_as(const struct passdb_user *u, const char *password, int dovecot24);
int passdb_creds(const struct passdb_user *u, enum sasl_mech mech, struct sasl_creds *creds_r);
size_t passdb_count(const struct passdb *db);
const char *passdb_warning(const struct passdb *db, size_t *count_r);

#endif
