/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	options - ref-authd option values: durations, socket modes, owners
 * SYNOPSIS
 *	#include "reference/authd/options.h"
 * DESCRIPTION
 *	See options.h for the grammar and bounds. No I/O, no allocation.
 * DIAGNOSTICS
 *	0 or -1; callers name the option in their message.
 */
#include <string.h>
#include <strings.h>

#include "reference/authd/options.h"

static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{ "", 1 }, { "ms", 1 }, { "msec", 1 }, { "msecs", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 }, { "second", 1000 }, { "seconds", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 }, { "minute", 60000 },
	{ "minutes", 60000 },
	{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
};

int authd_duration_parse(const char *s, uint64_t *ms_r)
{
	uint64_t n = 0;
	const char *p = s;
	size_t i;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > AUTHD_DURATION_MAX_MS)
			return -1;
	}
	if (*p == ' ' && p[1] != '\0')
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].name) == 0) {
			if (n > AUTHD_DURATION_MAX_MS / units[i].ms)
				return -1;
			*ms_r = n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

int authd_mode_parse(const char *s, unsigned *mode_r)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 4 || s[i] < '0' || s[i] > '7')
			return -1;
		m = m * 8 + (unsigned)(s[i] - '0');
	}
	if (i == 0 || m == 0 || m > 0777)
		return -1;
	*mode_r = m;
	return 0;
}

int authd_owner_split(const char *s, char *user, size_t usize, char *group, size_t gsize)
{
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : strlen(s);
	size_t glen = colon ? strlen(colon + 1) : 0;

	if (ulen == 0 || ulen > 63 || ulen >= usize || glen > 63 || glen >= gsize ||
	    (colon != NULL && (glen == 0 || strchr(colon + 1, ':') != NULL)))
		return -1;
	memcpy(user, s, ulen);
	user[ulen] = '\0';
	if (colon != NULL)
		memcpy(group, colon + 1, glen);
	group[glen] = '\0';
	return 0;
}
