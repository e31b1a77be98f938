/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgval - setting values: counts, yes/no, durations, socket modes
 *	and owners
 * SYNOPSIS
 *	#include "reference/common/cfgval.h"
 *
 *	int cfg_uint(const char *s, unsigned long min, unsigned long max,
 *	             unsigned long *r, char *err, size_t errlen);
 *	int cfg_yesno(const char *s, int *r, char *err, size_t errlen);
 *	int cfg_duration_ms(const char *s, uint64_t *ms_r,
 *	                    char *err, size_t errlen);
 *	int cfg_mode(const char *s, unsigned *mode_r, char *err, size_t errlen);
 *	int cfg_owner_split(const char *s, char *user, size_t usize,
 *	                    char *group, size_t gsize, char *err, size_t errlen);
 *	int cfg_name_find(const struct cfg_name *t, size_t n,
 *	                  const char *name, size_t len, unsigned *bit_r);
 * DESCRIPTION
 *	Pure parsers for the value of one daemon setting, from the command
 *	line or a config file (cfgfile.h); the caller prefixes the error
 *	with the setting ("--max-line: ...", daemon.h's daemon_opt_*).
 *
 *	uint := 1*DIGIT, decimal, no sign, no blanks, at most 20 digits,
 *	within [min, max].
 *
 *	yesno := "yes" / "no", exactly.
 *
 *	duration := 1*DIGIT [" "] [unit]
 *	unit     := "ms" | "msec" | "msecs" | "s" | "sec" | "secs" |
 *	            "second" | "seconds" | "m" | "min" | "mins" |
 *	            "minute" | "minutes" | "h" | "hour" | "hours"
 *	A number without a unit is milliseconds; units are
 *	case-insensitive; at most one day (CFG_DURATION_MAX_MS). "2s",
 *	"2 secs", "2000" and "2000ms" are equal.
 *
 *	mode := 1..4 octal digits, 1 .. 0777 (a unix socket's permissions).
 *
 *	owner := user [":" group]; each part 1..63 bytes without ":".
 *
 *	cfg_name_find() looks a word (name, len bytes) up in a table of
 *	names, exactly (case-sensitive), and gives its bit: the items of
 *	the daemons' --fault lists.
 * DIAGNOSTICS
 *	0, or -1 with the reason in err (outputs untouched): "not a
 *	number: x", "70000 is outside 64..8192", "want yes or no, not x",
 *	"not a duration (N, Nms, Ns, Nm, Nh; at most one day): x", "want
 *	octal 1-0777, not x", "want USER or USER:GROUP, not x".
 *	cfg_name_find: 0, or -1 when the word is not in the table.
 */
#ifndef REFERENCE_COMMON_CFGVAL_H
#define REFERENCE_COMMON_CFGVAL_H

#include <stddef.h>
#include <stdint.h>

#define CFG_DURATION_MAX_MS	86400000ULL

struct cfg_name {
	const char *name;
	unsigned bit;
};

int cfg_uint(const char *s, unsigned long min, unsigned long max, unsigned long *r,
	     char *err, size_t errlen);
int cfg_yesno(const char *s, int *r, char *err, size_t errlen);
int cfg_duration_ms(const char *s, uint64_t *ms_r, char *err, size_t errlen);
int cfg_mode(const char *s, unsigned *mode_r, char *err, size_t errlen);
int cfg_owner_split(const char *s, char *user, size_t usize, char *group, size_t gsize,
		    char *err, size_t errlen);
int cfg_name_find(const struct cfg_name *t, size_t n, const char *name, size_t len,
		  unsigned *bit_r);

#endif
