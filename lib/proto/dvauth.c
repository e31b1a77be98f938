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
 *	int dvauth_unescape(const char *p, size_t len, struct xbuf *out);
 *	int dvauth_escape(const void *p, size_t len, struct xbuf *out);
 *	int dvauth_mech_flags_parse(const struct strview *words, size_t n,
 *	                 unsigned *flags_r, size_t *unknown_r);
 *	const char *dvauth_mech_flag_name(unsigned flag);
 *	const struct dvauth_param *dvauth_param_find(...);
 *	int dvauth_format_<word>(struct xbuf *out, ...);
 * DESCRIPTION
 *	One line, without its LF, is split at every TAB:
 *	  line := field *(TAB field)    field := *(any byte but TAB)
 *	at most DVAUTH_MAX_FIELDS fields. An empty line is one empty
 *	field. Field 0 is the command word, compared case-sensitively.
 *
 *	Server lines, as Dovecot's own client (lib-auth-client) accepts
 *	what Dovecot's server emits; field counts are exact where the
 *	server always sends a fixed number:
 *	  "VERSION" TAB uint TAB uint                 (3 fields)
 *	  "MECH" TAB name *(TAB flag)                 name not empty
 *	  "SPID" TAB uint   "CUID" TAB uint           (2 fields)
 *	  "COOKIE" TAB 1*HEXDIG                       (2 fields)
 *	  "DONE"                                      (1 field)
 *	  "OK"|"FAIL" TAB uint *(TAB param)           at most DVAUTH_MAX_PARAMS
 *	  "CONT" TAB uint TAB data *(TAB field)       2.4 may append
 *	                                              channel_binding=
 *	  "CANCELLED" TAB uint                        (2 fields)
 *	  param := name ["=" value]   (split at the first "=")
 *	uint is str_to_uint(): 1*DIGIT, no sign, no space, fits 32 bits.
 *	MECH flags are matched ASCII case-insensitively and unknown ones
 *	counted (Postfix's name_mask reading; Dovecot emits lower case).
 *
 *	Client lines, as Dovecot's server reads them
 *	(auth-client-connection.c, auth-request-handler.c):
 *	  "VERSION" TAB uint TAB uint    exactly 3 fields
 *	  "CPID" TAB uint                pid 0 is an error (Dovecot: "said
 *	                                 it's PID 0", disconnect)
 *	  "AUTH" TAB uint TAB mech *(TAB param)
 *	                                 id 0 is an error ("broken AUTH
 *	                                 request"); "resp" (with or without
 *	                                 "=") is the initial response and
 *	                                 every field after it is counted in
 *	                                 params_after_resp
 *	  "CONT" TAB uint [TAB data *(TAB field)]
 *	                                 id 0 parses (Dovecot answers it
 *	                                 as an unknown id); a missing data
 *	                                 field gives has_data = 0
 *	  "CANCEL" TAB uint
 *	Any other word is DVAUTH_UNKNOWN (Dovecot disconnects on it).
 *
 *	The DVAUTH_DOVECOT23 dialect of client lines (dvauth.h) does not
 *	split the whole line: it recognises "WORD" TAB, then reads the
 *	arguments as each Dovecot 2.3 handler does: numbers over the rest
 *	of the line, CONT data raw after the id's TAB, AUTH split at every
 *	TAB with each field unescaped and cut at a NUL into msg->text as
 *	NUL-terminated strings (when the arguments hold no 0x01 and no NUL
 *	the fields are the line's own, TAB-separated).
 *
 *	Tab-escaping follows Dovecot's str_append_tabescaped_n() and
 *	str_append_tabunescaped() byte for byte (see dvauth.h).
 *
 *	Formatters build exactly the lines above, with LF, and write
 *	values verbatim. Escaping and formatting are all or nothing: on
 *	-1 the output buffer is as it was.
 * DIAGNOSTICS
 *	Parsers return 0 or -1 with *error_r a static string naming the
 *	command and the fault. Nothing is logged.
 * SEE ALSO
 *	protocols.md A.1-A.6; Dovecot src/lib/strescape.c,
 *	src/lib-auth-client/auth-client-connection.c,
 *	src/auth/auth-request-handler.c.
 */
#include <string.h>

#include "proto/dvauth.h"
#include "util/strnum.h"

#define DVAUTH_ESC	'\001'

/* Flag names, indexed by bit number, in Dovecot's emission order. */
static const char *const dvauth_flag_names[] = {
	"private", "anonymous", "plaintext", "dictionary", "active",
	"forward-secrecy", "mutual-auth", "channel-binding",
};

/* dvauth_split - split one line at TAB */
int dvauth_split(const char *line, size_t len, struct dvauth_fields *f_r,
		 const char **error_r)
{
	const char *p = line;
	const char *end = line + len;
	const char *tab;

	f_r->n = 0;
	for (;;) {
		if (f_r->n == DVAUTH_MAX_FIELDS) {
			*error_r = "too many fields";
			return -1;
		}
		tab = p < end ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		if (tab == NULL) {
			f_r->f[f_r->n++] = strview_make(p, (size_t)(end - p));
			return 0;
		}
		f_r->f[f_r->n++] = strview_make(p, (size_t)(tab - p));
		p = tab + 1;
	}
}

/* dvauth_param_parse - one "name[=value]" field */
static void dvauth_param_parse(struct strview field, struct dvauth_param *p)
{
	const char *eq = field.len > 0 ? memchr(field.p, '=', field.len) : NULL;

	if (eq == NULL) {
		p->name = field;
		p->value = strview_make(field.p + field.len, 0);
		p->has_value = 0;
	} else {
		p->name = strview_make(field.p, (size_t)(eq - field.p));
		p->value = strview_make(eq + 1,
					field.len - p->name.len - 1);
		p->has_value = 1;
	}
}

/* dvauth_uint - strict decimal field */
static int dvauth_uint(struct strview v, unsigned int *num_r)
{
	return str_to_uint(v.p, v.len, num_r);
}

/* dvauth_is_hex - 1*HEXDIG */
static int dvauth_is_hex(struct strview v)
{
	size_t i;

	if (v.len == 0)
		return 0;
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* dvauth_mech_flags_parse - known flag words to bits, others counted */
int dvauth_mech_flags_parse(const struct strview *words, size_t n,
			    unsigned *flags_r, size_t *unknown_r)
{
	unsigned flags = 0;
	size_t unknown = 0;
	size_t i, b;

	for (i = 0; i < n; i++) {
		for (b = 0; b < N_ELEMENTS(dvauth_flag_names); b++) {
			if (strview_caseeq(words[i], dvauth_flag_names[b]))
				break;
		}
		if (b < N_ELEMENTS(dvauth_flag_names))
			flags |= 1u << b;
		else
			unknown++;
	}
	*flags_r = flags;
	*unknown_r = unknown;
	return 0;
}

/* dvauth_mech_flag_name - wire name of one flag bit, NULL if none */
const char *dvauth_mech_flag_name(unsigned flag)
{
	size_t b;

	for (b = 0; b < N_ELEMENTS(dvauth_flag_names); b++) {
		if (flag == 1u << b)
			return dvauth_flag_names[b];
	}
	return NULL;
}

/* dvauth_param_find - the last parameter with this name */
const struct dvauth_param *dvauth_param_find(const struct dvauth_param *p,
					     size_t n, const char *name)
{
	const struct dvauth_param *found = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strview_eq(p[i].name, name))
			found = &p[i];
	}
	return found;
}

/* dvauth_server_params - OK/FAIL parameters from field 2 on */
static int dvauth_server_params(struct dvauth_server_msg *m,
				const char **error_r)
{
	size_t i;

	if (m->fields.n - 2 > DVAUTH_MAX_PARAMS) {
		*error_r = "too many parameters";
		return -1;
	}
	for (i = 2; i < m->fields.n; i++)
		dvauth_param_parse(m->fields.f[i], &m->params[m->nparams++]);
	return 0;
}

/* dvauth_parse_server_line - one line from the auth server */
int dvauth_parse_server_line(const char *line, size_t len,
			     struct dvauth_server_msg *msg_r,
			     const char **error_r)
{
	struct dvauth_fields *f = &msg_r->fields;
	struct strview w;
	unsigned int num;

	msg_r->cmd = DVAUTH_UNKNOWN;
	msg_r->major = msg_r->minor = 0;
	msg_r->mech = msg_r->cookie = msg_r->data = strview_make(line, 0);
	msg_r->mech_flags = 0;
	msg_r->mech_unknown_flags = 0;
	msg_r->num = 0;
	msg_r->id = 0;
	msg_r->nparams = 0;
	if (dvauth_split(line, len, f, error_r) < 0)
		return -1;
	w = f->f[0];

	if (strview_eq(w, "VERSION")) {
		msg_r->cmd = DVAUTH_VERSION;
		if (f->n != 3 || dvauth_uint(f->f[1], &msg_r->major) < 0 ||
		    dvauth_uint(f->f[2], &msg_r->minor) < 0) {
			*error_r = "VERSION: want two decimal numbers";
			return -1;
		}
	} else if (strview_eq(w, "MECH")) {
		msg_r->cmd = DVAUTH_MECH;
		if (f->n < 2 || f->f[1].len == 0) {
			*error_r = "MECH: missing mechanism name";
			return -1;
		}
		msg_r->mech = f->f[1];
		(void)dvauth_mech_flags_parse(f->f + 2, f->n - 2,
					      &msg_r->mech_flags,
					      &msg_r->mech_unknown_flags);
	} else if (strview_eq(w, "SPID") || strview_eq(w, "CUID")) {
		msg_r->cmd = w.p[0] == 'S' ? DVAUTH_SPID : DVAUTH_CUID;
		if (f->n != 2 || dvauth_uint(f->f[1], &num) < 0) {
			*error_r = msg_r->cmd == DVAUTH_SPID ?
			    "SPID: want one decimal number" :
			    "CUID: want one decimal number";
			return -1;
		}
		msg_r->num = num;
	} else if (strview_eq(w, "COOKIE")) {
		msg_r->cmd = DVAUTH_COOKIE;
		if (f->n != 2 || !dvauth_is_hex(f->f[1])) {
			*error_r = "COOKIE: want one hex string";
			return -1;
		}
		msg_r->cookie = f->f[1];
	} else if (strview_eq(w, "DONE")) {
		msg_r->cmd = DVAUTH_DONE;
		if (f->n != 1) {
			*error_r = "DONE: unexpected arguments";
			return -1;
		}
	} else if (strview_eq(w, "OK") || strview_eq(w, "FAIL")) {
		msg_r->cmd = w.p[0] == 'O' ? DVAUTH_OK : DVAUTH_FAIL;
		if (f->n < 2 || dvauth_uint(f->f[1], &msg_r->id) < 0) {
			*error_r = msg_r->cmd == DVAUTH_OK ?
			    "OK: missing or bad request id" :
			    "FAIL: missing or bad request id";
			return -1;
		}
		return dvauth_server_params(msg_r, error_r);
	} else if (strview_eq(w, "CONT")) {
		msg_r->cmd = DVAUTH_CONT;
		if (f->n < 2 || dvauth_uint(f->f[1], &msg_r->id) < 0) {
			*error_r = "CONT: missing or bad request id";
			return -1;
		}
		if (f->n < 3) {
			*error_r = "CONT: missing data field";
			return -1;
		}
		msg_r->data = f->f[2];
	} else if (strview_eq(w, "CANCELLED")) {
		msg_r->cmd = DVAUTH_CANCELLED;
		if (f->n != 2 || dvauth_uint(f->f[1], &msg_r->id) < 0) {
			*error_r = "CANCELLED: want one request id";
			return -1;
		}
	}
	return 0;
}

/* dvauth_client_auth - "AUTH" id mech params... */
static int dvauth_client_auth(struct dvauth_client_msg *m, const char **error_r)
{
	const struct dvauth_fields *f = &m->fields;
	struct dvauth_param p;
	size_t i;

	if (f->n < 3 || dvauth_uint(f->f[1], &m->id) < 0 || m->id == 0) {
		*error_r = "AUTH: missing or bad request id, or no mechanism";
		return -1;
	}
	m->mech = f->f[2];
	for (i = 3; i < f->n; i++) {
		dvauth_param_parse(f->f[i], &p);
		if (strview_eq(p.name, "resp")) {
			m->has_resp = 1;
			m->resp = p.value;
			m->params_after_resp = f->n - i - 1;
			break;
		}
		/* f->n <= DVAUTH_MAX_FIELDS, so this fits DVAUTH_MAX_PARAMS */
		m->params[m->nparams++] = p;
	}
	if (m->nparams > 0)
		m->pfields = strview_make(f->f[3].p, (size_t)(f->f[i - 1].p + f->f[i - 1].len -
							       f->f[3].p));
	return 0;
}

/* dvauth_client_reset - nothing read yet (every view empty, at line) */
static void dvauth_client_reset(struct dvauth_client_msg *m, const char *line)
{
	m->cmd = DVAUTH_UNKNOWN;
	m->major = m->minor = 0;
	m->pid = 0;
	m->id = 0;
	m->mech = m->resp = m->data = m->pfields = strview_make(line, 0);
	m->psep = '\t';
	m->nparams = 0;
	m->has_resp = 0;
	m->params_after_resp = 0;
	m->has_data = 0;
	m->extra_fields = 0;
}

/* dvauth_parse_client_line - one line from an auth client */
int dvauth_parse_client_line(const char *line, size_t len,
			     struct dvauth_client_msg *msg_r,
			     const char **error_r)
{
	struct dvauth_fields *f = &msg_r->fields;
	struct strview w;
	unsigned int num;

	dvauth_client_reset(msg_r, line);
	if (dvauth_split(line, len, f, error_r) < 0)
		return -1;
	w = f->f[0];

	if (strview_eq(w, "VERSION")) {
		msg_r->cmd = DVAUTH_VERSION;
		if (f->n != 3 || dvauth_uint(f->f[1], &msg_r->major) < 0 ||
		    dvauth_uint(f->f[2], &msg_r->minor) < 0) {
			*error_r = "VERSION: want two decimal numbers";
			return -1;
		}
	} else if (strview_eq(w, "CPID")) {
		msg_r->cmd = DVAUTH_CPID;
		if (f->n < 2 || dvauth_uint(f->f[1], &num) < 0 || num == 0) {
			*error_r = "CPID: missing, bad or zero pid";
			return -1;
		}
		msg_r->pid = num;
	} else if (strview_eq(w, "AUTH")) {
		msg_r->cmd = DVAUTH_AUTH;
		return dvauth_client_auth(msg_r, error_r);
	} else if (strview_eq(w, "CONT")) {
		msg_r->cmd = DVAUTH_CONT;
		if (f->n < 2 || dvauth_uint(f->f[1], &msg_r->id) < 0) {
			*error_r = "CONT: missing or bad request id";
			return -1;
		}
		if (f->n >= 3) {
			msg_r->has_data = 1;
			msg_r->data = f->f[2];
			msg_r->extra_fields = f->n - 3;
		}
	} else if (strview_eq(w, "CANCEL")) {
		msg_r->cmd = DVAUTH_CANCEL;
		if (f->n < 2 || dvauth_uint(f->f[1], &msg_r->id) < 0) {
			*error_r = "CANCEL: missing or bad request id";
			return -1;
		}
	}
	return 0;
}

/* dvauth_unescaped - the byte 0x01 followed by c stands for */
static char dvauth_unescaped(char c)
{
	switch (c) {
	case '0': return '\0';
	case '1': return '\001';
	case 't': return '\t';
	case 'r': return '\r';
	case 'n': return '\n';
	default: return c;
	}
}

/*
 * The DVAUTH_DOVECOT23 dialect: client lines read as Dovecot 2.3's auth
 * server reads them (see dvauth.h for where that differs).
 */

/* dvauth_d23_word - "WORD" TAB at the start: the command and where its arguments start */
static enum dvauth_cmd dvauth_d23_word(const char *line, size_t len, size_t *args_r)
{
	static const struct {
		const char *word;
		enum dvauth_cmd cmd;
	} words[] = {
		{ "AUTH\t", DVAUTH_AUTH }, { "CONT\t", DVAUTH_CONT }, { "CANCEL\t", DVAUTH_CANCEL },
		{ "VERSION\t", DVAUTH_VERSION }, { "CPID\t", DVAUTH_CPID },
	};
	size_t i, wl;

	for (i = 0; i < N_ELEMENTS(words); i++) {
		wl = strlen(words[i].word);
		if (len >= wl && memcmp(line, words[i].word, wl) == 0) {
			*args_r = wl;
			return words[i].cmd;
		}
	}
	return DVAUTH_UNKNOWN;
}

/* dvauth_d23_field - unescape one AUTH field into out, cut at a NUL; its length */
static size_t dvauth_d23_field(const char *p, size_t len, char *out)
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == DVAUTH_ESC) {
			if (++i == len)
				break;	/* lone trailing \001: dropped */
			c = dvauth_unescaped(p[i]);
		}
		if (c == '\0')
			break;		/* a C string ends here */
		out[n++] = c;
	}
	return n;
}

