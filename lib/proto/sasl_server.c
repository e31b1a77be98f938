/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl_server - SASL mechanism steps, server side, as Dovecot's
 * SYNOPSIS
 *	#include "proto/sasl.h"
 * DESCRIPTION
 *	See sasl.h for the contract and sasl.c's header for the grammar
 *	and failure reasons each step follows (Dovecot 2.3's mechanisms).
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
	int dovecot24;		/* SCRAM gs2 header as 2.4.5 reads it */
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
	unsigned char secret[SASL_MOCK_SECRET_MAX];	/* salts of users without stored ones */
	size_t secret_len;
	int mock;		/* an unknown user's exchange: fails at the end */
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
	s->nonce = sasl_opt_dup(params->nonce);
	if (mech == SASL_MECH_ANONYMOUS)
		s->anonymous_username = xstrdup(params->anonymous_username ?
						params->anonymous_username : "anonymous");
	s->external_user = sasl_opt_dup(params->external_user);
	s->final_resp_ok = params->final_resp_ok;
	s->dovecot24 = params->dovecot24;
	if (params->secret != NULL && params->secret_len > 0 &&
	    params->secret_len <= sizeof(s->secret)) {
		memcpy(s->secret, params->secret, params->secret_len);
		s->secret_len = params->secret_len;
	}
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
	sasl_wipe_free(s->password);
	free(s->user);
	free(s->cnonce);
	free(s->snonce);
	xbuf_free(&s->gs2);
	xbuf_free(&s->cfm_bare);
	xbuf_free(&s->sfm);
	xbuf_free(&s->final);
	xmem_wipe(&s->keys, sizeof(s->keys));
	xmem_wipe(s->secret, sizeof(s->secret));
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
		int d = sasl_hex_digit(in[space + 1 + i]);

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
	if (s->dovecot24 && c1 != 1)	/* 2.4.5: the flag is one byte */
		return server_fail(s, "Invalid initial client message: Missing ',' after channel "
				   "bind flag", error_r);
	for (c2 = c1 + 1; c2 < len && in[c2] != ','; c2++)
		;
	if (c2 == len)
		return server_fail(s, "Invalid initial client message: Invalid GS2 header", error_r);
	if (c2 > c1 + 1) {
		if (c2 - c1 - 1 < 2 || in[c1 + 1] != 'a' || in[c1 + 2] != '=')
			return server_fail(s, "Invalid initial client message: Invalid GS2 header", error_r);
		if (s->dovecot24 && c2 - c1 - 1 == 2)	/* 2.4.5: before the username */
			return server_fail(s, "Invalid initial client message: Empty authzid field",
					   error_r);
		free(s->authzid);
		s->authzid = sasl_scram_unescape(in + c1 + 3, c2 - c1 - 3);
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
	if (sasl_scram_attr(bare, bare_len, 'n', 0, &n, &nl) < 0)
		return server_fail(s, "Invalid username field", error_r);
	/* any c-nonce, empty or with SP and 8-bit bytes, as 2.3 takes it */
	if (sasl_scram_attr(bare, bare_len, 'r', 1, &r, &rl) < 0)
		return server_fail(s, "Invalid client nonce", error_r);
	user = sasl_scram_unescape(n, nl);
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
	const EVP_MD *md = sasl_scram_md(s->mech);
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
	if (sasl_scram_attr(in, len, 'c', 0, &c, &cl) < 0 || sasl_scram_attr(in, len, 'r', 1, &r, &rl) < 0)
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
	if (sasl_b64_field(p, pl, proof, sizeof(proof), klen, NULL) < 0)
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
	if (sasl_hmac(md, s->keys.stored_key, klen, am.data, am.len, sig) < 0 ||
	    sasl_hmac(md, s->keys.server_key, klen, am.data, am.len, server_sig) < 0) {
		xbuf_free(&am);
		return server_fail(s, "internal error", error_r);
	}
	xbuf_free(&am);
	for (i = 0; i < klen; i++)
		client_key[i] = proof[i] ^ sig[i];
	if (EVP_Digest(client_key, klen, stored, NULL, md, NULL) != 1)
		return server_fail(s, "internal error", error_r);
	xmem_wipe(client_key, sizeof(client_key));
	if (CRYPTO_memcmp(stored, s->keys.stored_key, klen) != 0 || s->mock)
		return server_fail(s, s->mock ? "Unknown user" : "Password mismatch", error_r);
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
		sasl_wipe_free(s->password);
		s->password = NULL;
	}
	if (!ok)
		return server_fail(s, "Password mismatch", error_r);
	return server_succeed(s, s->authcid);
}

