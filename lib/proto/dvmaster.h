/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dvmaster - Dovecot auth-userdb (master protocol) lines
 * SYNOPSIS
 *	#include "proto/dvmaster.h"
 *
 *	int dvmaster_parse_version(const char *line, size_t len,
 *	                 enum dvmaster_dialect d, const char **error_r);
 *	int dvmaster_parse_request(const char *line, size_t len,
 *	                 enum dvmaster_dialect d, struct dvmaster_request *r,
 *	                 const char **error_r);
 *	int dvmaster_format_handshake(struct xbuf *out, unsigned minor,
 *	                 unsigned long spid);
 *	int dvmaster_format_user(struct xbuf *out, enum dvmaster_dialect d,
 *	                 unsigned id, const char *user,
 *	                 const struct dvmaster_field *f, size_t n);
 *	int dvmaster_format_notfound(struct xbuf *out, unsigned id);
 *	int dvmaster_format_fail(struct xbuf *out, unsigned id);
 *	int dvmaster_format_pass_unsupported(struct xbuf *out, unsigned id);
 *	int dvmaster_format_list_fail(struct xbuf *out, unsigned id);
 * DESCRIPTION
 *	The lines of Dovecot's auth-userdb socket, as its auth server reads
 *	and writes them (src/auth/auth-master-connection.c, 2.3 and 2.4):
 *
 *	  S: VERSION TAB 1 TAB minor      S: SPID TAB pid     (on connect)
 *	  C: VERSION TAB 1 TAB minor      (first)
 *	  C: USER TAB id TAB user *(TAB name["=" value])
 *	  S: USER TAB id TAB user *(TAB field) | NOTFOUND TAB id | FAIL TAB id
 *	  C: LIST TAB id *(TAB param)     C: PASS TAB id TAB user *(TAB param)
 *
 *	A line is a C string to Dovecot: it ends at its first NUL byte.
 *	Lines are at most DVMASTER_MAX_LINE - 1 bytes (the framing layer
 *	checks). Fields are tab-unescaped (dvauth.h) and each is cut at its
 *	first NUL; numbers are strict decimal (str_to_uint).
 *
 *	Dialects differ in what they accept and in their words:
 *	  DVMASTER_DOVECOT23 (2.3): the first line must start "VERSION\t"
 *	    and its next field be the number 1 (the minor may be absent);
 *	    a command is its word and a TAB ("USER\t"): a bare "USER" is
 *	    an unknown command. A request needs service=.
 *	  DVMASTER_DOVECOT24 (2.4, lib/connection.c): the line is split
 *	    first; an empty line ends the connection; VERSION must be
 *	    exactly three fields, two numbers, major 1; a bare "USER" is a
 *	    broken USER. A request needs protocol= (service= counts too).
 *
 *	dvmaster_parse_version() checks the client's first line.
 *	dvmaster_parse_request() reads one later line: USER and PASS need
 *	an id and a user; LIST an id. r->user points into r->text.
 *
 *	Formatters append whole lines with their LF. dvmaster_format_user
 *	tab-escapes the user and the values; a field whose value is ""
 *	is written as the bare name by 2.3 (auth_fields_add keeps no empty
 *	value) and as "name=" by 2.4; 2.3 writes a TAB after the user even
 *	when no field follows. The other formatters write Dovecot's
 *	answers: NOTFOUND, FAIL, the PASS reply of a server whose passdbs
 *	do not support credentials lookups, and the LIST reply of one whose
 *	userdbs cannot be iterated.
 * DIAGNOSTICS
 *	Parsers: 0, or -1 when Dovecot closes the connection, with its log
 *	text (a static string) in *error_r; for an unknown command the
 *	line itself follows that text in Dovecot's log.
 *	Formatters: 0, or -1 when out's bound is hit.
 */
#ifndef LIB_PROTO_DVMASTER_H
#define LIB_PROTO_DVMASTER_H

#include <stddef.h>

#include "util/compiler.h"
#include "util/xbuf.h"

#define DVMASTER_MAX_LINE	1024	/* MAX_INBUF_SIZE of the master socket, incl. LF */
#define DVMASTER_MINOR_23	1	/* AUTH_MASTER_PROTOCOL_MINOR_VERSION */

enum dvmaster_dialect {
	DVMASTER_DOVECOT23,
	DVMASTER_DOVECOT24,
};

enum dvmaster_cmd {
	DVMASTER_USER = 1,
	DVMASTER_LIST,
	DVMASTER_PASS,
};

struct dvmaster_request {
	enum dvmaster_cmd cmd;
	unsigned id;
	const char *user;		/* USER, PASS: unescaped, in text */
	int has_service;		/* service= (2.4: or protocol=) was given */
	char text[DVMASTER_MAX_LINE];
};

struct dvmaster_field {
	const char *name;
	const char *value;		/* "" for none */
};

int dvmaster_parse_version(const char *line, size_t len, enum dvmaster_dialect d,
			   const char **error_r) ATTR_WUR;
int dvmaster_parse_request(const char *line, size_t len, enum dvmaster_dialect d,
			   struct dvmaster_request *r, const char **error_r) ATTR_WUR;

int dvmaster_format_handshake(struct xbuf *out, unsigned minor, unsigned long spid) ATTR_WUR;
int dvmaster_format_user(struct xbuf *out, enum dvmaster_dialect d, unsigned id,
			 const char *user, const struct dvmaster_field *f, size_t n) ATTR_WUR;
int dvmaster_format_notfound(struct xbuf *out, unsigned id) ATTR_WUR;
int dvmaster_format_fail(struct xbuf *out, unsigned id) ATTR_WUR;
int dvmaster_format_pass_unsupported(struct xbuf *out, unsigned id) ATTR_WUR;
int dvmaster_format_list_fail(struct xbuf *out, unsigned id) ATTR_WUR;

#endif
