/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl - SASL mechanism steps, client side and server side
 * SYNOPSIS
 *	#include "proto/sasl.h"
 * DESCRIPTION
 *	See sasl.h for the contract. The server steps follow Dovecot's
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
#include "util/xmem.h"

#define SASL_MAX_AUTHID		1024	/* Dovecot SASL_MAX_AUTHID_SIZE */
#define SCRAM_NONCE_BYTES	18	/* 24 base64 characters */
#define SCRAM_MIN_ITER		4096	/* 2.3 SCRAM_MIN_ITERATE_COUNT: fewer is refused */

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

/* scram_md - the digest of a SCRAM mechanism */
static const EVP_MD *scram_md(enum sasl_mech mech)
{
	if (mech == SASL_MECH_SCRAM_SHA_1)
		return EVP_sha1();
	if (mech == SASL_MECH_SCRAM_SHA_256)
		return EVP_sha256();
	return NULL;
}

/* hmac - one-shot HMAC, 0 or -1 */
static int hmac(const EVP_MD *md, const void *key, size_t klen,
		const void *data, size_t dlen, unsigned char *out)
{
	unsigned int olen = 0;

	if (HMAC(md, key, (int)klen, data, dlen, out, &olen) == NULL)
		return -1;
	return 0;
}

/* random_text - n printable characters from RAND_bytes (base64 alphabet) */
static int random_b64(size_t nbytes, struct xbuf *out)
{
	unsigned char buf[64];

	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return -1;
	return base64_encode(buf, nbytes, out);
}

/* scram_escape - saslname: "," -> "=2C", "=" -> "=3D" */
static int scram_escape(const char *s, struct xbuf *out)
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

/* scram_unescape - saslname back to a name; -1 on bad escapes */
static char *scram_unescape(const char *p, size_t len)
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

/* hex_digit - 0..15 or -1 */
static int hex_digit(char c)
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
	const EVP_MD *md = scram_md(mech);
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
	if (hmac(md, salted, klen, "Client Key", 10, client_key) < 0 ||
	    hmac(md, salted, klen, "Server Key", 10, keys_r->server_key) < 0)
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

