/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dvauth - Dovecot auth-client protocol lines, both directions
 * SYNOPSIS
 *	#include "proto/dvauth.h"
 *
 *	int dvauth_split(const char *line, size_t len, struct dvauth_fields *f_r,
 *	                 const char **error_r);
 *	int dvauth_parse_server_line(const char *line, size_t len,
 *	                 struct dvauth_server_msg *msg_r, const char **error_r);
 *	int dvauth_parse_client_line(const char *line, size_t len,
 *	                 struct dvauth_client_msg *msg_r, const char **error_r);
 *	int dvauth_parse_client_line_as(const char *line, size_t len,
 *	                 enum dvauth_dialect dialect,
 *	                 struct dvauth_client_msg *msg_r, const char **error_r);
 *	void dvauth_client_params(const struct dvauth_client_msg *m,
 *	                 struct dvauth_param_iter *it);
 *	int dvauth_param_next(struct dvauth_param_iter *it,
 *	                 struct dvauth_param *p_r);
 *	int dvauth_unescape(const char *p, size_t len, struct xbuf *out);
 *	int dvauth_escape(const void *p, size_t len, struct xbuf *out);
 *	int dvauth_mech_flags_parse(const struct strview *words, size_t n,
 *	                 unsigned *flags_r, size_t *unknown_r);
 *	const char *dvauth_mech_flag_name(unsigned flag);
 *	const struct dvauth_param *dvauth_param_find(const struct dvauth_param *p,
 *	                 size_t n, const char *name);   (the last one wins)
 *	(formatters: see below)
 * DESCRIPTION
 *	Framing: one line, without its LF, is passed in; fields are
 *	separated by TAB (0x09); field 0 is the command word, matched
 *	case-sensitively as Dovecot and Postfix do. At most DVAUTH_MAX_FIELDS
 *	fields; a line with more is an error. A line is at most
 *	DVAUTH_MAX_LINE - 1 bytes (Dovecot's 16384-byte buffer holds the LF
 *	too); the parsers do not check this, the framing layer does.
 *
 *	Server lines (server -> client), strictly as Dovecot emits them:
 *	  VERSION TAB major TAB minor
 *	  MECH TAB name *(TAB flag)      flag: private anonymous plaintext
 *	                                 dictionary active forward-secrecy
 *	                                 mutual-auth channel-binding
 *	  SPID TAB pid    CUID TAB uid   COOKIE TAB hex    DONE
 *	  OK TAB id *(TAB param)         param := name ["=" value]
 *	  FAIL TAB id *(TAB param)
 *	  CONT TAB id TAB data           data may be empty
 *	  CANCELLED TAB id
 *	Numbers are strict decimal (str_to_uint). Anything else parses as
 *	DVAUTH_UNKNOWN with the fields available; a known word with a bad
 *	argument list is an error (-1) with the reason in *error_r. Postfix
 *	is more lenient than this parser; its reading of server lines is
 *	modelled by the harness's oracle, not here.
 *
 *	Client lines (client -> server), as Dovecot's server reads them:
 *	  VERSION TAB major TAB minor    CPID TAB pid
 *	  AUTH TAB id TAB mech *(TAB param)
 *	  CONT TAB id TAB data           CANCEL TAB id
 *	For AUTH, params are listed in order; resp= is reported separately
 *	(has_resp, resp) and params_after_resp counts what follows it
 *	(Dovecot disconnects when it is non-zero). CONT without a data field
 *	is reported with has_data = 0 (Dovecot disconnects).
 *
 *	All strviews point into the caller's line and are valid while it
 *	is. Values are returned still escaped: dvauth_unescape() decodes
 *	them.
 *
 *	Dialects (dvauth_parse_client_line_as): DVAUTH_STRICT is the
 *	grammar above (dvauth_parse_client_line). DVAUTH_DOVECOT23 reads a
 *	client line exactly as Dovecot 2.3's auth server does
 *	(auth-client-connection.c auth_client_input and
 *	auth_client_handle_line, auth-request-handler.c), which differs:
 *	  - a command is its word and a TAB ("AUTH\t", "CONT\t",
 *	    "CANCEL\t", "VERSION\t", "CPID\t"): a bare "AUTH" is
 *	    DVAUTH_UNKNOWN (0), not a broken AUTH (-1);
 *	  - CPID and CANCEL take exactly one number: "CPID\t5\tx" is -1;
 *	  - CONT's data is everything after the TAB that ends the id, TABs
 *	    included (extra_fields is 0); CONT without that TAB is -1;
 *	  - AUTH has no field limit (bounded by the line) and every field
 *	    is tab-unescaped and then cut at its first NUL
 *	    (t_strsplit_tabescaped): the id is read after unescaping, and
 *	    mech, parameter names and values (resp too) come back
 *	    unescaped, in msg_r->text;
 *	  - a line must be shorter than DVAUTH_MAX_LINE (-1).
 *	VERSION reads the same. DVAUTH_DOVECOT24 reads as DVAUTH_DOVECOT23
 *	but where Dovecot 2.4 (which splits the whole line into
 *	tab-unescaped fields first, connection_input_line_default) differs
 *	in what a client sees: the command is the first field, so a bare
 *	word ("CPID", "AUTH", "CONT", "CANCEL", "VERSION") is that command
 *	without arguments (-1), and CPID and CANCEL read their first
 *	argument field, tab-unescaped, as the number and ignore any field
 *	after it ("CPID\t5\tx" is pid 5). CONT and AUTH are read as in
 *	DVAUTH_DOVECOT23 (2.4 also unescapes CONT's data and splits it at
 *	TABs; not modelled). NUL bytes elsewhere are data in all (the
 *	caller frames lines by length). In these dialects params[] is not
 *	filled: nparams counts the parameters and dvauth_client_params()
 *	walks them. fuzz/fuzz_proto_readers feeds the same lines to the
 *	dialects and checks that they differ only in these ways (and the
 *	server lines against the harness's Postfix reading, pf_auth.h).
 *
 *	dvauth_client_params() starts an iterator over an AUTH message's
 *	parameters (those before resp=), in any dialect;
 *	dvauth_param_next() gives the next one (1) or says there is none
 *	(0).
 *
 *	Tab-escaping (Dovecot str_append_tabescaped_n / str_tabunescape):
 *	escape writes 0x01 -> 0x01 '1', TAB -> 0x01 't', CR -> 0x01 'r',
 *	LF -> 0x01 'n', NUL -> 0x01 '0'; every other byte (backslash too) is
 *	itself. Unescape maps 0x01 followed by '0' '1' 't' 'r' 'n' back; 0x01
 *	followed by any other byte yields that byte; a lone 0x01 at the end
 *	ends the value (it is dropped).
 *
 *	Formatters append one complete line, with its LF, to an xbuf. They
 *	write the values they are given verbatim (Postfix never escapes);
 *	callers that want Dovecot's behaviour escape first with
 *	dvauth_escape().
 * DIAGNOSTICS
 *	Parsers: 0 parsed; -1 malformed, *error_r a static string.
 *	dvauth_split: -1 only when there are too many fields.
 *	dvauth_parse_client_line_as: as dvauth_parse_client_line.
 *	Formatters and escape/unescape: 0, or -1 when out's bound is hit.
 */
#ifndef LIB_PROTO_DVAUTH_H
#define LIB_PROTO_DVAUTH_H

#include <stddef.h>

#include "util/compiler.h"
#include "util/strview.h"
#include "util/xbuf.h"

#define DVAUTH_MAX_LINE		16384	/* Dovecot AUTH_CLIENT_MAX_LINE_LENGTH, incl. LF */
#define DVAUTH_MAX_FIELDS	256
#define DVAUTH_MAX_PARAMS	(DVAUTH_MAX_FIELDS - 3)

/* MECH flags, in the order Dovecot emits them (auth-sasl.c) */
#define DVAUTH_MECH_PRIVATE		0x01u
#define DVAUTH_MECH_ANONYMOUS		0x02u
#define DVAUTH_MECH_PLAINTEXT		0x04u
#define DVAUTH_MECH_DICTIONARY		0x08u
#define DVAUTH_MECH_ACTIVE		0x10u
#define DVAUTH_MECH_FORWARD_SECRECY	0x20u
#define DVAUTH_MECH_MUTUAL_AUTH		0x40u
#define DVAUTH_MECH_CHANNEL_BINDING	0x80u

enum dvauth_cmd {
	DVAUTH_UNKNOWN = 0,
	/* server -> client */
	DVAUTH_VERSION,		/* also client -> server */
	DVAUTH_MECH,
	DVAUTH_SPID,
	DVAUTH_CUID,
	DVAUTH_COOKIE,
	DVAUTH_DONE,
	DVAUTH_OK,
	DVAUTH_FAIL,
	DVAUTH_CONT,		/* also client -> server */
	DVAUTH_CANCELLED,
	/* client -> server */
	DVAUTH_CPID,
	DVAUTH_AUTH,
	DVAUTH_CANCEL,
};

struct dvauth_fields {
	size_t n;
	struct strview f[DVAUTH_MAX_FIELDS];
};

struct dvauth_param {
	struct strview name;
	struct strview value;	/* escaped; empty when !has_value */
	int has_value;		/* "name=value" (1) or bare "name" (0) */
};

struct dvauth_server_msg {
	enum dvauth_cmd cmd;
	struct dvauth_fields fields;	/* the raw split, always filled */
	unsigned int major, minor;	/* VERSION */
	struct strview mech;		/* MECH name */
	unsigned mech_flags;		/* MECH known flags */
	size_t mech_unknown_flags;	/* MECH flags not recognised */
	unsigned long num;		/* SPID, CUID */
	struct strview cookie;		/* COOKIE */
	unsigned int id;		/* OK FAIL CONT CANCELLED */
	struct strview data;		/* CONT data (may be empty) */
	size_t nparams;			/* OK FAIL */
	struct dvauth_param params[DVAUTH_MAX_PARAMS];
};

enum dvauth_dialect {
	DVAUTH_STRICT,		/* the grammar above */
	DVAUTH_DOVECOT23,	/* as Dovecot 2.3's auth server reads client lines */
	DVAUTH_DOVECOT24,	/* as Dovecot 2.4's, where this codec models it */
};

struct dvauth_client_msg {
	enum dvauth_cmd cmd;
	struct dvauth_fields fields;
	unsigned int major, minor;	/* VERSION */
	unsigned long pid;		/* CPID */
	unsigned int id;		/* AUTH CONT CANCEL */
	struct strview mech;		/* AUTH */
	size_t nparams;			/* AUTH, excluding resp= */
	struct dvauth_param params[DVAUTH_MAX_PARAMS];
	int has_resp;			/* AUTH had resp= */
	struct strview resp;		/* AUTH resp= value (escaped) */
	size_t params_after_resp;	/* AUTH fields after resp= */
	int has_data;			/* CONT had a data field */
	struct strview data;		/* CONT data (escaped) */
	size_t extra_fields;		/* CONT fields after data */
	/* AUTH parameter fields before resp=, for dvauth_client_params() */
	struct strview pfields;		/* nparams fields separated by psep */
	char psep;
	char text[DVAUTH_MAX_LINE];	/* DVAUTH_DOVECOT23: AUTH's unescaped fields */
};

struct dvauth_param_iter {
	const char *p, *end;
	char sep;
	size_t left;
};

int dvauth_split(const char *line, size_t len, struct dvauth_fields *f_r,
		 const char **error_r) ATTR_WUR;
int dvauth_parse_server_line(const char *line, size_t len,
			     struct dvauth_server_msg *msg_r,
			     const char **error_r) ATTR_WUR;
int dvauth_parse_client_line(const char *line, size_t len,
			     struct dvauth_client_msg *msg_r,
			     const char **error_r) ATTR_WUR;
int dvauth_parse_client_line_as(const char *line, size_t len,
				enum dvauth_dialect dialect,
				struct dvauth_client_msg *msg_r,
				const char **error_r) ATTR_WUR;
void dvauth_client_params(const struct dvauth_client_msg *m,
			  struct dvauth_param_iter *it);
int dvauth_param_next(struct dvauth_param_iter *it, struct dvauth_param *p_r);
int dvauth_unescape(const char *p, size_t len, struct xbuf *out) ATTR_WUR;
int dvauth_escape(const void *p, size_t len, struct xbuf *out) ATTR_WUR;
int dvauth_mech_flags_parse(const struct strview *words, size_t n,
			    unsigned *flags_r, size_t *unknown_r);
const char *dvauth_mech_flag_name(unsigned flag);
const struct dvauth_param *dvauth_param_find(const struct dvauth_param *p,
					     size_t n, const char *name);

/* Formatters: each appends one line with its trailing LF. */
int dvauth_format_version(struct xbuf *out, unsigned major, unsigned minor) ATTR_WUR;
int dvauth_format_cpid(struct xbuf *out, unsigned long pid) ATTR_WUR;
int dvauth_format_mech(struct xbuf *out, const char *name, unsigned flags) ATTR_WUR;
int dvauth_format_spid(struct xbuf *out, unsigned long pid) ATTR_WUR;
int dvauth_format_cuid(struct xbuf *out, unsigned long cuid) ATTR_WUR;
int dvauth_format_cookie(struct xbuf *out, const char *hex) ATTR_WUR;
int dvauth_format_done(struct xbuf *out) ATTR_WUR;
/* AUTH id mech params... [resp=]; resp NULL = no resp= field */
int dvauth_format_auth(struct xbuf *out, unsigned id, const char *mech,
		       const struct dvauth_param *params, size_t nparams,
		       const char *resp, size_t resp_len) ATTR_WUR;
int dvauth_format_cont(struct xbuf *out, unsigned id, const char *data,
		       size_t len) ATTR_WUR;
int dvauth_format_cancel(struct xbuf *out, unsigned id) ATTR_WUR;
/* OK/FAIL id params... (params verbatim: escape values first) */
int dvauth_format_ok(struct xbuf *out, unsigned id,
		     const struct dvauth_param *params, size_t nparams) ATTR_WUR;
int dvauth_format_fail(struct xbuf *out, unsigned id,
		       const struct dvauth_param *params, size_t nparams) ATTR_WUR;
int dvauth_format_cancelled(struct xbuf *out, unsigned id) ATTR_WUR;

/* dvauth_param_str - a parameter from C strings (value NULL = bare) */
static inline struct dvauth_param dvauth_param_str(const char *name, const char *value)
{
	struct dvauth_param p;

	p.name = strview_make(name, strlen(name));
	p.has_value = value != NULL;
	p.value = value ? strview_make(value, strlen(value)) : strview_make("", 0);
	return p;
}

#endif
