/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgval - setting values: durations, sizes, booleans, counts
 * SYNOPSIS
 *	#include "reference/common/cfgval.h"
 *
 *	int cfg_duration_ms(const char *s, uint64_t unit_ms, uint64_t max_ms,
 *	                    uint64_t *ms_r, char *err, size_t errlen);
 *	int cfg_size(const char *s, uint64_t max, uint64_t *r,
 *	             char *err, size_t errlen);
 *	int cfg_bool(const char *s, int *r, char *err, size_t errlen);
 *	int cfg_uint(const char *s, uint64_t min, uint64_t max, uint64_t *r,
 *	             char *err, size_t errlen);
 * DESCRIPTION
 *	Pure parsers for the value of one setting, from a config file
 *	(cfgfile.h) or a command-line option; the caller prefixes the
 *	error with where the value came from ("a.conf:3: timeout: ...",
 *	"--timeout: ...").
 *
 *	duration := 1*DIGIT [unit]; unit := "ms" / "s" / "m" / "h" / "d"
 *	/ "w" (Postfix's time units plus ms). A bare number counts in
 *	unit_ms milliseconds (1000: seconds, as Postfix; 1: ms; 0: a bare
 *	number is refused).
 *	size := 1*DIGIT [("k" / "m" / "g") ["b"]], binary multiples, case
 *	not significant; a bare number is bytes.
 *	bool := "yes" / "no" / "true" / "false" / "on" / "off" / "1" / "0",
 *	case not significant.
 *	uint := 1*DIGIT within [min, max].
 *	Numbers are decimal, without sign or blanks; at most 20 digits.
 * DIAGNOSTICS
 *	0, or -1 with the reason in err: 'bad duration "5x": expected a
 *	number and a unit ms, s, m, h, d or w', 'duration "9999h" is over
 *	the limit of 86400s', 'bad size "1t": ...', 'size "2g" is over the
 *	limit of 1048576 bytes', 'bad boolean "maybe": expected yes or no',
 *	'"0" is out of range 1-64'.
 */
#ifndef REFERENCE_COMMON_CFGVAL_H
#define REFERENCE_COMMON_CFGVAL_H

#include <stddef.h>
#include <stdint.h>

int cfg_duration_ms(const char *s, uint64_t unit_ms, uint64_t max_ms, uint64_t *ms_r,
		    char *err, size_t errlen);
int cfg_size(const char *s, uint64_t max, uint64_t *r, char *err, size_t errlen);
int cfg_bool(const char *s, int *r, char *err, size_t errlen);
int cfg_uint(const char *s, uint64_t min, uint64_t max, uint64_t *r, char *err, size_t errlen);

#endif