/*
 * dvauth_d23_fields - the AUTH arguments as NUL-separated C strings in
 * m->text (each field unescaped, cut at a NUL), or the line's own fields
 * when there is nothing to unescape or cut; returns the separator
 */
static char dvauth_d23_fields(struct dvauth_client_msg *m, const char *p, size_t len,
			      struct strview *all_r)
{
	const char *end = p + len, *tab;
	size_t n = 0;

	if (memchr(p, DVAUTH_ESC, len) == NULL && memchr(p, '\0', len) == NULL) {
		*all_r = strview_make(p, len);
		return '\t';
	}
	for (;;) {
		tab = memchr(p, '\t', (size_t)(end - p));
		n += dvauth_d23_field(p, (size_t)((tab ? tab : end) - p), m->text + n);
		if (tab == NULL)
			break;
		m->text[n++] = '\0';
		p = tab + 1;
	}
	*all_r = strview_make(m->text, n);
	return '\0';
}

/* dvauth_d23_next - the next field of [*p, end) up to sep */
static struct strview dvauth_d23_next(const char **p, const char *end, char sep)
{
	const char *start = *p;
	const char *e = memchr(start, sep, (size_t)(end - start));

	*p = e ? e + 1 : end;
	return strview_make(start, (size_t)((e ? e : end) - start));
}

