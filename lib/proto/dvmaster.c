/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dvmaster - Dovecot auth-userdb (master protocol) lines
 * SYNOPSIS
 *	#include "proto/dvmaster.h"
 * DESCRIPTION
 *	See dvmaster.h. The parsers walk the line once: each field is
 *	tab-unescaped into the request's text buffer (unescaping never
 *	lengthens a field, so the buffer, as long as the longest line,
 *	always has room) and cut at its first NUL, as
 *	t_strsplit_tabescaped() leaves C strings.
 * DIAGNOSTICS
 *	See dvmaster.h.
 */
#include <string.h>

#include "proto/dvmaster.h"
#include "util/strnum.h"

#define ESC	'\001'

/* field_iter - the TAB-separated fields of [p, end) */
struct field_iter {
	const char *p, *end;
	int done;		/* no field left */
};

static void iter_init(struct field_iter *it, const char *p, const char *end)
{
	it->p = p;
	it->end = end;
	it->done = p == end;	/* t_strsplit_tabescaped(""): no field at all */
}

static char unescaped(char c)
{
	switch (c) {
	case '0': return '\0';
	case '1': return ESC;
	case 't': return '\t';
	case 'r': return '\r';
	case 'n': return '\n';
	default: return c;
	}
}

/*
 * iter_next - the next field, unescaped into dst and NUL-terminated (cut
 * at an escaped NUL); dst must hold the raw field's length plus one.
 * 0 when there is none.
 */
static int iter_next(struct field_iter *it, char *dst)
{
	size_t n = 0;
	int cut = 0;

	if (it->done)
		return 0;
	while (it->p < it->end && *it->p != '\t') {
		char c = *it->p++;

		if (c == ESC) {
			if (it->p == it->end || *it->p == '\t')
				continue;	/* a lone trailing escape is dropped */
			c = unescaped(*it->p++);
		}
		if (c == '\0')
			cut = 1;
		if (!cut)
			dst[n++] = c;
	}
	dst[n] = '\0';
	if (it->p == it->end)
		it->done = 1;
	else
		it->p++;	/* the TAB */
	return 1;
}

/* c_len - a line is a C string to Dovecot: it ends at its first NUL */
static size_t c_len(const char *line, size_t len)
{
	const char *nul = memchr(line, '\0', len);

	return nul != NULL ? (size_t)(nul - line) : len;
}

static int parse_uint(const char *s, unsigned *n_r)
{
	return str_to_uint(s, strlen(s), n_r);
}

/* dvmaster_parse_version - the client's first line */
int dvmaster_parse_version(const char *line, size_t len, enum dvmaster_dialect d,
			   const char **error_r)
{
	char buf[DVMASTER_MAX_LINE];
	struct field_iter it;
	unsigned major, minor, nf = 0;

	len = c_len(line, len);
	if (len >= sizeof(buf)) {
		*error_r = "BUG: Master sent us more than 1024 bytes";
		return -1;
	}
	if (d == DVMASTER_DOVECOT23) {
		const char *tab;

		*error_r = "Master not compatible with this server (mixed old and new binaries?)";
		if (len < 8 || memcmp(line, "VERSION\t", 8) != 0)
			return -1;
		tab = memchr(line + 8, '\t', len - 8);
		if (str_to_uint(line + 8, (size_t)((tab ? tab : line + len) - (line + 8)), &major) < 0 ||
		    major != 1)
			return -1;
		return 0;
	}
	iter_init(&it, line, line + len);
	if (!iter_next(&it, buf)) {
		*error_r = "Unexpectedly received empty line";
		return -1;
	}
	if (strcmp(buf, "VERSION") != 0) {
		*error_r = "BUG: Authentication client sent unknown handshake command";
		return -1;
	}
	*error_r = "didn't reply with a valid VERSION line";
	if (!iter_next(&it, buf) || parse_uint(buf, &major) < 0 ||
	    !iter_next(&it, buf) || parse_uint(buf, &minor) < 0)
		return -1;
	while (iter_next(&it, buf))
		nf++;
	if (nf > 0)
		return -1;
	if (major != 1) {
		*error_r = "Socket supports major version other than 1 (mixed old and new binaries?)";
		return -1;
	}
	return 0;
}

/* command - the request's word; *rest_r is where its arguments start */
static int command(const char *line, size_t len, enum dvmaster_dialect d,
		   struct dvmaster_request *r, struct field_iter *args, const char **error_r)
{
	static const char *const words[] = { "USER", "LIST", "PASS" };
	size_t i;

