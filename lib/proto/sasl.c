/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl - SASL mechanisms: the table, SCRAM keys, and what both sides share
 * SYNOPSIS
 *	#include "proto/sasl.h"
 * DESCRIPTION
 *	See sasl.h for the contract; the client steps are sasl_client.c,
 *	the server steps sasl_server.c, their shared helpers sasl_int.h.
 *	The server steps follow Dovecot's
 *	mechanisms (src/lib-sasl/sasl-server-mech-*.c, src/lib-auth/
 *	auth-scram-server.c), including their failure reasons:
 *
 *	PLAIN	message := authzid NUL authcid NUL passwd. Fewer or more
 *		than two NULs: "invalid input". An authzid equal to the
 *		authcid counts as empty; any other authzid is a master-user
 *		login, which needs a master passdb that this server does not
 *		have: "Master user login attempted without master passdbs".
 *	LOGIN	"Username:" unless the first message is non-empty, then
 *		"Password:". NUL in a message: "Unexpected NUL in auth data".
 *	CRAM-MD5 challenge "<" 16 digits "." time "@" host ">". Reply
 *		"user SP 32HEXDIG", split at the rightmost SP; errors "NULs
 *		in response", "missing digest", "invalid digest size",
 *		"invalid hex in digest".
 *		The challenge has no length bound but SASL_MAX_MESSAGE (2.3
 *		formats it with t_strdup_printf: long host names work).
 *	SCRAM	RFC 5802 grammar, checked as 2.3's mech-scram.c does:
 *		the gs2 flag is judged by its first byte: "n" / "y" (no
 *		channel binding here), "p" gives "Channel binding not
 *		supported"; "a=" (empty authzid) fails ("Master user login
 *		attempted to use empty login username"), an authzid other
 *		than the user needs a master passdb; reserved "m=" gives
 *		"Mandatory extension(s) not supported"; the c-nonce is any
 *		text, even empty; an empty initial response is a broken
 *		client-first (fails), while no initial response gets an
 *		empty challenge; stored keys with fewer than 4096
 *		iterations are refused ("Invalid SCRAM iteration count in
 *		passdb"); client-final must repeat the gs2 header in c= and
 *		the full nonce in r=; after server-final went out as a
 *		challenge, any answer, empty or not, succeeds.
 *	Usernames (authcid) must be 1..SASL_MAX_AUTHID bytes.
 *	Every message is bounded by SASL_MAX_MESSAGE.
 * DIAGNOSTICS
 *	Error reasons are static strings. libcrypto failures count as
 *	failures of the exchange ("internal error").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "proto/base64.h"
#include "proto/dvauth.h"
#include "proto/sasl.h"
#include "proto/sasl_int.h"
#include "util/xmem.h"

static const struct sasl_mech_info sasl_mechs[SASL_MECH_COUNT] = {
	{ SASL_MECH_PLAIN, "PLAIN", DVAUTH_MECH_PLAINTEXT, 1 },
	{ SASL_MECH_LOGIN, "LOGIN", DVAUTH_MECH_PLAINTEXT, 0 },
	{ SASL_MECH_CRAM_MD5, "CRAM-MD5", DVAUTH_MECH_DICTIONARY | DVAUTH_MECH_ACTIVE, 0 },
	{ SASL_MECH_SCRAM_SHA_1, "SCRAM-SHA-1", DVAUTH_MECH_MUTUAL_AUTH, 1 },
	{ SASL_MECH_SCRAM_SHA_256, "SCRAM-SHA-256", DVAUTH_MECH_MUTUAL_AUTH, 1 },
	{ SASL_MECH_ANONYMOUS, "ANONYMOUS", DVAUTH_MECH_ANONYMOUS, 1 },
	{ SASL_MECH_EXTERNAL, "EXTERNAL", 0, 1 },
};

/* sasl_mech_get - table entry of a mechanism */
const struct sasl_mech_info *sasl_mech_get(enum sasl_mech mech)
{
	if ((unsigned)mech >= SASL_MECH_COUNT)
		return NULL;
	return &sasl_mechs[mech];
}

/* sasl_mech_by_name - case-insensitive lookup, as Dovecot does */
const struct sasl_mech_info *sasl_mech_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < SASL_MECH_COUNT; i++) {
		if (strlen(sasl_mechs[i].name) == len &&
		    strncasecmp(sasl_mechs[i].name, name, len) == 0)
			return &sasl_mechs[i];
	}
	return NULL;
}