/* dvauth_d23_auth - AUTH: id, mech, parameters up to resp (2.3 auth_begin) */
static int dvauth_d23_auth(struct dvauth_client_msg *m, const char *args, size_t alen,
			   const char **error_r)
{
	struct strview all, f;
	struct dvauth_param p;
	const char *q, *end, *pstart;
	char sep = dvauth_d23_fields(m, args, alen, &all);
	size_t nf = 1, i;

	end = all.p + all.len;
	for (q = all.p; q < end; q++)
		nf += *q == sep;
	q = all.p;
	f = dvauth_d23_next(&q, end, sep);
	if (nf < 2 || dvauth_uint(f, &m->id) < 0 || m->id == 0) {
		*error_r = "AUTH: missing or bad request id, or no mechanism";
		return -1;
	}
	m->mech = dvauth_d23_next(&q, end, sep);
	m->psep = sep;
	pstart = q;
	for (i = 2; i < nf; i++) {
		f = dvauth_d23_next(&q, end, sep);
		dvauth_param_parse(f, &p);
		if (strview_eq(p.name, "resp")) {
			m->has_resp = 1;
			m->resp = p.value;
			m->params_after_resp = nf - i - 1;
			break;
		}
		m->nparams++;
		m->pfields = strview_make(pstart, (size_t)(f.p + f.len - pstart));
	}
	return 0;
}

