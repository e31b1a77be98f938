/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	extra - passwd-file extra fields as Dovecot 2.3's passdb uses them
 * SYNOPSIS
 *	#include "reference/authd/extra.h"
 *
 *	int authd_extra_parse(const char *p, size_t len, struct authd_extra *x);
 *	int authd_extra_user(const struct authd_extra *x, const char *login,
 *	                     char *out, size_t outlen);
 *	void authd_extra_free(struct authd_extra *x);
 * DESCRIPTION
 *	The eighth passwd-file field is a space-separated list of
 *	name[=value] words (Dovecot p_strsplit_spaces; %variables are kept
 *	literally). authd_extra_parse() sorts them the way
 *	auth_request_set_field() does and yields what the reply needs:
 *
 *	  user=, username=, domain=
 *	                          rename, applied in file order by
 *	                          authd_extra_user() as Dovecot's
 *	                          get_updated_username() does: user=
 *	                          replaces the name; username= replaces it
 *	                          when the value has an "@", else keeps the
 *	                          current "@domain"; domain= replaces or adds
 *	                          the domain. The reply's user= is the new
 *	                          name and original_user=<login name> follows
 *	                          when they differ (OK and FAIL alike, unless
 *	                          a visible original_user field exists); a
 *	                          rename to "" fails the authentication
 *	                          (Dovecot: "username attempted to be changed
 *	                          to empty"); hidden
 *	  nopassword              any password is accepted when the stored
 *	                          password is empty; otherwise ignored (as
 *	                          Dovecot does, with an error); never shown
 *	  noauthenticate          shown, and implies nopassword
 *	  fail                    the authentication fails even with the
 *	                          right password; hidden
 *	  userdb_*, login_user, allow_nets, allow_real_nets, delay_until
 *	                          hidden (ref-authd does not act on them)
 *	  password, password_noscheme, passdb_import
 *	                          dropped
 *	  anything else           returned to the client in OK, in file
 *	                          order, as name or name=<tab-escaped value>
 *	                          (an empty value gives the bare name); a
 *	                          repeated name keeps its first place and
 *	                          takes the last value (auth_fields_add)
 *
 *	x->shown is the tab-joined visible list ("" if none); x->shown24
 *	the same as Dovecot 2.4 writes it: name= also for a field without a
 *	value (auth_fields_append), "nologin=" for "nologin"; x->any is set
 *	when at least one field other than the dropped ones exists, hidden
 *	or not: Dovecot then writes a TAB before the list even when nothing
 *	is visible, so a user with only userdb_ fields gets "OK\tid\tuser=u\t"
 *	(checked against Dovecot 2.3.19; 2.4 writes a TAB before each field
 *	only, so no empty field). Failed authentications show none
 *	of these fields (Dovecot rolls them back), only the rename.
 *	At most AUTHD_EXTRA_MAX bytes of input. Values are taken literally:
 *	Dovecot expands %variables in them, ref-authd does not.
 *
 *	authd_extra_user() writes the user name after the renames, starting
 *	from login, to out.
 * DIAGNOSTICS
 *	authd_extra_parse: 0, or -1 when the input is longer than
 *	AUTHD_EXTRA_MAX. authd_extra_user: 0 no rename (out is login), 1
 *	renamed, -1 renamed to "" or longer than outlen - 1 (the
 *	authentication fails).
 */
#ifndef REFERENCE_AUTHD_EXTRA_H
#define REFERENCE_AUTHD_EXTRA_H

#include <stddef.h>

#define AUTHD_EXTRA_MAX	8192

struct authd_rename {
	char kind;		/* 'u' user=, 'n' username=, 'd' domain= */
	char *value;
};

struct authd_extra {
	struct authd_rename *renames;	/* in file order */
	size_t nrenames;
	char *shown;		/* visible fields, TAB-joined and escaped ("" if none) */
	char *shown24;		/* the same as Dovecot 2.4 writes them (name= for no value) */
	int any;		/* some non-dropped field exists */
	int has_original_user;	/* a visible original_user field */
	int nopassword;
	int fail;
};

int authd_extra_parse(const char *p, size_t len, struct authd_extra *x);
int authd_extra_user(const struct authd_extra *x, const char *login, char *out, size_t outlen);
void authd_extra_free(struct authd_extra *x);

#endif
