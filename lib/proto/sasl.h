/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl - SASL mechanism steps, client side and server side
 * SYNOPSIS
 *	#include "proto/sasl.h"
 *
 *	const struct sasl_mech_info *sasl_mech_by_name(const char *name, size_t len);
 *	const struct sasl_mech_info *sasl_mech_get(enum sasl_mech mech);
 *
 *	struct sasl_client *sasl_client_create(enum sasl_mech mech,
 *	                        const struct sasl_client_params *params);
 *	int sasl_client_initial(struct sasl_client *c, struct xbuf *out);
 *	int sasl_client_step(struct sasl_client *c, const void *in, size_t len,
 *	                     struct xbuf *out, const char **error_r);
 *	int sasl_client_verified(const struct sasl_client *c);
 *	void sasl_client_destroy(struct sasl_client **c);
 *
 *	struct sasl_server *sasl_server_create(enum sasl_mech mech,
 *	                        const struct sasl_server_params *params);
 *	enum sasl_status sasl_server_step(struct sasl_server *s, const void *in,
 *	                     size_t len, int have_in, struct xbuf *out,
 *	                     const char **error_r);
 *	enum sasl_status sasl_server_verified(struct sasl_server *s, int ok,
 *	                     struct xbuf *out, const char **error_r);
 *	enum sasl_status sasl_server_creds(struct sasl_server *s,
 *	                     const struct sasl_creds *creds, struct xbuf *out,
 *	                     const char **error_r);
 *	const char *sasl_server_authcid(const struct sasl_server *s);
 *	const char *sasl_server_authzid(const struct sasl_server *s);
 *	const char *sasl_server_password(const struct sasl_server *s);
 *	const char *sasl_server_user(const struct sasl_server *s);
 *	void sasl_server_destroy(struct sasl_server **s);
 *
 *	int sasl_scram_derive(enum sasl_mech mech, const char *password,
 *	                      const void *salt, size_t salt_len,
 *	                      unsigned iter, struct sasl_scram_keys *keys_r);
 *	int sasl_scram_parse_dovecot(enum sasl_mech mech, const char *s,
 *	                      size_t len, struct sasl_scram_keys *keys_r);
 *	int sasl_scram_format_dovecot(const struct sasl_scram_keys *keys,
 *	                      struct xbuf *out);
 *	int sasl_cram_md5_context(const char *password, size_t len,
 *	                          unsigned char ctx_r[32]);
 *	int sasl_cram_md5_digest_hex(const struct sasl_creds *creds,
 *	                          const void *challenge, size_t len,
 *	                          char hex_r[33]);
 * DESCRIPTION
 *	Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 *	CRAM-MD5 (RFC 2195), SCRAM-SHA-1 (RFC 5802), SCRAM-SHA-256
 *	(RFC 7677), ANONYMOUS (RFC 4505), EXTERNAL (RFC 4422 App. A).
 *	Hashes, HMAC and PBKDF2 come from OpenSSL libcrypto.
 *
 *	All messages are raw bytes: base64 on the Dovecot wire is the
 *	caller's job (proto/base64.h). No clocks, no logging, no I/O.
 *	Randomness (SCRAM nonces, CRAM-MD5 challenge digits) comes from
 *	RAND_bytes unless the params supply fixed values (tests, fuzzing).
 *
 *	Client: sasl_client_initial() appends the initial response to out
 *	and returns 1 when the mechanism has one (PLAIN, SCRAM,
 *	ANONYMOUS, EXTERNAL), 0 when it waits for a challenge (LOGIN,
 *	CRAM-MD5). sasl_client_step() answers one server challenge.
 *	LOGIN answers the first challenge with the username and the second
 *	with the password, whatever their text (as real clients do).
 *	SCRAM checks the server nonce prefix and, on server-final, the
 *	server signature; afterwards the (empty) answer to the extra
 *	server-final round is an empty response. sasl_client_verified() is
 *	1 once a SCRAM server signature was checked.
 *
 *	Server: behaves as Dovecot's mechanisms do (protocols.md A.8):
 *	  PLAIN  authzid NUL authcid NUL passwd, exactly two NULs, no empty
 *	         authcid; authzid equal to authcid is treated as empty.
 *	         No input: CONTINUE with an empty challenge.
 *	  LOGIN  "Username:" / "Password:" challenges; a non-empty first
 *	         input is the username. NUL bytes fail.
 *	  CRAM-MD5 challenge "<" 16 digits "." time "@" host ">"; reply
 *	         "user SP 32-hex", split at the rightmost space.
 *	  SCRAM  client-first gs2 "n" or "y" (not "p"), no empty authzid,
 *	         any c-nonce; server-first (stored keys need 4096+
 *	         iterations), client-final checks channel binding
 *	         "biws"/"eSws", nonce and proof; server-final "v=..." goes
 *	         out as a CONTINUE (the client's answer to it, whatever it
 *	         is, gives SUCCESS, as in Dovecot 2.3) unless
 *	         params->final_resp_ok, in which case SUCCESS carries it in out.
 *	         params->dovecot24: the gs2 header is read as Dovecot 2.4.5's
 *	         auth_gs2_header_decode() reads it: the flag is the one
 *	         byte before the first "," ("nx," fails), and an empty
 *	         authzid ("a=,") fails before the username is read.
 *	         With params->secret (unlike Dovecot): a plaintext user's
 *	         salt is HMAC-SHA-256(secret, "salt" NUL mech NUL user), the
 *	         same on every attempt as stored keys' are, and an unknown
 *	         user gets a server-first with that salt and 4096 rounds,
 *	         its keys derived (at a plaintext user's cost) from a
 *	         password HMAC'd from the secret, then "Unknown user" after
 *	         the proof: the exchange looks and takes as long as a wrong
 *	         password's.
 *	  ANONYMOUS any trace text; the user is params->anonymous_username.
 *	  EXTERNAL needs params->external_user (Dovecot: "Username not
 *	         known" otherwise); the message is an optional authzid.
 *	sasl_server_step() is called first with have_in = 0 when the AUTH
 *	had no initial response, or have_in = 1 with the decoded response
 *	(possibly empty).
 *
 *	Credentials in Dovecot's stored forms: sasl_scram_parse_dovecot()
 *	reads the value of a {SCRAM-SHA-1} / {SCRAM-SHA-256} password
 *	(without the scheme prefix): "iter,salt_b64,storedkey_b64,
 *	serverkey_b64", key lengths 20 / 32; sasl_scram_format_dovecot()
 *	writes it. sasl_cram_md5_context() gives the 32 bytes of a
 *	{CRAM-MD5} value (Dovecot shows them as 64 hex digits).
 *
 *	Return values of the server calls (enum sasl_status):
 *	  SASL_CONTINUE    out holds the next challenge (possibly empty)
 *	  SASL_NEED_VERIFY PLAIN/LOGIN: check sasl_server_authcid() and
 *	                   sasl_server_password() against the passdb, then
 *	                   call sasl_server_verified(ok)
 *	  SASL_NEED_CREDS  CRAM-MD5/SCRAM: look up credentials for
 *	                   sasl_server_authcid(), then call sasl_server_creds()
 *	                   (creds NULL = unknown user: SASL_FAIL "Unknown
 *	                   user", or, for SCRAM with a secret in the params,
 *	                   a challenge like a known user's and SASL_FAIL
 *	                   "Unknown user" after the client's proof)
 *	  SASL_SUCCESS     authenticated; sasl_server_user() is the user
 *	  SASL_FAIL        *error_r is a static reason (e.g. "invalid input",
 *	                   "Password mismatch")
 *	Calling a function that does not fit the state is SASL_FAIL with
 *	"unexpected call", never undefined behaviour.
 * DIAGNOSTICS
 *	Client: sasl_client_step returns 0 (out holds the response) or -1
 *	with *error_r static (malformed challenge, wrong nonce, bad server
 *	signature). Create functions return NULL for an unusable mechanism
 *	or missing parameter. Derivation helpers: 0 or -1.
 */
#ifndef LIB_PROTO_SASL_H
#define LIB_PROTO_SASL_H

#include <stddef.h>

#include "util/compiler.h"
#include "util/xbuf.h"

#define SASL_MAX_MESSAGE	65536	/* Dovecot SASL_MAX_MESSAGE_SIZE */
#define SASL_SCRAM_MAX_KEY	32	/* SHA-256 output */
#define SASL_SCRAM_DEFAULT_ITER	4096
#define SASL_MOCK_SECRET_MAX	64

enum sasl_mech {
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_CRAM_MD5,
	SASL_MECH_SCRAM_SHA_1,
	SASL_MECH_SCRAM_SHA_256,
	SASL_MECH_ANONYMOUS,
	SASL_MECH_EXTERNAL,
	SASL_MECH_COUNT
};

struct sasl_mech_info {
	enum sasl_mech mech;
	const char *name;	/* canonical upper-case name */
	unsigned dvauth_flags;	/* DVAUTH_MECH_* as Dovecot advertises */
	int client_first;	/* has an initial response */
};

struct sasl_client_params {
	const char *authcid;	/* PLAIN LOGIN CRAM SCRAM */
	const char *authzid;	/* PLAIN SCRAM EXTERNAL; NULL = none */
	const char *password;
	const char *trace;	/* ANONYMOUS; NULL = "" */
	const char *cnonce;	/* SCRAM; NULL = random */
};

struct sasl_server_params {
	const char *hostname;	/* CRAM-MD5 challenge; NULL = "localhost" */
	unsigned long long now;	/* CRAM-MD5 challenge time (unix seconds) */
	const char *nonce;	/* SCRAM server nonce part / CRAM digits; NULL = random */
	const char *anonymous_username;	/* NULL = "anonymous" */
	const char *external_user;	/* EXTERNAL; NULL = unknown */
	int final_resp_ok;	/* SCRAM: server-final in SUCCESS, no extra round */
	int dovecot24;		/* SCRAM: the gs2 header as Dovecot 2.4.5 reads it */
	/* SCRAM: a secret of at most SASL_MOCK_SECRET_MAX bytes; NULL = none */
	const unsigned char *secret;
	size_t secret_len;
};

struct sasl_scram_keys {
	unsigned iter;
	size_t salt_len;
	unsigned char salt[64];
	size_t key_len;		/* 20 for SHA-1, 32 for SHA-256 */
	unsigned char stored_key[SASL_SCRAM_MAX_KEY];
	unsigned char server_key[SASL_SCRAM_MAX_KEY];
};

enum sasl_creds_kind {
	SASL_CREDS_PLAINTEXT,	/* the password itself */
	SASL_CREDS_CRAM_MD5,	/* Dovecot {CRAM-MD5}: HMAC-MD5 ipad/opad states */
	SASL_CREDS_SCRAM,	/* Dovecot {SCRAM-SHA-*}: iter, salt, keys */
};

struct sasl_creds {
	enum sasl_creds_kind kind;
	const char *password;		/* PLAINTEXT */
	size_t password_len;
	unsigned char cram_ctx[32];	/* CRAM_MD5: inner then outer MD5 state */
	struct sasl_scram_keys scram;	/* SCRAM */
};

enum sasl_status {
	SASL_CONTINUE,
	SASL_NEED_VERIFY,
	SASL_NEED_CREDS,
	SASL_SUCCESS,
	SASL_FAIL,
};

struct sasl_client;
struct sasl_server;

const struct sasl_mech_info *sasl_mech_by_name(const char *name, size_t len);
const struct sasl_mech_info *sasl_mech_get(enum sasl_mech mech);

struct sasl_client *sasl_client_create(enum sasl_mech mech,
				       const struct sasl_client_params *params);
int sasl_client_initial(struct sasl_client *c, struct xbuf *out) ATTR_WUR;
int sasl_client_step(struct sasl_client *c, const void *in, size_t len,
		     struct xbuf *out, const char **error_r) ATTR_WUR;
int sasl_client_verified(const struct sasl_client *c);
void sasl_client_destroy(struct sasl_client **c);

struct sasl_server *sasl_server_create(enum sasl_mech mech,
				       const struct sasl_server_params *params);
enum sasl_status sasl_server_step(struct sasl_server *s, const void *in,
				  size_t len, int have_in, struct xbuf *out,
				  const char **error_r) ATTR_WUR;
enum sasl_status sasl_server_verified(struct sasl_server *s, int ok,
				      struct xbuf *out, const char **error_r) ATTR_WUR;
enum sasl_status sasl_server_creds(struct sasl_server *s,
				   const struct sasl_creds *creds,
				   struct xbuf *out, const char **error_r) ATTR_WUR;
const char *sasl_server_authcid(const struct sasl_server *s);
const char *sasl_server_authzid(const struct sasl_server *s);
const char *sasl_server_password(const struct sasl_server *s);
const char *sasl_server_user(const struct sasl_server *s);
void sasl_server_destroy(struct sasl_server **s);

int sasl_scram_derive(enum sasl_mech mech, const char *password,
		      const void *salt, size_t salt_len, unsigned iter,
		      struct sasl_scram_keys *keys_r) ATTR_WUR;
int sasl_scram_parse_dovecot(enum sasl_mech mech, const char *s, size_t len,
			     struct sasl_scram_keys *keys_r) ATTR_WUR;
int sasl_scram_format_dovecot(const struct sasl_scram_keys *keys,
			      struct xbuf *out) ATTR_WUR;
int sasl_cram_md5_context(const char *password, size_t len,
			  unsigned char ctx_r[32]) ATTR_WUR;
int sasl_cram_md5_digest_hex(const struct sasl_creds *creds,
			     const void *challenge, size_t len,
			     char hex_r[33]) ATTR_WUR;

#endif