/* --- shared helpers ---------------------------------------------------- */

/* sasl_scram_md - the digest of a SCRAM mechanism */
const EVP_MD *sasl_scram_md(enum sasl_mech mech)
{
	if (mech == SASL_MECH_SCRAM_SHA_1)
		return EVP_sha1();
	if (mech == SASL_MECH_SCRAM_SHA_256)
		return EVP_sha256();
	return NULL;
}

/* sasl_hmac - one-shot HMAC, 0 or -1 */
int sasl_hmac(const EVP_MD *md, const void *key, size_t klen,
		const void *data, size_t dlen, unsigned char *out)
{
	unsigned int olen = 0;

	if (HMAC(md, key, (int)klen, data, dlen, out, &olen) == NULL)
		return -1;
	return 0;
}

/* sasl_random_b64 - nbytes from RAND_bytes, base64 */
int sasl_random_b64(size_t nbytes, struct xbuf *out)
{
	unsigned char buf[64];

	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return -1;
	return base64_encode(buf, nbytes, out);
}

/* sasl_scram_escape - saslname: "," -> "=2C", "=" -> "=3D" */
int sasl_scram_escape(const char *s, struct xbuf *out)
{
	for (; *s != '\0'; s++) {
		int rc;

		if (*s == ',')
			rc = xbuf_append(out, "=2C", 3);
		else if (*s == '=')
			rc = xbuf_append(out, "=3D", 3);
		else
			rc = xbuf_append_char(out, *s);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* sasl_scram_unescape - saslname back to a name; -1 on bad escapes */
char *sasl_scram_unescape(const char *p, size_t len)
{
	char *r = xmalloc(len + 1);
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == ',' || p[i] == '\0')
			goto bad;
		if (p[i] == '=') {
			if (len - i >= 3 && p[i + 1] == '2' && p[i + 2] == 'C')
				r[j++] = ',';
			else if (len - i >= 3 && p[i + 1] == '3' && p[i + 2] == 'D')
				r[j++] = '=';
			else
				goto bad;
			i += 2;
		} else {
			r[j++] = p[i];
		}
	}
	r[j] = '\0';
	return r;
bad:
	free(r);
	return NULL;
}

/* sasl_hex_digit - 0..15 or -1 */
int sasl_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* sasl_scram_derive - SaltedPassword, StoredKey, ServerKey (RFC 5802 3) */
int sasl_scram_derive(enum sasl_mech mech, const char *password,
		      const void *salt, size_t salt_len, unsigned iter,
		      struct sasl_scram_keys *keys_r)
{
	const EVP_MD *md = sasl_scram_md(mech);
	unsigned char salted[SASL_SCRAM_MAX_KEY];
	unsigned char client_key[SASL_SCRAM_MAX_KEY];
	size_t klen;
	int rc = -1;

	if (md == NULL || iter == 0 || salt_len > sizeof(keys_r->salt) ||
	    iter > 0x7fffffff)
		return -1;
	klen = (size_t)EVP_MD_get_size(md);
	memset(keys_r, 0, sizeof(*keys_r));
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
			      (int)iter, md, (int)klen, salted) != 1)
		goto out;
	if (sasl_hmac(md, salted, klen, "Client Key", 10, client_key) < 0 ||
	    sasl_hmac(md, salted, klen, "Server Key", 10, keys_r->server_key) < 0)
		goto out;
	if (EVP_Digest(client_key, klen, keys_r->stored_key, NULL, md, NULL) != 1)
		goto out;
	keys_r->iter = iter;
	keys_r->salt_len = salt_len;
	memcpy(keys_r->salt, salt, salt_len);
	keys_r->key_len = klen;
	rc = 0;