/* b64_field - decode base64 into a fixed buffer of exactly want bytes (0 = any up to max) */
static int b64_field(const char *p, size_t len, unsigned char *dst, size_t max,
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
	const EVP_MD *md = scram_md(mech);
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
	if (b64_field(f[1], fl[1], keys_r->salt, sizeof(keys_r->salt), 0,
		      &keys_r->salt_len) < 0 ||
	    b64_field(f[2], fl[2], keys_r->stored_key, SASL_SCRAM_MAX_KEY,
		      keys_r->key_len, NULL) < 0 ||
	    b64_field(f[3], fl[3], keys_r->server_key, SASL_SCRAM_MAX_KEY,
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

/* scram_attr - find "k=" field among comma-separated parts; view into msg */
static int scram_attr(const char *msg, size_t len, char key, size_t index,
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

/* --- client ------------------------------------------------------------ */

enum client_state {
	CLIENT_START,
	CLIENT_SENT_INITIAL,	/* initial response sent / none needed */
	CLIENT_LOGIN_USER_SENT,
	CLIENT_LOGIN_PASS_SENT,
	CLIENT_CRAM_SENT,
	CLIENT_SCRAM_FINAL_SENT,
	CLIENT_SCRAM_VERIFIED,
	CLIENT_DONE,
};

struct sasl_client {
	enum sasl_mech mech;
	enum client_state state;
	char *authcid;
	char *authzid;
	char *password;
	char *trace;
	char *cnonce;
	struct xbuf cfm_bare;		/* SCRAM client-first-message-bare */
	struct xbuf gs2;		/* SCRAM gs2 header */
	unsigned char server_key[SASL_SCRAM_MAX_KEY];
	struct xbuf auth_message;
	int verified;
};

/* opt_dup - copy an optional string */
static char *opt_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* sasl_client_create - a client for one exchange */
struct sasl_client *sasl_client_create(enum sasl_mech mech,
				       const struct sasl_client_params *params)
{
	struct sasl_client *c;

	if ((unsigned)mech >= SASL_MECH_COUNT)
		return NULL;
	switch (mech) {
	case SASL_MECH_PLAIN:
	case SASL_MECH_LOGIN:
	case SASL_MECH_CRAM_MD5:
	case SASL_MECH_SCRAM_SHA_1:
	case SASL_MECH_SCRAM_SHA_256:
		if (params->authcid == NULL || params->password == NULL)
			return NULL;
		break;
	default:
		break;
	}
	c = xcalloc(1, sizeof(*c));
	c->mech = mech;
	c->state = CLIENT_START;
	c->authcid = opt_dup(params->authcid);
	c->authzid = opt_dup(params->authzid);
	c->password = opt_dup(params->password);
	c->trace = opt_dup(params->trace);
	c->cnonce = opt_dup(params->cnonce);
	xbuf_init(&c->cfm_bare, SASL_MAX_MESSAGE);
	xbuf_init(&c->gs2, SASL_MAX_MESSAGE);
	xbuf_init(&c->auth_message, 3 * SASL_MAX_MESSAGE);
	return c;
}

/* wipe_free - clear and free a secret string */
static void wipe_free(char *s)
{
	if (s != NULL) {
		xmem_wipe(s, strlen(s));
		free(s);
	}
}

/* sasl_client_destroy - free and wipe */
void sasl_client_destroy(struct sasl_client **cp)
{
	struct sasl_client *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	free(c->authcid);
	free(c->authzid);
	wipe_free(c->password);
	free(c->trace);
	free(c->cnonce);
	xbuf_free(&c->cfm_bare);
	xbuf_free(&c->gs2);
	xbuf_free_wipe(&c->auth_message);
	xmem_wipe(c->server_key, sizeof(c->server_key));
	free(c);
}

/* sasl_client_initial - the initial response, if the mechanism has one */
int sasl_client_initial(struct sasl_client *c, struct xbuf *out)
{
	size_t old = out->len;

	if (c->state != CLIENT_START)
		return -1;
	c->state = CLIENT_SENT_INITIAL;
	switch (c->mech) {
	case SASL_MECH_PLAIN:
		if ((c->authzid && xbuf_append_str(out, c->authzid) < 0) ||
		    xbuf_append_char(out, '\0') < 0 ||
		    xbuf_append_str(out, c->authcid) < 0 ||
		    xbuf_append_char(out, '\0') < 0 ||
		    xbuf_append_str(out, c->password) < 0)
			goto fail;
		return 1;
	case SASL_MECH_LOGIN:
	case SASL_MECH_CRAM_MD5:
		return 0;
	case SASL_MECH_ANONYMOUS:
		if (c->trace && xbuf_append_str(out, c->trace) < 0)
			goto fail;
		return 1;
	case SASL_MECH_EXTERNAL:
		if (c->authzid && xbuf_append_str(out, c->authzid) < 0)
			goto fail;
		return 1;
	case SASL_MECH_SCRAM_SHA_1:
	case SASL_MECH_SCRAM_SHA_256:
		if (xbuf_append_str(&c->gs2, "n,") < 0)
			goto fail;
		if (c->authzid != NULL &&
		    (xbuf_append_str(&c->gs2, "a=") < 0 || scram_escape(c->authzid, &c->gs2) < 0))
			goto fail;
		if (xbuf_append_char(&c->gs2, ',') < 0)
			goto fail;
		if (c->cnonce == NULL) {
			struct xbuf n;

			xbuf_init(&n, 64);
			if (random_b64(SCRAM_NONCE_BYTES, &n) < 0) {
				xbuf_free(&n);
				goto fail;
			}
			c->cnonce = xstrdup(xbuf_cstr(&n));
			xbuf_free(&n);
		}
		if (xbuf_append_str(&c->cfm_bare, "n=") < 0 ||
		    scram_escape(c->authcid, &c->cfm_bare) < 0 ||
		    xbuf_printf(&c->cfm_bare, ",r=%s", c->cnonce) < 0)
			goto fail;
		if (xbuf_append(out, c->gs2.data, c->gs2.len) < 0 ||
		    xbuf_append(out, c->cfm_bare.data, c->cfm_bare.len) < 0)
			goto fail;
		return 1;
	default:
		break;
	}
fail:
	xbuf_truncate(out, old);
	c->state = CLIENT_DONE;
	return -1;
}

/* client_scram_first - answer server-first with client-final */
static int client_scram_first(struct sasl_client *c, const char *in, size_t len,
			      struct xbuf *out, const char **error_r)
{
	const EVP_MD *md = scram_md(c->mech);
	const char *r, *s, *i;
	size_t rl, sl, il, k;
	unsigned long iter = 0;
	unsigned char salt[64];
	size_t salt_len = 0;
	struct sasl_scram_keys keys;
	unsigned char salted[SASL_SCRAM_MAX_KEY], client_key[SASL_SCRAM_MAX_KEY];
	unsigned char sig[SASL_SCRAM_MAX_KEY], proof[SASL_SCRAM_MAX_KEY];
	size_t klen = (size_t)EVP_MD_get_size(md);
	size_t old = out->len;
	struct xbuf wop;
	int rc = -1;

	if (len > 0 && in[0] == 'm') {
		*error_r = "server sent a mandatory extension";
		return -1;
	}
	if (scram_attr(in, len, 'r', 0, &r, &rl) < 0 ||
	    scram_attr(in, len, 's', 1, &s, &sl) < 0 ||
	    scram_attr(in, len, 'i', 2, &i, &il) < 0) {
		*error_r = "malformed server-first-message";
		return -1;
	}
	if (rl <= strlen(c->cnonce) || memcmp(r, c->cnonce, strlen(c->cnonce)) != 0) {
		*error_r = "server nonce does not extend the client nonce";
		return -1;
	}
	for (k = 0; k < rl; k++) {
		if (r[k] == ',' || (unsigned char)r[k] < 0x21 || (unsigned char)r[k] > 0x7e) {
			*error_r = "malformed server nonce";
			return -1;
		}
	}
	if (il == 0 || il > 9) {
		*error_r = "malformed iteration count";
		return -1;
	}
	for (k = 0; k < il; k++) {
		if (i[k] < '0' || i[k] > '9') {
			*error_r = "malformed iteration count";
			return -1;
		}
		iter = iter * 10 + (unsigned long)(i[k] - '0');
	}
	if (iter == 0 || iter > 10000000) {
		*error_r = "unacceptable iteration count";
		return -1;
	}
	if (b64_field(s, sl, salt, sizeof(salt), 0, &salt_len) < 0 || salt_len == 0) {
		*error_r = "malformed salt";
		return -1;
	}
	xbuf_init(&wop, SASL_MAX_MESSAGE);
	if (xbuf_append_str(&wop, "c=") < 0 ||
	    base64_encode(c->gs2.data, c->gs2.len, &wop) < 0 ||
	    xbuf_append_str(&wop, ",r=") < 0 || xbuf_append(&wop, r, rl) < 0)
		goto out;
	if (PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), salt, (int)salt_len,
			      (int)iter, md, (int)klen, salted) != 1 ||
	    hmac(md, salted, klen, "Client Key", 10, client_key) < 0 ||
	    hmac(md, salted, klen, "Server Key", 10, c->server_key) < 0 ||
	    EVP_Digest(client_key, klen, keys.stored_key, NULL, md, NULL) != 1)
		goto crypto;
	xbuf_reset(&c->auth_message);
	if (xbuf_append(&c->auth_message, c->cfm_bare.data, c->cfm_bare.len) < 0 ||
	    xbuf_append_char(&c->auth_message, ',') < 0 ||
	    xbuf_append(&c->auth_message, in, len) < 0 ||
	    xbuf_append_char(&c->auth_message, ',') < 0 ||
	    xbuf_append(&c->auth_message, wop.data, wop.len) < 0)
		goto out;
	if (hmac(md, keys.stored_key, klen, c->auth_message.data, c->auth_message.len, sig) < 0)
		goto crypto;
	for (k = 0; k < klen; k++)
		proof[k] = client_key[k] ^ sig[k];
	if (xbuf_append(out, wop.data, wop.len) < 0 || xbuf_append_str(out, ",p=") < 0 ||
	    base64_encode(proof, klen, out) < 0) {
		xbuf_truncate(out, old);
		goto out;
	}
	rc = 0;
	goto out;
crypto:
	*error_r = "internal error";
	rc = -2;
out:
	if (rc == -1)
		*error_r = "message too long";
	xbuf_free(&wop);
	xmem_wipe(salted, sizeof(salted));
	xmem_wipe(client_key, sizeof(client_key));
	xmem_wipe(&keys, sizeof(keys));
	return rc < 0 ? -1 : 0;
}

/* client_scram_final - check server-final's signature */
static int client_scram_final(struct sasl_client *c, const char *in, size_t len,
			      const char **error_r)
{
	const EVP_MD *md = scram_md(c->mech);
	size_t klen = (size_t)EVP_MD_get_size(md);
	unsigned char want[SASL_SCRAM_MAX_KEY], got[SASL_SCRAM_MAX_KEY];
	const char *v;
	size_t vl;

	if (len >= 2 && in[0] == 'e' && in[1] == '=') {
		*error_r = "server reported an error (e=)";
		return -1;
	}
	if (scram_attr(in, len, 'v', 0, &v, &vl) < 0 ||
	    b64_field(v, vl, got, sizeof(got), klen, NULL) < 0) {
		*error_r = "malformed server-final-message";
		return -1;
	}
	if (hmac(md, c->server_key, klen, c->auth_message.data, c->auth_message.len, want) < 0) {
		*error_r = "internal error";
		return -1;
	}
	if (CRYPTO_memcmp(want, got, klen) != 0) {
		*error_r = "server signature mismatch";
		return -1;
	}
	c->verified = 1;
	return 0;
}

/* sasl_client_step - answer one server challenge */
int sasl_client_step(struct sasl_client *c, const void *in, size_t len,
		     struct xbuf *out, const char **error_r)
{
	const char *s = in;
	size_t old = out->len;

	if (c->state == CLIENT_START) {
		/* a challenge before any initial response: LOGIN/CRAM style */
		c->state = CLIENT_SENT_INITIAL;
	}
	switch (c->mech) {
	case SASL_MECH_LOGIN:
		if (c->state == CLIENT_SENT_INITIAL) {
			c->state = CLIENT_LOGIN_USER_SENT;
			if (xbuf_append_str(out, c->authcid) < 0)
				goto toolong;
			return 0;
		}
		if (c->state == CLIENT_LOGIN_USER_SENT) {
			c->state = CLIENT_LOGIN_PASS_SENT;
			if (xbuf_append_str(out, c->password) < 0)
				goto toolong;
			return 0;
		}
		break;
	case SASL_MECH_CRAM_MD5:
		if (c->state == CLIENT_SENT_INITIAL) {
			struct sasl_creds creds;
			char hex[33];

			memset(&creds, 0, sizeof(creds));
			creds.kind = SASL_CREDS_PLAINTEXT;
			creds.password = c->password;
			creds.password_len = strlen(c->password);
			if (len == 0) {
				*error_r = "empty CRAM-MD5 challenge";
				return -1;
			}
			if (sasl_cram_md5_digest_hex(&creds, in, len, hex) < 0) {
				*error_r = "internal error";
				return -1;
			}
			c->state = CLIENT_CRAM_SENT;
			if (xbuf_printf(out, "%s %s", c->authcid, hex) < 0)
				goto toolong;
			return 0;
		}
		break;
	case SASL_MECH_SCRAM_SHA_1:
	case SASL_MECH_SCRAM_SHA_256:
		if (c->state == CLIENT_SENT_INITIAL && c->cfm_bare.len > 0) {
			if (client_scram_first(c, s, len, out, error_r) < 0)
				return -1;
			c->state = CLIENT_SCRAM_FINAL_SENT;
			return 0;
		}
		if (c->state == CLIENT_SENT_INITIAL && len == 0) {
			/* server asked for the initial response (no resp= sent) */
			c->state = CLIENT_START;
			if (sasl_client_initial(c, out) < 0) {
				*error_r = "message too long";
				return -1;
			}
			return 0;
		}
		if (c->state == CLIENT_SCRAM_FINAL_SENT) {
			if (client_scram_final(c, s, len, error_r) < 0)
				return -1;
			c->state = CLIENT_SCRAM_VERIFIED;
			return 0;	/* empty response to the extra round */
		}
		break;
	case SASL_MECH_PLAIN:
	case SASL_MECH_ANONYMOUS:
	case SASL_MECH_EXTERNAL:
		if (c->state == CLIENT_SENT_INITIAL && len == 0) {
			/* empty challenge: the server wants the initial response */
			c->state = CLIENT_START;
			if (sasl_client_initial(c, out) < 0) {
				*error_r = "message too long";
				return -1;
			}
			c->state = CLIENT_DONE;
			return 0;
		}
		break;
	default:
		break;
	}
	*error_r = "unexpected challenge";
	return -1;
toolong:
	xbuf_truncate(out, old);
	*error_r = "message too long";
	return -1;
}

/* sasl_client_verified - a SCRAM server signature was checked */
int sasl_client_verified(const struct sasl_client *c)
{
	return c->verified;
}

/* --- server ------------------------------------------------------------ */

enum server_state {
	SERVER_START,
	SERVER_WAIT_INPUT,	/* a challenge went out */
	SERVER_LOGIN_WAIT_PASS,
	SERVER_WAIT_VERIFY,
	SERVER_WAIT_CREDS,
	SERVER_SCRAM_WAIT_FINAL,
	SERVER_SCRAM_WAIT_EMPTY,
	SERVER_SUCCEEDED,
	SERVER_FAILED,
};

struct sasl_server {
	enum sasl_mech mech;
	enum server_state state;
	char *hostname;
	unsigned long long now;
	char *nonce;
	char *anonymous_username;
	char *external_user;
	int final_resp_ok;
	char *authcid;
	char *authzid;
	char *password;
	char *user;
	/* CRAM-MD5 */
	char *challenge;	/* "<digits.time@host>", any length (2.3 t_strdup_printf) */
	char response_hex[33];
	/* SCRAM */
	char *cnonce;
	char *snonce;
	struct xbuf gs2;
	struct xbuf cfm_bare;
	struct xbuf sfm;
	struct sasl_scram_keys keys;
	struct xbuf final;	/* server-final for the extra round */
};

/* sasl_server_create - a server for one exchange */
struct sasl_server *sasl_server_create(enum sasl_mech mech,
				       const struct sasl_server_params *params)
{
	struct sasl_server *s;

	if ((unsigned)mech >= SASL_MECH_COUNT)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->mech = mech;
	s->state = SERVER_START;
	/* copied only for the mechanism that uses it: one request, few allocations */
	if (mech == SASL_MECH_CRAM_MD5)
		s->hostname = xstrdup(params->hostname ? params->hostname : "localhost");
	s->now = params->now;
	s->nonce = opt_dup(params->nonce);
	if (mech == SASL_MECH_ANONYMOUS)
		s->anonymous_username = xstrdup(params->anonymous_username ?
						params->anonymous_username : "anonymous");
	s->external_user = opt_dup(params->external_user);
	s->final_resp_ok = params->final_resp_ok;
	xbuf_init(&s->gs2, SASL_MAX_MESSAGE);
	xbuf_init(&s->cfm_bare, SASL_MAX_MESSAGE);
	xbuf_init(&s->sfm, SASL_MAX_MESSAGE);
	xbuf_init(&s->final, SASL_MAX_MESSAGE);
	return s;
}

/* sasl_server_destroy - free and wipe */
void sasl_server_destroy(struct sasl_server **sp)
{
	struct sasl_server *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	free(s->hostname);
	free(s->challenge);
	free(s->nonce);
	free(s->anonymous_username);
	free(s->external_user);
	free(s->authcid);
	free(s->authzid);
	wipe_free(s->password);
	free(s->user);
	free(s->cnonce);
	free(s->snonce);
	xbuf_free(&s->gs2);
	xbuf_free(&s->cfm_bare);
	xbuf_free(&s->sfm);
	xbuf_free(&s->final);
	xmem_wipe(&s->keys, sizeof(s->keys));
	free(s);
}

const char *sasl_server_authcid(const struct sasl_server *s) { return s->authcid; }
const char *sasl_server_authzid(const struct sasl_server *s) { return s->authzid; }
const char *sasl_server_password(const struct sasl_server *s) { return s->password; }
const char *sasl_server_user(const struct sasl_server *s) { return s->user; }

/* server_fail - enter the failed state with a reason */
static enum sasl_status server_fail(struct sasl_server *s, const char *reason,
				    const char **error_r)
{
	s->state = SERVER_FAILED;
	*error_r = reason;
	return SASL_FAIL;
}

/* server_succeed - authenticated as user */
static enum sasl_status server_succeed(struct sasl_server *s, const char *user)
{
	free(s->user);
	s->user = xstrdup(user);
	s->state = SERVER_SUCCEEDED;
	return SASL_SUCCESS;
}

/* server_set_authcid - Dovecot's username checks */
static int server_set_authcid(struct sasl_server *s, const char *p, size_t len,
			      const char **error_r)
{
	if (len == 0) {
		*error_r = "Empty username";
		return -1;
	}
	if (len > SASL_MAX_AUTHID) {
		*error_r = "Username too long";
		return -1;
	}
	free(s->authcid);
	s->authcid = xstrndup(p, len);
	return 0;
}

/* server_challenge - emit a challenge and wait for input */
static enum sasl_status server_challenge(struct sasl_server *s, enum server_state next,
					 const char *text, size_t len, struct xbuf *out,
					 const char **error_r)
{
	if (xbuf_append(out, text, len) < 0)
		return server_fail(s, "message too long", error_r);
	s->state = next;
	return SASL_CONTINUE;
}

/* server_plain - PLAIN message */
static enum sasl_status server_plain(struct sasl_server *s, const char *in, size_t len,
				     const char **error_r)
{
	const char *nul1, *nul2;
	size_t zlen, clen;

	nul1 = memchr(in, '\0', len);
	nul2 = nul1 ? memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - in)) : NULL;
	if (nul1 == NULL || nul2 == NULL ||
	    memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - in)) != NULL)
		return server_fail(s, "invalid input", error_r);
	zlen = (size_t)(nul1 - in);
	clen = (size_t)(nul2 - nul1 - 1);
	if (server_set_authcid(s, nul1 + 1, clen, error_r) < 0)
		return server_fail(s, *error_r, error_r);
	if (zlen > 0 && !(zlen == clen && memcmp(in, nul1 + 1, zlen) == 0))
		return server_fail(s, "Master user login attempted without master passdbs",
				   error_r);
	s->password = xstrndup(nul2 + 1, len - (size_t)(nul2 + 1 - in));
	s->state = SERVER_WAIT_VERIFY;
	return SASL_NEED_VERIFY;
}