/* dvauth_d23_number - the rest of the line is one number (2.3 str_to_uint) */
static int dvauth_d23_number(const char *p, size_t len, unsigned int *num_r)
{
	return str_to_uint(p, len, num_r);
}

/* dvauth_d23_args - a recognised command's arguments */
static int dvauth_d23_args(struct dvauth_client_msg *m, const char *a, size_t alen,
			   const char **error_r)
{
	const char *tab = memchr(a, '\t', alen);
	unsigned int num;

	switch (m->cmd) {
	case DVAUTH_VERSION:
		if (tab == NULL || dvauth_d23_number(a, (size_t)(tab - a), &m->major) < 0 ||
		    dvauth_d23_number(tab + 1, alen - (size_t)(tab + 1 - a), &m->minor) < 0) {
			*error_r = "VERSION: want two decimal numbers";
			return -1;
		}
		return 0;
	case DVAUTH_CPID:
		if (dvauth_d23_number(a, alen, &num) < 0 || num == 0) {
			*error_r = "CPID: want one non-zero pid";
			return -1;
		}
		m->pid = num;
		return 0;
	case DVAUTH_CANCEL:
		if (dvauth_d23_number(a, alen, &m->id) < 0) {
			*error_r = "CANCEL: want one request id";
			return -1;
		}
		return 0;
	case DVAUTH_CONT:
		if (tab == NULL || dvauth_d23_number(a, (size_t)(tab - a), &m->id) < 0) {
			*error_r = "CONT: want a request id, a TAB and data";
			return -1;
		}
		m->has_data = 1;
		m->data = strview_make(tab + 1, alen - (size_t)(tab + 1 - a));
		return 0;
	default:
		return dvauth_d23_auth(m, a, alen, error_r);
	}
}

