/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	cfgfile - "key = value" configuration files, iterator style
 * SYNOPSIS
 *	#include "reference/common/cfgfile.h"
 *
 *	void cfg_init(struct cfg_iter *it, const char *buf, size_t len,
 *	              const char *file);
 *	int cfg_next(struct cfg_iter *it, struct cfg_entry *e_r,
 *	             char *err, size_t errlen);
 * DESCRIPTION
 *	Grammar, one statement per line:
 *	  line  := ws* [key ws* "=" ws* value ws*] [ "#" comment ]
 *	  key   := 1*(ALPHA / DIGIT / "-" / "_")
 *	A "#" starts a comment only at the start of a line (after blanks), so
 *	values may contain "#". Blank lines are skipped; a CR before LF is
 *	dropped. A line is at most CFG_MAX_LINE bytes; keys at most 63.
 *	The entry's key and value are copied into e_r (NUL-terminated,
 *	trimmed); e_r->line is the line number for messages about the value.
 * DIAGNOSTICS
 *	cfg_next: 1 an entry, 0 end of file, -1 error with "file:line: what"
 *	in err ("missing '='", "bad key", "line too long", "value too long").
 */
#ifndef REFERENCE_COMMON_CFGFILE_H
#define REFERENCE_COMMON_CFGFILE_H

#include <stddef.h>

#define CFG_MAX_LINE	4096

struct cfg_iter {
	const char *buf;
	size_t len, pos;
	unsigned line;
	const char *file;
};

struct cfg_entry {
	char key[64];
	char value[CFG_MAX_LINE];
	unsigned line;
};

void cfg_init(struct cfg_iter *it, const char *buf, size_t len, const char *file);
int cfg_next(struct cfg_iter *it, struct cfg_entry *e_r, char *err, size_t errlen);

#endif
