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
 *
 *	int cfg_argv(const char *buf, size_t len, const char *file,
 *	             int argc, char **argv, cfg_key_fn *key, void *ctx,
 *	             struct cfg_args *out, char *err, size_t errlen);
 *	void cfg_args_free(struct cfg_args *a);
 * DESCRIPTION
 *	Grammar, one statement per line:
 *	  line  := ws* [key ws* "=" ws* value ws*] [ "#" comment ]
 *	  key   := 1*(ALPHA / DIGIT / "-" / "_")
 *	A "#" starts a comment only at the start of a line (after blanks), so
 *	values may contain "#". Blank lines are skipped; a CR before LF is
 *	dropped. A line is at most CFG_MAX_LINE bytes; keys at most 63.
 *	The entry's key and value are copied into e_r (NUL-terminated,
 *	trimmed); e_r->line is the line number for messages about the value.
 *
 *	cfg_argv() turns a daemon's config file into command-line
 *	arguments, so that one option parser serves both: out->argv is
 *	argv[0], then "--key value" (or "--key" for a flag) for each entry
 *	in file order, then argv[1..] without "-c FILE", "--config FILE"
 *	and "--config=FILE" (the command line comes later, so it wins),
 *	then the value of every "listen = SPEC" entry (positional
 *	arguments). key(ctx, name) says what a name is: 1 an option that
 *	takes a value, 0 a flag (its value must be empty or "yes"), -1 not
 *	a setting. The strings cfg_argv made are freed by cfg_args_free();
 *	the others are argv's.
 * DIAGNOSTICS
 *	cfg_next: 1 an entry, 0 end of file, -1 error with "file:line: what"
 *	in err ("missing '='", "bad key", "line too long", "value too long").
 *	cfg_argv: 0, or -1 with cfg_next's errors or "file:line: unknown
 *	setting x", "file:line: x takes no value (or "yes")" (nothing to
 *	free then).
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

struct cfg_args {
	int argc;
	char **argv;		/* argc entries and a NULL */
	char **owned;		/* the strings made from the file */
	size_t nowned;
};

typedef int cfg_key_fn(void *ctx, const char *name);

void cfg_init(struct cfg_iter *it, const char *buf, size_t len, const char *file);
int cfg_next(struct cfg_iter *it, struct cfg_entry *e_r, char *err, size_t errlen);
int cfg_argv(const char *buf, size_t len, const char *file, int argc, char **argv,
	     cfg_key_fn *key, void *ctx, struct cfg_args *out, char *err, size_t errlen);
void cfg_args_free(struct cfg_args *a);

#endif