/* server_cram_challenge - "<digits.time@host>" */
static enum sasl_status server_cram_challenge(struct sasl_server *s, struct xbuf *out,
					      const char **error_r)
{
	char digits[17];
	int n;

	if (s->nonce != NULL) {
		snprintf(digits, sizeof(digits), "%.16s", s->nonce);
	} else {
		unsigned char r[16];
		size_t i;

		if (RAND_bytes(r, sizeof(r)) != 1)
			return server_fail(s, "internal error", error_r);
		for (i = 0; i < 16; i++)
			digits[i] = (char)('0' + r[i] % 10);
		digits[16] = '\0';
	}
	{
		struct xbuf c;

		xbuf_init(&c, SASL_MAX_MESSAGE);
		if (xbuf_printf(&c, "<%s.%llu@%s>", digits, s->now, s->hostname) < 0) {
			xbuf_free(&c);
			return server_fail(s, "hostname too long", error_r);
		}
		free(s->challenge);
		s->challenge = xstrdup(xbuf_cstr(&c));
		n = (int)c.len;
		xbuf_free(&c);
	}
	return server_challenge(s, SERVER_WAIT_INPUT, s->challenge, (size_t)n, out, error_r);
}

/* server_cram_response - "user SP hex", rightmost SP */
static enum sasl_status server_cram_response(struct sasl_server *s, const char *in,
					     size_t len, const char **error_r)
{
	size_t i, space = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\0')
			return server_fail(s, "NULs in response", error_r);
		if (in[i] == ' ')
			space = i;
	}
	if (space == 0)
		return server_fail(s, "missing digest", error_r);
	if (len - space - 1 != 32)
		return server_fail(s, "invalid digest size", error_r);
	for (i = 0; i < 32; i++) {
		int d = hex_digit(in[space + 1 + i]);

		if (d < 0)
			return server_fail(s, "invalid hex in digest", error_r);
		s->response_hex[i] = "0123456789abcdef"[d];
	}
	s->response_hex[32] = '\0';
	if (server_set_authcid(s, in, space, error_r) < 0)
		return server_fail(s, *error_r, error_r);
	s->state = SERVER_WAIT_CREDS;
	return SASL_NEED_CREDS;
}