/*
 * The DVAUTH_DOVECOT24 dialect: Dovecot 2.4 splits the line into
 * tab-unescaped fields first (connection_input_line_default); the
 * command is the first field, and CPID and CANCEL read only the field
 * after it.
 */

/*
 * dvauth_d24_word - the first field as a command word, or DVAUTH_UNKNOWN;
 * *has_args_r 1 when a TAB follows it
 */
static enum dvauth_cmd dvauth_d24_word(const char *line, size_t len, size_t *args_r,
				       int *has_args_r)
{
	const char *tab = memchr(line, '\t', len);
	size_t wl = tab ? (size_t)(tab - line) : len;
	char word[16];
	enum dvauth_cmd cmd;

	if (wl >= sizeof(word) - 1)
		return DVAUTH_UNKNOWN;
	memcpy(word, line, wl);
	word[wl] = '\t';
	cmd = dvauth_d23_word(word, wl + 1, args_r);
	*args_r = tab ? wl + 1 : len;
	*has_args_r = tab != NULL;
	return cmd;
}

/* dvauth_d24_number - the first argument field, unescaped, as one number */
static int dvauth_d24_number(struct dvauth_client_msg *m, const char *a, size_t alen,
			     unsigned int *num_r)
{
	const char *tab = memchr(a, '\t', alen);
	size_t n = dvauth_d23_field(a, tab ? (size_t)(tab - a) : alen, m->text);

	return n == 0 ? -1 : str_to_uint(m->text, n, num_r);
}

