/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	passdb - Dovecot passwd-file users and password schemes
 * SYNOPSIS
 *	#include "reference/authd/passdb.h"
 * DESCRIPTION
 *	See passdb.h for the file grammar and the schemes. The parser is a
 *	pure function over (buf, len); passdb_load() only reads the file
 *	(at most PASSDB_MAX_FILE bytes) and calls it. Users are kept in an
 *	array sorted by name for bsearch lookups. Digest values decode as
 *	Dovecot does: by the scheme's default encoding, and if that does
 *	not give the right length, by the other encoding.
 * DIAGNOSTICS
 *	"file:line: reason" texts, e.g. "users:3: unknown password scheme
 *	{SHA3}", "users:4: duplicate user alice".
 */
#define _GNU_SOURCE		/* crypt_rn via <crypt.h> */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "proto/base64.h"
#include "reference/authd/passdb.h"
#include "util/xmem.h"

#define PASSDB_MAX_FILE		(64u * 1024 * 1024)
#define PASSDB_MAX_LINE		65536
#define PASSDB_MAX_USER		255

struct passdb {
	int refs;
	size_t n;
	struct passdb_user *users;
	char warning[320];	/* the earliest duplicate line, or "" */
	unsigned warn_line;
	size_t nwarnings;
};

enum enc { ENC_NONE, ENC_B64, ENC_HEX };

struct scheme_def {
	const char *name;
	enum passdb_scheme scheme;
	enum enc def_enc;
	size_t raw_len;		/* fixed decoded length, 0 = variable (salted) */
};

static const struct scheme_def scheme_defs[] = {
	{ "PLAIN", PASSDB_PLAIN, ENC_NONE, 0 },
	{ "CLEAR", PASSDB_PLAIN, ENC_NONE, 0 },
	{ "CLEARTEXT", PASSDB_PLAIN, ENC_NONE, 0 },
	{ "CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "DES-CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "MD5-CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "SHA256-CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "SHA512-CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "BLF-CRYPT", PASSDB_CRYPT, ENC_NONE, 0 },
	{ "SHA", PASSDB_SHA1, ENC_B64, 20 },
	{ "SHA1", PASSDB_SHA1, ENC_B64, 20 },
	{ "SHA256", PASSDB_SHA256, ENC_B64, 32 },
	{ "SHA512", PASSDB_SHA512, ENC_B64, 64 },
	{ "SSHA", PASSDB_SSHA1, ENC_B64, 0 },
	{ "SSHA256", PASSDB_SSHA256, ENC_B64, 0 },
	{ "SSHA512", PASSDB_SSHA512, ENC_B64, 0 },
	{ "CRAM-MD5", PASSDB_CRAM_MD5, ENC_HEX, 32 },
	{ "HMAC-MD5", PASSDB_CRAM_MD5, ENC_HEX, 32 },
	{ "SCRAM-SHA-1", PASSDB_SCRAM_SHA1, ENC_NONE, 0 },
	{ "SCRAM-SHA-256", PASSDB_SCRAM_SHA256, ENC_NONE, 0 },
};

/* hex_decode - lower/upper hex into out; -1 on odd length or bad digit */
static int hex_decode(const char *p, size_t len, unsigned char *out, size_t max, size_t *n_r)
{
	size_t i;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len; i += 2) {
		int v = 0, k;

		for (k = 0; k < 2; k++) {
			char c = p[i + (size_t)k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i / 2] = (unsigned char)v;
	}
	*n_r = len / 2;
	return 0;
}

/* decode_value - digest bytes by an encoding, trying the other one too */
static int decode_value(const char *p, size_t len, enum enc enc, size_t want,
			unsigned char **raw_r, size_t *n_r)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		enum enc e = pass == 0 ? enc : (enc == ENC_HEX ? ENC_B64 : ENC_HEX);

		if (e == ENC_HEX) {
			unsigned char *buf = xmalloc(len / 2 + 1);
			size_t n;

			if (hex_decode(p, len, buf, len / 2 + 1, &n) == 0 && (want == 0 || n == want)) {
				*raw_r = buf;
				*n_r = n;
				return 0;
			}
			free(buf);
		} else {
			struct xbuf b;
			const char *err;

			xbuf_init(&b, len);
			if (base64_decode(p, len, BASE64_DOVECOT, &b, &err) == 0 &&
			    (want == 0 || b.len == want)) {
				*raw_r = xmemdup(b.data ? b.data : "", b.len);
				*n_r = b.len;
				xbuf_free(&b);
				return 0;
			}
			xbuf_free(&b);
		}
	}
	return -1;
}