/* server_scram_first - client-first-message */
static enum sasl_status server_scram_first(struct sasl_server *s, const char *in,
					   size_t len, const char **error_r)
{
	size_t c1, c2;
	const char *bare;
	size_t bare_len;
	const char *n, *r;
	size_t nl, rl;
	char *user;

	/* gs2-header := cbind-flag "," [authzid] "," */
	for (c1 = 0; c1 < len && in[c1] != ','; c1++)
		;
	if (c1 == len)
		return server_fail(s, "Invalid initial client message: Invalid GS2 header", error_r);
	/* 2.3 looks at the flag's first byte only */
	if (c1 >= 1 && in[0] == 'p')
		return server_fail(s, "Channel binding not supported", error_r);
	if (c1 == 0 || (in[0] != 'n' && in[0] != 'y'))
		return server_fail(s, "Invalid GS2 header", error_r);
	for (c2 = c1 + 1; c2 < len && in[c2] != ','; c2++)
		;
	if (c2 == len)
		return server_fail(s, "Invalid initial client message: Invalid GS2 header", error_r);
	if (c2 > c1 + 1) {
		if (c2 - c1 - 1 < 2 || in[c1 + 1] != 'a' || in[c1 + 2] != '=')
			return server_fail(s, "Invalid initial client message: Invalid GS2 header", error_r);
		free(s->authzid);
		s->authzid = scram_unescape(in + c1 + 3, c2 - c1 - 3);
		if (s->authzid == NULL)
			return server_fail(s, "authzid escaping is invalid", error_r);
	}
	bare = in + c2 + 1;
	bare_len = len - c2 - 1;
	if (memchr(in, '\0', len) != NULL)
		return server_fail(s, "Unexpected NUL in auth data", error_r);
	if (bare_len > 0 && bare[0] == 'm')
		return server_fail(s, "Mandatory extension(s) not supported", error_r);
	if (memchr(bare, ',', bare_len) == NULL)
		return server_fail(s, "Invalid initial client message: Missing nonce field",
				   error_r);
	if (scram_attr(bare, bare_len, 'n', 0, &n, &nl) < 0)
		return server_fail(s, "Invalid username field", error_r);
	/* any c-nonce, empty or with SP and 8-bit bytes, as 2.3 takes it */
	if (scram_attr(bare, bare_len, 'r', 1, &r, &rl) < 0)
		return server_fail(s, "Invalid client nonce", error_r);
	user = scram_unescape(n, nl);
	if (user == NULL)
		return server_fail(s, "Username escaping is invalid", error_r);
	if (server_set_authcid(s, user, strlen(user), error_r) < 0) {
		free(user);
		return server_fail(s, "Bad username", error_r);
	}
	free(user);
	if (s->authzid != NULL && s->authzid[0] == '\0')
		return server_fail(s, "Master user login attempted to use empty login username",
				   error_r);
	if (s->authzid != NULL && strcmp(s->authzid, s->authcid) != 0)
		return server_fail(s, "Master user login attempted without master passdbs", error_r);
	xbuf_reset(&s->gs2);
	xbuf_reset(&s->cfm_bare);
	free(s->cnonce);
	s->cnonce = xstrndup(r, rl);
	if (xbuf_append(&s->gs2, in, c2 + 1) < 0 ||
	    xbuf_append(&s->cfm_bare, bare, bare_len) < 0)
		return server_fail(s, "message too long", error_r);
	s->state = SERVER_WAIT_CREDS;
	return SASL_NEED_CREDS;
}

