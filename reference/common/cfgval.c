/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgval - setting values: counts, yes/no, durations, socket modes
 *	and owners
 * SYNOPSIS
 *	#include "reference/common/cfgval.h"
 * DESCRIPTION
 *	See cfgval.h for the grammar and bounds. Numbers are converted
 *	with lib/util/strnum (strict, overflow checked); duration units
 *	are looked up in a table and multiplied with an overflow check.
 *	No I/O, no allocation.
 * DIAGNOSTICS
 *	See cfgval.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reference/common/cfgval.h"
#include "util/strnum.h"

static const struct {
	const char *name;
	uint64_t ms;
} cfg_time_units[] = {
	{ "", 1 }, { "ms", 1 }, { "msec", 1 }, { "msecs", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 }, { "second", 1000 }, { "seconds", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 }, { "minute", 60000 },
	{ "minutes", 60000 },
	{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
};

/* cfg_uint - a count within [min, max] */
int cfg_uint(const char *s, unsigned long min, unsigned long max, unsigned long *r,
	     char *err, size_t errlen)
{
	size_t n = strspn(s, "0123456789");
	uint64_t num;

	if (n == 0 || n > 20 || s[n] != '\0' || str_to_uint64(s, n, &num) < 0 ||
	    num > (unsigned long)-1) {
		snprintf(err, errlen, "not a number: %s", s);
		return -1;
	}
	if (num < min || num > max) {
		snprintf(err, errlen, "%llu is outside %lu..%lu", (unsigned long long)num, min, max);
		return -1;
	}
	*r = (unsigned long)num;
	return 0;
}

/* cfg_yesno - "yes" or "no" */
int cfg_yesno(const char *s, int *r, char *err, size_t errlen)
{
	if (str_to_yesno(s, r) < 0) {
		snprintf(err, errlen, "want yes or no, not %s", s);
		return -1;
	}
	return 0;
}

/* cfg_duration_ms - "2s", "150 secs", "500ms", "2000" (ms) */
int cfg_duration_ms(const char *s, uint64_t *ms_r, char *err, size_t errlen)
{
	uint64_t n = 0;
	const char *p = s;
	size_t i;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > CFG_DURATION_MAX_MS)
			goto bad;
	}
	if (*p == ' ' && p[1] != '\0')
		p++;
	for (i = 0; i < sizeof(cfg_time_units) / sizeof(cfg_time_units[0]); i++) {
		if (strcasecmp(p, cfg_time_units[i].name) == 0) {
			if (n > CFG_DURATION_MAX_MS / cfg_time_units[i].ms)
				goto bad;
			*ms_r = n * cfg_time_units[i].ms;
			return 0;
		}
	}
bad:
	snprintf(err, errlen, "not a duration (N, Nms, Ns, Nm, Nh; at most one day): %s", s);
	return -1;
}

/* cfg_mode - a unix socket's permissions, octal */
int cfg_mode(const char *s, unsigned *mode_r, char *err, size_t errlen)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 4 || s[i] < '0' || s[i] > '7')
			goto bad;
		m = m * 8 + (unsigned)(s[i] - '0');
	}
	if (i == 0 || m == 0 || m > 0777)
		goto bad;
	*mode_r = m;
	return 0;
bad:
	snprintf(err, errlen, "want octal 1-0777, not %s", s);
	return -1;
}

/* cfg_owner_split - USER[:GROUP] into its two names */
int cfg_owner_split(const char *s, char *user, size_t usize, char *group, size_t gsize,
		    char *err, size_t errlen)
{
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : strlen(s);
	size_t glen = colon ? strlen(colon + 1) : 0;

	if (ulen == 0 || ulen > 63 || ulen >= usize || glen > 63 || glen >= gsize ||
	    (colon != NULL && (glen == 0 || strchr(colon + 1, ':') != NULL))) {
		snprintf(err, errlen, "want USER or USER:GROUP, not %s", s);
		return -1;
	}
	memcpy(user, s, ulen);
	user[ulen] = '\0';
	if (colon != NULL)
		memcpy(group, colon + 1, glen);
	group[glen] = '\0';
	return 0;
}

/* cfg_name_find - a word's bit in a table of names */
int cfg_name_find(const struct cfg_name *t, size_t n, const char *name, size_t len,
		  unsigned *bit_r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0) {
			*bit_r = t[i].bit;
			return 0;
		}
	}
	return -1;
}