/* user_free - one user's storage */
static void user_free(struct passdb_user *u)
{
	free(u->name);
	if (u->value != NULL) {
		xmem_wipe(u->value, strlen(u->value));
		free(u->value);
	}
	if (u->raw != NULL) {
		xmem_wipe(u->raw, u->raw_len);
		free(u->raw);
	}
	free(u->extra);
	free(u->uid);
	free(u->gid);
	free(u->home);
	authd_extra_free(&u->x);
	xmem_wipe(u, sizeof(*u));
}

/* parse_password - "{SCHEME}value" into u */
static const char *parse_password(const char *p, size_t len, struct passdb_user *u,
				  char *why, size_t whylen)
{
	const struct scheme_def *def = NULL;
	enum enc enc;
	size_t i;

	if (len > 0 && p[0] == '{') {
		const char *close = memchr(p, '}', len);
		char name[40];
		const char *dot;
		size_t nlen;

		if (close == NULL)
			return "password scheme without closing }";
		nlen = (size_t)(close - p - 1);
		if (nlen == 0 || nlen >= sizeof(name))
			goto unknown;
		memcpy(name, p + 1, nlen);
		name[nlen] = '\0';
		dot = strchr(name, '.');
		if (dot != NULL)
			name[dot - name] = '\0';
		for (i = 0; i < sizeof(scheme_defs) / sizeof(scheme_defs[0]); i++)
			if (strcasecmp(scheme_defs[i].name, name) == 0)
				def = &scheme_defs[i];
		if (def == NULL)
			goto unknown;
		enc = def->def_enc;
		if (dot != NULL) {
			const char *e = p + 1 + (dot - name) + 1;
			size_t elen = (size_t)(close - e);

			if ((elen == 3 && strncasecmp(e, "hex", 3) == 0))
				enc = ENC_HEX;
			else if ((elen == 3 && strncasecmp(e, "b64", 3) == 0) ||
				 (elen == 6 && strncasecmp(e, "base64", 6) == 0))
				enc = ENC_B64;
			else
				goto unknown;
			if (def->def_enc == ENC_NONE)
				goto unknown;
		}
		len -= nlen + 2;
		p = close + 1;
	} else {
		def = &scheme_defs[3];	/* CRYPT */
		enc = ENC_NONE;
	}
	u->scheme = def->scheme;
	switch (def->scheme) {
	case PASSDB_PLAIN:
		u->value = xstrndup(p, len);
		if (strlen(u->value) != len)
			return "NUL byte in password";
		return NULL;
	case PASSDB_CRYPT:
		u->value = xstrndup(p, len);
		if (strlen(u->value) != len)
			return "NUL byte in crypt value";
		if (len == 0)
			u->scheme = PASSDB_NONE;	/* crypt("") never matches: no password */
		return NULL;
	case PASSDB_SCRAM_SHA1:
	case PASSDB_SCRAM_SHA256:
		if (sasl_scram_parse_dovecot(def->scheme == PASSDB_SCRAM_SHA1 ?
					     SASL_MECH_SCRAM_SHA_1 : SASL_MECH_SCRAM_SHA_256,
					     p, len, &u->scram) < 0)
			return "malformed SCRAM value (want iter,salt,storedkey,serverkey)";
		if (u->scram.iter > PASSDB_SCRAM_MAX_ITER)
			return "SCRAM iteration count above " PASSDB_SCRAM_MAX_ITER_TEXT;
		return NULL;
	case PASSDB_CRAM_MD5:
		if (decode_value(p, len, enc, 32, &u->raw, &u->raw_len) < 0)
			return "malformed CRAM-MD5 value (want 64 hex digits)";
		memcpy(u->cram, u->raw, 32);
		return NULL;
	default:
		if (decode_value(p, len, enc, def->raw_len, &u->raw, &u->raw_len) < 0)
			return "malformed digest value";
		{
			size_t dl = def->scheme == PASSDB_SSHA1 ? 20 :
				    def->scheme == PASSDB_SSHA256 ? 32 :
				    def->scheme == PASSDB_SSHA512 ? 64 : 0;

			if (dl && u->raw_len <= dl)
				return "salted digest value too short";
		}
		return NULL;
	}
unknown:
	snprintf(why, whylen, "unknown password scheme %.*s",
		 (int)(len > 40 ? 40 : len), p);
	return why;
}

