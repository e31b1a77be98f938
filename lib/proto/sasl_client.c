/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl_client - SASL mechanism steps, client side
 * SYNOPSIS
 *	#include "proto/sasl.h"
 * DESCRIPTION
 *	See sasl.h for the contract: what fake-smtpd sends as Postfix's
 *	SASL client would (PLAIN, LOGIN, CRAM-MD5, SCRAM, ANONYMOUS,
 *	EXTERNAL). The mechanisms' grammar is in sasl.c's header.
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
	c->authcid = sasl_opt_dup(params->authcid);
	c->authzid = sasl_opt_dup(params->authzid);
	c->password = sasl_opt_dup(params->password);
	c->trace = sasl_opt_dup(params->trace);
	c->cnonce = sasl_opt_dup(params->cnonce);
	xbuf_init(&c->cfm_bare, SASL_MAX_MESSAGE);
	xbuf_init(&c->gs2, SASL_MAX_MESSAGE);
	xbuf_init(&c->auth_message, 3 * SASL_MAX_MESSAGE);
	return c;
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
	sasl_wipe_free(c->password);
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
		    (xbuf_append_str(&c->gs2, "a=") < 0 || sasl_scram_escape(c->authzid, &c->gs2) < 0))
			goto fail;
		if (xbuf_append_char(&c->gs2, ',') < 0)
			goto fail;
		if (c->cnonce == NULL) {
			struct xbuf n;

			xbuf_init(&n, 64);
			if (sasl_random_b64(SCRAM_NONCE_BYTES, &n) < 0) {
				xbuf_free(&n);
				goto fail;
			}
			c->cnonce = xstrdup(xbuf_cstr(&n));
			xbuf_free(&n);
		}
		if (xbuf_append_str(&c->cfm_bare, "n=") < 0 ||
		    sasl_scram_escape(c->authcid, &c->cfm_bare) < 0 ||
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
	const EVP_MD *md = sasl_scram_md(c->mech);
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
	if (sasl_scram_attr(in, len, 'r', 0, &r, &rl) < 0 ||
	    sasl_scram_attr(in, len, 's', 1, &s, &sl) < 0 ||
	    sasl_scram_attr(in, len, 'i', 2, &i, &il) < 0) {
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
	if (sasl_b64_field(s, sl, salt, sizeof(salt), 0, &salt_len) < 0 || salt_len == 0) {
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
	    sasl_hmac(md, salted, klen, "Client Key", 10, client_key) < 0 ||
	    sasl_hmac(md, salted, klen, "Server Key", 10, c->server_key) < 0 ||
	    EVP_Digest(client_key, klen, keys.stored_key, NULL, md, NULL) != 1)
		goto crypto;
	xbuf_reset(&c->auth_message);
	if (xbuf_append(&c->auth_message, c->cfm_bare.data, c->cfm_bare.len) < 0 ||
	    xbuf_append_char(&c->auth_message, ',') < 0 ||
	    xbuf_append(&c->auth_message, in, len) < 0 ||
	    xbuf_append_char(&c->auth_message, ',') < 0 ||
	    xbuf_append(&c->auth_message, wop.data, wop.len) < 0)
		goto out;
	if (sasl_hmac(md, keys.stored_key, klen, c->auth_message.data, c->auth_message.len, sig) < 0)
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
	const EVP_MD *md = sasl_scram_md(c->mech);
	size_t klen = (size_t)EVP_MD_get_size(md);
	unsigned char want[SASL_SCRAM_MAX_KEY], got[SASL_SCRAM_MAX_KEY];
	const char *v;
	size_t vl;

	if (len >= 2 && in[0] == 'e' && in[1] == '=') {
		*error_r = "server reported an error (e=)";
		return -1;
	}
	if (sasl_scram_attr(in, len, 'v', 0, &v, &vl) < 0 ||
	    sasl_b64_field(v, vl, got, sizeof(got), klen, NULL) < 0) {
		*error_r = "malformed server-final-message";
		return -1;
	}
	if (sasl_hmac(md, c->server_key, klen, c->auth_message.data, c->auth_message.len, want) < 0) {
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
