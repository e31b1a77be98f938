/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	penalty - Dovecot's per-client-IP authentication penalty
 * SYNOPSIS
 *	#include "reference/authd/penalty.h"
 *
 *	int authd_penalty_ident(const char *rip, size_t len, char *ident,
 *	                        size_t identlen);
 *	unsigned authd_penalty_secs(unsigned penalty);
 *	struct authd_penalty *authd_penalty_create(size_t max_entries);
 *	unsigned authd_penalty_get(struct authd_penalty *p, const char *ident,
 *	                           uint64_t now);
 *	void authd_penalty_inc(struct authd_penalty *p, const char *ident,
 *	                       uint32_t checksum, unsigned value, uint64_t now);
 *	size_t authd_penalty_count(const struct authd_penalty *p);
 *	void authd_penalty_destroy(struct authd_penalty **p);
 * DESCRIPTION
 *	The table Dovecot 2.3 keeps in anvil for auth_penalty
 *	(src/auth/auth-penalty.c, src/anvil/penalty.c), as a pure data
 *	structure: time (now, in seconds) is an argument.
 *
 *	authd_penalty_ident() turns an AUTH rip= value into the key: an
 *	IPv4 address as itself, an IPv6 address with all but its first 48
 *	bits zeroed (PENALTY_IPV6_MASK_BITS), in inet_ntop form. An empty
 *	or unparsable rip has no key (no penalty), as a request without a
 *	remote IP.
 *
 *	authd_penalty_get() is PENALTY-GET plus auth-penalty.c's decay: the
 *	stored penalty drops by one for each step of 15, 15, 8, 4 seconds
 *	(authd_penalty_secs(4..1)) that passed since the last penalty.
 *	A request that gets penalty N > 0 waits authd_penalty_secs(N) =
 *	min(2 * 2^N, 15) seconds before it is processed.
 *
 *	authd_penalty_inc() is PENALTY-INC: after a failed authentication
 *	the caller passes value = (the penalty the request got) + 1, capped
 *	at AUTHD_PENALTY_MAX (4), and a checksum of the user and password
 *	(0 when the mechanism has no password). Repeating a user/password
 *	pair already seen keeps the penalty at value - 1 and does not
 *	refresh its time, so retrying the same wrong password is not
 *	punished further. After a success the caller passes value 0 to
 *	clear the entry. Entries expire AUTHD_PENALTY_EXPIRE (29) seconds
 *	after their last change; at most max_entries are kept (the oldest
 *	goes first).
 * DIAGNOSTICS
 *	authd_penalty_ident: 0, or -1 when rip is not an IP address.
 */
#ifndef REFERENCE_AUTHD_PENALTY_H
#define REFERENCE_AUTHD_PENALTY_H

#include <stddef.h>
#include <stdint.h>

#define AUTHD_PENALTY_INIT_SECS		2
#define AUTHD_PENALTY_MAX_SECS		15
#define AUTHD_PENALTY_MAX		4
#define AUTHD_PENALTY_EXPIRE		(AUTHD_PENALTY_INIT_SECS + 4 + 8 + AUTHD_PENALTY_MAX_SECS)
#define AUTHD_PENALTY_IDENT_MAX		64
#define AUTHD_PENALTY_CHECKSUMS		8

struct authd_penalty;

int authd_penalty_ident(const char *rip, size_t len, char *ident, size_t identlen);
unsigned authd_penalty_secs(unsigned penalty);
struct authd_penalty *authd_penalty_create(size_t max_entries);
unsigned authd_penalty_get(struct authd_penalty *p, const char *ident, uint64_t now);
void authd_penalty_inc(struct authd_penalty *p, const char *ident, uint32_t checksum,
		       unsigned value, uint64_t now);
size_t authd_penalty_count(const struct authd_penalty *p);
void authd_penalty_destroy(struct authd_penalty **p);

#endif
