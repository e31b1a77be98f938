/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	penalty - Dovecot's per-client-IP authentication penalty
 * SYNOPSIS
 *	#include "reference/authd/penalty.h"
 * DESCRIPTION
 *	See penalty.h. Records live in a chained hash table (FNV-1a over
 *	the ident) and on a list ordered by their last change, so expiry
 *	and eviction take the oldest first. Each keeps up to
 *	AUTHD_PENALTY_CHECKSUMS user/password checksums, most recent first
 *	(anvil keeps 10 once it has more than 2; 8 is plenty for a test
 *	server).
 * DIAGNOSTICS
 *	None; the table never fails (allocation failure is fatal in xmem).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "reference/authd/penalty.h"
#include "util/xmem.h"

#define NBUCKETS	1024u

struct prec {
	struct prec *hnext;		/* hash chain */
	struct prec *prev, *next;	/* by last change, oldest first */
	char ident[AUTHD_PENALTY_IDENT_MAX];
	unsigned penalty;
	uint64_t last_penalty;		/* when the penalty was last raised */
	uint64_t last_update;		/* when the record last changed */
	uint32_t sums[AUTHD_PENALTY_CHECKSUMS];
};

struct authd_penalty {
	struct prec *bucket[NBUCKETS];
	struct prec *oldest, *newest;
	size_t n, max;
};

int authd_penalty_ident(const char *rip, size_t len, char *ident, size_t identlen)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, rip, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return inet_ntop(AF_INET, a, ident, (socklen_t)identlen) ? 0 : -1;
	if (inet_pton(AF_INET6, buf, a) == 1) {
		memset(a + 48 / 8, 0, sizeof(a) - 48 / 8);
		return inet_ntop(AF_INET6, a, ident, (socklen_t)identlen) ? 0 : -1;
	}
	return -1;
}

unsigned authd_penalty_secs(unsigned penalty)
{
	unsigned secs = AUTHD_PENALTY_INIT_SECS, i;

	for (i = 0; i < penalty && secs < AUTHD_PENALTY_MAX_SECS; i++)
		secs *= 2;
	return secs < AUTHD_PENALTY_MAX_SECS ? secs : AUTHD_PENALTY_MAX_SECS;
}

struct authd_penalty *authd_penalty_create(size_t max_entries)
{
	struct authd_penalty *p = xcalloc(1, sizeof(*p));

	p->max = max_entries ? max_entries : 1;
	return p;
}

static unsigned hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

static struct prec **find(struct authd_penalty *p, const char *ident)
{
	struct prec **pp = &p->bucket[hash(ident)];

	while (*pp != NULL && strcmp((*pp)->ident, ident) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void list_unlink(struct authd_penalty *p, struct prec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		p->oldest = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		p->newest = r->prev;
	r->prev = r->next = NULL;
}

static void list_append(struct authd_penalty *p, struct prec *r)
{
	r->prev = p->newest;
	r->next = NULL;
	if (p->newest)
		p->newest->next = r;
	else
		p->oldest = r;
	p->newest = r;
}

static void drop(struct authd_penalty *p, struct prec *r)
{
	struct prec **pp = find(p, r->ident);

	*pp = r->hnext;
	list_unlink(p, r);
	free(r);
	p->n--;
}

/* expire - records unchanged for AUTHD_PENALTY_EXPIRE seconds go */
static void expire(struct authd_penalty *p, uint64_t now)
{
	while (p->oldest != NULL && now >= p->oldest->last_update &&
	       now - p->oldest->last_update >= AUTHD_PENALTY_EXPIRE)
		drop(p, p->oldest);
}

unsigned authd_penalty_get(struct authd_penalty *p, const char *ident, uint64_t now)
{
	struct prec *r;
	unsigned penalty, drop_penalty = AUTHD_PENALTY_MAX;
	uint64_t last;

	expire(p, now);
	r = *find(p, ident);
	if (r == NULL)
		return 0;
	penalty = r->penalty;
	last = r->last_penalty > now ? now : r->last_penalty;	/* time moved backwards */
	while (penalty > 0) {
		if (now - last < authd_penalty_secs(drop_penalty))
			break;
		drop_penalty--;
		penalty--;
	}
	return penalty;
}

/* bump - a checksum seen before moves to the front */
static int bump(struct prec *r, uint32_t sum)
{
	size_t i;

	for (i = 0; i < AUTHD_PENALTY_CHECKSUMS; i++) {
		if (r->sums[i] == sum) {
			memmove(r->sums + 1, r->sums, i * sizeof(r->sums[0]));
			r->sums[0] = sum;
			return 1;
		}
	}
	return 0;
}

void authd_penalty_inc(struct authd_penalty *p, const char *ident, uint32_t checksum,
		       unsigned value, uint64_t now)
{
	struct prec **pp, *r;

	if (value > AUTHD_PENALTY_MAX)
		value = AUTHD_PENALTY_MAX;
	if (value == 0)
		checksum = 0;
	expire(p, now);
	pp = find(p, ident);
	r = *pp;
	if (r == NULL) {
		if (strlen(ident) >= sizeof(r->ident))
			return;
		if (p->n >= p->max)
			drop(p, p->oldest);
		r = xcalloc(1, sizeof(*r));
		memcpy(r->ident, ident, strlen(ident) + 1);
		pp = find(p, ident);
		*pp = r;
		p->n++;
	} else {
		list_unlink(p, r);
	}
	if (checksum == 0) {
		r->penalty = value;
		r->last_penalty = now;
	} else if (bump(r, checksum)) {
		r->penalty = value - 1;
	} else {
		memmove(r->sums + 1, r->sums, (AUTHD_PENALTY_CHECKSUMS - 1) * sizeof(r->sums[0]));
		r->sums[0] = checksum;
		r->penalty = value;
		r->last_penalty = now;
	}
	r->last_update = now;
	list_append(p, r);
}

size_t authd_penalty_count(const struct authd_penalty *p)
{
	return p->n;
}

void authd_penalty_destroy(struct authd_penalty **pp)
{
	struct authd_penalty *p = *pp;

	if (p == NULL)
		return;
	*pp = NULL;
	while (p->oldest != NULL)
		drop(p, p->oldest);
	free(p);
}