/* server_scram_final - client-final-message; emits server-final */
static enum sasl_status server_scram_final(struct sasl_server *s, const char *in,
					   size_t len, struct xbuf *out,
					   const char **error_r)
{
	const EVP_MD *md = scram_md(s->mech);
	size_t klen = s->keys.key_len;
	const char *c, *r, *p = NULL;
	size_t cl, rl, pl = 0, i, last = 0;
	unsigned char proof[SASL_SCRAM_MAX_KEY], sig[SASL_SCRAM_MAX_KEY];
	unsigned char client_key[SASL_SCRAM_MAX_KEY], stored[SASL_SCRAM_MAX_KEY];
	unsigned char server_sig[SASL_SCRAM_MAX_KEY];
	struct xbuf am, cb;
	enum sasl_status st;
	const char *err;

	if (memchr(in, '\0', len) != NULL)
		return server_fail(s, "Unexpected NUL in auth data", error_r);
	if (scram_attr(in, len, 'c', 0, &c, &cl) < 0 || scram_attr(in, len, 'r', 1, &r, &rl) < 0)
		return server_fail(s, "Invalid final client message", error_r);
	for (i = 0; i < len; i++)
		if (in[i] == ',')
			last = i;
	if (last == 0 || len - last < 3 || in[last + 1] != 'p' || in[last + 2] != '=')
		return server_fail(s, "Invalid final client message", error_r);
	p = in + last + 3;
	pl = len - last - 3;
	xbuf_init(&cb, SASL_MAX_MESSAGE);
	if (base64_decode(c, cl, 0, &cb, &err) < 0 || cb.len != s->gs2.len ||
	    memcmp(xbuf_cstr(&cb), xbuf_cstr(&s->gs2), cb.len) != 0) {
		xbuf_free(&cb);
		return server_fail(s, "Invalid channel binding data", error_r);
	}
	xbuf_free(&cb);
	if (rl != strlen(s->cnonce) + strlen(s->snonce) ||
	    memcmp(r, s->cnonce, strlen(s->cnonce)) != 0 ||
	    memcmp(r + strlen(s->cnonce), s->snonce, strlen(s->snonce)) != 0)
		return server_fail(s, "Wrong nonce", error_r);
	if (b64_field(p, pl, proof, sizeof(proof), klen, NULL) < 0)
		return server_fail(s, "Invalid ClientProof", error_r);
	xbuf_init(&am, 3 * SASL_MAX_MESSAGE);
	if (xbuf_append(&am, s->cfm_bare.data, s->cfm_bare.len) < 0 ||
	    xbuf_append_char(&am, ',') < 0 ||
	    xbuf_append(&am, s->sfm.data, s->sfm.len) < 0 ||
	    xbuf_append_char(&am, ',') < 0 ||
	    xbuf_append(&am, in, last) < 0) {
		xbuf_free(&am);
		return server_fail(s, "message too long", error_r);
	}
	if (hmac(md, s->keys.stored_key, klen, am.data, am.len, sig) < 0 ||
	    hmac(md, s->keys.server_key, klen, am.data, am.len, server_sig) < 0) {
		xbuf_free(&am);
		return server_fail(s, "internal error", error_r);
	}
	xbuf_free(&am);
	for (i = 0; i < klen; i++)
		client_key[i] = proof[i] ^ sig[i];
	if (EVP_Digest(client_key, klen, stored, NULL, md, NULL) != 1)
		return server_fail(s, "internal error", error_r);
	xmem_wipe(client_key, sizeof(client_key));
	if (CRYPTO_memcmp(stored, s->keys.stored_key, klen) != 0)
		return server_fail(s, "Password mismatch", error_r);
	xbuf_reset(&s->final);
	if (xbuf_append_str(&s->final, "v=") < 0 ||
	    base64_encode(server_sig, klen, &s->final) < 0)
		return server_fail(s, "message too long", error_r);
	if (s->final_resp_ok) {
		if (xbuf_append(out, s->final.data, s->final.len) < 0)
			return server_fail(s, "message too long", error_r);
		return server_succeed(s, s->authcid);
	}
	st = server_challenge(s, SERVER_SCRAM_WAIT_EMPTY, s->final.data, s->final.len, out,
			      error_r);
	return st;
}

