/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sasl_int - what sasl.c, sasl_client.c and sasl_server.c share
 * SYNOPSIS
 *	#include "proto/sasl_int.h"
 * DESCRIPTION
 *	Internal to lib/proto/sasl*.c; no other module includes it.
 *	sasl_scram_md() is the digest of a SCRAM mechanism (NULL for the
 *	others); sasl_hmac() one HMAC into out (EVP_MAX_MD_SIZE bytes);
 *	sasl_random_b64() appends nbytes of randomness, base64 (nbytes at
 *	most 64); sasl_scram_escape() appends a saslname ("=" as "=3D",
 *	"," as "=2C") and sasl_scram_unescape() reverses it (NULL on a bad
 *	escape; the caller frees); sasl_hex_digit() is 0-15 or -1;
 *	sasl_b64_field() decodes base64 (p, len) into dst (at most max
 *	bytes; want, when not 0, is the exact length required);
 *	sasl_scram_attr() finds the index-th comma-separated "key=" field
 *	of a SCRAM message (a view into msg); sasl_opt_dup() copies an
 *	optional string; sasl_wipe_free() clears and frees a secret.
 * DIAGNOSTICS
 *	Ints: 0, or -1 on failure.
 */
#ifndef LIB_PROTO_SASL_INT_H
#define LIB_PROTO_SASL_INT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "proto/sasl.h"
#include "util/xbuf.h"

#define SASL_MAX_AUTHID		1024	/* Dovecot SASL_MAX_AUTHID_SIZE */
#define SCRAM_NONCE_BYTES	18	/* 24 base64 characters */
#define SCRAM_MIN_ITER		4096	/* 2.3 SCRAM_MIN_ITERATE_COUNT: fewer is refused */

const EVP_MD *sasl_scram_md(enum sasl_mech mech);
int sasl_hmac(const EVP_MD *md, const void *key, size_t klen, const void *data, size_t dlen,
	      unsigned char *out);
int sasl_random_b64(size_t nbytes, struct xbuf *out);
int sasl_scram_escape(const char *s, struct xbuf *out);
char *sasl_scram_unescape(const char *p, size_t len);
int sasl_hex_digit(char c);
int sasl_b64_field(const char *p, size_t len, unsigned char *dst, size_t max, size_t want,
		   size_t *got_r);
int sasl_scram_attr(const char *msg, size_t len, char key, size_t index, const char **val_r,
		    size_t *vlen_r);
char *sasl_opt_dup(const char *s);
void sasl_wipe_free(char *s);

#endif
