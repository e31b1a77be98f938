/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	extra - passwd-file extra fields as Dovecot 2.3's passdb uses them
 * SYNOPSIS
 *	#include "reference/authd/extra.h"
 * DESCRIPTION
 *	See extra.h. Words are split on spaces (runs of spaces count as
 *	one, as p_strsplit_spaces does); each word is looked up by its name
 *	(the text before the first "="), as auth_request_set_field() sorts
 *	them. Visible fields are collected in a small table first, so that
 *	a repeated name keeps its place and takes the new value.
 * DIAGNOSTICS
 *	-1 only for input over AUTHD_EXTRA_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dvauth.h"
#include "reference/authd/extra.h"
#include "util/msg.h"
#include "util/xmem.h"

static int name_is(const char *w, size_t nlen, const char *name)
{
	return strlen(name) == nlen && memcmp(w, name, nlen) == 0;
}

struct field {
	const char *name, *value;	/* into the input */
	size_t nlen, vlen;
};

/* add_rename - one user=/username=/domain= word */
static void add_rename(struct authd_extra *x, char kind, const char *v, size_t vlen)
{
	x->renames = xrealloc(x->renames, (x->nrenames + 1) * sizeof(*x->renames));
	x->renames[x->nrenames].kind = kind;
	x->renames[x->nrenames].value = xstrndup(v, vlen);
	x->nrenames++;
}

/* add_shown - a visible field; a repeated name is replaced in place */
static void add_shown(struct field *f, size_t *n, const char *w, size_t nlen, const char *v,
		      size_t vlen)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (f[i].nlen == nlen && memcmp(f[i].name, w, nlen) == 0)
			break;
	if (i == *n)
		(*n)++;
	f[i].name = w;
	f[i].nlen = nlen;
	f[i].value = v;
	f[i].vlen = vlen;
}

/*
 * join_shown - the visible fields as returned to the client, TAB-joined:
 * name, or name=<escaped value>; eq: name= also for an empty value (2.4)
 */
static char *join_shown(const struct field *f, size_t nf, int eq)
{
	struct xbuf shown;
	char *joined;
	size_t i;

	xbuf_init(&shown, 4 * AUTHD_EXTRA_MAX + 2 * nf);	/* escaped values, a TAB and = each */
	for (i = 0; i < nf; i++) {
		if ((i > 0 && xbuf_append_char(&shown, '\t') < 0) ||
		    xbuf_append(&shown, f[i].name, f[i].nlen) < 0 ||
		    ((eq || f[i].vlen > 0) && xbuf_append_char(&shown, '=') < 0) ||
		    dvauth_escape(f[i].value, f[i].vlen, &shown) < 0)
			msg_panic("join_shown: %zu fields over the bound", nf);
	}
	joined = xstrdup(xbuf_cstr(&shown));
	xbuf_free(&shown);
	return joined;
}

int authd_extra_parse(const char *p, size_t len, struct authd_extra *x)
{
	const char *end = p + len;
	struct field *f;
	size_t nf = 0;

	memset(x, 0, sizeof(*x));
	if (len > AUTHD_EXTRA_MAX)
		return -1;
	f = xcalloc(len / 2 + 1, sizeof(*f));	/* words are 1+ bytes and a space */
	while (p < end) {
		const char *w, *eq, *v;
		size_t wlen, nlen, vlen;

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
		v = eq ? eq + 1 : w + wlen;
		vlen = eq ? wlen - nlen - 1 : 0;
		if (nlen == 0)
			continue;	/* Dovecot asserts a non-empty name: never sent */
		if (name_is(w, nlen, "password") || name_is(w, nlen, "password_noscheme") ||
		    name_is(w, nlen, "passdb_import"))
			continue;
		if (name_is(w, nlen, "nopassword")) {
			x->nopassword = 1;	/* consumed: not shown, and not "any" */
			continue;
		}
		x->any = 1;
		if (name_is(w, nlen, "user")) {
			add_rename(x, 'u', v, vlen);
			continue;
		}
		if (name_is(w, nlen, "username")) {
			add_rename(x, 'n', v, vlen);
			continue;
		}
		if (name_is(w, nlen, "domain")) {
			add_rename(x, 'd', v, vlen);
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
		if (name_is(w, nlen, "noauthenticate"))
			x->nopassword = 1;	/* and shown */
		if (name_is(w, nlen, "original_user"))
			x->has_original_user = 1;
		add_shown(f, &nf, w, nlen, v, vlen);
	}
	x->shown = join_shown(f, nf, 0);
	x->shown24 = join_shown(f, nf, 1);
	free(f);
	return 0;
}

/* authd_extra_user - the renames applied to login (get_updated_username) */
int authd_extra_user(const struct authd_extra *x, const char *login, char *out, size_t outlen)
{
	char cur[512], next[512];
	size_t i;
	int n;

	if (outlen == 0)
		return -1;
	if (snprintf(cur, sizeof(cur), "%s", login) >= (int)sizeof(cur))
		return -1;
	for (i = 0; i < x->nrenames; i++) {
		const struct authd_rename *r = &x->renames[i];
		const char *at = strchr(cur, '@');

		if (r->kind == 'u' || (r->kind == 'n' && strchr(r->value, '@') != NULL))
			n = snprintf(next, sizeof(next), "%s", r->value);
		else if (r->kind == 'n')
			n = snprintf(next, sizeof(next), "%s%s", r->value, at ? at : "");
		else if (at == NULL)
			n = snprintf(next, sizeof(next), "%s@%s", cur, r->value);
		else
			n = snprintf(next, sizeof(next), "%.*s%s", (int)(at + 1 - cur), cur,
				     r->value);
		if (n < 0 || (size_t)n >= sizeof(next))
			return -1;
		if (next[0] == '\0')
			return -1;	/* "username attempted to be changed to empty" */
		memcpy(cur, next, (size_t)n + 1);
	}
	if (strlen(cur) >= outlen)
		return -1;
	memcpy(out, cur, strlen(cur) + 1);
	return strcmp(cur, login) != 0;
}

void authd_extra_free(struct authd_extra *x)
{
	size_t i;

	for (i = 0; i < x->nrenames; i++)
		free(x->renames[i].value);
	free(x->renames);
	free(x->shown);
	free(x->shown24);
	memset(x, 0, sizeof(*x));
}