/* sasl_server_step - feed the initial response or a continuation */
enum sasl_status sasl_server_step(struct sasl_server *s, const void *in, size_t len,
				  int have_in, struct xbuf *out, const char **error_r)
{
	const char *data = in != NULL ? in : "";

	if (len > SASL_MAX_MESSAGE)
		return server_fail(s, "message too long", error_r);
	if (s->state == SERVER_START) {
		switch (s->mech) {
		case SASL_MECH_PLAIN:
			if (!have_in)
				return server_challenge(s, SERVER_WAIT_INPUT, "", 0, out, error_r);
			return server_plain(s, data, len, error_r);
		case SASL_MECH_LOGIN:
			if (!have_in || len == 0)
				return server_challenge(s, SERVER_WAIT_INPUT, "Username:", 9, out,
							error_r);
			break;	/* the initial response is the username */
		case SASL_MECH_CRAM_MD5:
			return server_cram_challenge(s, out, error_r);
		case SASL_MECH_SCRAM_SHA_1:
		case SASL_MECH_SCRAM_SHA_256:
			/* an empty initial response is a (broken) client-first */
			if (!have_in)
				return server_challenge(s, SERVER_WAIT_INPUT, "", 0, out, error_r);
			return server_scram_first(s, data, len, error_r);
		case SASL_MECH_ANONYMOUS:
			if (!have_in)
				return server_challenge(s, SERVER_WAIT_INPUT, "", 0, out, error_r);
			return server_succeed(s, s->anonymous_username);
		case SASL_MECH_EXTERNAL:
			if (!have_in)
				return server_challenge(s, SERVER_WAIT_INPUT, "", 0, out, error_r);
			break;
		default:
			return server_fail(s, "unexpected call", error_r);
		}
		s->state = SERVER_WAIT_INPUT;
	} else if (s->state != SERVER_WAIT_INPUT && s->state != SERVER_LOGIN_WAIT_PASS &&
		   s->state != SERVER_SCRAM_WAIT_FINAL && s->state != SERVER_SCRAM_WAIT_EMPTY) {
		return server_fail(s, "unexpected call", error_r);
	}

	/* a continuation (or LOGIN/EXTERNAL's initial response) */
	switch (s->mech) {
	case SASL_MECH_PLAIN:
		return server_plain(s, data, len, error_r);
	case SASL_MECH_LOGIN:
		if (memchr(data, '\0', len) != NULL)
			return server_fail(s, "Unexpected NUL in auth data", error_r);
		if (s->state == SERVER_WAIT_INPUT) {
			if (server_set_authcid(s, data, len, error_r) < 0)
				return server_fail(s, *error_r, error_r);
			return server_challenge(s, SERVER_LOGIN_WAIT_PASS, "Password:", 9, out,
						error_r);
		}
		s->password = xstrndup(data, len);
		s->state = SERVER_WAIT_VERIFY;
		return SASL_NEED_VERIFY;
	case SASL_MECH_CRAM_MD5:
		return server_cram_response(s, data, len, error_r);
	case SASL_MECH_SCRAM_SHA_1:
	case SASL_MECH_SCRAM_SHA_256:
		if (s->state == SERVER_WAIT_INPUT)
			return server_scram_first(s, data, len, error_r);
		if (s->state == SERVER_SCRAM_WAIT_FINAL)
			return server_scram_final(s, data, len, out, error_r);
		/* after server-final any answer, empty or not, succeeds
		   (2.3 auth_request_continue: "successful" comes first) */
		return server_succeed(s, s->authcid);
	case SASL_MECH_ANONYMOUS:
		return server_succeed(s, s->anonymous_username);
	case SASL_MECH_EXTERNAL:
		if (s->external_user == NULL)
			return server_fail(s, "Username not known", error_r);
		if (len > 0 && !(len == strlen(s->external_user) &&
				 memcmp(data, s->external_user, len) == 0))
			return server_fail(s, "Master user login attempted without master passdbs",
					   error_r);
		if (server_set_authcid(s, s->external_user, strlen(s->external_user), error_r) < 0)
			return server_fail(s, *error_r, error_r);
		return server_succeed(s, s->external_user);
	default:
		return server_fail(s, "unexpected call", error_r);
	}
}