/*
 * user_secret - HMAC-SHA-256(secret, label NUL mechanism NUL authcid): what
 * a user without stored SCRAM keys gets as salt (label "salt"), and an
 * unknown user as password (label "password"), the same on every attempt
 */
static int user_secret(const struct sasl_server *s, const char *label,
		       unsigned char out[EVP_MAX_MD_SIZE])
{
	struct xbuf m;
	int rc;

	xbuf_init(&m, 2 * SASL_MAX_AUTHID);
	rc = xbuf_append(&m, label, strlen(label) + 1);
	if (rc == 0)
		rc = xbuf_append(&m, sasl_mech_get(s->mech)->name,
				 strlen(sasl_mech_get(s->mech)->name) + 1);
	if (rc == 0)
		rc = xbuf_append_str(&m, s->authcid);
	if (rc == 0)
		rc = sasl_hmac(EVP_sha256(), s->secret, s->secret_len, m.data, m.len, out);
	xbuf_free(&m);
	return rc;
}

/* salt_for - a plaintext or unknown user's salt: from the secret, else random */
static int salt_for(const struct sasl_server *s, unsigned char salt[16])
{
	unsigned char h[EVP_MAX_MD_SIZE];

	if (s->secret_len == 0)
		return RAND_bytes(salt, 16) == 1 ? 0 : -1;
	if (user_secret(s, "salt", h) < 0)
		return -1;
	memcpy(salt, h, 16);
	xmem_wipe(h, sizeof(h));
	return 0;
}

/*
 * scram_keys - s->keys from the passdb's credentials; for an unknown user
 * (creds NULL, a secret set) keys of a password nobody knows, derived at
 * the cost of a plaintext user's: NULL, or why not
 */
static const char *scram_keys(struct sasl_server *s, const struct sasl_creds *creds)
{
	size_t klen = (size_t)EVP_MD_get_size(sasl_scram_md(s->mech));
	unsigned char salt[16], h[EVP_MAX_MD_SIZE];
	struct xbuf pw;
	int rc;

	if (creds != NULL && creds->kind == SASL_CREDS_SCRAM) {
		if (creds->scram.key_len != klen || creds->scram.salt_len == 0)
			return "invalid credentials";
		if (creds->scram.iter < SCRAM_MIN_ITER)
			return "Invalid SCRAM iteration count in passdb";
		s->keys = creds->scram;
		return NULL;
	}
	if (creds != NULL && creds->kind != SASL_CREDS_PLAINTEXT)
		return "invalid credentials";
	if (salt_for(s, salt) < 0)
		return "internal error";
	if (creds != NULL)
		return sasl_scram_derive(s->mech, creds->password, salt, sizeof(salt),
					 SASL_SCRAM_DEFAULT_ITER, &s->keys) < 0 ?
		       "internal error" : NULL;
	s->mock = 1;
	xbuf_init(&pw, 128);
	rc = user_secret(s, "password", h);
	if (rc == 0)
		rc = base64_encode(h, 32, &pw);
	if (rc == 0)
		rc = sasl_scram_derive(s->mech, xbuf_cstr(&pw), salt, sizeof(salt),
				       SASL_SCRAM_DEFAULT_ITER, &s->keys);
	xmem_wipe(h, sizeof(h));
	xbuf_free_wipe(&pw);
	return rc < 0 ? "internal error" : NULL;
}

/* sasl_server_creds - the passdb's credentials for CRAM-MD5 / SCRAM */
enum sasl_status sasl_server_creds(struct sasl_server *s, const struct sasl_creds *creds,
				   struct xbuf *out, const char **error_r)
{
	if (s->state != SERVER_WAIT_CREDS)
		return server_fail(s, "unexpected call", error_r);
	if (creds == NULL && !(s->secret_len > 0 && (s->mech == SASL_MECH_SCRAM_SHA_1 ||
						     s->mech == SASL_MECH_SCRAM_SHA_256)))
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
		struct xbuf sn;
		const char *why = scram_keys(s, creds);

		if (why != NULL)
			return server_fail(s, why, error_r);
		xbuf_init(&sn, 128);
		if (s->nonce != NULL) {
			if (xbuf_append_str(&sn, s->nonce) < 0) {
				xbuf_free(&sn);
				return server_fail(s, "message too long", error_r);
			}
		} else if (sasl_random_b64(SCRAM_NONCE_BYTES, &sn) < 0) {
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
