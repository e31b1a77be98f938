/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cidr - IPv4/IPv6 addresses and networks for policy rules
 * SYNOPSIS
 *	#include "reference/policyd/cidr.h"
 *
 *	int cidr_addr_parse(const char *s, size_t len, struct cidr_addr *r);
 *	int cidr_parse(const char *s, size_t len, int strict,
 *	               struct cidr *r, const char **error_r);
 *	int cidr_match(const struct cidr *net, const struct cidr_addr *a);
 * DESCRIPTION
 *	An address is IPv4 dotted quad or IPv6 text (inet_pton(3)), at most
 *	CIDR_MAX_TEXT bytes; "[...]" brackets are not accepted. An IPv6
 *	address of the v4-mapped form ::ffff:a.b.c.d is the IPv4 address
 *	a.b.c.d, on both sides, so that 192.0.2.0/24 matches a client that a
 *	dual-stack socket reported as ::ffff:192.0.2.7, and
 *	::ffff:192.0.2.0/120 is the network 192.0.2.0/24. IPv4 networks never
 *	match IPv6 addresses and IPv6 networks never match IPv4 addresses
 *	(Postfix cidr_table behaves the same way).
 *
 *	A network is ADDRESS or ADDRESS "/" PREFIX, PREFIX 0-32 for IPv4 and
 *	0-128 for IPv6, decimal without sign or leading zeros; a bare address
 *	is a /32 or /128. With strict set, host bits beyond the prefix are an
 *	error (Postfix: "non-null host address bits"); without, they are
 *	cleared.
 * DIAGNOSTICS
 *	cidr_addr_parse: 0 or -1. cidr_parse: 0, or -1 with *error_r a
 *	static string ("bad address", "bad prefix length", "prefix too
 *	long", "host bits set beyond the prefix"). cidr_match: 1 or 0.
 */
#ifndef REFERENCE_POLICYD_CIDR_H
#define REFERENCE_POLICYD_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

#define CIDR_MAX_TEXT	64

struct cidr_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t b[16];		/* IPv4 uses b[0..3] */
};

struct cidr {
	struct cidr_addr net;
	uint8_t bits;
};

int cidr_addr_parse(const char *s, size_t len, struct cidr_addr *r) ATTR_WUR;
int cidr_parse(const char *s, size_t len, int strict, struct cidr *r,
	       const char **error_r) ATTR_WUR;
int cidr_match(const struct cidr *net, const struct cidr_addr *a);

#endif