/* user_cmp - sort/bsearch by name */
/*
 * userdb_columns - after the password: uid:gid:gecos:home:shell:extra; the
 * uid, gid and home kept as written (NULL when the line ends before them),
 * the extra fields when there is text after the fifth colon
 */
static void userdb_columns(const char *f, size_t left, struct passdb_user *u)
{
	char **keep[5] = { &u->uid, &u->gid, NULL, &u->home, NULL };
	int k;

	for (k = 0; k < 5; k++) {
		const char *c = memchr(f, ':', left);
		size_t n = c != NULL ? (size_t)(c - f) : left;

		if (keep[k] != NULL)
			*keep[k] = xstrndup(f, n);
		if (c == NULL)
			return;
		left -= n + 1;
		f = c + 1;
	}
	if (left > 0)
		u->extra = xstrndup(f, left);
}

static int user_cmp(const void *a, const void *b)
{
	const struct passdb_user *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* user_line_cmp - by name, then by the line that defined it */
static int user_line_cmp(const void *a, const void *b)
{
	const struct passdb_user *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* warn_dup - remember the earliest repeated definition (Dovecot: first wins) */
static void warn_dup(struct passdb *db, const char *filename, const struct passdb_user *dup,
		     const struct passdb_user *first)
{
	db->warn_line = dup->line;
	snprintf(db->warning, sizeof(db->warning), "%s:%u: user %.200s exists more than once "
		 "(line %u counts)", filename, dup->line, dup->name, first->line);
}

/* passdb_parse - a passwd-file from memory */
struct passdb *passdb_parse(const char *buf, size_t len, const char *filename,
			    char *err, size_t errlen)
{
	struct passdb *db = xcalloc(1, sizeof(*db));
	size_t cap = 0, pos = 0;
	unsigned lineno = 0;

	db->refs = 1;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		const char *c1, *c2;
		struct passdb_user u;
		const char *why;
		char whybuf[96];

		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#' || line[0] == ':')
			continue;	/* no user name, or a comment (db-passwd-file.c) */
		if (ll > PASSDB_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", filename, lineno,
				 PASSDB_MAX_LINE);
			goto fail;
		}
		c1 = memchr(line, ':', ll);
		if (c1 == NULL)
			c1 = line + ll;	/* only a user name: no password */
		if ((size_t)(c1 - line) > PASSDB_MAX_USER) {
			snprintf(err, errlen, "%s:%u: user name must be 1-%u bytes", filename, lineno,
				 PASSDB_MAX_USER);
			goto fail;
		}
		c2 = c1 == line + ll ? NULL : memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line));
		memset(&u, 0, sizeof(u));
		u.line = lineno;
		u.name = xstrndup(line, (size_t)(c1 - line));
		if (strlen(u.name) != (size_t)(c1 - line)) {
			user_free(&u);
			snprintf(err, errlen, "%s:%u: NUL byte in user name", filename, lineno);
			goto fail;
		}
		if (c1 == line + ll)
			why = parse_password(c1, 0, &u, whybuf, sizeof(whybuf));
		else
			why = parse_password(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) :
					     ll - (size_t)(c1 + 1 - line), &u, whybuf, sizeof(whybuf));
		if (why != NULL) {
			snprintf(err, errlen, "%s:%u: user %s: %s", filename, lineno, u.name, why);
			user_free(&u);
			goto fail;
		}
		if (c2 != NULL)
			userdb_columns(c2 + 1, ll - (size_t)(c2 + 1 - line), &u);
		if (authd_extra_parse(u.extra ? u.extra : "", u.extra ? strlen(u.extra) : 0,
				      &u.x) < 0) {
			snprintf(err, errlen, "%s:%u: user %s: extra fields longer than %u bytes",
				 filename, lineno, u.name, AUTHD_EXTRA_MAX);
			user_free(&u);
			goto fail;
		}
		if (db->n == cap) {
			cap = cap ? cap * 2 : 16;
			db->users = xrealloc(db->users, cap * sizeof(*db->users));
		}
		db->users[db->n++] = u;
	}
	/* by name, then by line: the first definition of a name comes first */
	if (db->n > 1)
		qsort(db->users, db->n, sizeof(*db->users), user_line_cmp);
	{
		size_t keep = 0;
		const struct passdb_user *first = NULL;

		for (pos = 0; pos < db->n; pos++) {
			struct passdb_user *u = &db->users[pos];

			if (first != NULL && strcmp(first->name, u->name) == 0) {
				if (db->nwarnings++ == 0 || u->line < db->warn_line)
					warn_dup(db, filename, u, first);
				user_free(u);
				continue;
			}
			db->users[keep] = *u;
			first = &db->users[keep++];
		}
		db->n = keep;
	}
	return db;