	if (d == DVMASTER_DOVECOT23) {
		for (i = 0; i < 3; i++)
			if (len >= 5 && memcmp(line, words[i], 4) == 0 && line[4] == '\t') {
				r->cmd = (enum dvmaster_cmd)(DVMASTER_USER + i);
				iter_init(args, line + 5, line + len);
				return 0;
			}
		*error_r = "BUG: Unknown command in userdb socket";
		return -1;
	}
	iter_init(args, line, line + len);
	if (!iter_next(args, r->text)) {
		*error_r = "Unexpectedly received empty line";
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (strcmp(r->text, words[i]) == 0) {
			r->cmd = (enum dvmaster_cmd)(DVMASTER_USER + i);
			return 0;
		}
	*error_r = "BUG: Unknown command in userdb socket";
	return -1;
}

static const char *broken(enum dvmaster_cmd cmd)
{
	return cmd == DVMASTER_USER ? "BUG: Master sent broken USER" :
	       cmd == DVMASTER_PASS ? "BUG: Master sent broken PASS" :
				      "BUG: Master sent broken LIST";
}

/* dvmaster_parse_request - one line after VERSION */
int dvmaster_parse_request(const char *line, size_t len, enum dvmaster_dialect d,
			   struct dvmaster_request *r, const char **error_r)
{
	struct field_iter it;
	char *p;

	len = c_len(line, len);
	memset(r, 0, offsetof(struct dvmaster_request, text));
	if (len >= sizeof(r->text)) {
		*error_r = "BUG: Master sent us more than 1024 bytes";
		return -1;
	}
	if (command(line, len, d, r, &it, error_r) < 0)
		return -1;
	p = r->text;
	if (!iter_next(&it, p) || parse_uint(p, &r->id) < 0) {
		*error_r = broken(r->cmd);
		return -1;
	}
	if (r->cmd == DVMASTER_LIST)
		return 0;
	p += strlen(p) + 1;
	if (!iter_next(&it, p)) {
		*error_r = broken(r->cmd);
		return -1;
	}
	r->user = p;
	p += strlen(p) + 1;
	while (iter_next(&it, p)) {
		size_t nlen = strcspn(p, "=");

		if ((nlen == 7 && memcmp(p, "service", 7) == 0) ||
		    (d == DVMASTER_DOVECOT24 && nlen == 8 && memcmp(p, "protocol", 8) == 0))
			r->has_service = 1;
	}
	if (!r->has_service) {
		*error_r = d == DVMASTER_DOVECOT23 ?
			(r->cmd == DVMASTER_USER ? "BUG: Master sent USER request without service" :
						   "BUG: Master sent PASS request without service") :
			(r->cmd == DVMASTER_USER ? "BUG: Master sent USER request without protocol" :
						   "BUG: Master sent PASS request without protocol");
		return -1;
	}
	return 0;
}

/* --- formatters ------------------------------------------------------- */

/* append_escaped - Dovecot's str_append_tabescaped */
static int append_escaped(struct xbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		int rc;

		switch (*s) {
		case ESC: rc = xbuf_append(out, "\0011", 2); break;
		case '\t': rc = xbuf_append(out, "\001t", 2); break;
		case '\r': rc = xbuf_append(out, "\001r", 2); break;
		case '\n': rc = xbuf_append(out, "\001n", 2); break;
		default: rc = xbuf_append_char(out, *s); break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int dvmaster_format_handshake(struct xbuf *out, unsigned minor, unsigned long spid)
{
	return xbuf_printf(out, "VERSION\t1\t%u\nSPID\t%lu\n", minor, spid);
}

/* dvmaster_format_user - USER id user fields... */
int dvmaster_format_user(struct xbuf *out, enum dvmaster_dialect d, unsigned id,
			 const char *user, const struct dvmaster_field *f, size_t n)
{
	size_t old = out->len, i;

	if (xbuf_printf(out, "USER\t%u\t", id) < 0 || append_escaped(out, user) < 0)
		goto full;
	if (d == DVMASTER_DOVECOT23 && xbuf_append_char(out, '\t') < 0)
		goto full;
	for (i = 0; i < n; i++) {
		if ((d == DVMASTER_DOVECOT24 || i > 0) && xbuf_append_char(out, '\t') < 0)
			goto full;
		if (xbuf_append_str(out, f[i].name) < 0)
			goto full;
		if ((d == DVMASTER_DOVECOT24 || f[i].value[0] != '\0') &&
		    (xbuf_append_char(out, '=') < 0 || append_escaped(out, f[i].value) < 0))
			goto full;
	}
	if (xbuf_append_char(out, '\n') == 0)
		return 0;
full:
	xbuf_truncate(out, old);
	return -1;
}

int dvmaster_format_notfound(struct xbuf *out, unsigned id)
{
	return xbuf_printf(out, "NOTFOUND\t%u\n", id);
}

int dvmaster_format_fail(struct xbuf *out, unsigned id)
{
	return xbuf_printf(out, "FAIL\t%u\n", id);
}

int dvmaster_format_pass_unsupported(struct xbuf *out, unsigned id)
{
	return xbuf_printf(out, "FAIL\t%u\treason=Configured passdbs don't support credentials "
			   "lookups\n", id);
}

int dvmaster_format_list_fail(struct xbuf *out, unsigned id)
{
	return xbuf_printf(out, "DONE\t%u\tfail\n", id);
}
