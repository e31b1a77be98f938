/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	pf_conf - a Postfix main.cf, read with Postfix's rules (pure)
 * SYNOPSIS
 *	#include "harness/postfix/pf_conf.h"
 *
 *	void pf_conf_init(struct pf_conf *c, const struct pf_version *v);
 *	int pf_conf_parse(struct pf_conf *c, const char *buf, size_t len,
 *	                  char *err, size_t esize);
 *	int pf_conf_set(struct pf_conf *c, const char *nameval,
 *	                char *err, size_t esize);
 *	const char *pf_conf_raw(const struct pf_conf *c, const char *name,
 *	                        enum pf_conf_origin *origin_r);
 *	int pf_conf_expand(const struct pf_conf *c, const char *name,
 *	                   char *out, size_t size);
 *	int pf_conf_expand_text(const struct pf_conf *c, const char *text,
 *	                        char *out, size_t size);
 *	const char *pf_conf_origin_name(enum pf_conf_origin o);
 * DESCRIPTION
 *	The parameters of a main.cf as Postfix reads them
 *	(src/util/readlline.c readllines(), src/util/dict.c
 *	dict_load_fp(), src/util/split_nameval.c, src/util/mac_parse.c
 *	and mac_expand.c), over the defaults of the chosen version.
 *
 *	Lines. A logical line is a line that does not start with
 *	whitespace and every following line that does; the pieces are
 *	joined as they are (no newline, the leading whitespace kept).
 *	Empty, all-whitespace and comment lines (first non-blank "#") are
 *	dropped, also inside a logical line, and do not end it. A logical
 *	line that starts with whitespace (text before any parameter) is
 *	skipped with a warning, as Postfix does. Each logical line is
 *	"name = value": the name ends at whitespace or "=", blanks around
 *	the value are trimmed, a value is cut at a NUL byte. A line
 *	without "=" is an error (Postfix: fatal "missing '=' after
 *	attribute name"). A later entry replaces an earlier one.
 *
 *	pf_conf_set() is "postconf -o name=value" / "smtpd -o": the
 *	value is taken as it is, with whitespace around the name trimmed.
 *
 *	Defaults. pf_conf_init() loads the defaults of version v for the
 *	parameters the oracle uses and those they refer to (the list is
 *	the table in pf_conf.c, with postconf -d's text, version-gated).
 *	A name that is neither set nor in the table has no value:
 *	pf_conf_raw() returns NULL and an expansion that meets it reports
 *	PF_CONF_UNKNOWN (Postfix would know a default this reader does
 *	not).
 *
 *	Expansion. pf_conf_expand() is "postconf -x -h name":
 *	$name, ${name} and $(name), $$ for "$", ${name?text} (text when
 *	name is non-empty), ${name:text} (text when empty), the {text}
 *	forms of 3.0 (${name?{a}:{b}}) and the relational form of 3.3
 *	${{a} OP {b} ? {t} : {f}} with ==, !=, <, <=, >, >= (numbers) and
 *	<level, <=level, >level, >=level (compatibility levels). Values
 *	are expanded recursively, at most PF_CONF_MAX_DEPTH deep.
 * BOUNDS
 *	At most PF_CONF_MAX_PARAMS parameters and PF_CONF_MAX_TEXT bytes
 *	of names and values; an expanded value at most size - 1 bytes.
 * DIAGNOSTICS
 *	pf_conf_parse, pf_conf_set: 0, or -1 with err ("line N: ...").
 *	Warnings (an overriding entry, a line starting with whitespace, a
 *	NUL byte) go to c->warnings ("; "-separated, cut to size).
 *	pf_conf_expand, pf_conf_expand_text: 0 done, or a PF_CONF_*
 *	bit set: PF_CONF_UNKNOWN (a name without value or default, taken
 *	as empty), PF_CONF_TRUNC (cut to size), PF_CONF_BAD (a malformed
 *	or too deep reference); out always terminated.
 */
#ifndef HARNESS_POSTFIX_PF_CONF_H
#define HARNESS_POSTFIX_PF_CONF_H

#include <stddef.h>

#include "harness/postfix/pf_version.h"
#include "util/compiler.h"

#define PF_CONF_MAX_PARAMS	1024
#define PF_CONF_MAX_TEXT	(256 * 1024)
#define PF_CONF_MAX_DEPTH	100
#define PF_CONF_MAX_NAME	100

#define PF_CONF_UNKNOWN		1
#define PF_CONF_TRUNC		2
#define PF_CONF_BAD		4

enum pf_conf_origin {
	PF_CONF_DEFAULT,		/* the version's default */
	PF_CONF_FILE,			/* main.cf */
	PF_CONF_OPTION,			/* -o name=value */
};

struct pf_conf_ent {
	size_t name, value;		/* offsets into text */
	unsigned line;			/* main.cf line, 0 otherwise */
	enum pf_conf_origin origin;
};

struct pf_conf {
	struct pf_version v;
	size_t n;
	struct pf_conf_ent e[PF_CONF_MAX_PARAMS];
	size_t used;
	char text[PF_CONF_MAX_TEXT];
	char warnings[1024];
};

void pf_conf_init(struct pf_conf *c, const struct pf_version *v);
int pf_conf_parse(struct pf_conf *c, const char *buf, size_t len, char *err, size_t esize)
	ATTR_WUR;
int pf_conf_set(struct pf_conf *c, const char *nameval, char *err, size_t esize) ATTR_WUR;
const char *pf_conf_raw(const struct pf_conf *c, const char *name, enum pf_conf_origin *origin_r);
int pf_conf_expand(const struct pf_conf *c, const char *name, char *out, size_t size);
int pf_conf_expand_text(const struct pf_conf *c, const char *text, char *out, size_t size);
const char *pf_conf_origin_name(enum pf_conf_origin o);

#endif