fail:
	passdb_unref(&db);
	return NULL;
}

/* passdb_load - read and parse a file */
struct passdb *passdb_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct xbuf b;
	struct passdb *db;
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	xbuf_init(&b, PASSDB_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (xbuf_append(&b, chunk, n) < 0) {
			snprintf(err, errlen, "%s: larger than %u bytes", path, PASSDB_MAX_FILE);
			fclose(f);
			xbuf_free_wipe(&b);
			return NULL;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		xbuf_free_wipe(&b);
		return NULL;
	}
	fclose(f);
	db = passdb_parse(xbuf_cstr(&b), b.len, path, err, errlen);
	xbuf_free_wipe(&b);
	return db;
}

void passdb_ref(struct passdb *db)
{
	db->refs++;
}

void passdb_unref(struct passdb **dbp)
{
	struct passdb *db = *dbp;
	size_t i;

	if (db == NULL)
		return;
	*dbp = NULL;
	if (--db->refs > 0)
		return;
	for (i = 0; i < db->n; i++)
		user_free(&db->users[i]);
	free(db->users);
	free(db);
}

size_t passdb_count(const struct passdb *db)
{
	return db->n;
}

const char *passdb_warning(const struct passdb *db, size_t *count_r)
{
	if (count_r != NULL)
		*count_r = db->nwarnings;
	return db->nwarnings > 0 ? db->warning : NULL;
}

/* passdb_lookup - a user by exact name */
const struct passdb_user *passdb_lookup(const struct passdb *db, const char *user)
{
	struct passdb_user key;

	memset(&key, 0, sizeof(key));
	key.name = (char *)(uintptr_t)user;
	if (db->n == 0)
		return NULL;
	return bsearch(&key, db->users, db->n, sizeof(*db->users), user_cmp);
}

int passdb_scheme_expensive(const struct passdb_user *u)
{
	return u->scheme == PASSDB_CRYPT || u->scheme == PASSDB_SCRAM_SHA1 ||
	       u->scheme == PASSDB_SCRAM_SHA256;
}

/* digest_check - H(password [|| salt]) against the stored bytes */
static int digest_check(const EVP_MD *md, const struct passdb_user *u, const char *pw,
			int salted)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t want = (size_t)EVP_MD_get_size(md);
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (salted ? u->raw_len <= want : u->raw_len != want)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pw, strlen(pw)) == 1 &&
	    (!salted || EVP_DigestUpdate(ctx, u->raw + want, u->raw_len - want) == 1) &&
	    EVP_DigestFinal_ex(ctx, d, &dl) == 1 && dl == want)
		ok = CRYPTO_memcmp(d, u->raw, want) == 0;
	EVP_MD_CTX_free(ctx);
	xmem_wipe(d, sizeof(d));
	return ok;
}

#define PASSDB_SCRAM_MIN_ITER	4096	/* Dovecot SCRAM_MIN_ITERATE_COUNT */

/* passdb_verify - does password match the stored form (as Dovecot 2.3) */
int passdb_verify(const struct passdb_user *u, const char *password)
{
	return passdb_verify_as(u, password, 0) > 0;
}