/* dvauth_d24_args - a recognised command's arguments (has_args: a TAB followed the word) */
static int dvauth_d24_args(struct dvauth_client_msg *m, const char *a, size_t alen,
			   int has_args, const char **error_r)
{
	unsigned int num;

	switch (m->cmd) {
	case DVAUTH_CPID:
		if (!has_args || dvauth_d24_number(m, a, alen, &num) < 0 || num == 0) {
			*error_r = "CPID: want one non-zero pid";
			return -1;
		}
		m->pid = num;
		return 0;
	case DVAUTH_CANCEL:
		if (!has_args || dvauth_d24_number(m, a, alen, &m->id) < 0) {
			*error_r = "CANCEL: want one request id";
			return -1;
		}
		return 0;
	default:
		if (!has_args) {
			*error_r = "no arguments";
			return -1;
		}
		return dvauth_d23_args(m, a, alen, error_r);
	}
}

/* dvauth_parse_client_line_as - one client line, read in the given dialect */
int dvauth_parse_client_line_as(const char *line, size_t len, enum dvauth_dialect dialect,
				struct dvauth_client_msg *msg_r, const char **error_r)
{
	size_t args = 0;
	int has_args = 0;

	if (dialect == DVAUTH_STRICT)
		return dvauth_parse_client_line(line, len, msg_r, error_r);
	dvauth_client_reset(msg_r, line);
	msg_r->fields.n = 0;
	if (dialect == DVAUTH_DOVECOT24)
		msg_r->cmd = dvauth_d24_word(line, len, &args, &has_args);
	else
		msg_r->cmd = dvauth_d23_word(line, len, &args);
	if (len >= DVAUTH_MAX_LINE) {
		*error_r = "line too long";
		return -1;
	}
	if (msg_r->cmd == DVAUTH_UNKNOWN)
		return 0;
	if (dialect == DVAUTH_DOVECOT24)
		return dvauth_d24_args(msg_r, line + args, len - args, has_args, error_r);
	return dvauth_d23_args(msg_r, line + args, len - args, error_r);
}

