/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl_md5ctx - CRAM-MD5 with Dovecot's stored HMAC-MD5 contexts
 * SYNOPSIS
 *	#include "proto/sasl.h"
 *
 *	int sasl_cram_md5_context(const char *password, size_t len,
 *	                          unsigned char ctx_r[32]);
 *	int sasl_cram_md5_digest_hex(const struct sasl_creds *creds,
 *	                          const void *challenge, size_t len,
 *	                          char hex_r[33]);
 * DESCRIPTION
 *	Dovecot's {CRAM-MD5} password scheme stores, instead of the
 *	password, the MD5 chaining values after HMAC-MD5 has absorbed the
 *	64-byte outer pad block and the 64-byte inner pad block (RFC 2104),
 *	each as four little-endian 32-bit words: outer a b c d, then inner
 *	a b c d (src/lib/hmac-cram-md5.c). Verifying a CRAM-MD5 response
 *	from that form means resuming MD5 from a saved state, which only
 *	OpenSSL's low-level MD5 interface allows; it is deprecated in
 *	OpenSSL 3 but still provided, so this file alone asks for it.
 *
 *	sasl_cram_md5_context() derives the 32-byte context from a
 *	password (keys longer than 64 bytes are hashed first, as HMAC
 *	does). sasl_cram_md5_digest_hex() computes HMAC-MD5(password,
 *	challenge) as 32 lower-case hex digits from creds of kind
 *	SASL_CREDS_PLAINTEXT or SASL_CREDS_CRAM_MD5.
 * DIAGNOSTICS
 *	0 done; -1 unusable creds kind or a libcrypto failure.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/md5.h>

#include "proto/sasl.h"
#include "util/xmem.h"

/* md5ctx_put - store the chaining values little-endian */
static void md5ctx_put(unsigned char *p, const MD5_CTX *c)
{
	const MD5_LONG v[4] = { c->A, c->B, c->C, c->D };
	int i;

	for (i = 0; i < 4; i++) {
		p[4 * i] = (unsigned char)(v[i] & 0xff);
		p[4 * i + 1] = (unsigned char)((v[i] >> 8) & 0xff);
		p[4 * i + 2] = (unsigned char)((v[i] >> 16) & 0xff);
		p[4 * i + 3] = (unsigned char)((v[i] >> 24) & 0xff);
	}
}

/* md5ctx_get - a context that has absorbed exactly one 64-byte block */
static void md5ctx_get(MD5_CTX *c, const unsigned char *p)
{
	MD5_LONG v[4];
	int i;

	for (i = 0; i < 4; i++)
		v[i] = (MD5_LONG)p[4 * i] | (MD5_LONG)p[4 * i + 1] << 8 |
		       (MD5_LONG)p[4 * i + 2] << 16 | (MD5_LONG)p[4 * i + 3] << 24;
	MD5_Init(c);
	c->A = v[0];
	c->B = v[1];
	c->C = v[2];
	c->D = v[3];
	c->Nl = 64 * 8;
	c->Nh = 0;
	c->num = 0;
}

/* sasl_cram_md5_context - Dovecot's {CRAM-MD5} value of a password */
int sasl_cram_md5_context(const char *password, size_t len, unsigned char ctx_r[32])
{
	unsigned char key[64];
	unsigned char pad[64];
	MD5_CTX c;
	size_t i;

	memset(key, 0, sizeof(key));
	if (len > sizeof(key))
		MD5((const unsigned char *)password, len, key);
	else if (len > 0)
		memcpy(key, password, len);
	for (i = 0; i < 64; i++)
		pad[i] = key[i] ^ 0x5c;
	MD5_Init(&c);
	MD5_Update(&c, pad, 64);
	md5ctx_put(ctx_r, &c);
	for (i = 0; i < 64; i++)
		pad[i] = key[i] ^ 0x36;
	MD5_Init(&c);
	MD5_Update(&c, pad, 64);
	md5ctx_put(ctx_r + 16, &c);
	xmem_wipe(key, sizeof(key));
	xmem_wipe(pad, sizeof(pad));
	xmem_wipe(&c, sizeof(c));
	return 0;
}

/* sasl_cram_md5_digest_hex - HMAC-MD5 of the challenge, in hex */
int sasl_cram_md5_digest_hex(const struct sasl_creds *creds,
			     const void *challenge, size_t len, char hex_r[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char ctx[32];
	unsigned char inner[16], digest[16];
	MD5_CTX c;
	int i;

	if (creds->kind == SASL_CREDS_PLAINTEXT) {
		if (sasl_cram_md5_context(creds->password, creds->password_len, ctx) < 0)
			return -1;
	} else if (creds->kind == SASL_CREDS_CRAM_MD5) {
		memcpy(ctx, creds->cram_ctx, sizeof(ctx));
	} else {
		return -1;
	}
	md5ctx_get(&c, ctx + 16);
	MD5_Update(&c, challenge, len);
	MD5_Final(inner, &c);
	md5ctx_get(&c, ctx);
	MD5_Update(&c, inner, sizeof(inner));
	MD5_Final(digest, &c);
	for (i = 0; i < 16; i++) {
		hex_r[2 * i] = hex[digest[i] >> 4];
		hex_r[2 * i + 1] = hex[digest[i] & 15];
	}
	hex_r[32] = '\0';
	xmem_wipe(ctx, sizeof(ctx));
	xmem_wipe(&c, sizeof(c));
	return 0;
}
