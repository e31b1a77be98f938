/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	options - ref-authd option values: durations, socket modes, owners
 * SYNOPSIS
 *	#include "reference/authd/options.h"
 *
 *	int authd_duration_parse(const char *s, uint64_t *ms_r);
 *	int authd_mode_parse(const char *s, unsigned *mode_r);
 *	int authd_owner_split(const char *s, char *user, size_t usize,
 *	                      char *group, size_t gsize);
 * DESCRIPTION
 *	Pure parsers for command-line and config-file values.
 *
 *	duration := digits [ws] [unit]
 *	unit     := "ms" | "msec" | "msecs" | "s" | "sec" | "secs" |
 *	            "second" | "seconds" | "m" | "min" | "mins" |
 *	            "minute" | "minutes" | "h" | "hour" | "hours"
 *	A number without a unit is milliseconds (ref-authd's options have
 *	always been in ms). At most one day (86400000 ms); units are
 *	case-insensitive; "2s", "2 secs", "2000" and "2000ms" are equal.
 *
 *	mode := 1..4 octal digits, 1 .. 0777 (a unix socket's permissions).
 *
 *	owner := user [":" group]; each part 1..63 bytes without ":".
 * DIAGNOSTICS
 *	0 parsed, -1 malformed or out of range (outputs untouched).
 */
#ifndef REFERENCE_AUTHD_OPTIONS_H
#define REFERENCE_AUTHD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define AUTHD_DURATION_MAX_MS	86400000ULL

int authd_duration_parse(const char *s, uint64_t *ms_r);
int authd_mode_parse(const char *s, unsigned *mode_r);
int authd_owner_split(const char *s, char *user, size_t usize, char *group, size_t gsize);

#endif
