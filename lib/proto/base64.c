/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	base64 - RFC 4648 base64, with Dovecot's and Postfix's checks
 * SYNOPSIS
 *	#include "proto/base64.h"
 * DESCRIPTION
 *	Alphabet: A-Z a-z 0-9 + / with "=" padding (RFC 4648 section 4).
 *
 *	Strict decoding (flags 0): the input is 4-character groups; the
 *	last group may end in "==" (one byte) or "=" (two bytes); the pad
 *	bits of such a group must be zero; nothing may follow the padding.
 *
 *	BASE64_DOVECOT mirrors Dovecot's base64_decode(..., flags 0), which
 *	the auth server applies to resp= and CONT data (src/lib/base64.c
 *	base64_decode_more/base64_decode_finish):
 *	  - CR, LF, SP and TAB are skipped anywhere, also inside and after
 *	    the padding;
 *	  - the input must end on a group boundary: "YQ" fails, "YQ==" is
 *	    one byte;
 *	  - after "=" only "=" (to complete the group) and white space may
 *	    follow; an "=" where no padding is possible fails;
 *	  - pad bits are ignored ("YR==" decodes like "YQ==").
 *
 *	base64_charset_ok() mirrors Postfix's is_valid_base64(): every
 *	byte in [A-Za-z0-9+/=], nothing else checked.
 * DIAGNOSTICS
 *	See base64.h.
 */
#include "proto/base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_value - 0..63 for an alphabet byte, -1 otherwise */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* b64_is_space - the white space Dovecot skips */
static int b64_is_space(unsigned char c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/* base64_encoded_len - length of the padded encoding of n bytes */
size_t base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* base64_encode - append the padded encoding */
int base64_encode(const void *src, size_t n, struct xbuf *out)
{
	const unsigned char *s = src;
	size_t old = out->len;
	size_t i;
	char q[4];

	if (n > ((size_t)-1 - 2) / 4 * 3)
		return -1;
	if (xbuf_reserve(out, base64_encoded_len(n)) < 0)
		return -1;
	for (i = 0; i + 3 <= n; i += 3) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64_alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = b64_alphabet[s[i + 2] & 63];
		if (xbuf_append(out, q, 4) < 0)
			goto fail;
	}
	if (n - i == 1) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[(s[i] & 3) << 4];
		q[2] = q[3] = '=';
		if (xbuf_append(out, q, 4) < 0)
			goto fail;
	} else if (n - i == 2) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64_alphabet[(s[i + 1] & 15) << 2];
		q[3] = '=';
		if (xbuf_append(out, q, 4) < 0)
			goto fail;
	}
	return 0;
fail:
	xbuf_truncate(out, old);
	return -1;
}

/* base64_decode - strict RFC 4648, or as Dovecot's auth server decodes */
int base64_decode(const char *src, size_t n, unsigned flags,
		  struct xbuf *out, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)src;
	int dovecot = (flags & BASE64_DOVECOT) != 0;
	unsigned pos = 0;	/* characters of the current group seen */
	unsigned acc = 0;	/* bits of the current group */
	unsigned pad = 0;	/* "=" seen in the current group */
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		int v;

		if (dovecot && b64_is_space(c))
			continue;
		if (c == '=') {
			/* padding can only complete a group of 2 or 3 */
			if (pos + pad < 2) {
				*error_r = pad ? "data after padding" : "misplaced padding";
				return -1;
			}
			if (pos + pad == 4) {
				*error_r = "data after padding";
				return -1;
			}
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0) {
			*error_r = "invalid character";
			return -1;
		}
		if (pad > 0) {
			*error_r = "data after padding";
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		if (++pos == 4) {
			unsigned char b[3];

			b[0] = (unsigned char)(acc >> 16);
			b[1] = (unsigned char)(acc >> 8);
			b[2] = (unsigned char)acc;
			if (xbuf_append(out, b, 3) < 0) {
				*error_r = "output too long";
				return -1;
			}
			pos = 0;
			acc = 0;
		}
	}
	if (pos == 0 && pad == 0)
		return 0;
	if (pos + pad != 4) {
		*error_r = "missing padding";
		return -1;
	}
	if (pos == 2) {
		unsigned char b = (unsigned char)(acc >> 4);

		if (!dovecot && (acc & 0x0f) != 0) {
			*error_r = "non-zero pad bits";
			return -1;
		}
		if (xbuf_append(out, &b, 1) < 0) {
			*error_r = "output too long";
			return -1;
		}
	} else {
		unsigned char b[2];

		if (!dovecot && (acc & 0x03) != 0) {
			*error_r = "non-zero pad bits";
			return -1;
		}
		b[0] = (unsigned char)(acc >> 10);
		b[1] = (unsigned char)(acc >> 2);
		if (xbuf_append(out, b, 2) < 0) {
			*error_r = "output too long";
			return -1;
		}
	}
	return 0;
}

/* base64_charset_ok - Postfix is_valid_base64: charset only */
int base64_charset_ok(const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c != '=' && b64_value(c) < 0)
			return 0;
	}
	return 1;
}
