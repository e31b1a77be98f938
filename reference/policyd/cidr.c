/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cidr - IPv4/IPv6 addresses and networks for policy rules
 * SYNOPSIS
 *	See cidr.h.
 * DESCRIPTION
 *	Grammar:
 *	  network := address [ "/" prefix ]
 *	  address := IPv4 dotted quad | IPv6 text (inet_pton)
 *	  prefix  := "0" | %x31-39 *DIGIT   (<= 32 for IPv4, <= 128 for IPv6)
 *	Input is (buf, len), at most CIDR_MAX_TEXT bytes; it is copied to a
 *	local buffer for inet_pton. v4-mapped IPv6 (::ffff:0:0/96) folds to
 *	IPv4 on both sides. Pure: no allocation, no I/O.
 * DIAGNOSTICS
 *	See cidr.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "reference/policyd/cidr.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* cidr_addr_parse - text address to binary, v4-mapped folded to IPv4 */
int cidr_addr_parse(const char *s, size_t len, struct cidr_addr *r)
{
	char tmp[CIDR_MAX_TEXT + 1];

	if (len == 0 || len > CIDR_MAX_TEXT || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(r, 0, sizeof(*r));
	if (memchr(tmp, ':', len) == NULL) {
		if (inet_pton(AF_INET, tmp, r->b) != 1)
			return -1;
		r->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, r->b) != 1)
		return -1;
	if (memcmp(r->b, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(r->b, r->b + 12, 4);
		memset(r->b + 4, 0, 12);
		r->family = 4;
		return 0;
	}
	r->family = 6;
	return 0;
}

/* cidr_parse - "address[/prefix]" */
int cidr_parse(const char *s, size_t len, int strict, struct cidr *r,
	       const char **error_r)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned bits = 0, max, i;
	int mapped;

	memset(r, 0, sizeof(*r));
	mapped = alen > 7 && memchr(s, ':', alen) != NULL;
	if (cidr_addr_parse(s, alen, &r->net) < 0) {
		*error_r = "bad address";
		return -1;
	}
	/* a v4-mapped address was folded: its prefix counts from bit 96 */
	mapped = mapped && r->net.family == 4;
	max = r->net.family == 4 ? 32 : 128;
	if (slash == NULL) {
		bits = max;
	} else {
		const char *p = slash + 1;
		size_t plen = len - alen - 1;

		if (plen == 0 || plen > 3 || (plen > 1 && p[0] == '0')) {
			*error_r = "bad prefix length";
			return -1;
		}
		for (i = 0; i < plen; i++) {
			if (p[i] < '0' || p[i] > '9') {
				*error_r = "bad prefix length";
				return -1;
			}
			bits = bits * 10 + (unsigned)(p[i] - '0');
		}
		if (mapped) {
			if (bits < 96 || bits > 128) {
				*error_r = "prefix too long";
				if (bits < 96)
					*error_r = "v4-mapped prefix shorter than 96";
				return -1;
			}
			bits -= 96;
		}
		if (bits > max) {
			*error_r = "prefix too long";
			return -1;
		}
	}
	r->bits = (uint8_t)bits;
	for (i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
		uint8_t mask = (uint8_t)(keep == 0 ? 0 : 0xffu << (8 - keep));

		if ((r->net.b[i] & (uint8_t)~mask) != 0) {
			if (strict) {
				*error_r = "host bits set beyond the prefix";
				return -1;
			}
			r->net.b[i] &= mask;
		}
	}
	return 0;
}

/* cidr_match - is a inside net? */
int cidr_match(const struct cidr *net, const struct cidr_addr *a)
{
	unsigned full = net->bits / 8, rest = net->bits % 8;

	if (net->net.family != a->family)
		return 0;
	if (memcmp(net->net.b, a->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->net.b[full] ^ a->b[full]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}
