/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgval - setting values: durations, sizes, booleans, counts
 * SYNOPSIS
 *	#include "reference/common/cfgval.h"
 * DESCRIPTION
 *	See cfgval.h. Each parser splits the value into a digit run and a
 *	suffix, converts the digits with lib/util/strnum (strict, overflow
 *	checked), looks the suffix up in a table and multiplies with an
 *	overflow check.
 * DIAGNOSTICS
 *	See cfgval.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reference/common/cfgval.h"
#include "util/strnum.h"

struct cfg_unit {
	const char *name;
	uint64_t mult;
};

static const struct cfg_unit cfg_time_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "d", 24 * 60 * 60 * 1000 },
	{ "w", 7 * 24 * 60 * 60 * 1000ull },
};

static const struct cfg_unit cfg_size_units[] = {
	{ "k", 1024 }, { "kb", 1024 },
	{ "m", 1024 * 1024 }, { "mb", 1024 * 1024 },
	{ "g", 1024 * 1024 * 1024ull }, { "gb", 1024 * 1024 * 1024ull },
};

/* cfg_split - digits and suffix; -1 when there are no digits or too many */
static int cfg_split(const char *s, uint64_t *num_r, const char **suffix_r)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 20 || str_to_uint64(s, n, num_r) < 0)
		return -1;
	*suffix_r = s + n;
	return 0;
}

/* cfg_unit_find - multiplier of a suffix, case-insensitive; 0 unknown */
static uint64_t cfg_unit_find(const struct cfg_unit *t, size_t n, const char *suffix)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].name, suffix) == 0)
			return t[i].mult;
	return 0;
}

/* cfg_ms_text - a limit in the largest exact unit, for messages */
static void cfg_ms_text(uint64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

int cfg_duration_ms(const char *s, uint64_t unit_ms, uint64_t max_ms, uint64_t *ms_r,
		    char *err, size_t errlen)
{
	const char *suffix;
	uint64_t num, mult;

	if (cfg_split(s, &num, &suffix) < 0)
		goto bad;
	if (*suffix == '\0') {
		if ((mult = unit_ms) == 0)
			goto bad;	/* the caller wants the unit spelled out */
	} else if ((mult = cfg_unit_find(cfg_time_units, sizeof(cfg_time_units) /
				       sizeof(cfg_time_units[0]), suffix)) == 0)
		goto bad;
	if (num > max_ms / mult) {
		char lim[32];

		cfg_ms_text(max_ms, lim, sizeof(lim));
		snprintf(err, errlen, "duration \"%s\" is over the limit of %s", s, lim);
		return -1;
	}
	*ms_r = num * mult;
	return 0;
bad:
	snprintf(err, errlen, "bad duration \"%s\": expected a number and a unit ms, s, m, h, d or w",
		 s);
	return -1;
}

int cfg_size(const char *s, uint64_t max, uint64_t *r, char *err, size_t errlen)
{
	const char *suffix;
	uint64_t num, mult;

	if (cfg_split(s, &num, &suffix) < 0)
		goto bad;
	if (*suffix == '\0')
		mult = 1;
	else if ((mult = cfg_unit_find(cfg_size_units, sizeof(cfg_size_units) /
				       sizeof(cfg_size_units[0]), suffix)) == 0)
		goto bad;
	if (num > max / mult) {
		snprintf(err, errlen, "size \"%s\" is over the limit of %llu bytes", s,
			 (unsigned long long)max);
		return -1;
	}
	*r = num * mult;
	return 0;
bad:
	snprintf(err, errlen, "bad size \"%s\": expected a number of bytes, or with k, m or g", s);
	return -1;
}

int cfg_bool(const char *s, int *r, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*r = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*r = 0;
			return 0;
		}
	}
	snprintf(err, errlen, "bad boolean \"%s\": expected yes or no", s);
	return -1;
}

int cfg_uint(const char *s, uint64_t min, uint64_t max, uint64_t *r, char *err, size_t errlen)
{
	const char *suffix;
	uint64_t num;

	if (cfg_split(s, &num, &suffix) < 0 || *suffix != '\0') {
		snprintf(err, errlen, "bad number \"%s\": expected decimal digits", s);
		return -1;
	}
	if (num < min || num > max) {
		snprintf(err, errlen, "\"%s\" is out of range %llu-%llu", s, (unsigned long long)min,
			 (unsigned long long)max);
		return -1;
	}
	*r = num;
	return 0;
}