out:
	xmem_wipe(salted, sizeof(salted));
	xmem_wipe(client_key, sizeof(client_key));
	return rc;
}

/* sasl_b64_field - decode base64 into a fixed buffer of exactly want bytes (0 = any up to max) */
int sasl_b64_field(const char *p, size_t len, unsigned char *dst, size_t max,
		     size_t want, size_t *got_r)
{
	struct xbuf b;
	const char *err;
	int rc = -1;

	xbuf_init(&b, max);
	if (base64_decode(p, len, 0, &b, &err) == 0 &&
	    (want == 0 || b.len == want)) {
		memcpy(dst, b.data ? b.data : "", b.len);
		if (got_r != NULL)
			*got_r = b.len;
		rc = 0;
	}
	xbuf_free(&b);
	return rc;
}

/* sasl_scram_parse_dovecot - "iter,salt,stored,server" (base64 parts) */
int sasl_scram_parse_dovecot(enum sasl_mech mech, const char *s, size_t len,
			     struct sasl_scram_keys *keys_r)
{
	const EVP_MD *md = sasl_scram_md(mech);
	const char *f[4];
	size_t fl[4];
	size_t i, n = 0, start = 0;
	unsigned long iter = 0;

	if (md == NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == ',') {
			if (n == 4)
				return -1;
			f[n] = s + start;
			fl[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	if (n != 4 || fl[0] == 0 || fl[0] > 9)
		return -1;
	for (i = 0; i < fl[0]; i++) {
		if (f[0][i] < '0' || f[0][i] > '9')
			return -1;
		iter = iter * 10 + (unsigned long)(f[0][i] - '0');
	}
	if (iter == 0 || iter > 0x7fffffff)
		return -1;
	memset(keys_r, 0, sizeof(*keys_r));
	keys_r->iter = (unsigned)iter;
	keys_r->key_len = (size_t)EVP_MD_get_size(md);
	if (sasl_b64_field(f[1], fl[1], keys_r->salt, sizeof(keys_r->salt), 0,
		      &keys_r->salt_len) < 0 ||
	    sasl_b64_field(f[2], fl[2], keys_r->stored_key, SASL_SCRAM_MAX_KEY,
		      keys_r->key_len, NULL) < 0 ||
	    sasl_b64_field(f[3], fl[3], keys_r->server_key, SASL_SCRAM_MAX_KEY,
		      keys_r->key_len, NULL) < 0)
		return -1;
	return 0;
}

/* sasl_scram_format_dovecot - the inverse of sasl_scram_parse_dovecot */
int sasl_scram_format_dovecot(const struct sasl_scram_keys *keys, struct xbuf *out)
{
	size_t old = out->len;

	if (xbuf_printf(out, "%u,", keys->iter) < 0 ||
	    base64_encode(keys->salt, keys->salt_len, out) < 0 ||
	    xbuf_append_char(out, ',') < 0 ||
	    base64_encode(keys->stored_key, keys->key_len, out) < 0 ||
	    xbuf_append_char(out, ',') < 0 ||
	    base64_encode(keys->server_key, keys->key_len, out) < 0) {
		xbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* sasl_scram_attr - find "k=" field among comma-separated parts; view into msg */
int sasl_scram_attr(const char *msg, size_t len, char key, size_t index,
		      const char **val_r, size_t *vlen_r)
{
	size_t i, start = 0, n = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || msg[i] == ',') {
			if (n == index) {
				if (i - start < 2 || msg[start] != key || msg[start + 1] != '=')
					return -1;
				*val_r = msg + start + 2;
				*vlen_r = i - start - 2;
				return 0;
			}
			n++;
			start = i + 1;
		}
	}
	return -1;
}

/* sasl_opt_dup - copy an optional string */
char *sasl_opt_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* sasl_wipe_free - clear and free a secret string */
void sasl_wipe_free(char *s)
{
	if (s != NULL) {
		xmem_wipe(s, strlen(s));
		free(s);
	}
}