/* passdb_verify_as - the same; dovecot24: nopassword accepts any password, -1 internal failure */
int passdb_verify_as(const struct passdb_user *u, const char *password, int dovecot24)
{
	if (u->x.fail)
		return 0;
	if (dovecot24 && u->x.nopassword)
		return 1;	/* 2.4 auth_request_password_verify: "Allowing any password" */
	switch (u->scheme) {
	case PASSDB_NONE:
		return u->x.nopassword;
	case PASSDB_PLAIN: {
		size_t a = strlen(password), b = strlen(u->value);

		/* constant time over the stored length */
		return a == b && CRYPTO_memcmp(password, u->value, b) == 0;
	}
	case PASSDB_CRYPT: {
		struct crypt_data *cd = xcalloc(1, sizeof(*cd));
		const char *h = crypt_rn(password, u->value, cd, (int)sizeof(*cd));
		int ok = h != NULL && h[0] != '*' && strlen(h) == strlen(u->value) &&
			 CRYPTO_memcmp(h, u->value, strlen(h)) == 0;

		xmem_wipe(cd, sizeof(*cd));
		free(cd);
		return ok;
	}
	case PASSDB_SHA1:
		return digest_check(EVP_sha1(), u, password, 0);
	case PASSDB_SHA256:
		return digest_check(EVP_sha256(), u, password, 0);
	case PASSDB_SHA512:
		return digest_check(EVP_sha512(), u, password, 0);
	case PASSDB_SSHA1:
		return digest_check(EVP_sha1(), u, password, 1);
	case PASSDB_SSHA256:
		return digest_check(EVP_sha256(), u, password, 1);
	case PASSDB_SSHA512:
		return digest_check(EVP_sha512(), u, password, 1);
	case PASSDB_CRAM_MD5: {
		unsigned char ctx[32];
		int ok;

		if (sasl_cram_md5_context(password, strlen(password), ctx) < 0)
			return 0;
		ok = CRYPTO_memcmp(ctx, u->cram, 32) == 0;
		xmem_wipe(ctx, sizeof(ctx));
		return ok;
	}
	case PASSDB_SCRAM_SHA1:
	case PASSDB_SCRAM_SHA256: {
		struct sasl_scram_keys k;
		int ok;

		/* Dovecot's scram_verify refuses a stored value under 4096 rounds;
		   2.4 takes that as an internal failure */
		if (u->scram.iter < PASSDB_SCRAM_MIN_ITER)
			return dovecot24 ? -1 : 0;
		if (sasl_scram_derive(u->scheme == PASSDB_SCRAM_SHA1 ? SASL_MECH_SCRAM_SHA_1 :
				      SASL_MECH_SCRAM_SHA_256, password, u->scram.salt,
				      u->scram.salt_len, u->scram.iter, &k) < 0)
			return 0;
		ok = CRYPTO_memcmp(k.stored_key, u->scram.stored_key, k.key_len) == 0;
		xmem_wipe(&k, sizeof(k));
		return ok;
	}
	}
	return 0;
}

/* passdb_creds - credentials for a challenge-response mechanism */
int passdb_creds(const struct passdb_user *u, enum sasl_mech mech, struct sasl_creds *creds_r)
{
	memset(creds_r, 0, sizeof(*creds_r));
	if (u->scheme == PASSDB_PLAIN) {
		creds_r->kind = SASL_CREDS_PLAINTEXT;
		creds_r->password = u->value;
		creds_r->password_len = strlen(u->value);
		return 0;
	}
	if (mech == SASL_MECH_CRAM_MD5 && u->scheme == PASSDB_CRAM_MD5) {
		creds_r->kind = SASL_CREDS_CRAM_MD5;
		memcpy(creds_r->cram_ctx, u->cram, 32);
		return 0;
	}
	if ((mech == SASL_MECH_SCRAM_SHA_1 && u->scheme == PASSDB_SCRAM_SHA1) ||
	    (mech == SASL_MECH_SCRAM_SHA_256 && u->scheme == PASSDB_SCRAM_SHA256)) {
		creds_r->kind = SASL_CREDS_SCRAM;
		creds_r->scram = u->scram;
		return 0;
	}
	return -1;
}