/* sasl_server_verified - the passdb's answer for PLAIN / LOGIN */
enum sasl_status sasl_server_verified(struct sasl_server *s, int ok, struct xbuf *out,
				      const char **error_r)
{
	(void)out;
	if (s->state != SERVER_WAIT_VERIFY)
		return server_fail(s, "unexpected call", error_r);
	if (s->password != NULL) {
		wipe_free(s->password);
		s->password = NULL;
	}
	if (!ok)
		return server_fail(s, "Password mismatch", error_r);
	return server_succeed(s, s->authcid);
}

/* sasl_server_creds - the passdb's credentials for CRAM-MD5 / SCRAM */
enum sasl_status sasl_server_creds(struct sasl_server *s, const struct sasl_creds *creds,
				   struct xbuf *out, const char **error_r)
{
	if (s->state != SERVER_WAIT_CREDS)
		return server_fail(s, "unexpected call", error_r);
	if (creds == NULL)
		return server_fail(s, "Unknown user", error_r);
	if (s->mech == SASL_MECH_CRAM_MD5) {
		char hex[33];

		if (sasl_cram_md5_digest_hex(creds, s->challenge, strlen(s->challenge), hex) < 0)
			return server_fail(s, "invalid credentials", error_r);
		if (CRYPTO_memcmp(hex, s->response_hex, 32) != 0)
			return server_fail(s, "Password mismatch", error_r);
		return server_succeed(s, s->authcid);
	}
	if (s->mech == SASL_MECH_SCRAM_SHA_1 || s->mech == SASL_MECH_SCRAM_SHA_256) {
		size_t klen = (size_t)EVP_MD_get_size(scram_md(s->mech));
		struct xbuf sn;

		if (creds->kind == SASL_CREDS_SCRAM) {
			if (creds->scram.key_len != klen || creds->scram.salt_len == 0)
				return server_fail(s, "invalid credentials", error_r);
			if (creds->scram.iter < SCRAM_MIN_ITER)
				return server_fail(s, "Invalid SCRAM iteration count in passdb",
						   error_r);
			s->keys = creds->scram;
		} else if (creds->kind == SASL_CREDS_PLAINTEXT) {
			unsigned char salt[16];

			if (RAND_bytes(salt, sizeof(salt)) != 1 ||
			    sasl_scram_derive(s->mech, creds->password, salt, sizeof(salt),
					      SASL_SCRAM_DEFAULT_ITER, &s->keys) < 0)
				return server_fail(s, "internal error", error_r);
		} else {
			return server_fail(s, "invalid credentials", error_r);
		}
		xbuf_init(&sn, 128);
		if (s->nonce != NULL) {
			if (xbuf_append_str(&sn, s->nonce) < 0) {
				xbuf_free(&sn);
				return server_fail(s, "message too long", error_r);
			}
		} else if (random_b64(SCRAM_NONCE_BYTES, &sn) < 0) {
			xbuf_free(&sn);
			return server_fail(s, "internal error", error_r);
		}
		free(s->snonce);
		s->snonce = xstrdup(xbuf_cstr(&sn));
		xbuf_free(&sn);
		xbuf_reset(&s->sfm);
		if (xbuf_printf(&s->sfm, "r=%s%s,s=", s->cnonce, s->snonce) < 0 ||
		    base64_encode(s->keys.salt, s->keys.salt_len, &s->sfm) < 0 ||
		    xbuf_printf(&s->sfm, ",i=%u", s->keys.iter) < 0)
			return server_fail(s, "message too long", error_r);
		return server_challenge(s, SERVER_SCRAM_WAIT_FINAL, s->sfm.data, s->sfm.len, out,
					error_r);
	}
	return server_fail(s, "unexpected call", error_r);
}
