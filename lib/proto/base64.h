/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	base64 - RFC 4648 base64, with Dovecot's and Postfix's checks
 * SYNOPSIS
 *	#include "proto/base64.h"
 *
 *	size_t base64_encoded_len(size_t n);
 *	int base64_encode(const void *src, size_t n, struct xbuf *out);
 *	int base64_decode(const char *src, size_t n, unsigned flags,
 *	                  struct xbuf *out, const char **error_r);
 *	int base64_charset_ok(const char *src, size_t n);
 * DESCRIPTION
 *	base64_encode() appends the padded encoding of n bytes to out.
 *
 *	base64_decode() appends the decoded bytes to out. With flags 0 the
 *	decoding is strict RFC 4648 section 4: the alphabet A-Z a-z 0-9 + /,
 *	length a multiple of 4, "=" padding required and allowed only at
 *	the end (one or two), non-zero pad bits rejected, nothing else
 *	allowed. BASE64_DOVECOT accepts what Dovecot's base64_decode(...,
 *	0) accepts on the auth socket: as strict, except that CR, LF, SP and
 *	TAB are skipped wherever they appear and non-zero pad bits are
 *	ignored (see protocols.md A.3). The empty string decodes to nothing.
 *
 *	base64_charset_ok() is Postfix's is_valid_base64(): true when every
 *	byte is in [A-Za-z0-9+/=], with no check of length or padding. An
 *	empty string is valid. This is the only check Postfix applies to a
 *	client's AUTH initial response and continuation lines before it
 *	passes them on verbatim.
 * DIAGNOSTICS
 *	base64_encode: 0, or -1 when out's bound is reached.
 *	base64_decode: 0; -1 with *error_r a static string naming the
 *	problem ("invalid character", "missing padding", "data after
 *	padding", "non-zero pad bits", "output too long"). On -1 out may
 *	hold a partial result: callers that care truncate it back.
 */
#ifndef LIB_PROTO_BASE64_H
#define LIB_PROTO_BASE64_H

#include <stddef.h>

#include "util/xbuf.h"

#define BASE64_DOVECOT	0x01u

size_t base64_encoded_len(size_t n);
int base64_encode(const void *src, size_t n, struct xbuf *out) ATTR_WUR;
int base64_decode(const char *src, size_t n, unsigned flags,
		  struct xbuf *out, const char **error_r) ATTR_WUR;
int base64_charset_ok(const char *src, size_t n);

#endif
