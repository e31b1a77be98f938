/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	extra - passwd-file extra fields as Dovecot 2.3's passdb uses them
 * SYNOPSIS
 *	#include "reference/authd/extra.h"
 * DESCRIPTION
 *	See extra.h. Words are split on spaces (runs of spaces count as
 *	one, as p_strsplit_spaces does); each word is looked up by its name
 *	(the text before the first "="). The last user=/username= wins.
 * DIAGNOSTICS
 *	-1 only for input over AUTHD_EXTRA_MAX bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/dvauth.h"
#include "reference/authd/extra.h"
#include "util/xmem.h"

static int name_is(const char *w, size_t nlen, const char *name)
{
	return strlen(name) == nlen && memcmp(w, name, nlen) == 0;
}

int authd_extra_parse(const char *p, size_t len, struct authd_extra *x)
{
	struct xbuf shown;
	const char *end = p + len;

	memset(x, 0, sizeof(*x));
	if (len > AUTHD_EXTRA_MAX)
		return -1;
	xbuf_init(&shown, 4 * AUTHD_EXTRA_MAX);
	while (p < end) {
		const char *w, *eq;
		size_t wlen, nlen;

		while (p < end && *p == ' ')
			p++;
		w = p;
		while (p < end && *p != ' ')
			p++;
		wlen = (size_t)(p - w);
		if (wlen == 0)
			continue;
		eq = memchr(w, '=', wlen);
		nlen = eq ? (size_t)(eq - w) : wlen;
		if (name_is(w, nlen, "password") || name_is(w, nlen, "password_noscheme") ||
		    name_is(w, nlen, "passdb_import"))
			continue;
		if (name_is(w, nlen, "nopassword")) {
			x->nopassword = 1;	/* consumed: not shown, and not "any" */
			continue;
		}
		x->any = 1;
		if (name_is(w, nlen, "user") || name_is(w, nlen, "username")) {
			free(x->rename);
			x->rename = xstrndup(eq ? eq + 1 : "", eq ? wlen - nlen - 1 : 0);
			continue;
		}
		if (name_is(w, nlen, "fail")) {
			x->fail = 1;
			continue;
		}
		if ((nlen > 7 && memcmp(w, "userdb_", 7) == 0) || name_is(w, nlen, "login_user") ||
		    name_is(w, nlen, "allow_nets") || name_is(w, nlen, "allow_real_nets") ||
		    name_is(w, nlen, "delay_until"))
			continue;
		/* returned to the client: name, or name=<escaped value> */
		if ((shown.len > 0 && xbuf_append_char(&shown, '\t') < 0) ||
		    xbuf_append(&shown, w, nlen) < 0 ||
		    (eq != NULL && wlen > nlen + 1 &&
		     (xbuf_append_char(&shown, '=') < 0 ||
		      dvauth_escape(eq + 1, wlen - nlen - 1, &shown) < 0))) {
			xbuf_free(&shown);
			authd_extra_free(x);
			return -1;	/* cannot happen: 4x the input bound */
		}
	}
	x->shown = xstrdup(xbuf_cstr(&shown));
	xbuf_free(&shown);
	return 0;
}

void authd_extra_free(struct authd_extra *x)
{
	free(x->rename);
	free(x->shown);
	memset(x, 0, sizeof(*x));
}