/* dvauth_client_params - iterate over an AUTH message's parameters */
void dvauth_client_params(const struct dvauth_client_msg *m, struct dvauth_param_iter *it)
{
	it->p = m->pfields.p;
	it->end = m->pfields.p + m->pfields.len;
	it->sep = m->psep;
	it->left = m->cmd == DVAUTH_AUTH ? m->nparams : 0;
}

/* dvauth_param_next - the next parameter (1), or none left (0) */
int dvauth_param_next(struct dvauth_param_iter *it, struct dvauth_param *p_r)
{
	if (it->left == 0)
		return 0;
	it->left--;
	dvauth_param_parse(dvauth_d23_next(&it->p, it->end, it->sep), p_r);
	return 1;
}

/* dvauth_unescape - decode a tab-escaped value, appending to out */
int dvauth_unescape(const char *p, size_t len, struct xbuf *out)
{
	size_t old = out->len;
	size_t i = 0, start = 0;
	const char *esc;
	char c;

	while (i < len) {
		esc = memchr(p + i, DVAUTH_ESC, len - i);
		i = esc != NULL ? (size_t)(esc - p) : len;
		if (xbuf_append(out, p + start, i - start) < 0)
			goto full;
		if (i == len)
			break;
		if (++i == len)		/* lone trailing \001: dropped */
			break;
		c = dvauth_unescaped(p[i]);
		if (xbuf_append_char(out, c) < 0)
			goto full;
		start = ++i;
	}
	return 0;
full:
	xbuf_truncate(out, old);
	return -1;
}

/* dvauth_escape - tab-escape bytes, appending to out */
int dvauth_escape(const void *p, size_t len, struct xbuf *out)
{
	const unsigned char *s = p;
	size_t old = out->len;
	size_t i, start = 0;
	char esc[2] = { DVAUTH_ESC, 0 };

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\0': esc[1] = '0'; break;
		case '\001': esc[1] = '1'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		case '\n': esc[1] = 'n'; break;
		default: continue;
		}
		if (xbuf_append(out, s + start, i - start) < 0 ||
		    xbuf_append(out, esc, 2) < 0)
			goto full;
		start = i + 1;
	}
	if (xbuf_append(out, s + start, len - start) < 0)
		goto full;
	return 0;
full:
	xbuf_truncate(out, old);
	return -1;
}

/*
 * Formatters. Each one appends pieces and, when any piece does not fit,
 * cuts the buffer back to where it was (all or nothing).
 */

/* dvauth_end - finish a line: LF, or roll back on an earlier failure */
static int dvauth_end(struct xbuf *out, size_t old, int rc)
{
	if (rc == 0 && xbuf_append_char(out, '\n') == 0)
		return 0;
	xbuf_truncate(out, old);
	return -1;
}

/* dvauth_append_params - TAB name[=value] for each parameter */
static int dvauth_append_params(struct xbuf *out,
				const struct dvauth_param *params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (xbuf_append_char(out, '\t') < 0 ||
		    xbuf_append(out, params[i].name.p, params[i].name.len) < 0)
			return -1;
		if (params[i].has_value &&
		    (xbuf_append_char(out, '=') < 0 ||
		     xbuf_append(out, params[i].value.p,
				 params[i].value.len) < 0))
			return -1;
	}
	return 0;
}

/* dvauth_word_num - "WORD" TAB number, without printf (once per reply) */
static int dvauth_word_num(struct xbuf *out, const char *word, unsigned long num)
{
	char digits[24];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + num % 10);
		num /= 10;
	} while (num > 0);
	if (xbuf_append_str(out, word) < 0 || xbuf_append_char(out, '\t') < 0)
		return -1;
	return xbuf_append(out, digits + i, sizeof(digits) - i);
}

/* dvauth_format_word_ul - "WORD" TAB number LF */
static int dvauth_format_word_ul(struct xbuf *out, const char *word,
				 unsigned long num)
{
	size_t old = out->len;

	return dvauth_end(out, old, dvauth_word_num(out, word, num));
}

int dvauth_format_version(struct xbuf *out, unsigned major, unsigned minor)
{
	size_t old = out->len;

	return dvauth_end(out, old,
			  xbuf_printf(out, "VERSION\t%u\t%u", major, minor));
}

int dvauth_format_cpid(struct xbuf *out, unsigned long pid)
{
	return dvauth_format_word_ul(out, "CPID", pid);
}

/* dvauth_format_mech - "MECH" TAB name, then flags in Dovecot's order */
int dvauth_format_mech(struct xbuf *out, const char *name, unsigned flags)
{
	size_t old = out->len;
	size_t b;
	int rc;

	rc = xbuf_append_str(out, "MECH\t");
	if (rc == 0)
		rc = xbuf_append_str(out, name);
	for (b = 0; rc == 0 && b < N_ELEMENTS(dvauth_flag_names); b++) {
		if ((flags & (1u << b)) == 0)
			continue;
		if (xbuf_append_char(out, '\t') < 0 ||
		    xbuf_append_str(out, dvauth_flag_names[b]) < 0)
			rc = -1;
	}
	return dvauth_end(out, old, rc);
}

int dvauth_format_spid(struct xbuf *out, unsigned long pid)
{
	return dvauth_format_word_ul(out, "SPID", pid);
}

int dvauth_format_cuid(struct xbuf *out, unsigned long cuid)
{
	return dvauth_format_word_ul(out, "CUID", cuid);
}

int dvauth_format_cookie(struct xbuf *out, const char *hex)
{
	size_t old = out->len;

	return dvauth_end(out, old, xbuf_printf(out, "COOKIE\t%s", hex));
}

int dvauth_format_done(struct xbuf *out)
{
	size_t old = out->len;

	return dvauth_end(out, old, xbuf_append_str(out, "DONE"));
}

/* dvauth_format_auth - AUTH id mech params... [resp=...] */
int dvauth_format_auth(struct xbuf *out, unsigned id, const char *mech,
		       const struct dvauth_param *params, size_t nparams,
		       const char *resp, size_t resp_len)
{
	size_t old = out->len;
	int rc;

	rc = xbuf_printf(out, "AUTH\t%u\t%s", id, mech);
	if (rc == 0)
		rc = dvauth_append_params(out, params, nparams);
	if (rc == 0 && resp != NULL &&
	    (xbuf_append_str(out, "\tresp=") < 0 ||
	     xbuf_append(out, resp, resp_len) < 0))
		rc = -1;
	return dvauth_end(out, old, rc);
}

int dvauth_format_cont(struct xbuf *out, unsigned id, const char *data,
		       size_t len)
{
	size_t old = out->len;
	int rc;

	rc = dvauth_word_num(out, "CONT", id);
	if (rc == 0)
		rc = xbuf_append_char(out, '\t');
	if (rc == 0)
		rc = xbuf_append(out, data, len);
	return dvauth_end(out, old, rc);
}

int dvauth_format_cancel(struct xbuf *out, unsigned id)
{
	return dvauth_format_word_ul(out, "CANCEL", id);
}

/* dvauth_format_result - OK/FAIL id params... */
static int dvauth_format_result(struct xbuf *out, const char *word,
				unsigned id, const struct dvauth_param *params,
				size_t nparams)
{
	size_t old = out->len;
	int rc;

	rc = dvauth_word_num(out, word, id);
	if (rc == 0)
		rc = dvauth_append_params(out, params, nparams);
	return dvauth_end(out, old, rc);
}

int dvauth_format_ok(struct xbuf *out, unsigned id,
		     const struct dvauth_param *params, size_t nparams)
{
	return dvauth_format_result(out, "OK", id, params, nparams);
}

int dvauth_format_fail(struct xbuf *out, unsigned id,
		       const struct dvauth_param *params, size_t nparams)
{
	return dvauth_format_result(out, "FAIL", id, params, nparams);
}

int dvauth_format_cancelled(struct xbuf *out, unsigned id)
{
	return dvauth_format_word_ul(out, "CANCELLED", id);
}
